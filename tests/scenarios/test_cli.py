# SPDX-License-Identifier: Apache-2.0
"""The command lines of accessd and accessctl: --help, --version and the
documented exit codes (0 ok, 1 runtime failure, 2 usage or configuration)."""

import os
import re
import tempfile
import unittest

import harness


class Cli(unittest.TestCase):
    def test_help_and_version(self):
        for binary, name in ((harness.ACCESSD, "accessd"), (harness.ACCESSCTL, "accessctl")):
            with self.subTest(binary=name):
                proc = harness.run_binary(binary, "--help")
                self.assertEqual(proc.returncode, 0)
                self.assertIn("Usage: %s" % name, proc.stdout)
                self.assertIn("Exit status: 0 success, 1 runtime failure, 2 usage", proc.stdout)
                proc = harness.run_binary(binary, "--version")
                self.assertEqual(proc.returncode, 0)
                self.assertRegex(proc.stdout, r"^%s \d+\.\d+\.\d+\n$" % name)

    def test_usage_errors_exit_2(self):
        for args in (["--no-such-option"], ["unexpected-argument"], ["-c"]):
            with self.subTest(args=args):
                proc = harness.run_binary(harness.ACCESSD, *args)
                self.assertEqual(proc.returncode, 2)
                self.assertIn("accessd --help", proc.stderr)
        proc = harness.run_binary(harness.ACCESSCTL)
        self.assertEqual(proc.returncode, 2)
        proc = harness.run_binary(harness.ACCESSCTL, "no-such-command")
        self.assertEqual(proc.returncode, 2)

    def test_every_accessctl_command_is_in_its_man_page(self):
        proc = harness.run_binary(harness.ACCESSCTL, "--help")
        commands = re.findall(r"^  ([a-z]+(?: [a-z]+)?)(?: \[| [A-Z]|$)", proc.stdout, re.M)
        self.assertIn("requests", commands)
        self.assertIn("audit verify", commands)
        with open(os.path.join(harness.SRCDIR, "man", "accessctl.8")) as f:
            page = f.read()
        for command in commands:
            self.assertIn('.BR %s' % ('"%s"' % command if " " in command else command), page)

    def test_missing_config_exits_2_and_names_the_file(self):
        proc = harness.run_binary(harness.ACCESSD, "-c", "/nonexistent/accessd.conf", "--check-config")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("/nonexistent/accessd.conf", proc.stderr)

    def test_config_errors_exit_2_with_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.conf")
            with open(path, "w") as f:
                f.write('itsm = {\n  kind = "servicenow";\n  base_url = "ftp://x";\n};\npolicy = { items = (); };\n')
            proc = harness.run_binary(harness.ACCESSD, "-c", path, "--check-config")
            self.assertEqual(proc.returncode, 2)
            self.assertRegex(proc.stderr, re.escape(path) + r":3: base_url must start with https://")
            self.assertRegex(proc.stderr, re.escape(path) + r":1: 'auth' must be a group")
            self.assertRegex(proc.stderr, re.escape(path) + r":5: the policy governs no catalog item")

    def test_syntax_error_names_the_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.conf")
            with open(path, "w") as f:
                f.write('daemon = {\n  log_level = "info";\n  poll_interval = ;\n};\n')
            proc = harness.run_binary(harness.ACCESSD, "-c", path, "--check-config")
            self.assertEqual(proc.returncode, 2)
            self.assertRegex(proc.stderr, re.escape(path) + r":3: syntax error")

    def test_example_configurations_are_valid(self):
        for name, kind in (("accessd.conf", "servicenow"), ("accessd-topdesk.conf", "topdesk"),
                           ("accessd-xurrent.conf", "xurrent")):
            with self.subTest(example=name):
                example = os.path.join(harness.SRCDIR, "conf", name)
                proc = harness.run_binary(harness.ACCESSD, "-c", example, "--check-config")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("configuration OK", proc.stdout)
                self.assertIn("itsm: %s at" % kind, proc.stdout)
                self.assertIn('governs: "VPN Access"', proc.stdout)

    def test_unreachable_itsm_is_a_runtime_failure(self):
        with harness.Emulator() as emu:
            agent = harness.Agent(emu)
            self.addCleanup(agent.cleanup)
        # The emulator is gone now: nothing listens on its port.
        proc = agent.run("--once")
        self.assertEqual(proc.returncode, 1)


if __name__ == "__main__":
    harness.main()
