"""Bodies are streamed, never buffered whole: River's resident memory stays flat while a
1 GiB body goes through it in either direction (128 MiB under sanitizers)."""
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness import SANITIZED, SLOWDOWN, NginxOrigin, Origin, River, curl, proxy_config
from proxy_client import Client

SIZE = (128 << 20) if SANITIZED else (1 << 30)
MAX_GROWTH_KIB = 32 * 1024
BLOCK = bytes(range(256)) * 4096  # 1 MiB


class RssSampler:
    """Samples River's resident set size every 20 ms in a thread until stopped."""

    def __init__(self, river):
        self.river = river
        self.baseline = river.rss_kib()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.river.rss_kib())
            except OSError:
                return
            time.sleep(0.02)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.peak - self.baseline


def counting_sink(conn):
    """Origin handler: reads one request with a Content-Length body without keeping it and
    answers with the number of body bytes it got."""
    sock = conn.sock
    sock.settimeout(10 * SLOWDOWN)
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(65536)
        if not data:
            return
        head += data
    head, rest = head.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    got = len(rest)
    buffer = bytearray(1 << 20)
    while got < length:
        n = sock.recv_into(buffer)
        if n == 0:
            break
        got += n
    answer = str(got).encode()
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))


def warm_up(river):
    """One small request, so that the baseline includes what any request allocates."""
    result = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", river.url("proxy", "/warm"),
                  "--data-binary", "x" * 100)
    assert result.stdout in (b"200", b"404", b"405"), result


def test_large_upload_is_streamed_in_constant_memory():
    with Origin(counting_sink) as origin, River(proxy_config(origin.address)) as river:
        warm_up(river)
        sampler = RssSampler(river)
        started = time.monotonic()
        with Client(river.port("proxy"), timeout=30) as client:
            client.send(b"PUT /sink HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % SIZE)
            view = memoryview(BLOCK)
            for _ in range(SIZE // len(BLOCK)):
                client.sock.sendall(view)
            response = client.read_response(timeout=30)
        elapsed = time.monotonic() - started
        growth = sampler.stop()
        assert response.status == 200, response
        assert response.body == str(SIZE).encode()
        assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB during the upload"
        assert elapsed < 30 * SLOWDOWN, elapsed


@pytest.fixture
def sparse_file():
    root = Path(tempfile.mkdtemp(prefix="river-mem-"))
    root.chmod(0o755)
    path = root / "big.bin"
    with open(path, "wb") as f:
        f.truncate(SIZE)
    path.chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_large_download_is_streamed_in_constant_memory(sparse_file):
    with NginxOrigin(sparse_file) as nginx, River(proxy_config(nginx.address)) as river:
        warm_up(river)
        sampler = RssSampler(river)
        started = time.monotonic()
        with Client(river.port("proxy"), timeout=30) as client:
            client.send(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_head(timeout=30)
            assert response.status == 200
            assert response.header("Content-Length") == str(SIZE)
            got = len(client.buffer)
            client.buffer = b""
            buffer = bytearray(1 << 20)
            zero = True
            client.sock.settimeout(30 * SLOWDOWN)
            while got < SIZE:
                n = client.sock.recv_into(buffer)
                if n == 0:
                    break
                if zero and buffer[:n].count(0) != n:
                    zero = False
                got += n
        elapsed = time.monotonic() - started
        growth = sampler.stop()
        assert got == SIZE
        assert zero, "the sparse file came through with non-zero bytes"
        assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB during the download"
        assert elapsed < 30 * SLOWDOWN, elapsed


def test_slow_reader_does_not_make_river_buffer_the_response():
    """The origin can send far faster than the client reads: River must apply
    back-pressure to the origin instead of holding the difference in memory."""
    size = 256 << 20 if not SANITIZED else 64 << 20

    def fast_source(conn):
        while True:
            got = conn.read_request()
            if got is None:
                return
            if got[0].startswith(b"GET /fast "):
                break
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.sock.settimeout(20 * SLOWDOWN)
        try:
            conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            view = memoryview(BLOCK)
            for _ in range(size // len(BLOCK)):
                conn.sock.sendall(view)
        except OSError:
            return

    with Origin(fast_source) as origin, River(proxy_config(origin.address)) as river:
        warm_up(river)
        sampler = RssSampler(river)
        with Client(river.port("proxy"), timeout=20) as client:
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            client.send(b"GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
            # Read nothing for a while: the origin would happily send everything now.
            time.sleep(1.0)
            stalled_growth = river.rss_kib() - sampler.baseline
            response = client.read_head(timeout=20)
            assert response.status == 200
            got = len(client.buffer)
            buffer = bytearray(1 << 20)
            client.sock.settimeout(20 * SLOWDOWN)
            while got < size:
                n = client.sock.recv_into(buffer)
                if n == 0:
                    break
                got += n
        growth = sampler.stop()
        assert stalled_growth < MAX_GROWTH_KIB, stalled_growth
        assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB"
        assert got == size
