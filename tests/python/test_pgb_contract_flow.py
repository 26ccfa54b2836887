"""Contract section 6 on the PGB fixture folder tests/fixtures/pgb_rules.

Every task's expected outcome in expected_task_outcomes.csv was derived by
hand from the contract (sections 2-4), one planted case per rule and per
boundary; the model's output is never used to write it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from contract_flow import (
    REPO_ROOT,
    copy_project,
    count_null_rule_columns,
    expected_violations,
    mismatches,
    query,
    read_expected_outcomes,
    run_dbt,
    run_fixture,
    task_evaluations,
    violations_by_task,
)

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
EXPECTED = read_expected_outcomes(FIXTURE)
SECTION_5_TABLES = ["fct_task_evaluations", "fct_task_rule_violations", "fct_aps_supervision_cycles"]


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory) -> Path:
    return run_fixture(FIXTURE, tmp_path_factory.mktemp("pgb_rules"))


def test_exactly_the_evaluated_tasks_are_evaluated(fixture_warehouse):
    assert sorted(task_evaluations(fixture_warehouse)) == sorted(EXPECTED)


@pytest.mark.parametrize("task_id", sorted(EXPECTED))
def test_task_outcome_matches_the_contract(fixture_warehouse, task_id):
    assert mismatches(EXPECTED[task_id], task_evaluations(fixture_warehouse)[task_id]) == []


def test_rule_columns_are_never_null(fixture_warehouse):
    assert count_null_rule_columns(fixture_warehouse) == 0


def test_every_fired_rule_has_one_violation_row_with_evidence(fixture_warehouse):
    assert violations_by_task(fixture_warehouse) == expected_violations(EXPECTED)


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
    run_dbt(project_dir, "seed", "--full-refresh", "--select", "ref_*", env=env)
    run_dbt(project_dir, "run", env=env)
    assert task_evaluations(warehouse) == task_evaluations(fixture_warehouse)
