#!/usr/bin/env bash
# River's benchmark suite: River and nginx as reverse proxies, side by side, in front of the
# same nginx origin, all on 127.0.0.1 with ports chosen at run time. See docs/benchmarks.md.
#
#   bash bench/run.sh            # full run, about 9 minutes
#   QUICK=1 bash bench/run.sh    # short run, about 2 minutes
#
# Settings (environment):
#   SCENARIOS="http1 idle longtail h2tls handshake upstream-h2"   which scenarios run:
#                       http1 = 1-3, idle = 4, longtail = 5, h2tls = 6, handshake = 7,
#                       upstream-h2 = 8 (River only; skipped with a note while River refuses
#                       [service.upstream_tls] protocol = "h2")
#   WORKERS=1           worker threads (River) / worker processes (nginx) for scenarios 1-4,
#                       6 and 7
#   ROUNDS=3            scenarios 1-3, 6 and 7 are repeated ROUNDS times, alternating the
#                       order of the proxies; the report gives the median
#   DURATION=10         seconds of each measured wrk run (after a WARMUP-second run)
#   CONNECTIONS=50      wrk connections
#   IDLE_CONNS=2000     idle client connections for the memory scenario
#   LONGTAIL_WORKERS=8  LONGTAIL_PORTS=100  LONGTAIL_RATE=200  LONGTAIL_SECONDS=20
#   H2_CLIENTS=4  H2_STREAMS=16    h2load connections and streams per connection (scenario 6);
#                       64 in flight, within both proxies' idle upstream caches (nginx 64)
#   TLS_CIPHERSUITES=""  TLS 1.3 cipher suites for both proxies' TLS listeners; empty leaves
#                       each at its default
#   UPSTREAM_H2_WORKERS=8  UPSTREAM_H2_CLIENTS=10  UPSTREAM_H2_STREAMS=20   scenario 8
#   UPSTREAM_H2_PROTOCOL=h2   River's upstream protocol in scenario 8 (h2, h2-or-h1, h1)
#   ORIGIN_WORKERS=1    worker processes of the origin nginx
#   NGINX_WORKER_CONNECTIONS=max(4096, IDLE_CONNS + 1024)   for every nginx instance
#   PROXIES="river nginx"
#   RIVER_BIN=build/river  NGINX_BIN=/usr/sbin/nginx  WRK_BIN=wrk  H2LOAD_BIN=h2load
#   PYTHON=/usr/bin/python3
#   RESULTS_DIR=bench/results   KEEP_WORK=1 keeps the temporary directory
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(dirname "$BENCH_DIR")
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

QUICK=${QUICK:-0}
if [[ "$QUICK" == 1 ]]; then
  ROUNDS=${ROUNDS:-1}
  DURATION=${DURATION:-3}
  WARMUP=${WARMUP:-1}
  IDLE_CONNS=${IDLE_CONNS:-1000}
  LONGTAIL_SECONDS=${LONGTAIL_SECONDS:-8}
else
  ROUNDS=${ROUNDS:-3}
  DURATION=${DURATION:-10}
  WARMUP=${WARMUP:-2}
  IDLE_CONNS=${IDLE_CONNS:-2000}
  LONGTAIL_SECONDS=${LONGTAIL_SECONDS:-20}
fi
WORKERS=${WORKERS:-1}
CONNECTIONS=${CONNECTIONS:-50}
LONGTAIL_WORKERS=${LONGTAIL_WORKERS:-8}
LONGTAIL_PORTS=${LONGTAIL_PORTS:-100}
LONGTAIL_RATE=${LONGTAIL_RATE:-200}
H2_CLIENTS=${H2_CLIENTS:-4}
H2_STREAMS=${H2_STREAMS:-16}
TLS_CIPHERSUITES=${TLS_CIPHERSUITES:-}
UPSTREAM_H2_WORKERS=${UPSTREAM_H2_WORKERS:-8}
UPSTREAM_H2_CLIENTS=${UPSTREAM_H2_CLIENTS:-10}
UPSTREAM_H2_STREAMS=${UPSTREAM_H2_STREAMS:-20}
UPSTREAM_H2_PROTOCOL=${UPSTREAM_H2_PROTOCOL:-h2}
# The origin's SETTINGS_MAX_CONCURRENT_STREAMS (nginx's http2_max_concurrent_streams default).
ORIGIN_H2_MAX_STREAMS=128
SCENARIOS=${SCENARIOS:-"http1 idle longtail h2tls handshake upstream-h2"}
ORIGIN_WORKERS=${ORIGIN_WORKERS:-1}
# nginx allocates its connection table (client and upstream connections) when it starts;
# size it as an operator would, for the largest load of the run with some headroom.
NGINX_WORKER_CONNECTIONS=${NGINX_WORKER_CONNECTIONS:-$((IDLE_CONNS + 1024 > 4096 ? \
  IDLE_CONNS + 1024 : 4096))}
PROXIES=${PROXIES:-"river nginx"}
RIVER_BIN=${RIVER_BIN:-$ROOT_DIR/build/river}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
WRK_BIN=${WRK_BIN:-wrk}
H2LOAD_BIN=${H2LOAD_BIN:-h2load}
PYTHON=${PYTHON:-/usr/bin/python3}
RESULTS_DIR=${RESULTS_DIR:-$ROOT_DIR/bench/results}

[[ -x "$RIVER_BIN" ]] || die "$RIVER_BIN not found; run 'make build' first"
[[ -x "$NGINX_BIN" ]] || die "$NGINX_BIN not found; run 'make deps'"
command -v "$WRK_BIN" >/dev/null || die "wrk not found; run 'make deps'"
[[ -x "$PYTHON" ]] || die "$PYTHON not found"
read -r -a proxies <<<"$PROXIES"
read -r -a scenarios <<<"$SCENARIOS"
for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    http1 | idle | longtail | h2tls | handshake | upstream-h2) ;;
    *) die "unknown scenario '$scenario' in SCENARIOS" ;;
  esac
done
# wants SCENARIO...: whether any of them is selected.
wants() {
  local scenario wanted
  for wanted in "$@"; do
    for scenario in "${scenarios[@]}"; do
      [[ "$scenario" == "$wanted" ]] && return 0
    done
  done
  return 1
}
if wants h2tls handshake upstream-h2; then
  command -v openssl >/dev/null || die "openssl not found; run 'make deps'"
fi
if wants h2tls upstream-h2; then
  command -v "$H2LOAD_BIN" >/dev/null || die "h2load not found; run 'make deps' (nghttp2-client)"
fi

# Thousands of sockets are open at once in the memory scenario.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d /tmp/river-bench.XXXXXX)
# nginx workers started by root run as "nobody" and must read the files served from here.
chmod 755 "$WORK"
mkdir -p "$RESULTS_DIR"
stamp=$(date -u +%Y-%m-%d-%H%M%S)
suffix=""
if [[ "$QUICK" == 1 ]]; then
  suffix="-quick"
fi
report="$RESULTS_DIR/$stamp$suffix.md"
# Raw figures go straight to the results directory, so a failed run still leaves them.
RAW="${report%.md}.tsv.tmp"
# A private copy, so a rebuild during the run cannot mix two binaries in one report.
river_built=$(date -u -r "$RIVER_BIN" +%Y-%m-%dT%H:%M:%SZ)
cp "$RIVER_BIN" "$WORK/river"
RIVER_BIN="$WORK/river"
: >"$RAW"
on_exit() {
  cleanup_all
  if [[ "${KEEP_WORK:-0}" == 1 ]]; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
# Lines for the report's notes (skipped scenarios and the like).
NOTES="$WORK/notes.txt"
: >"$NOTES"
note() {
  log "$*"
  printf '%s\n' "$*" >>"$NOTES"
}

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "work directory $WORK; load average $load_before"
if awk -v load="${load_before%% *}" 'BEGIN { exit !(load > 1.5) }'; then
  log "warning: the load average is above 1.5; figures will be noisy"
fi

# record PROXY SCENARIO ROUND KEY=VALUE...: one line of raw results.
record() {
  local proxy=$1 scenario=$2 round=$3
  shift 3
  printf '%s\t%s\t%s\t%s\n' "$proxy" "$scenario" "$round" "$*" >>"$RAW"
}

# ---------------------------------------------------------------------------------------
# The origin for scenarios 1-4.
read -r origin_port river_port nginx_port river_tls_port nginx_tls_port <<<"$(free_ports 5)"
declare -A proxy_port=([river]=$river_port [nginx]=$nginx_port)
declare -A proxy_tls_port=([river]=$river_tls_port [nginx]=$nginx_tls_port)
if wants h2tls handshake upstream-h2; then
  # One certificate for every TLS listener of the run, the origin's of scenario 8 included.
  make_cert "$WORK/tls"
fi
origin_dir="$WORK/origin"
mkdir -p "$origin_dir/www/files"
head -c 1048576 /dev/urandom >"$origin_dir/www/files/1m.bin"
chmod -R a+rX "$origin_dir"
write_origin_conf "$origin_dir" "$ORIGIN_WORKERS" off "$origin_port"
start_nginx "$origin_dir"
origin_pid=$LAST_PID
wait_port "$origin_port" 10 || die "the origin did not start; see $origin_dir/error.log"

# sanity_check NAME PORT: one request of each kind must succeed through the proxy.
sanity_check() {
  local name=$1 port=$2 code size
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/small")
  [[ "$code" == 200 ]] || die "$name answered /small with $code"
  size=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
    "http://127.0.0.1:$port/files/1m.bin")
  [[ "$size" == "200 1048576" ]] || die "$name answered /files/1m.bin with $size"
}

# measure_wrk NAME PID DIR SCENARIO ROUND URL [WRK OPTIONS...]: a warm-up run, then the
# measured run with the proxy's CPU time read before and after.
measure_wrk() {
  local name=$1 pid=$2 dir=$3 scenario=$4 round=$5 url=$6
  shift 6
  local out="$dir/wrk-$scenario.txt" cpu_before cpu_after result accepts_before accepts_after
  "$WRK_BIN" -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
  cpu_before=$(cpu_of "$pid")
  accepts_before=$(tcp_passive_opens)
  "$WRK_BIN" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/summary.lua" \
    "$@" "$url" >"$out"
  cpu_after=$(cpu_of "$pid")
  accepts_after=$(tcp_passive_opens)
  check_alive "$name" "$pid" "$dir" || die "$name crashed during $scenario (round $round)"
  result=$(grep '^RESULT ' "$out") || die "no wrk summary in $out"
  record "$name" "$scenario" "$round" "${result#RESULT } cpu_before=$cpu_before" \
    "cpu_after=$cpu_after accepts=$((accepts_after - accepts_before))"
  log "$name $scenario round $round: $(grep -E 'Requests/sec|Transfer/sec' "$out" | xargs)"
  if grep -q 'Non-2xx\|Socket errors' "$out"; then
    log "$name $scenario round $round: $(grep -E 'Non-2xx|Socket errors' "$out" | xargs)"
  fi
}

# measure_h2load NAME PID DIR SCENARIO ROUND URL [H2LOAD OPTIONS...]: a warm-up run, then
# the measured run (DURATION seconds) with the proxy's CPU time read before and after.
measure_h2load() {
  local name=$1 pid=$2 dir=$3 scenario=$4 round=$5 url=$6
  shift 6
  local out="$dir/h2load-$scenario.txt" cpu_before cpu_after result accepts_before accepts_after
  timeout $((WARMUP + 30)) "$H2LOAD_BIN" -D "$WARMUP" "$@" "$url" >/dev/null 2>&1 \
    || die "h2load's warm-up run failed against $name ($url)"
  cpu_before=$(cpu_of "$pid")
  accepts_before=$(tcp_passive_opens)
  timeout $((DURATION + 30)) "$H2LOAD_BIN" -D "$DURATION" "$@" "$url" >"$out" 2>&1 \
    || die "h2load failed against $name; see $out"
  cpu_after=$(cpu_of "$pid")
  accepts_after=$(tcp_passive_opens)
  check_alive "$name" "$pid" "$dir" || die "$name crashed during $scenario (round $round)"
  result=$("$PYTHON" "$BENCH_DIR/h2load_summary.py" "$out") || die "no h2load totals in $out"
  record "$name" "$scenario" "$round" "${result#RESULT } cpu_before=$cpu_before" \
    "cpu_after=$cpu_after accepts=$((accepts_after - accepts_before))"
  log "$name $scenario round $round: $(grep -E '^(finished|requests:)' "$out" | xargs)"
}

# proxy_order ROUND: the proxies in the order they run in that round (reversed every
# other round), in the array `order`.
proxy_order() {
  order=("${proxies[@]}")
  if (($1 % 2 == 0)); then
    order=()
    for ((i = ${#proxies[@]} - 1; i >= 0; i--)); do order+=("${proxies[i]}"); done
  fi
}

# ---------------------------------------------------------------------------------------
# Scenarios 1-3: keep-alive small responses, a new connection per request, 1 MiB responses.
for ((round = 1; round <= ROUNDS; round++)); do
  wants http1 || break
  proxy_order "$round"
  for name in "${order[@]}"; do
    dir="$WORK/$name-wrk-$round"
    port=${proxy_port[$name]}
    start_proxy "$name" "$dir" "$WORKERS" "$port:$origin_port"
    pid=$LAST_PID
    sanity_check "$name" "$port"
    base="http://127.0.0.1:$port"
    measure_wrk "$name" "$pid" "$dir" keepalive "$round" "$base/small"
    measure_wrk "$name" "$pid" "$dir" close "$round" "$base/small" -H 'Connection: close'
    measure_wrk "$name" "$pid" "$dir" 1mib "$round" "$base/files/1m.bin"
    stop_pid "$pid"
  done
done

# ---------------------------------------------------------------------------------------
# Scenario 4: memory per idle keep-alive client connection, on a freshly started proxy.
for name in "${proxies[@]}"; do
  wants idle || break
  dir="$WORK/$name-idle"
  port=${proxy_port[$name]}
  start_proxy "$name" "$dir" "$WORKERS" "$port:$origin_port"
  pid=$LAST_PID
  result=$("$PYTHON" "$BENCH_DIR/idle_conns.py" --port "$port" --pid "$pid" \
    --count "$IDLE_CONNS" --path /small --settle 1) || die "idle_conns.py failed for $name"
  check_alive "$name" "$pid" "$dir" || die "$name crashed during the idle scenario"
  record "$name" idle 1 "${result#RESULT }"
  log "$name idle: ${result#RESULT }"
  stop_pid "$pid"
done

# ---------------------------------------------------------------------------------------
# Scenarios 6 and 7, over TLS to each proxy's TLS listener (same certificate, resumption
# off): 6. h2load, H2_CLIENTS connections with H2_STREAMS concurrent streams each;
# 7. wrk with a new connection, so a full TLS handshake, per request.
for ((round = 1; round <= ROUNDS; round++)); do
  wants h2tls handshake || break
  proxy_order "$round"
  for name in "${order[@]}"; do
    dir="$WORK/$name-tls-$round"
    port=${proxy_port[$name]}
    tls_port=${proxy_tls_port[$name]}
    PROXY_TLS_PORT=$tls_port start_proxy "$name" "$dir" "$WORKERS" "$port:$origin_port"
    pid=$LAST_PID
    for version in --http1.1 --http2; do
      code=$(curl -sk "$version" -o /dev/null -w '%{http_code} %{http_version}' \
        "https://127.0.0.1:$tls_port/small")
      [[ "$code" == "200 ${version#--http}" ]] \
        || die "$name answered /small over TLS ($version) with '$code'"
    done
    base="https://127.0.0.1:$tls_port"
    if wants h2tls; then
      measure_h2load "$name" "$pid" "$dir" h2tls "$round" "$base/small" \
        -c "$H2_CLIENTS" -m "$H2_STREAMS"
    fi
    if wants handshake; then
      measure_wrk "$name" "$pid" "$dir" handshake "$round" "$base/small" \
        -H 'Connection: close'
    fi
    stop_pid "$pid"
  done
done
stop_pid "$origin_pid"

# ---------------------------------------------------------------------------------------
# Scenario 5: upstream connections opened for short client connections spread over many
# services, with LONGTAIL_WORKERS workers. A fresh origin per proxy logs the serial number
# of the connection each request came on; distinct serials = connections the proxy opened.
for name in "${proxies[@]}"; do
  wants longtail || break
  read -r -a ports <<<"$(free_ports $((2 * LONGTAIL_PORTS)))"
  origin_ports=("${ports[@]:0:LONGTAIL_PORTS}")
  listen_ports=("${ports[@]:LONGTAIL_PORTS}")
  pairs=()
  for ((i = 0; i < LONGTAIL_PORTS; i++)); do
    pairs+=("${listen_ports[i]}:${origin_ports[i]}")
  done
  tail_origin="$WORK/$name-longtail-origin"
  mkdir -p "$tail_origin/www"
  chmod -R a+rX "$tail_origin"
  write_origin_conf "$tail_origin" 1 "$tail_origin/access.log" "${origin_ports[@]}"
  start_nginx "$tail_origin"
  tail_origin_pid=$LAST_PID
  wait_port "${origin_ports[0]}" 10 || die "the long-tail origin did not start"

  dir="$WORK/$name-longtail"
  start_proxy "$name" "$dir" "$LONGTAIL_WORKERS" "${pairs[@]}"
  pid=$LAST_PID
  cpu_before=$(cpu_of "$pid")
  result=$("$PYTHON" "$BENCH_DIR/longtail.py" --ports "$(IFS=,; echo "${listen_ports[*]}")" \
    --rate "$LONGTAIL_RATE" --duration "$LONGTAIL_SECONDS" --threads 8 --path /small \
    2>"$dir/longtail.err") || die "longtail.py failed for $name; see $dir/longtail.err"
  cpu_after=$(cpu_of "$pid")
  check_alive "$name" "$pid" "$dir" || die "$name crashed during the long-tail scenario"
  stop_pid "$pid"
  stop_pid "$tail_origin_pid"
  origin_requests=$(wc -l <"$tail_origin/access.log")
  upstream_conns=$(awk '{ print $1, $2 }' "$tail_origin/access.log" | sort -u | wc -l)
  record "$name" longtail 1 "${result#RESULT } origin_requests=$origin_requests" \
    "upstream_conns=$upstream_conns cpu_before=$cpu_before cpu_after=$cpu_after"
  log "$name longtail: ${result#RESULT } upstream_conns=$upstream_conns"
done

# ---------------------------------------------------------------------------------------
# Scenario 8: upstream HTTP/2 streams per upstream connection, River only (nginx proxies
# to upstreams in HTTP/1.x only; HTTP/2 only for gRPC with grpc_pass). River, with
# UPSTREAM_H2_WORKERS threads, speaks HTTP/2 over TLS to an nginx origin (TLS, HTTP/2,
# SETTINGS_MAX_CONCURRENT_STREAMS 128) while h2load keeps UPSTREAM_H2_CLIENTS x
# UPSTREAM_H2_STREAMS requests in flight on River's h2c listener. The origin logs the
# connection of every request, as in scenario 5.
upstream_h2_concurrency=$((UPSTREAM_H2_CLIENTS * UPSTREAM_H2_STREAMS))
upstream_h2_target=$(((upstream_h2_concurrency + ORIGIN_H2_MAX_STREAMS - 1) / \
  ORIGIN_H2_MAX_STREAMS))
if wants upstream-h2; then
  dir="$WORK/river-upstream-h2"
  mkdir -p "$dir"
  read -r h2_origin_port h2_listen_port <<<"$(free_ports 2)"
  UPSTREAM_H2_CA=$BENCH_CERT write_river_conf "$dir" "$UPSTREAM_H2_WORKERS" \
    "$h2_listen_port:$h2_origin_port"
  if [[ " ${proxies[*]} " != *" river "* ]]; then
    note "Scenario 8 (upstream HTTP/2) skipped: River is not in PROXIES."
  elif ! river_accepts "$dir"; then
    record river upstream_h2 1 skipped=1
    note "Scenario 8 (upstream HTTP/2) skipped: this River binary refuses" \
      "\`[service.upstream_tls] protocol = \"$UPSTREAM_H2_PROTOCOL\"\` (river check:" \
      "$(tr '\n' ' ' <"$dir/check.log" | sed 's/ *$//'))."
  else
    h2_origin="$WORK/upstream-h2-origin"
    mkdir -p "$h2_origin/www"
    chmod -R a+rX "$h2_origin"
    write_origin_conf "$h2_origin" 1 "$h2_origin/access.log" "$h2_origin_port:tls"
    start_nginx "$h2_origin"
    h2_origin_pid=$LAST_PID
    wait_port "$h2_origin_port" 10 || die "the HTTP/2 origin did not start"
    start_river "$dir"
    pid=$LAST_PID
    wait_port "$h2_listen_port" 10 || die "river did not listen on $h2_listen_port"
    out="$dir/h2load-upstream-h2.txt"
    cpu_before=$(cpu_of "$pid")
    # No warm-up: the upstream connections opened from the first request on are the figure.
    timeout $((DURATION + 30)) "$H2LOAD_BIN" -D "$DURATION" -c "$UPSTREAM_H2_CLIENTS" \
      -m "$UPSTREAM_H2_STREAMS" "http://127.0.0.1:$h2_listen_port/small" >"$out" 2>&1 \
      || die "h2load failed against river in scenario 8; see $out"
    cpu_after=$(cpu_of "$pid")
    check_alive river "$pid" "$dir" || die "river crashed during the upstream HTTP/2 scenario"
    stop_pid "$pid"
    stop_pid "$h2_origin_pid"
    result=$("$PYTHON" "$BENCH_DIR/h2load_summary.py" "$out") || die "no h2load totals in $out"
    origin_requests=$(wc -l <"$h2_origin/access.log")
    origin_h2=$(awk '$5 == "HTTP/2.0"' "$h2_origin/access.log" | wc -l)
    upstream_conns=$(awk '{ print $1, $2 }' "$h2_origin/access.log" | sort -u | wc -l)
    record river upstream_h2 1 "${result#RESULT } origin_requests=$origin_requests" \
      "origin_h2=$origin_h2 upstream_conns=$upstream_conns cpu_before=$cpu_before" \
      "cpu_after=$cpu_after concurrency=$upstream_h2_concurrency" \
      "target_conns=$upstream_h2_target protocol=$UPSTREAM_H2_PROTOCOL"
    log "river upstream-h2: $(grep -E '^requests:' "$out")" \
      "origin_requests=$origin_requests origin_h2=$origin_h2 upstream_conns=$upstream_conns"
  fi
  if [[ " ${proxies[*]} " == *" nginx "* ]]; then
    note "Scenario 8 has no nginx figure: nginx speaks HTTP/1.0 or 1.1 to proxied" \
      "upstreams (proxy_http_version); it speaks HTTP/2 upstream only to gRPC servers" \
      "(grpc_pass)."
  fi
fi

# ---------------------------------------------------------------------------------------
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
command_line="$(printf '%q ' env QUICK="$QUICK" SCENARIOS="$SCENARIOS" WORKERS="$WORKERS" \
  ROUNDS="$ROUNDS" \
  DURATION="$DURATION" CONNECTIONS="$CONNECTIONS" IDLE_CONNS="$IDLE_CONNS" \
  LONGTAIL_WORKERS="$LONGTAIL_WORKERS" LONGTAIL_PORTS="$LONGTAIL_PORTS" \
  LONGTAIL_RATE="$LONGTAIL_RATE" LONGTAIL_SECONDS="$LONGTAIL_SECONDS" \
  H2_CLIENTS="$H2_CLIENTS" H2_STREAMS="$H2_STREAMS" TLS_CIPHERSUITES="$TLS_CIPHERSUITES" \
  UPSTREAM_H2_WORKERS="$UPSTREAM_H2_WORKERS" UPSTREAM_H2_CLIENTS="$UPSTREAM_H2_CLIENTS" \
  UPSTREAM_H2_STREAMS="$UPSTREAM_H2_STREAMS" UPSTREAM_H2_PROTOCOL="$UPSTREAM_H2_PROTOCOL" \
  ORIGIN_WORKERS="$ORIGIN_WORKERS" NGINX_WORKER_CONNECTIONS="$NGINX_WORKER_CONNECTIONS" \
  bash bench/run.sh)"
river_version=$("$RIVER_BIN" --version 2>&1 | head -n1 || true)
nginx_version=$("$NGINX_BIN" -v 2>&1 | head -n1)
git_commit=$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$ROOT_DIR" status --porcelain -- src 2>/dev/null)" ]]; then
  git_commit+=" (with uncommitted changes in src/)"
fi
git_commit+="; binary built $river_built"

"$PYTHON" "$BENCH_DIR/report.py" "$RAW" \
  --started "$started_at" --command "$command_line" --commit "$git_commit" \
  --river-version "$river_version" --nginx-version "$nginx_version" \
  --load-before "$load_before" --load-after "$load_after" --notes "$NOTES" \
  --proxies "$PROXIES" \
  --settings "workers=$WORKERS rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s
    connections=$CONNECTIONS idle_conns=$IDLE_CONNS longtail_workers=$LONGTAIL_WORKERS
    longtail_ports=$LONGTAIL_PORTS longtail_rate=$LONGTAIL_RATE/s
    longtail_seconds=$LONGTAIL_SECONDS h2_clients=$H2_CLIENTS h2_streams=$H2_STREAMS
    tls_ciphersuites=${TLS_CIPHERSUITES:-default} upstream_h2_workers=$UPSTREAM_H2_WORKERS
    upstream_h2_clients=$UPSTREAM_H2_CLIENTS upstream_h2_streams=$UPSTREAM_H2_STREAMS
    upstream_h2_protocol=$UPSTREAM_H2_PROTOCOL origin_workers=$ORIGIN_WORKERS
    nginx_worker_connections=$NGINX_WORKER_CONNECTIONS" >"$report"
mv "$RAW" "${report%.md}.tsv"
cat "$report"
log "report saved to ${report#"$ROOT_DIR"/} (raw figures in ${report%.md}.tsv)"
