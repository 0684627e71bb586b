"""C05: Obsolete line folding (obs-fold).

Preferred for requests A, B, C: 400 + close, nothing forwarded. Acceptable for A: the fold
replaced by SP and one request forwarded; for C: the whitespace-led line ignored. B must be
refused. River refuses all three with 400. Response side: a folded header from the origin
gives 502 or is unfolded with SP; it never reaches the client as a continuation line.
"""
import re

from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin, assert_refused, exchange, origin_requests

SMUGGLED = b"GET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n"
CASE_A = (b"POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 48\r\nX-Note: a\r\n"
          b" Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED)
CASE_B = b"POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length:\r\n 5\r\n\r\nhello"
CASE_C = (b"POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: example.test\r\n"
          b"Content-Length: 5\r\n\r\nhello")


def no_line_starts_with_whitespace(data):
    head = data.split(b"\r\n\r\n", 1)[0]
    return not re.search(rb"\n[ \t]", head)


def test_c05_a_fold_hiding_transfer_encoding_is_not_taken_as_a_field():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), CASE_A)
        if origin.received() == b"":
            assert_refused(client, origin)
            return
        # Acceptable: one request, the fold replaced by SP, framed by the 48 bytes.
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        forwarded = requests[0]
        assert no_line_starts_with_whitespace(origin.received())
        assert forwarded.values("X-Note") == [b"a Transfer-Encoding: chunked"], forwarded.raw_head
        assert not forwarded.has("Transfer-Encoding")
        assert forwarded.values("Content-Length") == [b"48"]
        assert forwarded.body == b"0\r\n\r\n" + SMUGGLED
        assert [r.status for r in client.final_responses()] == [200], client.data


def test_c05_b_folded_content_length_is_refused():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), CASE_B)
        assert_refused(client, origin)


def test_c05_c_whitespace_led_line_after_request_line_is_not_a_field():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), CASE_C)
        if origin.received() == b"":
            assert_refused(client, origin)
            return
        # Acceptable: the whitespace-led line consumed without being processed.
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        assert no_line_starts_with_whitespace(origin.received())
        assert not requests[0].has("Transfer-Encoding")
        assert b"Transfer-Encoding" not in requests[0].raw_head
        assert requests[0].values("Content-Length") == [b"5"]
        assert requests[0].body == b"hello"


def test_c05_response_fold_from_origin_is_unfolded_or_502():
    reply = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Folded: a\r\n b\r\n"
             b"\tSet-Cookie: admin=1\r\n\r\nok")
    with Origin(ScriptedOrigin(reply)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
            responses = client.wait_final_responses(1, timeout=3)
            assert len(responses) == 1, client.data
            response = responses[0]
            assert no_line_starts_with_whitespace(client.data), client.data
            assert not response.has("Set-Cookie"), response.raw_head
            if response.status != 502:
                assert response.status == 200
                assert response.values("X-Folded") == [b"a b Set-Cookie: admin=1"], \
                    response.raw_head
