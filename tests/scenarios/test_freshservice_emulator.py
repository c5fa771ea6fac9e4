# SPDX-License-Identifier: Apache-2.0
"""The emulator's Freshservice behaves as the API v2 is documented
(doc/itsm-freshservice.md): API-key authentication, the 30-day default
window and updated_since, page/per_page with Link rel="next", workspaces,
service requests with their requested items, approvals, private notes,
multipart attachments within the per-ticket total, the account-wide rate
limit with its headers and 429, the error envelope, and the generic faults."""

import base64
import json
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import freshservice_tenant as fst
import harness

KEY = fst.API_KEY
AGENT = fst.AGENT_ID
DAY = 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def basic(user, password="X"):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def multipart(fields, files):
    """A multipart/form-data body: FIELDS {name: value}, FILES [(name, data)]."""
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (boundary, name, value)).encode()
    for name, data in files:
        out += ('--%s\r\nContent-Disposition: form-data; name="attachments[]"; filename="%s"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n' % (boundary, name)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


class FreshserviceEmulator(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.emu.seed({"freshservice": fst.base_seed()})
        self.alice = fst.user_id("alice")
        self.vpn = fst.ITEMS["VPN Access"]

    def call(self, method, path, params=None, body=None, content_type="application/json", auth=None):
        url = self.emu.url + "/api/v2" + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", auth if auth is not None else basic(KEY))
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
                return resp.status, resp.headers, json.loads(raw) if raw[:1] in (b"{", b"[") else raw
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, e.headers, json.loads(raw) if raw[:1] == b"{" else raw

    def ticket(self, **fields):
        """A service request for VPN Access by alice (FIELDS override); its id."""
        rec = {"type": "Service Request", "requester_id": self.alice, "subject": "VPN for alice",
               "requested_items": [{"service_item_id": self.vpn, "custom_fields": {"business_justification": "x"}}]}
        rec.update(fields)
        self.emu.seed({"freshservice": {"tickets": [rec]}})
        return max(t["id"] for t in self.emu.state("freshservice")["tickets"])

    def stored(self, tid):
        return next(t for t in self.emu.state("freshservice")["tickets"] if t["id"] == tid)

    def test_auth_is_the_api_key_with_any_password(self):
        status, headers, body = self.call("GET", "/tickets", auth="")
        self.assertEqual((status, body["code"]), (401, "invalid_credentials"))
        self.assertEqual(self.call("GET", "/tickets", auth=basic("not-a-key"))[0], 401)
        self.assertEqual(self.call("GET", "/tickets", auth=basic(KEY, "anything at all"))[0], 200)
        # A refused request is charged too.
        self.assertEqual(headers["X-RateLimit-Used-CurrentRequest"], "1")
        self.assertEqual(self.emu.state("freshservice")["rate"]["charged"], 3)

    def test_thirty_day_default_window_and_updated_since(self):
        now = time.time()
        recent = [self.ticket(created_at=iso(now - 10 * DAY - i)) for i in range(3)]
        old = self.ticket(created_at=iso(now - 40 * DAY), updated_at=iso(now - 40 * DAY))
        edited = self.ticket(created_at=iso(now - 45 * DAY), updated_at=iso(now - 2 * DAY))
        _, _, body = self.call("GET", "/tickets")
        self.assertEqual([t["id"] for t in body["tickets"]], recent)  # newest created first
        _, _, body = self.call("GET", "/tickets", {"updated_since": iso(now - 3 * DAY)})
        self.assertEqual({t["id"] for t in body["tickets"]}, {edited})
        _, _, body = self.call("GET", "/tickets", {"updated_since": iso(now - 60 * DAY), "order_type": "asc"})
        self.assertEqual([t["id"] for t in body["tickets"]], [edited, old] + recent[::-1])
        # The boundary is inclusive; a date alone and an offset are accepted.
        _, _, body = self.call("GET", "/tickets", {"updated_since": self.stored(edited)["updated_at"]})
        self.assertIn(edited, [t["id"] for t in body["tickets"]])
        for since in (time.strftime("%Y-%m-%d", time.gmtime(now - 3 * DAY)),
                      time.strftime("%Y-%m-%dT%H:%M:%S+05:30", time.gmtime(now - 3 * DAY + 5.5 * 3600))):
            _, _, body = self.call("GET", "/tickets", {"updated_since": since})
            self.assertEqual({t["id"] for t in body["tickets"]}, {edited}, since)
        status, _, body = self.call("GET", "/tickets", {"updated_since": "yesterday"})
        self.assertEqual((status, body["errors"][0]["field"]), (400, "updated_since"))
        # An edit moves updated_at: the ticket is listed again.
        self.call("PUT", "/tickets/%d" % old, body={"priority": 3})
        _, _, body = self.call("GET", "/tickets", {"updated_since": iso(now - 60)})
        self.assertEqual({t["id"] for t in body["tickets"]}, {old})

    def test_paging_with_link_next(self):
        ids = [self.ticket() for _ in range(5)]
        seen, page, pages = [], {"per_page": "2", "order_type": "asc"}, 0
        path = "/tickets"
        while True:
            status, headers, body = self.call("GET", path, page)
            self.assertEqual(status, 200)
            pages += 1
            seen += [t["id"] for t in body["tickets"]]
            link = headers.get("Link")
            if not link:
                break
            self.assertTrue(link.endswith('; rel="next"'), link)
            url = urllib.parse.urlsplit(link[1:link.index(">")])
            path, page = url.path[len("/api/v2"):], dict(urllib.parse.parse_qsl(url.query))
        self.assertEqual((seen, pages), (ids, 3))
        _, _, body = self.call("GET", "/tickets", {"per_page": "30"})
        self.assertEqual(len(body["tickets"]), 5)
        for bad in ("101", "0", "ten"):
            status, _, body = self.call("GET", "/tickets", {"per_page": bad})
            self.assertEqual(status, 400, bad)
            self.assertEqual((body["description"], body["errors"][0]["field"]), ("Validation failed", "per_page"))

    def test_type_and_workspace_filters(self):
        sr = self.ticket()
        hr = self.ticket(workspace_id=3, custom_fields={"hr_code": "7"})
        inc = self.ticket(type="Incident", requested_items=[])
        _, _, body = self.call("GET", "/tickets", {"type": "Service Request"})
        self.assertEqual([t["id"] for t in body["tickets"]], [sr])
        _, _, body = self.call("GET", "/tickets", {"type": "Incident"})
        self.assertEqual([t["id"] for t in body["tickets"]], [inc])
        _, _, body = self.call("GET", "/tickets", {"workspace_id": "3"})
        self.assertEqual([(t["id"], t["custom_fields"]) for t in body["tickets"]], [(hr, {"hr_code": "7"})])
        _, _, body = self.call("GET", "/tickets", {"workspace_id": "0"})
        self.assertEqual({t["id"] for t in body["tickets"]}, {sr, hr, inc})
        self.assertTrue(all(t["custom_fields"] == {} for t in body["tickets"]))
        self.assertEqual(self.call("GET", "/tickets", {"workspace_id": "99"})[0], 400)
        self.assertEqual(self.call("GET", "/tickets", {"type": "Request"})[0], 400)
        _, _, body = self.call("GET", "/workspaces")
        self.assertEqual([(w["id"], w["primary"]) for w in body["workspaces"]], [(2, True), (3, False)])

    def test_service_request_and_requested_items(self):
        _, _, body = self.call("GET", "/service_catalog/items")
        self.assertEqual({i["name"] for i in body["service_items"]}, set(fst.ITEMS))
        status, _, body = self.call("POST", "/service_catalog/items/%d/place_request" % self.vpn, body={
            "email": fst.upn("alice"), "requested_for": fst.upn("bob"),
            "custom_fields": {"business_justification": "on call", "end_date": "2027-01-31"}})
        self.assertEqual(status, 201)
        sr = body["service_request"]
        self.assertEqual((sr["type"], sr["requester_id"], sr["requested_for_id"], sr["approval_status_name"]),
                         ("Service Request", self.alice, fst.user_id("bob"), "Not Requested"))
        status, _, body = self.call("POST", "/service_catalog/items/%d/place_request" % self.vpn,
                                    body={"email": fst.upn("alice"), "custom_fields": {"end_date": "2027-01-31"}})
        self.assertEqual((status, body["errors"][0]["code"]), (400, "missing_field"))
        before = self.stored(sr["id"])["updated_at"]
        _, _, body = self.call("GET", "/tickets/%d/requested_items" % sr["id"])
        item = body["requested_items"][0]
        self.assertEqual((item["service_item_id"], item["stage"], item["custom_fields"]["end_date"]),
                         (self.vpn, 1, "2027-01-31"))
        time.sleep(1.1)
        status, _, body = self.call("PUT", "/tickets/%d/requested_items/%d" % (sr["id"], item["id"]), body={"stage": 4})
        self.assertEqual((status, body["requested_item"]["stage"]), (200, {"id": 4, "name": "Fulfilled"}))
        self.assertGreater(self.stored(sr["id"])["updated_at"], before)
        self.assertEqual(self.call("PUT", "/tickets/%d/requested_items/%d" % (sr["id"], item["id"]),
                                   body={"stage": 9})[0], 400)

    def test_ticket_status_and_custom_statuses(self):
        sr = self.ticket()
        status, _, body = self.call("PUT", "/tickets/%d" % sr, body={"status": 9})
        self.assertEqual((status, body["errors"][0]["field"]), (400, "status"))
        self.emu.call("POST", "/_emu/config/freshservice", {"statuses": [{"id": 9, "name": "Waiting on Vendor"}]})
        status, _, body = self.call("PUT", "/tickets/%d" % sr, body={"status": 9})
        self.assertEqual((status, body["ticket"]["status"]), (200, 9))
        _, _, body = self.call("GET", "/ticket_form_fields")
        choices = next(f["choices"] for f in body["ticket_fields"] if f["name"] == "status")
        self.assertIn({"id": 9, "value": "Waiting on Vendor"}, choices)
        self.assertIn({"id": 6, "value": "Awaiting Approval"}, choices)
        status, _, body = self.call("PUT", "/tickets/%d" % sr, body={"state": "closed"})
        self.assertEqual((status, body["errors"][0]["code"]), (400, "invalid_field"))
        self.assertEqual(self.call("PUT", "/tickets/%d" % sr, body=b"status=5", content_type="text/plain")[0], 415)
        self.assertEqual(self.call("PUT", "/tickets/999999", body={"status": 5})[0], 404)

    def test_approvals_request_remind_decide_cancel(self):
        sr = self.ticket()
        mia, victor = fst.user_id("mia"), fst.user_id("victor")
        status, _, body = self.call("POST", "/tickets/%d/approvals" % sr,
                                    body={"approver_id": mia, "approval_type": 2, "email_content": "<p>[accessd a.1]</p>"})
        self.assertEqual(status, 201)
        first = body["approvals"][0]
        self.assertEqual((first["approver_id"], first["approval_status"], first["user_id"]),
                         (mia, {"id": 0, "name": "requested"}, AGENT))
        second = self.call("POST", "/tickets/%d/approvals" % sr, body={"approver_id": victor})[2]["approvals"][0]
        _, _, body = self.call("GET", "/approvals", {"parent": "ticket", "status": "requested"})
        self.assertEqual([(a["id"], a["parent_id"]) for a in body["approvals"]], [(first["id"], sr), (second["id"], sr)])
        self.assertEqual(body["total"], 2)
        self.assertEqual(self.call("GET", "/approvals", {"parent": "ticket"})[0], 400)

        self.assertEqual(self.call("PUT", "/tickets/%d/approvals/%d/remind" % (sr, first["id"]))[0], 200)
        self.assertEqual(self.emu.state("freshservice")["reminders"], [first["id"]])

        # mia approves in the UI: the approval changes, the ticket's updated_at does not.
        ticket_before = self.stored(sr)["updated_at"]
        time.sleep(1.1)
        self.emu.seed({"freshservice": {"approvals": [{"id": first["id"], "status": 1, "latest_remark": "ok"}]}})
        _, _, body = self.call("GET", "/tickets/%d/approvals/%d" % (sr, first["id"]))
        self.assertEqual((body["approval"]["approval_status"]["name"], body["approval"]["latest_remark"]),
                         ("approved", "ok"))
        self.assertGreater(body["approval"]["updated_at"], first["updated_at"])
        self.assertEqual(self.stored(sr)["updated_at"], ticket_before)
        _, _, body = self.call("GET", "/approvals", {"parent": "ticket", "status": "requested"})
        self.assertEqual([a["id"] for a in body["approvals"]], [second["id"]])

        # Only "cancelled" can be set, and only on an approval still requested.
        for aid, payload in ((second["id"], {"approval_status": {"id": 1}}), (first["id"], {"approval_status": {"id": 3}})):
            status, _, body = self.call("PUT", "/tickets/%d/approvals/%d" % (sr, aid), body=payload)
            self.assertEqual(status, 400, payload)
        self.assertEqual(self.call("PUT", "/tickets/%d/approvals/%d/remind" % (sr, first["id"]))[0], 400)
        status, _, body = self.call("PUT", "/tickets/%d/approvals/%d" % (sr, second["id"]),
                                    body={"approval_status": {"id": 3}})
        self.assertEqual((status, body["approval"]["approval_status"]["name"]), (200, "cancelled"))
        _, _, body = self.call("GET", "/tickets/%d" % sr)
        self.assertEqual(body["ticket"]["approval_status_name"], "Approved")
        inc = self.ticket(type="Incident", requested_items=[])
        self.assertEqual(self.call("POST", "/tickets/%d/approvals" % inc, body={"approver_id": mia})[0], 400)
        self.assertEqual(self.call("POST", "/tickets/%d/approvals" % sr, body={"approver_id": 5})[0], 400)

    def test_notes_are_private_by_default(self):
        sr = self.ticket()
        status, headers, body = self.call("POST", "/tickets/%d/notes" % sr,
                                          body={"body": "<p>Granted &amp; done<br>[accessd a.2]</p>"})
        self.assertEqual(status, 201)
        note = body["conversation"]
        self.assertEqual((note["private"], note["body_text"], note["user_id"]), (True, "Granted & done\n[accessd a.2]", AGENT))
        self.call("POST", "/tickets/%d/notes" % sr, body={"body": "for all", "private": False})
        self.call("POST", "/tickets/%d/reply" % sr, body={"body": "<p>Your request was rejected</p>"})
        _, headers, body = self.call("GET", "/tickets/%d/conversations" % sr, {"per_page": "2"})
        self.assertEqual([c["private"] for c in body["conversations"]], [True, False])
        self.assertIn('rel="next"', headers["Link"])
        _, _, body = self.call("GET", "/tickets/%d/conversations" % sr, {"page": "2", "per_page": "2"})
        self.assertEqual((body["conversations"][0]["private"], body["conversations"][0]["to_emails"]),
                         (False, [fst.upn("alice")]))
        status, _, body = self.call("POST", "/tickets/%d/notes" % sr, body={"body": "x", "color": "red"})
        self.assertEqual((status, body["errors"][0]), (400, {"field": "color", "code": "invalid_field",
                                                             "message": "Unexpected/invalid field in request"}))
        self.assertEqual(self.call("POST", "/tickets/%d/notes" % sr, body={"private": True})[0], 400)
        self.assertEqual(self.call("POST", "/tickets/%d/notes" % sr, body=b"{not json")[0], 400)

    def test_attachments_multipart_within_the_ticket_total(self):
        self.emu.call("POST", "/_emu/config/freshservice", {"attachment_limit_bytes": 1000})
        sr = self.ticket()
        evidence = bytes(range(256)) * 2 + b"\r\n--not-a-boundary\r\n"
        body, ctype = multipart({"body": "Evidence [accessd a.3]", "private": "true"}, [("a.3-evidence.json", evidence)])
        status, _, resp = self.call("POST", "/tickets/%d/notes" % sr, body=body, content_type=ctype)
        self.assertEqual(status, 201)
        att = resp["conversation"]["attachments"][0]
        self.assertEqual((att["name"], att["size"], resp["conversation"]["private"]), ("a.3-evidence.json", len(evidence), True))
        status, _, raw = self.call("GET", urllib.parse.urlsplit(att["attachment_url"]).path[len("/api/v2"):])
        self.assertEqual((status, raw), (200, evidence))
        # Ticket and note attachments share the ticket's total.
        body, ctype = multipart({"priority": "2"}, [("more.bin", b"y" * 500)])
        status, _, resp = self.call("PUT", "/tickets/%d" % sr, body=body, content_type=ctype)
        self.assertEqual((status, resp["errors"][0]["field"]), (400, "attachments"))
        body, ctype = multipart({"priority": "2"}, [("small.bin", b"y" * 100)])
        status, _, resp = self.call("PUT", "/tickets/%d" % sr, body=body, content_type=ctype)
        self.assertEqual((status, [a["name"] for a in resp["ticket"]["attachments"]]), (200, ["small.bin"]))

    def test_people_by_email(self):
        _, _, body = self.call("GET", "/requesters", {"email": fst.upn("alice").upper()})
        self.assertEqual([r["id"] for r in body["requesters"]], [self.alice])
        _, _, body = self.call("GET", "/requesters", {"email": fst.upn("sam")})
        self.assertEqual(body["requesters"], [])  # an agent: only with include_agents
        _, _, body = self.call("GET", "/requesters", {"email": fst.upn("sam"), "include_agents": "true"})
        self.assertEqual([(r["id"], r["is_agent"]) for r in body["requesters"]], [(fst.user_id("sam"), True)])
        _, _, body = self.call("GET", "/agents", {"email": fst.upn("sam")})
        self.assertEqual([a["email"] for a in body["agents"]], [fst.upn("sam")])
        for hostile in ("a'b@contoso.example", "x\" OR 1=1 --@contoso.example", "bat+man@contoso.example"):
            status, _, body = self.call("GET", "/requesters", {"email": hostile, "include_agents": "true"})
            self.assertEqual((status, body["requesters"]), (200, []), hostile)

    def test_incidents_and_lookup_by_requester(self):
        status, headers, body = self.call("POST", "/tickets", body={
            "subject": "accessd: grant blocked", "description": "<p>context</p><p>[accessd a.4]</p>",
            "requester_id": AGENT, "status": 2, "priority": 3, "group_id": 7})
        self.assertEqual(status, 201)
        inc = body["ticket"]
        self.assertTrue(headers["Location"].endswith("/api/v2/tickets/%d" % inc["id"]))
        self.assertEqual((inc["type"], inc["description_text"]), ("Incident", "context\n[accessd a.4]"))
        status, _, body = self.call("POST", "/tickets", body={"subject": "x", "description": "y", "requester_id": AGENT,
                                                              "type": "Service Request"})
        self.assertEqual(status, 400)
        status, _, body = self.call("POST", "/tickets", body={"subject": "x", "requester_id": AGENT})
        self.assertEqual((status, body["errors"][0]["code"]), (400, "missing_field"))
        self.ticket()
        _, _, body = self.call("GET", "/tickets", {"requester_id": str(AGENT), "type": "Incident",
                                                   "updated_since": iso(time.time() - DAY)})
        self.assertEqual([t["id"] for t in body["tickets"]], [inc["id"]])

    def test_rate_limit_headers_and_429(self):
        self.emu.call("POST", "/_emu/config/freshservice", {"rate_limit": {"total": 6, "window_seconds": 3}})
        self.ticket()
        # Align to a fresh window so the budget is not cut by its end.
        time.sleep(3 - time.time() % 3 + 0.05)
        _, headers, _ = self.call("GET", "/tickets")
        self.assertEqual((headers["X-RateLimit-Total"], headers["X-RateLimit-Remaining"],
                          headers["X-RateLimit-Used-CurrentRequest"]), ("6", "5", "1"))
        # An include costs 2 more on a list, 1 more on a view.
        _, headers, _ = self.call("GET", "/tickets", {"include": "requester"})
        self.assertEqual((headers["X-RateLimit-Used-CurrentRequest"], headers["X-RateLimit-Remaining"]), ("3", "2"))
        self.call("GET", "/workspaces")
        self.call("GET", "/workspaces")
        status, headers, body = self.call("GET", "/workspaces")
        self.assertEqual((status, body["code"], headers["X-RateLimit-Remaining"]), (429, "rate_limit_exceeded", "0"))
        self.assertTrue(1 <= int(headers["Retry-After"]) <= 3, headers["Retry-After"])
        time.sleep(int(headers["Retry-After"]) + 0.1)
        self.assertEqual(self.call("GET", "/workspaces")[0], 200)

    def test_sub_limits_and_another_integration(self):
        self.emu.call("POST", "/_emu/config/freshservice", {"plan": "starter"})
        self.assertEqual(self.emu.state("freshservice")["rate"]["limit"]["total"], 100)
        self.emu.call("POST", "/_emu/config/freshservice", {"rate_limit": {
            "total": 20, "window_seconds": 3, "sub_limits": {"list_tickets": 2}}, "other_integration": {"per_window": 15}})
        time.sleep(3 - time.time() % 3 + 0.05)
        _, headers, _ = self.call("GET", "/tickets")
        self.assertEqual(headers["X-RateLimit-Remaining"], "4")  # 20 - 15 spent by the other one - 1
        self.call("GET", "/tickets")
        status, headers, _ = self.call("GET", "/tickets")
        self.assertEqual(status, 429)  # the list sub-limit, with budget left overall
        self.assertEqual(self.call("GET", "/workspaces")[0], 200)
        self.emu.call("POST", "/_emu/config/freshservice", {"consume": 5})
        self.assertEqual(self.call("GET", "/workspaces")[0], 429)

    def test_wrong_method_unknown_path_and_bad_seed(self):
        status, _, body = self.call("PUT", "/tickets", body={"status": 2})
        self.assertEqual((status, body["code"]), (405, "method_not_allowed"))
        status, _, body = self.call("GET", "/no_such_resource")
        self.assertEqual((status, body["code"]), (404, "not_found"))
        with self.assertRaises(AssertionError):
            self.emu.seed({"freshservice": {"approvals": [{"ticket_id": 999999, "approver_id": self.alice}]}})

    def test_generic_faults_apply(self):
        sr = self.ticket()
        self.emu.fault(kind="status", status=503, path="/api/v2/tickets$", times=1)
        self.emu.fault(kind="ratelimit", retry_after=7, path="/api/v2/tickets$", times=1)
        status, _, body = self.call("GET", "/tickets")
        self.assertEqual((status, body["message"]), (503, "Injected failure"))
        status, headers, _ = self.call("GET", "/tickets")
        self.assertEqual((status, headers["Retry-After"]), (429, "7"))
        self.assertEqual(self.call("GET", "/tickets")[0], 200)
        # A write whose answer is lost still took effect.
        self.emu.fault(kind="drop_response", method="POST", path="/notes$")
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            self.call("POST", "/tickets/%d/notes" % sr, body={"body": "[accessd a.5]"})
        self.assertEqual([c["body"] for c in self.stored(sr)["conversations"]], ["[accessd a.5]"])
        self.assertEqual([r["fault"] for r in self.emu.requests()][-4:], ["status", "ratelimit", None, "drop_response"])

    def test_demo_seed_has_both_cases(self):
        self.emu.seed({"freshservice": fst.demo_requests()})
        _, _, body = self.call("GET", "/tickets", {"type": "Service Request"})
        cases = {}
        for t in body["tickets"]:
            items = self.call("GET", "/tickets/%d/requested_items" % t["id"])[2]["requested_items"]
            cases[t["requested_for_id"]] = (items[0]["service_item_id"], items[0]["custom_fields"])
        vpn, vpn_vars = cases[fst.user_id("alice")]
        self.assertEqual((vpn, vpn_vars["sponsor"], vpn_vars["end_date"]),
                         (fst.ITEMS["VPN Access"], fst.upn("bob"), "2027-01-31"))
        box, box_vars = cases[fst.user_id("carol")]
        self.assertEqual((box, box_vars["mailbox"], box_vars["duration"]),
                         (fst.ITEMS["Shared Mailbox Access"], "Finance Shared Mailbox", "12s"))


if __name__ == "__main__":
    harness.main()
