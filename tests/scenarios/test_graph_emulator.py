# SPDX-License-Identifier: Apache-2.0
"""The emulator's Graph behaves as Microsoft documents it where the C
connector tests do not look: the token endpoint's refusals, default
properties and $select, the $ and # UPN rules, $batch limits, paging, a
user's direct memberships, and a request-id on every answer."""

import json
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness

USER = "11111111-1111-4111-8111-111111111111"
GROUP = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
TOKEN_PATH = "/contoso.onmicrosoft.com/oauth2/v2.0/token"


class GraphEmulatorTest(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.emu.seed({"graph": {
            "clients": {"app": "s3cr3t-v4lue"},
            "users": [{"id": USER, "userPrincipalName": "$adm@contoso.com", "mail": "adm@contoso.com",
                       "accountEnabled": True, "employeeType": "Contractor"}],
            "groups": [{"id": GROUP, "displayName": "VPN", "owners": [USER], "members": [USER]}],
        }})

    def send(self, method, path, body=None, form=None, token=None):
        data = None
        headers = {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.emu.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read() or b"null")

    def token(self):
        status, _, body = self.send("POST", TOKEN_PATH, form={
            "grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cr3t-v4lue",
            "scope": "https://graph.microsoft.com/.default"})
        self.assertEqual(status, 200)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertGreater(body["expires_in"], 0)
        return body["access_token"]

    def test_token_endpoint_refusals(self):
        good = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cr3t-v4lue",
                "scope": "https://graph.microsoft.com/.default"}
        cases = [
            (dict(good, client_secret="nope"), 401, "invalid_client"),
            (dict(good, client_id="other"), 400, "unauthorized_client"),
            (dict(good, scope="User.Read"), 400, "invalid_scope"),
            (dict(good, grant_type="password"), 400, "unsupported_grant_type"),
        ]
        for form, status, error in cases:
            with self.subTest(error=error):
                got, _, body = self.send("POST", TOKEN_PATH, form=form)
                self.assertEqual(got, status)
                self.assertEqual(body["error"], error)
                self.assertNotIn("s3cr3t-v4lue", json.dumps(body))

    def test_request_id_on_every_answer(self):
        tok = self.token()
        for method, path, token in [("GET", "/v1.0/users/" + USER, tok), ("GET", "/v1.0/users/" + USER, None),
                                    ("GET", "/v1.0/nosuchthing", tok), ("GET", "/v1.0/groups/" + GROUP, "bad")]:
            status, headers, body = self.send(method, path, token=token)
            self.assertIn("request-id", headers, (method, path, status))
            if status >= 400:
                self.assertEqual(body["error"]["innerError"]["request-id"], headers["request-id"])
        self.assertEqual(self.send("GET", "/v1.0/users/" + USER)[0], 401)

    def test_default_properties_and_select(self):
        tok = self.token()
        _, _, body = self.send("GET", "/v1.0/users/" + USER, token=tok)
        self.assertNotIn("accountEnabled", body)
        self.assertNotIn("employeeType", body)
        _, _, body = self.send("GET", "/v1.0/users/%s?$select=id,accountEnabled,employeeType" % USER, token=tok)
        self.assertEqual((body["accountEnabled"], body["employeeType"]), (True, "Contractor"))
        status, _, body = self.send("GET", "/v1.0/users/%s?$select=id,bogus" % USER, token=tok)
        self.assertEqual(status, 400)

    def test_lifecycle_properties_only_when_selected(self):
        tok = self.token()
        self.emu.seed({"graph": {"users": [{"id": USER, "userPrincipalName": "$adm@contoso.com",
                                            "accountEnabled": False, "employeeHireDate": "2020-01-01T00:00:00Z",
                                            "employeeLeaveDateTime": "2024-06-30T23:59:59Z",
                                            "displayName": "Ada\u0000Mallory"}]}})
        _, _, body = self.send("GET", "/v1.0/users/" + USER, token=tok)
        for prop in ("accountEnabled", "employeeHireDate", "employeeLeaveDateTime"):
            self.assertNotIn(prop, body)
        # An embedded U+0000 is kept, escaped, as JSON keeps it.
        self.assertEqual(body["displayName"], "Ada\u0000Mallory")
        select = "/v1.0/users/%s?$select=id,accountEnabled,employeeHireDate,employeeLeaveDateTime,mail" % USER
        _, _, body = self.send("GET", select, token=tok)
        self.assertEqual((body["accountEnabled"], body["employeeHireDate"], body["employeeLeaveDateTime"]),
                         (False, "2020-01-01T00:00:00Z", "2024-06-30T23:59:59Z"))
        self.assertIsNone(body["mail"])
        # Without User-LifeCycleInfo.Read.All the leave date reads as null.
        self.emu.call("POST", "/_emu/config/graph", {"lifecycle_permission": False})
        _, _, body = self.send("GET", select, token=tok)
        self.assertIsNone(body["employeeLeaveDateTime"])
        self.assertEqual(body["employeeHireDate"], "2020-01-01T00:00:00Z")

    def test_dollar_upn_needs_the_key_form(self):
        tok = self.token()
        self.assertEqual(self.send("GET", "/v1.0/users/$adm@contoso.com", token=tok)[0], 400)
        status, _, body = self.send("GET", "/v1.0/users('$adm@contoso.com')", token=tok)
        self.assertEqual((status, body["id"]), (200, USER))

    def test_batch_limits_and_order(self):
        tok = self.token()
        one = {"method": "GET", "url": "/users/" + USER}
        status, _, body = self.send("POST", "/v1.0/$batch", {"requests": [dict(one, id=str(i)) for i in range(21)]},
                                    token=tok)
        self.assertEqual(status, 400)
        status, _, body = self.send("POST", "/v1.0/$batch", {"requests": [
            dict(one, id="a"), {"id": "b", "method": "GET", "url": "/groups/" + GROUP.replace("a", "e")}]}, token=tok)
        self.assertEqual(status, 200)
        by_id = {r["id"]: r for r in body["responses"]}
        self.assertEqual((by_id["a"]["status"], by_id["b"]["status"]), (200, 404))
        self.assertEqual(by_id["b"]["body"]["error"]["code"], "Request_ResourceNotFound")

    def test_members_paged_by_next_link(self):
        tok = self.token()
        self.emu.call("POST", "/_emu/config/graph", {"page_size": 1})
        self.emu.seed({"graph": {"users": [{"id": "22222222-2222-4222-8222-222222222222"}],
                                 "groups": [{"id": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                                             "members": [USER, "22222222-2222-4222-8222-222222222222"]}]}})
        path, seen = "/v1.0/groups/bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/members", []
        while path:
            status, _, body = self.send("GET", path, token=tok)
            self.assertEqual(status, 200)
            seen += [m["id"] for m in body["value"]]
            link = body.get("@odata.nextLink")
            path = link[len(self.emu.url):] if link else None
        self.assertEqual(len(seen), 2)

    def test_member_of_lists_direct_groups_only(self):
        # USER is in VPN directly; VPN is in Outer, which USER is in only
        # through nesting: memberOf is not transitive.
        tok = self.token()
        outer, other = "cccccccc-cccc-4ccc-8ccc-cccccccccccc", "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
        self.emu.seed({"graph": {"groups": [{"id": outer, "displayName": "Outer", "members": [GROUP]},
                                            {"id": other, "displayName": "Other", "members": [USER]}]}})
        self.emu.call("POST", "/_emu/config/graph", {"page_size": 1})
        path, seen = "/v1.0/users/%s/memberOf/microsoft.graph.group?$select=id&$top=999" % USER, []
        while path:
            status, _, body = self.send("GET", path, token=tok)
            self.assertEqual(status, 200)
            self.assertTrue(all(g["@odata.type"] == "#microsoft.graph.group" and set(g) == {"@odata.type", "id"}
                                for g in body["value"]), body)
            seen += [g["id"] for g in body["value"]]
            link = body.get("@odata.nextLink")
            path = link[len(self.emu.url):] if link else None
        self.assertEqual(sorted(seen), sorted([GROUP, other]))
        status, _, body = self.send("GET", "/v1.0/users('$adm@contoso.com')/memberOf?$top=999", token=tok)
        self.assertEqual(status, 200)
        self.assertIn("displayName", body["value"][0])
        self.assertEqual(self.send("GET", "/v1.0/users/%s/memberOf?$select=bogus" % USER, token=tok)[0], 400)
        self.assertEqual(self.send("GET", "/v1.0/users/%s/memberOf?$top=1000" % USER, token=tok)[0], 400)
        status, _, body = self.send("GET", "/v1.0/users/%s/memberOf" % GROUP.replace("a", "e"), token=tok)
        self.assertEqual((status, body["error"]["code"]), (404, "Request_ResourceNotFound"))

    def test_app_role_assignments_listed_as_graph_lists_them(self):
        tok = self.token()
        sp, role = "ffffffff-ffff-4fff-8fff-ffffffffffff", "99999999-9999-4999-8999-999999999999"
        self.emu.seed({"graph": {
            "servicePrincipals": [{"id": sp, "appRoles": [{"id": role}]}],
            "appRoleAssignments": [{"id": "assignment-%04d-xxxxxx" % i, "principalId": USER if i == 2 else
                                    "%08x-0000-4000-8000-000000000000" % i, "resourceId": sp, "appRoleId": role,
                                    "principalDisplayName": "Ada" if i == 2 else "Someone"} for i in range(5)]}})
        base = "/v1.0/servicePrincipals/%s/appRoleAssignedTo" % sp
        # A duplicate is refused without naming the assignment that exists.
        status, _, body = self.send("POST", base, {"principalId": USER, "resourceId": sp, "appRoleId": role}, token=tok)
        self.assertEqual(status, 400)
        self.assertNotIn("assignment-0002", json.dumps(body))
        # Paged by $top (1..999) and @odata.nextLink, with $select honoured.
        for top in ("0", "1000", "x"):
            self.assertEqual(self.send("GET", base + "?$top=" + top, token=tok)[0], 400)
        path, seen = base + "?$select=id,principalId&$top=2", []
        while path:
            status, _, body = self.send("GET", path, token=tok)
            self.assertEqual(status, 200)
            self.assertTrue(all(set(a) == {"id", "principalId"} for a in body["value"]))
            seen += [a["id"] for a in body["value"]]
            link = body.get("@odata.nextLink")
            path = link[len(self.emu.url):] if link else None
        self.assertEqual(seen, ["assignment-%04d-xxxxxx" % i for i in range(5)])
        # Filters only on what Graph documents: not principalId or appRoleId.
        q = urllib.parse.quote
        for flt in ("principalId eq " + USER, "appRoleId eq " + role):
            status, _, body = self.send("GET", base + "?$filter=" + q(flt), token=tok)
            self.assertEqual(status, 400, flt)
            self.assertEqual(body["error"]["code"], "Request_UnsupportedQuery")
        for flt, n in (("principalDisplayName eq 'Ada'", 1), ("startswith(principalDisplayName,'some')", 4),
                       ("resourceId eq " + sp, 5)):
            status, _, body = self.send("GET", base + "?$filter=" + q(flt), token=tok)
            self.assertEqual((status, len(body["value"])), (200, n), flt)


if __name__ == "__main__":
    harness.main()
