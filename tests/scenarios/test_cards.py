# SPDX-License-Identifier: Apache-2.0
"""Every kind of Teams card accessd sends, captured from the real binary by
the emulator's Teams flow and checked as Teams and as a reader would take
it: valid against the project's schema of Adaptive Cards 1.4
(tests/schemas/adaptive-card-1.4.json, checked with Debian's
python3-jsonschema), at most 24 KB as sent, a button to the ticket, an
incident by its number (never its sys_id) with a button on a block card,
plain values with no Markdown escapes, and the facts each kind names. The
requester's comment on the ticket says the same facts in words."""

import copy
import datetime
import json
import os
import re
import signal
import subprocess
import time

import harness
import tenant
from tenant import card_fact, card_texts, card_title, oid, upn

try:
    import jsonschema
except ImportError:
    raise SystemExit("test_cards needs python3-jsonschema (packaging/install-deps installs it)")

with open(os.path.join(harness.SRCDIR, "tests", "schemas", "adaptive-card-1.4.json")) as f:
    SCHEMA = json.load(f)
jsonschema.Draft7Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

MAX_MESSAGE = 24 * 1024
MEMBERS_REF = "/v1.0/groups/%s/members/$ref"
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
# A Markdown escape left in a value: what clients without Markdown show.
ESCAPED = re.compile(r"\\[.\-(]")
# A ServiceNow sys_id: never what a person is given for an incident.
SYS_ID = re.compile(r"\b[0-9a-f]{32}\b")


def named(name):
    return "%s (%s)" % (name.title(), upn(name))


class Cards(tenant.TenantCase):
    # -- what every card must be ---------------------------------------------
    def card(self, t, title, req, item, count=1):
        """The one card of kind TITLE about REQ (a catalog ITEM request),
        checked for what every card must be."""
        posts = [p for p in t.posts() if card_title(p["body"]["attachments"][0]["content"]) == title]
        self.assertEqual(len(posts), count, [card_title(p["body"]["attachments"][0]["content"]) for p in t.posts()])
        post = posts[-1]
        self.assertTrue(post["shown"], "the flow could post it into the channel")
        self.assertLessEqual(post["size"], MAX_MESSAGE)
        body = post["body"]
        self.assertEqual(set(body), {"type", "attachments"})
        self.assertEqual(body["type"], "message")
        self.assertEqual(len(body["attachments"]), 1)
        attachment = body["attachments"][0]
        self.assertEqual(attachment["contentType"], "application/vnd.microsoft.card.adaptive")
        card = attachment["content"]
        errors = sorted(VALIDATOR.iter_errors(card), key=lambda e: list(e.path))
        self.assertEqual([], ["%s: %s" % (list(e.path), e.message) for e in errors])
        for text in card_texts(card):
            self.assertNotRegex(text, ESCAPED)
        # Title, then "RITM... · item", then the outcome; the action id last.
        texts = card_texts(card)
        self.assertEqual(texts[1], "%s \u00b7 %s" % (req["number"], item))
        self.assertRegex(texts[-1], r"^Action %s\.r\d+\.[a-z0-9.-]+" % req["number"])
        self.assertEqual(card["actions"][0], {
            "type": "Action.OpenUrl", "title": "Open %s" % req["number"],
            "url": "%s/sc_req_item.do?sys_id=%s" % (self.emu.url, req["sys_id"])})
        return card

    def comment(self, t, ritm, start):
        """The requester's comment that starts with START."""
        found = [c for c in t.journal_entries(ritm, "comments") if c.startswith(start)]
        self.assertEqual(len(found), 1, t.journal_entries(ritm, "comments"))
        return found[0]

    def check_block(self, t, card, ritm, correlation="block"):
        """A block card names the incident by its number, with a button."""
        incident = next(i for i in t.incidents() if i["correlation_id"].endswith("." + correlation))
        self.assertRegex(incident["number"], r"^INC\d{7}$")
        self.assertEqual(card_fact(card, "Incident"), incident["number"])
        self.assertIn({"type": "Action.OpenUrl", "title": "Open %s" % incident["number"],
                       "url": "%s/incident.do?sysparm_query=number=%s" % (self.emu.url, incident["number"])},
                      card["actions"])
        self.assertNotIn(incident["sys_id"], json.dumps(card))
        for text in card_texts(card):
            self.assertNotRegex(text, SYS_ID)
        self.assertRegex(card_fact(card, "Graph request id"), r"^[0-9a-f-]{36}$")
        words = self.comment(t, ritm, "Implementing (Blocked): ")
        self.assertIn("Incident %s is open for the IAM team." % incident["number"], words)
        self.assertNotIn(incident["sys_id"], words)
        self.assertIn(card_fact(card, "Graph request id"), words)
        return incident

    # -- the schema itself ---------------------------------------------------
    def test_the_schema_refuses_what_adaptive_cards_1_4_does_not_allow(self):
        good = {"type": "AdaptiveCard", "version": "1.4",
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "body": [{"type": "RichTextBlock", "spacing": "none", "separator": True,
                          "inlines": [{"type": "TextRun", "text": "x", "size": "large", "weight": "bolder",
                                       "color": "good", "isSubtle": True}]}],
                "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://x.example/a?b=c"}]}
        self.assertEqual(list(VALIDATOR.iter_errors(good)), [])

        def broken(change):
            card = copy.deepcopy(good)
            change(card)
            return list(VALIDATOR.iter_errors(card))

        run = lambda c: c["body"][0]["inlines"][0]  # noqa: E731
        for change in (
                lambda c: c.update(version="1.5"),
                lambda c: c.pop("version"),
                lambda c: c.update(msteams={"width": "Full"}),
                lambda c: run(c).update(color="red"),
                lambda c: run(c).update(size="Large"),
                lambda c: run(c).update(isSubtle="yes"),
                lambda c: run(c).pop("text"),
                lambda c: run(c).update(markdown=True),
                lambda c: c["body"][0].update(inlines=["plain string"]),
                lambda c: c["body"][0].update(inlines=[]),
                lambda c: c["body"][0].update(spacing="huge"),
                lambda c: c["body"].append({"type": "TextBlock", "text": "**x**"}),
                lambda c: c["body"].append({"type": "FactSet", "facts": [{"title": "a", "value": "b"}]}),
                lambda c: c["actions"][0].pop("url"),
                lambda c: c["actions"][0].pop("title"),
                lambda c: c["actions"][0].update(url="javascript:alert(1)"),
                lambda c: c["actions"][0].update(type="Action.Submit"),
        ):
            self.assertNotEqual(broken(change), [])

    # -- completion ----------------------------------------------------------
    def test_completion_card_and_comment(self):
        t = self.tenant()
        end = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).date()
        removal = "%s 00:00 UTC" % (end + datetime.timedelta(days=1))
        req = t.request("VPN Access", "bob", opened_by="mia", business_justification="Remote work",
                        end_date=end.isoformat())
        ritm = req["sys_id"]
        t.cycle()
        # Mia asked, so she cannot approve: her backup Victor decides for her.
        t.decide(ritm, "victor")
        t.cycle()
        t.decide(ritm, "sam")
        t.cycle()
        card = self.card(t, "Access granted", req, "VPN Access")
        self.assertEqual(card["body"][0]["inlines"][0]["color"], "good")
        self.assertEqual(card_texts(card)[2], "%s was granted VPN-Users." % named("bob"))
        self.assertEqual(card_fact(card, "Person"), named("bob"))
        self.assertEqual(card_fact(card, "Target"), "VPN-Users")
        self.assertEqual(card_fact(card, "Approved by"), "%s and %s" % (named("victor"), named("sam")))
        self.assertEqual(card_fact(card, "Access lasts"), "until %s as requested; removed at %s" % (end, removal))
        self.assertEqual(card_fact(card, "Requested by"), named("mia"))
        self.assertEqual(len(card["actions"]), 1)
        words = self.comment(t, ritm, "Completed: ")
        self.assertIn("Completed: %s was granted VPN-Users (VPN Access)." % named("bob"), words)
        self.assertIn("Approved by %s and %s." % (named("victor"), named("sam")), words)
        self.assertIn("Access lasts until %s, as requested: accessd removes it at %s." % (end, removal), words)

    # -- waiting, escalation, expiry -----------------------------------------
    def test_reminder_and_escalation_cards(self):
        t = self.tenant(remind="1s", escalate="3s", expire="60s")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        started = time.time()
        t.cycle()
        time.sleep(max(0.0, started + 1.2 - time.time()))
        t.cycle()
        card = self.card(t, "Approval waiting", req, "VPN Access")
        self.assertEqual(card_fact(card, "Stage"), "manager (1 of 2)")
        self.assertEqual(card_fact(card, "Waiting for"), named("mia"))
        self.assertRegex(card_fact(card, "Waiting"), r"^\d+ seconds? \(since %s\)$" % WHEN)
        self.assertRegex(card_fact(card, "Escalates"), "^%s$" % WHEN)
        self.assertRegex(card_fact(card, "Expires"), "^%s$" % WHEN)
        note = [n for n in t.journal_entries(ritm, "work_notes") if n.startswith("Reminder")][0]
        self.assertIn('stage "manager" (1 of 2) is waiting for a decision from %s for ' % named("mia"), note)
        self.assertIn("It escalates to the backup approver at %s." % card_fact(card, "Escalates"), note)
        time.sleep(max(0.0, started + 3.2 - time.time()))
        t.cycle()
        card = self.card(t, "Approval escalated", req, "VPN Access")
        self.assertEqual(card_fact(card, "Backup added"), named("victor"))
        self.assertEqual(card_fact(card, "Waiting for"), "%s and %s" % (named("mia"), named("victor")))
        self.assertRegex(card_fact(card, "Waiting"), r"^\d+ seconds? \(since %s\)$" % WHEN)
        self.assertRegex(card_fact(card, "Expires"), "^%s$" % WHEN)
        self.assertIsNone(card_fact(card, "Escalates"))

    def test_expiry_card_and_comment(self):
        t = self.tenant(escalate="1s", expire="2s")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        started = time.time()
        t.cycle()
        time.sleep(max(0.0, started + 1.2 - time.time()))
        t.cycle()
        time.sleep(max(0.0, started + 2.2 - time.time()))
        t.cycle()
        self.assertEqual(t.workflow_state(ritm), "expired")
        card = self.card(t, "Request expired", req, "VPN Access")
        self.assertEqual(card_fact(card, "Stage"), "manager (1 of 2)")
        self.assertEqual(card_fact(card, "Waited for"), "%s and %s" % (named("mia"), named("victor")))
        self.assertRegex(card_fact(card, "Waited"), r"^\d+ seconds? \(since %s\)$" % WHEN)
        self.assertRegex(card_fact(card, "Expired"), "^%s$" % WHEN)
        words = self.comment(t, ritm, "Closed: ")
        self.assertIn('stage "manager" (1 of 2) had no decision from %s and %s in ' % (named("mia"), named("victor")),
                      words)
        self.assertIn("it expired at %s." % card_fact(card, "Expired"), words)

    def test_rejection_card_and_comment(self):
        t = self.tenant()
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        ritm = req["sys_id"]
        t.cycle()
        t.decide(ritm, "mia")
        t.cycle()
        reason = "No business need (see policy 4.2) - ask again in Q3. Thanks."
        t.decide(ritm, "sam", state="rejected", comments=reason)
        t.cycle()
        card = self.card(t, "Request rejected", req, "VPN Access")
        self.assertEqual(card["body"][0]["inlines"][0]["color"], "attention")
        self.assertEqual(card_fact(card, "Rejected by"), named("sam"))
        self.assertEqual(card_fact(card, "Stage"), "security (2 of 2)")
        self.assertEqual(card_fact(card, "Reason"), reason)
        words = self.comment(t, ritm, "Rejected by ")
        self.assertTrue(words.startswith('Rejected by %s at stage "security" (2 of 2): %s' % (named("sam"), reason)))

    # -- blocks ----------------------------------------------------------------
    def forbid_vpn_users(self):
        """Graph refuses every change to VPN-Users, for good."""
        self.emu.fault(kind="status", status=403, method="POST", path=re.escape(MEMBERS_REF % tenant.GROUPS["VPN-Users"]),
                       times=0, message="Insufficient privileges to complete the operation.")

    def test_block_card_names_the_incident_by_its_number(self):
        t = self.tenant()
        req = t.approved_vpn()
        self.forbid_vpn_users()
        t.cycle()
        card = self.card(t, "Request blocked", req, "VPN Access")
        self.assertEqual(card["body"][0]["inlines"][0]["color"], "attention")
        self.check_block(t, card, req["sys_id"])
        self.assertEqual(card_fact(card, "Failed step"), "1 of 1: adding %s to VPN-Users" % named("bob"))
        self.assertEqual(card_fact(card, "Failed target"), "VPN-Users")
        self.assertIn("Insufficient privileges to complete the operation.", card_fact(card, "Error"))

    def test_rollback_card_names_the_step_that_failed(self):
        # Project-Apollo and Apollo-Wiki are granted; Legacy-Mail-List is
        # mail-enabled, which Graph refuses for good.
        t = self.tenant(partial="rollback")
        req = t.apollo()
        card = self.card(t, "Request blocked", req, "Add to Group")
        self.check_block(t, card, req["sys_id"])
        self.assertEqual(card_fact(card, "Target"), "Project-Apollo")
        self.assertEqual(card_fact(card, "Failed step"), "3 of 3: adding %s to Legacy-Mail-List" % named("bob"))
        self.assertEqual(card_fact(card, "Failed target"), "Legacy-Mail-List")
        self.assertIn("mail-enabled", card_fact(card, "Error"))
        self.assertEqual(card_fact(card, "Rolled back"), "Project-Apollo and Apollo-Wiki")
        self.assertIn("the steps granted before it were rolled back", card_texts(card)[2])

    def test_compensate_card_names_the_task(self):
        t = self.tenant(partial="compensate")
        req = t.apollo()
        card = self.card(t, "Request blocked", req, "Add to Group")
        self.check_block(t, card, req["sys_id"])
        task = next(i for i in t.incidents() if i["correlation_id"].endswith(".compensate"))
        self.assertEqual(card_fact(card, "Compensating task"), task["number"])
        self.assertEqual(card_fact(card, "Left granted"), "Project-Apollo and Apollo-Wiki")
        self.assertIn({"type": "Action.OpenUrl", "title": "Open task %s" % task["number"],
                       "url": "%s/incident.do?sysparm_query=number=%s" % (self.emu.url, task["number"])},
                      card["actions"])
        outcome = card_texts(card)[2]
        self.assertNotIn("stopped", outcome)
        self.assertIn("stay, and compensating task %s decides" % task["number"], outcome)
        words = self.comment(t, req["sys_id"], "Implementing (Blocked): ")
        self.assertIn("Left granted: Project-Apollo and Apollo-Wiki.", words)
        self.assertIn(task["number"], words)

    def test_block_card_when_nobody_can_approve(self):
        # The manager and the stage's backup are both away.
        t = self.tenant(away=("mia", "victor"))
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        t.cycle()
        card = self.card(t, "Request blocked", req, "VPN Access")
        incident = t.incidents()[0]
        self.assertEqual(card_fact(card, "Incident"), incident["number"])
        self.assertNotIn(incident["sys_id"], json.dumps(card))
        self.assertIn("away, disabled, gone or the requester", card_fact(card, "Failed step"))
        self.assertIsNone(card_fact(card, "Failed target"))
        self.assertIn("nobody can approve a stage", card_texts(card)[2])
        self.assertIn("Incident %s is open for the IAM team." % incident["number"],
                      self.comment(t, req["sys_id"], "Implementing (Blocked): "))

    def test_block_card_from_the_daemon(self):
        t = self.tenant()
        req = t.approved_vpn()
        self.forbid_vpn_users()
        proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not t.cards("Request blocked") and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.5)  # a few more polls: nothing is sent twice
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        harness.check_sanitizers(err)
        self.assertEqual(proc.returncode, 0, err)
        card = self.card(t, "Request blocked", req, "VPN Access")
        self.check_block(t, card, req["sys_id"])

    # -- which kinds, and hostile text -----------------------------------------
    def test_notify_events_choose_the_kinds_sent(self):
        t = self.tenant(notify_events=("blocked", "rejected"))
        done = t.approved_vpn("carol")
        t.cycle()
        self.assertEqual(t.workflow_state(done["sys_id"]), "completed")
        self.assertEqual(t.posts(), [], "no card for a kind notify.events leaves out")
        self.assertNotIn("notification_sent", t.audit("show", done["number"]).stdout)
        self.assertTrue(self.comment(t, done["sys_id"], "Completed: "), "the ticket is told all the same")
        req = t.request("VPN Access", "bob", business_justification="Remote work")
        t.cycle()
        t.decide(req["sys_id"], "mia", state="rejected", comments="No.")
        t.cycle()
        self.card(t, "Request rejected", req, "VPN Access")
        self.assertIn("notification_sent", t.audit("show", req["number"]).stdout)

    def test_hostile_names_stay_plain_whole_and_small(self):
        hostile = '"%s **bold** [x](https://evil.example) <at>x</at> 1. - (v2)' % ('"' * 400)
        # A name holding a control character is not shown: the UPN names her.
        t = self.tenant(names={"bob": "Bob " + hostile, "mia": "Mia " + hostile, "sam": "Sam " + hostile,
                               "carol": "Carol\n[evil](https://evil.example)"})
        req = t.approved_vpn()
        ritm = req["sys_id"]
        t.cycle()
        card = self.card(t, "Access granted", req, "VPN Access")
        self.assertEqual(card_fact(card, "Person"), "Bob %s (%s)" % (hostile, upn("bob")))
        # Two long names do not fit the list: the first whole, then a count.
        self.assertEqual(card_fact(card, "Approved by"), "Mia %s (%s) and 1 more" % (hostile, upn("mia")))
        self.assertEqual(len(card["actions"]), 1)
        words = self.comment(t, ritm, "Completed: ")
        self.assertIn("Approved by Mia %s (%s) and 1 more." % (hostile, upn("mia")), words)
        other = t.approved_vpn("carol")
        t.cycle()
        card = self.card(t, "Access granted", other, "VPN Access", count=2)
        self.assertEqual(card_fact(card, "Person"), upn("carol"))

if __name__ == "__main__":
    harness.main()
