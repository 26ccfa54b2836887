"""Contract section 6 on the edge-case fixture folder tests/fixtures/pgb_edge_cases.

An independent review fixture: every task probes one tricky reading of a
clause of contract sections 2-4 (its purpose is in cases.csv), and every
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
    read_expected_outcomes,
    run_fixture,
    task_evaluations,
    violations_by_task,
)

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_edge_cases"
EXPECTED = read_expected_outcomes(FIXTURE)


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURE / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def purposes() -> dict[str, str]:
    return {row["task_id"]: row["purpose"] for row in read_csv("cases.csv")}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory) -> Path:
    return run_fixture(FIXTURE, tmp_path_factory.mktemp("pgb_edge_cases"))


@pytest.fixture(scope="module")
def actual(fixture_warehouse) -> dict[str, dict]:
    return task_evaluations(fixture_warehouse)


def test_every_task_has_a_purpose():
    task_ids = {row["task_id"] for row in read_csv("raw_tasks.csv")}
    assert task_ids == set(purposes())
    assert set(EXPECTED) <= task_ids


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
