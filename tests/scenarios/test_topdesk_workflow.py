# SPDX-License-Identifier: Apache-2.0
"""The workflow on TOPdesk, real binary against the emulator: the seed's two
cases as requests for change (the manager away, so the backup authorizes;
security; the contractors' VPN group; evidence on the change; the mailbox
owner silent, the backup owner after the escalation, removal at the end
date), a rejection by an authorizer whose reason reaches the requester, the
same on a request call through its linked change, a permanent Graph
failure that blocks with exactly one TOPdesk incident for the IAM team (in
daemon mode, with the answer to the incident lost once), and kill -9
between intent and outcome, during the grant and during the upload."""

import json
import re
import time

import harness
import tenant
import topdesk_tenant as td
from tenant import oid, upn

MEMBERS_REF = "/v1.0/groups/%s/members/$ref"
MARK = re.compile(r"\n*\[accessd action [^\]]+\]\s*$")


def text(memo):
    return MARK.sub("", memo)


class SeedCases(td.TenantCase):
    def test_contractor_vpn_with_manager_away(self):
        t = self.tenant(away=("mia",))
        req = t.request("VPN Access", "alice", business_justification="On-site support contract",
                        end_date="2027-01-31", sponsor=upn("bob"))
        change = req["id"]
        self.assertRegex(req["number"], r"^C \d{4} \d{3}$")
        t.cycle()
        # The manager is away: the stage's backup is asked at once, as an
        # authorization activity assigned to the backup's person.
        self.assertEqual(t.approver_names(change), ["victor"])
        asked = t.approvals(change)[0]
        self.assertEqual((asked["assignee"]["type"], asked["processingStatus"]), ("manager", "ready_to_start"))
        notes = [text(n) for n in t.work_notes(change)]
        self.assertIn('Stage "manager": mia@contoso.example is out of office, so victor@contoso.example approves '
                      'instead.', notes)
        self.assertEqual(t.decide(change, "victor"), 204)
        t.cycle()
        self.assertEqual(t.approver_names(change), ["sam", "victor"])
        self.assertEqual(t.members("VPN-Users-Contractors"), [])
        self.assertEqual(t.decide(change, "sam"), 204)
        t.cycle()
        self.assertEqual(t.members("VPN-Users-Contractors"), [oid("alice").lower()])
        self.assertEqual(t.members("VPN-Users"), [])
        # Approved, started, implemented and closed, each by the transition
        # TOPdesk offered; the status the tenant gave implementing.
        rec = t.change(change)
        self.assertEqual(rec["processingStatus"], "simple_closed")
        self.assertEqual([(x["from"], x["action"]) for x in rec["transitions"]],
                         [("rfc", "approve"), ("simple_notStarted", "start"), ("simple_inProgress", "implement"),
                          ("simple_done", "close")])
        files = t.attachments(change)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0]["fileName"].endswith("-evidence.json"))
        self.assertIn(req["number"], files[0]["data"])
        self.assertEqual(json.loads(files[0]["data"])["steps"][0]["group_id"], tenant.GROUPS["VPN-Users-Contractors"])
        notes = [text(n) for n in t.work_notes(change)]
        self.assertTrue(any(n.startswith("Approved; implementing") for n in notes), notes)
        # The requester sees every change memo: the completion once, not
        # as a note and again as a comment.
        self.assertEqual(len([n for n in notes if n.startswith("Completed:")]), 1, notes)
        cards = t.cards("Access granted")
        self.assertEqual(len(cards), 1)
        # Its button opens the change in TOPdesk.
        self.assertIn("/tas/secure/contained/newchange?action=show&unid=%s" % change, json.dumps(cards[0]))
        self.assertEqual(t.workflow_state(change), "active")
        self.assertEqual(t.audit("verify").returncode, 0)
        story = t.audit("show", req["number"]).stdout
        self.assertIn("grant_executed", story)
        self.assertIn("approval_seen", story)
        # Quiet afterwards: nothing written twice.
        before = len(t.trail(change))
        t.cycle()
        self.assertEqual(len(t.trail(change)), before)

    def test_mailbox_owner_silent_backup_approves_then_removed_at_end(self):
        t = self.tenant(escalate="2s")
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        req = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date=start, duration="6s")
        change = req["id"]
        t.cycle()
        self.assertEqual(t.approver_names(change), ["olivia"])
        t.cycle()
        self.assertEqual(len(t.approvals(change)), 1, "no escalation before escalate_after")
        time.sleep(2.1)
        t.cycle()
        self.assertEqual(t.approver_names(change), ["olivia", "oscar"])
        self.assertTrue(any("escalated to the backup approver" in n for n in t.work_notes(change)), t.work_notes(change))
        self.assertEqual(len(t.cards("Approval escalated")), 1)
        t.decide(change, "oscar")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(change), "active")
        end = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"][-1] / 1000.0
        time.sleep(max(0.0, end - time.time() + 0.1))
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(t.workflow_state(change), "removed")
        self.assertTrue(any("was removed from Finance Shared Mailbox" in n for n in t.work_notes(change)))


class Rejection(td.TenantCase):
    def test_authorizer_rejects_with_a_reason_the_requester_reads(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        change = req["id"]
        t.cycle()
        self.assertEqual(t.approver_names(change), ["mia"])
        reason = next(r["id"] for r in td.config()["activity_rejection_reasons"] if r["name"] == "Security concern")
        self.assertEqual(t.decide(change, "mia", state="rejected", comments="Bob has no remote duties.",
                                  reason=reason), 204)
        t.cycle()
        self.assertEqual(t.workflow_state(change), "rejected")
        rec = t.change(change)
        self.assertEqual(rec["processingStatus"], "rejected")
        self.assertEqual([x["action"] for x in rec["transitions"]], ["reject"])
        # Every change memo is shown to the requester: the reason is there,
        # with TOPdesk's rejection reason.
        memos = [text(n) for n in t.work_notes(change)]
        rejected = [n for n in memos if "Bob has no remote duties." in n]
        self.assertEqual(len(rejected), 1, memos)
        self.assertIn("Security concern", rejected[0])
        self.assertEqual(t.members("VPN-Users"), [])
        self.assertEqual(t.approvals(change)[0]["processingStatus"], "rejected")

    def test_request_call_rejected_on_its_linked_change(self):
        t = self.tenant(calls=("VPN Access",))
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        call = req["id"]
        self.assertRegex(req["number"], r"^I \d{4} \d{3}$")
        t.cycle()
        # A call has no authorization: the approvers' activities are on a
        # change made from the approval template, which names the call.
        linked = t.linked(call)
        self.assertIsNotNone(linked)
        self.assertEqual(t.change(linked)["template"]["name"], td.APPROVAL_TEMPLATE)
        self.assertEqual(t.approver_names(call), ["mia"])
        t.cycle()
        self.assertEqual(len([c for c in t.state()["changes"] if c.get("externalNumber") == call]), 1)
        t.decide(call, "mia", state="rejected", comments="Use the <b>office</b> desk & \"VDI\" instead.")
        t.cycle()
        self.assertEqual(t.workflow_state(call), "rejected")
        rec = t.call(call)
        self.assertTrue(rec["closed"])
        self.assertEqual(rec["processingStatus"]["name"], "Rejected")
        self.assertEqual(t.change(linked)["processingStatus"], "rejected")
        # The requester reads the reason as a visible action, the
        # approver's markup escaped (an incident action takes HTML).
        shown = [a for a in t.trail(call) if not a["invisibleForCaller"]]
        reasons = [a["memoText"] for a in shown if "VDI" in a["memoText"]]
        self.assertEqual(len(reasons), 1, shown)
        self.assertIn("&lt;b&gt;office&lt;/b&gt; desk &amp; &quot;VDI&quot;", reasons[0])
        self.assertNotIn("<b>", reasons[0])


class Observe(td.TenantCase):
    def test_observe_reads_the_authorizations_of_the_change_template(self):
        # The tenant's VPN template brings its own authorization activities:
        # the manager and the security officer.
        templates = td.config()["change_templates"]
        vpn = next(t for t in templates if t["briefDescription"] == "VPN Access")
        vpn["activities"] = [
            {"briefDescription": "Manager authorization", "activityType": "authorization",
             "assignee": {"id": td.person_id("mia"), "type": "manager"}},
            {"briefDescription": "Security authorization", "activityType": "authorization",
             "assignee": {"id": td.person_id("sam"), "type": "manager"}}]
        t = self.tenant(approvals="observe")
        self.emu.call("POST", "/_emu/config/topdesk", {"change_templates": templates})
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        change = req["id"]
        self.assertEqual(t.approver_names(change), ["mia", "sam"])
        t.cycle()
        self.assertEqual(t.workflow_state(change), "awaiting-approval")
        t.decide(change, "mia")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [])
        t.decide(change, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(change), "completed")
        self.assertEqual([r for r in self.emu.requests() if r["method"] == "POST"
                          and r["path"] == "/tas/api/operatorChangeActivities"], [], "accessd asked nobody")
        self.assertEqual(len(t.approvals(change)), 2)


class Failures(td.TenantCase):
    def test_permanent_graph_failure_blocks_with_one_topdesk_incident_in_daemon_mode(self):
        t = self.tenant()
        req = t.approved_vpn()
        change = req["id"]
        self.emu.fault(kind="status", status=403, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=0, message="Insufficient privileges to complete the operation.")
        # The incident lands, but its answer is lost once: the lookup by
        # externalNumber finds it rather than opening a second.
        self.emu.fault(kind="drop_response", method="POST", path="^/tas/api/incidents$", times=1)
        self.emu.clear_requests()
        with t.daemon():
            t.wait_for(lambda: t.workflow_state(change) == "blocked", "the request to be blocked")
            t.wait_for(lambda: len([r for r in self.emu.requests() if r["path"] == "/tas/api/operatorChangeActivities"])
                       >= 4, "a few more cycles")
        self.assertEqual(len(self.adds("VPN-Users")), 1, "a permanent error is not retried")
        incidents = t.incidents()
        self.assertEqual(len(incidents), 1, incidents)
        inc = incidents[0]
        self.assertTrue(inc["externalNumber"].endswith(".block"), inc["externalNumber"])
        self.assertEqual(inc["operatorGroup"]["name"], "IAM Operations")
        self.assertEqual((inc["category"]["name"], inc["subcategory"]["name"]), ("Identity and access", "accessd"))
        self.assertEqual(inc["caller"]["dynamicName"], "accessd")
        self.assertLessEqual(len(inc["briefDescription"]), 80)
        self.assertIn(req["number"], inc["request"])
        self.assertIn("Insufficient privileges", inc["request"])
        rec = t.change(change)
        self.assertNotEqual(rec["processingStatus"], "simple_closed", "never completed without the grant")
        self.assertEqual(rec["status"]["name"], "Implementing (Blocked)")
        notes = [text(n) for n in t.work_notes(change)]
        self.assertEqual(len([n for n in notes if n.startswith("Implementing (Blocked)")]), 1, notes)
        self.assertFalse(any(n.startswith("Completed") for n in notes))
        self.assertIn("incident_opened", t.audit("show", req["number"]).stdout)
        # The note and the card name the incident as people know it, and
        # the card's button opens it.
        self.assertTrue(any(inc["number"] in n for n in notes), notes)
        blocked = t.cards("Request blocked")
        self.assertEqual(len(blocked), 1, [tenant.card_title(c) for c in t.cards()])
        self.assertIn("lookupValue=%s" % inc["number"].replace(" ", "%20"), json.dumps(blocked[0]))

    def test_kill_between_intent_and_outcome_grants_once(self):
        t = self.tenant()
        req = t.approved_vpn()
        change = req["id"]
        path = MEMBERS_REF % tenant.GROUPS["VPN-Users"]
        self.emu.fault(kind="hang", method="POST", path=re.escape(path), times=1, seconds=3)
        self.kill_between(t, ".t0.grant",
                          lambda: any(r["path"].endswith("/oauth2/v2.0/token") for r in self.emu.requests()))
        deadline = time.monotonic() + 20
        while not self.adds("VPN-Users") and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual([a["status"] for a in self.adds("VPN-Users")], [204])
        t.cycle()
        t.cycle()
        self.assertEqual(len(self.adds("VPN-Users")), 1, "re-checked, not added again")
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        outcome = [r["payload"]["outcome"] for r in t.journal()
                   if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".t0.grant")]
        self.assertEqual(len(outcome), 1)
        self.assertTrue(outcome[0].get("rechecked"))
        self.assertEqual(len([n for n in t.work_notes(change) if text(n).startswith("Completed")]), 1)
        self.assertEqual(len(t.attachments(change)), 1)
        self.assertEqual(t.change(change)["processingStatus"], "simple_closed")
        self.assertEqual(t.audit("verify").returncode, 0)

    def test_kill_during_the_upload_attaches_once(self):
        t = self.tenant()
        req = t.approved_vpn()
        change = req["id"]
        upload = "/tas/api/operatorChanges/%s/attachments" % change
        self.emu.fault(kind="hang", method="POST", path=re.escape(upload), times=1, seconds=3)
        self.kill_between(t, ".complete", lambda: bool(self.adds("VPN-Users")))
        # The upload lands when its hang ends, as a slow TOPdesk would.
        deadline = time.monotonic() + 20
        while not t.attachments(change) and time.monotonic() < deadline:
            time.sleep(0.1)
        t.cycle()
        t.cycle()
        self.assertEqual(len(t.attachments(change)), 1)
        self.assertEqual(len([r for r in self.emu.requests() if r["method"] == "POST" and r["path"] == upload]), 1,
                         "found in the progress trail, not uploaded again")
        self.assertEqual(len([n for n in t.work_notes(change) if text(n).startswith("Completed")]), 1)
        self.assertEqual(len(self.adds("VPN-Users")), 1)
        self.assertEqual(t.change(change)["processingStatus"], "simple_closed")



if __name__ == "__main__":
    harness.main()
