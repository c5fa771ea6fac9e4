# SPDX-License-Identifier: Apache-2.0
"""A real systemd, booted by systemd-nspawn in a container over an overlay
of this machine's root: the host's files are the lower layer, a tmpfs takes
every write, so nothing done inside reaches the host.

systemd-nspawn refuses "-D /", so the overlay is mounted by hand and given
as the container's directory. Without a service manager on the host,
nspawn is told not to ask one for a scope (--keep-unit) or to register
the machine (--register=no). Commands run inside through nsenter(1) into
the container's init.

The mounts are made in a private mount namespace of the check's own
(Container.enter_private_mounts), so they vanish with the check however it
ends; the container's init dies with nspawn, and nspawn with the check.
"""

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

PR_SET_PDEATHSIG = 1
BOOT_TIMEOUT = 120
SHUTDOWN_TIMEOUT = 60
# The environment of commands run inside: no pager, no colours, no locale
# surprises in the output the checks read.
INSIDE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
    "DEBIAN_FRONTEND": "noninteractive",
}
PRIVATE_MOUNTS_ENV = "ACCESSD_SYSTEMD_CHECK_MOUNTS"


class Unsupported(Exception):
    """This machine cannot run a container: the check is skipped."""


def why_unsupported():
    """None when this machine can boot systemd in a container, else why not.
    A missing systemd-nspawn is no reason: it is a dependency to install."""
    if os.geteuid() != 0:
        return "systemd-nspawn needs root (run make systemd-check as root)"
    if not os.path.exists("/lib/systemd/systemd"):
        return "systemd is not installed here, so there is no init to boot"
    with open("/proc/filesystems") as f:
        if not any(line.split()[-1] == "overlay" for line in f if line.strip()):
            return "the kernel has no overlay file system"
    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "this machine may not make mount and PID namespaces (%s)" % probe.stderr.strip()
    return None


def enter_private_mounts():
    """Run this program again in a private mount namespace of its own (once)."""
    if os.environ.get(PRIVATE_MOUNTS_ENV):
        return
    env = dict(os.environ, **{PRIVATE_MOUNTS_ENV: "1"})
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable] + sys.argv, env)


def die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Container:
    def __init__(self, name, binds=()):
        self.name = name
        self.binds = list(binds)
        self.dir = None
        self.root = None
        self.proc = None
        self.leader = None
        self.log_path = None

    def boot(self):
        """Mount the overlay, start systemd in it and wait for the boot to end."""
        self.dir = tempfile.mkdtemp(prefix="accessd-nspawn-")
        self.mount("tmpfs", "tmpfs", self.dir, "mode=0700")
        for d in ("upper", "work", "root"):
            os.mkdir(os.path.join(self.dir, d))
        self.root = os.path.join(self.dir, "root")
        self.mount("overlay", "overlay", self.root,
                   "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (self.dir, self.dir))
        # A Docker-style policy-rc.d forbids starting services; inside only.
        blocker = os.path.join(self.root, "usr/sbin/policy-rc.d")
        if os.path.exists(blocker):
            os.rename(blocker, blocker + ".host")
        self.log_path = os.path.join(self.dir, "console.log")
        cmd = ["systemd-nspawn", "--quiet", "--keep-unit", "--register=no", "--machine=" + self.name,
               "--directory=" + self.root, "--console=read-only"]
        cmd += ["--bind-ro=%s" % b for b in self.binds]
        # basic.target: journald, the sockets and nothing the host happens to
        # have installed (databases, getty).
        cmd += ["--boot", "systemd.unit=basic.target"]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=die_with_parent)
        self.leader = self.find_leader()
        deadline = time.monotonic() + BOOT_TIMEOUT
        # Until the manager listens, systemctl fails and prints nothing.
        state = ""
        while not state and time.monotonic() < deadline:
            time.sleep(0.2)
            state = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=BOOT_TIMEOUT).stdout
        if state.strip() not in ("running", "degraded"):
            raise AssertionError("the container's boot ended %r\n%s" % (state.strip(), self.console()))
        return self.run("systemctl", "--version").stdout.splitlines()[0]

    def mount(self, fstype, source, target, options):
        r = subprocess.run(["mount", "-t", fstype, "-o", options, source, target], capture_output=True, text=True)
        if r.returncode != 0:
            raise Unsupported("mount -t %s failed: %s" % (fstype, r.stderr.strip()))

    def find_leader(self):
        """The host's pid of the container's init: nspawn's child."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        path = "/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("systemd-nspawn exited %d\n%s" % (self.proc.returncode, self.console()))
            try:
                with open(path) as f:
                    children = f.read().split()
            except FileNotFoundError:
                children = []
            for pid in children:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().strip() == "systemd":
                        return int(pid)
            time.sleep(0.1)
        raise AssertionError("no init in the container\n" + self.console())

    def console(self):
        with open(self.log_path, errors="replace") as f:
            return "--- the container's console:\n" + f.read()[-6000:]

    def run(self, *cmd, input=None, check=True, timeout=60):
        """CMD inside the container; returns the CompletedProcess. With CHECK,
        a non-zero exit fails with its output."""
        r = subprocess.run(["nsenter", "--target", str(self.leader), "--all", "--"] + list(cmd), input=input,
                           capture_output=True, text=True, timeout=timeout, env=INSIDE_ENV)
        if check and r.returncode != 0:
            raise AssertionError("%s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
        return r

    def write(self, path, text, mode="644"):
        """Write PATH inside the container, as root, with MODE."""
        self.run("install", "-D", "-m", mode, "/dev/stdin", path, input=text)

    def shutdown(self):
        """Power the container off, kill it if it does not go, unmount."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nspawn asks the init to power off
            try:
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir is not None:
            for target in (self.root, self.dir):
                subprocess.run(["umount", "--lazy", target], capture_output=True)
            os.rmdir(self.dir)
            self.dir = None
