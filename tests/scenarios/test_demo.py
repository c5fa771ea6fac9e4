# SPDX-License-Identifier: Apache-2.0
"""make demo: the narrative of the seed's two cases runs to its end, and
the make target builds everything the demo runs."""

import os
import re
import subprocess
import sys
import unittest

import harness


class Demo(unittest.TestCase):
    def demo(self, *args):
        """Run the demo with ARGS (--itsm ...) to its end; its narrative."""
        proc = subprocess.run([sys.executable, os.path.join(harness.SRCDIR, "tests", "demo.py"),
                               "--accessd", harness.ACCESSD, "--srcdir", harness.SRCDIR] + list(args),
                              capture_output=True, text=True, timeout=240,
                              env=dict(os.environ, ACCESSCTL=harness.ACCESSCTL))
        harness.check_sanitizers(proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc.stdout

    def test_demo_tells_both_seed_cases_to_their_end(self):
        out = self.demo()
        self.assertIn("RITM0010001: implementing -> active", out)
        self.assertIn("mia@contoso.example is out of office, so victor@contoso.example approves instead", out)
        self.assertIn("RITM0010002: awaiting-approval -> escalated", out)
        self.assertIn("RITM0010002: removing -> removed", out)
        self.assertRegex(out, r"chain intact")
        self.assertIn("Teams card: Approval escalated: RITM0010002", out)
        self.assertRegex(out, r"RITM0010001 +active .* 2027-02-01 00:00:00")
        self.assertRegex(out, r"RITM0010002 +removed ")
        # explain before any cycle, and the counters moving as the demo runs
        self.assertIn("ask victor@contoso.example, standing in for mia@contoso.example, who is away", out)
        first = out.split("after the first cycle:", 1)[1].split("accessd --once", 1)[0]
        self.assertIn('accessd_actions_total{action="request_approval",result="ok"} 2', first)
        self.assertNotIn('action="grant"', first)
        last = out.split("metrics after the demo:", 1)[1]
        self.assertIn('accessd_actions_total{action="grant",result="ok"} 2', last)
        self.assertIn('accessd_actions_total{action="remove",result="ok"} 1', last)
        self.assertIn('accessd_requests{state="removed"} 1', last)
        self.assertRegex(out, r"accessctl status:\n.*\n +servicenow \(itsm\): last poll .* ok")

    def test_demo_on_topdesk_tells_the_same_story(self):
        out = self.demo("--itsm", "topdesk")
        self.assertIn("emulator on http://127.0.0.1:", out)
        self.assertIn(": topdesk, Entra (Graph) and a Teams flow", out)
        # TOPdesk numbers its changes "C yymm nnn", and accessd shows them so.
        self.assertRegex(out, r"C \d{4} 001: implementing -> active")
        self.assertIn("mia@contoso.example is out of office, so victor@contoso.example approves instead", out)
        self.assertRegex(out, r"approval records: C \d{4} 001 -> sam, victor")
        self.assertRegex(out, r"ticket C \d{4} 001: attachment C_\d{4}_001-[0-9a-f]{8}\.r0\.complete-evidence\.json")
        self.assertRegex(out, r"C \d{4} 002: awaiting-approval -> escalated")
        self.assertRegex(out, r"approval records: C \d{4} 002 -> olivia, oscar")
        self.assertRegex(out, r"C \d{4} 002: removing -> removed")
        self.assertRegex(out, r"chain intact")
        self.assertRegex(out, r"Teams card: Approval escalated: C \d{4} 002")
        # The form's date field holds the day's first instant: the access
        # ends then (ServiceNow's date variable means the end of the day).
        self.assertRegex(out, r"C \d{4} 001 +active .* 2027-01-31 00:00:00")
        self.assertRegex(out, r"C \d{4} 002 +removed ")

    def test_demo_tells_the_same_story_on_freshservice(self):
        out = self.demo("--itsm", "freshservice")
        self.assertIn("emulator on http://127.0.0.1:", out)
        self.assertIn(": freshservice, Entra (Graph) and a Teams flow", out)
        self.assertIn("SR-1: implementing -> active", out)
        self.assertIn("mia@contoso.example is out of office, so victor@contoso.example approves instead", out)
        self.assertIn("approval records: SR-1 -> sam, victor", out)
        self.assertRegex(out, r"ticket SR-1: attachment SR-1\.r0\.complete-evidence\.json \(\d+ bytes\)")
        self.assertIn("SR-2: awaiting-approval -> escalated", out)
        self.assertIn("SR-2: removing -> removed", out)
        self.assertRegex(out, r"chain intact")
        self.assertIn("Teams card: Approval escalated: SR-2", out)
        self.assertRegex(out, r"SR-1 +active .* 2027-02-01 00:00:00")
        self.assertRegex(out, r"SR-2 +removed ")
        # explain reads the service request by its number; the counters move
        self.assertIn('SR-1: "VPN Access" for alice@contoso.example', out)
        self.assertIn("ask victor@contoso.example, standing in for mia@contoso.example, who is away", out)
        last = out.split("metrics after the demo:", 1)[1]
        self.assertIn('accessd_actions_total{action="grant",result="ok"} 2', last)
        self.assertRegex(out, r"accessctl status:\n.*\n +freshservice \(itsm\): last poll .* ok")

    def test_demo_on_xurrent_tells_the_same_story(self):
        out = self.demo("--itsm", "xurrent")
        self.assertIn(": xurrent, Entra (Graph) and a Teams flow", out)
        self.assertIn("70001: implementing -> active", out)
        self.assertIn("mia@contoso.example is out of office, so victor@contoso.example approves instead", out)
        self.assertIn("approval records: 70001 -> victor; 70002 -> olivia", out)
        self.assertIn("approval records: 70001 -> sam, victor", out)
        self.assertRegex(out, r"ticket 70001: attachment 70001\.r0\.complete-evidence\.json \(\d+ bytes\)")
        self.assertIn("70002: awaiting-approval -> escalated", out)
        self.assertIn("approval records: 70002 -> olivia, oscar", out)
        self.assertIn("70002: removing -> removed", out)
        self.assertRegex(out, r"chain intact")
        self.assertIn("Teams card: Approval escalated: 70002", out)
        self.assertRegex(out, r"70001 +active .* 2027-02-01 00:00:00")
        self.assertRegex(out, r"70002 +removed ")
        # explain before any cycle reads the request by its number
        self.assertIn("ask victor@contoso.example, standing in for mia@contoso.example, who is away", out)
        self.assertRegex(out, r"accessctl status:\n.*\n +xurrent \(itsm\): last poll .* ok")

    def test_make_demo_builds_both_programs(self):
        with open(os.path.join(harness.SRCDIR, "Makefile.am")) as f:
            rule = re.search(r"^demo:(.*)$", f.read(), re.M)
        self.assertIsNotNone(rule)
        self.assertEqual(set(rule.group(1).split()), {"accessd", "accessctl"})


if __name__ == "__main__":
    harness.main()
