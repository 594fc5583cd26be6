# Trailmark — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
SWIFT ?= swift
DATA ?= ./data
PORT ?= 8443

.PHONY: help deps build release run test test-swift bench fuzz crash security load clean test-storage-tsan

help:
	@echo "make run    install what is missing, build, start the server"
	@echo "make test   install what is missing, run every test"
	@echo "make bench  benchmarks (release build), printed as tables of ratios"
	@echo "make fuzz   libFuzzer on the wire decoder (not part of make test)"
	@echo "make crash  storage crash test: 500 SIGKILL rounds (make test runs 20)"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	$(SWIFT) run trailmark

# Every test: Swift (all modules), then the suites that need processes or peers.
test: deps test-swift test-storage-tsan
	@echo "make test: all suites passed"

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product TrailmarkBench
	.build/release/TrailmarkBench $(SUITES)

# --- storage ---
# The ring's suite under ThreadSanitizer (own scratch path, so the normal build stays warm).
test-storage-tsan:
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter MPSCRingTests

# The SIGKILL crash test with 500 rounds (make test runs it with 20).
crash: deps
	$(SWIFT) build --build-tests
	TRAILMARK_CRASH_ROUNDS=500 $(SWIFT) test --skip-build --filter CrashTests

fuzz: deps
	$(MAKE) -C FuzzTesting run

clean:
	rm -rf .build .build-* .build_*
