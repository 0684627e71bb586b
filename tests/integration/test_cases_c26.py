"""C26: HTTP/2 CONTINUATION flood (CVE-2024-27316 family).

A HEADERS frame without END_HEADERS followed by CONTINUATION frames that never end the
block: 200 000 of them carrying a field each (A), empty ones (B), or one a second (C). River
must stop early: GOAWAY (or a bare close) within about a second for A and B — B shows a
frame-count cap, not only a size cap — and after the header timeout for C. Nothing reaches
the origin, and River's memory stays flat."""
import socket
import time

from harness import SLOWDOWN, Origin, River
from cases_wire import RawClient
import h2wire as h2

HEAD = h2.frame(h2.HEADERS, h2.END_STREAM, 1, b"\x82\x86\x84\x01\x0cexample.test")
FIELD = h2.frame(h2.CONTINUATION, 0, 1, b"\x00\x03x-a\x01b")
EMPTY = h2.frame(h2.CONTINUATION, 0, 1, b"")
ACCEPTABLE = (h2.ENHANCE_YOUR_CALM, h2.PROTOCOL_ERROR, 0x9)  # 0x9: COMPRESSION_ERROR


def flood(port, continuation, count=200_000):
    """Sends the flood as fast as River takes it; returns (client, seconds until closed)."""
    client = RawClient(port)
    started = time.monotonic()
    client.send(h2.hello() + HEAD)
    batch = continuation * 1000
    for _ in range(count // 1000):
        if not client.send(batch):
            break
    closed = client.wait_closed(timeout=5)
    elapsed = time.monotonic() - started
    client.close()
    assert closed, "River kept the connection open"
    return client, elapsed


def check_stopped_early(river, origin, client, elapsed, rss_before):
    frames = h2.parse(client.data)
    away = h2.goaway(frames)
    # The case accepts a bare close (nghttpd's answer); River says why with a GOAWAY.
    assert away is not None and away.error in ACCEPTABLE, frames
    assert not any(f.kind == h2.HEADERS and f.stream == 1 for f in frames), frames
    assert elapsed < 3 * SLOWDOWN, f"closed after {elapsed:.2f}s"
    assert origin.received() == b"", origin.received()
    assert river.rss_kib() - rss_before < 20_000


def test_C26_A_continuation_flood_with_fields_is_cut_short():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        rss = river.rss_kib()
        client, elapsed = flood(river.port("proxy"), FIELD)
        check_stopped_early(river, origin, client, elapsed, rss)


def test_C26_B_empty_continuation_frames_hit_a_frame_count_cap():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        rss = river.rss_kib()
        client, elapsed = flood(river.port("proxy"), EMPTY)
        check_stopped_early(river, origin, client, elapsed, rss)


def test_C26_B_fewer_empty_frames_than_a_size_cap_would_ever_notice():
    # Ten empty CONTINUATION frames add no bytes at all: only a count cap stops them.
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        client = RawClient(river.port("proxy"))
        client.send(h2.hello() + HEAD + EMPTY * 10)
        assert client.wait_closed(timeout=3)
        client.close()
        assert origin.received() == b""


def test_C26_C_slow_continuation_trickle_hits_the_header_timeout():
    config = h2.h2c_config("127.0.0.1:9", extra_service="""
[service.timeouts]
request_header = "2s"
""")
    with Origin() as origin, River(config.replace("127.0.0.1:9", origin.address)) as river:
        client = RawClient(river.port("proxy"))
        client.send(h2.hello() + HEAD)
        started = time.monotonic()
        # One CONTINUATION a second, never END_HEADERS; River must end it after ~2 s.
        for _ in range(8):
            if not client.send(FIELD) or client.closed:
                break
            client.read_for(1.0)
        assert client.wait_closed(timeout=3)
        elapsed = time.monotonic() - started
        client.close()
        assert elapsed < 6 * SLOWDOWN, f"closed after {elapsed:.2f}s"
        away = h2.goaway(h2.parse(client.data))
        if away is not None:
            assert away.error in ACCEPTABLE
        assert origin.received() == b""
