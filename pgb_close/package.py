"""The content of one close, computed in memory before anything is written."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from pgb_close.adjustments import Adjustment, find_adjustments
from pgb_close.cap import allocate
from pgb_close.ledger import ADJUSTMENT, DECISION, LedgerEntry
from pgb_close.model import APPROVED, HELD, REJECTED, ParameterRow, TaskVerdict, WarehouseSnapshot
from pgb_close.money import ZERO, money, total
from pgb_close.months import Month
from pgb_close.parameters import cap_rule_on, parameters_used

NO_UNIT = "(sem unidade)"


@dataclass(frozen=True)
class PaymentRow:
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
    """Decide the month's tasks and the adjustments of earlier ones, from one warehouse snapshot.

    Tasks before the ledger's first close were paid outside it and are left
    alone; tasks of later months wait for their own close.
    """
    in_scope = [
        verdict
        for verdict in snapshot.verdicts
        if ledger_start <= verdict.reference_month <= month or verdict.task_id in standing
    ]
    cap_on_day = lru_cache(maxsize=None)(lambda day: cap_rule_on(snapshot.parameters, day))
    paid = allocate(in_scope, lambda verdict: cap_on_day(verdict.concluded_at.date()))
    month_tasks = [v for v in in_scope if v.reference_month == month and v.task_id not in standing]
    adjustments = find_adjustments(month, ledger_start, standing, snapshot, paid)
    payments = payment_rows(month_tasks, adjustments, paid, snapshot)
    history = close_history(earlier_entries) + [
        HistoryRow(str(month), total(p.amount for p in payments), total(p.adjustments for p in payments))
    ]
    return ClosePackage(
        month=month,
        ledger_start=ledger_start,
        payments=payments,
        rejections=rejection_rows(month_tasks, snapshot),
        held=[HeldRow(v.task_id, v.payee_siape, v.concluded_at, v.held_reason or "") for v in month_tasks if v.outcome == HELD],
        adjustments=adjustments,
        ledger_entries=ledger_entries(month, month_tasks, adjustments, standing, paid, snapshot),
        totals=close_totals(month_tasks, payments, adjustments),
        rejections_by_rule=rejections_by_rule(month_tasks, snapshot),
        amount_by_unit=amount_by_unit(payments),
        history=history,
        parameters=parameters_used(snapshot.parameters, month),
    )


def payment_rows(month_tasks, adjustments, paid, snapshot) -> list[PaymentRow]:
    tasks_by_payee: dict[str, list[TaskVerdict]] = defaultdict(list)
    for verdict in month_tasks:
        tasks_by_payee[verdict.payee_siape].append(verdict)
    deltas_by_payee: dict[str, list[Decimal]] = defaultdict(list)
    for adjustment in adjustments:
        deltas_by_payee[adjustment.payee_siape].append(adjustment.delta_amount)
    rows = []
    for payee in sorted(set(tasks_by_payee) | set(deltas_by_payee)):
        tasks = tasks_by_payee.get(payee, [])
        outcomes = Counter(task.outcome for task in tasks)
        amount = total(paid[task.task_id] for task in tasks)
        adjustments_total = total(deltas_by_payee.get(payee, []))
        professional = snapshot.professionals.get(payee)
        unit = (professional.unit_code if professional else None) or next((t.unit_code for t in tasks if t.unit_code), None)
        rows.append(
            PaymentRow(
                payee_siape=payee,
                name=professional.name if professional else "",
                unit_code=unit or "",
                approved_tasks=outcomes[APPROVED],
                rejected_tasks=outcomes[REJECTED],
                held_tasks=outcomes[HELD],
                amount=amount,
                capped_amount=money(total(task.due_amount for task in tasks) - amount),
                adjustments=adjustments_total,
                net_amount=money(amount + adjustments_total),
            )
        )
    return rows


def rejection_rows(month_tasks, snapshot) -> list[RejectionRow]:
    rows = []
    for verdict in sorted(month_tasks, key=lambda v: v.task_id):
        if verdict.outcome == REJECTED:
            rows += [
                RejectionRow(verdict.task_id, verdict.payee_siape, verdict.concluded_at, verdict.rules,
                             violation.rule_code, violation.rule_title, violation.evidence)
                for violation in snapshot.violations_of(verdict.task_id)
            ]
    return rows


def ledger_entries(month, month_tasks, adjustments, standing, paid, snapshot) -> list[LedgerEntry]:
    """The month's decisions, then the adjustments' new standing, each task once."""
    entries = [
        LedgerEntry(str(month), DECISION, v.task_id, str(v.reference_month), v.payee_siape, v.outcome, v.rules,
                    v.due_amount, paid[v.task_id], paid[v.task_id])
        for v in sorted(month_tasks, key=lambda v: v.task_id)
    ]
    current_by_task = {verdict.task_id: verdict for verdict in snapshot.verdicts}
    for adjustment in adjustments:
        current = current_by_task.get(adjustment.task_id)
        entries.append(
            LedgerEntry(str(month), ADJUSTMENT, adjustment.task_id, adjustment.original_month, adjustment.payee_siape,
                        adjustment.new_outcome, adjustment.rules, current.due_amount if current else ZERO,
                        adjustment.new_amount, adjustment.delta_amount)
        )
    return entries


def close_totals(month_tasks, payments, adjustments) -> dict[str, object]:
    outcomes = Counter(task.outcome for task in month_tasks)
    amount = total(p.amount for p in payments)
    adjustments_amount = total(a.delta_amount for a in adjustments)
    return {
        "payees": len(payments),
        "evaluated_tasks": len(month_tasks),
        "approved_tasks": outcomes[APPROVED],
        "rejected_tasks": outcomes[REJECTED],
        "held_tasks": outcomes[HELD],
        "gross_amount": total(task.due_amount for task in month_tasks),
        "capped_amount": total(p.capped_amount for p in payments),
        "amount": amount,
        "adjustments_count": len(adjustments),
        "adjustments_amount": adjustments_amount,
        "net_amount": money(amount + adjustments_amount),
    }


def rejections_by_rule(month_tasks, snapshot) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for verdict in month_tasks:
        for violation in snapshot.violations_of(verdict.task_id):
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
