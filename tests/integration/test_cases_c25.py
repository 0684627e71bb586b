"""C25: Upgrade / WebSocket proxying when the upstream does not switch; h2c.

Bytes after an upgrade request are not sent upstream as such until a valid 101 arrives; only
a valid 101 (for a WebSocket request, carrying `Upgrade: websocket`) starts a tunnel; h2c is
never switched to; Upgrade in an HTTP/1.0 request is ignored (RFC 9110 §7.8).
"""
import pytest

from harness import Origin, River, proxy_config
from cases_wire import (RawClient, ScriptedOrigin, head_of, origin_recv,
                        per_connection_requests, parse_messages)

WS_FIELDS = (b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
WS_REQUEST = b"GET /ws HTTP/1.1\r\nHost: example.test\r\n" + WS_FIELDS + b"\r\n"
SWITCH = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def test_c25_a_refused_upgrade_does_not_pass_the_next_request_through():
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno"
    pipelined = b"GET /admin HTTP/1.1\r\nHost: example.test\r\n\r\n"
    with Origin(ScriptedOrigin(reply)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(WS_REQUEST + pipelined)
            client.read_until(lambda _: len(client.final_responses()) >= 2, timeout=3)
            client.read_for(0.3)
            responses = client.final_responses()
        assert responses and responses[0].status == 200 and responses[0].body == b"no", client.data
        requests = [r for connection in per_connection_requests(origin) for r in connection[0]]
        leftovers = [left for _, left in per_connection_requests(origin)]
        assert all(left == b"" for left in leftovers), origin.received()
        assert requests[0].target == b"/ws"
        admin = [r for r in requests if r.target == b"/admin"]
        if not admin:
            # River stopped after the refused upgrade: it must have closed the connection.
            assert len(responses) == 1 and client.closed, client.data
            return
        # River parsed /admin as a request of its own (with path rules: a 403 that never
        # leaves River). It must not have been relayed raw behind the upgrade request:
        # River's own forwarding fields show it framed the request itself.
        assert len(admin) == 1
        assert admin[0].values("X-Forwarded-For") == [b"127.0.0.1"], admin[0].raw_head
        assert admin[0].values("Via") == [b"1.1 river"], admin[0].raw_head
        assert [r.status for r in responses] == [200, 200], client.data


def echo_after_switch(switch, first=b"server-first"):
    """Origin: after a request head, sends `switch` (+ `first`), then echoes every byte."""
    def handle(conn):
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data, ending = origin_recv(conn, 5.0)
            if ending:
                return
            buffer += data
        conn.send(switch + first)
        while True:
            data, ending = origin_recv(conn, 3.0)
            if ending or not conn.send(data):
                return
    return handle


def test_c25_b_valid_101_is_relayed_and_bytes_flow_both_ways():
    with Origin(echo_after_switch(SWITCH)) as origin, \
            River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(WS_REQUEST)
            assert client.read_until(lambda d: b"server-first" in d, timeout=3), client.data
            head, rest = client.data.split(b"\r\n\r\n", 1)
            response = head_of(head + b"\r\n\r\n")
            assert response.status == 101, head
            assert response.values("Sec-WebSocket-Accept") == [b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
            assert b"websocket" in response.tokens("Upgrade")
            assert b"upgrade" in response.tokens("Connection")
            assert rest == b"server-first"
            client.send(b"\x81\x04ping")
            echoed = b"server-first\x81\x04ping"
            assert client.read_until(lambda d: d.endswith(echoed), timeout=3), \
                client.data
        forwarded = head_of(origin.received())
        assert forwarded.values("Sec-WebSocket-Key") == [b"dGhlIHNhbXBsZSBub25jZQ=="]
        assert forwarded.values("Sec-WebSocket-Version") == [b"13"]
        assert b"websocket" in forwarded.tokens("Upgrade")
        assert b"upgrade" in forwarded.tokens("Connection")


INVALID_SWITCHES = {
    "no_upgrade_field": (WS_REQUEST, b"HTTP/1.1 101 Switching Protocols\r\n"
                                     b"Connection: Upgrade\r\n\r\n"),
    "h2c_to_websocket": (WS_REQUEST, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
                                     b"Connection: Upgrade\r\n\r\n"),
    "unrequested": (b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n", SWITCH),
}


@pytest.mark.parametrize("variant", sorted(INVALID_SWITCHES))
def test_c25_c_invalid_101_gets_502_and_no_tunnel(variant):
    request, switch = INVALID_SWITCHES[variant]
    with Origin(echo_after_switch(switch, first=b"")) as origin, \
            River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request)
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in responses] == [502], client.data
            assert not [r for r in client.responses() if r.status == 101], client.data
            # Nothing the client sends now may reach the origin's (switched) connection.
            client.send(b"\x81\x06tunnel")
            client.read_for(0.5)
            assert b"tunnel" not in origin.received()
            assert b"tunnel" not in client.data


def test_c25_d_h2c_upgrade_is_served_as_plain_http11():
    request = (b"GET / HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
               b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request)
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in client.responses()] == [200], client.data
            assert responses[0].body == b"ok"
            assert client.data.startswith(b"HTTP/1.1 200 ")
        requests, _ = parse_messages(origin.received(), eof=False)
        assert len(requests) == 1
        forwarded = requests[0]
        assert not forwarded.has("Upgrade"), forwarded.raw_head
        assert not forwarded.has("HTTP2-Settings"), forwarded.raw_head
        assert b"upgrade" not in forwarded.tokens("Connection"), forwarded.raw_head


def test_c25_e_upgrade_in_http10_request_is_ignored():
    request = b"GET /ws HTTP/1.0\r\nHost: example.test\r\n" + WS_FIELDS + b"\r\n"

    def reply(req):
        # An origin that switches whenever it is asked to.
        return SWITCH if req.has("Upgrade") else b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    with Origin(ScriptedOrigin(reply)) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request)
            client.wait_final_responses(1, timeout=3)
            client.read_for(0.3)
            assert [r.status for r in client.responses()] == [200], client.data
            assert client.final_responses()[0].body == b"ok"
        requests, _ = parse_messages(origin.received(), eof=False)
        assert len(requests) == 1
        assert not requests[0].has("Upgrade"), requests[0].raw_head
        assert b"upgrade" not in requests[0].tokens("Connection"), requests[0].raw_head
