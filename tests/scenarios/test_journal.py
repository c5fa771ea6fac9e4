# SPDX-License-Identifier: Apache-2.0
"""The journal through the real binaries: accessd creates and replays it,
refuses a corrupt one unless --repair, and accessctl journal verify/dump
report on it with the documented exit codes. Journals are written here from
doc/journal.md alone, so the test also holds the format to its description."""

import json
import os
import stat
import struct
import unittest

import harness


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


HEADER = b"ACCESSDJ" + struct.pack("<II", 1, 0)
TYPES = {"REQUEST": 1, "APPROVAL": 2, "TIMER": 3, "WATERMARK": 7}


def record(type_name, seq, payload):
    body = json.dumps(payload, separators=(",", ":")).encode()
    rest = struct.pack("<IHHQ", len(body), TYPES[type_name], 0, seq) + body
    return struct.pack("<I", mask(crc32c(rest))) + rest


def journal(records):
    """The bytes of a journal holding RECORDS, and each record's offset."""
    data, offsets = HEADER, []
    for seq, (type_name, payload) in enumerate(records, 1):
        offsets.append(len(data))
        data += record(type_name, seq, payload)
    return data, offsets


RECORDS = [
    ("REQUEST", {"source": "servicenow", "id": "abc", "number": "RITM0010001", "state": "validating"}),
    ("APPROVAL", {"source": "servicenow", "id": "abc", "approval": "ap1", "approver": "boss"}),
    ("TIMER", {"source": "servicenow", "id": "abc", "kind": "escalate", "due": 1764086400000}),
    ("WATERMARK", {"source": "servicenow", "watermark": "2026-11-25 07:00:00"}),
]


class Journal(unittest.TestCase):
    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.agent = harness.Agent(self.emu)
        self.addCleanup(self.agent.cleanup)
        seed, _ = harness.servicenow_seed(["VPN Access"])
        self.emu.seed({"servicenow": seed})
        self.path = os.path.join(self.agent.state_dir, "journal")

    def write(self, data):
        with open(self.path, "wb") as f:
            f.write(data)

    def verify(self, *extra):
        return harness.run_binary(harness.ACCESSCTL, "journal", "verify", *(extra or (self.agent.state_dir,)))

    def test_created_private_to_the_group_and_replayed(self):
        # Readable by the state directory's group, for accessctl; nobody else.
        os.rmdir(self.agent.state_dir)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.agent.state_dir).st_mode), 0o750)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)
        proc = self.verify()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("0 records, last sequence 0, 16 bytes", proc.stdout)

        self.write(journal(RECORDS)[0])
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("1 request(s), 0 action(s), last sequence 4", proc.stderr)

    def test_verify_and_dump_a_sound_journal(self):
        data, _ = journal(RECORDS)
        self.write(data)
        proc = self.verify(self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("4 records, last sequence 4, %d bytes" % len(data), proc.stdout)
        self.assertIn("sound", proc.stdout)
        proc = harness.run_binary(harness.ACCESSCTL, "journal", "dump", self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual([(r["seq"], r["type"], r["payload"]) for r in lines],
                         [(i, t, p) for i, (t, p) in enumerate(RECORDS, 1)])
        self.assertEqual(lines[0]["offset"], 16)

    def test_torn_tail_is_cut_at_start(self):
        data, offsets = journal(RECORDS)
        self.write(data[:-5])
        proc = self.verify()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("torn tail at offset %d" % offsets[-1], proc.stderr)
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("torn tail at offset %d" % offsets[-1], proc.stderr)
        self.assertIn("dropping %d bytes" % (len(data) - 5 - offsets[-1]), proc.stderr)
        self.assertEqual(os.path.getsize(self.path), offsets[-1])
        self.assertEqual(self.verify().returncode, 0)

    def test_corruption_refused_unless_repair(self):
        data, offsets = journal(RECORDS)
        damaged = bytearray(data)
        damaged[offsets[1] + 25] ^= 0x20
        self.write(bytes(damaged))
        proc = self.verify()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("corruption at offset %d" % offsets[1], proc.stderr)
        proc = harness.run_binary(harness.ACCESSCTL, "journal", "dump", self.path)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stdout.splitlines()), 1)

        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 2)  # a restart cannot cure it: the unit does not restart
        self.assertIn("corruption at offset %d" % offsets[1], proc.stderr)
        self.assertIn("--repair", proc.stderr)
        self.assertEqual(os.path.getsize(self.path), len(data))

        proc = self.agent.run("--once", "--repair")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(self.path + ".damaged", "rb") as f:
            self.assertEqual(f.read(), bytes(damaged))
        self.assertEqual(os.path.getsize(self.path), offsets[1])
        self.assertEqual(self.verify().returncode, 0)

    def test_requests_listing_prints_no_control_characters(self):
        # What the ITSM and the directory said is printed, never obeyed.
        self.write(journal([
            ("REQUEST", {"source": "servicenow", "id": "abc", "number": "RITM\x1b[31m1\nx", "state": "awaiting-approval",
                         "data": {"wf": {"state": 2, "stage": 0, "step": 0, "since": 1764000000000},
                                  "plan": {"stages": [{"name": "man\x1bager"}]}, "next": 1764028800000}}),
            ("APPROVAL", {"source": "servicenow", "id": "abc", "approval": "ap1", "approver": "evil\x1b[2J@x",
                          "decision": "requested", "stage": 0}),
        ])[0])
        proc = harness.run_binary(harness.ACCESSCTL, "requests", self.path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertNotIn("\x1b", proc.stdout)
        self.assertEqual(lines[1].split(), ["RITM?[31m1?x", "awaiting-approval", "man?ager", "2025-11-24", "16:00:00",
                                            "2025-11-25", "00:00:00", "evil?[2J@x"])

    def test_usage_errors_exit_2(self):
        for args in (["journal"], ["journal", "fix"], ["journal", "verify", "a", "b"]):
            with self.subTest(args=args):
                proc = harness.run_binary(harness.ACCESSCTL, *args)
                self.assertEqual(proc.returncode, 2)
        proc = self.verify(os.path.join(self.agent.dir, "no-such-journal"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no-such-journal", proc.stderr)


if __name__ == "__main__":
    harness.main()
