# SPDX-License-Identifier: Apache-2.0
"""ServiceNow: the Table API for the tables accessd uses, the Attachment API
and the OAuth token endpoint.

Seed data: {"<table>": [record, ...], "users": {"name": "password"}}. A record
may leave out sys_id, number and the sys_* dates; they are filled in. A seeded
record whose sys_id exists already updates that record (sys_updated_on moves
to now unless given), which is how tests change data behind the agent's back.
Reference fields (REFERENCES below) hold the referenced record's sys_id and
are returned as {"link", "value"} unless sysparm_exclude_reference_link=true;
dot-walking ("cat_item.name", and "sysapproval.ref_sc_req_item.cat_item" down
to an extended table) works in sysparm_query and sysparm_fields.

Journal fields (work_notes, comments) are write-only on a record, as on a
real instance: writing one appends a sys_journal_field entry (element,
element_id, name, value) and the field reads back empty.

System fields are the platform's: an API write sets sys_created_by /
sys_updated_by to the user_name of the user the request authenticated as
(Basic, the password grant's user, or a client credentials client's user)
and ignores them in the body, as an instance does. A seed may set them: that
is how tests stand in for a person acting in the UI, by e-mail, or for the
platform itself ("system", what records show when a flow or a scheduled job
without a Run As user writes). A seed that leaves them out writes as
"admin". Strings keep embedded U+0000 as JSON does.

Configuration (POST /_emu/config/servicenow):
  users                  {"name": "password"} for Basic auth and the password grant
  oauth_clients          {"client_id": "client_secret"}
  client_credentials     {"client_id": "user"}: enables that grant for those clients
  token_lifetime         seconds an access token lives (default 1800)
  expire_tokens          true: every access token issued so far stops working
  revoke_refresh_tokens  true: every refresh token issued so far stops working
  rate_limit             {"requests": N, "per_seconds": S, "retry_after": R}:
                         over N API requests in S seconds answers 429
"""

import base64
import datetime
import re
import time
import urllib.parse
import uuid

import encoded_query
from api import Response

REFERENCES = {
    "sc_req_item": {"cat_item": "sc_cat_item", "requested_for": "sys_user", "opened_by": "sys_user",
                    "request": "sc_request", "assignment_group": "sys_user_group"},
    "sysapproval_approver": {"approver": "sys_user", "sysapproval": "task"},
    "sys_user": {"manager": "sys_user"},
    "incident": {"caller_id": "sys_user", "assignment_group": "sys_user_group"},
    "sc_item_option_mtom": {"request_item": "sc_req_item", "sc_item_option": "sc_item_option"},
    "sc_item_option": {"item_option_new": "item_option_new"},
}
# Tables that extend task: a reference to "task" finds records in any of them.
TASK_TABLES = ("sc_req_item", "sc_request", "incident", "sc_task")
NUMBER_PREFIX = {"sc_req_item": "RITM", "sc_request": "REQ", "incident": "INC"}
JOURNAL_FIELDS = ("work_notes", "comments")
MAX_LIMIT = 10000


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _form(req):
    try:
        return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return {}


class ServiceNow:
    name = "servicenow"

    def __init__(self):
        self.reset()
        table = r"/api/now/(?:v1/)?table/(\w+)"
        record = table + r"/([0-9a-f]{32})"
        self.routes = [
            ("GET", re.compile(table), self.list_records),
            ("POST", re.compile(table), self.create_record),
            ("GET", re.compile(record), self.get_record),
            ("PATCH", re.compile(record), self.update_record),
            ("PUT", re.compile(record), self.update_record),
            ("DELETE", re.compile(record), self.delete_record),
            ("GET", re.compile(r"/api/now/(?:v1/)?attachment"), self.list_attachments),
            ("POST", re.compile(r"/api/now/(?:v1/)?attachment/file"), self.upload_attachment),
            ("GET", re.compile(r"/api/now/(?:v1/)?attachment/([0-9a-f]{32})/file"), self.download_attachment),
            ("POST", re.compile(r"/oauth_token\.do"), self.oauth_token),
        ]

    # -- control -------------------------------------------------------
    def reset(self):
        self.tables = {}
        self.users = {}
        self.counters = {}
        self.attachment_data = {}
        self.oauth_clients = {}
        self.cc_clients = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.grants = []
        self.issued = []
        self.token_lifetime = 1800
        self.rate_limit = None
        self.recent = []
        self.acting = "admin"

    def configure(self, data):
        self.users.update(data.get("users", {}))
        self.oauth_clients.update(data.get("oauth_clients", {}))
        self.cc_clients.update(data.get("client_credentials", {}))
        if "token_lifetime" in data:
            self.token_lifetime = int(data["token_lifetime"])
        if data.get("expire_tokens"):
            self.access_tokens = {}
        if data.get("revoke_refresh_tokens"):
            self.refresh_tokens = {}
        if "rate_limit" in data:
            self.rate_limit = data["rate_limit"]
            self.recent = []

    def seed(self, data):
        self.acting = "admin"
        for table, records in data.items():
            if table == "users":
                self.users.update(records)
                continue
            for rec in records:
                old = self.find(table, rec.get("sys_id")) if rec.get("sys_id") else None
                if old is not None:
                    self.update(table, old, dict(rec))
                else:
                    self.insert(table, dict(rec))

    def dump(self):
        """The store, the grant of every token request (in order) and the
        tokens issued, so tests can check they never reach a log."""
        return {"tables": self.tables, "grants": self.grants,
                "tokens": self.issued}

    def insert(self, table, rec):
        stamp = now_text()
        journal = {f: rec.pop(f) for f in JOURNAL_FIELDS if f in rec}
        rec.setdefault("sys_id", uuid.uuid4().hex)
        rec.setdefault("sys_created_on", stamp)
        rec.setdefault("sys_updated_on", stamp)
        rec.setdefault("sys_mod_count", "0")
        rec.setdefault("sys_created_by", self.acting)
        rec.setdefault("sys_updated_by", self.acting)
        if table in NUMBER_PREFIX and "number" not in rec:
            self.counters[table] = self.counters.get(table, 10000) + 1
            rec["number"] = "%s%07d" % (NUMBER_PREFIX[table], self.counters[table])
        self.tables.setdefault(table, []).append(rec)
        self.journal(table, rec, journal)
        return rec

    def update(self, table, rec, fields):
        journal = {f: fields.pop(f) for f in JOURNAL_FIELDS if f in fields}
        for key in ("sys_id", "sys_created_on", "sys_created_by", "number"):
            fields.pop(key, None)
        rec.update(fields)
        if "sys_updated_on" not in fields:
            rec["sys_updated_on"] = now_text()
        if "sys_updated_by" not in fields:
            rec["sys_updated_by"] = self.acting
        rec["sys_mod_count"] = str(int(rec.get("sys_mod_count", "0")) + 1)
        self.journal(table, rec, journal)
        return rec

    def journal(self, table, rec, entries):
        for element, value in entries.items():
            if value in (None, ""):
                continue
            self.insert("sys_journal_field", {"element": element, "element_id": rec["sys_id"], "name": table,
                                              "value": str(value)})

    # -- errors and auth -----------------------------------------------
    def error(self, status, message, detail=None):
        return Response(status, {"error": {"message": message, "detail": detail}, "status": "failure"})

    def authorize(self, req):
        if req.path == "/oauth_token.do":
            return None
        auth = req.headers.get("authorization", "")
        ok, user = False, None
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = None, None
            ok = user in self.users and self.users[user] == password
        elif auth.startswith("Bearer "):
            expiry, user = self.access_tokens.get(auth[7:], (None, None))
            ok = expiry is not None and expiry > time.time()
        # The session's user writes the system fields of what it changes.
        self.acting = user if ok else "guest"
        if not ok:
            resp = self.error(401, "User Not Authenticated", "Required to provide Auth information")
            resp.headers["WWW-Authenticate"] = 'Basic realm="Service-now"'
            return resp
        return self.throttle()

    def throttle(self):
        if not self.rate_limit:
            return None
        now = time.time()
        window = float(self.rate_limit.get("per_seconds", 1))
        limit = int(self.rate_limit.get("requests", 1))
        self.recent = [t for t in self.recent if t > now - window]
        if len(self.recent) >= limit:
            resp = self.error(429, "Too Many Requests", "Rate limit exceeded")
            resp.headers["Retry-After"] = str(self.rate_limit.get("retry_after", 1))
            resp.headers["X-RateLimit-Limit"] = str(limit)
            resp.headers["X-RateLimit-Remaining"] = "0"
            return resp
        self.recent.append(now)
        return None

    def oauth_token(self, req, m):
        form = _form(req)
        grant = form.get("grant_type")
        client = form.get("client_id")
        self.grants.append(grant)
        denied = Response(401, {"error": "access_denied", "error_description": "access_denied"})
        if client not in self.oauth_clients or self.oauth_clients[client] != form.get("client_secret"):
            return denied
        if grant == "password":
            user = form.get("username")
            if user not in self.users or self.users[user] != form.get("password"):
                return denied
        elif grant == "refresh_token":
            holder = self.refresh_tokens.get(form.get("refresh_token"))
            if holder is None or holder[0] != client or holder[2] < time.time():
                return denied
            user = holder[1]
        elif grant == "client_credentials":
            user = self.cc_clients.get(client)
            if user is None:
                return Response(400, {"error": "unsupported_grant_type", "error_description": "unsupported_grant_type"})
        else:
            return Response(400, {"error": "unsupported_grant_type", "error_description": "unsupported_grant_type"})
        access = uuid.uuid4().hex + uuid.uuid4().hex
        self.access_tokens[access] = (time.time() + self.token_lifetime, user)
        self.issued.append(access)
        body = {"access_token": access, "scope": "useraccount", "token_type": "Bearer",
                "expires_in": self.token_lifetime}
        if grant != "client_credentials":
            refresh = uuid.uuid4().hex + uuid.uuid4().hex
            self.refresh_tokens[refresh] = (client, user, time.time() + 100 * 86400)
            self.issued.append(refresh)
            body["refresh_token"] = refresh
        return Response(200, body)

    # -- reading ---------------------------------------------------------
    def find(self, table, sys_id):
        tables = TASK_TABLES if table == "task" else (table,)
        for t in tables:
            for rec in self.tables.get(t, []):
                if rec.get("sys_id") == sys_id:
                    return rec
        return None

    def table_of(self, table, sys_id):
        for t in (TASK_TABLES if table == "task" else (table,)):
            if any(r.get("sys_id") == sys_id for r in self.tables.get(t, [])):
                return t
        return None

    def walk(self, table, rec, field):
        """The value of FIELD in REC, following dots through references;
        "ref_<table>" narrows a reference to a base table to that table."""
        parts = field.split(".")
        i = 0
        while i < len(parts):
            value = rec.get(parts[i])
            if i == len(parts) - 1:
                return value
            target = REFERENCES.get(table, {}).get(parts[i])
            if target is None or value is None:
                return None
            if parts[i + 1].startswith("ref_"):
                narrowed = parts[i + 1][4:]
                if self.table_of(target, value) != narrowed:
                    return None
                target = narrowed
                i += 1
                if i == len(parts) - 1:
                    return value
            rec = self.find(target, value)
            if rec is None:
                return None
            table = self.table_of(target, value)
            i += 1
        return None

    def render(self, req, table, rec):
        fields = [f for f in req.query.get("sysparm_fields", "").split(",") if f]
        exclude_links = req.query.get("sysparm_exclude_reference_link", "false") == "true"
        display = req.query.get("sysparm_display_value", "false")
        out = {}
        journal = list(JOURNAL_FIELDS) if table in TASK_TABLES + ("sysapproval_approver",) else []
        for field in fields or list(rec.keys()) + journal:
            value = self.walk(table, rec, field)
            if value is None and field not in rec and "." not in field and field not in JOURNAL_FIELDS:
                continue  # unknown fields are ignored
            value = "" if value is None else value
            ref = REFERENCES.get(table, {}).get(field)
            if ref and display in ("true", "all"):
                target = self.find(ref, value) or {}
                shown = target.get("name") or target.get("number") or value
                value = {"display_value": shown, "value": value} if display == "all" else shown
            elif ref and not exclude_links and value:
                base = "http://%s" % req.headers.get("host", "localhost")
                value = {"link": "%s/api/now/table/%s/%s" % (base, ref, value), "value": value}
            out[field] = value
        return out

    def select(self, table, query):
        queries, order = encoded_query.parse(query)
        rows = [r for r in self.tables.get(table, [])
                if encoded_query.matches(queries, lambda f, r=r: self.walk(table, r, f))]
        for field, desc in reversed(order):
            rows.sort(key=lambda r, f=field: str(self.walk(table, r, f) or ""), reverse=desc)
        return rows

    def page(self, req, rows, render):
        versioned = req.path.startswith("/api/now/v1/")
        try:
            limit = int(req.query.get("sysparm_limit", MAX_LIMIT))
            offset = int(req.query.get("sysparm_offset", 0))
        except ValueError:
            return self.error(400, "Invalid sysparm_limit or sysparm_offset")
        limit = max(1, min(limit, MAX_LIMIT))
        offset = max(0, offset)
        total = len(rows)
        chosen = rows[offset:offset + limit]
        if versioned and not chosen:
            return self.error(404, "No Record found", "Records matching query not found. Check query parameter or offset parameter")
        headers = {"X-Total-Count": str(total)}
        links = self.links(req, offset, limit, total)
        if links:
            headers["Link"] = links
        return Response(200, {"result": [render(r) for r in chosen]}, headers)

    def list_records(self, req, m):
        table = m.group(1)
        rows = self.select(table, req.query.get("sysparm_query", ""))
        return self.page(req, rows, lambda r: self.render(req, table, r))

    def links(self, req, offset, limit, total):
        base = "http://%s%s" % (req.headers.get("host", "localhost"), req.raw_path)

        def url(off):
            q = dict(req.query)
            q["sysparm_offset"] = str(off)
            q["sysparm_limit"] = str(limit)
            return "<%s?%s>" % (base, urllib.parse.urlencode(q))

        last = max(0, ((total - 1) // limit) * limit) if total else 0
        parts = ['%s;rel="first"' % url(0)]
        if offset > 0:
            parts.append('%s;rel="prev"' % url(max(0, offset - limit)))
        if offset + limit < total:
            parts.append('%s;rel="next"' % url(offset + limit))
        parts.append('%s;rel="last"' % url(last))
        return ",".join(parts)

    def get_record(self, req, m):
        rec = self.find(m.group(1), m.group(2))
        if rec is None:
            return self.error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        return Response(200, {"result": self.render(req, m.group(1), rec)})

    # -- writing ---------------------------------------------------------
    def json_body(self, req):
        if not req.headers.get("content-type", "").startswith("application/json"):
            return None, self.error(415, "Unsupported Media Type", "Content-Type must be application/json")
        body = req.json()
        if not isinstance(body, dict):
            return None, self.error(400, "Exception while reading request", "The payload is not valid JSON")
        if any(not isinstance(v, (str, int, float, bool)) for v in body.values()):
            return None, self.error(400, "Exception while reading request", "Field values must be scalars")
        return {k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in body.items()}, None

    def create_record(self, req, m):
        fields, err = self.json_body(req)
        if err:
            return err
        for key in ("sys_id", "sys_created_on", "sys_updated_on", "sys_mod_count", "number", "sys_created_by",
                    "sys_updated_by"):
            fields.pop(key, None)
        rec = self.insert(m.group(1), fields)
        return Response(201, {"result": self.render(req, m.group(1), rec)},
                        {"Location": "http://%s/api/now/table/%s/%s" % (req.headers.get("host", "localhost"),
                                                                        m.group(1), rec["sys_id"])})

    def update_record(self, req, m):
        rec = self.find(m.group(1), m.group(2))
        if rec is None:
            return self.error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        fields, err = self.json_body(req)
        if err:
            return err
        for key in ("sys_updated_on", "sys_mod_count", "sys_created_by", "sys_updated_by"):
            fields.pop(key, None)
        self.update(m.group(1), rec, fields)
        return Response(200, {"result": self.render(req, m.group(1), rec)})

    def delete_record(self, req, m):
        rec = self.find(m.group(1), m.group(2))
        if rec is None:
            return self.error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        self.tables[m.group(1)].remove(rec)
        return Response(204)

    # -- attachments -----------------------------------------------------
    def list_attachments(self, req, m):
        rows = self.select("sys_attachment", req.query.get("sysparm_query", ""))
        return self.page(req, rows, lambda r: self.attachment_meta(req, r))

    def attachment_meta(self, req, rec):
        meta = dict(rec)
        meta["download_link"] = "http://%s/api/now/attachment/%s/file" % (req.headers.get("host", "localhost"),
                                                                            rec["sys_id"])
        return meta

    def upload_attachment(self, req, m):
        table, sys_id, name = (req.query.get(k) for k in ("table_name", "table_sys_id", "file_name"))
        if not table or not sys_id or not name:
            return self.error(400, "Missing parameter", "table_name, table_sys_id and file_name are required")
        if self.find(table, sys_id) is None:
            return self.error(400, "Invalid table or record", "The record to attach to does not exist")
        rec = self.insert("sys_attachment", {
            "table_name": table, "table_sys_id": sys_id, "file_name": name,
            "content_type": req.headers.get("content-type", "application/octet-stream"),
            "size_bytes": str(len(req.body))})
        self.attachment_data[rec["sys_id"]] = req.body
        return Response(201, {"result": self.attachment_meta(req, rec)})

    def download_attachment(self, req, m):
        data = self.attachment_data.get(m.group(1))
        if data is None:
            return self.error(404, "No Record found", "Attachment doesn't exist")
        rec = self.find("sys_attachment", m.group(1))
        return Response(200, data, {"Content-Type": rec["content_type"]})
