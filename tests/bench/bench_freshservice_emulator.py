#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: the Freshservice emulator with 100,000 service requests (and
as many requesters and pending approvals): how long the seed takes and what
the calls a poller makes cost once the store is that large. Prints timings;
asserts only that the answers are right."""

import base64
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))

import harness  # noqa: E402

N = 100000
KEY = "bench-key"


def main():
    auth = "Basic " + base64.b64encode(("%s:X" % KEY).encode()).decode()
    with harness.Emulator() as emu:
        emu.call("POST", "/_emu/config/freshservice", {"rate_limit": None})
        now = time.time()
        people = [{"id": 1000 + i, "first_name": "u%d" % i, "primary_email": "u%d@contoso.example" % i}
                  for i in range(N)]
        tickets = [{"id": i + 1, "requester_id": 1000 + i, "requested_items": [{"service_item_id": 1}],
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 90 * 86400 + i * 77))}
                   for i in range(N)]
        approvals = [{"ticket_id": i + 1, "approver_id": 1000 + (i + 1) % N} for i in range(0, N, 10)]
        started = time.monotonic()
        emu.seed({"freshservice": {"api_keys": {KEY: 1000}, "requesters": people,
                                   "service_items": [{"display_id": 1, "name": "VPN Access"}]}})
        emu.seed({"freshservice": {"tickets": tickets}})
        emu.seed({"freshservice": {"approvals": approvals}})
        print("seed %d requesters, %d service requests, %d approvals: %.1f s"
              % (N, N, len(approvals), time.monotonic() - started))

        def get(path, key, expect):
            req = urllib.request.Request(emu.url + "/api/v2" + path, headers={"Authorization": auth})
            best = None
            for _ in range(5):
                t0 = time.monotonic()
                with urllib.request.urlopen(req, timeout=60) as resp:
                    body = json.loads(resp.read())
                best = min(best or 1e9, time.monotonic() - t0)
            got = len(body[key]) if isinstance(body[key], list) else 1
            assert got == expect, (path, got, expect)
            print("%-72s %7.1f ms" % (path, best * 1000))

        recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
        get("/tickets?updated_since=%s&per_page=100" % recent, "tickets", 0)
        get("/tickets?per_page=100", "tickets", 100)
        get("/tickets/%d" % (N // 2), "ticket", 1)
        get("/tickets/%d/approvals" % (N // 2 + 1), "approvals", 1)
        get("/requesters?email=u%d@contoso.example" % (N - 1), "requesters", 1)
        get("/approvals?parent=ticket&status=requested&page=300", "approvals", 30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
