# Courier — developer tasks. `make help` lists them.

SWIFT       ?= swift
LISTEN      ?= 127.0.0.1:9090
DATA_DIR    ?= ./data
TEST_FLAGS  ?=
BENCH_FLAGS ?=

# Debian packages the build needs (pkg-config: SwiftPM's system-library targets use it).
BUILD_PACKAGES := liblmdb-dev libpq-dev libssl-dev zlib1g-dev pkg-config

ENSURE := scripts/ensure-packages.sh

.DEFAULT_GOAL := build
.PHONY: help deps build run test bench format cluster cluster-stop chaos clean

help:
	@echo "make deps          install missing build packages ($(BUILD_PACKAGES))"
	@echo "make build         swift build"
	@echo "make run           run a single node: serve --role all --listen \$$LISTEN --data-dir \$$DATA_DIR"
	@echo "make test          swift test against a throwaway PostgreSQL (TEST_FLAGS=... passed through)"
	@echo "make bench         PostgreSQL baseline (pgbench) + courier-bench, release build (BENCH_FLAGS=...)"
	@echo "make format        swift format -i -r Sources Tests"
	@echo "make clean         remove .build, .build-bench, data, .bench-tmp"

deps:
	@$(ENSURE) $(BUILD_PACKAGES)

build: deps
	$(SWIFT) build

run: deps
	$(SWIFT) build --product courier
	exec .build/debug/courier serve --role all --listen $(LISTEN) --data-dir $(DATA_DIR)

test: deps
	@$(ENSURE) postgresql
	SWIFT="$(SWIFT)" scripts/test.sh $(TEST_FLAGS)

bench: deps
	@$(ENSURE) postgresql wrk
	SWIFT="$(SWIFT)" scripts/bench.sh $(BENCH_FLAGS)

format:
	@if $(SWIFT) format --version >/dev/null 2>&1; then \
		$(SWIFT) format -i -r Sources Tests; \
	else \
		echo "swift format is not available; skipping" >&2; \
	fi

cluster cluster-stop chaos:
	@echo "make $@: not implemented yet: the cluster issue delivers it" >&2
	@exit 1

clean:
	rm -rf .build .build-bench data .bench-tmp
