"""close.xlsx: a summary sheet and one sheet per CSV, money formatted, header frozen, filters on.

openpyxl stamps the save time into docProps/core.xml and into every zip
entry; both are replaced by a date derived from the month, so the same
close written twice gives the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from payroll.package import ClosePackage
from payroll.writers.tables import COUNT_COLUMNS, MONEY_COLUMNS, TABLES, header_of, neutralize_formula, rows_of

MONEY_FORMAT = '"R$" #,##0.00;[Red]-"R$" #,##0.00'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
MAX_COLUMN_WIDTH = 80

SUMMARY_ITEMS = [
    ("month", "Reference month closed"),
    ("ledger_start", "First month of the close ledger"),
    ("payees", "Professionals in payments"),
    ("evaluated_tasks", "Evaluated tasks of the month"),
    ("approved_tasks", "Approved"),
    ("rejected_tasks", "Rejected"),
    ("held_tasks", "Held (waiting for data)"),
    ("gross_amount", "Approved x value in force"),
    ("capped_amount", "Kept out by the per-professional cap"),
    ("amount", "Amount of the month's tasks"),
    ("adjustments_count", "Adjustments of closed months"),
    ("adjustments_amount", "Sum of the adjustments"),
    ("net_amount", "Net amount to pay"),
]
SUMMARY_MONEY = {"gross_amount", "capped_amount", "amount", "adjustments_amount", "net_amount"}


def write_xlsx(package: ClosePackage, path: Path) -> Path:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "summary"
    _fill_summary(summary, package)
    for table in TABLES:
        _fill_table(workbook.create_sheet(table), header_of(table), rows_of(package, table))
    _fill_parameters(workbook.create_sheet("parameters"), package)
    workbook.save(path)
    _make_reproducible(path, datetime(package.month.next().year, package.month.next().month, 1))
    return path


def _fill_summary(sheet, package: ClosePackage) -> None:
    values = {**package.totals, "month": str(package.month), "ledger_start": str(package.ledger_start)}
    rows = [{"item": key, "description": label, "value": values[key]} for key, label in SUMMARY_ITEMS]
    _fill_table(sheet, ["item", "description", "value"], rows, money_columns=set())
    for row_number, (key, _) in enumerate(SUMMARY_ITEMS, start=2):
        if key in SUMMARY_MONEY:
            sheet.cell(row=row_number, column=3).number_format = MONEY_FORMAT


def _fill_parameters(sheet, package: ClosePackage) -> None:
    header = ["name", "value", "effective_from", "effective_to", "published_on", "legal_source"]
    rows = [{column: getattr(row, column) for column in header} for row in package.parameters]
    _fill_table(sheet, header, rows)


def _fill_table(sheet, header: list[str], rows: list[dict], money_columns: set[str] = MONEY_COLUMNS) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for row in rows:
        sheet.append([_cell_value(row[column]) for column in header])
    for index, column in enumerate(header, start=1):
        letter = get_column_letter(index)
        number_format = MONEY_FORMAT if column in money_columns else "0" if column in COUNT_COLUMNS else None
        if any(isinstance(row[column], datetime) for row in rows):
            number_format = DATETIME_FORMAT
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        width = max([len(column)] + [len(str(row[column] or "")) for row in rows])
        sheet.column_dimensions[letter].width = min(width + 2, MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(rows) + 1, 2)}"


def _cell_value(value: object) -> object:
    """Money stays an exact Decimal number; empty text stays an empty cell; text never becomes a formula."""
    if isinstance(value, (Decimal, int, float)) or value is None:
        return value
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value
    return neutralize_formula(str(value)) if value != "" else None


def _make_reproducible(path: Path, stamp: datetime) -> None:
    """Same content, fixed timestamps: rewrite the zip entries in the same order."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), data)
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
