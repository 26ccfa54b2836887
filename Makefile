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

.PHONY: setup run close test lint dbt-build pytest clean bench

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# Dagster needs dbt's manifest before its definitions import.
target/manifest.json: $(VENV)/.installed dbt_project.yml $(shell find models macros seeds tests/generic tests/singular -type f 2>/dev/null)
	$(DBT) parse --quiet
	touch $@

setup: $(VENV)/.installed target/manifest.json
	mkdir -p $(DAGSTER_HOME) warehouse
	$(PY) -m orchestration.instance

## Build the warehouse from the bundled seeds through Dagster and print every month's payments (closes nothing).
run: setup
	$(PY) -m orchestration.cli run

## Close one reference month (frozen package under $PGB_REPORTS_DIR): make close MONTH=2025-06
close: setup
	$(PY) -m orchestration.cli close --month $(MONTH)

## Time and peak memory of every phase on a generated national month (README "Performance"):
## make bench SCALE=0.1 PHASES=seed,models,baseline FORMAT=csv BENCH_ARGS="--history 3"
SCALE ?= 1
PHASES ?= all
FORMAT ?= parquet
bench: setup
	$(PY) scripts/benchmark.py --scale $(SCALE) --phases $(PHASES) --format $(FORMAT) $(BENCH_ARGS)

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
