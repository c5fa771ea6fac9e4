# SPDX-License-Identifier: Apache-2.0
"""accessctl requests on the journal a real agent wrote against the
emulator: the requests not yet ended, their stage, since when, the next
deadline and whose decision they wait for; --all adds the ended ones."""

import calendar
import os
import shutil
import time

import harness
import tenant
from tenant import upn


def utc_s(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


class Requests(tenant.TenantCase):
    def requests(self, t, *args):
        return harness.run_binary(harness.ACCESSCTL, "requests", *args)

    def rows(self, out):
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("REQUEST "), lines)
        return {line.split()[0]: line for line in lines[1:]}

    def test_lists_what_each_request_waits_for(self):
        t = self.tenant(remind="30m", escalate="1h", expire="2h")
        waiting = t.request("VPN Access", "bob", business_justification="Remote work")
        done = t.request("Application Access", "carol", business_justification="Quarter close")
        t.cycle()
        t.decide(done["sys_id"], "olivia")
        t.cycle()
        self.assertEqual(t.workflow_state(done["sys_id"]), "completed")

        proc = self.requests(t, t.agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = self.rows(proc.stdout)
        self.assertEqual(list(rows), [waiting["number"]])
        cols = rows[waiting["number"]].split("  ")
        cols = [c.strip() for c in cols if c.strip()]
        self.assertEqual(cols[1:3], ["awaiting-approval", "manager"])
        since, deadline = utc_s(cols[3]), utc_s(cols[4])
        self.assertLessEqual(abs(since - time.time()), 120)
        self.assertEqual(deadline - since, 30 * 60, "the reminder is the next deadline")
        self.assertEqual(cols[5], upn("mia"))

        proc = self.requests(t, "--all", os.path.join(t.agent.state_dir, "journal"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = self.rows(proc.stdout)
        self.assertEqual(sorted(rows), sorted([waiting["number"], done["number"]]))
        self.assertEqual(rows[done["number"]].split()[1:3], ["completed", "-"])

    def test_damaged_journal_and_usage(self):
        t = self.tenant()
        t.request("VPN Access", "bob", business_justification="Remote work")
        t.cycle()
        damaged = os.path.join(t.dir, "damaged")
        shutil.copy(os.path.join(t.agent.state_dir, "journal"), damaged)
        with open(damaged, "r+b") as f:
            size = f.seek(0, 2)
            f.seek(size // 3)
            byte = f.read(1)
            f.seek(size // 3)
            f.write(bytes([byte[0] ^ 0x20]))
        proc = self.requests(t, damaged)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("damaged", proc.stderr)
        self.assertIn("journal verify", proc.stderr)
        for args in (["--bogus"], ["a", "b"]):
            proc = self.requests(t, *args)
            self.assertEqual(proc.returncode, 2, args)
            self.assertIn("usage: accessctl requests [--all] [PATH]", proc.stderr)
        proc = self.requests(t, os.path.join(t.dir, "no-such-journal"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cannot read", proc.stderr)


if __name__ == "__main__":
    harness.main()
