# SPDX-License-Identifier: Apache-2.0
"""ServiceNow encoded queries, as the Table API evaluates them.

Text matching (LIKE, NOT LIKE, STARTSWITH, ENDSWITH) ignores case, as the
platform's does; = compares exactly.
Conditions are joined by ^ (AND) and ^OR (OR with the previous condition);
^NQ starts a new query whose results are OR-ed with the others. ORDERBY<field>
and ORDERBYDESC<field> sort. A part that does not parse is dropped, as
ServiceNow drops it (so a typo widens the query rather than failing).
"""

import re

# Longest first, so "!=" is not read as "=" and "NOT IN" not as "IN".
OPERATORS = ["ISNOTEMPTY", "ISEMPTY", "NOT IN", "NOT LIKE", "STARTSWITH", "ENDSWITH", "LIKE", "IN",
             "!=", ">=", "<=", "=", ">", "<"]
# Field names are lower case, operators upper case: that is how a field
# runs into its operator without a separator ("cat_item.nameINa,b").
FIELD = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")


def split_terms(text):
    """Split on carets. ServiceNow documents no escape for a caret inside a
    value ("^^" is not one: it is an empty condition, dropped), so a client
    must keep carets out of values rather than escape them."""
    return text.split("^")


def parse_condition(term):
    m = FIELD.match(term)
    if not m:
        return None
    field, rest = m.group(0), term[m.end():]
    for op in OPERATORS:
        if rest.startswith(op):
            value = rest[len(op):]
            if op in ("ISEMPTY", "ISNOTEMPTY") and value:
                return None
            return (field, op, value)
    return None


def parse(text):
    """Return (queries, order): queries is a list of AND-lists of OR-groups
    of (field, op, value); order is a list of (field, descending)."""
    queries, order = [], []
    for part in re.split(r"\^NQ", text or ""):
        groups = []
        for term in split_terms(part):
            if not term:
                continue
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC"):], True))
                continue
            if term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY"):], False))
                continue
            is_or = term.startswith("OR") and groups and parse_condition(term[2:]) is not None
            cond = parse_condition(term[2:] if is_or else term)
            if cond is None:
                continue
            if is_or:
                groups[-1].append(cond)
            else:
                groups.append([cond])
        queries.append(groups)
    return queries, order


def _compare(actual, op, value):
    actual = "" if actual is None else str(actual)
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    if op == "IN":
        return actual in value.split(",")
    if op == "NOT IN":
        return actual not in value.split(",")
    if op == "STARTSWITH":
        return actual.lower().startswith(value.lower())
    if op == "ENDSWITH":
        return actual.lower().endswith(value.lower())
    if op == "LIKE":
        return value.lower() in actual.lower()
    if op == "NOT LIKE":
        return value.lower() not in actual.lower()
    if op == "ISEMPTY":
        return actual == ""
    if op == "ISNOTEMPTY":
        return actual != ""
    # Date-times "YYYY-MM-DD HH:MM:SS" and sys_ids compare as strings.
    if op == ">":
        return actual > value
    if op == ">=":
        return actual >= value
    if op == "<":
        return actual < value
    if op == "<=":
        return actual <= value
    return False


def matches(queries, get):
    """Whether a record matches; GET(field) returns a (dot-walked) value."""
    if not queries or all(not g for g in queries):
        return True
    for groups in queries:
        if all(any(_compare(get(f), op, v) for f, op, v in group) for group in groups):
            return True
    return False
