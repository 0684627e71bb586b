"""C27: HTTP/2 Rapid Reset (CVE-2023-44487) and MadeYouReset (CVE-2025-8671).

10 000 streams, each a complete GET followed at once by a client RST_STREAM(CANCEL) (A), a
WINDOW_UPDATE of 0 (B, River must reset the stream with PROTOCOL_ERROR) or a DATA frame on
the half-closed stream (B, STREAM_CLOSED). Resets River sends count toward the same budget as
the client's: River answers GOAWAY(ENHANCE_YOUR_CALM) (or a connection error, as nghttpd
does for B) and closes after a bounded number. The slow origin sees far fewer than 10 000
requests, River's CPU returns to idle, and a normal client on a second connection keeps
getting answers during the attack."""
import re
import threading
import time

import pytest

from harness import SLOWDOWN, Origin, River, curl
from cases_wire import RawClient
import h2wire as h2

HDR = b"\x82\x86\x84\x01\x0cexample.test"  # GET http://example.test/


def slow_origin():
    """Answers each request after a second, like the case's recorder."""
    def handle(conn):
        while conn.read_request(timeout=10) is not None:
            time.sleep(1)
            if not conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"):
                return
    return handle


def attack(mode, streams=10_000):
    out = [h2.hello()]
    for sid in range(1, 2 * streams, 2):
        out.append(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, sid, HDR))
        if mode == "rst":
            out.append(h2.frame(h2.RST_STREAM, 0, sid, b"\x00\x00\x00\x08"))
        elif mode == "wu0":
            out.append(h2.frame(h2.WINDOW_UPDATE, 0, sid, b"\x00\x00\x00\x00"))
        else:
            out.append(h2.frame(h2.DATA, 0, sid, b"x"))
    return b"".join(out)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in ticks of 10 ms


@pytest.mark.parametrize("mode", ["rst", "wu0", "data"])
def test_C27_resets_either_way_exhaust_one_budget(mode):
    with Origin(slow_origin()) as origin, River(h2.h2c_config(origin.address)) as river:
        port = river.port("proxy")
        client = RawClient(port)
        client.send(attack(mode))

        # A normal client on a second connection is answered during the attack.
        other = curl("--http2-prior-knowledge", f"http://127.0.0.1:{port}/normal", timeout=10)
        assert other.stdout == b"ok", other

        assert client.wait_closed(timeout=5), "River kept the attacking connection open"
        client.close()
        frames = h2.parse(client.data)
        away = h2.goaway(frames)
        assert away is not None, frames[-5:]
        if mode == "rst":
            assert away.error == h2.ENHANCE_YOUR_CALM, away
        else:
            assert away.error in (h2.ENHANCE_YOUR_CALM, h2.PROTOCOL_ERROR, h2.STREAM_CLOSED), away
        # Bounded: at most a few hundred streams were looked at before the GOAWAY.
        assert away.last_stream < 2 * 1000, away.last_stream

        # Upstream work stays bounded: nowhere near 10 000 requests.
        time.sleep(1.5)
        requests = len(re.findall(rb"GET / HTTP/1.1", origin.received()))
        assert requests <= 100, f"{requests} upstream requests"

        # CPU goes back to idle once the connection is gone.
        before = cpu_seconds(river.proc.pid)
        time.sleep(1.0)
        assert cpu_seconds(river.proc.pid) - before < 0.2


def test_C27_single_reset_of_the_case_is_harmless():
    with Origin(slow_origin()) as origin, River(h2.h2c_config(origin.address)) as river:
        client = RawClient(river.port("proxy"))
        client.send(h2.hello() + h2.frame(h2.HEADERS, 0x05, 1, HDR) +
                    h2.frame(h2.RST_STREAM, 0, 1, b"\x00\x00\x00\x08") + h2.request(3))
        assert client.read_until(lambda d: any(f.stream == 3 and f.kind == h2.DATA
                                               for f in h2.parse(d)), timeout=5)
        assert h2.goaway(h2.parse(client.data)) is None
        client.close()


def test_C27_resets_river_sends_for_malformed_requests_count_too():
    # Each request carries a connection-specific field (RFC 9113 §8.2.2): River itself resets
    # the stream with PROTOCOL_ERROR. Those resets draw on the same budget.
    bad = h2.request_fields(extra=[(b"connection", b"close")])
    payload = h2.hello() + b"".join(h2.request(sid, bad) for sid in range(1, 20_001, 2))
    with Origin(slow_origin()) as origin, River(h2.h2c_config(origin.address)) as river:
        client = RawClient(river.port("proxy"))
        client.send(payload)
        assert client.wait_closed(timeout=5)
        client.close()
        frames = h2.parse(client.data)
        resets = [f for f in frames if f.kind == h2.RST_STREAM]
        assert resets and resets[0].error == h2.PROTOCOL_ERROR, resets[:3]
        assert {f.error for f in resets} <= {h2.PROTOCOL_ERROR, h2.REFUSED_STREAM}, resets
        away = h2.goaway(frames)
        assert away is not None and away.error == h2.ENHANCE_YOUR_CALM, frames[-3:]
        assert len(resets) <= 300, len(resets)
        assert origin.received() == b""
