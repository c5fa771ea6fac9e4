# SPDX-License-Identifier: Apache-2.0
"""The emulator itself behaves as the ServiceNow Table API is documented:
encoded queries, paging headers, the error envelope, 401, and fault injection."""

import base64
import json
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        seed, self.items = harness.servicenow_seed(["VPN Access", "Laptop Request"])
        self.emu.seed({"servicenow": seed})
        recs = []
        for i in range(5):
            recs.append({"cat_item": self.items["VPN Access"], "state": str(1 + i % 2),
                         "sys_updated_on": "2026-11-0%d 10:00:00" % (i + 1), "short_description": "vpn %d" % i})
        recs.append({"cat_item": self.items["Laptop Request"], "state": "1", "sys_updated_on": "2026-11-09 10:00:00"})
        self.emu.seed({"servicenow": {"sc_req_item": recs}})

    def get(self, path, params=None, auth=(harness.SNOW_USER, harness.SNOW_PASSWORD)):
        url = self.emu.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        req = urllib.request.Request(url)
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read() or b"null")

    def test_encoded_query_operators(self):
        cases = [
            ("cat_item.name=VPN Access", 5),
            ("cat_item.name!=VPN Access", 1),
            ("state=1^cat_item.name=VPN Access", 3),
            ("state=2^ORstate=1", 6),
            ("sys_updated_on>2026-11-03 10:00:00", 3),
            ("sys_updated_on>=2026-11-03 10:00:00", 4),
            ("sys_updated_on<2026-11-03 10:00:00", 2),
            ("stateIN1,2", 6),
            ("state=1^NQstate=2^cat_item.name=VPN Access", 6),
            ("cat_item.name=VPN Access^bogus part", 5),
        ]
        for query, n in cases:
            with self.subTest(query=query):
                status, _, body = self.get("/api/now/table/sc_req_item", {"sysparm_query": query})
                self.assertEqual(status, 200)
                self.assertEqual(len(body["result"]), n)

    def test_order_and_paging_headers(self):
        status, headers, body = self.get("/api/now/table/sc_req_item", {
            "sysparm_query": "cat_item.name=VPN Access^ORDERBYDESCsys_updated_on",
            "sysparm_fields": "number,sys_updated_on", "sysparm_limit": "2", "sysparm_offset": "2"})
        self.assertEqual(status, 200)
        self.assertEqual([r["sys_updated_on"] for r in body["result"]], ["2026-11-03 10:00:00", "2026-11-02 10:00:00"])
        self.assertEqual(set(body["result"][0]), {"number", "sys_updated_on"})
        self.assertEqual(headers["X-Total-Count"], "5")
        links = headers["Link"]
        for rel in ("first", "prev", "next", "last"):
            self.assertIn(';rel="%s"' % rel, links)
        self.assertIn("sysparm_offset=4", links.split(';rel="next"')[0].rsplit("<", 1)[1])

    def test_reference_fields(self):
        _, _, body = self.get("/api/now/table/sc_req_item", {"sysparm_fields": "cat_item", "sysparm_limit": "1"})
        self.assertEqual(body["result"][0]["cat_item"]["value"], self.items["VPN Access"])
        self.assertIn("/api/now/table/sc_cat_item/", body["result"][0]["cat_item"]["link"])
        _, _, body = self.get("/api/now/table/sc_req_item", {"sysparm_fields": "cat_item",
                                                             "sysparm_exclude_reference_link": "true"})
        self.assertEqual(body["result"][0]["cat_item"], self.items["VPN Access"])

    def test_empty_results_versioned_and_not(self):
        status, _, body = self.get("/api/now/table/sc_req_item", {"sysparm_query": "number=NONE"})
        self.assertEqual((status, body["result"]), (200, []))
        status, _, body = self.get("/api/now/v1/table/sc_req_item", {"sysparm_query": "number=NONE"})
        self.assertEqual(status, 404)
        self.assertEqual(body["status"], "failure")

    def test_auth_required(self):
        status, headers, body = self.get("/api/now/table/sc_req_item", auth=None)
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["message"], "User Not Authenticated")
        status, _, _ = self.get("/api/now/table/sc_req_item", auth=(harness.SNOW_USER, "wrong"))
        self.assertEqual(status, 401)

    def test_faults_fire_the_given_number_of_times(self):
        self.emu.fault(kind="status", status=503, path="sc_req_item", times=2)
        self.emu.fault(kind="ratelimit", retry_after=7, path="sc_req_item", times=1)
        codes = [self.get("/api/now/table/sc_req_item")[0] for _ in range(4)]
        self.assertEqual(codes, [503, 503, 429, 200])
        reqs = self.emu.requests()
        self.assertEqual([r["fault"] for r in reqs], ["status", "status", "ratelimit", None])

    def test_a_fault_may_let_the_first_requests_through(self):
        self.emu.fault(kind="status", status=500, path="sc_req_item", times=1, skip=2)
        codes = [self.get("/api/now/table/sc_req_item")[0] for _ in range(4)]
        self.assertEqual(codes, [200, 200, 500, 200])

    def test_retry_after_header(self):
        self.emu.fault(kind="ratelimit", retry_after=7, path="sc_req_item")
        status, headers, _ = self.get("/api/now/table/sc_req_item")
        self.assertEqual((status, headers["Retry-After"]), (429, "7"))

    def test_seed_fault_changes_records_while_a_client_pages(self):
        # The records change when the matching request (by its query
        # string too) arrives, before it is answered.
        self.emu.fault(kind="seed", path="sc_req_item", query="sysparm_offset=2", times=1,
                       seed={"servicenow": {"sc_req_item": [{"cat_item": self.items["VPN Access"],
                                                             "sys_updated_on": "2026-11-10 10:00:00"}]}})
        params = {"sysparm_query": "cat_item.name=VPN Access^ORDERBYsys_updated_on", "sysparm_limit": "2"}
        self.assertEqual(len(self.get("/api/now/table/sc_req_item", params)[2]["result"]), 2)
        _, headers, body = self.get("/api/now/table/sc_req_item", dict(params, sysparm_offset="2"))
        self.assertEqual(headers["X-Total-Count"], "6")
        self.assertEqual([r["fault"] for r in self.emu.requests()], [None, "seed"])

    def test_reset_and_unknown_fault(self):
        self.emu.fault(kind="reset", path="sc_req_item")
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            self.get("/api/now/table/sc_req_item")
        with self.assertRaises(AssertionError):
            self.emu.fault(kind="no-such-kind")


if __name__ == "__main__":
    harness.main()
