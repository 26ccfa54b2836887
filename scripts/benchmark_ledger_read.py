"""How long the close takes to read its ledger history, and how much memory: the CSV reading with a window over
every row (before the columnar copies) against the columnar copies. Prints figures; asserts nothing.

    .venv/bin/python scripts/benchmark_ledger_read.py --ledger DIR --warehouse close.duckdb --month 2025-09 \\
        --work /tmp/ledger-bench

--without-csv compares with the columnar reading that joins every month (before the fingerprints).
--generate N first writes N generated ledger CSVs of national size (1.2 M decisions a month, from 2025-01) into
--ledger and a warehouse that agrees with them (fct_task_payments, with standing_hash, one month more) into
--warehouse: the state right after a normal close, e.g. --generate 12 --month 2026-01.
--ledger: a folder of ledger CSVs (YYYY-MM.csv, the closes before --month); it is only read: the CSVs are copied
into --work, where their columnar copies are made. --warehouse: the close's DuckDB file, attached read-only.
Each reading runs in its own process, so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

# payroll/warehouse.py before the columnar copies: every CSV parsed as text, twice (standing, then history), and
# each task's newest row taken by a window over every row.
CSV_WINDOW_SQL = """
    create or replace table memory.main.ledger_standing as
    select * from read_csv($files, header = true, all_varchar = true, encoding = 'utf-8')
    qualify row_number() over (partition by task_id order by closed_month desc) = 1;
    create or replace table memory.main.adjustment_candidates as
    with current_tasks as (
        select task_id, outcome, payable_amount from fct_task_payments where reference_month < $month::date
    )
    select coalesce(standing.task_id, current_tasks.task_id) as task_id
    from memory.main.ledger_standing as standing
    full outer join current_tasks on standing.task_id = current_tasks.task_id
    where
        standing.task_id is null
        or current_tasks.task_id is null
        or standing.outcome is distinct from current_tasks.outcome
        or cast(standing.paid_amount as decimal(18, 2)) <> current_tasks.payable_amount;
    delete from memory.main.ledger_standing
    where task_id not in (select task_id from memory.main.adjustment_candidates);
"""
CSV_HISTORY_SQL = """
    select
        closed_month,
        coalesce(sum(cast(delta_amount as decimal(18, 2))) filter (where entry = 'decision'), 0),
        coalesce(sum(cast(delta_amount as decimal(18, 2))) filter (where entry = 'adjustment'), 0)
    from read_csv($files, header = true, all_varchar = true, encoding = 'utf-8')
    group by closed_month
    order by closed_month
"""


GENERATED_TASKS_PER_MONTH = 1_200_000


def generate(ledger: Path, warehouse: Path, months: int) -> None:
    """A ledger of `months` closes and the warehouse that agrees with it (every task's standing = its row)."""
    import duckdb

    from payroll.ledger_copies import STANDING_HASH_SQL

    ledger.mkdir(parents=True, exist_ok=True)
    standing_hash = STANDING_HASH_SQL.format(task="task_id", outcome="outcome", amount="payable_amount")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"""
            create or replace table fct_task_payments as
            select *, {standing_hash} as standing_hash from (
                select
                    format('{{:04d}}{{:08d}}', 2500 + month_number, task_number) as task_id,
                    (date '2025-01-01' + to_months(month_number))::date as reference_month,
                    case when task_number % 25 = 0 then 'rejected' when task_number % 97 = 0 then 'held'
                         else 'approved' end as outcome,
                    (case when task_number % 25 = 0 or task_number % 97 = 0 then 0 else 68 end)::decimal(18, 2)
                        as payable_amount
                from range({months + 1}) as months (month_number), range({GENERATED_TASKS_PER_MONTH}) as tasks (task_number)
            )
        """)
        for month_number in range(months):
            month = f"{2025 + month_number // 12}-{month_number % 12 + 1:02d}"
            target = str(ledger / f"{month}.csv").replace("'", "''")
            connection.execute(f"""
                copy (
                    select '{month}' as closed_month, 'decision' as entry, task_id,
                        strftime(reference_month, '%Y-%m') as reference_month,
                        lpad((hash(task_id) % 10000)::varchar, 7, '0') as payee_siape, outcome,
                        case when outcome = 'rejected' then 'R404' else '' end as rules, '68.00' as due_amount,
                        payable_amount::varchar as paid_amount, payable_amount::varchar as delta_amount
                    from fct_task_payments where reference_month = date '{month}-01' order by task_id
                ) to '{target}' (header true, delimiter ',')
            """)


def attached(warehouse: Path):
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.execute("attach ? as warehouse (read_only)", [str(warehouse)])
    connection.execute("use warehouse")
    return connection


def read_csv_window(files: list[Path], warehouse: Path, month) -> dict:
    connection = attached(warehouse)
    started = time.perf_counter()
    for statement in CSV_WINDOW_SQL.split(";"):
        if statement.strip():
            values = {"files": [str(path) for path in files], "month": month.first_day}
            connection.execute(statement, {name: value for name, value in values.items() if f"${name}" in statement})
    standing = connection.execute("select count(*) from memory.main.ledger_standing").fetchone()[0]
    history = connection.execute(CSV_HISTORY_SQL, {"files": [str(path) for path in files]}).fetchall()
    return {"seconds": time.perf_counter() - started, "standing": standing, "history_rows": len(history),
            "history_total": str(sum(row[1] + row[2] for row in history))}


def read_columnar(files: list[Path], warehouse: Path, month) -> dict:
    from payroll.ledger_copies import fresh_copies
    from payroll.warehouse import _read_ledger

    rebuilt: list[str] = []
    connection = attached(warehouse)
    started = time.perf_counter()
    standing, history, months_joined = _read_ledger(connection, month, fresh_copies(files, rebuilt.append))
    return {"seconds": time.perf_counter() - started, "standing": len(standing), "history_rows": len(history),
            "history_total": str(sum(row[1] + row[2] for row in history)), "copies_rebuilt": len(rebuilt),
            "months_joined": "every" if months_joined is None else len(months_joined)}


def read_columnar_every_month(files: list[Path], warehouse: Path, month) -> dict:
    """The columnar reading as before the standing fingerprints: every earlier month joined with the warehouse."""
    import dataclasses

    from payroll.ledger_copies import fresh_copies
    from payroll.warehouse import _read_ledger

    copies = fresh_copies(files, lambda _: None)
    copies[-1] = dataclasses.replace(copies[-1], fingerprint=None)
    connection = attached(warehouse)
    started = time.perf_counter()
    standing, history, _ = _read_ledger(connection, month, copies)
    return {"seconds": time.perf_counter() - started, "standing": len(standing), "history_rows": len(history),
            "months_joined": "every"}


def build_copy(files: list[Path], warehouse: Path, month) -> dict:
    """What a close adds: the copy of the one ledger file it wrote (the newest here), made from scratch."""
    from payroll.ledger_copies import copy_path_of, write_copy

    copy_path_of(files[-1]).unlink(missing_ok=True)
    started = time.perf_counter()
    write_copy(files[-1])
    return {"seconds": time.perf_counter() - started, "csv_mb": round(files[-1].stat().st_size / 1e6, 1),
            "copy_mb": round(copy_path_of(files[-1]).stat().st_size / 1e6, 1)}


READINGS = {"csv_window": read_csv_window, "columnar": read_columnar, "build_copy": build_copy,
            "every_month": read_columnar_every_month}


def child(reading: str, work: Path, warehouse: Path, month_text: str) -> None:
    from payroll.months import Month

    files = [path for path in sorted(work.glob("????-??.csv")) if path.stem < month_text]
    result = READINGS[reading](files, warehouse, Month.parse(month_text))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--month", required=True, help="the month closed: the ledgers are the closes before it")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--without-csv", action="store_true",
                        help="compare the columnar reading with the one that joins every month, not with the CSVs")
    parser.add_argument("--generate", type=int, metavar="N", help="first generate N months of ledger and warehouse")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=sorted(READINGS), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.work, arguments.warehouse, arguments.month)
        return
    if arguments.generate_only:
        generate(arguments.ledger, arguments.warehouse, arguments.generate)
        return
    if arguments.generate:  # in a child: the readings' children would inherit its peak RSS
        subprocess.run([sys.executable, __file__, "--ledger", str(arguments.ledger), "--warehouse",
                        str(arguments.warehouse), "--month", arguments.month, "--work", str(arguments.work),
                        "--generate", str(arguments.generate), "--generate-only"], check=True, cwd=REPO_ROOT)
    arguments.work.mkdir(parents=True, exist_ok=True)
    sources = [path for path in sorted(arguments.ledger.glob("????-??.csv")) if path.stem < arguments.month]
    for source in sources:
        target = arguments.work / source.name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copy2(source, target)
    print(f"{len(sources)} ledger files before {arguments.month}, "
          f"{sum(path.stat().st_size for path in sources) / 1e6:,.0f} MB of CSV; warehouse {arguments.warehouse}")
    # The first columnar reading builds the copies that are missing (as the first close after this change does).
    other = "every_month" if arguments.without_csv else "csv_window"
    for reading in ["build_copy", "columnar", *[other, "columnar"] * arguments.repeat]:
        command = [sys.executable, __file__, "--ledger", str(arguments.ledger), "--warehouse", str(arguments.warehouse),
                   "--month", arguments.month, "--work", str(arguments.work), "--child", reading]
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
        if done.returncode:
            sys.exit(f"{reading} failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{reading:<11} {result.pop('seconds'):6.2f} s  peak RSS {result.pop('peak_rss_mb'):5d} MB  {result}")


if __name__ == "__main__":
    main()
