"""C03: Empty, duplicate and malformed Content-Length.

Request: `POST /` with the Content-Length lines of each variant and the body `hello`.
Invalid values: 400 + close, nothing forwarded. Repeated identical values (c, d, e) may be
refused or collapsed into exactly one `Content-Length: 5`; the tests accept both. River
collapses `5, 5` and two `5` lines (RFC 9110 §8.6 allows it) and refuses `5,` with 400.
"""
import time

from harness import Origin, River, SLOWDOWN, proxy_config
from cases_wire import RawClient, ScriptedOrigin, assert_refused, exchange, origin_requests


def request_with(cl_lines):
    return b"POST / HTTP/1.1\r\nHost: example.test\r\n" + cl_lines + b"\r\n\r\nhello"


def refused(cl_lines, allowed=(400,)):
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request_with(cl_lines))
        return assert_refused(client, origin, allowed)


def refused_or_collapsed(cl_lines):
    """400 + close, or forwarded with exactly one `Content-Length: 5` and the body hello."""
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = RawClient(river.port("proxy"))
        with client:
            client.send(request_with(cl_lines))
            client.wait_final_responses(1, timeout=3)
            if origin.received() == b"":
                client.wait_closed(3)
                assert_refused(client, origin)
                return
            requests, leftover = origin_requests(origin)
            assert len(requests) == 1 and leftover == b"", origin.received()
            assert requests[0].values("Content-Length") == [b"5"], requests[0].raw_head
            assert requests[0].body == b"hello"
            responses = client.final_responses()
            assert [r.status for r in responses] == [200], client.data
            assert responses[0].body == b"ok"


def test_c03_a_empty_content_length_next_to_a_real_one_is_refused():
    refused(b"Content-Length:\r\nContent-Length: 5")


def test_c03_b_conflicting_content_lengths_are_refused_at_header_time():
    # Only 5 body bytes are sent and the connection stays open: a proxy that took the 6
    # would sit waiting for a sixth byte instead of answering.
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            started = time.monotonic()
            client.send(request_with(b"Content-Length: 5\r\nContent-Length: 6"))
            client.wait_final_responses(1, timeout=2)
            elapsed = time.monotonic() - started
            client.wait_closed(2)
            assert_refused(client, origin)
            assert elapsed < 1.0 * SLOWDOWN, f"answered only after {elapsed:.2f}s"


def test_c03_c_list_of_identical_values_is_refused_or_collapsed():
    refused_or_collapsed(b"Content-Length: 5, 5")


def test_c03_d_repeated_identical_lines_are_refused_or_collapsed():
    refused_or_collapsed(b"Content-Length: 5\r\nContent-Length: 5")


def test_c03_e_trailing_empty_list_element_is_refused_or_collapsed():
    refused_or_collapsed(b"Content-Length: 5,")


def test_c03_f_plus_sign_is_refused():
    refused(b"Content-Length: +5")


def test_c03_g_hex_value_is_refused():
    refused(b"Content-Length: 0x5")


def test_c03_h_negative_value_is_refused():
    refused(b"Content-Length: -1")


def test_c03_i_two_numbers_in_one_value_are_refused():
    refused(b"Content-Length: 5 5")


def test_c03_j_content_length_overflow_is_rejected():
    # 2^64 + 5 must not wrap around to 5.
    refused(b"Content-Length: 18446744073709551621", allowed=(400, 413))


def test_c03_k_leading_zeros_are_valid_and_normalised():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request_with(b"Content-Length: 005"))
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in responses] == [200], client.data
            assert responses[0].body == b"ok"
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        assert requests[0].values("Content-Length") == [b"5"], requests[0].raw_head
        assert requests[0].body == b"hello"
