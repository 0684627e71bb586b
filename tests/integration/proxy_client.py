"""A small HTTP/1.x client for River's feature tests (test_proxy_basics, test_pool, ...)
that need to see the exact bytes on the wire: one connection, requests sent raw, responses
read and parsed one at a time (framing by Content-Length, chunked or connection close), and
the connection's end observed. Also helpers to read what a scripted origin received.

Every read is bounded by a timeout scaled by `harness.SLOWDOWN`.
"""
import re
import socket
import time

from harness import SLOWDOWN


class Response:
    """One parsed response: status, reason, version, header fields (list of (name, value)
    in wire order), body (decoded when chunked), trailers, raw head bytes and how the body
    was framed ("none", "length", "chunked" or "close"). `complete` is False when the
    connection ended or went silent before the body did."""

    def __init__(self, version, status, reason, headers, head_bytes):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.head_bytes = head_bytes
        self.body = b""
        self.trailers = []
        self.framing = "none"
        self.complete = True

    def header(self, name):
        """The value of the first field called `name` (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_all(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def __repr__(self):
        return (f"Response({self.status} {self.framing} complete={self.complete} "
                f"headers={self.headers!r} body={self.body[:80]!r}"
                f"{'...' if len(self.body) > 80 else ''})")


class Closed(Exception):
    """The connection ended (or went silent) before a complete response head arrived."""


class Client:
    """One client connection to River (TCP, or a Unix socket when `unix_path` is given)."""

    def __init__(self, port=None, host="127.0.0.1", unix_path=None, timeout=5.0):
        self.timeout = timeout
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout * SLOWDOWN)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout * SLOWDOWN)
        self.buffer = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def fill(self, timeout=None):
        """Reads more bytes into `buffer`; False at end of stream or after `timeout` seconds
        (scaled) of silence."""
        if self.eof:
            return False
        self.sock.settimeout((self.timeout if timeout is None else timeout) * SLOWDOWN)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def read_exactly(self, n, timeout=None):
        while len(self.buffer) < n:
            if not self.fill(timeout):
                raise Closed(f"wanted {n} bytes, got {self.buffer[:200]!r}")
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_head(self, timeout=None):
        while b"\r\n\r\n" not in self.buffer:
            if not self.fill(timeout):
                raise Closed(f"no complete response head; got {self.buffer[:200]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        m = re.match(rb"(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise AssertionError(f"bad status line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        return Response(m.group(1).decode(), int(m.group(2)), m.group(3).decode("latin-1"),
                        headers, head + b"\r\n\r\n")

    def read_response(self, method="GET", timeout=None, skip_interim=True):
        """Reads one response to a `method` request. Interim responses (1xx but 101) are
        skipped, or returned like any other when `skip_interim` is False."""
        while True:
            response = self.read_head(timeout)
            if 100 <= response.status < 200 and response.status != 101 and skip_interim:
                continue
            break
        if method == "HEAD" or 100 <= response.status < 200 or response.status in (204, 304):
            return response
        te = response.header("Transfer-Encoding")
        cl = response.header("Content-Length")
        if te is not None and "chunked" in te.lower():
            response.framing = "chunked"
            self._read_chunked(response, timeout)
        elif cl is not None:
            response.framing = "length"
            n = int(cl)
            while len(self.buffer) < n:
                if not self.fill(timeout):
                    response.complete = False
                    break
            response.body, self.buffer = self.buffer[:n], self.buffer[n:]
        else:
            response.framing = "close"
            while self.fill(timeout):
                pass
            response.complete = self.eof
            response.body, self.buffer = self.buffer, b""
        return response

    def _line(self, response, timeout):
        while b"\r\n" not in self.buffer:
            if not self.fill(timeout):
                response.complete = False
                return None
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_chunked(self, response, timeout):
        while True:
            line = self._line(response, timeout)
            if line is None:
                return
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    field = self._line(response, timeout)
                    if field is None or field == b"":
                        return
                    name, _, value = field.partition(b":")
                    response.trailers.append((name.decode("latin-1"),
                                              value.strip().decode("latin-1")))
            while len(self.buffer) < size + 2:
                if not self.fill(timeout):
                    response.complete = False
                    response.body += self.buffer[:size]
                    self.buffer = b""
                    return
            assert self.buffer[size:size + 2] == b"\r\n", "chunk data not followed by CRLF"
            response.body += self.buffer[:size]
            self.buffer = self.buffer[size + 2:]

    def closed_by_peer(self, timeout=3.0):
        """True when the server closes the connection within `timeout` seconds (scaled);
        bytes that arrive first are kept in `buffer`."""
        deadline = time.monotonic() + timeout * SLOWDOWN
        while not self.eof and time.monotonic() < deadline:
            self.fill(max(0.01, (deadline - time.monotonic()) / SLOWDOWN))
        return self.eof

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def decode_chunked(data):
    """Decodes a complete chunked body as an origin received it: (payload, trailer lines,
    chunk sizes)."""
    payload = b""
    sizes = []
    rest = data
    while True:
        line, rest = rest.split(b"\r\n", 1)
        size = int(line.split(b";")[0].strip(), 16)
        sizes.append(size)
        if size == 0:
            trailers = [field for field in rest.split(b"\r\n") if field]
            return payload, trailers, sizes
        payload += rest[:size]
        assert rest[size:size + 2] == b"\r\n", f"chunk not followed by CRLF: {rest[:size+8]!r}"
        rest = rest[size + 2:]


def request_head_all(head_bytes, name):
    """The values of every field called `name` in a raw request head an origin received."""
    out = []
    for line in head_bytes.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower().encode():
            out.append(value.strip().decode("latin-1"))
    return out


def request_head(head_bytes, name):
    """The value of the first field called `name` in a raw request head, or None."""
    values = request_head_all(head_bytes, name)
    return values[0] if values else None


def read_origin_request(conn, timeout=5.0):
    """Like `OriginConnection.read_request`, but walks chunked bodies chunk by chunk, so a
    payload that contains "0\\r\\n\\r\\n" is not taken for the end. Returns (head, raw body
    bytes as received) or None when the connection closed or went silent first."""
    def need(n):
        while len(conn.buffer) < n:
            data = conn.recv_some(timeout)
            if not data:
                return False
            conn.buffer += data
        return True

    def line_end(start):
        while conn.buffer.find(b"\r\n", start) < 0:
            data = conn.recv_some(timeout)
            if not data:
                return -1
            conn.buffer += data
        return conn.buffer.find(b"\r\n", start)

    while b"\r\n\r\n" not in conn.buffer:
        data = conn.recv_some(timeout)
        if not data:
            return None
        conn.buffer += data
    end = conn.buffer.index(b"\r\n\r\n") + 4
    head = conn.buffer[:end]
    conn.buffer = conn.buffer[end:]
    lower = head.lower()
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", lower)
    if re.search(rb"\r\ntransfer-encoding:\s*chunked", lower):
        pos = 0
        while True:
            eol = line_end(pos)
            if eol < 0:
                return None
            size = int(conn.buffer[pos:eol].split(b";")[0].strip(), 16)
            pos = eol + 2
            if size == 0:
                while True:
                    eol = line_end(pos)
                    if eol < 0:
                        return None
                    empty = eol == pos
                    pos = eol + 2
                    if empty:
                        break
                break
            if not need(pos + size + 2):
                return None
            pos += size + 2
        body, conn.buffer = conn.buffer[:pos], conn.buffer[pos:]
        return head, body
    if m:
        n = int(m.group(1))
        if not need(n):
            return None
        body, conn.buffer = conn.buffer[:n], conn.buffer[n:]
        return head, body
    return head, b""
