"""Contract section 6 on the v2 review fixture folder tests/fixtures/pgb_v2_readings.

An independent review fixture for the clauses marked (v2) in the contract:
R416 judged on the conclusion day, R409's manual dispatch within the task's
lifetime (and R406's same window), a missing PGD target holds the task,
status lists compared trimmed and without case, parameter validity dates
inclusive. Every task probes one reading (its purpose is in cases.csv); every
expected outcome in expected_task_outcomes.csv was derived by hand from the
contract text, without reading the rule SQL or the model's output.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from contract_flow import (
    REPO_ROOT,
    count_null_rule_columns,
    expected_violations,
    mismatches,
    query,
    read_expected_outcomes,
    run_fixture,
    task_evaluations,
    violations_by_task,
)

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_v2_readings"
EXPECTED = read_expected_outcomes(FIXTURE)
# The one parameter this fixture versions; every other row must stay as shipped.
VERSIONED_PARAMETER = "pepgb_value_per_task"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def purposes() -> dict[str, str]:
    return {row["task_id"]: row["purpose"] for row in read_csv(FIXTURE / "cases.csv")}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory) -> Path:
    return run_fixture(FIXTURE, tmp_path_factory.mktemp("pgb_v2_readings"))


@pytest.fixture(scope="module")
def actual(fixture_warehouse) -> dict[str, dict]:
    return task_evaluations(fixture_warehouse)


def test_every_task_has_a_purpose():
    task_ids = {row["task_id"] for row in read_csv(FIXTURE / "raw_tasks.csv")}
    assert task_ids == set(purposes())
    assert set(EXPECTED) <= task_ids


def test_fixture_ships_every_raw_export():
    shipped = {path.name for path in (REPO_ROOT / "seeds").glob("raw_*.csv")}
    assert shipped == {path.name for path in FIXTURE.glob("raw_*.csv")}


def test_only_the_value_per_task_is_versioned():
    """Other parameter rows are the shipped ones, so only the probed clause decides."""
    shipped = read_csv(REPO_ROOT / "seeds" / "ref_parameters.csv")
    fixture = read_csv(FIXTURE / "ref_parameters.csv")
    assert [row for row in fixture if row["name"] != VERSIONED_PARAMETER] == [
        row for row in shipped if row["name"] != VERSIONED_PARAMETER
    ]
    versions = [row for row in fixture if row["name"] == VERSIONED_PARAMETER]
    assert [(row["value"], row["effective_from"], row["effective_to"]) for row in versions] == [
        ("68.00", "2025-05-19", "2025-06-30"),
        ("70.00", "2025-07-01", ""),
    ]
    assert all(row["legal_source"] and row["published_on"] for row in versions)


def test_sibe_statuses_keep_their_spaces_and_case_when_loaded(fixture_warehouse):
    # Without this the trimming probes (S01, S05, S06, ...) would test nothing.
    [(untrimmed, not_title_case)] = query(
        fixture_warehouse,
        "select count(*) filter (where sibe_status <> trim(sibe_status)),"
        " count(*) filter (where sibe_status = upper(sibe_status) or sibe_status = lower(sibe_status))"
        " from raw_sibe_status",
    )
    assert untrimmed >= 5 and not_title_case >= 5, (untrimmed, not_title_case)


def test_exactly_the_evaluated_tasks_are_evaluated(actual):
    assert sorted(actual) == sorted(EXPECTED)


@pytest.mark.parametrize("task_id", sorted(EXPECTED))
def test_task_outcome_matches_the_contract(actual, task_id):
    assert task_id in actual, f"{task_id} not evaluated ({purposes()[task_id]})"
    assert mismatches(EXPECTED[task_id], actual[task_id]) == [], f"{task_id}: {purposes()[task_id]}"


def test_rule_columns_are_never_null(fixture_warehouse):
    assert count_null_rule_columns(fixture_warehouse) == 0


def test_violation_rows_match_the_fired_rules(fixture_warehouse):
    assert violations_by_task(fixture_warehouse) == expected_violations(EXPECTED)
