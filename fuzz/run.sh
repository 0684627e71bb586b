#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a bounded time, each on a copy of its seed
# corpus, and fails if any of them finds a crash, a leak, a timeout or a broken invariant.
#
# usage: fuzz/run.sh BUILD_DIR SECONDS
# Work files (grown corpora, crash inputs, logs) go to BUILD_DIR/fuzz-work/<target>/.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=$2
fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
targets=(fuzz_request_parser fuzz_response_parser fuzz_chunked fuzz_config fuzz_h2_request)

failed=()
for target in "${targets[@]}"; do
  binary="$build_dir/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "fuzz: $binary is missing; build with -DRIVER_FUZZ=ON first" >&2
    exit 2
  fi

  work="$build_dir/fuzz-work/$target"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  cp "$fuzz_dir/corpus/$target/"* "$work/corpus/"

  # A target's own dictionary when it has one, the HTTP/1 one otherwise.
  dict="$fuzz_dir/$target.dict"
  [ -f "$dict" ] || dict="$fuzz_dir/http1.dict"
  echo "fuzz: running $target for ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout=10 -max_len=16384 \
      -dict="$dict" -artifact_prefix="$work/crashes/" -print_final_stats=1 \
      "$work/corpus" >"$work/log" 2>&1; then
    runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || true)
    echo "fuzz: $target ok (${runs:-?} runs, corpus $(ls "$work/corpus" | wc -l) files)"
  else
    echo "fuzz: $target FAILED; log: $work/log, inputs: $work/crashes/" >&2
    grep -E -A20 'ERROR|CHECK failed|runtime error|deadly signal' "$work/log" | head -40 >&2 || true
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
