#!/usr/bin/env bash
# Fetches Debian 12's libnode108 and libnode-dev (Node 18, V8 10.2) and unpacks them into a
# folder of the source tree, without installing them.
#
# Why not `apt-get install libnode-dev`: some machines carry a newer nodejs from another source
# (nodesource) that conflicts with Debian's libnode and puts other V8 headers in
# /usr/include/node. River's WASM host compiles and links against exactly the headers and the
# library unpacked here, and finds the library at run time through an rpath.
#
# Usage: scripts/fetch-libnode.sh [destination]   (default: third_party/libnode)
# Idempotent: does nothing when the destination already holds the pinned version.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/third_party/libnode}"
stamp="$dest/.version"

# The runtime libraries libnode108 links against; all are ordinary Debian 12 packages that do
# not conflict with a foreign nodejs. The JavaScript-only dependencies (node-acorn, node-undici,
# ...) are not needed to embed V8.
runtime_packages=(libbrotli1 libc-ares2 libicu72 libnghttp2-14 libuv1 zlib1g)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

candidate() {
  apt-cache policy libnode108 | awk '/Candidate:/ { print $2 }'
}
version="$(candidate)"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # Package lists not downloaded yet (a fresh machine).
  "${sudo_cmd[@]}" apt-get update -qq
  version="$(candidate)"
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "fetch-libnode: apt knows no libnode108; is this Debian 12?" >&2
  exit 1
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] &&
   [ -f "$dest/usr/include/node/v8.h" ] && [ -e "$dest/usr/lib/x86_64-linux-gnu/libnode.so.108" ]; then
  exit 0
fi

missing=()
for package in "${runtime_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch-libnode: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory and needs no root.
# apt-get download hands the download to its unprivileged _apt user, which cannot write into
# a root-owned temporary folder; as root, download as root instead of warning about it.
download_opts=()
if [ "$(id -u)" -eq 0 ]; then
  download_opts=(-o APT::Sandbox::User=root)
fi
(cd "$work" && apt-get download -qq "${download_opts[@]}" "libnode108=$version" "libnode-dev=$version")

rm -rf "$dest"
mkdir -p "$dest"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$dest"
done

# libnode-dev ships the unversioned libnode.so as a symlink; make sure it resolves inside the
# folder rather than to a system path.
lib="$dest/usr/lib/x86_64-linux-gnu"
if [ ! -e "$lib/libnode.so" ]; then
  ln -sf libnode.so.108 "$lib/libnode.so"
fi

echo "$version" > "$stamp"
echo "fetch-libnode: libnode $version unpacked in $dest"
