# SPDX-License-Identifier: Apache-2.0
"""The emulator's TOPdesk behaves as TOPdesk's API is documented
(doc/itsm-topdesk.md): application-password Basic auth, FIQL and its 400,
paging with 204/206 and X-Next-Page-Url, progress trail memos, JSON Patch,
processing statuses, authorization activities decided by managers,
multipart attachments, and the generic faults and rate limit."""

import base64
import json
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness
import tenant
import topdesk_tenant as td

V2 = "application/x.topdesk-collection-person-v2+json"


def multipart_body(fields, boundary="accessd-boundary-7c1f"):
    """A multipart/form-data body: FIELDS maps a name to text, or to
    (file name, bytes, content type) for a file part."""
    out = b""
    for name, value in fields.items():
        out += b"--" + boundary.encode() + b"\r\n"
        if isinstance(value, tuple):
            out += ('Content-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (name, value[0], value[2])).encode() + value[1] + b"\r\n"
        else:
            out += ('Content-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)).encode()
    return out + b"--" + boundary.encode() + b"--\r\n", "multipart/form-data; boundary=" + boundary


class TOPdeskEmulator(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        td.load(self.emu)

    # -- helpers ---------------------------------------------------------
    def call(self, method, path, params=None, body=None, login=(td.OPERATOR_LOGIN, td.APP_PASSWORD),
             content_type="application/json", headers=None):
        """(status, headers, body) of a TOPdesk API call; PARAMS is a list of
        pairs (repeatable) or a dict; BODY JSON unless bytes."""
        query = urllib.parse.urlencode(params or {}, quote_via=urllib.parse.quote)
        url = self.emu.url + "/tas/api" + urllib.parse.quote(path) + ("?" + query if query else "")
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if login:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % login).encode()).decode())
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, dict(e.headers), e.read()
        parsed = json.loads(raw) if raw[:1] in (b"{", b"[") else raw
        return status, hdrs, parsed

    def state(self):
        return self.emu.state("topdesk")

    def new_change(self, **kw):
        self.emu.seed({"topdesk": {"changes": [td.vpn_request() if not kw else kw]}})
        return self.state()["changes"][-1]

    def incidents(self, n, **fields):
        recs = [dict({"caller": {"id": td.person_id("alice")}, "briefDescription": "call %d" % i,
                      "modificationDate": "2026-11-%02dT10:00:00Z" % (i + 1)}, **fields) for i in range(n)]
        self.emu.seed({"topdesk": {"incidents": recs}})

    def fiql(self, query, **params):
        return self.call("GET", "/incidents", dict({"pageSize": 100}, **params, query=query))

    # -- authentication ------------------------------------------------------
    def test_application_password_basic_auth(self):
        status, _, body = self.call("GET", "/version")
        self.assertEqual((status, list(body)), (200, ["version"]))
        for login in (None, (td.OPERATOR_LOGIN, "wrong"), ("nobody", td.APP_PASSWORD)):
            with self.subTest(login=login):
                status, _, body = self.call("GET", "/incidents", login=login)
                self.assertEqual(status, 401)
                self.assertEqual(body, [{"message": "No authentication token provided"}])
        self.emu.call("POST", "/_emu/config/topdesk",
                      {"users": {td.OPERATOR_LOGIN: {"password": td.APP_PASSWORD, "operator": td.OPERATOR_ID,
                                                     "expired": True}}})
        self.assertEqual(self.call("GET", "/version")[0], 401)

    def test_operators_and_persons_reach_only_their_endpoints(self):
        manager = ("victor", td.password("victor"))
        self.assertEqual(self.call("GET", "/version", login=manager)[0], 200)
        for path in ("/incidents", "/operatorChanges", "/persons"):
            status, _, body = self.call("GET", path, login=manager)
            self.assertEqual(status, 403, path)
            self.assertIn("message", body[0])
        self.assertEqual(self.call("GET", "/managerAuthorizables", login=manager)[0], 200)
        self.assertEqual(self.call("GET", "/managerAuthorizables")[0], 403)
        self.emu.seed({"topdesk": {"operators": [{"id": td.OPERATOR_ID, "archived": True}]}})
        status, _, body = self.call("GET", "/version")
        self.assertEqual((status, body), (401, [{"message": "User removed or archived"}]))

    # -- paging ---------------------------------------------------------------
    def test_incident_paging_204_206_and_next_page_url(self):
        self.incidents(25)
        params = {"query": "modificationDate=ge=2026-11-03T00:00:00Z", "sort": "modificationDate:asc",
                  "pageSize": 10, "fields": "id,number,modificationDate"}
        status, headers, page = self.call("GET", "/incidents", params)
        self.assertEqual(status, 206)
        self.assertEqual([p["modificationDate"] for p in page][:2],
                         ["2026-11-03T10:00:00.000+0000", "2026-11-04T10:00:00.000+0000"])
        self.assertEqual(set(page[0]), {"id", "number", "modificationDate"})
        seen = [p["number"] for p in page]
        while status == 206:
            url = urllib.parse.urlsplit(headers["X-Next-Page-Url"])
            self.assertEqual(url.path, "/tas/api/incidents")
            status, headers, page = self.call("GET", "/incidents", urllib.parse.parse_qsl(url.query))
            seen += [p["number"] for p in page]
        self.assertEqual(status, 200)
        self.assertNotIn("X-Next-Page-Url", headers)
        self.assertEqual(len(seen), 23)
        self.assertEqual(len(set(seen)), 23)
        self.assertTrue(all(n.startswith("I ") and len(n.split(" ")) == 3 for n in seen))
        status, _, body = self.call("GET", "/incidents", {"query": "modificationDate=ge=2027-01-01T00:00:00Z"})
        self.assertEqual((status, body), (204, b""))
        for bad in ({"pageSize": 10001}, {"pageSize": 0}, {"pageStart": -1}, {"sort": "action:asc"},
                    {"fields": "nonsense"}):
            with self.subTest(bad=bad):
                self.assertEqual(self.call("GET", "/incidents", bad)[0], 400)
        _, _, one = self.call("GET", "/incidents", {"pageSize": 1, "dateFormat": "iso8601",
                                                   "sort": "modificationDate:asc"})
        self.assertEqual(one[0]["modificationDate"], "2026-11-01T10:00:00Z")

    def test_default_listing_leaves_out_partials_and_archived(self):
        self.incidents(2)
        self.incidents(1, status="secondLineArchived")
        self.assertEqual(len(self.call("GET", "/incidents")[2]), 2)
        self.assertEqual(len(self.call("GET", "/incidents", {"all": "true"})[2]), 3)

    # -- FIQL -------------------------------------------------------------------
    def test_fiql_operators_and_quoting(self):
        self.incidents(3)
        self.emu.seed({"topdesk": {"incidents": [
            {"caller": {"id": td.person_id("bob")}, "briefDescription": "Ops; VPN, \"urgent\" == now",
             "externalNumber": "C_2611_001.r0.t0.block", "modificationDate": "2026-11-20T10:00:00Z",
             "category": {"name": "Access requests"}}]}})
        cases = [
            ("briefDescription==\"Ops; VPN, \\\"urgent\\\" == now\"", 1),
            ("briefDescription=='Ops; VPN, \"urgent\" == now'", 1),
            ("externalNumber==C_2611_001.r0.t0.block", 1),
            ("caller.email==BOB@contoso.example", 1),
            ("caller.email!=bob@contoso.example", 3),
            ("briefDescription=in=('call 0','call 2')", 2),
            ("briefDescription=out=('call 0','call 2')", 2),
            ("briefDescription=sw=call", 3),
            ("category.name==null", 3),
            ("category.name!=null;closed==false", 1),
            ("modificationDate=gt=2026-11-02T10:00:00Z;modificationDate=lt=2026-11-20T10:00:00Z", 1),
            ("modificationDate=ge=2026-11-02T11:00:00+01:00", 3),
            ("modificationDate=ge=2026-11-02T11:00:00+0100", 3),
            ("(briefDescription=='call 0',briefDescription=='call 1');closed==false", 2),
        ]
        for query, n in cases:
            with self.subTest(query=query):
                status, _, body = self.fiql(query)
                self.assertEqual(status, 200, body)
                self.assertEqual(len(body), n)

    def test_fiql_error_names_the_constraint(self):
        self.incidents(1)
        cases = [
            ("callerEmail==a@b", "callerEmail==a@b"),
            ("caller.email==a;b@contoso.example", "b@contoso.example"),
            ("briefDescription=gt=a", "briefDescription=gt=a"),
            ("request==x", "request==x"),
            ("modificationDate=gt=2026-11-01", "modificationDate=gt=2026-11-01"),
            ("modificationDate=gt=2026-11-01T00:00:00.000Z", "modificationDate=gt=2026-11-01T00:00:00.000Z"),
            ("closed==maybe", "closed==maybe"),
            ("briefDescription=='unclosed", "briefDescription=='unclosed"),
            ("briefDescription==two words", "briefDescription==two words"),
        ]
        for query, named in cases:
            with self.subTest(query=query):
                status, _, body = self.fiql(query)
                self.assertEqual(status, 400)
                self.assertIn("'%s' is not a valid FIQL selector" % named, body[0]["message"])

    def test_person_and_operator_lookup_by_email(self):
        params = {"query": "email=='MIA@contoso.example';archived==false"}
        status, headers, body = self.call("GET", "/persons", params, headers={"Accept": V2})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], V2)
        self.assertEqual([(p["id"], p["isManager"]) for p in body["item"]], [(td.person_id("mia"), True)])
        self.assertIsNone(body["next"])
        _, _, alice = self.call("GET", "/persons/" + td.person_id("alice"))
        self.assertEqual(alice["manager"]["id"], td.person_id("mia"))
        status, _, body = self.call("GET", "/persons", {"pageSize": 3}, headers={"Accept": V2})
        self.assertEqual((status, body["size"]), (206, 3))
        status, _, legacy = self.call("GET", "/persons", {"query": "email==sam@contoso.example"})
        self.assertEqual((status, [p["id"] for p in legacy]), (200, [td.person_id("sam")]))
        status, _, ops = self.call("GET", "/operators", {"query": "email==accessd@contoso.example"})
        self.assertEqual((status, [o["id"] for o in ops]), (200, [td.OPERATOR_ID]))
        self.assertEqual(self.call("GET", "/operators", {"query": "email==nobody@contoso.example"})[0], 204)

    # -- incidents: notes and fields ---------------------------------------------
    def test_operator_groups_by_name(self):
        status, _, groups = self.call("GET", "/operatorgroups", {"query": 'groupName=="IAM Operations"',
                                                                 "fields": "id,groupName"})
        self.assertEqual((status, groups), (200, [{"id": td.IAM_GROUP_ID, "groupName": "IAM Operations"}]))
        status, _, body = self.call("GET", "/operatorgroups", {"query": 'groupName=="IAM"'})
        self.assertEqual((status, body), (204, b""))
        self.emu.seed({"topdesk": {"operatorgroups": [{"id": td.IAM_GROUP_ID, "groupName": "IAM Operations",
                                                       "archived": True}]}})
        self.assertEqual(self.call("GET", "/operatorgroups")[0], 204)
        status, _, groups = self.call("GET", "/operatorgroups", {"query": 'groupName=="IAM Operations"'})
        self.assertEqual((status, [g["archived"] for g in groups]), (200, [True]))
        self.assertEqual(self.call("GET", "/operatorgroups", {"query": "groupName=="})[0], 400)
        self.assertEqual(self.call("GET", "/operatorgroups", login=("victor", td.password("victor")))[0], 403)

    def test_incident_action_memo_write_and_read(self):
        self.incidents(1)
        inc = self.state()["incidents"][0]
        status, _, body = self.call("PATCH", "/incidents/id/" + inc["id"],
                                    body={"action": "Approved; implementing [accessd X.r0.s1.approve]",
                                          "actionInvisibleForCaller": True,
                                          "processingStatus": {"name": "In progress"}})
        self.assertEqual(status, 200)
        self.assertEqual(body["processingStatus"]["name"], "In progress")
        self.assertGreater(body["modificationDate"], inc["modificationDate"] and "2026-11-01T10:00:00.000+0000")
        self.call("PUT", "/incidents/number/" + inc["number"], body={"action": "for the caller"})
        status, _, actions = self.call("GET", "/incidents/id/%s/actions" % inc["id"])
        self.assertEqual(status, 200)
        self.assertEqual([(a["memoText"], a["invisibleForCaller"]) for a in actions],
                         [("for the caller", False), ("Approved; implementing [accessd X.r0.s1.approve]", True)])
        self.assertEqual(actions[0]["operator"]["id"], td.OPERATOR_ID)
        self.assertEqual(self.call("GET", "/incidents/id/%s/actions" % inc["id"], {"page_size": 1})[0], 206)
        self.assertEqual(self.call("GET", "/incidents/id/%s/actions" % inc["id"], {"page_size": 101})[0], 400)

    def test_incident_writes_are_checked(self):
        self.incidents(1)
        inc = self.state()["incidents"][0]
        path = "/incidents/id/" + inc["id"]
        cases = [
            ({"nonsense": 1}, 400),
            ({"briefDescription": "x" * 81}, 400),
            ({"externalNumber": "x" * 61}, 400),
            ({"processingStatus": {"name": "No such status"}}, 400),
            ({"processingStatus": {"id": "00000000-0000-4000-8000-000000000000"}}, 404),
            ({"category": {"name": "Access requests"}, "subcategory": {"name": "accessd"}}, 400),
            ({"closed": "yes"}, 400),
            ({"status": "secondLine"}, 400),
        ]
        for body, code in cases:
            with self.subTest(body=body):
                self.assertEqual(self.call("PATCH", path, body=body)[0], code)
        self.assertEqual(self.call("PATCH", path, body=b"not json")[0], 400)
        self.assertEqual(self.call("PATCH", "/incidents/id/00000000-0000-4000-8000-000000000000",
                                   body={"action": "x"})[0], 404)

    def test_create_incident_with_the_action_id_in_external_number(self):
        body = {"callerLookup": {"id": td.person_id("victor")}, "briefDescription": "accessd: grant blocked",
                "request": "Graph said 403", "externalNumber": "C_2611_001.r0.t0.block",
                "operatorGroup": {"id": td.IAM_GROUP_ID}, "category": {"name": "Identity and access"},
                "subcategory": {"name": "accessd"}, "processingStatus": {"name": "Registered"}}
        status, _, inc = self.call("POST", "/incidents", body=body)
        self.assertEqual(status, 201)
        self.assertEqual((inc["caller"]["email"], inc["operatorGroup"]["name"]),
                         ("victor@contoso.example", "IAM Operations"))
        self.assertIn("Graph said 403", inc["request"])
        _, _, found = self.fiql("externalNumber==C_2611_001.r0.t0.block")
        self.assertEqual([f["id"] for f in found], [inc["id"]])
        self.assertEqual(self.call("POST", "/incidents", body={"briefDescription": "no caller"})[0], 400)

    # -- changes ---------------------------------------------------------------------
    def test_change_from_a_portal_form(self):
        c = self.new_change()
        status, _, change = self.call("GET", "/operatorChanges/" + c["number"])
        self.assertEqual(status, 200)
        self.assertEqual((change["templateId"], change["requester"]["id"], change["processingStatus"],
                          change["status"]["name"]), (td.template_id("VPN Access"), td.person_id("alice"), "rfc",
                                                      "Requested"))
        self.assertEqual((change["optionalFields1"]["text2"], change["optionalFields1"]["date2"]),
                         ("bob@contoso.example", "2027-01-31T00:00:00+0000"))
        self.assertRegex(change["lastModificationDate"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")
        _, _, requests = self.call("GET", "/operatorChanges/%s/requests" % c["id"])
        self.assertIn("Sponsor<br/>- bob@contoso.example", requests["results"][0]["memoText"])

    def test_change_list_query_paging_and_fields(self):
        for i in range(5):
            self.new_change(template={"id": td.template_id("VPN Access")}, requester={"id": td.person_id("bob")},
                            briefDescription="vpn %d" % i, modificationDate="2026-11-%02dT10:00:00Z" % (i + 1))
        params = {"query": "modificationDate=ge=2026-11-02T10:00:00Z;template.name=='VPN Access'",
                  "sort": "id:asc", "pageSize": 2, "fields": "id,number,modificationDate,status.name"}
        seen, start = [], 0
        while True:
            status, _, page = self.call("GET", "/operatorChanges", dict(params, pageStart=start))
            self.assertEqual(status, 200)
            seen += page["results"]
            if len(page["results"]) < 2:
                break
            start += 2
        self.assertEqual(len(seen), 4)
        self.assertEqual([s["id"] for s in seen], sorted(s["id"] for s in seen))
        self.assertEqual(set(seen[0]), {"id", "number", "modificationDate", "status"})
        self.assertEqual(seen[0]["status"], {"name": "Requested"})
        self.assertEqual(self.call("GET", "/operatorChanges", {"fields": "nonsense"})[0], 400)
        self.assertEqual(self.call("GET", "/operatorChanges", {"query": "nonsense==1"})[0], 400)
        _, _, plain = self.call("GET", "/operatorChanges", {"open": "true", "phase": "rfc"})
        self.assertEqual(len(plain["results"]), 5)
        self.assertIn("modificationDate", plain["results"][0])
        # The change API 1.4.0 has no query: it answers every change.
        self.emu.call("POST", "/_emu/config/topdesk", {"change_query": False})
        _, _, old = self.call("GET", "/operatorChanges", {"query": "number==nothing"})
        self.assertEqual(len(old["results"]), 5)
        self.assertEqual(self.call("GET", "/operatorChanges", {"sort": "id:asc"})[0], 400)

    def test_changes_paged_by_id_skip_none_while_they_move(self):
        # The connector's plan (doc/itsm-topdesk.md): filter on the
        # modification date, sort by id, page by offset. Records changed or
        # created between pages must not push any record past the reader.
        for i in range(30):
            self.new_change(template={"id": td.template_id("VPN Access")}, requester={"id": td.person_id("bob")},
                            briefDescription="vpn %d" % i, modificationDate="2026-11-01T10:00:%02dZ" % i)
        before = {c["id"] for c in self.state()["changes"]}
        params = {"query": "modificationDate=ge=2026-11-01T10:00:00Z", "sort": "id:asc", "pageSize": 5,
                  "fields": "id,modificationDate"}
        seen, start, rounds = [], 0, 0
        while True:
            _, _, page = self.call("GET", "/operatorChanges", dict(params, pageStart=start))
            seen += [c["id"] for c in page["results"]]
            if len(page["results"]) < 5:
                break
            start += 5
            rounds += 1
            ids = sorted(before)
            # Behind and ahead of the reader, records change; new ones come.
            self.emu.seed({"topdesk": {"changes": [{"id": ids[rounds]}, {"id": ids[-rounds]}]}})
            self.new_change(template={"id": td.template_id("VPN Access")}, requester={"id": td.person_id("bob")},
                            briefDescription="new %d" % rounds)
        self.assertEqual(before - set(seen), set())

    def test_incidents_keyed_by_modification_date_skip_none_while_they_move(self):
        # Each page asks again from the newest modification date seen (to the
        # second: FIQL takes no fraction), as the connector does; an offset
        # would skip the neighbour of a record that moved to the end.
        self.incidents(20)
        last, seen, rounds = "2026-11-01T00:00:00Z", set(), 0
        while True:
            status, _, page = self.fiql("modificationDate=ge=" + last, sort="modificationDate:asc", pageSize=4)
            if status == 204:
                break
            fresh = [p for p in page if (p["id"], p["modificationDate"]) not in seen]
            seen |= {(p["id"], p["modificationDate"]) for p in fresh}
            last = page[-1]["modificationDate"][:19] + "Z"
            if status == 200 or not fresh:
                break
            rounds += 1
            self.emu.seed({"topdesk": {"incidents": [{"id": page[0]["id"], "briefDescription": "moved %d" % rounds}]}})
        self.assertGreater(rounds, 3)
        # The reader ends with every record as it is now, the moved ones too.
        final = {(i["id"], self.call("GET", "/incidents/id/" + i["id"])[2]["modificationDate"])
                 for i in self.state()["incidents"]}
        self.assertEqual(final - seen, set())

    def test_change_memos_cannot_be_hidden(self):
        c = self.new_change()
        path = "/operatorChanges/%s/progresstrail" % c["id"]
        status, _, entry = self.call("POST", path, body={"memoText": "  Sent back: end date missing  ",
                                                         "type": "memo"})
        self.assertEqual(status, 201)
        self.assertEqual((entry["memoText"], entry["invisibleForCaller"]), ("Sent back: end date missing", False))
        for body in ({"memoText": " \n\t", "type": "memo"}, {"memoText": "x", "type": "memo",
                                                              "invisibleForCaller": True}, {"memoText": "x"}):
            with self.subTest(body=body):
                self.assertEqual(self.call("POST", path, body=body)[0], 400)
        self.assertEqual(self.call("POST", path, body=b"x", content_type="text/plain")[0], 415)
        _, _, trail = self.call("GET", path)
        self.assertEqual([e["memoText"] for e in trail["results"]], ["Sent back: end date missing"])
        self.assertGreater(self.state()["changes"][-1]["modificationDate"], c["modificationDate"] - 1)

    def test_change_edits_take_json_patch(self):
        c = self.new_change()
        path = "/operatorChanges/" + c["id"]
        self.assertEqual(self.call("PATCH", path, body={"briefDescription": "plain object"})[0], 400)
        patch = [{"op": "test", "path": "/status", "value": "Requested"},
                 {"op": "replace", "path": "/status", "value": "Waiting for approval"},
                 {"op": "replace", "path": "/optionalFields1/text4", "value": "90d"},
                 {"op": "add", "path": "/progressTrail", "value": "Asked victor [accessd A.r0.s1.v.approve]"}]
        self.assertEqual(self.call("PATCH", path, body=patch, content_type="application/json-patch+json")[0], 204)
        _, _, change = self.call("GET", path)
        self.assertEqual((change["status"]["name"], change["optionalFields1"]["text4"]), ("Waiting for approval", "90d"))
        self.assertIn("Asked victor [accessd A.r0.s1.v.approve]",
                      [e["memoText"] for e in self.call("GET", path + "/progresstrail")[2]["results"]])
        # All or nothing: a failing test leaves the earlier steps undone.
        failing = [{"op": "replace", "path": "/briefDescription", "value": "changed"},
                   {"op": "test", "path": "/status", "value": "Requested"}]
        self.assertEqual(self.call("PATCH", path, body=failing)[0], 400)
        self.assertEqual(self.call("GET", path)[2]["briefDescription"], change["briefDescription"])
        for bad in ([{"op": "replace", "path": "/nonsense", "value": 1}],
                    [{"op": "replace", "path": "/status", "value": "Completed"}],
                    [{"op": "replace", "path": "/processingStatus", "value": "simple_done"}],
                    [{"op": "replace", "path": "/briefDescription"}], []):
            with self.subTest(bad=bad):
                self.assertEqual(self.call("PATCH", path, body=bad)[0], 400)
        self.assertEqual(self.call("PATCH", path, body=patch, content_type="text/plain")[0], 415)

    def test_processing_status_transitions(self):
        c = self.new_change()
        path = "/operatorChanges/%s/processingStatusTransitions" % c["id"]
        self.assertEqual(self.call("GET", "/operatorChanges/" + c["id"])[2]["possibleActions"], ["approve", "reject"])
        self.assertEqual(self.call("POST", path, body={"from": "prfc", "action": "approve"})[0], 400)
        self.assertEqual(self.call("POST", path, body={"from": "rfc", "action": "close"})[0], 400)
        status, _, done = self.call("POST", path, body={"from": "rfc", "action": "approve", "comment": "ok"})
        self.assertEqual(status, 201)
        self.assertEqual((done["from"], done["to"], done["performer"]["type"]), ("rfc", "simple_notStarted", "operator"))
        for frm, action, to in (("simple_notStarted", "start", "simple_inProgress"),
                                ("simple_inProgress", "implement", "simple_done"),
                                ("simple_done", "close", "simple_closed")):
            self.assertEqual(self.call("POST", path, body={"from": frm, "action": action})[2]["to"], to)
        _, _, closed = self.call("GET", "/operatorChanges", {"query": "open==false"})
        self.assertEqual([x["id"] for x in closed["results"]], [c["id"]])

    def test_status_can_determine_the_processing_status(self):
        self.emu.call("POST", "/_emu/config/topdesk", {"status_determines_processing_status": True})
        c = self.new_change()
        self.assertEqual(self.call("POST", "/operatorChanges/%s/processingStatusTransitions" % c["id"],
                                   body={"from": "rfc", "action": "approve"})[0], 400)
        self.call("PATCH", "/operatorChanges/" + c["id"], body=[{"op": "replace", "path": "/status", "value": "Rejected"}])
        self.assertEqual(self.call("GET", "/operatorChanges/" + c["id"])[2]["processingStatus"], "rejected")

    # -- authorizations ------------------------------------------------------------
    def test_authorization_activities_decided_by_managers(self):
        c = self.new_change()
        before = self.state()["changes"][-1]["modificationDate"]
        body = {"changeId": c["number"], "activityType": "authorization", "changePhase": "rfc",
                "briefDescription": "Approve VPN for alice (manager stage)",
                "request": "[accessd C_2611_001.r0.s0.victor.approve]",
                "assignee": {"id": td.person_id("victor"), "type": "manager"}}
        status, _, act = self.call("POST", "/operatorChangeActivities", body=body)
        self.assertEqual(status, 201)
        self.assertEqual((act["processingStatus"], act["status"]["name"], act["assignee"]["name"]),
                         ("ready_to_start", "Waiting for decision", "Victor Contoso"))
        self.assertTrue(act["number"].startswith("CA "))
        normal = dict(body, activityType="normal")
        self.assertEqual(self.call("POST", "/operatorChangeActivities", body=normal)[0], 400)
        not_manager = dict(body, assignee={"id": td.person_id("alice"), "type": "manager"})
        self.assertEqual(self.call("POST", "/operatorChangeActivities", body=not_manager)[0], 400)

        victor, sam = ("victor", td.password("victor")), ("sam", td.password("sam"))
        _, _, waiting = self.call("GET", "/managerAuthorizables", {"managerAction": "waiting"}, login=victor)
        self.assertEqual([w["id"] for w in waiting["results"]], [act["id"]])
        self.assertEqual(waiting["results"][0]["parent"]["number"], c["number"])
        self.assertEqual(td.decide(self.emu, act["id"], "sam"), 403)
        self.assertEqual(self.call("PUT", "/managerAuthorizableActivities/%s/managerAction" % act["id"],
                                   body={"action": "approve"}, login=victor)[0], 400)
        self.assertEqual(td.decide(self.emu, act["id"], "victor", "go", comment="fine"), 204)
        self.assertEqual(td.decide(self.emu, act["id"], "victor", "no_go"), 400)
        _, _, mine = self.call("GET", "/managerAuthorizableActivities/" + act["id"], login=victor)
        self.assertEqual(mine["managerAction"], "go")
        self.assertEqual(self.call("GET", "/managerAuthorizableActivities/" + act["id"], login=sam)[0], 403)

        _, _, listed = self.call("GET", "/operatorChangeActivities", [("change", c["id"]), ("change", "C 0000 000")])
        got = listed["results"][0]
        self.assertEqual((got["processingStatus"], got["status"]["name"]), ("authorized", "Authorized"))
        self.assertIsNotNone(got["finalDate"])
        self.assertEqual(self.call("GET", "/operatorChangeActivities", {"change": c["id"], "open": "true"})[2],
                         {"results": []})
        _, _, decided = self.call("GET", "/operatorChangeActivities",
                                  {"finalDateAfter": "2026-01-01T00:00:00Z", "sort": "finalDate:asc",
                                   "fields": "id,processingStatus,lastModificationDate"})
        self.assertEqual(decided["results"], [{"id": act["id"], "processingStatus": "authorized",
                                               "lastModificationDate": got["lastModificationDate"]}])
        _, _, trail = self.call("GET", "/operatorChangeActivities/%s/progresstrail" % act["id"])
        self.assertEqual([(e["memoText"], e["person"]["id"]) for e in trail["results"]],
                         [("fine", td.person_id("victor"))])
        # A manager's decision does not touch the change.
        self.assertEqual(self.state()["changes"][-1]["modificationDate"], before)
        # An operator's view of the activity does not say who decided
        # (ChangeActivityDetails has no such field).
        _, _, detail = self.call("GET", "/operatorChangeActivities/" + act["id"])
        self.assertNotIn("authorizer", detail)
        self.assertEqual(detail["approvedDate"], got["finalDate"])

    def test_rejection_reason_and_skipping(self):
        c = self.new_change()
        reason = td.config()["activity_rejection_reasons"][2]
        acts = []
        for who in ("mia", "victor"):
            self.emu.seed({"topdesk": {"activities": [{"change": {"id": c["id"]}, "activityType": "authorization",
                                                       "briefDescription": "approve", "assignee": {
                                                           "id": td.person_id(who), "type": "manager"}}]}})
            acts.append(self.state()["activities"][-1])
        self.assertEqual(td.decide(self.emu, acts[0]["id"], "mia", "no_go", reason="00000000-0000-4000-8000-"
                                                                                   "000000000000"), 400)
        self.assertEqual(td.decide(self.emu, acts[0]["id"], "mia", "no_go", comment="not for contractors",
                                   reason=reason["id"]), 204)
        _, _, rejected = self.call("GET", "/operatorChangeActivities/" + acts[0]["id"])
        self.assertEqual((rejected["processingStatus"], rejected["rejectionReason"]["name"]),
                         ("rejected", "Security concern"))
        # The operator withdraws the other, open one: skipped, not decided.
        skip = [{"op": "replace", "path": "/processingStatus", "value": "skipped"}]
        self.assertEqual(self.call("PATCH", "/operatorChangeActivities/" + acts[1]["id"], body=skip)[0], 204)
        self.assertEqual(self.call("GET", "/operatorChangeActivities/" + acts[1]["id"])[2]["processingStatus"],
                         "skipped")
        for aid, value in ((acts[0]["id"], "skipped"), (acts[1]["id"], "in_progress")):
            with self.subTest(aid=aid):
                body = [{"op": "replace", "path": "/processingStatus", "value": value}]
                self.assertEqual(self.call("PATCH", "/operatorChangeActivities/" + aid, body=body)[0], 400)
        self.assertEqual(td.decide(self.emu, acts[1]["id"], "victor"), 400)

    def test_activity_can_be_made_to_touch_its_change(self):
        self.emu.call("POST", "/_emu/config/topdesk", {"activity_touches_change": True})
        c = self.new_change(template={"id": td.template_id("VPN Access")}, requester={"id": td.person_id("bob")},
                            modificationDate="2026-11-01T10:00:00Z")
        self.call("POST", "/operatorChangeActivities", body={
            "changeId": c["id"], "activityType": "authorization", "briefDescription": "approve",
            "assignee": {"id": td.person_id("mia"), "type": "manager"}})
        self.assertGreater(self.state()["changes"][-1]["modificationDate"], c["modificationDate"])

    # -- attachments -------------------------------------------------------------------
    def test_incident_attachment_multipart(self):
        self.incidents(1)
        inc = self.state()["incidents"][0]
        body, ctype = multipart_body({"file": ("evidence-X.r0.complete.json", b'{"ok": 1}', "application/json"),
                                      "invisibleForCaller": "true", "description": "evidence"})
        status, _, att = self.call("POST", "/incidents/id/%s/attachments" % inc["id"], body=body, content_type=ctype)
        self.assertEqual(status, 200)
        self.assertEqual((att["fileName"], att["size"], att["invisibleForCaller"]),
                         ("evidence-X.r0.complete.json", 9, True))
        _, _, listed = self.call("GET", "/incidents/id/%s/attachments" % inc["id"])
        self.assertEqual([a["id"] for a in listed], [att["id"]])
        status, _, data = self.call("GET", "/incidents/id/%s/attachments/%s/download" % (inc["id"], att["id"]))
        self.assertEqual((status, data), (200, {"ok": 1}))
        self.assertEqual(self.call("POST", "/incidents/id/%s/attachments" % inc["id"], body=b"{}")[0], 400)

    def test_change_attachment_is_found_through_the_progress_trail(self):
        c = self.new_change()
        body, ctype = multipart_body({"file": ("evidence-C_2611_001.r0.t0.json", b"{}", "application/json")})
        status, _, entry = self.call("POST", "/operatorChanges/%s/attachments" % c["id"], body=body,
                                     content_type=ctype)
        self.assertEqual((status, entry["type"], entry["fileName"]), (201, "attachment", "evidence-C_2611_001.r0.t0.json"))
        _, _, trail = self.call("GET", "/operatorChanges/%s/progresstrail" % c["id"])
        files = [e for e in trail["results"] if e["type"] == "attachment"]
        self.assertEqual([f["fileName"] for f in files], ["evidence-C_2611_001.r0.t0.json"])
        status, _, data = self.call("GET", urllib.parse.unquote(files[0]["downloadUrl"][len("/tas/api"):]))
        self.assertEqual((status, data), (200, {}))
        self.assertEqual(self.call("POST", "/operatorChanges/%s/attachments" % c["id"], body=b"{}")[0], 415)

    # -- faults and limits --------------------------------------------------------------
    def test_generic_faults_apply_to_topdesk(self):
        self.incidents(1)
        inc = self.state()["incidents"][0]
        self.emu.fault(kind="status", status=503, method="PATCH", path="/tas/api/incidents/id/", times=1)
        status, _, body = self.call("PATCH", "/incidents/id/" + inc["id"], body={"action": "note"})
        self.assertEqual((status, body), (503, [{"message": "Injected failure"}]))
        self.assertEqual(self.call("GET", "/incidents/id/%s/actions" % inc["id"])[0], 204)
        self.emu.fault(kind="ratelimit", retry_after=7, path="/tas/api/incidents")
        status, headers, body = self.call("GET", "/incidents")
        self.assertEqual((status, headers["Retry-After"], body), (429, "7", [{"message": "Too many requests"}]))
        self.emu.fault(kind="drop_response", method="PATCH", path="/tas/api/incidents/id/")
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            self.call("PATCH", "/incidents/id/" + inc["id"], body={"action": "taken, unanswered"})
        self.assertEqual(len(self.call("GET", "/incidents/id/%s/actions" % inc["id"])[2]), 1)
        self.assertEqual([r["fault"] for r in self.emu.requests() if r["fault"]],
                         ["status", "ratelimit", "drop_response"])

    def test_rate_limit_with_and_without_retry_after(self):
        self.emu.call("POST", "/_emu/config/topdesk", {"rate_limit": {"requests": 2, "per_seconds": 60,
                                                                      "retry_after": 3}})
        statuses = [self.call("GET", "/version")[0] for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])
        self.assertEqual(self.call("GET", "/version")[1]["Retry-After"], "3")
        self.emu.call("POST", "/_emu/config/topdesk", {"rate_limit": {"requests": 0, "per_seconds": 60,
                                                                      "retry_after": None}})
        status, headers, _ = self.call("GET", "/version")
        self.assertEqual(status, 429)
        self.assertNotIn("Retry-After", headers)

    def test_demo_cases_seed(self):
        self.emu.seed({"topdesk": {"changes": [td.vpn_request(),
                                               td.mailbox_request("2026-11-29T10:00:00Z", "12s")]}})
        changes = self.state()["changes"]
        self.assertEqual([c["template"]["name"] for c in changes], ["VPN Access", "Shared Mailbox Access"])
        self.assertEqual(changes[1]["optionalFields1"]["text3"], "Finance Shared Mailbox")
        graph = self.emu.state("graph")
        away = [u["userPrincipalName"] for u in graph["users"] if u["mailbox"]["status"] != "disabled"]
        self.assertEqual(away, [tenant.upn("mia")])
        persons = {p["email"]: p for p in self.state()["persons"]}
        self.assertEqual(persons[tenant.upn("alice")]["manager"]["id"], td.person_id("mia"))
        self.assertEqual(sorted(e for e, p in persons.items() if p["isManager"]),
                         sorted(tenant.upn(n) for n in td.APPROVERS))


if __name__ == "__main__":
    harness.main()
