"""C22: Expect: 100-continue.

River answers the expectation itself when it starts reading the body (so it strips Expect
upstream and drops the origin's own 100). The client sends the head, waits up to 3 s for a
response, then sends the 5-byte body `hello`.
"""
import time

from harness import Origin, River, SLOWDOWN, proxy_config
from cases_wire import RawClient, ScriptedOrigin, head_of, origin_recv, parse_messages

HEAD = (b"POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\n\r\n")


def expect_exchange(port, head):
    """Head, wait up to 3 s for any response, body. Returns (client, seconds to first byte)."""
    client = RawClient(port)
    started = time.monotonic()
    client.send(head)
    client.read_until(lambda d: b"\r\n\r\n" in d, timeout=3)
    first = time.monotonic() - started if client.data else None
    client.send(b"hello")
    client.wait_final_responses(1, timeout=5)
    client.read_for(0.5)
    client.close()
    return client, first


def interim_statuses(client):
    return [r.status for r in client.responses() if r.status < 200]


def honouring_origin(conn):
    """Sends 100 as soon as a head is in (whether or not Expect was forwarded), then 200
    once the 5 body bytes are in."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data, ending = origin_recv(conn, 5.0)
        if ending:
            return
        buffer += data
    conn.send(b"HTTP/1.1 100 Continue\r\nX-From: origin\r\n\r\n")
    while not buffer.endswith(b"hello") and b"0\r\n\r\n" not in buffer.split(b"hello")[-1]:
        data, ending = origin_recv(conn, 5.0)
        if ending:
            return
        buffer += data
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    origin_recv(conn, 2.0)


def test_c22_a_origin_that_honours_expect_gives_exactly_one_100():
    with Origin(honouring_origin) as origin, River(proxy_config(origin.address)) as river:
        client, first = expect_exchange(river.port("proxy"), HEAD)
        assert first is not None and first < 1.0 * SLOWDOWN, f"no 100 within 1 s: {client.data!r}"
        assert interim_statuses(client) == [100], client.data
        assert [(r.status, r.body) for r in client.final_responses()] == [(200, b"ok")]
        forwarded = head_of(origin.received())
        hundred = client.responses()[0]
        if not hundred.has("X-From"):
            # River answered the expectation itself: it must not pass Expect on.
            assert not forwarded.has("Expect"), forwarded.raw_head


def refusing_origin(conn):
    """Answers 401 and closes right after the head, without reading any body."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data, ending = origin_recv(conn, 5.0)
        if ending:
            return
        buffer += data
    conn.send(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()


def test_c22_b_origin_refusing_early_gets_its_401_to_the_client():
    with Origin(refusing_origin) as origin, River(proxy_config(origin.address)) as river:
        client, first = expect_exchange(river.port("proxy"), HEAD)
        assert [r.status for r in client.final_responses()] == [401], client.data
        assert interim_statuses(client) in ([], [100]), client.data
        # The body sent afterwards was discarded or the connection closed: no second answer.
        assert len(client.final_responses()) == 1


def test_c22_c_origin_ignoring_expect_still_gets_the_body_without_deadlock():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        started = time.monotonic()
        client, first = expect_exchange(river.port("proxy"), HEAD)
        assert interim_statuses(client) == [100], client.data
        assert [(r.status, r.body) for r in client.final_responses()] == [(200, b"ok")]
        assert time.monotonic() - started < 3.0 * SLOWDOWN
        requests, _ = parse_messages(origin.received(), eof=False)
        assert len(requests) == 1 and requests[0].body == b"hello"


def test_c22_http10_expect_is_ignored_and_no_100_is_sent():
    head = (b"POST /upload HTTP/1.0\r\nHost: example.test\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n")
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(head)
            client.read_for(1.0)
            assert client.data == b"", f"answered before the body: {client.data!r}"
            client.send(b"hello")
            client.wait_final_responses(1, timeout=3)
            client.read_for(0.2)
        assert interim_statuses(client) == [], client.data
        assert [(r.status, r.body) for r in client.final_responses()] == [(200, b"ok")]


def test_c22_other_expectation_gets_417_or_is_ignored():
    head = (b"POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n"
            b"Expect: x-foo\r\n\r\nhello")
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(head)
            responses = client.wait_final_responses(1, timeout=3)
        # 417 is a MAY (RFC 9110 §10.1.1); River sends it, without forwarding anything.
        assert [r.status for r in responses] in ([417], [200]), client.data
        if responses[0].status == 417:
            assert origin.received() == b""
