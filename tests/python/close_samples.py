"""Small in-memory verdicts, parameters and ledgers for the close unit tests."""

from __future__ import annotations

from datetime import date, datetime

from pgb_close.ledger import DECISION, LedgerEntry
from pgb_close.model import APPROVED, ParameterRow, TaskVerdict, Violation, WarehouseSnapshot
from pgb_close.money import money
from pgb_close.months import Month

PROGRAM_START = date(2025, 5, 19)


def verdict(task_id, payee="0100001", concluded="2025-06-02 19:00:00", outcome=APPROVED, rules="", amount="68.00",
            held_reason=None, unit="APS01") -> TaskVerdict:
    concluded_at = datetime.fromisoformat(concluded)
    return TaskVerdict(task_id, payee, Month.of(concluded_at.date()), concluded_at, outcome, rules, held_reason,
                       money(amount), unit)


def parameter(name, value, start=PROGRAM_START, end=None) -> ParameterRow:
    return ParameterRow(name, value, start, end, "test", start)


def snapshot(verdicts, parameters=(), violations=()) -> WarehouseSnapshot:
    by_task: dict[str, tuple[Violation, ...]] = {}
    for violation in violations:
        by_task[violation.task_id] = by_task.get(violation.task_id, ()) + (violation,)
    return WarehouseSnapshot(tuple(verdicts), by_task, {}, tuple(parameters), {})


def decided(task_id, month="2025-06", outcome=APPROVED, paid="68.00", due=None, payee="0100001") -> LedgerEntry:
    return LedgerEntry(month, DECISION, task_id, month, payee, outcome, "", money(due or paid), money(paid), money(paid))
