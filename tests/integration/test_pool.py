"""The shared upstream connection pool: reuse across requests, client connections and
workers; detection of connections the origin closed; idle expiry; the per-peer cap; and
which failed requests are retried on a fresh connection."""
import re
import threading
import time

import pytest

from harness import SLOWDOWN, Origin, River, proxy_config
from proxy_client import Client, read_origin_request


def ok(body=b"ok"):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


class ScriptedOrigin:
    """A handler that decides per request what to do: `decide(connection_number,
    request_number_on_connection, head)` returns bytes to send, None to close the connection
    without answering, or (bytes, "close") to send them and close. It records every request
    as (connection, head) and when each connection ended (closed by River, or by the
    script)."""

    def __init__(self, decide, idle_close=None):
        self.decide = decide
        self.idle_close = idle_close  # seconds of silence after which the origin closes
        self.requests = []
        self.ended = {}
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, conn):
        with self._lock:
            self._count += 1
            number = self._count
        served = 0
        try:
            while True:
                got = read_origin_request(conn, timeout=self.idle_close or 10.0)
                if got is None:
                    return
                served += 1
                head, _ = got
                with self._lock:
                    self.requests.append((number, head))
                data = self.decide(number, served, head)
                if isinstance(data, tuple):
                    conn.send(data[0])
                    return
                if data is None or not conn.send(data):
                    return
        finally:
            with self._lock:
                self.ended[number] = time.monotonic()

    def targets(self):
        """[(connection number, method, target)] of every request, in arrival order."""
        with self._lock:
            return [(n, *head.split(b" ")[:2]) for n, head in self.requests]

    def ended_count(self):
        with self._lock:
            return len(self.ended)


def config(upstream, threads=2, service=""):
    return proxy_config(upstream, extra_service=service).replace(
        "threads = 2", f"threads = {threads}")


def get(port, path="/", method="GET", body=None):
    """One request on a new client connection; returns the response."""
    with Client(port) as client:
        extra = b"" if body is None else b"Content-Length: %d\r\n" % len(body)
        client.send(b"%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n%s" % (
            method.encode(), path.encode(), extra, body or b""))
        return client.read_response(method=method)


def access_field(line, name):
    m = re.search(rf"\b{name}=(\S+)", line)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------
# Reuse


def test_sequential_requests_from_different_client_connections_share_one_upstream_connection():
    script = ScriptedOrigin(lambda n, k, head: ok())
    with Origin(script) as origin, River(config(origin.address, threads=4)) as river:
        for i in range(20):
            response = get(river.port("proxy"), f"/r{i}")
            assert response.status == 200 and response.body == b"ok"
        assert origin.connections == 1, f"{origin.connections} upstream connections"
        lines = river.wait_access_lines(20)
        assert [access_field(l, "reused") for l in lines] == ["0"] + ["1"] * 19
        assert len({n for n, _, _ in script.targets()}) == 1


def test_pipelined_requests_on_one_client_connection_share_one_upstream_connection():
    script = ScriptedOrigin(lambda n, k, head: ok())
    with Origin(script) as origin, River(config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n" * 10)
            for _ in range(10):
                assert client.read_response().status == 200
        assert origin.connections == 1


def test_pooled_connection_closed_by_origin_is_detected_before_reuse():
    # The origin closes connections idle for 200 ms.
    script = ScriptedOrigin(lambda n, k, head: ok(), idle_close=0.2 / SLOWDOWN)
    with Origin(script) as origin, River(config(origin.address)) as river:
        assert get(river.port("proxy"), "/one").status == 200
        deadline = time.monotonic() + 3 * SLOWDOWN
        while script.ended_count() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert script.ended_count() == 1, "the origin did not close its idle connection"
        time.sleep(0.1)
        second = get(river.port("proxy"), "/two")
        assert second.status == 200, second
        assert origin.connections == 2
        lines = river.wait_access_lines(2)
        assert access_field(lines[1], "status") == "200"
        assert access_field(lines[1], "reused") == "0"


def test_idle_timeout_expires_pooled_connections():
    script = ScriptedOrigin(lambda n, k, head: ok())
    service = '[service.pool]\nidle_timeout = "300ms"\n'
    with Origin(script) as origin, River(config(origin.address, service=service)) as river:
        assert get(river.port("proxy"), "/a").status == 200
        assert get(river.port("proxy"), "/b").status == 200
        assert origin.connections == 1, "a connection idle for a moment must be reused"
        time.sleep(1.0)
        assert get(river.port("proxy"), "/c").status == 200
        assert origin.connections == 2, "a connection idle past idle_timeout was reused"
        assert [n for n, _, _ in script.targets()] == [1, 1, 2]


def test_idle_timeout_closes_the_expired_connection():
    # The sweep (or the next checkout) drops the expired connection; the origin sees it end.
    script = ScriptedOrigin(lambda n, k, head: ok())
    service = '[service.pool]\nidle_timeout = "300ms"\n'
    with Origin(script) as origin, River(config(origin.address, service=service)) as river:
        assert get(river.port("proxy"), "/a").status == 200
        time.sleep(1.0)
        assert get(river.port("proxy"), "/b").status == 200
        deadline = time.monotonic() + 3 * SLOWDOWN
        while 1 not in script.ended and time.monotonic() < deadline:
            time.sleep(0.02)
        assert 1 in script.ended, "the expired upstream connection was never closed"


def _concurrent_gets(port, count):
    results = [None] * count

    def one(i):
        try:
            results[i] = get(port, f"/c{i}").status
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            results[i] = repr(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15 * SLOWDOWN)
    return results


def test_max_idle_per_peer_caps_the_idle_connections_kept():
    # Slow answers make three requests hold three upstream connections at once.
    script = ScriptedOrigin(lambda n, k, head: (time.sleep(0.5), ok())[1])
    service = "[service.pool]\nmax_idle_per_peer = 1\n"
    with Origin(script) as origin, River(config(origin.address, service=service)) as river:
        assert _concurrent_gets(river.port("proxy"), 3) == [200, 200, 200]
        assert origin.connections == 3
        # Two of the three are closed on release; one stays idle in the pool.
        deadline = time.monotonic() + 3 * SLOWDOWN
        while script.ended_count() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        assert script.ended_count() == 2, f"{script.ended_count()} connections closed, not 2"
        assert get(river.port("proxy"), "/after").status == 200
        assert origin.connections == 3, "the one idle connection kept was not reused"
        last_connection = script.targets()[-1][0]
        assert last_connection not in script.ended


def test_max_idle_per_peer_zero_opens_a_connection_per_request():
    script = ScriptedOrigin(lambda n, k, head: ok())
    service = "[service.pool]\nmax_idle_per_peer = 0\n"
    with Origin(script) as origin, River(config(origin.address, service=service)) as river:
        with Client(river.port("proxy")) as client:
            for i in range(3):
                client.send(b"GET /z%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
                assert client.read_response().status == 200
        assert origin.connections == 3
        assert [n for n, _, _ in script.targets()] == [1, 2, 3]


# ---------------------------------------------------------------------------------------------
# Retries


def _dies_on_second_request(n, k, head):
    """Connection 1 answers its first request, then reads the second and closes without a
    byte of answer; every later connection answers normally."""
    if n == 1 and k == 2:
        return None
    return ok(b"answer-from-connection-%d" % n)


@pytest.mark.parametrize("body", [b"field=value", b""], ids=["with-body", "empty-body"])
def test_post_is_not_retried_after_being_written(body):
    script = ScriptedOrigin(_dies_on_second_request)
    with Origin(script) as origin, River(config(origin.address)) as river:
        assert get(river.port("proxy"), "/warm").status == 200
        response = get(river.port("proxy"), "/submit", method="POST", body=body)
        assert response.status == 502, response
        time.sleep(0.3)
        posts = [(n, target) for n, method, target in script.targets() if method == b"POST"]
        assert posts == [(1, b"/submit")], f"origin saw POSTs {posts}"
        lines = river.wait_access_lines(2)
        assert access_field(lines[1], "status") == "502"


def test_get_is_retried_once_on_a_fresh_connection_when_a_reused_one_dies():
    script = ScriptedOrigin(_dies_on_second_request)
    with Origin(script) as origin, River(config(origin.address)) as river:
        assert get(river.port("proxy"), "/warm").status == 200
        response = get(river.port("proxy"), "/retry-me")
        assert response.status == 200, response
        assert response.body == b"answer-from-connection-2"
        assert [t for t in script.targets() if t[2] == b"/retry-me"] == \
            [(1, b"GET", b"/retry-me"), (2, b"GET", b"/retry-me")]
        assert origin.connections == 2


def test_get_is_retried_once_on_the_same_client_connection():
    script = ScriptedOrigin(_dies_on_second_request)
    with Origin(script) as origin, River(config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /warm HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
            client.send(b"GET /retry-me HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_response()
            assert response.status == 200, response
            client.send(b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
        assert [n for n, _, t in script.targets() if t == b"/retry-me"] == [1, 2]


def test_get_is_retried_only_once():
    # Connection 1 dies on its second request, connection 2 on its first.
    def decide(n, k, head):
        if (n == 1 and k == 2) or n == 2:
            return None
        return ok()

    script = ScriptedOrigin(decide)
    with Origin(script) as origin, River(config(origin.address)) as river:
        assert get(river.port("proxy"), "/warm").status == 200
        response = get(river.port("proxy"), "/doomed")
        assert response.status == 502, response
        time.sleep(0.3)
        assert [n for n, _, t in script.targets() if t == b"/doomed"] == [1, 2]


def test_get_is_not_retried_after_a_response_byte_arrived():
    def decide(n, k, head):
        if n == 1 and k == 2:
            return (b"HTTP/1.1 200 OK\r\nContent-Le", "close")
        return ok()

    script = ScriptedOrigin(decide)
    with Origin(script) as origin, River(config(origin.address)) as river:
        assert get(river.port("proxy"), "/warm").status == 200
        response = get(river.port("proxy"), "/half")
        assert response.status == 502, response
        time.sleep(0.3)
        assert [n for n, _, t in script.targets() if t == b"/half"] == [1]
