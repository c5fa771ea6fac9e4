# SPDX-License-Identifier: Apache-2.0
"""The source tree's layers (doc/layout.md): every #include goes to the
file's own folder or to a folder the table allows, never upwards, and no
connector reaches into another's files."""

import os
import re
import unittest

import harness

# folder -> folders it may include besides itself (doc/layout.md)
ALLOWED = {
    "agent/util": set(),
    "agent/conf": {"agent/util"},
    "agent/core": {"agent/util", "agent/conf"},
    "agent/store": {"agent/util"},
    "agent/net": {"agent/util", "agent/conf"},
    "connectors": {"agent/util", "agent/conf", "agent/core", "agent/net"},
    "connectors/*": {"agent/util", "agent/conf", "agent/core", "agent/net", "connectors"},
    "agent": {"agent/util", "agent/conf", "agent/core", "agent/store", "agent/net", "connectors"},
    "agent/ctl": {"agent/util", "agent/conf", "agent/core", "agent/store", "agent"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for top in ("agent", "connectors"):
        for dirpath, _, names in os.walk(os.path.join(harness.SRCDIR, top)):
            for name in names:
                if name.endswith((".c", ".h")):
                    path = os.path.join(dirpath, name)
                    yield os.path.relpath(path, harness.SRCDIR)


def rule_of(folder):
    if folder.startswith("connectors/"):
        return "connectors/*"
    return folder


def resolve(includer, spelled):
    """The file an include names, as the compiler finds it with -I agent -I .
    (the includer's folder first), relative to the source tree; None for a
    header outside the tree (config.h, the libraries'). config.h is
    configure's, at the top of the build tree, which an in-tree build (the
    packages') puts beside the sources."""
    if spelled == "config.h":
        return None
    for base in (os.path.dirname(includer), "agent", ""):
        candidate = os.path.normpath(os.path.join(base, spelled))
        if os.path.isfile(os.path.join(harness.SRCDIR, candidate)):
            return candidate
    return None


class Layout(unittest.TestCase):
    def test_every_folder_has_a_rule(self):
        for path in sources():
            self.assertIn(rule_of(os.path.dirname(path)), ALLOWED, path)

    def test_includes_go_only_downwards(self):
        wrong = []
        for path in sources():
            folder = os.path.dirname(path)
            with open(os.path.join(harness.SRCDIR, path)) as f:
                text = f.read()
            for spelled in INCLUDE.findall(text):
                target = resolve(path, spelled)
                if target is None:
                    continue
                to = os.path.dirname(target)
                if to == folder or to in ALLOWED[rule_of(folder)]:
                    continue
                wrong.append("%s includes %s" % (path, target))
        self.assertEqual(wrong, [])

    def test_other_folders_are_included_by_path(self):
        # "plan.h" from agent/ would find agent/core/plan.h only by luck of
        # the -I order; the path makes the layer visible. The shell's own
        # headers (agent/*.h) have no folder to name.
        wrong = []
        for path in sources():
            with open(os.path.join(harness.SRCDIR, path)) as f:
                text = f.read()
            for spelled in INCLUDE.findall(text):
                target = resolve(path, spelled)
                if target and "/" not in spelled and os.path.dirname(target) not in (os.path.dirname(path), "agent"):
                    wrong.append("%s: %s" % (path, spelled))
        self.assertEqual(wrong, [])


if __name__ == "__main__":
    unittest.main()
