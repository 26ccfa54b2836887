"""The content of one close, assembled before anything is written.

Amounts come from the warehouse as they are: payments from
fct_payee_month_payments, each task's due and payable amount from
fct_task_payments. Python adds only the adjustments (ledger standing vs the
payable amount now) and their per-payee sums.

A national month has about 1.2 million evaluated tasks: they stay in the
snapshot's in-memory DuckDB database (`month_db`). The package holds what a
person reads (payments per professional, per rule, per unit, adjustments)
and, for the task lists, at most XLSX_TASK_LIST_LIMIT rows; the writers
COPY the complete task-level CSVs from the database, and the ledger streams
its rows from it.
"""

from __future__ import annotations

import csv
import getpass
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import duckdb

from payroll.adjustments import Adjustment, find_adjustments
from payroll.ledger import ADJUSTMENT, DECISION, COLUMNS as LEDGER_COLUMNS, LedgerEntry
from payroll.model import ParameterRow, PayeeMonthPayment, WarehouseSnapshot
from payroll.money import ZERO, money, total
from payroll.months import Month
from pgb_shared.files import append_file

NO_UNIT = "(sem unidade)"
# summary.html lists the rejected and held tasks up to this many rows; above it (a national month has tens of
# thousands of rejections) the page shows the summaries per rule and per unit and links to the CSVs.
HTML_TASK_LIST_LIMIT = 1_000
# close.xlsx carries the task lists up to this many rows (Excel's own limit is 1,048,576 rows a sheet);
# above it they are only in the CSVs, and the summary sheet says so.
XLSX_TASK_LIST_LIMIT = 5_000
LEDGER_BATCH_ROWS = 50_000
EARLIEST_MONTH = Month(1, 1)


def operator_name() -> str:
    """The OS user running the close, the default "prepared by" (a container may have no user name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "(usuário do sistema desconhecido)"


@dataclass(frozen=True)
class Signature:
    """Who prepared the close and when (the HTML's signature block; the manifest)."""

    prepared_by: str
    prepared_at: datetime
    run_id: str | None = None  # the Dagster run that closed the month


@dataclass(frozen=True)
class PaymentRow:
    """A row of payments.csv: the payee's fct_payee_month_payments row, plus the adjustments."""

    payee_siape: str
    name: str
    unit_code: str
    unit_name: str
    approved_tasks: int
    rejected_tasks: int
    held_tasks: int
    amount: Decimal  # the month's approved tasks x value in force, after the cap
    capped_amount: Decimal  # what the cap kept out of `amount`
    adjustments: Decimal
    net_amount: Decimal


@dataclass(frozen=True)
class RejectionRow:
    task_id: str
    payee_siape: str
    concluded_at: datetime
    rules: str
    rule_code: str
    rule_title: str
    evidence: str


@dataclass(frozen=True)
class HeldRow:
    task_id: str
    payee_siape: str
    concluded_at: datetime
    reason: str


@dataclass(frozen=True)
class TaskList:
    """A task list of the month: every row when there are at most XLSX_TASK_LIST_LIMIT, else none (CSV only)."""

    csv_name: str
    count: int  # rows in the CSV
    tasks: int  # distinct tasks
    rows: list = field(default_factory=list)

    @property
    def in_package(self) -> bool:
        return len(self.rows) == self.count


@dataclass(frozen=True)
class RuleCount:
    rule_code: str
    rule_title: str
    tasks: int


@dataclass(frozen=True)
class UnitAmount:
    """The month per unit (APS): sums of the payments rows of its professionals."""

    unit_code: str
    unit_name: str
    payees: int
    approved_tasks: int
    rejected_tasks: int
    held_tasks: int
    amount: Decimal
    adjustments: Decimal
    net_amount: Decimal

    @property
    def label(self) -> str:
        return f"{self.unit_code} {self.unit_name}".strip()


@dataclass(frozen=True)
class HistoryRow:
    """One close in the comparison: what it paid for its month, and in adjustments."""

    month: str
    amount: Decimal
    adjustments: Decimal

    @property
    def net_amount(self) -> Decimal:
        return money(self.amount + self.adjustments)


class LedgerRow:
    """A decision row of the ledger, as text: what Ledger.write_close asks of an entry (as_row)."""

    __slots__ = ("_row",)

    def __init__(self, row: dict[str, str]):
        self._row = row

    def as_row(self) -> dict[str, str]:
        return self._row

    def __getattr__(self, name: str) -> str:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None


DECISIONS_SQL = """
    select
        '{closed_month}' as closed_month, '{entry}' as entry, task_id,
        strftime(reference_month, '%Y-%m') as reference_month, payee_siape, outcome, nullif(rules, '') as rules,
        due_amount::varchar as due_amount, payable_amount::varchar as paid_amount,
        payable_amount::varchar as delta_amount
    from month_tasks
    order by task_id
"""


@dataclass(frozen=True)
class LedgerEntries:
    """The close's ledger rows: the month's decisions streamed from month_db (1.2 million for a national month,
    never held in memory at once), then the adjustments' new standing."""

    month_db: duckdb.DuckDBPyConnection
    month: Month
    adjustments: tuple[LedgerEntry, ...]

    def __len__(self) -> int:
        return self.month_db.execute("select count(*) from month_tasks").fetchone()[0] + len(self.adjustments)

    def _decisions_sql(self) -> str:
        return DECISIONS_SQL.format(closed_month=self.month, entry=DECISION)

    def __iter__(self) -> Iterator[LedgerRow | LedgerEntry]:
        cursor = self.month_db.cursor()
        try:
            cursor.execute(self._decisions_sql())
            while batch := cursor.fetchmany(LEDGER_BATCH_ROWS):
                for row in batch:
                    yield LedgerRow(dict(zip(LEDGER_COLUMNS, ("" if v is None else v for v in row), strict=True)))
        finally:
            cursor.close()
        yield from self.adjustments

    def write_csv_rows(self, handle: TextIO) -> None:
        """The rows as csv.DictWriter writes them (no header, LF, quoted only when needed), by DuckDB's COPY."""
        descriptor, name = tempfile.mkstemp(prefix=".ledger-", suffix=".csv", dir=Path(handle.name).parent)
        os.close(descriptor)
        scratch = Path(name)
        try:
            self.month_db.execute(
                f"copy ({self._decisions_sql()}) to '{str(scratch).replace(chr(39), chr(39) * 2)}' "
                "(format csv, header false, delimiter ',', quote '\"', new_line '\\n')"
            )
            handle.flush()
            append_file(scratch, handle.buffer)
        finally:
            scratch.unlink(missing_ok=True)
        writer = csv.DictWriter(handle, fieldnames=LEDGER_COLUMNS, lineterminator="\n")
        writer.writerows(entry.as_row() for entry in self.adjustments)


@dataclass(frozen=True)
class ClosePackage:
    month: Month
    ledger_start: Month
    payments: list[PaymentRow]
    rejections: TaskList  # of RejectionRow: one row per rejected task and rule that fired
    held: TaskList  # of HeldRow
    adjustments: list[Adjustment]
    ledger_entries: LedgerEntries | list
    totals: dict[str, object]
    rejections_by_rule: list[RuleCount]
    amount_by_unit: list[UnitAmount]
    history: list[HistoryRow]  # earlier closes, then this one
    parameters: list[ParameterRow]
    month_db: duckdb.DuckDBPyConnection | None = None  # month_tasks, month_violations (payroll.warehouse)
    signature: Signature | None = None
    unit_names: dict[str, str] = field(default_factory=dict)

    def unit_label(self, code: str | None) -> str:
        """'23001010 APS Centro' (the code alone when raw_aps does not name it)."""
        if not code:
            return NO_UNIT
        return f"{code} {self.unit_names.get(code, '')}".strip()


def build_package(
    month: Month,
    snapshot: WarehouseSnapshot,
    standing: dict[str, LedgerEntry],
    earlier_entries: list[LedgerEntry],
    ledger_start: Month,
    signature: Signature | None = None,
    earlier_history: tuple[tuple[str, Decimal, Decimal], ...] | None = None,
) -> ClosePackage:
    """The month's tasks and the adjustments of earlier ones, from one warehouse snapshot.

    Tasks of later months wait for their own close.
    """
    database = snapshot.month_db
    already_decided = [entry.task_id for entry in standing.values() if entry.reference_month == str(month)]
    if already_decided:  # only a hand-edited ledger gets here: such a task stays with its decision
        database.execute("delete from month_tasks where list_contains($1, task_id)", [already_decided])
        database.execute("delete from month_violations where list_contains($1, task_id)", [already_decided])
    # Nothing is skipped: a late task of any earlier month (evaluated tasks start at the program start) that no
    # close has decided is carried here, even one before the ledger's first close.
    adjustments = find_adjustments(month, EARLIEST_MONTH, standing, snapshot)
    payments = payment_rows(snapshot, adjustments)
    earlier = ([HistoryRow(closed, money(decisions), money(adjusted)) for closed, decisions, adjusted in earlier_history]
               if earlier_history is not None else close_history(earlier_entries))
    history = earlier + [
        HistoryRow(str(month), total(p.amount for p in payments), total(p.adjustments for p in payments))
    ]
    return ClosePackage(
        month=month,
        ledger_start=ledger_start,
        payments=payments,
        rejections=rejection_list(database),
        held=held_list(database),
        adjustments=adjustments,
        ledger_entries=LedgerEntries(database, month, tuple(adjustment_entries(month, adjustments, snapshot))),
        totals=close_totals(snapshot.month_payments, payments, adjustments),
        rejections_by_rule=rejections_by_rule(database, snapshot.rule_titles),
        amount_by_unit=amount_by_unit(payments, snapshot.unit_names),
        history=history,
        parameters=parameters_used(snapshot.parameters, month),
        month_db=database,
        signature=signature,
        unit_names=snapshot.unit_names,
    )


def payment_rows(snapshot: WarehouseSnapshot, adjustments: list[Adjustment]) -> list[PaymentRow]:
    """fct_payee_month_payments of the month as it is, each with its adjustments; payees with only
    adjustments get a row of zeros."""
    deltas_by_payee: dict[str, list[Decimal]] = defaultdict(list)
    for adjustment in adjustments:
        deltas_by_payee[adjustment.payee_siape].append(adjustment.delta_amount)
    month_rows = {row.payee_siape: row for row in snapshot.month_payments}
    rows = []
    for payee in sorted(set(month_rows) | set(deltas_by_payee)):
        month_row = month_rows.get(payee)
        professional = snapshot.professionals.get(payee)
        adjustments_total = total(deltas_by_payee.get(payee, []))
        amount = month_row.amount if month_row else ZERO
        if month_row:
            name, unit = month_row.name, month_row.unit_code
        else:
            name, unit = (professional.name, professional.unit_code) if professional else (None, None)
        rows.append(
            PaymentRow(
                payee_siape=payee,
                name=name or "",
                unit_code=unit or "",
                unit_name=snapshot.unit_names.get(unit or "", ""),
                approved_tasks=month_row.approved_tasks if month_row else 0,
                rejected_tasks=month_row.rejected_tasks if month_row else 0,
                held_tasks=month_row.held_tasks if month_row else 0,
                amount=amount,
                capped_amount=month_row.capped_amount if month_row else ZERO,
                adjustments=adjustments_total,
                net_amount=money(amount + adjustments_total),
            )
        )
    return rows


REJECTIONS_SQL = """
    select tasks.task_id, tasks.payee_siape, tasks.concluded_at, tasks.rules, violations.rule_code,
           violations.rule_title, violations.evidence
    from month_tasks as tasks
    inner join month_violations as violations on tasks.task_id = violations.task_id
    where tasks.outcome = 'rejected'
    order by tasks.task_id, violations.rule_code
"""
HELD_SQL = """
    select task_id, payee_siape, concluded_at, coalesce(held_reason, '') as reason
    from month_tasks
    where outcome = 'held'
    order by task_id
"""


def _task_list(database, csv_name: str, sql: str, row_class) -> TaskList:
    count, tasks = database.execute(f"select count(*), count(distinct task_id) from ({sql})").fetchone()
    rows = []
    if count <= XLSX_TASK_LIST_LIMIT:
        rows = [row_class(*row) for row in database.execute(sql).fetchall()]
    return TaskList(csv_name, count, tasks, rows)


def rejection_list(database) -> TaskList:
    return _task_list(database, "rejections.csv", REJECTIONS_SQL, RejectionRow)


def held_list(database) -> TaskList:
    return _task_list(database, "held.csv", HELD_SQL, HeldRow)


def adjustment_entries(month: Month, adjustments: list[Adjustment], snapshot: WarehouseSnapshot) -> list[LedgerEntry]:
    """The adjustments' new standing, each task once (after the month's decisions in the ledger)."""
    current_by_task = {task.task_id: task for task in snapshot.tasks}
    entries = []
    for adjustment in adjustments:
        current = current_by_task.get(adjustment.task_id)
        entries.append(
            LedgerEntry(str(month), ADJUSTMENT, adjustment.task_id, adjustment.original_month, adjustment.payee_siape,
                        adjustment.new_outcome, adjustment.rules, current.due_amount if current else ZERO,
                        adjustment.new_amount, adjustment.delta_amount)
        )
    return entries


def close_totals(month_payments: tuple[PayeeMonthPayment, ...], payments, adjustments) -> dict[str, object]:
    """The month's counts and amounts summed from the mart's rows; adjustments from this close."""
    amount = total(row.amount for row in month_payments)
    adjustments_amount = total(a.delta_amount for a in adjustments)
    approved, rejected, held = (sum(getattr(row, column) for row in month_payments)
                                for column in ("approved_tasks", "rejected_tasks", "held_tasks"))
    return {
        "payees": len(payments),
        "evaluated_tasks": approved + rejected + held,
        "approved_tasks": approved,
        "rejected_tasks": rejected,
        "held_tasks": held,
        "gross_amount": total(row.due_amount for row in month_payments),
        "capped_amount": total(row.capped_amount for row in month_payments),
        "amount": amount,
        "adjustments_count": len(adjustments),
        "adjustments_amount": adjustments_amount,
        "net_amount": money(amount + adjustments_amount),
    }


RULE_COUNTS_SQL = """
    select violations.rule_code, max(violations.rule_title), count(distinct violations.task_id) as tasks
    from month_violations as violations
    inner join month_tasks as tasks on violations.task_id = tasks.task_id
    where tasks.outcome = 'rejected'
    group by violations.rule_code
    order by tasks desc, violations.rule_code
"""


def rejections_by_rule(database, rule_titles: dict[str, str]) -> list[RuleCount]:
    """Rejected tasks per rule that fired (a task rejected by two rules counts under both)."""
    return [RuleCount(code, title or rule_titles.get(code, ""), tasks)
            for code, title, tasks in database.execute(RULE_COUNTS_SQL).fetchall()]


def amount_by_unit(payments: list[PaymentRow], unit_names: dict[str, str]) -> list[UnitAmount]:
    by_unit: dict[str, list[PaymentRow]] = defaultdict(list)
    for payment in payments:
        by_unit[payment.unit_code].append(payment)
    return [
        UnitAmount(
            unit_code=unit or NO_UNIT,
            unit_name=unit_names.get(unit, "") if unit else "",
            payees=len(rows),
            approved_tasks=sum(p.approved_tasks for p in rows),
            rejected_tasks=sum(p.rejected_tasks for p in rows),
            held_tasks=sum(p.held_tasks for p in rows),
            amount=total(p.amount for p in rows),
            adjustments=total(p.adjustments for p in rows),
            net_amount=total(p.net_amount for p in rows),
        )
        for unit, rows in sorted(by_unit.items())
    ]


def close_history(entries: list[LedgerEntry]) -> list[HistoryRow]:
    amounts: dict[str, dict[str, Decimal]] = defaultdict(lambda: {DECISION: ZERO, ADJUSTMENT: ZERO})
    for entry in entries:
        amounts[entry.closed_month][entry.entry] += entry.delta_amount
    return [HistoryRow(month, money(a[DECISION]), money(a[ADJUSTMENT])) for month, a in sorted(amounts.items())]


def parameters_used(parameters: tuple[ParameterRow, ...], month: Month) -> list[ParameterRow]:
    """Every version that took effect on or before the month's last day, by name and date (for the manifest).

    Earlier versions stay listed: the close's adjustments re-price tasks of
    earlier months with the version in force at their conclusion.
    """
    rows = [row for row in parameters if row.effective_from <= month.last_day]
    return sorted(rows, key=lambda row: (row.name, row.effective_from))
