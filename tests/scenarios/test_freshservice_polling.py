# SPDX-License-Identifier: Apache-2.0
"""How accessd reads Freshservice, real binary against the emulator: an
idle cycle makes one request per polled collection (the changed service
requests, the approvals still waiting: a decision need not change its
ticket, so the second cannot be left out); the first start reads back as
far as first_poll_lookback and says what it does about older open requests;
with the account's rate limit nearly spent by another integration accessd
slows down instead of running into 429 again and again; and hostile text in
a request's custom fields is refused or escaped, never believed."""

import collections
import time

import freshservice_tenant as fst
import harness
import tenant

DAY = 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Polling(fst.TenantCase):
    def freshservice_requests(self):
        return [r for r in self.emu.requests() if r["path"].startswith("/api/v2/")]

    def test_idle_cycle_makes_one_request_per_polled_collection(self):
        t = self.tenant(escalate="60s", expire="120s")
        with t.daemon():
            req = t.request("VPN Access", "bob", business_justification="Remote work")
            t.wait_for(lambda: t.approver_names(req["id"]) == ["mia"], "mia to be asked")
            # accessd's own writes change the ticket: its next polls read it
            # once more, then nothing changes.
            time.sleep(3)
            self.emu.clear_requests()
            time.sleep(4.5)
            calls = [(r["method"], r["path"]) for r in self.freshservice_requests()]
        counts = collections.Counter(calls)
        self.assertEqual(set(counts), {("GET", "/api/v2/tickets"), ("GET", "/api/v2/approvals")}, calls)
        self.assertGreaterEqual(counts[("GET", "/api/v2/tickets")], 3)
        self.assertLessEqual(abs(counts[("GET", "/api/v2/tickets")] - counts[("GET", "/api/v2/approvals")]), 1)
        for r in self.freshservice_requests():
            if r["path"] == "/api/v2/tickets":
                self.assertEqual(r["query"]["type"], "Service Request")
                self.assertIn("updated_since", r["query"])
                self.assertEqual(r["query"]["per_page"], "100")
            else:
                self.assertEqual((r["query"]["parent"], r["query"]["status"]), ("ticket", "requested"))

    def test_first_start_reads_back_as_far_as_the_lookback_and_says_so(self):
        old = fst.service_request("VPN Access", "carol", business_justification="Travel")
        old.update(created_at=iso(time.time() - 40 * DAY), updated_at=iso(time.time() - 40 * DAY))
        t = self.tenant()
        self.emu.seed({"freshservice": {"tickets": [old]}})
        old_id = str(max(x["id"] for x in self.emu.state("freshservice")["tickets"]))
        new = t.request("VPN Access", "bob", business_justification="Remote work")
        proc = t.cycle()
        self.assertRegex(proc.stderr, r"first start: reading the service requests changed since "
                                      r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(first_poll_lookback\); an open request "
                                      r"not changed since then is not taken over until it changes")
        self.assertEqual(t.approver_names(new["id"]), ["mia"])
        self.assertEqual(t.approver_names(old_id), [], "older than the lookback: left alone")
        self.assertNotIn("first start", t.cycle().stderr, "said at the first start only")
        # A longer lookback takes it over.
        longer = self.tenant(itsm_extra='  first_poll_lookback = "60d";')
        longer.cycle()
        self.assertEqual(t.approver_names(old_id), ["mia"])

    def test_rate_limit_nearly_spent_by_another_integration_slows_accessd_down(self):
        # 40 credits a second, 30 of them spent by another integration at
        # the start of every second: 10 left for accessd, which keeps 4.
        self.emu.call("POST", "/_emu/config/freshservice", {"rate_limit": {"total": 40, "window_seconds": 1},
                                                            "other_integration": {"per_window": 30}})
        t = self.tenant(escalate="60s", expire="120s", itsm_extra='  rate_limit = { reserve = 4; window = "1s"; };')
        with t.daemon():
            req = t.request("VPN Access", "bob", business_justification="Remote work")
            tid = req["id"]
            t.wait_for(lambda: t.approver_names(tid) == ["mia"], "mia to be asked", timeout=60)
            t.decide(tid, "mia")
            t.wait_for(lambda: t.approver_names(tid) == ["mia", "sam"], "sam to be asked", timeout=60)
            t.decide(tid, "sam")
            t.wait_for(lambda: t.ticket(tid)["status"] == 4, "the request to be completed", timeout=90)
        rate = self.emu.state("freshservice")["rate"]
        self.assertLessEqual(rate["throttled"], 1, "accessd ran into 429 again and again")
        throttled = [r for r in self.freshservice_requests() if r["status"] == 429]
        self.assertLessEqual(len(throttled), 1)
        with open(t.dir + "/daemon.stderr") as f:
            log = f.read()
        self.assertRegex(log, r"freshservice: \d+ API credits left of the account's 40 \(shared with every "
                              r"integration\); accessd waits until .* UTC to leave 4 to the others")
        self.assertEqual(t.members("VPN-Users"), [tenant.oid("bob").lower()])

    def test_hostile_text_in_custom_fields_is_refused_or_escaped(self):
        t = self.tenant(escalate="60s", expire="120s")
        hostile = "Project-Apollo\"><script>alert(1)</script>' OR 1=1 --"
        mallory = 21000419999
        self.emu.seed({"freshservice": {"requesters": [
            {"id": mallory, "first_name": "Mallory", "primary_email": "mallory@contoso.example\r\nX-Injected: 1"}]}})
        with t.daemon():
            nul = t.request("VPN Access", "bob", business_justification="Remote\u0000work", sponsor="x")
            html = t.request("Add to Group", "bob", group=hostile, business_justification="<b>bold</b> & \"quoted\"")
            nested = t.request("VPN Access", "carol", business_justification="Travel",
                               laptop={"model": "X1"}, regions=["EU", "US"])
            forged = fst.service_request("VPN Access", "bob", business_justification="Remote work")
            forged["requester_id"] = mallory
            self.emu.seed({"freshservice": {"tickets": [forged]}})
            forged_id = str(max(x["id"] for x in self.emu.state("freshservice")["tickets"]))
            for tid in (nul["id"], html["id"], forged_id):
                t.wait_for(lambda: t.workflow_state(tid) == "sent-back", "%s to be sent back" % tid)
            t.wait_for(lambda: t.approver_names(nested["id"]) == ["mia"], "the nested one to go ahead")
        # A NUL could hide the rest of a value: refused, and named.
        self.assertIn('"custom field business_justification" holds a control character', t.replies(nul["id"])[0])
        self.assertEqual(t.ticket(nul["id"])["status"], 3, "pending: sent back")
        # Markup and quotes are the requester's text, not HTML: escaped in
        # the note and the reply, and the group is not on the allow list.
        reply = t.conversations(html["id"], False)[0]
        self.assertIn(hostile, reply["body_text"])
        self.assertNotIn("<script>", reply["body"])
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;&#39; OR 1=1", reply["body"])
        self.assertEqual(t.members("Project-Apollo"), [])
        # A requester whose address holds a line break is not believed.
        self.assertIn('"requester.email" holds a control character', t.replies(forged_id)[0])
        # An object is no value: left out; a multi-select's values are text.
        self.assertEqual(t.approver_names(nested["id"]), ["mia"])
        with open(t.dir + "/daemon.stderr") as f:
            log = f.read()
        self.assertIn("custom field laptop holds no plain value; it is left out", log)
        self.assertNotIn("X-Injected", "".join(r["path"] + str(r["query"]) for r in self.emu.requests()))
        self.assertEqual(t.audit("verify").returncode, 0)
        self.assertTrue(t.journal(), "the journal reads back")


if __name__ == "__main__":
    harness.main()
