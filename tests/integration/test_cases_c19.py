"""C19: Upstream closes a pooled keep-alive connection; safe retry.

The origin keeps connections alive but closes any that stays idle for 200 ms, so River's
pooled connection dies between requests. GETs must always succeed (the dead connection is
noticed before reuse, or the GET is retried once on a fresh connection when no response byte
arrived). A POST gets 200 if River noticed before sending it, otherwise 502, and is never
sent twice (RFC 9110 §9.2.2).
"""
import time

from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin


def run_sequence(port, pause, tag):
    """GET /1, pause, GET /2, pause, POST /3 on one client connection; the statuses."""
    with RawClient(port) as client:
        client.send(b"GET /1-%s HTTP/1.1\r\nHost: example.test\r\n\r\n" % tag)
        client.wait_final_responses(1, timeout=3)
        time.sleep(pause)
        client.send(b"GET /2-%s HTTP/1.1\r\nHost: example.test\r\n\r\n" % tag)
        client.wait_final_responses(2, timeout=3)
        time.sleep(pause)
        client.send(b"POST /3-%s HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\n"
                    b"hello" % tag)
        responses = client.wait_final_responses(3, timeout=3)
        return [r.status for r in responses], client.data


def check_sequence(script, statuses, data, tag):
    assert len(statuses) == 3, data
    assert statuses[:2] == [200, 200], f"GET failed after the upstream idle close: {data!r}"
    assert statuses[2] in (200, 502), data
    with script.lock:
        posts = [r for r in script.requests if r.target == b"/3-%s" % tag]
    assert len(posts) <= 1, "POST sent twice"
    if statuses[2] == 200:
        assert len(posts) == 1 and posts[0].body == b"hello"


def test_c19_get_and_post_after_pooled_connection_closed_by_origin():
    script = ScriptedOrigin(idle=0.2)
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        statuses, data = run_sequence(river.port("proxy"), 1.0, b"a")
        check_sequence(script, statuses, data, b"a")
        # With a second between requests the close is long visible: nothing to retry.
        assert statuses[2] == 200, data


def test_c19_race_window_around_the_origin_idle_close():
    script = ScriptedOrigin(idle=0.2)
    pauses = [0.15, 0.17, 0.18, 0.19, 0.195, 0.2, 0.205, 0.21, 0.22, 0.25]
    with Origin(script) as origin, River(proxy_config(origin.address)) as river:
        for i, pause in enumerate(pauses):
            tag = b"r%d" % i
            statuses, data = run_sequence(river.port("proxy"), pause, tag)
            check_sequence(script, statuses, data, tag)
