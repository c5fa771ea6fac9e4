# SPDX-License-Identifier: Apache-2.0
"""An instance that customised its request item states and approval states
(real binary, emulator): accessd writes the phases in the instance's own
states and stages, reads its closed states and approval states as they are
configured, and the workflow is the one the default states give."""

import harness
import tenant
from tenant import oid, snow_id

MAPPING = """
  states = {
    sent_back = { state = "-6"; stage = "waiting_for_requester"; };
    implementing = { state = "21"; stage = "provisioning"; };
    completed = { state = "30"; stage = "done"; };
    rejected = { state = "40"; };
  };
  closed_states = ( "30", "40", "4", "7", "8" );
  approval_states = {
    requested = "awaiting";
    approved = ( "approved", "approved_by_delegate" );
    cancelled = "withdrawn";
  };
"""


class CustomStates(tenant.TenantCase):
    def customised(self):
        t = self.tenant()
        with open(t.agent.config) as f:
            text = f.read()
        with open(t.agent.config, "w") as f:
            f.write(text.replace('kind = "servicenow";\n', 'kind = "servicenow";\n' + MAPPING, 1))
        return t

    def test_phases_and_decisions_in_the_instance_words(self):
        t = self.customised()
        bob = t.request("VPN Access", "bob", business_justification="Remote work")["sys_id"]
        carol = t.request("VPN Access", "carol", business_justification="Audit")["sys_id"]
        alice = t.request("VPN Access", "alice", business_justification="Support contract")["sys_id"]
        t.cycle()
        # Approval records are asked for in the instance's "requested" state.
        self.assertEqual([a["state"] for a in t.approvals(bob)], ["awaiting"])
        # Sent back (alice is a contractor without end date nor sponsor):
        # its own state and stage, and it does not read as closed.
        self.assertEqual((t.ritm(alice)["state"], t.ritm(alice)["stage"]), ("-6", "waiting_for_requester"))
        self.assertEqual(t.workflow_state(alice), "sent-back")

        # A decision in one of the states configured for "approved" counts.
        t.decide(bob, "mia", state="approved_by_delegate")
        t.decide(carol, "mia", state="rejected", comments="Not this quarter")
        t.cycle()
        self.assertEqual(t.workflow_state(carol), "rejected")
        self.assertEqual(t.ritm(carol)["state"], "40")
        self.assertIn(snow_id("sam"), [a["approver"] for a in t.approvals(bob)])
        t.decide(bob, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(bob), "completed")
        self.assertEqual((t.ritm(bob)["state"], t.ritm(bob)["stage"]), ("30", "done"))
        notes = t.journal_entries(bob, "work_notes")
        self.assertTrue(any(n.startswith("Approved; implementing") for n in notes), notes)

    def test_a_closed_state_of_the_instance_withdraws(self):
        t = self.customised()
        ritm = t.request("VPN Access", "bob", business_justification="Remote work")["sys_id"]
        t.cycle()
        # 9 is no closed state of this instance: still worked on.
        t.close(ritm, state="9")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        # 8 is one: accessd stops and grants nothing.
        t.close(ritm, state="8")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "withdrawn")
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [])


if __name__ == "__main__":
    harness.main()
