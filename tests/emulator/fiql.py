# SPDX-License-Identifier: Apache-2.0
"""FIQL, as TOPdesk's REST API evaluates its `query` parameter.

TOPdesk documents (developers.topdesk.com/tutorial.html#query, quoted in
doc/itsm-topdesk.md):
  field==value, field!=value      not for memo fields; ==null / !=null for any
  =gt= =ge= =lt= =le=             numeric and date fields only
  =sw=                            starts with: text and memo fields only
  =in=(a,b) =out=(a,b)            not for memo fields
  a;b  AND     a,b  OR     ( )    grouping; AND binds tighter
A value needs no quoting unless it holds white space or a reserved character
(' " ( ) ; , = ! ~ < >); then it is quoted with ' or ", and inside quotes a
backslash escapes the quote character and itself. Dates are ISO 8601,
yyyy-MM-ddTHH:mm:ssZ, or with an offset +/-0900 or +/-01:00.

A constraint that does not parse, names a field the resource does not have,
uses an operator that field's type does not allow, or holds a value of the
wrong type makes the whole query fail: FiqlError carries the constraint, and
the caller answers 400 naming it.

Field types (the schema a resource passes in): "text", "memo", "date",
"number", "boolean"; "text+" is text that also takes =gt= and friends (the
persons API 2.x documents that extension). Text compares case-insensitively.
"""

import calendar
import re

RESERVED = set("'\"();,=!~<>")
OPERATORS = ("==", "!=", "=gt=", "=ge=", "=lt=", "=le=", "=sw=", "=in=", "=out=")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})")


class FiqlError(ValueError):
    def __init__(self, constraint, why):
        super().__init__("'%s' is not a valid FIQL selector: %s" % (constraint, why))
        self.constraint = constraint


def parse_date(text):
    """Milliseconds since the epoch of a FIQL date, or None when TEXT is not one."""
    m = DATE.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        return None
    zone = m.group(7)
    offset = 0
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * 60 * (1 if zone[0] == "+" else -1)
    try:
        t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    return (t - offset) * 1000


class _Parser:
    def __init__(self, text):
        self.text = text
        self.i = 0

    def peek(self):
        return self.text[self.i] if self.i < len(self.text) else ""

    def fail(self, start, why):
        end = self.i
        while end < len(self.text) and self.text[end] not in ";,)":
            end += 1
        raise FiqlError(self.text[start:max(end, start + 1)], why)

    def expression(self):
        node = self.conjunction()
        parts = [node]
        while self.peek() == ",":
            self.i += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self):
        parts = [self.primary()]
        while self.peek() == ";":
            self.i += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def primary(self):
        start = self.i
        if self.peek() == "(":
            self.i += 1
            node = self.expression()
            if self.peek() != ")":
                self.fail(start, "a group is not closed")
            self.i += 1
            return node
        return self.comparison()

    def comparison(self):
        start = self.i
        m = re.compile(r"[A-Za-z0-9_.]+").match(self.text, self.i)
        if not m:
            self.fail(start, "no field name")
        selector = m.group(0)
        self.i = m.end()
        op = next((o for o in OPERATORS if self.text.startswith(o, self.i)), None)
        if op is None:
            self.fail(start, "no comparison operator")
        self.i += len(op)
        if op in ("=in=", "=out="):
            if self.peek() != "(":
                self.fail(start, "%s takes a list in brackets" % op)
            self.i += 1
            values = [self.value(start)]
            while self.peek() == ",":
                self.i += 1
                values.append(self.value(start))
            if self.peek() != ")":
                self.fail(start, "the list is not closed")
            self.i += 1
        else:
            values = [self.value(start)]
        if self.peek() not in ("", ";", ",", ")"):
            self.fail(start, "quote a value holding white space or ' \" ( ) ; , = ! ~ < >")
        return ("cmp", selector, op, values, self.text[start:self.i])

    def value(self, start):
        quote = self.peek()
        if quote in ("'", '"'):
            self.i += 1
            out = []
            while True:
                c = self.peek()
                if c == "":
                    self.fail(start, "a quoted value is not closed")
                self.i += 1
                if c == "\\":
                    nxt = self.peek()
                    if nxt == "":
                        self.fail(start, "a backslash ends the value")
                    out.append(nxt)
                    self.i += 1
                elif c == quote:
                    return ("quoted", "".join(out))
                else:
                    out.append(c)
        j = self.i
        while self.i < len(self.text) and self.text[self.i] not in RESERVED and not self.text[self.i].isspace():
            self.i += 1
        if self.i == j:
            self.fail(start, "no value (quote a value holding white space or ' \" ( ) ; , = ! ~ < >)")
        return ("bare", self.text[j:self.i])


def parse(text, schema):
    """Parse and check TEXT against SCHEMA ({field: type}); returns a tree
    for matches() and conjuncts(). Raises FiqlError."""
    p = _Parser(text)
    node = p.expression()
    if p.i != len(text):
        p.fail(p.i, "unexpected %r" % text[p.i])
    return _bind(node, schema)


def _bind(node, schema):
    if node[0] in ("and", "or"):
        return (node[0], [_bind(n, schema) for n in node[1]])
    _, selector, op, values, raw = node
    kind = schema.get(selector)
    if kind is None:
        raise FiqlError(raw, "no such field %r" % selector)
    is_null = len(values) == 1 and values[0] == ("bare", "null")
    if is_null and op in ("==", "!="):
        return ("cmp", selector, op, None, raw)
    if op in ("==", "!=", "=in=", "=out=") and kind == "memo":
        raise FiqlError(raw, "%s is not available for memo fields" % op)
    if op in ("=gt=", "=ge=", "=lt=", "=le=") and kind not in ("date", "number", "text+"):
        raise FiqlError(raw, "%s is only available for numeric and date fields" % op)
    if op == "=sw=" and kind not in ("text", "text+", "memo"):
        raise FiqlError(raw, "=sw= is only available for text and memo fields")
    converted = []
    for style, v in values:
        if kind == "date":
            ms = parse_date(v)
            if ms is None:
                raise FiqlError(raw, "%r is not a date (yyyy-MM-ddTHH:mm:ssZ)" % v)
            converted.append(ms)
        elif kind == "number":
            try:
                converted.append(float(v))
            except ValueError:
                raise FiqlError(raw, "%r is not a number" % v) from None
        elif kind == "boolean":
            if v not in ("true", "false"):
                raise FiqlError(raw, "%r is not true or false" % v)
            converted.append(v == "true")
        else:
            converted.append(v.lower())
    return ("cmp", selector, op, converted, raw)


def _compare(kind, actual, op, values):
    if values is None:
        empty = actual is None or actual == ""
        return empty if op == "==" else not empty
    if actual is None:
        return op in ("!=", "=out=")
    if kind in ("text", "text+", "memo"):
        actual = str(actual).lower()
    if op == "==":
        return actual == values[0]
    if op == "!=":
        return actual != values[0]
    if op == "=in=":
        return actual in values
    if op == "=out=":
        return actual not in values
    if op == "=sw=":
        return actual.startswith(values[0])
    if op == "=gt=":
        return actual > values[0]
    if op == "=ge=":
        return actual >= values[0]
    if op == "=lt=":
        return actual < values[0]
    return actual <= values[0]


def matches(tree, schema, get):
    """Whether the record whose field values GET(field) gives matches TREE."""
    if tree is None:
        return True
    if tree[0] == "and":
        return all(matches(t, schema, get) for t in tree[1])
    if tree[0] == "or":
        return any(matches(t, schema, get) for t in tree[1])
    _, selector, op, values, _ = tree
    return _compare(schema[selector], get(selector), op, values)


def conjuncts(tree):
    """The comparisons every match must satisfy (the top-level AND), as
    (field, op, values), for choosing an index."""
    if tree is None or tree[0] == "or":
        return []
    if tree[0] == "cmp":
        return [tree[1:4]]
    return [c for t in tree[1] for c in conjuncts(t)]
