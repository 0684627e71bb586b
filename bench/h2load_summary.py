#!/usr/bin/env python3
"""Reads h2load's report (a file, or standard input) and prints its totals on one line.

    RESULT requests=N succeeded=N failed=N errored=N timeout=N status_2xx=N non_2xx=N
           duration_us=N mean_us=N tls=PROTOCOL/CIPHER/GROUP alpn=PROTOCOL

`requests` counts the requests h2load saw finish within the measured time; `failed`
includes `errored` and `timeout` (h2load's own convention). `tls` and `alpn` are `-` over
cleartext. Exits with status 1 when the report has no totals (h2load failed to run).
"""

import re
import sys

UNITS_US = {"us": 1, "ms": 1000, "s": 1000000}


def duration_us(text):
    match = re.fullmatch(r"([0-9.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unknown duration {text!r}")
    return float(match.group(1)) * UNITS_US[match.group(2)]


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    finished = re.search(r"^finished in ([0-9.]+\w*), ", text, re.M)
    totals = re.search(
        r"^requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    mean = re.search(r"^time for request:\s+\S+\s+\S+\s+(\S+)", text, re.M)
    if not (finished and totals and codes):
        sys.exit("h2load_summary.py: no totals in h2load's output")
    tls = "-"
    protocol = re.search(r"^TLS Protocol: (\S+)", text, re.M)
    if protocol:
        cipher = re.search(r"^Cipher: (\S+)", text, re.M)
        group = re.search(r"^Server Temp Key: (\S+)", text, re.M)
        tls = "/".join(match.group(1) if match else "?" for match in (protocol, cipher, group))
    alpn = re.search(r"^Application protocol: (\S+)", text, re.M)
    done, succeeded, failed, errored, timeout = (int(value) for value in totals.groups())
    ok, *others = (int(value) for value in codes.groups())
    print(f"RESULT requests={done} succeeded={succeeded} failed={failed} errored={errored} "
          f"timeout={timeout} status_2xx={ok} non_2xx={sum(others)} "
          f"duration_us={duration_us(finished.group(1)):.0f} "
          f"mean_us={duration_us(mean.group(1)) if mean else 0:.0f} "
          f"tls={tls} alpn={alpn.group(1) if alpn else '-'}")


if __name__ == "__main__":
    main()
