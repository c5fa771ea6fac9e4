# SPDX-License-Identifier: Apache-2.0
"""accessd under a service manager: the test plays systemd's part, binding
its own NOTIFY_SOCKET and setting WATCHDOG_USEC/WATCHDOG_PID, and checks the
notifications: READY=1 with a readable STATUS=, periodic WATCHDOG=1,
RELOADING=1 then READY=1 on SIGHUP (a broken configuration leaves the
running one in force), STOPPING=1 on SIGTERM; and that the watchdog pings
stop while a poll hangs on the ITSM."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness

WATCHDOG_USEC = 400000  # pings every 0.2 s
WAIT = 30  # seconds before a wait for a notification gives up


class Manager:
    """The service manager's end of NOTIFY_SOCKET: every datagram, in order,
    with the CLOCK_MONOTONIC time it arrived."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="accessd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self.receive, daemon=True)
        self.thread.start()

    def receive(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self.cond:
                self.messages.append((time.monotonic(), fields))
                self.cond.notify_all()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_for(self, pred, start=0, what="a notification", timeout=WAIT):
        """The index of the first message from START on that PRED accepts."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.messages):
                    if pred(self.messages[i][1]):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s; got %r" % (what, [m[1] for m in self.messages]))
                self.cond.wait(left)

    def wait_key(self, key, start=0, timeout=WAIT):
        return self.wait_for(lambda m: key in m, start, key, timeout)

    def count(self, key, start=0):
        with self.cond:
            return sum(1 for _, m in self.messages[start:] if key in m)

    def message(self, i):
        with self.cond:
            return self.messages[i]

    def end(self):
        with self.cond:
            return len(self.messages)


class Managed(unittest.TestCase):
    """The service manager's end of NOTIFY_SOCKET and the emulator, both
    stopped however the test ends."""

    def setUp(self):
        self.manager = Manager()
        self.addCleanup(self.manager.close)
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)


class Systemd(Managed):
    def setUp(self):
        super().setUp()
        seed, items = harness.servicenow_seed(["VPN Access", "Laptop Request"])
        seed["sc_req_item"] = [{"cat_item": items["VPN Access"], "requested_for": "%032x" % 0xa11ce,
                                "opened_by": "%032x" % 0xa11ce, "state": "1", "short_description": "VPN for Alice"}]
        self.emu.seed({"servicenow": seed})

    def start(self, agent):
        env = dict(os.environ, NOTIFY_SOCKET=self.manager.path, WATCHDOG_USEC=str(WATCHDOG_USEC))
        env.pop("JOURNAL_STREAM", None)
        self.stderr_path = os.path.join(agent.dir, "stderr")
        # WATCHDOG_PID must name the agent: the shell's pid is the agent's after exec.
        with open(self.stderr_path, "w") as err:
            agent.proc = subprocess.Popen(
                ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$0" "$@"', harness.ACCESSD,
                 "-c", agent.config], env=env, stdout=subprocess.DEVNULL, stderr=err)
        return agent.proc

    def stderr(self):
        with open(self.stderr_path) as f:
            text = f.read()
        harness.check_sanitizers(text)
        return text

    def polled_item(self, name):
        """Wait until the emulator sees a listing of catalog item NAME."""
        self.emu.clear_requests()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for r in self.emu.requests():
                if r["path"] == "/api/now/table/sc_req_item" and name in r["query"]["sysparm_query"]:
                    return
            time.sleep(0.1)
        self.fail("the agent did not poll %r" % name)

    def reload(self, proc):
        """SIGHUP; returns the READY=1 message that ends the reload."""
        start = self.manager.end()
        proc.send_signal(signal.SIGHUP)
        i = self.manager.wait_key("RELOADING", start)
        reloading = self.manager.message(i)[1]
        self.assertEqual(reloading["RELOADING"], "1")
        self.assertGreater(int(reloading["MONOTONIC_USEC"]), 0)
        j = self.manager.wait_key("READY", i + 1)
        ready = self.manager.message(j)[1]
        self.assertEqual(ready["READY"], "1")
        return ready

    def test_ready_status_watchdog_reload_stop(self):
        agent = harness.Agent(self.emu, items=("VPN Access",))
        self.addCleanup(agent.cleanup)
        proc = self.start(agent)

        ready = self.manager.wait_key("READY")
        self.assertEqual(self.manager.message(ready)[1]["STATUS"],
                         "no poll yet; 0 requests, 0 awaiting approval, 0 blocked")
        polled = self.manager.wait_for(lambda m: "STATUS" in m and "last poll" in m["STATUS"], ready,
                                       "STATUS after a poll")
        status = self.manager.message(polled)[1]["STATUS"]
        self.assertRegex(status, r"^last poll \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ok; 1 request, "
                                 r"0 awaiting approval, 0 blocked$")
        start = self.manager.end()
        for _ in range(3):
            start = self.manager.wait_key("WATCHDOG", start) + 1

        # A good new configuration takes effect: the other catalog item is polled.
        with open(agent.config) as f:
            good = f.read()
        with open(agent.config, "w") as f:
            f.write(good.replace('"VPN Access"', '"Laptop Request"'))
        self.assertNotIn("reload failed", self.reload(proc)["STATUS"])
        self.polled_item("Laptop Request")
        self.assertIn("reloaded %s" % agent.config, self.stderr())

        # A broken one is reported with its line and the running one kept.
        with open(agent.config, "w") as f:
            f.write(good.replace("policy = {", "policy = {\n  items = 7;\n  oops"))
        self.assertTrue(self.reload(proc)["STATUS"].endswith("; configuration reload failed, see the journal"))
        self.polled_item("Laptop Request")
        err = self.stderr()
        self.assertRegex(err, r"%s:\d+: " % agent.config)
        self.assertIn("%s has errors; keeping the running configuration" % agent.config, err)
        self.assertEqual(proc.poll(), None)
        start = self.manager.end()
        self.manager.wait_key("WATCHDOG", start)

        start = self.manager.end()
        proc.send_signal(signal.SIGTERM)
        stopping = self.manager.wait_key("STOPPING", start)
        self.assertEqual(self.manager.message(stopping)[1]["STOPPING"], "1")
        self.assertEqual(proc.wait(timeout=WAIT), 0, self.stderr())
        self.assertNotIn(harness.SNOW_PASSWORD, self.stderr())

    def test_watchdog_pings_stop_while_a_poll_hangs(self):
        agent = harness.Agent(self.emu, itsm_extra='  timeout = "3s";', extra="retry = { max_attempts = 1; };\n")
        self.addCleanup(agent.cleanup)
        proc = self.start(agent)
        ready = self.manager.wait_key("READY")
        self.manager.wait_for(lambda m: "last poll" in m.get("STATUS", ""), ready, "a first poll")

        self.emu.fault(kind="hang", path="/api/now/table/sc_req_item", times=1, seconds=60)
        failed = self.manager.wait_for(lambda m: "failed: " in m.get("STATUS", ""), ready, "a failed poll")
        with self.manager.cond:
            pings = [t for t, m in self.manager.messages[:failed] if "WATCHDOG" in m]
            reported = self.manager.messages[failed][0]
        # systemd would have found no ping for far longer than WATCHDOG_USEC
        # (it restarts the agent after one interval); here the request's own
        # timeout ended the hang and the loop went on.
        silence = reported - pings[-1]
        self.assertGreater(silence, 2.0, "pings went on while the poll hung")
        self.assertIn("failed: Resource temporarily unavailable", self.manager.message(failed)[1]["STATUS"])
        self.manager.wait_key("WATCHDOG", failed + 1)
        self.assertIsNone(proc.poll())
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=WAIT), 0, self.stderr())

    def test_sigterm_during_a_poll_stops_between_requests(self):
        # The first cycle's first listing (the request items) hangs.
        # It answers after 3 s, inside the 5 s timeout, once SIGTERM is pending.
        self.emu.fault(kind="hang", path="/api/now/table/sc_req_item", times=1, seconds=3)
        agent = harness.Agent(self.emu, items=("VPN Access", "Laptop Request"), itsm_extra='  timeout = "5s";',
                              extra="retry = { max_attempts = 1; };\n")
        self.addCleanup(agent.cleanup)
        proc = self.start(agent)
        last = self.manager.wait_key("READY")
        try:  # until the notifications stop: the cycle is in the hung request
            while True:
                last = self.manager.wait_for(lambda m: True, last + 1, timeout=1.0)
        except AssertionError:
            pass
        proc.send_signal(signal.SIGTERM)
        stopping = self.manager.wait_key("STOPPING", last + 1)
        self.assertEqual(self.manager.message(stopping)[1]["STOPPING"], "1")
        self.assertEqual(proc.wait(timeout=WAIT), 0, self.stderr())
        self.assertIn("stop requested; the cycle ends before polling approvals", self.stderr())
        # The emulator records the hung request when its hang ends.
        deadline = time.monotonic() + WAIT
        while not self.emu.requests() and time.monotonic() < deadline:
            time.sleep(0.1)
        paths = [r["path"] for r in self.emu.requests()]
        self.assertEqual(paths[0], "/api/now/table/sc_req_item")
        self.assertNotIn("/api/now/table/sysapproval_approver", paths, self.stderr())


def unit():
    """accessd.service as the package installs it: {key: [values]} of its
    [Service] section, @sbindir@ being the build directory."""
    with open(os.path.join(harness.SRCDIR, "packaging", "accessd.service.in")) as f:
        text = f.read().replace("@sbindir@", os.path.dirname(harness.ACCESSD))
    service, keys = False, {}
    for line in text.splitlines():
        if line.startswith("["):
            service = line == "[Service]"
        elif service and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


class Unfixable(Managed):
    """What a restart cannot fix exits 2, which the unit does not restart;
    a reload of a configuration that does not load fails, as systemd runs
    ExecReload=, and the running configuration stays."""

    def setUp(self):
        super().setUp()
        seed, _ = harness.servicenow_seed(["VPN Access", "Laptop Request"])
        self.emu.seed({"servicenow": seed})
        self.agent = harness.Agent(self.emu)
        self.addCleanup(self.agent.cleanup)
        with open(self.agent.config) as f:
            self.good = f.read()

    def daemon(self, env=None):
        """Start the daemon as the unit would and wait for it to end."""
        full = dict(os.environ, NOTIFY_SOCKET=self.manager.path, **(env or {}))
        full.pop("CREDENTIALS_DIRECTORY", None) if "CREDENTIALS_DIRECTORY" not in (env or {}) else None
        proc = subprocess.run([harness.ACCESSD, "-c", self.agent.config], env=full, capture_output=True, text=True,
                              timeout=WAIT)
        harness.check_sanitizers(proc.stderr)
        return proc

    def write(self, text):
        with open(self.agent.config, "w") as f:
            f.write(text)

    def test_the_unit_does_not_restart_exit_status_2(self):
        keys = unit()
        self.assertEqual(keys["Restart"], ["on-failure"])
        self.assertEqual(keys["RestartPreventExitStatus"], ["2"])
        # systemd tests RestartPreventExitStatus= against the main process
        # only (service_shall_restart: main_exec_status); a failed
        # ExecStartPre= would be restarted whatever its status.
        self.assertNotIn("ExecStartPre", keys)

    def test_each_unfixable_start_exits_2(self):
        creds = os.path.join(self.agent.dir, "credentials")
        os.mkdir(creds, 0o700)
        with_credential = self.good.replace('password_file = "%s";' % self.agent.password_file,
                                            'password_credential = "servicenow-password";')
        cases = [
            ("a configuration that does not load", self.good.replace("policy = {", "policy = {\n  oops"), {},
             r":\d+: "),
            ("a connector kind not built in", self.good.replace('kind = "servicenow"', 'kind = "topdesk"'), {},
             "topdesk"),
            ("a credential without CREDENTIALS_DIRECTORY", with_credential, {}, "CREDENTIALS_DIRECTORY"),
            ("a missing credential", with_credential, {"CREDENTIALS_DIRECTORY": creds},
             "the credential servicenow-password of the servicenow connection is missing; write the secret to "
             "/.*/accessd/credentials/servicenow-password, which accessd.service loads"),
            ("an empty credential", with_credential, {"CREDENTIALS_DIRECTORY": creds},
             "credential servicenow-password .* is empty; write the secret to /.*/credentials/servicenow-password"),
            ("a secret file readable by others", self.good, {}, "chmod 600"),
        ]
        for what, text, env, says in cases:
            with self.subTest(what):
                self.write(text)
                if what == "an empty credential":
                    self.agent.write_secret("credentials/servicenow-password", "")
                if what == "a secret file readable by others":
                    os.chmod(self.agent.password_file, 0o644)
                start = self.manager.end()
                proc = self.daemon(env)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertRegex(proc.stderr, says)
                self.assertEqual(self.manager.count("READY", start), 0)
                os.chmod(self.agent.password_file, 0o600)
        self.assertEqual(self.emu.requests(), [], "an unfixable start asked the ITSM")

    def test_a_refused_reload_fails_and_the_old_configuration_runs(self):
        reload = unit()["ExecReload"]
        self.assertEqual(len(reload), 2)
        self.assertIn("--check-config", reload[0])
        self.assertTrue(reload[1].endswith("kill -HUP $MAINPID"))
        proc = subprocess.Popen([harness.ACCESSD, "-c", self.agent.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())

        def systemctl_reload():
            """ExecReload= as systemd runs it: each command in order, stopping
            at the first that fails, whose status the reload job returns."""
            for command in reload:
                argv = command.replace("$MAINPID", str(proc.pid)).split()
                if argv[0].endswith("/accessd"):
                    argv += ["-c", self.agent.config]
                done = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT)
                if done.returncode != 0:
                    return done
            return done

        self.wait_polled("VPN Access")
        self.write(self.good.replace("policy = {", "policy = {\n  items = 7;\n  oops"))
        done = systemctl_reload()
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stderr, re.escape(self.agent.config) + r":\d+: ")
        self.wait_polled("VPN Access")  # the old configuration runs on
        self.assertIsNone(proc.poll())

        self.write(self.good.replace('"VPN Access"', '"Laptop Request"'))
        self.assertEqual(systemctl_reload().returncode, 0)
        self.wait_polled("Laptop Request")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT)
        harness.check_sanitizers(err)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err.count("reloaded %s" % self.agent.config), 1, err)

    def wait_polled(self, name):
        self.emu.clear_requests()
        deadline = time.monotonic() + WAIT
        while not any(r["path"] == "/api/now/table/sc_req_item" and name in r["query"]["sysparm_query"]
                      for r in self.emu.requests()):
            self.assertLess(time.monotonic(), deadline, "the agent did not poll %r" % name)
            time.sleep(0.1)


class ByHand(unittest.TestCase):
    """The documented way to run one cycle by hand with the unit's
    credentials (accessd(8), RUNNING A CYCLE BY HAND): as root, with
    --credentials-directory naming the root-only files the unit loads; the
    files it writes stay the state owner's; beside a running accessd it is
    refused before it touches the journal."""

    NOBODY = 65534

    def setUp(self):
        self.emu = harness.Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        seed, _ = harness.servicenow_seed(["VPN Access"])
        self.emu.seed({"servicenow": seed})
        self.agent = harness.Agent(self.emu)
        self.addCleanup(self.agent.cleanup)
        self.creds = os.path.join(self.agent.dir, "credentials")
        os.mkdir(self.creds, 0o700)
        self.agent.write_secret("credentials/servicenow-password", harness.SNOW_PASSWORD)
        with open(self.agent.config) as f:
            text = f.read()
        with open(self.agent.config, "w") as f:
            f.write(text.replace('password_file = "%s";' % self.agent.password_file,
                                 'password_credential = "servicenow-password";'))

    @unittest.skipUnless(os.geteuid() == 0, "reading root-only credentials and switching users needs root")
    def test_as_root_with_the_units_credentials_the_files_stay_the_services(self):
        os.chmod(self.agent.dir, 0o711)
        os.chown(self.agent.state_dir, self.NOBODY, self.NOBODY)
        os.chmod(self.agent.state_dir, 0o750)
        proc = self.agent.run("--once", "--credentials-directory=%s" % self.creds)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("running as uid %d, gid %d: the owner of %s" % (self.NOBODY, self.NOBODY, self.agent.state_dir),
                      proc.stderr)
        names = os.listdir(self.agent.state_dir)
        self.assertIn("journal", names)
        for name in names:
            st = os.stat(os.path.join(self.agent.state_dir, name))
            self.assertEqual((st.st_uid, st.st_gid), (self.NOBODY, self.NOBODY), name)
        self.assertTrue(any(r["path"] == "/api/now/table/sc_req_item" for r in self.emu.requests()))

    def test_without_the_credentials_it_says_which(self):
        proc = self.agent.run("--once")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("CREDENTIALS_DIRECTORY", proc.stderr)

    def test_refused_beside_a_running_accessd(self):
        daemon = subprocess.Popen([harness.ACCESSD, "-c", self.agent.config, "--credentials-directory", self.creds],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: daemon.poll() is None and daemon.kill())
        deadline = time.monotonic() + WAIT
        while not os.path.exists(os.path.join(self.agent.state_dir, "status.json")):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        with open(os.path.join(self.agent.state_dir, "journal"), "rb") as f:
            before = f.read()
        proc = self.agent.run("--once", "--credentials-directory", self.creds)
        self.assertEqual(proc.returncode, 1, proc.stderr)  # the unit may retry: the other one may stop
        self.assertIn("another accessd is running on %s; stop it first" % self.agent.state_dir, proc.stderr)
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=WAIT)
        self.assertEqual(daemon.returncode, 0, err)
        with open(os.path.join(self.agent.state_dir, "journal"), "rb") as f:
            self.assertTrue(f.read().startswith(before))


if __name__ == "__main__":
    harness.main()
