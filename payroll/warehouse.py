"""Read the payroll marts from the published warehouse, read-only.

The one Python reader of fct_task_payments and fct_payee_month_payments: the
close reads a whole snapshot at once; the previews and the terminal summary
of `pgb run` read the per-month rows and totals. Nothing here computes an
amount: every sum comes from the mart.

With PGB_EXPORTS_DIR set, the staging views read the export files by the
path dbt was given, which may be relative to the project: the queries run
from the project folder so that such a path resolves as it did for dbt.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from payroll.errors import CloseFailed
from payroll.ledger import LedgerEntry
from payroll.ledger_copies import STANDING_HASH_SQL, ColumnarCopy, Fingerprint, Log, fresh_copies
from payroll.model import ParameterRow, PayeeMonthPayment, Professional, TaskPayment, Violation, WarehouseSnapshot
from payroll.money import money
from payroll.months import Month
from pgb_shared import settings
from pgb_shared.exports import export_path

TASK_PAYMENTS = "fct_task_payments"
PAYEE_MONTH_PAYMENTS = "fct_payee_month_payments"
REQUIRED_TABLES = ("fct_task_evaluations", "fct_task_rule_violations", TASK_PAYMENTS, PAYEE_MONTH_PAYMENTS)

# The tasks of the months before the one closed: what the adjustments compare with the ledger.
EARLIER_TASKS_SQL = f"""
    select
        payments.task_id, payments.payee_siape, payments.reference_month, payments.concluded_at,
        payments.outcome, evaluations.rejection_rules, evaluations.held_reason,
        payments.due_amount::varchar, payments.payable_amount::varchar
    from {TASK_PAYMENTS} as payments
    inner join fct_task_evaluations as evaluations on payments.task_id = evaluations.task_id
    where payments.reference_month < $1::date
    order by payments.task_id
"""
# With the ledger: only the earlier tasks whose standing in the ledger differs from the warehouse (outcome or
# amount paid), or that one side lacks, reach Python; find_adjustments would drop every other one. DuckDB reads
# the ledger's columnar copies (payroll.ledger_copies), and the history of closes comes from their records.
#
# A task's standing is its last row in the newest close that mentions it (Ledger.standing). No window runs over
# every row: a task none of whose decision rows differs from the warehouse, and that has no adjustment, is
# settled, since whichever of its rows is the newest equals the warehouse. Only the other tasks (about the
# changes, and adjustments are rare) get their newest row, by a window over their rows alone.
#
# Before any join, the ledger's standing fingerprint as of its newest close (payroll.ledger_copies: per reference
# month, count and sum of hash(task, outcome, amount paid)) is compared with the warehouse's, summed here from
# fct_task_payments. A task whose standing differs from the warehouse makes both its ledger month and its
# warehouse month differ, so only the decisions and tasks of those months are joined ($months); after a normal
# close, none. Without a checked fingerprint every month is joined, as before.
LEDGER_COPIES = "read_parquet($copies, file_row_number = true)"
LEDGER_COLUMNS = ("closed_month", "entry", "task_id", "reference_month", "payee_siape", "outcome", "rules",
                  "due_amount", "paid_amount", "delta_amount")
NO_LEDGER_COPIES = ("(select " + ", ".join(f"null::varchar as {name}" for name in LEDGER_COLUMNS)
                    + ", null::bigint as file_row_number where false)")
STANDING_DIFFERS = """
        {standing}.task_id is null
        or current_tasks.task_id is null
        or {standing}.outcome is distinct from current_tasks.outcome
        or cast({standing}.paid_amount as decimal(18, 2)) <> current_tasks.payable_amount"""
ADJUSTMENT_CANDIDATES_SQL = """
    create or replace table memory.main.ledger_unsettled as
    with decisions as (
        select task_id, outcome, paid_amount from {ledger_rows}
        where entry = 'decision'{decision_months}
    ),
    current_tasks as (
        select task_id, outcome, payable_amount from {task_payments}
        where reference_month < $month::date{current_months}
    )
    select coalesce(decisions.task_id, current_tasks.task_id) as task_id
    from decisions
    full outer join current_tasks on decisions.task_id = current_tasks.task_id
    where {decision_differs}
    union
    -- Every adjusted task, whatever its months: one standing 'not evaluated' counts in no month, yet may differ
    -- (the task came back) while an older decision of it equals the warehouse.
    select task_id from {ledger_rows} where entry = 'adjustment';
    create or replace table memory.main.ledger_standing as
    select {columns} from {ledger_rows}
    where task_id in (select task_id from memory.main.ledger_unsettled)
    -- payroll.ledger.stands_over: a later close, within one close a decision over an adjustment, then file order.
    qualify row_number() over (
        partition by task_id order by closed_month desc, entry = 'decision' desc, file_row_number desc
    ) = 1;
    create or replace table memory.main.adjustment_candidates as
    with current_tasks as (
        select task_id, outcome, payable_amount from {task_payments}
        where reference_month < $month::date and task_id in (select task_id from memory.main.ledger_unsettled)
    )
    select coalesce(standing.task_id, current_tasks.task_id) as task_id
    from memory.main.ledger_standing as standing
    full outer join current_tasks on standing.task_id = current_tasks.task_id
    where {standing_differs};
    delete from memory.main.ledger_standing
    where task_id not in (select task_id from memory.main.adjustment_candidates);
"""
# The warehouse's side of the standing fingerprint (the ledger's: payroll.ledger_copies._standing_fingerprint).
# Each row carries its hash, written with it (fct_task_payments.standing_hash), so the close only sums them
# (about 0.01 s a national month, against 0.08 s to hash the rows). The months with rows of a warehouse built
# before that column are hashed here. Grouped by the date, formatted after: strftime per row costs more.
WAREHOUSE_FINGERPRINT_SQL = f"""
    select strftime(reference_month, '%Y-%m'), tasks, hashes::varchar, hashed
    from (
        select reference_month, count(*) as tasks, sum({{standing_hash}}) as hashes, count({{standing_hash}}) as hashed
        from {TASK_PAYMENTS}
        where reference_month < $month::date and {{months}}
        group by reference_month
    )
"""
EARLIER_VIOLATIONS_SQL = f"""
    select violations.task_id, violations.rule_code, coalesce(violations.rule_title, ''), violations.evidence
    from fct_task_rule_violations as violations
    where violations.task_id in (select task_id from {TASK_PAYMENTS} where reference_month < $1::date)
    order by violations.task_id, violations.rule_code
"""
# The month's own tasks, copied into the snapshot's in-memory database (never into Python rows). A payment and
# its verdict share the reference month (fct_task_payments takes it from fct_task_evaluations): filtering both
# sides by it lets DuckDB skip the other months' verdicts (0.6 s at 24 national months, 0.09 s so), and
# MONTH_TASKS_WITHOUT_VERDICT_SQL stops the close if a payment ever lost its verdict of the same month.
MONTH_TASK_COLUMNS = (
    "task_id varchar, payee_siape varchar, reference_month date, concluded_at timestamp, outcome varchar, "
    "rules varchar, held_reason varchar, due_amount decimal(18, 2), payable_amount decimal(18, 2), "
    "capped_amount decimal(18, 2)"
)
MONTH_VIOLATION_COLUMNS = "task_id varchar, rule_code varchar, rule_title varchar, evidence varchar"
MONTH_TASKS_SQL = f"""
    insert into memory.main.month_tasks
    select
        payments.task_id, payments.payee_siape, payments.reference_month, payments.concluded_at,
        payments.outcome, coalesce(evaluations.rejection_rules, ''), evaluations.held_reason,
        payments.due_amount, payments.payable_amount, payments.capped_amount
    from {TASK_PAYMENTS} as payments
    inner join fct_task_evaluations as evaluations on payments.task_id = evaluations.task_id
    where payments.reference_month = $1::date and evaluations.reference_month = $1::date
"""
MONTH_TASKS_WITHOUT_VERDICT_SQL = f"""
    select count(*) over () as payments_without_verdict, payments.task_id
    from {TASK_PAYMENTS} as payments
    where payments.reference_month = $1::date
      and payments.task_id not in (select task_id from memory.main.month_tasks)
    order by payments.task_id
    limit 5
"""
MONTH_VIOLATIONS_SQL = """
    insert into memory.main.month_violations
    select violations.task_id, violations.rule_code, coalesce(violations.rule_title, ''), violations.evidence
    from fct_task_rule_violations as violations
    where violations.task_id in (select task_id from memory.main.month_tasks where outcome = 'rejected')
"""
# The unit (APS) names, straight from the raw_aps export the manifest fingerprints: the close's build does not
# stage the supervision exports (closing needs no supervision model).
UNITS_SQL = """
    select trim(cast(aps_code as varchar)) as unit_code, min(cast(aps_name as varchar)) as unit_name
    from {reader}
    where nullif(trim(cast(aps_code as varchar)), '') is not null
    group by all
"""
PAYEE_MONTH_COLUMNS = (
    "payee_siape", "reference_month", "payee_name", "payee_unit_code", "approved_tasks", "rejected_tasks",
    "held_tasks", "due_amount", "capped_amount", "amount",
)
PAYEE_MONTH_SQL = f"""
    select {", ".join(PAYEE_MONTH_COLUMNS)}
    from {PAYEE_MONTH_PAYMENTS}
    where reference_month = ?
    order by payee_siape
"""
MONTH_TOTALS_SQL = f"""
    select
        reference_month,
        sum(approved_tasks), sum(rejected_tasks), sum(held_tasks),
        sum(due_amount)::varchar, sum(capped_amount)::varchar, sum(amount)::varchar
    from {PAYEE_MONTH_PAYMENTS}
    where ($1::date is null or reference_month >= $1::date)
      and ($2::date is null or reference_month <= $2::date)
    group by reference_month
    order by reference_month
"""
VIOLATIONS_SQL = """
    select task_id, rule_code, coalesce(rule_title, ''), evidence
    from fct_task_rule_violations
    order by task_id, rule_code
"""
PROFESSIONALS_SQL = "select siape, name, unit_code from stg_siape__professionals where siape is not null"
PARAMETERS_SQL = """
    select name, value, effective_from, effective_to, coalesce(legal_source, ''), published_on
    from stg_reference__parameters
    where name is not null
    order by name, effective_from
"""
RULES_SQL = "select rule_code, title from stg_reference__rules order by rule_code"


@dataclass(frozen=True)
class MonthTotals:
    """One reference month summed over fct_payee_month_payments."""

    reference_month: date
    approved: int
    rejected: int
    held: int
    due_amount: Decimal
    capped_amount: Decimal
    amount: Decimal

    def line(self) -> str:
        capped = f" (the cap kept R$ {self.capped_amount:,.2f})" if self.capped_amount else ""
        return (
            f"{self.reference_month:%Y-%m}: approved {self.approved}, rejected {self.rejected}, "
            f"held {self.held}, to pay R$ {self.amount:,.2f}{capped}"
        )


def read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def month_totals(connection, first_month: date | None = None, last_month: date | None = None) -> list[MonthTotals]:
    """Tasks per outcome and amounts per reference month (none when the mart is not built)."""
    if not table_exists(connection, PAYEE_MONTH_PAYMENTS):
        return []
    rows = connection.execute(MONTH_TOTALS_SQL, [first_month, last_month]).fetchall()
    return [
        MonthTotals(month, int(approved), int(rejected), int(held), money(due), money(capped), money(amount))
        for month, approved, rejected, held, due, capped, amount in rows
    ]


def payee_month_rows(connection, month: date) -> tuple[list[str], list[tuple]]:
    """fct_payee_month_payments of one month as (header, rows), for the previews."""
    cursor = connection.execute(PAYEE_MONTH_SQL, [month])
    return [column[0] for column in cursor.description], cursor.fetchall()


def read_month_payments(connection, month: Month) -> tuple[PayeeMonthPayment, ...]:
    _, rows = payee_month_rows(connection, month.first_day)
    return tuple(
        PayeeMonthPayment(payee, Month.of(reference_month), name, unit, approved, rejected, held,
                          money(due), money(capped), money(amount))
        for payee, reference_month, name, unit, approved, rejected, held, due, capped, amount in rows
    )


def month_database() -> duckdb.DuckDBPyConnection:
    """An empty in-memory database with the snapshot's month tables."""
    database = duckdb.connect(":memory:")
    database.execute(f"create table month_tasks ({MONTH_TASK_COLUMNS})")
    database.execute(f"create table month_violations ({MONTH_VIOLATION_COLUMNS})")
    return database


def read_snapshot(warehouse: Path, project_dir: Path, month: Month,
                  ledger_files: list[Path] | None = None, log: Log | None = None) -> WarehouseSnapshot:
    """One consistent read of the published warehouse: small tables into Python, the month's tasks into memory DuckDB.

    The warehouse is attached read-only to the in-memory database, so the
    month's tasks are copied inside DuckDB (about 100 MB for a national
    month) and the file is detached before the package is written.
    ledger_files: the ledger CSVs to compare with (their columnar copies are
    read, rebuilt first when missing or stale, which `log` reports).
    """
    if not warehouse.exists():
        raise CloseFailed(f"the warehouse {warehouse} does not exist: build it first (pgb close builds it).")
    ledger_copies = None
    if ledger_files is not None:  # absolute: the queries below run from the project folder
        ledger_copies = fresh_copies([Path(path).absolute() for path in ledger_files], log)
    database = month_database()
    with contextlib.chdir(project_dir):
        database.execute("attach ? as warehouse (read_only)", [str(warehouse)])
        try:
            database.execute("use warehouse")
            snapshot = _read_attached(database, warehouse, month, project_dir, ledger_copies)
        finally:
            database.execute("use memory")
            database.execute("detach warehouse")
    return snapshot


def unit_names(connection: duckdb.DuckDBPyConnection, project_dir: Path) -> dict[str, str]:
    """APS code -> name from the raw_aps export (seed or PGB_EXPORTS_DIR file); {} when there is none."""
    path = export_path("raw_aps", settings.exports_dir(project_dir), project_dir)
    if not path.exists():
        return {}
    reader = ("read_parquet($1)" if path.suffix == ".parquet"
              else "read_csv($1, header = true, all_varchar = true, encoding = 'utf-8')")
    rows = connection.execute(UNITS_SQL.format(reader=reader), [str(path)]).fetchall()
    return {code: name or "" for code, name in rows}


def _refuse_payments_without_verdict(connection: duckdb.DuckDBPyConnection, month: Month) -> None:
    """CloseFailed unless every payment row of the month met exactly one verdict of the same month."""
    copied = connection.execute("select count(*) from memory.main.month_tasks").fetchone()[0]
    paid = connection.execute(f"select count(*) from {TASK_PAYMENTS} where reference_month = $1::date",
                              [month.first_day]).fetchone()[0]
    if copied == paid:
        return
    examples = connection.execute(MONTH_TASKS_WITHOUT_VERDICT_SQL, [month.first_day]).fetchall()
    missing = examples[0][0] if examples else paid - copied
    without = f"; {missing} have none, e.g. task(s) {', '.join(task for _, task in examples)}" if examples else ""
    raise CloseFailed(
        f"{TASK_PAYMENTS} has {paid} row(s) for {month}, and joined with their verdicts of {month} in "
        f"fct_task_evaluations they give {copied} row(s){without}: rebuild the month (pgb run --month) "
        "before closing it")


def _read_attached(connection: duckdb.DuckDBPyConnection, warehouse: Path, month: Month,
                   project_dir: Path, ledger_copies: list[ColumnarCopy] | None = None) -> WarehouseSnapshot:
    missing = [table for table in REQUIRED_TABLES if not table_exists(connection, table)]
    if missing:
        raise CloseFailed(f"{warehouse} has no {', '.join(missing)}: build the marts first (pgb close builds them).")
    connection.execute(MONTH_TASKS_SQL, [month.first_day])
    _refuse_payments_without_verdict(connection, month)
    connection.execute(MONTH_VIOLATIONS_SQL)
    earlier_tasks_sql, earlier_violations_sql = EARLIER_TASKS_SQL, EARLIER_VIOLATIONS_SQL
    standing, history, months_joined = None, None, None
    if ledger_copies is not None:
        standing, history, months_joined = _read_ledger(connection, month, ledger_copies)
        only_candidates = "payments.task_id in (select task_id from memory.main.adjustment_candidates) and "
        earlier_tasks_sql = EARLIER_TASKS_SQL.replace("where payments.reference_month", "where " + only_candidates
                                                      + "payments.reference_month")
        earlier_violations_sql = EARLIER_VIOLATIONS_SQL.replace(
            f"select task_id from {TASK_PAYMENTS} where reference_month < $1::date",
            f"select task_id from {TASK_PAYMENTS} where reference_month < $1::date and task_id in "
            "(select task_id from memory.main.adjustment_candidates)")
    tasks = tuple(_task(row) for row in connection.execute(earlier_tasks_sql, [month.first_day]).fetchall())
    month_payments = read_month_payments(connection, month)
    violations_by_task: dict[str, list[Violation]] = defaultdict(list)
    for row in connection.execute(earlier_violations_sql, [month.first_day]).fetchall():
        violations_by_task[row[0]].append(Violation(*row))
    professionals = {
        siape: Professional(siape, name or "", unit_code)
        for siape, name, unit_code in connection.execute(PROFESSIONALS_SQL).fetchall()
    }
    parameters = tuple(ParameterRow(*row) for row in connection.execute(PARAMETERS_SQL).fetchall())
    rule_titles = dict(connection.execute(RULES_SQL).fetchall())
    units = unit_names(connection, project_dir)
    return WarehouseSnapshot(
        tasks=tasks,
        month_payments=month_payments,
        violations_by_task={task: tuple(rows) for task, rows in violations_by_task.items()},
        professionals=professionals,
        parameters=parameters,
        rule_titles=rule_titles,
        month_db=connection,
        unit_names=units,
        ledger_standing=standing,
        ledger_history=history,
        ledger_months_joined=months_joined,
    )


def _read_ledger(connection: duckdb.DuckDBPyConnection, month: Month, copies: list[ColumnarCopy]):
    """The standing of the earlier tasks that differ from the warehouse, what each close paid, and the months
    joined (None: every month, the ledger's fingerprint being unchecked)."""
    months = months_to_join(connection, month, copies)
    history = tuple(sorted(row for copy in copies for row in copy.history))
    if months == []:
        for table in ("ledger_unsettled", "adjustment_candidates"):
            connection.execute(f"create or replace table memory.main.{table} (task_id varchar)")
        connection.execute("create or replace table memory.main.ledger_standing as "
                           f"select * from {NO_LEDGER_COPIES.replace(', null::bigint as file_row_number', '')}")
        return {}, history, ()
    ledger_rows = LEDGER_COPIES if copies else NO_LEDGER_COPIES
    columns = ", ".join(LEDGER_COLUMNS)
    script = ADJUSTMENT_CANDIDATES_SQL.format(
        ledger_rows=ledger_rows, task_payments=TASK_PAYMENTS, columns=columns,
        decision_differs=STANDING_DIFFERS.format(standing="decisions"),
        standing_differs=STANDING_DIFFERS.format(standing="standing"),
        decision_months="" if months is None else " and list_contains($months, reference_month)",
        current_months="" if months is None else " and list_contains($months, strftime(reference_month, '%Y-%m'))",
    )
    values = {"copies": [str(copy.path) for copy in copies], "month": month.first_day, "months": months}
    for statement in script.split(";"):
        if statement.strip():
            used = {name: value for name, value in values.items() if f"${name}" in statement}
            connection.execute(statement, used or None)
    standing = {
        row[2]: LedgerEntry.from_row(dict(zip(LEDGER_COLUMNS, row, strict=True)))
        for row in connection.execute(f"select {columns} from memory.main.ledger_standing order by task_id").fetchall()
    }
    return standing, history, None if months is None else tuple(months)


def warehouse_fingerprint(connection: duckdb.DuckDBPyConnection, month: Month) -> Fingerprint:
    """The standing fingerprint of fct_task_payments before `month` (the ledger's: payroll.ledger_copies)."""
    computed = STANDING_HASH_SQL.format(task="task_id", outcome="outcome", amount="payable_amount")
    stored = connection.execute(
        "select count(*) from information_schema.columns where table_name = $table and column_name = 'standing_hash'",
        {"table": TASK_PAYMENTS}).fetchone()[0]
    rows = connection.execute(WAREHOUSE_FINGERPRINT_SQL.format(
        standing_hash="standing_hash" if stored else computed, months="true"), {"month": month.first_day}).fetchall()
    fingerprint = {reference_month: (int(tasks), int(hashes)) for reference_month, tasks, hashes, hashed in rows
                   if hashed == tasks}
    unhashed = [reference_month for reference_month, tasks, _, hashed in rows if hashed != tasks]
    if unhashed:
        rows = connection.execute(WAREHOUSE_FINGERPRINT_SQL.format(
            standing_hash=computed, months="list_contains($months, strftime(reference_month, '%Y-%m'))"),
            {"month": month.first_day, "months": unhashed}).fetchall()
        fingerprint.update({reference_month: (int(tasks), int(hashes)) for reference_month, tasks, hashes, _ in rows})
    return fingerprint


def months_to_join(connection: duckdb.DuckDBPyConnection, month: Month, copies: list[ColumnarCopy]) -> list[str] | None:
    """The reference months (YYYY-MM) whose fingerprints differ between the ledger's newest close and the
    warehouse; None when the ledger's fingerprint is not checked (every month is then joined)."""
    if copies and copies[-1].fingerprint is None:
        return None
    ledger = copies[-1].fingerprint if copies else {}
    warehouse = warehouse_fingerprint(connection, month)
    return sorted(reference_month for reference_month in set(ledger) | set(warehouse)
                  if ledger.get(reference_month, (0, 0)) != warehouse.get(reference_month, (0, 0)))


def _task(row: tuple) -> TaskPayment:
    task_id, payee, reference_month, concluded_at, outcome, rules, held_reason, due, payable = row
    return TaskPayment(
        task_id=task_id,
        payee_siape=payee,
        reference_month=Month.of(reference_month),
        concluded_at=concluded_at,
        outcome=outcome,
        rules=rules or "",
        held_reason=held_reason,
        due_amount=money(due),
        payable_amount=money(payable),
    )


# Every month before $1 with evaluated tasks in the exports (contract 2: extraordinary queue, concluded, on or
# after the program start in force that day), read from the staged tasks: a close may have built only its own
# month's partition, so the marts alone could miss an earlier month.
EVALUATED_MONTHS_SQL = """
    select cast(date_trunc('month', tasks.concluded_at) as date) as reference_month, count(*) as evaluated_tasks
    from stg_get__tasks as tasks
    inner join int_parameters__in_force_by_day as parameters on cast(tasks.concluded_at as date) = parameters.day
    where
        tasks.queue_type = 'extraordinaria'
        and tasks.status = 'concluida'
        and tasks.concluded_at >= parameters.program_start
        and tasks.concluded_at < $1::date
    group by all
    order by reference_month
"""
BUILT_MONTHS_SQL = f"""
    select reference_month, count(*), sum(payable_amount)::varchar
    from {TASK_PAYMENTS}
    where reference_month < $1::date
    group by all
"""


@dataclass(frozen=True)
class MonthWithTasks:
    """A reference month that has evaluated tasks, and what they pay (None: its partition is not built yet)."""

    month: Month
    evaluated_tasks: int
    amount: Decimal | None


def months_with_tasks_before(warehouse: Path, project_dir: Path, month: Month) -> list[MonthWithTasks]:
    """Months before `month` with evaluated tasks; [] when the warehouse is not built (nothing known yet)."""
    if not warehouse.exists():
        return []
    with contextlib.chdir(project_dir), read_only(warehouse) as connection:
        if not all(table_exists(connection, table) for table in ("stg_get__tasks", "int_parameters__in_force_by_day")):
            return []
        counted = connection.execute(EVALUATED_MONTHS_SQL, [month.first_day]).fetchall()
        built = {}
        if table_exists(connection, TASK_PAYMENTS):
            built = {row[0]: (row[1], money(row[2])) for row in connection.execute(BUILT_MONTHS_SQL, [month.first_day])
                     .fetchall()}
    return [
        MonthWithTasks(Month.of(reference_month), tasks,
                       built[reference_month][1] if built.get(reference_month, (None,))[0] == tasks else None)
        for reference_month, tasks in counted
    ]
