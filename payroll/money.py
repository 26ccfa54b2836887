"""Money as Decimal with two places; never floats (contract 4)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: object) -> Decimal:
    """68 / '68.0' / Decimal('68') -> Decimal('68.00'); None or '' -> 0.00."""
    if value is None or value == "":
        return ZERO
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def total(values: Iterable[Decimal]) -> Decimal:
    return money(sum(values, ZERO))


def brl(value: Decimal) -> str:
    """Decimal('1234.5') -> 'R$ 1,234.50' (the orchestration summary's style)."""
    sign = "-" if value < 0 else ""
    return f"{sign}R$ {abs(money(value)):,.2f}"
