# SPDX-License-Identifier: Apache-2.0
"""The daemon against ServiceNow with OAuth2: after the first cycle has seen
everything, an idle cycle makes exactly one request per polled table and
nothing else (no token request, no re-reading of what did not change), and
no password, client secret or token reaches the log, even at debug level."""

import os
import signal
import subprocess
import time
import unittest

import harness

CLIENT_SECRET = "cl1ent-S3cret-for-idle"
POLLED = ["/api/now/table/sc_req_item", "/api/now/table/sysapproval_approver"]


class IdleCycle(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.agent = harness.Agent(self.emu, items=("VPN Access",))
        self.addCleanup(self.agent.cleanup)
        secret = self.agent.write_secret("snow.client_secret", CLIENT_SECRET)
        with open(self.agent.config) as f:
            text = f.read()
        text = text.replace('method = "basic";', 'method = "oauth2";\n    client_id = "accessd";\n'
                            '    client_secret_file = "%s";' % secret)
        with open(self.agent.config, "w") as f:
            f.write(text)
        seed, items = harness.servicenow_seed(["VPN Access"])
        self.emu.seed({"servicenow": seed})
        self.emu.call("POST", "/_emu/config/servicenow", {"oauth_clients": {"accessd": CLIENT_SECRET}})
        self.emu.seed({"servicenow": {"sc_req_item": [
            {"cat_item": items["VPN Access"], "requested_for": "%032x" % 0xa11ce, "state": "1"}]}})
        self.ritm = self.emu.state("servicenow")["tables"]["sc_req_item"][0]
        self.emu.seed({"servicenow": {"sysapproval_approver": [
            {"sysapproval": self.ritm["sys_id"], "approver": "%032x" % 0xb0b, "state": "requested"}]}})

    def run_cycles(self, cycles):
        """Run the daemon until it has polled CYCLES times; its stderr."""
        proc = subprocess.Popen([harness.ACCESSD, "-c", self.agent.config], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                done = [r for r in self.emu.requests() if r["path"] == POLLED[1]]
                if len(done) >= cycles:
                    break
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=30)
        harness.check_sanitizers(stderr)
        return stderr

    def test_idle_cycles_ask_once_per_table(self):
        stderr = self.run_cycles(3)
        reqs = [r for r in self.emu.requests()]
        cycles, current = [], []
        for r in reqs:
            current.append(r)
            if r["path"] == POLLED[1]:
                cycles.append(current)
                current = []
        self.assertGreaterEqual(len(cycles), 3, reqs)
        first = [r["path"] for r in cycles[0]]
        self.assertEqual(first, ["/oauth_token.do", POLLED[0], "/api/now/table/sc_item_option_mtom", POLLED[1]])
        for cycle in cycles[1:]:
            self.assertEqual([r["path"] for r in cycle], POLLED)
            self.assertTrue(all(r["auth_scheme"] == "Bearer" and r["status"] == 200 for r in cycle))
            # Incremental: only what changed since the watermark (minus the overlap).
            self.assertIn("sys_updated_on>=", cycle[0]["query"]["sysparm_query"])
        self.assertEqual(stderr.count("found %s" % self.ritm["number"]), 1, stderr)
        self.assertEqual(stderr.count("found approval"), 1, stderr)

        with open(self.agent.config) as f:
            self.assertIn('log_level = "debug"', f.read())
        for secret in [harness.SNOW_PASSWORD, CLIENT_SECRET] + self.emu.state("servicenow")["tokens"]:
            self.assertNotIn(secret, stderr)


if __name__ == "__main__":
    harness.main()
