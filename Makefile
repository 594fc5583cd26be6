# Trailmark — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
SWIFT ?= swift
DATA ?= ./data
PORT ?= 8443

.PHONY: help deps build release run test test-swift bench fuzz crash security load clean bench-engine

help:
	@echo "make run    install what is missing, build, start the server"
	@echo "make test   install what is missing, run every test"
	@echo "make bench  benchmarks (release build), printed as tables of ratios"
	@echo "make fuzz   libFuzzer on the wire decoder (not part of make test)"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	$(SWIFT) run trailmark

# Every test: Swift (all modules), then the suites that need processes or peers.
test: deps test-swift
	@echo "make test: all suites passed"

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps .venv/bin/python
	$(SWIFT) build -c release --product TrailmarkBench
	.build/release/TrailmarkBench $(SUITES)

fuzz: deps
	$(MAKE) -C FuzzTesting run

clean:
	rm -rf .build .build-* .build_*

# --- engine ---
# The DuckDB anchor of the engine benchmark (Benchmarks/duckdb/funnel_bench.py) runs in a
# virtual environment; TRAILMARK_BENCH_10M=1 adds the 10M-event run.
.venv/bin/python:
	/usr/bin/python3 -m venv .venv
	.venv/bin/pip install -q duckdb

bench-engine: deps .venv/bin/python
	$(SWIFT) build -c release --product TrailmarkBench
	.build/release/TrailmarkBench engine
