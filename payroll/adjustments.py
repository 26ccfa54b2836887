"""Adjustments: changes to tasks of already-closed months, paid in the next close.

At the close of month M, every task the ledger already decided (and every
task of a closed month that no close has decided yet, because its data
came late) is judged again on the fresh warehouse. When its outcome or the
amount it should be paid differs from its standing in the ledger, the close
carries an adjustment: delta = amount now due - amount already paid, with
the rules and evidence that explain it. The closed months' packages never
change; the ledger records the new standing so the change is paid once.

"Amount now due" is the task's payable amount in fct_task_payments: the
value in force at its conclusion (so a parameter version made retroactive,
as Art. 2 of Portaria 1.854/2025 did, re-prices the old task) after the cap
of the task's own period. Both are decided in SQL; here they are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payroll.ledger import LedgerEntry
from payroll.model import APPROVED, HELD, NOT_EVALUATED, NOT_IN_CLOSE, REJECTED, TaskPayment, WarehouseSnapshot
from payroll.money import ZERO, money, reais
from payroll.months import Month

# Named in the explanation of a re-priced task, so the officer knows which parameter changed.
VALUE_PER_TASK = "pepgb_value_per_task"


OUTCOME_WORDS = {
    APPROVED: "aprovada",
    REJECTED: "reprovada",
    HELD: "retida",
    NOT_EVALUATED: "fora das tarefas avaliadas",
    NOT_IN_CLOSE: "sem decisão",
}


@dataclass(frozen=True)
class Adjustment:
    task_id: str
    original_month: str
    payee_siape: str
    previous_outcome: str
    new_outcome: str
    previous_amount: Decimal
    new_amount: Decimal
    delta_amount: Decimal
    rules: str
    reason: str


def find_adjustments(
    month: Month,
    ledger_start: Month,
    standing: dict[str, LedgerEntry],
    snapshot: WarehouseSnapshot,
) -> list[Adjustment]:
    current_by_task = {task.task_id: task for task in snapshot.tasks}
    late_tasks = {
        task.task_id
        for task in snapshot.tasks
        if ledger_start <= task.reference_month < month and task.task_id not in standing
    }
    adjustments = []
    for task_id in sorted(set(standing) | late_tasks):
        adjustment = _compare(standing.get(task_id), current_by_task.get(task_id), snapshot)
        if adjustment is not None:
            adjustments.append(adjustment)
    return sorted(adjustments, key=lambda a: (a.original_month, a.task_id))


def _compare(
    previous: LedgerEntry | None,
    current: TaskPayment | None,
    snapshot: WarehouseSnapshot,
) -> Adjustment | None:
    previous_outcome = previous.outcome if previous else NOT_IN_CLOSE
    previous_amount = previous.paid_amount if previous else ZERO
    new_outcome = current.outcome if current else NOT_EVALUATED
    new_amount = current.payable_amount if current else ZERO
    if previous_outcome == new_outcome and previous_amount == new_amount:
        return None  # a rejected task that gains one more rule changes nothing to pay
    task_id = current.task_id if current else previous.task_id
    return Adjustment(
        task_id=task_id,
        original_month=str(current.reference_month) if current else previous.reference_month,
        payee_siape=current.payee_siape if current else previous.payee_siape,
        previous_outcome=previous_outcome,
        new_outcome=new_outcome,
        previous_amount=previous_amount,
        new_amount=new_amount,
        delta_amount=money(new_amount - previous_amount),
        rules=current.rules if current else "",
        reason=explain(previous, current, new_amount, snapshot),
    )


def explain(previous: LedgerEntry | None, current: TaskPayment | None, new_amount: Decimal, snapshot) -> str:
    """A Portuguese sentence or two a payroll officer can check, like the rule evidence."""
    parts = []
    if previous is None and current is not None:
        parts.append(
            f"Tarefa de {current.reference_month} sem decisão em fechamento anterior "
            f"(dados recebidos após o fechamento de {current.reference_month})."
        )
    if current is None:
        parts.append(
            "A tarefa deixou de constar entre as tarefas avaliadas (fila extraordinária, concluída): "
            "verifique a exportação do GET."
        )
    elif current.outcome == REJECTED:
        parts += [f"{violation.rule_code}: {violation.evidence}" for violation in snapshot.violations_of(current.task_id)]
    elif current.outcome == HELD:
        parts.append(current.held_reason or "Tarefa retida aguardando dados.")
    elif current.outcome == APPROVED:
        parts += _approved_reasons(previous, current, new_amount)
    return " ".join(parts)


def _approved_reasons(previous: LedgerEntry | None, current: TaskPayment, new_amount: Decimal) -> list[str]:
    parts = []
    if previous is not None and previous.outcome != APPROVED:
        parts.append(
            f"Antes {OUTCOME_WORDS.get(previous.outcome, previous.outcome)}; agora nenhuma regra reprova a tarefa e o expediente "
            "do servidor pôde ser verificado."
        )
    if previous is not None and previous.due_amount != current.due_amount and previous.outcome == APPROVED:
        parts.append(
            f"Valor em vigor na conclusão ({current.concluded_at:%d/%m/%Y}, {VALUE_PER_TASK}): "
            f"{reais(current.due_amount)} (antes {reais(previous.due_amount)})."
        )
    if new_amount < current.due_amount:
        parts.append(f"Teto por profissional: paga {reais(new_amount)} de {reais(current.due_amount)}.")
    elif previous is not None and previous.paid_amount < previous.due_amount:
        parts.append(f"Teto por profissional: a tarefa agora cabe no teto ({reais(new_amount)}).")
    return parts or ["Tarefa aprovada."]
