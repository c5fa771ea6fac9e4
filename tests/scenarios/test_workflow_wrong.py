# SPDX-License-Identifier: Apache-2.0
"""Never grant the wrong thing (issue 12), each rule as a class of
behaviour against the real binary and the emulator, with its failure path,
some of them in daemon mode: people who have left or not started yet in
every role; values that a U+0000 would cut short; decisions written by
someone other than the approver; approvals after the access's end date; a
mailbox named by its address; the manager as a contractor's sponsor; who
may request and who verified them; open records in the ITSM that accessd
did not make."""

import base64
import json
import time
import urllib.request

import harness
import tenant
from tenant import GROUPS, oid, snow_id, upn


def graph_time(seconds_from_now):
    """A DateTimeOffset as Graph writes it, SECONDS_FROM_NOW away."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def day(seconds_from_now):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + seconds_from_now))


DAY = 86400


class Case(tenant.TenantCase):
    def graph_writes(self):
        return [r for r in self.emu.requests() if r["path"].startswith("/v1.0/") and r["method"] != "GET"
                and not r["path"].endswith("/checkMemberGroups")]

    def notes(self, t, ritm):
        return "\n".join(t.journal_entries(ritm, "work_notes"))

    def comments(self, t, ritm):
        return "\n".join(t.journal_entries(ritm, "comments"))

    def asked(self, t, ritm):
        return sorted(a["approver"] for a in t.approvals(ritm))


class People(Case):
    """Someone who has left, or has not started yet, never approves, never
    sponsors, never asks, and is never granted; no access outlives a known
    leave date."""

    def test_departed_and_not_started_approvers_are_replaced_at_once(self):
        t = self.tenant(escalate="20s")
        t.set_user("mia", employeeLeaveDateTime="2024-06-30T23:59:59Z")
        t.set_user("sam", employeeHireDate=graph_time(30 * DAY))
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        t.cycle()
        # Not mia, at once: her backup, with the reason on the ticket.
        self.assertEqual(self.asked(t, ritm), [snow_id("victor")])
        self.assertIn('Stage "manager": mia@contoso.example left the organisation on 2024-06-30, so '
                      'victor@contoso.example approves instead.', self.notes(t, ritm))
        t.decide(ritm, "victor")
        t.cycle()
        # The security group's only member starts next month: its backup.
        self.assertEqual(self.asked(t, ritm), sorted([snow_id("victor"), snow_id("sid")]))
        self.assertIn('Stage "security": nobody in the approver group can decide (sam@contoso.example starts only '
                      'on %s), so sid@contoso.example approves instead.' % day(30 * DAY), self.notes(t, ritm))
        t.decide(ritm, "sid")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])

    def test_departed_people_neither_sponsor_nor_ask_nor_receive(self):
        t = self.tenant()
        t.set_user("bob", employeeLeaveDateTime=graph_time(-DAY))
        t.set_user("carol", employeeLeaveDateTime=graph_time(-3600))
        t.set_user("eve", employeeHireDate=graph_time(7 * DAY))
        sponsored = t.request("VPN Access", "alice", business_justification="Support contract",
                              end_date=day(30 * DAY), sponsor=upn("bob"))
        gone = t.request("VPN Access", "carol", business_justification="Remote work")
        mia = t.request("VPN Access", "mia", opened_by="eve", business_justification="Travel")
        with t.daemon():
            t.wait_for(lambda: all(t.workflow_state(r["sys_id"]) == "sent-back" for r in (sponsored, gone, mia)),
                       "three requests sent back")
        self.assertIn("The sponsor bob@contoso.example left the organisation on %s, so they cannot sponsor this "
                      "access; name an employee who is here now." % day(-DAY), self.comments(t, sponsored["sys_id"]))
        self.assertIn("carol@contoso.example left the organisation on %s; access is granted only to people who "
                      "are here now." % day(-3600), self.comments(t, gone["sys_id"]))
        self.assertIn("The requester eve@contoso.example starts only on %s" % day(7 * DAY),
                      self.comments(t, mia["sys_id"]))
        for r in (sponsored, gone, mia):
            self.assertEqual(t.approvals(r["sys_id"]), [])
        self.assertEqual(self.graph_writes(), [])

    def test_no_grant_outlives_a_known_leave_date(self):
        t = self.tenant()
        leaves = time.time() + 20 * DAY
        t.set_user("bob", employeeLeaveDateTime=graph_time(20 * DAY))
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia")
        t.cycle()
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [oid("bob").lower()])
        # Asked without an end; it ends when bob leaves, and says so.
        self.assertEqual(t.workflow_state(ritm), "active")
        self.assertIn("Access ends on %s, when bob@contoso.example leaves the organisation."
                      % time.strftime("%Y-%m-%d", time.gmtime(leaves)), self.comments(t, ritm))
        timers = [r["payload"] for r in t.journal() if r["type"] == "TIMER" and r["payload"]["id"] == ritm]
        self.assertAlmostEqual(timers[-1]["due"] / 1000, leaves, delta=60)

    def test_someone_who_leaves_before_the_grant_is_not_granted(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia")
        t.cycle()
        # Planned while bob was here; gone (and disabled) before the grant.
        t.set_user("bob", accountEnabled=False, employeeLeaveDateTime=graph_time(-60))
        t.decide(ritm, "sam")
        t.cycle()
        self.assertEqual(t.members("VPN-Users"), [])
        self.assertEqual(t.workflow_state(ritm), "blocked")
        self.assertIn("the person's account is disabled", t.incidents()[0]["description"])
        self.assertEqual([w for w in self.graph_writes() if w["method"] == "POST"], [])

    def test_a_decision_after_the_approvers_leave_date_does_not_count(self):
        t = self.tenant(escalate="20s")
        t.set_user("mia", employeeLeaveDateTime=graph_time(3))
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        t.cycle()
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
        time.sleep(4)
        t.decide(ritm, "mia")
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
        self.assertIn('A decision by mia@contoso.example for stage "manager" was ignored: it came after they left '
                      'the organisation.', self.notes(t, ritm))
        self.assertEqual(self.asked(t, ritm), [snow_id("mia")], "no second stage was asked")


class Values(Case):
    """A value holding U+0000 (or another control character where none may
    be) never names a person or a target: the request goes back naming the
    field."""

    def test_a_nul_never_shortens_a_person_or_a_target(self):
        t = self.tenant()
        mallory = "%032x" % 0x3a11
        self.emu.seed({"servicenow": {"sys_user": [
            {"sys_id": mallory, "user_name": "mallory", "email": "victor@contoso.example\u0000.mallory"}]}})
        ritm = {"cat_item": t.items["VPN Access"], "requested_for": mallory, "opened_by": mallory, "state": "1",
                "active": "true", "short_description": "VPN"}
        self.emu.seed({"servicenow": {"sc_req_item": [ritm]}})
        posing = self.emu.state("servicenow")["tables"]["sc_req_item"][-1]
        t.set_variables(posing["sys_id"], business_justification="Remote work")
        group = t.request("Add to Group", "bob", group="Project-Apollo\u0000Server-Admins",
                          business_justification="On call")
        self.emu.clear_requests()
        t.cycle()
        for req, field in ((posing, "requested_for.email"), (group, "variable group")):
            self.assertEqual(t.workflow_state(req["sys_id"]), "sent-back")
            self.assertIn('"%s" holds a control character' % field, self.comments(t, req["sys_id"]))
            self.assertEqual(t.approvals(req["sys_id"]), [])
        # Victor was never looked up in his stead, and nothing was granted.
        self.assertFalse([r for r in self.emu.requests() if "victor" in r["path"]])
        self.assertEqual(self.graph_writes(), [])


class Hands(Case):
    """An approval counts only when the approver made it: ServiceNow's
    sys_updated_by names the approver."""

    def test_a_decision_written_by_someone_else_never_counts(self):
        t = self.tenant(escalate="20s")
        self.emu.seed({"servicenow": {"users": {"eve": "eve-pw"}}})
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        with t.daemon():
            t.wait_for(lambda: t.approvals(ritm), "the manager's approval record")
            record = t.approvals(ritm)[0]
            # eve can write the table, so she approves mia's record through
            # the Table API; ServiceNow records her as its writer.
            call = urllib.request.Request(
                "%s/api/now/table/sysapproval_approver/%s" % (self.emu.url, record["sys_id"]),
                data=json.dumps({"state": "approved"}).encode(), method="PATCH",
                headers={"Content-Type": "application/json",
                         "Authorization": "Basic " + base64.b64encode(b"eve:eve-pw").decode()})
            with urllib.request.urlopen(call, timeout=10) as resp:
                self.assertEqual(json.loads(resp.read())["result"]["sys_updated_by"], "eve")
            t.wait_for(lambda: 'was ignored: "eve" wrote it, not mia@contoso.example' in self.notes(t, ritm),
                       "the note on eve's decision")
            # A flow (the platform's "system") is not mia either.
            t.decide(ritm, "mia", state="rejected", by="system")
            t.wait_for(lambda: '"system" wrote it' in self.notes(t, ritm), "the note on the flow's decision")
            self.assertEqual(t.workflow_state(ritm), "awaiting-approval")
            self.assertEqual(self.asked(t, ritm), [snow_id("mia")])
            # mia's own decision counts.
            t.decide(ritm, "mia")
            t.wait_for(lambda: len(t.approvals(ritm)) == 2, "the security stage")
        self.assertEqual(self.graph_writes(), [])
        audit = t.audit("show", req["number"]).stdout
        self.assertIn("detail=\"approved, written by eve\"", audit)


class Late(Case):
    """Nothing is granted, or announced, after the access's end date."""

    def test_an_approval_after_the_end_date_grants_nothing(self):
        t = self.tenant(escalate="20s")
        late = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                         mailbox="Finance Shared Mailbox", duration="3s")
        t.cycle()
        self.assertEqual(t.workflow_state(late["sys_id"]), "awaiting-approval")
        time.sleep(4)
        t.decide(late["sys_id"], "olivia")
        t.cycle()
        self.assertEqual(t.workflow_state(late["sys_id"]), "expired")
        self.assertIn("passed before it could be granted; nothing was granted", self.comments(t, late["sys_id"]))
        self.assertEqual(t.ritm(late["sys_id"])["state"], "4")
        self.assertEqual(self.graph_writes(), [])
        # No card announces a grant; the expiry card says nothing was granted.
        self.assertEqual(t.cards("Access granted"), [])
        expired = t.cards("Request expired")
        self.assertEqual(len(expired), 1)
        self.assertIn("nothing was granted", tenant.card_texts(expired[0])[2])

    def test_the_end_date_ends_the_wait_in_daemon_mode(self):
        t = self.tenant(escalate="20s")
        req = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", duration="4s")
        with t.daemon():
            t.wait_for(lambda: t.workflow_state(req["sys_id"]) == "expired", "the end date to end the wait")
            t.decide(req["sys_id"], "olivia")
            time.sleep(2)
        self.assertEqual(t.workflow_state(req["sys_id"]), "expired")
        self.assertEqual(t.members("Finance-Mailbox-Access"), [])
        self.assertEqual(self.graph_writes(), [])
        # No card announces a grant; the expiry card says nothing was granted.
        self.assertEqual(t.cards("Access granted"), [])
        expired = t.cards("Request expired")
        self.assertEqual(len(expired), 1)
        self.assertIn("nothing was granted", tenant.card_texts(expired[0])[2])


class Targets(Case):
    def test_a_mailbox_by_its_address(self):
        t = self.tenant()
        by_address = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                               mailbox="Finance@Contoso.Example", duration="30d")
        other = t.request("Shared Mailbox Access", "bob", business_justification="Month-end close",
                          mailbox="hr@contoso.example", duration="30d")
        t.cycle()
        self.assertEqual(t.workflow_state(other["sys_id"]), "sent-back")
        self.assertIn('"hr@contoso.example" cannot be requested', self.comments(t, other["sys_id"]))
        t.decide(by_address["sys_id"], "olivia")
        t.cycle()
        self.assertEqual(t.members("Finance-Mailbox-Access"), [oid("carol").lower()])


class Sponsors(Case):
    def test_the_manager_sponsors_where_the_item_has_no_sponsor_field(self):
        t = self.tenant(manager_as_sponsor=True, app_sponsor=False)
        req = t.request("Application Access", "alice", business_justification="Expense duty",
                        end_date=day(30 * DAY))
        t.cycle()
        self.assertEqual(t.workflow_state(req["sys_id"]), "awaiting-approval")
        # Once the manager has gone, nobody sponsors: back, saying so.
        t.close(req["sys_id"])
        t.cycle()
        t.set_user("mia", employeeLeaveDateTime=graph_time(-DAY))
        again = t.request("Application Access", "alice", business_justification="Expense duty, again",
                          end_date=day(30 * DAY))
        t.cycle()
        self.assertEqual(t.workflow_state(again["sys_id"]), "sent-back")
        self.assertIn("The manager mia@contoso.example, who sponsors a contractor, left the organisation",
                      self.comments(t, again["sys_id"]))


class Requesters(Case):
    def test_who_may_request_and_who_verified_them(self):
        t = self.tenant(requesters=("subject", "manager", "group:" + GROUPS["Service-Desk"]),
                        app_verification=True)
        desk = t.request("VPN Access", "bob", opened_by="eve", business_justification="Remote work")
        peer = t.request("VPN Access", "bob", opened_by="carol", business_justification="Remote work")
        unverified = t.request("Application Access", "carol", business_justification="Expense duty")
        own = t.request("Application Access", "olivia", business_justification="Expense duty",
                        verified_by=upn("olivia"))
        verified = t.request("Application Access", "oscar", business_justification="Expense duty",
                             verified_by=upn("eve"))
        t.cycle()
        self.assertEqual(t.workflow_state(desk["sys_id"]), "awaiting-approval")
        self.assertEqual(t.workflow_state(peer["sys_id"]), "sent-back")
        self.assertIn("carol@contoso.example cannot ask for this access for bob@contoso.example: only the person "
                      "themselves or their manager or a member of the service desk group named in the policy can",
                      self.comments(t, peer["sys_id"]))
        self.assertEqual(t.workflow_state(unverified["sys_id"]), "sent-back")
        self.assertIn('fill in "verified_by"', self.comments(t, unverified["sys_id"]))
        self.assertEqual(t.workflow_state(own["sys_id"]), "sent-back")
        self.assertIn("The requester cannot verify their own identity", self.comments(t, own["sys_id"]))
        self.assertEqual(t.workflow_state(verified["sys_id"]), "awaiting-approval")
        # The unverified one is fixed: checked again, and it goes ahead.
        t.set_variables(unverified["sys_id"], verified_by=upn("eve"))
        t.cycle()
        self.assertEqual(t.workflow_state(unverified["sys_id"]), "awaiting-approval")


class Duplicates(Case):
    def test_an_open_itsm_record_accessd_did_not_make_is_linked(self):
        t = self.tenant()
        laptop = t.items["Laptop Request"]
        self.emu.seed({"servicenow": {
            "incident": [{"caller_id": snow_id("bob"), "active": "true", "state": "2",
                          "short_description": "VPN", "description": "Please give me vpn-users access"},
                         {"caller_id": snow_id("oscar"), "active": "true", "state": "2",
                          "short_description": "VPN-Users-Contractors is slow"}],
            "sc_req_item": [{"cat_item": laptop, "requested_for": snow_id("carol"), "opened_by": snow_id("carol"),
                             "state": "2", "active": "true", "short_description": "Laptop, and VPN-Users too"}]}})
        incident = self.emu.state("servicenow")["tables"]["incident"][0]["number"]
        other = [r for r in self.emu.state("servicenow")["tables"]["sc_req_item"]][-1]["number"]
        bob = t.request("VPN Access", "bob", business_justification="Remote work")
        carol = t.request("VPN Access", "carol", business_justification="Remote work")
        oscar = t.request("VPN Access", "oscar", business_justification="Remote work")
        t.cycle()
        self.assertEqual(t.workflow_state(bob["sys_id"]), "duplicate")
        self.assertIn("Duplicate of %s" % incident, self.comments(t, bob["sys_id"]))
        self.assertEqual(t.ritm(bob["sys_id"])["state"], "7")
        self.assertEqual(t.workflow_state(carol["sys_id"]), "duplicate")
        self.assertIn("Duplicate of %s" % other, self.comments(t, carol["sys_id"]))
        # "VPN-Users-Contractors" does not name VPN-Users.
        self.assertEqual(t.workflow_state(oscar["sys_id"]), "awaiting-approval")
        for r in (bob, carol):
            self.assertEqual(t.approvals(r["sys_id"]), [])


if __name__ == "__main__":
    harness.main()
