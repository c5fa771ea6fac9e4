#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make demo: the agent against the emulator, seeded with the seed's two
cases, playing the approvers through the emulator and running accessd
--once cycles against one state directory, with a narrative of what
happens on the ticket, in Entra and in Teams.

  1. A contractor asks for VPN access (end date and sponsor required;
     manager and security approve). The manager is out of office, so the
     stage's backup is asked at once; then security approves; the user lands
     in VPN-Users-Contractors; the evidence is attached to the ticket.
  2. A time-bound shared-mailbox grant whose owner does not answer within
     the (demo-short, 3 s) escalation time: the backup owner is added and
     approves; the access is removed at the end date (10 s later).

--itsm picks the ITSM (make demo ITSM=...). Each has a tenant class in
tests/scenarios (TENANTS below) that seeds the same people and cases in its
ITSM's shape and offers what the narrative reads: request(item, person,
**variables) -> {"id", "number", ...}, decide(id, who), approver_names(id),
work_notes(id), attachment_list(id) -> [(name, bytes)], members(group),
posts(), cycle(), journal(), audit(...), agent.state_dir, agent.config and
cleanup(); it takes metrics_file= for the agent's metrics file.
"""

import argparse
import importlib
import os
import sys
import time

# ITSM -> (module in tests/scenarios, tenant class)
TENANTS = {
    "servicenow": ("tenant", "Tenant"),
    "topdesk": ("topdesk_tenant", "Tenant"),
    "freshservice": ("freshservice_tenant", "Tenant"),
    "xurrent": ("xurrent_tenant", "Tenant"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accessd", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--itsm", default="servicenow", choices=sorted(TENANTS))
    args = ap.parse_args()
    os.environ["ACCESSD"] = args.accessd
    os.environ.setdefault("ACCESSCTL", os.path.join(os.path.dirname(args.accessd), "accessctl"))
    os.environ["ACCESSD_SRCDIR"] = args.srcdir
    sys.path.insert(0, os.path.join(args.srcdir, "tests", "scenarios"))
    import harness
    import tenant
    module, cls = TENANTS[args.itsm]
    Tenant = getattr(importlib.import_module(module), cls)

    started = time.monotonic()

    def say(text):
        print("[%5.1fs] %s" % (time.monotonic() - started, text), flush=True)

    with harness.Emulator() as emu:
        metrics = os.path.join(emu.tmp, "accessd.prom")
        t = Tenant(emu, away=("mia",), escalate="3s", metrics_file=metrics)
        try:
            def show_metrics(*names):
                with open(metrics) as f:
                    for line in f:
                        if line.startswith(names) and not line.rstrip().endswith(" 0"):
                            print("          " + line.rstrip())

            def cycle(why):
                proc = t.cycle()
                lines = [l for l in proc.stderr.splitlines()
                         if any(": %s" % n in l for n in numbers) and ("->" in l or "removed" in l
                                                                       or "grant " in l or "remove " in l)]
                say("accessd --once (%s)" % why)
                for line in lines:
                    print("          " + line.split(": ", 2)[-1] if line.count(": ") >= 2 else line)

            def notes(ticket, since=0):
                for n in t.work_notes(ticket)[since:]:
                    print("          work note: " + n.split("\n\n[accessd")[0].replace("\n", " "))

            say("emulator on %s: %s, Entra (Graph) and a Teams flow" % (emu.url, args.itsm))
            vpn = t.request("VPN Access", "alice", business_justification="On-site support contract",
                            end_date="2027-01-31", sponsor=tenant.upn("bob"))
            say("%s: contractor alice asks for VPN access until 2027-01-31 (sponsor bob); "
                "her manager mia is out of office" % vpn["number"])
            start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            box = t.request("Shared Mailbox Access", "carol", business_justification="Month-end close",
                            mailbox="Finance Shared Mailbox", start_date=start, duration="12s")
            numbers = (vpn["number"], box["number"])
            say("%s: carol asks for the Finance shared mailbox for 12 seconds (owner olivia, backup oscar)"
                % box["number"])

            say("accessctl explain %s (the policy now, before any cycle; writes nothing):" % vpn["number"])
            explained = harness.run_binary(harness.ACCESSCTL, "explain", "-c", t.agent.config, vpn["number"])
            for line in explained.stdout.splitlines():
                print("          " + line)
            cycle("validate both, ask the approvers")
            say("metrics file %s after the first cycle:" % os.path.basename(metrics))
            show_metrics("accessd_requests{", "accessd_actions_total{")
            notes(vpn["id"])
            asked = lambda ticket: ", ".join(t.approver_names(ticket))  # noqa: E731
            say("approval records: %s -> %s; %s -> %s" % (vpn["number"], asked(vpn["id"]), box["number"],
                                                          asked(box["id"])))

            t.decide(vpn["id"], "victor")
            say("victor (standing in for mia) approves %s" % vpn["number"])
            cycle("manager stage approved, security asked")
            say("approval records: %s -> %s" % (vpn["number"], asked(vpn["id"])))
            t.decide(vpn["id"], "sam")
            say("sam (security team) approves %s" % vpn["number"])
            n = len(t.work_notes(vpn["id"]))
            cycle("execute the grant")
            notes(vpn["id"], n)
            say("Entra: VPN-Users-Contractors members = %s" % t.members("VPN-Users-Contractors"))
            for name, size in t.attachment_list(vpn["id"]):
                say("ticket %s: attachment %s (%d bytes)" % (vpn["number"], name, size))

            say("olivia does not answer; waiting out the 3 s escalation")
            time.sleep(3.2)
            n = len(t.work_notes(box["id"]))
            cycle("escalation")
            notes(box["id"], n)
            say("approval records: %s -> %s" % (box["number"], asked(box["id"])))
            t.decide(box["id"], "oscar")
            say("oscar (backup owner) approves %s" % box["number"])
            cycle("execute the mailbox grant")
            say("Entra: Finance-Mailbox-Access members = %s" % t.members("Finance-Mailbox-Access"))
            end = [r["payload"]["due"] for r in t.journal() if r["type"] == "TIMER"
                   and r["payload"]["id"] == box["id"]][-1] / 1000.0
            say("end date timer journaled; waiting %.1f s for it" % max(0.0, end - time.time()))
            time.sleep(max(0.0, end - time.time() + 0.2))
            n = len(t.work_notes(box["id"]))
            cycle("end date reached")
            notes(box["id"], n)
            say("Entra: Finance-Mailbox-Access members = %s" % t.members("Finance-Mailbox-Access"))

            for card in t.cards():
                say("Teams card: %s: %s" % (tenant.card_title(card), tenant.card_texts(card)[1]))
            verify = t.audit("verify")
            say("accessctl audit verify: %s" % (verify.stdout.strip() or verify.stderr.strip()))
            say("accessctl audit show %s:" % vpn["number"])
            for line in t.audit("show", vpn["number"]).stdout.splitlines():
                print("          " + line)
            say("metrics after the demo:")
            show_metrics("accessd_requests{", "accessd_actions_total{", "accessd_approval_decisions_total{")
            say("accessctl status:")
            for line in harness.run_binary(harness.ACCESSCTL, "status", t.agent.state_dir).stdout.splitlines():
                print("          " + line)
            say("accessctl requests --all:")
            listing = harness.run_binary(harness.ACCESSCTL, "requests", "--all", t.agent.state_dir)
            for line in listing.stdout.splitlines():
                print("          " + line)
            say("done: %d API requests answered by the emulator" % len(emu.requests()))
            return 0
        finally:
            t.cleanup()


if __name__ == "__main__":
    sys.exit(main())
