# SPDX-License-Identifier: Apache-2.0
"""The daemon against Xurrent with OAuth client credentials: once the first
cycles have seen everything, an idle cycle makes one request per polled
collection (the requests and the approval tasks) and nothing else: no token
request, no re-reading of what did not change, even while an approval task
waits for its approver. An open approval task that needs two approvals is
the one exception, by design: its approvals are read on every cycle, since
a partial decision may not show in the task (doc/itsm-xurrent.md, U6). No
secret or token reaches the log, even at debug level."""

import os
import time

import harness
import xurrent_seed as xs
import xurrent_tenant

POLLED = ["/v1/requests", "/v1/tasks"]


class IdleCycle(xurrent_tenant.XurrentCase):
    def idle_cycles(self, t, n=3):
        """The requests of N whole cycles once the daemon has settled."""
        t.emu.clear_requests()
        t.wait_for(lambda: [r["path"] for r in self.emu.requests()].count(POLLED[0]) > n, "%d cycles" % n)
        cycles, current = [], None
        for r in self.emu.requests():
            if r["path"] == POLLED[0]:
                if current is not None:
                    cycles.append(current)
                current = []
            if current is not None:
                current.append(r)
        self.assertGreaterEqual(len(cycles), n)
        return cycles

    def check_log(self, t):
        with open(os.path.join(t.dir, "daemon.stderr")) as f:
            log = f.read()
        self.assertIn("debug", open(t.agent.config).read())
        for secret in list(t.secrets) + self.emu.state("xurrent")["oauth_tokens"]:
            self.assertNotIn(secret, log)
        return log

    def test_idle_cycles_ask_once_per_collection(self):
        t = self.tenant(oauth=True, escalate="600s", expire="900s")
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        with t.daemon():
            t.wait_for(lambda: t.approver_names(rid) == ["mia"], "the manager's approval task")
            # Past the overlap, so that nothing comes back for it either.
            t.wait_for(lambda: t.workflow_state(rid) == "awaiting-approval", "the request waiting")
            time.sleep(6)
            cycles = self.idle_cycles(t)
        for cycle in cycles:
            self.assertEqual([r["path"] for r in cycle], POLLED)
            self.assertTrue(all(r["auth_scheme"] == "Bearer" and r["status"] == 200 for r in cycle))
            # Incremental: only what changed since the watermark (minus the overlap).
            self.assertTrue(all(r["query"]["updated_at"].startswith(">=") for r in cycle), cycle)
        log = self.check_log(t)
        self.assertEqual(log.count("found %s " % rid), 1, log)
        self.assertEqual(len(self.emu.state("xurrent")["oauth_tokens"]), 1, "one token, reused")

    def test_a_task_that_needs_two_approvals_is_read_each_cycle(self):
        t = self.tenant(approvals="observe", escalate="600s", expire="900s")
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        task = t.tasks(rid)[0]
        self.emu.seed({"xurrent": {"tasks": [{"id": task["id"], "required_approvals": 2}],
                                   "approvals": [{"task_id": task["id"], "approver_id": xs.person_id("victor"),
                                                  "status": "assigned"}]}})
        with t.daemon():
            t.wait_for(lambda: t.workflow_state(rid) == "awaiting-approval", "the request waiting")
            time.sleep(6)
            cycles = self.idle_cycles(t)
        for cycle in cycles:
            self.assertEqual([r["path"] for r in cycle], POLLED + ["/v1/tasks/%d/approvals" % task["id"]])
        self.check_log(t)


if __name__ == "__main__":
    harness.main()
