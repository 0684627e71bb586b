"""C17: Huge header names, too many headers, oversized header section.

River's defaults: at most 100 header fields, a 64 KiB head and an 8 KiB request line, so B and
C get 431 and D gets 414, each with `Connection: close`, a closed connection and nothing
forwarded. A may be refused or forwarded with the long name intact (River forwards it).
Limits must be applied while reading: the last test sends oversized heads that never end.
"""
import time

from harness import Origin, River, SLOWDOWN, proxy_config
from cases_wire import RawClient, ScriptedOrigin, assert_refused, exchange, origin_requests

LONG_NAME = b"Content-Length0" + b"a" * 255


def test_c17_a_270_byte_header_name_is_refused_or_forwarded_intact():
    assert len(LONG_NAME) == 270
    data = (b"POST / HTTP/1.1\r\nHost: example.test\r\n" + LONG_NAME + b":\r\n"
            b"Content-Length: 5\r\n\r\nhello")
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(data)
            client.wait_final_responses(1, timeout=3)
            if origin.received() == b"":
                client.wait_closed(3)
                assert_refused(client, origin, (400, 431))
                return
            assert [r.status for r in client.final_responses()] == [200], client.data
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        forwarded = requests[0]
        assert forwarded.values(LONG_NAME) == [b""], forwarded.raw_head
        assert b"\r\n" + LONG_NAME + b":" in forwarded.raw_head
        assert forwarded.values("Content-Length") == [b"5"], forwarded.raw_head
        assert forwarded.body == b"hello"


def test_c17_b_200_header_lines_get_431():
    fields = b"".join(b"X-H-%d: v\r\n" % i for i in range(1, 201))
    data = b"GET / HTTP/1.1\r\nHost: example.test\r\n" + fields + b"\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        assert_refused(exchange(river.port("proxy"), data), origin, (431,))


def test_c17_c_70000_byte_value_gets_431():
    data = b"GET / HTTP/1.1\r\nHost: example.test\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        assert_refused(exchange(river.port("proxy"), data), origin, (431,))


def test_c17_d_100_kib_request_target_gets_414():
    data = b"GET /" + b"a" * 102400 + b" HTTP/1.1\r\nHost: example.test\r\n\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        assert_refused(exchange(river.port("proxy"), data), origin, (414, 400))


def test_c17_e_50_short_headers_are_all_forwarded():
    fields = b"".join(b"X-H-%d: v\r\n" % i for i in range(1, 51))
    data = b"GET / HTTP/1.1\r\nHost: example.test\r\n" + fields + b"\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(data)
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in responses] == [200], client.data
        requests, _ = origin_requests(origin)
        assert len(requests) == 1
        for i in range(1, 51):
            assert requests[0].values(b"X-H-%d" % i) == [b"v"], f"X-H-{i} missing"


def test_c17_limits_are_checked_while_reading_not_after_buffering():
    # Heads that never end: River must answer as soon as a limit is crossed, without
    # waiting for the end of the head (which would let a client fill its memory).
    unfinished = {
        431: b"GET / HTTP/1.1\r\nHost: example.test\r\nX-Big: " + b"a" * 70000,
        414: b"GET /" + b"a" * 102400,
    }
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        for status, data in unfinished.items():
            with RawClient(river.port("proxy")) as client:
                started = time.monotonic()
                client.send(data)
                responses = client.wait_final_responses(1, timeout=3)
                elapsed = time.monotonic() - started
                assert [r.status for r in responses] == [status], client.data[:200]
                assert elapsed < 1.5 * SLOWDOWN
                assert client.wait_closed(3)
        assert origin.received() == b""
