"""C21: An answer given without consuming the request body.

Each request carries a body that looks like a request (`GET /admin`). Whoever answers early,
the client receives exactly one final response, and the body bytes are never parsed as a
request, neither by River nor on an upstream connection.

The case's own trigger, a `/denied` path that River refuses itself, waits for path rules.
Until then two kinds of early answer are tested:
- the origin answers 403 as soon as it has the head, without reading the body: River still
  forwards the body as the POST's body (it sends the whole request before reading the
  answer), and only as that;
- River answers on its own before reading the body: 502 when the upstream refuses
  connections, 413 when the declared length is over `max_request_body_bytes`.
River then either reads and discards the body (small Content-Length bodies) or announces
`Connection: close` and closes; either is accepted.
"""
import time

from harness import Origin, River, free_port, proxy_config
from cases_wire import RawClient, answer_after_head, per_connection_requests

SMUGGLED = b"GET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n"
HEAD_CL = b"POST /denied HTTP/1.1\r\nHost: example.test\r\nContent-Length: 43\r\n"
CASE_A = HEAD_CL + b"\r\n" + SMUGGLED
CASE_B = (b"POST /denied HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"2b\r\n" + SMUGGLED + b"\r\n0\r\n\r\n")
CASE_C_HEAD = HEAD_CL + b"Expect: 100-continue\r\n\r\n"
FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden"


def converse(port, pieces):
    """Sends each (bytes, delay) piece, then listens for a second (a second response to the
    body would have arrived by then). Returns the client."""
    client = RawClient(port)
    for data, delay in pieces:
        time.sleep(delay)
        client.send(data)
    client.wait_final_responses(1, timeout=5)
    client.read_for(1.0)
    client.close()
    return client


def check_one_response(client, status):
    responses = client.final_responses()
    assert [r.status for r in responses] == [status], client.data
    interim = [r.status for r in client.responses() if 100 <= r.status < 200]
    assert interim in ([], [100]), client.data
    if b"close" in responses[0].tokens("Connection"):
        assert client.closed, "Connection: close announced but the connection stayed open"


def check_origin_saw_body_only_as_body(origin):
    seen = per_connection_requests(origin)
    assert len(seen) == 1, f"{len(seen)} upstream connections"
    requests, leftover = seen[0]
    assert [r.method for r in requests] == [b"POST"], origin.received()
    assert requests[0].body == SMUGGLED
    assert leftover == b"", f"more bytes upstream after the POST: {leftover!r}"


def early_origin_case(pieces):
    with Origin(answer_after_head(FORBIDDEN)) as origin, \
            River(proxy_config(origin.address)) as river:
        client = converse(river.port("proxy"), pieces)
        check_one_response(client, 403)
        assert client.final_responses()[0].body == b"forbidden"
        check_origin_saw_body_only_as_body(origin)


def refused_upstream_case(pieces):
    with River(proxy_config(f"127.0.0.1:{free_port()}")) as river:
        client = converse(river.port("proxy"), pieces)
        check_one_response(client, 502)


def test_c21_a_content_length_body_after_early_origin_answer_is_not_a_request():
    early_origin_case([(CASE_A, 0)])


def test_c21_a_content_length_body_after_local_502_is_not_a_request():
    refused_upstream_case([(CASE_A, 0)])


def test_c21_a_content_length_body_after_local_413_is_not_a_request():
    limits = "[service.limits]\nmax_request_body_bytes = 10\n"
    with Origin(answer_after_head(FORBIDDEN)) as origin, \
            River(proxy_config(origin.address, extra_service=limits)) as river:
        client = converse(river.port("proxy"), [(CASE_A, 0)])
        check_one_response(client, 413)
        assert origin.received() == b""


def test_c21_b_chunked_body_after_early_origin_answer_is_not_a_request():
    early_origin_case([(CASE_B, 0)])


def test_c21_b_chunked_body_after_local_502_is_not_a_request():
    refused_upstream_case([(CASE_B, 0)])


def test_c21_c_expect_100_body_after_early_origin_answer_is_not_a_request():
    early_origin_case([(CASE_C_HEAD, 0), (SMUGGLED, 1.0)])


def test_c21_c_expect_100_body_after_local_502_is_not_a_request():
    refused_upstream_case([(CASE_C_HEAD, 0), (SMUGGLED, 1.0)])
