# SPDX-License-Identifier: Apache-2.0
"""TOPdesk: the REST API under /tas/api that an access-request connector
uses, as TOPdesk's OpenAPI specifications describe it (incident API 4.2.6,
change API 1.4.0 and its later FIQL query, persons/operators API 2.7.11;
doc/itsm-topdesk.md gives every source). Base URL for the agent:
http://127.0.0.1:PORT/tas/api.

Authentication is HTTP Basic with a login name and an application password
(no token round trip). An operator account works the operator endpoints; a
person account (a manager deciding an authorization) only the manager
endpoints, /version and /persons/current; either gets 403 elsewhere.
Errors are a JSON list of {"message"}; a FIQL query that does not parse, or
names a field or uses an operator the resource does not allow, answers 400
naming the constraint.

Incidents (request calls): GET/POST /incidents (FIQL query, sort, fields,
pageStart/pageSize up to 10000, default 10; 204 when nothing matches, 206
and X-Next-Page-Url when more remain; dateFormat=iso8601), GET/PATCH/PUT
/incidents/id/{id} and /incidents/number/{number} (a plain JSON object;
"action" appends to the progress trail, actionInvisibleForCaller hides it
from the caller), .../actions, .../progresstrail, .../requests (start,
page_size up to 100), .../attachments (multipart upload, part "file"; list;
download), /incidents/statuses, /categories, /subcategories.
Changes, activities and the manager's decisions: see topdesk_change.py.
Persons: GET /persons (FIQL; the 2.x collection with Accept:
application/x.topdesk-collection-person-v2+json, pageStart/pageSize up to
5000, {"item", "size", "next"}, 206 when more), GET /persons/{id},
/persons/current. Operators: GET /operators (FIQL, start/page_size up to
100; without a query only unarchived ones), /operators/id/{id},
/operators/current; operator groups: GET /operatorgroups (the same). GET
/version, /productVersion.

Seed data ({"topdesk": {...}}); every record may leave out its id (a UUID is
given), number and dates (now); a seeded record whose id exists updates that
record, and its modification date moves to now unless given, which is how
tests change data behind the agent's back. Dates may be given as TOPdesk
writes them, as "YYYY-MM-DD HH:MM:SS" (UTC) or as epoch milliseconds.
  persons      [{"id", "firstName", "surName", "dynamicName", "email",
                 "tasLoginName", "networkLoginName", "isManager",
                 "manager": {"id"}, "archived", ...}]
  operators    [{"id", "firstName", "surName", "dynamicName", "email",
                 "loginName", "archived", ...}]
  operatorgroups [{"id", "groupName"}]
  incidents    [{"caller": {"id"} (a person; or {"dynamicName"}),
                 "briefDescription", "request" (text; one request entry),
                 "category": {"name"}, "subcategory": {"name"},
                 "processingStatus": {"name"}, "externalNumber",
                 "optionalFields1": {"text1", "date1", ...}, "status",
                 "closed", "completed", "callDate", "creationDate",
                 "modificationDate", ...}]
  changes, activities: see topdesk_change.py.

Settings (POST /_emu/config/topdesk):
  users               {"login": {"password": "<application password>",
                       "operator": "<operator id>" | "person": "<person id>",
                       "expired": true (the password's expiry date passed)}}
  api_version         what GET /version answers (default "3.10.0")
  incident_statuses   [{"id", "name", "onHold", "processingState", "default"}]
  categories          [{"id", "name", "subcategories": [name | {"id", "name"}]}]
  rate_limit          {"requests": N, "per_seconds": S, "retry_after": R}:
                      over N requests in S seconds answers 429 (no limit is
                      documented; R null: no Retry-After header)
  and the change settings of topdesk_change.py.

State (GET /_emu/state/topdesk): persons, operators, incidents, changes,
activities (dates as epoch milliseconds), progress trails by record id,
attachments (name, size, invisibleForCaller, data as text), counts.
"""

import base64
import itertools
import json
import re
import time
import urllib.parse

import fiql
import topdesk_change
from api import Response
from topdesk_data import (OPTIONAL_DATES, Account, Table, empty_optional_fields, multipart, new_id, now_ms,
                          optional_fields_schema, parse_date, render_date, walk)

BASE = r"/tas/api"
PERSON_V2 = "application/x.topdesk-collection-person-v2+json"
INCIDENT_PAGE_MAX = 10000
TRAIL_PAGE_MAX = 100
BRIEF_MAX = 80
EXTERNAL_NUMBER_MAX = 60


INCIDENT_SCHEMA = dict({
    "id": "text", "number": "text", "status": "text", "briefDescription": "text", "request": "memo",
    "externalNumber": "text", "caller.id": "text", "caller.name": "text", "caller.dynamicName": "text",
    "caller.email": "text", "category.id": "text", "category.name": "text", "subcategory.id": "text",
    "subcategory.name": "text", "callType.id": "text", "callType.name": "text", "entryType.id": "text",
    "entryType.name": "text", "operator.id": "text", "operator.name": "text", "operatorGroup.id": "text",
    "operatorGroup.name": "text", "processingStatus.id": "text", "processingStatus.name": "text",
    "completed": "boolean", "closed": "boolean", "onHold": "boolean", "majorCall": "boolean",
    "creationDate": "date", "modificationDate": "date", "callDate": "date", "closedDate": "date",
    "completedDate": "date", "targetDate": "date",
}, **optional_fields_schema(""))
INCIDENT_DATES = ["creationDate", "modificationDate", "callDate", "closedDate", "completedDate", "targetDate",
                  "onHoldDate", "responseDate"] + OPTIONAL_DATES
# What an operator may write on an incident (IncidentCreateBody / IncidentUpdateBody).
INCIDENT_WRITABLE = {
    "action", "actionInvisibleForCaller", "branch", "branchExtraFieldA", "branchExtraFieldB", "briefDescription",
    "callDate", "callType", "caller", "callerLookup", "category", "closed", "closedDate", "closureCode",
    "completed", "completedDate", "costs", "duration", "entryType", "externalLink", "externalNumber",
    "feedbackMessage", "feedbackRating", "impact", "location", "mainIncident", "majorCall", "majorCallObject",
    "object", "onHold", "operator", "operatorGroup", "optionalFields1", "optionalFields2", "priority",
    "processingStatus", "publishToSsd", "request", "responded", "responseDate", "sla", "status", "subcategory",
    "supplier", "targetDate", "urgency"}
INCIDENT_STATUSES = ("firstLine", "secondLine", "partial")

PERSON_SCHEMA = {
    "id": "text+", "firstName": "text+", "surName": "text+", "dynamicName": "text+", "email": "text+",
    "tasLoginName": "text+", "networkLoginName": "text+", "employeeNumber": "text+", "jobTitle": "text+",
    "phoneNumber": "text+", "mobileNumber": "text+", "archived": "boolean", "isManager": "boolean",
    "hasSspAccess": "boolean", "manager.id": "text+", "manager.name": "text+", "branch.id": "text+",
    "branch.name": "text+", "creationDate": "date", "modificationDate": "date"}
OPERATOR_SCHEMA = {
    "id": "text", "firstName": "text", "surName": "text", "dynamicName": "text", "email": "text",
    "loginName": "text", "networkLoginName": "text", "employeeNumber": "text", "jobTitle": "text",
    "archived": "boolean", "changeCoordinator": "boolean", "changeActivitiesOperator": "boolean",
    "creationDate": "date", "modificationDate": "date"}
PEOPLE_DATES = ["creationDate", "modificationDate"]
OPERATORGROUP_SCHEMA = {"id": "text", "groupName": "text", "archived": "boolean"}

DEFAULT_INCIDENT_STATUSES = [
    {"id": "d7c7f5e6-1f4a-4c36-9a4b-0c1e5b7a9d01", "name": "Registered", "default": True},
    {"id": "d7c7f5e6-1f4a-4c36-9a4b-0c1e5b7a9d02", "name": "In progress"},
    {"id": "d7c7f5e6-1f4a-4c36-9a4b-0c1e5b7a9d03", "name": "Waiting for user", "onHold": "true"},
    {"id": "d7c7f5e6-1f4a-4c36-9a4b-0c1e5b7a9d04", "name": "Closed"},
]


def yymm(ms):
    return time.strftime("%y%m", time.gmtime(ms / 1000.0))


class TOPdesk:
    name = "topdesk"

    def __init__(self):
        self.changes = topdesk_change.Changes(self)
        op = self.only("operator", "No permission to access the data")
        person = self.only("person", "No permission to access authorization activities and changes")
        inc = BASE + r"/incidents/(?P<by>id|number)/(?P<key>[^/]+)"
        self.routes = [
            ("GET", re.compile(BASE + r"/version"), self.version),
            ("GET", re.compile(BASE + r"/productVersion"), self.product_version),
            ("GET", re.compile(BASE + r"/persons"), op(self.list_persons)),
            ("GET", re.compile(BASE + r"/persons/current"), person(self.current_person)),
            ("GET", re.compile(BASE + r"/persons/(?P<id>[0-9a-fA-F-]{36})"), op(self.get_person)),
            ("GET", re.compile(BASE + r"/operators"), op(self.list_operators)),
            ("GET", re.compile(BASE + r"/operators/current"), op(self.current_operator)),
            ("GET", re.compile(BASE + r"/operators/id/(?P<id>[^/]+)"), op(self.get_operator)),
            ("GET", re.compile(BASE + r"/operatorgroups"), op(self.list_operatorgroups)),
            ("GET", re.compile(BASE + r"/incidents"), op(self.list_incidents)),
            ("POST", re.compile(BASE + r"/incidents"), op(self.create_incident)),
            ("GET", re.compile(BASE + r"/incidents/statuses"), op(self.incident_statuses)),
            ("GET", re.compile(BASE + r"/incidents/categories"), op(self.categories)),
            ("GET", re.compile(BASE + r"/incidents/subcategories"), op(self.subcategories)),
            ("GET", re.compile(inc), op(self.get_incident)),
            ("PATCH", re.compile(inc), op(self.update_incident)),
            ("PUT", re.compile(inc), op(self.update_incident)),
            ("GET", re.compile(inc + r"/(?P<trail>actions|progresstrail|requests)"), op(self.incident_trail)),
            ("GET", re.compile(inc + r"/attachments"), op(self.incident_attachments)),
            ("POST", re.compile(inc + r"/attachments"), op(self.upload_incident_attachment)),
            ("GET", re.compile(inc + r"/attachments/(?P<aid>[^/]+)/download"), op(self.download_incident_attachment)),
        ] + self.changes.routes(op, person) + [
            (m, re.compile(BASE + r"(?:/.*)?"), self.no_endpoint) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
        ]
        self.reset()

    # -- control -------------------------------------------------------
    def reset(self):
        self.users = {}
        self.api_version = "3.10.0"
        self.incident_statuses_list = [dict(s) for s in DEFAULT_INCIDENT_STATUSES]
        self.category_list = []
        self.rate_limit = None
        self.recent = []
        self.persons = Table(eq=("email", "tasLoginName", "networkLoginName"), ordered=("modificationDate",))
        self.operators = Table(eq=("email", "loginName"), ordered=("modificationDate",))
        self.operatorgroups = {}
        self.incidents = Table(eq=("number", "externalNumber", "caller.id"),
                               ordered=("modificationDate", "creationDate"))
        self.trails = {}        # record id -> [progress trail entries], oldest first
        self.requests = {}      # record id -> [request entries], oldest first
        self.attachments = {}   # attachment id -> {"owner", "fileName", "data", ...}
        self.counters = {}
        self.counts = {"requests": 0, "throttled": 0}
        self.changes.reset()

    def configure(self, data):
        self.users.update(data.get("users", {}))
        self.api_version = data.get("api_version", self.api_version)
        if "incident_statuses" in data:
            self.incident_statuses_list = [dict(s, id=s.get("id") or new_id()) for s in data["incident_statuses"]]
        if "categories" in data:
            self.category_list = []
            for c in data["categories"]:
                subs = [s if isinstance(s, dict) else {"name": s} for s in c.get("subcategories", [])]
                self.category_list.append({"id": c.get("id") or new_id(), "name": c["name"],
                                           "subcategories": [dict(s, id=s.get("id") or new_id()) for s in subs]})
        if "rate_limit" in data:
            self.rate_limit = data["rate_limit"]
            self.recent = []
        self.changes.configure(data)

    def seed(self, data):
        self.configure({k: data[k] for k in ("users",) if k in data})
        for p in data.get("persons", []):
            self.seed_person(self.persons, p)
        for o in data.get("operators", []):
            self.seed_person(self.operators, o)
        for g in data.get("operatorgroups", []):
            g = dict(g, id=g.get("id") or new_id())
            self.operatorgroups[g["id"]] = g
        for i in data.get("incidents", []):
            self.seed_incident(i)
        self.changes.seed(data)

    def dump(self):
        return {"persons": list(self.persons.records.values()), "operators": list(self.operators.records.values()),
                "incidents": [self.incident_state(i) for i in self.incidents.records.values()],
                "changes": list(self.changes.changes.records.values()),
                "activities": list(self.changes.activities.records.values()),
                "progresstrail": self.trails, "requests": self.requests,
                "attachments": [dict(a, data=a["data"].decode("utf-8", "replace")) for a in self.attachments.values()],
                "counts": self.counts}

    def incident_state(self, inc):
        return dict(inc, request=self.request_text(inc["id"]))

    # -- errors, auth, access -------------------------------------------
    def error(self, status, message):
        return Response(status, [{"message": message}])

    def account(self, login, password):
        user = self.users.get(login)
        if user is None or user.get("password") != password:
            return None, "No authentication token provided"
        if user.get("expired"):
            return None, "The application password has expired"
        if user.get("person"):
            rec, kind = self.persons.get(user["person"]), "person"
        else:
            rec, kind = self.operators.get(user.get("operator")), "operator"
        if rec is None or rec.get("archived"):
            return None, "User removed or archived"
        return Account(kind, rec["id"], rec.get("dynamicName", "")), None

    def authorize(self, req):
        auth = req.headers.get("authorization", "")
        acct, why = None, "No authentication token provided"
        if auth.startswith("Basic "):
            try:
                login, _, password = base64.b64decode(auth[6:], validate=True).decode("utf-8").partition(":")
                acct, why = self.account(login, password)
            except (ValueError, UnicodeDecodeError):
                pass
        if acct is None:
            return self.error(401, why)
        req.account = acct
        return self.throttle()

    def throttle(self):
        self.counts["requests"] += 1
        if not self.rate_limit:
            return None
        now = time.time()
        window = float(self.rate_limit.get("per_seconds", 1))
        self.recent = [t for t in self.recent if t > now - window]
        if len(self.recent) >= int(self.rate_limit.get("requests", 1)):
            self.counts["throttled"] += 1
            resp = self.error(429, "Too many requests")
            if self.rate_limit.get("retry_after", 1) is not None:
                resp.headers["Retry-After"] = str(self.rate_limit.get("retry_after", 1))
            return resp
        self.recent.append(now)
        return None

    def only(self, kind, refusal):
        """Wrap a handler so that only KIND accounts ("operator", "person")
        reach it; others get 403 REFUSAL."""
        def wrap(handler):
            def wrapped(req, m):
                if req.account.kind != kind:
                    return self.error(403, refusal)
                return handler(req, m)
            return wrapped
        return wrap

    def no_endpoint(self, req, m):
        return self.error(404, "No such endpoint")

    # -- shared helpers ---------------------------------------------------
    def json_body(self, req, media=None):
        """(body, error): the request's JSON; MEDIA lists the content types
        the endpoint consumes (None: any, as the incident API's */*)."""
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if media is not None and ctype not in media:
            return None, self.error(415, "Unsupported Media Type")
        body = req.json()
        if body is None:
            return None, self.error(400, "Invalid input data: the body is not JSON")
        return body, None

    def host(self, req):
        return "http://%s" % req.headers.get("host", "localhost")

    def number(self, prefix, digits, ms):
        key = (prefix, yymm(ms))
        self.counters[key] = self.counters.get(key, 0) + 1
        return "%s %s %0*d" % (prefix, key[1], digits, self.counters[key])

    def int_param(self, req, name, default, low, high):
        """(value, error) of integer query parameter NAME in [LOW, HIGH]."""
        text = req.query.get(name)
        if text is None or text == "":
            return default, None
        try:
            value = int(text)
        except ValueError:
            return None, self.error(400, "Invalid input data: %s must be a number" % name)
        if value < low or (high is not None and value > high):
            return None, self.error(400, "Invalid input data: %s must be between %d and %s" % (name, low, high))
        return value, None

    def query_tree(self, req, schema):
        """(tree, error): the FIQL `query` parameter, checked against SCHEMA."""
        text = req.query.get("query")
        if not text:
            return None, None
        try:
            return fiql.parse(text, schema), None
        except fiql.FiqlError as e:
            return None, self.error(400, str(e))

    def sort_order(self, req, allowed, default):
        """(order, error) from the `sort` parameter: field:asc|desc, comma-joined."""
        text = req.query.get("sort")
        if not text:
            return default, None
        order = []
        for part in text.split(","):
            field, _, direction = part.partition(":")
            if field not in allowed or direction not in ("", "asc", "desc"):
                return None, self.error(400, "Invalid input data: cannot sort on '%s'" % part)
            order.append((field, direction == "desc"))
        return order, None

    def page(self, rows, start, size):
        """(page, more): rows START.. START+SIZE of the iterator ROWS."""
        taken = list(itertools.islice(rows, start + size + 1))
        return taken[start:start + size], len(taken) > start + size

    def trail_page(self, req, entries, render):
        """A progress trail, actions or attachments listing: start and
        page_size (1 to 100, default 10); 204 empty, 206 more remain."""
        start, err = self.int_param(req, "start", 0, 0, None)
        size, err2 = self.int_param(req, "page_size", 10, 0, TRAIL_PAGE_MAX)
        if err or err2:
            return err or err2
        size = size or 10
        chosen = entries[start:start + size]
        if not chosen:
            return Response(204)
        return Response(206 if len(entries) > start + size else 200, [render(e) for e in chosen])

    def dates_out(self, rec, paths, style):
        """A copy of REC with the date fields at PATHS rendered in STYLE."""
        out = json.loads(json.dumps(rec))
        for path in paths:
            parts = path.split(".")
            holder = walk(out, ".".join(parts[:-1])) if len(parts) > 1 else out
            if isinstance(holder, dict) and holder.get(parts[-1]) is not None:
                holder[parts[-1]] = render_date(holder[parts[-1]], style)
        return out

    def operator_ref(self, oid):
        o = self.operators.get(oid)
        return {"id": o["id"], "name": o.get("dynamicName", "")} if o else None

    def trail_add(self, owner, entry):
        entry = dict(entry)
        entry.setdefault("id", new_id())
        entry.setdefault("entryDate", now_ms())
        entry.setdefault("flag", 0)
        entry.setdefault("invisibleForCaller", False)
        self.trails.setdefault(owner, []).append(entry)
        return entry

    def request_add(self, owner, text, account=None, when=None):
        entry = {"id": new_id(), "memoText": text, "plainText": text, "entryDate": when or now_ms(), "flag": 0,
                 "operator": account.ref() if account and account.kind == "operator" else None,
                 "person": account.ref() if account and account.kind == "person" else None}
        self.requests.setdefault(owner, []).append(entry)

    def request_text(self, owner):
        """The request field: every request entry, newest first, each headed
        by its date and author as TOPdesk writes it."""
        out = []
        for e in reversed(self.requests.get(owner, [])):
            who = (e.get("operator") or e.get("person") or {}).get("name", "")
            stamp = time.strftime("%d-%m-%Y %H:%M", time.gmtime(e["entryDate"] / 1000.0))
            out.append("%s [GMT +0:00] %s: \n%s\n\n" % (stamp, who, e["plainText"]))
        return "".join(out) or None

    def store_attachment(self, owner, filename, data, ctype, account, invisible=False, description=None):
        aid = new_id()
        att = {"id": aid, "owner": owner, "fileName": filename, "data": data, "contentType": ctype,
               "size": len(data), "invisibleForCaller": invisible, "description": description,
               "entryDate": now_ms(), "operator": account.ref() if account.kind == "operator" else None,
               "person": account.ref() if account.kind == "person" else None}
        self.attachments[aid] = att
        return att

    # -- general ---------------------------------------------------------
    def version(self, req, m):
        return Response(200, {"version": self.api_version})

    def product_version(self, req, m):
        parts = (self.api_version.split(".") + ["0", "0"])[:3]
        return Response(200, {"major": int(parts[0]), "minor": int(parts[1]), "patch": int(parts[2])})

    # -- persons and operators ---------------------------------------------
    def seed_person(self, table, p):
        old = table.get(p.get("id")) if p.get("id") else None
        rec = dict(old or {"id": p.get("id") or new_id(), "archived": False, "creationDate": now_ms()})
        rec.update(p)
        for f in PEOPLE_DATES:
            rec[f] = parse_date(rec.get(f))
        if "modificationDate" not in p:
            rec["modificationDate"] = now_ms()
        if not rec.get("dynamicName"):
            rec["dynamicName"] = ("%s %s" % (rec.get("firstName", ""), rec.get("surName", ""))).strip()
        table.put(rec)

    def list_persons(self, req, m):
        tree, err = self.query_tree(req, PERSON_SCHEMA)
        if err:
            return err
        order, err = self.sort_order(req, PERSON_SCHEMA, [("dynamicName", False)])
        if err:
            return err
        rows = self.persons.select(tree, PERSON_SCHEMA, order)
        render = lambda p: self.dates_out(p, PEOPLE_DATES, "incident")  # noqa: E731
        if PERSON_V2 not in req.headers.get("accept", ""):
            return self.list_legacy(req, rows, render)
        start, err = self.int_param(req, "pageStart", 0, 0, None)
        size, err2 = self.int_param(req, "pageSize", 50, 1, 5000)
        if err or err2:
            return err or err2
        chosen, more = self.page(rows, start, size)
        nxt = None
        if more:
            q = dict(req.query, pageStart=str(start + size), pageSize=str(size))
            nxt = "%s%s?%s" % (self.host(req), req.raw_path, urllib.parse.urlencode(q))
        body = {"item": [render(p) for p in chosen], "size": len(chosen), "next": nxt}
        return Response(206 if more else 200, json.dumps(body).encode(), {"Content-Type": PERSON_V2})

    def list_legacy(self, req, rows, render):
        """The collection form of the 1.x persons and the operators listing:
        a JSON array, start and page_size (1 to 100, default 10)."""
        start, err = self.int_param(req, "start", 0, 0, None)
        size, err2 = self.int_param(req, "page_size", 10, 1, 100)
        if err or err2:
            return err or err2
        chosen, more = self.page(rows, start, size)
        if not chosen:
            return Response(204)
        return Response(206 if more else 200, [render(r) for r in chosen])

    def card(self, table, rid, what):
        """The person's or operator's card RID of TABLE."""
        rec = table.get(rid.lower())
        if rec is None:
            return self.error(404, "The %s was not found" % what)
        return Response(200, self.dates_out(rec, PEOPLE_DATES, "incident"))

    def current_person(self, req, m):
        return self.card(self.persons, req.account.id, "person")

    def get_person(self, req, m):
        return self.card(self.persons, m["id"], "person")

    def list_operators(self, req, m):
        tree, err = self.query_tree(req, OPERATOR_SCHEMA)
        if err:
            return err
        if tree is None:
            tree = fiql.parse("archived==false", OPERATOR_SCHEMA)
        rows = self.operators.select(tree, OPERATOR_SCHEMA, [("dynamicName", False)])
        return self.list_legacy(req, rows, lambda o: self.dates_out(o, PEOPLE_DATES, "incident"))

    def list_operatorgroups(self, req, m):
        """GET /operatorgroups (supporting files API 2.7.11): FIQL over the
        top-level fields; without a query only unarchived groups; start and
        page_size (1 to 100, default 10); 204 when none."""
        tree, err = self.query_tree(req, OPERATORGROUP_SCHEMA)
        if err:
            return err
        groups = [dict({"archived": False}, **g) for g in self.operatorgroups.values()]
        if tree is None:
            groups = [g for g in groups if not g["archived"]]
        rows = iter(sorted((g for g in groups if fiql.matches(tree, OPERATORGROUP_SCHEMA, lambda f, g=g: walk(g, f))),
                           key=lambda g: g["groupName"].lower()))
        fields = [f for f in req.query.get("fields", "").split(",") if f]
        return self.list_legacy(req, rows, lambda g: {k: v for k, v in g.items() if not fields or k in fields})

    def current_operator(self, req, m):
        return self.card(self.operators, req.account.id, "operator")

    def get_operator(self, req, m):
        return self.card(self.operators, m["id"], "operator")

    # -- incidents: reading ------------------------------------------------
    def incident_get(self, rec, field):
        if field == "caller.name":
            field = "caller.dynamicName"
        if field == "request":
            return self.request_text(rec["id"])
        return walk(rec, field)

    def find_incident(self, m):
        if m["by"] == "id":
            return self.incidents.get(m["key"].lower())
        found = self.incidents.find("number", m["key"])
        return found[0] if found else None

    def render_incident(self, req, inc, fields=None):
        style = "iso8601" if req.query.get("dateFormat") == "iso8601" else "incident"
        out = self.dates_out(inc, INCIDENT_DATES, style)
        base = "/tas/api/incidents/id/%s" % inc["id"]
        out.update({"request": self.request_text(inc["id"]), "requests": base + "/requests",
                    "action": base + "/actions", "attachments": base + "/attachments"})
        if fields:
            out = {k: v for k, v in out.items() if k in fields}
        return out

    def list_incidents(self, req, m):
        tree, err = self.query_tree(req, INCIDENT_SCHEMA)
        if err:
            return err
        sortable = {f for f in INCIDENT_SCHEMA if INCIDENT_SCHEMA[f] != "memo"}
        order, err = self.sort_order(req, sortable, [("creationDate", False)])
        if err:
            return err
        start, err = self.int_param(req, "pageStart", 0, 0, None)
        size, err2 = self.int_param(req, "pageSize", 10, 1, INCIDENT_PAGE_MAX)
        if err or err2:
            return err or err2
        fields = None
        if req.query.get("fields"):
            asked = [f for f in req.query["fields"].split(",") if f]
            known = set(INCIDENT_WRITABLE) | {f.split(".")[0] for f in INCIDENT_SCHEMA} | {
                "requests", "attachments", "creator", "modifier", "partialIncidents", "mainIncident"}
            fields = {f for f in asked if f in known}
            if not fields:
                return self.error(400, "Invalid input data: unknown fields '%s'" % req.query["fields"])
            fields.add("id")
        everything = req.query.get("all", "false") in ("", "true")
        rows = self.incidents.select(tree, INCIDENT_SCHEMA, order, self.incident_get)
        if not everything:
            rows = (r for r in rows if r.get("status") in ("firstLine", "secondLine"))
        chosen, more = self.page(rows, start, size)
        if not chosen:
            return Response(204)
        headers = {}
        if more:
            q = dict(req.query, pageStart=str(start + size), pageSize=str(size))
            headers["X-Next-Page-Url"] = "%s%s?%s" % (self.host(req), req.raw_path, urllib.parse.urlencode(q))
        return Response(206 if more else 200, [self.render_incident(req, r, fields) for r in chosen], headers)

    def get_incident(self, req, m):
        inc = self.find_incident(m)
        if inc is None:
            return self.error(404, "The incident number or id are valid, but incident does not exist")
        return Response(200, self.render_incident(req, inc))

    def incident_trail(self, req, m):
        inc = self.find_incident(m)
        if inc is None:
            return self.error(404, "The entity was not found")
        if m["trail"] == "requests":
            entries = list(reversed(self.requests.get(inc["id"], [])))
        else:
            entries = list(reversed(self.trails.get(inc["id"], [])))
            if m["trail"] == "actions":
                entries = [e for e in entries if e.get("memoText") is not None]
        return self.trail_page(req, entries, lambda e: self.dates_out(e, ["entryDate", "creationDate"], "incident"))

    # -- incidents: writing ------------------------------------------------
    def searchlist(self, value, choices, what):
        """(ref, error) of a searchlist value given by id or name."""
        if value is None:
            return None, None
        if not isinstance(value, dict) or not (value.get("id") or value.get("name")):
            return None, self.error(400, "Invalid input data: %s must be given by id or name" % what)
        for c in choices:
            if (value.get("id") and c["id"] == value["id"]) or (not value.get("id") and c["name"] == value.get("name")):
                return {"id": c["id"], "name": c["name"]}, None
        if value.get("id"):
            return None, self.error(404, "The request contains a field with an id value which is not existing "
                                         "in the database: %s" % what)
        return None, self.error(400, "Invalid input data: no %s named '%s'" % (what, value.get("name")))

    def incident_fields(self, req, body, inc, creating):
        """(changes, action, error): the incident fields BODY sets, checked
        as the incident API checks them."""
        if not isinstance(body, dict):
            return None, None, self.error(400, "Invalid input data: the body must be a JSON object")
        writable = INCIDENT_WRITABLE if creating else INCIDENT_WRITABLE - {"status", "mainIncident"}
        unknown = sorted(set(body) - writable)
        if unknown:
            return None, None, self.error(400, "The request contains a field that does not exist: %s" % unknown[0])
        changes = {}
        for f in ("briefDescription", "externalNumber", "request", "action"):
            if f in body and body[f] is not None and not isinstance(body[f], str):
                return None, None, self.error(400, "Invalid input data: %s must be text" % f)
        if len(body.get("briefDescription") or "") > BRIEF_MAX:
            return None, None, self.error(400, "Invalid input data: briefDescription is longer than %d" % BRIEF_MAX)
        if len(body.get("externalNumber") or "") > EXTERNAL_NUMBER_MAX:
            return None, None, self.error(400, "Invalid input data: externalNumber is longer than %d"
                                          % EXTERNAL_NUMBER_MAX)
        for f in ("briefDescription", "externalNumber"):
            if f in body:
                changes[f] = body[f]
        for f in ("closed", "completed", "onHold", "majorCall", "actionInvisibleForCaller"):
            if f in body and not isinstance(body[f], bool):
                return None, None, self.error(400, "Invalid input data: %s must be true or false" % f)
        for f in ("closed", "completed", "onHold", "majorCall"):
            if f in body:
                changes[f] = body[f]
                if f in ("closed", "completed"):
                    changes[f + "Date"] = now_ms() if body[f] else None
        if "status" in body:
            if body["status"] not in INCIDENT_STATUSES:
                return None, None, self.error(400, "Invalid input data: status '%s'" % body["status"])
            changes["status"] = body["status"]
        if "processingStatus" in body:
            ref, err = self.searchlist(body["processingStatus"], self.incident_statuses_list, "processingStatus")
            if err:
                return None, None, err
            changes["processingStatus"] = ref
        category = (inc or {}).get("category")
        if "category" in body:
            category, err = self.searchlist(body["category"], self.category_list, "category")
            if err:
                return None, None, err
            changes["category"] = category
        if "subcategory" in body:
            subs = next((c["subcategories"] for c in self.category_list if category and c["id"] == category["id"]), [])
            ref, err = self.searchlist(body["subcategory"], subs, "subcategory")
            if err:
                if category is not None and body["subcategory"] is not None:
                    return None, None, self.error(400, "The request contains a subcategory which does not belong "
                                                       "to the given category")
                return None, None, err
            changes["subcategory"] = ref
        if "callerLookup" in body:
            pid = (body["callerLookup"] or {}).get("id", "")
            person = self.persons.get(str(pid).lower())
            if person is None:
                return None, None, self.error(404, "The request contains a field with an id value which is not "
                                                   "existing in the database: callerLookup")
            changes["caller"] = {"id": person["id"], "dynamicName": person.get("dynamicName"),
                                 "email": person.get("email"), "branch": person.get("branch")}
        elif "caller" in body:
            if not isinstance(body["caller"], dict):
                return None, None, self.error(400, "Invalid input data: caller")
            changes["caller"] = dict({"id": None}, **body["caller"])
        if "operator" in body:
            ref = self.operator_ref(str((body["operator"] or {}).get("id", "")).lower()) if body["operator"] else None
            if body["operator"] and ref is None:
                return None, None, self.error(404, "The request contains a field with an id value which is not "
                                                   "existing in the database: operator")
            changes["operator"] = ref
        if "operatorGroup" in body:
            gid = (body["operatorGroup"] or {}).get("id")
            group = self.operatorgroups.get(gid) if gid else None
            if body["operatorGroup"] and group is None:
                return None, None, self.error(404, "The request contains a field with an id value which is not "
                                                   "existing in the database: operatorGroup")
            changes["operatorGroup"] = {"id": group["id"], "name": group.get("groupName")} if group else None
        for tab in ("optionalFields1", "optionalFields2"):
            if tab in body:
                if not isinstance(body[tab], dict) or set(body[tab]) - set(empty_optional_fields()):
                    return None, None, self.error(400, "The request contains a field that does not exist: %s" % tab)
                merged = dict((inc or {}).get(tab) or empty_optional_fields())
                for k, v in body[tab].items():
                    merged[k] = parse_date(v) if k.startswith("date") else v
                changes[tab] = merged
        for f in ("callDate", "targetDate", "closedDate", "completedDate"):
            if f in body:
                try:
                    changes[f] = parse_date(body[f])
                except ValueError:
                    return None, None, self.error(400, "Invalid input data: %s is not a date" % f)
        action = None
        if body.get("action"):
            action = {"memoText": body["action"], "plainText": body["action"],
                      "invisibleForCaller": bool(body.get("actionInvisibleForCaller", False))}
        if "request" in body and body["request"]:
            changes["_request"] = body["request"]
        return changes, action, None

    def apply_incident(self, req, inc, changes, action):
        request = changes.pop("_request", None)
        when = now_ms()

        def change(rec):
            rec.update(changes)
            rec["modificationDate"] = when
            rec["modifier"] = req.account.ref()
        self.incidents.update(inc, change)
        if request:
            self.request_add(inc["id"], request, req.account, when)
        if action:
            who = req.account
            self.trail_add(inc["id"], dict(action, entryDate=when, creationDate=when,
                                           operator=who.ref() if who.kind == "operator" else None,
                                           person=who.ref() if who.kind == "person" else None))

    def new_incident(self):
        when = now_ms()
        return {"id": new_id(), "status": "firstLine", "number": None, "caller": None, "briefDescription": "",
                "externalNumber": "", "category": None, "subcategory": None, "callType": None, "entryType": None,
                "impact": None, "urgency": None, "priority": None, "duration": None, "targetDate": None,
                "onHold": False, "operator": None, "operatorGroup": None, "supplier": None,
                "processingStatus": next(({"id": s["id"], "name": s["name"]} for s in self.incident_statuses_list
                                          if s.get("default")), None),
                "completed": False, "completedDate": None, "closed": False, "closedDate": None,
                "closureCode": None, "callDate": when, "creator": None, "creationDate": when, "modifier": None,
                "modificationDate": when, "majorCall": False, "archivingReason": None, "mainIncident": None,
                "partialIncidents": [], "optionalFields1": empty_optional_fields(),
                "optionalFields2": empty_optional_fields(), "externalLinks": []}

    def create_incident(self, req, m):
        body, err = self.json_body(req)
        if err:
            return err
        changes, action, err = self.incident_fields(req, body, None, True)
        if err:
            return err
        if "caller" not in changes:
            return self.error(400, "Invalid input data: a caller (callerLookup or caller.dynamicName) is required")
        inc = self.new_incident()
        inc["number"] = self.number("I", 3, inc["creationDate"])
        inc["creator"] = req.account.ref()
        self.incidents.put(inc)
        self.apply_incident(req, inc, changes, action)
        return Response(201, self.render_incident(req, inc))

    def update_incident(self, req, m):
        inc = self.find_incident(m)
        if inc is None:
            return self.error(404, "The incident number or id are valid, but incident does not exist")
        if inc.get("status", "").endswith("Archived"):
            return self.error(403, "The incident is archived")
        body, err = self.json_body(req)
        if err:
            return err
        changes, action, err = self.incident_fields(req, body, inc, False)
        if err:
            return err
        self.apply_incident(req, inc, changes, action)
        return Response(200, self.render_incident(req, inc))

    def seed_incident(self, data):
        data = dict(data)
        old = self.incidents.get(data.get("id")) if data.get("id") else None
        inc = old or self.new_incident()
        if data.get("id"):
            inc["id"] = data["id"]
        request = data.pop("request", None)
        caller = data.pop("caller", None)
        if caller and caller.get("id") and self.persons.get(caller["id"]):
            p = self.persons.get(caller["id"])
            data["caller"] = {"id": p["id"], "dynamicName": p.get("dynamicName"), "email": p.get("email"),
                              "branch": p.get("branch")}
        elif caller:
            data["caller"] = dict({"id": None}, **caller)
        for ref, choices in (("category", self.category_list), ("processingStatus", self.incident_statuses_list)):
            if isinstance(data.get(ref), dict) and not data[ref].get("id"):
                found, _ = self.searchlist(data[ref], choices, ref)
                data[ref] = found or dict(data[ref], id=new_id())
        for tab in ("optionalFields1", "optionalFields2"):
            if tab in data:
                data[tab] = dict(inc.get(tab) or empty_optional_fields(), **data[tab])
        for f in INCIDENT_DATES:
            value = walk(data, f) if "." in f else data.get(f)
            if value is not None:
                holder = walk(data, f.rsplit(".", 1)[0]) if "." in f else data
                holder[f.rsplit(".", 1)[-1]] = parse_date(value)
        when = now_ms()

        def change(rec):
            rec.update(data)
            if "modificationDate" not in data:
                rec["modificationDate"] = when
            if not rec.get("number"):
                rec["number"] = self.number("I", 3, rec["creationDate"])
        if old is None:
            change(inc)
            self.incidents.put(inc)
        else:
            self.incidents.update(inc, change)
        if request:
            caller = inc.get("caller") or {}
            self.request_add(inc["id"], request, Account("person", caller.get("id"), caller.get("dynamicName", "")),
                             inc["creationDate"])

    def incident_statuses(self, req, m):
        return Response(200, [{"id": s["id"], "name": s["name"], "onHold": s.get("onHold"),
                               "processingState": s.get("processingState"), "response": s.get("response"),
                               "default": bool(s.get("default"))} for s in self.incident_statuses_list])

    def categories(self, req, m):
        return Response(200, [{"id": c["id"], "name": c["name"]} for c in self.category_list])

    def subcategories(self, req, m):
        return Response(200, [{"id": s["id"], "name": s["name"], "category": {"id": c["id"], "name": c["name"]}}
                              for c in self.category_list for s in c["subcategories"]])

    # -- incident attachments ------------------------------------------------
    def attachment_meta(self, att, owner_path):
        return {"id": att["id"], "fileName": att["fileName"],
                "downloadUrl": "%s/attachments/%s/download" % (owner_path, att["id"]), "size": att["size"],
                "description": att["description"], "invisibleForCaller": att["invisibleForCaller"],
                "entryDate": render_date(att["entryDate"], "incident"), "operator": att["operator"],
                "person": att["person"]}

    def incident_attachments(self, req, m):
        inc = self.find_incident(m)
        if inc is None:
            return self.error(404, "The entity was not found")
        path = "/tas/api/incidents/id/%s" % inc["id"]
        atts = sorted((a for a in self.attachments.values() if a["owner"] == inc["id"]),
                      key=lambda a: a["entryDate"], reverse=True)
        return self.trail_page(req, atts, lambda a: self.attachment_meta(a, path))

    def upload_incident_attachment(self, req, m):
        inc = self.find_incident(m)
        if inc is None:
            return self.error(404, "the incident does not exist")
        parts = multipart(req)
        if parts is None or "file" not in parts or not parts["file"][0]:
            return self.error(400, "The parameters of the request were malformed: a multipart/form-data body "
                                   "with a file part named 'file' is required")
        filename, data, ctype = parts["file"]
        invisible = parts.get("invisibleForCaller", (None, b"false", None))[1].decode("utf-8", "replace") == "true"
        description = parts.get("description", (None, None, None))[1]
        att = self.store_attachment(inc["id"], filename, data, ctype, req.account, invisible,
                                    description.decode("utf-8", "replace") if description else None)
        self.trail_add(inc["id"], {"fileName": filename, "size": len(data), "invisibleForCaller": invisible,
                                   "downloadUrl": "/tas/api/incidents/id/%s/attachments/%s/download"
                                                  % (inc["id"], att["id"]),
                                   "operator": att["operator"], "person": att["person"], "memoText": None})
        self.incidents.update(inc, lambda r: r.update(modificationDate=now_ms()))
        return Response(200, self.attachment_meta(att, "/tas/api/incidents/id/%s" % inc["id"]))

    def download_incident_attachment(self, req, m):
        inc = self.find_incident(m)
        att = self.attachments.get(m["aid"])
        if inc is None or att is None or att["owner"] != inc["id"]:
            return self.error(404, "incident or attachment doesn't exist")
        return Response(200, att["data"], {"Content-Type": att["contentType"] or "application/octet-stream"})
