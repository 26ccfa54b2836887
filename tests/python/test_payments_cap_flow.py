"""The per-professional cap through dbt on the hand-derived June fixture, then read by the close.

The cap is SQL now (fct_task_payments); its allocation rules are the dbt
unit tests beside the model. Here the whole chain runs on
tests/fixtures/pgb_rules with the cap parameters set in a scratch copy's
ref_parameters.csv: a cap without a period stops `dbt run` with a message,
a monthly cap of 136.00 pays each professional at most two tasks, and the
close package's payments.csv carries the mart's amounts and capped amounts.
The expected amounts come from the fixture's hand-written outcomes.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from contract_flow import DBT, copy_project, read_expected_outcomes

from payroll.close import close_month
from payroll.money import reais
from payroll.months import Month

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
CAP = Decimal("136.00")
VALUE = Decimal("68.00")


def set_cap(project: Path, amount: str, period: str) -> None:
    path = project / "seeds" / "ref_parameters.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    values = {"pepgb_cap_per_professional": amount, "pepgb_cap_period": period}
    assert {row["name"] for row in rows} >= set(values)
    for row in rows:
        row["value"] = values.get(row["name"], row["value"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def dbt(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(project / "target"), "--log-path", str(project / "logs")],
        cwd=project, env=env, capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("cap")
    project = copy_project(root / "project")
    for csv_file in FIXTURE.glob("raw_*.csv"):
        shutil.copy2(csv_file, project / "seeds" / csv_file.name)
    env = {**os.environ, "PGB_DUCKDB_PATH": str(root / "cap.duckdb"), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    set_cap(project, str(CAP), "")
    seeded = dbt(project, env, "seed", "--full-refresh")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    without_period = dbt(project, env, "run")
    return project, root / "cap.duckdb", env, without_period


def expected_june_payments() -> dict[str, tuple[int, Decimal, Decimal]]:
    """payee -> (approved June tasks, amount under a 136.00 monthly cap, capped), from the hand-written outcomes."""
    outcomes = read_expected_outcomes(FIXTURE)
    with (FIXTURE / "raw_tasks.csv").open(newline="", encoding="utf-8") as handle:
        tasks = {row["task_id"]: row for row in csv.DictReader(handle)}
    approved = Counter(
        tasks[task_id]["concluded_by"]
        for task_id, row in outcomes.items()
        if row["outcome"] == "approved" and tasks[task_id]["concluded_at"].startswith("2025-06")
    )
    return {payee: (count, min(CAP, VALUE * count), VALUE * count - min(CAP, VALUE * count))
            for payee, count in approved.items()}


def test_a_cap_without_a_period_stops_the_build(scratch):
    _, _, _, without_period = scratch
    assert without_period.returncode != 0
    assert "fct_task_payments" in without_period.stdout
    assert "pepgb_cap_period" in without_period.stdout and "monthly or yearly" in without_period.stdout


def test_a_monthly_cap_is_applied_in_sql_and_carried_by_the_close(scratch, tmp_path, monkeypatch):
    project, warehouse, env, _ = scratch
    set_cap(project, str(CAP), "monthly")
    seeded = dbt(project, env, "seed", "--select", "ref_parameters", "--full-refresh")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    # The cap is read through the typed parameters: rebuild them with the marts.
    built = dbt(project, env, "build", "--select", "int_parameters__in_force_by_day", "fct_task_payments+")
    assert built.returncode == 0, built.stdout[-3000:]

    expected = expected_june_payments()
    assert any(capped > 0 for _, _, capped in expected.values()), "the fixture must make the cap bite"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        mart = {
            payee: (approved, amount, capped)
            for payee, approved, amount, capped in connection.execute(
                "select payee_siape, approved_tasks, amount, capped_amount from fct_payee_month_payments "
                "where reference_month = '2025-06-01' and approved_tasks > 0"
            ).fetchall()
        }
    assert mart == expected

    monkeypatch.delenv("PGB_EXPORTS_DIR", raising=False)
    # Months are closed in order from the program start: May (the fixture's T51) first.
    close_month(Month(2025, 5), reports_dir=tmp_path / "reports", project_dir=project, warehouse=warehouse)
    result = close_month(Month(2025, 6), reports_dir=tmp_path / "reports", project_dir=project, warehouse=warehouse)
    with (result.folder / "payments.csv").open(newline="", encoding="utf-8-sig") as handle:
        payments = {row["payee_siape"]: row for row in csv.DictReader(handle)}
    for payee, (approved, amount, capped) in expected.items():
        row = payments[payee]
        assert (int(row["approved_tasks"]), Decimal(row["amount"]), Decimal(row["capped_amount"])) == (
            approved, amount, capped), payee
    total_capped = sum(capped for _, _, capped in expected.values())
    assert result.package.totals["capped_amount"] == total_capped
    assert f"O teto por profissional deixou {reais(total_capped)} fora" in (result.folder / "summary.html").read_text(
        encoding="utf-8")
