# SPDX-License-Identifier: Apache-2.0
"""The tenant of tenant.py in Xurrent's shape, for the Xurrent demo and
scenarios: the same people (primary e-mail = their UPN, so the connector maps
people by e-mail), the accessd service person and its personal access token,
the IAM team, one request template per catalog item of tenant.ITEMS, and the
seed's two cases as requests whose custom fields are the items' variables.

Entra and Teams are not repeated here: seed the Graph side with
tenant.graph_seed(away=AWAY) and the flow with tenant.FLOW, as the ServiceNow
demo does.

Approvals: in create mode every template starts an empty workflow, where
accessd adds its approval tasks; in observe mode the VPN and mailbox
templates start the ITSM's own approval tasks (the manager, then security;
the mailbox owner), which accessd only reads.
"""

import tenant

ACCOUNT = "contoso-it"
TOKEN = "xr-pat-3c9e51d07a6b48f2b1e0"  # the accessd person's personal access token
SERVICE = {"id": 90, "name": "accessd", "primary_email": "svc-accessd@contoso.example"}
IAM_TEAM = {"id": 7, "name": "IAM Operations"}
AWAY = ("mia",)  # the contractor's manager is out of office

TEMPLATE_IDS = {item: 201 + i for i, item in enumerate(tenant.ITEMS)}
ACCESSD_WORKFLOW = 301  # empty: accessd adds the approval tasks (create mode)
OBSERVE_WORKFLOWS = {"VPN Access": 302, "Shared Mailbox Access": 303}


def person_id(name):
    """The Xurrent id of tenant.PEOPLE's NAME."""
    return 101 + sorted(tenant.PEOPLE).index(name)


def config():
    """The emulator settings (POST /_emu/config/xurrent) for this tenant."""
    return {"account": ACCOUNT, "tokens": {TOKEN: SERVICE["id"]}}


def seed(approvals="create"):
    """The account's people, team, workflow templates and request templates."""
    people = [dict(SERVICE)] + [
        {"id": person_id(n), "name": n.title(), "primary_email": tenant.upn(n),
         "manager_id": person_id(manager) if manager else None}
        for n, (_, _, manager) in tenant.PEOPLE.items()]

    def approval(subject, *names):
        return {"subject": subject, "category": "approval", "required_approvals": 1,
                "approver_ids": [person_id(n) for n in names]}

    workflow_templates = [
        {"id": ACCESSD_WORKFLOW, "subject": "Access request (approvals by accessd)", "tasks": []},
        {"id": OBSERVE_WORKFLOWS["VPN Access"], "subject": "VPN access approval",
         "tasks": [approval("Manager approval", "mia"), approval("Security approval", "sam")]},
        {"id": OBSERVE_WORKFLOWS["Shared Mailbox Access"], "subject": "Shared mailbox approval",
         "tasks": [approval("Mailbox owner approval", "olivia")]},
    ]
    templates = [{"id": tid, "subject": item, "category": "rfc",
                  "workflow_template_id": OBSERVE_WORKFLOWS.get(item, ACCESSD_WORKFLOW)
                  if approvals == "observe" else ACCESSD_WORKFLOW}
                 for item, tid in TEMPLATE_IDS.items()]
    return {"people": people, "teams": [dict(IAM_TEAM)], "workflow_templates": workflow_templates,
            "request_templates": templates}


def request(item, requested_for, requested_by=None, **variables):
    """A request for ITEM (a tenant.ITEMS name) with VARIABLES as its custom fields."""
    return {"subject": "%s for %s" % (item, requested_for), "template_id": TEMPLATE_IDS[item],
            "requested_for_id": person_id(requested_for),
            "requested_by_id": person_id(requested_by or requested_for),
            "custom_fields": [{"id": k, "value": v} for k, v in variables.items()]}


def vpn_request():
    """Case 1: contractor alice asks for VPN access until 2027-01-31, sponsored
    by bob; her manager mia is out of office (AWAY)."""
    return request("VPN Access", "alice", business_justification="On-site support contract",
                   end_date="2027-01-31", sponsor=tenant.upn("bob"))


def mailbox_request(start_date, duration="12s"):
    """Case 2: carol asks for the Finance shared mailbox from START_DATE
    ("YYYY-MM-DD HH:MM:SS" UTC) for DURATION (owner olivia, backup oscar)."""
    return request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                   mailbox="Finance Shared Mailbox", start_date=start_date, duration=duration)
