#!/usr/bin/env bash
# Builds River and runs every test: unit tests (GoogleTest via CTest) and integration tests
# (pytest, the real binary) on the release build, the same again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then each libFuzzer target for a bounded time.
#
# Environment: JOBS (parallel build jobs, default nproc), FUZZ_SECONDS (per target,
# default 30), SKIP_ASAN=1 / SKIP_FUZZ=1 to leave a stage out locally (CI runs all).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths below this folder relative to it, so a fresh clone elsewhere (CI)
# still hits the cache of an earlier run.
export CCACHE_BASEDIR="$PWD"

jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-30}
python=/usr/bin/python3
failed=()

stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

run_stage() {
  local name=$1
  shift
  if ! "$@"; then
    failed+=("$name")
  fi
}

stage "release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"

stage "unit tests"
run_stage unit bash -c "cd build && ctest --output-on-failure -j $jobs"

stage "integration tests"
run_stage integration env RIVER_BINARY="$PWD/build/river" \
  $python -m pytest -q -p no:cacheprovider tests/integration

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  stage "sanitizer build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIVER_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$jobs"

  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  stage "unit tests under sanitizers"
  run_stage unit-asan bash -c "cd build-asan && ctest --output-on-failure -j $jobs"
  stage "integration tests under sanitizers"
  run_stage integration-asan env RIVER_BINARY="$PWD/build-asan/river" RIVER_SANITIZED=1 \
    $python -m pytest -q -p no:cacheprovider tests/integration
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzz targets (${fuzz_seconds}s each)"
  CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRIVER_FUZZ=ON -DRIVER_TESTS=OFF -DRIVER_WASM=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs"
  run_stage fuzz bash fuzz/run.sh build-fuzz "$fuzz_seconds"
fi

stage "summary"
if [ ${#failed[@]} -ne 0 ]; then
  echo "failed stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
