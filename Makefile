# AegisSLO. `make help` lists the targets; CI runs exactly `make test` (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_BIN := $(CURDIR)/.cache/bin
BUF := tools/node_modules/.bin/buf
GRPCURL_VERSION := v1.9.4
APT_PACKAGES := prometheus victoria-metrics postgresql
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

generate: install ## Regenerate the Python stubs from proto/
	scripts/gen_python.sh

system-deps: ## Install Debian packages the tests need (Prometheus, VictoriaMetrics, PostgreSQL) when missing
	@missing=""; \
	command -v promtool >/dev/null && command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || missing="$$missing victoria-metrics"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

tools: $(BUF) $(TOOLS_BIN)/grpcurl ## Install buf (npm) and grpcurl (go)

$(BUF): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --silent
	touch $@

$(TOOLS_BIN)/grpcurl:
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

lint: install tools ## ruff, buf lint, and a check that generated stubs are current
	$(VENV)/bin/ruff check aegis tests bench scripts
	$(BUF) lint
	$(BUF) build -o /dev/null

typecheck: install ## mypy --strict over the hand-written code
	$(VENV)/bin/mypy aegis

test: install system-deps tools lint typecheck ## Install what the tests need, then lint, type check and run every test
	$(PY) -m pytest

bench: install system-deps ## Benchmarks (speed and memory targets live here, never in tests)
	$(PY) bench/run.py

clean: ## Remove caches and local databases (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis aegis.db aegis.db-wal aegis.db-shm
