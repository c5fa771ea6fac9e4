# SPDX-License-Identifier: Apache-2.0
"""The emulator's Xurrent behaves as developer.xurrent.com documents it
(doc/itsm-xurrent.md): the account header and bearer token, filters and
cursor paging, approval tasks and their approvals, notes, the two-step
attachment upload, both rate limits, 422 validation errors, and the generic
faults on its paths."""

import json
import re
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import harness
import tenant
import xurrent_seed as xs

TOKEN, ACCOUNT = xs.TOKEN, xs.ACCOUNT
MIA, SAM, ALICE = xs.person_id("mia"), xs.person_id("sam"), xs.person_id("alice")


def links(headers):
    """{rel: url} of a Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]*)>;\s*rel="(\w+)"', headers.get("Link", ""))}


class XurrentCase(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.emu.call("POST", "/_emu/config/xurrent", xs.config())
        self.emu.seed({"xurrent": xs.seed()})

    def config(self, **settings):
        self.emu.call("POST", "/_emu/config/xurrent", settings)

    def call(self, method, path, arg=None, token=TOKEN, account=ACCOUNT, headers=None, query=None, data=None):
        """METHOD path; ARG is a GET's query parameters (QUERY: a raw query
        string instead) or another method's JSON body (DATA: raw bytes
        instead). Returns (status, headers, parsed body)."""
        params, body = (arg, None) if method == "GET" else (None, arg)
        url = self.emu.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        elif query:
            url += "?" + query
        if data is None and body is not None:
            data = json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        if account:
            req.add_header("X-Xurrent-Account", account)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), self.parse(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), self.parse(e.read())

    @staticmethod
    def parse(raw):
        return json.loads(raw) if raw[:1] in (b"{", b"[") else raw

    def follow(self, url, token=TOKEN):
        """GET an absolute URL from a Link header."""
        parts = urllib.parse.urlsplit(url)
        return self.call("GET", parts.path, query=parts.query, token=token)

    def new_request(self, **fields):
        spec = dict(xs.vpn_request(), **fields)
        self.emu.seed({"xurrent": {"requests": [spec]}})
        return max(self.emu.state("xurrent")["requests"], key=lambda r: r["id"])


class AuthAndRouting(XurrentCase):
    def test_the_account_header_is_required(self):
        status, headers, body = self.call("GET", "/v1/requests", account=None)
        self.assertEqual((status, body), (401, {"message": "Unauthorized"}))
        self.assertNotIn("X-RateLimit-Remaining", headers)
        status, _, body = self.call("GET", "/v1/requests", account="another-account")
        self.assertEqual((status, body), (403, {"message": "Forbidden"}))
        self.assertEqual(self.call("GET", "/v1/requests")[0], 200)
        # The legacy header still names the account.
        status, _, _ = self.call("GET", "/v1/requests", account=None, headers={"X-4me-Account": ACCOUNT})
        self.assertEqual(status, 200)

    def test_a_token_is_required(self):
        for token in (None, "not-a-token"):
            status, _, body = self.call("GET", "/v1/me", token=token)
            self.assertEqual((status, body), (401, {"message": "Unauthorized"}))
        status, _, me = self.call("GET", "/v1/me")
        self.assertEqual((status, me["primary_email"]), (200, xs.SERVICE["primary_email"]))
        # The service URL answers without credentials, as the docs' first test does.
        self.assertEqual(self.call("GET", "/v1", token=None, account=None)[:3:2], (200, {}))
        self.config(revoke_tokens=True)
        self.assertEqual(self.call("GET", "/v1/me")[0], 401)

    def test_oauth_client_credentials(self):
        self.config(oauth_clients={"cid": {"secret": "s3cret", "person": xs.SERVICE["id"]}}, token_lifetime=1)
        form = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "s3cret"}
        status, _, tok = self.call("POST", "/token", token=None, account=None,
                                   data=urllib.parse.urlencode(form).encode(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, tok["token_type"], tok["expires_in"]), (200, "Bearer", 1))
        self.assertEqual(self.call("GET", "/v1/me", token=tok["access_token"])[0], 200)
        time.sleep(1.1)
        self.assertEqual(self.call("GET", "/v1/me", token=tok["access_token"])[0], 401)
        form["client_secret"] = "wrong"
        status, _, body = self.call("POST", "/token", token=None, account=None,
                                    data=urllib.parse.urlencode(form).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, body["error"]), (400, "invalid_client"))

    def test_paths_do_not_collide_with_graph(self):
        self.emu.seed({"graph": tenant.graph_seed()})
        status, _, body = self.call("GET", "/v1.0/users", token="x", account=None)
        self.assertEqual((status, body["error"]["code"]), (401, "InvalidAuthenticationToken"))
        status, _, body = self.call("GET", "/v1/no_such_api")
        self.assertEqual((status, body), (404, {"message": "Not Found"}))
        status, _, body = self.call("GET", "/v1/requests/99999999")
        self.assertEqual((status, body), (404, {"message": "Not Found"}))


class Collections(XurrentCase):
    def seed_requests(self, n, start="2026-11-01T00:00:00Z"):
        t0 = time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        reqs = [dict(xs.vpn_request(), id=80000 + i, subject="VPN %d" % i, impact="low" if i % 3 else "medium",
                     updated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + 60 * (n - i))))
                for i in range(n)]
        self.emu.seed({"xurrent": {"requests": reqs}})

    def ids(self, params):
        status, headers, body = self.call("GET", "/v1/requests", params)
        self.assertEqual(status, 200, body)
        return [r["id"] for r in body]

    def test_filters(self):
        self.seed_requests(6)
        # 80005 changed first (00:01), 80000 last (00:06).
        self.assertEqual(self.ids({"updated_at": ">=2026-11-01T00:04:00Z", "sort": "updated_at"}),
                         [80002, 80001, 80000])
        self.assertEqual(self.ids({"updated_at": ">2026-11-01T00:04:00Z", "sort": "updated_at"}), [80001, 80000])
        self.assertEqual(self.ids({"updated_at": ">=2026-11-01T00:02:00Z<2026-11-01T00:04:00Z", "sort": "id"}),
                         [80003, 80004])
        # The same instant in the account's offset, and the query string as the docs write it.
        status, _, body = self.call("GET", "/v1/requests", query="updated_at=>=2026-10-31T18:05:00-06:00&sort=id")
        self.assertEqual([r["id"] for r in body], [80000, 80001])
        self.assertEqual(self.ids({"impact": "medium"}), [80003, 80000])
        self.assertEqual(len(self.ids({"impact": "low,medium"})), 6)
        self.assertEqual(self.ids({"impact": "!low"}), [80003, 80000])
        self.assertEqual(self.ids({"impact!": "low,high"}), [80003, 80000])
        self.assertEqual(len(self.ids({"status": "workflow_pending"})), 6)
        self.assertEqual(self.ids({"id": "80001,80004", "sort": "id"}), [80001, 80004])
        self.assertEqual(len(self.ids({"template": xs.TEMPLATE_IDS["VPN Access"]})), 6)
        self.assertEqual(len(self.ids({"member_id": ""})), 6)
        self.assertEqual(self.ids({"member_id": "!"}), [])
        # String filters are case sensitive; primary_email is not.
        self.assertEqual(self.ids({"subject": "vpn 1"}), [])
        self.assertEqual(self.ids({"subject": "VPN 1"}), [80001])
        status, _, people = self.call("GET", "/v1/people", {"primary_email": "ALICE@contoso.EXAMPLE",
                                                            "fields": "primary_email"})
        self.assertEqual(people, [{"id": ALICE, "primary_email": tenant.upn("alice")}])

    def test_refused_queries(self):
        cases = [
            ({"subject": "a,b"}, "Cannot apply the '=' operator to a set of values for field 'subject'"),
            ({"subject": ">a"}, "Field 'subject' does not support the '=>' operator"),
            ({"no_such": "1"}, "Unknown fields: no_such"),
            ({"completion_reason": "solved"}, "Filtering not allowed on fields: completion_reason"),
            ({"sort": "completion_reason"}, "Sorting not allowed on fields: completion_reason"),
            ({"per_page": "0"}, "Parameter 'per_page' cannot be less than 1"),
            ({"per_page": "101"}, "Parameter 'per_page' cannot be greater than 100"),
            ({"updated_at": ">=yesterday"}, "Invalid value 'yesterday' for field 'updated_at'"),
        ]
        for params, message in cases:
            with self.subTest(params=params):
                self.assertEqual(self.call("GET", "/v1/requests", params)[::2], (400, {"message": message}))
        # An unencoded "+" of an offset reads as a space, as in any query string.
        status, _, _ = self.call("GET", "/v1/requests", query="updated_at=>=2026-11-01T00:00:00+01:00")
        self.assertEqual(status, 400)

    def test_cursor_paging(self):
        self.seed_requests(250)
        params = {"updated_at": ">=2026-11-01T00:00:00Z", "sort": "updated_at", "per_page": "100",
                  "fields": "updated_at"}
        status, headers, body = self.call("GET", "/v1/requests", params)
        seen, pages = [r["id"] for r in body], 1
        self.assertEqual((headers["X-Pagination-Per-Page"], headers["X-Pagination-Current-Page"],
                          headers["X-Pagination-Total-Pages"], headers["X-Pagination-Total-Entries"]),
                         ("100", "1", "3", "250"))
        self.assertEqual(set(links(headers)), {"next"})
        while "next" in links(headers):
            nxt = links(headers)["next"]
            self.assertIn("search_after=", nxt)
            self.assertTrue(nxt.startswith(self.emu.url + "/v1/requests?"))
            status, headers, body = self.follow(nxt)
            self.assertEqual(status, 200)
            pages += 1
            seen += [r["id"] for r in body]
            self.assertEqual(headers["X-Pagination-Current-Page"], str(pages))
            self.assertEqual(set(links(headers)), {"first", "prev", "next"} if pages < 3 else {"first", "prev"})
        self.assertEqual(pages, 3)
        self.assertEqual(seen, list(range(80249, 79999, -1)))  # oldest change first
        status, _, body = self.follow(links(headers)["prev"])
        self.assertEqual([r["id"] for r in body], list(range(80149, 80049, -1)))
        # A record changed between pages moves behind the cursor, not into a
        # page already read twice.
        status, headers, first = self.call("GET", "/v1/requests", params)
        self.emu.seed({"xurrent": {"requests": [{"id": 80249, "status": "accepted"}]}})
        rest = []
        while "next" in links(headers):
            status, headers, body = self.follow(links(headers)["next"])
            rest += [r["id"] for r in body]
        self.assertEqual(rest[-1], 80249)
        self.assertEqual(len(set(r["id"] for r in first) | set(rest)), 250)
        status, _, body = self.call("GET", "/v1/requests", query="search_after=garbage")
        self.assertEqual((status, body), (400, {"message": "Invalid cursor"}))
        self.config(link_base="https://elsewhere.example")
        status, headers, _ = self.call("GET", "/v1/requests", params)
        self.assertTrue(links(headers)["next"].startswith("https://elsewhere.example/v1/requests?"))

    def test_default_page_order_and_fields(self):
        self.seed_requests(25)
        status, headers, body = self.call("GET", "/v1/requests")
        self.assertEqual(len(body), 20)
        self.assertEqual(body[0]["id"], 80024)  # descending id by default
        self.assertEqual(set(body[0]), {"id", "sourceID", "subject", "category", "impact", "status",
                                        "next_target_at", "completed_at", "team", "member", "grouped_into",
                                        "service_instance", "created_at", "updated_at"})
        status, _, body = self.call("GET", "/v1/requests", {"fields": "custom_fields,requested_for,template",
                                                            "id": "80001"})
        self.assertEqual(body, [{"id": 80001, "custom_fields": xs.vpn_request()["custom_fields"],
                                 "requested_for": {"id": ALICE, "name": "Alice"},
                                 "template": {"id": xs.TEMPLATE_IDS["VPN Access"], "subject": "VPN Access"}}])
        self.assertRegex(body and self.call("GET", "/v1/requests/80001")[2]["updated_at"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-06:00$")


class Approvals(XurrentCase):
    def setUp(self):
        super().setUp()
        self.emu.seed({"xurrent": xs.seed(approvals="observe")})
        self.config(tokens={"mia-token": MIA, "sam-token": SAM})

    def tasks(self, params):
        status, _, body = self.call("GET", "/v1/tasks", dict(params, fields="workflow,status,required_approvals,"
                                                                             "rejection_count,updated_at"))
        self.assertEqual(status, 200, body)
        return body

    def test_the_template_starts_its_workflow(self):
        req = self.new_request()
        self.assertEqual(req["status"], "workflow_pending")
        wf = req["workflow"]["id"]
        status, _, tasks = self.call("GET", "/v1/workflows/%d/tasks" % wf, {"sort": "id", "fields": "subject,status,"
                                                                                           "category"})
        self.assertEqual([(t["subject"], t["status"], t["category"]) for t in tasks],
                         [("Manager approval", "assigned", "approval"), ("Security approval", "registered", "approval")])
        status, _, approvals = self.call("GET", "/v1/tasks/%d/approvals" % tasks[0]["id"])
        self.assertEqual([(a["approver"]["id"], a["status"]) for a in approvals], [(MIA, "assigned")])
        status, _, approvals = self.call("GET", "/v1/tasks/%d/approvals" % tasks[1]["id"], {"status": "assigned"})
        self.assertEqual(approvals, [])
        status, _, reqs = self.call("GET", "/v1/workflows/%d/requests" % wf)
        self.assertEqual([r["id"] for r in reqs], [req["id"]])
        status, _, reqs = self.call("GET", "/v1/requests", {"workflow": wf})
        self.assertEqual([r["id"] for r in reqs], [req["id"]])

    def test_a_decision_shows_in_the_task_not_the_request(self):
        req = self.new_request()
        _, _, before = self.call("GET", "/v1/requests/%d" % req["id"])
        mark = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        tasks = self.tasks({"workflow": req["workflow"]["id"], "sort": "id"})
        approval = self.call("GET", "/v1/tasks/%d/approvals" % tasks[0]["id"])[2][0]
        time.sleep(1.1)
        self.emu.seed({"xurrent": {"approvals": [{"id": approval["id"], "status": "approved"}]}})
        changed = self.tasks({"category": "approval", "updated_at": ">=" + mark, "sort": "updated_at"})
        self.assertEqual([(t["id"], t["status"]) for t in changed],
                         [(tasks[0]["id"], "approved"), (tasks[1]["id"], "assigned")])
        self.assertEqual(self.call("GET", "/v1/requests/%d" % req["id"])[2]["updated_at"], before["updated_at"])
        status, _, approvals = self.call("GET", "/v1/tasks/%d/approvals" % tasks[1]["id"])
        self.assertEqual([(a["approver"]["id"], a["status"]) for a in approvals], [(SAM, "assigned")])

    def test_approvals_counted_and_a_rejection(self):
        req = self.new_request()
        task = self.tasks({"workflow": req["workflow"]["id"], "sort": "id"})[0]
        self.call("PATCH", "/v1/tasks/%d" % task["id"], {"required_approvals": 2})
        status, _, a2 = self.call("POST", "/v1/tasks/%d/approvals" % task["id"], {"approver_id": SAM})
        self.assertEqual((status, a2["status"]), (201, "assigned"))
        status, _, body = self.call("POST", "/v1/tasks/%d/approvals" % task["id"], {"approver_id": SAM})
        self.assertEqual((status, body["errors"]), (422, [["approver", "Approver has already been taken"]]))
        # Mia approves through the API with her own token: one of two.
        status, _, t = self.call("PATCH", "/v1/tasks/%d" % task["id"], {"status": "approved", "note": "fine"},
                                 token="mia-token")
        self.assertEqual((status, t["status"]), (200, "assigned"))
        # Sam rejects with a reason: the task is rejected.
        self.emu.seed({"xurrent": {"approvals": [{"id": a2["id"], "status": "rejected",
                                                  "note": "No VPN for contractors"}]}})
        t = self.call("GET", "/v1/tasks/%d" % task["id"])[2]
        self.assertEqual((t["status"], t["rejection_count"]), ("rejected", 1))
        self.assertIsNotNone(t["finished_at"])
        status, _, notes = self.call("GET", "/v1/tasks/%d/notes" % task["id"])
        self.assertEqual([(n["person"]["id"], n["text"]) for n in notes],
                         [(MIA, "fine"), (SAM, "No VPN for contractors")])

    def test_a_partial_decision_may_leave_the_task_as_it_was(self):
        # U6 has two readings; the account setting picks the other one.
        self.config(decision_touches_task=False)
        req = self.new_request()
        task = self.tasks({"workflow": req["workflow"]["id"], "sort": "id"})[0]
        self.call("PATCH", "/v1/tasks/%d" % task["id"], {"required_approvals": 2})
        self.call("POST", "/v1/tasks/%d/approvals" % task["id"], {"approver_id": SAM})
        before = self.call("GET", "/v1/tasks/%d" % task["id"])[2]
        time.sleep(1.1)
        status, _, t = self.call("PATCH", "/v1/tasks/%d" % task["id"], {"status": "approved"}, token="mia-token")
        self.assertEqual((status, t["status"], t["updated_at"]), (200, "assigned", before["updated_at"]))
        approvals = self.call("GET", "/v1/tasks/%d/approvals" % task["id"])[2]
        self.assertEqual(sorted(a["status"] for a in approvals), ["approved", "assigned"])
        # The decision that changes the task's status moves it, as any change of its own.
        time.sleep(1.1)
        self.call("PATCH", "/v1/tasks/%d" % task["id"], {"status": "approved"}, token="sam-token")
        t = self.call("GET", "/v1/tasks/%d" % task["id"])[2]
        self.assertEqual(t["status"], "approved")
        self.assertGreater(t["updated_at"], before["updated_at"])

    def test_only_an_approver_decides(self):
        req = self.new_request()
        task = self.tasks({"workflow": req["workflow"]["id"], "sort": "id"})[0]
        status, _, body = self.call("PATCH", "/v1/tasks/%d" % task["id"], {"status": "approved"}, token="sam-token")
        self.assertEqual((status, body["message"]), (422, "Validation Failed"))
        self.assertEqual(self.call("GET", "/v1/tasks/%d" % task["id"])[2]["status"], "assigned")
        status, _, mine = self.call("GET", "/v1/tasks/approval_by_me", token="mia-token")
        self.assertEqual([t["id"] for t in mine], [task["id"]])

    def test_an_approval_task_created_and_cancelled(self):
        self.emu.seed({"xurrent": xs.seed(approvals="create")})
        req = self.new_request()
        wf = req["workflow"]["id"]
        self.assertEqual(self.call("GET", "/v1/workflows/%d/tasks" % wf)[2], [])
        action = "RITM.r0.s0.manager.approve"
        body = {"subject": "Approval: manager", "category": "approval", "planned_duration": 60,
                "required_approvals": 1, "status": "assigned", "source": "accessd", "sourceID": action}
        status, _, err = self.call("POST", "/v1/workflows/%d/tasks" % wf, dict(body, planned_duration=None))
        self.assertEqual((status, err["errors"]), (422, [["planned_duration", "Planned duration can't be blank"]]))
        status, _, err = self.call("POST", "/v1/workflows/%d/tasks" % wf, dict(body, category="implementation"))
        self.assertEqual((status, err["errors"]), (422, [["team", "Team can't be blank"]]))
        status, _, task = self.call("POST", "/v1/workflows/%d/tasks" % wf, dict(body, template_id=42))
        self.assertEqual((status, task["status"], task["sourceID"], task["source"], task["template"]),
                         (201, "assigned", action, "accessd", {"id": 42}))
        status, _, a = self.call("POST", "/v1/tasks/%d/approvals" % task["id"], {"approver_id": MIA})
        self.assertEqual((status, a["status"]), (201, "assigned"))
        status, _, found = self.call("GET", "/v1/tasks", {"source": "accessd", "sourceID": action})
        self.assertEqual([t["id"] for t in found], [task["id"]])
        status, _, t = self.call("PATCH", "/v1/tasks/%d" % task["id"], {"status": "canceled"})
        self.assertEqual(t["status"], "canceled")
        self.assertEqual(self.call("GET", "/v1/tasks/%d/approvals" % task["id"])[2][0]["status"], "canceled")
        status, _, err = self.call("POST", "/v1/tasks/%d/approvals" % task["id"], {"approver_id": SAM})
        self.assertEqual(status, 422)
        self.assertEqual(self.call("DELETE", "/v1/tasks/%d/approvals/%d" % (task["id"], a["id"]))[0], 204)
        self.assertEqual(self.call("GET", "/v1/tasks/%d/approvals" % task["id"])[2], [])


class Writes(XurrentCase):
    def test_notes_and_status(self):
        req = self.new_request()
        path = "/v1/requests/%d" % req["id"]
        time.sleep(1.1)
        status, _, r = self.call("PATCH", path, {"status": "completed", "completion_reason": "solved",
                                                "internal_note": "Granted [accessd action a.1]"})
        self.assertEqual((status, r["status"], r["completion_reason"]), (200, "completed", "solved"))
        self.assertIsNotNone(r["completed_at"])
        self.assertNotIn("internal_note", r)
        self.assertGreater(r["updated_at"], req["updated_at"])
        status, _, r = self.call("PUT", path, {"note": "Your access is ready [accessd action a.2]"})
        self.assertEqual(status, 200)
        status, _, note = self.call("POST", path + "/notes", {"text": "evidence [accessd action a.3]",
                                                              "internal": True})
        self.assertEqual(status, 201)
        self.assertEqual(list(note), ["id"])
        status, _, internal = self.call("GET", path + "/notes/internal")
        self.assertEqual([(n["text"], n["person"]["id"], n["medium"]) for n in internal],
                         [("Granted [accessd action a.1]", xs.SERVICE["id"], "default"),
                          ("evidence [accessd action a.3]", xs.SERVICE["id"], "default")])
        status, _, public = self.call("GET", path + "/notes/public")
        self.assertEqual([n["text"] for n in public], ["Your access is ready [accessd action a.2]"])
        status, _, mine = self.call("GET", path + "/notes", {"person": xs.SERVICE["id"], "sort": "-id"})
        self.assertEqual([n["id"] for n in mine], [note["id"], public[0]["id"], internal[0]["id"]])

    def test_validation_errors(self):
        status, _, body = self.call("POST", "/v1/requests", {"impact": "medium"})
        self.assertEqual((status, body), (422, {"message": "Validation Failed", "errors": [
            ["subject", "Subject can't be blank"], ["category", "Category can't be blank"],
            ["team", "Team can't be blank"]]}))
        status, _, body = self.call("POST", "/v1/requests", {"subject": "Grant failed", "category": "incident",
                                                             "team_id": xs.IAM_TEAM["id"]})
        self.assertEqual(body["errors"], [["impact", "Impact can't be blank"]])
        # The team is required, or a service instance that brings one.
        status, _, body = self.call("POST", "/v1/requests", {"subject": "Grant failed", "category": "incident",
                                                             "impact": "low", "service_instance_id": 12})
        self.assertEqual((status, body.get("errors")), (201, None))
        self.assertEqual((body["service_instance"], body["team"]), ({"id": 12}, None))
        req = self.new_request()
        path = "/v1/requests/%d" % req["id"]
        cases = [
            ({"status": "closed"}, [["status", "Status is not included in the list"]]),
            ({"status": "completed"}, [["completion_reason", "Completion reason can't be blank"]]),
            ({"completion_reason": "done"}, [["completion_reason", "Completion reason is not included in the list"]]),
            ({"internal_note": "x" * 65537}, [["internal_note", "Internal note is too long (maximum is 65536 characters)"]]),
            ({"requested_for_id": 424242}, [["requested_for", "Requested for is invalid"]]),
            ({"custom_fields": {"end_date": "x"}}, [["custom_fields", "Custom fields is invalid"]]),
            ({"note": "x", "note_attachments": [{"key": "attachments/nope.json"}]},
             [["note_attachments", "Note attachments is invalid"]]),
        ]
        for change, errors in cases:
            with self.subTest(change=list(change)):
                status, _, body = self.call("PATCH", path, dict(change, subject="changed?"))
                self.assertEqual((status, body), (422, {"message": "Validation Failed", "errors": errors}))
        after = self.call("GET", path)[2]
        self.assertEqual((after["subject"], after["updated_at"]), (req["subject"], req["updated_at"]))
        self.assertEqual(self.call("GET", path + "/notes")[2], [])
        status, _, body = self.call("PATCH", path, data=b"{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertIn("message", body)

    def test_source_and_source_id(self):
        action = "RITM0010001.r0.t0.block"
        status, _, inc = self.call("POST", "/v1/requests", {
            "subject": "Grant failed", "category": "incident", "impact": "low", "team_id": xs.IAM_TEAM["id"],
            "source": "accessd", "sourceID": action, "note": "Graph said 403"})
        self.assertEqual((status, inc["source"], inc["sourceID"], inc["team"]["name"]),
                         (201, "accessd", action, "IAM Operations"))
        status, _, found = self.call("GET", "/v1/requests", {"source": "accessd", "sourceID": action})
        self.assertEqual([r["id"] for r in found], [inc["id"]])
        team = xs.IAM_TEAM["id"]
        status, _, other = self.call("POST", "/v1/requests", {"subject": "x", "category": "rfi", "team_id": team},
                                     headers={"X-Xurrent-Source": "accessd-header", "User-Agent": "ua/1"})
        self.assertEqual(other["source"], "accessd-header")
        status, _, other = self.call("POST", "/v1/requests", {"subject": "x", "category": "rfi", "team_id": team},
                                     headers={"User-Agent": "accessd/0.1"})
        self.assertEqual(other["source"], "accessd/0.1")
        status, _, body = self.call("POST", "/v1/requests", {"subject": "x", "category": "rfi", "team_id": team,
                                                             "sourceID": "x" * 129})
        self.assertEqual(body["errors"], [["sourceID", "Source ID is too long (maximum is 128 characters)"]])
        # Changing them afterwards takes an Account Administrator.
        path = "/v1/requests/%d" % inc["id"]
        self.assertEqual(self.call("PATCH", path, {"sourceID": "other"})[::2], (403, {"message": "Forbidden"}))
        self.assertEqual(self.call("PATCH", path, {"sourceID": action, "note": "same id"})[0], 200)
        self.config(account_administrator=True)
        self.assertEqual(self.call("PATCH", path, {"sourceID": "other"})[2]["sourceID"], "other")


class Attachments(XurrentCase):
    def form(self, fields, file_name, data, boundary=None):
        boundary = boundary or uuid.uuid4().hex
        out = b""
        for name, value in fields:
            out += b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (
                boundary.encode(), name.encode(), str(value).encode())
        out += b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n" \
               b"Content-Type: application/octet-stream\r\n\r\n%s\r\n--%s--\r\n" % (
                   boundary.encode(), file_name.encode(), data, boundary.encode())
        return out, "multipart/form-data; boundary=" + boundary

    def upload(self, storage, file_name, data, token=None, account=None, tamper=None):
        provider = storage["provider"]
        fields = [("Content-Type", "application/json")] + list(storage[provider].items())
        if tamper:
            fields = [(k, tamper if k.endswith("signature") else v) for k, v in fields]
        body, ctype = self.form(fields, file_name, data)
        parts = urllib.parse.urlsplit(storage["upload_uri"])
        return self.call("POST", parts.path, data=body, token=token, account=account, headers={"Content-Type": ctype})

    def test_s3_upload_then_the_note(self):
        req = self.new_request()
        status, _, storage = self.call("GET", "/v1/attachments/storage")
        self.assertEqual((status, storage["provider"]), (200, "s3"))
        self.assertIn("${filename}", storage["s3"]["key"])
        self.assertIn("json", storage["allowed_extensions"])
        evidence = b'{"granted": ["VPN-Users-Contractors"]}'
        # S3 takes no API credentials: an Authorization header is refused.
        status, _, body = self.upload(storage, "a.1-evidence.json", evidence, token=TOKEN)
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidArgument</Code>", body)
        status, _, body = self.upload(storage, "a.1-evidence.json", evidence, tamper="forged")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", body)
        status, _, xml = self.upload(storage, "a.1-evidence.json", evidence)
        self.assertEqual(status, 201)
        key = re.search(rb"<Key>(.*)</Key>", xml).group(1).decode()
        self.assertTrue(key.endswith("/a.1-evidence.json"))
        status, _, note = self.call("POST", "/v1/requests/%d/notes" % req["id"], {
            "text": "Evidence [accessd action a.1]", "internal": True,
            "attachments": [{"key": key, "filesize": len(evidence)}]})
        self.assertEqual(status, 201)
        notes = self.call("GET", "/v1/requests/%d/notes/internal" % req["id"])[2]
        (att,) = notes[0]["attachments"]
        self.assertEqual((att["name"], att["size"], att["key"]), ("a.1-evidence.json", len(evidence), key))
        self.assertEqual(self.follow(att["uri"], token=None)[2], json.loads(evidence))

    def test_local_upload_needs_the_api_credentials(self):
        self.config(attachment_provider="local")
        req = self.new_request()
        status, _, storage = self.call("GET", "/v1/attachments/storage")
        self.assertEqual((storage["provider"], set(storage["local"])),
                         ("local", {"key", "X-Xurrent-expiration", "X-Xurrent-signature"}))
        self.assertEqual(self.upload(storage, "e.json", b"{}")[0], 401)
        status, _, body = self.upload(storage, "e.json", b"{}", token=TOKEN, account=ACCOUNT)
        self.assertEqual(status, 200)
        status, _, r = self.call("PATCH", "/v1/requests/%d" % req["id"], {
            "internal_note": "Evidence", "internal_note_attachments": [{"key": body["key"], "filesize": 2}]})
        self.assertEqual(status, 200)
        self.assertEqual(self.call("GET", "/v1/requests/%d/notes" % req["id"])[2][0]["attachments"][0]["name"],
                         "e.json")

    def test_grants_expire_and_extensions_are_checked(self):
        self.config(storage_lifetime=0.5, allowed_extensions=["pdf"])
        req = self.new_request()
        storage = self.call("GET", "/v1/attachments/storage")[2]
        status, _, xml = self.upload(storage, "e.json", b"{}")
        key = re.search(rb"<Key>(.*)</Key>", xml).group(1).decode()
        status, _, body = self.call("POST", "/v1/requests/%d/notes" % req["id"],
                                    {"text": "x", "attachments": [{"key": key}]})
        self.assertEqual(body["errors"], [["attachments", "Attachments has an extension that is not allowed"]])
        time.sleep(0.6)
        self.assertEqual(self.upload(storage, "e.pdf", b"%PDF")[0], 403)


class Limits(XurrentCase):
    def test_headers_on_every_answer(self):
        status, headers, _ = self.call("GET", "/v1/me")
        self.assertEqual((headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]), ("3600", "3599"))
        self.assertAlmostEqual(int(headers["X-RateLimit-Reset"]), time.time() + 3600, delta=5)

    def test_the_hourly_limit(self):
        self.config(rate_limit={"hourly": 3}, tokens={"mia-token": MIA})
        remaining = [self.call("GET", "/v1/me")[1]["X-RateLimit-Remaining"] for _ in range(3)]
        self.assertEqual(remaining, ["2", "1", "0"])
        status, headers, body = self.call("GET", "/v1/me")
        self.assertEqual((status, body), (429, {"message": "Too Many Requests",
                                                "documentation_url": "https://developer.xurrent.com/v1/#rate-limiting"}))
        self.assertEqual(headers["X-RateLimit-Remaining"], "0")
        self.assertAlmostEqual(int(headers["Retry-After"]), 3600, delta=5)
        self.assertAlmostEqual(int(headers["X-RateLimit-Reset"]), time.time() + 3600, delta=5)
        # The limit is the person's: another person's token still works.
        self.assertEqual(self.call("GET", "/v1/me", token="mia-token")[0], 200)

    def test_the_burst_limit(self):
        self.config(rate_limit={"burst": 3, "burst_window": 3})
        statuses = [self.call("GET", "/v1/me")[0] for _ in range(3)]
        status, headers, body = self.call("GET", "/v1/me")
        self.assertEqual(statuses + [status], [200, 200, 200, 429])
        self.assertEqual(body["message"], "Too Many Requests")
        wait = int(headers["Retry-After"])
        self.assertTrue(1 <= wait <= 3, wait)
        self.assertEqual(headers["X-RateLimit-Remaining"], "3597")  # a refused request does not count
        time.sleep(wait + 0.1)
        self.assertEqual(self.call("GET", "/v1/me")[0], 200)


class Faults(XurrentCase):
    def test_generic_faults_apply(self):
        req = self.new_request()
        self.emu.fault(kind="status", status=503, path="^/v1/requests", message="Service Unavailable", times=1)
        self.emu.fault(kind="ratelimit", retry_after=7, path="^/v1/requests")
        status, _, body = self.call("GET", "/v1/requests")
        self.assertEqual((status, body), (503, {"message": "Service Unavailable"}))
        status, headers, body = self.call("GET", "/v1/requests")
        self.assertEqual((status, headers["Retry-After"], body["message"]), (429, "7", "Too many requests"))
        self.assertEqual(self.call("GET", "/v1/requests")[0], 200)
        # A write whose answer is lost has taken effect.
        self.emu.fault(kind="drop_response", method="PATCH", path="^/v1/requests/")
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            self.call("PATCH", "/v1/requests/%d" % req["id"], {"internal_note": "lost answer [accessd action b]"})
        notes = self.call("GET", "/v1/requests/%d/notes" % req["id"])[2]
        self.assertEqual([n["text"] for n in notes], ["lost answer [accessd action b]"])
        self.assertEqual([r["fault"] for r in self.emu.requests() if r["path"].startswith("/v1/requests")][:3],
                         ["status", "ratelimit", None])


class DemoSeed(XurrentCase):
    def test_the_two_cases_load_beside_the_graph_side(self):
        self.emu.seed({"graph": tenant.graph_seed(away=xs.AWAY)})
        self.emu.seed({"xurrent": {"requests": [xs.vpn_request(), xs.mailbox_request("2026-12-01 09:00:00")]}})
        status, _, templates = self.call("GET", "/v1/request_templates", {"subject": "Shared Mailbox Access"})
        self.assertEqual([t["id"] for t in templates], [xs.TEMPLATE_IDS["Shared Mailbox Access"]])
        status, _, reqs = self.call("GET", "/v1/requests", {
            "template": ",".join(str(xs.TEMPLATE_IDS[i]) for i in ("VPN Access", "Shared Mailbox Access")),
            "sort": "id", "fields": "requested_for,custom_fields,status"})
        self.assertEqual([r["requested_for"]["name"] for r in reqs], ["Alice", "Carol"])
        variables = {c["id"]: c["value"] for c in reqs[0]["custom_fields"]}
        self.assertEqual((variables["end_date"], variables["sponsor"]), ("2027-01-31", tenant.upn("bob")))
        self.assertEqual([r["status"] for r in reqs], ["workflow_pending", "workflow_pending"])
        users = {u["userPrincipalName"]: u for u in self.emu.state("graph")["users"]}
        for person in self.emu.state("xurrent")["people"]:
            if person["id"] != xs.SERVICE["id"]:
                self.assertIn(person["primary_email"], users)


if __name__ == "__main__":
    harness.main()
