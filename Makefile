# AegisSLO. `make help` lists the targets; CI runs exactly `make test` (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_BIN := $(CURDIR)/.cache/bin
BUF := tools/node_modules/.bin/buf
GRPCURL_VERSION := v1.9.4
GHZ_VERSION := v0.120.0
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GRPC_GATEWAY_VERSION := v2.33.0
KUBECONFORM_VERSION := v0.8.0
HELM_VERSION := v3.22.0
# Kubernetes JSON schemas for kubeconform come from this PyPI wheel (scripts/k8s_schemas.py), one
# folder per Kubernetes version the manifests are validated against: the oldest supported and the newest.
KUBERNETES_VALIDATE_VERSION := 1.37.0
K8S_SCHEMA_VERSIONS := 1.33.0 1.37.0
K8S_SCHEMAS := $(CURDIR)/.cache/kubernetes-json-schema
empty :=
K8S_SCHEMAS_STAMP := $(K8S_SCHEMAS)/.kubernetes-validate-$(KUBERNETES_VALIDATE_VERSION)-for-$(subst $(empty) $(empty),-,$(K8S_SCHEMA_VERSIONS))
APT_PACKAGES := prometheus victoria-metrics postgresql curl jq prometheus-alertmanager e2fsprogs chromium wrk
export PATH := $(TOOLS_BIN):$(PATH):/usr/local/go/bin

.PHONY: help install run test lint typecheck generate check-generated system-deps tools bench bench-smoke clean migration manifests

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create .venv and install the package with its test extras

# scripts/install.sh is shared with the Dockerfile's build stage, so the two cannot drift.
$(VENV)/.installed: pyproject.toml scripts/install.sh
	PYTHON=$(PYTHON) scripts/install.sh --editable --extras test $(VENV)
	touch $@

run: install ## Start the server on the embedded default (synthetic adapter, SQLite, fixtures/slo/valid)
	$(VENV)/bin/aegis-server --adapter synthetic --synthetic-fixtures fixtures/metrics \
		--slo-dir fixtures/slo/valid --db aegis.db

generate: install tools ## Regenerate the Python stubs, the Go and TypeScript clients and the OpenAPI document from proto/
	scripts/gen_python.sh
	scripts/gen_clients.sh
	scripts/gen_openapi.sh

migration: install ## New audit-schema revision from aegis/store/_schema.py: make migration m="what it does"
	@test -n "$(m)" || { echo 'usage: make migration m="what the revision does"' >&2; exit 2; }
	$(PY) scripts/new_revision.py "$(m)"

system-deps: ## Install Debian packages the tests need (Prometheus, VictoriaMetrics, PostgreSQL, Alertmanager, curl, jq, Chromium, wrk) when missing
	@missing=""; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v jq >/dev/null || missing="$$missing jq"; \
	command -v promtool >/dev/null && command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || missing="$$missing victoria-metrics"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	command -v chattr >/dev/null || missing="$$missing e2fsprogs"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

tools: $(BUF) $(TOOLS_BIN)/grpcurl $(TOOLS_BIN)/ghz $(TOOLS_BIN)/protoc-gen-go $(TOOLS_BIN)/protoc-gen-go-grpc $(TOOLS_BIN)/protoc-gen-openapiv2 clients/ts/node_modules/.package-lock.json $(TOOLS_BIN)/argo-webmetric $(TOOLS_BIN)/.kubeconform-$(KUBECONFORM_VERSION) $(TOOLS_BIN)/.helm-$(HELM_VERSION) $(K8S_SCHEMAS_STAMP) ## Install buf, protoc-gen-es, grpcurl, ghz, the Go and OpenAPI plugins, the TS client's packages, the Argo Rollouts test program, kubeconform, helm and the Kubernetes schemas

$(BUF): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --silent
	touch $@

$(TOOLS_BIN)/grpcurl:
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

# ghz, the gRPC load tool; tests/api/test_reflection.py drives it through reflection alone.
$(TOOLS_BIN)/ghz:
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)

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

# grpc-gateway's OpenAPI generator (scripts/gen_openapi.sh); depends on the Makefile like the above.
$(TOOLS_BIN)/protoc-gen-openapiv2: Makefile
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
	touch $@

# Argo Rollouts' web metric provider as a library (tests/argo, pinned by its go.mod/go.sum): built
# here so that the module download (client-go and friends, minutes when cold) happens before the
# tests, which build it again from the warm cache.
$(TOOLS_BIN)/argo-webmetric: tests/argo/go.mod tests/argo/go.sum tests/argo/main.go
	mkdir -p $(TOOLS_BIN)
	cd tests/argo && GOFLAGS=-mod=readonly go build -o $@ .

# kubeconform and helm validate deploy/kubernetes and deploy/helm (tests/deploy); a stamp per version
# reinstalls them when the version changes, and only then (helm takes minutes to build).
$(TOOLS_BIN)/.kubeconform-$(KUBECONFORM_VERSION):
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	touch $@

$(TOOLS_BIN)/.helm-$(HELM_VERSION):
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=mod go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	touch $@

# kubeconform cannot download its schemas here: they come from a PyPI wheel, made usable offline.
$(K8S_SCHEMAS_STAMP): scripts/k8s_schemas.py $(VENV)/.installed
	$(PY) scripts/k8s_schemas.py --package-version $(KUBERNETES_VALIDATE_VERSION) $(K8S_SCHEMAS) $(K8S_SCHEMA_VERSIONS)
	touch $@

manifests: tools ## Render deploy/kubernetes/ from the Helm chart (deploy/helm/values-manifests.yaml)
	$(PY) deploy/render_manifests.py

clients/ts/node_modules/.package-lock.json: clients/ts/package.json clients/ts/package-lock.json
	cd clients/ts && npm ci --no-audit --no-fund --silent
	touch $@

lint: install tools ## ruff over code, tests and benches; buf lint, build and breaking over the contract
	$(VENV)/bin/ruff check aegis tests bench scripts deploy
	$(BUF) lint
	$(BUF) build -o /dev/null
	$(BUF) breaking --against proto/released/aegis-v1.binpb

typecheck: install ## mypy --strict over the hand-written code
	$(VENV)/bin/mypy aegis deploy

test: install system-deps tools lint typecheck ## Install what the tests need, then lint, type check, run every test and bench-smoke
	$(PY) -m pytest
	$(MAKE) --no-print-directory bench-smoke

bench: install system-deps tools ## Benchmarks (speed and memory targets live here, never in tests); results in bench/results/
	$(PY) bench/run.py

bench-smoke: install system-deps tools ## Every benchmark briefly with tiny sizes (part of make test): each runs and writes its JSON
	$(PY) bench/run.py --smoke

clean: ## Remove caches and local databases (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis aegis.db aegis.db-wal aegis.db-shm
