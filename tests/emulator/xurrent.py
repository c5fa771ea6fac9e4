# SPDX-License-Identifier: Apache-2.0
"""Xurrent (formerly 4me): the REST API v1 for the records accessd uses, the
attachment storage upload (S3-style or "local"), and the OAuth token
endpoint. Written from developer.xurrent.com; doc/itsm-xurrent.md lists each
rule with its source and marks what is our reading.

The API root is http://127.0.0.1:PORT/v1 (base_url = http://127.0.0.1:PORT;
the connector appends /v1; Graph's /v1.0/... is a different path). OAuth:
POST /token (the real host is oauth.xurrent.com).

Every /v1 call but GET /v1 needs "Authorization: Bearer <token>" and the
account, "X-Xurrent-Account: <id>" (the legacy "X-4me-Account" works too):
no or an unknown token, or no account header, answer 401 {"message":
"Unauthorized"}; another account 403 {"message": "Forbidden"}. Each
authenticated answer carries X-RateLimit-Limit/-Remaining/-Reset (the hourly
window of the token's person, reset in epoch seconds); over the hourly limit
or over the burst limit (20 requests in 2 seconds) the answer is 429
{"message": "Too Many Requests", "documentation_url": ...} with Retry-After
in seconds. A refused request does not count.

Collections filter (?updated_at=>=..., ?status=a,b, ?team_id=!4, ...), sort
(?sort=updated_at,-id), select fields (?fields=a,b) and page by cursor
(?per_page= up to 100; Link rel="first"/"prev"/"next" with search_after /
search_before; X-Pagination-* headers), see xurrent_query.py. Validation
errors answer 422 {"message": "Validation Failed", "errors": [[field,
message], ...]}; bad queries 400 {"message": ...}; unknown records 404
{"message": "Not Found"}.

Routes: GET /v1/me; /v1/people[/enabled|/disabled], /v1/people/:id;
/v1/request_templates[/enabled|/disabled], /:id; /v1/requests[/open|
/completed] (GET, POST), /v1/requests/:id (GET, PATCH, PUT),
/v1/requests/:id/notes[/public|/internal] (GET; POST on the plain path);
/v1/workflows/:id, /v1/workflows/:id/requests, /v1/workflows/:id/tasks
(GET, POST); /v1/tasks[/open|/finished|/approval_by_me|/assigned_to_me|
/managed_by_me], /v1/tasks/:id (GET, PATCH, PUT), /v1/tasks/:id/notes[...],
/v1/tasks/:id/approvals (GET, POST, DELETE all), /v1/tasks/:id/approvals/:id
(PATCH, PUT, DELETE); /v1/attachments/storage; POST /v1/attachments (the
"local" provider's upload, with the API's credentials); POST
/s3/xurrent-attachments/ (the "s3" provider: no API credentials, an
Authorization header is refused as S3 refuses a second auth mechanism) and
GET /s3/xurrent-attachments/<key> (the uploaded bytes); POST /token.

Notes: "note" / "internal_note" (with "note_attachments" /
"internal_note_attachments") in a request's PATCH, and POST
/requests/:id/notes, add a note by the token's person; they read back only
through the notes listings. An approval task's status is the outcome of its
approvals: one rejection rejects it, required_approvals approvals approve it,
and the next registered task of the workflow is then assigned. An approver
decides by PATCH /tasks/:id {"status": "approved"|"rejected", "note"} with
their own token, or a test decides for them through the seed (below). A
request created from a template that has a workflow template starts that
workflow (status workflow_pending), its first task assigned.

Seed ({"xurrent": {...}}; records may leave out id, created_at, updated_at;
an id that exists updates that record, its updated_at moving to now unless
given; references are given as <name>_id):
  people             [{"id", "name", "primary_email", "manager_id", "disabled",
                       "employeeID", "source", "sourceID"}]
  teams              [{"id", "name"}]
  workflow_templates [{"id", "subject", "manager_id", "tasks": [{"subject",
                       "category", "required_approvals", "approver_ids"}]}]
  request_templates  [{"id", "subject", "category", "workflow_template_id",
                       "disabled"}]
  requests           [{"id", "subject", "category", "impact", "status",
                       "completion_reason", "template_id", "requested_for_id",
                       "requested_by_id", "team_id", "member_id", "workflow_id",
                       "custom_fields": [{"id", "value"}], "source", "sourceID"}]
  workflows          [{"id", "subject", "status", "manager_id"}]
  tasks              [{"id", "workflow_id", "subject", "category", "status",
                       "required_approvals", "team_id", "member_id", "source",
                       "sourceID"}]
  approvals          [{"id", "task_id", "approver_id", "status", "note"}]: an
                     existing approval given a status is the approver deciding
                     (with "note" as their note on the task)
  notes              [{"request_id" | "task_id", "person_id", "text", "internal"}]

Configuration (POST /_emu/config/xurrent):
  account               the account id the header must name (default "contoso")
  tokens                {"<personal access token>": person id}
  oauth_clients         {"<client id>": {"secret": "...", "person": person id}}
  token_lifetime        seconds an OAuth access token lives (default 3600)
  revoke_tokens         true: every token issued so far stops working
  rate_limit            {"hourly", "window", "burst", "burst_window"}: requests
                        per window of seconds (defaults 3600 per 3600, 20 per 2)
  attachment_provider   "s3" (default, as on SaaS) or "local" (on-premises)
  size_limit            largest upload in bytes (default 2147483648)
  allowed_extensions    extensions an attachment may have
  storage_lifetime      seconds an upload grant is valid (default 3600)
  utc_offset            the account's offset in datetimes (default "-06:00")
  account_administrator true: the tokens may change source/sourceID
  link_base             what Link URLs start with instead of this server's
                        http://host (a hostile or broken server; default none)
  decision_touches_task false: an approval decided that leaves its task's
                        status as it was (1 of 2 required) does not move the
                        task's updated_at (the other reading of U6; default
                        true)

State (GET /_emu/state/xurrent): every record as a single GET shows it, with
"request_id"/"task_id" on notes and "task_id" on approvals, the uploads
(name, size, content type) and the OAuth grants issued.
"""

import base64
import collections
import datetime
import hashlib
import math
import os
import re
import time
import urllib.parse

import multipart
import xurrent_query as xq
from api import Response
from xurrent_query import BadRequest, Condition, Spec

RATE_DOCS = "https://developer.xurrent.com/v1/#rate-limiting"
S3_PATH = "/s3/xurrent-attachments/"
NOTE_MAX = 65536
REQUEST_CATEGORIES = ("incident", "rfc", "rfi", "reservation", "order", "fulfillment", "complaint", "compliment",
                      "other")
REQUEST_STATUSES = ("declined", "on_backlog", "assigned", "accepted", "in_progress", "waiting_for",
                    "waiting_for_customer", "reservation_pending", "workflow_pending", "project_pending", "completed")
COMPLETION_REASONS = ("solved", "workaround", "gone", "duplicate", "withdrawn", "no_reply", "rejected", "conflict",
                      "declined", "unsolvable")
IMPACTS = ("low", "medium", "high", "top")
TASK_CATEGORIES = ("risk_and_impact", "approval", "implementation", "automation")
TASK_STATUSES = ("registered", "declined", "assigned", "accepted", "in_progress", "waiting_for",
                 "waiting_for_customer", "request_pending", "failed", "rejected", "completed", "approved", "canceled")
TASK_FINISHED = ("failed", "rejected", "completed", "approved", "canceled")

# Reference fields and what they point at (None: records not kept here,
# written as {"id"}); a reference is written as {"id", "name"} for people and
# teams, {"id", "subject"} for the rest. A task's template is a task template.
REFS = {"created_by": "people", "requested_by": "people", "requested_for": "people", "member": "people",
        "manager": "people", "approver": "people", "person": "people", "team": "teams",
        "template": "request_templates", "workflow": "workflows", "workflow_template": "workflow_templates",
        "request": "requests", "task": "tasks", "organization": None, "site": None, "service": None, "service_instance": None,
        "grouped_into": None, "knowledge_article": None, "ui_extension": None}
TIMES = ("created_at", "updated_at", "completed_at", "finished_at", "waiting_until", "completion_target_at")
HUMAN = {"sourceID": "Source ID", "planned_duration": "Planned duration", "required_approvals": "Required approvals"}

REQUESTS = Spec(
    filters={"id": "int", "source": "string", "sourceID": "string", "subject": "string", "category": "enum",
             "impact": "enum", "status": "enum", "workflow": "ref", "next_target_at": "time", "completed_at": "time",
             "created_by": "ref", "grouping": "enum", "grouped_into": "ref", "knowledge_article": "ref",
             "requested_by": "ref", "requested_for": "ref", "service_instance": "ref", "supplier_requestID": "string",
             "created_at": "time", "updated_at": "time", "team": "ref", "member": "ref", "template": "ref",
             "major_incident_status": "enum", "organization": "ref"},
    sorts=["id", "sourceID", "subject", "category", "impact", "status", "next_target_at", "completed_at", "team",
           "member", "service_instance", "created_at", "updated_at"],
    default_sort=[("id", True)],
    collection_fields=["id", "sourceID", "subject", "category", "impact", "status", "next_target_at",
                       "completed_at", "team", "member", "grouped_into", "service_instance", "created_at",
                       "updated_at"],
    fields=["id", "source", "sourceID", "subject", "category", "impact", "status", "completion_reason",
            "completed_at", "created_at", "updated_at", "created_by", "requested_by", "requested_for", "team",
            "member", "template", "workflow", "custom_fields", "waiting_until", "urgent", "next_target_at",
            "grouping", "grouped_into", "service_instance", "organization", "knowledge_article",
            "supplier_requestID", "major_incident_status"])
PEOPLE = Spec(
    filters={"id": "int", "source": "string", "sourceID": "string", "name": "string", "disabled": "bool",
             "organization": "ref", "site": "ref", "manager": "ref", "created_at": "time", "updated_at": "time",
             "employeeID": "string", "primary_email": "string", "supportID": "string", "roles": "string"},
    sorts=["id", "sourceID", "name", "organization", "site", "manager", "created_at", "updated_at"],
    default_sort=[("name", False)],
    collection_fields=["id", "sourceID", "name", "organization", "site", "manager", "created_at", "updated_at"],
    fields=["id", "source", "sourceID", "name", "primary_email", "manager", "organization", "site", "disabled",
            "employeeID", "supportID", "job_title", "created_at", "updated_at"],
    ignore_case=("primary_email", "supportID"))
REQUEST_TEMPLATES = Spec(
    filters={"id": "int", "source": "string", "sourceID": "string", "disabled": "bool", "subject": "string",
             "category": "enum", "impact": "enum", "service": "ref", "created_at": "time", "updated_at": "time",
             "workflow_template": "ref"},
    sorts=["id", "sourceID", "subject", "category", "impact", "service", "created_at", "updated_at",
           "times_applied"],
    default_sort=[("id", True)],
    collection_fields=["id", "sourceID", "subject", "category", "impact", "service", "created_at", "updated_at"],
    fields=["id", "source", "sourceID", "subject", "category", "impact", "service", "disabled",
            "workflow_template", "ui_extension", "status", "completion_reason", "times_applied", "created_at",
            "updated_at"])
TASKS = Spec(
    filters={"id": "int", "source": "string", "sourceID": "string", "subject": "string", "impact": "enum",
             "category": "enum", "status": "enum", "team": "ref", "member": "ref", "completion_target_at": "time",
             "finished_at": "time", "created_at": "time", "updated_at": "time", "template": "ref",
             "workflow": "ref"},
    sorts=["id", "sourceID", "subject", "impact", "category", "status", "team", "member", "completion_target_at",
           "finished_at", "created_at", "updated_at"],
    default_sort=[("id", True)],
    collection_fields=["id", "sourceID", "subject", "impact", "category", "status", "team", "member",
                       "completion_target_at", "finished_at", "created_at", "updated_at"],
    fields=["id", "source", "sourceID", "subject", "category", "status", "workflow", "required_approvals",
            "rejection_count", "manager", "member", "team", "template", "planned_duration", "impact",
            "completion_target_at", "finished_at", "created_at", "updated_at", "custom_fields", "request"])
APPROVALS = Spec(
    filters={"status": "enum"}, sorts=["id"], default_sort=[("id", False)],
    collection_fields=["id", "approver", "attachment", "planned_effort", "status", "created_at", "updated_at"],
    fields=["id", "approver", "attachment", "planned_effort", "status", "created_at", "updated_at"])
NOTES = Spec(
    filters={"created_at": "time", "medium": "enum", "person": "ref"}, sorts=["id", "person_id", "created_at"],
    default_sort=[("id", False)],
    collection_fields=["id", "person", "created_at", "text", "medium", "internal", "attachments"],
    fields=["id", "person", "created_at", "text", "medium", "internal", "attachments"], cap=100000)
SPECS = {"people": PEOPLE, "request_templates": REQUEST_TEMPLATES, "requests": REQUESTS, "tasks": TASKS,
         "approvals": APPROVALS, "notes": NOTES}

DEFAULT_FIELDS = {
    "people": {"name": None, "primary_email": None, "manager": None, "organization": None, "site": None,
               "disabled": False, "employeeID": None, "supportID": None, "job_title": None, "roles": None},
    "teams": {"name": None},
    "workflow_templates": {"subject": None, "manager": None, "tasks": []},
    "request_templates": {"subject": None, "category": None, "impact": None, "service": None, "disabled": False,
                          "workflow_template": None, "ui_extension": None, "status": None,
                          "completion_reason": None, "times_applied": 0},
    "requests": {"subject": None, "category": None, "impact": None, "status": "assigned", "completion_reason": None,
                 "completed_at": None, "created_by": None, "requested_by": None, "requested_for": None,
                 "team": None, "member": None, "template": None, "workflow": None, "custom_fields": None,
                 "waiting_until": None, "urgent": False, "next_target_at": None, "grouping": "none",
                 "grouped_into": None, "service_instance": None, "organization": None, "knowledge_article": None,
                 "supplier_requestID": None, "major_incident_status": None},
    "workflows": {"subject": None, "status": "in_progress", "manager": None},
    "tasks": {"subject": None, "category": None, "status": "registered", "workflow": None, "required_approvals": 1,
              "rejection_count": 0, "manager": None, "member": None, "team": None, "template": None,
              "planned_duration": None, "impact": None, "completion_target_at": None, "finished_at": None,
              "custom_fields": None, "request": None},
    "approvals": {"task": None, "approver": None, "status": "registered", "planned_effort": None,
                  "attachment": None},
    "notes": {"owner": None, "person": None, "text": "", "internal": False, "medium": "default", "attachments": []},
}
INDEXES = {"people": (("sourceID", "primary_email"), ("primary_email",)), "teams": ((), ()),
           "workflow_templates": ((), ()), "request_templates": (("sourceID", "subject"), ()),
           "requests": (("sourceID", "template", "workflow", "requested_for", "status"), ()),
           "workflows": (("sourceID",), ()), "tasks": (("sourceID", "workflow", "category", "status"), ()),
           "approvals": (("task", "approver"), ()), "notes": (("owner",), ())}
FIRST_ID = {"people": 1, "teams": 1, "workflow_templates": 1, "request_templates": 1, "requests": 70001,
            "workflows": 5001, "tasks": 9001, "approvals": 801, "notes": 40001, "attachments": 1}


class Invalid(Exception):
    """A write refused with 422 Validation Failed; args[0] lists [field, message]."""


class Forbidden(Exception):
    """A change to source or sourceID by someone who is not an Account Administrator."""


class NotFound(Exception):
    """No such record: 404."""


def _human(field):
    return HUMAN.get(field, field.replace("_", " ").capitalize())


def _offset(text):
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", text)
    if not m:
        raise ValueError("utc_offset must look like +01:00")
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return datetime.timezone(datetime.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


class RateLimits:
    """The hourly limit (a window that starts with a person's first counted
    request; X-RateLimit-Reset is its end) and the burst limit (a sliding
    window), per person."""

    def __init__(self):
        self.hourly, self.window, self.burst, self.burst_window = 3600, 3600.0, 20, 2.0
        self.users = {}

    def configure(self, data):
        self.hourly = int(data.get("hourly", self.hourly))
        self.window = float(data.get("window", self.window))
        self.burst = int(data.get("burst", self.burst))
        self.burst_window = float(data.get("burst_window", self.burst_window))
        self.users = {}

    def take(self, user, now):
        """(headers, retry_after): retry_after is None when the request may go."""
        st = self.users.get(user)
        if st is None or now >= st["start"] + self.window:
            st = self.users[user] = {"start": now, "count": 0, "recent": collections.deque()}
        reset = st["start"] + self.window
        while st["recent"] and st["recent"][0] <= now - self.burst_window:
            st["recent"].popleft()
        retry = None
        if st["count"] >= self.hourly:
            retry = reset - now
        elif len(st["recent"]) >= self.burst:
            retry = st["recent"][0] + self.burst_window - now
        else:
            st["count"] += 1
            st["recent"].append(now)
        headers = {"X-RateLimit-Limit": str(self.hourly), "X-RateLimit-Remaining": str(self.hourly - st["count"]),
                   "X-RateLimit-Reset": str(int(math.ceil(reset)))}
        return headers, None if retry is None else max(1, int(math.ceil(retry)))


class Xurrent:
    name = "xurrent"

    def __init__(self):
        self.reset()
        n = r"(\d+)"
        self.routes = [
            ("GET", re.compile(r"/v1/?"), self.service_url),
            ("POST", re.compile(r"/token"), self.oauth_token),
            ("POST", re.compile(re.escape(S3_PATH)), self.s3_upload),
            ("GET", re.compile(re.escape(S3_PATH) + r"(.+)"), self.s3_download),
            ("GET", re.compile(r"/v1/me"), self.api(self.me)),
            ("GET", re.compile(r"/v1/people(?:/(enabled|disabled))?"), self.api(self.list_people)),
            ("GET", re.compile(r"/v1/people/" + n), self.api(self.get_record("people"))),
            ("GET", re.compile(r"/v1/request_templates(?:/(enabled|disabled))?"), self.api(self.list_templates)),
            ("GET", re.compile(r"/v1/request_templates/" + n), self.api(self.get_record("request_templates"))),
            ("GET", re.compile(r"/v1/requests(?:/(open|completed))?"), self.api(self.list_requests)),
            ("POST", re.compile(r"/v1/requests"), self.api(self.create_request)),
            ("GET", re.compile(r"/v1/requests/" + n), self.api(self.get_record("requests"))),
            ("PATCH", re.compile(r"/v1/requests/" + n), self.api(self.update_request)),
            ("PUT", re.compile(r"/v1/requests/" + n), self.api(self.update_request)),
            ("GET", re.compile(r"/v1/requests/" + n + r"/notes(?:/(public|internal))?"),
             self.api(self.list_notes("requests"))),
            ("POST", re.compile(r"/v1/requests/" + n + r"/notes"), self.api(self.create_note)),
            ("GET", re.compile(r"/v1/workflows/" + n), self.api(self.get_workflow)),
            ("GET", re.compile(r"/v1/workflows/" + n + r"/requests(?:/(open|completed))?"),
             self.api(self.workflow_requests)),
            ("GET", re.compile(r"/v1/workflows/" + n + r"/tasks(?:/(open|finished))?"), self.api(self.workflow_tasks)),
            ("POST", re.compile(r"/v1/workflows/" + n + r"/tasks"), self.api(self.create_task)),
            ("GET", re.compile(r"/v1/tasks(?:/(open|finished|approval_by_me|assigned_to_me|managed_by_me))?"),
             self.api(self.list_tasks)),
            ("GET", re.compile(r"/v1/tasks/" + n), self.api(self.get_record("tasks"))),
            ("PATCH", re.compile(r"/v1/tasks/" + n), self.api(self.update_task)),
            ("PUT", re.compile(r"/v1/tasks/" + n), self.api(self.update_task)),
            ("GET", re.compile(r"/v1/tasks/" + n + r"/notes(?:/(public|internal))?"), self.api(self.list_notes("tasks"))),
            ("GET", re.compile(r"/v1/tasks/" + n + r"/approvals"), self.api(self.list_approvals)),
            ("POST", re.compile(r"/v1/tasks/" + n + r"/approvals"), self.api(self.add_approval)),
            ("DELETE", re.compile(r"/v1/tasks/" + n + r"/approvals/?"), self.api(self.remove_approvals)),
            ("PATCH", re.compile(r"/v1/tasks/" + n + r"/approvals/" + n), self.api(self.update_approval)),
            ("PUT", re.compile(r"/v1/tasks/" + n + r"/approvals/" + n), self.api(self.update_approval)),
            ("DELETE", re.compile(r"/v1/tasks/" + n + r"/approvals/" + n), self.api(self.remove_approval)),
            ("GET", re.compile(r"/v1/attachments/storage"), self.api(self.storage)),
            ("POST", re.compile(r"/v1/attachments"), self.api(self.local_upload)),
        ] + [(m, re.compile(r"/v1/.*"), self.api(self.not_found)) for m in ("GET", "POST", "PATCH", "PUT", "DELETE")]

    # -- control -------------------------------------------------------
    def reset(self):
        self.colls = {kind: xq.Collection(*INDEXES[kind]) for kind in INDEXES}
        self.next_id = dict(FIRST_ID)
        self.account = "contoso"
        self.personal_tokens = {}
        self.oauth_clients = {}
        self.access_tokens = {}
        self.token_lifetime = 3600
        self.issued = []
        self.limits = RateLimits()
        self.provider = "s3"
        self.size_limit = 2147483648
        self.allowed_extensions = ["csv", "gif", "jpg", "json", "log", "pdf", "png", "txt", "xlsx", "zip"]
        self.storage_lifetime = 3600
        self.grants = {}
        self.uploads = {}
        self.tz = _offset("-06:00")
        self.account_administrator = False
        self.host = "localhost"
        self.link_base = None
        self.decision_touches_task = True

    def configure(self, data):
        self.account = data.get("account", self.account)
        self.personal_tokens.update({k: int(v) for k, v in data.get("tokens", {}).items()})
        self.oauth_clients.update(data.get("oauth_clients", {}))
        self.token_lifetime = int(data.get("token_lifetime", self.token_lifetime))
        if data.get("revoke_tokens"):
            self.personal_tokens, self.access_tokens = {}, {}
        if "rate_limit" in data:
            self.limits.configure(data["rate_limit"])
        self.provider = data.get("attachment_provider", self.provider)
        self.size_limit = int(data.get("size_limit", self.size_limit))
        self.allowed_extensions = data.get("allowed_extensions", self.allowed_extensions)
        self.storage_lifetime = float(data.get("storage_lifetime", self.storage_lifetime))
        if "utc_offset" in data:
            self.tz = _offset(data["utc_offset"])
        self.account_administrator = bool(data.get("account_administrator", self.account_administrator))
        self.link_base = data.get("link_base", self.link_base)
        self.decision_touches_task = bool(data.get("decision_touches_task", self.decision_touches_task))

    def seed(self, data):
        for kind in ("people", "teams", "workflow_templates", "request_templates", "workflows", "requests",
                     "tasks", "approvals", "notes"):
            many = len(data.get(kind, [])) > 100
            for spec in data.get(kind, []):
                self.seed_one(kind, dict(spec), many)
            self.colls[kind].settle()

    def seed_one(self, kind, spec, bulk):
        decision = spec.pop("note", None) if kind == "approvals" else None
        fields = {}
        for key, value in spec.items():
            name = key[:-3] if key.endswith("_id") and key[:-3] in REFS else key
            if name in TIMES and isinstance(value, str):
                fields[name] = xq.parse_time(value, self.tz)
            else:
                fields[name] = value
        if kind == "notes":
            owner = ("requests", fields.pop("request")) if "request" in fields else ("tasks", fields.pop("task"))
            fields["owner"] = "%s/%d" % owner
        old = self.colls[kind].rows.get(fields.get("id"))
        if old is None:
            if kind == "requests":
                fields.update(self.template_defaults(fields))
            rec = self.create(kind, fields, bulk=bulk)
            if kind == "requests" and rec["workflow"] is None:
                self.start_workflow(rec)
            return
        status = fields.pop("status", None) if kind == "approvals" else None
        old.update(fields)
        if "updated_at" not in fields:
            old["updated_at"] = time.time()
        self.colls[kind].save(old)
        if status is not None:
            self.decide(old, status, decision)

    def dump(self):
        out = {}
        for kind in ("people", "teams", "request_templates", "requests", "workflows", "tasks"):
            out[kind] = [self.render(kind, r) for r in self.colls[kind].rows.values()]
        out["approvals"] = [dict(self.render("approvals", a), task_id=a["task"])
                            for a in self.colls["approvals"].rows.values()]
        out["notes"] = []
        for n in self.colls["notes"].rows.values():
            kind, owner = n["owner"].split("/")
            out["notes"].append(dict(self.render("notes", n), **{kind[:-1] + "_id": int(owner)}))
        out["uploads"] = {k: {"name": u["name"], "size": len(u["data"]), "content_type": u["content_type"]}
                          for k, u in self.uploads.items()}
        out["oauth_tokens"] = list(self.issued)
        out["account"] = self.account
        return out

    # -- records -------------------------------------------------------------
    def create(self, kind, fields, bulk=False):
        now = time.time()
        rec = dict(DEFAULT_FIELDS.get(kind, {}))
        rec.update({"source": None, "sourceID": None, "created_at": now, "updated_at": now})
        rec.update(fields)
        if rec.get("id") is None:
            rec["id"] = self.next_id[kind]
        self.next_id[kind] = max(self.next_id[kind], rec["id"] + 1)
        self.colls[kind].save(rec, defer=bulk)
        return rec

    def touch(self, kind, rec):
        rec["updated_at"] = max(time.time(), rec["updated_at"])
        self.colls[kind].save(rec)

    def render(self, kind, rec, fields=None):
        out = {}
        for f in fields or (SPECS[kind].field_names if kind in SPECS else list(rec)):
            v = rec.get(f)
            if f in TIMES:
                v = xq.format_time(v, self.tz)
            elif f in REFS:
                v = self.ref(None if kind == "tasks" and f == "template" else REFS[f], v)
            elif f == "attachments":
                v = [dict(a, created_at=xq.format_time(a["created_at"], self.tz)) for a in v]
            out[f] = v
        return out

    def ref(self, kind, rid):
        if rid is None:
            return None
        target = self.colls[kind].rows.get(rid) if kind else None
        if target is None:
            return {"id": rid}
        label = "name" if kind in ("people", "teams") else "subject"
        return {"id": rid, label: target[label]}

    # -- errors, auth, limits, the per-request wrapper -------------------
    def error(self, status, message, errors=None):
        body = {"message": message}
        if status == 429:
            body["documentation_url"] = RATE_DOCS
        if errors is not None:
            body["errors"] = errors
        return Response(status, body)

    def authorize(self, req):
        if req.path in ("/v1", "/v1/", "/token") or req.path.startswith(S3_PATH):
            return None
        auth = req.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        person = self.personal_tokens.get(token)
        if person is None and token in self.access_tokens:
            person, expiry = self.access_tokens[token]
            if expiry <= time.time():
                person = None
        account = req.headers.get("x-xurrent-account") or req.headers.get("x-4me-account")
        if person is None or not account:
            return self.error(401, "Unauthorized")
        if account != self.account:
            return self.error(403, "Forbidden")
        headers, retry = self.limits.take(person, time.time())
        if retry is not None:
            resp = self.error(429, "Too Many Requests")
            resp.headers.update(headers)
            resp.headers["Retry-After"] = str(retry)
            return resp
        req.xr_person, req.xr_limits = person, headers
        return None

    def api(self, handler):
        """Answer with the rate-limit headers; BadRequest is a 400, Forbidden
        a 403, NotFound a 404, Invalid a 422."""
        def wrapped(req, m):
            self.host = req.headers.get("host", "localhost")
            try:
                resp = handler(req, m)
            except BadRequest as e:
                resp = self.error(400, str(e))
            except Forbidden:
                resp = self.error(403, "Forbidden")
            except NotFound:
                resp = self.error(404, "Not Found")
            except Invalid as e:
                resp = self.error(422, "Validation Failed", e.args[0])
            resp.headers.update(getattr(req, "xr_limits", {}))
            return resp
        return wrapped

    def find(self, kind, text):
        """The record of KIND whose id is TEXT; NotFound when there is none."""
        rec = self.colls[kind].rows.get(int(text))
        if rec is None:
            raise NotFound()
        return rec

    def body(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise BadRequest("The request body is not a JSON object")
        return body

    def url(self, req, path):
        return "http://%s%s" % (req.headers.get("host", "localhost"), path)

    def listing(self, req, kind, scope=(), keep=None):
        spec, coll = SPECS[kind], self.colls[kind]
        rows = xq.select(coll, xq.conditions(spec, req.query, self.tz) + list(scope))
        if keep is not None:
            rows = [r for r in rows if keep(r)]
        fields = xq.field_list(spec, req.query)
        base = self.link_base + req.raw_path if self.link_base else self.url(req, req.raw_path)
        chosen, headers = xq.page(spec, rows, req.query, req.raw_query, base)
        return Response(200, [self.render(kind, r, fields) for r in chosen], headers)

    def predefined(self, req, m, group, filters):
        name = m.group(group) if m.lastindex and m.lastindex >= group else None
        name = name or req.query.get("state")
        if name is None:
            return None
        if name not in filters:
            raise BadRequest("Unknown predefined filter: %s" % name)
        return filters[name]

    # -- simple reads ------------------------------------------------------
    def service_url(self, req, m):
        return Response(200, {})

    def not_found(self, req, m):
        return self.error(404, "Not Found")

    def me(self, req, m):
        return Response(200, self.render("people", self.find("people", req.xr_person)))

    def get_record(self, kind):
        def handler(req, m):
            return Response(200, self.render(kind, self.find(kind, m.group(1))))
        return handler

    def list_people(self, req, m):
        keep = self.predefined(req, m, 1, {"enabled": lambda r: not r["disabled"], "disabled": lambda r: r["disabled"]})
        return self.listing(req, "people", keep=keep)

    def list_templates(self, req, m):
        keep = self.predefined(req, m, 1, {"enabled": lambda r: not r["disabled"], "disabled": lambda r: r["disabled"]})
        return self.listing(req, "request_templates", keep=keep)

    def list_requests(self, req, m):
        keep = self.predefined(req, m, 1, {"open": lambda r: r["status"] != "completed",
                                            "completed": lambda r: r["status"] == "completed"})
        return self.listing(req, "requests", keep=keep)

    def get_workflow(self, req, m):
        wf = self.find("workflows", m.group(1))
        return Response(200, {"id": wf["id"], "subject": wf["subject"], "status": wf["status"],
                              "manager": self.ref("people", wf["manager"]), "source": wf["source"],
                              "sourceID": wf["sourceID"], "created_at": xq.format_time(wf["created_at"], self.tz),
                              "updated_at": xq.format_time(wf["updated_at"], self.tz)})

    def workflow_requests(self, req, m):
        wid = self.find("workflows", m.group(1))["id"]
        keep = self.predefined(req, m, 2, {"open": lambda r: r["status"] != "completed",
                                            "completed": lambda r: r["status"] == "completed"})
        return self.listing(req, "requests", [Condition("workflow", "eq", [wid], False)], keep)

    def task_filters(self, req):
        me = req.xr_person
        mine = {a["task"] for a in self.colls["approvals"].find("approver", me)}
        return {"open": lambda r: r["status"] not in TASK_FINISHED,
                "finished": lambda r: r["status"] in TASK_FINISHED,
                "approval_by_me": lambda r: r["category"] == "approval" and r["status"] != "registered"
                and r["id"] in mine,
                "assigned_to_me": lambda r: r["member"] == me,
                "managed_by_me": lambda r: r["manager"] == me}

    def list_tasks(self, req, m):
        return self.listing(req, "tasks", keep=self.predefined(req, m, 1, self.task_filters(req)))

    def workflow_tasks(self, req, m):
        wid = self.find("workflows", m.group(1))["id"]
        keep = self.predefined(req, m, 2, self.task_filters(req))
        return self.listing(req, "tasks", [Condition("workflow", "eq", [wid], False)], keep)

    def list_notes(self, kind):
        def handler(req, m):
            oid = self.find(kind, m.group(1))["id"]
            keep = self.predefined(req, m, 2, {"public": lambda r: not r["internal"], "internal": lambda r: r["internal"]})
            return self.listing(req, "notes", [Condition("owner", "eq", ["%s/%d" % (kind, oid)], False)], keep)
        return handler

    # -- validation of writes ----------------------------------------------
    def check(self, body, field, errors, choices=None, max_len=None, kind=None, required=False, integer=False):
        """Append to ERRORS what is wrong with BODY[FIELD]; returns the value
        (a reference's record id for KIND)."""
        key = field + "_id" if kind else field
        value = body.get(key)
        if value is None or value == "":
            if required:
                errors.append([field, "%s can't be blank" % _human(field)])
            return None
        if choices is not None and value not in choices:
            errors.append([field, "%s is not included in the list" % _human(field)])
        elif max_len is not None and (not isinstance(value, str) or len(value.encode("utf-8")) > max_len):
            errors.append([field, "%s is too long (maximum is %d characters)" % (_human(field), max_len)])
        elif kind and (not isinstance(value, int) or value not in self.colls[kind].rows):
            errors.append([field, "%s is invalid" % _human(field)])
        elif integer and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 600000):
            errors.append([field, "%s is not a number" % _human(field)])
        return value

    def attachments(self, items, field, errors):
        """The stored attachments for an attachments input, or None."""
        if items is None:
            return []
        out = []
        for a in items if isinstance(items, list) else [None]:
            key = a.get("key") if isinstance(a, dict) else None
            up = self.uploads.get(key) if isinstance(key, str) else None
            if up is None:
                errors.append([field, "%s is invalid" % _human(field)])
                return None
            if up["name"].rsplit(".", 1)[-1].lower() not in self.allowed_extensions:
                errors.append([field, "%s has an extension that is not allowed" % _human(field)])
                return None
            out.append({"id": self.new_id("attachments"), "key": key, "name": up["name"], "size": len(up["data"]),
                        "inline": bool(a.get("inline", False)),
                        "uri": "http://%s%s%s" % (self.host, S3_PATH, urllib.parse.quote(key)),
                        "created_at": time.time()})
        return out

    def new_id(self, kind):
        self.next_id[kind] += 1
        return self.next_id[kind] - 1

    def source_fields(self, req, body, errors, rec):
        self.check(body, "source", errors, max_len=30)
        self.check(body, "sourceID", errors, max_len=128)
        changes = {f: body[f] for f in ("source", "sourceID") if f in body}
        if rec is not None and changes and any(rec[f] != v for f, v in changes.items()) \
                and not self.account_administrator:
            raise Forbidden()
        if rec is None and not changes.get("source"):
            changes["source"] = (req.headers.get("x-xurrent-source") or req.headers.get("x-4me-source")
                                 or req.headers.get("user-agent") or "Xurrent API")[:30]
        return changes

    def note_inputs(self, body, errors, pairs):
        """[(internal, text, attachments)] for the note fields PAIRS of BODY."""
        notes = []
        for field, internal in pairs:
            text = self.check(body, field, errors, max_len=NOTE_MAX)
            files = self.attachments(body.get(field + "_attachments"), field + "_attachments", errors)
            if text or files:
                notes.append((internal, text or "", files or []))
        return notes

    def add_note(self, kind, owner, person, internal, text, files):
        return self.create("notes", {"owner": "%s/%d" % (kind, owner["id"]), "person": person,
                                     "internal": internal, "text": text, "attachments": files})

    def custom_fields(self, value, errors):
        ok = isinstance(value, list) and all(isinstance(c, dict) and isinstance(c.get("id"), str) and "value" in c
                                             for c in value)
        if not ok:
            errors.append(["custom_fields", "Custom fields is invalid"])
        return value

    # -- requests ---------------------------------------------------------
    def request_changes(self, req, body, rec):
        """The field changes and notes a request write asks for; Invalid or
        Forbidden when it may not be made."""
        errors, ch = [], {}
        for field, kind in (("requested_for", "people"), ("requested_by", "people"), ("team", "teams"),
                            ("member", "people"), ("template", "request_templates"), ("workflow", "workflows")):
            if field + "_id" in body:
                ch[field] = self.check(body, field, errors, kind=kind)
        for field, choices, max_len in (("subject", None, 255), ("category", REQUEST_CATEGORIES, None),
                                        ("impact", IMPACTS, None), ("status", REQUEST_STATUSES, None),
                                        ("completion_reason", COMPLETION_REASONS, None)):
            if field in body:
                ch[field] = self.check(body, field, errors, choices=choices, max_len=max_len)
        if "service_instance_id" in body:
            # Service instances are not kept here: any id stands for one.
            ch["service_instance"] = body["service_instance_id"]
            if not isinstance(ch["service_instance"], int) or isinstance(ch["service_instance"], bool):
                errors.append(["service_instance", "Service instance is invalid"])
        if "custom_fields" in body:
            ch["custom_fields"] = self.custom_fields(body["custom_fields"], errors)
        if "urgent" in body:
            ch["urgent"] = bool(body["urgent"])
        if "waiting_until" in body:
            ch["waiting_until"] = xq.parse_time(str(body["waiting_until"]), self.tz)
        ch.update(self.source_fields(req, body, errors, rec))
        notes = self.note_inputs(body, errors, (("note", False), ("internal_note", True)))
        if rec is None:
            ch.update(self.template_defaults(ch))
        merged = dict(rec or DEFAULT_FIELDS["requests"], **ch)
        if not errors:
            for f in ("subject", "category"):
                if not merged.get(f):
                    errors.append([f, "%s can't be blank" % _human(f)])
            if merged["category"] == "incident" and not merged.get("impact"):
                errors.append(["impact", "Impact can't be blank"])
            # Required; a service instance brings its first line team (not
            # kept here), so one stands in for the team.
            if rec is None and not merged.get("team") and not merged.get("service_instance"):
                errors.append(["team", "Team can't be blank"])
            if merged["status"] == "completed" and not merged.get("completion_reason"):
                errors.append(["completion_reason", "Completion reason can't be blank"])
        if errors:
            raise Invalid(errors)
        return ch, notes

    def template_defaults(self, fields):
        """What a new request's template fills in where FIELDS leave it empty."""
        template = self.colls["request_templates"].rows.get(fields.get("template"))
        if template is None:
            return {}
        return {f: template[f] for f in ("category", "impact", "subject") if fields.get(f) is None}

    def create_request(self, req, m):
        ch, notes = self.request_changes(req, self.body(req), None)
        me = req.xr_person
        ch.setdefault("requested_for", me)
        ch.setdefault("requested_by", me)
        ch["created_by"] = me
        if ch.get("status") == "completed":
            ch["completed_at"] = time.time()
        rec = self.create("requests", ch)
        for internal, text, files in notes:
            self.add_note("requests", rec, me, internal, text, files)
        if rec["workflow"] is None:
            self.start_workflow(rec)
        return Response(201, self.render("requests", rec))

    def update_request(self, req, m):
        rec = self.find("requests", m.group(1))
        ch, notes = self.request_changes(req, self.body(req), rec)
        if "status" in ch and ch["status"] != rec["status"]:
            ch["completed_at"] = time.time() if ch["status"] == "completed" else None
        rec.update(ch)
        for internal, text, files in notes:
            self.add_note("requests", rec, req.xr_person, internal, text, files)
        self.touch("requests", rec)
        return Response(200, self.render("requests", rec))

    def create_note(self, req, m):
        rec = self.find("requests", m.group(1))
        body, errors = self.body(req), []
        text = self.check(body, "text", errors, max_len=NOTE_MAX, required=True)
        files = self.attachments(body.get("attachments"), "attachments", errors)
        if errors:
            raise Invalid(errors)
        note = self.add_note("requests", rec, req.xr_person, bool(body.get("internal", False)), text, files)
        self.touch("requests", rec)
        return Response(201, {"id": note["id"]})

    def start_workflow(self, rec):
        """The workflow of REC's template's workflow template, if it has one."""
        template = self.colls["request_templates"].rows.get(rec["template"])
        wt = self.colls["workflow_templates"].rows.get(template["workflow_template"]) if template else None
        if wt is None:
            return
        wf = self.create("workflows", {"subject": rec["subject"], "manager": wt["manager"]})
        for i, t in enumerate(wt["tasks"]):
            task = self.create("tasks", {"workflow": wf["id"], "subject": t["subject"], "category": t["category"],
                                         "required_approvals": t.get("required_approvals", 1),
                                         "manager": wf["manager"], "planned_duration": 60})
            for approver in t.get("approver_ids", []):
                self.create("approvals", {"task": task["id"], "approver": approver})
            if i == 0:
                self.set_task_status(task, "assigned")
        rec["workflow"], rec["status"] = wf["id"], "workflow_pending"
        self.colls["requests"].save(rec)

    # -- tasks and approvals -------------------------------------------------
    def task_approvals(self, task):
        return self.colls["approvals"].find("task", task["id"])

    def set_task_status(self, task, status):
        task["status"] = status
        if status in TASK_FINISHED:
            task["finished_at"] = time.time()
        for a in self.task_approvals(task):
            new = {"assigned": "assigned" if a["status"] == "registered" else None,
                   "canceled": "canceled" if a["status"] in ("registered", "assigned") else None}.get(status)
            if new:
                a["status"] = new
                self.touch("approvals", a)
        self.touch("tasks", task)
        if status in ("approved", "completed"):
            later = [t for t in self.colls["tasks"].find("workflow", task["workflow"])
                     if t["id"] > task["id"] and t["status"] == "registered"]
            if later:
                self.set_task_status(later[0], "assigned")

    def decide(self, approval, status, note):
        """The approver records STATUS on APPROVAL (with NOTE on the task);
        the task follows: one rejection rejects it, enough approvals approve it."""
        task = self.colls["tasks"].rows[approval["task"]]
        approval["status"] = status
        self.touch("approvals", approval)
        if note:
            self.add_note("tasks", task, approval["approver"], False, note, [])
        states = [a["status"] for a in self.task_approvals(task)]
        if task["status"] in TASK_FINISHED:
            pass
        elif "rejected" in states:
            task["rejection_count"] += 1
            self.set_task_status(task, "rejected")
            return
        elif states.count("approved") >= task["required_approvals"]:
            self.set_task_status(task, "approved")
            return
        # The task's own fields are as they were (U6): touched only when
        # the account is set to say so.
        if self.decision_touches_task:
            self.touch("tasks", task)

    def task_changes(self, req, body, task):
        errors, ch = [], {}
        for field, choices, max_len in (("subject", None, 255), ("category", TASK_CATEGORIES, None),
                                        ("status", TASK_STATUSES, None)):
            if field in body or task is None:
                ch[field] = self.check(body, field, errors, choices=choices, max_len=max_len,
                                       required=task is None and field != "status")
        for field in ("planned_duration", "required_approvals"):
            if field in body or (task is None and field == "planned_duration"):
                ch[field] = self.check(body, field, errors, integer=True, required=task is None
                                       and field == "planned_duration")
        for field, kind in (("team", "teams"), ("member", "people")):
            if field + "_id" in body:
                ch[field] = self.check(body, field, errors, kind=kind)
        if task is None and "template_id" in body:
            ch["template"] = body["template_id"]
            if not isinstance(ch["template"], int) or isinstance(ch["template"], bool):
                errors.append(["template", "Template is invalid"])
        if task is None and ch.get("category") != "approval" and not ch.get("team"):
            errors.append(["team", "Team can't be blank"])
        if "custom_fields" in body:
            ch["custom_fields"] = self.custom_fields(body["custom_fields"], errors)
        ch.update(self.source_fields(req, body, errors, task))
        notes = self.note_inputs(body, errors, (("note", False),))
        if errors:
            raise Invalid(errors)
        return {k: v for k, v in ch.items() if v is not None or k in ("team", "member")}, notes

    def create_task(self, req, m):
        wf = self.find("workflows", m.group(1))
        ch, notes = self.task_changes(req, self.body(req), None)
        status = ch.pop("status", None) or "registered"
        task = self.create("tasks", dict(ch, workflow=wf["id"], manager=wf["manager"]))
        for _, text, files in notes:
            self.add_note("tasks", task, req.xr_person, False, text, files)
        self.set_task_status(task, status)
        return Response(201, self.render("tasks", task))

    def update_task(self, req, m):
        task = self.find("tasks", m.group(1))
        ch, notes = self.task_changes(req, self.body(req), task)
        status = ch.pop("status", None)
        mine = None
        if status in ("approved", "rejected") and task["category"] == "approval":
            mine = next((a for a in self.task_approvals(task)
                         if a["approver"] == req.xr_person and a["status"] == "assigned"), None)
            if mine is None:
                raise Invalid([["status", "Status can only be set to %s by an approver of the task" % status]])
        task.update(ch)
        for _, text, files in notes:
            self.add_note("tasks", task, req.xr_person, False, text, files)
        if mine is not None:
            self.decide(mine, status, None)
        elif status is not None and status != task["status"]:
            self.set_task_status(task, status)
        else:
            self.touch("tasks", task)
        return Response(200, self.render("tasks", task))

    def list_approvals(self, req, m):
        tid = self.find("tasks", m.group(1))["id"]
        return self.listing(req, "approvals", [Condition("task", "eq", [tid], False)])

    def add_approval(self, req, m):
        task = self.find("tasks", m.group(1))
        body, errors = self.body(req), []
        approver = self.check(body, "approver", errors, kind="people", required=True)
        effort = self.check(body, "planned_effort", errors, integer=True)
        if not errors and any(a["approver"] == approver for a in self.task_approvals(task)):
            errors.append(["approver", "Approver has already been taken"])
        if not errors and task["status"] in TASK_FINISHED:
            errors.append(["task", "Task is finished"])
        if errors:
            raise Invalid(errors)
        status = "registered" if task["status"] == "registered" else "assigned"
        a = self.create("approvals", {"task": task["id"], "approver": approver, "planned_effort": effort,
                                      "status": status})
        self.touch("tasks", task)
        return Response(201, self.render("approvals", a))

    def approval_of(self, m):
        """The approval of the path's task and approval ids; NotFound else."""
        a = self.find("approvals", m.group(2))
        if a["task"] != int(m.group(1)):
            raise NotFound()
        return a

    def update_approval(self, req, m):
        a = self.approval_of(m)
        body, errors = self.body(req), []
        if "planned_effort" in body:
            a["planned_effort"] = self.check(body, "planned_effort", errors, integer=True)
        if errors:
            raise Invalid(errors)
        self.touch("approvals", a)
        return Response(200, self.render("approvals", a))

    def remove_approval(self, req, m):
        a = self.approval_of(m)
        self.colls["approvals"].remove(a["id"])
        self.touch("tasks", self.colls["tasks"].rows[a["task"]])
        return Response(204)

    def remove_approvals(self, req, m):
        task = self.find("tasks", m.group(1))
        for a in self.task_approvals(task):
            self.colls["approvals"].remove(a["id"])
        self.touch("tasks", task)
        return Response(204)

    # -- attachments -------------------------------------------------------
    def storage(self, req, m):
        """A grant to upload one or more files: the key template and the
        provider's signed fields, valid storage_lifetime seconds."""
        now = time.time()
        stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        key = "attachments/5/%s/%s/${filename}" % (stamp.strftime("%Y/%m/%d"), os.urandom(6).hex())
        signature = hashlib.sha256(os.urandom(16)).hexdigest()
        if self.provider == "s3":
            params = {"acl": "private", "key": key,
                      "policy": base64.b64encode(os.urandom(24)).decode(), "success_action_status": 201,
                      "x-amz-algorithm": "AWS4-HMAC-SHA256",
                      "x-amz-credential": "AKIAEMULATOR/%s/us-east-1/s3/aws4_request" % stamp.strftime("%Y%m%d"),
                      "x-amz-date": stamp.strftime("%Y%m%dT%H%M%SZ"), "x-amz-server-side-encryption": "AES256",
                      "x-amz-signature": signature}
            uri = self.url(req, S3_PATH)
        else:
            params = {"key": key, "X-Xurrent-expiration": xq.format_time(now + self.storage_lifetime,
                                                                          datetime.timezone.utc),
                      "X-Xurrent-signature": signature}
            uri = self.url(req, "/v1/attachments")
        self.grants[signature] = {"provider": self.provider, "params": params, "expires": now + self.storage_lifetime}
        return Response(200, {"size_limit": self.size_limit, "allowed_extensions": self.allowed_extensions,
                              "provider": self.provider, "upload_uri": uri, self.provider: params})

    def upload(self, req, provider, signature_field):
        """(key, None) for an upload that meets its grant, else (None, reason)."""
        parts = multipart.parse(req.headers.get("content-type"), req.body)
        if not parts or parts[0].name != "Content-Type" or parts[-1].name != "file" or not parts[-1].filename:
            return None, "the form must start with Content-Type and end with file"
        fields = {p.name: p.data.decode("utf-8", "replace") for p in parts[1:-1]}
        grant = self.grants.get(fields.get(signature_field))
        if grant is None or grant["provider"] != provider or time.time() > grant["expires"]:
            return None, "the upload grant is unknown or expired"
        wanted = {k: str(v) for k, v in grant["params"].items()}
        if fields != wanted:
            return None, "the form fields do not match the grant"
        data = parts[-1].data
        if len(data) > self.size_limit:
            return None, "too large"
        name = os.path.basename(parts[-1].filename)
        key = wanted["key"].replace("${filename}", name)
        self.uploads[key] = {"name": name, "data": data, "content_type": parts[0].data.decode("utf-8", "replace")}
        return key, None

    def local_upload(self, req, m):
        if self.provider != "local":
            return self.error(404, "Not Found")
        key, reason = self.upload(req, "local", "X-Xurrent-signature")
        if key is None:
            raise Invalid([["file", "File is invalid: %s" % reason]])
        return Response(200, {"key": key})

    def s3_error(self, status, code, message):
        return Response(status, ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s'
                                 '</Message></Error>' % (code, message)).encode(), {"Content-Type": "application/xml"})

    def s3_upload(self, req, m):
        if "authorization" in req.headers:
            return self.s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                                 "query parameter, Signature query string parameter or the Authorization header "
                                 "should be specified")
        key, reason = self.upload(req, "s3", "x-amz-signature")
        if key is None:
            return self.s3_error(403, "AccessDenied", "Invalid according to Policy: %s" % reason)
        location = self.url(req, S3_PATH + urllib.parse.quote(key, safe=""))
        return Response(201, ('<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>%s</Location>'
                              '<Bucket>xurrent-attachments</Bucket><Key>%s</Key><ETag>"%s"</ETag></PostResponse>'
                              % (location, key, hashlib.md5(self.uploads[key]["data"]).hexdigest())).encode(),
                        {"Content-Type": "application/xml"})

    def s3_download(self, req, m):
        up = self.uploads.get(urllib.parse.unquote(m.group(1)))
        if up is None:
            return self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return Response(200, up["data"], {"Content-Type": up["content_type"]})

    # -- OAuth ---------------------------------------------------------------
    def oauth_token(self, req, m):
        form = req.json() if req.headers.get("content-type", "").startswith("application/json") else None
        if not isinstance(form, dict):
            form = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        client = self.oauth_clients.get(form.get("client_id"))
        if client is None or client.get("secret") != form.get("client_secret"):
            return Response(400, {"error": "invalid_client", "error_description": "Client authentication failed"})
        token = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        self.access_tokens[token] = (int(client["person"]), time.time() + self.token_lifetime)
        self.issued.append(token)
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime})

