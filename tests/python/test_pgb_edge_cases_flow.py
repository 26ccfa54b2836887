"""Contract section 6 on the edge-case fixture folder tests/fixtures/pgb_edge_cases.

An independent review fixture: every task probes one tricky reading of a
clause of contract sections 2-4 (its purpose is in cases.csv), and every
expected outcome in expected_task_outcomes.csv was derived by hand from the
contract text, without reading the rule SQL or the model's output.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from contract_flow import REPO_ROOT, query, run_fixture

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_edge_cases"
RULE_COLUMNS = [
    "r401", "r402", "r403", "r404", "r405", "r406", "r407", "r409", "r410", "r411", "r414",
    "r415", "r416", "r417", "r419", "r420", "r421", "r424", "r429", "r430", "r432",
]


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURE / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_outcomes() -> dict[str, dict[str, str]]:
    return {row["task_id"]: row for row in read_csv("expected_task_outcomes.csv")}


def purposes() -> dict[str, str]:
    return {row["task_id"]: row["purpose"] for row in read_csv("cases.csv")}


def evaluations(warehouse: Path) -> dict[str, dict]:
    columns = ["task_id", "outcome", "rejection_rules", "payment_amount", "held_reason", *RULE_COLUMNS]
    rows = query(warehouse, f"select {', '.join(columns)} from fct_task_evaluations")
    return {row[0]: dict(zip(columns, row)) for row in rows}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory) -> Path:
    return run_fixture(FIXTURE, tmp_path_factory.mktemp("pgb_edge_cases"))


@pytest.fixture(scope="module")
def actual(fixture_warehouse) -> dict[str, dict]:
    return evaluations(fixture_warehouse)


def test_every_task_has_a_purpose():
    task_ids = {row["task_id"] for row in read_csv("raw_tasks.csv")}
    assert task_ids == set(purposes())
    assert set(expected_outcomes()) <= task_ids


def test_exactly_the_evaluated_tasks_are_evaluated(actual):
    assert sorted(actual) == sorted(expected_outcomes())


@pytest.mark.parametrize("task_id", sorted(expected_outcomes()))
def test_task_outcome_matches_the_contract(actual, task_id):
    expected = expected_outcomes()[task_id]
    got = actual.get(task_id)
    assert got is not None, f"{task_id} not evaluated ({purposes()[task_id]})"
    observed = (got["outcome"], got["rejection_rules"], got["payment_amount"])
    wanted = (expected["outcome"], expected["rejection_rules"], Decimal(expected["payment_amount"]))
    assert observed == wanted, f"{task_id}: {purposes()[task_id]}"
    fired = {column.upper() for column in RULE_COLUMNS if got[column]}
    assert fired == set(filter(None, expected["rejection_rules"].split(","))), task_id
    assert (got["held_reason"] is not None) == (expected["outcome"] == "held"), task_id


def test_rule_columns_are_never_null(fixture_warehouse):
    nulls = " or ".join(f"{column} is null" for column in RULE_COLUMNS)
    assert query(fixture_warehouse, f"select count(*) from fct_task_evaluations where {nulls}") == [(0,)]


def test_violation_rows_match_the_fired_rules(fixture_warehouse):
    violations = query(fixture_warehouse, "select task_id, rule_code, evidence from fct_task_rule_violations")
    by_task: dict[str, set[str]] = {}
    for task_id, rule_code, evidence in violations:
        assert evidence and len(evidence) > 20, (task_id, rule_code, evidence)
        by_task.setdefault(task_id, set()).add(rule_code)
    expected = {
        task_id: set(row["rejection_rules"].split(","))
        for task_id, row in expected_outcomes().items()
        if row["rejection_rules"]
    }
    assert by_task == expected
