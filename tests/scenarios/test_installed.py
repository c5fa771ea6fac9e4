# SPDX-License-Identifier: Apache-2.0
"""What the packages install for the operator: the bash completion of
accessd and accessctl, which offers every option and command their --help
shows and the words each command takes; the example configuration as
shipped, under the documentation directory; and, since every connection is
HTTPS verified against the system's store, a dependency on the CA
certificates."""

import os
import re
import shutil
import subprocess
import unittest

import harness

COMPLETION = os.path.join(harness.SRCDIR, "packaging", "bash-completion")


def complete(program, line):
    """What bash offers for LINE (the cursor at its end, a trailing space
    meaning a new word) with PROGRAM's completion loaded."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    script = 'source "%s"\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_%s\nprintf "%%s\\n" "${COMPREPLY[@]}"\n' % (
        os.path.join(COMPLETION, program), " ".join("'%s'" % w for w in words), len(words) - 1, program)
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    return sorted(w for w in proc.stdout.splitlines() if w)


def help_text(binary):
    return harness.run_binary(binary, "--help").stdout


@unittest.skipUnless(shutil.which("bash"), "needs bash")
class Completion(unittest.TestCase):
    def test_accessd_offers_every_option_of_its_help(self):
        shown = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b", help_text(harness.ACCESSD)))
        self.assertIn("--dry-run", shown)
        self.assertEqual(set(complete("accessd", "accessd -")), shown)
        self.assertEqual(complete("accessd", "accessd --dr"), ["--dry-run"])

    def test_accessd_completes_files_and_directories(self):
        conf = os.path.join(harness.SRCDIR, "conf", "accessd.conf")
        self.assertEqual(complete("accessd", "accessd -c %s" % conf[:-2]), [conf])
        self.assertEqual(complete("accessd", "accessd --credentials-directory %s" % os.path.join(harness.SRCDIR,
                                                                                                "connec")),
                         [os.path.join(harness.SRCDIR, "connectors")])

    def test_accessctl_offers_every_command_and_option_of_its_help(self):
        text = help_text(harness.ACCESSCTL)
        commands = set(re.findall(r"^  ([a-z][a-z-]+)", text, re.M))
        self.assertIn("log-level", commands)
        self.assertIn("explain", commands)
        offered = complete("accessctl", "accessctl ")
        self.assertEqual(set(w for w in offered if not w.startswith("-")), commands)
        self.assertEqual(set(w for w in offered if w.startswith("-")), {"-h", "--help", "-V", "--version"})
        # each command's options, as its help line shows them
        for command in sorted(commands):
            lines = [l for l in text.splitlines() if l.startswith("  %s " % command) or l == "  " + command]
            shown = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", " ".join(lines)))
            prefix = "accessctl %s %s-" % (command, "verify " if command in ("audit", "journal") else "")
            with self.subTest(command=command):
                self.assertLessEqual(shown, set(complete("accessctl", prefix)) | {"-c"})
        self.assertEqual(complete("accessctl", "accessctl audit "), ["export", "show", "verify"])
        self.assertEqual(complete("accessctl", "accessctl journal "), ["dump", "verify"])
        self.assertEqual(complete("accessctl", "accessctl log-level "), ["debug", "error", "info", "notice", "warning"])
        self.assertEqual(complete("accessctl", "accessctl requests --"), ["--all", "--json"])
        self.assertEqual(complete("accessctl", "accessctl status --"), ["--json"])
        self.assertEqual(complete("accessctl", "accessctl explain -"), ["--config", "--credentials-directory", "-c"])

    def test_both_packages_install_it_and_the_example(self):
        with open(os.path.join(harness.SRCDIR, "Makefile.am")) as f:
            makefile = f.read()
        self.assertRegex(makefile, r"dist_bashcompletion_DATA = \\\s*packaging/bash-completion/accessctl \\\s*"
                                   r"packaging/bash-completion/accessd")
        self.assertIn("examplesdir = $(docdir)/examples\ndist_examples_DATA = conf/accessd.conf", makefile)
        with open(os.path.join(harness.SRCDIR, "packaging", "accessd.spec.in")) as f:
            spec = f.read()
        for program in ("accessd", "accessctl"):
            self.assertIn("%%{_datadir}/bash-completion/completions/%s" % program, spec)
        self.assertRegex(spec, r"%doc .*\bexamples\b")  # %doc replaces what make install put in the doc directory

    def test_both_packages_depend_on_the_ca_certificates(self):
        with open(os.path.join(harness.SRCDIR, "packaging", "debian", "control.in")) as f:
            control = f.read()
        depends = control.split("\nDepends:", 1)[1].split("\nDescription:", 1)[0]
        self.assertRegex(depends, r"\bca-certificates\b")
        with open(os.path.join(harness.SRCDIR, "packaging", "accessd.spec.in")) as f:
            self.assertRegex(f.read(), r"(?m)^Requires:\s+ca-certificates$")


if __name__ == "__main__":
    harness.main()
