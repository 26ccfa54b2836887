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
import shutil
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
    warehouses["paths"] = {"project": project, "month-by-month": root / "month-by-month.duckdb"}
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


HISTORY_CHECKS = "test_name:unique_in_this_run test_name:relationships_in_this_run"


def history_checks(builds, warehouse: Path, month: str):
    env = {**os.environ, "PGB_DUCKDB_PATH": str(warehouse), "PGB_MONTH": month, "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    return dbt(builds["paths"]["project"], env, "test", "--select", HISTORY_CHECKS)


def test_a_monthly_runs_history_checks_catch_a_duplicate_or_an_orphan_of_its_month(builds, tmp_path):
    """The checks of the tables that keep every month look at the run's month only, yet against the whole
    history: a July task whose row of an earlier month stayed is a duplicate, and a July payment or violation
    without its July verdict is an orphan. Earlier months' rows alone are not the July run's to judge."""
    warehouse = tmp_path / "history.duckdb"
    shutil.copy(builds["paths"]["month-by-month"], warehouse)
    clean = history_checks(builds, warehouse, "2025-07-01")
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert clean.stdout.count(" PASS ") >= 5, clean.stdout[-3000:]
    with duckdb.connect(str(warehouse)) as con:
        [(rejected,)] = con.execute(
            "select min(task_id) from fct_task_rule_violations where reference_month = date '2025-07-01'").fetchall()
        [(paid,)] = con.execute(
            "select min(task_id) from fct_task_payments where reference_month = date '2025-07-01' "
            "and task_id not in (select task_id from fct_task_rule_violations)").fetchall()
        # A July task still present in May (as if it had moved), in the verdicts and in the NB uses.
        con.execute("insert into fct_task_evaluations select * replace (date '2025-05-01' as reference_month) "
                    "from fct_task_evaluations where task_id = ?", [paid])
        con.execute("insert into int_tasks__root_nb_uses select * replace (date '2025-05-01' as reference_month) "
                    "from int_tasks__root_nb_uses where reference_month = date '2025-07-01' limit 1")
        # A July verdict lost: its violations are orphans.
        con.execute("delete from fct_task_evaluations where task_id = ?", [rejected])
    broken = history_checks(builds, warehouse, "2025-07-01")
    assert broken.returncode != 0
    failed = {line.split(" FAIL ")[1].split()[1] for line in broken.stdout.splitlines() if " FAIL " in line}
    assert any(name.startswith("unique_in_this_run_fct_task_evaluations") for name in failed), broken.stdout[-3000:]
    assert any(name.startswith("unique_in_this_run_int_tasks__root_nb_uses") for name in failed), failed
    assert any(name.startswith("relationships_in_this_run_fct_task_rule_violations") for name in failed), failed
    assert any(name.startswith("relationships_in_this_run_fct_task_payments") for name in failed), failed
    # June's run does not judge July's rows.
    june = history_checks(builds, warehouse, "2025-06-01")
    assert june.returncode == 0, june.stdout[-3000:]


VERDICT_CHECK = "assert_every_evaluated_task_has_a_verdict"


def verdict_check(project: Path, warehouse: Path, month: str):
    env = {**os.environ, "PGB_DUCKDB_PATH": str(warehouse), "PGB_MONTH": month, "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    return dbt(project, env, "test", "--select", VERDICT_CHECK)


def test_the_verdict_check_looks_for_the_runs_verdicts_in_the_runs_months(builds, tmp_path):
    """assert_every_evaluated_task_has_a_verdict reads the verdicts of the run's months only (the last run of the
    month-by-month build is June's): it passes as built, ignores a May verdict lost (not June's run's), and fails
    when a June task's verdict is gone or sits only in another month (which matching the whole table let pass)."""
    # The module's project copy has the generic tests only: this one gets the singular check too.
    project = tmp_path / "project"
    shutil.copytree(builds["paths"]["project"], project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "tests" / "singular").mkdir()
    shutil.copy2(Path(__file__).parents[1] / "singular" / f"{VERDICT_CHECK}.sql", project / "tests" / "singular")
    warehouse = tmp_path / "verdicts.duckdb"
    shutil.copy(builds["paths"]["month-by-month"], warehouse)
    built = verdict_check(project, warehouse, "2025-06-01")
    assert built.returncode == 0 and "PASS=1 " in built.stdout, built.stdout[-3000:]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from fct_task_evaluations where task_id = (select min(task_id) from fct_task_evaluations "
                    "where reference_month = date '2025-05-01')")
        [(june_task,), (other_june_task,)] = con.execute(
            "select task_id from int_tasks__evaluated order by task_id limit 2").fetchall()
    passed = verdict_check(project, warehouse, "2025-06-01")
    assert passed.returncode == 0 and "PASS=1 " in passed.stdout, passed.stdout[-3000:]
    for change in (f"update fct_task_evaluations set reference_month = date '2025-05-01' where task_id = '{june_task}'",
                   f"delete from fct_task_evaluations where task_id = '{other_june_task}'"):
        copy = tmp_path / "changed.duckdb"
        shutil.copy(warehouse, copy)
        with duckdb.connect(str(copy)) as con:
            con.execute(change)
        failed = verdict_check(project, copy, "2025-06-01")
        assert failed.returncode != 0 and f"FAIL 1 {VERDICT_CHECK}" in failed.stdout, (change, failed.stdout[-3000:])


def test_a_task_whose_conclusion_moves_to_a_later_month_leaves_its_old_month(tmp_path):
    """A late delivery moves a May task's conclusion into June: June's run must hold it in June only, in every
    table that keeps the months (verdicts, violations, payments, the NB history R430/R432 read)."""
    import csv

    project = copy_project(tmp_path / "project")
    env = {**os.environ, "PGB_DUCKDB_PATH": str(tmp_path / "moved.duckdb"), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    env.pop("PGB_MONTH", None)
    seeds = project / "seeds" / "raw_tasks.csv"
    rows = list(csv.DictReader(seeds.open(newline="", encoding="utf-8")))
    # Evaluated in May: concluded on or after the program start (2025-05-19).
    moved = next(row for row in rows if "2025-05-19" <= row["concluded_at"] < "2025-06" and row["nb"] and
                 not row["parent_task_id"] and row["queue_type"] == "extraordinaria" and row["status"] == "concluida")
    for step, month in (("seed", None), ("run", "2025-05-01"), ("run", "2025-06-01")):
        if step == "seed":
            done = dbt(project, env, "seed", "--full-refresh")
        else:
            done = dbt(project, {**env, "PGB_MONTH": month}, "build", "--exclude-resource-type", "unit_test")
        assert done.returncode == 0, done.stdout[-3000:]
    moved["concluded_at"] = "2025-06-03 19:00:00"
    seeds.unlink()  # a link into seeds/demo: the project copy gets its own file
    with seeds.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with duckdb.connect(str(tmp_path / "moved.duckdb"), read_only=True) as con:
        before = con.execute("select reference_month from int_tasks__root_nb_uses where task_id = ?",
                             [moved["task_id"]]).fetchall()
    assert [str(month) for (month,) in before] == ["2025-05-01"]  # a May use of its NB, before the move
    assert dbt(project, env, "seed", "--full-refresh", "--select", "raw_tasks").returncode == 0
    june = dbt(project, {**env, "PGB_MONTH": "2025-06-01"}, "build", "--exclude-resource-type", "unit_test")
    assert june.returncode == 0, june.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "moved.duckdb"), read_only=True) as con:
        for table in ("fct_task_evaluations", "fct_task_payments", "int_tasks__root_nb_uses"):
            months = con.execute(f"select reference_month from {table} where task_id = ?", [moved["task_id"]]).fetchall()
            assert [str(month) for (month,) in months] == ["2025-06-01"], (table, months)
        stale = con.execute("select count(*) from fct_task_rule_violations where task_id = ? "
                            "and reference_month <> date '2025-06-01'", [moved["task_id"]]).fetchone()[0]
        assert stale == 0


@pytest.mark.parametrize("changed", ["later", "earlier"])
def test_a_reuse_a_late_export_removes_gives_the_other_use_its_verdict_back(builds, tmp_path, changed):
    """A task rejected by R430/R432 for the reuse of its NB by a task of another month is judged again when a late
    export of that other month gives its task another NB: the reuse is gone, the verdict goes back, and every mart
    holds what one build over every month of the corrected exports holds. Both ways: a later month closed again
    revises an earlier month's verdict, an earlier month closed again a later one's. The history is one written
    before its nb_key column existed: the run fills the keys."""
    import csv

    kept = "earlier" if changed == "later" else "later"
    warehouse = tmp_path / "month-by-month.duckdb"
    shutil.copy(builds["paths"]["month-by-month"], warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # An NB used twice, in two months, whose use that stays is rejected by R430 or R432.
        judged, other, other_month = con.execute(
            f"select {kept}.task_id, {changed}.task_id, strftime({changed}.reference_month, '%Y-%m-%d') "
            "from int_tasks__root_nb_uses as earlier "
            "join int_tasks__root_nb_uses as later on later.nb = earlier.nb and later.reference_month > earlier.reference_month "
            f"join fct_task_evaluations as verdict on verdict.task_id = {kept}.task_id "
            "where (verdict.r430 or verdict.r432) "
            "and (select count(*) from int_tasks__root_nb_uses as use where use.nb = earlier.nb) = 2 "
            "order by earlier.task_id limit 1"
        ).fetchone()
        unused_nb = con.execute("select lpad(cast(max(cast(nb as ubigint)) + 1 as varchar), 10, '0') "
                                "from int_tasks__root_nb_uses").fetchone()[0]
    project = copy_project(tmp_path / "project")
    set_cap(project, "136.00", "yearly")  # as the fixture's builds
    seeds = project / "seeds" / "raw_tasks.csv"
    rows = list(csv.DictReader(seeds.open(newline="", encoding="utf-8")))
    assert [row["task_id"] for row in rows].count(other) == 1
    for row in rows:
        if row["task_id"] == other:
            row["nb"] = unused_nb
    seeds.unlink()  # a link into seeds/demo: the project copy gets its own file
    with seeds.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    with duckdb.connect(str(warehouse)) as con:
        # As a history written before nb_key existed: the run adds the column and fills every key.
        con.execute("alter table int_tasks__root_nb_uses drop column nb_key")
    env = {**os.environ, "PGB_DUCKDB_PATH": str(warehouse), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    env.pop("PGB_MONTH", None)
    assert dbt(project, env, "seed", "--full-refresh", "--select", "raw_tasks").returncode == 0
    again = dbt(project, {**env, "PGB_MONTH": other_month}, "run")
    assert again.returncode == 0, again.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from int_tasks__root_nb_uses where nb_key is null").fetchone()[0] == 0
        assert con.execute("select r430 or r432 from fct_task_evaluations where task_id = ?", [judged]).fetchall() == [(False,)]
        assert con.execute("select rule_code from fct_task_rule_violations where task_id = ? and rule_code in ('R430', 'R432')",
                           [judged]).fetchall() == []

    corrected = tmp_path / "every-month.duckdb"
    env = {**env, "PGB_DUCKDB_PATH": str(corrected)}
    assert dbt(project, env, "seed", "--full-refresh").returncode == 0
    built = dbt(project, env, "run")
    assert built.returncode == 0, built.stdout[-3000:]
    every_month, month_by_month = mart_rows(corrected), mart_rows(warehouse)
    for mart in MARTS:
        assert set(every_month[mart]) == set(month_by_month[mart]), mart
