# SPDX-License-Identifier: Apache-2.0
"""The seed's two cases on Freshservice, real binary against the emulator:
a contractor's VPN access (manager out of office, so the backup approves;
then security; the user lands in VPN-Users-Contractors, the evidence is
attached, the ticket is resolved and its requested item fulfilled), and a
time-bound shared-mailbox grant whose owner does not answer (the backup
approves after the escalation; the access is removed at the end date).
And a rejection whose reason reaches the requester, and a reminder sent
through Freshservice's own approval reminder. The emulator's decisions do
not change a ticket's updated_at, as Freshservice does not promise they
would: accessd finds them from the approvals still waiting."""

import json
import time

import freshservice_tenant as fst
import harness
import tenant
from tenant import oid, upn


class SeedCases(fst.TenantCase):
    def test_contractor_vpn_with_manager_away(self):
        t = self.tenant(away=("mia",))
        req = t.request("VPN Access", "alice", business_justification="On-site support contract",
                        end_date="2027-01-31", sponsor=upn("bob"))
        tid = req["id"]
        t.cycle()
        # The manager is away: the stage's backup is asked instead, at once,
        # through a Freshservice approval carrying the action id.
        asked = t.approvals(tid)
        self.assertEqual([a["approver_id"] for a in asked], [fst.user_id("victor")])
        self.assertEqual(asked[0]["status"], 0)
        self.assertRegex(asked[0]["email_content"], r"\[accessd SR-%s\.r0\.s0\.[0-9a-f]+\.approve\]" % tid)
        self.assertTrue(any("mia@contoso.example is out of office, so victor@contoso.example approves instead" in n
                            for n in t.work_notes(tid)), t.work_notes(tid))
        updated = t.ticket(tid)["updated_at"]
        time.sleep(1.1)
        t.decide(tid, "victor")
        self.assertEqual(t.ticket(tid)["updated_at"], updated, "a decision leaves the ticket's updated_at")
        t.cycle()
        self.assertEqual(t.approver_names(tid), ["sam", "victor"])
        self.assertEqual(t.members("VPN-Users-Contractors"), [])
        t.decide(tid, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users-Contractors"), [oid("alice").lower()])
        self.assertEqual(t.members("VPN-Users"), [])
        ticket = t.ticket(tid)
        self.assertEqual(ticket["status"], 4, "resolved")
        self.assertEqual(ticket["requested_items"][0]["stage"], 4, "fulfilled")
        files = t.attachment_list(tid)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0][0].startswith("SR-%s.r0.complete-" % tid) and files[0][0].endswith("evidence.json"))
        notes = t.work_notes(tid)
        self.assertEqual(len([n for n in notes if n.startswith("Approved; implementing")]), 1, notes)
        self.assertEqual(len([n for n in notes if n.startswith("Completed:")]), 1, notes)
        self.assertTrue(all(c["private"] for c in t.conversations(tid, True)))
        self.assertEqual(len([r for r in t.replies(tid) if r.startswith("Completed:")]), 1)
        self.assertEqual(len(t.cards("Access granted")), 1)
        self.assertEqual(t.workflow_state(tid), "active")
        timers = [r["payload"] for r in t.journal() if r["type"] == "TIMER"]
        self.assertEqual([(x["kind"], x["id"]) for x in timers], [("end_date", tid)])
        self.assertEqual(t.audit("verify").returncode, 0)
        story = t.audit("show", req["number"]).stdout
        self.assertIn("grant_executed", story)
        self.assertIn("approval_seen", story)
        # Quiet afterwards: nothing is written twice.
        before = len(t.ticket(tid)["conversations"])
        t.cycle()
        self.assertEqual(len(t.ticket(tid)["conversations"]), before)

    def test_mailbox_owner_silent_backup_approves_then_removed_at_end(self):
        t = self.tenant(escalate="2s")
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        req = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date=start, duration="6s")
        tid = req["id"]
        t.cycle()
        self.assertEqual(t.approver_names(tid), ["olivia"])
        t.cycle()
        self.assertEqual(len(t.approvals(tid)), 1, "no escalation before escalate_after")
        time.sleep(2.1)
        t.cycle()
        self.assertEqual(t.approver_names(tid), ["olivia", "oscar"])
        self.assertEqual(len(t.cards("Approval escalated")), 1)
        t.decide(tid, "oscar")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(tid), "active")
        end = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"][-1] / 1000.0
        time.sleep(max(0.0, end - time.time() + 0.1))
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(t.workflow_state(tid), "removed")
        self.assertTrue(any("removed" in n for n in t.work_notes(tid)))
        self.assertIn("removal", t.audit("show", req["number"]).stdout)

    def test_rejection_reason_reaches_the_requester(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        tid = req["id"]
        t.cycle()
        self.assertEqual(t.approver_names(tid), ["mia"])
        t.decide(tid, "mia", "rejected", remark="No remote work for this team <b>yet</b>")
        t.cycle()
        self.assertEqual(t.workflow_state(tid), "rejected")
        ticket = t.ticket(tid)
        self.assertEqual(ticket["status"], 5, "closed")
        self.assertEqual(ticket["requested_items"][0]["stage"], 3, "cancelled")
        replies = t.replies(tid)
        self.assertEqual(replies, ['Rejected by Mia (mia@contoso.example) at stage "manager" (1 of 2): No remote work '
                                   'for this team <b>yet</b>'])
        # The remark is the approver's text: it goes out escaped, not as markup.
        reply = t.conversations(tid, False)[0]
        self.assertIn("&lt;b&gt;yet&lt;/b&gt;", reply["body"])
        self.assertNotIn("<b>", reply["body"])
        self.assertEqual(t.members("VPN-Users"), [])
        self.assertEqual(len(t.approvals(tid)), 1, "security is never asked after a rejection")

    def test_reminder_goes_through_freshservice_and_the_ticket(self):
        t = self.tenant(remind="1s", escalate="30s", expire="60s")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        tid = req["id"]
        t.cycle()
        approval = t.approvals(tid)[0]["id"]
        self.assertEqual(t.reminders(), [])
        time.sleep(1.1)
        t.cycle()
        self.assertEqual(t.reminders(), [approval])
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Reminder:")]), 1)
        cards = t.cards("Approval waiting")
        self.assertEqual(len(cards), 1)
        self.assertEqual(tenant.card_fact(cards[0], "Waiting for"), "Mia (%s)" % upn("mia"))
        # The card's button opens the ticket's page in Freshservice.
        self.assertIn("%s/helpdesk/tickets/%s" % (self.emu.url, tid), json.dumps(cards[0]))
        outcome = [r["payload"]["outcome"] for r in t.journal()
                   if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".remind")]
        self.assertEqual([o.get("reminded") for o in outcome], [1])
        t.cycle()
        self.assertEqual(t.reminders(), [approval], "reminded once")

    def workflow_asks(self, tid, *names):
        """Freshservice's own workflow requests approval from NAMES."""
        self.emu.seed({"freshservice": {"approvals": [
            {"ticket_id": int(tid), "approver_id": fst.user_id(n), "status": 0, "user_id": fst.user_id("mia")}
            for n in names]}})

    def test_observe_mode_counts_only_the_current_stage_and_the_approver_own_hand(self):
        """In observe mode the approvals are Freshservice's: accessd asks
        nobody, reads the workflow's, and only a decision by an approver of
        the current stage, in their own hand, counts: not an outsider's,
        not one a delegatee took for the approver."""
        t = self.tenant(approvals="observe", escalate="60s", expire="120s")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        tid = req["id"]
        t.cycle()
        self.assertEqual(t.approvals(tid), [], "observe mode asks nobody")
        self.workflow_asks(tid, "eve", "mia")
        t.decide(tid, "eve")
        t.cycle()
        self.assertEqual(t.workflow_state(tid), "awaiting-approval")
        self.assertTrue(any("A decision by eve@contoso.example was ignored: they are not an approver of stage "
                            "\"manager\"" in n for n in t.work_notes(tid)), t.work_notes(tid))
        t.decide(tid, "mia")
        t.cycle()
        self.workflow_asks(tid, "sam")
        t.decide(tid, "sam", delegatee="sid")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [], "a delegatee's decision is not the approver's")
        self.assertTrue(any("wrote it, not sam@contoso.example" in n for n in t.work_notes(tid)), t.work_notes(tid))
        self.workflow_asks(tid, "sam")
        t.decide(tid, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(t.ticket(tid)["status"], 4)
        self.assertTrue(all(a["user_id"] != fst.AGENT_ID for a in t.approvals(tid)), "accessd asked nobody")


if __name__ == "__main__":
    harness.main()
