"""Contract section 6 on the PGB fixture folder tests/fixtures/pgb_rules.

Every task's expected outcome in expected_task_outcomes.csv was derived by
hand from the contract (sections 2-4), one planted case per rule and per
boundary; the model's output is never used to write it.
"""

from __future__ import annotations

import csv
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from contract_flow import REPO_ROOT, copy_project, query, run_dbt, run_fixture

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
RULE_COLUMNS = [
    "r401", "r402", "r403", "r404", "r405", "r406", "r407", "r409", "r410", "r411", "r414",
    "r415", "r416", "r417", "r419", "r420", "r421", "r424", "r429", "r430", "r432",
]
SECTION_5_TABLES = ["fct_task_evaluations", "fct_task_rule_violations", "fct_aps_supervision_cycles"]


def expected_outcomes() -> dict[str, dict[str, str]]:
    with open(FIXTURE / "expected_task_outcomes.csv", newline="", encoding="utf-8") as handle:
        return {row["task_id"]: row for row in csv.DictReader(handle)}


def evaluations(warehouse: Path) -> dict[str, dict]:
    columns = ["task_id", "outcome", "rejection_rules", "payment_amount", "held_reason", *RULE_COLUMNS]
    rows = query(warehouse, f"select {', '.join(columns)} from fct_task_evaluations")
    return {row[0]: dict(zip(columns, row)) for row in rows}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory) -> Path:
    return run_fixture(FIXTURE, tmp_path_factory.mktemp("pgb_rules"))


def test_exactly_the_evaluated_tasks_are_evaluated(fixture_warehouse):
    assert sorted(evaluations(fixture_warehouse)) == sorted(expected_outcomes())


@pytest.mark.parametrize("task_id", sorted(expected_outcomes()))
def test_task_outcome_matches_the_contract(fixture_warehouse, task_id):
    expected = expected_outcomes()[task_id]
    actual = evaluations(fixture_warehouse)[task_id]
    assert actual["outcome"] == expected["outcome"]
    assert actual["rejection_rules"] == expected["rejection_rules"]
    assert actual["payment_amount"] == Decimal(expected["payment_amount"])
    fired = {column.upper() for column in RULE_COLUMNS if actual[column]}
    assert fired == set(filter(None, expected["rejection_rules"].split(",")))
    assert (actual["held_reason"] is not None) == (expected["outcome"] == "held")


def test_rule_columns_are_never_null(fixture_warehouse):
    nulls = " or ".join(f"{column} is null" for column in RULE_COLUMNS)
    assert query(fixture_warehouse, f"select count(*) from fct_task_evaluations where {nulls}") == [(0,)]


def test_every_fired_rule_has_one_violation_row_with_evidence(fixture_warehouse):
    violations = query(fixture_warehouse, "select task_id, rule_code, evidence from fct_task_rule_violations")
    by_task: dict[str, set[str]] = {}
    for task_id, rule_code, evidence in violations:
        assert evidence and len(evidence) > 20, (task_id, rule_code, evidence)
        by_task.setdefault(task_id, set()).add(rule_code)
    assert len(violations) == sum(len(codes) for codes in by_task.values())
    expected = {
        task_id: set(row["rejection_rules"].split(","))
        for task_id, row in expected_outcomes().items()
        if row["rejection_rules"]
    }
    assert by_task == expected


def test_evidence_points_at_the_interval_the_act_fell_in(fixture_warehouse):
    [(evidence,)] = query(
        fixture_warehouse,
        "select evidence from fct_task_rule_violations where task_id = 'T05' and rule_code = 'R404'",
    )
    assert "2025-06-03 01:00:00" in evidence
    assert "2025-06-02 22:00:00 a 2025-06-03 04:00:00" in evidence


def test_all_section_5_tables_are_built(fixture_warehouse):
    for table in SECTION_5_TABLES:
        query(fixture_warehouse, f"select count(*) from {table}")


def header_only_fixture(folder: Path) -> Path:
    folder.mkdir()
    for seed in sorted((REPO_ROOT / "seeds").glob("raw_*.csv")):
        with open(seed, encoding="utf-8") as source:
            (folder / seed.name).write_text(source.readline(), encoding="utf-8")
    return folder


def test_header_only_exports_build_empty_outputs(tmp_path):
    warehouse = run_fixture(header_only_fixture(tmp_path / "empty"), tmp_path)
    for table in SECTION_5_TABLES:
        assert query(warehouse, f"select count(*) from {table}") == [(0,)]


def write_exports(folder: Path, file_format: str) -> Path:
    """The fixture's raw exports as files, for the PGB_EXPORTS_DIR switch."""
    folder.mkdir()
    for csv_file in FIXTURE.glob("raw_*.csv"):
        if file_format == "csv":
            shutil.copy2(csv_file, folder / csv_file.name)
        else:
            with duckdb.connect() as connection:
                connection.execute(
                    f"copy (select * from read_csv('{csv_file}', header = true, all_varchar = true)) "
                    f"to '{folder / (csv_file.stem + '.parquet')}' (format parquet)"
                )
    return folder


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_external_exports_give_the_same_verdicts_as_seeds(tmp_path, fixture_warehouse, file_format):
    project_dir = copy_project(tmp_path / "project")
    warehouse = tmp_path / "external.duckdb"
    env = {
        **os.environ,
        "PGB_DUCKDB_PATH": str(warehouse),
        "PGB_EXPORTS_DIR": str(write_exports(tmp_path / "exports", file_format)),
        "PGB_EXPORTS_FORMAT": file_format,
    }
    run_dbt(project_dir, "seed", "--full-refresh", "--select", "ref_rules", "ref_parameters", "ref_sisref_codes", env=env)
    run_dbt(project_dir, "run", env=env)
    assert evaluations(warehouse) == evaluations(fixture_warehouse)
