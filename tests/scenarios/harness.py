# SPDX-License-Identifier: Apache-2.0
"""Scenario harness: the real accessd binary against the API emulator.

An Emulator is started on an ephemeral loopback port and is always stopped,
also when a test fails (context manager, and the emulator exits by itself
when its parent goes). An Agent writes a configuration and secret files into
a private temporary directory and runs the binary built by `make`.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SRCDIR = os.environ.get("ACCESSD_SRCDIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ACCESSD = os.environ.get("ACCESSD") or os.path.abspath("accessd")
ACCESSCTL = os.environ.get("ACCESSCTL") or os.path.abspath("accessctl")
EMULATOR = os.path.join(SRCDIR, "tests", "emulator", "emulator.py")

# Sanitizer reports in the agent's output fail the scenario even when the
# exit code was not changed (UBSan prints and goes on unless told not to).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

SNOW_USER = "svc-accessd"
SNOW_PASSWORD = "s3cret-Pa55word!"


class Emulator:
    def __init__(self):
        self.proc = None
        self.stderr = None
        self.tmp = tempfile.mkdtemp(prefix="accessd-emu-")
        self.port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        port_file = os.path.join(self.tmp, "port")
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w")
        self.proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--port-file", port_file],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.stderr:
            self.stderr.close()
            self.stderr = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise AssertionError("emulator control %s %s: %d %s" % (method, path, e.code, e.read()))

    def seed(self, data):
        return self.call("POST", "/_emu/seed", data)

    def requests(self):
        return self.call("GET", "/_emu/requests")

    def clear_requests(self):
        return self.call("DELETE", "/_emu/requests")

    def fault(self, **spec):
        return self.call("POST", "/_emu/faults", spec)

    def state(self, vendor):
        return self.call("GET", "/_emu/state/" + vendor)


class Agent:
    """A configuration in a private directory and the binary to run on it."""

    def __init__(self, emulator, items=("VPN Access",), extra="", itsm_extra=""):
        self.dir = tempfile.mkdtemp(prefix="accessd-test-")
        os.chmod(self.dir, 0o700)
        self.state_dir = os.path.join(self.dir, "state")
        os.mkdir(self.state_dir, 0o700)
        self.password_file = self.write_secret("snow.password", SNOW_PASSWORD)
        items_text = ",\n".join('    { name = "%s"; }' % i for i in items)
        self.config = os.path.join(self.dir, "accessd.conf")
        with open(self.config, "w") as f:
            f.write("""daemon = {
  state_directory = "%s";
  poll_interval = "1s";
  log_level = "debug";
};
itsm = {
  kind = "servicenow";
  base_url = "%s";
  auth = {
    method = "basic";
    username = "%s";
    password_file = "%s";
  };
%s
};
policy = {
  items = (
%s
  );
};
%s""" % (self.state_dir, emulator.url, SNOW_USER, self.password_file, itsm_extra, items_text, extra))
        self.proc = None

    def write_secret(self, name, value, mode=0o600):
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        os.chmod(path, mode)
        return path

    def run(self, *args, timeout=60):
        """Run accessd with ARGS to the end; returns the CompletedProcess."""
        proc = subprocess.run([ACCESSD, "-c", self.config] + list(args), capture_output=True, text=True,
                              timeout=timeout)
        check_sanitizers(proc.stderr)
        return proc

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def check_sanitizers(text):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise AssertionError("sanitizer report in the agent's output:\n" + text)


def run_binary(path, *args, timeout=30):
    proc = subprocess.run([path] + list(args), capture_output=True, text=True, timeout=timeout)
    check_sanitizers(proc.stderr)
    return proc


def servicenow_seed(items):
    """A ServiceNow store with the catalog items ITEMS (names), two users,
    and the agent's service account; returns (seed, {item name: sys_id})."""
    catalog = [{"sys_id": "%032x" % (0xca7000 + i), "name": name} for i, name in enumerate(items)]
    users = [
        {"sys_id": "%032x" % 0xa11ce, "user_name": "alice", "email": "alice@contoso.example", "name": "Alice Adams"},
        {"sys_id": "%032x" % 0xb0b, "user_name": "bob", "email": "bob@contoso.example", "name": "Bob Brown"},
    ]
    seed = {"sc_cat_item": catalog, "sys_user": users, "users": {SNOW_USER: SNOW_PASSWORD}}
    return seed, {c["name"]: c["sys_id"] for c in catalog}


def main():
    unittest.main(verbosity=2)
