"""Small in-memory tasks, payee-month rows and ledgers for the payroll unit tests."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from payroll.ledger import DECISION, LedgerEntry
from payroll.model import APPROVED, HELD, REJECTED, PayeeMonthPayment, TaskPayment, Violation, WarehouseSnapshot
from payroll.money import money, total
from payroll.months import Month
from payroll.warehouse import month_database


def task(task_id, payee="0100001", concluded="2025-06-02 19:00:00", outcome=APPROVED, rules="", amount="68.00",
         payable=None, held_reason=None) -> TaskPayment:
    """A task as the marts give it: due `amount`, paid `payable` (default: all of it, no cap)."""
    concluded_at = datetime.fromisoformat(concluded)
    return TaskPayment(task_id, payee, Month.of(concluded_at.date()), concluded_at, outcome, rules, held_reason,
                       money(amount), money(amount if payable is None else payable))


def payee_months(tasks, month: Month) -> tuple[PayeeMonthPayment, ...]:
    """What fct_payee_month_payments holds for these tasks (the unit tests' stand-in for the SQL sum)."""
    by_payee = defaultdict(list)
    for item in tasks:
        if item.reference_month == month:
            by_payee[item.payee_siape].append(item)
    return tuple(
        PayeeMonthPayment(
            payee, month, f"Name {payee}", "APS01",
            sum(t.outcome == APPROVED for t in rows), sum(t.outcome == REJECTED for t in rows),
            sum(t.outcome == HELD for t in rows), total(t.due_amount for t in rows),
            total(t.due_amount - t.payable_amount for t in rows), total(t.payable_amount for t in rows),
        )
        for payee, rows in sorted(by_payee.items())
    )


def snapshot(tasks, month: Month | None = None, violations=(), unit_names=None) -> WarehouseSnapshot:
    """As payroll.warehouse.read_snapshot gives it: the tasks before `month` as records, the month's own tasks (and
    their violations) in the in-memory database, later months left out."""
    earlier = [t for t in tasks if month is None or t.reference_month < month]
    month_tasks = [t for t in tasks if month is not None and t.reference_month == month]
    earlier_ids = {t.task_id for t in earlier}
    by_task: dict[str, tuple[Violation, ...]] = {}
    for violation in violations:
        if violation.task_id in earlier_ids:
            by_task[violation.task_id] = by_task.get(violation.task_id, ()) + (violation,)
    database = month_database()
    if month_tasks:
        database.executemany(
            "insert into month_tasks values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[t.task_id, t.payee_siape, t.reference_month.first_day, t.concluded_at, t.outcome, t.rules,
              t.held_reason, t.due_amount, t.payable_amount, t.due_amount - t.payable_amount] for t in month_tasks],
        )
    month_ids = {t.task_id for t in month_tasks}
    month_violations = [[v.task_id, v.rule_code, v.rule_title, v.evidence] for v in violations if v.task_id in month_ids]
    if month_violations:
        database.executemany("insert into month_violations values (?, ?, ?, ?)", month_violations)
    month_rows = payee_months(tasks, month) if month else ()
    return WarehouseSnapshot(tuple(earlier), month_rows, by_task, {}, (), {}, database, unit_names or {})


def decided(task_id, month="2025-06", outcome=APPROVED, paid="68.00", due=None, payee="0100001") -> LedgerEntry:
    return LedgerEntry(month, DECISION, task_id, month, payee, outcome, "", money(due or paid), money(paid), money(paid))

