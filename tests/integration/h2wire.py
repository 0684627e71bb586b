"""HTTP/2 on the wire for integration tests: frames built by hand (so a test can send what
no well-behaved client would), frames parsed back, and response heads decoded with
python3-hpack. Used with cases_wire.RawClient for connections that stay open."""
import struct

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
NAMES = {DATA: "DATA", HEADERS: "HEADERS", PRIORITY: "PRIORITY", RST_STREAM: "RST_STREAM",
         SETTINGS: "SETTINGS", PUSH_PROMISE: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY",
         WINDOW_UPDATE: "WINDOW_UPDATE", CONTINUATION: "CONTINUATION"}

END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4

NO_ERROR, PROTOCOL_ERROR, STREAM_CLOSED, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = \
    0x0, 0x1, 0x5, 0x7, 0x8, 0xb


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):
    """HPACK literal field without indexing, new name (lengths below 127)."""
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def block(fields):
    return b"".join(literal(n, v) for n, v in fields)


def request_fields(path=b"/", method=b"GET", authority=b"example.test", extra=()):
    return [(b":method", method), (b":scheme", b"http"), (b":authority", authority),
            (b":path", path), *extra]


def request(stream, fields=None, data=None, end_stream=True):
    """HEADERS (and a DATA frame when `data` is given) for one request on `stream`."""
    payload = block(fields or request_fields())
    if data is None:
        return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, payload)
    return frame(HEADERS, END_HEADERS, stream, payload) + \
        frame(DATA, END_STREAM if end_stream else 0, stream, data)


def hello(settings=b""):
    """The client connection preface and its SETTINGS frame."""
    return PREFACE + frame(SETTINGS, 0, 0, settings)


class Frame:
    def __init__(self, kind, flags, stream, payload):
        self.kind, self.flags, self.stream, self.payload = kind, flags, stream, payload

    @property
    def error(self):
        if self.kind == RST_STREAM:
            return struct.unpack(">I", self.payload[:4])[0]
        if self.kind == GOAWAY:
            return struct.unpack(">I", self.payload[4:8])[0]
        return None

    @property
    def last_stream(self):
        return struct.unpack(">I", self.payload[:4])[0] & 0x7fffffff

    def settings(self):
        return {struct.unpack(">H", self.payload[i:i + 2])[0]:
                struct.unpack(">I", self.payload[i + 2:i + 6])[0]
                for i in range(0, len(self.payload), 6)}

    def __repr__(self):
        extra = f" error={self.error}" if self.error is not None else ""
        return f"{NAMES.get(self.kind, self.kind)}(flags={self.flags:#x} stream={self.stream}" \
               f" len={len(self.payload)}{extra})"


def parse(data):
    """All complete frames in `data` (a server's output after its preface)."""
    frames, i = [], 0
    while i + 9 <= len(data):
        length = int.from_bytes(data[i:i + 3], "big")
        if i + 9 + length > len(data):
            break
        frames.append(Frame(data[i + 3], data[i + 4],
                            int.from_bytes(data[i + 5:i + 9], "big") & 0x7fffffff,
                            data[i + 9:i + 9 + length]))
        i += 9 + length
    return frames


def responses(frames):
    """{stream: {"headers": [(name, value)...], "body": bytes, "reset": code or None}},
    decoding field blocks in order with one HPACK decoder, as a client does."""
    decoder = hpack.Decoder()
    out = {}
    pending = b""
    for f in frames:
        if f.stream == 0:
            continue
        entry = out.setdefault(f.stream, {"headers": [], "body": b"", "reset": None,
                                          "ended": False})
        if f.kind in (HEADERS, CONTINUATION):
            payload = f.payload
            if f.kind == HEADERS and f.flags & 0x8:  # PADDED
                payload = payload[1:len(payload) - payload[0]]
            if f.kind == HEADERS and f.flags & 0x20:  # PRIORITY
                payload = payload[5:]
            pending += payload
            if f.flags & END_HEADERS:
                entry["headers"] += [(n if isinstance(n, str) else n.decode(),
                                      v if isinstance(v, str) else v.decode())
                                     for n, v in decoder.decode(pending)]
                pending = b""
        elif f.kind == DATA:
            entry["body"] += f.payload
        elif f.kind == RST_STREAM:
            entry["reset"] = f.error
        if f.kind in (HEADERS, DATA) and f.flags & END_STREAM:
            entry["ended"] = True
    return out


def status_of(entry):
    """The final :status of a decoded response entry, or None."""
    statuses = [int(v) for n, v in entry["headers"] if n == ":status"]
    finals = [s for s in statuses if s >= 200]
    return finals[-1] if finals else None


def goaway(frames):
    """The first GOAWAY frame, or None."""
    return next((f for f in frames if f.kind == GOAWAY), None)


def h2c_config(upstream, extra_service="", extra_listener="", extra_system=""):
    """TOML for a proxy service with one cleartext listener serving HTTP/2 with prior
    knowledge (and HTTP/1)."""
    return f"""
[system]
threads = 2
{extra_system}

[[service]]
name = "proxy"
upstream = ["{upstream}"]
{extra_service}

[[service.listener]]
address = "127.0.0.1:0"
h2 = true
{extra_listener}
"""
