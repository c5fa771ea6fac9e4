# SPDX-License-Identifier: Apache-2.0
"""Freshservice API v2 (https://<domain>.freshservice.com/api/v2), for the
calls a service-request connector makes; doc/itsm-freshservice.md gives the
source of each behaviour and says which are assumptions.

Base URL for the agent: http://127.0.0.1:PORT/api/v2.

Authentication: HTTP Basic with an API key as the user name; the password
is not checked ("X" by convention). An unknown key answers 401.

Routes: tickets (list, view, create an incident, update, also multipart with
attachments[]), requested_items (list, update the stage), approvals of a
ticket (list, view, request, remind, cancel) and the account-wide
/approvals listing, notes, replies and conversations, attachment download,
service catalog items (list, view, place_request), requesters and agents
(list with ?email=, view), workspaces, ticket_form_fields.

Behaviour that matters to a poller:
  - GET /tickets returns, without updated_since, only tickets created in
    the last 30 days; with it, those updated at or after it. Only the
    primary workspace unless workspace_id (0: every workspace, without
    custom_fields). Deleted and spam tickets are left out. Newest created
    first (order_type=asc reverses). per_page defaults to 30, at most 100
    (more, or not a number: 400); Link: <...page=N+1>; rel="next" only when
    another page exists.
  - An approver's decision changes the approval's updated_at, not the
    ticket's (unless decision_touches_ticket); the API's own writes (update,
    note, reply, requested item, approval requested or cancelled) do.
  - Every request is charged to one account-wide budget per window
    (X-Ratelimit-Total, -Remaining, -Used-CurrentRequest on every answer);
    an include costs 2 more credits on a list, 1 more on a view. Over the
    budget, or over the route's sub-limit: 429 with Retry-After (seconds to
    the end of the window), nothing charged. Requests refused with 401 are
    charged too ("even invalid requests count").
  - Errors: 400 {"description": "Validation failed", "errors": [{"field",
    "message", "code"}]}; others {"code", "message"}.

Seed ({"freshservice": {...}}); records with an id that exists update it:
  api_keys       {"<key>": <agent id>}: the keys accepted, and whose they are
  workspaces     [{"id", "name", "primary"}] (default: 2 "IT", primary)
  agents         [{"id", "first_name", "last_name", "email", "active", ...}]
  requesters     [{"id", "first_name", "last_name", "primary_email",
                   "secondary_emails", "active", ...}]
  service_items  [{"display_id", "name", "workspace_id", "custom_fields":
                   [{"name", "label", "field_type", "required"}], ...}]
  tickets        [{"id", "type" ("Service Request"/"Incident"), "status",
                   "requester_id", "requested_for_id", "subject",
                   "workspace_id", "custom_fields", "created_at",
                   "updated_at", "deleted", "requested_items":
                   [{"id", "service_item_id" (a display_id), "custom_fields",
                     "stage", "quantity"}]}]; updated_at moves to now unless
                   given, as an edit in the UI would
  approvals      [{"id", "ticket_id", "approver_id", "status" (0 requested,
                   1 approved, 2 rejected, 3 cancelled), "latest_remark",
                   "level", "approval_type"}]: a decision is seeding the
                   status of an existing approval
  conversations  [{"ticket_id", "body", "private", "user_id"}]
  statuses       as in the configuration

Configuration (POST /_emu/config/freshservice):
  api_keys                as in the seed
  plan                    "starter", "growth", "pro" or "enterprise" (the
                          default): the documented per-minute limits
  rate_limit              {"total", "window_seconds", "sub_limits": {"list_tickets",
                          "view_ticket", "create_ticket", "update_ticket",
                          "list_agents", "list_requesters"}} overrides the
                          plan's (null: no limit)
  other_integration       {"per_window": N}: another integration spends N
                          credits at the start of every window
  consume                 N credits spent now by someone else
  statuses                [{"id", "name"}]: custom ticket statuses, besides
                          2 Open, 3 Pending, 4 Resolved, 5 Closed
  attachment_limit_bytes  the total of one ticket's attachments (40 MB)
  decision_touches_ticket true: a decision also moves the ticket's updated_at

State (GET /_emu/state/freshservice): tickets (with requested_items,
approvals, conversations and attachment metadata), users, reminders (the
approval ids reminded, in order) and the rate counters.
"""

import base64
import bisect
import datetime
import html
import math
import re
import time
import urllib.parse

import multipart
from api import Response

API = "/api/v2"
DEFAULT_WINDOW = 60
THIRTY_DAYS = 30 * 86400
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
APPROVALS_PAGE = 30
ATTACHMENT_LIMIT = 40 * 1024 * 1024

# Per-minute limits by plan: overall, then the sub-limits of some operations.
PLANS = {
    "starter": (100, {"list_tickets": 40, "view_ticket": 50, "create_ticket": 50, "update_ticket": 50,
                      "list_agents": 40, "list_requesters": 40}),
    "growth": (200, {"list_tickets": 70, "view_ticket": 80, "create_ticket": 80, "update_ticket": 80,
                     "list_agents": 70, "list_requesters": 70}),
    "pro": (400, {"list_tickets": 120, "view_ticket": 140, "create_ticket": 140, "update_ticket": 140,
                  "list_agents": 120, "list_requesters": 120}),
    "enterprise": (500, {"list_tickets": 140, "view_ticket": 160, "create_ticket": 160, "update_ticket": 160,
                         "list_agents": 140, "list_requesters": 140}),
}
SUB_LIMITS = [
    ("GET", re.compile(API + r"/tickets"), "list_tickets"),
    ("GET", re.compile(API + r"/tickets/\d+"), "view_ticket"),
    ("POST", re.compile(API + r"/tickets"), "create_ticket"),
    ("PUT", re.compile(API + r"/tickets/\d+"), "update_ticket"),
    ("GET", re.compile(API + r"/agents"), "list_agents"),
    ("GET", re.compile(API + r"/requesters"), "list_requesters"),
]
STATUSES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
STAGES = {1: "Requested", 2: "Delivered", 3: "Cancelled", 4: "Fulfilled", 5: "Partially Fulfilled"}
APPROVAL_STATUS = {0: "requested", 1: "approved", 2: "rejected", 3: "cancelled"}
APPROVAL_TYPES = (1, 2, 3, 4)
TICKET_TYPES = ("Incident", "Service Request")
LIST_INCLUDES = ("requester", "requested_for", "stats")
VIEW_INCLUDES = ("requester", "requested_for", "stats", "conversations", "tags")
ERROR_CODES = {401: "invalid_credentials", 403: "access_denied", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 415: "invalid_content_type", 429: "rate_limit_exceeded", 500: "internal_error"}
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}(?::?\d{2})?)?)?")


def stamp(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    """Seconds since the epoch of a documented date input, or None."""
    m = DATE_RE.fullmatch(text or "")
    if not m:
        return None
    y, mo, d, h, mi, s, zone = m.groups()
    try:
        t = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                              tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
        t -= datetime.timedelta(seconds=sign * offset)
    return t.timestamp()


def html_text(body):
    """The plain text of an HTML body, as body_text and description_text show it."""
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div)>", "\n", body or "")
    return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()


class Invalid(Exception):
    """A request the API refuses with 400 Validation failed."""

    def __init__(self, field, message, code="invalid_value"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


class Freshservice:
    name = "freshservice"

    def __init__(self):
        self.reset()
        t = API + r"/tickets/(\d+)"
        routes = [
            ("GET", API + r"/tickets", self.list_tickets),
            ("POST", API + r"/tickets", self.create_ticket),
            ("GET", t, self.view_ticket),
            ("PUT", t, self.update_ticket),
            ("GET", t + r"/requested_items", self.list_requested_items),
            ("PUT", t + r"/requested_items/(\d+)", self.update_requested_item),
            ("GET", t + r"/approvals", self.list_ticket_approvals),
            ("POST", t + r"/approvals", self.request_approval),
            ("GET", t + r"/approvals/(\d+)", self.view_approval),
            ("PUT", t + r"/approvals/(\d+)", self.cancel_approval),
            ("PUT", t + r"/approvals/(\d+)/remind", self.remind_approval),
            ("GET", API + r"/approvals", self.list_approvals),
            ("POST", t + r"/notes", self.create_note),
            ("POST", t + r"/reply", self.create_reply),
            ("GET", t + r"/conversations", self.list_conversations),
            ("GET", API + r"/attachments/(\d+)", self.download_attachment),
            ("GET", API + r"/service_catalog/items", self.list_items),
            ("GET", API + r"/service_catalog/items/(\d+)", self.view_item),
            ("POST", API + r"/service_catalog/items/(\d+)/place_request", self.place_request),
            ("GET", API + r"/requesters", self.list_requesters),
            ("GET", API + r"/requesters/(\d+)", self.view_requester),
            ("GET", API + r"/agents", self.list_agents),
            ("GET", API + r"/agents/(\d+)", self.view_agent),
            ("GET", API + r"/workspaces", self.list_workspaces),
            ("GET", API + r"/workspaces/(\d+)", self.view_workspace),
            ("GET", API + r"/ticket_form_fields", self.ticket_fields),
        ]
        # Anything else under /api/v2 answers as Freshservice does: 405 on a
        # known path, else 404.
        routes += [(method, API + r"/.*", self.no_such_route) for method in ("GET", "POST", "PUT", "DELETE")]
        self.routes = [(method, re.compile(path), self.metered(handler)) for method, path, handler in routes]
        self.known = [re.compile(path) for _, path, _ in routes[:-4]]

    # -- control -------------------------------------------------------
    def reset(self):
        self.api_keys = {}
        self.workspaces = {2: {"id": 2, "name": "IT", "description": None, "primary": True, "restricted": False,
                               "state": "active", "template_name": "it", "type": "workspace"}}
        self.users = {}
        self.by_email = {}          # lower-case address -> user ids
        self.items = {}             # display_id -> service item
        self.tickets = {}           # id -> ticket
        self.by_updated = []        # sorted (updated_at, id)
        self.by_created = []        # sorted (created_at, id)
        self.approvals = {}         # id -> approval
        self.pending = set()        # ids of approvals in status 0
        self.conversations = {}     # id -> conversation
        self.attachments = {}       # id -> (metadata, bytes)
        self.reminders = []
        self.custom_statuses = {}
        self.attachment_limit = ATTACHMENT_LIMIT
        self.decision_touches_ticket = False
        self.counters = {"ticket": 0, "user": 21000000000, "approval": 21000100000, "conversation": 21000200000,
                         "attachment": 21000300000, "item": 21000400000, "requested_item": 21000500000}
        self.set_plan("enterprise")
        self.other_per_window = 0
        self.window_index = None
        self.used = 0
        self.sub_used = {}
        self.charged = 0
        self.throttled = 0
        self.meter = {}

    def set_plan(self, plan):
        total, subs = PLANS[plan]
        self.limit = {"total": total, "window_seconds": DEFAULT_WINDOW, "sub_limits": dict(subs)}

    def configure(self, data):
        self.api_keys.update({k: int(v) for k, v in data.get("api_keys", {}).items()})
        if "plan" in data:
            self.set_plan(data["plan"])
        if "rate_limit" in data:
            rl = data["rate_limit"]
            self.limit = None if rl is None else {"total": int(rl.get("total", 500)),
                                                  "window_seconds": float(rl.get("window_seconds", DEFAULT_WINDOW)),
                                                  "sub_limits": dict(rl.get("sub_limits", {}))}
            self.window_index = None
        if "other_integration" in data:
            self.other_per_window = int((data["other_integration"] or {}).get("per_window", 0))
            self.window_index = None
        if "consume" in data:
            self.roll_window(time.time())
            self.used += int(data["consume"])
        for s in data.get("statuses", []):
            self.custom_statuses[int(s["id"])] = s["name"]
        if "attachment_limit_bytes" in data:
            self.attachment_limit = int(data["attachment_limit_bytes"])
        if "decision_touches_ticket" in data:
            self.decision_touches_ticket = bool(data["decision_touches_ticket"])

    def seed(self, data):
        self.api_keys.update({k: int(v) for k, v in data.get("api_keys", {}).items()})
        for s in data.get("statuses", []):
            self.custom_statuses[int(s["id"])] = s["name"]
        for w in data.get("workspaces", []):
            ws = self.workspaces.setdefault(int(w["id"]), {"description": None, "primary": False, "restricted": False,
                                                          "state": "active", "template_name": "it",
                                                          "type": "workspace"})
            ws.update(w)
            ws["id"] = int(w["id"])
            if ws["primary"]:
                for other in self.workspaces.values():
                    other["primary"] = other is ws
        for a in data.get("agents", []):
            self.put_user(dict(a), agent=True)
        for r in data.get("requesters", []):
            self.put_user(dict(r), agent=False)
        for item in data.get("service_items", []):
            self.put_item(dict(item))
        for t in data.get("tickets", []):
            self.put_ticket(dict(t))
        for a in data.get("approvals", []):
            self.put_approval(dict(a))
        for c in data.get("conversations", []):
            self.add_conversation(self.ticket_or_none(int(c["ticket_id"])), c.get("body", ""),
                                  c.get("private", True), c.get("user_id"), [], source=2)

    def dump(self):
        tickets = []
        for t in self.tickets.values():
            d = {k: v for k, v in t.items() if k not in ("created", "updated")}
            d["created_at"], d["updated_at"] = stamp(t["created"]), stamp(t["updated"])
            d["approvals"] = [self.approvals[a] for a in t["approval_ids"]]
            d["conversations"] = [self.conversations[c] for c in t["conversation_ids"]]
            tickets.append(d)
        return {"tickets": tickets, "users": list(self.users.values()), "items": list(self.items.values()),
                "workspaces": list(self.workspaces.values()), "reminders": list(self.reminders),
                "rate": {"used": self.used, "charged": self.charged, "throttled": self.throttled,
                         "limit": self.limit}}

    def next_id(self, kind):
        self.counters[kind] += 1
        return self.counters[kind]

    # -- the store -------------------------------------------------------
    def put_user(self, rec, agent):
        uid = int(rec.get("id") or self.next_id("user"))
        user = self.users.get(uid)
        if user is not None:
            self.unindex_user(user)
        else:
            now = stamp(time.time())
            user = {"id": uid, "first_name": "", "last_name": "", "active": True, "job_title": None,
                    "department_ids": [], "reporting_manager_id": None, "custom_fields": {},
                    "secondary_emails": [], "created_at": now, "updated_at": now, "is_agent": agent}
            self.users[uid] = user
        if agent and "email" in rec:
            rec["primary_email"] = rec["email"]
        user.update(rec)
        user["id"] = uid
        user["is_agent"] = user["is_agent"] or agent
        self.counters["user"] = max(self.counters["user"], uid)
        for address in [user.get("primary_email")] + list(user.get("secondary_emails") or []):
            if address:
                self.by_email.setdefault(address.lower(), []).append(uid)
        return user

    def unindex_user(self, user):
        for address in [user.get("primary_email")] + list(user.get("secondary_emails") or []):
            ids = self.by_email.get((address or "").lower(), [])
            if user["id"] in ids:
                ids.remove(user["id"])

    def user_by_email(self, address):
        ids = self.by_email.get((address or "").lower())
        return self.users[ids[0]] if ids else None

    def user_name(self, uid):
        u = self.users.get(uid)
        return ("%s %s" % (u.get("first_name", ""), u.get("last_name", ""))).strip() if u else None

    def put_item(self, rec):
        display = int(rec["display_id"])
        item = self.items.get(display)
        if item is None:
            now = stamp(time.time())
            item = {"id": self.next_id("item"), "display_id": display, "created_at": now, "updated_at": now,
                    "delivery_time": None, "category_id": None, "product_id": None, "quantity": None,
                    "deleted": False, "group_visibility": 1, "item_type": 1, "visibility": 2,
                    "workspace_id": self.primary_workspace(), "custom_fields": [], "child_items": [],
                    "short_description": "", "description": ""}
            self.items[display] = item
        item.update(rec)

    def primary_workspace(self):
        return next(w["id"] for w in self.workspaces.values() if w["primary"])

    def index_time(self, index, key, add=True):
        if add:
            bisect.insort(index, key)
        else:
            i = bisect.bisect_left(index, key)
            if i < len(index) and index[i] == key:
                del index[i]

    def put_ticket(self, rec):
        now = time.time()
        tid = int(rec["id"]) if rec.get("id") else None
        t = self.tickets.get(tid) if tid else None
        items = rec.pop("requested_items", None)
        if t is None:
            tid = tid or self.next_id("ticket")
            self.counters["ticket"] = max(self.counters["ticket"], tid)
            created = parse_time(rec.pop("created_at", None)) if rec.get("created_at") else now
            t = {"id": tid, "type": "Service Request", "status": 2, "priority": 2, "source": 2, "urgency": 1,
                 "impact": 1, "subject": "", "description": "", "requester_id": None, "requested_for_id": None,
                 "responder_id": None, "group_id": None, "department_id": None, "category": None,
                 "sub_category": None, "item_category": None, "custom_fields": {}, "tags": [], "cc_emails": [],
                 "fwd_emails": [], "reply_cc_emails": [], "to_emails": None, "email_config_id": None,
                 "fr_escalated": False, "is_escalated": False, "spam": False, "deleted": False,
                 "due_by": stamp(created + 3 * 86400), "fr_due_by": stamp(created + 86400),
                 "workspace_id": self.primary_workspace(), "resolution_notes": None, "resolution_notes_html": None,
                 "created": created, "updated": created, "requested_items": [], "approval_ids": [],
                 "conversation_ids": [], "attachments": []}
            self.tickets[tid] = t
            self.index_time(self.by_created, (created, tid))
            self.index_time(self.by_updated, (created, tid))
            now = created
        else:
            rec.pop("created_at", None)
        updated = parse_time(rec.pop("updated_at")) if rec.get("updated_at") else now
        if "custom_fields" in rec:
            t["custom_fields"].update(rec.pop("custom_fields"))
        rec.pop("id", None)
        t.update(rec)
        for it in items or []:
            self.put_requested_item(t, dict(it))
        if t["requested_for_id"] is None:
            t["requested_for_id"] = t["requester_id"]
        self.touch(t, updated)
        return t

    def put_requested_item(self, t, rec):
        rid = int(rec["id"]) if rec.get("id") else None
        found = next((i for i in t["requested_items"] if i["id"] == rid), None) if rid else None
        stamp_now = stamp(time.time())
        if found is None:
            found = {"id": rid or self.next_id("requested_item"), "created_at": stamp_now, "quantity": 1,
                     "stage": 1, "loaned": False, "cost_per_request": 0, "remarks": None, "delivery_time": None,
                     "is_parent": not t["requested_items"], "service_item_id": None, "custom_fields": {},
                     "attachments": []}
            t["requested_items"].append(found)
        if "custom_fields" in rec:
            found["custom_fields"].update(rec.pop("custom_fields"))
        rec.pop("id", None)
        found.update(rec)
        found["updated_at"] = stamp_now

    def touch(self, t, when=None):
        when = time.time() if when is None else when
        self.index_time(self.by_updated, (t["updated"], t["id"]), add=False)
        t["updated"] = when
        self.index_time(self.by_updated, (when, t["id"]))

    def ticket_or_none(self, tid):
        t = self.tickets.get(tid)
        return None if t is None or t["deleted"] else t

    def put_approval(self, rec):
        aid = int(rec["id"]) if rec.get("id") else None
        a = self.approvals.get(aid) if aid else None
        now = stamp(time.time())
        if a is None:
            t = self.ticket_or_none(int(rec["ticket_id"]))
            if t is None:
                raise ValueError("no ticket %s for the approval" % rec.get("ticket_id"))
            a = {"id": aid or self.next_id("approval"), "ticket_id": t["id"], "created_at": now,
                 "approver_id": None, "approval_type": 2, "user_id": None, "level": 1, "status": 0,
                 "delegatee": None, "approval_group": None, "latest_remark": None, "email_content": None}
            self.approvals[a["id"]] = a
            t["approval_ids"].append(a["id"])
        decided = "status" in rec and int(rec["status"]) != a["status"]
        rec.pop("id", None)
        a.update(rec)
        a["status"] = int(a["status"])
        a["updated_at"] = now
        (self.pending.add if a["status"] == 0 else self.pending.discard)(a["id"])
        if decided and self.decision_touches_ticket:
            self.touch(self.tickets[a["ticket_id"]])
        return a

    def add_conversation(self, t, body, private, user_id, files, source, incoming=False):
        if t is None:
            raise Invalid("ticket_id", "No such ticket")
        now = stamp(time.time())
        c = {"id": self.next_id("conversation"), "ticket_id": t["id"], "body": body, "body_text": html_text(body),
             "private": private, "incoming": incoming, "source": source, "user_id": user_id,
             "support_email": None, "to_emails": [], "from_email": None, "cc_emails": [], "bcc_emails": None,
             "attachments": self.store_attachments(t, files), "created_at": now, "updated_at": now}
        self.conversations[c["id"]] = c
        t["conversation_ids"].append(c["id"])
        self.touch(t)
        return c

    def attachment_total(self, t):
        total = sum(a["size"] for a in t["attachments"])
        for cid in t["conversation_ids"]:
            total += sum(a["size"] for a in self.conversations[cid]["attachments"])
        return total

    def store_attachments(self, t, files):
        if not files:
            return []
        if self.attachment_total(t) + sum(len(f[3]) for f in files) > self.attachment_limit:
            raise Invalid("attachments", "The total size of a ticket's attachments cannot exceed %d MB"
                          % (self.attachment_limit // (1024 * 1024)))
        out = []
        for _, filename, ctype, data in files:
            now = stamp(time.time())
            meta = {"id": self.next_id("attachment"), "content_type": ctype, "size": len(data), "name": filename,
                    "attachment_url": None, "created_at": now, "updated_at": now}
            self.attachments[meta["id"]] = (meta, data)
            out.append(meta)
        return out

    # -- errors, authentication and the rate limit ------------------------
    def error(self, status, message, code=None, field=None):
        if status == 400:
            return Response(400, {"description": "Validation failed",
                                  "errors": [{"field": field, "message": message, "code": code or "invalid_value"}]})
        return Response(status, {"code": code or ERROR_CODES.get(status, "error"), "message": message})

    def roll_window(self, now):
        window = self.limit["window_seconds"] if self.limit else DEFAULT_WINDOW
        index = int(now // window)
        if index != self.window_index:
            self.window_index = index
            self.used = self.other_per_window
            self.sub_used = {}
        return (index + 1) * window - now

    def cost(self, req, sub):
        includes = [i for i in req.query.get("include", "").split(",") if i]
        per = 2 if sub == "list_tickets" else 1
        return 1 + per * len(includes)

    def authorize(self, req):
        self.meter = {}
        if self.limit is not None:
            left = self.roll_window(time.time())
            sub = next((name for method, p, name in SUB_LIMITS if method == req.method and p.fullmatch(req.path)),
                       None)
            cost = self.cost(req, sub)
            total = self.limit["total"]
            sub_total = self.limit["sub_limits"].get(sub)
            if self.used + cost > total or (sub_total is not None and self.sub_used.get(sub, 0) + 1 > sub_total):
                self.throttled += 1
                resp = self.error(429, "You have exceeded the limit of requests per minute")
                resp.headers.update({"Retry-After": str(max(1, math.ceil(left))),
                                     "X-Ratelimit-Total": str(total),
                                     "X-Ratelimit-Remaining": str(max(0, total - self.used)),
                                     "X-Ratelimit-Used-CurrentRequest": "0"})
                return resp
            self.used += cost
            self.charged += cost
            if sub:
                self.sub_used[sub] = self.sub_used.get(sub, 0) + 1
            self.meter = {"X-Ratelimit-Total": str(total), "X-Ratelimit-Remaining": str(max(0, total - self.used)),
                          "X-Ratelimit-Used-CurrentRequest": str(cost)}
        auth = req.headers.get("authorization", "")
        key = None
        if auth.startswith("Basic "):
            try:
                key = base64.b64decode(auth[6:], validate=True).decode("utf-8").partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                key = None
        self.caller = self.api_keys.get(key)
        if self.caller is None:
            resp = self.error(401, "You have to be logged in to perform this action.")
            resp.headers.update(self.meter)
            return resp
        return None

    def metered(self, handler):
        def run(req, m):
            try:
                resp = handler(req, *[int(g) for g in m.groups()])
            except Invalid as e:
                resp = self.error(400, e.message, e.code, e.field)
            resp.headers.update(self.meter)
            return resp
        return run

    def no_such_route(self, req):
        if any(p.fullmatch(req.path) for p in self.known):
            return self.error(405, "Method not allowed")
        return self.error(404, "No such API: %s" % req.path)

    # -- request bodies and paging --------------------------------------
    def body(self, req, allowed, multipart=False):
        """The fields of a JSON (or, where allowed, multipart/form-data) body
        and its files [(field, filename, content type, bytes)]."""
        ctype = req.headers.get("content-type", "")
        if multipart and ctype.startswith("multipart/form-data"):
            fields, files = self.multipart(req, ctype)
        elif ctype.startswith("application/json"):
            fields, files = req.json(), []
            if not isinstance(fields, dict):
                raise Invalid(None, "Request body has invalid json format", "invalid_json")
        else:
            return None, None
        for name in fields:
            if name not in allowed:
                raise Invalid(name, "Unexpected/invalid field in request", "invalid_field")
        return fields, files

    def multipart(self, req, ctype):
        parts = multipart.parse(ctype, req.body)
        if parts is None:
            raise Invalid(None, "The multipart body could not be read", "invalid_value")
        fields, files = {}, []
        for part in parts:
            if part.filename is not None:
                if part.name != "attachments[]":
                    raise Invalid(part.name, "Unexpected/invalid field in request", "invalid_field")
                files.append((part.name, part.filename, (part.content_type or "text/plain").split(";")[0].strip(), part.data))
            else:
                fields[part.name] = part.data.decode("utf-8", "replace")
        return fields, files

    def unsupported(self):
        return self.error(415, "Content type is not supported. Only application/json is supported.",
                          "invalid_content_type")

    def paging(self, req, default=DEFAULT_PER_PAGE):
        try:
            page = int(req.query.get("page", "1"))
            per_page = int(req.query.get("per_page", str(default)))
        except ValueError:
            raise Invalid("per_page", "It should be a/an Positive Integer", "datatype_mismatch")
        if page < 1:
            raise Invalid("page", "It should be a/an Positive Integer", "invalid_value")
        if per_page < 1 or per_page > MAX_PER_PAGE:
            raise Invalid("per_page", "Has to be less than or equal to %d" % MAX_PER_PAGE, "invalid_value")
        return page, per_page

    def page(self, req, key, rows, render, default=DEFAULT_PER_PAGE):
        page, per_page = self.paging(req, default)
        start = (page - 1) * per_page
        chosen = rows[start:start + per_page]
        headers = {}
        if start + per_page < len(rows):
            q = dict(req.query)
            q["page"] = str(page + 1)
            headers["Link"] = '<http://%s%s?%s>; rel="next"' % (req.headers.get("host", "localhost"), req.raw_path,
                                                                urllib.parse.urlencode(q))
        return Response(200, {key: [render(r) for r in chosen]}, headers)

    def workspace_filter(self, req):
        """The workspace ids a listing covers (None: all of them)."""
        raw = req.query.get("workspace_id")
        if raw is None:
            return {self.primary_workspace()}
        try:
            ids = {int(x) for x in raw.split(",")}
        except ValueError:
            raise Invalid("workspace_id", "It should be a/an Positive Integer", "datatype_mismatch")
        if 0 in ids:
            return None
        unknown = ids - set(self.workspaces)
        if unknown:
            raise Invalid("workspace_id", "There is no workspace with id %d" % min(unknown))
        return ids

    # -- tickets ---------------------------------------------------------
    def render_ticket(self, t, view=False, includes=(), all_workspaces=False):
        out = {k: v for k, v in t.items() if k not in ("created", "updated", "requested_items", "approval_ids",
                                                          "conversation_ids", "attachments", "tags",
                                                          "description")}
        out["description"] = t["description"]
        out["description_text"] = html_text(t["description"])
        out["created_at"] = stamp(t["created"])
        out["updated_at"] = stamp(t["updated"])
        out["custom_fields"] = {} if all_workspaces else dict(t["custom_fields"])
        if view:
            out["attachments"] = list(t["attachments"])
            out["approval_status"], out["approval_status_name"] = self.ticket_approval_status(t)
            out["created_within_business_hours"] = False
        for inc in includes:
            if inc in ("requester", "requested_for"):
                u = self.users.get(t[inc + "_id"])
                out[inc] = None if u is None else {"id": u["id"], "name": self.user_name(u["id"]),
                                                   "email": u.get("primary_email"), "mobile": None, "phone": None}
            elif inc == "stats":
                out["stats"] = {"closed_at": None, "resolved_at": None, "first_responded_at": None}
            elif inc == "tags":
                out["tags"] = list(t["tags"])
            elif inc == "conversations":
                out["conversations"] = [self.conversations[c] for c in t["conversation_ids"][:10]]
        return out

    def ticket_approval_status(self, t):
        states = [self.approvals[a]["status"] for a in t["approval_ids"]]
        live = [s for s in states if s != 3]
        if not states:
            return 4, "Not Requested"
        if 2 in live:
            return 2, "Rejected"
        if live and all(s == 1 for s in live):
            return 1, "Approved"
        if live:
            return 0, "Requested"
        return 3, "Cancelled"

    def includes(self, req, allowed):
        inc = [i for i in req.query.get("include", "").split(",") if i]
        for i in inc:
            if i not in allowed:
                raise Invalid("include", "It should be one of these values: '%s'" % ",".join(allowed))
        return inc

    def list_tickets(self, req):
        includes = self.includes(req, LIST_INCLUDES)
        workspaces = self.workspace_filter(req)
        ttype = req.query.get("type")
        if ttype is not None and ttype not in TICKET_TYPES:
            raise Invalid("type", "It should be one of these values: '%s'" % ",".join(TICKET_TYPES))
        order = req.query.get("order_type", "desc")
        if order not in ("asc", "desc"):
            raise Invalid("order_type", "It should be one of these values: 'asc,desc'")
        if "updated_since" in req.query:
            since = parse_time(req.query["updated_since"])
            if since is None:
                raise Invalid("updated_since", "It should be in the 'valid date time' format")
            index = self.by_updated
        else:
            # Without updated_since only tickets created in the last 30 days.
            since = time.time() - THIRTY_DAYS
            index = self.by_created
        ids = [tid for _, tid in index[bisect.bisect_left(index, (since, -1)):]]
        requester = req.query.get("requester_id")
        email_filter = req.query.get("email")
        rows = []
        for tid in ids:
            t = self.tickets[tid]
            if t["deleted"] or t["spam"]:
                continue
            if workspaces is not None and t["workspace_id"] not in workspaces:
                continue
            if ttype and t["type"] != ttype:
                continue
            if requester and str(t["requester_id"]) != requester:
                continue
            if email_filter and (self.users.get(t["requester_id"]) or {}).get("primary_email", "").lower() \
                    != email_filter.lower():
                continue
            rows.append(t)
        rows.sort(key=lambda t: (t["created"], t["id"]), reverse=order == "desc")
        return self.page(req, "tickets", rows,
                         lambda t: self.render_ticket(t, includes=includes, all_workspaces=workspaces is None))

    def view_ticket(self, req, tid):
        includes = self.includes(req, VIEW_INCLUDES)
        t = self.ticket_or_none(tid)
        if t is None:
            return self.error(404, "Record not found")
        return Response(200, {"ticket": self.render_ticket(t, view=True, includes=includes)})

    TICKET_FIELDS = {"subject", "description", "status", "priority", "urgency", "impact", "source", "type",
                     "requester_id", "email", "requested_for_id", "responder_id", "group_id", "department_id",
                     "category", "sub_category", "item_category", "custom_fields", "tags", "cc_emails",
                     "workspace_id", "due_by", "fr_due_by"}

    def ticket_values(self, fields, create):
        out = {}
        for key, value in fields.items():
            if key in ("status", "priority", "urgency", "impact", "source", "requester_id", "requested_for_id",
                       "responder_id", "group_id", "department_id", "workspace_id"):
                try:
                    value = None if value is None else int(value)
                except (TypeError, ValueError):
                    raise Invalid(key, "It should be a/an Integer", "datatype_mismatch")
            out[key] = value
        if "status" in out and out["status"] not in STATUSES and out["status"] not in self.custom_statuses:
            raise Invalid("status", "It should be one of these values: '%s'"
                          % ",".join(str(s) for s in sorted(set(STATUSES) | set(self.custom_statuses))))
        if "custom_fields" in out and not isinstance(out["custom_fields"], dict):
            raise Invalid("custom_fields", "It should be a/an key/value pair", "datatype_mismatch")
        if "workspace_id" in out and not create:
            raise Invalid("workspace_id", "The workspace cannot be changed here; move the ticket", "invalid_field")
        if "workspace_id" in out and out["workspace_id"] not in self.workspaces:
            raise Invalid("workspace_id", "There is no workspace with id %s" % out["workspace_id"])
        for key in ("requester_id", "requested_for_id", "responder_id"):
            if out.get(key) is not None and out[key] not in self.users:
                raise Invalid(key, "There is no contact matching the given %s" % key)
        return out

    def create_ticket(self, req):
        fields, files = self.body(req, self.TICKET_FIELDS, multipart=True)
        if fields is None:
            return self.unsupported()
        values = self.ticket_values(fields, create=True)
        if values.get("type", "Incident") != "Incident":
            raise Invalid("type", "Only tickets of type 'Incident' can be created through this API")
        address = values.pop("email", None)
        if values.get("requester_id") is None:
            if not address:
                raise Invalid("requester_id", "Please fill at least 1 of email, phone, requester_id fields",
                              "missing_field")
            user = self.user_by_email(address) or self.put_user({"primary_email": address}, agent=False)
            values["requester_id"] = user["id"]
        for key in ("subject", "description"):
            if not values.get(key):
                raise Invalid(key, "It should not be blank as this is a mandatory field", "missing_field")
        values.setdefault("status", 2)
        values.setdefault("priority", 1)
        values["type"] = "Incident"
        t = self.put_ticket(values)
        t["attachments"] = self.store_attachments(t, files)
        host = req.headers.get("host", "localhost")
        return Response(201, {"ticket": self.render_ticket(t, view=True)},
                        {"Location": "http://%s%s/tickets/%d" % (host, API, t["id"])})

    def update_ticket(self, req, tid):
        t = self.ticket_or_none(tid)
        if t is None:
            return self.error(404, "Record not found")
        fields, files = self.body(req, self.TICKET_FIELDS - {"email"}, multipart=True)
        if fields is None:
            return self.unsupported()
        values = self.ticket_values(fields, create=False)
        if "requested_for_id" in values and t["type"] != "Service Request":
            raise Invalid("requested_for_id", "requested_for_id can be updated only for service requests",
                          "invalid_field")
        if files:
            t["attachments"].extend(self.store_attachments(t, files))
        if "custom_fields" in values:
            t["custom_fields"].update(values.pop("custom_fields"))
        t.update(values)
        self.touch(t)
        out = self.render_ticket(t, view=True)
        out["tags"] = list(t["tags"])
        return Response(200, {"ticket": out})

    # -- requested items -------------------------------------------------
    def service_request(self, tid):
        t = self.ticket_or_none(tid)
        if t is None:
            return None, self.error(404, "Record not found")
        if t["type"] != "Service Request":
            raise Invalid("ticket_id", "The ticket is not a service request")
        return t, None

    def list_requested_items(self, req, tid):
        t, err = self.service_request(tid)
        if err:
            return err
        return Response(200, {"requested_items": [dict(i) for i in t["requested_items"]]})

    def update_requested_item(self, req, tid, rid):
        t, err = self.service_request(tid)
        if err:
            return err
        item = next((i for i in t["requested_items"] if i["id"] == rid), None)
        if item is None:
            return self.error(404, "Record not found")
        fields, _ = self.body(req, {"quantity", "stage", "custom_fields", "remarks"})
        if fields is None:
            return self.unsupported()
        if "stage" in fields and fields["stage"] not in STAGES:
            raise Invalid("stage", "It should be one of these values: '%s'" % ",".join(str(s) for s in STAGES))
        self.put_requested_item(t, dict(fields, id=rid))
        self.touch(t)
        catalog = self.items.get(item["service_item_id"]) or {}
        return Response(200, {"requested_item": {
            "id": item["id"], "item_id": item["service_item_id"], "quantity": item["quantity"],
            "service_request_id": t["id"], "stage": {"id": item["stage"], "name": STAGES[item["stage"]]},
            "fulfilled": item["stage"] == 4, "cost": None, "custom_fields": dict(item["custom_fields"]),
            "item": {"name": catalog.get("name"), "display_id": item["service_item_id"],
                     "deleted": catalog.get("deleted", False)}}})

    # -- approvals -------------------------------------------------------
    def render_approval(self, a, full=False, parent=False):
        out = {"id": a["id"], "created_at": a["created_at"], "updated_at": a["updated_at"],
               "approver_id": a["approver_id"], "approver_name": self.user_name(a["approver_id"]),
               "approval_type": a["approval_type"], "user_id": a["user_id"], "user_name": self.user_name(a["user_id"]),
               "level": a["level"], "approval_status": {"id": a["status"], "name": APPROVAL_STATUS[a["status"]]},
               "delegatee": a["delegatee"], "approval_group": a["approval_group"], "latest_remark": a["latest_remark"]}
        if full:
            out["email_content"] = a["email_content"]
        if parent:
            out["parent"] = "ticket"
            out["parent_id"] = a["ticket_id"]
        return out

    def ticket_approval(self, tid, aid):
        t, err = self.service_request(tid)
        if err:
            return None, None, err
        a = self.approvals.get(aid)
        if a is None or a["ticket_id"] != tid:
            return None, None, self.error(404, "Record not found")
        return t, a, None

    def list_ticket_approvals(self, req, tid):
        t, err = self.service_request(tid)
        if err:
            return err
        return self.page(req, "approvals", [self.approvals[a] for a in t["approval_ids"]], self.render_approval)

    def view_approval(self, req, tid, aid):
        _, a, err = self.ticket_approval(tid, aid)
        return err or Response(200, {"approval": self.render_approval(a, full=True)})

    def request_approval(self, req, tid):
        t, err = self.service_request(tid)
        if err:
            return err
        fields, _ = self.body(req, {"approver_id", "approval_type", "email_content", "approval_group_id"})
        if fields is None:
            return self.unsupported()
        approver = fields.get("approver_id")
        if not isinstance(approver, int) or approver not in self.users:
            raise Invalid("approver_id", "There is no user with the given approver_id",
                          "missing_field" if approver is None else "invalid_value")
        if not self.users[approver].get("active", True):
            raise Invalid("approver_id", "The approver is deactivated")
        kind = fields.get("approval_type", 2)
        if kind not in APPROVAL_TYPES:
            raise Invalid("approval_type", "It should be one of these values: '1,2,3,4'")
        a = self.put_approval({"ticket_id": tid, "approver_id": approver, "approval_type": kind, "status": 0,
                               "user_id": self.caller, "email_content": fields.get("email_content")})
        self.touch(t)
        return Response(201, {"approvals": [self.render_approval(a, full=True)]})

    def cancel_approval(self, req, tid, aid):
        t, a, err = self.ticket_approval(tid, aid)
        if err:
            return err
        fields, _ = self.body(req, {"approval_status"})
        if fields is None:
            return self.unsupported()
        status = fields.get("approval_status")
        if not isinstance(status, dict) or status.get("id") != 3:
            raise Invalid("approval_status", "Only the cancelled status (3) can be set through the API")
        if a["status"] != 0:
            raise Invalid("approval_status", "The approval is %s already" % APPROVAL_STATUS[a["status"]],
                          "incompatible_field")
        self.put_approval({"id": aid, "status": 3})
        self.touch(t)
        return Response(200, {"approval": self.render_approval(a)})

    def remind_approval(self, req, tid, aid):
        _, a, err = self.ticket_approval(tid, aid)
        if err:
            return err
        if a["status"] != 0:
            raise Invalid("approval_status", "The approval is %s already" % APPROVAL_STATUS[a["status"]],
                          "incompatible_field")
        self.reminders.append(aid)
        return Response(200)

    def list_approvals(self, req):
        parent = req.query.get("parent")
        if parent not in ("ticket", "change"):
            raise Invalid("parent", "It should be one of these values: 'ticket,change'", "missing_field")
        if not any(k in req.query for k in ("approver_id", "status", "parent_id", "delegatee_id")):
            raise Invalid("status", "One of approver_id, status, parent_id, delegatee_id is mandatory",
                          "missing_field")
        status = req.query.get("status")
        codes = {v: k for k, v in APPROVAL_STATUS.items()}
        if status is not None and status not in codes:
            raise Invalid("status", "It should be one of these values: '%s'" % ",".join(codes))
        if parent == "change":
            rows = []
        elif status == "requested" and "parent_id" not in req.query:
            rows = [self.approvals[a] for a in sorted(self.pending)]
        elif "parent_id" in req.query:
            t = self.tickets.get(int(req.query["parent_id"])) if req.query["parent_id"].isdigit() else None
            rows = [self.approvals[a] for a in t["approval_ids"]] if t else []
        else:
            rows = list(self.approvals.values())
        for key in ("approver_id", "level"):
            if key in req.query:
                rows = [a for a in rows if str(a[key]) == req.query[key]]
        if status is not None:
            rows = [a for a in rows if a["status"] == codes[status]]
        rows.sort(key=lambda a: (a["created_at"], a["id"]))
        try:
            page = max(1, int(req.query.get("page", "1")))
        except ValueError:
            raise Invalid("page", "It should be a/an Positive Integer", "datatype_mismatch")
        chosen = rows[(page - 1) * APPROVALS_PAGE:page * APPROVALS_PAGE]
        return Response(200, {"approvals": [self.render_approval(a, parent=True) for a in chosen], "total": len(rows)})

    # -- conversations and attachments -----------------------------------
    def create_note(self, req, tid):
        t = self.ticket_or_none(tid)
        if t is None:
            return self.error(404, "Record not found")
        fields, files = self.body(req, {"body", "private", "incoming", "notify_emails", "user_id"}, multipart=True)
        if fields is None:
            return self.unsupported()
        if not fields.get("body"):
            raise Invalid("body", "It should not be blank as this is a mandatory field", "missing_field")
        private = fields.get("private", True)
        if isinstance(private, str):
            private = private.lower() != "false"
        c = self.add_conversation(t, fields["body"], bool(private), fields.get("user_id") or self.caller, files,
                                  source=2, incoming=fields.get("incoming") in (True, "true"))
        return Response(201, {"conversation": self.render_conversation(req, c)})

    def create_reply(self, req, tid):
        t = self.ticket_or_none(tid)
        if t is None:
            return self.error(404, "Record not found")
        fields, files = self.body(req, {"body", "from_email", "user_id", "cc_emails", "bcc_emails"},
                                  multipart=True)
        if fields is None:
            return self.unsupported()
        if not fields.get("body"):
            raise Invalid("body", "It should not be blank as this is a mandatory field", "missing_field")
        c = self.add_conversation(t, fields["body"], False, fields.get("user_id") or self.caller, files, source=0)
        requester = self.users.get(t["requester_id"]) or {}
        c["to_emails"] = [requester["primary_email"]] if requester.get("primary_email") else []
        return Response(201, {"conversation": self.render_conversation(req, c)})

    def render_conversation(self, req, c):
        out = dict(c)
        out["attachments"] = [self.render_attachment(req, a) for a in c["attachments"]]
        return out

    def render_attachment(self, req, meta):
        out = dict(meta)
        out["attachment_url"] = "http://%s%s/attachments/%d" % (req.headers.get("host", "localhost"), API, meta["id"])
        return out

    def list_conversations(self, req, tid):
        t = self.ticket_or_none(tid)
        if t is None:
            return self.error(404, "Record not found")
        rows = [self.conversations[c] for c in t["conversation_ids"]]
        return self.page(req, "conversations", rows, lambda c: self.render_conversation(req, c))

    def download_attachment(self, req, aid):
        found = self.attachments.get(aid)
        if found is None:
            return self.error(404, "Record not found")
        meta, data = found
        return Response(200, data, {"Content-Type": meta["content_type"]})

    # -- the service catalog ---------------------------------------------
    def list_items(self, req):
        workspaces = self.workspace_filter(req)
        rows = [i for i in self.items.values() if workspaces is None or i["workspace_id"] in workspaces]
        if "category_id" in req.query:
            rows = [i for i in rows if str(i["category_id"]) == req.query["category_id"]]
        rows.sort(key=lambda i: i["display_id"])
        return self.page(req, "service_items", rows, lambda i: {k: v for k, v in i.items() if k != "custom_fields"})

    def view_item(self, req, display):
        item = self.items.get(display)
        if item is None:
            return self.error(404, "Record not found")
        return Response(200, {"service_item": dict(item)})

    def place_request(self, req, display):
        item = self.items.get(display)
        if item is None or item["deleted"]:
            return self.error(404, "Record not found")
        fields, _ = self.body(req, {"email", "requested_for", "quantity", "custom_fields", "child_items",
                                    "parent_ticket_id"})
        if fields is None:
            return self.unsupported()
        values = fields.get("custom_fields") or {}
        if not isinstance(values, dict):
            raise Invalid("custom_fields", "It should be a/an key/value pair", "datatype_mismatch")
        known = {f["name"]: f for f in item["custom_fields"]}
        for name in values:
            if known and name not in known:
                raise Invalid("custom_fields.%s" % name, "Unexpected/invalid field in request", "invalid_field")
        for name, f in known.items():
            if f.get("required") and values.get(name) in (None, ""):
                raise Invalid("custom_fields.%s" % name, "It should not be blank as this is a mandatory field",
                              "missing_field")

        def person(address):
            return self.user_by_email(address) or self.put_user({"primary_email": address}, agent=False)

        if fields.get("email"):
            requester = person(fields["email"])
        elif self.caller in self.users:
            requester = self.users[self.caller]
        else:
            raise Invalid("email", "Please fill the email of the requester", "missing_field")
        requested_for = person(fields["requested_for"]) if fields.get("requested_for") else requester
        t = self.put_ticket({"type": "Service Request", "requester_id": requester["id"],
                             "requested_for_id": requested_for["id"], "workspace_id": item["workspace_id"],
                             "subject": "Request for %s : %s" % (self.user_name(requested_for["id"]), item["name"]),
                             "requested_items": [{"service_item_id": display, "custom_fields": dict(values),
                                                  "quantity": int(fields.get("quantity") or 1)}]})
        out = self.render_ticket(t, view=True)
        out["approval_status"] = None
        out["requested_items"] = [dict(i) for i in t["requested_items"]]
        return Response(201, {"service_request": out})

    # -- people and workspaces -------------------------------------------
    def render_requester(self, u):
        out = {k: v for k, v in u.items() if k not in ("email", "occasional")}
        out.setdefault("primary_email", None)
        return out

    def render_agent(self, u):
        out = {k: v for k, v in u.items() if k not in ("primary_email", "secondary_emails", "is_agent")}
        out["email"] = u.get("primary_email")
        out.setdefault("occasional", False)
        return out

    def people(self, req, agents):
        address = req.query.get("email")
        if address is not None:
            rows = [self.users[i] for i in self.by_email.get(address.lower(), [])]
        else:
            rows = list(self.users.values())
        if agents:
            rows = [u for u in rows if u["is_agent"]]
            if "active" in req.query:
                rows = [u for u in rows if str(u.get("active", True)).lower() == req.query["active"]]
        elif req.query.get("include_agents") != "true":
            rows = [u for u in rows if not u["is_agent"]]
        rows.sort(key=lambda u: (u.get("first_name") or "", u["id"]))
        return rows

    def list_requesters(self, req):
        return self.page(req, "requesters", self.people(req, agents=False), self.render_requester)

    def view_requester(self, req, uid):
        u = self.users.get(uid)
        if u is None or u["is_agent"]:
            return self.error(404, "Record not found")
        return Response(200, {"requester": self.render_requester(u)})

    def list_agents(self, req):
        return self.page(req, "agents", self.people(req, agents=True), self.render_agent)

    def view_agent(self, req, uid):
        u = self.users.get(uid)
        if u is None or not u["is_agent"]:
            return self.error(404, "Record not found")
        return Response(200, {"agent": self.render_agent(u)})

    def list_workspaces(self, req):
        return self.page(req, "workspaces", sorted(self.workspaces.values(), key=lambda w: w["id"]), dict)

    def view_workspace(self, req, wid):
        w = self.workspaces.get(wid)
        return Response(200, {"workspace": dict(w)}) if w else self.error(404, "Record not found")

    def ticket_fields(self, req):
        choices = [{"id": k, "value": v} for k, v in sorted(STATUSES.items())]
        choices += [{"id": k, "value": v} for k, v in sorted(self.custom_statuses.items())]
        return Response(200, {"ticket_fields": [
            {"id": 1, "name": "status", "label": "Status", "field_type": "default_status", "default_field": True,
             "choices": choices, "workspace_id": None},
            {"id": 2, "name": "ticket_type", "label": "Type", "field_type": "default_ticket_type",
             "default_field": True, "choices": [{"id": i + 1, "value": v} for i, v in enumerate(TICKET_TYPES)],
             "workspace_id": None}]})
