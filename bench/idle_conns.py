#!/usr/bin/env python3
"""Measures a proxy's memory per idle keep-alive client connection.

Opens COUNT client connections to the proxy; each sends one request, reads the whole
response and then stays open and idle. The resident memory of the proxy's process tree is
read before and after; the difference divided by COUNT is the cost of one idle connection.
Before the baseline, a short warm-up opens the upstream connection and touches the request
path once, so one-time allocations are not charged to the idle connections.

Prints one line: RESULT count=N opened=N still_open=N rss_before_kib=.. rss_after_kib=..
kib_per_conn=..
"""

import argparse
import select
import sys
import time

import httpclient
import procstat


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="proxy (master) process id")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--path", default="/small")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before each reading")
    args = parser.parse_args()

    # Warm-up: a few connections, one request each, then closed.
    for _ in range(20):
        sock = httpclient.connect(args.port)
        sock.sendall(httpclient.request_bytes(args.path, close=False))
        httpclient.read_response(sock)
        sock.close()
    time.sleep(args.settle)
    before = procstat.rss_kib(args.pid)

    sockets = []
    failures = 0
    for _ in range(args.count):
        try:
            sock = httpclient.connect(args.port)
            sock.sendall(httpclient.request_bytes(args.path, close=False))
            status, _ = httpclient.read_response(sock)
            if status != 200:
                failures += 1
            sockets.append(sock)
        except OSError as error:
            failures += 1
            print(f"idle_conns: {error}", file=sys.stderr)
    time.sleep(args.settle)
    after = procstat.rss_kib(args.pid)

    # A connection the proxy closed is readable (EOF); an open idle one is not.
    # (poll, not select: there are more than FD_SETSIZE descriptors.)
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLIN)
    still_open = len(sockets) - len(poller.poll(0))
    for sock in sockets:
        sock.close()
    per_conn = (after - before) / len(sockets) if sockets else float("nan")
    print(f"RESULT count={args.count} opened={len(sockets)} failures={failures} "
          f"still_open={still_open} rss_before_kib={before} rss_after_kib={after} "
          f"kib_per_conn={per_conn:.2f}")


if __name__ == "__main__":
    main()
