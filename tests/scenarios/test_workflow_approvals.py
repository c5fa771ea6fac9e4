# SPDX-License-Identifier: Apache-2.0
"""The approver chain end to end (real binary, emulator): who must approve,
whose decisions count, and how a request ends when they do not come."""

import json
import time

import harness
import tenant
from tenant import oid, snow_id, upn


class Approvals(tenant.TenantCase):
    def asked(self, t, ritm):
        return sorted(a["approver"] for a in t.approvals(ritm))

    def graph_adds(self):
        return [r for r in self.emu.requests() if r["method"] == "POST" and r["path"].endswith("/members/$ref")]

    def vpn_for_bob(self, t, opened_by=None):
        return t.request("VPN Access", "bob", opened_by=opened_by, business_justification="Remote work")

    def test_privileged_group_needs_manager_and_security(self):
        t = self.tenant()
        req = t.request("Add to Group", "bob", group="Server-Admins", business_justification="On call")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
        t.decide(ritm, "mia")
        t.cycle()
        # The manager's approval alone grants nothing: security is next.
        self.assertEqual(t.members("Server-Admins"), [])
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("mia"), snow_id("sam")]))
        self.assertEqual(self.graph_adds(), [])
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("Server-Admins"), [oid("bob").lower()])
        evidence = [r for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"]
        self.assertEqual(len(evidence), 1)
        body = evidence[0]["body"]
        self.assertEqual(sorted(a["approver"] for a in body["approvals"]), [upn("mia"), upn("sam")])
        self.assertEqual(body["steps"][0]["group_id"], tenant.GROUPS["Server-Admins"])
        self.assertTrue(body["steps"][0]["outcome"]["graph_request_id"])

    def test_rejection_at_stage_two_ends_the_request(self):
        t = self.tenant()
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia")
        t.cycle()
        # The approver's reason reaches the requester, hostile characters and all.
        reason = 'No business need for "admin" VPN^NQstate=3'
        t.decide(ritm, "sam", state="rejected", comments=reason)
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "rejected")
        self.assertEqual(t.ritm(ritm)["state"], "4")
        comments = t.journal_entries(ritm, "comments")
        self.assertTrue(any(c.startswith('Rejected by Sam (sam@contoso.example) at stage "security" (2 of 2)')
                            and (": " + reason + "\n") in c for c in comments), comments)
        self.assertEqual(t.members("VPN-Users"), [])
        self.assertEqual(self.graph_adds(), [])
        self.assertIn("rejected", t.audit("show", req["number"]).stdout)
        t.cycle()
        self.assertEqual(len(t.journal_entries(ritm, "comments")), 1)

    def test_incomplete_request_sent_back_then_completed_after_the_edit(self):
        t = self.tenant()
        req = t.request("VPN Access", "alice", business_justification="Support contract")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "sent-back")
        comments = t.journal_entries(ritm, "comments")
        self.assertEqual(len(comments), 1)
        self.assertIn("end date", comments[0])
        self.assertIn("sponsor", comments[0])
        self.assertEqual(t.approvals(ritm), [])
        t.cycle()
        self.assertEqual(len(t.journal_entries(ritm, "comments")), 1, "sent back once, not every cycle")
        t.set_variables(ritm, end_date="2027-01-31", sponsor=upn("bob"))
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
        t.decide(ritm, "mia")
        t.cycle()
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users-Contractors"), [oid("alice").lower()])
        self.assertEqual(t.ritm(ritm)["state"], "3")

    def test_duplicate_is_linked_not_worked_twice(self):
        t = self.tenant()
        first = self.vpn_for_bob(t)
        t.cycle()
        second = self.vpn_for_bob(t)
        t.cycle()
        self.assertEqual(t.workflow_state(second["sys_id"]), "duplicate")
        self.assertEqual(t.approvals(second["sys_id"]), [])
        self.assertTrue(any(first["number"] in n for n in t.journal_entries(second["sys_id"], "work_notes")))
        self.assertEqual(t.ritm(second["sys_id"])["state"], "7")
        t.decide(first["sys_id"], "mia")
        t.cycle()
        t.decide(first["sys_id"], "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len(self.graph_adds()), 1)

    def test_already_a_member_completes_with_a_note(self):
        t = self.tenant()
        self.emu.seed({"graph": {"groups": [{"id": tenant.GROUPS["VPN-Users"], "displayName": "VPN-Users",
                                             "securityEnabled": True, "mailEnabled": False,
                                             "members": [oid("bob")]}]}})
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "completed")
        self.assertEqual(t.ritm(ritm)["state"], "3")
        self.assertTrue(any("already has VPN-Users" in c for c in t.journal_entries(ritm, "comments")))
        self.assertEqual(t.approvals(ritm), [])
        self.assertEqual(self.graph_adds(), [])

    def test_approver_who_is_the_requester_is_replaced_and_never_counts(self):
        t = self.tenant()
        # mia asks for her report bob: she may ask, but not approve.
        req = self.vpn_for_bob(t, opened_by="mia")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(self.asked(t, ritm), [snow_id("victor")])
        self.assertTrue(any("mia@contoso.example is the requester, so victor@contoso.example approves instead" in n
                            for n in t.journal_entries(ritm, "work_notes")))
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        self.assertTrue(any("decision by mia@contoso.example was ignored" in n
                            for n in t.journal_entries(ritm, "work_notes")))
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("mia"), snow_id("victor")]))
        t.decide(ritm, "victor")
        t.cycle()
        self.assertIn(snow_id("sam"), self.asked(t, ritm))

    def test_approval_by_someone_outside_the_chain_is_ignored(self):
        t = self.tenant()
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "eve")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        self.assertNotIn(snow_id("sam"), self.asked(t, ritm))
        ignored = [n for n in t.journal_entries(ritm, "work_notes") if "was ignored" in n]
        self.assertEqual(len(ignored), 1)
        self.assertIn("approval_ignored", t.audit("show", req["number"]).stdout)
        t.cycle()
        self.assertEqual(len([n for n in t.journal_entries(ritm, "work_notes") if "was ignored" in n]), 1)
        self.assertEqual(self.graph_adds(), [])
        t.decide(ritm, "mia")
        t.cycle()
        t.decide(ritm, "sam")
        t.cycle()
        evidence = [r["body"] for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"]
        self.assertEqual(sorted(a["approver"] for a in evidence[0]["approvals"]), [upn("mia"), upn("sam")])

    def test_reminder_once_then_escalation_to_the_backup(self):
        t = self.tenant(remind="1s", escalate="3s", expire="60s")
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        started = time.time()
        t.cycle()
        time.sleep(max(0.0, started + 1.2 - time.time()))
        t.cycle()
        t.cycle()
        reminders = [n for n in t.journal_entries(ritm, "work_notes") if n.startswith("Reminder")]
        self.assertEqual(len(reminders), 1)
        # The reminder names who is to decide, on the ticket and in the channel.
        self.assertIn("from Mia (%s) for " % upn("mia"), reminders[0])
        cards = t.cards("Approval waiting")
        self.assertEqual(len(cards), 1)
        self.assertEqual(tenant.card_fact(cards[0], "Waiting for"), "Mia (%s)" % upn("mia"))
        self.assertIn(req["number"], json.dumps(cards[0]))
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
        time.sleep(max(0.0, started + 3.2 - time.time()))
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "escalated")
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("mia"), snow_id("victor")]))
        # The backup's approval counts once the stage is escalated.
        t.decide(ritm, "victor")
        t.cycle()
        self.assertIn(snow_id("sam"), self.asked(t, ritm))
        self.assertIn("reminder", t.audit("show", req["number"]).stdout)

    def test_reminder_names_only_the_approvers_still_to_decide(self):
        # quorum "all": the owner and the manager must both approve
        t = self.tenant(remind="1s", app_approvers=("target_owner", "manager"), app_quorum="all")
        req = t.request("Application Access", "bob", business_justification="Quarter close")
        ritm = req["sys_id"]
        started = time.time()
        t.cycle()
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("olivia"), snow_id("mia")]))
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.assignments(), [], "one approval of two grants nothing")
        time.sleep(max(0.0, started + 1.2 - time.time()))
        t.cycle()
        reminders = [n.split("\n")[0] for n in t.journal_entries(ritm, "work_notes") if n.startswith("Reminder")]
        self.assertEqual(len(reminders), 1)
        self.assertTrue(reminders[0].startswith('Reminder: stage "application owner" (1 of 1) is waiting for a '
                                                'decision from Olivia (%s) for ' % upn("olivia")), reminders)
        cards = t.cards("Approval waiting")
        self.assertEqual(len(cards), 1)
        self.assertEqual(tenant.card_fact(cards[0], "Waiting for"), "Olivia (%s)" % upn("olivia"))
        self.assertNotIn(upn("mia"), json.dumps(cards[0]))
        t.decide(ritm, "olivia")
        t.cycle()
        self.assertEqual(t.assignments(), [(oid("bob"), tenant.EXPENSES_ROLE)])

    def test_ticket_closed_while_awaiting_approval_grants_nothing(self):
        t = self.tenant()
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
        # The service desk closes it; the manager's approval comes anyway.
        t.close(ritm, "4")
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "withdrawn")
        self.assertEqual(t.ritm(ritm)["state"], "4", "accessd leaves the closed ticket closed")
        notes = t.journal_entries(ritm, "work_notes")
        self.assertEqual(len([n for n in notes if "granted nothing" in n]), 1)
        self.assertIn("withdrawn", t.audit("show", req["number"]).stdout)
        # Nothing that comes later grants anything or asks anyone.
        t.decide(ritm, "sam")
        t.cycle()
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "withdrawn")
        self.assertEqual(self.graph_adds(), [])
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("mia"), snow_id("sam")]))
        self.assertEqual(len(t.journal_entries(ritm, "work_notes")), len(notes))

    def test_itsm_flow_rejects_and_closes_in_one_go_is_a_rejection(self):
        # Observe mode: the ITSM's own flow records the rejection and closes
        # the ticket before accessd's next poll; the approver's reason still
        # reaches the requester, and the request ends rejected, not withdrawn.
        t = self.tenant(approvals="observe")
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia", state="rejected", comments="Not in this team")
        t.close(ritm, "4")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "rejected")
        self.assertTrue(any("Not in this team" in c for c in t.journal_entries(ritm, "comments")))
        self.assertEqual(self.graph_adds(), [])

    def test_ticket_closed_before_accessd_saw_it_is_left_alone(self):
        t = self.tenant()
        old = self.vpn_for_bob(t)
        t.close(old["sys_id"], "3")
        new = t.request("VPN Access", "carol", business_justification="Remote work")
        proc = t.cycle()
        self.assertEqual(t.approvals(old["sys_id"]), [])
        self.assertEqual(t.journal_entries(old["sys_id"], "work_notes"), [])
        self.assertIsNone(t.workflow_state(old["sys_id"]))
        self.assertIn("%s: closed in the ITSM (state 3) before accessd saw it; left alone" % old["number"],
                      proc.stderr)
        # the open one beside it is worked
        self.assertEqual(self.asked(t, new["sys_id"]), [snow_id("mia")])

    def test_no_decision_until_expire_after_closes_the_request(self):
        t = self.tenant(escalate="2s", expire="3s")
        req = self.vpn_for_bob(t)
        ritm = req["sys_id"]
        started = time.time()
        t.cycle()
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        time.sleep(max(0.0, started + 3.2 - time.time()))
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "expired")
        self.assertEqual(t.ritm(ritm)["state"], "4")
        self.assertTrue(any("expired" in c for c in t.journal_entries(ritm, "comments")))
        # A late approval changes nothing.
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "expired")
        self.assertEqual(self.graph_adds(), [])
        self.assertEqual(t.cards("Access granted"), [])


if __name__ == "__main__":
    harness.main()
