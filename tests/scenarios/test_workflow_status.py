# SPDX-License-Identifier: Apache-2.0
"""The daemon tells the service manager what the workflow holds: STATUS=
counts the requests awaiting approval and the blocked ones, and names the
next deadline, after each cycle."""

import os
import signal
import subprocess
import unittest

import harness
import tenant
from test_systemd import WAIT, Manager


class Status(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.manager = Manager()
        self.addCleanup(self.manager.close)

    def test_status_counts_awaiting_and_blocked(self):
        # The manager and the stage's backup are both away: nobody can
        # approve the VPN request, which is blocked with an incident.
        t = tenant.Tenant(self.emu, away=("mia", "victor"), escalate="1h", expire="2h")
        self.addCleanup(t.cleanup)
        blocked = t.request("VPN Access", "bob", business_justification="Remote work")
        t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                  mailbox="Finance Shared Mailbox", duration="30d")
        env = dict(os.environ, NOTIFY_SOCKET=self.manager.path)
        env.pop("JOURNAL_STREAM", None)
        with open(os.path.join(t.dir, "stderr"), "w") as err:
            proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], env=env, stdout=subprocess.DEVNULL,
                                    stderr=err)
        try:
            i = self.manager.wait_for(lambda m: "1 awaiting approval" in m.get("STATUS", ""),
                                      what="STATUS with the counts")
            status = self.manager.messages[i][1]["STATUS"]
            self.assertIn("1 awaiting approval, 1 blocked", status)
            self.assertIn("next escalation", status)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=WAIT), 0)
        with open(os.path.join(t.dir, "stderr")) as f:
            harness.check_sanitizers(f.read())
        self.assertEqual(t.workflow_state(blocked["sys_id"]), "blocked")
        self.assertEqual(len(t.incidents()), 1)
        self.assertIn("a stage cannot be staffed", t.incidents()[0]["description"])


if __name__ == "__main__":
    harness.main()
