# The two commands of the README: `make run` and `make test`. Each installs
# what it needs into .venv/ on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
export PGB_DUCKDB_PATH ?= warehouse/pgb.duckdb
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_PROFILES_DIR := $(CURDIR)
# dbt's anonymous usage stats would try the network on every call.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
TEST_WAREHOUSE := warehouse/test-build.duckdb

# Values typed on the command line (make close MONTH=..., make bench SCALE=...) never reach a shell
# as code: each is frozen as literal text (make would otherwise expand a `$(shell ...)` inside it when
# exporting it), passed to the recipes as an environment variable, read there only as "$$NAME",
# and checked by check-month / check-bench before setup installs or builds anything.
SCALE ?= 1
PHASES ?= all
FORMAT ?= parquet
override MONTH := $(value MONTH)
override SCALE := $(value SCALE)
override PHASES := $(value PHASES)
override FORMAT := $(value FORMAT)
override BENCH_ARGS := $(value BENCH_ARGS)
export MONTH SCALE PHASES FORMAT BENCH_ARGS
CLOSE_USAGE := usage: make close MONTH=YYYY-MM (a month 01-12, e.g. make close MONTH=2025-06)
BENCH_USAGE := usage: make bench [SCALE=0.1] [PHASES=seed,models,baseline] [FORMAT=parquet|csv] [BENCH_ARGS="--history 3"]

.PHONY: setup run close check-month test lint dbt-build pytest clean bench check-bench docs docs-build

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# Dagster needs dbt's manifest before its definitions import.
# Parsed as the runs parse (the profile pointing at the warehouse's build file), so their dbt build
# starts from this partial-parse state instead of parsing the whole project again.
target/manifest.json: $(VENV)/.installed dbt_project.yml $(shell find models macros seeds tests/generic tests/singular -type f 2>/dev/null)
	$(PY) -m orchestration.dbt_assets
	touch $@

setup: $(VENV)/.installed target/manifest.json
	mkdir -p $(DAGSTER_HOME) warehouse
	$(PY) -m orchestration.instance

## Build the warehouse from the bundled seeds through Dagster and print every month's payments (closes nothing).
# Not `setup`: the command prepares the Dagster home itself (a second Python start-up saved).
run: $(VENV)/.installed target/manifest.json
	mkdir -p warehouse
	$(PY) -m orchestration.cli run

## Close one reference month (frozen package under $PGB_REPORTS_DIR): make close MONTH=2025-06
# check-month comes first: make runs prerequisites left to right, so a bad MONTH stops before setup.
# Only the venv, not `setup`: the command refuses a closed month before anything else, and does the
# rest of setup itself (Dagster home, dbt parse) when it goes on.
close: check-month $(VENV)/.installed
	$(PY) -m orchestration.cli close --month "$$MONTH"

check-month:
	@[[ "$$MONTH" =~ ^[0-9]{4}-(0[1-9]|1[0-2])$$ ]] || { \
	  if [[ -z "$$MONTH" ]]; then echo "make close: MONTH is missing" >&2; \
	  else printf 'make close: MONTH=%q is not a month YYYY-MM\n' "$$MONTH" >&2; fi; \
	  echo '$(CLOSE_USAGE)' >&2; exit 2; }

## Time and peak memory of every phase on a generated national month (README "Performance"):
## make bench SCALE=0.1 PHASES=seed,models,baseline FORMAT=csv BENCH_ARGS="--history 3"
# BENCH_ARGS is split into words by bash's `read -a` (no globbing, no command substitution).
bench: check-bench setup
	read -r -a bench_args <<< "$$BENCH_ARGS"; \
	$(PY) scripts/benchmark.py --scale "$$SCALE" --phases "$$PHASES" --format "$$FORMAT" "$${bench_args[@]}"

check-bench:
	@fail() { printf 'make bench: %s=%q %s\n' "$$1" "$$2" "$$3" >&2; echo '$(BENCH_USAGE)' >&2; exit 2; }; \
	[[ "$$SCALE" =~ ^[0-9]+(\.[0-9]+)?$$ ]] || fail SCALE "$$SCALE" "is not a number"; \
	[[ "$$PHASES" =~ ^[a-z_]+(,[a-z_]+)*$$ ]] || fail PHASES "$$PHASES" "is not a comma-separated list of phase names"; \
	[[ "$$FORMAT" =~ ^(parquet|csv)$$ ]] || fail FORMAT "$$FORMAT" "is not parquet or csv"

## dbt docs of the published warehouse, served on http://localhost:$(DOCS_PORT) (make docs-build: generate only).
# Generated from a copy of the warehouse in $(DOCS_DIR): an analyst's open session never blocks it, and
# the docs never hold the pipeline's file. Its own target path: Dagster's target/manifest.json is left alone.
DOCS_DIR ?= target/docs
DOCS_PORT ?= 8080
DOCS_SERVE ?= 1
override DOCS_DIR := $(value DOCS_DIR)
override DOCS_PORT := $(value DOCS_PORT)
export DOCS_DIR DOCS_PORT DOCS_SERVE

docs: docs-build
	@if [[ "$$DOCS_SERVE" == 0 ]]; then echo "docs in $$DOCS_DIR (DOCS_SERVE=0: not served)"; else \
	  [[ "$$DOCS_PORT" =~ ^[0-9]+$$ ]] || { echo "make docs: DOCS_PORT=$$DOCS_PORT is not a port number" >&2; exit 2; }; \
	  echo "serving the docs on http://localhost:$$DOCS_PORT (Ctrl-C stops)"; \
	  $(DBT) docs serve --target-path "$$DOCS_DIR" --port "$$DOCS_PORT" --no-browser; fi

docs-build: $(VENV)/.installed
	@[[ -f "$$PGB_DUCKDB_PATH" ]] || { echo "make docs: no warehouse at $$PGB_DUCKDB_PATH: build it first (make run)" >&2; exit 2; }
	rm -rf "$$DOCS_DIR" && mkdir -p "$$DOCS_DIR/warehouse"
	cp "$$PGB_DUCKDB_PATH" "$$DOCS_DIR/warehouse/$$(basename "$$PGB_DUCKDB_PATH")"
	PGB_DUCKDB_PATH="$$DOCS_DIR/warehouse/$$(basename "$$PGB_DUCKDB_PATH")" $(DBT) docs generate --target-path "$$DOCS_DIR"

## Every test: SQL lint, dbt unit + data tests on the bundled seeds, pytest.
test: setup lint dbt-build pytest

lint:
	$(VENV)/bin/sqlfluff lint models macros tests/generic tests/singular --processes 2

dbt-build:
	rm -f $(TEST_WAREHOUSE)
	PGB_DUCKDB_PATH=$(TEST_WAREHOUSE) $(DBT) build --full-refresh
	rm -f $(TEST_WAREHOUSE)

pytest:
	$(PY) -m pytest -q

clean:
	rm -rf target logs $(TEST_WAREHOUSE)
