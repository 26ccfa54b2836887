"""The package's tables as (header, rows) with text cells, shared by the CSV and XLSX writers."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from decimal import Decimal

from payroll.package import ClosePackage, HeldRow, PaymentRow, RejectionRow
from payroll.adjustments import Adjustment

# file name -> (row class, the ClosePackage attribute)
TABLES = {
    "payments": (PaymentRow, "payments"),
    "rejections": (RejectionRow, "rejections"),
    "held": (HeldRow, "held"),
    "adjustments": (Adjustment, "adjustments"),
}
MONEY_COLUMNS = {"amount", "capped_amount", "adjustments", "net_amount", "previous_amount", "new_amount", "delta_amount"}
COUNT_COLUMNS = {"approved_tasks", "rejected_tasks", "held_tasks"}


def header_of(table: str) -> list[str]:
    return [field.name for field in fields(TABLES[table][0])]


def rows_of(package: ClosePackage, table: str) -> list[dict[str, object]]:
    return [asdict(row) for row in getattr(package, TABLES[table][1])]


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)
