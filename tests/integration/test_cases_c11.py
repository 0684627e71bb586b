"""C11: Hop-by-hop header stripping (Connection: close, X-Foo listed in Connection).

RFC 9110 §7.6.1: a proxy removes Connection, every field it names, and Keep-Alive,
Proxy-Connection, TE, Transfer-Encoding and Upgrade, in both directions. The client's
`close` concerns the client hop only: River answers with `Connection: close` and closes.
"""
from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin, parse_messages

REQUEST = (b"GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close, X-Foo, Keep-Alive\r\n"
           b"X-Foo: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
           b"Upgrade: foo/1\r\nX-Bar: 2\r\n\r\n")
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Resp\r\n"
         b"X-Resp: secret\r\nKeep-Alive: timeout=99\r\nProxy-Connection: keep-alive\r\n\r\nok")


def run_case():
    with Origin(ScriptedOrigin(REPLY)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(REQUEST)
            closed = client.wait_closed(3)
        requests, _ = parse_messages(origin.received(), eof=False)
        return client, closed, requests


def test_c11_request_hop_by_hop_fields_are_not_forwarded():
    _, _, requests = run_case()
    assert len(requests) == 1
    forwarded = requests[0]
    assert forwarded.values("Host") == [b"example.test"]
    assert forwarded.values("X-Bar") == [b"2"]
    for name in ("X-Foo", "Keep-Alive", "Proxy-Connection", "Upgrade"):
        assert not forwarded.has(name), f"{name} forwarded: {forwarded.raw_head!r}"
    # TE only as `trailers` together with River's own `Connection: TE`.
    if forwarded.has("TE"):
        assert forwarded.values("TE") == [b"trailers"], forwarded.raw_head
        assert b"te" in forwarded.tokens("Connection"), forwarded.raw_head
    # Connection absent or River's own: never the client's close or nominations.
    for token in (b"close", b"x-foo", b"keep-alive"):
        assert token not in forwarded.tokens("Connection"), forwarded.raw_head


def test_c11_response_hop_by_hop_fields_are_not_returned_and_close_is_honoured():
    client, closed, _ = run_case()
    responses = client.final_responses()
    assert len(responses) == 1, client.data
    response = responses[0]
    assert response.status == 200 and response.body == b"ok"
    for name in ("X-Resp", "Keep-Alive", "Proxy-Connection"):
        assert not response.has(name), f"{name} returned: {response.raw_head!r}"
    assert response.tokens("Connection") == [b"close"], response.raw_head
    assert closed, "River kept the connection open although the client sent Connection: close"
