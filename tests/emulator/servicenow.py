"""ServiceNow: the Table API for the tables accessd uses.

Seed data: {"<table>": [record, ...], "users": {"name": "password"}}. A record
may leave out sys_id, number and the sys_* dates; they are filled in. Reference
fields (REFERENCES below) hold the referenced record's sys_id and are returned
as {"link", "value"} unless sysparm_exclude_reference_link=true; dot-walking
("cat_item.name") works in sysparm_query and sysparm_fields.
"""

import base64
import datetime
import re
import urllib.parse
import uuid

import encoded_query
from api import Response

REFERENCES = {
    "sc_req_item": {"cat_item": "sc_cat_item", "requested_for": "sys_user", "opened_by": "sys_user",
                    "request": "sc_request", "assignment_group": "sys_user_group"},
    "sysapproval_approver": {"approver": "sys_user", "sysapproval": "sc_req_item"},
    "sys_user": {"manager": "sys_user"},
    "incident": {"caller_id": "sys_user", "assignment_group": "sys_user_group"},
}
NUMBER_PREFIX = {"sc_req_item": "RITM", "sc_request": "REQ", "incident": "INC"}
MAX_LIMIT = 10000


def now_text():
    return datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")


class ServiceNow:
    name = "servicenow"

    def __init__(self):
        self.reset()
        self.routes = [
            ("GET", re.compile(r"/api/now/(?:v1/)?table/(\w+)"), self.list_records),
            ("GET", re.compile(r"/api/now/(?:v1/)?table/(\w+)/([0-9a-f]{32})"), self.get_record),
        ]

    # -- control -------------------------------------------------------
    def reset(self):
        self.tables = {}
        self.users = {}
        self.counters = {}

    def configure(self, data):
        self.users.update(data.get("users", {}))

    def seed(self, data):
        for table, records in data.items():
            if table == "users":
                self.users.update(records)
                continue
            for rec in records:
                self.insert(table, dict(rec))

    def dump(self):
        return {"tables": self.tables}

    def insert(self, table, rec):
        stamp = now_text()
        rec.setdefault("sys_id", uuid.uuid4().hex)
        rec.setdefault("sys_created_on", stamp)
        rec.setdefault("sys_updated_on", stamp)
        rec.setdefault("sys_mod_count", "0")
        rec.setdefault("sys_created_by", "admin")
        rec.setdefault("sys_updated_by", "admin")
        if table in NUMBER_PREFIX and "number" not in rec:
            self.counters[table] = self.counters.get(table, 10000) + 1
            rec["number"] = "%s%07d" % (NUMBER_PREFIX[table], self.counters[table])
        self.tables.setdefault(table, []).append(rec)
        return rec

    # -- errors and auth -----------------------------------------------
    def error(self, status, message, detail=None):
        return Response(status, {"error": {"message": message, "detail": detail}, "status": "failure"})

    def authorize(self, req):
        auth = req.headers.get("authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = None, None
            if user in self.users and self.users[user] == password:
                return None
        resp = self.error(401, "User Not Authenticated", "Required to provide Auth information")
        resp.headers["WWW-Authenticate"] = 'Basic realm="Service-now"'
        return resp

    # -- reading ---------------------------------------------------------
    def find(self, table, sys_id):
        for rec in self.tables.get(table, []):
            if rec.get("sys_id") == sys_id:
                return rec
        return None

    def walk(self, table, rec, field):
        """The value of FIELD in REC, following dots through references."""
        parts = field.split(".")
        for i, part in enumerate(parts):
            value = rec.get(part)
            if i == len(parts) - 1:
                return value
            target = REFERENCES.get(table, {}).get(part)
            if target is None or value is None:
                return None
            rec = self.find(target, value)
            if rec is None:
                return None
            table = target
        return None

    def render(self, req, table, rec):
        fields = [f for f in req.query.get("sysparm_fields", "").split(",") if f]
        exclude_links = req.query.get("sysparm_exclude_reference_link", "false") == "true"
        display = req.query.get("sysparm_display_value", "false")
        out = {}
        for field in fields or list(rec.keys()):
            value = self.walk(table, rec, field)
            if value is None and field not in rec and "." not in field:
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

    def list_records(self, req, m):
        table = m.group(1)
        versioned = req.path.startswith("/api/now/v1/")
        try:
            limit = int(req.query.get("sysparm_limit", MAX_LIMIT))
            offset = int(req.query.get("sysparm_offset", 0))
        except ValueError:
            return self.error(400, "Invalid sysparm_limit or sysparm_offset")
        limit = max(1, min(limit, MAX_LIMIT))
        offset = max(0, offset)
        queries, order = encoded_query.parse(req.query.get("sysparm_query", ""))
        rows = [r for r in self.tables.get(table, [])
                if encoded_query.matches(queries, lambda f, r=r: self.walk(table, r, f))]
        for field, desc in reversed(order):
            rows.sort(key=lambda r, f=field: str(self.walk(table, r, f) or ""), reverse=desc)
        total = len(rows)
        page = rows[offset:offset + limit]
        if versioned and not page:
            return self.error(404, "No Record found", "Records matching query not found. Check query parameter or offset parameter")
        headers = {"X-Total-Count": str(total)}
        links = self.links(req, offset, limit, total)
        if links:
            headers["Link"] = links
        return Response(200, {"result": [self.render(req, table, r) for r in page]}, headers)

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

