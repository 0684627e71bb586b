"""TLS listeners: termination, certificates chosen by SNI, safe defaults, versions and
ciphers, ALPN, session resumption, handshake limits, and configuration errors.

Clients are curl and `openssl s_client`; the origin is a scripted one that records what
River forwards."""
import socket
import subprocess
import time

import pytest

from harness import SLOWDOWN, Origin, River, curl, run_river
from tls_certs import CertificateAuthority


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = CertificateAuthority(tmp_path_factory.mktemp("tls"))
    authority.a = authority.leaf("a", ["a.test"])
    authority.b = authority.leaf("b", ["b.test", "*.b.test"])
    return authority


def tls_config(origin, pairs, extra_tls="", extra_listener="", extra_service=""):
    certificates = ", ".join(f'{{ certificate = "{c}", key = "{k}" }}' for c, k in pairs)
    return f"""
[system]
threads = 2

[[service]]
name = "tls"
upstream = ["{origin.address}"]
{extra_service}

[[service.listener]]
address = "127.0.0.1:0"
{extra_listener}

[service.listener.tls]
certificates = [{certificates}]
{extra_tls}
"""


def s_client(port, *args, stdin=b"", timeout=10, brief=True):
    """Runs `openssl s_client` against River; returns (exit code, combined output)."""
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *(["-brief"] if brief else []),
         *args],
        input=stdin, capture_output=True, timeout=timeout * SLOWDOWN)
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


def handshake_ok(port, *args, brief=True):
    code, output = s_client(port, *args, brief=brief)
    established = "CONNECTION ESTABLISHED" in output or "New, TLSv1" in output
    return code == 0 and established, output


def test_requests_over_tls_reach_the_origin_with_https_forwarding_fields(ca):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        port = river.port("tls")
        result = curl("--cacert", str(ca.cert), "--resolve", f"a.test:{port}:127.0.0.1",
                      f"https://a.test:{port}/hello", "-H", "X-Forwarded-Proto: http")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"ok"
        received = origin.received().lower()
        assert b"get /hello http/1.1\r\n" in received
        assert b"\r\nx-forwarded-proto: https\r\n" in received
        assert b"x-forwarded-proto: http\r\n" not in received
        assert b"\r\nhost: a.test:%d\r\n" % port in received


def test_certificate_is_chosen_by_sni_with_the_first_as_default(ca):
    with Origin() as origin, River(tls_config(origin, [ca.a, ca.b])) as river:
        port = river.port("tls")
        for name, subject in [("a.test", "CN = a.test"), ("b.test", "CN = b.test"),
                              ("x.b.test", "CN = b.test"), ("unknown.test", "CN = a.test")]:
            ok, output = handshake_ok(port, "-servername", name)
            assert ok, output
            assert f"Peer certificate: {subject}" in output, (name, output)
        # A client that verifies gets a chain it can check for the name it asked.
        result = curl("--cacert", str(ca.cert), "--resolve", f"x.b.test:{port}:127.0.0.1",
                      f"https://x.b.test:{port}/")
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("version_flag", ["-tls1", "-tls1_1"])
def test_versions_below_tls_1_2_are_refused(ca, version_flag):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        ok, output = handshake_ok(river.port("tls"), version_flag, "-cipher", "ALL:@SECLEVEL=0")
        assert not ok, output


@pytest.mark.parametrize("cipher", [
    "AES128-SHA",                 # RSA key exchange, CBC
    "AES128-GCM-SHA256",          # RSA key exchange (no forward secrecy)
    "ECDHE-RSA-AES128-SHA",       # CBC with SHA-1
    "ECDHE-ECDSA-AES128-SHA",     # CBC with SHA-1
    "ECDHE-ECDSA-AES256-SHA384",  # CBC
    "DES-CBC3-SHA",               # 3DES
    "NULL-SHA256",                # no encryption
])
def test_weak_tls_1_2_ciphers_are_not_offered_by_default(ca, cipher):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        ok, output = handshake_ok(river.port("tls"), "-tls1_2", "-cipher",
                                  f"{cipher}:@SECLEVEL=0")
        assert not ok, output


def test_tls_1_2_with_an_aead_cipher_and_tls_1_3_are_accepted(ca):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        port = river.port("tls")
        ok, output = handshake_ok(port, "-tls1_2")
        assert ok and "Protocol version: TLSv1.2" in output, output
        assert "GCM" in output or "CHACHA20" in output, output
        ok, output = handshake_ok(port, "-tls1_3")
        assert ok and "Protocol version: TLSv1.3" in output, output
        # River picks by its own order, AES-128-GCM first, whatever the client prefers.
        ok, output = handshake_ok(port, "-tls1_3", "-ciphersuites",
                                  "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256")
        assert ok and "Ciphersuite: TLS_AES_128_GCM_SHA256" in output, output


def test_min_version_1_3_refuses_tls_1_2(ca):
    config = tls_config(Origin(), [ca.a], extra_tls='min_version = "1.3"')
    with River(config) as river:
        port = river.port("tls")
        assert not handshake_ok(port, "-tls1_2")[0]
        assert handshake_ok(port, "-tls1_3")[0]


def test_configured_cipher_list_and_groups_are_used(ca):
    config = tls_config(Origin(), [ca.a],
                        extra_tls='ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"\ngroups = "P-384"')
    with River(config) as river:
        port = river.port("tls")
        ok, output = handshake_ok(port, "-tls1_2")
        assert ok and "ECDHE-ECDSA-CHACHA20-POLY1305" in output, output
        assert not handshake_ok(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")[0]
        assert not handshake_ok(port, "-groups", "X25519")[0]
        assert handshake_ok(port, "-groups", "P-384")[0]


def test_alpn_agrees_on_http_1_1(ca):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        ok, output = handshake_ok(river.port("tls"), "-alpn", "http/1.1", brief=False)
        assert ok and "ALPN protocol: http/1.1" in output, output
        # A client offering only protocols River does not speak still gets HTTP/1.1 service.
        ok, output = handshake_ok(river.port("tls"), "-alpn", "spdy/3", brief=False)
        assert ok and "No ALPN negotiated" in output, output


def _resumed(port, tmp_path, *version):
    session = tmp_path / "session.pem"
    # The request makes the TLS 1.3 server send its tickets before the client leaves.
    request = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    # -ign_eof: read until River closes, so the TLS 1.3 tickets are in before the client goes.
    first = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                            "-servername", "a.test", "-ign_eof", "-sess_out", str(session),
                            *version],
                           input=request, capture_output=True, timeout=10 * SLOWDOWN)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                             "-servername", "a.test", "-ign_eof", "-sess_in", str(session),
                             *version],
                            input=request, capture_output=True, timeout=10 * SLOWDOWN)
    return b"Reused, TLSv1" in second.stdout


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_sessions_resume_with_tickets(ca, tmp_path, version):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        assert _resumed(river.port("tls"), tmp_path, version)


def test_sessions_do_not_resume_with_tickets_off(ca, tmp_path):
    with Origin() as origin, River(tls_config(origin, [ca.a],
                                              extra_tls="session_tickets = false")) as river:
        assert not _resumed(river.port("tls"), tmp_path, "-tls1_3")


def test_ticket_key_rotation_keeps_resumption_across_one_rotation(ca, tmp_path):
    config = tls_config(Origin(), [ca.a], extra_tls='ticket_key_rotation = "1s"')
    with River(config) as river:
        port = river.port("tls")
        session = tmp_path / "s.pem"
        request = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                        "-sess_out", str(session)], input=request, capture_output=True,
                       timeout=10 * SLOWDOWN, check=True)
        time.sleep(1.2)  # one rotation: the ticket's key is now the previous one
        again = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                                "-sess_in", str(session)], input=request, capture_output=True,
                               timeout=10 * SLOWDOWN)
        assert b"Reused, TLSv1.2" in again.stdout
        time.sleep(2.5)  # two more rotations: the key is gone, a full handshake follows
        late = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                               "-sess_in", str(session)], input=request, capture_output=True,
                              timeout=10 * SLOWDOWN)
        assert b"New, TLSv1.2" in late.stdout


def test_a_silent_client_is_dropped_after_the_header_timeout(ca):
    config = tls_config(Origin(), [ca.a], extra_service='[service.timeouts]\nrequest_header = "1s"')
    with River(config) as river:
        sock = socket.create_connection(("127.0.0.1", river.port("tls")), timeout=5 * SLOWDOWN)
        started = time.monotonic()
        try:
            assert sock.recv(100) == b""
        except ConnectionResetError:
            pass
        assert time.monotonic() - started < 4 * SLOWDOWN
        sock.close()


def test_plain_http_or_garbage_on_a_tls_port_is_closed_and_river_serves_on(ca):
    with Origin() as origin, River(tls_config(origin, [ca.a])) as river:
        port = river.port("tls")
        for junk in [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"\x16\x03\x01\x00\x05hello",
                     b"\x16\x03\x03\xff\xff" + b"A" * 100]:
            with socket.create_connection(("127.0.0.1", port), timeout=5 * SLOWDOWN) as sock:
                sock.sendall(junk)
                data = b""
                try:
                    while chunk := sock.recv(4096):
                        data += chunk
                except (ConnectionResetError, socket.timeout):
                    pass
                assert b"HTTP/1.1" not in data
        assert origin.connections == 0
        assert handshake_ok(port)[0]


def test_check_names_a_missing_certificate_file(ca, tmp_path):
    config = tmp_path / "river.toml"
    config.write_text(tls_config(Origin(), [(tmp_path / "nope.crt", ca.a[1])]))
    result = run_river("check", "-c", str(config))
    assert result.returncode != 0
    assert "nope.crt" in result.stderr and "river.toml:" in result.stderr, result.stderr


def test_check_names_a_key_that_does_not_match_the_certificate(ca, tmp_path):
    config = tmp_path / "river.toml"
    config.write_text(tls_config(Origin(), [(ca.a[0], ca.b[1])]))
    result = run_river("check", "-c", str(config))
    assert result.returncode != 0
    assert "does not match" in result.stderr and str(ca.b[1]) in result.stderr, result.stderr


def test_check_rejects_old_versions_and_unknown_tls_keys(ca, tmp_path):
    config = tmp_path / "river.toml"
    config.write_text(tls_config(Origin(), [ca.a], extra_tls='min_version = "1.0"'))
    result = run_river("check", "-c", str(config))
    assert result.returncode != 0 and "min_version" in result.stderr, result.stderr

    config.write_text(tls_config(Origin(), [ca.a], extra_tls='session_ticket = true'))
    result = run_river("check", "-c", str(config))
    assert result.returncode != 0
    assert "did you mean 'session_tickets'" in result.stderr, result.stderr


def test_check_rejects_an_invalid_cipher_list(ca, tmp_path):
    config = tmp_path / "river.toml"
    config.write_text(tls_config(Origin(), [ca.a], extra_tls='ciphers = "NOT-A-CIPHER"'))
    result = run_river("check", "-c", str(config))
    assert result.returncode != 0 and "cipher" in result.stderr, result.stderr


def test_the_bundled_tls_example_starts_from_the_repository_root():
    # The example is run as it is, on its own ports (127.0.0.1:8443 and :9000).
    from harness import REPO
    with River((REPO / "examples" / "tls-h2.toml").read_text()) as river:
        result = curl("-k", "--http2", "-w", "\nversion=%{http_version}", "https://127.0.0.1:8443/")
        assert result.returncode == 0, result.stderr
        assert b"River quickstart" in result.stdout
        assert result.stdout.endswith(b"\nversion=2"), result.stdout[-40:]
        lines = river.wait_access_lines(2)
        assert any("service=proxy" in l and "protocol=HTTP/2.0" in l for l in lines), lines
