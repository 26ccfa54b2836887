"""Money as Decimal with two places; never floats (contract 4). And how people in Brazil read it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
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
    """Decimal('1234.5') -> 'R$ 1,234.50' (the orchestration summary's style, for the terminal)."""
    sign = "-" if value < 0 else ""
    return f"{sign}R$ {abs(money(value)):,.2f}"


def reais(value: Decimal) -> str:
    """Decimal('60180') -> 'R$ 60.180,00', Decimal('-68') -> '-R$ 68,00': pt-BR, for every page a person reads."""
    sign = "-" if value < 0 else ""
    us_style = f"{abs(money(value)):,.2f}"
    return f"{sign}R$ " + us_style.translate(str.maketrans({",": ".", ".": ","}))


def whole_number(value: int) -> str:
    """1209824 -> '1.209.824' (pt-BR thousands)."""
    return f"{value:,}".replace(",", ".")


def brazilian_date(value: date | datetime | None, seconds: bool = False) -> str:
    """date(2025, 6, 2) -> '02/06/2025'; a datetime keeps its time: '02/06/2025 19:00' ('19:00:00' with seconds)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M:%S}" if seconds else f"{value:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"
