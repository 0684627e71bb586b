"""C07: Chunked framing: missing CRLF after data, bare LF / bare CR in chunk lines.

Defective bodies (a–e): 400 with `Connection: close` and a closed connection. River streams
request bodies, so the upstream request may have started: then it must be aborted and that
upstream connection closed, never completed with a terminating `0\\r\\n\\r\\n` the client did
not send, never reused. The chunk framing River forwards is its own (re-encoded).
"""
from harness import Origin, River, proxy_config
from cases_wire import (RawClient, ScriptedOrigin, assert_refused, exchange, origin_requests,
                        request_lines)

HEAD = b"POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"


def check_refused_and_aborted(body, client_junk=b""):
    script = ScriptedOrigin(idle=5)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), HEAD + body)
        responses = client.final_responses()
        assert [r.status for r in responses] == [400], client.data
        assert b"close" in responses[0].tokens("Connection"), responses[0].raw_head
        assert client.closed, "River kept the connection open after a broken chunked body"
        received = origin.received()
        if received == b"":
            assert_refused(client, origin)
            return
        # The upstream request was started: it must have been cut off, not completed.
        endings = script.wait_endings(origin.connections, timeout=3)
        assert len(endings) == origin.connections, "River left the upstream connection open"
        assert set(endings) <= {"eof", "reset"}, endings
        requests, partial = origin_requests(origin)
        assert requests == [], f"origin received a complete request: {received!r}"
        assert origin.connections == 1
        assert len(request_lines(received)) == 1, received
        # Whatever body framing was forwarded is River's own, not the client's bytes.
        if client_junk:
            assert client_junk not in partial.split(b"\r\n\r\n", 1)[1]


def test_c07_a_junk_instead_of_crlf_after_chunk_data_is_refused():
    check_refused_and_aborted(b"5\r\nhelloXX0\r\n\r\n", client_junk=b"XX")


def test_c07_b_bare_lf_after_chunk_size_is_refused():
    check_refused_and_aborted(b"5\nhello\r\n0\r\n\r\n")


def test_c07_c_bare_lf_after_chunk_data_is_refused():
    check_refused_and_aborted(b"5\r\nhello\n0\r\n\r\n")


def test_c07_d_bare_cr_after_chunk_size_is_refused():
    check_refused_and_aborted(b"1\r0\r\n\r\n")


def test_c07_e_request_line_in_trailer_section_is_refused():
    # `GET /x HTTP/1.1` after the last chunk is a (broken) trailer line, not a new request.
    check_refused_and_aborted(b"5\r\nhello\r\n0\r\nGET /x HTTP/1.1\r\nHost: example.test\r\n\r\n")


def test_c07_f_valid_chunked_body_is_forwarded():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(HEAD + b"5\r\nhello\r\n0\r\n\r\n")
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in responses] == [200], client.data
            assert responses[0].body == b"ok"
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        assert requests[0].body == b"hello"
        assert requests[0].framing in ("chunked", "length")
