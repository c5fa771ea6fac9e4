# SPDX-License-Identifier: Apache-2.0
"""Teams: a Workflows (Power Automate) flow "When a Teams webhook request is
received", which posts the Adaptive Card it is sent into a channel.

The flow's URL is
  /workflows/<id>/triggers/manual/paths/invoke?api-version=...&sp=...&sv=1.0&sig=<sig>
(or the same below /powerautomate/automations/direct, as newer environments
give it). The signature in the query is the only credential: missing or
wrong, the flow answers 401; an unknown flow 404; a body that is not JSON
400. Otherwise it answers 202 with an empty body and records the post.

The trigger answers before the flow's "post card" step runs, and that step
fails a message of more than about 28 KB ("Request Entity Too Large",
doc/notifications.md): such a post is answered 202 all the same and
recorded as not shown.

Seed or configure: {"flows": {"<id>": "<sig>"}}. dump() gives
{"flows": [ids], "posts": [{"flow", "run_id", "body", "size", "shown",
"time"}]}, SIZE being the bytes sent.
"""

import re
import time
import uuid

from api import Response

# The Teams connector's message size limit, "about 28 KB".
POST_LIMIT = 28 * 1024


class Teams:
    name = "teams"

    def __init__(self):
        self.reset()
        self.routes = [
            ("POST", re.compile(r"(?:/powerautomate/automations/direct)?/workflows/([0-9A-Za-z]+)/triggers/manual/paths/invoke"),
             self.invoke),
        ]

    # -- control -------------------------------------------------------
    def reset(self):
        self.flows = {}
        self.posts = []

    def configure(self, data):
        self.flows.update(data.get("flows", {}))

    def seed(self, data):
        self.configure(data)

    def dump(self):
        return {"flows": sorted(self.flows), "posts": list(self.posts)}

    # -- errors and auth -----------------------------------------------
    def error(self, status, message, code=None):
        codes = {400: "InvalidRequestContent", 401: "DirectApiAuthorizationRequired", 404: "WorkflowNotFound",
                 429: "WorkflowRequestsThrottled"}
        return Response(status, {"error": {"code": code or codes.get(status, "InternalServerError"),
                                           "message": message}})

    def authorize(self, req):
        m = self.routes[0][1].fullmatch(req.path)
        flow = m.group(1) if m else None
        if flow not in self.flows:
            return self.error(404, "The workflow '%s' could not be found." % flow)
        if "api-version" not in req.query:
            return self.error(400, "The api-version query parameter is required.", "MissingApiVersionParameter")
        sig = req.query.get("sig")
        if not sig:
            return self.error(401, "The request must be authenticated only by Shared Access scheme.")
        if sig != self.flows[flow]:
            return self.error(401, "The provided signature is not valid.", "DirectApiInvalidAuthorizationSignature")
        return None

    # -- the trigger -----------------------------------------------------
    def invoke(self, req, m):
        body = req.json()
        if body is None:
            return self.error(400, "The request content is not valid JSON.")
        run_id = uuid.uuid4().hex
        size = len(req.body)
        self.posts.append({"flow": m.group(1), "run_id": run_id, "body": body, "size": size,
                           "shown": size <= POST_LIMIT, "time": time.time()})
        return Response(202, headers={"x-ms-workflow-run-id": run_id})
