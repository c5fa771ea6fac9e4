# SPDX-License-Identifier: Apache-2.0
"""Reading TOPdesk, real binary against the emulator: changes and request
calls that change while they are paged are all read; an idle cycle asks each
polled collection once (and, on a change API without a query, what that
costs is logged once and holds); faults on reads and on writes in daemon
mode lose nothing and write nothing twice; hostile text in TOPdesk's fields
(FIQL's ; , == and quotes in names, control characters, markup) is quoted,
refused or escaped."""

import re
import signal
import subprocess
import time

import harness
import tenant
import topdesk_tenant as td
from tenant import oid, upn

CHANGES = "/tas/api/operatorChanges"
CALLS = "/tas/api/incidents"
ACTIVITIES = "/tas/api/operatorChangeActivities"


def found(proc_or_log, number):
    log = proc_or_log if isinstance(proc_or_log, str) else proc_or_log.stderr
    return ": found %s (id" % number in log


class Paging(td.TenantCase):
    def test_changes_edited_and_made_while_paged_are_all_read(self):
        t = self.tenant(page_size=2, change_query="yes")
        reqs = [t.request("VPN Access", name, business_justification="Remote work %d" % i)
                for i, name in enumerate(("alice", "bob", "carol", "eve", "mia", "sam", "victor"))]
        ordered = sorted(reqs, key=lambda r: r["id"])
        # While the agent reads the second page, the first change read is
        # edited (its modification date moves) and a new one is made whose
        # id sorts first: the pages after it shift by one.
        late = dict(td.change("VPN Access", "oscar", business_justification="Made while paged"),
                    id="00000000-0000-4000-8000-000000000001")
        self.emu.fault(kind="seed", method="GET", path="^%s$" % CHANGES, query="pageStart=2", times=1,
                       seed={"topdesk": {"changes": [{"id": ordered[0]["id"], "briefDescription": "edited"}, late]}})
        first = t.cycle()
        pages = [r for r in self.emu.requests() if r["path"] == CHANGES]
        self.assertGreaterEqual(len(pages), 4, "paged by 2")
        self.assertTrue(all(r["query"]["sort"] == "id:asc" for r in pages))
        for r in reqs:
            self.assertTrue(found(first, r["number"]), "%s skipped:\n%s" % (r["number"], first.stderr))
        newest = t.change(late["id"])
        second = t.cycle()
        self.assertTrue(found(first, newest["number"]) or found(second, newest["number"]))
        for r in reqs:
            self.assertEqual(first.stderr.count(": found %s (id" % r["number"]), 1, "delivered once")

    def test_calls_changed_while_paged_are_all_read(self):
        t = self.tenant(page_size=2, calls=("VPN Access",))
        reqs = []
        for i, name in enumerate(("alice", "bob", "carol", "eve", "mia")):
            reqs.append(t.request("VPN Access", name, business_justification="Remote work"))
            self.emu.seed({"topdesk": {"incidents": [{"id": reqs[-1]["id"],
                                                      "modificationDate": "2026-11-2%dT10:00:00Z" % i}]}})
        # The first call read is edited while the second page is asked for:
        # it moves to the end of the order, and an offset would now skip the
        # call that took its place.
        self.emu.fault(kind="seed", method="GET", path="^%s$" % CALLS, query="modificationDate", times=1,
                       seed={"topdesk": {"incidents": [{"id": reqs[0]["id"], "briefDescription": "edited"}]}})
        proc = t.cycle()
        pages = [r for r in self.emu.requests() if r["path"] == CALLS and "category.name" in r["query"].get("query", "")]
        self.assertGreaterEqual(len(pages), 3)
        self.assertTrue(all(p["query"]["sort"] == "modificationDate:asc" and p["query"]["pageStart"] == "0"
                            for p in pages[1:]), [p["query"] for p in pages])
        for r in reqs:
            self.assertTrue(found(proc, r["number"]), "%s skipped:\n%s" % (r["number"], proc.stderr))


class IdleCycle(td.TenantCase):
    @staticmethod
    def polls_decisions(r):
        return r["path"] == ACTIVITIES and r["method"] == "GET" and "finalDateAfter" in r["query"]

    def run_daemon(self, t, cycles):
        """Run the daemon until it has polled the decisions CYCLES times;
        the requests of each cycle, from its first poll to its last."""
        self.emu.clear_requests()
        proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                if len([r for r in self.emu.requests() if self.polls_decisions(r)]) >= cycles:
                    break
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=30)
        harness.check_sanitizers(stderr)
        self.assertEqual(proc.returncode, 0, stderr)
        cycles, current = [], []
        for r in self.emu.requests():
            current.append(r)
            if self.polls_decisions(r):
                cycles.append(current)
                current = []
        return cycles, stderr

    def test_an_idle_cycle_asks_each_collection_once(self):
        t = self.tenant(calls=("Shared Mailbox Access",), escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        box = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date="2026-11-29 10:00:00", duration="7d")
        cycles, stderr = self.run_daemon(t, 6)
        self.assertGreaterEqual(len(cycles), 6)
        # A cycle's actions follow its polls (the approvals asked, the
        # call's linked change made); from the third on, nothing is new.
        for cycle in cycles[2:]:
            self.assertEqual([(r["method"], r["path"]) for r in cycle],
                             [("GET", CHANGES), ("GET", CALLS), ("GET", ACTIVITIES)])
            self.assertTrue(all(r["status"] in (200, 204, 206) for r in cycle))
            # Incremental: only what changed since the watermark (less the overlap).
            self.assertIn("modificationDate=ge=", cycle[0]["query"]["query"])
            self.assertIn("modificationDate=ge=", cycle[1]["query"]["query"])
            self.assertIn("finalDateAfter", cycle[2]["query"])
        self.assertEqual(stderr.count("found %s" % vpn["number"]), 1, stderr)
        self.assertEqual(stderr.count("found %s" % box["number"]), 1, stderr)
        self.assertNotIn(td.APP_PASSWORD, stderr)

    def test_a_change_api_without_query_costs_what_the_log_says(self):
        self.emu.call("POST", "/_emu/config/topdesk", {"change_query": False})
        t = self.tenant(escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        other = t.request("Add to Group", "carol", group="Project-Apollo", business_justification="Apollo")
        cycles, stderr = self.run_daemon(t, 6)
        self.assertIn("the change list takes no query (change API 1.4.0)", stderr)
        self.assertEqual(stderr.count("the change API takes no query: each cycle lists every open change"), 1, stderr)
        self.assertEqual(stderr.count("found %s" % vpn["number"]), 1, stderr)
        self.assertEqual(stderr.count("found %s" % other["number"]), 1, stderr)
        for cycle in cycles[2:]:
            # Every open change (one page of 100), the changes closed since
            # the watermark, the decisions: nothing read in full.
            self.assertEqual([(r["path"], sorted(r["query"])) for r in cycle],
                             [(CHANGES, ["open", "pageSize", "pageStart"]),
                              (CHANGES, ["closedDate.start", "pageSize", "pageStart"]),
                              (ACTIVITIES, ["fields", "finalDateAfter", "pageSize", "pageStart", "sort"])])

    def test_a_change_rejected_by_hand_is_seen_without_a_query(self):
        self.emu.call("POST", "/_emu/config/topdesk", {"change_query": False})
        t = self.tenant()
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        with t.daemon():
            t.wait_for(lambda: t.workflow_state(vpn["id"]) == "awaiting-approval", "the approval to be asked")
            # Rejected in TOPdesk: gone from the open changes, no closed date.
            t.close(vpn["id"])
            t.wait_for(lambda: t.workflow_state(vpn["id"]) == "withdrawn", "the request to be withdrawn")
        self.assertEqual(t.members("VPN-Users"), [])


class Faults(td.TenantCase):
    def test_faults_on_reads_and_writes_lose_nothing_and_double_nothing(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        change = req["id"]
        faults = [
            dict(kind="ratelimit", method="GET", path="^%s$" % CHANGES, retry_after=1, times=1),
            dict(kind="status", status=503, method="GET", path="^%s$" % ACTIVITIES, times=2),
            dict(kind="invalid_json", method="GET", path="^%s$" % ACTIVITIES, times=1),
            dict(kind="status", status=429, method="GET", path="^/tas/api/persons", times=1),
            dict(kind="drop_response", method="POST", path="^%s$" % ACTIVITIES, times=1),
            dict(kind="drop_response", method="POST", path="/progresstrail$", times=1),
            dict(kind="drop_response", method="PATCH", path="^%s/%s$" % (CHANGES, change), times=1),
            dict(kind="drop_response", method="POST", path="/processingStatusTransitions$", times=1),
            dict(kind="drop_response", method="POST", path="/attachments$", times=1),
        ]
        for f in faults:
            self.emu.fault(**f)
        with t.daemon():
            t.wait_for(lambda: t.approver_names(change) == ["mia"], "mia to be asked")
            t.decide(change, "mia")
            t.wait_for(lambda: t.approver_names(change) == ["mia", "sam"], "sam to be asked")
            t.decide(change, "sam")
            t.wait_for(lambda: t.workflow_state(change) == "completed", "the request to complete")
        faulted = {r["fault"] for r in self.emu.requests() if r["fault"]}
        self.assertEqual(faulted, {"ratelimit", "status", "invalid_json", "drop_response"})
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len(t.approvals(change)), 2, "each approver asked once")
        marks = [re.search(r"\[accessd action ([^\]]+)\]", e["memoText"]).group(1) for e in t.trail(change)
                 if "[accessd action" in (e["memoText"] or "")]
        self.assertEqual(len(marks), len(set(marks)), marks)
        self.assertEqual(len(t.attachments(change)), 1)
        rec = t.change(change)
        self.assertEqual(rec["processingStatus"], "simple_closed")
        self.assertEqual([x["action"] for x in rec["transitions"]], ["approve", "start", "implement", "close"])


class HostileText(td.TenantCase):
    HOSTILE = 'Access; requests, "x"==(y) \\ end'

    def test_fiql_characters_in_names_stay_inside_their_values(self):
        t = self.tenant(calls=("VPN Access",), call_category=self.HOSTILE)
        # The governed category holds ; , == quotes brackets and a
        # backslash; another category would match if they broke out.
        categories = [{"name": self.HOSTILE, "subcategories": list(tenant.ITEMS)},
                      {"name": "y", "subcategories": list(tenant.ITEMS)},
                      {"name": "Identity and access", "subcategories": ["accessd"]}]
        self.emu.call("POST", "/_emu/config/topdesk", {"categories": categories})
        mine = t.request("VPN Access", "bob", business_justification="Remote work")
        self.emu.seed({"topdesk": {"incidents": [{"caller": {"id": td.person_id("carol")}, "briefDescription": "other",
                                                  "category": {"name": "y"}, "subcategory": {"name": "VPN Access"}}]}})
        other = t.state()["incidents"][-1]
        proc = t.cycle()
        self.assertTrue(found(proc, mine["number"]), proc.stderr)
        self.assertFalse(found(proc, other["number"]), proc.stderr)
        query = [r for r in self.emu.requests() if r["path"] == CALLS][0]["query"]["query"]
        self.assertIn('category.name=="Access; requests, \\"x\\"==(y) \\\\ end"', query)
        self.assertEqual(t.approver_names(mine["id"]), ["mia"])

    def test_control_characters_are_refused_and_named(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote\u0000 work")
        bad = t.request("VPN Access", "carol", business_justification="fine")
        self.emu.seed({"topdesk": {"changes": [{"id": bad["id"], "number": "C 2611\u0007 999"}]}})
        first = t.cycle()
        self.assertEqual(t.workflow_state(req["id"]), "sent-back")
        notes = [n for n in t.work_notes(req["id"]) if "optionalFields1.memo1" in n]
        self.assertEqual(len(notes), 1, t.work_notes(req["id"]))
        self.assertEqual(t.change(req["id"])["status"]["name"], "Sent back to requester")
        self.assertIn("is skipped: its number is missing, longer than 40 or holds a control character",
                      first.stderr)
        self.assertEqual(t.workflow_state(bad["id"]), None)
        # The requester corrects it: validated again.
        t.edit(req["id"], business_justification="Remote work")
        t.cycle()
        self.assertEqual(t.workflow_state(req["id"]), "awaiting-approval")
        self.assertEqual(t.approver_names(req["id"]), ["mia"])

    def test_answers_read_from_the_request_text(self):
        t = self.tenant(labels=("VPN Access",))
        req = t.request("VPN Access", "alice", opened_by="mia", business_justification="Support <b>&amp;</b> more",
                        end_date="2027-01-31", sponsor=upn("bob"))
        t.cycle()
        # The form's answers, its markup left as text: alice (its "Access
        # for") is the person, asked for by her manager mia, who therefore
        # does not approve; her end date and sponsor as she wrote them.
        self.assertEqual(t.workflow_state(req["id"]), "awaiting-approval")
        plan = [r["payload"]["data"]["plan"] for r in t.journal()
                if r["type"] == "REQUEST" and "plan" in r["payload"].get("data", {})][0]
        self.assertEqual((plan["subject"], plan["requester"]), (upn("alice"), upn("mia")))
        self.assertEqual(plan["end"], 1801440000000)  # to the end of 2027-01-31
        self.assertEqual(t.approver_names(req["id"]), ["victor"])
        self.assertEqual([r["path"] for r in self.emu.requests() if r["path"].endswith("/requests")],
                         ["/tas/api/operatorChanges/%s/requests" % req["id"]])


if __name__ == "__main__":
    harness.main()
