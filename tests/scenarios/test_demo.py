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
    def test_demo_tells_both_seed_cases_to_their_end(self):
        proc = subprocess.run([sys.executable, os.path.join(harness.SRCDIR, "tests", "demo.py"),
                               "--accessd", harness.ACCESSD, "--srcdir", harness.SRCDIR],
                              capture_output=True, text=True, timeout=180,
                              env=dict(os.environ, ACCESSCTL=harness.ACCESSCTL))
        harness.check_sanitizers(proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        out = proc.stdout
        self.assertIn("RITM0010001: implementing -> active", out)
        self.assertIn("mia@contoso.example is out of office, so victor@contoso.example approves instead", out)
        self.assertIn("RITM0010002: awaiting-approval -> escalated", out)
        self.assertIn("RITM0010002: removing -> removed", out)
        self.assertRegex(out, r"chain intact")
        self.assertIn("Teams card: Approval escalated: RITM0010002", out)
        self.assertRegex(out, r"RITM0010001 +active .* 2027-02-01 00:00:00")
        self.assertRegex(out, r"RITM0010002 +removed ")

    def test_demo_on_xurrent_tells_the_same_story(self):
        proc = subprocess.run([sys.executable, os.path.join(harness.SRCDIR, "tests", "demo.py"),
                               "--accessd", harness.ACCESSD, "--srcdir", harness.SRCDIR, "--itsm", "xurrent"],
                              capture_output=True, text=True, timeout=240,
                              env=dict(os.environ, ACCESSCTL=harness.ACCESSCTL))
        harness.check_sanitizers(proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        out = proc.stdout
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

    def test_make_demo_builds_both_programs(self):
        with open(os.path.join(harness.SRCDIR, "Makefile.am")) as f:
            rule = re.search(r"^demo:(.*)$", f.read(), re.M)
        self.assertIsNotNone(rule)
        self.assertEqual(set(rule.group(1).split()), {"accessd", "accessctl"})


if __name__ == "__main__":
    harness.main()
