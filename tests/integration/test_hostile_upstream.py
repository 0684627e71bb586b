"""Hostile upstreams: responses with conflicting or malformed framing, invalid status lines,
1xx floods, an unasked-for 101, bytes beyond the declared length, trailers carrying framing
fields, huge heads and resets mid-body.

The rule River must keep: a response it cannot frame exactly is never passed on as if it were
fine (502 before any byte was sent, a cut-off connection after), and an upstream connection
that sent more than one response's worth of bytes is never reused.
"""
import socket
import struct
import time

import pytest

from harness import SANITIZED, Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin

GET = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"


def one_response(reply, request=GET, timeout=2.0):
    """River in front of an origin that answers `reply` (bytes) to one request and closes.
    Returns the client after reading for `timeout` seconds (or until River closes)."""
    script = ScriptedOrigin(reply=reply, idle=3, close_after_reply=True)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        client = RawClient(river.port("proxy"))
        try:
            client.send(request)
            client.read_until(lambda _: client.final_responses(), timeout)
            client.read_for(0.3)
        finally:
            client.close()
        assert river.proc.poll() is None, "River exited"
        return client


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nX-\xc3\xa9: x\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 600 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 O\rK\r\nContent-Length: 2\r\n\r\nok",
    b"hello world, no status line",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    b"GET /smuggled HTTP/1.1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
], ids=["conflicting-cl", "negative-cl", "plus-cl", "two-numbers-cl", "overflow-cl",
        "space-before-colon-cl", "space-before-colon-te", "nul-in-value", "utf8-name",
        "empty-name", "bare-lf", "four-digit-status", "status-099", "status-600", "http-2.0",
        "http-1.2", "cr-in-reason", "http-0.9", "unasked-101", "gzip-then-chunked"])
def test_response_that_cannot_be_framed_or_trusted_gets_502(reply):
    client = one_response(reply)
    responses = client.final_responses()
    assert [r.status for r in responses] == [502], client.data
    assert b"smuggled" not in client.data and b"okabc" not in client.data


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nok",
], ids=["chunked-then-gzip", "identity"])
def test_response_under_a_transfer_coding_other_than_chunked_gets_502(reply):
    client = one_response(reply)
    assert [r.status for r in client.final_responses()] == [502], client.data


def test_response_with_content_length_and_chunked_is_framed_by_chunked_without_the_length():
    client = one_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
                          b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    responses = client.final_responses()
    assert [r.status for r in responses] == [200], client.data
    assert responses[0].body == b"hello"
    assert not responses[0].has("Content-Length"), responses[0].raw_head


def test_bodyless_status_with_a_body_drops_the_body_and_its_framing():
    for reply in (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
                  b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"):
        client = one_response(reply)
        responses = client.responses()
        assert len(responses) == 1 and responses[0].status in (204, 304), client.data
        assert b"hello" not in client.data
        assert not responses[0].has("Transfer-Encoding"), responses[0].raw_head


@pytest.mark.parametrize("size", [b"0x2", b"-2", b"fffffffffffffffff"],
                         ids=["0x", "minus", "overflow"])
def test_invalid_first_chunk_from_the_upstream_gets_502(size):
    client = one_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + size + b"\r\nok\r\n0\r\n\r\n")
    assert [r.status for r in client.final_responses()] == [502], client.data


def test_bytes_after_the_declared_length_never_answer_the_next_request():
    answers = []

    def handler(conn):
        while conn.read_request() is not None:
            answers.append(1)
            if len(answers) == 1:
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                          b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!")
            else:
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood")

    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(GET)
            assert [r.body for r in client.wait_final_responses(1, timeout=3)] == [b"ok"]
            time.sleep(0.2)
            client.send(GET)
            responses = client.wait_final_responses(2, timeout=3)
            assert [r.body for r in responses] == [b"ok", b"good"], client.data
            assert b"evil" not in client.data


@pytest.mark.parametrize("field", [b"Content-Length: 50", b"Transfer-Encoding: chunked",
                                   b"Connection: close", b"Keep-Alive: timeout=1"],
                         ids=["content-length", "transfer-encoding", "connection", "keep-alive"])
def test_response_trailer_with_a_field_forbidden_in_trailers_is_not_relayed(field):
    client = one_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"2\r\nok\r\n0\r\n" + field + b"\r\n\r\n",
                          request=b"GET / HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\n\r\n")
    responses = client.final_responses()
    assert [r.status for r in responses] == [200], client.data
    assert responses[0].body == b"ok"
    tail = client.data.split(b"\r\n0\r\n", 1)[-1]
    assert field.split(b":")[0].lower() not in tail.lower(), client.data


def test_a_flood_of_2000_early_hints_is_relayed_and_the_final_response_arrives():
    hint = b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
    client = one_response(hint * 2000 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                          timeout=5)
    responses = client.responses()
    assert [r.status for r in responses if r.status != 103] == [200], client.data[-300:]
    assert responses[-1].body == b"ok"


def test_100_continue_flood_from_the_upstream_is_not_relayed():
    client = one_response(b"HTTP/1.1 100 Continue\r\n\r\n" * 20000
                          + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", timeout=5)
    assert [r.status for r in client.responses()] == [200], client.data[:300]


@pytest.mark.parametrize("head", [b"X-A: " + b"a" * 2000000 + b"\r\n", b"X-A: a\r\n" * 100000],
                         ids=["2-MB-field", "100000-fields"])
def test_huge_response_head_gets_502_with_bounded_memory(head):
    script = ScriptedOrigin(reply=b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: 2\r\n\r\nok",
                            idle=3, close_after_reply=True)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        before = river.rss_kib()
        with RawClient(river.port("proxy")) as client:
            client.send(GET)
            assert [r.status for r in client.wait_final_responses(1, timeout=5)] == [502]
        # Growth, not the total: a sanitized build starts far larger (shadow memory).
        grown = river.rss_kib() - before
        assert grown < 32 * 1024 * (4 if SANITIZED else 1), f"RSS grew by {grown} KiB"


def test_upstream_reset_mid_body_cuts_the_client_connection():
    def handler(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
        time.sleep(0.2)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(GET)
            assert client.wait_closed(timeout=3), "River kept the client waiting after a reset"
            assert client.data.endswith(b"\r\n\r\nhalf"), client.data
        assert river.proc.poll() is None
