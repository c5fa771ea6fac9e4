# SPDX-License-Identifier: Apache-2.0
"""accessd on Xurrent when things fail (real binary, emulator): a permanent
Graph failure blocks the request with exactly one incident; faults on
Xurrent's reads and writes, in daemon mode, lose and double nothing; a kill
-9 between an action's intent and its outcome, in the grant or in the
write to the ticket, leaves one grant, one note and one attachment; and the
rate limits: the burst limit is kept under before it is hit, a burst limit
hit anyway is waited out, and the hourly limit stops the agent at its
reserve until the hour resets."""

import os
import re
import time

import harness
import tenant
import xurrent_tenant
from tenant import oid

MEMBERS_REF = "/v1.0/groups/%s/members/$ref"


class Failures(xurrent_tenant.XurrentCase):
    def completed_notes(self, t, rid):
        return [n for n in t.work_notes(rid) if n.startswith("Completed")]

    def check_blocked_once(self, t, rid):
        self.assertEqual(len(self.adds("VPN-Users")), 1, "a permanent error is not retried")
        self.assertEqual(t.workflow_state(rid), "blocked")
        incidents = t.incidents()
        self.assertEqual(len(incidents), 1)
        inc = incidents[0]
        self.assertEqual((inc["source"], inc["team"]["id"], inc["impact"]), ("accessd", 7, "low"))
        self.assertTrue(inc["sourceID"].startswith(rid + "."), inc["sourceID"])
        desc = "\n".join(n["text"] for n in t.state()["notes"] if n.get("request_id") == inc["id"])
        self.assertIn(rid, desc)
        self.assertIn("VPN-Users", desc)
        self.assertIn("Insufficient privileges", desc)
        self.assertRegex(desc, r"Graph request id: [0-9a-f-]{36}")
        rec = t.record(rid)
        self.assertNotEqual(rec["status"], "completed", "never completed without the grant")
        self.assertEqual(len([n for n in t.work_notes(rid) if n.startswith("Implementing (Blocked)")]), 1)
        self.assertEqual(self.completed_notes(t, rid), [])
        self.assertIn("incident_opened", t.audit("show", rid).stdout)

    def test_permanent_graph_failure_blocks_with_exactly_one_incident(self):
        t = self.tenant()
        rid = t.approved_vpn()["id"]
        self.emu.fault(kind="status", status=403, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=0, message="Insufficient privileges to complete the operation.")
        for _ in range(3):
            t.cycle()
        self.check_blocked_once(t, rid)

    def test_permanent_graph_failure_in_daemon_mode(self):
        t = self.tenant()
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        self.emu.fault(kind="status", status=403, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=0, message="Insufficient privileges to complete the operation.")
        with t.daemon():
            t.wait_for(lambda: t.approver_names(rid) == ["mia"], "the manager's approval task")
            t.decide(rid, "mia")
            t.wait_for(lambda: "sam" in t.approver_names(rid), "the security approval task")
            t.decide(rid, "sam")
            t.wait_for(lambda: t.incidents() and t.workflow_state(rid) == "blocked", "the incident")
            time.sleep(3)  # a few more cycles: nothing is opened or written again
        self.check_blocked_once(t, rid)

    def test_faults_on_reads_and_writes_in_daemon_mode(self):
        t = self.tenant()
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        req = "/v1/requests/%s" % rid
        # Reads: the poll of requests and of tasks fails for a while.
        self.emu.fault(kind="status", status=503, method="GET", path=r"^/v1/requests$", times=4)
        self.emu.fault(kind="reset", method="GET", path=r"^/v1/tasks$", times=2)
        # Writes: creating the first approval task is refused for now; the answer to the
        # first note and to the completing update is lost though they land;
        # a 502 before the evidence note.
        self.emu.fault(kind="status", status=503, method="POST", path=r"^/v1/workflows/\d+/tasks$", times=1)
        self.emu.fault(kind="drop_response", method="POST", path="^%s/notes$" % req, times=1)
        self.emu.fault(kind="drop_response", method="PATCH", path="^%s$" % req, times=1, skip=1)
        self.emu.fault(kind="status", status=502, method="POST", path="^%s/notes$" % req, times=1, skip=2)
        with t.daemon():
            t.wait_for(lambda: t.approver_names(rid) == ["mia"], "the manager's approval task", timeout=60)
            t.decide(rid, "mia")
            t.wait_for(lambda: "sam" in t.approver_names(rid), "the security approval task", timeout=60)
            t.decide(rid, "sam")
            t.wait_for(lambda: t.workflow_state(rid) == "completed" and self.completed_notes(t, rid)
                       and any(c.startswith("Completed") for c in t.comments(rid)), "the grant", timeout=60)
            time.sleep(2)
        faults = [r["fault"] for r in self.emu.requests() if r["fault"]]
        self.assertEqual(sorted(set(faults)), ["drop_response", "reset", "status"], faults)
        with open(os.path.join(t.dir, "daemon.stderr")) as f:
            log = f.read()
        self.assertEqual(log.count("the answer was lost but the note landed"), 2, log)
        self.assertIn("polling requests failed", log)
        self.assertEqual(len(self.adds("VPN-Users")), 1)
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len(t.tasks(rid)), 2, "one approval task a stage")
        self.assertEqual(t.approver_names(rid), ["mia", "sam"])
        texts = [n["text"] for n in t.notes(rid)]
        self.assertEqual(len(texts), len(set(texts)), "no note written twice")
        self.assertEqual(len(self.completed_notes(t, rid)), 1)
        self.assertEqual(len(t.attachment_list(rid)), 1)
        self.assertEqual(t.record(rid)["status"], "completed")

    def test_a_failed_task_poll_loses_no_request(self):
        # The requests are read, then the tasks cannot be: the cycle ends
        # before the request is handled, and the next one brings it again.
        t = self.tenant()
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        self.emu.fault(kind="status", status=503, method="GET", path=r"^/v1/tasks$", times=3)
        with t.daemon():
            t.wait_for(lambda: t.approver_names(rid) == ["mia"], "the manager's approval task")
        with open(os.path.join(t.dir, "daemon.stderr")) as f:
            self.assertIn("polling approvals failed", f.read())
        self.assertEqual([r["status"] for r in self.emu.requests() if r["path"] == "/v1/tasks"][:4],
                         [503, 503, 503, 200])

    def kill_while_hung(self, t, method, path, action, before):
        """Kill -9 a cycle of T in ACTION's call METHOD PATH (a hang fault
        holds it), between the action's intent and its outcome, once the
        emulator has logged the request BEFORE (a path) the agent makes
        just ahead of it; wait until the hung call has landed, as a slow
        server's would."""
        def logged(p, m=None):
            return [r for r in self.emu.requests() if re.search(p, r["path"]) and (m is None or r["method"] == m)]

        self.kill_between(t, action, lambda: logged(before))
        deadline = time.monotonic() + 30
        while not logged(path, method) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(logged(path, method), "the hung call landed")

    def check_once(self, t, rid):
        self.assertEqual(len(self.adds("VPN-Users")), 1, "re-checked, not added again")
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        self.assertEqual(len(self.completed_notes(t, rid)), 1)
        self.assertEqual(len([c for c in t.comments(rid) if c.startswith("Completed")]), 1)
        self.assertEqual(len(t.attachment_list(rid)), 1)
        self.assertEqual(t.record(rid)["status"], "completed")
        self.assertEqual(t.audit("verify").returncode, 0)

    def test_kill_during_the_grant_grants_once(self):
        t = self.tenant()
        rid = t.approved_vpn()["id"]
        path = re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"])
        self.emu.fault(kind="hang", method="POST", path=path, times=1, seconds=8)
        # The grant follows the Graph token.
        self.kill_while_hung(t, "POST", path, ".t0.grant", r"/oauth2/v2\.0/token$")
        t.cycle()
        t.cycle()
        outcome = [r["payload"]["outcome"] for r in t.journal()
                   if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".t0.grant")]
        self.assertEqual(len(outcome), 1)
        self.assertTrue(outcome[0].get("rechecked"))
        self.check_once(t, rid)

    def test_kill_during_the_completing_write_notes_once(self):
        t = self.tenant()
        rid = t.approved_vpn()["id"]
        # The first update of the request after this is "implementing"; the
        # second, "completed", hangs, and lands after the kill.
        path = "^/v1/requests/%s$" % rid
        self.emu.fault(kind="hang", method="PATCH", path=path, times=1, skip=1, seconds=8)
        # The update follows the evidence's upload, its note and a lookup.
        self.kill_while_hung(t, "PATCH", path, ".complete", r"^/s3/")
        self.assertEqual(len(t.attachment_list(rid)), 1, "the evidence went before the hung update")
        before = len(self.emu.requests())
        t.cycle()
        t.cycle()
        self.check_once(t, rid)
        outcome = [r["payload"]["outcome"] for r in t.journal()
                   if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".complete")]
        self.assertEqual([o["result"] for o in outcome], ["ok"])
        uploads = [r for r in self.emu.requests()[before:] if r["path"].startswith("/s3/")]
        self.assertEqual(uploads, [], "the evidence found again, not uploaded again")


class RateLimits(xurrent_tenant.XurrentCase):
    def busy(self, t):
        """Four requests, each approved at its first stage: a busy cycle."""
        end = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 100 * 86400))
        rids = [t.request(item, p, business_justification="Remote work", end_date=end)["id"]
                for item in ("VPN Access", "Application Access") for p in ("bob", "carol")]
        t.cycle()
        for rid in rids:
            t.decide(rid, t.approver_names(rid)[0])
        return rids

    def api_calls(self):
        return [r for r in self.emu.requests() if r["path"].startswith("/v1/")]

    def test_the_burst_limit_is_kept_under_before_it_is_hit(self):
        t = self.tenant()
        self.busy(t)
        calls = self.api_calls()
        self.assertGreater(len(calls), 40, "a cycle busy enough to meet the limit")
        self.assertEqual([r for r in calls if r["status"] == 429], [])
        times = sorted(r["time"] for r in calls)
        # Never 20 in 2 seconds (the emulator's clock, with a little slack
        # for the time between its log and its limiter).
        worst = max(sum(1 for u in times[i:] if u - s < 1.95) for i, s in enumerate(times))
        self.assertLessEqual(worst, 19)

    def test_the_burst_limit_hit_is_backed_off_and_nothing_lost(self):
        # The account's burst limit is lower than the agent's pacing assumes.
        t = self.tenant(emulator={"rate_limit": {"burst": 5, "burst_window": 2}})
        rids = self.busy(t)
        t.cycle()
        for rid in rids[:2]:
            t.decide(rid, "sam")
        t.cycle()
        calls = self.api_calls()
        limited = [r for r in calls if r["status"] == 429]
        self.assertTrue(limited, "the limit was hit")
        for rid in rids:
            self.assertEqual(t.workflow_state(rid), "active", rid)
            self.assertEqual(len([n for n in t.work_notes(rid) if n.startswith("Completed")]), 1)
            self.assertEqual(len(t.attachment_list(rid)), 1)
            self.assertEqual((t.record(rid)["status"], t.record(rid)["completion_reason"]), ("completed", "solved"))
        self.assertEqual(t.members("VPN-Users"), sorted(oid(p).lower() for p in ("bob", "carol")))
        self.assertEqual(sorted(t.assignments()), sorted((oid(p), tenant.EXPENSES_ROLE) for p in ("bob", "carol")))

    def test_the_hourly_limit_stops_at_the_reserve_until_it_resets(self):
        # 60 an "hour" of 6 seconds, 40 kept in reserve: the agent stops
        # after about 20 and goes on once the window has reset.
        t = self.tenant(emulator={"rate_limit": {"hourly": 60, "window": 6}}, expire="600s",
                        itsm_extra="\n  rate_limit = { hourly_reserve = 40; };")
        rid = t.request("VPN Access", "bob", business_justification="Remote work")["id"]
        with t.daemon():
            t.wait_for(lambda: t.approver_names(rid) == ["mia"], "the manager's approval task", timeout=60)
            t.decide(rid, "mia")
            t.wait_for(lambda: "sam" in t.approver_names(rid), "the security approval task", timeout=60)
            t.decide(rid, "sam")
            t.wait_for(lambda: t.record(rid)["status"] == "completed", "the grant", timeout=90)
        with open(os.path.join(t.dir, "daemon.stderr")) as f:
            log = f.read()
        self.assertIn("the reserve of 40 is reached; nothing is sent until it resets", log)
        self.assertIn("the hourly rate limit has reset; requests resume", log)
        calls = self.api_calls()
        self.assertEqual([r for r in calls if r["status"] == 429], [], "never over the limit")
        self.assertEqual(t.record(rid)["completion_reason"], "solved")
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])


if __name__ == "__main__":
    harness.main()
