# SPDX-License-Identifier: Apache-2.0
"""The scenario tenant in Freshservice shape: the people of tenant.py as
Freshservice users (mapped to Entra by e-mail, which is also their UPN),
the catalog items as service items whose custom fields are the request
variables, the accessd integration's API key and agent, a second workspace,
custom statuses for the neutral phases, and the seed's two demo cases as
service requests. The Entra side is tenant.graph_seed(); nothing of it is
repeated here.
"""

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
