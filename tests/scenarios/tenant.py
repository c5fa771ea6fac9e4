# SPDX-License-Identifier: Apache-2.0
"""A small tenant for the workflow scenarios and the demo: people and
groups in Entra (the Graph emulator), the same people, catalog items and
request items in ServiceNow, a Teams flow, and an accessd configuration
that governs them with short (seconds) escalation times.

People are mapped between the two by e-mail (user_attribute = "email"),
which is also their userPrincipalName.
"""

import contextlib
import json
import os
import signal
import subprocess
import time
import unittest

import harness

TENANT = "b4dbfff9-4097-4dfd-8988-c823b329885b"
CLIENT_ID = "5d0b9a1e-8c47-4f2a-b6e3-2f1c7d9a4e80"
CLIENT_SECRET = "Gr4ph-cl1ent-s3cret!"
FLOW = "a1b2c3d4e5f6"
FLOW_SIG = "s1gn4tur3-of-the-flow"

# name: (object id, employeeType, manager)
PEOPLE = {
    "alice": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a01", "Contractor", "mia"),   # contractor
    "bob": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a02", "Employee", "mia"),
    "carol": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a03", "Employee", "mia"),
    "mia": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a04", "Employee", None),       # manager of the above
    "victor": ("d420265c-e4c3-405f-8f92-f5fb6894fdbd", "Employee", None),    # VPN owner, manager backup
    "sam": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a05", "Employee", None),       # security team
    "sid": ("e0ab2f8d-e8d3-423d-9602-0f53c5f6e5da", "Employee", None),       # security backup
    "olivia": ("7cf9fc67-6d20-49c2-ad63-81a962c05601", "Employee", None),    # mailbox owner
    "oscar": ("7d8f20a6-4e83-4e5b-84b2-d98ee9dd93e3", "Employee", None),     # mailbox backup owner
    "eve": ("0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a06", "Employee", None),       # nobody's approver
}

GROUPS = {
    "VPN-Users": "70940853-3a35-40c8-aef5-a5aced4a31fc",
    "VPN-Users-Contractors": "7800b657-0b95-4283-8209-652cebccdcd0",
    "Finance-Mailbox-Access": "b0a42d18-699f-4f11-89b2-6a7f971a081d",
    "Project-Apollo": "7a40380c-efd3-4ae0-bd14-d8264f03b321",
    "Apollo-Wiki": "5c1f0e7a-2b3d-4c5e-9f60-7a8b9c0d1e2f",
    "Server-Admins": "1ada63b6-44c6-442a-b397-d7ec8c7e4380",
    "Security-Team": "c04ae1be-6a78-47ef-b99e-6777171d5de0",
    "Legacy-Mail-List": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
    "Service-Desk": "5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e",
}

# The departments the directory gives (Graph's department, read only when a
# rule asks for it).
DEPARTMENTS = {"alice": "Finance", "bob": "Finance", "carol": "IT", "mia": "Finance", "sam": "Security"}

ITEMS = ["VPN Access", "Shared Mailbox Access", "Add to Group", "Application Access", "Laptop Request"]

# The Expenses application's service principal and its "Approver" app role.
EXPENSES_SP = "bd69c59e-3a2f-4f0f-9553-21a154aed9f4"
EXPENSES_ROLE = "fcbf36d5-13f5-4118-a1ce-a49940e208f1"


def upn(name):
    return "%s@contoso.example" % name


def oid(name):
    return PEOPLE[name][0]


def snow_id(name):
    return "%032x" % (0x5e0000 + sorted(PEOPLE).index(name))


def graph_user(name, away=(), **props):
    """NAME as Graph holds them; PROPS add or replace properties (e.g.
    employeeLeaveDateTime="2024-06-30T23:59:59Z")."""
    uid, etype, manager = PEOPLE[name]
    u = {"id": uid, "userPrincipalName": upn(name), "mail": upn(name), "accountEnabled": True,
         "userType": "Member", "employeeType": etype, "displayName": name.title(),
         "mailbox": {"status": "alwaysEnabled" if name in away else "disabled"}}
    if manager:
        u["manager"] = oid(manager)
    if name in DEPARTMENTS:
        u["department"] = DEPARTMENTS[name]
    u.update(props)
    return u


# The first members of a few groups: the security team, the service desk.
MEMBERS = {"Security-Team": ["sam"], "Service-Desk": ["eve"]}


def graph_seed(away=(), names=None):
    """NAMES: display names to use instead of the people's own, by name."""
    users = [graph_user(name, away, **({"displayName": names[name]} if name in (names or {}) else {}))
             for name in PEOPLE]
    groups = [{"id": gid, "displayName": name, "mailEnabled": name == "Legacy-Mail-List",
               "securityEnabled": True, "owners": [oid("victor")],
               "members": [oid(m) for m in MEMBERS.get(name, [])]}
              for name, gid in GROUPS.items()]
    sps = [{"id": EXPENSES_SP, "appId": "2b6f0c5e-8d3a-4f1b-9c7e-5a4d3c2b1a09", "displayName": "Expenses",
            "appRoles": [{"id": EXPENSES_ROLE, "value": "Approver"}]}]
    return {"clients": {CLIENT_ID: CLIENT_SECRET}, "users": users, "groups": groups, "servicePrincipals": sps}


def snow_seed():
    seed, items = harness.servicenow_seed(ITEMS)
    seed["sys_user"] = [{"sys_id": snow_id(n), "user_name": n, "email": upn(n), "name": n.title()} for n in PEOPLE]
    return seed, items


def config(emu, state_dir, password_file, secret_file, webhook_file, approvals="create", partial="rollback",
           escalate="2s", expire="30s", max_attempts=3, backoff="0s", remind=None,
           app_approvers=("target_owner",), app_quorum="any", rules=None, requesters=None,
           manager_as_sponsor=False, app_sponsor=True, app_verification=False, notify_events=None,
           metrics_file=None):
    """NOTIFY_EVENTS: the kinds of card sent (notify.events; None: the
    default, all). METRICS_FILE: the daemon's metrics_file, or None.
    RULES: policy rules to add, by where they go: "mailbox_manager" (a
    manager stage with these auto_approve_when before the mailbox owner),
    "group_manager" (the Add to Group manager stage's auto_approve_when),
    "security" (settings added to the policy's security stage), "vpn_reject"
    (the VPN item's auto_reject_when)."""
    rules = rules or {}
    mailbox_manager = ""
    if "mailbox_manager" in rules:
        mailbox_manager = """
        { name = "manager"; approvers = ( "manager" ); backup = ( "user:%s" );
          escalate_after = "%s"; expire_after = "%s";
          auto_approve_when = %s; },""" % (oid("victor"), escalate, expire, rules["mailbox_manager"])
    return """daemon = {
  state_directory = "%(state)s";
  poll_interval = "1s";
  log_level = "debug";%(metrics)s
};
itsm = {
  kind = "servicenow";
  base_url = "%(url)s";
  user_attribute = "email";
  poll_overlap = "5s";
  auth = { method = "basic"; username = "%(snow_user)s"; password_file = "%(password)s"; };
};
directory = {
  kind = "entra";
  base_url = "%(url)s/v1.0";
  tenant_id = "%(tenant)s";
  auth = {
    method = "client_credentials";
    client_id = "%(client)s";
    client_secret_file = "%(secret)s";
    token_url = "%(url)s/%(tenant)s/oauth2/v2.0/token";
  };
};
notify = { kind = "teams"; webhook_url_file = "%(webhook)s";%(events)s };
retry = { max_attempts = %(attempts)d; initial_backoff = "%(backoff)s"; max_backoff = "1s"; budget = "5s"; };
policy = {
  approvals = "%(approvals)s";
  partial_failure = "%(partial)s";
  incident = { assignment_group = "IAM Operations"; };
  contractors = {
    match = ( { attribute = "employeeType"; values = ( "Contractor" ); } );
    max_duration = "90d";
    end_date_required = true;
    sponsor_required = true;%(manager_as_sponsor)s
  };%(requesters)s
  targets = (
    { name = "VPN-Users"; kind = "group"; group_id = "%(vpn)s"; owner = "%(victor)s"; },
    { name = "VPN-Users-Contractors"; kind = "group"; group_id = "%(vpnc)s"; owner = "%(victor)s"; },
    { name = "Finance Shared Mailbox"; kind = "mailbox"; mailbox = "finance@contoso.example";
      group_id = "%(mailbox)s"; owner = "%(olivia)s"; backup_owner = "%(oscar)s"; },
    { name = "Project-Apollo"; kind = "group"; group_id = "%(apollo)s"; owner = "%(victor)s";
      also = ( "Apollo-Wiki", "Legacy-Mail-List" ); },
    { name = "Apollo-Wiki"; kind = "group"; group_id = "%(wiki)s"; owner = "%(victor)s"; },
    { name = "Legacy-Mail-List"; kind = "group"; group_id = "%(legacy)s"; owner = "%(victor)s"; },
    { name = "Server-Admins"; kind = "group"; class = "privileged"; group_id = "%(admins)s";
      owner = "%(victor)s"; },
    { name = "Expenses Approver"; kind = "app_role"; resource_id = "%(sp)s"; app_role_id = "%(role)s";
      owner = "%(olivia)s"; }
  );
  privileged_stages = (
    { name = "security"; approvers = ( "group:%(security)s" ); backup = ( "user:%(sid)s" );
      escalate_after = "%(escalate)s"; expire_after = "%(expire)s";%(security_rule)s }
  );
  items = (
    { name = "VPN Access";
      allow = ( "VPN-Users", "VPN-Users-Contractors" );
      target = "VPN-Users";
      contractor_target = "VPN-Users-Contractors";
      variables = { justification = "business_justification"; end_date = "end_date"; sponsor = "sponsor"; };
      max_duration = "365d";%(vpn_reject)s
      stages = (
        { name = "manager"; approvers = ( "manager" ); backup = ( "user:%(victor)s" );%(remind)s
          escalate_after = "%(escalate)s"; expire_after = "%(expire)s"; },
        { name = "security"; approvers = ( "group:%(security)s" ); backup = ( "user:%(sid)s" );
          escalate_after = "%(escalate)s"; expire_after = "%(expire)s"; }
      ); },
    { name = "Shared Mailbox Access";
      allow = ( "Finance Shared Mailbox" );
      variables = { target = "mailbox"; justification = "business_justification"; start_date = "start_date";
                    duration = "duration"; sponsor = "sponsor"; };
      time_bound = true;
      max_duration = "90d";
      stages = (%(mailbox_manager)s
        { name = "mailbox owner"; approvers = ( "target_owner" ); backup = ( "backup_owner" );
          escalate_after = "%(escalate)s"; expire_after = "%(expire)s"; }
      ); },
    { name = "Add to Group";
      allow = ( "Project-Apollo", "Server-Admins" );
      variables = { target = "group"; justification = "business_justification"; end_date = "end_date";
                    sponsor = "sponsor"; };
      stages = (
        { name = "manager"; approvers = ( "manager" ); backup = ( "user:%(victor)s" );
          escalate_after = "%(escalate)s"; expire_after = "%(expire)s";%(group_manager_rule)s }
      ); },
    { name = "Application Access";
      allow = ( "Expenses Approver" );
      target = "Expenses Approver";
      variables = { justification = "business_justification"; end_date = "end_date";%(app_sponsor)s };%(app_verification)s
      stages = (
        { name = "application owner"; approvers = ( %(app_approvers)s ); quorum = "%(app_quorum)s";%(remind)s
          expire_after = "%(expire)s"; }
      ); }
  );
};
""" % {"state": state_dir, "url": emu.url, "snow_user": harness.SNOW_USER, "password": password_file,
       "tenant": TENANT, "client": CLIENT_ID, "secret": secret_file, "webhook": webhook_file,
       "attempts": max_attempts, "backoff": backoff, "approvals": approvals, "partial": partial,
       "vpn": GROUPS["VPN-Users"], "vpnc": GROUPS["VPN-Users-Contractors"],
       "mailbox": GROUPS["Finance-Mailbox-Access"], "apollo": GROUPS["Project-Apollo"],
       "wiki": GROUPS["Apollo-Wiki"], "legacy": GROUPS["Legacy-Mail-List"],
       "admins": GROUPS["Server-Admins"], "sp": EXPENSES_SP, "role": EXPENSES_ROLE, "security": GROUPS["Security-Team"], "victor": oid("victor"),
       "olivia": oid("olivia"), "oscar": oid("oscar"), "sid": oid("sid"), "escalate": escalate,
       "expire": expire, "remind": ' remind_after = "%s";' % remind if remind else "",
       "app_approvers": ", ".join('"%s"' % a for a in app_approvers), "app_quorum": app_quorum,
       "metrics": '\n  metrics_file = "%s";' % metrics_file if metrics_file else "",
       "requesters": "\n  requesters = ( %s );" % ", ".join('"%s"' % r for r in requesters) if requesters else "",
       "manager_as_sponsor": "\n    manager_as_sponsor = true;" if manager_as_sponsor else "",
       "app_sponsor": ' sponsor = "sponsor";' if app_sponsor else "",
       "app_verification": '\n      verification = { variable = "verified_by"; group = "%s"; };'
                           % GROUPS["Service-Desk"] if app_verification else "",
       "mailbox_manager": mailbox_manager,
       "events": "" if notify_events is None else " events = ( %s );" % ", ".join('"%s"' % e for e in notify_events),
       "group_manager_rule": " auto_approve_when = %s;" % rules["group_manager"] if "group_manager" in rules else "",
       "security_rule": " " + rules["security"] if "security" in rules else "",
       "vpn_reject": "\n      auto_reject_when = %s;" % rules["vpn_reject"] if "vpn_reject" in rules else ""}


class Tenant:
    """The emulator seeded with the tenant, and an agent configured for it."""

    def __init__(self, emu, away=(), names=None, **conf):
        self.emu = emu
        emu.seed({"graph": graph_seed(away, names), "teams": {"flows": {FLOW: FLOW_SIG}}})
        self.agent = harness.Agent(emu)
        self.dir = self.agent.dir
        self.seed_itsm()
        secret = self.agent.write_secret("graph.secret", CLIENT_SECRET)
        webhook = self.agent.write_secret(
            "teams.url", "%s/workflows/%s/triggers/manual/paths/invoke?api-version=1&sp=%%2Ftriggers%%2Fmanual"
            "%%2Frun&sv=1.0&sig=%s" % (emu.url, FLOW, FLOW_SIG))
        self.agent_conf = dict(conf)
        with open(self.agent.config, "w") as f:
            f.write(self.configure(config(emu, self.agent.state_dir, self.agent.password_file, secret, webhook,
                                          **conf)))
        self.n_options = 0
        # What must never reach the agent's log.
        self.secrets = (harness.SNOW_PASSWORD, CLIENT_SECRET, FLOW_SIG)

    def cleanup(self):
        self.agent.cleanup()

    # What another ITSM's tenant (a subclass) replaces.
    def seed_itsm(self):
        """Seed the ITSM with the tenant's people and catalog; the agent's
        password file holds its password."""
        seed, self.items = snow_seed()
        self.emu.seed({"servicenow": seed})

    def configure(self, text):
        """The agent's configuration TEXT (ServiceNow's), made this
        tenant's ITSM's."""
        return text

    # -- ServiceNow ----------------------------------------------------------
    def request(self, item, requested_for, opened_by=None, **variables):
        """A new request item with catalog VARIABLES; returns its record."""
        ritm = {"cat_item": self.items[item], "requested_for": snow_id(requested_for),
                "opened_by": snow_id(opened_by or requested_for), "state": "1", "active": "true",
                "short_description": "%s for %s" % (item, requested_for)}
        self.emu.seed({"servicenow": {"sc_req_item": [ritm]}})
        rec = [r for r in self.emu.state("servicenow")["tables"]["sc_req_item"]][-1]
        self.set_variables(rec["sys_id"], **variables)
        rec["id"] = rec["sys_id"]
        return rec

    def set_variables(self, ritm, **variables):
        tables = self.emu.state("servicenow")["tables"]
        defs = {d["name"]: d["sys_id"] for d in tables.get("item_option_new", [])}
        mtom = [m for m in tables.get("sc_item_option_mtom", []) if m["request_item"] == ritm]
        existing = {}
        for m in mtom:
            opt = next(o for o in tables["sc_item_option"] if o["sys_id"] == m["sc_item_option"])
            existing[opt["item_option_new"]] = opt["sys_id"]
        for name, value in variables.items():
            if name not in defs:
                defs[name] = "%032x" % (0xdef000 + len(defs))
                self.emu.seed({"servicenow": {"item_option_new": [{"sys_id": defs[name], "name": name}]}})
            if defs[name] in existing:
                self.emu.seed({"servicenow": {"sc_item_option": [{"sys_id": existing[defs[name]], "value": value}]}})
                continue
            self.n_options += 1
            opt = "%032x" % (0x0971000000 + self.n_options + int(ritm[:8], 16) % 0x10000 * 0x1000)
            self.emu.seed({"servicenow": {
                "sc_item_option": [{"sys_id": opt, "item_option_new": defs[name], "value": value}],
                "sc_item_option_mtom": [{"request_item": ritm, "sc_item_option": opt}]}})
        # The edit shows in the item's update time, as on an instance.
        self.emu.seed({"servicenow": {"sc_req_item": [{"sys_id": ritm, "sys_updated_on": harness_now()}]}})

    def close(self, ritm, state="4"):
        """The service desk closes RITM by hand (4 Closed Incomplete)."""
        self.emu.seed({"servicenow": {"sc_req_item": [{"sys_id": ritm, "state": state, "active": "false",
                                                      "sys_updated_on": harness_now()}]}})

    def approved_vpn(self, person="bob", **variables):
        """A VPN request for PERSON (catalog VARIABLES besides the
        justification), approved by both stages (mia, sam) but not yet
        executed."""
        req = self.request("VPN Access", person, business_justification="Remote work", **variables)
        self.cycle()
        self.decide(req["id"], "mia")
        self.cycle()
        self.decide(req["id"], "sam")
        return req

    def apollo(self):
        """bob's Add to Group request for Project-Apollo (with its also,
        Apollo-Wiki and Legacy-Mail-List, which Graph refuses), approved and
        carried out as far as it goes."""
        req = self.request("Add to Group", "bob", group="Project-Apollo", business_justification="Joining Apollo")
        self.cycle()
        self.decide(req["id"], "mia")
        self.cycle()
        return req

    def approvals(self, ritm):
        return [a for a in self.emu.state("servicenow")["tables"].get("sysapproval_approver", [])
                if a.get("sysapproval") == ritm]

    def decide(self, ritm, who, state="approved", comments=None, by=None):
        """WHO decides their approval record of RITM (one is made when they
        have none, as an outsider's would be), in the UI as themselves: the
        record's sys_updated_by is their user_name. BY: someone else (a
        user_name, or "system" for a flow) writes it on WHO's record."""
        mine = [a for a in self.approvals(ritm) if a["approver"] == snow_id(who) and a["state"] != "cancelled"]
        rec = {"state": state, "sys_updated_by": by or who}
        if comments:
            rec["comments"] = comments
        if mine:
            rec["sys_id"] = mine[-1]["sys_id"]
        else:
            rec.update({"sysapproval": ritm, "document_id": ritm, "source_table": "sc_req_item",
                        "approver": snow_id(who)})
        self.emu.seed({"servicenow": {"sysapproval_approver": [rec]}})

    def journal_entries(self, ritm, element):
        return [j["value"] for j in self.emu.state("servicenow")["tables"].get("sys_journal_field", [])
                if j.get("element_id") == ritm and j.get("element") == element]

    # What the demo (tests/demo.py) reads of any ITSM's tenant.
    def work_notes(self, ritm):
        return self.journal_entries(ritm, "work_notes")

    def approver_names(self, ritm):
        names = {snow_id(n): n for n in PEOPLE}
        return sorted(names[a["approver"]] for a in self.approvals(ritm))

    def attachment_list(self, ritm):
        return [(a["file_name"], int(a["size_bytes"])) for a in self.attachments(ritm)]

    def ritm(self, sys_id):
        return next(r for r in self.emu.state("servicenow")["tables"]["sc_req_item"] if r["sys_id"] == sys_id)

    def attachments(self, ritm):
        return [a for a in self.emu.state("servicenow")["tables"].get("sys_attachment", [])
                if a.get("table_sys_id") == ritm]

    def incidents(self):
        return self.emu.state("servicenow")["tables"].get("incident", [])

    def set_user(self, name, **props):
        """Change NAME's directory record: PROPS as Graph names them."""
        self.emu.seed({"graph": {"users": [graph_user(name, **props)]}})

    # -- Graph and Teams ------------------------------------------------------
    def members(self, group):
        gid = GROUPS[group].lower()
        return sorted(m["member"] for m in self.emu.state("graph")["memberships"] if m["group"] == gid)

    def assignments(self):
        return [(a["principalId"], a["appRoleId"]) for a in self.emu.state("graph")["appRoleAssignments"]]

    def outcomes(self, suffix):
        """The results journaled for the actions whose id ends in SUFFIX."""
        return [r["payload"]["outcome"]["result"] for r in self.journal()
                if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(suffix)]

    def posts(self):
        return self.emu.state("teams")["posts"]

    def cards(self, title=None):
        """The Adaptive Cards the flow was sent, in order; TITLE ("Access
        granted", ...) keeps those of one kind."""
        cards = [p["body"]["attachments"][0]["content"] for p in self.posts()]
        return [c for c in cards if title is None or card_title(c) == title]

    # -- the agent -------------------------------------------------------------
    def cycle(self, check=True):
        proc = self.agent.run("--once")
        if check and proc.returncode != 0:
            raise AssertionError("accessd --once exited %d:\n%s" % (proc.returncode, proc.stderr))
        for secret in self.secrets:
            if secret in proc.stderr:
                raise AssertionError("a secret reached the agent's log")
        return proc

    @contextlib.contextmanager
    def daemon(self):
        """accessd running as the service does (no --once, a cycle every
        second) while the block runs; then stopped with SIGTERM, which it
        must obey cleanly."""
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        path = os.path.join(self.dir, "daemon.stderr")
        with open(path, "w") as err:
            proc = subprocess.Popen([harness.ACCESSD, "-c", self.agent.config], env=env, stdout=subprocess.DEVNULL,
                                    stderr=err)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
            with open(path) as f:
                log = f.read()
            harness.check_sanitizers(log)
            for secret in self.secrets:
                if secret in log:
                    raise AssertionError("a secret reached the daemon's log")
            if code != 0:
                raise AssertionError("the daemon exited %d:\n%s" % (code, log))

    def wait_for(self, predicate, what, timeout=30):
        """Wait until PREDICATE() is true (the daemon works meanwhile)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.2)

    def journal(self):
        path = os.path.join(self.agent.state_dir, "journal")
        if not os.path.exists(path):
            return []  # a daemon just started has not made it yet
        proc = harness.run_binary(harness.ACCESSCTL, "journal", "dump", path)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]

    def audit(self, *args):
        """accessctl audit ARGS on the agent's audit file."""
        return harness.run_binary(harness.ACCESSCTL, "audit", *args, os.path.join(self.agent.state_dir, "audit.log"))

    def workflow_state(self, ritm):
        state = None
        for rec in self.journal():
            if rec["type"] == "REQUEST" and rec["payload"]["id"] == ritm and "state" in rec["payload"]:
                state = rec["payload"]["state"]
        return state


def card_title(card):
    """The card's first line: its title."""
    return card["body"][0]["inlines"][0]["text"]


def card_fact(card, label):
    """The value of the card's fact LABEL, or None."""
    for block in card["body"]:
        runs = block.get("inlines", [])
        if len(runs) == 2 and runs[0]["text"] == label + ": ":
            return runs[1]["text"]
    return None


def card_texts(card):
    """Every text the card shows, in order."""
    return [run["text"] for block in card["body"] for run in block.get("inlines", [])]


def harness_now():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


class TenantCase(unittest.TestCase):
    """A test with a fresh emulator, stopped however the test ends, and
    tenants (agent configurations) on it."""

    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)

    def tenant(self, **kw):
        t = Tenant(self.emu, **kw)
        self.addCleanup(t.cleanup)
        return t

    def adds(self, group):
        """The requests that added a member to GROUP (a name of GROUPS)."""
        return [r for r in self.emu.requests()
                if r["method"] == "POST" and r["path"] == "/v1.0/groups/%s/members/$ref" % GROUPS[group]]

    @staticmethod
    def outcomes(t, suffix):
        """The results journaled for the actions of T whose id ends in SUFFIX."""
        return [r["payload"]["outcome"]["result"] for r in t.journal()
                if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(suffix)]

    def kill_between(self, t, suffix, called):
        """Run one cycle of T and kill -9 it once the intent of the action
        ending in SUFFIX is journaled and CALLED() says its call is under
        way (a hang fault holds it), before its outcome."""
        self.emu.clear_requests()
        proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config, "--once"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while True:
            intents = [r for r in t.journal() if r["type"] == "INTENT" and r["payload"]["action"].endswith(suffix)]
            if intents or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(intents, "the intent was journaled before the call")
        while not called():
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        self.assertEqual([r for r in t.journal() if r["type"] == "OUTCOME" and r["payload"]["action"].endswith(suffix)],
                         [], "killed between intent and outcome")
