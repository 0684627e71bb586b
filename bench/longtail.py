#!/usr/bin/env python3
"""Sends short client connections spread at random over many proxy ports at a fixed rate.

Each request opens a new connection, sends one `Connection: close` request to a port chosen
at random (seeded, so both proxies get the same sequence) and reads the response. Request i
is started at i / RATE seconds; a few threads share the schedule so one slow answer does not
delay the others.

Prints one line: RESULT sent=N ok=N non_200=N errors=N late_ms_max=..
"""

import argparse
import random
import sys
import threading
import time

import httpclient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True, help="comma-separated proxy ports")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--path", default="/small")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ports = [int(port) for port in args.ports.split(",")]
    total = int(args.rate * args.duration)
    rng = random.Random(args.seed)
    schedule = [rng.choice(ports) for _ in range(total)]

    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "non_200": 0, "errors": 0, "late": 0.0}
    start = time.monotonic() + 0.2

    def run():
        while True:
            with lock:
                index = state["next"]
                if index >= total:
                    return
                state["next"] += 1
            due = start + index / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            late = max(0.0, -delay)
            try:
                sock = httpclient.connect(schedule[index])
                sock.sendall(httpclient.request_bytes(args.path, close=True))
                status, _ = httpclient.read_response(sock)
                sock.close()
                outcome = "ok" if status == 200 else "non_200"
            except OSError as error:
                outcome = "errors"
                print(f"longtail: port {schedule[index]}: {error}", file=sys.stderr)
            with lock:
                state[outcome] += 1
                state["late"] = max(state["late"], late)

    workers = [threading.Thread(target=run) for _ in range(args.threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"RESULT sent={total} ok={state['ok']} non_200={state['non_200']} "
          f"errors={state['errors']} late_ms_max={state['late'] * 1000:.1f}")


if __name__ == "__main__":
    main()
