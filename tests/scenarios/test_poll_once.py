# SPDX-License-Identifier: Apache-2.0
"""accessd --once: one poll cycle against the emulator finds exactly the
seeded request items of the governed catalog items, reads their catalog
variables, polls the approvals, and makes no other request."""

import unittest

import harness


class PollOnce(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        # Fast retries: the transport faults below are retried once.
        self.agent = harness.Agent(self.emu, items=("VPN Access",),
                                   extra='retry = { max_attempts = 2; initial_backoff = "0s"; };\n')
        self.addCleanup(self.agent.cleanup)
        seed, self.items = harness.servicenow_seed(["VPN Access", "Laptop Request"])
        self.emu.seed({"servicenow": seed})

    def seed_items(self, item, n):
        records = [{"cat_item": self.items[item], "requested_for": "%032x" % 0xa11ce, "opened_by": "%032x" % 0xa11ce,
                    "state": "1", "short_description": "%s #%d" % (item, i)} for i in range(n)]
        self.emu.seed({"servicenow": {"sc_req_item": records}})
        return [r["number"] for r in self.emu.state("servicenow")["tables"]["sc_req_item"]
                if r["cat_item"] == self.items[item]]

    def found(self, stderr):
        return sorted(line.split("found ", 1)[1].split(" ", 1)[0] for line in stderr.splitlines() if ": found " in line)

    def test_finds_exactly_the_seeded_items(self):
        vpn = self.seed_items("VPN Access", 3)
        self.seed_items("Laptop Request", 2)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.found(proc.stderr), sorted(vpn))
        self.assertIn('3 request(s) changed', proc.stderr)

        reqs = self.emu.requests()
        paths = [r["path"] for r in reqs]
        self.assertEqual(paths, ["/api/now/table/sc_req_item"] + ["/api/now/table/sc_item_option_mtom"] * 3
                         + ["/api/now/table/sysapproval_approver"])
        r = reqs[0]
        self.assertEqual((r["method"], r["status"]), ("GET", 200))
        self.assertEqual(r["query"]["sysparm_query"], "cat_item.nameINVPN Access^ORDERBYsys_updated_on^ORDERBYsys_id")
        self.assertEqual(r["auth_scheme"], "Basic")
        self.assertTrue(r["headers"]["user-agent"].startswith("accessd/"))
        self.assertEqual(reqs[-1]["query"]["sysparm_query"],
                         "sysapproval.ref_sc_req_item.cat_item.nameINVPN Access^ORDERBYsys_updated_on^ORDERBYsys_id")

    def test_pages_through_more_than_one_page(self):
        vpn = self.seed_items("VPN Access", 230)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.found(proc.stderr), sorted(vpn))
        pages = [r for r in self.emu.requests() if r["path"] == "/api/now/table/sc_req_item"]
        self.assertEqual(len(pages), 3)
        self.assertEqual([p["query"]["sysparm_limit"] for p in pages], ["100"] * 3)
        # Pages after the first start after the last record seen.
        self.assertNotIn("^NQ", pages[0]["query"]["sysparm_query"])
        for p in pages[1:]:
            self.assertIn("^NQ", p["query"]["sysparm_query"])

    def test_no_items_is_a_quiet_cycle(self):
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.found(proc.stderr), [])
        self.assertEqual([r["path"] for r in self.emu.requests()],
                         ["/api/now/table/sc_req_item", "/api/now/table/sysapproval_approver"])

    def test_wrong_password_fails_the_cycle_without_leaking_it(self):
        self.agent.write_secret("snow.password", "not-the-password")
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("HTTP 401", proc.stderr)
        self.assertNotIn("not-the-password", proc.stderr)
        self.assertNotIn(harness.SNOW_PASSWORD, proc.stderr)

    def test_server_error_fails_the_cycle(self):
        self.emu.fault(kind="status", status=500, path="sc_req_item", times=0)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("HTTP 500", proc.stderr)

    def test_invalid_json_and_truncated_bodies_are_errors_not_crashes(self):
        vpn = self.seed_items("VPN Access", 1)
        for kind in ("invalid_json", "truncate", "reset"):
            with self.subTest(kind=kind):
                self.emu.fault(kind=kind, path="sc_req_item", times=0)
                proc = self.agent.run("--once")
                self.emu.call("DELETE", "/_emu/faults")
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertEqual(self.found(proc.stderr), [])

    def test_one_transport_fault_is_retried(self):
        vpn = self.seed_items("VPN Access", 1)
        for kind in ("truncate", "reset"):
            with self.subTest(kind=kind):
                self.emu.fault(kind=kind, path="sc_req_item", times=1)
                proc = self.agent.run("--once")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(self.found(proc.stderr), vpn)
                self.assertIn("attempt 2 of 2", proc.stderr)

    def test_group_readable_secret_is_refused(self):
        self.agent.write_secret("snow.password", harness.SNOW_PASSWORD, mode=0o640)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 2)  # the administrator's to fix: no restart
        self.assertIn("readable by group or others", proc.stderr)
        self.assertEqual(self.emu.requests(), [])


if __name__ == "__main__":
    harness.main()
