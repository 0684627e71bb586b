"""River as an HTTP/1.1 reverse proxy: methods, request and response body framing, large
bodies, responses that must have no body, forwarding header fields, interim responses,
WebSocket tunnels and nginx as a real origin."""
import base64
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness import (NginxOrigin, Origin, River, curl, proxy_config, raw_exchange,
                     statuses)
from proxy_client import (Client, decode_chunked, read_origin_request, request_head,
                          request_head_all)


def answering(respond):
    """Handler: reads requests on the connection and answers each with the bytes
    `respond(head, body)` returns (None closes the connection); every parsed request is
    appended to the handler's `requests` list as (connection number, head, body)."""
    requests = []
    lock = threading.Lock()
    counter = [0]

    def handle(conn):
        with lock:
            counter[0] += 1
            number = counter[0]
        while True:
            got = read_origin_request(conn)
            if got is None:
                return
            head, body = got
            requests.append((number, head, body))
            data = respond(head, body)
            if data is None or not conn.send(data):
                return

    handle.requests = requests
    return handle


def ok(body=b"ok", extra=b""):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def request_body(head, body):
    """The payload of a request body as the origin got it (chunked decoded)."""
    if re.search(rb"\r\ntransfer-encoding:\s*chunked", head.lower()):
        return decode_chunked(body)[0]
    return body


# ---------------------------------------------------------------------------------------------
# Methods and request bodies


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_method_is_proxied_with_curl(method):
    handler = answering(lambda head, body: ok(b"answer:" + head.split(b" ")[0] + b":" + body))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        args = ["-X", method, river.url("proxy", "/things/1?x=y")]
        if method != "GET":
            args += ["--data-binary", "payload-" + method]
        result = curl(*args)
        assert result.returncode == 0, result.stderr
        expected_body = b"" if method == "GET" else b"payload-" + method.encode()
        assert result.stdout == b"answer:" + method.encode() + b":" + expected_body
        assert len(handler.requests) == 1
        _, head, body = handler.requests[0]
        assert head.startswith(method.encode() + b" /things/1?x=y HTTP/1.1\r\n"), head
        assert request_body(head, body) == expected_body


def test_content_length_body_arrives_intact():
    payload = bytes(range(256)) * 64 + b"\r\n\r\n0\r\n\r\n"  # every byte value, framing lookalikes
    handler = answering(lambda head, body: ok())
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                        % len(payload) + payload)
            assert client.read_response().status == 200
        _, head, body = handler.requests[0]
        assert request_head(head, "Content-Length") == str(len(payload))
        assert body == payload


def test_chunked_body_arrives_intact_with_trailers():
    pieces = [b"a" * 1, bytes(range(256)) * 3, b"0\r\n\r\n", b"z" * 70000]
    wire = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces)
    wire += b"0\r\nX-Checksum: abc\r\n\r\n"
    handler = answering(lambda head, body: ok())
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            # Sent in small parts so that the chunk framing is split across reads.
            for i in range(0, len(wire), 999):
                client.send(wire[i:i + 999])
            assert client.read_response().status == 200
        _, head, body = handler.requests[0]
        assert request_head(head, "Transfer-Encoding") == "chunked"
        assert request_head(head, "Content-Length") is None
        payload, trailers, _ = decode_chunked(body)
        assert payload == b"".join(pieces)
        assert trailers == [b"X-Checksum: abc"]


def _sha_origin():
    """Answers each request with the sha256 of its body payload (hex)."""
    return answering(lambda head, body: ok(hashlib.sha256(request_body(head, body))
                                           .hexdigest().encode()))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_large_upload_checked_by_sha256(tmp_path, chunked):
    data = os.urandom(8 << 20)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    handler = _sha_origin()
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        args = ["--data-binary", f"@{path}", river.url("proxy", "/big")]
        if chunked:
            args = ["-H", "Transfer-Encoding: chunked"] + args
        result = curl(*args, timeout=30)
        assert result.returncode == 0, result.stderr
        assert result.stdout.decode() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_large_download_checked_by_sha256(framing):
    data = os.urandom(8 << 20)

    def handle(conn):
        if conn.read_request() is None:
            return
        if framing == "length":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        elif framing == "chunked":
            conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(data), 300007):
                piece = data[i:i + 300007]
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        else:
            conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + data)
            conn.close()

    with Origin(handle) as origin, River(proxy_config(origin.address)) as river:
        result = curl(river.url("proxy", "/big"), timeout=30)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout) == len(data)
        assert hashlib.sha256(result.stdout).hexdigest() == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Response framing


def test_content_length_response_keeps_its_length():
    handler = answering(lambda head, body: ok(b"x" * 1000, b"X-Origin: yes\r\n"))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.framing == "length"
            assert response.header("Content-Length") == "1000"
            assert response.header("X-Origin") == "yes"
            assert response.body == b"x" * 1000


def test_chunked_response_reaches_an_http11_client_chunked_with_trailers():
    origin_body = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Digest\r\n\r\n"
                   b"5\r\nhello\r\n7;ext=y\r\n, world\r\n0\r\nX-Digest: 1234\r\n\r\n")
    handler = answering(lambda head, body: origin_body)
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /a HTTP/1.1\r\nHost: t\r\nTE: trailers\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.framing == "chunked"
            assert response.header("Content-Length") is None
            assert response.body == b"hello, world"
            assert response.complete
            assert ("X-Digest", "1234") in response.trailers
            # The connection goes on.
            client.send(b"GET /b HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().body == b"hello, world"


def _close_delimited_origin(body):
    def handle(conn):
        if conn.read_request() is None:
            return
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body)
        conn.close()
    return handle


def test_close_delimited_response_reaches_http11_client_chunked_and_keep_alive_goes_on():
    body = os.urandom(100000)
    with Origin(_close_delimited_origin(body)) as origin, \
            River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.framing == "chunked"
            assert response.complete
            assert response.body == body
            assert (response.header("Connection") or "").lower() != "close"
            client.send(b"GET /b HTTP/1.1\r\nHost: t\r\n\r\n")
            second = client.read_response()
            assert second.status == 200 and second.body == body
        assert origin.connections == 2


def test_close_delimited_response_reaches_http10_client_close_delimited():
    body = os.urandom(50000)
    with Origin(_close_delimited_origin(body)) as origin, \
            River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /a HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.header("Transfer-Encoding") is None
            assert response.header("Content-Length") is None
            assert response.framing == "close"
            assert response.complete, "River did not close the connection after the body"
            assert response.body == body


@pytest.mark.parametrize("method,status_line,extra", [
    ("HEAD", b"HTTP/1.1 200 OK", b"Content-Length: 8\r\n"),
    ("GET", b"HTTP/1.1 204 No Content", b""),
    ("GET", b"HTTP/1.1 304 Not Modified", b"ETag: \"v1\"\r\n"),
], ids=["HEAD", "204", "304"])
def test_response_without_body_drops_wrong_origin_bytes_and_upstream_connection(
        method, status_line, extra):
    def respond(head, body):
        if head.startswith(method.encode() + b" /first "):
            return status_line + b"\r\n" + extra + b"\r\nJUNKJUNK"
        return ok(b"fresh")

    handler = answering(respond)
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(f"{method} /first HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            response = client.read_response(method=method)
            assert response.status == int(status_line.split()[1])
            if method == "HEAD":
                # A HEAD response announces the length a GET would have had.
                assert response.header("Content-Length") == "8"
            time.sleep(0.2)
            client.send(b"GET /second HTTP/1.1\r\nHost: t\r\n\r\n")
            second = client.read_response()
            assert b"JUNK" not in response.head_bytes + client.buffer
            assert second.status == 200, second
            assert second.body == b"fresh"
            assert b"JUNK" not in second.head_bytes
        # The upstream connection that carried junk was not used again.
        assert [(n, h.split(b" ")[1]) for n, h, _ in handler.requests] == \
            [(1, b"/first"), (2, b"/second")]


def test_head_request_gets_the_head_and_no_body():
    handler = answering(lambda head, body: ok(b"12345678", b"X-Origin: yes\r\n")
                        if not head.startswith(b"HEAD") else
                        b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Origin: yes\r\n\r\n")
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        result = curl("-sS", "-I", river.url("proxy", "/h"), timeout=5)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(b"HTTP/1.1 200 OK\r\n"), result.stdout
        assert re.search(rb"(?i)\r\ncontent-length: 8\r\n", result.stdout)
        assert re.search(rb"(?i)\r\nx-origin: yes\r\n", result.stdout)


# ---------------------------------------------------------------------------------------------
# Forwarding header fields


def test_host_preserved_and_forwarding_fields_set():
    handler = answering(lambda head, body: ok(extra=b"Via: 1.1 origin-cache\r\n"))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        result = curl("-i", "-H", "Host: www.example.test", "-H", "X-Forwarded-For: 6.6.6.6",
                      "-H", "X-Forwarded-Host: evil.test", "-H", "X-Forwarded-Proto: https",
                      "-H", "X-Real-IP: 6.6.6.6", "-H", "Forwarded: for=6.6.6.6",
                      river.url("proxy", "/p"))
        assert result.returncode == 0, result.stderr
        _, head, _ = handler.requests[0]
        assert request_head_all(head, "Host") == ["www.example.test"]
        assert request_head_all(head, "X-Forwarded-For") == ["127.0.0.1"]
        assert request_head_all(head, "X-Forwarded-Proto") == ["http"]
        assert request_head_all(head, "X-Forwarded-Host") == ["www.example.test"]
        assert request_head(head, "X-Real-IP") is None
        assert request_head(head, "Forwarded") is None
        assert request_head_all(head, "Via") == ["1.1 river"]
        response_via = re.findall(rb"(?im)^via:\s*(.*?)\r$", result.stdout)
        assert response_via == [b"1.1 origin-cache, 1.1 river"], result.stdout


def test_via_names_the_client_protocol_version():
    handler = answering(lambda head, body: ok())
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.0\r\nHost: t\r\nVia: 1.1 front\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.header("Via") == "1.1 river"
        _, head, _ = handler.requests[0]
        assert request_head_all(head, "Via") == ["1.1 front, 1.0 river"]


def test_add_via_false_adds_no_via():
    handler = answering(lambda head, body: ok())
    config = proxy_config("127.0.0.1:1", extra_service="[service.forwarding]\nadd_via = false\n")
    with Origin(handler) as origin, River(config.replace("127.0.0.1:1", origin.address)) as river:
        result = curl("-i", river.url("proxy", "/"))
        assert result.returncode == 0, result.stderr
        assert b"\r\nvia:" not in result.stdout.lower()
        assert request_head(handler.requests[0][1], "Via") is None


def test_trusted_proxy_chain_is_appended_to():
    handler = answering(lambda head, body: ok())
    config = proxy_config("ORIGIN", extra_service=(
        '[service.forwarding]\ntrusted_proxies = ["127.0.0.1/32"]\n'))
    with Origin(handler) as origin, River(config.replace("ORIGIN", origin.address)) as river:
        result = curl("-H", "X-Forwarded-For: 203.0.113.7, 10.1.1.1",
                      "-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-Host: public.test",
                      "-H", "Host: internal.test", river.url("proxy", "/"))
        assert result.returncode == 0, result.stderr
        _, head, _ = handler.requests[0]
        assert request_head_all(head, "X-Forwarded-For") == ["203.0.113.7, 10.1.1.1, 127.0.0.1"]
        assert request_head_all(head, "X-Forwarded-Proto") == ["https"]
        assert request_head_all(head, "X-Forwarded-Host") == ["public.test"]
        assert request_head_all(head, "Host") == ["internal.test"]


def test_untrusted_client_chain_is_replaced():
    handler = answering(lambda head, body: ok())
    config = proxy_config("ORIGIN", extra_service=(
        '[service.forwarding]\ntrusted_proxies = ["10.0.0.0/8"]\n'))
    with Origin(handler) as origin, River(config.replace("ORIGIN", origin.address)) as river:
        result = curl("-H", "X-Forwarded-For: 203.0.113.7", river.url("proxy", "/"))
        assert result.returncode == 0, result.stderr
        assert request_head_all(handler.requests[0][1], "X-Forwarded-For") == ["127.0.0.1"]


def test_hop_by_hop_fields_are_stripped_both_ways():
    handler = answering(lambda head, body: ok(extra=(
        b"Connection: X-Upstream-Secret\r\nX-Upstream-Secret: 1\r\nKeep-Alive: timeout=5\r\n"
        b"X-Kept: yes\r\n")))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: X-Client-Secret\r\n"
                        b"X-Client-Secret: 1\r\nKeep-Alive: 300\r\nProxy-Connection: x\r\n"
                        b"X-Also-Kept: yes\r\n\r\n")
            response = client.read_response()
            assert response.status == 200
            assert response.header("X-Upstream-Secret") is None
            assert response.header("Keep-Alive") is None
            assert response.header("X-Kept") == "yes"
        _, head, _ = handler.requests[0]
        for name in ["X-Client-Secret", "Keep-Alive", "Proxy-Connection"]:
            assert request_head(head, name) is None, name
        assert request_head(head, "X-Also-Kept") == "yes"


# ---------------------------------------------------------------------------------------------
# Interim responses and upgrades


EARLY_HINTS = (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")


def test_early_hints_are_forwarded_to_http11_clients():
    handler = answering(lambda head, body: EARLY_HINTS + ok(b"final"))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            hints = client.read_response(skip_interim=False)
            assert hints.status == 103
            assert hints.header("Link") == "</style.css>; rel=preload; as=style"
            final = client.read_response()
            assert final.status == 200 and final.body == b"final"


def test_early_hints_are_not_sent_to_http10_clients():
    handler = answering(lambda head, body: EARLY_HINTS + ok(b"final"))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        out = raw_exchange(river.port("proxy"), b"GET / HTTP/1.0\r\nHost: t\r\n\r\n", timeout=2)
        assert statuses(out) == [200], out
        assert out.endswith(b"final")


def _websocket_origin(conn):
    """Accepts a WebSocket upgrade with 101, then echoes every byte back, upper-cased."""
    got = conn.read_request()
    if got is None:
        return
    head, _ = got
    key = request_head(head, "Sec-WebSocket-Key") or ""
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    conn.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\nHELLO-FROM-ORIGIN")
    if conn.buffer:
        conn.send(conn.buffer.upper())
    while True:
        data = conn.recv_some(timeout=5)
        if not data:
            return
        conn.send(data.upper())


def test_websocket_tunnel_echoes_both_ways():
    with Origin(_websocket_origin) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
                        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            response = client.read_response()
            assert response.status == 101
            assert response.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
            assert "upgrade" in (response.header("Connection") or "").lower()
            assert (response.header("Upgrade") or "").lower() == "websocket"

            assert client.read_exactly(17) == b"HELLO-FROM-ORIGIN"
            for message in [b"ping-1", b"second message", b"x" * 100000]:
                client.send(message)
                assert client.read_exactly(len(message)) == message.upper()
        upgrade = origin.received().split(b"\r\n\r\n")[0]
        assert request_head(upgrade, "Upgrade") == "websocket"
        assert "upgrade" in (request_head(upgrade, "Connection") or "").lower()


def test_upgrade_refused_by_origin_is_an_ordinary_response():
    handler = answering(lambda head, body: ok(b"no upgrade here"))
    with Origin(handler) as origin, River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
                        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            response = client.read_response()
            assert response.status == 200 and response.body == b"no upgrade here"
            client.send(b"GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200


# ---------------------------------------------------------------------------------------------
# nginx as a real origin


@pytest.fixture
def www():
    """A directory nginx's worker (which may run as another user) can read."""
    root = Path(tempfile.mkdtemp(prefix="river-www-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_nginx_origin_serves_a_static_file(www):
    root = www
    data = os.urandom(300000)
    (root / "blob.bin").write_bytes(data)
    with NginxOrigin(root) as nginx, River(proxy_config(nginx.address)) as river:
        result = curl("-i", river.url("proxy", "/blob.bin"))
        assert result.returncode == 0, result.stderr
        head, body = result.stdout.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert re.search(rb"(?i)\r\nserver: nginx", head)
        assert re.search(rb"(?i)\r\nvia: 1.1 river", head)
        assert body == data
        missing = curl("-s", "-o", "/dev/null", "-w", "%{http_code}",
                       river.url("proxy", "/missing.bin"))
        assert missing.stdout == b"404"


def test_nginx_keep_alive_run_of_200_requests_uses_few_connections(www):
    root = www
    for i in range(4):
        (root / f"f{i}.txt").write_text(f"file {i}\n" * 50)
    log_path = root / "conn.log"
    nginx_conf = dict(extra_http="log_format conns '$connection $connection_requests $uri';",
                      extra_server=f"access_log {log_path} conns;")
    with NginxOrigin(root, **nginx_conf) as nginx, River(proxy_config(nginx.address)) as river:
        urls = [river.url("proxy", f"/f{i % 4}.txt") for i in range(200)]
        result = curl("-s", "-w", "%{http_code}\n", *urls, timeout=60)
        assert result.returncode == 0, result.stderr
        codes = re.findall(rb"^(\d{3})$", result.stdout, re.M)
        assert codes == [b"200"] * 200
        for i in range(4):
            assert result.stdout.count(f"file {i}\n".encode()) == 50 * 50
        lines = river.wait_access_lines(200)
        assert len(lines) == 200
    lines = log_path.read_text().splitlines()
    assert len(lines) == 200
    connections = {line.split()[0] for line in lines}
    assert len(connections) <= 4, f"{len(connections)} upstream connections for 200 requests"
