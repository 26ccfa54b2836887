"""Parameter versions in force, and the optional per-professional cap.

The cap: public sources disagree on whether the R$ 17,136 limit per
professional is monthly or yearly, so both the amount
(`pepgb_cap_per_professional`) and its period (`pepgb_cap_period`:
`monthly` or `yearly`) are parameters shipped empty. Empty amount = no cap.
An amount without a period stops the close: the pipeline never picks one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from pgb_close.errors import CloseFailed
from pgb_close.model import ParameterRow, TaskVerdict
from pgb_close.money import money
from pgb_close.months import Month

VALUE_PER_TASK = "pepgb_value_per_task"
CAP_AMOUNT = "pepgb_cap_per_professional"
CAP_PERIOD = "pepgb_cap_period"
CAP_PERIODS = ("monthly", "yearly")


def value_in_force(parameters: Iterable[ParameterRow], name: str, day: date) -> str | None:
    """The value of `name` in force on `day`; None when empty or when no version covers the day.

    dbt's assert_one_parameter_value_in_force_per_day guarantees at most one
    version per day for the shipped parameters; a second one here is a bug.
    """
    rows = [row for row in parameters if row.name == name and row.in_force_on(day)]
    if len(rows) > 1:
        raise CloseFailed(f"parameter {name} has {len(rows)} versions in force on {day}: fix ref_parameters.csv")
    return rows[0].value if rows else None


@dataclass(frozen=True)
class CapRule:
    """The cap in force for a task: amount None = no cap."""

    amount: Decimal | None = None
    period: str | None = None

    def period_key(self, verdict: TaskVerdict) -> tuple:
        """Tasks sharing a key share one cap: the reference month, or its calendar year."""
        month = verdict.reference_month
        return (verdict.payee_siape, month.year) if self.period == "yearly" else (verdict.payee_siape, month.year, month.month)


NO_CAP = CapRule()


def cap_rule_on(parameters: Iterable[ParameterRow], day: date) -> CapRule:
    parameters = tuple(parameters)
    amount_text = value_in_force(parameters, CAP_AMOUNT, day)
    if amount_text is None:
        return NO_CAP
    try:
        amount = money(amount_text)
    except InvalidOperation as error:
        raise CloseFailed(f"{CAP_AMOUNT} = {amount_text!r} on {day} is not an amount") from error
    period = value_in_force(parameters, CAP_PERIOD, day)
    if period not in CAP_PERIODS:
        raise CloseFailed(
            f"{CAP_AMOUNT} is set to {amount} on {day} but {CAP_PERIOD} is {period!r}: "
            f"set {CAP_PERIOD} to one of {', '.join(CAP_PERIODS)} in seeds/ref_parameters.csv "
            "(public sources disagree; the pipeline does not choose for you)"
        )
    return CapRule(amount, period)


def parameters_used(parameters: Iterable[ParameterRow], month: Month) -> list[ParameterRow]:
    """Every version that took effect on or before the month's last day, by name and date.

    Earlier versions stay listed: the close's adjustments re-price tasks of
    earlier months with the version in force at their conclusion.
    """
    rows = [row for row in parameters if row.effective_from <= month.last_day]
    return sorted(rows, key=lambda row: (row.name, row.effective_from))
