#!/usr/bin/env python3
"""Turns bench/run.sh's raw figures into a markdown report on stdout.

Raw lines are "proxy<TAB>scenario<TAB>round<TAB>key=value ...". Figures measured in several
rounds are reported as the median over the rounds; every round is listed at the end.
"""

import argparse
import os
import platform
import statistics
from collections import defaultdict

MB = 1e6  # MB/s are decimal megabytes per second

# (scenario, figure key, label, format, target, direction). The target is a ratio
# river/nginx with direction "ge" or "le", or, with direction "abs_le", the name of a figure
# of River's own run that River's value must not exceed (scenario 8 has no nginx figure).
ROWS = [
    ("keepalive", "rps", "requests/s", "{:,.0f}", None, None),
    ("keepalive", "p99_ms", "p99 latency (ms)", "{:.2f}", None, None),
    ("keepalive", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("keepalive", "per_cpu", "requests per CPU-second", "{:,.0f}", 1.2, "ge"),
    ("keepalive", "errors", "errors (socket + non-2xx)", "{:.0f}", None, None),
    ("close", "rps", "requests/s", "{:,.0f}", None, None),
    ("close", "p99_ms", "p99 latency (ms)", "{:.2f}", None, None),
    ("close", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("close", "per_cpu", "requests per CPU-second", "{:,.0f}", 1.0, "ge"),
    ("close", "errors", "errors (socket + non-2xx)", "{:.0f}", None, None),
    ("1mib", "mbps", "MB/s", "{:,.0f}", None, None),
    ("1mib", "p99_ms", "p99 latency (ms)", "{:.2f}", None, None),
    ("1mib", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("1mib", "per_cpu", "MB per CPU-second", "{:,.0f}", 1.0, "ge"),
    ("1mib", "errors", "errors (socket + non-2xx)", "{:.0f}", None, None),
    ("idle", "kib_per_conn", "KiB per idle connection", "{:.2f}", 1.0, "le"),
    ("idle", "rss_before_mib", "RSS before (MiB)", "{:.1f}", None, None),
    ("idle", "rss_after_mib", "RSS with the idle connections (MiB)", "{:.1f}", None, None),
    ("idle", "still_open", "connections still open at the reading", "{:.0f}", None, None),
    ("longtail", "upstream_conns", "upstream connections opened", "{:.0f}", 0.25, "le"),
    ("longtail", "ok", "client requests answered 200", "{:.0f}", None, None),
    ("longtail", "failed", "client requests failed", "{:.0f}", None, None),
    ("longtail", "origin_requests", "requests seen by the origin", "{:.0f}", None, None),
    ("longtail", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("h2tls", "rps", "requests/s", "{:,.0f}", None, None),
    ("h2tls", "mean_ms", "mean request time (ms)", "{:.2f}", None, None),
    ("h2tls", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("h2tls", "per_cpu", "requests per CPU-second", "{:,.0f}", 1.0, "ge"),
    ("h2tls", "errors", "errors (failed + non-2xx)", "{:.0f}", None, None),
    ("h2tls", "accepts", "TCP accepts during the run (machine-wide)", "{:,.0f}", None, None),
    ("handshake", "rps", "handshakes (= requests)/s", "{:,.0f}", None, None),
    ("handshake", "p99_ms", "p99 latency (ms)", "{:.2f}", None, None),
    ("handshake", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("handshake", "per_cpu", "handshakes per CPU-second", "{:,.0f}", 1.0, "ge"),
    ("handshake", "accepts_per_request", "TCP accepts per request (machine-wide)", "{:.2f}",
     None, None),
    ("handshake", "errors", "errors (socket + non-2xx)", "{:.0f}", None, None),
    ("upstream_h2", "rps", "requests/s", "{:,.0f}", None, None),
    ("upstream_h2", "ok", "client requests answered 2xx", "{:.0f}", None, None),
    ("upstream_h2", "errors", "errors (failed + non-2xx)", "{:.0f}", None, None),
    ("upstream_h2", "origin_requests", "requests seen by the origin", "{:.0f}", None, None),
    ("upstream_h2", "origin_h2", "of which over HTTP/2", "{:.0f}", None, None),
    ("upstream_h2", "upstream_conns", "upstream connections opened", "{:.0f}",
     "target_conns", "abs_le"),
    ("upstream_h2", "per_conn", "requests per upstream connection", "{:,.0f}", None, None),
    ("upstream_h2", "cpu_s", "proxy CPU seconds", "{:.2f}", None, None),
    ("upstream_h2", "per_cpu", "requests per CPU-second", "{:,.0f}", None, None),
]

TITLES = {
    "keepalive": "1. Keep-alive, small responses",
    "close": "2. New connection per request",
    "1mib": "3. 1 MiB responses",
    "idle": "4. Memory per idle client connection",
    "longtail": "5. Upstream connections, long tail",
    "h2tls": "6. HTTP/2 over TLS, many streams",
    "handshake": "7. TLS handshake per request",
    "upstream_h2": "8. Upstream HTTP/2 (River only)",
}

WRK_SCENARIOS = ("keepalive", "close", "1mib", "handshake")
H2LOAD_SCENARIOS = ("h2tls", "upstream_h2")


def derive(scenario, raw):
    """Computes the reported figures of one run from its raw key=value pairs."""
    values = {}
    for key, value in raw.items():
        try:
            values[key] = float(value)
        except ValueError:
            pass  # text, such as the negotiated TLS parameters
    figures = {}
    if "skipped" in values:
        return figures
    if "cpu_after" in values:
        figures["cpu_s"] = values["cpu_after"] - values["cpu_before"]
    if scenario in WRK_SCENARIOS:
        seconds = values["duration_us"] / 1e6
        cpu = max(figures["cpu_s"], 0.01)
        figures["p99_ms"] = values["p99_us"] / 1000
        figures["errors"] = sum(values[key] for key in values if key.startswith("err_"))
        if scenario == "1mib":
            figures["mbps"] = values["bytes"] / MB / seconds
            figures["per_cpu"] = values["bytes"] / MB / cpu
        else:
            figures["rps"] = values["requests"] / seconds
            figures["per_cpu"] = values["requests"] / cpu
        if "accepts" in values and values["requests"]:
            figures["accepts_per_request"] = values["accepts"] / values["requests"]
    elif scenario in H2LOAD_SCENARIOS:
        seconds = max(values["duration_us"] / 1e6, 0.01)
        cpu = max(figures["cpu_s"], 0.01)
        figures["rps"] = values["requests"] / seconds
        figures["per_cpu"] = values["requests"] / cpu
        figures["mean_ms"] = values["mean_us"] / 1000
        figures["ok"] = values["status_2xx"]
        figures["errors"] = values["failed"] + values["non_2xx"]
        if "accepts" in values:
            figures["accepts"] = values["accepts"]
        if scenario == "upstream_h2":
            for key in ("origin_requests", "origin_h2", "upstream_conns", "target_conns"):
                figures[key] = values[key]
            figures["per_conn"] = values["origin_requests"] / max(values["upstream_conns"], 1)
    elif scenario == "idle":
        figures["kib_per_conn"] = values["kib_per_conn"]
        figures["rss_before_mib"] = values["rss_before_kib"] / 1024
        figures["rss_after_mib"] = values["rss_after_kib"] / 1024
        figures["still_open"] = values["still_open"]
    elif scenario == "longtail":
        figures["upstream_conns"] = values["upstream_conns"]
        figures["ok"] = values["ok"]
        figures["failed"] = values["non_200"] + values["errors"]
        figures["origin_requests"] = values["origin_requests"]
    return figures


def read_raw(path):
    runs = defaultdict(list)  # (proxy, scenario) -> [(round, figures, raw)]
    with open(path) as raw_file:
        for line in raw_file:
            if not line.strip():
                continue
            proxy, scenario, round_number, pairs = line.rstrip("\n").split("\t")
            raw = dict(pair.split("=", 1) for pair in pairs.split())
            runs[(proxy, scenario)].append((int(round_number), derive(scenario, raw), raw))
    return runs


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return (f"{os.cpu_count()} × {model}, {memory_kib / 1048576:.0f} GiB RAM, "
            f"Linux {platform.release()}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--notes", default="", help="a file of lines to add under the table")
    parser.add_argument("--proxies", default="", help="the proxies of the run (PROXIES)")
    for option in ("started", "command", "commit", "river-version", "nginx-version",
                   "load-before", "load-after", "settings"):
        parser.add_argument(f"--{option}", default="")
    args = parser.parse_args()
    runs = read_raw(args.raw)
    proxies = sorted({proxy for proxy, _ in runs} | set(args.proxies.split()),
                     key=lambda name: (name != "river", name))

    def median(proxy, scenario, key):
        samples = [figures[key] for _, figures, _ in runs.get((proxy, scenario), [])
                   if key in figures]
        return statistics.median(samples) if samples else None

    out = []
    out.append(f"# River benchmark, {args.started}\n")
    out.append(f"- Command: `{args.command.strip()}`")
    out.append(f"- Commit: {args.commit}; {args.river_version}; {args.nginx_version}")
    out.append(f"- Machine: {machine()}")
    out.append(f"- Load average (1, 5, 15 min) before: {args.load_before}; "
               f"after: {args.load_after}")
    out.append(f"- Settings: {' '.join(args.settings.split())}")
    out.append("")
    header = "| Scenario | Figure | " + " | ".join(proxies)
    compare = "river" in proxies and "nginx" in proxies
    if compare:
        header += " | River/nginx | Target | Met"
    out.append(header + " |")
    out.append("|" + "---|" * (header.count("|")))
    last_scenario = None
    for scenario, key, label, fmt, target, direction in ROWS:
        if not any((proxy, scenario) in runs for proxy in proxies):
            continue
        skipped = any("skipped" in raw for _, _, raw in runs.get(("river", scenario), []))
        if skipped:
            if scenario != last_scenario:
                last_scenario = scenario
                row = f"| {TITLES[scenario]} | skipped (see the notes) | " + \
                    " | ".join("–" for _ in proxies)
                out.append(row + (" | | | |" if compare else " |"))
            continue
        cells = []
        for proxy in proxies:
            value = median(proxy, scenario, key)
            cells.append("–" if value is None else fmt.format(value))
        title = TITLES[scenario] if scenario != last_scenario else ""
        last_scenario = scenario
        row = f"| {title} | {label} | " + " | ".join(cells)
        if compare:
            river, nginx = median("river", scenario, key), median("nginx", scenario, key)
            ratio = river / nginx if river is not None and nginx else None
            ratio_text = "–" if ratio is None else f"{ratio:.2f}"
            target_text, met = "", ""
            if direction == "abs_le":
                bound = median("river", scenario, target)
                if bound is not None and river is not None:
                    target_text = f"≤ {bound:g} (River alone)"
                    met = "yes" if river <= bound else "**no**"
            elif target is not None and ratio is not None:
                target_text = ("≥ " if direction == "ge" else "≤ ") + f"{target:g}"
                met = "yes" if (ratio >= target if direction == "ge" else ratio <= target) \
                    else "**no**"
            row += f" | {ratio_text} | {target_text} | {met}"
        out.append(row + " |")
    out.append("")
    out.append("Medians over the rounds. Long tail: the target ≤ 0.25 is \"at least 4× fewer "
               "upstream connections than nginx\". MB = 10^6 bytes.")
    tls = []
    for proxy in proxies:
        for _, _, raw in runs.get((proxy, "h2tls"), [])[:1]:
            tls.append(f"{proxy} {raw.get('tls', '?')} (ALPN {raw.get('alpn', '?')})")
    if tls:
        out.append("TLS negotiated with h2load in scenario 6 (protocol/cipher suite/group): "
                   + "; ".join(tls) + ".")
    for _, figures, raw in runs.get(("river", "upstream_h2"), [])[:1]:
        if "skipped" not in raw:
            out.append(f"Scenario 8: River's upstream protocol setting \"{raw.get('protocol')}\", "
                       f"{raw.get('concurrency')} requests in flight from the clients; the "
                       f"target is that many divided by the origin's 128 concurrent streams "
                       f"per connection, rounded up.")
    if args.notes and os.path.exists(args.notes):
        with open(args.notes) as notes:
            for line in notes:
                if line.strip():
                    out.append(line.strip())
    out.append("")
    rounds = []
    for (proxy, scenario), samples in sorted(runs.items()):
        if scenario not in WRK_SCENARIOS + ("h2tls",):
            continue
        for round_number, figures, _ in sorted(samples, key=lambda sample: sample[0]):
            rate = figures.get("rps", figures.get("mbps"))
            latency = (f"{figures['p99_ms']:.2f}" if "p99_ms" in figures
                       else f"{figures['mean_ms']:.2f} (mean)")
            rounds.append(f"| {proxy} | {scenario} | {round_number} | {rate:,.0f} | "
                          f"{latency} | {figures['cpu_s']:.2f} | "
                          f"{figures['per_cpu']:,.0f} | {figures['errors']:.0f} |")
    if rounds:
        out.append("## Every round\n")
        out.append("| Proxy | Scenario | Round | requests/s or MB/s | p99 (ms) | CPU s | "
                   "per CPU-second | errors |")
        out.append("|---|---|---|---|---|---|---|---|")
        out.extend(rounds)
    print("\n".join(out))


if __name__ == "__main__":
    main()
