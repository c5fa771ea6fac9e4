#!/usr/bin/env python3
"""make demo: the agent against the emulator, seeded with real-looking
requests. Starts the emulator, runs one poll cycle of accessd, shows what it
found, and stops the emulator."""

import argparse
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accessd", required=True)
    ap.add_argument("--srcdir", required=True)
    args = ap.parse_args()
    os.environ["ACCESSD"] = args.accessd
    os.environ["ACCESSD_SRCDIR"] = args.srcdir
    sys.path.insert(0, os.path.join(args.srcdir, "tests", "scenarios"))
    import harness

    with harness.Emulator() as emu:
        seed, items = harness.servicenow_seed(["VPN Access", "Shared Mailbox Access", "Laptop Request"])
        emu.seed({"servicenow": seed})
        alice, bob = "%032x" % 0xa11ce, "%032x" % 0xb0b
        emu.seed({"servicenow": {"sc_req_item": [
            {"cat_item": items["VPN Access"], "requested_for": alice, "opened_by": alice, "state": "1",
             "short_description": "VPN access for contractor Alice Adams until 2027-03-31"},
            {"cat_item": items["Shared Mailbox Access"], "requested_for": bob, "opened_by": bob, "state": "1",
             "short_description": "Access to the finance@ shared mailbox for 14 days"},
            {"cat_item": items["Laptop Request"], "requested_for": bob, "opened_by": bob, "state": "1",
             "short_description": "New laptop (not governed by accessd)"},
        ]}})
        print("== emulator on %s, seeded with 3 request items (2 governed)" % emu.url)
        agent = harness.Agent(emu, items=("VPN Access", "Shared Mailbox Access"))
        try:
            print("== accessd --once -c %s" % agent.config)
            proc = agent.run("--once")
            sys.stdout.write(proc.stderr)
            print("== accessd exited with %d; it made %d API request(s)" % (proc.returncode, len(emu.requests())))
            return proc.returncode
        finally:
            agent.cleanup()


if __name__ == "__main__":
    sys.exit(main())
