"""C32: Large bodies, body limits and backpressure.

Sizes are bounded for CI: 256 MiB instead of 1 GiB (64 MiB in sanitized builds), through an
origin that reads (or a client that reads) at about 100 MiB/s, far below what loopback
carries, so River must stop reading from the fast side instead of buffering. River's resident
memory may grow by less than 64 MiB over its baseline. C and D run with
`max_request_body_bytes` = 10 MiB.
"""
import threading
import time

from harness import SANITIZED, Origin, River, SLOWDOWN, proxy_config
from cases_wire import RawClient, ScriptedOrigin, wait_until

MIB = 1024 * 1024
SIZE = (64 if SANITIZED else 256) * MIB  # sanitized builds are several times slower
RATE = 100 * MIB  # bytes per second at the slow end
MAX_GROWTH_KIB = 64 * 1024
LIMITED = "[service.limits]\nmax_request_body_bytes = 10485760\n"


class RssSampler:
    """Samples River's resident set size every 20 ms while running."""

    def __init__(self, river):
        self.river = river
        self.baseline = river.rss_kib()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.river.rss_kib())
            except OSError:
                return
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def growth_kib(self):
        return self.peak - self.baseline


class BodyCounter:
    """Counts the data bytes of a request body fed to it in pieces (by Content-Length or
    strict chunked framing) and knows when it is complete."""

    def __init__(self, head):
        lower = head.lower()
        self.chunked = b"transfer-encoding: chunked" in lower
        self.remaining = None
        if not self.chunked:
            self.remaining = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
        self.count = 0
        self.done = self.remaining == 0
        self.state = "size"
        self.line = b""
        self.chunk_left = 0

    def feed(self, data):
        if not self.chunked:
            take = min(len(data), self.remaining)
            self.count += take
            self.remaining -= take
            self.done = self.remaining == 0
            return
        at = 0
        while at < len(data) and not self.done:
            if self.state == "data":
                take = min(self.chunk_left, len(data) - at)
                self.count += take
                self.chunk_left -= take
                at += take
                if self.chunk_left == 0:
                    self.state = "crlf"
                continue
            end = data.find(b"\n", at)
            if end < 0:
                self.line += data[at:]
                return
            self.line += data[at:end + 1]
            at = end + 1
            line, self.line = self.line, b""
            assert line.endswith(b"\r\n"), line
            if self.state == "crlf":
                assert line == b"\r\n", line
                self.state = "size"
            elif self.state == "size":
                self.chunk_left = int(line[:-2].split(b";")[0], 16)
                self.state = "data" if self.chunk_left else "trailer"
            elif self.state == "trailer" and line == b"\r\n":
                self.done = True


def slow_sink(stats, rate=RATE):
    """Origin handler: reads one request at about `rate` bytes/s without keeping the body,
    then answers `200 ok` and closes. `stats` gets the body count and how the read ended."""
    def handle(conn):
        sock = conn.sock
        sock.settimeout(10 * SLOWDOWN)
        buffer = b""
        try:
            while b"\r\n\r\n" not in buffer:
                data = sock.recv(65536)
                if not data:
                    stats["ending"] = "eof"
                    return
                buffer += data
            head, rest = buffer.split(b"\r\n\r\n", 1)
            conn.record.extend(head + b"\r\n\r\n")
            counter = BodyCounter(head + b"\r\n")
            counter.feed(rest)
            started = time.monotonic()
            received = len(rest)
            while not counter.done:
                data = sock.recv(MIB)
                if not data:
                    stats["ending"] = "eof"
                    return
                counter.feed(data)
                received += len(data)
                stats["count"] = counter.count
                ahead = received / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            stats["count"] = counter.count
            stats["ending"] = "complete"
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError as error:
            stats["ending"] = f"error {error}"
    return handle


def warm_up(river):
    with RawClient(river.port("proxy")) as client:
        client.send(b"GET /warm HTTP/1.1\r\nHost: example.test\r\nContent-Length: 0\r\n\r\n")
        client.wait_final_responses(1, timeout=3)


def sender(client, pieces):
    thread = threading.Thread(target=lambda: [client.send(p) for p in pieces], daemon=True)
    thread.start()
    return thread


def upload(head, pieces):
    stats = {}
    warm = ScriptedOrigin()

    def handler(conn):
        # The first connection is the warm-up; the next one is the upload.
        return warm(conn) if not warm.requests and not warm.endings else slow_sink(stats)(conn)

    with Origin(handler) as origin, \
            River(proxy_config(origin.address, extra_service="[service.pool]\n"
                                                             "max_idle_per_peer = 0\n")) as river:
        warm_up(river)
        assert wait_until(lambda: warm.endings, timeout=3)
        with RssSampler(river) as rss, RawClient(river.port("proxy")) as client:
            thread = sender(client, [head] + pieces)
            responses = client.wait_final_responses(1, timeout=30)
            thread.join(10 * SLOWDOWN)
        assert [(r.status, r.body) for r in responses] == [(200, b"ok")], client.data[:300]
        assert stats.get("ending") == "complete", stats
        assert stats["count"] == SIZE
        assert rss.growth_kib() < MAX_GROWTH_KIB, f"RSS grew by {rss.growth_kib()} KiB"


def test_c32_a_large_content_length_upload_is_streamed_with_bounded_memory():
    block = bytes(MIB)
    head = b"POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: %d\r\n\r\n" % SIZE
    upload(head, [block] * (SIZE // MIB))


def test_c32_b_large_chunked_upload_is_streamed_with_bounded_memory():
    chunk = b"100000\r\n" + bytes(MIB) + b"\r\n"
    head = b"POST /upload HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
    upload(head, [chunk] * (SIZE // MIB) + [b"0\r\n\r\n"])


def test_c32_c_declared_length_over_the_limit_gets_413_before_any_body():
    with Origin(ScriptedOrigin()) as origin, \
            River(proxy_config(origin.address, extra_service=LIMITED)) as river:
        with RawClient(river.port("proxy")) as client:
            started = time.monotonic()
            client.send(b"POST /limited HTTP/1.1\r\nHost: example.test\r\n"
                        b"Content-Length: 1073741824\r\n\r\n")
            responses = client.wait_final_responses(1, timeout=3)
            assert time.monotonic() - started < 1.0 * SLOWDOWN
            assert [r.status for r in responses] == [413], client.data
            assert b"close" in responses[0].tokens("Connection")
            assert client.wait_closed(5), "connection left open after 413"
        assert origin.received() == b""


def test_c32_d_chunked_body_crossing_the_limit_gets_413_and_upstream_is_aborted():
    script = ScriptedOrigin(idle=10)
    chunk = b"100000\r\n" + bytes(MIB) + b"\r\n"
    with Origin(script) as origin, \
            River(proxy_config(origin.address, extra_service=LIMITED)) as river:
        with RawClient(river.port("proxy")) as client:
            head = (b"POST /limited HTTP/1.1\r\nHost: example.test\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n")
            thread = sender(client, [head] + [chunk] * 20 + [b"0\r\n\r\n"])
            responses = client.wait_final_responses(1, timeout=10)
            assert [r.status for r in responses] == [413], client.data[:300]
            assert b"close" in responses[0].tokens("Connection")
            assert client.wait_closed(5), "connection left open after 413"
            thread.join(10 * SLOWDOWN)
        endings = script.wait_endings(origin.connections, timeout=5)
        assert len(endings) == origin.connections, "upstream connection left open"
        assert set(endings) <= {"eof", "reset"}, endings
        assert script.requests == [], "the upstream request was completed"
        assert len(origin.received()) < 11 * MIB


def test_c32_e_large_response_to_slow_client_is_streamed_with_bounded_memory():
    block = bytes(MIB)

    def big_response(conn):
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = conn.recv_some()
            if not data:
                return
            buffer += data
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % SIZE)
        for _ in range(SIZE // MIB):
            if not conn.send(block):
                return

    with Origin(big_response) as origin, River(proxy_config(origin.address)) as river:
        with RssSampler(river) as rss, RawClient(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
            assert client.read_until(lambda d: b"\r\n\r\n" in d, timeout=5)
            head, body = client.data.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 200 "), head
            received = len(body)
            client.data = b""
            started = time.monotonic()
            client.sock.settimeout(10 * SLOWDOWN)
            while received < SIZE:
                data = client.sock.recv(MIB)
                if not data:
                    break
                received += len(data)
                ahead = received / RATE - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        assert received == SIZE
        assert rss.growth_kib() < MAX_GROWTH_KIB, f"RSS grew by {rss.growth_kib()} KiB"
