"""Time the per-professional cap (fct_task_payments) on a synthetic national year.

Compiles the dbt model, then runs it in DuckDB over generated inputs shaped
like a national year: N evaluated tasks a month (default 1.2 million) spread
over P professionals (default 10,000), most approved at 68.00, and the cap
parameters set (a yearly cap, raised by a second version mid-year, so the
allocation carries the paid amount across parameter versions), or with
--without-cap the shipped empty cap. Prints rows, seconds and peak memory;
asserts nothing.

    .venv/bin/python scripts/benchmark_payments.py --months 12 --tasks-per-month 1200000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
MODEL = "fct_task_payments"


def compiled_model_sql(scratch: Path) -> str:
    env = {**os.environ, "PGB_DUCKDB_PATH": str(scratch / "pgb.duckdb"), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    subprocess.run(
        [str(DBT), "compile", "--quiet", "--select", MODEL, "--project-dir", str(REPO_ROOT),
         "--profiles-dir", str(REPO_ROOT), "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True,
    )
    [compiled] = (scratch / "target" / "compiled").rglob(f"{MODEL}.sql")
    return compiled.read_text(encoding="utf-8")


def generate_inputs(
    connection: duckdb.DuckDBPyConnection, months: int, tasks_per_month: int, payees: int, with_cap: bool
) -> None:
    connection.execute(
        """
        create or replace table fct_task_evaluations as
        with numbered as (select range as n from range(?::bigint * ?::bigint))
        select
            'T' || n as task_id,
            lpad(cast(hash(n, 'payee') % ? as varchar), 7, '0') as payee_siape,
            cast(date '2025-01-01' + to_months(cast(n // ? as integer)) as date) as reference_month,
            date '2025-01-01' + to_months(cast(n // ? as integer))
                + to_seconds(cast(hash(n, 'second') % (28 * 86400) as bigint)) as concluded_at,
            case when hash(n, 'outcome') % 20 = 0 then 'rejected' else 'approved' end as outcome,
            cast(case when hash(n, 'outcome') % 20 = 0 then 0 else 68 end as decimal(18, 2)) as payment_amount
        from numbered
        """,
        [months, tasks_per_month, payees, tasks_per_month, tasks_per_month],
    )
    # The shipped parameters have the cap empty; the benchmark's cap bites hard, and is raised mid-year.
    cap_rows = """
        ('pepgb_cap_per_professional', '5000.00', date '2025-01-01', date '2025-06-30'),
        ('pepgb_cap_per_professional', '8000.00', date '2025-07-01', null),
        ('pepgb_cap_period', 'yearly', date '2025-01-01', null)
    """ if with_cap else """
        ('pepgb_cap_per_professional', null, date '2025-01-01', null),
        ('pepgb_cap_period', null, date '2025-01-01', null)
    """
    connection.execute(
        f"""
        create or replace table stg_reference__parameters as
        select * from (values {cap_rows}) as t(name, value, effective_from, effective_to)
        """
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--tasks-per-month", type=int, default=1_200_000)
    parser.add_argument("--payees", type=int, default=10_000)
    parser.add_argument("--without-cap", action="store_true", help="the shipped parameters: no cap")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit, e.g. 2GB (default: DuckDB's own)")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pgb-payments-") as folder:
        scratch = Path(folder)
        sql = compiled_model_sql(scratch)
        with duckdb.connect(str(scratch / "pgb.duckdb")) as connection:
            if arguments.memory_limit:
                connection.execute(f"set memory_limit = '{arguments.memory_limit}'")
            started = time.perf_counter()
            generate_inputs(connection, arguments.months, arguments.tasks_per_month, arguments.payees,
                            with_cap=not arguments.without_cap)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            connection.execute(f"create table {MODEL}_built as {sql}")
            elapsed = time.perf_counter() - started
            rows, capped_tasks, capped = connection.execute(
                f"select count(*), count(*) filter (where capped_amount > 0), sum(capped_amount) from {MODEL}_built"
            ).fetchone()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    limit = f", DuckDB memory_limit {arguments.memory_limit}" if arguments.memory_limit else ""
    print(f"inputs: {arguments.months} months x {arguments.tasks_per_month:,} tasks, {arguments.payees:,} payees "
          f"(generated in {generated:.1f} s){limit}")
    print(f"{MODEL}: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} tasks/s); "
          f"{capped_tasks:,} tasks capped, R$ {capped:,.2f} kept out; peak memory of this process {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
