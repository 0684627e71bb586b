"""Upstream failures and timeouts mapped to 502/504 (or a cut-off response), client-side
timeouts and limits, and the Unix-socket and IPv6 listeners."""
import os
import re
import socket
import tempfile
import time
from pathlib import Path

import pytest

from harness import SLOWDOWN, Origin, River, curl, free_port, proxy_config
from proxy_client import Client, read_origin_request


def ok(body=b"ok"):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def answering(respond):
    def handle(conn):
        while True:
            got = read_origin_request(conn)
            if got is None:
                return
            data = respond(*got)
            if data is None or not conn.send(data):
                return
    return handle


def with_timeouts(upstream, **timeouts):
    lines = "".join(f'{key} = "{value}"\n' for key, value in timeouts.items())
    return proxy_config(upstream, extra_service="[service.timeouts]\n" + lines)


def access_field(line, name):
    m = re.search(rf"\b{name}=(\S+)", line)
    return m.group(1) if m else None


def get(port, path="/"):
    with Client(port) as client:
        client.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        return client.read_response()


# ---------------------------------------------------------------------------------------------
# Upstream connection failures


def test_connect_refused_is_502_with_a_body_and_a_logged_reason():
    port = free_port()  # nothing listens there
    with River(proxy_config(f"127.0.0.1:{port}")) as river:
        response = get(river.port("proxy"), "/refused")
        assert response.status == 502
        assert response.body == b"502 Bad Gateway\n"
        assert response.header("Content-Length") == str(len(response.body))
        lines = river.wait_access_lines(1)
        assert access_field(lines[0], "status") == "502"
        assert access_field(lines[0], "reason") == "connect_refused", lines[0]


class FullBacklog:
    """A loopback listener that never accepts, its backlog filled, so that further
    connection attempts get no answer to their SYN and time out."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(s)
        time.sleep(0.1)

    def works(self):
        probe = socket.socket()
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", self.port))
            return False
        except socket.timeout:
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def close(self):
        for s in self.fillers:
            s.close()
        self.listener.close()


def test_connect_timeout_is_504():
    backlog = FullBacklog()
    try:
        if not backlog.works():
            pytest.skip("a full listen backlog does not make loopback connects hang here")
        config = with_timeouts(f"127.0.0.1:{backlog.port}", connect="500ms")
        with River(config) as river:
            started = time.monotonic()
            response = get(river.port("proxy"), "/slow-connect")
            elapsed = time.monotonic() - started
            assert response.status == 504, response
            assert response.body == b"504 Gateway Timeout\n"
            assert 0.4 < elapsed < 3 * SLOWDOWN, elapsed
            lines = river.wait_access_lines(1)
            assert access_field(lines[0], "reason") == "connect_timeout", lines[0]
    finally:
        backlog.close()


def test_response_header_timeout_is_504():
    def silent(conn):
        read_origin_request(conn)
        time.sleep(4 * SLOWDOWN)  # holds the connection open without answering

    with Origin(silent) as origin, \
            River(with_timeouts(origin.address, response_header="1s")) as river:
        started = time.monotonic()
        response = get(river.port("proxy"), "/never")
        elapsed = time.monotonic() - started
        assert response.status == 504, response
        assert 0.9 < elapsed < 2.5 * SLOWDOWN, elapsed
        lines = river.wait_access_lines(1)
        assert access_field(lines[0], "reason") == "read_timeout", lines[0]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_upstream_read_idle_timeout_mid_body_cuts_the_response_off(framing):
    def stalls(conn):
        read_origin_request(conn)
        if framing == "length":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"a" * 1000)
        else:
            conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
                      + b"a" * 1000 + b"\r\n")
        time.sleep(5 * SLOWDOWN)

    with Origin(stalls) as origin, \
            River(with_timeouts(origin.address, upstream_read_idle="1s")) as river:
        with Client(river.port("proxy"), timeout=4) as client:
            started = time.monotonic()
            client.send(b"GET /stall HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_response()
            elapsed = time.monotonic() - started
            assert response.status == 200
            assert not response.complete, response
            assert response.body == b"a" * 1000
            assert client.eof, "River did not close the client connection"
            assert 0.9 < elapsed < 3 * SLOWDOWN, elapsed


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HELLO WORLD\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello!",
], ids=["bad-status-code", "no-status-line", "space-in-field-name", "field-without-colon",
        "conflicting-content-length", "content-length-list", "negative-content-length"])
def test_malformed_upstream_response_is_502(reply):
    with Origin(answering(lambda head, body: reply)) as origin, \
            River(proxy_config(origin.address)) as river:
        response = get(river.port("proxy"), "/bad")
        assert response.status == 502, response
        assert response.body == b"502 Bad Gateway\n"
        lines = river.wait_access_lines(1)
        assert access_field(lines[0], "reason") == "invalid_message", lines[0]


def test_malformed_chunked_upstream_body_cuts_the_response_off():
    reply = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n")
    with Origin(answering(lambda head, body: reply)) as origin, \
            River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /bad-chunks HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert not response.complete, response
            assert response.body == b"hello"
            assert client.eof


# ---------------------------------------------------------------------------------------------
# Client-side timeouts


def test_keepalive_timeout_closes_idle_client_connections():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_timeouts(origin.address, keepalive="1s")) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
            idle_since = time.monotonic()
            # Unscaled on purpose: under sanitizers a scaled wait would pass the keepalive.
            assert not client.closed_by_peer(timeout=0.6 / SLOWDOWN), "closed long before keepalive"
            assert client.closed_by_peer(timeout=2.5), "idle connection kept past keepalive"
            elapsed = time.monotonic() - idle_since
            assert 0.9 < elapsed < 2.5 * SLOWDOWN, elapsed
            assert client.buffer == b""


def test_keepalive_timeout_does_not_cut_a_connection_that_keeps_busy():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_timeouts(origin.address, keepalive="1s")) as river:
        with Client(river.port("proxy")) as client:
            for _ in range(4):
                client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                assert client.read_response().status == 200
                time.sleep(0.6)


def test_request_header_timeout_is_408():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_timeouts(origin.address, request_header="1s")) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n")
            started = time.monotonic()
            for _ in range(3):
                time.sleep(0.4)
                try:
                    client.send(b"X-Trickle: 1\r\n")
                except OSError:
                    break
            response = client.read_response()
            assert response.status == 408
            assert time.monotonic() - started < 2.5 * SLOWDOWN
            assert client.closed_by_peer(timeout=3)
        assert origin.received() == b""


def test_request_body_idle_timeout_is_408_and_close():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_timeouts(origin.address, request_body_idle="1s")) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            response = client.read_response(timeout=4)
            assert response.status == 408, response
            assert client.closed_by_peer(timeout=3)


# ---------------------------------------------------------------------------------------------
# Limits


def with_limits(upstream, **limits):
    lines = "".join(f"{key} = {value}\n" for key, value in limits.items())
    return proxy_config(upstream, extra_service="[service.limits]\n" + lines)


def test_max_header_count_is_431_just_past_the_limit():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_limits(origin.address, max_header_count=5)) as river:
        fields = b"".join(b"X-F%d: v\r\n" % i for i in range(4))
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n" + fields + b"\r\n")  # 5 fields
            assert client.read_response().status == 200
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n" + fields + b"X-Sixth: v\r\n\r\n")
            assert client.read_response().status == 431
            assert client.closed_by_peer()


def test_max_header_bytes_is_431():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_limits(origin.address, max_header_bytes=512)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 300 + b"\r\n\r\n")
            assert client.read_response().status == 200
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 600 + b"\r\n\r\n")
            assert client.read_response().status == 431
            assert client.closed_by_peer()


def test_max_request_line_bytes_is_414():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_limits(origin.address, max_request_line_bytes=64)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /" + b"a" * 30 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
        with Client(river.port("proxy")) as client:
            client.send(b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 414
            assert client.closed_by_peer()
        assert b"a" * 100 not in origin.received()


def test_max_request_body_bytes_is_413():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(with_limits(origin.address, max_request_body_bytes=100)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"b" * 100)
            assert client.read_response().status == 200
        with Client(river.port("proxy")) as client:
            client.send(b"POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n"
                        + b"b" * 101)
            assert client.read_response().status == 413
        assert b"/big" not in origin.received()


# ---------------------------------------------------------------------------------------------
# Listeners


def test_unix_socket_listener():
    directory = Path(tempfile.mkdtemp(prefix="river-unix-"))
    path = directory / "river.sock"
    with Origin(answering(lambda head, body: ok(b"via unix"))) as origin, \
            River(proxy_config(origin.address, listen=f'"unix:{path}"')) as river:
        result = curl("--unix-socket", str(path), "http://river.test/u")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"via unix"
        with Client(unix_path=str(path)) as client:
            client.send(b"GET /raw HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().body == b"via unix"
        head = origin.received().split(b"\r\n\r\n")[0]
        assert b"\r\nHost: river.test\r\n" in head
        lines = river.wait_access_lines(2)
        assert access_field(lines[0], "status") == "200"
    if path.exists():
        os.unlink(path)
    directory.rmdir()


def _ipv6_loopback_works():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_works(), reason="no IPv6 loopback here")
def test_ipv6_listener():
    with Origin(answering(lambda head, body: ok(b"via v6"))) as origin, \
            River(proxy_config(origin.address, listen='"[::1]:0"')) as river:
        address = river.address("proxy")
        assert address.startswith("[::1]:"), address
        result = curl("-g", f"http://{address}/six")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"via v6"
        head = origin.received().split(b"\r\n\r\n")[0]
        assert b"\r\nX-Forwarded-For: ::1\r\n" in head, head
