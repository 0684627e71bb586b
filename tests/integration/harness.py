"""Test harness for River's integration tests.

Starts the real `river` binary with a configuration the test writes, scripted origins that
record every byte they receive, and nginx as a real origin, all on loopback with ports chosen
at run time. Every wait is bounded, and everything started is stopped by the fixture that
started it.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RIVER_BINARY", str(REPO / "build" / "river"))
SANITIZED = os.environ.get("RIVER_SANITIZED") == "1"
# Sanitized builds are several times slower; waits scale with this.
SLOWDOWN = 3.0 if SANITIZED else 1.0

LISTENING = re.compile(r"listening service=(\S+) address=(\S+)")


def free_port():
    """A TCP port that was free a moment ago (for programs that cannot bind port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class River:
    """The river binary running one configuration.

    `config` is TOML text; use port 0 in listen addresses and read the real ones with
    `port(service)`. The access log goes to standard output (`access_lines()`), the process
    log to standard error (`log_text()`).
    """

    def __init__(self, config, args=(), env=None, workdir=None):
        self.dir = Path(tempfile.mkdtemp(prefix="river-test-"))
        self.config_path = self.dir / "river.toml"
        self.config_path.write_text(config)
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.workdir = workdir or REPO
        self.proc = None
        self.addresses = {}
        self._stdout = self.dir / "stdout.log"
        self._stderr = self.dir / "stderr.log"

    def start(self, expect_listeners=None, timeout=10.0):
        self.proc = subprocess.Popen(
            [BINARY, "run", "-c", str(self.config_path)] + self.args,
            stdout=open(self._stdout, "wb"), stderr=open(self._stderr, "wb"),
            cwd=self.workdir, env=self.env)
        wanted = expect_listeners or self._count_listen_addresses()
        deadline = time.monotonic() + timeout * SLOWDOWN
        while time.monotonic() < deadline:
            found = LISTENING.findall(self.log_text())
            if len(found) >= wanted and "started workers=" in self.log_text():
                for service, address in found:
                    self.addresses.setdefault(service, []).append(address)
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"river exited with {self.proc.returncode}:\n{self.log_text()}")
            time.sleep(0.02)
        raise RuntimeError(f"river did not start in time:\n{self.log_text()}")

    def _count_listen_addresses(self):
        text = self.config_path.read_text()
        listen = sum(len(re.findall(r'"[^"]*"', m))
                     for m in re.findall(r"listen\s*=\s*\[([^\]]*)\]", text))
        # [[service.listener]] tables each name one address.
        return listen + len(re.findall(r"^\s*address\s*=", text, re.M))

    def address(self, service, index=0):
        return self.addresses[service][index]

    def port(self, service, index=0):
        return int(self.address(service, index).rsplit(":", 1)[1])

    def url(self, service, path="/"):
        return f"http://{self.address(service)}{path}"

    def log_text(self):
        return self._stderr.read_text(errors="replace") if self._stderr.exists() else ""

    def access_lines(self):
        if not self._stdout.exists():
            return []
        return [l for l in self._stdout.read_text(errors="replace").splitlines() if "service=" in l]

    def wait_access_lines(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout * SLOWDOWN
        while time.monotonic() < deadline:
            lines = self.access_lines()
            if len(lines) >= count:
                return lines
            time.sleep(0.02)
        return self.access_lines()

    def rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout * SLOWDOWN)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("river did not stop after SIGTERM")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def run_river(*args, timeout=10):
    """Runs a river subcommand to completion (check, print-default-config, --help)."""
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout * SLOWDOWN)


# ---------------------------------------------------------------------------------------------
# Scripted origins


class OriginConnection:
    """One accepted upstream connection, seen from the origin's side."""

    def __init__(self, sock, record):
        self.sock = sock
        self.buffer = b""
        self.record = record  # bytearray shared with the origin's log

    def recv_some(self, timeout=5.0):
        self.sock.settimeout(timeout * SLOWDOWN)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, OSError):
            return None
        self.record.extend(data)
        return data

    def read_request(self, timeout=5.0):
        """Reads one request (head and body, by Content-Length or chunked). Returns
        (head_bytes, body_bytes) or None when the connection closed or timed out first."""
        while b"\r\n\r\n" not in self.buffer:
            data = self.recv_some(timeout)
            if not data:
                return None
            self.buffer += data
        head, rest = self.buffer.split(b"\r\n\r\n", 1)
        head += b"\r\n\r\n"
        lower = head.lower()
        body = b""
        m = re.search(rb"\r\ncontent-length:\s*(\d+)", lower)
        if m:
            n = int(m.group(1))
            while len(rest) < n:
                data = self.recv_some(timeout)
                if not data:
                    return None
                rest += data
            body, rest = rest[:n], rest[n:]
        elif re.search(rb"\r\ntransfer-encoding:\s*chunked", lower):
            while not re.search(rb"(^|\r\n)0\r\n(.*?\r\n)?\r\n", rest, re.S):
                data = self.recv_some(timeout)
                if not data:
                    return None
                rest += data
            end = re.search(rb"(^|\r\n)0\r\n(.*?\r\n)?\r\n", rest, re.S).end()
            body, rest = rest[:end], rest[end:]
        self.buffer = rest
        return head, body

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def reply_ok(body=b"ok", extra=b""):
    """Handler: answers every request on the connection with 200 and `body` (keep-alive)."""
    def handle(conn):
        while conn.read_request() is not None:
            if not conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)):
                return
    return handle


def reply_once(data, delay=0.0):
    """Handler: after one request (or `delay` seconds), sends `data` raw and closes, like
    the cases' `nc` recorder."""
    def handle(conn):
        conn.read_request(timeout=delay + 2 if delay else 5)
        if delay:
            time.sleep(delay)
        conn.send(data)
        time.sleep(0.05)
        conn.close()
    return handle


class Origin:
    """A scripted origin on 127.0.0.1 that runs `handler(conn)` in a thread per connection
    and records every byte received (`received()`), and how many connections it accepted."""

    def __init__(self, handler=None, ssl_context=None):
        self.handler = handler or reply_ok()
        # With an ssl.SSLContext the origin speaks TLS; `tls_connections` keeps each accepted
        # SSLSocket (session_reused, version(), ...) for the test to inspect.
        self.ssl_context = ssl_context
        self.tls_connections = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.connections = 0
        self.records = []
        self._lock = threading.Lock()
        self._stopped = False
        self._threads = []
        self._socks = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def _accept(self):
        while not self._stopped:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            record = bytearray()
            with self._lock:
                self.connections += 1
                self.records.append(record)
                self._socks.append(sock)
            conn = OriginConnection(sock, record)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn):
        if self.ssl_context is not None:
            try:
                conn.sock.settimeout(5 * SLOWDOWN)
                conn.sock = self.ssl_context.wrap_socket(conn.sock, server_side=True)
            except OSError:
                conn.close()
                return
            with self._lock:
                self.tls_connections.append(conn.sock)
        try:
            self.handler(conn)
        finally:
            conn.close()

    def received(self):
        """All bytes received on all connections, in accept order."""
        with self._lock:
            return b"".join(bytes(r) for r in self.records)

    def wait_received(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout * SLOWDOWN
        while time.monotonic() < deadline:
            if needle in self.received():
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        self._stopped = True
        try:
            self.listener.close()
        except OSError:
            pass
        with self._lock:
            for s in self._socks:
                try:
                    s.close()
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------
# Clients


def raw_exchange(port, data, timeout=3.0, host="127.0.0.1", half_close=True, chunks=None):
    """Sends `data` (or each element of `chunks` with its delay) like `nc -q`, then reads
    until the server closes or `timeout` seconds pass without data. Returns all bytes read."""
    s = socket.create_connection((host, port), timeout=timeout * SLOWDOWN)
    try:
        if chunks is None:
            s.sendall(data)
        else:
            for piece, delay in chunks:
                if delay:
                    time.sleep(delay)
                s.sendall(piece)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        s.settimeout(timeout * SLOWDOWN)
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def statuses(response_bytes):
    """The status codes of all responses in a byte stream, in order."""
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", response_bytes)]


def curl(*args, timeout=20):
    """Runs curl with `args`; returns the CompletedProcess (stdout as bytes)."""
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args],
                          capture_output=True, timeout=timeout + 5)


# ---------------------------------------------------------------------------------------------
# nginx as a real origin


class NginxOrigin:
    """nginx serving `root` on a free loopback port, with extra `server` directives."""

    def __init__(self, root, extra_server="", extra_http="", listen_options=""):
        self.dir = Path(tempfile.mkdtemp(prefix="river-nginx-"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        conf = f"""
daemon off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/access.log;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  keepalive_requests 100000;
  {extra_http}
  server {{
    listen 127.0.0.1:{self.port} {listen_options};
    root {root};
    {extra_server}
  }}
}}
"""
        (self.dir / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["/usr/sbin/nginx", "-c", str(self.dir / "nginx.conf"),
                                      "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx failed: " + self.proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def access_log(self):
        p = self.dir / "access.log"
        return p.read_text() if p.exists() else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def proxy_config(upstream, extra_service="", extra_system="", listen='"127.0.0.1:0"', name="proxy"):
    """TOML for one proxy service in front of `upstream` ("127.0.0.1:port" or a list)."""
    ups = upstream if isinstance(upstream, list) else [upstream]
    ups_toml = ", ".join(f'"{u}"' for u in ups)
    return f"""
[system]
threads = 2
{extra_system}

[[service]]
name = "{name}"
listen = [{listen}]
upstream = [{ups_toml}]
{extra_service}
"""
