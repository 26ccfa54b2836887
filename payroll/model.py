"""What the payroll library reads from the warehouse, as plain immutable records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import duckdb

from payroll.months import Month

APPROVED, REJECTED, HELD = "approved", "rejected", "held"
# A task of the ledger that no longer is an evaluated task (e.g. the GET
# export now shows it cancelled or in an ordinary queue): nothing is due.
NOT_EVALUATED = "not_evaluated"
# previous_outcome of a task of a closed month that no close has decided yet
# (its data arrived after that month was closed).
NOT_IN_CLOSE = "not_in_close"


@dataclass(frozen=True)
class TaskPayment:
    """One evaluated task: its verdict (fct_task_evaluations) and its price (fct_task_payments)."""

    task_id: str
    payee_siape: str
    reference_month: Month
    concluded_at: datetime
    outcome: str
    rules: str  # 'R404,R421', '' when none
    held_reason: str | None
    due_amount: Decimal  # the value in force at concluded_at if approved, else 0; before the cap
    payable_amount: Decimal  # after the per-professional cap


@dataclass(frozen=True)
class PayeeMonthPayment:
    """One row of fct_payee_month_payments."""

    payee_siape: str
    reference_month: Month
    name: str | None
    unit_code: str | None
    approved_tasks: int
    rejected_tasks: int
    held_tasks: int
    due_amount: Decimal
    capped_amount: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Violation:
    """One row of fct_task_rule_violations."""

    task_id: str
    rule_code: str
    rule_title: str
    evidence: str


@dataclass(frozen=True)
class Professional:
    siape: str
    name: str
    unit_code: str | None


@dataclass(frozen=True)
class ParameterRow:
    """One version of a parameter (ref_parameters), listed in the manifest as it is."""

    name: str
    value: str | None
    effective_from: date
    effective_to: date | None
    legal_source: str
    published_on: date | None


@dataclass(frozen=True)
class WarehouseSnapshot:
    """Everything a close reads from one published warehouse, read at once.

    The month's own tasks (a national month: 1.2 million) never become Python
    objects: they are copied into `month_db`, an in-memory DuckDB database
    (tables month_tasks, month_violations; see payroll.warehouse), from which
    the writers COPY the task-level CSVs and the ledger streams its rows.
    """

    tasks: tuple[TaskPayment, ...]  # the evaluated tasks of the months before the one closed (adjustments)
    month_payments: tuple[PayeeMonthPayment, ...]  # fct_payee_month_payments of the month closed
    violations_by_task: dict[str, tuple[Violation, ...]]  # of `tasks`, in rule-code order
    professionals: dict[str, Professional]
    parameters: tuple[ParameterRow, ...]
    rule_titles: dict[str, str]
    month_db: duckdb.DuckDBPyConnection | None = None
    unit_names: dict[str, str] = field(default_factory=dict)  # APS code -> name (raw_aps)
    # Read with the ledger (read_snapshot(..., ledger_files=...)): the standing of the earlier tasks whose
    # standing differs from the warehouse (the only ones `tasks` then holds), and per close and kind of
    # entry the amounts the ledger paid: (closed month, decisions, adjustments).
    ledger_standing: dict | None = None
    ledger_history: tuple[tuple[str, object, object], ...] | None = None
    # The reference months (YYYY-MM) whose ledger and warehouse fingerprints differed, the only ones joined
    # (None: every month, without a checked fingerprint); () after a normal close.
    ledger_months_joined: tuple[str, ...] | None = None

    def violations_of(self, task_id: str) -> tuple[Violation, ...]:
        return self.violations_by_task.get(task_id, ())
