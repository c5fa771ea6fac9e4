# SPDX-License-Identifier: Apache-2.0
"""make systemd-check: the freshly built DEB under a real systemd.

Boots systemd in a container over an overlay of this machine's root
(container.py), installs the package there, starts the API emulator on
loopback (the container shares the host's network) with a small tenant, and
checks accessd.service against the real service manager: start after
READY=1, the STATUS line, the journal fields, reload (good and broken), a
watchdog restart, an unfixable error, stop, and purge. The checks run in
order, each on what the one before left; the first failure ends the run.
The container is always shut down and its mounts removed.

    check.py --deb DEB --srcdir SRCDIR

Exit status 0 when every check passed or the machine cannot run a
container (the reason is printed), 1 when a check failed, 2 on bad usage.
"""

import argparse
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))

import container  # noqa: E402
import harness  # noqa: E402
import tenant  # noqa: E402

UNIT = "accessd.service"
CONF = "/etc/accessd/accessd.conf"
CREDENTIALS = "/etc/accessd/credentials"
STATE = "/var/lib/accessd"
DEB_DIR = "/run/accessd-check-deb"
WATCHDOG_SEC = 3
RESTART_SEC = 1
WAIT = 60
# A test-only drop-in, as an administrator would write with "systemctl edit":
# the watchdog and the restart delay shortened so the check takes seconds.
DROP_IN = "/etc/systemd/system/accessd.service.d/systemd-check.conf"
DROP_IN_TEXT = "[Service]\nWatchdogSec=%ds\nRestartSec=%ds\n" % (WATCHDOG_SEC, RESTART_SEC)
# The credentials the configuration names, and what each holds.
SECRETS = {
    "servicenow-password": harness.SNOW_PASSWORD,
    "entra-client-secret": tenant.CLIENT_SECRET,
}
# A catalog item the second configuration adds: polling it shows the reload took.
LAPTOP_ITEM = """    { name = "Laptop Request";
      allow = ( "VPN-Users" );
      target = "VPN-Users";
      variables = { end_date = "end_date"; sponsor = "sponsor"; };
      stages = ( { name = "manager"; approvers = ( "manager" ); } ); },
"""


def wait_until(what, pred, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(0.2)


class Check:
    def __init__(self, box, emu, deb):
        self.box = box
        self.emu = emu
        self.deb = deb
        self.tenant = None
        self.good = None
        self.webhook = None
        self.ritm = None

    # -- reading the service manager -----------------------------------------
    def show(self, *props):
        """PROPS of the unit, as systemctl show gives them."""
        out = self.box.run("systemctl", "show", UNIT, "--property=" + ",".join(props)).stdout
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return tuple(values.get(p, "") for p in props) if len(props) > 1 else values.get(props[0], "")

    def journal(self, *match, since=None):
        args = ["journalctl", "--no-pager", "--output=cat"]
        if since:
            args.append("--cursor=" + since)
        return self.box.run(*args + list(match)).stdout

    def cursor(self):
        """The journal's end now, for reading only what comes after."""
        out = self.box.run("journalctl", "--no-pager", "--lines=0", "--show-cursor").stdout
        m = re.search(r"^-- cursor: (\S+)", out, re.M)
        assert m, out
        return m.group(1)

    def polled(self, item):
        return any(r["path"] == "/api/now/table/sc_req_item" and item in r["query"].get("sysparm_query", "")
                   for r in self.emu.requests())

    def no_secret_in_journal(self):
        text = self.journal("_SYSTEMD_UNIT=" + UNIT) + self.journal("--unit=" + UNIT)
        for secret in list(SECRETS.values()) + [tenant.FLOW_SIG]:
            assert secret not in text, "a secret reached the journal"

    # -- the checks, in order ---------------------------------------------------
    def install(self):
        r = self.box.run("dpkg", "-s", "accessd", check=False)
        assert r.returncode != 0, "accessd is already installed in the container (on the host?)"
        self.box.run("dpkg", "--install", os.path.join(DEB_DIR, os.path.basename(self.deb)), timeout=300)
        load, enabled = self.show("LoadState", "UnitFileState")
        assert load == "loaded" and enabled == "disabled", (load, enabled)
        return "dpkg --install %s: %s loaded, %s (the administrator enables it)" % (
            os.path.basename(self.deb), UNIT, enabled)

    def configure(self):
        self.tenant = tenant.Tenant(self.emu, escalate="1h", expire="2h")
        with open(self.tenant.agent.config) as f:
            text = f.read()
        # The tenant's files become the unit's credentials; its state, the package's.
        text = re.sub(r'state_directory = "[^"]*"', 'state_directory = "%s"' % STATE, text)
        text = re.sub(r'password_file = "[^"]*"', 'password_credential = "servicenow-password"', text)
        text = re.sub(r'client_secret_file = "[^"]*"', 'client_secret_credential = "entra-client-secret"', text)
        with open(os.path.join(self.tenant.dir, "teams.url")) as f:
            self.webhook = f.read().strip()
        text = re.sub(r'webhook_url_file = "[^"]*"', 'webhook_url_credential = "teams-webhook-url"', text)
        self.good = text
        self.box.write(CONF, text)
        for name, value in dict(SECRETS, **{"teams-webhook-url": self.webhook}).items():
            self.box.write(os.path.join(CREDENTIALS, name), value + "\n", mode="600")
        self.box.write(DROP_IN, DROP_IN_TEXT)
        self.box.run("systemctl", "daemon-reload")
        self.box.run("accessd", "--check-config")
        return "%s and three credentials in %s (root, 0600); drop-in WatchdogSec=%ds RestartSec=%ds" % (
            CONF, CREDENTIALS, WATCHDOG_SEC, RESTART_SEC)

    def start(self):
        t0 = time.monotonic()
        self.box.run("systemctl", "start", UNIT)
        took = time.monotonic() - t0
        active, sub, pid, status = self.show("ActiveState", "SubState", "MainPID", "StatusText")
        assert (active, sub) == ("active", "running"), (active, sub)
        assert int(pid) > 0 and status, (pid, status)
        user = self.box.run("ps", "-o", "user=", "-p", pid).stdout.strip()
        assert user == "accessd", user
        return "systemctl start returned after READY=1 in %.1f s: active (running), MainPID %s as user %s" % (
            took, pid, user)

    def status_line(self):
        def polled_ok():
            return "ok;" in self.show("StatusText")
        wait_until("a poll in the STATUS line", polled_ok)
        out = self.box.run("systemctl", "status", "--no-pager", "--lines=0", UNIT, check=False).stdout
        m = re.search(r'^\s*Status: "(.*)"$', out, re.M)
        assert m, out
        assert re.fullmatch(r"last poll \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ok; \d+ requests?, \d+ awaiting "
                            r"approval, \d+ blocked", m.group(1)), m.group(1)
        return 'systemctl status: Status: "%s"' % m.group(1)

    def journal_fields(self):
        rec = self.tenant.request("VPN Access", "bob", business_justification="Works from home on Fridays")
        self.ritm = rec
        number = rec["number"]
        wait_until("mia's approval for %s" % number,
                   lambda: any(a["approver"] == tenant.snow_id("mia") for a in self.tenant.approvals(rec["sys_id"])))
        lines = self.journal("ACCESSD_REQUEST=" + number).splitlines()
        assert lines and all(line.startswith(number) for line in lines), lines
        assert self.journal("--unit=" + UNIT, "ACCESSD_REQUEST=" + number).splitlines() == lines
        return "journalctl -u accessd ACCESSD_REQUEST=%s: %d lines, e.g. %r" % (number, len(lines), lines[-1])

    def reload_good(self):
        pid = self.show("MainPID")
        since = self.cursor()
        self.box.write(CONF, self.good.replace("  items = (\n", "  items = (\n" + LAPTOP_ITEM, 1))
        self.emu.clear_requests()
        self.box.run("systemctl", "reload", UNIT)
        wait_until("a listing of Laptop Request", lambda: self.polled("Laptop Request"))
        assert self.show("MainPID") == pid, "the reload restarted the agent"
        assert "reloaded " + CONF in self.journal("--unit=" + UNIT, since=since)
        assert "reload failed" not in self.show("StatusText")
        return "systemctl reload exited 0; same MainPID %s; journal: reloaded %s; Laptop Request now polled" % (
            pid, CONF)

    def reload_broken(self):
        good = self.box.run("cat", CONF).stdout
        pid = self.show("MainPID")
        since = self.cursor()
        self.box.write(CONF, good.replace("policy = {", "policy = {\n  items = 7;\n  oops", 1))
        r = self.box.run("systemctl", "reload", UNIT, check=False)
        assert r.returncode != 0, "systemctl reload of a broken configuration exited 0"
        active, sub, now = self.show("ActiveState", "SubState", "MainPID")
        assert (active, sub, now) == ("active", "running", pid), (active, sub, now, pid)
        log = self.journal("--unit=" + UNIT, since=since)
        m = re.search(re.escape(CONF) + r":\d+: .*", log)
        assert m, log
        self.emu.clear_requests()
        wait_until("the running configuration to go on polling Laptop Request", lambda: self.polled("Laptop Request"))
        self.box.write(CONF, good)
        return "systemctl reload exited %d; still active (running), MainPID %s; journal: %s" % (
            r.returncode, pid, m.group(0))

    def watchdog_restart(self):
        sys_id = self.ritm["sys_id"]
        self.tenant.decide(sys_id, "mia")
        wait_until("sam's approval", lambda: any(a["approver"] == tenant.snow_id("sam")
                                                 for a in self.tenant.approvals(sys_id)))
        restarts, pid = self.show("NRestarts", "MainPID")
        since = self.cursor()
        # The next listing hangs far longer than the watchdog allows.
        self.emu.fault(kind="hang", path="/api/now/table/sc_req_item", times=1, seconds=WAIT)
        self.tenant.decide(sys_id, "sam")
        wait_until("a restart", lambda: int(self.show("NRestarts")) > int(restarts))
        log = self.journal("_PID=1", since=since)
        assert re.search(r"accessd\.service: Watchdog timeout \(limit %ds\)!" % WATCHDOG_SEC, log), log
        wait_until("bob in VPN-Users", lambda: tenant.oid("bob") in self.tenant.members("VPN-Users"))
        active, sub, now = self.show("ActiveState", "SubState", "MainPID")
        assert (active, sub) == ("active", "running") and now != pid, (active, sub, now, pid)
        granted = self.journal("ACCESSD_REQUEST=" + self.ritm["number"], since=since).splitlines()
        return "no ping for %d s: systemd logged 'Watchdog timeout', NRestarts %s -> %s, MainPID %s -> %s; " \
            "the new agent granted %s (bob in VPN-Users); its last line: %r" % (
                WATCHDOG_SEC, restarts, self.show("NRestarts"), pid, now, self.ritm["number"], granted[-1])

    def stop(self):
        self.box.run("systemd-analyze", "log-level", "debug")
        since = self.cursor()
        t0 = time.monotonic()
        self.box.run("systemctl", "stop", UNIT)
        took = time.monotonic() - t0
        self.box.run("systemd-analyze", "log-level", "info")
        active, result, code, status = self.show("ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
        assert (active, result, status) == ("inactive", "success", "0"), (active, result, code, status)
        log = self.journal("_PID=1", since=since)
        m = re.search(r"accessd\.service: Got notification message from PID \d+ \((STOPPING=1[^)]*)\)", log)
        assert m, log
        assert took < 30, "systemctl stop took %.1f s" % took
        self.no_secret_in_journal()
        return "systemctl stop returned in %.1f s; systemd got %s; exit status 0, Result=success; " \
            "no secret in the journal" % (took, m.group(1))

    def unfixable(self):
        self.box.run("rm", os.path.join(CREDENTIALS, "servicenow-password"))
        since = self.cursor()
        r = self.box.run("systemctl", "start", UNIT, check=False)
        assert r.returncode != 0, "accessd started without its password"
        # Long enough for several restarts, were any scheduled.
        time.sleep(5 * RESTART_SEC + 2)
        active, result, status, restarts = self.show("ActiveState", "Result", "ExecMainStatus", "NRestarts")
        log = self.journal("--unit=" + UNIT, since=since)
        assert "Scheduled restart job" not in log, log
        assert (active, status) == ("failed", "2"), (active, result, status, restarts, log)
        m = re.search(r"^.*\bsecret\b.*$", log, re.M)
        assert m, log
        return "systemctl start exited %d; unit failed (Result=%s, exit status %s), no restart scheduled in " \
            "%d s; journal: %r" % (r.returncode, result, status, 5 * RESTART_SEC + 2, m.group(0))

    def purge(self):
        self.box.run("systemctl", "reset-failed", UNIT, check=False)
        self.box.run("rm", "-r", os.path.dirname(DROP_IN))
        unit = [f for f in self.box.run("dpkg", "--listfiles", "accessd").stdout.splitlines()
                if f.endswith("/" + UNIT)]
        assert len(unit) == 1, unit
        self.box.run("dpkg", "--purge", "accessd", timeout=300)
        gone = [p for p in unit + ["/etc/accessd", STATE]
                if self.box.run("test", "-e", p, check=False).returncode == 0]
        assert not gone, "left after the purge: %s" % gone
        load = self.show("LoadState")
        assert load == "not-found", load
        user = self.box.run("getent", "passwd", "accessd", check=False).returncode == 0
        return "dpkg --purge: %s, /etc/accessd (configuration, credentials) and %s are gone, LoadState=%s; " \
            "the system user accessd %s" % (unit[0], STATE, load, "stays (Debian keeps system users)"
                                            if user else "is gone")


CHECKS = [
    ("install the DEB", Check.install),
    ("configuration and credentials", Check.configure),
    ("start: active (running) after READY=1", Check.start),
    ("systemctl status shows the STATUS line", Check.status_line),
    ("journalctl ACCESSD_REQUEST= finds a request", Check.journal_fields),
    ("reload a good configuration: applied", Check.reload_good),
    ("reload a broken configuration: refused, old one kept", Check.reload_broken),
    ("watchdog: a hung poll is killed and restarted, the work finishes", Check.watchdog_restart),
    ("stop: STOPPING=1 and exit in time", Check.stop),
    ("unfixable error (missing credential): failed, no restart loop", Check.unfixable),
    ("purge: unit, configuration, credentials and state removed", Check.purge),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deb", required=True)
    args = ap.parse_args()
    why = container.why_unsupported()
    if why:
        print("systemd-check: SKIPPED: this machine cannot run systemd-nspawn: %s" % why)
        return 0
    if not shutil.which("systemd-nspawn"):
        print("systemd-check: systemd-nspawn is missing: apt-get install systemd-container "
              "(or packaging/install-deps systemd)", file=sys.stderr)
        return 1
    if not os.path.isfile(args.deb):
        print("systemd-check: no package %s; make systemd-check builds it" % args.deb, file=sys.stderr)
        return 2
    container.enter_private_mounts()

    deb = os.path.abspath(args.deb)
    box = container.Container("accessd-check", binds=["%s:%s" % (os.path.dirname(deb), DEB_DIR)])
    emu = harness.Emulator()
    passed = failed = 0
    check = None
    try:
        print("== booting systemd in a container over an overlay of / ...", flush=True)
        try:
            print("   %s" % box.boot(), flush=True)
        except container.Unsupported as e:
            print("systemd-check: SKIPPED: this machine cannot run systemd-nspawn: %s" % e)
            return 0
        except AssertionError as e:
            print("FAIL boot\n     %s" % e, flush=True)
            return 1
        emu.start()
        check = Check(box, emu, deb)
        for title, step in CHECKS:
            try:
                detail = step(check)
            except Exception as e:  # noqa: BLE001 -- any failure ends the run, reported
                failed += 1
                print("FAIL %s\n     %s: %s" % (title, type(e).__name__, e), flush=True)
                print(box.run("systemctl", "status", "--no-pager", "--lines=30", UNIT, check=False).stdout)
                break
            passed += 1
            print("ok   %s\n     %s" % (title, detail), flush=True)
    finally:
        if check and check.tenant:
            check.tenant.cleanup()
        emu.stop()
        print("== shutting the container down", flush=True)
        box.shutdown()
    print("systemd-check: %d passed, %d failed%s" % (passed, failed,
                                                     "" if failed else " (of %d)" % len(CHECKS)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
