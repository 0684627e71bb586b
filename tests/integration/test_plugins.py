"""WASM plugins (proxy-wasm ABI 0.2.1) on the request path, with the example plugins built
into build/examples/plugins: header edits, local responses, body rewriting, properties,
metrics and shared data across workers under concurrent load, fault isolation (trap, endless
loop) fail-closed and fail-open, and `river check` errors."""
import re
import threading
import time
from pathlib import Path

import pytest

from harness import (BINARY, REPO, SLOWDOWN, Origin, River, curl, free_port, raw_exchange,
                     run_river, statuses)

PLUGIN_DIR = Path(BINARY).resolve().parent / "examples" / "plugins"


def plugin_path(name):
    path = PLUGIN_DIR / f"{name}.wasm"
    if not path.exists():
        pytest.skip(f"{path} not built")
    return path


def plugin_table(name, wasm=None, configuration=None, extra=""):
    lines = [f'[[plugin]]', f'name = "{name}"', f'path = "{plugin_path(wasm or name)}"']
    if configuration is not None:
        lines.append(f'configuration = "{configuration}"')
    return "\n".join(lines) + "\n" + extra + "\n"


def config(upstream, plugins, tables, threads=2, extra_service=""):
    names = ", ".join(f'"{p}"' for p in plugins)
    return f"""
[system]
threads = {threads}

[[service]]
name = "proxy"
listen = ["127.0.0.1:0"]
upstream = ["{upstream}"]
plugins = [{names}]
{extra_service}

{tables}
"""


def head_of(response):
    head, _, body = response.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def header(head, name):
    m = re.search(rf"^{re.escape(name)}:\s*(.*?)\r?$", head, re.I | re.M)
    return m.group(1) if m else None


def get(river, path="/", extra=b""):
    req = b"GET %s HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n%s\r\n" % (
        path.encode(), extra)
    return raw_exchange(river.port("proxy"), req)


def reply_with(response):
    """Handler: answers every request on the connection with the raw `response`."""
    def handle(conn):
        while conn.read_request() is not None:
            if not conn.send(response):
                return
    return handle


# ---------------------------------------------------------------------------------------------
# The quickstart with a plugin


def test_example_plugin_toml_adds_header(tmp_path):
    """examples/plugin.toml as shipped, with its fixed ports swapped for free ones (other
    programs on this machine may hold 8080 and 9000)."""
    text = (REPO / "examples" / "plugin.toml").read_text()
    assert 'path = "build/examples/plugins/add_header.wasm"' in text
    site = f"127.0.0.1:{free_port()}"
    text = text.replace("127.0.0.1:9000", site).replace('"127.0.0.1:8080"', '"127.0.0.1:0"')
    text = text.replace('root = "examples/site"', f'root = "{REPO / "examples" / "site"}"')
    plugin = Path(BINARY).resolve().parent / "examples" / "plugins" / "add_header.wasm"
    text = text.replace("build/examples/plugins/add_header.wasm", str(plugin))
    with River(text) as river:
        out = curl("-i", river.url("proxy", "/"))
        assert out.returncode == 0, out.stderr
        head, body = head_of(out.stdout)
        assert re.search(r"^HTTP/1\.1 200", head), head
        assert header(head, "x-river-plugin") == "add_header", head
        assert b"<!doctype html>" in body.lower()


# ---------------------------------------------------------------------------------------------
# Header edits, local responses, bodies


def test_add_header_to_request_and_response():
    with Origin() as origin:
        with River(config(origin.address, ["add_header"], plugin_table("add_header"))) as river:
            head, body = head_of(get(river, extra=b"User-Agent: tester/1\r\n"))
            assert header(head, "x-river-plugin") == "add_header", head
            assert body == b"ok"
            assert origin.wait_received(b"x-river-plugin: add_header\r\n")
            time.sleep(0.1)
            assert "plugin log plugin=add_header message=user-agent=tester/1" in river.log_text()


def test_deny_path_answers_403_without_the_upstream():
    with Origin() as origin:
        tables = plugin_table("deny_path", configuration="/admin")
        with River(config(origin.address, ["deny_path"], tables)) as river:
            head, body = head_of(get(river, "/admin/users"))
            assert head.startswith("HTTP/1.1 403"), head
            assert header(head, "x-denied-by") == "deny_path"
            assert body == b"forbidden by plugin deny_path\n"
            assert origin.received() == b""
            head, body = head_of(get(river, "/public"))
            assert head.startswith("HTTP/1.1 200"), head
            assert body == b"ok"
            lines = river.wait_access_lines(2)
            assert any("403" in line and "plugin_local_response" in line for line in lines), lines


def test_rewrite_body_content_length_and_chunked():
    body = b"hello river, river!"
    cl = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with Origin(reply_with(cl)) as origin:
        with River(config(origin.address, ["rewrite_body"], plugin_table("rewrite_body"))) as river:
            out = curl("-s", river.url("proxy", "/"))
            assert out.stdout == b"hello RIVER, RIVER!"

    # Chunked, with the word split across two chunks sent apart: the plugin holds the body.
    def split(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nxriv\r\n")
        time.sleep(0.1)
        conn.send(b"5\r\ner-yz\r\n0\r\n\r\n")
        time.sleep(0.2)
    with Origin(split) as origin:
        tables = plugin_table("rewrite_body", configuration="river=flowing water")
        with River(config(origin.address, ["rewrite_body"], tables)) as river:
            out = curl("-s", river.url("proxy", "/"))
            assert out.stdout == b"xflowing water-yz", out


def test_rewrite_body_larger_than_the_limit_is_cut_off():
    big = b"x" * 300_000

    def handle(conn):
        while True:
            request = conn.read_request()
            if request is None:
                return
            body = big if request[0].startswith(b"GET /big") else b"small river"
            if not conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)):
                return

    with Origin(handle) as origin:
        tables = plugin_table("rewrite_body", extra="max_body_bytes = 65536")
        with River(config(origin.address, ["rewrite_body"], tables)) as river:
            out = curl("-s", "-o", "/dev/null", "-w", "%{size_download}", river.url("proxy", "/big"))
            # The head was committed before the body outgrew the limit: the response is cut.
            assert out.returncode != 0
            assert out.stdout != b"300000"
            assert any("filter_buffer_full" in line for line in river.wait_access_lines(1))
            # Requests within the limit still work.
            out = curl("-s", river.url("proxy", "/"))
            assert out.stdout == b"small RIVER"


def test_inspect_uses_the_abi():
    with Origin() as origin:
        with River(config(origin.address, ["inspect"], plugin_table("inspect"))) as river:
            req = (b"POST /p?q=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: ua/2\r\n"
                   b"X-Replace-Me: a\r\nX-Remove-Me: b\r\nContent-Length: 3\r\n"
                   b"Connection: close\r\n\r\nabc")
            head, body = head_of(raw_exchange(river.port("proxy"), req))
            assert head.startswith("HTTP/1.1 200"), head
            assert header(head, "x-upstream-status") == "200"
            assert header(head, "x-response-code") == "200"
            assert header(head, "x-request-agent") == "ua/2"
            assert origin.wait_received(b"+inspected")
            received = origin.received().decode("latin-1")
            want = {
                "x-prop-path": "/p?q=1", "x-prop-method": "POST", "x-prop-host": "example.test",
                "x-prop-scheme": "http", "x-prop-protocol": "HTTP/1.1",
                "x-prop-source": "127.0.0.1", "x-prop-plugin": "inspect",
                "x-prop-missing": "(none)", "x-set-by-pairs": "yes", "x-replace-me": "replaced",
                "x-bad-status": "2", "x-http-call-status": "12", "x-time-ok": "1",
            }
            for name, value in want.items():
                assert header(received, name) == value, (name, received)
            assert header(received, "x-remove-me") is None
            assert "x-injected" not in received.lower()
            # The body travels chunked, with the plugin's addition.
            assert re.search(r"transfer-encoding: chunked", received, re.I)
            assert "abc +inspected" in received.replace("\r\n", "")


    # Trailers both ways (chunked request, chunked response with a trailer).
    origin_reply = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-o\r\n\r\n"
                    b"2\r\nhi\r\n0\r\nx-o: 1\r\n\r\n")
    with Origin(reply_with(origin_reply)) as origin:
        with River(config(origin.address, ["inspect"], plugin_table("inspect"))) as river:
            req = (b"POST / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n"
                   b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\nx-client: 1\r\n\r\n")
            out = raw_exchange(river.port("proxy"), req)
            assert statuses(out) == [200], out
            assert origin.wait_received(b"x-trailer-seen: 1\r\n")
            assert b"x-trailer-seen: 1\r\n" in out, out
            river.stop()
            log = river.log_text()
            for metric in ("inspect_log", "inspect_done", "inspect_delete"):
                assert f"plugin metric name={metric} value=1" in log, log


# ---------------------------------------------------------------------------------------------
# Several workers under concurrent load


def test_metrics_and_shared_data_across_workers():
    requests, clients = 120, 6
    with Origin() as origin:
        tables = plugin_table("count_requests") + plugin_table("shared_counter")
        with River(config(origin.address, ["count_requests", "shared_counter"], tables,
                          threads=4)) as river:
            url = river.url("proxy", "/")
            results, lock = [], threading.Lock()

            def client(n):
                for _ in range(n):
                    out = curl("-s", "-D", "-", "-o", "/dev/null", url)
                    with lock:
                        results.append(out.stdout.decode("latin-1"))

            threads = [threading.Thread(target=client, args=(requests // clients,))
                       for _ in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120 * SLOWDOWN)
            assert len(results) == requests
            assert all(r.startswith("HTTP/1.1 200") for r in results)
            shared = sorted(int(header(r, "x-shared-counter")) for r in results)
            # Compare-and-swap across workers: every request got its own value.
            assert shared == list(range(1, requests + 1))
            counts = [int(header(r, "x-request-count")) for r in results]
            assert max(counts) <= requests and min(counts) >= 1
            river.stop()
            log = river.log_text()
            assert f"plugin metric name=river_plugin_requests_total value={requests}" in log
            # One instance per worker that served requests (plus the one `load` starts).
            starts = log.count("plugin=count_requests fd=1 message=count_requests starting")
            assert starts >= 3, log


# ---------------------------------------------------------------------------------------------
# Fault isolation


@pytest.mark.parametrize("fail_open", [False, True])
def test_trapping_plugin_fails_only_its_request(fail_open):
    with Origin() as origin:
        tables = plugin_table("trap", extra=f"fail_open = {str(fail_open).lower()}")
        cfg = config(origin.address, ["trap"], tables) + f"""
[[service]]
name = "clean"
listen = ["127.0.0.1:0"]
upstream = ["{origin.address}"]
plugins = ["add_header"]

{plugin_table("add_header")}
"""
        with River(cfg) as river:
            for _ in range(3):
                head, body = head_of(get(river))
                if fail_open:
                    assert head.startswith("HTTP/1.1 200"), head
                else:
                    assert head.startswith("HTTP/1.1 500"), head
                out = curl("-s", "-i", river.url("clean", "/"))
                assert out.stdout.startswith(b"HTTP/1.1 200")
            time.sleep(0.1)
            log = river.log_text()
            assert "plugin failed plugin=trap callback=proxy_on_request_headers" in log
            assert "unreachable" in log
            assert "plugin instance recreated plugin=trap" in log
            if not fail_open:
                assert any("plugin_failed" in line for line in river.access_lines())


@pytest.mark.parametrize("fail_open", [False, True])
def test_endless_plugin_is_stopped_by_its_budget(fail_open):
    with Origin() as origin:
        tables = plugin_table("endless", extra=f'cpu_budget = "20ms"\nfail_open = {str(fail_open).lower()}')
        cfg = config(origin.address, ["endless"], tables, threads=2) + f"""
[[service]]
name = "clean"
listen = ["127.0.0.1:0"]
upstream = ["{origin.address}"]
"""
        with River(cfg) as river:
            done = []

            def slow():
                started = time.monotonic()
                done.append((get(river), time.monotonic() - started))

            t = threading.Thread(target=slow)
            t.start()
            # Other requests are served meanwhile.
            out = curl("-s", "-i", river.url("clean", "/"))
            assert out.stdout.startswith(b"HTTP/1.1 200")
            t.join(timeout=10 * SLOWDOWN)
            response, elapsed = done[0]
            expected = 200 if fail_open else 500
            assert statuses(response) == [expected], response
            assert elapsed < 2 * SLOWDOWN
            time.sleep(0.1)
            assert "ran past its CPU-time budget" in river.log_text()
            # The instance was recreated and stops the next runaway the same way.
            assert statuses(get(river)) == [expected]


# ---------------------------------------------------------------------------------------------
# river check


def check(tmp_path, text):
    path = tmp_path / "river.toml"
    path.write_text(text)
    return run_river("check", "-c", str(path))


def test_check_accepts_plugins(tmp_path):
    out = check(tmp_path, config("127.0.0.1:1", ["add_header", "deny_path"],
                                 plugin_table("add_header") + plugin_table("deny_path")))
    assert out.returncode == 0, out.stderr
    assert "2 plugins" in out.stdout


def test_check_missing_plugin_file(tmp_path):
    text = config("127.0.0.1:1", ["p"], '[[plugin]]\nname = "p"\npath = "/nonexistent/p.wasm"\n')
    out = check(tmp_path, text)
    assert out.returncode == 2
    assert re.search(r"river\.toml:\d+: plugin\[0\]\.path: cannot open /nonexistent/p\.wasm",
                     out.stderr), out.stderr


def test_check_invalid_wasm(tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\x00asm\x01\x00\x00\x00garbage")
    out = check(tmp_path, config("127.0.0.1:1", ["p"], f'[[plugin]]\nname = "p"\npath = "{bad}"\n'))
    assert out.returncode == 2
    assert "plugin[0].path" in out.stderr and "wasm module" in out.stderr, out.stderr


def test_check_module_without_the_abi(tmp_path):
    # A valid module exporting only its memory: no allocator, no ABI marker.
    module = (b"\x00asm\x01\x00\x00\x00"
              b"\x05\x03\x01\x00\x01"                      # memory section: one memory, min 1
              b"\x07\x0a\x01\x06memory\x02\x00")           # export "memory"
    path = tmp_path / "empty.wasm"
    path.write_bytes(module)
    out = check(tmp_path, config("127.0.0.1:1", ["p"], f'[[plugin]]\nname = "p"\npath = "{path}"\n'))
    assert out.returncode == 2
    assert "proxy_on_memory_allocate" in out.stderr, out.stderr


def test_check_unknown_plugin_name(tmp_path):
    out = check(tmp_path, config("127.0.0.1:1", ["nope"], plugin_table("add_header")))
    assert out.returncode == 2
    assert re.search(r"river\.toml:\d+: service\[0\]\.plugins\[0\]: unknown plugin \"nope\"",
                     out.stderr), out.stderr


def test_check_plugin_rejecting_its_configuration(tmp_path):
    out = check(tmp_path, config("127.0.0.1:1", ["deny_path"],
                                 plugin_table("deny_path", configuration="not-a-path")))
    assert out.returncode == 2
    assert "proxy_on_configure rejected the configuration" in out.stderr, out.stderr


def test_check_plugin_keys(tmp_path):
    text = config("127.0.0.1:1", ["add_header"],
                  plugin_table("add_header", extra='cpu_budget = 5\nmax_memory_bytes = 10\nbogus = 1'))
    out = check(tmp_path, text)
    assert out.returncode == 2
    assert "plugin[0].cpu_budget" in out.stderr
    assert "plugin[0].max_memory_bytes" in out.stderr
    assert "plugin[0].bogus: unknown key" in out.stderr, out.stderr


# ---------------------------------------------------------------------------------------------
# AssemblyScript


def test_assemblyscript_plugin():
    with Origin() as origin:
        tables = plugin_table("as_add_header", configuration="from-as")
        with River(config(origin.address, ["as_add_header"], tables)) as river:
            head, body = head_of(get(river))
            assert head.startswith("HTTP/1.1 200"), head
            assert header(head, "x-river-plugin-as") == "from-as", head
            time.sleep(0.1)
            assert "as_add_header configured with from-as" in river.log_text()


def test_public_sdk_plugin_runs_unchanged():
    """sdk_headers is built against @solo-io/proxy-runtime 0.1.8 from the npm registry (ABI
    0.2.0, AssemblyScript 0.14), unchanged; its root context is chosen by root_id."""
    with Origin() as origin:
        tables = plugin_table("sdk_headers", configuration="sdk-config",
                              extra='root_id = "sdk_headers"')
        with River(config(origin.address, ["sdk_headers"], tables, threads=2)) as river:
            for _ in range(5):
                head, body = head_of(get(river, "/sdk/path?x=1"))
                assert head.startswith("HTTP/1.1 200"), (head, river.log_text())
                assert header(head, "x-river-sdk") == "sdk-config", head
                # The SDK exports the body callbacks, so the body travels chunked.
                assert header(head, "transfer-encoding") == "chunked"
                assert body == b"2\r\nok\r\n0\r\n\r\n"
            assert origin.wait_received(b"x-sdk-path: /sdk/path?x=1\r\n")


# ---------------------------------------------------------------------------------------------
# HTTP/2 clients


def test_plugins_run_for_http2_requests():
    from h2wire import h2c_config

    body = b"hello river"
    response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with Origin(reply_with(response)) as origin:
        text = h2c_config(origin.address,
                          extra_service='plugins = ["add_header", "rewrite_body", "deny_path"]')
        text += plugin_table("add_header") + plugin_table("rewrite_body")
        text += plugin_table("deny_path", configuration="/admin")
        with River(text) as river:
            out = curl("--http2-prior-knowledge", "-i", river.url("proxy", "/"))
            assert out.returncode == 0, out.stderr
            head, got = head_of(out.stdout)
            assert head.startswith("HTTP/2 200"), head
            assert header(head, "x-river-plugin") == "add_header", head
            assert got == b"hello RIVER"
            out = curl("--http2-prior-knowledge", "-i", river.url("proxy", "/admin/x"))
            head, got = head_of(out.stdout)
            assert head.startswith("HTTP/2 403"), head
            assert got == b"forbidden by plugin deny_path\n"
