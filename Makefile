# AegisSLO. `make help` lists the targets; CI runs exactly `make test` (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_BIN := $(CURDIR)/.cache/bin
BUF := tools/node_modules/.bin/buf
GRPCURL_VERSION := v1.9.4
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
APT_PACKAGES := prometheus victoria-metrics postgresql prometheus-alertmanager e2fsprogs
export PATH := $(TOOLS_BIN):$(PATH):/usr/local/go/bin

.PHONY: help install run test lint typecheck generate check-generated system-deps tools bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create .venv and install the package with its test extras

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: install ## Start the server on the embedded default (synthetic adapter, SQLite, fixtures/slo/valid)
	$(VENV)/bin/aegis-server --adapter synthetic --synthetic-fixtures fixtures/metrics \
		--slo-dir fixtures/slo/valid --db aegis.db

generate: install tools ## Regenerate the Python stubs and the Go and TypeScript clients from proto/
	scripts/gen_python.sh
	scripts/gen_clients.sh

system-deps: ## Install Debian packages the tests need (Prometheus, VictoriaMetrics, PostgreSQL, Alertmanager) when missing
	@missing=""; \
	command -v promtool >/dev/null && command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || missing="$$missing victoria-metrics"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	command -v chattr >/dev/null || missing="$$missing e2fsprogs"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

tools: $(BUF) $(TOOLS_BIN)/grpcurl $(TOOLS_BIN)/protoc-gen-go $(TOOLS_BIN)/protoc-gen-go-grpc clients/ts/node_modules/.package-lock.json ## Install buf, protoc-gen-es, grpcurl, the Go plugins and the TS client's packages

$(BUF): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --silent
	touch $@

$(TOOLS_BIN)/grpcurl:
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

# protoc-gen-go at the protobuf runtime's version: `go install` inside the module reads go.mod.
$(TOOLS_BIN)/protoc-gen-go: clients/go/go.mod
	mkdir -p $(TOOLS_BIN)
	cd clients/go && GOBIN=$(TOOLS_BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go
	touch $@

# Depends on the Makefile so that bumping the version reinstalls it.
$(TOOLS_BIN)/protoc-gen-go-grpc: Makefile
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	touch $@

clients/ts/node_modules/.package-lock.json: clients/ts/package.json clients/ts/package-lock.json
	cd clients/ts && npm ci --no-audit --no-fund --silent
	touch $@

lint: install tools ## ruff over code, tests and benches; buf lint and build over the contract
	$(VENV)/bin/ruff check aegis tests bench
	$(BUF) lint
	$(BUF) build -o /dev/null

typecheck: install ## mypy --strict over the hand-written code
	$(VENV)/bin/mypy aegis

test: install system-deps tools lint typecheck ## Install what the tests need, then lint, type check and run every test
	$(PY) -m pytest

bench: install ## Benchmarks (speed and memory targets live here, never in tests)
	@command -v wrk >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(PY) bench/run.py

clean: ## Remove caches and local databases (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis aegis.db aegis.db-wal aegis.db-shm
