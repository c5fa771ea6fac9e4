#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The API emulator for accessd's tests and demo.

One process that speaks the vendors' REST APIs (ServiceNow, TOPdesk,
Freshservice, Xurrent, Graph, Teams) on a loopback port, each vendor under
its own paths (Graph under /v1.0/, Xurrent under /v1/), plus a small
control API under /_emu/ for the tests:

  GET    /_emu/health             {"ok": true}
  POST   /_emu/reset              forget all data, the request log and faults
  POST   /_emu/seed               {"<vendor>": <vendor data>} (see each vendor)
  POST   /_emu/config/<vendor>    vendor settings (credentials, rate limits)
  GET    /_emu/state/<vendor>     the vendor's whole store, as JSON
  GET    /_emu/requests           every API request received, in order
  DELETE /_emu/requests           forget the request log
  POST   /_emu/faults             add a fault rule (see Fault)
  DELETE /_emu/faults             remove all fault rules

Standard library only. Started by the test harness with --port 0; it writes
the port it got to --port-file and exits when its parent does.
"""

import argparse
import email.utils
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import freshservice  # noqa: E402
import graph  # noqa: E402
import servicenow  # noqa: E402
import teams  # noqa: E402
import topdesk  # noqa: E402
import xurrent  # noqa: E402
from api import Request, Response  # noqa: E402


class Fault:
    """A fault rule: applies to requests matching method, path (a regular
    expression searched in the path) and query (one searched in the raw
    query string), `times` times (0: every time), after letting the first
    `skip` of them through (default 0).

    kinds (`headers`, a dict, is added to any answer a fault lets through or makes):
      status        answer `status` with the vendor's error body
      ratelimit     answer 429 with Retry-After: `retry_after` (seconds or an HTTP date)
      delay         wait `seconds`, then answer normally
      hang          wait `seconds` (default 3600) or until the emulator stops
      reset         close the connection without answering
      drop_response handle the request (it takes effect), then close without answering
      truncate      handle it, then send only half of the body
      invalid_json  handle it, then send a body that is not JSON
      oversize      handle it, then send a valid JSON body of `bytes` bytes
      seed          first apply `seed` ({"<vendor>": data}, as /_emu/seed), then
                    answer normally: records change while a client pages
    """

    KINDS = {"status", "ratelimit", "delay", "hang", "reset", "drop_response", "truncate", "invalid_json", "oversize",
             "seed"}

    def __init__(self, spec):
        if spec.get("kind") not in self.KINDS:
            raise ValueError("unknown fault kind %r" % spec.get("kind"))
        self.spec = spec
        self.kind = spec["kind"]
        self.method = spec.get("method")
        self.path = re.compile(spec.get("path", ""))
        self.query = re.compile(spec.get("query", ""))
        self.remaining = int(spec.get("times", 1))
        self.skip = int(spec.get("skip", 0))

    def matches(self, req):
        if self.method and self.method != req.method:
            return False
        return self.path.search(req.path) is not None and self.query.search(req.raw_query) is not None


class Emulator:
    def __init__(self):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.vendors = {v.name: v for v in (servicenow.ServiceNow(), topdesk.TOPdesk(), freshservice.Freshservice(),
                                            xurrent.Xurrent(), graph.Graph(), teams.Teams())}
        self.default_vendor = self.vendors["servicenow"]
        self.reset()

    def reset(self):
        with self.lock:
            self.log = []
            self.faults = []
            for v in self.vendors.values():
                v.reset()

    def take_fault(self, req):
        with self.lock:
            for f in self.faults:
                if f.matches(req):
                    if f.skip > 0:
                        f.skip -= 1
                        continue
                    if f.remaining > 0:
                        f.remaining -= 1
                        if f.remaining == 0:
                            self.faults.remove(f)
                    return f
        return None

    def record(self, req, status, fault):
        auth = req.headers.get("authorization", "")
        headers = {k: v for k, v in req.headers.items() if k != "authorization"}
        entry = {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "headers": headers,
            "auth_scheme": auth.split(" ", 1)[0] if auth else None,
            "body": req.json() if req.body else None,
            "status": status,
            "fault": fault.kind if fault else None,
            "time": time.time(),
        }
        with self.lock:
            entry["seq"] = len(self.log) + 1
            self.log.append(entry)

    def vendor_for(self, req):
        """The vendor whose routes include this path, and the matching route."""
        for vendor in self.vendors.values():
            for method, pattern, handler in vendor.routes:
                m = pattern.fullmatch(req.path)
                if m and method == req.method:
                    return vendor, handler, m
        for vendor in self.vendors.values():
            if any(p.fullmatch(req.path) for _, p, _ in vendor.routes):
                return vendor, None, None
        return None, None, None

    def route(self, req):
        """Answer an API request as its vendor would: authentication first,
        then the handler; 404/405 in the vendor's error format."""
        vendor, handler, m = self.vendor_for(req)
        if vendor is None:
            vendor = self.default_vendor
            return vendor, vendor.error(404, "No such API: %s" % req.path)
        with self.lock:
            denied = vendor.authorize(req)
            if denied is not None:
                return vendor, denied
            if handler is None:
                return vendor, vendor.error(405, "Method not allowed")
            return vendor, handler(req, m)

    def control(self, req):
        parts = req.path.strip("/").split("/")[1:]
        body = req.json() if req.body else None
        if req.method == "GET" and parts == ["health"]:
            return Response(200, {"ok": True})
        if req.method == "POST" and parts == ["reset"]:
            self.reset()
            return Response(200, {"ok": True})
        if req.method == "POST" and parts == ["seed"]:
            if not isinstance(body, dict):
                return Response(400, {"error": "seed takes a JSON object keyed by vendor"})
            with self.lock:
                for name, data in body.items():
                    if name not in self.vendors:
                        return Response(400, {"error": "unknown vendor %r" % name})
                    try:
                        self.vendors[name].seed(data)
                    except (KeyError, TypeError, ValueError) as e:
                        return Response(400, {"error": "bad %s seed: %r" % (name, e)})
            return Response(200, {"ok": True})
        if len(parts) == 2 and parts[0] in ("config", "state") and parts[1] in self.vendors:
            vendor = self.vendors[parts[1]]
            with self.lock:
                if parts[0] == "config" and req.method == "POST":
                    vendor.configure(body or {})
                    return Response(200, {"ok": True})
                if parts[0] == "state" and req.method == "GET":
                    return Response(200, vendor.dump())
        if parts == ["requests"]:
            with self.lock:
                if req.method == "GET":
                    return Response(200, list(self.log))
                if req.method == "DELETE":
                    self.log = []
                    return Response(200, {"ok": True})
        if parts == ["faults"]:
            with self.lock:
                if req.method == "POST":
                    try:
                        self.faults.append(Fault(body or {}))
                    except (ValueError, re.error) as e:
                        return Response(400, {"error": str(e)})
                    return Response(200, {"ok": True})
                if req.method == "DELETE":
                    self.faults = []
                    return Response(200, {"ok": True})
        return Response(404, {"error": "no such control call"})


def make_handler(emu):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "accessd-emulator/1"
        # Headers and body go out in two writes; with Nagle on, the body
        # waits for the client's delayed ACK (40 ms a request on Linux).
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            pass

        def _read_body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n > 0 else b""

        def _abort(self):
            """Close the connection at once, with a TCP reset."""
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_connection = True
            try:
                self.connection.close()
            except OSError:
                pass

        def _send(self, resp, body=None, declared=None):
            """Send RESP; BODY replaces its body, DECLARED its Content-Length."""
            body = resp.body if body is None else body
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body) if declared is None else declared))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self):
            req = Request(self.command, self.path, self.headers, self._read_body())
            if req.path.startswith("/_emu/"):
                self._send(emu.control(req))
                return
            fault = emu.take_fault(req)
            kind = fault.kind if fault else None
            if kind in ("delay", "hang"):
                emu.stopping.wait(float(fault.spec.get("seconds", 3600 if kind == "hang" else 1)))
            if kind == "reset":
                emu.record(req, None, fault)
                self._abort()
                return
            vendor = emu.vendor_for(req)[0] or emu.default_vendor
            if kind == "seed":
                with emu.lock:
                    for name, data in fault.spec.get("seed", {}).items():
                        emu.vendors[name].seed(data)
            if kind == "status":
                resp = vendor.error(int(fault.spec.get("status", 500)), fault.spec.get("message", "Injected failure"))
                resp.headers.update(fault.spec.get("headers", {}))
            elif kind == "ratelimit":
                resp = vendor.error(429, "Too many requests")
                ra = fault.spec.get("retry_after", 1)
                if ra == "http-date":
                    delay = float(fault.spec.get("retry_after_seconds", 1))
                    resp.headers["Retry-After"] = email.utils.formatdate(time.time() + delay, usegmt=True)
                else:
                    resp.headers["Retry-After"] = str(ra)
            else:
                vendor, resp = emu.route(req)
                if fault:
                    resp.headers.update(fault.spec.get("headers", {}))
            emu.record(req, resp.status if kind != "drop_response" else None, fault)
            if kind == "drop_response":
                self._abort()
            elif kind == "truncate":
                self._send(resp, resp.body[: len(resp.body) // 2], declared=len(resp.body))
                self.wfile.flush()
                self._abort()
            elif kind == "invalid_json":
                self._send(resp, b'{"result": [{"sys_id": "')
            elif kind == "oversize":
                size = int(fault.spec.get("bytes", 16 * 1024 * 1024))
                pad = b'{"result": [], "padding": "' + b"x" * max(0, size - 32) + b'"}'
                self._send(resp, pad)
            else:
                self._send(resp)

        def do_GET(self):
            self._handle()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--tls-cert", help="also serve HTTPS with this PEM certificate (and --tls-key), on a port "
                                       "of its own written to --tls-port-file")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-port-file")
    args = ap.parse_args()

    emu = Emulator()
    server = Server(("127.0.0.1", args.port), make_handler(emu))
    port = server.server_address[1]
    parent = os.getppid()
    servers = [server]
    if args.tls_cert:
        # The same vendors and control API, behind TLS: what a client does
        # with its CA bundle is then seen from outside.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls = Server(("127.0.0.1", 0), make_handler(emu))
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
        threading.Thread(target=tls.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        with open(args.tls_port_file + ".tmp", "w") as f:
            f.write("%d\n" % tls.server_address[1])
        os.rename(args.tls_port_file + ".tmp", args.tls_port_file)

    def stop(*_):
        emu.stopping.set()
        for s in servers:
            threading.Thread(target=s.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_parent():
        while not emu.stopping.wait(0.5):
            if os.getppid() != parent:
                stop()

    threading.Thread(target=watch_parent, daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print("emulator listening on 127.0.0.1:%d" % port, flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
