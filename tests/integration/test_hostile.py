"""Hostile clients: request framing tricks beyond the cases (chunk-size spellings, trailers with
framing fields, malformed field names), Host abuse, floods (pipelining, tiny chunks, running
out of file descriptors) and hostile configuration files given to `river check`.

Each test names the behaviour it checks; the ones River gets wrong today are marked strict
xfail with the bytes that show it, so they start failing (XPASS) once River is fixed.
"""
import os
import resource
import subprocess
import time

import pytest

import harness
from harness import SLOWDOWN, Origin, River, free_port, proxy_config, run_river
from cases_wire import (OK_REPLY, RawClient, ScriptedOrigin, assert_refused, exchange,
                        origin_requests, request_lines)
from proxy_client import decode_chunked, request_head, request_head_all

CHUNKED_POST = b"POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"


def refused_400(request, allowed=(400,)):
    """Sends `request` on its own connection: River must answer one refusal, close, and
    forward nothing."""
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request)
        assert_refused(client, origin, allowed)


def refused_or_aborted(request):
    """Like `refused_400` for chunked bodies, which River streams: the upstream request may
    have started, but must never be completed."""
    script = ScriptedOrigin(idle=5)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request)
        responses = client.final_responses()
        assert [r.status for r in responses] == [400], client.data
        assert client.closed, "River kept the connection open after a broken chunked body"
        requests, _ = origin_requests(origin)
        assert requests == [], f"origin received a complete request: {origin.received()!r}"
        assert len(request_lines(origin.received())) <= 1, origin.received()


def forwarded_once(request):
    """Sends `request`; River answers 200 and the origin receives exactly one request, which
    is returned (head bytes and raw body bytes as received)."""
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(request)
            responses = client.wait_final_responses(1, timeout=3)
            assert [r.status for r in responses] == [200], client.data
        received = origin.received()
        assert len(request_lines(received)) == 1, received
        head, _, body = received.partition(b"\r\n\r\n")
        return head + b"\r\n\r\n", body


# ---------------------------------------------------------------------------------------------
# Chunk-size spellings and chunk extensions


@pytest.mark.parametrize("size_line", [b"0x5", b"+5", b" 5", b"-5", b"5 ", b"5\x00",
                                       b"\xef\xbc\x95",
                                       b"ffffffffffffffffff", b"10000000000000000"],
                         ids=["0x", "plus", "leading-space", "minus", "trailing-space", "nul",
                              "fullwidth-digit", "overflow-18", "overflow-2^64"])
def test_chunk_size_spellings_outside_the_grammar_are_refused(size_line):
    refused_or_aborted(CHUNKED_POST + size_line + b"\r\nhello\r\n0\r\n\r\n")


def test_chunk_extension_with_bws_before_semicolon_is_accepted_and_dropped():
    # RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS ext-name ...); extensions are hop-by-hop.
    head, body = forwarded_once(CHUNKED_POST + b"5\t;name=value\r\nhello\r\n0;x\r\n\r\n")
    if request_head(head, "Transfer-Encoding"):
        payload, _, _ = decode_chunked(body)
        assert b";" not in body, body
    else:
        payload = body
    assert payload == b"hello"


def test_very_long_chunk_extension_is_refused():
    refused_or_aborted(CHUNKED_POST + b"5;" + b"a" * 100000 + b"\r\nhello\r\n0\r\n\r\n")


def test_100000_leading_zeros_in_a_chunk_size_are_refused_not_buffered():
    refused_or_aborted(CHUNKED_POST + b"0" * 100000 + b"5\r\nhello\r\n0\r\n\r\n")


def test_chunk_size_with_twenty_leading_zeros_is_accepted():
    head, body = forwarded_once(CHUNKED_POST + b"0" * 19 + b"5\r\nhello\r\n0\r\n\r\n")
    payload = decode_chunked(body)[0] if request_head(head, "Transfer-Encoding") else body
    assert payload == b"hello"


# ---------------------------------------------------------------------------------------------
# Trailers


def origin_trailers(head, body):
    """The trailer field lines the origin received (none when River re-framed by length)."""
    if not request_head(head, "Transfer-Encoding"):
        return []
    return decode_chunked(body)[1]


@pytest.mark.parametrize("field", [b"Content-Length: 50", b"Transfer-Encoding: chunked",
                                   b"Connection: close", b"Keep-Alive: timeout=5", b"TE: trailers",
                                   b"Host: evil.test", b"X-Forwarded-For: 6.6.6.6"],
                         ids=["content-length", "transfer-encoding", "connection", "keep-alive",
                              "te", "host", "x-forwarded-for"])
def test_request_trailer_with_a_field_forbidden_in_trailers_is_not_forwarded(field):
    request = CHUNKED_POST + b"5\r\nhello\r\n0\r\n" + field + b"\r\n\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request, timeout=1.5)
        statuses = [r.status for r in client.final_responses()]
        assert statuses in ([200], [400]), client.data
        received = origin.received()
        if received:
            head, _, body = received.partition(b"\r\n\r\n")
            trailers = origin_trailers(head, body)
            name = field.split(b":")[0].lower()
            assert all(t.split(b":")[0].strip().lower() != name for t in trailers), received


def test_ordinary_request_trailer_is_forwarded():
    head, body = forwarded_once(CHUNKED_POST + b"5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n")
    assert request_head(head, "Transfer-Encoding") == "chunked"
    assert decode_chunked(body)[:2] == (b"hello", [b"X-Checksum: 1"])


@pytest.mark.parametrize("line", [b"Bad Name: x", b": x", b" x", b"X: a\x00b", b"X-\xc3\xa9: 1"],
                         ids=["space-in-name", "empty-name", "leading-space", "nul", "utf8-name"])
def test_malformed_trailer_line_is_refused(line):
    refused_or_aborted(CHUNKED_POST + b"5\r\nhello\r\n0\r\n" + line + b"\r\n\r\n")


def test_too_many_trailer_fields_get_431_and_no_complete_request():
    request = CHUNKED_POST + b"5\r\nhello\r\n0\r\n" + b"X-T: 1\r\n" * 5000 + b"\r\n"
    with Origin(ScriptedOrigin(idle=5)) as origin, River(proxy_config(origin.address)) as river:
        client = exchange(river.port("proxy"), request)
        assert [r.status for r in client.final_responses()] == [431], client.data
        assert client.closed
        assert origin_requests(origin)[0] == [], origin.received()


# ---------------------------------------------------------------------------------------------
# Field names and the Host field


@pytest.mark.parametrize("line", [b"Transfer-Encoding : chunked", b"Content-Length : 5",
                                  b"Content\x00-Length: 5", b"X-F\xc3\xa9: 1", b"X-Foo: a\x00b",
                                  b"X-Foo\t: 1", b"X-Foo\x0b: 1"],
                         ids=["space-before-colon-te", "space-before-colon-cl", "nul-in-name",
                              "utf8-name", "nul-in-value", "tab-before-colon", "vt-in-name"])
def test_malformed_field_line_is_refused_and_nothing_forwarded(line):
    refused_400(b"POST / HTTP/1.1\r\nHost: example.test\r\n" + line + b"\r\n\r\nhello")


def test_obs_text_in_a_field_value_is_forwarded_unchanged():
    head, _ = forwarded_once(b"GET / HTTP/1.1\r\nHost: example.test\r\nX-Foo: \xff\xfe\r\n\r\n")
    assert b"\r\nX-Foo: \xff\xfe\r\n" in head


@pytest.mark.parametrize("host", [b"a b", b"a/../b", b"a@b", b"a:port"],
                         ids=["space", "slash", "at", "bad-port"])
def test_host_with_an_invalid_value_gets_400(host):
    refused_400(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")


def test_request_without_host_and_with_two_hosts_gets_400_and_pipelined_request_is_dropped():
    for head in (b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
        refused_400(head + b"GET /second HTTP/1.1\r\nHost: a\r\n\r\n")


def test_absolute_form_x_forwarded_host_matches_the_host_sent():
    head, _ = forwarded_once(b"GET http://b.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n")
    assert request_head(head, "Host") == "b.test", head
    assert request_head_all(head, "X-Forwarded-Host") == ["b.test"], head


def test_absolute_form_with_a_port_out_of_range_gets_400():
    refused_400(b"GET http://b.test:99999/x HTTP/1.1\r\nHost: b.test\r\n\r\n")


# ---------------------------------------------------------------------------------------------
# Pipelining, splitting and floods


def test_request_split_at_every_byte_is_forwarded_intact():
    request = b"POST /split HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nhello"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            for i in range(len(request)):
                client.send(request[i:i + 1])
                time.sleep(0.001)
            assert [r.status for r in client.wait_final_responses(1, timeout=3)] == [200]
        requests, leftover = origin_requests(origin)
        assert leftover == b"" and len(requests) == 1, origin.received()
        assert requests[0].target == b"/split" and requests[0].body == b"hello"


def test_chunked_request_split_at_every_byte_is_forwarded_intact():
    request = CHUNKED_POST + b"5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    with Origin(ScriptedOrigin()) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            for i in range(len(request)):
                client.send(request[i:i + 1])
                time.sleep(0.001)
            assert [r.status for r in client.wait_final_responses(1, timeout=3)] == [200]
        requests, _ = origin_requests(origin)
        assert len(requests) == 1 and requests[0].body == b"hello world", origin.received()


def test_5000_pipelined_requests_in_one_write_are_all_answered_in_order():
    count = 5000
    with Origin(ScriptedOrigin(reply=lambda r: b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                               % (len(r.target), r.target))) as origin, \
            River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(b"".join(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(count)))
            # Counting status lines is cheap; parsing everything after each read is quadratic
            # and made this test measure the client instead of River.
            client.read_until(lambda data: data.count(b"HTTP/1.1 200 ") >= count, timeout=30)
            responses = client.final_responses()
            assert len(responses) == count
            assert [r.body for r in responses] == [b"/%d" % i for i in range(count)]
        assert river.rss_kib() < 64 * 1024 * (4 if harness.SANITIZED else 1)


def test_pipelined_request_after_a_400_is_not_processed():
    refused_400(b"GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"
                b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")


def river_cpu_seconds(river):
    fields = open(f"/proc/{river.proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_many_tiny_chunks_cost_little_cpu():
    count = 200000
    received = [0]

    def drain(conn):
        tail = b""
        while True:
            conn.sock.settimeout(30 * SLOWDOWN)
            try:
                data = conn.sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            received[0] += len(data)
            tail = (tail + data)[-7:]
            if tail.endswith(b"\r\n0\r\n\r\n"):
                conn.send(OK_REPLY)
                tail = b""

    with Origin(drain) as origin, River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            before = river_cpu_seconds(river)
            client.send(CHUNKED_POST + b"1\r\na\r\n" * count + b"0\r\n\r\n")
            assert [r.status for r in client.wait_final_responses(1, timeout=30)] == [200]
            spent = river_cpu_seconds(river) - before
        # A proxy that decodes what one read brings and writes it in one go spends a few tens
        # of milliseconds on 1.2 MB; one system call per chunk costs ten times more.
        assert spent < 0.15 * SLOWDOWN, f"{spent:.2f} s of CPU for {count} one-byte chunks"


# NOTE: not a River bug. UBSan's vptr check probes memory with pipe2() the first time it meets
# a type; while River is out of descriptors that fails with EMFILE and UBSan reports "invalid
# vptr" for a valid object, then stops River (-fno-sanitize-recover). Checked under gdb at the
# report: the Exchange named is a live Http1Session, allocated (not freed), unpoisoned, with
# an intact vptr and fields. The same happens on the accept path (boost error_category), and
# runtime suppressions do not help because matching them needs the same probe.
@pytest.mark.xfail(harness.SANITIZED, strict=True, reason="UBSan runtime false positive: its "
                   "vptr check probes memory with pipe2(), which fails with EMFILE, so it reports "
                   "\"invalid vptr\" on valid objects and stops River; release builds answer 502")
def test_running_out_of_file_descriptors_answers_502_and_recovers():
    """With RLIMIT_NOFILE at 64 and 100 clients connected, the accepted ones still get an answer
    (502: no descriptor for the upstream connection), River does not spin, and once the clients
    leave it serves normally again."""
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    original = subprocess.Popen

    def popen(*args, **kwargs):
        kwargs["preexec_fn"] = low_limit
        return original(*args, **kwargs)

    with Origin(ScriptedOrigin()) as origin:
        harness.subprocess.Popen = popen
        try:
            river = River(proxy_config(origin.address)).start()
        finally:
            harness.subprocess.Popen = original
        try:
            port = river.port("proxy")
            clients = [RawClient(port) for _ in range(100)]
            try:
                time.sleep(0.5)
                cpu_before = river_cpu_seconds(river)
                time.sleep(1.0)
                assert river_cpu_seconds(river) - cpu_before < 0.2, "River spins on EMFILE"
                clients[0].send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                responses = clients[0].wait_final_responses(1, timeout=5)
                assert [r.status for r in responses] == [502], clients[0].data
            finally:
                for client in clients:
                    client.close()
            time.sleep(1.0 * SLOWDOWN)
            client = exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                              timeout=5)
            assert [r.status for r in client.final_responses()] == [200], client.data
            assert river.proc.poll() is None
        finally:
            river.stop()


# ---------------------------------------------------------------------------------------------
# Hostile configuration files


def check_file(tmp_path, text, name="river.toml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return run_river("check", "-c", str(path))


BASE = '[[service]]\nname = "p"\nlisten = ["127.0.0.1:0"]\nupstream = ["127.0.0.1:1"]\n'


@pytest.mark.parametrize("text", [
    "x = " + "[" * 100000 + "]" * 100000 + "\n" + BASE,
    "x = " + "{a=" * 50000 + "1" + "}" * 50000 + "\n" + BASE,
    BASE.replace('"p"', '"p\xff"').encode("latin-1"),
    BASE.replace('"p"', '"p\\u0000"'),
    BASE + 'name = "q"\n',
    "[system]\nthreads = 1\n[system]\nthreads = 2\n" + BASE,
    "[system]\nthreads = 99999999999999999999999\n" + BASE,
    BASE + '[service.timeouts]\nconnect = "9223372036854775807h"\n',
    BASE.replace("\n", "\r"),
], ids=["deep-arrays", "deep-inline-tables", "invalid-utf8", "nul-escape", "duplicate-key",
        "duplicate-table", "integer-overflow", "duration-overflow", "bare-cr"])
def test_check_rejects_hostile_toml_quickly_with_status_2(tmp_path, text):
    started = time.monotonic()
    result = check_file(tmp_path, text)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr[:500])
    assert "river.toml" in result.stderr
    assert time.monotonic() - started < 5 * SLOWDOWN


def test_check_rejects_the_same_listen_address_twice(tmp_path):
    twice_in_one = BASE.replace('["127.0.0.1:0"]', '["127.0.0.1:18555", "127.0.0.1:18555"]')
    two_services = (BASE.replace("127.0.0.1:0", "127.0.0.1:18556")
                    + BASE.replace('"p"', '"q"').replace("127.0.0.1:0", "127.0.0.1:18556"))
    for text in (twice_in_one, two_services):
        result = check_file(tmp_path, text)
        assert result.returncode == 2, (text, result.stdout)


def test_second_river_on_a_port_in_use_fails_to_start():
    port = free_port()
    config = BASE.replace("127.0.0.1:0", f"127.0.0.1:{port}")
    with River(config):
        second = River(config)
        second.dir.joinpath("river.toml").write_text(config)
        proc = subprocess.Popen([harness.BINARY, "run", "-c", str(second.config_path)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            returncode = proc.wait(timeout=3 * SLOWDOWN)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=10)
            pytest.fail("the second river started on a port already in use")
        assert returncode != 0
