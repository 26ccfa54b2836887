"""Run contract section 6 on a fixture folder, in a scratch copy of the project.

The flow is exactly the contract's: copy the fixture CSVs over the seeds of
the same name, then `dbt seed --full-refresh` and `dbt run` from the project
root with PGB_DUCKDB_PATH naming the warehouse. The scratch copy keeps the
repository's own seeds and warehouse untouched.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", ".dbtignore", "models", "macros", "seeds", "tests/generic")


def copy_project(destination: Path) -> Path:
    """Copy the dbt project (not the venv, warehouse or reports) to destination."""
    for entry in PROJECT_ENTRIES:
        source = REPO_ROOT / entry
        target = destination / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (destination / "warehouse").mkdir(exist_ok=True)
    return destination


def run_dbt(project_dir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(DBT), *args, "--profiles-dir", str(project_dir), "--project-dir", str(project_dir)],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def run_fixture(fixture_dir: Path, scratch_dir: Path) -> Path:
    """Build every output of contract section 5 from one fixture folder.

    Returns the path of the DuckDB file the run wrote.
    """
    project_dir = copy_project(scratch_dir / "project")
    for csv_file in sorted(Path(fixture_dir).glob("*.csv")):
        if (project_dir / "seeds" / csv_file.name).exists():
            shutil.copy2(csv_file, project_dir / "seeds" / csv_file.name)
    warehouse = scratch_dir / "fixture.duckdb"
    env = {**os.environ, "PGB_DUCKDB_PATH": str(warehouse)}
    env.pop("PGB_EXPORTS_DIR", None)
    run_dbt(project_dir, "seed", "--full-refresh", env=env)
    run_dbt(project_dir, "run", env=env)
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# Checks shared by the PGB fixture flows: expected outcomes are read from the
# fixture's expected_task_outcomes.csv (task_id, outcome, rejection_rules,
# payment_amount), written by hand from the contract.
RULE_COLUMNS = [
    "r401", "r402", "r403", "r404", "r405", "r406", "r407", "r409", "r410", "r411", "r414",
    "r415", "r416", "r417", "r419", "r420", "r421", "r424", "r429", "r430", "r432",
]


def read_expected_outcomes(fixture_dir: Path) -> dict[str, dict[str, str]]:
    with open(Path(fixture_dir) / "expected_task_outcomes.csv", newline="", encoding="utf-8") as handle:
        return {row["task_id"]: row for row in csv.DictReader(handle)}


def task_evaluations(warehouse: Path) -> dict[str, dict]:
    """fct_task_evaluations by task_id: outcome, rules, amount, held_reason and the rule columns."""
    columns = ["task_id", "outcome", "rejection_rules", "payment_amount", "held_reason", *RULE_COLUMNS]
    rows = query(warehouse, f"select {', '.join(columns)} from fct_task_evaluations")
    return {row[0]: dict(zip(columns, row)) for row in rows}


def mismatches(expected: dict[str, str], actual: dict) -> list[str]:
    """What differs between a task's expected verdict and the model's (empty when they agree)."""
    problems = []
    wanted = (expected["outcome"], expected["rejection_rules"], Decimal(expected["payment_amount"]))
    observed = (actual["outcome"], actual["rejection_rules"], actual["payment_amount"])
    if observed != wanted:
        problems.append(f"verdict {observed} != expected {wanted}")
    fired = {column.upper() for column in RULE_COLUMNS if actual[column]}
    if fired != set(filter(None, expected["rejection_rules"].split(","))):
        problems.append(f"rule columns {sorted(fired)} disagree with rejection_rules")
    if (actual["held_reason"] is not None) != (expected["outcome"] == "held"):
        problems.append(f"held_reason {actual['held_reason']!r} for outcome {actual['outcome']}")
    return problems


def count_null_rule_columns(warehouse: Path) -> int:
    nulls = " or ".join(f"{column} is null" for column in RULE_COLUMNS)
    [(count,)] = query(warehouse, f"select count(*) from fct_task_evaluations where {nulls}")
    return count


def violations_by_task(warehouse: Path) -> dict[str, set[str]]:
    """Rule codes per task in fct_task_rule_violations; fails on a row without a real sentence."""
    by_task: dict[str, set[str]] = {}
    for task_id, rule_code, evidence in query(
        warehouse, "select task_id, rule_code, evidence from fct_task_rule_violations"
    ):
        assert evidence and len(evidence) > 20, (task_id, rule_code, evidence)
        assert rule_code not in by_task.get(task_id, set()), f"duplicate violation {task_id} {rule_code}"
        by_task.setdefault(task_id, set()).add(rule_code)
    return by_task


def expected_violations(expected: dict[str, dict[str, str]]) -> dict[str, set[str]]:
    return {
        task_id: set(row["rejection_rules"].split(","))
        for task_id, row in expected.items()
        if row["rejection_rules"]
    }
