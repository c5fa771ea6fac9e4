# SPDX-License-Identifier: Apache-2.0
"""accessctl explain REQUEST and accessd --dry-run --once against the
emulator: the verdict and its sentences, the approval chain with each
substitution and why, deadlines, the grant's steps and the actions the next
cycle would take; and they write nothing anywhere, which the emulator's own
request log and the state directory prove."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

import harness
import tenant
from tenant import upn

# Reads that are not GET: the token requests reading needs, and Graph's
# checkMemberGroups, a read-only action ("Check for membership in a
# specified list of groups", Microsoft Graph v1.0 reference) that rules
# with "holds" use.
READS = (re.compile(r"/oauth2/v2\.0/token$"), re.compile(r"/checkMemberGroups$"))


def writes(emu):
    return [(r["method"], r["path"]) for r in emu.requests()
            if r["method"] != "GET" and not any(p.search(r["path"]) for p in READS)]


def snapshot(directory):
    """Every file below DIRECTORY with a hash of its content and its mode."""
    out = {}
    for dirpath, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, directory)] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mode)
    return out


class Explain(tenant.TenantCase):
    def explain(self, t, number):
        return harness.run_binary(harness.ACCESSCTL, "explain", "-c", t.agent.config, number)

    def test_a_new_request_its_chain_and_no_write(self):
        t = self.tenant(away=("mia",), escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "alice", business_justification="On-site support",
                        end_date="2027-01-31", sponsor=upn("bob"))
        before = snapshot(t.dir)
        self.emu.clear_requests()
        proc = self.explain(t, vpn["number"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn('%s: "VPN Access" for %s' % (vpn["number"], upn("alice")), out)
        self.assertIn("verdict: proceed, target VPN-Users-Contractors, for a contractor", out)
        self.assertIn("1. manager (one approval decides; escalate after 1h; expire after 2h)", out)
        self.assertIn("ask %s, standing in for %s, who is away (automatic replies on)" % (upn("victor"), upn("mia")),
                      out)
        self.assertRegex(out, r"if it starts now: remind never, escalate \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, "
                              r"expire \d{4}-")
        self.assertIn("2. security", out)
        self.assertIn("on escalation, also ask %s" % upn("sid"), out)
        self.assertIn("1. add %s to the group VPN-Users-Contractors (%s)" % (upn("alice"),
                                                                          tenant.GROUPS["VPN-Users-Contractors"]), out)
        self.assertIn("removed on 2027-02-01 00:00:00 UTC", out)
        self.assertIn("the next cycle would:\n    - ask %s to approve (stage manager)" % upn("victor"), out)
        self.assertTrue(self.emu.requests(), "it read nothing")
        # The request item is read by its number, not out of a listing of
        # them all; the duplicate check reads only the person's open ones.
        queries = [r["query"]["sysparm_query"] for r in self.emu.requests()
                   if r["path"] == "/api/now/table/sc_req_item"]
        self.assertEqual([q for q in queries if q.startswith("number=")], [q for q in queries if "number=" in q])
        self.assertEqual(len([q for q in queries if q.startswith("number=%s^" % vpn["number"])]), 1, queries)
        self.assertTrue(all(q.startswith("number=") or "requested_for=" in q for q in queries), queries)
        self.assertEqual(writes(self.emu), [])
        self.assertEqual(snapshot(t.dir), before)
        self.assertEqual(os.listdir(t.agent.state_dir), [])

    def test_a_running_request_why_it_waits_and_what_comes_next(self):
        t = self.tenant(away=("mia",), escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "alice", business_justification="On-site support",
                        end_date="2027-01-31", sponsor=upn("bob"))
        bad = t.request("Add to Group", "carol", group="Server-Admins")
        t.cycle()
        proc = self.explain(t, vpn["number"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"in the journal: awaiting-approval, stage 1 of 2 \(manager\) since .* UTC")
        self.assertIn("waiting for: %s" % upn("victor"), proc.stdout)
        self.assertIn("%s stands in for %s, who is away (automatic replies on)" % (upn("victor"), upn("mia")),
                      proc.stdout)
        self.assertRegex(proc.stdout, r"the next cycle would do nothing for it; next deadline .* UTC")

        t.decide(vpn["sys_id"], "victor")  # seen by the next cycle, not journaled yet
        before = snapshot(t.dir)
        self.emu.clear_requests()
        proc = self.explain(t, vpn["number"])
        self.assertIn("the next cycle would:\n    - ask %s to approve (stage security)" % upn("sam"), proc.stdout)
        proc = self.explain(t, bad["number"])
        self.assertIn("verdict: send_back", proc.stdout)
        self.assertIn("A business justification is required", proc.stdout)
        self.assertIn("in the journal: sent-back", proc.stdout)
        self.assertEqual(writes(self.emu), [])
        self.assertEqual(snapshot(t.dir), before)

        # The cycle does what explain said.
        t.cycle()
        self.assertIn(tenant.snow_id("sam"), [a["approver"] for a in t.approvals(vpn["sys_id"])])

    def test_a_departed_approver_and_why(self):
        t = self.tenant(escalate="1h", expire="2h")
        self.emu.seed({"graph": {"users": [tenant.graph_user("mia", employeeLeaveDateTime="2024-06-30T23:59:59Z")]}})
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        proc = self.explain(t, vpn["number"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("ask %s, standing in for %s, who has left the organisation (leave date passed)"
                      % (upn("victor"), upn("mia")), proc.stdout)

    def test_which_rule_decides_a_stage(self):
        rule = ('{ name = "finance-short"; department = "Finance"; employee_type = "Employee"; '
                'duration_at_most = "30d"; }')
        t = self.tenant(rules={"mailbox_manager": rule})
        box = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", duration="30d")
        proc = self.explain(t, box["number"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("1. manager (", proc.stdout)
        self.assertIn("approved by rule finance-short: department is \"Finance\"; employee type is \"Employee\"; "
                      "requested for 30d, at most 30d; nobody is asked", proc.stdout)
        self.assertIn("record stage manager as approved by its rule finance-short", proc.stdout)
        self.assertIn("ask %s to approve (stage mailbox owner)" % upn("olivia"), proc.stdout)

    def test_unknown_request_and_usage(self):
        t = self.tenant()
        proc = self.explain(t, "RITM9999999")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("RITM9999999: servicenow shows no such request among the governed catalog items", proc.stdout)
        # A number that would change the query is never sent.
        self.emu.clear_requests()
        proc = self.explain(t, "RITM1^NQnumberISNOTEMPTY")
        self.assertEqual(proc.returncode, 1)
        self.assertNotIn("/api/now/table/sc_req_item", [r["path"] for r in self.emu.requests()])
        for args in ([], ["a", "b"], ["--bogus", "x"]):
            proc = harness.run_binary(harness.ACCESSCTL, "explain", *args)
            self.assertEqual(proc.returncode, 2, args)
        proc = harness.run_binary(harness.ACCESSCTL, "explain", "-c", os.path.join(t.dir, "none.conf"), "RITM1")
        self.assertEqual(proc.returncode, 2)


class DryRun(tenant.TenantCase):
    def test_what_one_cycle_would_do_and_no_write(self):
        t = self.tenant(away=("mia",), escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "alice", business_justification="On-site support",
                        end_date="2027-01-31", sponsor=upn("bob"))
        box = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", duration="5d")
        shutil.rmtree(t.agent.state_dir)  # nothing has run yet: not even a state directory
        self.emu.clear_requests()
        proc = t.agent.run("--dry-run", "--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertRegex(out, r"^dry run at .* UTC: 2 request\(s\) and 0 decision\(s\) changed in servicenow")
        self.assertIn("ask %s, standing in for %s" % (upn("victor"), upn("mia")), out)
        self.assertIn("ask %s to approve (stage mailbox owner)" % upn("olivia"), out)
        self.assertIn("add %s to the mailbox access group Finance Shared Mailbox" % upn("carol"), out)
        self.assertTrue(out.endswith("dry run: 2 request(s) explained; nothing was written\n"), out)
        self.assertEqual(writes(self.emu), [])
        self.assertFalse(os.path.exists(t.agent.state_dir))

        # With a journal: the decisions and deadlines the cycle would act on.
        t.cycle()
        t.decide(vpn["sys_id"], "victor")
        t.decide(box["sys_id"], "olivia")
        before = snapshot(t.agent.state_dir)
        self.emu.clear_requests()
        proc = t.agent.run("--dry-run", "--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("2 decision(s) changed", proc.stdout)
        self.assertIn("ask %s to approve (stage security)" % upn("sam"), proc.stdout)
        self.assertIn("grant step 1: add %s to the mailbox access group Finance Shared Mailbox" % upn("carol"),
                      proc.stdout)
        self.assertEqual(writes(self.emu), [])
        self.assertEqual(snapshot(t.agent.state_dir), before)

    def test_beside_the_running_daemon(self):
        # It takes no lock and writes nothing, so it runs while the daemon does.
        t = self.tenant()
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        with open(os.path.join(t.dir, "stderr"), "w") as err:
            daemon = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(t.agent.state_dir, "journal")) or t.workflow_state(vpn["sys_id"]) is None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        proc = t.agent.run("--dry-run", "--once")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("nothing was written", proc.stdout)
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=30), 0)

    def test_usage(self):
        t = self.tenant()
        for args in (["--dry-run"], ["--dry-run", "--once", "--repair"]):
            proc = t.agent.run(*args)
            self.assertEqual(proc.returncode, 2, args)
            self.assertIn("--dry-run goes with --once", proc.stderr)


if __name__ == "__main__":
    harness.main()
