#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: the Xurrent emulator holding 100,000 people and 100,000
requests answers the connector's lookups (an incremental poll, a sourceID, a
primary e-mail, one record) without scanning them; prints the median time of
each over HTTP on loopback, and of an unfiltered listing for comparison."""

import argparse
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import harness  # noqa: E402


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100000)
    n = ap.parse_args().records
    with harness.Emulator() as emu:
        emu.call("POST", "/_emu/config/xurrent", {"tokens": {"t": 1}, "account": "a",
                                                  "rate_limit": {"hourly": 10 ** 9, "burst": 10 ** 9}})
        start = time.monotonic()
        base = time.time() - 86400
        emu.seed({"xurrent": {
            "people": [{"id": i, "name": "P%d" % i, "primary_email": "p%d@x.example" % i} for i in range(1, n + 1)],
            "request_templates": [{"id": 5, "subject": "VPN Access", "category": "rfc"}]}})
        emu.seed({"xurrent": {"requests": [
            {"subject": "r%d" % i, "template_id": 5, "requested_for_id": 1 + i % n, "sourceID": "s%d" % i,
             "updated_at": stamp(base + i * 0.5)} for i in range(n)]}})
        print("seeded %d people and %d requests in %.1f s" % (n, n, time.monotonic() - start))

        def timed(path):
            req = urllib.request.Request(emu.url + path, headers={"Authorization": "Bearer t",
                                                                  "X-Xurrent-Account": "a"})
            t = time.perf_counter()
            with urllib.request.urlopen(req) as resp:
                json.loads(resp.read())
            return (time.perf_counter() - t) * 1000

        queries = [
            ("incremental poll (10 changed)", "/v1/requests?template=5&updated_at=%%3E%%3D%s&sort=updated_at"
             "&per_page=100" % stamp(base + (n - 10) * 0.5)),
            ("sourceID lookup", "/v1/requests?sourceID=s%d" % (n // 2)),
            ("primary e-mail lookup", "/v1/people?primary_email=P%d@X.example&fields=primary_email" % n),
            ("one request", "/v1/requests/%d" % (70001 + n // 2)),
            ("unfiltered first page", "/v1/requests?template=5&per_page=100"),
        ]
        for name, path in queries:
            ms = sorted(timed(path) for _ in range(7))
            print("%-30s median %8.1f ms" % (name, ms[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
