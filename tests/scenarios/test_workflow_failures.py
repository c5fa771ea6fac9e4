# SPDX-License-Identifier: Apache-2.0
"""Failures end to end (real binary, emulator): transient Graph errors are
retried, a permanent one blocks the request with exactly one incident, a
half-done multi-step grant is rolled back or compensated as the policy
says, and a kill -9 between intent and outcome neither loses nor doubles
the grant."""

import re
import time

import harness
import tenant
from tenant import oid

MEMBERS_REF = "/v1.0/groups/%s/members/$ref"


class Failures(tenant.TenantCase):
    def test_transient_graph_failures_then_success(self):
        t = self.tenant(max_attempts=3)
        req = t.approved_vpn()
        self.emu.fault(kind="status", status=503, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=2)
        t.cycle()
        self.assertEqual([a["status"] for a in self.adds("VPN-Users")], [503, 503, 204])
        self.assertEqual(t.outcomes(".t0.grant"), ["transient", "transient", "ok"])
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(t.ritm(req["sys_id"])["state"], "3")
        self.assertEqual(t.incidents(), [])

    def test_permanent_failure_blocks_with_exactly_one_incident(self):
        t = self.tenant()
        req = t.approved_vpn()
        ritm = req["sys_id"]
        self.emu.fault(kind="status", status=403, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=0, message="Insufficient privileges to complete the operation.")
        for _ in range(3):
            t.cycle()
        self.assertEqual(len(self.adds("VPN-Users")), 1, "a permanent error is not retried")
        self.assertEqual(t.workflow_state(ritm), "blocked")
        incidents = t.incidents()
        self.assertEqual(len(incidents), 1)
        desc = incidents[0]["description"]
        self.assertIn(req["number"], desc)
        self.assertIn("VPN-Users", desc)
        self.assertIn("Insufficient privileges", desc)
        self.assertRegex(desc, r"Graph request id: [0-9a-f-]{36}")
        self.assertNotEqual(t.ritm(ritm)["state"], "3", "never completed without the grant")
        notes = t.journal_entries(ritm, "work_notes")
        self.assertEqual(len([n for n in notes if n.startswith("Implementing (Blocked)")]), 1)
        self.assertFalse(any(n.startswith("Completed") for n in notes))
        self.assertEqual(len(t.cards("Request blocked")), 1)
        self.assertIn("incident_opened", t.audit("show", req["number"]).stdout)

    def test_partial_failure_is_rolled_back_and_verified(self):
        t = self.tenant(partial="rollback")
        req = t.apollo()
        ritm = req["sys_id"]
        # Project-Apollo and Apollo-Wiki are granted; Legacy-Mail-List is
        # mail-enabled, which Graph refuses for good.
        self.assertEqual(t.workflow_state(ritm), "rolled-back")
        self.assertEqual(t.members("Project-Apollo"), [])
        self.assertEqual(t.members("Apollo-Wiki"), [])
        self.assertEqual(t.members("Legacy-Mail-List"), [])
        removed = [r for r in self.emu.requests() if r["method"] == "DELETE" and r["status"] == 204]
        self.assertEqual(len(removed), 2)
        undone = [r["payload"]["outcome"] for r in t.journal()
                  if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".undo")]
        self.assertEqual([u["result"] for u in undone], ["ok", "ok"])
        self.assertTrue(all(u["verified"] for u in undone))
        self.assertEqual(len(t.incidents()), 1)
        self.assertIn("rolled back", t.incidents()[0]["description"])
        self.assertNotEqual(t.ritm(ritm)["state"], "3")
        self.assertIn("rollback", t.audit("show", req["number"]).stdout)

    def test_partial_failure_with_compensate_opens_a_task(self):
        t = self.tenant(partial="compensate")
        req = t.apollo()
        ritm = req["sys_id"]
        self.assertEqual(t.workflow_state(ritm), "compensating")
        self.assertEqual(t.members("Project-Apollo"), [oid("bob").lower()])
        self.assertEqual(t.members("Apollo-Wiki"), [oid("bob").lower()])
        incidents = sorted(t.incidents(), key=lambda i: i["correlation_id"])
        self.assertEqual([i["correlation_id"].rsplit(".", 1)[1] for i in incidents], ["block", "compensate"])
        task = incidents[1]["description"]
        self.assertIn("Project-Apollo", task)
        self.assertIn("Apollo-Wiki", task)
        t.cycle()
        self.assertEqual(len(t.incidents()), 2)
        self.assertNotEqual(t.ritm(ritm)["state"], "3")

    def test_kill_between_intent_and_outcome_grants_once(self):
        t = self.tenant()
        req = t.approved_vpn()
        ritm = req["sys_id"]
        path = MEMBERS_REF % tenant.GROUPS["VPN-Users"]
        self.emu.fault(kind="hang", method="POST", path=re.escape(path), times=1, seconds=3)
        # The call follows the Graph token; the hang holds it for 3 s.
        self.kill_between(t, ".t0.grant",
                          lambda: any(r["path"].endswith("/oauth2/v2.0/token") for r in self.emu.requests()))
        # The hung call takes effect when its hang ends, as a slow Graph would.
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
        self.assertEqual(len([n for n in t.journal_entries(ritm, "work_notes") if n.startswith("Completed")]), 1)
        self.assertEqual(len(t.attachments(ritm)), 1)
        self.assertEqual(t.ritm(ritm)["state"], "3")
        self.assertEqual(t.audit("verify").returncode, 0)


if __name__ == "__main__":
    harness.main()
