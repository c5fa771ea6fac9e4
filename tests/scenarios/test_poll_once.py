"""accessd --once: one poll cycle against the emulator finds exactly the
seeded request items of the governed catalog item and makes no other request."""

import unittest

import harness


class PollOnce(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.agent = harness.Agent(self.emu, items=("VPN Access",))
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
        self.assertIn('catalog item "VPN Access": 3 request(s)', proc.stderr)

        reqs = self.emu.requests()
        self.assertEqual(len(reqs), 1, reqs)
        r = reqs[0]
        self.assertEqual((r["method"], r["path"], r["status"]), ("GET", "/api/now/table/sc_req_item", 200))
        self.assertEqual(r["query"]["sysparm_query"], "cat_item.name=VPN Access^ORDERBYsys_updated_on^ORDERBYsys_id")
        self.assertEqual(r["auth_scheme"], "Basic")
        self.assertTrue(r["headers"]["user-agent"].startswith("accessd/"))

    def test_pages_through_more_than_one_page(self):
        vpn = self.seed_items("VPN Access", 230)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.found(proc.stderr), sorted(vpn))
        offsets = [r["query"]["sysparm_offset"] for r in self.emu.requests()]
        self.assertEqual(offsets, ["0", "100", "200"])

    def test_no_items_is_a_quiet_cycle(self):
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.found(proc.stderr), [])
        self.assertEqual(len(self.emu.requests()), 1)

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
        for kind in ("invalid_json", "truncate", "reset"):
            with self.subTest(kind=kind):
                self.seed_items("VPN Access", 1)
                self.emu.fault(kind=kind, path="sc_req_item", times=1)
                proc = self.agent.run("--once")
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertEqual(self.found(proc.stderr), [])

    def test_group_readable_secret_is_refused(self):
        self.agent.write_secret("snow.password", harness.SNOW_PASSWORD, mode=0o640)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("readable by group or others", proc.stderr)
        self.assertEqual(self.emu.requests(), [])


if __name__ == "__main__":
    harness.main()
