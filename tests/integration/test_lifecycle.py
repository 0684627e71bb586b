"""The river command line (check, print-default-config, --help), graceful shutdown, the
quickstart, the file service end to end, and the access log."""
import re
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from harness import (REPO, SLOWDOWN, Origin, River, curl, free_port, proxy_config, raw_exchange,
                     run_river, statuses)
from proxy_client import Client, read_origin_request


def ok(body=b"ok"):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def answering(respond):
    def handle(conn):
        while True:
            got = read_origin_request(conn)
            if got is None:
                return
            data = respond(*got)
            if data is None or not conn.send(data):
                return
    return handle


def access_fields(line):
    """The key=value fields of an access log line (target unquoted)."""
    fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return {key: value.strip('"') for key, value in fields.items()}


# ---------------------------------------------------------------------------------------------
# Command line


GOOD = """
[system]
threads = 1

[[service]]
name = "web"
listen = ["127.0.0.1:0"]
upstream = ["127.0.0.1:9000"]
"""

BAD = """[system]
threads = "two"

[[service]]
name = "web"
listen = ["127.0.0.1:0"]
upstream = ["127.0.0.1:9000"]

[service.timeouts]
conect = "2s"
"""


def test_check_accepts_a_good_file(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    result = run_river("check", "-c", str(path))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_check_rejects_a_bad_file_naming_file_line_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    result = run_river("check", "-c", str(path))
    assert result.returncode != 0
    assert f"{path}:2: system.threads:" in result.stderr, result.stderr
    assert f"{path}:10: service[0].timeouts.conect:" in result.stderr, result.stderr
    assert "connect" in result.stderr.split("conect:")[1]  # the suggestion
    assert "valid" not in result.stdout


def test_check_reports_a_toml_syntax_error_with_its_position(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text('[system]\nthreads = 1\nlog_level = "info\n')
    result = run_river("check", "-c", str(path))
    assert result.returncode != 0
    assert re.search(rf"{re.escape(str(path))}:3:\d+: invalid TOML", result.stderr), result.stderr


def test_check_of_a_missing_file_fails(tmp_path):
    result = run_river("check", "-c", str(tmp_path / "absent.toml"))
    assert result.returncode != 0
    assert "absent.toml" in result.stderr


def test_run_refuses_a_bad_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    result = run_river("run", "-c", str(path))
    assert result.returncode != 0
    assert "system.threads" in result.stderr


def test_print_default_config_passes_check(tmp_path):
    printed = run_river("print-default-config")
    assert printed.returncode == 0, printed.stderr
    assert "[system]" in printed.stdout and "[[service]]" in printed.stdout
    path = tmp_path / "default.toml"
    path.write_text(printed.stdout)
    checked = run_river("check", "-c", str(path))
    assert checked.returncode == 0, checked.stderr


def test_help_lists_the_subcommands():
    result = run_river("--help")
    assert result.returncode == 0
    for command in ["run", "check", "print-default-config"]:
        assert re.search(rf"(?m)^\s+{command}\s", result.stdout), result.stdout


# ---------------------------------------------------------------------------------------------
# Graceful shutdown


def _slow_origin(delay):
    def handle(conn):
        while read_origin_request(conn) is not None:
            time.sleep(delay)
            if not conn.send(ok(b"slow but complete")):
                return
    return handle


def _refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        # A reset: the connection reached the backlog just as the listener closed, and the
        # kernel dropped it unserved.
        return True


def test_sigterm_lets_an_in_flight_request_finish_and_refuses_new_connections():
    config = proxy_config("ORIGIN", extra_system='shutdown_grace = "5s"')
    with Origin(_slow_origin(1.5)) as origin, \
            River(config.replace("ORIGIN", origin.address)) as river:
        port = river.port("proxy")
        with Client(port) as client:
            client.send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            assert origin.wait_received(b"GET /slow ")
            signalled = time.monotonic()
            river.proc.send_signal(signal.SIGTERM)

            # New connections are refused once the signal is handled (well before the slow
            # answer is due).
            refused = False
            while time.monotonic() - signalled < 1.0:
                if _refused(port):
                    refused = True
                    break
                time.sleep(0.05)
            assert refused, "River still accepted connections after SIGTERM"

            response = client.read_response(timeout=5)
            assert response.status == 200
            assert response.body == b"slow but complete"
            # A draining River closes the connection after the response.
            assert (response.header("Connection") or "").lower() == "close"
            assert client.closed_by_peer(timeout=3)
        code = river.proc.wait(timeout=5 * SLOWDOWN)
        elapsed = time.monotonic() - signalled
        assert code == 0, river.log_text()
        assert elapsed < 5, elapsed
        assert "shutdown complete" in river.log_text()
        assert any("status=200" in line and 'target="/slow"' in line
                   for line in river.access_lines())


def test_sigterm_closes_idle_keep_alive_connections_at_once():
    with Origin(answering(lambda head, body: ok())) as origin, \
            River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
            river.proc.send_signal(signal.SIGTERM)
            assert client.closed_by_peer(timeout=2)
        assert river.proc.wait(timeout=5 * SLOWDOWN) == 0


def test_shutdown_grace_expiry_closes_a_stuck_request():
    def stuck(conn):
        read_origin_request(conn)
        time.sleep(6 * SLOWDOWN)

    config = proxy_config("ORIGIN", extra_system='shutdown_grace = "1s"')
    with Origin(stuck) as origin, River(config.replace("ORIGIN", origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
            assert origin.wait_received(b"GET /stuck ")
            signalled = time.monotonic()
            river.proc.send_signal(signal.SIGTERM)
            code = river.proc.wait(timeout=5 * SLOWDOWN)
            elapsed = time.monotonic() - signalled
            assert 0.9 < elapsed < 2.5 * SLOWDOWN, elapsed
            assert code == 0
            assert client.closed_by_peer(timeout=2), "client connection left open"
            assert b"200" not in client.buffer
        assert "grace period over" in river.log_text()


# ---------------------------------------------------------------------------------------------
# Quickstart


def _port_busy(port):
    with socket.socket() as s:
        # Like River's listener: connections in TIME_WAIT do not make the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
            return False
        except OSError:
            return True


def test_quickstart_serves_the_bundled_page():
    if _port_busy(8080) or _port_busy(9000):
        pytest.skip("port 8080 or 9000 is in use")
    river = River("# unused\n")
    river.config_path = Path("examples/quickstart.toml")  # as `make run` passes it
    river.start(expect_listeners=2)
    try:
        result = curl("-i", "http://127.0.0.1:8080/")
        assert result.returncode == 0, result.stderr
        head, body = result.stdout.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert body == (REPO / "examples" / "site" / "index.html").read_bytes()
        assert re.search(rb"(?i)\r\ncontent-type: text/html", head)
        assert re.search(rb"(?i)\r\nvia: 1.1 river", head)
    finally:
        river.stop()


# ---------------------------------------------------------------------------------------------
# The file service, directly and through a proxy service in front of it


@pytest.fixture(scope="module")
def site():
    """River with a file service and a proxy in front of it (like the quickstart), serving
    a directory with a file, a subdirectory with an index, and a secret next to the root."""
    base = Path(tempfile.mkdtemp(prefix="river-site-"))
    root = base / "root"
    (root / "docs").mkdir(parents=True)
    data = bytes(range(256)) * 40
    (root / "data.bin").write_bytes(data)
    (root / "docs" / "index.html").write_text("<p>docs index</p>\n")
    (base / "secret.txt").write_text("outside the root\n")
    files_port = free_port()
    config = f"""
[system]
threads = 2

[[service]]
name = "site"
listen = ["127.0.0.1:{files_port}"]

[service.files]
root = "{root}"

[[service]]
name = "proxy"
listen = ["127.0.0.1:0"]
upstream = ["127.0.0.1:{files_port}"]
"""
    with River(config) as river:
        yield river, data


@pytest.fixture(params=["site", "proxy"], ids=["direct", "proxied"])
def file_port(request, site):
    river, data = site
    return river.port(request.param), data


def test_files_whole_file(file_port):
    port, data = file_port
    result = curl("-i", f"http://127.0.0.1:{port}/data.bin")
    head, body = result.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == data
    assert re.search(rb"(?i)\r\naccept-ranges: bytes", head)


def test_files_range_is_206(file_port):
    port, data = file_port
    result = curl("-i", "-r", "100-199", f"http://127.0.0.1:{port}/data.bin")
    head, body = result.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 206"), head
    assert re.search(rb"(?i)\r\ncontent-range: bytes 100-199/%d" % len(data), head), head
    assert body == data[100:200]


def test_files_if_none_match_is_304(file_port):
    port, _ = file_port
    with Client(port) as client:
        client.send(b"GET /data.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        first = client.read_response()
        etag = first.header("ETag")
        assert first.status == 200 and etag
        client.send(b"GET /data.bin HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n"
                    % etag.encode())
        second = client.read_response(timeout=3)
        assert second.status == 304, second
        assert second.header("ETag") == etag
        assert second.header("Content-Length") is None
        # The connection goes on after the 304 (no stray body bytes in between).
        client.send(b"GET /docs/ HTTP/1.1\r\nHost: t\r\n\r\n")
        third = client.read_response(timeout=3)
        assert third.status == 200 and third.body == b"<p>docs index</p>\n"


def test_files_head_has_length_and_no_body(file_port):
    port, data = file_port
    with Client(port) as client:
        client.send(b"HEAD /data.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                    b"GET /docs/ HTTP/1.1\r\nHost: t\r\n\r\n")
        head = client.read_response(method="HEAD", timeout=3)
        assert head.status == 200
        assert head.header("Content-Length") == str(len(data))
        following = client.read_response(timeout=3)
        assert following.status == 200 and following.body == b"<p>docs index</p>\n"


@pytest.mark.parametrize("target", [b"/../secret.txt", b"/docs/../../secret.txt",
                                    b"/%2e%2e/secret.txt", b"/docs/%2E%2E/%2e%2e/secret.txt"])
def test_files_traversal_is_refused(file_port, target):
    port, _ = file_port
    out = raw_exchange(port, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n"
                       b"Connection: close\r\n\r\n", timeout=2)
    assert statuses(out)[:1] in ([400], [404]), out
    assert b"outside the root" not in out


def test_files_traversal_with_curl_path_as_is(file_port):
    port, _ = file_port
    result = curl("-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                  f"http://127.0.0.1:{port}/docs/../../secret.txt")
    assert result.stdout in (b"400", b"404")


def test_files_directory_without_slash_is_301(file_port):
    port, _ = file_port
    result = curl("-i", f"http://127.0.0.1:{port}/docs?x=1")
    head = result.stdout.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 301"), head
    assert re.search(rb"(?i)\r\nlocation: /docs/\?x=1(\r\n|$)", head), head
    followed = curl("-sL", f"http://127.0.0.1:{port}/docs")
    assert followed.stdout == b"<p>docs index</p>\n"


# ---------------------------------------------------------------------------------------------
# Access log


def test_access_log_fields_for_proxied_requests():
    with Origin(answering(lambda head, body: ok(b"0123456789"))) as origin, \
            River(proxy_config(origin.address)) as river:
        with Client(river.port("proxy")) as client:
            client.send(b"GET /path?q=1 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.read_response().status == 200
            client.send(b"POST /submit HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\npayload")
            assert client.read_response().status == 200
        lines = river.wait_access_lines(2)
        assert len(lines) == 2
        first, second = access_fields(lines[0]), access_fields(lines[1])
        assert first["service"] == "proxy"
        assert first["client"] == "127.0.0.1"
        assert first["method"] == "GET"
        assert first["target"] == "/path?q=1"
        assert first["protocol"] == "HTTP/1.1"
        assert first["status"] == "200"
        assert first["bytes_in"] == "0"
        assert first["bytes_out"] == "10"
        assert first["upstream"] == origin.address
        assert first["reused"] == "0"
        assert float(first["upstream_ms"]) >= 0 and float(first["ms"]) >= 0
        assert first["reason"] == "-"
        assert second["method"] == "POST"
        assert second["bytes_in"] == "7"
        assert second["reused"] == "1"


def test_access_log_to_a_file_and_off(tmp_path):
    log = tmp_path / "access.log"
    with Origin(answering(lambda head, body: ok())) as origin:
        config = proxy_config(origin.address, extra_system=f'access_log = "{log}"')
        with River(config) as river:
            assert curl(river.url("proxy", "/to-file")).returncode == 0
            deadline = time.monotonic() + 3 * SLOWDOWN
            while time.monotonic() < deadline and "/to-file" not in (
                    log.read_text() if log.exists() else ""):
                time.sleep(0.05)
            river.stop()
        assert 'target="/to-file"' in log.read_text()
        assert river.access_lines() == []
        with River(proxy_config(origin.address, extra_system='access_log = "off"')) as river:
            assert curl(river.url("proxy", "/quiet")).returncode == 0
            time.sleep(0.2)
            river.stop()
            assert river.access_lines() == []
