# SPDX-License-Identifier: Apache-2.0
"""The demo tenant in TOPdesk shape: the people of tenant.py as TOPdesk
persons (approvers marked as managers, each person's manager as in Entra),
the agent's operator account, one change template per catalog item, the
tenant's own change, activity and incident statuses, and the seed's two
cases as requests for change made through the Self-Service Portal.

The Graph side (users, groups, out-of-office replies) is tenant.graph_seed;
it is not repeated here. People are the same by e-mail, which is also their
userPrincipalName.

What a request asks for is carried twice, as a portal form does it: in the
change's optional fields (FIELDS: catalog variable -> field) and in the
request text ("Label<br/>- Value" per answer, as forms write it; see
doc/itsm-topdesk.md).
"""

import base64
import json
import re
import urllib.error
import urllib.request

import tenant

OPERATOR_LOGIN = "svc-accessd"
APP_PASSWORD = "Td-4pp-p4ssw0rd!"
OPERATOR_ID = "0ace5d00-0000-4000-8000-000000000001"
IAM_GROUP_ID = "0ace5d00-0000-4000-8000-0000000000a1"
APPROVERS = ("mia", "victor", "sam", "sid", "olivia", "oscar")

# Catalog variable -> the change field a portal form fills in.
FIELDS = {
    "requested_for": "optionalFields1.text1",
    "sponsor": "optionalFields1.text2",
    "mailbox": "optionalFields1.text3",
    "duration": "optionalFields1.text4",
    "start_date": "optionalFields1.date1",
    "end_date": "optionalFields1.date2",
    "business_justification": "optionalFields1.memo1",
    "group": "optionalFields1.text5",
    "verified_by": "optionalFields2.text1",
}
# Labels the portal form shows for them (the request text).
LABELS = {
    "requested_for": "Access for", "sponsor": "Sponsor", "mailbox": "Mailbox", "duration": "Duration",
    "start_date": "Start date", "end_date": "End date", "business_justification": "Business justification",
    "group": "Group", "verified_by": "Verified by",
}
# The template of the change that carries a request call's approvals.
APPROVAL_TEMPLATE = "Access approval"
# The category of request calls, one subcategory per catalog item.
CALL_CATEGORY = "Access requests"

CHANGE_STATUSES = [
    # name, meaning in prfc, rfc, simple; default for
    ("Requested", "CURRENT_STATUS", "CURRENT_STATUS", "NOT_AVAILABLE", ["prfc", "rfc"]),
    ("Waiting for approval", "CURRENT_STATUS", "CURRENT_STATUS", "NOT_AVAILABLE", []),
    ("Sent back to requester", "CURRENT_STATUS", "CURRENT_STATUS", "NOT_AVAILABLE", []),
    ("Approved", "SUBMIT", "APPROVE", "NOT_STARTED", ["simple"]),
    ("Rejected", "REJECT", "REJECT", "NOT_AVAILABLE", []),
    ("Implementing", "NOT_AVAILABLE", "NOT_AVAILABLE", "STARTED", []),
    ("Implementing (Blocked)", "NOT_AVAILABLE", "NOT_AVAILABLE", "CURRENT_STATUS", []),
    ("Completed", "NOT_AVAILABLE", "NOT_AVAILABLE", "IMPLEMENTED", []),
    ("Closed", "NOT_AVAILABLE", "NOT_AVAILABLE", "CLOSED", []),
]
ACTIVITY_STATUSES = [
    # name, meaning for normal activities, for authorization activities; default for
    ("Waiting for decision", "CURRENT_STATUS", "NOT_AUTHORIZED", ["activity", "authorization activity"]),
    ("Authorized", "NOT_AVAILABLE", "GO", []),
    ("Not authorized", "NOT_AVAILABLE", "NO_GO", []),
    ("Done", "RESOLVED", "NOT_AVAILABLE", []),
]
INCIDENT_STATUSES = ["Registered", "Waiting for approval", "Sent back to requester", "In progress",
                     "Implementing (Blocked)", "Completed", "Rejected"]
ACTIVITY_REJECTION_REASONS = ["Not needed for the role", "Wrong approver", "Security concern"]


def person_id(name):
    return "5e000000-0000-4000-8000-%012x" % (sorted(tenant.PEOPLE).index(name) + 1)


def template_id(item):
    return "7e000000-0000-4000-8000-%012x" % (tenant.ITEMS.index(item) + 1)


def password(name):
    """The application password of approver NAME (a person account)."""
    return "Td-%s-pw!" % name


def config():
    """The emulator settings: accounts, the tenant's statuses, templates,
    categories and rejection reasons."""
    users = {OPERATOR_LOGIN: {"password": APP_PASSWORD, "operator": OPERATOR_ID}}
    users.update({name: {"password": password(name), "person": person_id(name)} for name in APPROVERS})
    return {
        "users": users,
        "change_statuses": [{"id": "c5000000-0000-4000-8000-%012x" % (i + 1), "name": n, "prfc": p, "rfc": r,
                             "simple": s, "extensive": "NOT_AVAILABLE", "defaultFor": d}
                            for i, (n, p, r, s, d) in enumerate(CHANGE_STATUSES)],
        "activity_statuses": [{"id": "a5000000-0000-4000-8000-%012x" % (i + 1), "name": n, "activity": a,
                               "authorizationActivity": z, "defaultFor": d}
                              for i, (n, a, z, d) in enumerate(ACTIVITY_STATUSES)],
        "incident_statuses": [{"id": "15000000-0000-4000-8000-%012x" % (i + 1), "name": n, "default": i == 0}
                              for i, n in enumerate(INCIDENT_STATUSES)],
        "change_templates": [{"id": template_id(item), "number": "WS %03d" % (i + 1), "briefDescription": item,
                              "changeType": "simple"} for i, item in enumerate(tenant.ITEMS)] + [
            {"id": "7e000000-0000-4000-8000-0000000009a0", "number": "WS 900", "briefDescription": APPROVAL_TEMPLATE,
             "changeType": "simple"}],
        "categories": [{"name": CALL_CATEGORY, "subcategories": list(tenant.ITEMS)},
                       {"name": "Identity and access", "subcategories": ["accessd"]}],
        "activity_rejection_reasons": [{"id": "0e500000-0000-4000-8000-%012x" % (i + 1), "name": n}
                                       for i, n in enumerate(ACTIVITY_REJECTION_REASONS)],
    }


def seed():
    """The emulator seed: the people as persons, the agent's operator, the
    IAM operator group."""
    persons = []
    for name, (_, etype, manager) in tenant.PEOPLE.items():
        p = {"id": person_id(name), "firstName": name.title(), "surName": "Contoso", "email": tenant.upn(name),
             "tasLoginName": name, "networkLoginName": name, "jobTitle": etype, "isManager": name in APPROVERS,
             "hasSspAccess": True}
        if manager:
            p["manager"] = {"id": person_id(manager), "name": "%s Contoso" % manager.title()}
        persons.append(p)
    operators = [{"id": OPERATOR_ID, "firstName": "accessd", "surName": "Service", "email": "accessd@contoso.example",
                  "loginName": OPERATOR_LOGIN, "changeCoordinator": True, "changeActivitiesOperator": True}]
    return {"persons": persons, "operators": operators,
            "operatorgroups": [{"id": IAM_GROUP_ID, "groupName": "IAM Operations"}]}


def request_text(variables):
    """The request text a portal form writes for VARIABLES."""
    return "<br/><br/>".join("%s<br/>- %s" % (LABELS[k], v) for k, v in variables.items())


def topdesk_date(value):
    """A date as a portal form stores it in a date field: a day is its
    first instant, UTC."""
    return value + "T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else value


def form_fields(variables):
    """The optional fields a portal form fills in for VARIABLES."""
    tabs = {}
    for name, value in variables.items():
        tab, field = FIELDS[name].split(".")
        tabs.setdefault(tab, {})[field] = topdesk_date(value) if field.startswith("date") else value
    return tabs


def change(item, requester, **variables):
    """A request for change for catalog ITEM made by REQUESTER (a name)
    through the portal form, asking for VARIABLES."""
    return dict({"template": {"id": template_id(item)}, "requester": {"id": person_id(requester)},
                 "briefDescription": "%s for %s" % (item, requester), "request": request_text(variables)},
                **form_fields(variables))


def vpn_request():
    """Case 1: contractor alice asks for VPN access until 2027-01-31, sponsor
    bob; her manager mia is out of office (graph_seed(away=("mia",)))."""
    return change("VPN Access", "alice", requested_for=tenant.upn("alice"),
                  business_justification="On-site support contract", end_date="2027-01-31T00:00:00Z",
                  sponsor=tenant.upn("bob"))


def mailbox_request(start, duration):
    """Case 2: carol asks for the Finance shared mailbox from START (a date
    TOPdesk reads) for DURATION; its owner olivia does not answer, oscar is
    the backup owner."""
    return change("Shared Mailbox Access", "carol", requested_for=tenant.upn("carol"),
                  business_justification="Month-end close", mailbox="Finance Shared Mailbox",
                  start_date=start, duration=duration)


def load(emu, away=("mia",)):
    """Seed EMU with the Graph side and this TOPdesk tenant (no request yet)."""
    emu.seed({"graph": tenant.graph_seed(away)})
    emu.call("POST", "/_emu/config/topdesk", config())
    emu.seed({"topdesk": seed()})


def decide(emu, activity_id, who, action="go", comment=None, reason=None):
    """WHO (an approver's name) decides the authorization activity as TOPdesk
    lets a manager: through the manager endpoints, with their own application
    password. Returns the HTTP status."""
    body = {"action": action}
    if comment:
        body["comment"] = comment
    if reason:
        body["reason"] = reason
    req = urllib.request.Request("%s/tas/api/managerAuthorizableActivities/%s/managerAction" % (emu.url, activity_id),
                                 data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json", "Authorization": "Basic " +
                                          base64.b64encode(("%s:%s" % (who, password(who))).encode()).decode()})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code



# -- the scenario tenant -------------------------------------------------------

def itsm_config(emu, password_file, change_query=None, page_size=100):
    """The agent's itsm group for this TOPdesk: the operator account, the
    tenant's statuses for the phases accessd writes, and where the IAM
    team's incidents go."""
    query = '\n    change_query = "%s";' % change_query if change_query else ""
    return """itsm = {
  kind = "topdesk";
  base_url = "%s/tas/api";
  user_attribute = "email";
  poll_overlap = "5s";
  page_size = %d;
  auth = { method = "basic"; username = "%s"; password_file = "%s"; };
  topdesk = {%s
    phases = {
      sent_back = { status = "Sent back to requester"; call_status = "Sent back to requester"; };
      implementing = { transitions = ( "approve", "start" ); status = "Implementing"; call_status = "In progress"; };
      blocked = { status = "Implementing (Blocked)"; call_status = "Implementing (Blocked)"; };
      completed = { transitions = ( "approve", "implement", "close" ); call_status = "Completed"; };
      rejected = { transitions = ( "reject" ); call_status = "Rejected"; };
      expired = { transitions = ( "reject" ); call_status = "Rejected"; };
      duplicate = { transitions = ( "reject" ); call_status = "Rejected"; };
    };
    incident = { category = "Identity and access"; subcategory = "accessd"; };
  };
};
""" % (emu.url, page_size, OPERATOR_LOGIN, password_file, query)


def conf_string(value):
    """VALUE as a libconfig string."""
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def item_config(item, call=None, labels=False):
    """An item's topdesk group: its change template is found by its name;
    CALL (a category): it is a request call of that category instead, the
    item its subcategory; its variables come from the form's fields, or
    (LABELS) from the request text."""
    where = ("labels = { %s };" % " ".join('%s = "%s";' % kv for kv in LABELS.items()) if labels else
             "fields = { %s };" % " ".join('%s = "%s";' % kv for kv in FIELDS.items()))
    kind = ("category = %s; subcategory = %s; approval_template = %s; " % (
        conf_string(call), conf_string(item), conf_string(APPROVAL_TEMPLATE)) if call else "")
    return " topdesk = { %s%s };" % (kind, where)


class Tenant(tenant.Tenant):
    """tenant.Tenant with TOPdesk as the ITSM: the same people, policy and
    agent, the requests as changes (or, for the items in CALLS, request
    calls), the approvers deciding through TOPdesk's manager API. LABELS:
    items whose variables come from the request text."""

    def __init__(self, emu, away=(), calls=(), labels=(), change_query=None, page_size=100,
                 call_category=CALL_CATEGORY, **conf):
        self.calls, self.labels, self.change_query = tuple(calls), tuple(labels), change_query
        self.page_size, self.call_category = page_size, call_category
        super().__init__(emu, away=away, **conf)
        self.secrets = (APP_PASSWORD, tenant.CLIENT_SECRET, tenant.FLOW_SIG)

    def seed_itsm(self):
        self.emu.call("POST", "/_emu/config/topdesk", config())
        self.emu.seed({"topdesk": seed()})
        self.agent.password_file = self.agent.write_secret("topdesk.password", APP_PASSWORD)

    def configure(self, text):
        text = re.sub(r"itsm = \{.*?\n\};\n", lambda m: itsm_config(self.emu, self.agent.password_file,
                                                                     self.change_query, self.page_size),
                      text, count=1, flags=re.S)
        for item in tenant.ITEMS:
            text = text.replace('{ name = "%s";' % item, '{ name = "%s";%s' % (
                item, item_config(item, self.call_category if item in self.calls else None, item in self.labels)), 1)
        return text

    # -- TOPdesk ---------------------------------------------------------------
    def state(self):
        return self.emu.state("topdesk")

    def request(self, item, requested_for, opened_by=None, **variables):
        """A new request for ITEM, by OPENED_BY (default: the person) for
        REQUESTED_FOR through the portal form; returns its record."""
        if opened_by and opened_by != requested_for:
            variables["requested_for"] = tenant.upn(requested_for)
        asker = opened_by or requested_for
        if item in self.calls:
            self.emu.seed({"topdesk": {"incidents": [dict({
                "caller": {"id": person_id(asker)}, "briefDescription": "%s for %s" % (item, requested_for),
                "request": request_text(variables), "category": {"name": self.call_category},
                "subcategory": {"name": item}}, **form_fields(variables))]}})
            return dict(self.state()["incidents"][-1])
        self.emu.seed({"topdesk": {"changes": [change(item, asker, **variables)]}})
        return dict(self.state()["changes"][-1])

    def edit(self, record_id, **variables):
        """The requester edits the form's answers of RECORD_ID."""
        kind = "incidents" if any(i["id"] == record_id for i in self.state()["incidents"]) else "changes"
        self.emu.seed({"topdesk": {kind: [dict({"id": record_id}, **form_fields(variables))]}})

    def change(self, change_id):
        return next(c for c in self.state()["changes"] if c["id"] == change_id)

    def call(self, call_id):
        return next(i for i in self.state()["incidents"] if i["id"] == call_id)

    def linked(self, record_id):
        """The change that carries RECORD_ID's approvals: itself, or the
        change linked to a request call."""
        st = self.state()
        if any(c["id"] == record_id for c in st["changes"]):
            return record_id
        found = [c["id"] for c in st["changes"] if c.get("externalNumber") == record_id]
        return found[0] if found else None

    def approvals(self, record_id):
        change_id = self.linked(record_id)
        return [a for a in self.state()["activities"]
                if a["change"]["id"] == change_id and a["activityType"] == "authorization"]

    def decide(self, record_id, who, state="approved", comments=None, by=None, reason=None):
        """WHO decides their open authorization activity of RECORD_ID through
        TOPdesk's manager API ("go" or "no_go"); BY: someone else tries it
        with their own password. Returns the HTTP status."""
        mine = [a for a in self.approvals(record_id) if (a.get("assignee") or {}).get("id") == person_id(who)
                and a["processingStatus"] in ("waiting", "ready_to_start", "in_progress")]
        if not mine:
            raise AssertionError("%s has no open authorization activity on %s" % (who, record_id))
        return decide(self.emu, mine[-1]["id"], by or who, "go" if state == "approved" else "no_go", comments,
                      reason)

    def trail(self, record_id):
        """The progress trail (a change) or the actions (a call), oldest first."""
        return [e for e in self.state()["progresstrail"].get(record_id, []) if e.get("memoText") is not None]

    def journal_entries(self, record_id, element):
        """What accessd wrote on RECORD_ID, as ServiceNow's work notes
        ("work_notes") and comments ("comments"): on a change every memo
        (TOPdesk shows them all to the requester); on a call the actions
        hidden from the caller, or those shown."""
        is_call = any(i["id"] == record_id for i in self.state()["incidents"])
        out = []
        for e in self.trail(record_id):
            if is_call and e.get("invisibleForCaller") != (element == "work_notes"):
                continue
            text = e["memoText"]
            if is_call:
                text = (text.replace("<br>", "\n").replace("&quot;", '"').replace("&#39;", "'")
                        .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
            out.append(text)
        return out

    def approver_names(self, record_id):
        names = {person_id(n): n for n in tenant.PEOPLE}
        return sorted(names[a["assignee"]["id"]] for a in self.approvals(record_id))

    def attachments(self, record_id):
        return [a for a in self.state()["attachments"] if a["owner"] == record_id]

    def attachment_list(self, record_id):
        return [(a["fileName"], a["size"]) for a in self.attachments(record_id)]

    def incidents(self):
        """The incidents accessd opened (those with an externalNumber)."""
        return [i for i in self.state()["incidents"] if i.get("externalNumber")]

    def close(self, record_id, state=None):
        """The service desk closes RECORD_ID by hand: a change rejected, a
        call closed."""
        if any(i["id"] == record_id for i in self.state()["incidents"]):
            self.emu.seed({"topdesk": {"incidents": [{"id": record_id, "closed": True}]}})
        else:
            self.emu.seed({"topdesk": {"changes": [{"id": record_id, "processingStatus": "rejected"}]}})


class TenantCase(tenant.TenantCase):
    """tenant.TenantCase on TOPdesk."""

    def tenant(self, **kw):
        t = Tenant(self.emu, **kw)
        self.addCleanup(t.cleanup)
        return t
