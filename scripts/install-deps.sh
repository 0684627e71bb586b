#!/usr/bin/env bash
# Installs everything River needs to build, test, fuzz and benchmark on Debian 12.
# Idempotent: packages already present are left as they are, and apt-get update runs
# only when a package is missing.
set -euo pipefail

packages=(
  # Build toolchain
  build-essential cmake ninja-build ccache pkg-config
  # Libraries (the engine and the application)
  libboost1.81-dev libssl-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libcli11-dev libre2-dev libnghttp2-dev
  # Tests, benchmarks, fuzzing
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev llvm-14
  python3 python3-pytest python3-hpack
  # gRPC end to end through River (tests/integration/test_upstream_h2.py); the services use
  # grpc's generic handlers, so no protoc (Debian's python3-grpc-tools is far older than
  # python3-grpcio) is needed.
  python3-grpcio
  # WASM plugins: clang-14 (above) compiles them for wasm32-wasi against wasi-libc and links
  # with lld-14; libclang-rt-14-dev-wasm32 holds the wasm32 compiler-rt builtins.
  lld-14 wasi-libc libclang-rt-14-dev-wasm32
  # Real peers for integration tests and benchmarks
  curl nginx-light netcat-openbsd wrk procps
  # HTTP/2 clients (nghttp, h2load) and server (nghttpd)
  nghttp2-client nghttp2-server
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# node and npm build the AssemblyScript example plugins (compilers from the npm registry).
# A machine may already carry node and npm from another source; only when npm is missing
# altogether are Debian's packages installed.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

# V8 for the plugin host comes from Debian's libnode108/libnode-dev, unpacked into
# third_party/libnode instead of installed (a nodejs from another source may conflict).
fetch_libnode() {
  bash "$(dirname "$0")/fetch-libnode.sh"
}

if [ ${#missing[@]} -eq 0 ]; then
  fetch_libnode
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fetch_libnode

# nginx is used only as a test origin and benchmark peer, started by the tests themselves
# on loopback ports; the packaged service must not hold port 80.
if command -v systemctl >/dev/null 2>&1; then
  "${sudo_cmd[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
fi
"${sudo_cmd[@]}" pkill -x nginx >/dev/null 2>&1 || true
