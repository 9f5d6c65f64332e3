# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
UV_VERSION := 0.13.8
STACK ?= staging
UV := uv

.PHONY: help setup system-packages test lint plan run-api api-key bench-api api-requirements

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## Install uv and the locked Python dependencies into .venv
	@command -v $(UV) >/dev/null 2>&1 && $(UV) --version | grep -q "$(UV_VERSION)" || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --locked

system-packages: ## Install the Debian servers the tests run for real (PostgreSQL, Redis, promtool, amtool)
	bash scripts/system-packages.sh

test: setup system-packages ## Run every test (lint, types, unit, mock, real-server and end-to-end)
	$(UV) run --locked pytest

lint: setup ## Ruff and mypy
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy

plan: setup ## Offline plan of STACK (default staging): `make plan STACK=production`
	$(UV) run --locked offline-plan --stack $(STACK)

run-api: setup ## Run the memory API on embedded defaults (SQLite, local Qdrant, in-process cache) at 127.0.0.1:8000
	$(UV) run --locked --package memory-api memory-api serve

api-key: setup ## Create an API key for TENANT (default demo) on the same data dir as run-api
	$(UV) run --locked --package memory-api memory-api keys create --tenant $(or $(TENANT),demo)

bench-api: setup ## Load benchmark of the memory API with wrk, next to a bare FastAPI endpoint (BACKEND=embedded|postgres_redis)
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)
	$(UV) run --locked python benchmarks/run_api_bench.py --backend $(or $(BACKEND),embedded)

api-requirements: ## Regenerate app/requirements.txt (hash-pinned, for the image) from uv.lock
	$(UV) export --package memory-api --no-dev --frozen --no-emit-project -o app/requirements.txt
