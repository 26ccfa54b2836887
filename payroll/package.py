"""The content of one close, assembled in memory before anything is written.

Amounts come from the warehouse as they are: payments from
fct_payee_month_payments, each task's due and payable amount from
fct_task_payments. Python adds only the adjustments (ledger standing vs the
payable amount now) and their per-payee sums.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from payroll.adjustments import Adjustment, find_adjustments
from payroll.ledger import ADJUSTMENT, DECISION, LedgerEntry
from payroll.model import HELD, REJECTED, ParameterRow, PayeeMonthPayment, WarehouseSnapshot
from payroll.money import ZERO, money, total
from payroll.months import Month

NO_UNIT = "(sem unidade)"


@dataclass(frozen=True)
class PaymentRow:
    """A row of payments.csv: the payee's fct_payee_month_payments row, plus the adjustments."""

    payee_siape: str
    name: str
    unit_code: str
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
class HistoryRow:
    """One close in the comparison: what it paid for its month, and in adjustments."""

    month: str
    amount: Decimal
    adjustments: Decimal

    @property
    def net_amount(self) -> Decimal:
        return money(self.amount + self.adjustments)


@dataclass(frozen=True)
class ClosePackage:
    month: Month
    ledger_start: Month
    payments: list[PaymentRow]
    rejections: list[RejectionRow]
    held: list[HeldRow]
    adjustments: list[Adjustment]
    ledger_entries: list[LedgerEntry]
    totals: dict[str, object]
    rejections_by_rule: list[tuple[str, str, int]]  # (code, Portuguese title, tasks)
    amount_by_unit: list[tuple[str, Decimal, Decimal, Decimal]]  # (unit, amount, adjustments, net)
    history: list[HistoryRow]  # earlier closes, then this one
    parameters: list[ParameterRow]


def build_package(
    month: Month,
    snapshot: WarehouseSnapshot,
    standing: dict[str, LedgerEntry],
    earlier_entries: list[LedgerEntry],
    ledger_start: Month,
) -> ClosePackage:
    """The month's tasks and the adjustments of earlier ones, from one warehouse snapshot.

    Tasks before the ledger's first close were paid outside it and are left
    alone; tasks of later months wait for their own close.
    """
    month_tasks = [task for task in snapshot.tasks if task.reference_month == month and task.task_id not in standing]
    adjustments = find_adjustments(month, ledger_start, standing, snapshot)
    payments = payment_rows(snapshot, adjustments)
    history = close_history(earlier_entries) + [
        HistoryRow(str(month), total(p.amount for p in payments), total(p.adjustments for p in payments))
    ]
    return ClosePackage(
        month=month,
        ledger_start=ledger_start,
        payments=payments,
        rejections=rejection_rows(month_tasks, snapshot),
        held=[HeldRow(t.task_id, t.payee_siape, t.concluded_at, t.held_reason or "") for t in month_tasks if t.outcome == HELD],
        adjustments=adjustments,
        ledger_entries=ledger_entries(month, month_tasks, adjustments, snapshot),
        totals=close_totals(snapshot.month_payments, payments, adjustments),
        rejections_by_rule=rejections_by_rule(month_tasks, snapshot),
        amount_by_unit=amount_by_unit(payments),
        history=history,
        parameters=parameters_used(snapshot.parameters, month),
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


def rejection_rows(month_tasks, snapshot) -> list[RejectionRow]:
    rows = []
    for task in sorted(month_tasks, key=lambda t: t.task_id):
        if task.outcome == REJECTED:
            rows += [
                RejectionRow(task.task_id, task.payee_siape, task.concluded_at, task.rules,
                             violation.rule_code, violation.rule_title, violation.evidence)
                for violation in snapshot.violations_of(task.task_id)
            ]
    return rows


def ledger_entries(month, month_tasks, adjustments, snapshot) -> list[LedgerEntry]:
    """The month's decisions, then the adjustments' new standing, each task once."""
    entries = [
        LedgerEntry(str(month), DECISION, t.task_id, str(t.reference_month), t.payee_siape, t.outcome, t.rules,
                    t.due_amount, t.payable_amount, t.payable_amount)
        for t in sorted(month_tasks, key=lambda t: t.task_id)
    ]
    current_by_task = {task.task_id: task for task in snapshot.tasks}
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


def rejections_by_rule(month_tasks, snapshot) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for task in month_tasks:
        for violation in snapshot.violations_of(task.task_id):
            counts[violation.rule_code] += 1
            titles[violation.rule_code] = violation.rule_title or snapshot.rule_titles.get(violation.rule_code, "")
    return sorted(((code, titles[code], n) for code, n in counts.items()), key=lambda row: (-row[2], row[0]))


def amount_by_unit(payments: list[PaymentRow]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    by_unit: dict[str, list[PaymentRow]] = defaultdict(list)
    for payment in payments:
        by_unit[payment.unit_code or NO_UNIT].append(payment)
    return [
        (unit, total(p.amount for p in rows), total(p.adjustments for p in rows), total(p.net_amount for p in rows))
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
