# SPDX-License-Identifier: Apache-2.0
"""Every tracked source file names its licence with an SPDX identifier: C
sources and headers on their first line, scripts (Python, shell,
Makefile.am, configure.ac, and any file that starts with "#!") on their
first line after the shebang. git names the tracked files, so a release
tarball (no git) skips the test; it ran on the commit the tarball came from.
"""

import os
import subprocess
import unittest

import harness

SPDX = "SPDX-License-Identifier: Apache-2.0"
SCRIPT_EXTENSIONS = (".py", ".sh", ".am", ".ac")


def tracked_files():
    """The files git tracks in SRCDIR, or None when SRCDIR is not the top of
    a git work tree (a release tarball, or one unpacked inside the tree)."""
    try:
        top = subprocess.run(["git", "-C", harness.SRCDIR, "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True)
    except FileNotFoundError:
        return None
    if top.returncode != 0 or os.path.realpath(top.stdout.strip()) != os.path.realpath(harness.SRCDIR):
        return None
    out = subprocess.run(["git", "-C", harness.SRCDIR, "ls-files", "-z"], capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def expected_line(path, head):
    """(index, text) of the line PATH must have, or None when it is no source."""
    if path.endswith((".c", ".h")):
        return 0, "/* %s */" % SPDX
    script = head.startswith(b"#!")
    if script or path.endswith(SCRIPT_EXTENSIONS):
        return (1 if script else 0), "# %s" % SPDX
    return None


class Spdx(unittest.TestCase):
    def test_every_tracked_source_file_names_its_licence(self):
        files = tracked_files()
        if files is None:
            self.skipTest("not a git work tree: git ls-files names the sources")
        missing = []
        checked = 0
        for path in files:
            full = os.path.join(harness.SRCDIR, path)
            if not os.path.isfile(full):
                continue  # deleted in the work tree, not yet committed
            with open(full, "rb") as f:
                head = f.read(4096)
            want = expected_line(path, head)
            if want is None:
                continue
            checked += 1
            lines = head.decode("utf-8", "replace").split("\n")
            index, text = want
            if len(lines) <= index or lines[index].rstrip() != text:
                missing.append("%s: line %d should be %r" % (path, index + 1, text))
        self.assertEqual(missing, [], "\n".join(missing))
        # The C sources alone are well over a hundred files.
        self.assertGreater(checked, 100)

    def test_which_files_need_it_and_where(self):
        self.assertEqual(expected_line("agent/x.c", b"#include <stdio.h>\n"), (0, "/* %s */" % SPDX))
        self.assertEqual(expected_line("packaging/tool", b"#!/bin/sh\nset -e\n"), (1, "# %s" % SPDX))
        self.assertEqual(expected_line("Makefile.am", b"# the build\n"), (0, "# %s" % SPDX))
        self.assertIsNone(expected_line("doc/workflow.md", b"# Workflow\n"))


if __name__ == "__main__":
    harness.main()
