"""C18: Slowloris: slow headers, stalled bodies, idle half-requests.

River runs with `request_header = "2s"` (total time for a head, from its first byte) and
`request_body_idle = "2s"` (longest silence inside a body); C also sets
`min_request_body_rate = 1024` (River's default). Case D uses 100 idle
connections instead of 1000 to keep the test fast.
"""
import time

from harness import Origin, River, SLOWDOWN, proxy_config
from cases_wire import RawClient, ScriptedOrigin, parse_messages

TIMEOUTS = '[service.timeouts]\nrequest_header = "2s"\nrequest_body_idle = "2s"\n'
LIMIT = 2.0
MARGIN = 1.5 * SLOWDOWN


def river_for(origin):
    return River(proxy_config(origin.address, extra_service=TIMEOUTS))


def check_optional_408(client):
    responses = client.final_responses()
    assert [r.status for r in responses] in ([], [408]), client.data
    if responses:
        assert b"close" in responses[0].tokens("Connection")


def test_c18_a_headers_trickled_line_by_line_hit_the_total_header_timeout():
    with Origin(ScriptedOrigin()) as origin, river_for(origin) as river:
        with RawClient(river.port("proxy")) as client:
            started = time.monotonic()
            client.send(b"GET / HTTP/1.1\r\nHost: example.test\r\n")
            # One line every 0.5 s: every read comes well within any idle timeout.
            for i in range(1, 25):
                client.read_for(0.5)
                if client.closed:
                    break
                client.send(b"X-%d: a\r\n" % i)
            closed_after = time.monotonic() - started
            assert client.closed, "River kept a head open for 12 s"
            assert LIMIT - 0.3 <= closed_after <= LIMIT + MARGIN, \
                f"closed after {closed_after:.2f}s"
            check_optional_408(client)
        assert origin.received() == b""


def test_c18_b_stalled_body_times_out_and_upstream_request_is_aborted():
    script = ScriptedOrigin(idle=10)
    with Origin(script) as origin, river_for(origin) as river:
        with RawClient(river.port("proxy")) as client:
            started = time.monotonic()
            client.send(b"POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\nabc")
            assert client.wait_closed(LIMIT + MARGIN), "River waited forever for the body"
            closed_after = time.monotonic() - started
            assert closed_after >= LIMIT - 0.3, f"closed after {closed_after:.2f}s"
            check_optional_408(client)
        # The upstream connection owes 97 body bytes: River must close it, not reuse it.
        endings = script.wait_endings(origin.connections, timeout=3)
        assert len(endings) == origin.connections and set(endings) <= {"eof", "reset"}, endings
        requests, _ = parse_messages(origin.received(), eof=False)
        assert requests == [], "a complete request reached the origin"


def test_c18_c_body_trickled_slowly_is_cut_off():
    # An idle timeout alone never fires here: every gap (0.5 s) is a quarter of
    # request_body_idle, and the whole body would take 50 s. River's minimum body rate
    # (checked once the client has kept it waiting longer than request_body_idle) must end it
    # within about 2 x request_body_idle.
    script = ScriptedOrigin(idle=10)
    slow = TIMEOUTS + "[service.limits]\nmin_request_body_rate = 1024\n"
    with Origin(script) as origin, \
            River(proxy_config(origin.address, extra_service=slow)) as river:
        with RawClient(river.port("proxy")) as client:
            started = time.monotonic()
            client.send(b"POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\n")
            while not client.closed and time.monotonic() - started < 2 * LIMIT + MARGIN:
                client.read_for(0.5)
                if not client.send(b"a"):
                    break
            client.wait_closed(0.5)
            assert client.closed, \
                f"a 2 byte/s body kept the connection for {time.monotonic() - started:.1f}s"
            check_optional_408(client)
        endings = script.wait_endings(origin.connections, timeout=3)
        assert len(endings) == origin.connections and set(endings) <= {"eof", "reset"}, endings
        assert parse_messages(origin.received(), eof=False)[0] == []


def test_c18_d_many_idle_half_requests_do_not_block_others_and_are_dropped():
    with Origin(ScriptedOrigin()) as origin, river_for(origin) as river:
        idle = []
        try:
            for _ in range(100):
                c = RawClient(river.port("proxy"))
                c.send(b"GET / HTTP/1.1\r\n")
                idle.append(c)
            started = time.monotonic()
            with RawClient(river.port("proxy")) as control:
                control.send(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
                responses = control.wait_final_responses(1, timeout=1)
                assert [r.status for r in responses] == [200], control.data
                assert time.monotonic() - started < 1.0 * SLOWDOWN
            deadline = LIMIT + MARGIN
            for c in idle:
                left = max(0.0, started + deadline - time.monotonic())
                assert c.wait_closed(left / SLOWDOWN), "an idle half-request outlived the timeout"
                check_optional_408(c)
        finally:
            for c in idle:
                c.close()
        assert origin.received().count(b"GET / HTTP/1.1") == 1
