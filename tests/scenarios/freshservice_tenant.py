# SPDX-License-Identifier: Apache-2.0
"""The scenario tenant in Freshservice shape: the people of tenant.py as
Freshservice users (mapped to Entra by e-mail, which is also their UPN),
the catalog items as service items whose custom fields are the request
variables, the accessd integration's API key and agent, a second workspace,
custom statuses for the neutral phases, and the seed's two demo cases as
service requests. The Entra side is tenant.graph_seed(); nothing of it is
repeated here.

Tenant is tenant.Tenant with Freshservice as the ITSM: the same policy,
Graph and Teams, an agent configured with the API key, and the methods the
demo (tests/demo.py) and the scenarios read a ticket through.
"""

import re
import time

import tenant

API_KEY = "fs-4pi-k3y-for-accessd"
AGENT_ID = 21000418000          # the agent the API key belongs to ("accessd")
USER_BASE = 21000418100         # Freshservice user ids are larger than 2^31
WORKSPACES = [{"id": 2, "name": "IT", "primary": True}, {"id": 3, "name": "HR", "primary": False}]
# People who are agents in Freshservice (the security team); the others are requesters.
AGENTS = ("sam", "sid")
# Custom statuses for the neutral phases that 2 Open, 3 Pending, 4 Resolved
# and 5 Closed do not name.
STATUSES = [{"id": 6, "name": "Awaiting Approval"}, {"id": 7, "name": "Implementing"},
            {"id": 8, "name": "Implementing (Blocked)"}]

# Catalog item name -> display id, and each item's form (custom fields).
ITEMS = {name: i + 1 for i, name in enumerate(tenant.ITEMS)}
FORMS = {
    "VPN Access": ("business_justification", "end_date", "sponsor"),
    "Shared Mailbox Access": ("mailbox", "business_justification", "start_date", "duration", "sponsor"),
    "Add to Group": ("group", "business_justification", "end_date", "sponsor"),
    "Application Access": ("business_justification", "end_date", "sponsor"),
    "Laptop Request": ("model",),
}

upn = tenant.upn


def user_id(name):
    return USER_BASE + sorted(tenant.PEOPLE).index(name)


def base_seed():
    """Users, workspaces, service items, statuses and the API key."""
    people = {"agents": [{"id": AGENT_ID, "first_name": "accessd", "last_name": "integration",
                          "email": "accessd@contoso.example", "active": True}],
              "requesters": []}
    for name, (_, _, manager) in tenant.PEOPLE.items():
        rec = {"id": user_id(name), "first_name": name.title(), "last_name": "Contoso", "active": True,
               "reporting_manager_id": user_id(manager) if manager else None}
        if name in AGENTS:
            people["agents"].append(dict(rec, email=upn(name)))
        else:
            people["requesters"].append(dict(rec, primary_email=upn(name)))
    items = []
    for name, display in ITEMS.items():
        fields = [{"name": f, "label": f.replace("_", " ").capitalize(), "field_type": "custom_text",
                   "required": f == "business_justification"} for f in FORMS[name]]
        items.append({"display_id": display, "name": name, "workspace_id": 2, "custom_fields": fields})
    return dict(people, api_keys={API_KEY: AGENT_ID}, workspaces=WORKSPACES, service_items=items,
                statuses=STATUSES)


def service_request(item, requested_for, requester=None, **variables):
    """A service request for ITEM (by name) placed by REQUESTER for
    REQUESTED_FOR with the form's VARIABLES, as a seed record."""
    return {"type": "Service Request", "status": 2, "requester_id": user_id(requester or requested_for),
            "requested_for_id": user_id(requested_for), "workspace_id": 2,
            "subject": "Request for %s : %s" % (requested_for.title(), item),
            "requested_items": [{"service_item_id": ITEMS[item], "custom_fields": dict(variables)}]}


def demo_requests(start=None):
    """The seed's two cases: contractor alice asks for VPN access until
    2027-01-31 with bob as sponsor (her manager mia is out of office: seed
    Graph with tenant.graph_seed(away=("mia",))); carol asks for the Finance
    shared mailbox for 12 seconds from START ("YYYY-MM-DD HH:MM:SS" UTC,
    default now)."""
    start = start or time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return {"tickets": [
        service_request("VPN Access", "alice", business_justification="On-site support contract",
                        end_date="2027-01-31", sponsor=upn("bob")),
        service_request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                        mailbox="Finance Shared Mailbox", start_date=start, duration="12s"),
    ]}


# The itsm group of the scenarios' configuration: the emulator's account,
# the custom statuses for implementing and blocked, incidents raised as
# the integration's agent.
ITSM = """itsm = {
  kind = "freshservice";
  base_url = "%(url)s";
  poll_overlap = "5s";
  auth = { method = "api_key"; api_key_file = "%(key)s"; };
  statuses = { implementing = 7; blocked = 8; };
  incident = { requester = "accessd@contoso.example"; };%(extra)s
};
"""

MARK = re.compile(r"\s*\[accessd [A-Za-z0-9._:-]+\]\s*$")


class Tenant(tenant.Tenant):
    """The emulator seeded with the tenant in Freshservice shape, and an
    agent configured for it. ITSM_EXTRA: more settings of the itsm group."""

    def __init__(self, emu, away=(), itsm_extra="", **conf):
        self.itsm_extra = itsm_extra
        super().__init__(emu, away=away, **conf)
        self.secrets += (API_KEY,)

    def seed_itsm(self):
        self.emu.seed({"freshservice": base_seed()})
        self.key_file = self.agent.write_secret("freshservice.key", API_KEY)

    def configure(self, text):
        itsm = ITSM % {"url": self.emu.url, "key": self.key_file,
                       "extra": "\n" + self.itsm_extra if self.itsm_extra else ""}
        return re.sub(r"itsm = \{.*?\n\};\n", lambda m: itsm, text, count=1, flags=re.S)

    # -- Freshservice ---------------------------------------------------------
    def request(self, item, requested_for, requester=None, **variables):
        """A new service request for ITEM with the form's VARIABLES; returns
        {"id", "number"} as accessd names it."""
        self.emu.seed({"freshservice": {"tickets": [service_request(item, requested_for, requester, **variables)]}})
        tid = max(t["id"] for t in self.emu.state("freshservice")["tickets"])
        return {"id": str(tid), "number": "SR-%d" % tid}

    def ticket(self, tid):
        return next(t for t in self.emu.state("freshservice")["tickets"] if t["id"] == int(tid))

    def edit(self, tid, **variables):
        """The requester changes the form's VARIABLES, as an edit in the UI."""
        t = self.ticket(tid)
        item = t["requested_items"][0]
        self.emu.seed({"freshservice": {"tickets": [{"id": t["id"], "requested_items": [
            {"id": item["id"], "custom_fields": dict(variables)}]}]}})

    def close(self, tid, status=5):
        """The service desk closes the ticket by hand."""
        self.emu.seed({"freshservice": {"tickets": [{"id": int(tid), "status": status}]}})

    def approvals(self, tid):
        return self.ticket(tid)["approvals"]

    def decide(self, tid, who, status="approved", remark=None, delegatee=None):
        """WHO decides their approval of the ticket (one is made when they
        have none, as an outsider's would be); DELEGATEE: someone standing
        in for them decides it."""
        code = {"approved": 1, "rejected": 2}[status]
        mine = [a for a in self.approvals(tid) if a["approver_id"] == user_id(who) and a["status"] != 3]
        rec = {"status": code, "latest_remark": remark}
        if delegatee:
            rec["delegatee"] = {"id": user_id(delegatee), "name": delegatee.title()}
        if mine:
            rec["id"] = mine[-1]["id"]
        else:
            rec.update({"ticket_id": int(tid), "approver_id": user_id(who)})
        self.emu.seed({"freshservice": {"approvals": [rec]}})

    def conversations(self, tid, private):
        return [c for c in self.ticket(tid)["conversations"] if c["private"] == private]

    # What the demo (tests/demo.py) reads of any ITSM's tenant.
    def work_notes(self, tid):
        return [MARK.sub("", c["body_text"]) for c in self.conversations(tid, True) if not c["attachments"]]

    def replies(self, tid):
        return [MARK.sub("", c["body_text"]) for c in self.conversations(tid, False)]

    def approver_names(self, tid):
        names = {user_id(n): n for n in tenant.PEOPLE}
        return sorted(names[a["approver_id"]] for a in self.approvals(tid))

    def attachment_list(self, tid):
        return [(a["name"], a["size"]) for c in self.ticket(tid)["conversations"] for a in c["attachments"]]

    def incidents(self):
        return [t for t in self.emu.state("freshservice")["tickets"] if t["type"] == "Incident"]

    def reminders(self):
        return self.emu.state("freshservice")["reminders"]


class TenantCase(tenant.TenantCase):
    """tenant.TenantCase with the tenant in Freshservice."""

    def tenant(self, **kw):
        t = Tenant(self.emu, **kw)
        self.addCleanup(t.cleanup)
        return t
