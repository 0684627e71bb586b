"""C10: HTTP/1.0 clients: keep-alive and chunked upstream responses.

No Transfer-Encoding to an HTTP/1.0 client (RFC 9112 §6.1); persistence only when asked and
announced (RFC 9112 §9.3, Appendix C.2.2); no 1xx to an HTTP/1.0 client (RFC 9110 §15.2);
`Connection: keep-alive` is hop-by-hop and never forwarded.
"""
from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin, parse_messages


def test_c10_a_chunked_origin_response_reaches_http10_client_unchunked():
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    script = ScriptedOrigin(reply, close_after_reply=True)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.0\r\nHost: example.test\r\n\r\n")
            # The client did not ask for keep-alive: River must close after the response.
            assert client.wait_closed(3), f"connection left open: {client.data!r}"
        responses = client.final_responses()
        assert len(responses) == 1, client.data
        response = responses[0]
        assert response.status == 200
        assert not response.has("Transfer-Encoding"), response.raw_head
        assert response.framing in ("length", "close")
        if response.framing == "length":
            assert response.values("Content-Length") == [b"5"]
        assert response.body == b"hello", client.data


def test_c10_b_http10_keep_alive_is_honoured_and_announced_or_declined():
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    request = b"GET /%d HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n"
    with Origin(ScriptedOrigin(reply)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request % 1 + request % 2)
            client.read_until(lambda _: len(client.final_responses()) >= 2, timeout=3)
            client.read_for(0.3)
            responses = client.final_responses()
        assert responses, client.data
        first = responses[0]
        assert first.status == 200 and first.body == b"hello"
        assert not first.has("Transfer-Encoding")
        if b"keep-alive" in first.tokens("Connection"):
            # Persist: the length is announced and both answers come back in order.
            assert first.values("Content-Length") == [b"5"], first.raw_head
            assert [(r.status, r.body) for r in responses] == [(200, b"hello")] * 2, client.data
            targets = [r.target for r in parse_messages(origin.received(), eof=False)[0]]
            assert targets == [b"/1", b"/2"]
        else:
            # Do not persist: River closes after the first response; /2 is never answered.
            assert len(responses) == 1 and client.closed, client.data
        for forwarded in parse_messages(origin.received(), eof=False)[0]:
            assert b"keep-alive" not in forwarded.tokens("Connection"), forwarded.raw_head
            assert not forwarded.has("Keep-Alive"), forwarded.raw_head


def test_c10_c_early_hints_are_not_sent_to_http10_client():
    reply = (b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    with Origin(ScriptedOrigin(reply)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.0\r\nHost: example.test\r\n\r\n")
            client.wait_closed(3)
        assert b" 103 " not in client.data, client.data
        assert b"Link:" not in client.data, client.data
        assert [(r.status, r.body) for r in client.responses()] == [(200, b"ok")], client.data
