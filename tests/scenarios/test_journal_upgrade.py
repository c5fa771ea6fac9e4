# SPDX-License-Identifier: Apache-2.0
"""A journal written by the accessd before ITSM phases and approval decisions
became enums (fixtures/journal-5088824, made by make-fixture.py there) is
replayed by this one and drives the same behaviour: its decisions, journaled
as ServiceNow's approval states, still count, and the requests waiting on
them finish as they would have."""

import json
import os
import shutil

import harness
import tenant
from tenant import oid, snow_id, upn

FIXTURE = os.path.join(harness.SRCDIR, "tests", "scenarios", "fixtures", "journal-5088824")
BOB_RITM = "%032x" % 0x717e00000001
CAROL_RITM = "%032x" % 0x717e00000002


class JournalUpgrade(tenant.TenantCase):
    def upgraded(self):
        """A tenant whose ServiceNow holds what the old agent saw and did,
        and whose state directory holds the old agent's journal."""
        t = self.tenant(escalate="3650d", expire="3660d")
        with open(os.path.join(FIXTURE, "servicenow.json")) as f:
            self.emu.seed({"servicenow": json.load(f)})
        for name, target in (("journal", "journal"), ("audit", "audit.log")):
            path = os.path.join(t.agent.state_dir, target)
            shutil.copy(os.path.join(FIXTURE, name), path)
            os.chmod(path, 0o600)
        return t

    def test_old_journal_shows_who_is_awaited(self):
        t = self.upgraded()
        proc = harness.run_binary(harness.ACCESSCTL, "requests", t.agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[1:]}
        self.assertEqual(sorted(rows), ["RITM0010001", "RITM0010002"])
        self.assertEqual(rows["RITM0010001"][1:3], ["awaiting-approval", "security"])
        self.assertEqual(rows["RITM0010001"][-1], upn("sam"))
        self.assertEqual(rows["RITM0010002"][1:3], ["awaiting-approval", "manager"])
        self.assertEqual(rows["RITM0010002"][-1], upn("mia"))

    def test_requests_halfway_through_their_approvals_finish(self):
        t = self.upgraded()
        t.decide(BOB_RITM, "sam")
        t.decide(CAROL_RITM, "mia", state="rejected", comments="No VPN for this role")
        t.cycle()
        # The manager's approval journaled by the old agent still counts:
        # security's completes the chain, and nobody is asked twice.
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(sorted(a["approver"] for a in t.approvals(BOB_RITM)),
                         sorted([snow_id("mia"), snow_id("sam")]))
        self.assertEqual(t.workflow_state(BOB_RITM), "completed")
        item = t.ritm(BOB_RITM)
        self.assertEqual((item["state"], item["stage"]), ("3", "complete"))
        evidence = [r for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"]
        self.assertEqual(len(evidence), 1)
        self.assertEqual(sorted(a["approver"] for a in evidence[0]["body"]["approvals"]), [upn("mia"), upn("sam")])
        # The request the old agent asked mia about ends with her rejection.
        self.assertEqual(t.workflow_state(CAROL_RITM), "rejected")
        self.assertEqual(t.ritm(CAROL_RITM)["state"], "4")
        self.assertTrue(any(c.startswith("Rejected by mia@contoso.example") and "No VPN for this role" in c
                            for c in t.journal_entries(CAROL_RITM, "comments")))
        self.assertEqual(len(t.approvals(CAROL_RITM)), 1)
        # The audit trail goes on from the old one, unbroken.
        self.assertEqual(t.audit("verify").returncode, 0)
        self.assertIn("grant_executed", t.audit("show", "RITM0010001").stdout)
        before = len(t.journal_entries(BOB_RITM, "work_notes"))
        t.cycle()
        self.assertEqual(len(t.journal_entries(BOB_RITM, "work_notes")), before)


if __name__ == "__main__":
    harness.main()
