# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
UV_VERSION := 0.13.8
STACK ?= staging
UV := uv
# Chart cache the offline plan renders Helm releases from: `make charts` fills .charts/ (needs the chart
# repositories); without it, the shared cache beside the repository (CI and machines without internet).
CHARTS ?= $(if $(wildcard .charts/index.yaml),.charts,../shared/charts)
# Root installs Debian packages directly; a CI runner user goes through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: help setup system-packages test lint charts plan schema report run-api api-key bench-api api-requirements

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## Install uv and the locked Python dependencies into .venv
	@command -v $(UV) >/dev/null 2>&1 && $(UV) --version | grep -q "$(UV_VERSION)" || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --locked

system-packages: ## Install the Debian servers the tests run for real (PostgreSQL, Redis, promtool, amtool, Graphviz)
	$(SUDO) bash scripts/system-packages.sh

test: setup system-packages lint ## Run every test (lint, types, unit, mock, real-server and end-to-end)
	$(UV) run --no-sync pytest

lint: setup ## Ruff and mypy
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy

charts: setup ## Pull every pinned Helm chart from its own repository into .charts/ and index it (needs internet)
	$(UV) run --no-sync python scripts/pull_charts.py --dest .charts

plan: setup ## Offline plan of STACK (default staging): `make plan STACK=production`
	$(UV) run --no-sync offline-plan --stack $(STACK) --charts $(CHARTS) --policy-pack policies --policy-config policies/config/$(STACK).json

schema: setup ## Regenerate schema/stack-config.schema.json (StackConfig) and policies/config/<stack>.json (standards + stack config)
	$(UV) run --no-sync python -c "import json; from infra.config import stack_file_schema; print(json.dumps(stack_file_schema(), indent=2))" > schema/stack-config.schema.json
	$(UV) run --no-sync python -m infra.policy_config

report: setup ## Offline plans (with the policy check) of both stacks and their review reports in report/<stack>/ (PREVIOUS=dir: diff against dir/<stack>/resources.json)
	@status=0; for stack in staging production; do \
	  $(UV) run --no-sync offline-plan --stack $$stack --charts $(CHARTS) --policy-pack policies \
	    --policy-config policies/config/$$stack.json > /dev/null || status=$$?; \
	  previous=""; [ -n "$(PREVIOUS)" ] && [ -f "$(PREVIOUS)/$$stack/resources.json" ] \
	    && previous="--previous $(PREVIOUS)/$$stack/resources.json"; \
	  $(UV) run --no-sync plan-report out/$$stack/resources.json $$previous --out report/$$stack || status=$$?; \
	done; exit $$status

run-api: setup ## Run the memory API on embedded defaults (SQLite, local Qdrant, in-process cache) at 127.0.0.1:8000
	$(UV) run --no-sync --package memory-api memory-api serve

api-key: setup ## Create an API key for TENANT (default demo) on the same data dir as run-api
	$(UV) run --no-sync --package memory-api memory-api keys create --tenant $(or $(TENANT),demo)

bench-api: setup ## Load benchmark of the memory API with wrk, next to a bare FastAPI endpoint (BACKEND=embedded|postgres_redis)
	@command -v wrk >/dev/null 2>&1 || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends wrk)
	$(UV) run --no-sync python benchmarks/run_api_bench.py --backend $(or $(BACKEND),embedded)

api-requirements: ## Regenerate app/requirements.txt (hash-pinned, for the image) from uv.lock
	$(UV) export --package memory-api --no-dev --frozen --no-emit-project -o app/requirements.txt
