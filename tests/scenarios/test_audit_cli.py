# SPDX-License-Identifier: Apache-2.0
"""accessctl audit verify / show against audit files written by the daemon's
own audit module (through the audit-append test program), checked here by an
independent implementation of the documented chain (agent/store/audit.h) with
hashlib: hash(n) = sha256(hash(n-1) || content(n)), content being the line up
to ',"hash":' plus '}'."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

AUDIT_APPEND = os.environ.get("AUDIT_APPEND") or os.path.abspath(os.path.join("tests", "scenarios", "audit-append"))
GENESIS = "0" * 64
T0 = 1764057600000  # 2025-11-25T08:00:00Z

STORY = [
    {"kind": "decision", "request_number": "RITM0010001", "request_id": "a1", "who": "accessd",
     "rule": "VPN Access", "detail": "valid; manager approval next"},
    {"kind": "approval_requested", "request_number": "RITM0010001", "request_id": "a1",
     "who": "mia.manager@contoso.example", "rule": "VPN Access/stage 1 (manager)", "action_id": "act-1"},
    {"kind": "decision", "request_number": "RITM00100010", "request_id": "b1", "who": "accessd",
     "detail": "a different request whose number starts the same"},
    {"kind": "escalation", "request_number": "RITM0010001", "request_id": "a1",
     "who": "bert.backup@contoso.example", "rule": "VPN Access/stage 1 (manager)",
     "detail": "mia.manager is out of office"},
    {"kind": "approval_seen", "request_number": "RITM0010001", "request_id": "a1",
     "who": "bert.backup@contoso.example", "rule": "VPN Access/stage 1 (manager)"},
    {"kind": "grant_executed", "request_number": "RITM0010001", "request_id": "a1", "action_id": "act-2",
     "group_id": "grp-vpn", "user_id": "usr-carl", "graph_request_ids": ["req-1", "req-2"]},
    {"kind": "completed", "request_number": "RITM0010002", "request_id": "c1", "who": "accessd"},
]


def content_and_hash(line):
    """Split a record line (without its newline) into content and hash."""
    m = re.fullmatch(rb'(.*),"hash":"([0-9a-f]{64})"\}', line, re.S)
    if not m:
        raise AssertionError("record does not end with its hash: %r" % line)
    return m.group(1) + b"}", m.group(2).decode()


def chain_ok(data):
    """Check DATA (the file's bytes) as the format says; returns the list of
    (seq, hash) of its records."""
    prev, out = GENESIS, []
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        content, stored = content_and_hash(line)
        rec = json.loads(line)
        if rec["seq"] != n:
            raise AssertionError("line %d: seq %r" % (n, rec["seq"]))
        if hashlib.sha256(prev.encode() + content).hexdigest() != stored:
            raise AssertionError("line %d: hash mismatch" % n)
        out.append((n, stored))
        prev = stored
    return out


def rechain(lines):
    """Recompute every hash of LINES (record lines, without newlines), as a
    forger who knows the format would."""
    prev, out = GENESIS, []
    for line in lines:
        content, _ = content_and_hash(line)
        h = hashlib.sha256(prev.encode() + content).hexdigest()
        out.append(content[:-1] + (',"hash":"%s"}' % h).encode())
        prev = h
    return b"".join(line + b"\n" for line in out)


class AuditCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="accessd-audit-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "audit.log")

    def append(self, events, path=None):
        lines = "".join(json.dumps(dict(ev, now_ms=T0 + i * 60000)) + "\n" for i, ev in enumerate(events))
        proc = subprocess.run([AUDIT_APPEND, path or self.path], input=lines, capture_output=True, text=True,
                              timeout=30)
        harness.check_sanitizers(proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def ctl(self, *args):
        return harness.run_binary(harness.ACCESSCTL, "audit", *args)

    def read(self):
        with open(self.path, "rb") as f:
            return f.read()

    def write(self, data):
        with open(self.path, "wb") as f:
            f.write(data)

    def lines(self):
        return self.read().split(b"\n")[:-1]

    def assert_broken_at(self, line, reason, *args):
        proc = self.ctl("verify", *(args + (self.path,)))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, "^" + re.escape("%s:%d: " % (self.path, line)) + reason)
        self.assertNotIn("chain intact", proc.stdout)

    def test_verify_intact_chain_matches_the_documented_format(self):
        self.append(STORY)
        records = chain_ok(self.read())
        self.assertEqual(len(records), len(STORY))
        proc = self.ctl("verify", self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "%s: %d records, chain intact; head %d:%s\n"
                         % (self.path, len(STORY), len(STORY), records[-1][1]))

    def test_reopen_continues_the_chain(self):
        self.append(STORY[:3])
        self.append(STORY[3:])
        self.assertEqual(len(chain_ok(self.read())), len(STORY))
        self.assertEqual(self.ctl("verify", self.path).returncode, 0)

    def test_tampering_is_found_at_its_line(self):
        self.append(STORY)
        orig = self.read()
        lines = self.lines()

        # Another approver on line 5.
        self.write(b"\n".join(lines[:4] + [lines[4].replace(b"bert.backup", b"eve.evil")] + lines[5:]) + b"\n")
        self.assert_broken_at(5, "hash mismatch")

        # Record 2 deleted.
        self.write(b"\n".join(lines[:1] + lines[2:]) + b"\n")
        self.assert_broken_at(2, "sequence gap: expected 2, found 3")

        # Records 3 and 4 swapped.
        self.write(b"\n".join(lines[:2] + [lines[3], lines[2]] + lines[4:]) + b"\n")
        self.assert_broken_at(3, "sequence gap: expected 3, found 4")

        # Not JSON on line 2.
        self.write(b"\n".join(lines[:1] + [lines[1][:-5]] + lines[2:]) + b"\n")
        self.assert_broken_at(2, "bad JSON")

        # Cut in the middle of record 6.
        self.write(orig[:orig.index(lines[5]) + 20])
        self.assert_broken_at(6, "truncated")

        # A hash digit changed on the last line.
        last = lines[-1][:-3] + (b"0" if lines[-1][-3:-2] != b"0" else b"1") + lines[-1][-2:]
        self.write(b"\n".join(lines[:-1] + [last]) + b"\n")
        self.assert_broken_at(len(STORY), "hash mismatch")

    def test_anchor_detects_records_cut_off_the_end_and_a_rewritten_chain(self):
        self.append(STORY)
        lines = self.lines()
        head = self.ctl("verify", self.path).stdout.rsplit(" ", 1)[1].strip()
        self.assertEqual(head, "%d:%s" % chain_ok(self.read())[-1])

        # Whole records cut off the end leave a valid shorter chain ...
        self.write(b"".join(line + b"\n" for line in lines[:-2]))
        proc = self.ctl("verify", self.path)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("%d records, chain intact" % (len(STORY) - 2), proc.stdout)
        # ... which the anchor catches.
        self.assert_broken_at(len(STORY) - 1, r"truncated: record %d of the anchor is missing" % len(STORY),
                              "--anchor", head)

        # A forger who recomputes every hash passes the chain check, which
        # also proves this test's implementation equals the C one ...
        forged = rechain(lines[:1] + [lines[1].replace(b"mia.manager", b"eve.evil")] + lines[2:])
        self.write(forged)
        self.assertEqual(self.ctl("verify", self.path).returncode, 0)
        # ... and fails against the anchor at the anchored record.
        self.assert_broken_at(len(STORY), "hash mismatch: record %d differs from the anchor" % len(STORY),
                              "--anchor", head)

    def test_show_tells_one_request_in_order(self):
        self.append(STORY)
        proc = self.ctl("show", "RITM0010001", self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout.splitlines()
        self.assertEqual([line.split()[2] for line in out],
                         ["decision", "approval_requested", "escalation", "approval_seen", "grant_executed"])
        self.assertEqual([line.split()[1] for line in out], ["#1", "#2", "#4", "#5", "#6"])
        self.assertTrue(out[0].startswith("2025-11-25T08:00:00.000Z #1 decision who=accessd"))
        self.assertIn(' rule="VPN Access/stage 1 (manager)"', out[2])
        self.assertIn('detail="mia.manager is out of office"', out[2])
        self.assertTrue(out[3].startswith("2025-11-25T08:04:00.000Z #5 approval_seen who=bert.backup@contoso.example"))
        self.assertIn("group=grp-vpn user=usr-carl graph_request_id=req-1 graph_request_id=req-2 action=act-2",
                      out[4])
        self.assertNotIn("RITM00100010", proc.stdout)
        self.assertNotIn("a different request", proc.stdout)

        by_id = self.ctl("show", "c1", self.path)
        self.assertEqual(by_id.returncode, 0)
        self.assertEqual(len(by_id.stdout.splitlines()), 1)
        self.assertIn("#7 completed", by_id.stdout)

        proc = self.ctl("show", "RITM9999999", self.path)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, "")
        self.assertIn("no event of request 'RITM9999999'", proc.stderr)

    def test_show_stops_at_a_broken_chain(self):
        self.append(STORY)
        lines = self.lines()
        self.write(b"\n".join(lines[:3] + [lines[3].replace(b"out of office", b"on holiday!!")] + lines[4:])
                   + b"\n")
        proc = self.ctl("show", "RITM0010001", self.path)
        self.assertEqual(proc.returncode, 1)
        out = proc.stdout.splitlines()
        self.assertEqual(len(out), 3)
        self.assertEqual(out[-1], "%s:4: hash mismatch: the record or the one before it was changed" % self.path)

    def test_hostile_text_stays_on_one_line(self):
        hostile = {"kind": "ticket_updated", "request_number": "RITM0010003", "request_id": "h1",
                   "who": "x\"}\n{\"seq\":2,\"event\":\"completed\"}",
                   "detail": "line one\nline two\r\x1b[31mred\x1b[0m \u202e", "rule": "\\"}
        self.append([hostile, STORY[0]])
        self.assertEqual(len(self.lines()), 2)
        self.assertEqual(len(chain_ok(self.read())), 2)
        self.assertEqual(json.loads(self.lines()[0])["detail"], hostile["detail"])
        proc = self.ctl("show", "RITM0010003", self.path)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(len(proc.stdout.splitlines()), 1)
        self.assertNotIn("\x1b", proc.stdout)
        self.assertIn('detail="line one?line two??[31mred?[0m \u202e"', proc.stdout)
        self.assertEqual(self.ctl("verify", self.path).returncode, 0)

    def test_export_gives_verifiable_records_only_from_an_intact_chain(self):
        self.append(STORY)
        proc = self.ctl("export", self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        exported = proc.stdout.encode()
        self.assertEqual(exported, self.read())
        records = chain_ok(exported)
        self.assertIn("exported %d records of %s; head %d:%s" % (len(STORY), self.path, len(STORY), records[-1][1]),
                      proc.stderr)
        self.assertEqual([json.loads(line)["event"] for line in proc.stdout.splitlines()],
                         [ev["kind"] for ev in STORY])

        lines = self.lines()
        self.write(b"\n".join(lines[:5] + [lines[5].replace(b"grp-vpn", b"grp-adm")] + lines[6:]) + b"\n")
        proc = self.ctl("export", self.path)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, "")
        self.assertIn("%s:6: hash mismatch" % self.path, proc.stderr)

    def test_usage_and_runtime_errors(self):
        self.append(STORY[:1])
        for args in ([], ["frobnicate"], ["verify", self.path, self.path], ["show"],
                     ["show", "RITM0010001", self.path, "extra"], ["verify", "--anchor"], ["export", "a", "b"],
                     ["verify", "--anchor", "1:abc", self.path], ["verify", "--anchor", "x:" + GENESIS, self.path],
                     ["verify", "--anchor", "0:" + GENESIS, self.path]):
            with self.subTest(args=args):
                proc = self.ctl(*args)
                self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
                self.assertIn("accessctl --help", proc.stderr)
        missing = os.path.join(self.dir, "missing.log")
        proc = self.ctl("verify", missing)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(missing, proc.stderr)
        self.assertIn("No such file", proc.stderr)

    def test_help_lists_the_audit_commands(self):
        proc = harness.run_binary(harness.ACCESSCTL, "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("audit verify [--anchor SEQ:HASH] [PATH]", proc.stdout)
        self.assertIn("audit show REQUEST [PATH]", proc.stdout)
        self.assertIn("audit export [PATH]", proc.stdout)
        self.assertIn("/lib/accessd/audit.log", proc.stdout)


if __name__ == "__main__":
    harness.main()
