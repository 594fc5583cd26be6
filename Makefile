# Trailmark — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
SWIFT ?= swift
DATA ?= ./data
PORT ?= 8443

.PHONY: help deps build release run test test-swift test-codec test-transport test-e2e test-storage-tsan bench fuzz crash security load clean bench-engine

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

# Starts the server on $(DATA) (TLS with a generated development certificate) and, on a
# fresh directory, creates project "dev" and prints its keys and a first curl command.
run: build
	.build/debug/trailmark serve --data $(DATA) --port $(PORT) --dev

# Every test: Swift (all modules), then the suites that need processes or peers.
test: deps test-swift test-codec test-transport test-e2e test-load test-storage-tsan test-python-sdk test-node-sdk
	@echo "make test: all suites passed"

# --- end to end (Tests/e2e): the real server binary, curl, HTTP/1.1 and HTTP/2 ---
PYTEST := /usr/bin/python3 -m pytest -q -p no:cacheprovider
test-e2e: deps
	$(SWIFT) build --product trailmark
	TRAILMARK_BIN=$(CURDIR)/.build/debug/trailmark $(PYTEST) Tests/e2e

# Tests run one at a time (--no-parallel): on 2 cores the cooperative pool has two
# threads, and parallel suites that block or spin could starve each other. The timeout
# turns a hang into a failure with the log of the test that hung.
test-swift:
	$(SWIFT) build --build-tests
	timeout 1200 $(SWIFT) test --skip-build --no-parallel

bench: deps bench-transport-anchor .venv/bin/python
	$(SWIFT) build -c release --product TrailmarkBench
	$(SWIFT) build -c release --product trailmark
	.build/release/TrailmarkBench $(SUITES)

# --- codec ---
# libFuzzer on every wire decoder for FUZZ_SECONDS (default 60); findings go to
# FuzzTesting/Regressions/, which `make test` replays (FuzzRegressionTests).
FUZZ_SECONDS ?= 60
# An independent codec written from Proto/ alone (Python, stdlib) must decode and re-encode
# every golden vector byte for byte.
test-codec:
	python3 Tests/ProtoConformance/conformance.py

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
	$(MAKE) -C FuzzTesting run FUZZ_SECONDS=$(FUZZ_SECONDS)

clean:
	rm -rf .build .build-* .build_*

# --- transport ---
# Peer tests that need the server executable: openssl s_client protocol probes, then testssl.sh
# (`make security`, about 75 s on 2 cores). The curl / nghttp / python3-h2 peer tests run
# inside `swift test` (TrailmarkTransportTests/Server/PeerTests).
.PHONY: test-transport tls-probes bench-transport-anchor
test-transport: tls-probes security

tls-probes: deps
	$(SWIFT) build --product trailmark
	Tests/transport/tls_probes.sh .build/debug/trailmark

security: deps
	$(SWIFT) build --product trailmark
	Tests/transport/security.sh .build/debug/trailmark

# The grpc-swift-2 echo server the transport benchmark compares against, built in its own
# package and scratch path so the product never depends on grpc-swift.
bench-transport-anchor: deps
	$(SWIFT) build -c release --package-path Benchmarks/GRPCSwiftEcho --scratch-path .build-grpc-echo

# --- engine ---
# The DuckDB anchor of the engine benchmark (Benchmarks/duckdb/funnel_bench.py) runs in a
# virtual environment; TRAILMARK_BENCH_10M=1 adds the 10M-event run.
.venv/bin/python:
	/usr/bin/python3 -m venv .venv
	.venv/bin/pip install -q duckdb

bench-engine: deps .venv/bin/python
	$(SWIFT) build -c release --product TrailmarkBench
	.build/release/TrailmarkBench engine

# --- clients ---
# `make load`: a 60-second flat-out run of trailmark-load against a server it launches
# (release build, durable group commit), printing the report. LOAD_ARGS adds flags, e.g.
# LOAD_ARGS="--rate 500000". `make test-load`: 5 seconds with --verify --chaos (SIGKILL and
# restart at random moments, then every acknowledged event must be stored exactly once).
LOAD_ARGS ?=
.PHONY: load test-load
load: deps
	$(SWIFT) build -c release --product trailmark
	$(SWIFT) build -c release --product trailmark-load
	.build/release/trailmark-load --server-bin $(CURDIR)/.build/release/trailmark --duration 60s $(LOAD_ARGS)

test-load: deps
	$(SWIFT) build --product trailmark
	$(SWIFT) build --product trailmark-load
	.build/debug/trailmark-load --server-bin $(CURDIR)/.build/debug/trailmark --duration 5s --rate 10000 --batch 100 --verify --chaos --chaos-every 1s --retry-duplicates 0.05

# --- python sdk ---
# Clients/python (standard library only): unit tests against an in-process fake gateway,
# then end-to-end tests against this worktree's server binary (TLS with its development CA,
# lost acknowledgements through a dropping proxy).
.PHONY: test-python-sdk
test-python-sdk: deps
	$(SWIFT) build --product trailmark
	TRAILMARK_BIN=$(CURDIR)/.build/debug/trailmark /usr/bin/python3 -m pytest -q -p no:cacheprovider Clients/python/tests
# --- node sdk ---
# Clients/node: unit tests (in-process HTTP/2 fake) and end-to-end tests against this
# worktree's server binary (TLS, lost acknowledgements through a lossy proxy). Node only.
.PHONY: test-node-sdk
test-node-sdk: deps
	$(SWIFT) build --product trailmark
	cd Clients/node && TRAILMARK_BIN=$(CURDIR)/.build/debug/trailmark node --test test/
