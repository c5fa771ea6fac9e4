# SPDX-License-Identifier: Apache-2.0
"""Xurrent collections as the REST API lists them: filter conditions
(developer.xurrent.com/v1/general/filtering), ?sort= (general/ordering),
?fields= (general/field_selection) and cursor pages behind the Link header
(general/pagination), over records kept with indexes so that a lookup by id,
sourceID, an indexed reference or an updated_at range stays fast at 100,000
records. doc/itsm-xurrent.md quotes the rules and says which are our reading.
"""

import base64
import bisect
import datetime
import json
import math
import re

# Query parameters that are not filter conditions.
RESERVED = {"per_page", "search_after", "search_before", "fields", "sort", "state"}
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
TRUTHY = {"1", "t", "y", "true", "yes", "on"}
RANGE = re.compile(r"(?:(>=|>)([^<>]+))?(?:(<=|<)([^<>]+))?")


class BadRequest(Exception):
    """A query the API refuses with 400 and {"message": ...}."""


class Spec:
    """What the documentation lists for one collection: the filterable fields
    with their types ("int", "ref", "enum", "string", "time", "bool"), the
    sortable fields, the default order, the fields of a collection listing,
    every field (for ?fields=), the filters that ignore case, and the cap on
    what one query can page through (None: none)."""

    def __init__(self, filters, sorts, default_sort, collection_fields, fields, ignore_case=(), cap=None):
        self.filters = filters
        self.sorts = set(sorts)
        self.default_sort = default_sort
        self.collection_fields = collection_fields
        self.field_names = list(fields)
        self.fields = set(fields)
        self.ignore_case = set(ignore_case)
        self.cap = cap


def parse_time(text, tz):
    """TEXT (an ISO 8601 date or date and time; without an offset it is in
    TZ) as epoch seconds, or None when it is not one."""
    try:
        dt = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.timestamp()


def format_time(t, tz):
    """Epoch seconds as the API writes a datetime: seconds, the account's offset."""
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, tz).isoformat(timespec="seconds")


class Collection:
    """Records by id, with an equality index on INDEXED fields (values folded
    to lower case for those in FOLD) and the (updated_at, id) pairs in order.
    Call save() after every change to a record; save(defer=True) leaves the
    time order to settle(), for loading many records at once."""

    def __init__(self, indexed=(), fold=()):
        self.rows = {}
        self.eq = {f: {} for f in indexed}
        self.fold = set(fold)
        self.by_time = []
        self.snap = {}
        self.dirty = False

    def settle(self):
        if self.dirty:
            self.by_time.sort()
            self.dirty = False

    def key(self, field, value):
        return value.lower() if field in self.fold and isinstance(value, str) else value

    def _unindex(self, rid):
        old = self.snap.pop(rid, None)
        if old is None:
            return
        t, values = old
        i = bisect.bisect_left(self.by_time, (t, rid))
        if i < len(self.by_time) and self.by_time[i] == (t, rid):
            del self.by_time[i]
        for f, v in values.items():
            ids = self.eq[f].get(v)
            if ids is not None:
                ids.discard(rid)
                if not ids:
                    del self.eq[f][v]

    def save(self, rec, defer=False):
        rid = rec["id"]
        if rid in self.snap:
            self.settle()
            self._unindex(rid)
        self.rows[rid] = rec
        values = {f: self.key(f, rec.get(f)) for f in self.eq}
        for f, v in values.items():
            self.eq[f].setdefault(v, set()).add(rid)
        if defer:
            self.by_time.append((rec["updated_at"], rid))
            self.dirty = True
        else:
            self.settle()
            bisect.insort(self.by_time, (rec["updated_at"], rid))
        self.snap[rid] = (rec["updated_at"], values)

    def remove(self, rid):
        self.settle()
        self._unindex(rid)
        self.rows.pop(rid, None)

    def find(self, field, value):
        """The records whose indexed FIELD equals VALUE."""
        return [self.rows[i] for i in sorted(self.eq[field].get(self.key(field, value), ()))]


class Condition:
    def __init__(self, field, op, values, fold):
        self.field, self.op, self.values, self.fold = field, op, values, fold

    def value(self, rec):
        v = rec.get(self.field)
        return v.lower() if self.fold and isinstance(v, str) else v

    def matches(self, rec):
        v = self.value(rec)
        op = self.op
        if op == "empty":
            return v is None or v == ""
        if op == "present":
            return v is not None and v != ""
        if op == "eq":
            return v == self.values[0]
        if op == "ne":
            return v != self.values[0]
        if op == "in":
            return v in self.values
        if op == "nin":
            return v not in self.values
        if v is None:
            return False
        lo, lo_incl, hi, hi_incl = self.values
        if lo is not None and (v < lo or (v == lo and not lo_incl)):
            return False
        return not (hi is not None and (v > hi or (v == hi and not hi_incl)))


def _convert(spec, field, text, tz):
    kind = spec.filters[field]
    if kind in ("int", "ref"):
        try:
            return int(text)
        except ValueError:
            raise BadRequest("Invalid value '%s' for field '%s'" % (text, field)) from None
    if kind == "time":
        t = parse_time(text, tz)
        if t is None:
            raise BadRequest("Invalid value '%s' for field '%s'" % (text, field))
        return t
    if kind == "bool":
        return text.lower() in TRUTHY
    return text.lower() if field in spec.ignore_case else text


def conditions(spec, query, tz):
    """The filter conditions of QUERY ({name: value}); BadRequest as the
    documentation's examples word it."""
    conds, unknown, refused = [], [], []
    for key, text in query.items():
        if key in RESERVED:
            continue
        negate = key.endswith("!")
        field = key[:-1] if negate else key
        if field == "ids":
            field = "id"
        elif field.endswith("_id") and spec.filters.get(field[:-3]) == "ref":
            field = field[:-3]
        if field not in spec.filters:
            (refused if field in spec.fields else unknown).append(field)
            continue
        conds.append(_condition(spec, field, text, negate, tz))
    if unknown:
        raise BadRequest("Unknown fields: %s" % ", ".join(unknown))
    if refused:
        raise BadRequest("Filtering not allowed on fields: %s" % ", ".join(refused))
    return conds


def _condition(spec, field, text, negate, tz):
    kind = spec.filters[field]
    fold = field in spec.ignore_case
    if not negate and text == "":
        return Condition(field, "empty", None, fold)
    if not negate and text == "!":
        return Condition(field, "present", None, fold)
    if not negate and text[:1] in ("<", ">"):
        m = RANGE.fullmatch(text)
        if kind not in ("int", "time"):
            raise BadRequest("Field '%s' does not support the '=%s' operator" % (field, re.match(r"[<>]=?", text).group()))
        if not m or not (m.group(1) or m.group(3)):
            raise BadRequest("Invalid value '%s' for field '%s'" % (text, field))
        lo = _convert(spec, field, m.group(2), tz) if m.group(1) else None
        hi = _convert(spec, field, m.group(4), tz) if m.group(3) else None
        return Condition(field, "range", (lo, m.group(1) == ">=", hi, m.group(3) == "<="), fold)
    if text.startswith("!") and not negate:
        negate, text = True, text[1:]
    if "," in text:
        if kind == "bool":
            raise BadRequest("Cannot filter on a set of values for field '%s'" % field)
        if kind not in ("int", "ref", "enum"):
            raise BadRequest("Cannot apply the '=' operator to a set of values for field '%s'" % field)
        values = [_convert(spec, field, t, tz) for t in text.split(",")]
        return Condition(field, "nin" if negate else "in", values, fold)
    return Condition(field, "ne" if negate else "eq", [_convert(spec, field, text, tz)], fold)


def _lookup(coll, c):
    """(how many records, a function giving their ids) for a condition an
    index answers, else None."""
    if c.field == "id" and c.op in ("eq", "in"):
        return len(c.values), lambda: {v for v in c.values if v in coll.rows}
    if c.field in coll.eq and c.op in ("eq", "in"):
        sets = [coll.eq[c.field].get(coll.key(c.field, v), ()) for v in c.values]
        return sum(len(s) for s in sets), lambda: set().union(*sets)
    if c.field == "updated_at" and c.op == "range":
        lo, lo_incl, hi, hi_incl = c.values
        first = 0 if lo is None else (bisect.bisect_left if lo_incl else bisect.bisect_right)(
            coll.by_time, (lo, -math.inf if lo_incl else math.inf))
        last = len(coll.by_time) if hi is None else (bisect.bisect_right if hi_incl else bisect.bisect_left)(
            coll.by_time, (hi, math.inf if hi_incl else -math.inf))
        return max(0, last - first), lambda: {rid for _, rid in coll.by_time[first:last]}
    return None


def select(coll, conds):
    """The records of COLL meeting every condition, looked up through the
    index a condition can use that holds the fewest records."""
    coll.settle()
    found = [f for f in (_lookup(coll, c) for c in conds) if f is not None]
    rows = (coll.rows[i] for i in min(found, key=lambda f: f[0])[1]()) if found else coll.rows.values()
    return [r for r in rows if all(c.matches(r) for c in conds)]


class _Key:
    """A sort key over several fields, each ascending or descending; None
    sorts before any value."""
    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts

    def __lt__(self, other):
        for (a, desc), (b, _) in zip(self.parts, other.parts):
            if a != b:
                return a > b if desc else a < b
        return False

    def __eq__(self, other):
        return [a for a, _ in self.parts] == [b for b, _ in other.parts]


def _norm(v):
    return (0,) if v is None else (1, v.lower() if isinstance(v, str) else v)


def sort_order(spec, text):
    """[(field, descending)] from a ?sort= value (the default when None);
    "id" is always the last key so that the order is total."""
    if text is None:
        order = list(spec.default_sort)
    else:
        order = [(f.lstrip("-"), f.startswith("-")) for f in text.split(",") if f]
        refused = [f for f, _ in order if f not in spec.sorts]
        if refused or not order:
            raise BadRequest("Sorting not allowed on fields: %s" % ", ".join(refused or [text]))
    if all(f != "id" for f, _ in order):
        order.append(("id", order[-1][1] if order else False))
    return order


def sort_key(order, rec):
    return _Key([(_norm(rec.get(f)), desc) for f, desc in order])


def _cursor(page, key):
    raw = json.dumps([page, [list(v) for v, _ in key.parts]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(text, order):
    try:
        page, values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(page, int) or len(values) != len(order):
            raise ValueError
        return page, _Key([(tuple(v), desc) for v, (_, desc) in zip(values, order)])
    except (ValueError, TypeError, json.JSONDecodeError):
        raise BadRequest("Invalid cursor") from None


def _per_page(query):
    text = query.get("per_page")
    if text is None:
        return DEFAULT_PER_PAGE
    try:
        n = int(text)
    except ValueError:
        raise BadRequest("Parameter 'per_page' is not a number") from None
    if n < 1:
        raise BadRequest("Parameter 'per_page' cannot be less than 1")
    if n > MAX_PER_PAGE:
        raise BadRequest("Parameter 'per_page' cannot be greater than %d" % MAX_PER_PAGE)
    return n


def field_list(spec, query):
    """The fields a listing shows: the collection's default ones, or id and
    those ?fields= names."""
    text = query.get("fields")
    if text is None:
        return spec.collection_fields
    names = [f for f in text.split(",") if f]
    unknown = [f for f in names if f not in spec.fields]
    if unknown:
        raise BadRequest("Unknown fields: %s" % ", ".join(unknown))
    return ["id"] + [f for f in names if f != "id"]


def page(spec, rows, query, raw_query, url):
    """One page of ROWS (already filtered) as QUERY asks for it: (records,
    headers), with the X-Pagination-* headers and a Link header whose URLs are
    URL with the request's own parameters and a search_after/search_before
    cursor. BadRequest for a bad per_page, sort or cursor."""
    per_page = _per_page(query)
    order = sort_order(spec, query.get("sort"))
    rows = list(rows)
    for field, desc in reversed(order):  # stable sorts, last key first
        rows.sort(key=lambda r, f=field: _norm(r.get(f)), reverse=desc)
    total = len(rows)
    headers = {}
    if spec.cap is not None and total > spec.cap:
        rows = rows[:spec.cap]
        headers["X-Pagination-Throttled"] = "true"
    def key(r):
        return sort_key(order, r)

    if query.get("search_after") is not None:
        number, after = _uncursor(query["search_after"], order)
        start, number = bisect.bisect_right(rows, after, key=key), number + 1
    elif query.get("search_before") is not None:
        number, before = _uncursor(query["search_before"], order)
        start, number = max(0, bisect.bisect_left(rows, before, key=key) - per_page), max(1, number - 1)
    else:
        start, number = 0, 1
    chosen = rows[start:start + per_page]
    own = "&".join(p for p in raw_query.split("&") if p and not p.startswith(("search_after=", "search_before=")))
    sep = "&" if own else ""
    links = []
    if start > 0:
        links.append('<%s?%s>; rel="first"' % (url, own))
        links.append('<%s?%s%ssearch_before=%s>; rel="prev"' % (url, own, sep, _cursor(number, key(rows[start]))))
    if start + per_page < len(rows):
        links.append('<%s?%s%ssearch_after=%s>; rel="next"' % (url, own, sep, _cursor(number, key(rows[start + per_page - 1]))))
    if links:
        headers["Link"] = ", ".join(links)
    headers.update({"X-Pagination-Per-Page": str(per_page), "X-Pagination-Current-Page": str(number),
                    "X-Pagination-Total-Pages": str(max(1, math.ceil(total / per_page))),
                    "X-Pagination-Total-Entries": str(total)})
    return chosen, headers
