"""C01: Content-Length and Transfer-Encoding in one request (CL.TE / TE.CL).

Preferred: 400 with `Connection: close`, the connection closed, nothing forwarded.
Acceptable (RFC 9112 §6.3 rule 3): frame by chunked, forward without Content-Length, close
the client connection after the response. River takes the preferred path (the parser refuses
a request carrying both fields); the tests accept either.
"""
from harness import Origin, River, proxy_config
from cases_wire import ScriptedOrigin, assert_refused, exchange, origin_requests

HEAD_A = (b"POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 48\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n")
SMUGGLED = b"GET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n"
CASE_A = HEAD_A + b"0\r\n\r\n" + SMUGGLED

HEAD_B = (b"POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n"
          b"Content-Length: 4\r\n\r\n")
CASE_B = HEAD_B + b"2b\r\n" + SMUGGLED + b"\r\n0\r\n\r\n"


def check_not_smuggled(client, origin, expected_body):
    """Either the preferred refusal, or the acceptable chunked forwarding with close."""
    if origin.received() == b"":
        assert_refused(client, origin)
        return
    requests, leftover = origin_requests(origin)
    assert len(requests) == 1, f"origin saw {len(requests)} requests: {origin.received()!r}"
    assert leftover == b"", f"bytes after the request upstream: {leftover!r}"
    forwarded = requests[0]
    assert not forwarded.has("Content-Length"), forwarded.raw_head
    assert forwarded.tokens("Transfer-Encoding") == [b"chunked"], forwarded.raw_head
    assert forwarded.body == expected_body
    responses = client.final_responses()
    assert len(responses) == 1, f"client got {client.data!r}"
    assert b"close" in responses[0].tokens("Connection")
    assert client.closed, "the client connection stayed open after a CL+TE request"


def test_c01_a_cl_te_hidden_request_is_not_smuggled():
    # The 48-byte Content-Length would cover `0\r\n\r\n` plus a whole GET /admin request.
    assert len(CASE_A) - len(HEAD_A) == 48
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), CASE_A)
        check_not_smuggled(client, origin, expected_body=b"")
        assert b"GET /admin" not in origin.received()


def test_c01_b_te_cl_hidden_request_is_not_smuggled():
    assert len(SMUGGLED) == 0x2B
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), CASE_B)
        check_not_smuggled(client, origin, expected_body=SMUGGLED)
        # The hidden request may only ever travel as chunk data of the one POST.
        requests, _ = origin_requests(origin)
        assert all(r.method == b"POST" for r in requests)
