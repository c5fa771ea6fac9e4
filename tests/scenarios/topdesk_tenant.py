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
}
# Labels the portal form shows for them (the request text).
LABELS = {
    "requested_for": "Access for", "sponsor": "Sponsor", "mailbox": "Mailbox", "duration": "Duration",
    "start_date": "Start date", "end_date": "End date", "business_justification": "Business justification",
}

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
                              "changeType": "simple"} for i, item in enumerate(tenant.ITEMS)],
        "categories": [{"name": "Access requests", "subcategories": list(tenant.ITEMS)},
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


def change(item, requester, **variables):
    """A request for change for catalog ITEM made by REQUESTER (a name)
    through the portal form, asking for VARIABLES."""
    tabs = {}
    for name, value in variables.items():
        tab, field = FIELDS[name].split(".")
        tabs.setdefault(tab, {})[field] = value
    return dict({"template": {"id": template_id(item)}, "requester": {"id": person_id(requester)},
                 "briefDescription": "%s for %s" % (item, requester), "request": request_text(variables)}, **tabs)


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

