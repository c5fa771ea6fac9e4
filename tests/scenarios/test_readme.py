# SPDX-License-Identifier: Apache-2.0
"""The README's quickstart and CI cannot drift apart: CI runs exactly the
README's test command, and both commands use the one dependency list."""

import os
import unittest

import harness


def quickstart_commands():
    with open(os.path.join(harness.SRCDIR, "README.md")) as f:
        text = f.read()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


class Readme(unittest.TestCase):
    def test_two_commands_demo_then_tests(self):
        cmds = quickstart_commands()
        self.assertEqual(len(cmds), 2, cmds)
        self.assertTrue(cmds[0].endswith("make -j2 demo"), cmds[0])
        self.assertTrue(cmds[1].endswith("make -j2 check"), cmds[1])
        for cmd in cmds:
            self.assertTrue(cmd.startswith("packaging/install-deps && "), cmd)

    def test_running_shows_explain_status_and_the_metrics_file(self):
        with open(os.path.join(harness.SRCDIR, "README.md")) as f:
            running = f.read().split("## Running\n", 1)[1].split("\n## ", 1)[0]
        for shown in ("accessctl explain RITM", "accessctl status", "metrics_file = ", "accessd --dry-run --once",
                      "accessd_actions_total{"):
            self.assertIn(shown, running)

    def test_ci_runs_the_readme_test_command(self):
        with open(os.path.join(harness.SRCDIR, ".ci", "run")) as f:
            ci = [line.strip() for line in f]
        self.assertIn(quickstart_commands()[1], ci)

    def test_dependency_list_names_every_pkg_config_module(self):
        with open(os.path.join(harness.SRCDIR, "configure.ac")) as f:
            configure = f.read()
        with open(os.path.join(harness.SRCDIR, "packaging", "build-deps")) as f:
            rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
        for deb, rpm, module, need in rows:
            self.assertIn(need, ("bootstrap", "build", "check", "package", "systemd", "fuzz"))
            if need == "fuzz":
                # configure --enable-fuzzing names what to install
                self.assertIn(deb, configure)
            if module != "-":
                self.assertIn(module, configure)
                self.assertIn(deb, configure if need == "build" else deb)


if __name__ == "__main__":
    harness.main()
