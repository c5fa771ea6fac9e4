# SPDX-License-Identifier: Apache-2.0
"""accessctl requests on the journal a real agent wrote against the
emulator: the requests not yet ended, their stage, since when, the next
deadline and whose decision they wait for; --all adds the ended ones;
--json says the same as JSON; a skipped request is listed with why; before
the first start there are no requests yet; a member of the state
directory's group reads it without root, anyone else is told why not."""

import calendar
import grp
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

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
            self.assertIn("usage: accessctl requests [--all] [--json] [PATH]", proc.stderr)
        proc = self.requests(t, os.path.join(t.dir, "no-such-journal"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cannot read", proc.stderr)

    def test_json(self):
        t = self.tenant(remind="30m", escalate="1h", expire="2h")
        waiting = t.request("VPN Access", "bob", business_justification="Remote work")
        t.cycle()
        proc = self.requests(t, "--json", t.agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [row] = json.loads(proc.stdout)
        self.assertEqual(row["request"], waiting["number"])
        self.assertEqual((row["state"], row["stage"], row["waiting_for"]), ("awaiting-approval", "manager",
                                                                           [upn("mia")]))
        since = calendar.timegm(time.strptime(row["stage_since"], "%Y-%m-%dT%H:%M:%SZ"))
        deadline = calendar.timegm(time.strptime(row["next_deadline"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(deadline - since, 30 * 60)

    def test_no_requests_before_the_first_start(self):
        state = tempfile.mkdtemp(prefix="accessd-state-")
        self.addCleanup(shutil.rmtree, state, True)
        for args in ([state], [os.path.join(state, "journal")]):
            proc = harness.run_binary(harness.ACCESSCTL, "requests", *args)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, "no requests yet (the journal is created on the first start)\n")
            proc = harness.run_binary(harness.ACCESSCTL, "requests", "--json", *args)
            self.assertEqual((proc.returncode, json.loads(proc.stdout)), (0, []))

    def test_a_skipped_request_is_listed_with_why(self):
        # No directory is configured: nothing can be validated.
        seed, items = harness.servicenow_seed(["VPN Access"])
        seed["sc_req_item"] = [{"cat_item": items["VPN Access"], "requested_for": "%032x" % 0xa11ce,
                                "opened_by": "%032x" % 0xa11ce, "state": "1", "short_description": "VPN"}]
        self.emu.seed({"servicenow": seed})
        agent = harness.Agent(self.emu)
        self.addCleanup(agent.cleanup)
        for _ in range(2):  # journaled once, not again each cycle
            self.assertEqual(agent.run("--once").returncode, 0)
        proc = harness.run_binary(harness.ACCESSCTL, "requests", agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [line] = proc.stdout.splitlines()[1:]
        self.assertRegex(line, r"^RITM\d+ +skipped +- +- +- +no directory is configured, so it cannot be validated$")
        proc = harness.run_binary(harness.ACCESSCTL, "journal", "dump", agent.state_dir)
        self.assertEqual(proc.stdout.count('"state":"skipped"'), 1)


def as_user(uid, gid, groups):
    def drop():
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
    return drop


@unittest.skipUnless(os.geteuid() == 0, "switching users needs root")
class GroupAccess(tenant.TenantCase):
    """The state directory as the package leaves it: 0750 and its files 0640,
    of the group accessd (here a group of this machine's), read by a user who
    is not root."""

    NOBODY = 65534

    def test_a_member_of_the_group_reads_it_and_others_are_told_why_not(self):
        t = self.tenant(escalate="1h", expire="2h")
        t.request("VPN Access", "bob", business_justification="Remote work")
        t.cycle()
        group = next(g for g in grp.getgrall() if g.gr_gid not in (0, self.NOBODY))
        top = tempfile.mkdtemp(prefix="accessd-group-")
        self.addCleanup(shutil.rmtree, top, True)
        os.chmod(top, 0o755)
        state = os.path.join(top, "state")
        shutil.copytree(t.agent.state_dir, state)
        os.chown(state, 0, group.gr_gid)
        os.chmod(state, 0o750)
        for name in os.listdir(state):
            os.chown(os.path.join(state, name), 0, group.gr_gid)
            self.assertEqual(os.stat(os.path.join(state, name)).st_mode & 0o777, 0o640, name)

        member = subprocess.run([harness.ACCESSCTL, "requests", state], capture_output=True, text=True,
                                preexec_fn=as_user(self.NOBODY, self.NOBODY, [group.gr_gid]), timeout=30)
        self.assertEqual(member.returncode, 0, member.stderr)
        self.assertIn("awaiting-approval", member.stdout)

        other = subprocess.run([harness.ACCESSCTL, "requests", state], capture_output=True, text=True,
                               preexec_fn=as_user(self.NOBODY, self.NOBODY, []), timeout=30)
        self.assertEqual(other.returncode, 1)
        self.assertIn("cannot read %s/journal: Permission denied" % state, other.stderr)
        self.assertIn("%s is readable by root and by the members of the group %s; add yourself with: "
                      "usermod -aG %s" % (state, group.gr_name, group.gr_name), other.stderr)


if __name__ == "__main__":
    harness.main()
