"""HTTP/2 client connections: real clients (curl, nghttp, h2load) over h2c with prior
knowledge and over TLS with ALPN, request and response translation, bodies both ways with
flow control, validation per RFC 9113 §8, and the protections (floods, header list size,
concurrency, idle timeout, graceful shutdown)."""
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import SLOWDOWN, NginxOrigin, Origin, River, curl
from cases_wire import RawClient
from tls_certs import CertificateAuthority
import h2wire as h2


@pytest.fixture
def www():
    """A directory nginx's worker (which may run as another user) can read."""
    root = Path(tempfile.mkdtemp(prefix="river-www-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def port_of(river):
    return river.port("proxy")


def exchange(port, data, streams=(1,), timeout=5):
    """Sends raw frames and reads until every stream in `streams` ended or was reset."""
    client = RawClient(port)
    client.send(data)

    def done(d):
        answers = h2.responses(h2.parse(d))
        return all(s in answers and (answers[s]["ended"] or answers[s]["reset"] is not None)
                   for s in streams)
    client.read_until(done, timeout=timeout)
    client.close()
    return h2.responses(h2.parse(client.data)), h2.parse(client.data)


def test_curl_prior_knowledge_gets_the_origin_answer_and_access_log_says_http2():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        result = curl("--http2-prior-knowledge", "-w", "%{http_version}",
                      f"http://127.0.0.1:{port_of(river)}/path?q=1")
        assert result.stdout == b"ok2", result
        received = origin.received()
        assert received.startswith(b"GET /path?q=1 HTTP/1.1\r\n"), received
        assert re.search(rb"(?i)\r\nhost: 127\.0\.0\.1:\d+\r\n", received)
        assert b"x-forwarded-proto: http" in received.lower()
        assert b"via: 2 river" in received.lower()
        lines = river.wait_access_lines(1)
        assert "protocol=HTTP/2.0" in lines[0] and "status=200" in lines[0], lines


def test_http1_still_works_on_an_h2c_listener():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        result = curl("--http1.1", "-w", "%{http_version}", f"http://127.0.0.1:{port_of(river)}/")
        assert result.stdout == b"ok1.1", result


def test_tls_alpn_h2_with_curl_and_nghttp(tmp_path):
    ca = CertificateAuthority(tmp_path / "ca")
    cert, key = ca.leaf("leaf", ["localhost"])
    with Origin() as origin:
        config = h2.h2c_config(origin.address).replace("h2 = true", f"""
[service.listener.tls]
certificates = [{{ certificate = "{cert}", key = "{key}" }}]""")
        with River(config) as river:
            url = f"https://127.0.0.1:{port_of(river)}/tls"
            result = curl("--http2", "--cacert", str(ca.cert), "-w", "%{http_version}", url)
            assert result.stdout == b"ok2", result
            assert b"x-forwarded-proto: https" in origin.received().lower()
            nghttp = subprocess.run(["nghttp", "-nv", url], capture_output=True, timeout=10)
            assert b":status: 200" in nghttp.stdout, nghttp.stdout[-2000:]
            # Response fields are lower-case and carry no connection-specific fields.
            head = nghttp.stdout.split(b":status: 200")[1]
            assert not re.search(rb"recv \(stream_id=\d+\) (connection|keep-alive|transfer-encoding):",
                                 head)


def test_h2load_many_streams_all_succeed(www):
    root = www
    (root / "index.html").write_bytes(b"x" * 1000)
    with NginxOrigin(root) as nginx, River(h2.h2c_config(nginx.address)) as river:
        result = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "20",
                                 f"http://127.0.0.1:{port_of(river)}/index.html"],
                                capture_output=True, timeout=60)
        out = result.stdout.decode()
        assert "2000 succeeded" in out and "2000 2xx" in out, out


def test_request_body_with_content_length_reaches_origin_intact(tmp_path):
    body = bytes(range(256)) * 4096  # 1 MiB: many windows' worth
    path = tmp_path / "body"
    path.write_bytes(body)

    def echo_length(conn):
        while (request := conn.read_request(timeout=10)) is not None:
            answer = str(len(request[1])).encode()
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))

    with Origin(echo_length) as origin, River(h2.h2c_config(origin.address)) as river:
        result = curl("--http2-prior-knowledge", "--data-binary", f"@{path}",
                      f"http://127.0.0.1:{port_of(river)}/upload")
        assert result.stdout == str(len(body)).encode(), result
        assert origin.received().endswith(body)


def test_request_body_without_length_goes_upstream_chunked_with_trailers():
    fields = h2.request_fields(method=b"POST", extra=[(b"te", b"trailers")])
    data = (h2.hello() + h2.frame(h2.HEADERS, h2.END_HEADERS, 1, h2.block(fields)) +
            h2.frame(h2.DATA, 0, 1, b"hello ") + h2.frame(h2.DATA, 0, 1, b"world") +
            h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1,
                     h2.block([(b"x-checksum", b"abc")])))
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        answers, _ = exchange(port_of(river), data)
        assert h2.status_of(answers[1]) == 200, answers
        received = origin.received()
        assert b"transfer-encoding: chunked" in received.lower()
        assert b"hello " in received and b"world" in received
        assert re.search(rb"\r\n0\r\nx-checksum: abc\r\n\r\n", received), received
        assert b"\r\nte:" not in received.lower()


def test_response_body_of_unknown_length_ends_with_end_stream_and_trailers():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n"
               b"3\r\nabc\r\n2\r\nde\r\n0\r\nx-t: 1\r\n\r\n")

    def handle(conn):
        conn.read_request()
        conn.send(chunked)

    with Origin(handle) as origin, River(h2.h2c_config(origin.address)) as river:
        answers, _ = exchange(port_of(river), h2.hello() + h2.request(1))
        assert answers[1]["body"] == b"abcde", answers
        names = [n for n, _ in answers[1]["headers"]]
        assert "transfer-encoding" not in names and "content-length" not in names
        assert ("x-t", "1") in answers[1]["headers"], answers[1]["headers"]


@pytest.mark.parametrize("extra", [
    [(b"connection", b"keep-alive")], [(b"keep-alive", b"5")], [(b"proxy-connection", b"x")],
    [(b"transfer-encoding", b"chunked")], [(b"upgrade", b"websocket")], [(b"te", b"gzip")],
])
def test_connection_specific_fields_are_a_stream_error_and_never_forwarded(extra):
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        data = h2.hello() + h2.request(1, h2.request_fields(extra=extra)) + h2.request(3)
        answers, _ = exchange(port_of(river), data, streams=(1, 3))
        assert answers[1]["reset"] == h2.PROTOCOL_ERROR, answers
        assert h2.status_of(answers[3]) == 200  # the connection goes on
        assert origin.received().count(b"GET / HTTP/1.1") == 1


@pytest.mark.parametrize("fields", [
    [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"a.test")],  # no :path
    [(b":method", b"GET"), (b":path", b"/"), (b":authority", b"a.test")],  # no :scheme
    [(b":scheme", b"http"), (b":path", b"/"), (b":authority", b"a.test")],  # no :method
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"), (b"x", b"1"),
     (b":authority", b"a.test")],  # pseudo-header after a field
    [(b":method", b"GET"), (b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/")],
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/a b"),
     (b":authority", b"a.test")],  # space in :path
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"a.test"), (b"X-Upper", b"1")],  # upper-case name
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"a.test"), (b"x", b"a\nb")],  # LF in a value
])
def test_malformed_pseudo_headers_and_fields_are_reset(fields):
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        answers, _ = exchange(port_of(river), h2.hello() + h2.request(1, fields))
        assert answers[1]["reset"] == h2.PROTOCOL_ERROR, answers
        assert origin.received() == b""


def test_content_length_must_match_the_data():
    fields = h2.request_fields(method=b"POST", extra=[(b"content-length", b"10")])
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        answers, _ = exchange(port_of(river), h2.hello() + h2.request(1, fields, data=b"abc"))
        assert answers[1]["reset"] == h2.PROTOCOL_ERROR, answers
        # Whatever reached the origin is a request it can never see complete.
        assert b"abc" not in origin.received() or b"content-length: 10" in origin.received()


def test_oversized_header_list_gets_431_and_settings_advertise_the_limit():
    config = h2.h2c_config("ORIGIN", extra_service="""
[service.limits]
max_header_bytes = 4096
""")
    big = [(b"x-big-%d" % i, b"v" * 100) for i in range(60)]
    with Origin() as origin, River(config.replace("ORIGIN", origin.address)) as river:
        answers, frames = exchange(port_of(river),
                                   h2.hello() + h2.request(1, h2.request_fields(extra=big)))
        settings = next(f for f in frames if f.kind == h2.SETTINGS and not f.flags & h2.ACK)
        assert settings.settings()[0x6] == 4096  # SETTINGS_MAX_HEADER_LIST_SIZE
        assert settings.settings()[0x3] == 100  # SETTINGS_MAX_CONCURRENT_STREAMS
        assert h2.status_of(answers[1]) == 431, answers
        assert origin.received() == b""


def flood_frames(frame_bytes, count=100_000):
    return h2.hello() + frame_bytes * count


@pytest.mark.parametrize("name,frame_bytes", [
    ("ping", h2.frame(h2.PING, 0, 0, b"12345678")),
    ("settings", h2.frame(h2.SETTINGS, 0, 0, b"")),
    ("window_update", h2.frame(h2.WINDOW_UPDATE, 0, 0, b"\x00\x00\x00\x01")),
    ("priority", h2.frame(h2.PRIORITY, 0, 1, b"\x00\x00\x00\x00\x10")),
])
def test_control_frame_floods_end_with_enhance_your_calm(name, frame_bytes):
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        client = RawClient(port_of(river))
        started = time.monotonic()
        client.send(flood_frames(frame_bytes))
        assert client.wait_closed(timeout=5), name
        elapsed = time.monotonic() - started
        client.close()
        away = h2.goaway(h2.parse(client.data))
        assert away is not None and away.error == h2.ENHANCE_YOUR_CALM, (name, away)
        assert elapsed < 3 * SLOWDOWN
        acks = sum(1 for f in h2.parse(client.data) if f.kind in (h2.PING, h2.SETTINGS))
        assert acks <= 1100, acks


def test_idle_connection_gets_goaway_after_keepalive_timeout():
    config = h2.h2c_config("ORIGIN", extra_service="""
[service.timeouts]
keepalive = "1s"
""")
    with Origin() as origin, River(config.replace("ORIGIN", origin.address)) as river:
        client = RawClient(port_of(river))
        client.send(h2.hello() + h2.request(1))
        started = time.monotonic()
        # PINGs do not keep an idle connection open.
        for _ in range(3):
            client.send(h2.frame(h2.PING, 0, 0, b"abcdefgh"))
            client.read_for(0.3)
        assert client.wait_closed(timeout=3)
        elapsed = time.monotonic() - started
        client.close()
        away = h2.goaway(h2.parse(client.data))
        assert away is not None and away.error == h2.NO_ERROR and away.last_stream == 1
        assert 0.8 < elapsed < 3 * SLOWDOWN


def test_new_connection_without_a_request_gets_the_header_timeout():
    config = h2.h2c_config("ORIGIN", extra_service="""
[service.timeouts]
request_header = "1s"
""")
    with Origin() as origin, River(config.replace("ORIGIN", origin.address)) as river:
        client = RawClient(port_of(river))
        client.send(h2.hello())
        assert client.wait_closed(timeout=4)
        client.close()


def test_slow_reader_holds_the_upstream_back_memory_stays_bounded(www):
    root = www
    (root / "big").write_bytes(b"y" * (64 * 1024 * 1024))
    with NginxOrigin(root) as nginx, River(h2.h2c_config(nginx.address)) as river:
        rss = river.rss_kib()
        client = RawClient(port_of(river))
        # The client never sends WINDOW_UPDATE: River may send 65 535 bytes, no more.
        client.send(h2.hello() + h2.request(1, h2.request_fields(path=b"/big")))
        client.read_for(1.5)
        data = sum(len(f.payload) for f in h2.parse(client.data) if f.kind == h2.DATA)
        assert data <= 65535
        assert river.rss_kib() - rss < 8 * 1024, river.rss_kib() - rss
        # Opening the windows lets the rest flow.
        client.send(h2.frame(h2.WINDOW_UPDATE, 0, 0, b"\x00\x10\x00\x00") +
                    h2.frame(h2.WINDOW_UPDATE, 0, 1, b"\x00\x10\x00\x00"))
        client.read_for(0.5)
        more = sum(len(f.payload) for f in h2.parse(client.data) if f.kind == h2.DATA)
        assert more > data
        client.close()


def test_sigterm_sends_goaway_and_lets_the_stream_in_flight_finish():
    def slow(conn):
        if conn.read_request() is not None:
            time.sleep(1)
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")

    with Origin(slow) as origin, River(h2.h2c_config(origin.address)) as river:
        client = RawClient(port_of(river))
        client.send(h2.hello() + h2.request(1))
        assert origin.wait_received(b"GET / HTTP/1.1")
        river.proc.send_signal(signal.SIGTERM)
        client.read_until(lambda d: h2.responses(h2.parse(d)).get(1, {}).get("ended"), timeout=5)
        frames = h2.parse(client.data)
        answers = h2.responses(frames)
        assert answers[1]["body"] == b"slow", frames
        assert h2.goaway(frames) is not None
        assert client.wait_closed(timeout=5)
        client.close()
        assert river.proc.wait(timeout=10) == 0


def test_service_http2_table_sets_settings_and_budgets():
    config = h2.h2c_config("ORIGIN", extra_service="""
[service.http2]
max_concurrent_streams = 7
initial_stream_window = 1000
reset_burst = 20
reset_refill_per_second = 0
""")
    with Origin() as origin, River(config.replace("ORIGIN", origin.address)) as river:
        client = RawClient(port_of(river))
        hdr = h2.block(h2.request_fields())
        client.send(h2.hello() + b"".join(
            h2.frame(h2.HEADERS, 0x05, sid, hdr) + h2.frame(h2.RST_STREAM, 0, sid, b"\0\0\0\x08")
            for sid in range(1, 201, 2)))
        assert client.wait_closed(timeout=5)
        client.close()
        frames = h2.parse(client.data)
        settings = next(f for f in frames if f.kind == h2.SETTINGS and not f.flags & h2.ACK)
        assert settings.settings()[0x3] == 7 and settings.settings()[0x4] == 1000
        away = h2.goaway(frames)
        assert away is not None and away.error == h2.ENHANCE_YOUR_CALM
        assert away.last_stream <= 2 * 21 + 1, away.last_stream
