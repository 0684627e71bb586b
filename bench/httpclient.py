"""A minimal blocking HTTP/1.1 client for the benchmark helpers (standard library only)."""

import socket


def request_bytes(path, close):
    connection = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{connection}\r\n".encode()


def read_response(sock):
    """Reads one response with a Content-Length body; returns (status, body_length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        raise ConnectionError("response without Content-Length")
    received = len(rest)
    while received < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed in the response body")
        received += len(chunk)
    return status, length


def connect(port, timeout=5.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
