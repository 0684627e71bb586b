#!/usr/bin/env bash
# Builds the AssemblyScript example plugins into OUT_DIR (CMake runs this; see CMakeLists.txt).
#
#   examples/plugins/build-assemblyscript.sh OUT_DIR
#
# The compilers come from the npm registry at the versions pinned in
# assemblyscript/package-lock.json, installed with `npm ci` into OUT_DIR/npm (never into the
# source tree): AssemblyScript 0.28 for as_add_header, and AssemblyScript 0.14 (installed as
# `assemblyscript-sdk`) for sdk_headers, since the SDK it uses, @solo-io/proxy-runtime 0.1.8,
# was written for that compiler.
set -euo pipefail

out_dir=$(realpath -m "$1")
source_dir=$(cd "$(dirname "$0")/assemblyscript" && pwd)
npm_dir="$out_dir/npm"

mkdir -p "$npm_dir"
# Reinstall only when the pinned versions changed.
if ! cmp -s "$source_dir/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -d "$npm_dir/node_modules" ]; then
  cp "$source_dir/package.json" "$source_dir/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# asc resolves imports of packages (@solo-io/proxy-runtime) from the node_modules next to the
# sources, so the sources are compiled from a copy inside the npm folder.
rm -rf "$npm_dir/assembly" "$npm_dir/sdk"
cp -r "$source_dir/assembly" "$source_dir/sdk" "$npm_dir/"
cd "$npm_dir"
node node_modules/assemblyscript/bin/asc.js assembly/as_add_header.ts -O3 \
  --use abort=assembly/as_add_header/plugin_abort -o "$out_dir/as_add_header.wasm"
node node_modules/assemblyscript-sdk/bin/asc sdk/sdk_headers.ts -O \
  --use abort=abort_proc_exit -b "$out_dir/sdk_headers.wasm" 2> sdk_build.log || {
  cat sdk_build.log >&2
  exit 1
}
