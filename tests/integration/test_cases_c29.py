"""C29: HTTP/2 → HTTP/1.1: several `cookie` fields become exactly one Cookie line.

RFC 9113 §8.2.3: cookie fields split across HTTP/2 fields are joined with "; " before the
request enters an HTTP/1.1 connection. The raw frames of the case are sent on an h2c
listener; the HTTP/1.1 origin must see one `cookie: a=1; b=2; c=3` line, order kept, and no
comma join. curl is the positive control with a real client."""
import re

from harness import Origin, River, curl
from cases_wire import RawClient
import h2wire as h2

CASE = (
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x61\x01\x05"
    b"\x00\x00\x00\x01\x00\x07:method\x03GET\x00\x07:scheme\x04http\x00\x0a:authority\x0c"
    b"example.test\x00\x05:path\x01/\x00\x06cookie\x03a=1\x00\x06cookie\x03b=2\x00\x06cookie"
    b"\x03c=3")


def cookie_lines(received):
    return re.findall(rb"(?im)^cookie:[^\r\n]*", received)


def exchange(port, data):
    client = RawClient(port)
    client.send(data)
    client.read_until(lambda d: any(f.kind == h2.DATA and f.flags & h2.END_STREAM
                                    for f in h2.parse(d)), timeout=5)
    client.close()
    return h2.responses(h2.parse(client.data))


def test_C29_split_cookie_fields_reach_http1_origin_as_one_line():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        answers = exchange(river.port("proxy"), CASE)
        assert h2.status_of(answers[1]) == 200, answers
        assert answers[1]["body"] == b"ok"
        received = origin.received()
        assert cookie_lines(received) == [b"cookie: a=1; b=2; c=3"], received
        assert b"a=1, b=2" not in received


def test_C29_cookie_join_keeps_order_and_other_fields_in_place():
    fields = h2.request_fields(extra=[(b"cookie", b"z=26"), (b"x-mid", b"1"),
                                      (b"cookie", b"y=25; x=24"), (b"cookie", b"w=23")])
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        answers = exchange(river.port("proxy"), h2.hello() + h2.request(1, fields))
        assert h2.status_of(answers[1]) == 200, answers
        received = origin.received()
        assert cookie_lines(received) == [b"cookie: z=26; y=25; x=24; w=23"], received
        assert b"x-mid: 1\r\n" in received


def test_C29_single_cookie_passes_unchanged():
    fields = h2.request_fields(extra=[(b"cookie", b"only=1")])
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        exchange(river.port("proxy"), h2.hello() + h2.request(1, fields))
        assert cookie_lines(origin.received()) == [b"cookie: only=1"]


def test_C29_positive_control_with_curl():
    with Origin() as origin, River(h2.h2c_config(origin.address)) as river:
        result = curl("--http2-prior-knowledge", "-H", "cookie: a=1", "-H", "cookie: b=2",
                      f"http://127.0.0.1:{river.port('proxy')}/")
        assert result.stdout == b"ok", result
        lines = cookie_lines(origin.received())
        assert len(lines) == 1 and lines[0].lower() == b"cookie: a=1; b=2", lines
