"""TLS towards upstream peers: verification on by default (with the host name), a
configured CA bundle, SNI, client certificates, pooled TLS connections reused across
workers, and the configuration errors."""
import socket
import ssl
import subprocess
import threading
import time

import pytest

from harness import SLOWDOWN, Origin, River, curl, free_port, run_river
from tls_certs import CertificateAuthority


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = CertificateAuthority(tmp_path_factory.mktemp("upstream-tls"))
    authority.origin = authority.leaf("origin", ["origin.test"])
    authority.client = authority.leaf("client", ["river-client"], ips=(), client=True)
    authority.other = CertificateAuthority(tmp_path_factory.mktemp("other-ca"), "Other CA")
    return authority


def origin_context(ca, require_client=False, names=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, ca.origin))
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(ca.cert))
    if names is not None:
        def remember(sock, name, _context):
            names.append(name)
        context.sni_callback = remember
    return context


def config(origin, upstream_tls, upstream=None, threads=2):
    upstream = upstream or f"origin.test:{origin.port}"
    return f"""
[system]
threads = {threads}

[[service]]
name = "proxy"
listen = ["127.0.0.1:0"]
upstream = ["{upstream}"]

[service.upstream_tls]
{upstream_tls}
"""


def test_requests_reach_a_tls_origin_that_verifies_against_the_configured_ca(ca):
    names = []
    with Origin(ssl_context=origin_context(ca, names=names)) as origin, \
            River(config(origin, f'ca_file = "{ca.cert}"\nsni = "origin.test"',
                         upstream=origin.address)) as river:
        result = curl(river.url("proxy", "/x"))
        assert result.returncode == 0 and result.stdout == b"ok", result
        assert b"GET /x HTTP/1.1\r\n" in origin.received()
        assert names == ["origin.test"]
        assert origin.tls_connections[0].version() in ("TLSv1.2", "TLSv1.3")


def test_an_ip_upstream_is_checked_against_the_certificate_ip_without_sni(ca):
    names = []
    with Origin(ssl_context=origin_context(ca, names=names)) as origin, \
            River(config(origin, f'ca_file = "{ca.cert}"', upstream=origin.address)) as river:
        result = curl(river.url("proxy"))
        assert result.returncode == 0 and result.stdout == b"ok", result
        assert names == [None], "no SNI for an IP address (RFC 6066 §3)"


def test_a_certificate_from_an_unknown_ca_gets_502_and_is_never_sent_the_request(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, f'ca_file = "{ca.other.cert}"\nsni = "origin.test"',
                         upstream=origin.address)) as river:
        result = curl("-i", river.url("proxy", "/secret"))
        assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout
        assert b"/secret" not in origin.received()
        assert "reason=tls_handshake" in "\n".join(river.wait_access_lines(1))


def test_verification_is_on_by_default_with_the_system_store(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, 'sni = "origin.test"', upstream=origin.address)) as river:
        result = curl("-i", river.url("proxy"))
        assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout


def test_a_name_mismatch_gets_502(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, f'ca_file = "{ca.cert}"\nsni = "wrong.test"',
                         upstream=origin.address)) as river:
        result = curl("-i", river.url("proxy"))
        assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout


def test_verify_false_accepts_any_certificate(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, 'verify = false', upstream=origin.address)) as river:
        result = curl(river.url("proxy"))
        assert result.stdout == b"ok", result


def test_client_certificate_for_mutual_tls(ca):
    cert, key = ca.client
    with Origin(ssl_context=origin_context(ca, require_client=True)) as origin:
        with River(config(origin, f'ca_file = "{ca.cert}"\nsni = "origin.test"\n'
                                  f'client_certificate = "{cert}"\nclient_key = "{key}"',
                          upstream=origin.address)) as river:
            result = curl(river.url("proxy"))
            assert result.stdout == b"ok", result
            peer = origin.tls_connections[0].getpeercert()
            assert ("commonName", "river-client") in [item for rdn in peer["subject"]
                                                      for item in rdn]
        with River(config(origin, f'ca_file = "{ca.cert}"\nsni = "origin.test"',
                          upstream=origin.address)) as river:
            result = curl("-i", river.url("proxy"))
            assert b" 502 " in result.stdout.split(b"\r\n")[0], result.stdout


def test_tls_connections_are_pooled_and_shared_by_the_workers(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, f'ca_file = "{ca.cert}"\nsni = "origin.test"',
                         upstream=origin.address, threads=4)) as river:
        # Sequential requests on new client connections land on any of the 4 workers; one
        # upstream TLS connection serves them all.
        for i in range(40):
            result = curl("-H", "Connection: close", river.url("proxy", f"/{i}"))
            assert result.stdout == b"ok", result
        assert origin.connections == 1, origin.connections
        lines = river.wait_access_lines(40)
        assert sum("reused=1" in line for line in lines) == 39


def test_concurrent_requests_over_tls_all_succeed(ca):
    with Origin(ssl_context=origin_context(ca)) as origin, \
            River(config(origin, f'ca_file = "{ca.cert}"\nsni = "origin.test"',
                         upstream=origin.address, threads=2)) as river:
        failures = []

        def client(n):
            for i in range(10):
                result = curl(river.url("proxy", f"/{n}/{i}"))
                if result.stdout != b"ok":
                    failures.append(result)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures
        assert origin.connections <= 6


def test_check_names_a_missing_ca_file_and_unpaired_client_key(tmp_path):
    config_path = tmp_path / "river.toml"
    config_path.write_text(config(Origin(), 'ca_file = "/nonexistent/ca.pem"'))
    result = run_river("check", "-c", str(config_path))
    assert result.returncode != 0
    assert "/nonexistent/ca.pem" in result.stderr and "river.toml:" in result.stderr, result.stderr

    config_path.write_text(config(Origin(), 'client_key = "/tmp/k.pem"'))
    result = run_river("check", "-c", str(config_path))
    assert result.returncode != 0 and "go together" in result.stderr, result.stderr


def test_new_upstream_connections_resume_the_last_tls_session(ca):
    # `openssl s_server -www` answers each request with a page saying whether the connection
    # resumed a session; it closes after each response, so every request is a new connection.
    port = free_port()
    cert, key = ca.origin
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                               "-cert", str(cert), "-key", str(key), "-www", "-quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5 * SLOWDOWN
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        with River(config(None, f'ca_file = "{ca.cert}"\nsni = "origin.test"',
                          upstream=f"127.0.0.1:{port}")) as river:
            pages = [curl(river.url("proxy")).stdout for _ in range(3)]
        assert b"New, TLSv1.3" in pages[0], pages[0][:300]
        assert all(b"Reused, TLSv1.3" in page for page in pages[1:]), [p[:300] for p in pages]
    finally:
        server.kill()
        server.wait()
