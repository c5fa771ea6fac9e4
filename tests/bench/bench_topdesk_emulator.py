#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: the TOPdesk emulator with N incidents and N changes (100,000
by default): how long seeding takes, and how long the reads a connector
makes take (a watermark query, a lookup by externalNumber and by number,
the first page in modification order). Indexed reads stay in milliseconds;
a list scan per query would not. Prints; asserts nothing."""

import base64
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))

import topdesk  # noqa: E402
from api import Request  # noqa: E402

OPERATOR = "0ace5d00-0000-4000-8000-000000000001"
PERSON = "5e000000-0000-4000-8000-000000000001"
BASE_MS = 1_700_000_000_000


def get(td, path):
    req = Request("GET", path, {"Authorization": "Basic " + base64.b64encode(b"svc:pw").decode(), "Host": "bench"},
                  b"")
    denied = td.authorize(req)
    if denied is not None:
        return denied
    for method, pattern, handler in td.routes:
        m = pattern.fullmatch(req.path)
        if m and method == "GET":
            return handler(req, m)
    raise AssertionError("no route for " + path)


def since(i):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((BASE_MS + i * 1000) / 1000))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    td = topdesk.TOPdesk()
    td.configure({"users": {"svc": {"password": "pw", "operator": OPERATOR}}})
    td.seed({"operators": [{"id": OPERATOR}], "persons": [{"id": PERSON, "email": "p@contoso.example"}]})
    t0 = time.monotonic()
    td.seed({"incidents": [{"caller": {"id": PERSON}, "briefDescription": "call %d" % i, "externalNumber": "X%d" % i,
                            "modificationDate": BASE_MS + i * 1000} for i in range(n)]})
    td.seed({"changes": [{"briefDescription": "change %d" % i, "modificationDate": BASE_MS + i * 1000}
                         for i in range(n)]})
    print("seeded %d incidents and %d changes in %.1f s" % (n, n, time.monotonic() - t0))
    q = urllib.parse.quote
    number = next(iter(td.incidents.records.values()))["number"]
    reads = [
        ("incidents changed since the watermark (last 50)",
         "/tas/api/incidents?query=%s&sort=modificationDate:asc&pageSize=100" % q("modificationDate=ge=" + since(n - 50))),
        ("incident by externalNumber", "/tas/api/incidents?query=%s" % q("externalNumber==X%d" % (n // 2))),
        ("incident by number", "/tas/api/incidents/number/" + q(number)),
        ("changes changed since the watermark (last 50), by id",
         "/tas/api/operatorChanges?query=%s&sort=id:asc&pageSize=100" % q("modificationDate=ge=" + since(n - 50))),
        ("first page of incidents in modification order", "/tas/api/incidents?sort=modificationDate:asc&pageSize=100"),
    ]
    for label, path in reads:
        t0 = time.monotonic()
        resp = get(td, path)
        print("%-55s %d  %6.1f ms" % (label, resp.status, (time.monotonic() - t0) * 1000))


if __name__ == "__main__":
    main()
