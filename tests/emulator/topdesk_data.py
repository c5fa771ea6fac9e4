# SPDX-License-Identifier: Apache-2.0
"""The TOPdesk emulator's store: dates as TOPdesk writes them, and indexed
tables, so that lookups by id, number or e-mail and reads in modification
order stay fast with 100,000 records.

Dates are kept as milliseconds since the epoch (UTC) and written out in the
form each API documents (see render_date).
"""

import bisect
import calendar
import datetime
import re
import time
import urllib.parse
import uuid

import fiql
import multipart as multipart_body

_SEED_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?")


def new_id():
    return str(uuid.uuid4())


def multi(req, name):
    """Every value of the repeatable query parameter NAME."""
    return urllib.parse.parse_qs(req.raw_query, keep_blank_values=True).get(name, [])


def multipart(req):
    """The parts of a multipart/form-data body, as {name: (filename, data,
    content type)}, or None when the body is not one."""
    parts = multipart_body.parse(req.headers.get("content-type", ""), req.body)
    if parts is None:
        return None
    return {p.name: (p.filename, p.data, (p.content_type or "text/plain").split(";")[0].strip()) for p in parts}


OPTIONAL_KINDS = {"boolean": "boolean", "number": "number", "text": "text", "memo": "memo", "date": "date"}


def optional_fields_schema(prefix):
    """The FIQL selectors of both optional-field tabs, below PREFIX."""
    schema = {}
    for tab in ("optionalFields1", "optionalFields2"):
        for kind, ftype in OPTIONAL_KINDS.items():
            for i in range(1, 6):
                schema["%s%s.%s%d" % (prefix, tab, kind, i)] = ftype
        for i in range(1, 6):
            schema["%s%s.searchlist%d.id" % (prefix, tab, i)] = "text"
            schema["%s%s.searchlist%d.name" % (prefix, tab, i)] = "text"
    return schema


def empty_optional_fields(number=0.0):
    """Both tabs' optional fields unset, as TOPdesk shows them; the incident
    API writes numbers as 0.0, the change API as 0."""
    return dict(_EMPTY_OPTIONAL, **{"number%d" % i: number for i in range(1, 6)})


_EMPTY_OPTIONAL = {"%s%d" % (kind, i): value for i in range(1, 6) for kind, value in
                   (("boolean", False), ("text", ""), ("memo", None), ("date", None), ("searchlist", None))}

OPTIONAL_DATES = ["%s.date%d" % (tab, i) for tab in ("optionalFields1", "optionalFields2") for i in range(1, 6)]


def now_ms():
    return int(time.time() * 1000)


def parse_date(value):
    """Milliseconds of a seeded or written date: epoch milliseconds, or text
    in any of the forms TOPdesk writes or reads (no zone: UTC). None when
    VALUE is None; ValueError when it is not a date."""
    if value is None or isinstance(value, int):
        return value
    m = _SEED_DATE.fullmatch(str(value))
    if not m:
        raise ValueError("%r is not a date" % (value,))
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    ms = int((m.group(7) or "0").ljust(3, "0")[:3])
    zone = m.group(8) or "Z"
    offset = 0
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * 60 * (1 if zone[0] == "+" else -1)
    return (calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - offset) * 1000 + ms


def render_date(ms, style):
    """MS as the API writes it:
      "incident"  2020-10-01T14:10:00.000+0000 (incident API, default)
      "iso8601"   2020-10-01T14:10:00Z          (incident API, dateFormat=iso8601)
      "change"    2018-04-23T10:09:00+0000      (change API, as its examples show)
    """
    if ms is None:
        return None
    t = datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc)
    if style == "iso8601":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "change":
        return t.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (ms % 1000)


def walk(rec, field):
    """The value at dotted FIELD in REC, or None."""
    value = rec
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _key(value):
    return value.lower() if isinstance(value, str) else value


class Account:
    """Who a request is from: an operator, or a person (a manager deciding an
    authorization), by the account its application password belongs to."""

    def __init__(self, kind, rid, name):
        self.kind = kind  # "operator" or "person"
        self.id = rid
        self.name = name

    def ref(self):
        return {"id": self.id, "name": self.name}


class SortedIndex:
    """(value, id) pairs in order; records without the value are left out."""

    def __init__(self):
        self.pairs = []

    def add(self, value, rid):
        if value is not None:
            bisect.insort(self.pairs, (value, rid))

    def remove(self, value, rid):
        if value is not None:
            i = bisect.bisect_left(self.pairs, (value, rid))
            if i < len(self.pairs) and self.pairs[i] == (value, rid):
                del self.pairs[i]

    def ids_from(self, value, inclusive):
        """Ids whose value is >= VALUE (> when not INCLUSIVE), in order."""
        i = bisect.bisect_left(self.pairs, (value, "")) if inclusive else bisect.bisect_right(self.pairs, (value, "\uffff"))
        return (rid for _, rid in self.pairs[i:])

    def ids(self):
        return (rid for _, rid in self.pairs)


class Table:
    """Records by id, with equality indexes (case-insensitive) on EQ fields
    and ordered indexes on SORTED fields (dotted paths)."""

    def __init__(self, eq=(), ordered=()):
        self.records = {}
        self.eq = {f: {} for f in eq}
        self.ordered = {f: SortedIndex() for f in ordered}

    def get(self, rid):
        return self.records.get(rid)

    def _unindex(self, rec):
        rid = rec["id"]
        for f, index in self.eq.items():
            ids = index.get(_key(walk(rec, f)))
            if ids is not None:
                ids.discard(rid)
        for f, index in self.ordered.items():
            index.remove(walk(rec, f), rid)

    def _index(self, rec):
        rid = rec["id"]
        for f, index in self.eq.items():
            value = walk(rec, f)
            if value is not None:
                index.setdefault(_key(value), set()).add(rid)
        for f, index in self.ordered.items():
            index.add(walk(rec, f), rid)

    def put(self, rec):
        """Insert REC or replace the record with its id."""
        old = self.records.get(rec["id"])
        if old is not None:
            self._unindex(old)
        self.records[rec["id"]] = rec
        self._index(rec)

    def update(self, rec, change):
        """Apply CHANGE (a function of the record) to REC, keeping the indexes."""
        self._unindex(rec)
        change(rec)
        self._index(rec)

    def find(self, field, value):
        """Records whose indexed FIELD equals VALUE (case-insensitive)."""
        return [self.records[i] for i in sorted(self.eq[field].get(_key(value), ()))]

    def select(self, tree, schema, order, get=walk):
        """The records matching the FIQL TREE, sorted by ORDER ([(field,
        descending)], ties by id). An equality or range condition on an
        indexed field narrows the candidates; when the order is that of the
        range index, records are produced lazily, in order."""
        candidates, in_order = None, False
        conds = fiql.conjuncts(tree)
        for field, op, values in conds:
            if values is None or op not in ("==", "=in="):
                continue
            if field == "id":
                ids = {v for v in values if v in self.records}
            elif field in self.eq:
                ids = set()
                for v in values:
                    ids |= self.eq[field].get(v, set())
            else:
                continue
            candidates = ids if candidates is None else candidates & ids
        if candidates is None:
            for field, op, values in conds:
                if values is not None and field in self.ordered and op in ("=ge=", "=gt="):
                    candidates = self.ordered[field].ids_from(values[0], op == "=ge=")
                    in_order = order == [(field, False)]
                    break
        if candidates is None and order and len(order) == 1 and order[0][0] in self.ordered and not order[0][1]:
            candidates, in_order = self.ordered[order[0][0]].ids(), True
        if candidates is None:
            candidates = self.records.keys()
        rows = (self.records[i] for i in candidates)
        rows = (r for r in rows if fiql.matches(tree, schema, lambda f, r=r: get(r, f)))
        if in_order or not order:
            return rows if in_order else iter(sorted(rows, key=lambda r: r["id"]))
        rows = sorted(rows, key=lambda r: r["id"])
        for field, desc in reversed(order):
            present = [r for r in rows if get(r, field) is not None]
            missing = [r for r in rows if get(r, field) is None]
            present.sort(key=lambda r, f=field: _key(get(r, f)), reverse=desc)
            rows = present + missing
        return iter(rows)
