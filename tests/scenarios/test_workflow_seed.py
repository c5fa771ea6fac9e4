# SPDX-License-Identifier: Apache-2.0
"""The seed's two cases end to end, real binary against the emulator: a
contractor's VPN access (manager out of office, so the backup approves;
then security; the user lands in VPN-Users-Contractors with evidence on
the ticket), and a time-bound shared-mailbox grant whose owner does not
answer (the backup approves after the escalation; the access is removed at
the end date). And the same end for an app role, removed through the
assignment id its grant recorded."""

import time

import harness
import tenant
from tenant import oid, upn


class SeedCases(tenant.TenantCase):
    def test_contractor_vpn_with_manager_away(self):
        t = self.tenant(away=("mia",))
        req = t.request("VPN Access", "alice", business_justification="On-site support contract",
                        end_date="2027-01-31", sponsor=upn("bob"))
        ritm = req["sys_id"]
        t.cycle()
        # The manager is away: the stage's backup is asked instead, at once.
        asked = t.approvals(ritm)
        self.assertEqual([a["approver"] for a in asked], [tenant.snow_id("victor")])
        notes = t.journal_entries(ritm, "work_notes")
        self.assertTrue(any("mia@contoso.example is out of office, so victor@contoso.example approves instead" in n
                            for n in notes), notes)
        t.decide(ritm, "victor")
        t.cycle()
        self.assertEqual(sorted(a["approver"] for a in t.approvals(ritm)),
                         sorted([tenant.snow_id("victor"), tenant.snow_id("sam")]))
        self.assertEqual(t.members("VPN-Users-Contractors"), [])
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users-Contractors"), [oid("alice").lower()])
        self.assertEqual(t.members("VPN-Users"), [])
        item = t.ritm(ritm)
        self.assertEqual(item["state"], "3")
        files = t.attachments(ritm)
        self.assertEqual(len(files), 1)
        notes = t.journal_entries(ritm, "work_notes")
        self.assertTrue(any("Approved; implementing" in n for n in notes), notes)
        self.assertTrue(any(n.startswith("Completed:") for n in notes), notes)
        self.assertTrue(any(n.startswith("Completed:") for n in t.journal_entries(ritm, "comments")))
        self.assertEqual(len(t.cards("Access granted")), 1)
        # Access with an end date stays active until then, with a journaled timer.
        self.assertEqual(t.workflow_state(ritm), "active")
        timers = [r["payload"] for r in t.journal() if r["type"] == "TIMER"]
        self.assertEqual([(x["kind"], x["id"]) for x in timers], [("end_date", ritm)])
        self.assertGreater(timers[0]["due"], time.time() * 1000 + 30 * 86400 * 1000)
        self.assertEqual(t.audit("verify").returncode, 0)
        story = t.audit("show", req["number"]).stdout
        self.assertIn("grant_executed", story)
        self.assertIn("approval_seen", story)
        # Quiet afterwards: nothing is written twice.
        before = len(t.journal_entries(ritm, "work_notes"))
        t.cycle()
        self.assertEqual(len(t.journal_entries(ritm, "work_notes")), before)

    def test_mailbox_owner_silent_backup_approves_then_removed_at_end(self):
        t = self.tenant(escalate="2s")
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        req = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date=start, duration="6s")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual([a["approver"] for a in t.approvals(ritm)], [tenant.snow_id("olivia")])
        t.cycle()
        self.assertEqual(len(t.approvals(ritm)), 1, "no escalation before escalate_after")
        time.sleep(2.1)
        t.cycle()
        self.assertEqual(sorted(a["approver"] for a in t.approvals(ritm)),
                         sorted([tenant.snow_id("olivia"), tenant.snow_id("oscar")]))
        self.assertEqual(len(t.cards("Approval escalated")), 1)
        t.decide(ritm, "oscar")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(ritm), "active")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        end = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"][-1] / 1000.0
        time.sleep(max(0.0, end - time.time() + 0.1))
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(t.workflow_state(ritm), "removed")
        self.assertTrue(any("removed" in c for c in t.journal_entries(ritm, "comments")))
        timers = [r["payload"] for r in t.journal() if r["type"] == "TIMER"]
        self.assertEqual(timers[-1]["due"], 0)
        self.assertIn("removal", t.audit("show", req["number"]).stdout)

    def test_app_role_granted_and_removed_by_its_assignment_at_the_end(self):
        t = self.tenant()
        end = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 4))
        req = t.request("Application Access", "bob", business_justification="Quarter close", end_date=end)
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "olivia")
        t.cycle()
        self.assertEqual(t.assignments(), [(oid("bob"), tenant.EXPENSES_ROLE)])
        grant = [r["payload"]["outcome"] for r in t.journal()
                 if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".t0.grant")][0]
        assignment = grant["assignment_id"]
        evidence = [r["body"] for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"][0]
        self.assertEqual(evidence["steps"][0]["outcome"]["assignment_id"], assignment)
        self.assertEqual(evidence["steps"][0]["app_role_id"], tenant.EXPENSES_ROLE)
        due = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"][-1] / 1000.0
        time.sleep(max(0.0, due - time.time() + 0.1))
        t.cycle()
        self.assertEqual(t.assignments(), [])
        removed = [r for r in self.emu.requests() if r["method"] == "DELETE"]
        self.assertEqual([r["path"].rsplit("/", 1)[1] for r in removed], [assignment])
        self.assertEqual(t.workflow_state(ritm), "removed")


if __name__ == "__main__":
    harness.main()
