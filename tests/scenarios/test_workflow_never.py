# SPDX-License-Identifier: Apache-2.0
"""DESIGN.md's "What must never happen", each asserted directly against
the real binary and the emulator: no grant outside the allow list or for
another person, nothing written twice, no secret anywhere it is kept, no
request silently dropped; and observe mode, where the ITSM's own approval
records are checked instead of created."""

import json
import os

import harness
import tenant
from tenant import oid, snow_id, upn


class Never(tenant.TenantCase):
    def graph_writes(self):
        return [r for r in self.emu.requests() if r["path"].startswith("/v1.0/") and r["method"] != "GET"
                and not r["path"].endswith("/checkMemberGroups")]

    def test_target_not_on_the_allow_list_is_never_granted(self):
        t = self.tenant()
        req = t.request("Add to Group", "bob", group="VPN-Users-Contractors", business_justification="x")
        t.cycle()
        self.assertEqual(t.workflow_state(req["sys_id"]), "sent-back")
        self.assertIn("cannot be requested through", t.journal_entries(req["sys_id"], "comments")[0])
        self.assertEqual(t.approvals(req["sys_id"]), [])
        self.assertEqual(self.graph_writes(), [])

    def test_only_the_person_the_request_is_for_is_granted(self):
        t = self.tenant()
        # eve may not ask for bob: neither bob nor his manager.
        wrong = t.request("VPN Access", "bob", opened_by="eve", business_justification="x")
        right = t.request("VPN Access", "carol", opened_by="mia", business_justification="New starter")
        t.cycle()
        self.assertEqual(t.workflow_state(wrong["sys_id"]), "sent-back")
        t.decide(right["sys_id"], "victor")
        t.cycle()
        t.decide(right["sys_id"], "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("carol").lower()])
        adds = [r for r in self.graph_writes() if r["method"] == "POST"]
        self.assertEqual([a["body"]["@odata.id"].rsplit("/", 1)[1] for a in adds], [oid("carol")])

    def test_nothing_written_twice_nothing_dropped_no_secret_kept(self):
        t = self.tenant()
        self.emu.seed({"graph": {"groups": [{"id": tenant.GROUPS["VPN-Users"], "displayName": "VPN-Users",
                                             "securityEnabled": True, "mailEnabled": False,
                                             "members": [oid("carol")]}]}})
        granted = t.request("VPN Access", "bob", business_justification="Remote work")
        t.request("VPN Access", "alice", business_justification="no end date, no sponsor")
        t.request("VPN Access", "carol", business_justification="already has it")
        waiting = t.request("Add to Group", "bob", group="Server-Admins", business_justification="On call")
        t.cycle()
        t.request("VPN Access", "bob", business_justification="asked again")
        t.decide(granted["sys_id"], "mia")
        t.cycle()
        t.decide(granted["sys_id"], "sam")
        for _ in range(3):
            t.cycle()
        self.assertEqual(t.members("VPN-Users"), sorted([oid("bob").lower(), oid("carol").lower()]))

        # Nothing twice: one approval record per approver and request, each
        # work note and comment once, one evidence file.
        records = self.emu.state("servicenow")["tables"]
        pairs = [(a["sysapproval"], a["approver"]) for a in records["sysapproval_approver"]]
        self.assertEqual(len(pairs), len(set(pairs)))
        entries = [(j["element_id"], j["element"], j["value"]) for j in records["sys_journal_field"]]
        self.assertEqual(len(entries), len(set(entries)))
        self.assertEqual(len(t.attachments(granted["sys_id"])), 1)
        adds = [r for r in self.graph_writes() if r["method"] == "POST"]
        self.assertEqual(len(adds), 1)

        # Nothing dropped: each request is finished, sent back with a reason,
        # or waits for an approver with a deadline.
        states = {}
        for rec in t.journal():
            p = rec["payload"]
            if rec["type"] == "REQUEST" and "state" in p:
                states[p["id"]] = (p["state"], p.get("data", {}).get("next"))
        self.assertEqual(len(states), 5)
        for ritm, (state, nxt) in states.items():
            self.assertIn(state, ("completed", "active", "duplicate", "sent-back", "awaiting-approval"), ritm)
            if state == "sent-back":
                self.assertTrue(t.journal_entries(ritm, "comments"))
            if state == "awaiting-approval":
                self.assertGreater(nxt, 0)
        self.assertEqual(states[waiting["sys_id"]][0], "awaiting-approval")

        # No secret in the journal, the audit trail, the tickets or Teams.
        kept = [json.dumps(t.journal()), json.dumps(records), json.dumps(t.posts())]
        for name in ("audit.log", "journal"):
            with open(os.path.join(t.agent.state_dir, name), "rb") as f:
                kept.append(f.read().decode("utf-8", "replace"))
        secrets = [harness.SNOW_PASSWORD, tenant.CLIENT_SECRET, tenant.FLOW_SIG]
        secrets += self.emu.state("servicenow")["tokens"]
        for text in kept:
            for secret in secrets:
                self.assertNotIn(secret, text)

    def test_a_new_request_after_a_send_back_is_not_a_duplicate(self):
        t = self.tenant()
        old = t.request("VPN Access", "alice", business_justification="Support contract")
        t.cycle()
        self.assertEqual(t.workflow_state(old["sys_id"]), "sent-back")
        new = t.request("VPN Access", "alice", business_justification="Support contract", end_date="2027-01-31",
                        sponsor=upn("bob"))
        t.cycle()
        self.assertEqual(t.workflow_state(new["sys_id"]), "awaiting-approval")

    def test_observe_mode_checks_the_itsms_own_approvals(self):
        t = self.tenant(approvals="observe")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        # The ITSM's own flow asks the manager.
        self.emu.seed({"servicenow": {"sysapproval_approver": [
            {"sysapproval": ritm, "document_id": ritm, "source_table": "sc_req_item", "approver": snow_id("mia"),
             "state": "requested"}]}})
        t.cycle()
        self.assertEqual(len(t.approvals(ritm)), 1, "observe mode creates no approval records")
        t.decide(ritm, "eve")
        t.decide(ritm, "mia")
        t.cycle()
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        posted = [r for r in self.emu.requests()
                  if r["method"] == "POST" and r["path"] == "/api/now/table/sysapproval_approver"]
        self.assertEqual(posted, [])
        self.assertTrue(any("decision by %s was ignored" % upn("eve") in n
                            for n in t.journal_entries(ritm, "work_notes")))


if __name__ == "__main__":
    harness.main()
