# Helpers for bench/run.sh: processes, ports and the configuration files of the origin and
# of the proxies under test. Sourced, not run. Everything listens on 127.0.0.1 only.

BENCH_PIDS=()
LAST_PID=""

log() {
  printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# free_ports N: prints N distinct TCP ports that are free now, space-separated. They are
# held open together while the kernel picks them, so they never repeat.
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    held.append(sock)
print(" ".join(str(sock.getsockname()[1]) for sock in held))
EOF
}

# wait_port PORT [SECONDS]: waits until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local port=$1 deadline=$((SECONDS + ${2:-10}))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.05
  done
}

# start_bg LOGFILE COMMAND...: starts COMMAND in the background with its output in LOGFILE;
# sets LAST_PID and remembers the process for cleanup.
start_bg() {
  local logfile=$1
  shift
  "$@" >"$logfile" 2>&1 &
  LAST_PID=$!
  BENCH_PIDS+=("$LAST_PID")
}

# stop_pid PID: SIGTERM, then SIGKILL if the process is still there after 5 seconds.
stop_pid() {
  local pid=$1 tries=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((tries < 100)); do
    sleep 0.05
    tries=$((tries + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup_all() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      stop_pid "$pid"
    fi
  done
}

# tcp_passive_opens: TCP connections accepted so far on this machine (network namespace),
# PassiveOpens in /proc/net/snmp.
tcp_passive_opens() {
  awk '$1 == "Tcp:" {
    if (!column) { for (i = 2; i <= NF; i++) if ($i == "PassiveOpens") column = i }
    else { print $column; exit }
  }' /proc/net/snmp
}

cpu_of() { "$PYTHON" "$BENCH_DIR/procstat.py" cpu "$1"; }
rss_of() { "$PYTHON" "$BENCH_DIR/procstat.py" rss "$1"; }

# nginx_main DIR WORKERS: the part of an nginx configuration outside `http`, with the pid
# file, error log and temporary paths inside DIR.
nginx_main() {
  local dir=$1 workers=$2
  mkdir -p "$dir/tmp"
  cat <<EOF
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections $NGINX_WORKER_CONNECTIONS;
}
EOF
}

# nginx_http_common DIR: settings every nginx instance here shares inside `http`.
nginx_http_common() {
  local dir=$1
  cat <<EOF
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  # Clients (wrk) keep their connections for the whole run; the 1.22 default of 1000
  # requests per connection would make nginx close them periodically.
  keepalive_requests 1000000;
  keepalive_timeout 75s;
EOF
}

# write_origin_conf DIR WORKERS ACCESS_LOG PORT...: the origin nginx. It answers /small with
# a 13-byte body and serves DIR/www (so /files/1m.bin). ACCESS_LOG is "off" or a path that
# gets one line per request: "pid connection-serial port status protocol". A PORT written
# "PORT:tls" listens with TLS and HTTP/2 (ALPN), with the certificate $BENCH_CERT/$BENCH_KEY.
write_origin_conf() {
  local dir=$1 workers=$2 access=$3
  shift 3
  local port tls=0
  {
    nginx_main "$dir" "$workers"
    echo "http {"
    nginx_http_common "$dir"
    if [[ "$access" == off ]]; then
      echo "  access_log off;"
    else
      echo "  log_format conn '\$pid \$connection \$server_port \$status \$server_protocol';"
      echo "  access_log $access conn;"
    fi
    cat <<EOF
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  server {
EOF
    for port in "$@"; do
      if [[ "$port" == *:tls ]]; then
        echo "    listen 127.0.0.1:${port%:tls} ssl http2;"
        tls=1
      else
        echo "    listen 127.0.0.1:$port;"
      fi
    done
    if ((tls)); then
      nginx_tls_settings
    fi
    cat <<EOF
    root $dir/www;
    location = /small {
      default_type text/plain;
      return 200 "hello, world\n";
    }
  }
}
EOF
  } >"$dir/nginx.conf"
}

# nginx_proxy_headers: the request and response fields nginx adds. They match what River
# adds by default (X-Forwarded-For/-Proto/-Host replaced, Via on requests and responses,
# Host passed through), so both proxies do the same header work.
nginx_proxy_headers() {
  cat <<'EOF'
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-Host $host;
  proxy_set_header Via "1.1 nginx";
  add_header Via "1.1 nginx" always;
  # Stream large responses through memory buffers instead of spooling them to a temporary
  # file when the client is slower than the origin (River streams them too).
  proxy_max_temp_file_size 0;
EOF
}

# make_cert DIR: a self-signed ECDSA P-256 certificate for localhost and 127.0.0.1, valid
# for two days, as DIR/cert.pem and DIR/key.pem; sets BENCH_CERT and BENCH_KEY.
make_cert() {
  local dir=$1
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -nodes \
    -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 \
    || die "openssl could not make a certificate; see $dir/openssl.log"
  chmod a+r "$dir/cert.pem" "$dir/key.pem"
  BENCH_CERT="$dir/cert.pem"
  BENCH_KEY="$dir/key.pem"
}

# nginx_tls_settings: the TLS part of an nginx server block, matching River's listener
# defaults (TLS 1.2 and 1.3, groups X25519:P-256:P-384, OpenSSL's TLS 1.3 cipher suites)
# with resumption off on both (River: session_tickets = false; River keeps no server-side
# session cache), so every new connection is a full handshake.
nginx_tls_settings() {
  cat <<EOF
    ssl_certificate $BENCH_CERT;
    ssl_certificate_key $BENCH_KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_session_tickets off;
    ssl_session_cache off;
EOF
  if [[ -n "${TLS_CIPHERSUITES:-}" ]]; then
    echo "    ssl_conf_command Ciphersuites $TLS_CIPHERSUITES;"
  fi
}

# write_nginx_proxy_conf DIR WORKERS "LISTEN_PORT:ORIGIN_PORT"...: nginx as a reverse proxy,
# one server block and one upstream block (with a keep-alive cache of 64 idle connections
# per worker) for each pair.
write_nginx_proxy_conf() {
  local dir=$1 workers=$2
  shift 2
  local pair index=0
  {
    nginx_main "$dir" "$workers"
    echo "http {"
    echo "  access_log off;"
    nginx_http_common "$dir"
    nginx_proxy_headers
    for pair in "$@"; do
      cat <<EOF
  upstream origin_$index {
    server 127.0.0.1:${pair#*:};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${pair%%:*};
EOF
      if [[ -n "${PROXY_TLS_PORT:-}" ]]; then
        echo "    listen 127.0.0.1:$PROXY_TLS_PORT ssl http2;"
        nginx_tls_settings
      fi
      cat <<EOF
    location / {
      proxy_pass http://origin_$index;
    }
  }
EOF
      index=$((index + 1))
    done
    echo "}"
  } >"$dir/nginx.conf"
}

# write_river_conf DIR THREADS "LISTEN_PORT:ORIGIN_PORT"...: River with one proxy service
# per pair, every other setting at its default except the access log (off, as for nginx)
# and the process log level (warn, as nginx's error_log here).
# With PROXY_TLS_PORT set (one pair only), the service also has a TLS listener on that port
# (HTTP/2 and HTTP/1.1 by ALPN, the default) with $BENCH_CERT, tickets off as for nginx.
# With UPSTREAM_H2_CA set, the service speaks HTTP/2 over TLS to its upstream
# ([service.upstream_tls] protocol = "h2", or $UPSTREAM_H2_PROTOCOL), verifying it against
# that CA file, and its listen port serves HTTP/2 with prior knowledge (h2c).
write_river_conf() {
  local dir=$1 threads=$2
  shift 2
  local pair index=0
  {
    cat <<EOF
[system]
threads = $threads
access_log = "off"
log_level = "warn"
shutdown_grace = "1s"
EOF
    for pair in "$@"; do
      cat <<EOF

[[service]]
name = "bench$index"
upstream = ["127.0.0.1:${pair#*:}"]
EOF
      if [[ -n "${UPSTREAM_H2_CA:-}" ]]; then
        cat <<EOF

[[service.listener]]
address = "127.0.0.1:${pair%%:*}"
h2 = true

[service.upstream_tls]
protocol = "${UPSTREAM_H2_PROTOCOL:-h2}"
ca_file = "$UPSTREAM_H2_CA"
EOF
      else
        echo "listen = [\"127.0.0.1:${pair%%:*}\"]"
      fi
      if [[ -n "${PROXY_TLS_PORT:-}" ]]; then
        cat <<EOF

[[service.listener]]
address = "127.0.0.1:$PROXY_TLS_PORT"

[service.listener.tls]
certificates = [{ certificate = "$BENCH_CERT", key = "$BENCH_KEY" }]
session_tickets = false
EOF
        if [[ -n "${TLS_CIPHERSUITES:-}" ]]; then
          echo "ciphersuites = \"$TLS_CIPHERSUITES\""
        fi
      fi
      index=$((index + 1))
    done
  } >"$dir/river.toml"
}

# start_nginx DIR: starts nginx with DIR/nginx.conf; sets LAST_PID to its master.
start_nginx() {
  local dir=$1
  "$NGINX_BIN" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    || die "nginx rejected $dir/nginx.conf"
  start_bg "$dir/stderr.log" "$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
}

# river_accepts DIR: whether `river check` accepts DIR/river.toml (its message goes to
# DIR/check.log).
river_accepts() {
  "$RIVER_BIN" check -c "$1/river.toml" >"$1/check.log" 2>&1
}

# start_river DIR: starts River with DIR/river.toml; sets LAST_PID.
start_river() {
  local dir=$1
  "$RIVER_BIN" check -c "$dir/river.toml" >/dev/null || die "river rejected $dir/river.toml"
  start_bg "$dir/stderr.log" "$RIVER_BIN" run -c "$dir/river.toml"
}

# start_proxy NAME DIR THREADS "LISTEN_PORT:ORIGIN_PORT"...: writes the configuration of
# proxy NAME (river or nginx), starts it and waits for every listen port; sets LAST_PID.
start_proxy() {
  local name=$1 dir=$2 threads=$3
  shift 3
  local pair
  mkdir -p "$dir"
  case "$name" in
    river)
      write_river_conf "$dir" "$threads" "$@"
      start_river "$dir"
      ;;
    nginx)
      write_nginx_proxy_conf "$dir" "$threads" "$@"
      start_nginx "$dir"
      ;;
    *) die "unknown proxy '$name'" ;;
  esac
  for pair in "$@"; do
    wait_port "${pair%%:*}" 10 || die "$name did not listen on ${pair%%:*}; see $dir/stderr.log"
  done
  if [[ -n "${PROXY_TLS_PORT:-}" ]]; then
    wait_port "$PROXY_TLS_PORT" 10 \
      || die "$name did not listen on $PROXY_TLS_PORT; see $dir/stderr.log"
  fi
}

# check_alive NAME PID DIR: fails loudly if a proxy died during a measurement.
check_alive() {
  if ! kill -0 "$2" 2>/dev/null; then
    log "$1 (pid $2) is gone; last lines of its log:"
    tail -n 20 "$3/stderr.log" >&2 || true
    return 1
  fi
}
