# SPDX-License-Identifier: Apache-2.0
"""The metrics file (daemon.metrics_file): Prometheus text format, read here
with the Prometheus client library's own parser (Debian's
python3-prometheus-client), written as a whole after each cycle, its
counters moving as a request goes from validation to its grant, and kept
across runs of --once; a metrics file that cannot be written is reported
once and the agent goes on."""

import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import harness
import tenant

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # the check dependency is missing: say which package brings it
    text_string_to_metric_families = None


def parse(path):
    """{(name, sorted label items): value} of every sample in PATH, and the
    families' types, as the Prometheus parser reads them."""
    with open(path) as f:
        text = f.read()
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


@unittest.skipIf(text_string_to_metric_families is None,
                 "needs python3-prometheus-client (packaging/build-deps, check)")
class Metrics(tenant.TenantCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="accessd-node-exporter-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "accessd.prom")
        self.t = self.tenant(away=("mia",), metrics_file=self.path)

    def test_counters_move_as_a_request_is_granted(self):
        vpn = self.t.request("VPN Access", "bob", business_justification="Works from home on Fridays")
        self.t.cycle()
        first, types = parse(self.path)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o644)  # node_exporter reads it
        self.assertEqual(types["accessd_actions"], "counter")
        self.assertEqual(types["accessd_requests"], "gauge")
        self.assertEqual(types["accessd_http_request_duration_seconds"], "histogram")
        self.assertEqual(value(first, "accessd_requests", state="awaiting-approval"), 1)
        self.assertEqual(value(first, "accessd_actions_total", action="request_approval", result="ok"), 1)
        self.assertEqual(value(first, "accessd_cycles_total", result="ok"), 1)
        self.assertGreater(value(first, "accessd_http_requests_total", system="servicenow", **{"class": "2xx"}), 0)
        self.assertGreater(value(first, "accessd_http_requests_total", system="entra", **{"class": "2xx"}), 0)
        self.assertGreater(value(first, "accessd_http_request_duration_seconds_count", system="servicenow"), 0)
        self.assertGreater(value(first, "accessd_journal_records"), 0)
        self.assertGreater(value(first, "accessd_last_successful_poll_timestamp_seconds",
                                 connection="servicenow"), time.time() - 120)

        self.t.decide(vpn["sys_id"], "victor")
        self.t.cycle()
        self.t.decide(vpn["sys_id"], "sam")
        self.t.cycle()
        last, _ = parse(self.path)
        self.assertIn(tenant.oid("bob"), self.t.members("VPN-Users"))
        # Counted from the journal, so they move across runs of --once.
        self.assertEqual(value(last, "accessd_actions_total", action="grant", result="ok"), 1)
        self.assertEqual(value(last, "accessd_actions_total", action="request_approval", result="ok"), 2)
        self.assertEqual(value(last, "accessd_approval_decisions_total", decision="approved"), 2)
        self.assertEqual(value(last, "accessd_requests", state="awaiting-approval"), 0)
        self.assertEqual(value(last, "accessd_requests", state="completed"), 1)
        self.assertGreater(value(last, "accessd_journal_bytes"), value(first, "accessd_journal_bytes"))

    def test_written_whole_after_each_cycle_of_the_daemon(self):
        proc = subprocess.Popen([harness.ACCESSD, "-c", self.t.agent.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        cycles, deadline = 0, time.monotonic() + 60
        while cycles < 3 and time.monotonic() < deadline:
            if os.path.exists(self.path):
                samples, _ = parse(self.path)  # never a partial file: each read parses
                cycles = value(samples, "accessd_cycles_total", result="ok")
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        harness.check_sanitizers(err)
        self.assertGreaterEqual(cycles, 3, err)
        self.assertEqual([n for n in os.listdir(os.path.dirname(self.path)) if n != "accessd.prom"], [],
                         "a temporary file was left behind")

    def test_an_unwritable_metrics_file_is_reported_once(self):
        os.rmdir(self.dir)
        proc = subprocess.Popen([harness.ACCESSD, "-c", self.t.agent.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        status = os.path.join(self.t.agent.state_dir, "status.json")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # three cycles, by the status file's updates
            if os.path.exists(status) and os.stat(status).st_mtime - os.stat(self.t.agent.config).st_mtime > 2.5:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        harness.check_sanitizers(err)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err.count("cannot write the metrics file %s: No such file or directory" % self.path), 1,
                         err)


if __name__ == "__main__":
    harness.main()
