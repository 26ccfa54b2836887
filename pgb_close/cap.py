"""What each approved task is actually paid once the per-professional cap applies.

Within one cap period (the payee's reference month, or calendar year, see
parameters.py) tasks are paid in conclusion order, (concluded_at, task_id),
until the cap is reached: the task that crosses it is paid the remainder,
later ones nothing. Allocating task by task is what makes adjustments right
under a cap: when an earlier paid task is rejected, the next task in line
may now fit under the cap, and both deltas show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from pgb_close.model import TaskVerdict
from pgb_close.money import ZERO, money
from pgb_close.parameters import CapRule


def allocate(verdicts: Iterable[TaskVerdict], cap_rule_for: Callable[[TaskVerdict], CapRule]) -> dict[str, Decimal]:
    """task_id -> amount paid (due_amount, or less when the cap in force bites)."""
    paid: dict[str, Decimal] = {}
    used_by_period: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for verdict in sorted(verdicts, key=lambda v: (v.concluded_at, v.task_id)):
        rule = cap_rule_for(verdict)
        if rule.amount is None or verdict.due_amount <= ZERO:
            paid[verdict.task_id] = verdict.due_amount
            continue
        key = rule.period_key(verdict)
        room = max(rule.amount - used_by_period[key], ZERO)
        paid[verdict.task_id] = money(min(verdict.due_amount, room))
        used_by_period[key] += paid[verdict.task_id]
    return paid
