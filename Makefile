# escr: `make demo` shows the whole job on a fresh machine; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
STAMP := $(VENV)/.installed

.PHONY: help venv browser-deps demo test lint typecheck unit services services-down bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[scale,dev]'
	# An editable install leaves escr's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE
	# is set (this machine, the image) every escr process compiled them again: ~0.25 s of each
	# command's start (docs/decisions/0050). A module edited since is compiled in memory.
	$(BIN)/python -m compileall -q -j 0 api catalog cli core domain indexer records retention storage workers
	touch $(STAMP)

browser-deps: ## Debian's Chromium and axe-core for the browser tests (never a browser download)
	scripts/browser-deps.sh

venv: $(STAMP) ## create .venv and install escr with its dependencies

demo: $(STAMP) ## synthesise, load, reconcile, serve (ARGS=--no-serve: stop there; ARGS="--port N")
	$(BIN)/escr demo $(ARGS)

lint: $(STAMP) ## ruff format check and lint
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy strict
	$(BIN)/mypy

services: $(STAMP) ## install (first time), cache and start PostgreSQL, RabbitMQ, MinIO, OpenSearch on loopback
	scripts/services.sh up

services-down: ## stop the local services
	scripts/services.sh down

unit: $(STAMP) ## the tests that need no services
	$(BIN)/pytest -m "not integration" -q

test: $(STAMP) lint typecheck services browser-deps ## lint, typecheck, and the whole test suite against real services
	eval "$$(scripts/services.sh env)" && $(BIN)/pytest -q

bench: $(STAMP) services ## run every benchmark with its small defaults (prints ratios; see BENCHMARKS.md)
	for b in bench_extract bench_ocr bench_ocr_quality bench_office bench_pipeline bench_search bench_retention bench_web bench_cms_upload; do \
	  $(BIN)/python -m bench.$$b || exit 1; done
	$(BIN)/python -m bench.bench_linking --docs 200 --workers 2  # accuracy per linker; --docs 1000 for BENCHMARKS.md's table
	eval "$$(scripts/services.sh env)" && $(BIN)/python -m bench.bench_scaleout

clean: ## remove local data (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
