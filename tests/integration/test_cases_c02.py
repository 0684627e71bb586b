"""C02: Transfer-Encoding lists, repeats and look-alikes.

Each request also carries `Content-Length: 5` and the 5-byte body `0\\r\\n\\r\\n`. Refusals
must be 400 (or 501 for codings River does not know) with `Connection: close`, a closed
connection, and nothing forwarded; a real `chunked` spelling (variant g) is handled as C01.
River refuses every variant with 400 (CL+TE is refused before the codings are looked at).
"""
import pytest

from harness import Origin, River, proxy_config
from cases_wire import ScriptedOrigin, assert_refused, exchange, origin_requests


def request_with_te(*te_lines):
    fields = b"".join(b"Transfer-Encoding: " + v + b"\r\n" for v in te_lines)
    return (b"POST / HTTP/1.1\r\nHost: example.test\r\n" + fields +
            b"Content-Length: 5\r\n\r\n0\r\n\r\n")


def refused(te_lines, allowed):
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request_with_te(*te_lines))
        assert_refused(client, origin, allowed)


def test_c02_a_chunked_then_identity_is_refused():
    # RFC 9112 §6.3 rule 4: chunked is not the final coding of a request.
    refused([b"chunked, identity"], (400,))


def test_c02_b_repeated_lines_chunked_then_identity_are_refused():
    refused([b"chunked", b"identity"], (400,))


def test_c02_c_identity_is_refused():
    refused([b"identity"], (400, 501))


def test_c02_d_unknown_coding_xchunked_is_refused():
    refused([b"xchunked"], (400, 501))


def test_c02_e_chunked_twice_is_refused():
    refused([b"chunked, chunked"], (400,))


def test_c02_f_vertical_tab_before_chunked_is_not_trimmed():
    refused([b"\x0bchunked"], (400, 501))


@pytest.mark.parametrize("value", [b"chunked\t", b" chunked", b"Chunked"],
                         ids=["trailing_htab", "leading_space", "capitalised"])
def test_c02_g_ows_and_case_variants_are_chunked_and_handled_as_c01(value):
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request_with_te(value))
        if origin.received() == b"":
            assert_refused(client, origin, (400,))
            return
        # Acceptable: read as chunked, Content-Length dropped, connection closed after.
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        assert not requests[0].has("Content-Length"), requests[0].raw_head
        assert requests[0].values("Transfer-Encoding") == [b"chunked"], requests[0].raw_head
        assert requests[0].body == b""
        responses = client.final_responses()
        assert len(responses) == 1 and b"close" in responses[0].tokens("Connection")
        assert client.closed
