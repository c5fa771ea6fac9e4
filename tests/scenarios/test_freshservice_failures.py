# SPDX-License-Identifier: Apache-2.0
"""Failures on Freshservice end to end (real binary, emulator): a permanent
Graph failure blocks the request with exactly one incident; a kill -9
between an intent and its outcome, at the grant or at a write to the
ticket, leaves one grant, one note and one attachment; and the daemon rides
out faults on Freshservice's reads and writes (errors, resets, answers lost
after the write landed, bodies that are not JSON) without losing a request
or writing anything twice."""

import collections
import os
import re
import time

import freshservice_tenant as fst
import harness
import tenant
from tenant import oid

MEMBERS_REF = "/v1.0/groups/%s/members/$ref"


class Failures(fst.TenantCase):
    def assert_each_written_once(self, t, tid):
        for kind, texts in (("note", t.work_notes(tid)), ("reply", t.replies(tid))):
            twice = [text for text, n in collections.Counter(texts).items() if n > 1]
            self.assertEqual(twice, [], "a %s written twice" % kind)
        approvers = [a["approver_id"] for a in t.approvals(tid)]
        self.assertEqual(len(approvers), len(set(approvers)), "an approver asked twice")

    def test_permanent_graph_failure_blocks_with_exactly_one_incident(self):
        t = self.tenant()
        req = t.approved_vpn()
        tid = req["id"]
        self.emu.fault(kind="status", status=403, method="POST",
                       path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]), times=0,
                       message="Insufficient privileges to complete the operation.")
        for _ in range(3):
            t.cycle()
        self.assertEqual(len(self.adds("VPN-Users")), 1, "a permanent error is not retried")
        self.assertEqual(t.workflow_state(tid), "blocked")
        incidents = t.incidents()
        self.assertEqual(len(incidents), 1)
        inc = incidents[0]
        desc = inc["description"]
        self.assertIn(req["number"], desc)
        self.assertIn("VPN-Users", desc)
        self.assertIn("Insufficient privileges", desc)
        self.assertRegex(desc, r"\[accessd SR-%s\.r0\.block\]" % tid)
        users = {u["id"]: u for u in self.emu.state("freshservice")["users"]}
        self.assertEqual(users[inc["requester_id"]]["primary_email"], "accessd@contoso.example")
        self.assertEqual(inc["tags"], ["accessd"])
        ticket = t.ticket(tid)
        self.assertEqual(ticket["status"], 8, "the custom status Implementing (Blocked)")
        self.assertNotEqual(ticket["requested_items"][0]["stage"], 4, "never fulfilled without the grant")
        notes = t.work_notes(tid)
        self.assertEqual(len([n for n in notes if n.startswith("Implementing (Blocked)")]), 1, notes)
        self.assertFalse(any(n.startswith("Completed") for n in notes))
        self.assertIn("incident_opened", t.audit("show", req["number"]).stdout)
        # The block card names the incident by its number, with its page.
        number = "INC-%d" % inc["id"]
        card = t.cards("Request blocked")[0]
        self.assertEqual(tenant.card_fact(card, "Incident"), number)
        self.assertIn({"type": "Action.OpenUrl", "title": "Open %s" % number,
                       "url": "%s/helpdesk/tickets/%d" % (self.emu.url, inc["id"])}, card["actions"])

    def test_kill_at_the_grant_grants_once(self):
        t = self.tenant()
        req = t.approved_vpn()
        tid = req["id"]
        path = MEMBERS_REF % tenant.GROUPS["VPN-Users"]
        self.emu.fault(kind="hang", method="POST", path=re.escape(path), times=1, seconds=3)
        # The call follows the Graph token; the hang holds it for 3 s.
        self.kill_between(t, ".t0.grant", lambda: any(r["path"].endswith("/oauth2/v2.0/token")
                                                      for r in self.emu.requests()))
        # The hung call takes effect when its hang ends, as a slow Graph would.
        deadline = time.monotonic() + 20
        while not [a for a in self.adds("VPN-Users") if a["status"] == 204]:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        t.cycle()
        t.cycle()
        self.assertEqual(len(self.adds("VPN-Users")), 1, "re-checked, not added again")
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Completed")]), 1)
        self.assertEqual(len(t.attachment_list(tid)), 1)
        self.assertEqual(t.ticket(tid)["status"], 4)
        self.assert_each_written_once(t, tid)
        self.assertEqual(t.audit("verify").returncode, 0)

    def test_kill_at_a_note_writes_it_once(self):
        """Killed while Freshservice holds the implementing note's POST: the
        note lands after the kill, and the next run finds it by its action
        id instead of writing it again; then one grant, one completion note
        and one attachment."""
        t = self.tenant()
        req = t.approved_vpn()
        tid = req["id"]
        notes = "/api/v2/tickets/%s/notes" % tid
        self.emu.fault(kind="hang", method="POST", path=re.escape(notes) + "$", times=1, seconds=3)
        # The note is looked for before it is written; then the hang holds it.
        self.kill_between(t, ".t0.grant", lambda: any(r["path"] == "/api/v2/tickets/%s/conversations" % tid
                                                      for r in self.emu.requests()))
        # The hung note lands when its hang ends, as a slow Freshservice's would.
        deadline = time.monotonic() + 20
        while not any(r["path"] == notes and r["fault"] == "hang" for r in self.emu.requests()):
            self.assertLess(time.monotonic(), deadline, "the note to land")
            time.sleep(0.1)
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Approved; implementing")]), 1)
        self.assertEqual(self.adds("VPN-Users"), [], "killed before the grant")
        t.cycle()
        t.cycle()
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Approved; implementing")]), 1)
        self.assertEqual(len(self.adds("VPN-Users")), 1)
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Completed")]), 1)
        self.assertEqual(len(t.attachment_list(tid)), 1)
        self.assert_each_written_once(t, tid)

    def test_an_exposed_or_wrong_api_key_is_named(self):
        t = self.tenant()
        key = os.path.join(t.dir, "freshservice.key")
        os.chmod(key, 0o644)
        proc = t.cycle(check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("the secret file %s is readable by group or others; make it private with chmod 600 %s"
                      % (key, key), proc.stderr)
        self.assertEqual(self.freshservice_calls(), 0, "nothing is sent with a key others can read")
        t.agent.write_secret("freshservice.key", "not-the-key")
        proc = t.cycle(check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("freshservice: GET tickets answered HTTP 401: You have to be logged in to perform this action.",
                      proc.stderr)
        self.assertNotIn("not-the-key", proc.stderr)

    def freshservice_calls(self):
        return len([r for r in self.emu.requests() if r["path"].startswith("/api/v2/")])

    def test_daemon_rides_out_faults_on_reads_and_writes(self):
        t = self.tenant(max_attempts=2, escalate="30s", expire="60s")
        api = "/api/v2"
        with t.daemon():
            req = t.request("VPN Access", "bob", business_justification="Remote work")
            tid = req["id"]
            ticket = r"%s/tickets/%s" % (api, tid)
            # Reads: the ticket list fails past the retries, the pending
            # approvals answer garbage, a ticket's requested items reset.
            self.emu.fault(kind="status", status=503, method="GET", path=re.escape(api + "/tickets") + "$", times=3)
            self.emu.fault(kind="invalid_json", method="GET", path=re.escape(api + "/approvals") + "$", times=1)
            self.emu.fault(kind="reset", method="GET", path=re.escape(ticket + "/requested_items"), times=1)
            # Writes: the approval request lands but its answer is lost; a
            # note's connection resets before it lands; the status update
            # fails once.
            self.emu.fault(kind="drop_response", method="POST", path=re.escape(ticket + "/approvals"), times=1)
            self.emu.fault(kind="reset", method="POST", path=re.escape(ticket + "/notes"), times=1)
            self.emu.fault(kind="status", status=503, method="PUT", path=re.escape(ticket) + "$", times=1)
            t.wait_for(lambda: t.approver_names(tid) == ["mia"], "mia to be asked")
            t.decide(tid, "mia")
            t.wait_for(lambda: t.approver_names(tid) == ["mia", "sam"], "sam to be asked")
            self.emu.fault(kind="drop_response", method="POST", path=re.escape(ticket + "/notes"), times=1)
            self.emu.fault(kind="drop_response", method="POST", path=re.escape(ticket + "/reply"), times=1)
            t.decide(tid, "sam")
            t.wait_for(lambda: t.ticket(tid)["status"] == 4, "the request to be completed", timeout=60)
        faults = collections.Counter(r["fault"] for r in self.emu.requests() if r["fault"])
        self.assertEqual(faults, {"status": 4, "invalid_json": 1, "reset": 2, "drop_response": 3})
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len(t.attachment_list(tid)), 1)
        self.assertEqual(len([n for n in t.work_notes(tid) if n.startswith("Completed")]), 1)
        self.assertEqual(len([n for n in t.replies(tid) if n.startswith("Completed")]), 1)
        self.assert_each_written_once(t, tid)
        self.assertEqual(t.workflow_state(tid), "completed")


if __name__ == "__main__":
    harness.main()
