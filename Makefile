# Trailmark — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
SWIFT ?= swift
DATA ?= ./data
PORT ?= 8443

.PHONY: help deps build release run test test-swift test-codec bench fuzz crash security load clean

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
test: deps test-swift test-codec
	@echo "make test: all suites passed"

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product TrailmarkBench
	.build/release/TrailmarkBench $(SUITES)

# --- codec ---
# libFuzzer on every wire decoder for FUZZ_SECONDS (default 60); findings go to
# FuzzTesting/Regressions/, which `make test` replays (FuzzRegressionTests).
FUZZ_SECONDS ?= 60
# An independent codec written from Proto/ alone (Python, stdlib) must decode and re-encode
# every golden vector byte for byte.
test-codec:
	python3 Tests/ProtoConformance/conformance.py

fuzz: deps
	$(MAKE) -C FuzzTesting run FUZZ_SECONDS=$(FUZZ_SECONDS)

clean:
	rm -rf .build .build-* .build_*
