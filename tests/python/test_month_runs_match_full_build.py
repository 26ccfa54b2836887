"""Month by month, the marts hold what one build over every month holds.

The marts are incremental: a run for one month rewrites that month's verdicts,
revises earlier verdicts the rules across months (R430, R432) change, and
recomputes the payments of the (payee, cap period) pairs those verdicts touch
(fct_task_payments) and the sums of the months it rewrote
(fct_payee_month_payments). On the bundled demo data, with a yearly cap low
enough to bite in every month (so a month's payments depend on earlier
months), building the months one at a time, in order, and then running June
again, must give the same rows as a single build of every month.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from contract_flow import copy_project
from test_payments_cap_flow import dbt, set_cap

# The demo's months with evaluated tasks, in order.
MONTHS = ("2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01")
# Run-time columns, equal only within one run.
RUN_TIME_COLUMNS = {"verdict_written_at", "payment_written_at"}
MARTS = {
    "fct_task_evaluations": "task_id",
    "fct_task_rule_violations": "task_id, rule_code",
    "fct_task_payments": "task_id",
    "fct_payee_month_payments": "payee_siape, reference_month",
}


def mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = {}
        for mart, order in MARTS.items():
            columns = [
                name for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                    [mart],
                ).fetchall()
                if name not in RUN_TIME_COLUMNS
            ]
            rows[mart] = con.execute(f"select {', '.join(columns)} from {mart} order by {order}").fetchall()
        return rows


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("month-runs")
    project = copy_project(root / "project")
    # 2 tasks' worth a year: every payee with more approved tasks is capped, in the month the cap is reached.
    set_cap(project, "136.00", "yearly")
    warehouses = {}
    for build in ("every-month", "month-by-month"):
        env = {**os.environ, "PGB_DUCKDB_PATH": str(root / f"{build}.duckdb"), "DO_NOT_TRACK": "1"}
        env.pop("PGB_EXPORTS_DIR", None)
        env.pop("PGB_MONTH", None)
        seeded = dbt(project, env, "seed", "--full-refresh")
        assert seeded.returncode == 0, seeded.stdout[-3000:]
        runs = [None] if build == "every-month" else [*MONTHS, "2025-06-01"]
        for month in runs:
            run_env = env if month is None else {**env, "PGB_MONTH": month}
            built = dbt(project, run_env, "run")
            assert built.returncode == 0, f"{build} {month}: {built.stdout[-3000:]}"
        warehouses[build] = mart_rows(root / f"{build}.duckdb")
    return warehouses


def test_the_cap_bites_in_the_comparison(builds):
    payments = builds["every-month"]["fct_payee_month_payments"]
    capped_months = {row[1] for row in payments if row[8] > 0}  # capped_amount
    assert len(capped_months) >= 2, "the yearly cap must cut payments in more than one month"


@pytest.mark.parametrize("mart", list(MARTS))
def test_month_runs_give_the_rows_of_a_build_over_every_month(builds, mart):
    every_month, month_by_month = builds["every-month"][mart], builds["month-by-month"][mart]
    assert every_month, f"{mart} is empty"
    missing = set(every_month) - set(month_by_month)
    extra = set(month_by_month) - set(every_month)
    assert not missing and not extra, f"{mart}: {len(missing)} rows missing, {len(extra)} extra, e.g. {sorted(missing | extra)[:3]}"
    assert len(every_month) == len(month_by_month)
