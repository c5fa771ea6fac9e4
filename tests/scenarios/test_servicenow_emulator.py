# SPDX-License-Identifier: Apache-2.0
"""The emulator's ServiceNow writes, attachments, OAuth token endpoint and
rate limit behave as the APIs are documented (API-NOTES.md)."""

import base64
import json
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness

AUTH = "Basic " + base64.b64encode(("%s:%s" % (harness.SNOW_USER, harness.SNOW_PASSWORD)).encode()).decode()


class ServiceNowEmulator(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        seed, self.items = harness.servicenow_seed(["VPN Access"])
        self.emu.seed({"servicenow": seed})
        self.emu.seed({"servicenow": {"sc_req_item": [{"cat_item": self.items["VPN Access"], "state": "1"}]}})
        self.ritm = self.emu.state("servicenow")["tables"]["sc_req_item"][0]

    def call(self, method, path, params=None, body=None, content_type="application/json", auth=AUTH):
        url = self.emu.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if auth:
            req.add_header("Authorization", auth)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
                return resp.status, dict(resp.headers), json.loads(raw) if raw[:1] in (b"{", b"[") else raw
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, dict(e.headers), json.loads(raw) if raw[:1] == b"{" else raw

    def test_create_update_and_journal_fields(self):
        status, headers, body = self.call("POST", "/api/now/table/incident",
                                          body={"short_description": "x", "correlation_id": "a.1"})
        self.assertEqual(status, 201)
        self.assertTrue(body["result"]["number"].startswith("INC"))
        self.assertTrue(headers["Location"].endswith(body["result"]["sys_id"]))
        path = "/api/now/table/sc_req_item/" + self.ritm["sys_id"]
        status, _, body = self.call("PATCH", path, body={"state": "2", "work_notes": "note 1"})
        self.assertEqual(status, 200)
        self.assertEqual(body["result"]["state"], "2")
        self.assertEqual(body["result"]["work_notes"], "")
        self.assertEqual(body["result"]["sys_mod_count"], "1")
        self.call("PUT", path, body={"comments": "for the requester"})
        status, _, body = self.call("GET", "/api/now/table/sys_journal_field",
                                    {"sysparm_query": "element_id=%s^ORDERBYsys_created_on" % self.ritm["sys_id"]})
        self.assertEqual([(j["element"], j["value"]) for j in body["result"]],
                         [("work_notes", "note 1"), ("comments", "for the requester")])

    def test_system_fields_name_the_session_user(self):
        path = "/api/now/table/sysapproval_approver"
        status, _, body = self.call("POST", path, body={"state": "requested", "sys_updated_by": "victor",
                                                        "sys_created_by": "victor"})
        self.assertEqual(status, 201)
        rec = body["result"]
        self.assertEqual((rec["sys_created_by"], rec["sys_updated_by"]), (harness.SNOW_USER, harness.SNOW_USER))
        # A person approving in the UI (a seed stands in for it) is named...
        self.emu.seed({"servicenow": {"sysapproval_approver": [{"sys_id": rec["sys_id"], "state": "approved",
                                                                "sys_updated_by": "victor"}]}})
        status, _, body = self.call("GET", path + "/" + rec["sys_id"])
        self.assertEqual(body["result"]["sys_updated_by"], "victor")
        # ...and an API write names whoever wrote it, whatever the body says.
        self.call("PATCH", path + "/" + rec["sys_id"], body={"state": "rejected", "sys_updated_by": "victor"})
        status, _, body = self.call("GET", path + "/" + rec["sys_id"])
        self.assertEqual((body["result"]["state"], body["result"]["sys_updated_by"]), ("rejected", harness.SNOW_USER))
        self.assertEqual(body["result"]["sys_created_by"], harness.SNOW_USER)

    def test_nul_in_a_string_is_kept(self):
        self.emu.seed({"servicenow": {"sys_user": [{"sys_id": "%032x" % 0xbad, "user_name": "victor",
                                                    "email": "victor@contoso.example\u0000.mallory"}]}})
        status, _, body = self.call("GET", "/api/now/table/sys_user/%032x" % 0xbad, {"sysparm_fields": "email"})
        self.assertEqual(body["result"]["email"], "victor@contoso.example\u0000.mallory")
        status, _, body = self.call("GET", "/api/now/table/sys_user",
                                    {"sysparm_query": "email=victor@contoso.example", "sysparm_fields": "sys_id"})
        self.assertEqual(body["result"], [])

    def test_write_errors(self):
        status, _, body = self.call("PATCH", "/api/now/table/sc_req_item/" + "0" * 32, body={"state": "2"})
        self.assertEqual((status, body["status"]), (404, "failure"))
        status, _, body = self.call("POST", "/api/now/table/incident", body=b"not json")
        self.assertEqual(status, 400)
        self.assertIn("message", body["error"])
        status, _, _ = self.call("POST", "/api/now/table/incident", body={"a": "b"}, content_type="text/plain")
        self.assertEqual(status, 415)
        status, _, _ = self.call("POST", "/api/now/table/incident", body={"a": "b"}, auth=None)
        self.assertEqual(status, 401)

    def test_attachments(self):
        params = {"table_name": "sc_req_item", "table_sys_id": self.ritm["sys_id"], "file_name": "evidence.json"}
        status, _, body = self.call("POST", "/api/now/attachment/file", params, body=b'{"ok": 1}')
        self.assertEqual(status, 201)
        att = body["result"]
        self.assertEqual((att["file_name"], att["size_bytes"]), ("evidence.json", "9"))
        status, _, body = self.call("GET", "/api/now/attachment",
                                    {"sysparm_query": "table_sys_id=%s" % self.ritm["sys_id"]})
        self.assertEqual([a["sys_id"] for a in body["result"]], [att["sys_id"]])
        status, headers, raw = self.call("GET", "/api/now/attachment/%s/file" % att["sys_id"])
        self.assertEqual((status, raw), (200, {"ok": 1}))
        params["table_sys_id"] = "0" * 32
        status, _, _ = self.call("POST", "/api/now/attachment/file", params, body=b"x")
        self.assertEqual(status, 400)

    def test_oauth_token_endpoint(self):
        self.emu.call("POST", "/_emu/config/servicenow", {"oauth_clients": {"cid": "csecret"}})
        form = {"grant_type": "password", "client_id": "cid", "client_secret": "csecret",
                "username": harness.SNOW_USER, "password": harness.SNOW_PASSWORD}
        status, _, tok = self.call("POST", "/oauth_token.do", body=urllib.parse.urlencode(form).encode(),
                                   content_type="application/x-www-form-urlencoded", auth=None)
        self.assertEqual(status, 200)
        self.assertEqual((tok["token_type"], tok["expires_in"]), ("Bearer", 1800))
        status, _, _ = self.call("GET", "/api/now/table/sc_req_item", auth="Bearer " + tok["access_token"])
        self.assertEqual(status, 200)
        refresh = {"grant_type": "refresh_token", "client_id": "cid", "client_secret": "csecret",
                   "refresh_token": tok["refresh_token"]}
        status, _, tok2 = self.call("POST", "/oauth_token.do", body=urllib.parse.urlencode(refresh).encode(),
                                    content_type="application/x-www-form-urlencoded", auth=None)
        self.assertEqual(status, 200)
        self.assertNotEqual(tok2["access_token"], tok["access_token"])
        form["password"] = "wrong"
        status, _, _ = self.call("POST", "/oauth_token.do", body=urllib.parse.urlencode(form).encode(),
                                 content_type="application/x-www-form-urlencoded", auth=None)
        self.assertEqual(status, 401)
        # Client credentials only where the instance enables them.
        cc = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}
        status, _, _ = self.call("POST", "/oauth_token.do", body=urllib.parse.urlencode(cc).encode(),
                                 content_type="application/x-www-form-urlencoded", auth=None)
        self.assertEqual(status, 400)
        self.emu.call("POST", "/_emu/config/servicenow", {"expire_tokens": True})
        status, _, _ = self.call("GET", "/api/now/table/sc_req_item", auth="Bearer " + tok2["access_token"])
        self.assertEqual(status, 401)

    def test_rate_limit(self):
        self.emu.call("POST", "/_emu/config/servicenow",
                      {"rate_limit": {"requests": 2, "per_seconds": 60, "retry_after": 5}})
        statuses = [self.call("GET", "/api/now/table/sc_req_item")[0] for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])
        status, headers, body = self.call("GET", "/api/now/table/sc_req_item")
        self.assertEqual((status, headers["Retry-After"], headers["X-RateLimit-Remaining"]), (429, "5", "0"))
        self.assertEqual(body["status"], "failure")

    def test_approval_dot_walk_to_the_request_item(self):
        self.emu.seed({"servicenow": {"sysapproval_approver": [
            {"sysapproval": self.ritm["sys_id"], "approver": "%032x" % 0xb0b, "state": "requested"},
            {"sysapproval": "f" * 32, "approver": "%032x" % 0xb0b, "state": "requested"}]}})
        status, _, body = self.call("GET", "/api/now/table/sysapproval_approver", {
            "sysparm_query": "sysapproval.ref_sc_req_item.cat_item.nameINVPN Access",
            "sysparm_fields": "sysapproval,approver.email", "sysparm_exclude_reference_link": "true"})
        self.assertEqual(body["result"], [{"sysapproval": self.ritm["sys_id"], "approver.email": "bob@contoso.example"}])

    def test_a_caret_cannot_be_escaped(self):
        # ServiceNow documents no escape for "^" in a value: "^^" is not one.
        self.emu.seed({"servicenow": {"sc_req_item": [{"sys_id": self.ritm["sys_id"], "short_description": "a^b"}]}})
        status, _, body = self.call("GET", "/api/now/table/sc_req_item",
                                    {"sysparm_query": "short_description=a^^b^state=1"})
        self.assertEqual(len(body["result"]), 0)


if __name__ == "__main__":
    harness.main()
