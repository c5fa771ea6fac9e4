# SPDX-License-Identifier: Apache-2.0
"""Rules decide where the policy allows it (real binary, emulator): a stage a
rule approves is recorded like a person's approval, on the ticket, in the
journal, the evidence and the audit trail, and the next stage is still
asked; a contractor is never approved by a rule; a privileged target's
security stage only with its explicit flag; a person's rejection is never
overridden; the facts are those of the moment the request was validated."""

import datetime
import json
import os
import signal
import subprocess
import time
import zoneinfo

import harness
import tenant
from tenant import oid, snow_id, upn

# Finance staff (not contractors) asking for 30 days or less.
FINANCE_SHORT = ('{ name = "finance-short"; department = "Finance"; employee_type = "Employee"; '
                 'duration_at_most = "30d"; }')
FINANCE_SHORT_FACTS = ('department is "Finance"; employee type is "Employee"; requested for 30d, at most 30d')
MANAGER_BY_RULE = 'Stage "manager" approved by rule finance-short: %s.' % FINANCE_SHORT_FACTS


class Rules(tenant.TenantCase):
    def asked(self, t, ritm):
        return sorted(a["approver"] for a in t.approvals(ritm))

    def mailbox(self, t, who, duration="30d", **more):
        return t.request("Shared Mailbox Access", who, business_justification="Month-end close",
                         mailbox="Finance Shared Mailbox", duration=duration, **more)

    def notes(self, t, ritm, element="work_notes"):
        """The ticket's notes (or comments) without the action id each ends with."""
        return [n.split("\n\n[accessd action ")[0] for n in t.journal_entries(ritm, element)]

    def audit_events(self, t, number):
        """The audit trail's records of request NUMBER, as accessctl exports them."""
        proc = t.audit("export")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        return [e for e in events if e.get("request", {}).get("number") == number]

    def plan(self, t, ritm):
        plan = None
        for rec in t.journal():
            p = rec["payload"]
            if rec["type"] == "REQUEST" and p.get("id") == ritm and "plan" in p.get("data", {}):
                plan = p["data"]["plan"]
        return plan

    def test_mailbox_manager_stage_by_rule_owner_still_asked(self):
        t = self.tenant(rules={"mailbox_manager": FINANCE_SHORT})
        req = self.mailbox(t, "bob")
        ritm = req["sys_id"]
        t.cycle()
        # Nobody was asked for the manager stage; the owner is.
        self.assertEqual(self.asked(t, ritm), [snow_id("olivia")])
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        self.assertIn(MANAGER_BY_RULE, self.notes(t, ritm))
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        # The department is read because a rule names it; the company is not.
        selects = [r["query"].get("$select", "") for r in self.emu.requests()
                   if r["method"] == "GET" and r["path"].startswith("/v1.0/users/") and r["path"].count("/") == 3]
        self.assertTrue(selects)
        self.assertTrue(all("department" in q.split(",") and "companyName" not in q.split(",") for q in selects),
                        selects)
        # The plan froze the rule and the facts; the journal has the action.
        plan = self.plan(t, ritm)
        self.assertEqual(plan["stages"][0]["rule"], "finance-short")
        self.assertEqual(plan["stages"][0]["because"], FINANCE_SHORT_FACTS)
        self.assertNotIn("rule", plan["stages"][1])
        outcomes = [r["payload"]["outcome"] for r in t.journal()
                    if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(".s0.rule")]
        self.assertEqual(outcomes, [{"rule": "finance-short", "because": FINANCE_SHORT_FACTS, "result": "ok"}])
        t.cycle()
        self.assertEqual(self.notes(t, ritm).count(MANAGER_BY_RULE), 1, "noted once")

        t.decide(ritm, "olivia")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(t.workflow_state(ritm), "active")
        # The evidence names the rule and its facts next to the owner.
        evidence = [r["body"] for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"]
        self.assertEqual(len(evidence), 1)
        approvals = evidence[0]["approvals"]
        self.assertIn({"approver": "rule:finance-short", "decision": "approved", "stage": 0, "stage_name": "manager",
                       "rule": "finance-short", "because": FINANCE_SHORT_FACTS}, approvals)
        self.assertEqual(sorted(a["approver"] for a in approvals), sorted(["rule:finance-short", upn("olivia")]))
        # The audit trail records the rule's decision as a decision.
        events = self.audit_events(t, req["number"])
        by_rule = [e for e in events if e.get("who") == "rule:finance-short"]
        self.assertEqual(len(by_rule), 1, events)
        self.assertEqual(by_rule[0]["event"], "approval_seen")
        self.assertEqual(by_rule[0]["detail"], MANAGER_BY_RULE)
        self.assertEqual(by_rule[0]["rule"], "Shared Mailbox Access / manager")
        self.assertEqual(t.audit("verify").returncode, 0)

    def test_contractor_never_approved_by_rule(self):
        # The rule reads only the department, which Alice, a contractor in
        # Finance, matches: a rule still never approves for a contractor.
        t = self.tenant(rules={"mailbox_manager": '{ name = "finance"; department = "Finance"; }'})
        contractor = self.mailbox(t, "alice", sponsor=upn("bob"))
        employee = self.mailbox(t, "bob")
        t.cycle()
        self.assertEqual(t.workflow_state(contractor["sys_id"]), "awaiting-approval")
        self.assertEqual(self.asked(t, contractor["sys_id"]), [snow_id("mia")])
        self.assertFalse(any("by rule" in n for n in self.notes(t, contractor["sys_id"])))
        self.assertEqual(self.plan(t, contractor["sys_id"])["stages"][0]["no_rule"],
                         "a rule never approves access for a contractor")
        # The same rule approves the employee's manager stage.
        self.assertEqual(self.asked(t, employee["sys_id"]), [snow_id("olivia")])
        t.decide(contractor["sys_id"], "olivia")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(t.workflow_state(contractor["sys_id"]), "awaiting-approval")

    def test_privileged_security_stage_only_with_its_flag(self):
        staff = '{ name = "finance-staff"; department = "Finance"; employee_type = "Employee"; }'
        # Without the flag the configuration is refused, with the line.
        t = self.tenant(rules={"group_manager": staff,
                               "security": 'auto_approve_when = { name = "sec-finance"; department = "Finance"; };'})
        proc = t.agent.run("--check-config")
        self.assertEqual(proc.returncode, 2)
        with open(t.agent.config) as f:
            line = next(n for n, text in enumerate(f, 1) if "sec-finance" in text)
        self.assertIn('%s:%d: stage "security" is added for privileged targets, and a rule approves it only when '
                      'the stage says so; add auto_approve_privileged = true; or remove auto_approve_when'
                      % (t.agent.config, line), proc.stderr)
        self.assertEqual(t.agent.run("--once").returncode, 2)

        # The manager's stage by rule: security is still asked.
        t = self.tenant(rules={"group_manager": staff})
        req = t.request("Add to Group", "bob", group="Server-Admins", business_justification="On call")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(self.asked(t, ritm), [snow_id("sam")])
        self.assertIn('Stage "manager" approved by rule finance-staff: department is "Finance"; employee type is '
                      '"Employee".', self.notes(t, ritm))
        self.assertEqual(t.members("Server-Admins"), [])
        t.cycle()
        self.assertEqual(t.members("Server-Admins"), [])
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("Server-Admins"), [oid("bob").lower()])

    def test_privileged_security_stage_by_rule_with_its_flag(self):
        t = self.tenant(rules={
            "group_manager": '{ name = "finance-staff"; department = "Finance"; }',
            "security": 'auto_approve_privileged = true; auto_approve_when = { name = "sec-finance"; '
                        'department = "Finance"; requester = "subject"; };'})
        self.assertEqual(t.agent.run("--check-config").returncode, 0)
        req = t.request("Add to Group", "bob", group="Server-Admins", business_justification="On call")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(t.approvals(ritm), [])
        self.assertEqual(t.members("Server-Admins"), [oid("bob").lower()])
        self.assertIn('Stage "security" approved by rule sec-finance: department is "Finance"; requested by the '
                      'person themselves.', self.notes(t, ritm))
        evidence = [r["body"] for r in self.emu.requests() if r["path"] == "/api/now/attachment/file"][0]
        self.assertEqual([(a["approver"], a["stage_name"]) for a in evidence["approvals"]],
                         [("rule:finance-staff", "manager"), ("rule:sec-finance", "security")])

    def test_a_person_rejection_is_never_overridden(self):
        # The manager, whom the rule spared, rejects while the owner
        # still has to decide: the request ends rejected, nothing granted.
        t = self.tenant(rules={"mailbox_manager": FINANCE_SHORT})
        req = self.mailbox(t, "bob")
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia", state="rejected", comments="Not during the audit")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "rejected")
        self.assertEqual(t.ritm(ritm)["state"], "4")
        self.assertEqual(self.notes(t, ritm, "comments"),
                         ['Rejected by Mia (mia@contoso.example) at stage "manager" (1 of 2): Not during the audit'])
        t.decide(ritm, "olivia")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])

    def test_rejected_by_rule_before_anyone_is_asked(self):
        t = self.tenant(rules={"vpn_reject": '{ name = "no-contractor-vpn"; employee_type = "Contractor"; }'})
        req = t.request("VPN Access", "alice", business_justification="Support contract", end_date="2027-01-31",
                        sponsor=upn("bob"))
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "rejected")
        self.assertEqual(t.approvals(ritm), [])
        self.assertEqual(t.ritm(ritm)["state"], "4")
        text = 'Rejected by rule no-contractor-vpn: employee type is "Contractor".'
        self.assertIn(text, self.notes(t, ritm, "comments"))
        events = self.audit_events(t, req["number"])
        self.assertTrue(any(e["event"] == "rejected" and e["who"] == "rule:no-contractor-vpn" and e["detail"] == text
                            for e in events), events)
        self.assertEqual(t.members("VPN-Users-Contractors"), [])

    def test_facts_are_those_of_the_validation(self):
        t = self.tenant(rules={"mailbox_manager": FINANCE_SHORT})
        spared = self.mailbox(t, "bob")
        asked = self.mailbox(t, "carol")
        t.cycle()
        self.assertEqual(self.asked(t, asked["sys_id"]), [snow_id("mia")])
        self.assertEqual(self.plan(t, asked["sys_id"])["stages"][0]["no_rule"],
                         'rule "finance-short": department is "IT", not "Finance"')
        # The directory changes under the running requests: neither is
        # decided again.
        self.emu.seed({"graph": {"users": [dict(u, department="Finance" if u["id"] == oid("carol") else "Sales")
                                           for u in self.emu.state("graph")["users"]
                                           if u["id"] in (oid("bob"), oid("carol"))]}})
        t.cycle()
        self.assertEqual(self.asked(t, asked["sys_id"]), [snow_id("mia")])
        self.assertEqual(self.asked(t, spared["sys_id"]), [snow_id("olivia")])
        t.decide(spared["sys_id"], "olivia")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])

    @staticmethod
    def team_rule(open_now):
        """Project-Apollo for a member of Security-Team or a holder of
        VPN-Users, within hours around now in Kolkata (or not)."""
        now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Kolkata"))
        start = now.hour + 23 if open_now else now.hour + 3
        window = "%02d:00-%02d:00" % (start % 24, (start + 3) % 24)
        rule = ('( {{ name = "team"; target = "Project-Apollo"; any = ( {{ member_of = "{team}"; }}, '
                '{{ holds = "VPN-Users"; }} ); time = {{ zone = "Asia/Kolkata"; hours = "{window}"; }}; }} )')
        return rule.format(team=tenant.GROUPS["Security-Team"], window=window), window

    def test_memberships_holdings_and_time_from_the_directory(self):
        # Sam is a direct member of Security-Team; Bob holds VPN-Users.
        rule, window = self.team_rule(True)
        self.emu.seed({"graph": {"groups": [{"id": tenant.GROUPS["VPN-Users"], "displayName": "VPN-Users",
                                             "securityEnabled": True, "mailEnabled": False,
                                             "members": [oid("bob")]}]}})
        t = self.tenant(rules={"group_manager": rule})
        member = t.request("Add to Group", "sam", group="Project-Apollo", business_justification="Joining")
        holder = t.request("Add to Group", "bob", group="Project-Apollo", business_justification="Joining")
        neither = t.request("Add to Group", "carol", group="Project-Apollo", business_justification="Joining")
        t.cycle()
        self.assertEqual(self.asked(t, member["sys_id"]), [])
        self.assertEqual(self.asked(t, holder["sys_id"]), [])
        self.assertEqual(self.asked(t, neither["sys_id"]), [snow_id("mia")])
        because = self.plan(t, member["sys_id"])["stages"][0]["because"]
        self.assertTrue(because.startswith('the target is "Project-Apollo"; a direct member of group %s; '
                                           % tenant.GROUPS["Security-Team"]), because)
        self.assertIn(" in Asia/Kolkata, within every day %s" % window, because)
        self.assertIn('already holds "VPN-Users"', self.plan(t, holder["sys_id"])["stages"][0]["because"])
        granting = [r["payload"]["id"] for r in t.journal()
                    if r["type"] == "INTENT" and r["payload"]["action"].endswith(".t0.grant")]
        self.assertEqual(sorted(granting), sorted([member["sys_id"], holder["sys_id"]]))
        reads = [r for r in self.emu.requests() if "/memberOf/" in r["path"]]
        self.assertEqual(len(reads), 3)
        self.assertTrue(all(r["query"].get("$select") == "id" for r in reads))

    def test_outside_the_hours_a_person_is_asked(self):
        rule, window = self.team_rule(False)
        t = self.tenant(rules={"group_manager": rule})
        late = t.request("Add to Group", "sam", group="Project-Apollo", business_justification="Joining")
        t.cycle()
        self.assertEqual(self.asked(t, late["sys_id"]), [snow_id("victor")])
        self.assertIn("in Asia/Kolkata, outside every day %s" % window, self.plan(t, late["sys_id"])["stages"][0]["no_rule"])

    def test_memberships_that_cannot_be_read(self):
        rule = '{ name = "team"; member_of = "%s"; }' % tenant.GROUPS["Security-Team"]
        self.emu.seed({"graph": {"groups": [{"id": tenant.GROUPS["Security-Team"], "displayName": "Security-Team",
                                             "securityEnabled": True, "mailEnabled": False,
                                             "members": [oid("sam"), oid("carol")]}]}})
        t = self.tenant(rules={"group_manager": rule})
        # Graph is down: the request waits for a later cycle, then the rule decides.
        self.emu.fault(kind="status", status=503, path="/memberOf", times=0)
        waited = t.request("Add to Group", "sam", group="Project-Apollo", business_justification="Joining")
        t.cycle()
        self.assertIsNone(self.plan(t, waited["sys_id"]))
        self.emu.call("DELETE", "/_emu/faults")
        t.cycle()
        self.assertEqual(self.plan(t, waited["sys_id"])["stages"][0]["rule"], "team")
        # Graph refuses (no permission): the fact is unknown, a person is asked.
        self.emu.fault(kind="status", status=403, path="/memberOf", times=0)
        refused = t.request("Add to Group", "carol", group="Project-Apollo", business_justification="Joining")
        proc = t.cycle()
        self.assertIn("the directory does not say which groups carol@contoso.example is in", proc.stderr)
        self.assertEqual(self.asked(t, refused["sys_id"]), [snow_id("mia")])
        self.assertEqual(self.plan(t, refused["sys_id"])["stages"][0]["no_rule"],
                         'rule "team": the person\'s group memberships are not known')

    def test_daemon_mode(self):
        t = self.tenant(rules={"mailbox_manager": FINANCE_SHORT})
        req = self.mailbox(t, "bob")
        ritm = req["sys_id"]
        with open(os.path.join(t.dir, "stderr"), "w") as err:
            proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while self.asked(t, ritm) != [snow_id("olivia")] and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(self.asked(t, ritm), [snow_id("olivia")])
            self.assertIn(MANAGER_BY_RULE, self.notes(t, ritm))
            t.decide(ritm, "olivia")
            while not t.members("Finance-Mailbox-Access") and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
        with open(os.path.join(t.dir, "stderr")) as f:
            harness.check_sanitizers(f.read())
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("bob").lower()])
        self.assertEqual(self.notes(t, ritm).count(MANAGER_BY_RULE), 1)


if __name__ == "__main__":
    harness.main()
