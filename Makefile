# River's entry points. `make run` and `make test` are the two commands the README gives;
# both install what is missing first, so they work on a fresh Debian 12 machine.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
CONFIG ?= examples/quickstart.toml
CMAKE_COMMON := -G Ninja -DCMAKE_BUILD_TYPE=Release

.PHONY: deps build run test unit integration build-asan test-asan fuzz bench clean

deps:
	bash scripts/install-deps.sh

build/build.ninja:
	cmake -S . -B build $(CMAKE_COMMON)

build: build/build.ninja
	cmake --build build -j $(JOBS)

run: deps build
	./build/river run -c $(CONFIG)

unit: build
	cd build && ctest --output-on-failure -j $(JOBS)

integration: build
	RIVER_BINARY=$(CURDIR)/build/river /usr/bin/python3 -m pytest -q tests/integration

build-asan/build.ninja:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIVER_SANITIZE=ON

build-asan: build-asan/build.ninja
	cmake --build build-asan -j $(JOBS)

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)
	RIVER_BINARY=$(CURDIR)/build-asan/river RIVER_SANITIZED=1 \
	  /usr/bin/python3 -m pytest -q tests/integration

build-fuzz/build.ninja:
	CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DRIVER_FUZZ=ON -DRIVER_TESTS=OFF -DRIVER_WASM=OFF

fuzz: build-fuzz/build.ninja
	cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz $${FUZZ_SECONDS:-60}

test: deps
	bash scripts/test-all.sh

bench: deps build
	bash bench/run.sh

clean:
	rm -rf build build-asan build-fuzz
