# SPDX-License-Identifier: Apache-2.0
"""TOPdesk change management, for the TOPdesk emulator (topdesk.py): requests
for change, their activities (an authorization activity is one approver's
step), the processing status, progress trail memos, attachments, and the
manager (approver) endpoints. As the change API 1.4.0 specification has it,
with the FIQL query its later versions added to the change list (switched
by change_query; doc/itsm-topdesk.md).

  GET  /operatorChanges            filters phase, changeType, status, id, open,
                                   archived, closedDate.start, simple.assignee.*;
                                   pageStart, pageSize (default 1000); sort;
                                   {"results": [...]} (always 200). With
                                   change_query: also query (FIQL), fields, and
                                   sort on id and creationDate.
  POST /operatorChanges            from a template (201, the change)
  GET  /operatorChanges/{id|number}             the change
  PATCH /operatorChanges/{id|number}            JSON Patch (a list of RFC 6902
                                   operations, all or none; 204)
  POST /operatorChanges/{id}/processingStatusTransitions   {from, action,
                                   reason, comment}; 201; 400 when "status
                                   determines processing status" is on
  GET|POST /operatorChanges/{id}/progresstrail   memos ({"memoText", "type":
                                   "memo"}; 201); no way to hide a memo
  POST /operatorChanges/{id}/attachments        multipart, part "file" (201, a
                                   progress trail entry; no listing: find it in
                                   the progress trail)
  GET  /operatorChanges/{id}/requests, /orderedItems
  GET|POST /operatorChangeActivities             filters change (repeatable),
                                   open, archived, id, status, finalDateAfter,
                                   operator; fields; sort finalDate,
                                   plannedFinalDate; {"results"}
  GET|PATCH /operatorChangeActivities/{id}       PATCH: JSON Patch
  GET|POST /operatorChangeActivities/{id}/progresstrail
  GET  /managerAuthorizables, /managerAuthorizableActivities/{id},
       /managerAuthorizableChanges/{id}          (person accounts)
  PUT  /managerAuthorizableActivities/{id}/managerAction  {"action": "go" |
                                   "no_go", "reason", "comment"}; 204
  POST /managerAuthorizableChanges/{id}/processingStatusTransitions
  GET  /changes/changeStatuses, /changes/activityStatuses,
       /applicableChangeTemplates, /changeRejectionReasons,
       /changeActivityRejectionReasons

Seed data (in {"topdesk": {...}}):
  changes     [{"id", "number", "template": {"id" | "number" | "name"},
                "requester": {"id"} (a person), "briefDescription", "request"
                (text: one request entry, as a Self-Service Portal form
                writes it), "changeType", "processingStatus", "status":
                {"name"}, "externalNumber", "optionalFields1": {...},
                "orderedItems": [{"name", "amount", "price"}],
                "phases": {"prfc": {"authorizer": {"id", "type"}}, ...},
                "creationDate", "modificationDate", ...}]
  activities  [{"id", "change": {"id"}, "briefDescription", "activityType",
                "assignee": {"id", "type": "manager" | "operator"},
                "processingStatus", "changePhase", ...}]
A change made from a template gets the template's activities.

Settings (POST /_emu/config/topdesk):
  change_query        true (default): the change list takes FIQL `query`
                      and `fields` (change API after 1.4.0); false: 1.4.0,
                      which ignores them
  change_statuses     [{"id", "name", "prfc", "rfc", "simple", "extensive",
                        "defaultFor"}]: each phase's meaning of the status
                      (SUBMIT, APPROVE, REJECT, NOT_STARTED, STARTED,
                      IMPLEMENTED, CLOSED, CURRENT_STATUS, NOT_AVAILABLE)
  activity_statuses   [{"id", "name", "activity", "authorizationActivity",
                        "defaultFor"}]
  change_templates    [{"id", "number", "briefDescription", "changeType",
                        "activities": [activity seed without "change"]}]
  change_rejection_reasons, activity_rejection_reasons   [{"id", "name"}]
  status_determines_processing_status   true: PATCH /status moves the
                      processing status; transitions and PATCH
                      /processingStatus answer 400 (default false)
  activity_touches_change  true: a new or decided activity moves its change's
                      modification date (default false: it does not)
"""

import copy
import re

from api import Response
from topdesk_data import (OPTIONAL_DATES, Account, Table, empty_optional_fields, multi, multipart, new_id, now_ms,
                          optional_fields_schema, parse_date, render_date, walk)

BASE = r"/tas/api"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
JSON_MEDIA = ("application/json",)
PATCH_MEDIA = ("application/json", "application/json-patch+json")

# The processing status machine: from -> {action: to}; "approve" leads to
# the not-started status of the change's type.
TRANSITIONS = {
    "prfc": {"submit": "rfc", "reject": "rejected"},
    "rfc": {"approve": "{type}_notStarted", "reject": "rejected"},
    "simple_notStarted": {"start": "simple_inProgress", "implement": "simple_done"},
    "simple_inProgress": {"implement": "simple_done"},
    "simple_done": {"close": "simple_closed"},
    "extensive_done": {"close": "extensive_closed"},
    "extensive_evaluated": {"close": "extensive_closed"},
}
# A status's meaning in a phase -> the processing status it leads to.
STATUS_MEANING = {
    "prfc": {"SUBMIT": "rfc", "REJECT": "rejected"},
    "rfc": {"APPROVE": "{type}_notStarted", "REJECT": "rejected"},
    "simple": {"NOT_STARTED": "simple_notStarted", "STARTED": "simple_inProgress", "IMPLEMENTED": "simple_done",
               "CLOSED": "simple_closed"},
}
ACTIVITY_OPEN = ("waiting", "ready_to_start", "in_progress")
ACTIVITY_FIELDS = ["id", "number", "briefDescription", "change", "activityType", "archived", "assignee",
                   "processingStatus", "status", "plannedStartDate", "startDate", "plannedFinalDate", "finalDate",
                   "creationDate", "lastModificationDate"]
ACTIVITY_DATES = ["plannedStartDate", "startDate", "plannedFinalDate", "finalDate", "creationDate",
                  "lastModificationDate", "resolvedDate", "skippedDate", "approvedDate", "rejectedDate"]
CHANGE_DATES = ["requestDate", "creationDate", "modificationDate", "lastModificationDate",
                "simple.plannedStartDate", "simple.startDate", "simple.plannedImplementationDate",
                "simple.implementationDate", "simple.closedDate"] + [
    "phases.%s.%s" % (p, d) for p in ("prfc", "rfc", "progress", "evaluation")
    for d in ("plannedEndDate", "endDate")] + OPTIONAL_DATES
CHANGE_ENTRY_FIELDS = ["id", "number", "briefDescription", "changeType", "archived", "creationDate",
                       "modificationDate", "status", "simple"]
CHANGE_SORT_1_4 = {"simple.closedDate", "simple.plannedImplementationDate"}
CHANGE_SORT = CHANGE_SORT_1_4 | {"id", "creationDate", "simple.plannedStartDate", "phases.rfc.plannedEndDate",
                                 "phases.progress.plannedEndDate", "phases.evaluation.plannedEndDate"}
CHANGE_WRITABLE = {"template", "requester", "briefDescription", "request", "action", "changeType", "phases", "simple",
                   "externalNumber", "category", "subcategory", "benefit", "impact", "priority", "optionalFields1",
                   "optionalFields2"}
ACTIVITY_WRITABLE = {"activityTemplate", "changeId", "briefDescription", "activityType", "changePhase",
                     "plannedStartDate", "plannedFinalDate", "assignee", "status", "category", "subcategory",
                     "request", "action", "optionalFields1", "optionalFields2"}
NAMED_FIELDS = ("category", "subcategory", "benefit", "impact", "priority")


def _change_schema():
    schema = {
        "id": "text", "number": "text", "changeType": "text", "phase": "text", "status": "text",
        "processingStatus": "text", "briefDescription": "text", "externalNumber": "text", "open": "boolean",
        "archived": "boolean", "urgent": "boolean", "creationDate": "date", "modificationDate": "date",
        "requestDate": "date", "closedDate": "date", "template.id": "text", "template.name": "text",
        "type.id": "text", "type.name": "text", "requester.id": "text", "requester.name": "text",
        "coordinator.id": "text", "coordinator.name": "text", "simple.assignee.id": "text",
        "simple.assignee.name": "text", "simple.assignee.groupId": "text", "simple.assignee.groupName": "text",
        "simple.plannedImplementationDate": "date", "simple.implementationDate": "date",
        "simple.closedDate": "date", "simple.plannedStartDate": "date", "simple.startDate": "date"}
    for f in NAMED_FIELDS:
        schema[f + ".id"] = schema[f + ".name"] = "text"
    for p in ("prfc", "rfc", "progress", "evaluation"):
        schema["phases.%s.endDate" % p] = schema["phases.%s.plannedEndDate" % p] = "date"
        schema["phases.%s.authorizer.id" % p] = schema["phases.%s.authorizer.name" % p] = "text"
    schema.update(optional_fields_schema(""))
    return schema


CHANGE_SCHEMA = _change_schema()


def phase_of(status):
    if status in ("prfc", "rfc", "rejected"):
        return status
    if status in ("simple_closed", "extensive_closed", "extensive_nogo"):
        return "closed"
    if status == "extensive_cancelled":
        return "canceled"
    if status.startswith("simple_"):
        return "simple"
    if status in ("extensive_evaluating", "extensive_evaluated"):
        return "evaluation"
    return "progress"


def is_open(change):
    return phase_of(change["processingStatus"]) not in ("closed", "rejected", "canceled")


def json_pointer(path):
    if not path.startswith("/"):
        return None
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


class Changes:
    def __init__(self, td):
        self.td = td

    def routes(self, op, person):
        ch = BASE + r"/operatorChanges/(?P<key>[^/]+)"
        ac = BASE + r"/operatorChangeActivities/(?P<key>[^/]+)"
        return [
            ("GET", re.compile(BASE + r"/operatorChanges"), op(self.list_changes)),
            ("POST", re.compile(BASE + r"/operatorChanges"), op(self.create_change)),
            ("GET", re.compile(BASE + r"/changes/changeStatuses"), op(self.change_statuses)),
            ("GET", re.compile(BASE + r"/changes/activityStatuses"), op(self.activity_statuses)),
            ("GET", re.compile(BASE + r"/applicableChangeTemplates"), op(self.templates_list)),
            ("GET", re.compile(BASE + r"/changeRejectionReasons"), op(self.change_reasons)),
            ("GET", re.compile(BASE + r"/changeActivityRejectionReasons"), op(self.activity_reasons)),
            ("GET", re.compile(ch), op(self.get_change)),
            ("PATCH", re.compile(ch), op(self.patch_change)),
            ("POST", re.compile(ch + r"/processingStatusTransitions"), op(self.transition)),
            ("GET", re.compile(ch + r"/progresstrail"), op(self.change_trail)),
            ("POST", re.compile(ch + r"/progresstrail"), op(self.add_change_memo)),
            ("POST", re.compile(ch + r"/attachments"), op(self.upload_change_attachment)),
            ("GET", re.compile(ch + r"/attachments/(?P<aid>[^/]+)"), op(self.download_attachment)),
            ("GET", re.compile(ch + r"/requests"), op(self.change_requests)),
            ("GET", re.compile(ch + r"/orderedItems"), op(self.ordered_items)),
            ("GET", re.compile(BASE + r"/operatorChangeActivities"), op(self.list_activities)),
            ("POST", re.compile(BASE + r"/operatorChangeActivities"), op(self.create_activity)),
            ("GET", re.compile(ac), op(self.get_activity)),
            ("PATCH", re.compile(ac), op(self.patch_activity)),
            ("GET", re.compile(ac + r"/progresstrail"), op(self.activity_trail)),
            ("POST", re.compile(ac + r"/progresstrail"), op(self.add_activity_memo)),
            ("POST", re.compile(ac + r"/attachments"), op(self.upload_activity_attachment)),
            ("GET", re.compile(BASE + r"/managerAuthorizables"), person(self.manager_authorizables)),
            ("GET", re.compile(BASE + r"/managerAuthorizableActivities/(?P<key>[^/]+)"), person(self.manager_activity)),
            ("PUT", re.compile(BASE + r"/managerAuthorizableActivities/(?P<key>[^/]+)/managerAction"),
             person(self.manager_action)),
            ("GET", re.compile(BASE + r"/managerAuthorizableChanges/(?P<key>[^/]+)"), person(self.manager_change)),
            ("POST", re.compile(BASE + r"/managerAuthorizableChanges/(?P<key>[^/]+)/processingStatusTransitions"),
             person(self.manager_transition)),
        ]

    # -- control -------------------------------------------------------
    def reset(self):
        self.change_query = True
        self.status_drives = False
        self.activity_touches_change = False
        self.change_status_list = [
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a01", "name": "Requested", "prfc": "CURRENT_STATUS",
             "rfc": "CURRENT_STATUS", "simple": "NOT_AVAILABLE", "extensive": "NOT_AVAILABLE",
             "defaultFor": ["prfc", "rfc"]},
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a02", "name": "Approved", "prfc": "SUBMIT", "rfc": "APPROVE",
             "simple": "NOT_STARTED", "extensive": "NOT_AVAILABLE", "defaultFor": ["simple"]},
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a03", "name": "Rejected", "prfc": "REJECT", "rfc": "REJECT",
             "simple": "NOT_AVAILABLE", "extensive": "NOT_AVAILABLE", "defaultFor": []},
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a04", "name": "In progress", "prfc": "NOT_AVAILABLE",
             "rfc": "NOT_AVAILABLE", "simple": "STARTED", "extensive": "NOT_AVAILABLE", "defaultFor": []},
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a05", "name": "Implemented", "prfc": "NOT_AVAILABLE",
             "rfc": "NOT_AVAILABLE", "simple": "IMPLEMENTED", "extensive": "NOT_AVAILABLE", "defaultFor": []},
            {"id": "5b1e7b1a-0c51-4c49-8d0b-7c1d2f3e4a06", "name": "Closed", "prfc": "NOT_AVAILABLE",
             "rfc": "NOT_AVAILABLE", "simple": "CLOSED", "extensive": "NOT_AVAILABLE", "defaultFor": []}]
        self.activity_status_list = [
            {"id": "8a3c2d1e-5f6a-4b7c-9d0e-1f2a3b4c5d01", "name": "Open", "activity": "CURRENT_STATUS",
             "authorizationActivity": "NOT_AUTHORIZED", "defaultFor": ["activity", "authorization activity"]},
            {"id": "8a3c2d1e-5f6a-4b7c-9d0e-1f2a3b4c5d02", "name": "Authorized", "activity": "NOT_AVAILABLE",
             "authorizationActivity": "GO", "defaultFor": []},
            {"id": "8a3c2d1e-5f6a-4b7c-9d0e-1f2a3b4c5d03", "name": "Rejected", "activity": "NOT_AVAILABLE",
             "authorizationActivity": "NO_GO", "defaultFor": []},
            {"id": "8a3c2d1e-5f6a-4b7c-9d0e-1f2a3b4c5d04", "name": "Done", "activity": "RESOLVED",
             "authorizationActivity": "NOT_AVAILABLE", "defaultFor": []},
            {"id": "8a3c2d1e-5f6a-4b7c-9d0e-1f2a3b4c5d05", "name": "Skipped", "activity": "SKIPPED",
             "authorizationActivity": "NOT_AVAILABLE", "defaultFor": []}]
        self.templates = []
        self.change_reasons_list = []
        self.activity_reasons_list = []
        self.changes = Table(eq=("number", "externalNumber", "template.id", "requester.id"),
                             ordered=("modificationDate", "creationDate", "id"))
        self.activities = Table(eq=("number", "change.id", "assignee.id"), ordered=("finalDate",))

    def configure(self, data):
        self.change_query = bool(data.get("change_query", self.change_query))
        self.status_drives = bool(data.get("status_determines_processing_status", self.status_drives))
        self.activity_touches_change = bool(data.get("activity_touches_change", self.activity_touches_change))
        for key, attr in (("change_statuses", "change_status_list"), ("activity_statuses", "activity_status_list"),
                          ("change_templates", "templates"), ("change_rejection_reasons", "change_reasons_list"),
                          ("activity_rejection_reasons", "activity_reasons_list")):
            if key in data:
                setattr(self, attr, [dict(s, id=s.get("id") or new_id()) for s in data[key]])

    def seed(self, data):
        for c in data.get("changes", []):
            self.seed_change(c)
        for a in data.get("activities", []):
            self.seed_activity(a)

    # -- lookups -------------------------------------------------------
    def find_change(self, key):
        rec = self.changes.get(key.lower()) if re.fullmatch(UUID, key) else None
        if rec is None:
            found = self.changes.find("number", key)
            rec = found[0] if found else None
        return rec

    def find_activity(self, key):
        rec = self.activities.get(key.lower()) if re.fullmatch(UUID, key) else None
        if rec is None:
            found = self.activities.find("number", key)
            rec = found[0] if found else None
        return rec

    def find_named(self, value, choices, what):
        """(ref, error) of an entry of CHOICES given by id or name."""
        for c in choices:
            if value in (c["id"], c.get("name"), c.get("briefDescription"), c.get("number")):
                return {"id": c["id"], "name": c.get("name") or c.get("briefDescription")}, None
        return None, self.td.error(400, "Invalid input data: no %s '%s'" % (what, value))

    def find_template(self, ref):
        if not isinstance(ref, dict):
            return None
        for t in self.templates:
            if (ref.get("id") and t["id"] == ref["id"]) or (ref.get("number") and t.get("number") == ref["number"]) \
                    or (ref.get("name") and t.get("briefDescription") == ref["name"]):
                return t
        return None

    def default_status(self, phase, statuses, key="defaultFor"):
        s = next((s for s in statuses if phase in s.get(key, [])), None)
        return {"id": s["id"], "name": s["name"]} if s else None

    def assignee(self, data, normal):
        """(assignee, error) from {"id", "groupId", "type"}: a manager is a
        person marked as manager; normal activities take operators only."""
        if not isinstance(data, dict) or data.get("type") not in ("manager", "operator"):
            return None, self.td.error(400, "Invalid input data: assignee needs an id and a type (manager or operator)")
        if normal and data["type"] == "manager":
            return None, self.td.error(400, "Invalid input data: for normal activities only operator is possible")
        if data["type"] == "manager":
            p = self.td.persons.get(str(data.get("id", "")).lower())
            if p is None or not p.get("isManager"):
                return None, self.td.error(400, "Invalid input data: %s is not a manager" % data.get("id"))
            return {"id": p["id"], "name": p.get("dynamicName"), "groupId": None, "groupName": None,
                    "type": "manager"}, None
        o = self.td.operators.get(str(data.get("id", "")).lower())
        if o is None:
            return None, self.td.error(400, "Invalid input data: no operator %s" % data.get("id"))
        return {"id": o["id"], "name": o.get("dynamicName"), "groupId": data.get("groupId"), "groupName": None,
                "type": "operator"}, None

    def touch(self, change):
        when = now_ms()
        self.changes.update(change, lambda c: c.update(modificationDate=when))

    # -- rendering -------------------------------------------------------
    def change_get(self, rec, field):
        if field == "phase":
            return phase_of(rec["processingStatus"])
        if field == "open":
            return is_open(rec)
        if field == "status":
            return (rec.get("status") or {}).get("id")
        if field == "closedDate":
            return walk(rec, "simple.closedDate") or rec.get("closedDate")
        return walk(rec, field)

    def change_detail(self, c):
        out = {k: copy.deepcopy(v) for k, v in c.items() if k not in ("template", "transitions", "orderedItems",
                                                                      "modificationDate", "closedDate")}
        out["templateId"] = (c.get("template") or {}).get("id")
        out["lastModificationDate"] = c["modificationDate"]
        actions = TRANSITIONS.get(c["processingStatus"], {})
        out["possibleActions"] = [] if self.status_drives else sorted(actions)
        base = "/tas/api/operatorChanges/%s" % c["id"]
        out["requests"] = base + "/requests"
        out["progressTrail"] = base + "/progresstrail"
        if c["changeType"] != "simple":
            out["simple"] = None
        return self.td.dates_out(out, CHANGE_DATES, "change")

    def change_entry(self, c, fields):
        full = dict(self.change_detail(c))
        full["modificationDate"] = full["lastModificationDate"]
        full["template"] = copy.deepcopy(c.get("template"))
        full["processingStatus"] = c["processingStatus"]
        if fields is None:
            out = {k: full.get(k) for k in CHANGE_ENTRY_FIELDS}
            if out["simple"]:
                out["simple"] = {k: out["simple"].get(k) for k in
                                 ("plannedImplementationDate", "implementationDate", "closedDate", "assignee")}
            return out
        if fields == ["all"]:
            return full
        out = {"id": c["id"]}
        for f in fields:
            parts = f.split(".")
            src, dst = full, out
            for p in parts[:-1]:
                src = (src or {}).get(p)
                dst = dst.setdefault(p, {})
            dst[parts[-1]] = (src or {}).get(parts[-1])
        return out

    def activity_detail(self, a, fields=None):
        out = self.td.dates_out(a, ACTIVITY_DATES, "change")
        base = "/tas/api/operatorChangeActivities/%s" % a["id"]
        out["requests"] = base + "/requests"
        out["progressTrail"] = base + "/progresstrail"
        # Who decided is not part of an operator's view of an activity (the
        # change API 1.4.0's ChangeActivityDetails has no such field); only
        # the manager facade shows the manager's own participation.
        out.pop("managerComment", None)
        out.pop("authorizer", None)
        if fields is not None:
            out = {k: out.get(k) for k in (ACTIVITY_FIELDS if fields == ["all"] else ["id"] + fields)}
        return out

    def trail_entry(self, e):
        out = {k: e.get(k) for k in ("id", "entryDate", "operator", "person", "type", "invisibleForCaller", "flag",
                                     "memoText", "fileName", "downloadUrl", "linkUrl", "size", "title", "sender")}
        out["entryDate"] = render_date(e["entryDate"], "change")
        return out

    # -- changes: reading ------------------------------------------------
    def list_changes(self, req, m):
        td = self.td
        tree = None
        if self.change_query:
            tree, err = td.query_tree(req, CHANGE_SCHEMA)
            if err:
                return err
        filters = []
        for name, field in (("changeType", "changeType"), ("phase", "phase"), ("status", "status"), ("id", "id"),
                            ("simple.assignee.id", "simple.assignee.id"),
                            ("simple.assignee.groupId", "simple.assignee.groupId")):
            values = [v for v in multi(req, name) if v]
            if values:
                filters.append(("cmp", field, "=in=", [v.lower() for v in values], name))
        for name in ("open", "archived"):
            if name in req.query:
                if req.query[name] not in ("true", "false"):
                    return td.error(400, "Invalid input data: %s must be true or false" % name)
                filters.append(("cmp", name, "==", [req.query[name] == "true"], name))
        if req.query.get("closedDate.start"):
            try:
                since = parse_date(req.query["closedDate.start"])
            except ValueError:
                return td.error(400, "Invalid input data: closedDate.start is not a date")
            filters.append(("cmp", "closedDate", "=ge=", [since], "closedDate.start"))
        if filters:
            tree = ("and", filters + ([tree] if tree else []))
        allowed = CHANGE_SORT if self.change_query else CHANGE_SORT_1_4
        sort = req.query.get("sort")
        order = [("creationDate", True)]
        if sort:
            field, _, direction = sort.partition(":")
            if field not in allowed or direction not in ("", "asc", "desc"):
                return td.error(400, "Invalid input data: cannot sort on '%s'" % sort)
            order = [(field, direction != "asc")]
        fields = None
        if self.change_query and "fields" in req.query:
            fields = [f for f in req.query["fields"].split(",") if f]
            if fields != ["all"]:
                for f in fields:
                    if f != "modificationDate" and f != "processingStatus" and f.split(".")[0] not in \
                            set(self.change_detail_keys()) | {"template"}:
                        return td.error(400, "Invalid input data: unknown field '%s'" % f)
        start, err = td.int_param(req, "pageStart", 0, 0, None)
        size, err2 = td.int_param(req, "pageSize", 1000, 1, None)
        if err or err2:
            return err or err2
        rows = self.changes.select(tree, dict(CHANGE_SCHEMA, open="boolean", archived="boolean"), order,
                                   self.change_get)
        chosen, _ = td.page(rows, start, size)
        return Response(200, {"results": [self.change_entry(c, fields) for c in chosen]})

    def change_detail_keys(self):
        return ["id", "number", "briefDescription", "templateId", "type", "requester", "archived", "changeType",
                "requestDate", "creationDate", "lastModificationDate", "emergencyChange", "processingStatus",
                "costs", "possibleActions", "coordinator", "phases", "simple", "externalNumber", "object",
                "requests", "progressTrail", "impact", "benefit", "priority", "category", "subcategory", "status",
                "optionalFields1", "optionalFields2"]

    def get_change(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "No such change")
        return Response(200, self.change_detail(c))

    def change_trail(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        entries = reversed(self.td.trails.get(c["id"], []))
        return Response(200, {"results": [self.trail_entry(e) for e in entries]})

    def change_requests(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        out = []
        for e in reversed(self.td.requests.get(c["id"], [])):
            out.append({"id": e["id"], "memoText": e["memoText"], "entryDate": render_date(e["entryDate"], "change"),
                        "operator": e["operator"], "person": e["person"], "flag": e["flag"]})
        return Response(200, {"results": out})

    def ordered_items(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        return Response(200, {"results": copy.deepcopy(c.get("orderedItems", []))})

    def download_attachment(self, req, m):
        c = self.find_change(m["key"])
        att = self.td.attachments.get(m["aid"])
        if c is None or att is None or att["owner"] != c["id"]:
            return self.td.error(404, "The attachment was not found")
        return Response(200, att["data"], {"Content-Type": att["contentType"] or "application/octet-stream"})

    # -- changes: writing ------------------------------------------------
    def new_change(self, change_type, when):
        return {"id": new_id(), "number": None, "briefDescription": "", "template": None, "type": None,
                "requester": None, "archived": False, "changeType": change_type, "requestDate": when,
                "creationDate": when, "modificationDate": when, "emergencyChange": False, "processingStatus": "rfc",
                "costs": None, "coordinator": None,
                "phases": {p: {"plannedEndDate": None, "endDate": None, "authorizer": None}
                           for p in ("prfc", "rfc", "progress", "evaluation")},
                "simple": {"plannedStartDate": None, "startDate": None, "plannedImplementationDate": None,
                           "implementationDate": None, "closedDate": None, "assignee": None,
                           "possibleStatusValues": {"notStarting": [], "starting": [], "implementing": [],
                                                    "closing": []}},
                "externalNumber": "", "object": None, "impact": None, "benefit": None, "priority": None,
                "category": None, "subcategory": None, "status": None,
                "optionalFields1": empty_optional_fields(0), "optionalFields2": empty_optional_fields(0),
                "orderedItems": [], "transitions": []}

    def requester_ref(self, pid):
        p = self.td.persons.get(str(pid).lower())
        if p is None:
            return None
        return {"id": p["id"], "name": p.get("dynamicName"), "branch": p.get("branch"), "location": None}

    def create_change(self, req, m):
        td = self.td
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict):
            return td.error(400, "Invalid input data: the body must be a JSON object")
        unknown = sorted(set(body) - CHANGE_WRITABLE)
        if unknown:
            return td.error(400, "Invalid input data: unknown field '%s'" % unknown[0])
        template = None
        if body.get("template") is not None:
            template = self.find_template(body["template"])
            if template is None:
                return td.error(400, "Invalid input data: no such template")
        change_type = body.get("changeType") or (template or {}).get("changeType") or "simple"
        if change_type not in ("simple", "extensive"):
            return td.error(400, "Invalid input data: changeType must be simple or extensive")
        brief = body.get("briefDescription") or (template or {}).get("briefDescription")
        if not brief:
            return td.error(400, "Invalid input data: a template or a briefDescription is required")
        if len(brief) > 80:
            return td.error(400, "Invalid input data: briefDescription is longer than 80")
        requester = None
        if body.get("requester") is not None:
            requester = self.requester_ref((body["requester"] or {}).get("id", ""))
            if requester is None:
                return td.error(400, "Invalid input data: no such requester")
        when = now_ms()
        c = self.new_change(change_type, when)
        c.update(briefDescription=brief, requester=requester, externalNumber=body.get("externalNumber") or "")
        if template:
            c["template"] = {"id": template["id"], "number": template.get("number"),
                             "name": template.get("briefDescription")}
        for f in NAMED_FIELDS:
            if body.get(f):
                c[f] = {"id": new_id(), "name": body[f]}
        for tab in ("optionalFields1", "optionalFields2"):
            if isinstance(body.get(tab), dict):
                c[tab].update({k: parse_date(v) if k.startswith("date") else v for k, v in body[tab].items()})
        phases = body.get("phases") or {}
        for p, spec in phases.items():
            if p in c["phases"] and isinstance(spec, dict) and spec.get("authorizer"):
                ref, err = self.assignee(spec["authorizer"], p == "rfc")
                if err:
                    return err
                c["phases"][p]["authorizer"] = ref
        c["processingStatus"] = "prfc" if c["phases"]["prfc"]["authorizer"] else "rfc"
        c["status"] = self.default_status(c["processingStatus"], self.change_status_list)
        c["number"] = td.number("C", 3, when)
        self.changes.put(c)
        if body.get("request"):
            td.request_add(c["id"], body["request"], req.account, when)
        if body.get("action"):
            td.trail_add(c["id"], {"type": "memo", "memoText": body["action"], "operator": req.account.ref()})
        for spec in (template or {}).get("activities", []):
            self.seed_activity(dict(spec, change={"id": c["id"]}))
        return Response(201, self.change_detail(c))

    def transition_to(self, c, action):
        to = TRANSITIONS.get(c["processingStatus"], {}).get(action)
        return to.replace("{type}", c["changeType"]) if to else None

    def apply_transition(self, req, c, body, to):
        reason = None
        if body.get("reason"):
            reason = next(({"id": r["id"], "name": r["name"]} for r in self.change_reasons_list
                           if body["reason"] in (r["id"], r["name"])), {"id": None, "name": body["reason"]})
        when = now_ms()
        record = {"from": c["processingStatus"], "to": to, "action": body["action"], "date": when, "reason": reason,
                  "comment": body.get("comment"), "performer": dict(req.account.ref(), type=req.account.kind
                                                                    if req.account.kind == "operator" else "manager")}

        def change(rec):
            phase = phase_of(rec["processingStatus"])
            if phase in rec["phases"]:
                rec["phases"][phase]["endDate"] = when
            rec["processingStatus"] = to
            if to == "simple_closed":
                rec["simple"]["closedDate"] = when
            if to == "simple_inProgress":
                rec["simple"]["startDate"] = when
            if to == "simple_done":
                rec["simple"]["implementationDate"] = when
            rec["transitions"].append(record)
            rec["modificationDate"] = when
        self.changes.update(c, change)
        out = dict(record, date=render_date(when, "change"))
        out.pop("comment")
        return Response(201, out)

    def transition(self, req, m):
        td = self.td
        c = self.find_change(m["key"])
        if c is None:
            return td.error(404, "The change was not found")
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict) or not body.get("from") or not body.get("action"):
            return td.error(400, "Invalid input data: from and action are required")
        if self.status_drives:
            return td.error(400, "Invalid input data: processing status transitions are not possible while the "
                                 "status determines the processing status")
        if body["from"] != c["processingStatus"]:
            return td.error(400, "Invalid input data: the change is %s, not %s" % (c["processingStatus"], body["from"]))
        to = self.transition_to(c, body["action"])
        if to is None:
            return td.error(400, "Invalid input data: action '%s' is not possible from %s"
                            % (body["action"], c["processingStatus"]))
        return self.apply_transition(req, c, body, to)

    def patch_value(self, target, parts, op, value, kind):
        """Apply one JSON Patch operation to the copy TARGET; returns an error
        text or None. KIND is "change" or "activity"."""
        if parts is None or not parts or not parts[0]:
            return "a path must be a JSON pointer to a field"
        field = parts[0]
        if field == "progressTrail":
            if op != "add" or len(parts) != 1 or not isinstance(value, str) or not value.strip():
                return "/progressTrail takes an add with the memo text"
            target.setdefault("_memos", []).append(value.strip())
            return None
        if field in ("optionalFields1", "optionalFields2") and len(parts) == 2:
            if parts[1] not in target[field]:
                return "no field %s" % "/".join(parts)
            holder, key = target[field], parts[1]
            if key.startswith("date") and value is not None and op != "test":
                try:
                    value = parse_date(value)
                except ValueError:
                    return "%s is not a date" % key
        elif len(parts) == 1 and field in ("briefDescription", "externalNumber", "status", "processingStatus") + \
                NAMED_FIELDS + (("plannedFinalDate", "plannedStartDate") if kind == "activity" else ()):
            holder, key = target, field
        else:
            return "the path /%s cannot be changed" % "/".join(parts)
        current = holder.get(key)
        if op == "test":
            shown = current.get("name") if isinstance(current, dict) else current
            return None if value in (current, shown) else "test failed on /%s" % "/".join(parts)
        if op == "remove":
            holder[key] = None
            return None
        if op not in ("add", "replace"):
            return "operation %s is not supported here" % op
        if key == "briefDescription" and (not isinstance(value, str) or len(value) > 80):
            return "briefDescription must be text of at most 80 characters"
        if key == "status":
            statuses = self.change_status_list if kind == "change" else self.activity_status_list
            found = next((s for s in statuses if value in (s["id"], s["name"])), None)
            if found is None:
                return "no status '%s'" % value
            target["_status"] = found
            holder[key] = {"id": found["id"], "name": found["name"]}
            return None
        if key in NAMED_FIELDS:
            holder[key] = {"id": new_id(), "name": value} if value else None
            return None
        if key in ("plannedFinalDate", "plannedStartDate"):
            try:
                holder[key] = parse_date(value)
            except ValueError:
                return "%s is not a date" % key
            return None
        holder[key] = value
        return None

    def run_patch(self, req, rec, kind):
        """(patched copy, error response) of REC under the request's JSON Patch."""
        td = self.td
        body, err = td.json_body(req, PATCH_MEDIA)
        if err:
            return None, err
        if not isinstance(body, list) or not body:
            return None, td.error(400, "Invalid input data: the body must be a JSON Patch list of operations")
        target = copy.deepcopy(rec)
        for step in body:
            if not isinstance(step, dict) or step.get("op") not in ("add", "remove", "replace", "move", "copy", "test") \
                    or not isinstance(step.get("path"), str):
                return None, td.error(400, "Invalid input data: each operation needs op and path")
            if step["op"] in ("add", "replace", "test") and "value" not in step:
                return None, td.error(400, "Invalid input data: %s needs a value" % step["op"])
            why = self.patch_value(target, json_pointer(step["path"]), step["op"], step.get("value"), kind)
            if why:
                return None, td.error(400, "Invalid input data: %s" % why)
        return target, None

    def patch_change(self, req, m):
        td = self.td
        c = self.find_change(m["key"])
        if c is None:
            return td.error(404, "No such change")
        target, err = self.run_patch(req, c, "change")
        if err:
            return err
        if target["processingStatus"] != c["processingStatus"]:
            return td.error(400, "Invalid input data: the processing status changes through "
                                 "processingStatusTransitions")
        status = target.pop("_status", None)
        memos = target.pop("_memos", [])
        if status is not None:
            phase = phase_of(c["processingStatus"])
            meaning = status.get(phase if phase in ("prfc", "rfc", "simple") else "extensive", "NOT_AVAILABLE")
            if meaning == "NOT_AVAILABLE":
                return td.error(400, "Invalid input data: status '%s' is not available in phase %s"
                                % (status["name"], phase))
            if self.status_drives and meaning in STATUS_MEANING.get(phase, {}):
                target["processingStatus"] = STATUS_MEANING[phase][meaning].replace("{type}", c["changeType"])
        when = now_ms()
        target["modificationDate"] = when
        self.changes.update(c, lambda rec: (rec.clear(), rec.update(target)))
        for text in memos:
            td.trail_add(c["id"], {"type": "memo", "memoText": text, "operator": req.account.ref()})
        return Response(204)

    def add_memo(self, req, owner, touch):
        td = self.td
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict) or body.get("type") != "memo":
            return td.error(400, "Invalid input data: type must be memo")
        text = body.get("memoText")
        if not isinstance(text, str) or not text.strip():
            return td.error(400, "Invalid input data: memoText may not be empty or only white space")
        unknown = sorted(set(body) - {"memoText", "type"})
        if unknown:
            return td.error(400, "Invalid input data: unknown field '%s'" % unknown[0])
        who = req.account
        entry = td.trail_add(owner, {"type": "memo", "memoText": text.strip(),
                                     "operator": who.ref() if who.kind == "operator" else None,
                                     "person": who.ref() if who.kind == "person" else None})
        touch()
        return Response(201, self.trail_entry(entry))

    def add_change_memo(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        return self.add_memo(req, c["id"], lambda: self.touch(c))

    def upload(self, req, owner, path):
        td = self.td
        parts = multipart(req)
        if parts is None:
            return None, td.error(415, "Unsupported media type: multipart/form-data is required")
        if "file" not in parts or not parts["file"][0]:
            return None, td.error(400, "Invalid input data: a file part named 'file' is required")
        filename, data, ctype = parts["file"]
        att = td.store_attachment(owner, filename, data, ctype, req.account)
        entry = td.trail_add(owner, {"type": "attachment", "fileName": filename, "size": len(data),
                                     "downloadUrl": "%s/attachments/%s" % (path, att["id"]),
                                     "operator": att["operator"], "person": att["person"]})
        return entry, None

    def upload_change_attachment(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        entry, err = self.upload(req, c["id"], "/tas/api/operatorChanges/%s" % c["id"])
        if err:
            return err
        self.touch(c)
        return Response(201, self.trail_entry(entry))

    def seed_change(self, data):
        td = self.td
        data = dict(data)
        old = self.find_change(data["id"]) if data.get("id") else None
        when = now_ms()
        c = old or self.new_change(data.get("changeType", "simple"), when)
        if data.get("id"):
            c["id"] = data["id"]
        request = data.pop("request", None)
        if "requester" in data:
            data["requester"] = self.requester_ref((data["requester"] or {}).get("id", "")) or data["requester"]
        if "template" in data:
            t = self.find_template(data["template"])
            data["template"] = {"id": t["id"], "number": t.get("number"), "name": t.get("briefDescription")} \
                if t else data["template"]
        if isinstance(data.get("status"), dict) and not data["status"].get("id"):
            found, _ = self.find_named(data["status"].get("name"), self.change_status_list, "status")
            data["status"] = found or dict(data["status"], id=new_id())
        for tab in ("optionalFields1", "optionalFields2"):
            if tab in data:
                data[tab] = dict(c[tab], **{k: parse_date(v) if k.startswith("date") else v
                                            for k, v in data[tab].items()})
        if "phases" in data:
            phases = copy.deepcopy(c["phases"])
            for p, spec in data["phases"].items():
                phases[p].update(spec)
            data["phases"] = phases
        for f in ("requestDate", "creationDate", "modificationDate"):
            if f in data:
                data[f] = parse_date(data[f])

        def change(rec):
            rec.update(data)
            if "modificationDate" not in data and old is not None:
                rec["modificationDate"] = now_ms()
            if not rec.get("number"):
                rec["number"] = td.number("C", 3, rec["creationDate"])
            if rec.get("status") is None:
                rec["status"] = self.default_status(rec["processingStatus"], self.change_status_list)
        if old is None:
            change(c)
            self.changes.put(c)
        else:
            self.changes.update(c, change)
        if request:
            asker = c.get("requester") or {}
            td.request_add(c["id"], request, Account("person", asker.get("id"), asker.get("name", "")),
                           c["creationDate"])
        if old is None and c.get("template"):
            t = self.find_template(c["template"])
            for spec in (t or {}).get("activities", []):
                self.seed_activity(dict(spec, change={"id": c["id"]}))

    # -- lists of the tenant -------------------------------------------------
    def change_statuses(self, req, m):
        return Response(200, {"results": [{k: s.get(k) for k in ("id", "name", "prfc", "rfc", "simple", "extensive")}
                                          | {"archived": False, "defaultFor": s.get("defaultFor", [])}
                                          for s in self.change_status_list]})

    def activity_statuses(self, req, m):
        return Response(200, {"results": [{k: s.get(k) for k in ("id", "name", "activity", "authorizationActivity")}
                                          | {"archived": False, "defaultFor": s.get("defaultFor", [])}
                                          for s in self.activity_status_list]})

    def templates_list(self, req, m):
        return Response(200, {"results": [{"id": t["id"], "number": t.get("number"),
                                           "briefDescription": t.get("briefDescription")} for t in self.templates]})

    def change_reasons(self, req, m):
        return Response(200, [{"id": r["id"], "name": r["name"]} for r in self.change_reasons_list])

    def activity_reasons(self, req, m):
        return Response(200, [{"id": r["id"], "name": r["name"]} for r in self.activity_reasons_list])

    # -- activities --------------------------------------------------------
    def list_activities(self, req, m):
        td = self.td
        conds = []
        changes = [v for v in multi(req, "change") if v]
        if changes:
            ids = [(self.find_change(v) or {}).get("id", v).lower() for v in changes]
            conds.append(("cmp", "change.id", "=in=", ids, "change"))
        for name, field in (("operator", "assignee.id"), ("id", "id"), ("operatorGroup", "assignee.groupId")):
            values = [v.lower() for v in multi(req, name) if v]
            if values:
                conds.append(("cmp", field, "=in=", values, name))
        statuses = [v.lower() for v in multi(req, "status") if v]
        for name in ("open", "archived", "blocked"):
            if name in req.query and req.query[name] not in ("true", "false"):
                return td.error(400, "Invalid input data: %s must be true or false" % name)
        if req.query.get("finalDateAfter"):
            try:
                after = parse_date(req.query["finalDateAfter"])
            except ValueError:
                return td.error(400, "Invalid input data: finalDateAfter is not a date")
            conds.append(("cmp", "finalDate", "=gt=", [after], "finalDateAfter"))
        fields = None
        if "fields" in req.query:
            fields = [f for f in req.query["fields"].split(",") if f]
            bad = [f for f in fields if f not in ACTIVITY_FIELDS and f != "all"]
            if bad:
                return td.error(400, "Invalid input data: unknown field '%s'" % bad[0])
        sort = req.query.get("sort")
        order = [("finalDate", True)]
        if sort:
            field, _, direction = sort.partition(":")
            if field not in ("finalDate", "plannedFinalDate") or direction not in ("", "asc", "desc"):
                return td.error(400, "Invalid input data: cannot sort on '%s'" % sort)
            order = [(field, direction != "asc")]
        start, err = td.int_param(req, "pageStart", 0, 0, None)
        size, err2 = td.int_param(req, "pageSize", 1000, 1, None)
        if err or err2:
            return err or err2
        schema = {"change.id": "text", "assignee.id": "text", "assignee.groupId": "text", "id": "text",
                  "finalDate": "date"}
        tree = ("and", conds) if conds else None
        rows = self.activities.select(tree, schema, order)
        if "open" in req.query:
            want = req.query["open"] == "true"
            rows = (a for a in rows if (a["processingStatus"] in ACTIVITY_OPEN) == want)
        if "archived" in req.query:
            want = req.query["archived"] == "true"
            rows = (a for a in rows if bool(a.get("archived")) == want)
        if statuses:
            rows = (a for a in rows if a.get("status") and (a["status"]["id"].lower() in statuses
                                                           or a["status"]["name"].lower() in statuses))
        chosen, _ = td.page(rows, start, size)
        return Response(200, {"results": [self.activity_detail(a, fields if fields is not None else ACTIVITY_FIELDS)
                                          for a in chosen]})

    def get_activity(self, req, m):
        a = self.find_activity(m["key"])
        if a is None:
            return self.td.error(404, "No such activity")
        return Response(200, self.activity_detail(a))

    def new_activity(self, change, when):
        return {"id": new_id(), "number": None, "briefDescription": "", "plannedChangePhase": "rfc",
                "status": self.default_status("activity", self.activity_status_list), "activityType": "normal",
                "processingStatus": "ready_to_start", "archived": False, "creationDate": when,
                "lastModificationDate": when, "plannedStartDate": None, "startDate": None, "resolvedDate": None,
                "skippedDate": None, "approvedDate": None, "rejectedDate": None, "plannedFinalDate": None,
                "finalDate": None, "rejectionReason": None, "category": None, "subcategory": None, "assignee": None,
                "change": {"id": change["id"], "number": change["number"]}, "authorizer": None,
                "optionalFields1": empty_optional_fields(0), "optionalFields2": empty_optional_fields(0)}

    def create_activity(self, req, m):
        td = self.td
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict):
            return td.error(400, "Invalid input data: the body must be a JSON object")
        unknown = sorted(set(body) - ACTIVITY_WRITABLE)
        if unknown:
            return td.error(400, "Invalid input data: unknown field '%s'" % unknown[0])
        c = self.find_change(str(body.get("changeId") or ""))
        if c is None:
            return td.error(400, "Invalid input data: changeId names no change")
        if not is_open(c):
            return td.error(400, "Invalid input data: the change is closed")
        kind = body.get("activityType", "normal")
        if kind not in ("normal", "authorization"):
            return td.error(400, "Invalid input data: activityType must be normal or authorization")
        brief = body.get("briefDescription")
        if not isinstance(brief, str) or not brief.strip() or len(brief) > 80:
            return td.error(400, "Invalid input data: briefDescription is required (at most 80 characters)")
        if body.get("changePhase", "rfc") not in ("rfc", "progress", "evaluation"):
            return td.error(400, "Invalid input data: changePhase must be rfc, progress or evaluation")
        assignee = None
        if body.get("assignee") is not None:
            assignee, err = self.assignee(body["assignee"], kind == "normal")
            if err:
                return err
        when = now_ms()
        a = self.new_activity(c, when)
        a.update(briefDescription=brief, activityType=kind, plannedChangePhase=body.get("changePhase", "rfc"),
                 assignee=assignee)
        if kind == "authorization":
            a["status"] = self.default_status("authorization activity", self.activity_status_list)
        for f in ("plannedStartDate", "plannedFinalDate"):
            if body.get(f):
                try:
                    a[f] = parse_date(body[f])
                except ValueError:
                    return td.error(400, "Invalid input data: %s is not a date" % f)
        a["number"] = td.number("CA", 4, when)
        self.activities.put(a)
        if body.get("request"):
            td.request_add(a["id"], body["request"], req.account, when)
        if body.get("action"):
            td.trail_add(a["id"], {"type": "memo", "memoText": body["action"], "operator": req.account.ref()})
        if self.activity_touches_change:
            self.touch(c)
        return Response(201, self.activity_detail(a))

    def patch_activity(self, req, m):
        td = self.td
        a = self.find_activity(m["key"])
        if a is None:
            return td.error(404, "No such activity")
        target, err = self.run_patch(req, a, "activity")
        if err:
            return err
        status = target.pop("_status", None)
        memos = target.pop("_memos", [])
        new = target["processingStatus"]
        if new != a["processingStatus"]:
            if self.status_drives:
                return td.error(400, "Invalid input data: /processingStatus cannot be set while the status "
                                     "determines the processing status")
            if a["processingStatus"] not in ACTIVITY_OPEN:
                return td.error(400, "Invalid input data: the activity is %s already" % a["processingStatus"])
            allowed = ("skipped",) if a["activityType"] == "authorization" else ("in_progress", "finished", "skipped")
            if new not in allowed:
                return td.error(400, "Invalid input data: processingStatus '%s' is not possible for %s activities"
                                % (new, a["activityType"]))
        if status is not None:
            meaning = status.get("authorizationActivity" if a["activityType"] == "authorization" else "activity")
            if meaning == "NOT_AVAILABLE":
                return td.error(400, "Invalid input data: status '%s' is not available for this activity"
                                % status["name"])
        when = now_ms()
        target["lastModificationDate"] = when
        if new != a["processingStatus"]:
            target["finalDate"] = when
            target[{"skipped": "skippedDate", "finished": "resolvedDate"}.get(new, "startDate")] = when
        self.activities.update(a, lambda rec: (rec.clear(), rec.update(target)))
        for text in memos:
            td.trail_add(a["id"], {"type": "memo", "memoText": text, "operator": req.account.ref()})
        return Response(204)

    def activity_trail(self, req, m):
        a = self.find_activity(m["key"])
        if a is None:
            return self.td.error(404, "The activity was not found")
        return Response(200, {"results": [self.trail_entry(e) for e in reversed(self.td.trails.get(a["id"], []))]})

    def touch_activity(self, a):
        self.activities.update(a, lambda rec: rec.update(lastModificationDate=now_ms()))

    def add_activity_memo(self, req, m):
        a = self.find_activity(m["key"])
        if a is None:
            return self.td.error(404, "The activity was not found")
        return self.add_memo(req, a["id"], lambda: self.touch_activity(a))

    def upload_activity_attachment(self, req, m):
        a = self.find_activity(m["key"])
        if a is None:
            return self.td.error(404, "The activity was not found")
        entry, err = self.upload(req, a["id"], "/tas/api/operatorChangeActivities/%s" % a["id"])
        if err:
            return err
        self.touch_activity(a)
        return Response(201, self.trail_entry(entry))

    def seed_activity(self, data):
        data = dict(data)
        old = self.find_activity(data["id"]) if data.get("id") else None
        c = self.find_change(str((data.get("change") or {}).get("id", ""))) if not old else \
            self.changes.get(old["change"]["id"])
        if c is None:
            raise ValueError("an activity needs the id of a seeded change")
        when = now_ms()
        a = old or self.new_activity(c, when)
        if data.get("id"):
            a["id"] = data["id"]
        data.pop("change", None)
        if "changePhase" in data:
            data["plannedChangePhase"] = data.pop("changePhase")
        if isinstance(data.get("assignee"), dict) and data["assignee"].get("id"):
            ref, err = self.assignee(data["assignee"], data.get("activityType", a["activityType"]) == "normal")
            data["assignee"] = ref if err is None else data["assignee"]
        for f in ACTIVITY_DATES:
            if f in data:
                data[f] = parse_date(data[f])

        def change(rec):
            rec.update(data)
            if "lastModificationDate" not in data and old is not None:
                rec["lastModificationDate"] = now_ms()
            if not rec.get("number"):
                rec["number"] = self.td.number("CA", 4, rec["creationDate"])
            if rec["activityType"] == "authorization" and old is None and "status" not in data:
                rec["status"] = self.default_status("authorization activity", self.activity_status_list)
        if old is None:
            change(a)
            self.activities.put(a)
        else:
            self.activities.update(a, change)

    # -- the manager (approver) ----------------------------------------------
    def decision_of(self, a):
        return {"authorized": "go", "rejected": "no_go", "skipped": "cancel"}.get(a["processingStatus"], "waiting")

    def mine(self, req, a):
        asg = a.get("assignee") or {}
        return a["activityType"] == "authorization" and asg.get("type") == "manager" and asg.get("id") == req.account.id

    def manager_authorizables(self, req, m):
        wanted = set(multi(req, "managerAction"))
        bad = wanted - {"waiting", "submit", "reject", "go", "no_go", "cancel"}
        if bad:
            return self.td.error(400, "Invalid query parameter(s): managerAction '%s'" % sorted(bad)[0])
        out = []
        for aid in sorted(self.activities.eq["assignee.id"].get(req.account.id.lower(), ())):
            a = self.activities.get(aid)
            c = self.changes.get(a["change"]["id"])
            action = self.decision_of(a)
            if not self.mine(req, a) or a.get("archived") or (wanted and action not in wanted):
                continue
            out.append({"parent": {"id": c["id"], "number": c["number"], "briefDescription": c["briefDescription"]},
                        "authorizableType": "activity", "id": a["id"], "number": a["number"],
                        "briefDescription": a["briefDescription"],
                        "requester": {"id": (c.get("requester") or {}).get("id"),
                                      "name": (c.get("requester") or {}).get("name")},
                        "request": self.td.request_text(c["id"]),
                        "creationDate": render_date(a["creationDate"], "change"),
                        "requestDate": render_date(c.get("requestDate"), "change"),
                        "latestParticipation": {
                            "type": action,
                            "date": render_date(a["finalDate"] if action != "waiting" else a["plannedFinalDate"],
                                                "change"),
                            "reason": a.get("rejectionReason"), "participationType": "person",
                            "performer": dict(req.account.ref(), type="manager"), "group": None}})
        for c in self.changes.records.values():
            auth = (c["phases"]["prfc"].get("authorizer") or {})
            if auth.get("id") != req.account.id or c.get("archived"):
                continue
            done = [t for t in c["transitions"] if t["from"] == "prfc"]
            action = done[-1]["action"] if done else ("waiting" if c["processingStatus"] == "prfc" else None)
            if action is None or (wanted and action not in wanted):
                continue
            out.append({"parent": None, "authorizableType": "change", "id": c["id"], "number": c["number"],
                        "briefDescription": c["briefDescription"], "requester": c.get("requester"),
                        "request": self.td.request_text(c["id"]),
                        "creationDate": render_date(c["creationDate"], "change"),
                        "requestDate": render_date(c.get("requestDate"), "change"),
                        "latestParticipation": {"type": action, "date": None, "reason": None,
                                                "participationType": "person",
                                                "performer": dict(req.account.ref(), type="manager"), "group": None}})
        return Response(200, {"results": out})

    def manager_activity(self, req, m):
        a = self.find_activity(m["key"])
        if a is None:
            return self.td.error(404, "The authorization activity was not found")
        if not self.mine(req, a):
            return self.td.error(403, "No permission to access authorization activity")
        c = self.changes.get(a["change"]["id"])
        out = self.td.dates_out({k: a.get(k) for k in ("id", "number", "briefDescription", "creationDate",
                                                        "category", "subcategory", "rejectionReason", "status",
                                                        "authorizer")}, ["creationDate"], "change")
        out.update({"managerAction": self.decision_of(a),
                    "plannedAuthorizationDate": render_date(a.get("plannedFinalDate"), "change"),
                    "authorizationDate": render_date(a.get("approvedDate") or a.get("rejectedDate"), "change"),
                    "change": {"id": c["id"], "number": c["number"], "requester": c.get("requester"),
                               "request": self.td.request_text(c["id"]), "briefDescription": c["briefDescription"],
                               "changeType": c["changeType"], "processingStatus": c["processingStatus"],
                               "processingStatusTransitions": [dict(t, date=render_date(t["date"], "change"))
                                                               for t in c["transitions"]],
                               "orderedItems": {"results": copy.deepcopy(c.get("orderedItems", []))}}})
        return Response(200, out)

    def manager_action(self, req, m):
        td = self.td
        a = self.find_activity(m["key"])
        if a is None:
            return td.error(404, "The authorization activity was not found")
        if not self.mine(req, a):
            return td.error(403, "No permission to authorize activity")
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict) or body.get("action") not in ("go", "no_go"):
            return td.error(400, "Invalid input data: action must be go or no_go")
        if a["processingStatus"] not in ACTIVITY_OPEN:
            return td.error(400, "Invalid input data: the authorization activity is %s already" % a["processingStatus"])
        reason = None
        if body["action"] == "no_go" and body.get("reason"):
            reason = next(({"id": r["id"], "name": r["name"]} for r in self.activity_reasons_list
                           if r["id"] == body["reason"]), None)
            if reason is None:
                return td.error(400, "Invalid input data: no rejection reason '%s'" % body["reason"])
        when = now_ms()
        go = body["action"] == "go"
        status = next((s for s in self.activity_status_list
                       if s.get("authorizationActivity") == ("GO" if go else "NO_GO")), None)

        def change(rec):
            rec["processingStatus"] = "authorized" if go else "rejected"
            rec["approvedDate" if go else "rejectedDate"] = when
            rec["finalDate"] = when
            rec["lastModificationDate"] = when
            rec["rejectionReason"] = reason
            rec["authorizer"] = dict(req.account.ref(), type="manager")
            if status:
                rec["status"] = {"id": status["id"], "name": status["name"]}
        self.activities.update(a, change)
        if body.get("comment"):
            td.trail_add(a["id"], {"type": "memo", "memoText": str(body["comment"]), "person": req.account.ref(),
                                   "operator": None})
        if self.activity_touches_change:
            self.touch(self.changes.get(a["change"]["id"]))
        return Response(204)

    def manager_change(self, req, m):
        c = self.find_change(m["key"])
        if c is None:
            return self.td.error(404, "The change was not found")
        if (c["phases"]["prfc"].get("authorizer") or {}).get("id") != req.account.id:
            return self.td.error(403, "No permission to access change")
        out = self.change_detail(c)
        out["processingStatusTransitions"] = [dict(t, date=render_date(t["date"], "change")) for t in c["transitions"]]
        return Response(200, out)

    def manager_transition(self, req, m):
        td = self.td
        c = self.find_change(m["key"])
        if c is None:
            return td.error(404, "The change was not found")
        if (c["phases"]["prfc"].get("authorizer") or {}).get("id") != req.account.id:
            return td.error(403, "No permission for processing status transition")
        body, err = td.json_body(req, JSON_MEDIA)
        if err:
            return err
        if not isinstance(body, dict) or body.get("from") != c["processingStatus"] or c["processingStatus"] != "prfc":
            return td.error(400, "Invalid input data: the change is not waiting for this manager")
        to = self.transition_to(c, body.get("action"))
        if to is None:
            return td.error(400, "Invalid input data: action '%s' is not possible from prfc" % body.get("action"))
        return self.apply_transition(req, c, body, to)
