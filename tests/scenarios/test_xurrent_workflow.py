# SPDX-License-Identifier: Apache-2.0
"""accessd on Xurrent end to end (real binary, the emulator's Xurrent,
Graph and Teams): the seed's two cases, a rejection whose reason reaches
the requester, the ITSM's own approval tasks read in observe mode (also
when a partial decision does not move its task), and hostile text in
custom fields."""

import os
import time
import urllib.parse

import harness
import tenant
import xurrent_seed as xs
import xurrent_tenant
from tenant import oid, upn

MARK = "[accessd action "
# The query parameters the connector sends.
QUERY_PARAMETERS = {"template_id", "updated_at", "sort", "per_page", "fields", "category", "workflow_id", "id",
                    "person_id", "source", "sourceID", "requested_for_id", "requested_by_id", "primary_email",
                    "subject", "search_after"}


class SeedCases(xurrent_tenant.XurrentCase):
    def test_contractor_vpn_with_manager_away(self):
        t = self.tenant(away=("mia",))
        req = t.request("VPN Access", "alice", business_justification="On-site support contract",
                        end_date="2027-01-31", sponsor=upn("bob"))
        rid = req["id"]
        t.cycle()
        # The manager is away: the stage's backup is asked instead, at once,
        # in an approval task accessd adds to the request's workflow.
        self.assertEqual(t.approver_names(rid), ["victor"])
        task = t.tasks(rid)[0]
        self.assertEqual((task["source"], task["status"], task["required_approvals"]),
                         ("accessd", "assigned", 1))
        self.assertTrue(task["sourceID"].startswith(rid + ".r0.s0."), task["sourceID"])
        self.assertTrue(any("mia@contoso.example is out of office, so victor@contoso.example approves instead" in n
                            for n in t.work_notes(rid)), t.work_notes(rid))
        t.decide(rid, "victor")
        t.cycle()
        self.assertEqual(t.approver_names(rid), ["sam", "victor"])
        self.assertEqual(t.members("VPN-Users-Contractors"), [])
        t.decide(rid, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users-Contractors"), [oid("alice").lower()])
        self.assertEqual(t.members("VPN-Users"), [])
        rec = t.record(rid)
        self.assertEqual((rec["status"], rec["completion_reason"]), ("completed", "solved"))
        files = t.attachment_list(rid)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0][0].endswith("-evidence.json"), files)
        key = [a["key"] for n in t.notes(rid) for a in n["attachments"]][0]
        evidence = self.emu.call("GET", "/s3/xurrent-attachments/" + urllib.parse.quote(key, safe=""))
        self.assertEqual(evidence["steps"][0]["group_id"], tenant.GROUPS["VPN-Users-Contractors"])
        self.assertEqual(t.state()["uploads"][key]["content_type"], "application/json")
        notes = t.work_notes(rid)
        self.assertTrue(any(n.startswith("Approved; implementing") for n in notes), notes)
        self.assertTrue(any(n.startswith("Completed:") for n in notes), notes)
        self.assertTrue(all(n.rstrip().endswith("]") and MARK in n for n in notes), notes)
        self.assertTrue(any(n.startswith("Completed:") for n in t.comments(rid)))
        # Everything accessd wrote is by its own person.
        self.assertEqual({n["person"]["id"] for n in t.notes(rid)}, {xs.SERVICE["id"]})
        cards = t.cards("Access granted")
        self.assertEqual(len(cards), 1)
        # Its button opens the request where Xurrent shows it.
        self.assertEqual(cards[0]["actions"][0]["title"], "Open %s" % rid)
        self.assertTrue(cards[0]["actions"][0]["url"].endswith("/requests/%s" % rid), cards[0]["actions"])
        self.assertEqual(t.workflow_state(rid), "active")
        timers = [r["payload"] for r in t.journal() if r["type"] == "TIMER"]
        self.assertEqual([(x["kind"], x["id"]) for x in timers], [("end_date", rid)])
        self.assertEqual(t.audit("verify").returncode, 0)
        story = t.audit("show", req["number"]).stdout
        self.assertIn("grant_executed", story)
        self.assertIn("approval_seen", story)
        # Quiet afterwards: nothing is written twice.
        before = len(t.notes(rid))
        t.cycle()
        self.assertEqual(len(t.notes(rid)), before)

    def test_mailbox_owner_silent_backup_approves_then_removed_at_end(self):
        t = self.tenant(escalate="3s")
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        req = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date=start, duration="8s")
        rid = req["id"]
        t.cycle()
        self.assertEqual(t.approver_names(rid), ["olivia"])
        t.cycle()
        self.assertEqual(len(t.approvals(rid)), 1, "no escalation before escalate_after")
        time.sleep(3.1)
        t.cycle()
        self.assertEqual(t.approver_names(rid), ["olivia", "oscar"])
        self.assertEqual(len(t.cards("Approval escalated")), 1)
        t.decide(rid, "oscar")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(rid), "active")
        end = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"][-1] / 1000.0
        time.sleep(max(0.0, end - time.time() + 0.1))
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(t.workflow_state(rid), "removed")
        self.assertTrue(any("removed" in c for c in t.comments(rid)))
        self.assertIn("removal", t.audit("show", req["number"]).stdout)


class Decisions(xurrent_tenant.XurrentCase):
    def test_rejection_with_its_reason_reaches_the_requester(self):
        t = self.tenant()
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        t.cycle()
        self.assertEqual(t.approver_names(rid), ["mia"])
        t.decide(rid, "mia", "rejected", note="Bob works on site; no VPN needed")
        t.cycle()
        rec = t.record(rid)
        self.assertEqual((rec["status"], rec["completion_reason"]), ("completed", "rejected"))
        self.assertEqual(t.workflow_state(rid), "rejected")
        said = [c for c in t.comments(rid) if c.startswith("Rejected by ")]
        self.assertEqual(len(said), 1, t.comments(rid))
        self.assertIn("mia@contoso.example", said[0])
        self.assertIn("Bob works on site; no VPN needed", said[0])
        self.assertEqual(t.members("VPN-Users"), [])
        self.assertEqual(t.approver_names(rid), ["mia"], "nobody else is asked after a rejection")

    def test_observe_mode_reads_the_workflows_own_approval_tasks(self):
        t = self.tenant(approvals="observe")
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        t.cycle()
        self.assertEqual([(a["approver"]["id"], a["status"]) for a in t.approvals(rid)],
                         [(xs.person_id("mia"), "assigned"), (xs.person_id("sam"), "registered")])
        t.decide(rid, "mia")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [])
        t.decide(rid, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertFalse([task for task in t.tasks(rid) if task["source"] == "accessd"],
                         "observe mode adds no approval task")
        self.assertEqual(t.record(rid)["status"], "completed")

    def test_a_partial_decision_that_leaves_its_task_as_it_was_is_seen(self):
        # Two approvals required of the manager's task: mia's is the first,
        # and the account does not move the task for it (U6's other reading).
        t = self.tenant(approvals="observe", emulator={"decision_touches_task": False})
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        task = t.tasks(rid)[0]
        token = {"tokens": {"victor-token": xs.person_id("victor")}}
        self.emu.call("POST", "/_emu/config/xurrent", token)
        self.emu.seed({"xurrent": {"tasks": [{"id": task["id"], "required_approvals": 2}],
                                   "approvals": [{"task_id": task["id"], "approver_id": xs.person_id("victor"),
                                                  "status": "assigned"}]}})
        t.cycle()
        self.emu.clear_requests()
        time.sleep(1.1)
        before = [x for x in t.state()["tasks"] if x["id"] == task["id"]][0]["updated_at"]
        t.decide(rid, "mia")
        self.assertEqual([x for x in t.state()["tasks"] if x["id"] == task["id"]][0]["updated_at"], before)
        t.cycle()
        self.assertTrue([r for r in self.emu.requests() if r["path"] == "/v1/tasks/%d/approvals" % task["id"]],
                        "the watched task's approvals were read")
        # mia's approval decides accessd's manager stage (quorum any): security is next.
        self.assertEqual(t.workflow_state(rid), "awaiting-approval")
        stage = [r["payload"].get("stage") for r in t.journal() if r["type"] == "REQUEST"
                 and r["payload"]["id"] == rid and "stage" in r["payload"]][-1]
        self.assertEqual(stage, 1)


class Explain(xurrent_tenant.XurrentCase):
    def test_explain_reads_the_request_by_its_number_and_writes_nothing(self):
        t = self.tenant(away=("mia",), escalate="1h", expire="2h")
        rid = t.request("VPN Access", "alice", business_justification="On-site support",
                        end_date="2027-01-31", sponsor=upn("bob"))["id"]
        self.emu.clear_requests()
        proc = harness.run_binary(harness.ACCESSCTL, "explain", "-c", t.agent.config, rid)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('%s: "VPN Access" for %s' % (rid, upn("alice")), proc.stdout)
        self.assertIn("ask %s, standing in for %s, who is away" % (upn("victor"), upn("mia")), proc.stdout)
        calls = [r for r in self.emu.requests() if r["path"].startswith("/v1/")]
        self.assertTrue(calls)
        self.assertEqual({r["method"] for r in calls}, {"GET"})
        self.assertIn({"id": rid, "template_id": "201,202,203,204", "per_page": "1"},
                      [{k: v for k, v in r["query"].items() if k != "fields"} for r in calls
                       if r["path"] == "/v1/requests"])
        self.assertEqual(os.listdir(t.agent.state_dir), [])
        proc = harness.run_binary(harness.ACCESSCTL, "explain", "-c", t.agent.config, "70099")
        self.assertNotEqual(proc.returncode, 0)


class HostileText(xurrent_tenant.XurrentCase):
    def test_custom_fields_are_refused_or_escaped(self):
        t = self.tenant()
        # A control character (a NUL, read as U+001A) in the justification:
        # refused, and the request goes back naming the field.
        bad = t.request("VPN Access", "bob", business_justification="Remote\u0000 work")["id"]
        # Markup in a value that a note quotes: it reaches the note without
        # acting (a mention, an image, a link, a record reference).
        markup = '<@101|Mia> ![x](https://evil.example/x.png) <request#1> "q" >=2020&sort=-id,'
        quoted = t.request("Add to Group", "bob", group=markup, business_justification="Team work")["id"]
        # A huge value with quotes and operators: read, granted, never sent
        # back as a filter or a parameter.
        long = t.request("Application Access", "bob", business_justification=markup + " long" * 20000)["id"]
        t.cycle()
        self.assertTrue(any('"custom field business_justification" holds a control character' in c
                            for c in t.comments(bad)), t.comments(bad))
        self.assertEqual(t.record(bad)["status"], "waiting_for_customer")
        self.assertEqual(t.approver_names(bad), [])
        said = [c for c in t.comments(quoted) if "cannot be requested through" in c]
        self.assertEqual(len(said), 1, t.comments(quoted))
        for active in ("<@", "![", "](", "<request#"):
            self.assertNotIn(active, said[0])
        self.assertIn("< @101|Mia> ! [x] (https://evil.example/x.png) < request#1>", said[0])
        t.decide(long, "olivia")
        t.cycle()
        self.assertEqual(t.assignments(), [(oid("bob"), tenant.EXPENSES_ROLE)])
        self.assertTrue(all(len(n["text"].encode()) <= 65536 for n in t.state()["notes"]))
        # Every query the agent sent parsed as the filters it meant, and
        # none took a parameter from the ticket's text.
        for r in self.emu.requests():
            if r["path"].startswith("/v1/"):
                self.assertNotIn(r["status"], (400, 422), r)
                self.assertLessEqual(set(r["query"]), QUERY_PARAMETERS, r)
        self.assertEqual(t.audit("verify").returncode, 0)


if __name__ == "__main__":
    harness.main()
