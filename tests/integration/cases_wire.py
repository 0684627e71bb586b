"""Byte-level HTTP/1 helpers for the case tests (tests/integration/test_cases_*.py).

A raw client that keeps its connection open and can tell a close from a timeout, a small
HTTP/1 message parser for what the client and the origin received, and scripted origin
handlers that note how each upstream connection ended. Everything here is strict on purpose:
the tests look at the exact bytes River sends, so nothing is repaired or guessed.
"""
import re
import socket
import threading
import time

from harness import SLOWDOWN

OK_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


# ---------------------------------------------------------------------------------------------
# Parsing


class Message:
    """One parsed HTTP/1 request or response."""

    def __init__(self, start_line, fields, body, raw_head, framing):
        self.start_line = start_line
        self.fields = fields  # [(name, value)] in order, values as sent (OWS trimmed)
        self.body = body  # the decoded body (chunk framing removed)
        self.raw_head = raw_head
        self.framing = framing  # "length", "chunked", "close" or "none"
        parts = start_line.split(b" ", 2)
        if start_line.startswith(b"HTTP/"):
            self.version = parts[0]
            self.status = int(parts[1])
            self.method = self.target = None
        else:
            self.method, self.target = parts[0], parts[1] if len(parts) > 1 else b""
            self.version = parts[2] if len(parts) > 2 else b""
            self.status = None

    def values(self, name):
        """Every value of field `name` (case-insensitive), one per field line."""
        name = name.lower().encode() if isinstance(name, str) else name.lower()
        return [v for n, v in self.fields if n.lower() == name]

    def value(self, name):
        """The only value of `name`, None when absent; fails when the field is repeated."""
        values = self.values(name)
        assert len(values) <= 1, f"{name} appears {len(values)} times in {self.raw_head!r}"
        return values[0] if values else None

    def has(self, name):
        return bool(self.values(name))

    def tokens(self, name):
        """The comma-separated elements of every `name` line, lower-cased."""
        out = []
        for v in self.values(name):
            out += [t.strip().lower() for t in v.split(b",") if t.strip()]
        return out

    def __repr__(self):
        return f"Message({self.raw_head!r} + {len(self.body)} body bytes)"


class Incomplete(Exception):
    pass


def _parse_head(data):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise Incomplete()
    raw_head = data[:end + 4]
    lines = data[:end].split(b"\r\n")
    fields = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        assert sep, f"field line without a colon: {line!r}"
        fields.append((name, value.strip(b" \t")))
    return lines[0], fields, raw_head, end + 4


def _decode_chunked(data, at):
    """Decodes a chunked body starting at `at`; returns (body, end). Strict: CRLF only."""
    body = b""
    while True:
        eol = data.find(b"\r\n", at)
        if eol < 0:
            raise Incomplete()
        size_text = data[at:eol].split(b";", 1)[0]
        assert re.fullmatch(rb"[0-9a-fA-F]+", size_text), f"bad chunk size line {data[at:eol]!r}"
        size = int(size_text, 16)
        at = eol + 2
        if size == 0:
            # Trailer section: field lines up to an empty line.
            while True:
                eol = data.find(b"\r\n", at)
                if eol < 0:
                    raise Incomplete()
                line, at = data[at:eol], eol + 2
                if not line:
                    return body, at
        if len(data) < at + size + 2:
            raise Incomplete()
        body += data[at:at + size]
        assert data[at + size:at + size + 2] == b"\r\n", "chunk data not followed by CRLF"
        at += size + 2


def _framing(fields, is_response, status, request_method):
    names = [n.lower() for n, _ in fields]
    if is_response and (100 <= status < 200 or status in (204, 304) or request_method == b"HEAD"):
        return "none", None
    if b"transfer-encoding" in names:
        return "chunked", None
    if b"content-length" in names:
        values = {v for n, v in fields if n.lower() == b"content-length"}
        assert len(values) == 1, f"conflicting Content-Length values {values}"
        return "length", int(values.pop())
    return ("close", None) if is_response else ("none", None)


def parse_messages(data, eof=True, request_methods=None):
    """Parses a byte stream of HTTP/1 messages (all requests or all responses). A response
    without a length runs to the end of `data` when `eof`. `request_methods` (for responses)
    gives the method each response answers, so HEAD responses have no body. Returns
    (messages, leftover bytes that do not form a complete message)."""
    messages = []
    at = 0
    index = 0
    while at < len(data):
        try:
            start, fields, raw_head, head_len = _parse_head(data[at:])
        except Incomplete:
            break
        is_response = start.startswith(b"HTTP/")
        status = int(start.split(b" ")[1]) if is_response else None
        method = None
        if is_response and request_methods and index < len(request_methods):
            method = request_methods[index]
        kind, length = _framing(fields, is_response, status, method)
        body_at = at + head_len
        try:
            if kind == "length":
                if len(data) < body_at + length:
                    raise Incomplete()
                body, end = data[body_at:body_at + length], body_at + length
            elif kind == "chunked":
                body, end = _decode_chunked(data, body_at)
            elif kind == "close":
                if not eof:
                    raise Incomplete()
                body, end = data[body_at:], len(data)
            else:
                body, end = b"", body_at
        except Incomplete:
            break
        messages.append(Message(start, fields, body, raw_head, kind))
        if not (is_response and 100 <= status < 200):
            index += 1
        at = end
    return messages, data[at:]


def final_responses(messages):
    """The responses with a final (non-1xx) status."""
    return [m for m in messages if not 100 <= m.status < 200]


def request_lines(data):
    """Every line of `data` that looks like an HTTP/1 request line, wherever it is."""
    return re.findall(rb"(?:^|\n)([A-Z]+ \S+ HTTP/1\.[01])\r?\n", data)


# ---------------------------------------------------------------------------------------------
# Client


class RawClient:
    """One client connection that stays open until the test closes it. Reads tell a close
    by the server (EOF or reset) apart from silence."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=5 * SLOWDOWN)
        self.data = b""
        self.closed = False  # the server closed (EOF or reset)
        self.reset = False
        self.send_failed = False

    def send(self, data):
        """Sends `data`; a server that has closed makes this fail quietly (noted)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.send_failed = True
            return False

    def shutdown_write(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _read_once(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            self.closed = self.reset = True
            return b""
        except OSError:
            self.closed = True
            return b""
        if not d:
            self.closed = True
        self.data += d
        return d

    def read_until(self, predicate, timeout=5.0):
        """Reads until `predicate(self.data)` holds, the server closes, or `timeout` (scaled)
        passes. Returns whether the predicate holds."""
        deadline = time.monotonic() + timeout * SLOWDOWN
        while not predicate(self.data) and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._read_once(left)
        return predicate(self.data)

    def wait_closed(self, timeout=5.0):
        """Reads (keeping what arrives) until the server closes; returns whether it did
        within `timeout` seconds (scaled)."""
        deadline = time.monotonic() + timeout * SLOWDOWN
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._read_once(left)
        return True

    def read_for(self, seconds):
        """Reads whatever arrives during `seconds` (not scaled: a quiet period)."""
        deadline = time.monotonic() + seconds
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._read_once(left)
        return self.data

    def responses(self, request_methods=None):
        """The complete responses received so far (all, including 1xx)."""
        return parse_messages(self.data, eof=self.closed, request_methods=request_methods)[0]

    def final_responses(self, request_methods=None):
        return final_responses(self.responses(request_methods))

    def wait_final_responses(self, count, timeout=5.0, request_methods=None):
        self.read_until(lambda _: len(self.final_responses(request_methods)) >= count, timeout)
        return self.final_responses(request_methods)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def exchange(port, data, timeout=3.0):
    """Sends `data` on a new connection without half-closing, then reads until the server
    closes or `timeout` seconds (scaled) pass. Returns the RawClient (data, closed)."""
    client = RawClient(port)
    try:
        client.send(data)
        client.wait_closed(timeout)
    finally:
        client.close()
    return client


# ---------------------------------------------------------------------------------------------
# Origins


class ScriptedOrigin:
    """An `Origin` handler: reads each request on a connection (strictly framed by its
    Content-Length or chunked encoding) and answers it with `reply(request)` (bytes, or None to
    close). Notes per connection how it ended: "eof" when River closed it, "timeout" when it
    stayed silent for `idle` seconds, "closed" when the script closed it."""

    def __init__(self, reply=OK_REPLY, idle=5.0, before_reply=0.0, close_after_reply=False):
        self.reply = reply
        self.idle = idle
        self.before_reply = before_reply
        self.close_after_reply = close_after_reply
        self.requests = []  # Message per complete request, all connections, in order
        self.endings = []  # one entry per finished connection
        self.lock = threading.Lock()

    def answer(self, request):
        return self.reply(request) if callable(self.reply) else self.reply

    def __call__(self, conn):
        buffer = b""
        check = False
        while True:
            messages = []
            if check:
                try:
                    messages, _ = parse_messages(buffer, eof=False)
                except AssertionError:
                    # Malformed framing from River is recorded in the bytes; stop answering.
                    self._end("malformed")
                    return
            if messages:
                request = messages[0]
                buffer = buffer[_first_message_end(buffer):]
                with self.lock:
                    self.requests.append(request)
                if self.before_reply:
                    time.sleep(self.before_reply)
                data = self.answer(request)
                if data is None or not conn.send(data) or self.close_after_reply:
                    self._end("closed")
                    return
                continue
            data, ending = origin_recv(conn, self.idle)
            if ending:
                self._end(ending)
                return
            buffer += data
            check = _may_be_complete(buffer, len(data))

    def _end(self, how):
        with self.lock:
            self.endings.append(how)

    def wait_endings(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout * SLOWDOWN
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.endings) >= count:
                    return list(self.endings)
            time.sleep(0.02)
        with self.lock:
            return list(self.endings)


def origin_recv(conn, timeout):
    """Reads from an origin connection, recording the bytes. Returns (data, ending) where
    ending is None, "eof" (River closed), "reset" or "timeout" (silence for `timeout`)."""
    try:
        conn.sock.settimeout(timeout * SLOWDOWN)
        data = conn.sock.recv(65536)
    except socket.timeout:
        return b"", "timeout"
    except OSError:
        return b"", "reset"
    if not data:
        return b"", "eof"
    conn.record.extend(data)
    return data, None


def _may_be_complete(buffer, new):
    """A cheap test of whether `buffer`, whose last `new` bytes just arrived, may hold a
    complete request (so large bodies are not parsed again on every read)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = buffer[:end + 4].lower()
    if b"\ntransfer-encoding:" in head:
        return b"\r\n\r\n" in buffer[max(end + 4, len(buffer) - new - 3):]
    lengths = re.findall(rb"\ncontent-length:[ \t]*(\d+)", head)
    return not lengths or len(buffer) >= end + 4 + int(lengths[0])


def _first_message_end(buffer):
    """Where the first complete request in `buffer` ends."""
    _, fields, _, head_len = _parse_head(buffer)
    kind, length = _framing(fields, False, None, None)
    if kind == "length":
        return head_len + length
    if kind == "chunked":
        return _decode_chunked(buffer, head_len)[1]
    return head_len


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout * SLOWDOWN
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# ---------------------------------------------------------------------------------------------
# Assertions shared by the case tests


def assert_refused(client, origin, allowed=(400,)):
    """River answered one final response with a status in `allowed`, announced and performed
    the close, and the origin received no byte at all ("nothing forwarded")."""
    responses = client.final_responses()
    assert len(responses) == 1, f"expected one response, got {client.data!r}"
    response = responses[0]
    assert response.status in allowed, \
        f"status {response.status}, wanted {allowed}: {client.data!r}"
    assert b"close" in response.tokens("Connection"), response.raw_head
    assert client.closed, f"River kept the connection open after {response.status}"
    assert origin.received() == b"", f"origin received {origin.received()!r}"
    return response


def origin_requests(origin):
    """The requests the origin received, parsed strictly, and any bytes left over that do not
    form a complete request (for one upstream connection at a time)."""
    return parse_messages(origin.received(), eof=False)


def answer_after_head(reply, linger=3.0):
    """An `Origin` handler that answers `reply` as soon as a request head is in, without
    reading the body, then records whatever else arrives until River closes the connection
    or `linger` seconds of silence pass (an origin refusing a request early)."""
    def handle(conn):
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data, ending = origin_recv(conn, 5.0)
            if ending:
                return
            buffer += data
        conn.send(reply)
        while True:
            _, ending = origin_recv(conn, linger)
            if ending:
                return
    return handle


def per_connection_requests(origin):
    """[(requests, leftover)] for each upstream connection, in accept order."""
    with origin._lock:
        records = [bytes(r) for r in origin.records]
    return [parse_messages(r, eof=False) for r in records]


def head_of(data):
    """The first message head in `data` (its body, if any, is not looked at)."""
    start, fields, raw_head, _ = _parse_head(data)
    return Message(start, fields, b"", raw_head, "none")
