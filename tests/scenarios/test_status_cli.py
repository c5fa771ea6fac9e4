# SPDX-License-Identifier: Apache-2.0
"""accessctl status (and --json) against what a real agent wrote: whether
it runs, its last poll (when, result, the error in words), requests by
state, the oldest waiting request and for whom, the next deadline, journal
and audit sizes; accessctl log-level and SIGUSR2 change the running
agent's log level; and an idle agent logs nothing at info level."""

import json
import os
import signal
import subprocess
import tempfile
import shutil
import time
import unittest

import harness
import tenant
from tenant import upn

WAIT = 60


def ctl(*args, **kw):
    return harness.run_binary(harness.ACCESSCTL, *args, **kw)


class Status(tenant.TenantCase):
    def test_before_the_first_start(self):
        state = tempfile.mkdtemp(prefix="accessd-state-")
        self.addCleanup(shutil.rmtree, state, True)
        proc = ctl("status", state)
        self.assertEqual((proc.returncode, proc.stdout),
                         (0, "accessd has not started yet: there is no journal in %s\n" % state))
        proc = ctl("status", "--json", state)
        self.assertEqual((proc.returncode, json.loads(proc.stdout)), (0, {"daemon": None, "requests": {}}))

    def test_after_cycles(self):
        t = self.tenant(away=("mia",), escalate="1h", expire="2h")
        vpn = t.request("VPN Access", "bob", business_justification="Remote work")
        app = t.request("Application Access", "carol", business_justification="Quarter close")
        t.cycle()
        t.decide(app["sys_id"], "olivia")
        t.cycle()

        proc = ctl("status", t.agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertRegex(lines[0],
                         r"^accessd: not running \(last seen as pid \d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$")
        self.assertRegex(lines[1], r"^servicenow \(itsm\): last poll \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ok$")
        self.assertEqual(lines[2], "requests: 1 awaiting-approval, 1 completed")
        self.assertRegex(lines[3], r"^oldest waiting: %s, awaiting-approval since .* UTC, for %s$"
                         % (vpn["number"], upn("victor")))
        self.assertRegex(lines[4], r"^next deadline: .* UTC \(%s\)$" % vpn["number"])
        self.assertRegex(lines[5], r"^journal: %s/journal, \d+ records, \d+ bytes$" % t.agent.state_dir)
        self.assertRegex(lines[6], r"^audit trail: %s/audit.log, \d+ bytes$" % t.agent.state_dir)

        proc = ctl("status", "--json", t.agent.state_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        st = json.loads(proc.stdout)
        self.assertFalse(st["daemon"]["running"])
        [conn] = st["daemon"]["connections"]
        self.assertEqual((conn["name"], conn["result"], conn["error"]), ("servicenow", "ok", None))
        self.assertEqual(st["requests"], {"awaiting-approval": 1, "completed": 1})
        self.assertEqual(st["oldest_waiting"]["request"], vpn["number"])
        self.assertEqual(st["oldest_waiting"]["waiting_for"], [upn("victor")])
        self.assertEqual(st["journal"]["bytes"], os.path.getsize(os.path.join(t.agent.state_dir, "journal")))
        self.assertEqual(st["audit"]["bytes"], os.path.getsize(os.path.join(t.agent.state_dir, "audit.log")))

    def test_a_failed_poll_in_words(self):
        t = self.tenant()
        self.emu.fault(kind="status", status=503, path="/api/now/table/sc_req_item", times=100)
        self.assertEqual(t.cycle(check=False).returncode, 1)
        st = json.loads(ctl("status", "--json", t.agent.state_dir).stdout)
        [conn] = st["daemon"]["connections"]
        self.assertEqual((conn["result"], conn["last_success"]), ("failed", None))
        self.assertTrue(conn["error"])
        line = ctl("status", t.agent.state_dir).stdout.splitlines()[1]
        self.assertRegex(line, r"^servicenow \(itsm\): last poll .* UTC failed: %s; last success never$"
                         % conn["error"])


class Running(tenant.TenantCase):
    """The daemon itself, as systemd runs it."""

    def start(self, t, level="debug"):
        with open(t.agent.config) as f:
            text = f.read()
        with open(t.agent.config, "w") as f:
            f.write(text.replace('log_level = "debug";', 'log_level = "%s";' % level))
        self.err_path = os.path.join(t.dir, "stderr")
        with open(self.err_path, "w") as err:
            proc = subprocess.Popen([harness.ACCESSD, "-c", t.agent.config], stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        status = os.path.join(t.agent.state_dir, "status.json")
        deadline = time.monotonic() + WAIT
        while not os.path.exists(status):
            self.assertLess(time.monotonic(), deadline, "no status file")
            time.sleep(0.05)
        return proc

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=WAIT), 0)
        with open(self.err_path) as f:
            err = f.read()
        harness.check_sanitizers(err)
        return err

    def wait_cycles(self, t, n):
        """Until the emulator has seen N more listings of request items."""
        self.emu.clear_requests()
        deadline = time.monotonic() + WAIT
        while sum(r["path"] == "/api/now/table/sc_req_item" for r in self.emu.requests()) < n:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_running_and_its_log_level(self):
        t = self.tenant()
        proc = self.start(t, "info")
        st = json.loads(ctl("status", "--json", t.agent.state_dir).stdout)
        self.assertTrue(st["daemon"]["running"])
        self.assertEqual((st["daemon"]["pid"], st["daemon"]["log_level"]), (proc.pid, "info"))
        self.assertRegex(ctl("status", t.agent.state_dir).stdout.splitlines()[0],
                         r"^accessd \S+: running \(pid %d\) since .* UTC; log level info$" % proc.pid)

        done = ctl("log-level", "debug", t.agent.state_dir)
        self.assertEqual((done.returncode, done.stdout), (0, "accessd (pid %d): log level debug\n" % proc.pid),
                         done.stderr)
        self.wait_cycles(t, 1)
        proc.send_signal(signal.SIGUSR2)  # plain: back to the configured level
        deadline = time.monotonic() + WAIT
        while json.loads(ctl("status", "--json", t.agent.state_dir).stdout)["daemon"]["log_level"] != "info":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertEqual(ctl("log-level", "loud", t.agent.state_dir).returncode, 2)
        err = self.stop(proc)
        self.assertIn("log level debug, was info", err)
        self.assertIn("request(s) changed", err, "debug lines while the level was debug")
        self.assertIn("log level info, was debug", err)

        proc = ctl("log-level", "debug", t.agent.state_dir)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("accessd is not running", proc.stderr)

    def test_a_failed_poll_then_a_good_one(self):
        t = self.tenant()
        proc = self.start(t)
        self.wait_cycles(t, 1)
        self.emu.fault(kind="status", status=503, path="/api/now/table/sc_req_item", times=1000)
        deadline = time.monotonic() + WAIT
        while True:
            [conn] = json.loads(ctl("status", "--json", t.agent.state_dir).stdout)["daemon"]["connections"]
            if conn["result"] == "failed":
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertTrue(conn["error"])
        self.assertLessEqual(conn["last_success"], conn["last_poll"])
        line = ctl("status", t.agent.state_dir).stdout.splitlines()[1]
        self.assertRegex(line, r"^servicenow \(itsm\): last poll .* UTC failed: .*; last success .* UTC$")
        self.emu.call("DELETE", "/_emu/faults")
        while json.loads(ctl("status", "--json", t.agent.state_dir).stdout)["daemon"]["connections"][0]["result"] \
                != "ok":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.stop(proc)

    @unittest.skipUnless(os.geteuid() == 0, "switching users needs root")
    def test_another_user_cannot_change_the_level(self):
        t = self.tenant()
        proc = self.start(t)
        os.chmod(t.dir, 0o755)
        os.chmod(t.agent.state_dir, 0o755)
        os.chmod(os.path.join(t.agent.state_dir, "status.json"), 0o644)

        def nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        other = subprocess.run([harness.ACCESSCTL, "log-level", "info", t.agent.state_dir], capture_output=True,
                               text=True, preexec_fn=nobody, timeout=30)
        self.assertEqual(other.returncode, 1)
        self.assertIn("cannot signal accessd (pid %d): Operation not permitted; run accessctl log-level as root "
                      "or as the user accessd runs as" % proc.pid, other.stderr)
        self.stop(proc)

    def test_an_idle_agent_logs_nothing_at_info(self):
        t = self.tenant()
        proc = self.start(t, "info")
        self.wait_cycles(t, 3)
        err = self.stop(proc)
        lines = err.splitlines()
        # The start, then nothing until the stop: no line per cycle.
        self.assertTrue(all(" info: started" in l or "notice:" in l or "journal" in l for l in lines[:-1]), err)
        self.assertIn("received Terminated, stopping", lines[-1])
        self.assertLessEqual(len(lines), 5, err)


if __name__ == "__main__":
    harness.main()
