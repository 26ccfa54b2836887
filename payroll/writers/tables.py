"""The package's tables as (header, rows) with text cells, shared by the CSV and XLSX writers.

Both files are opened by people in a spreadsheet, so every text cell passes
through neutralize_formula (OWASP "CSV injection"): a name such as
=HYPERLINK(...) must stay text, never become a live formula.
"""

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
# The first characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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
    if isinstance(value, str):
        return neutralize_formula(value)
    return str(value)


def neutralize_formula(value: object) -> object:
    """Text starting with a formula trigger gets a leading apostrophe; anything not text is returned as is.

    Only text is touched: numbers (Decimal money, negative amounts included,
    counts) are formatted by the callers and stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
