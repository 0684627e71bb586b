"""C09: HTTP/1.0 requests: Transfer-Encoding, and bodies without a length.

A and B: 400 + close preferred; acceptable is decoding the chunks, forwarding `hello` and
closing the client connection after the response (RFC 9112 §6.1). River refuses both.
C: an HTTP/1.0 POST with neither field has an empty body (RFC 9112 §6.3 rule 7): the bytes
after it are never its body. River parses `GET /admin` as a request of its own and, having
no path rules yet, proxies it; the case's 403 for it joins the test with path rules. What is
checked now is that River framed it itself (its own forwarding fields are on it) and that it
was never sent upstream as body bytes of the POST.
"""
from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin, assert_refused, exchange, origin_requests

CASE_A = (b"POST / HTTP/1.0\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5\r\nhello\r\n0\r\n\r\n")
CASE_B = (b"POST / HTTP/1.0\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n"
          b"Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
CASE_C = (b"POST / HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n"
          b"GET /admin HTTP/1.0\r\nHost: example.test\r\n\r\n")


def refused_or_decoded_and_closed(data):
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), data)
        if origin.received() == b"":
            assert_refused(client, origin)
            return
        requests, leftover = origin_requests(origin)
        assert len(requests) == 1 and leftover == b"", origin.received()
        assert requests[0].body == b"hello"
        assert requests[0].values("Content-Length") in ([b"5"], []), requests[0].raw_head
        responses = client.final_responses()
        assert [r.status for r in responses] == [200], client.data
        assert client.closed, "an HTTP/1.0 request with Transfer-Encoding must end the connection"


def test_c09_a_http10_with_chunked_is_refused_or_closed_after():
    refused_or_decoded_and_closed(CASE_A)


def test_c09_b_http10_with_chunked_and_content_length_is_refused_or_closed_after():
    refused_or_decoded_and_closed(CASE_B)


def test_c09_c_http10_post_without_length_has_an_empty_body():
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(CASE_C)
            client.read_until(lambda _: len(client.final_responses()) >= 2, timeout=3)
            client.read_for(0.3)
            responses = client.final_responses()
        requests, leftover = origin_requests(origin)
        assert leftover == b"", origin.received()
        assert requests, "the POST never reached the origin"
        post = requests[0]
        assert post.method == b"POST"
        assert post.values("Content-Length") in ([b"0"], []), post.raw_head
        assert post.body == b""
        assert all(b"GET /admin" not in r.body for r in requests)
        assert responses and responses[0].status == 200, client.data
        if len(requests) == 1:
            # River did not go on with the connection: then it must have said so and closed.
            assert len(responses) == 1, client.data
            assert client.closed
        else:
            # River parsed GET /admin as its own request: it carries River's own fields and
            # got its own response. (With path rules it will be a 403 that never leaves River.)
            assert len(requests) == 2, origin.received()
            assert requests[1].method == b"GET" and requests[1].target == b"/admin"
            assert requests[1].values("X-Forwarded-For") == [b"127.0.0.1"], requests[1].raw_head
            assert len(responses) == 2, client.data
