"""Issue 11, formula injection: a name or evidence that a spreadsheet would run stays text in the package's
CSVs (Python-written and DuckDB-COPY-written alike) and close.xlsx; money, negative amounts included, stays a number."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from payroll_samples import snapshot, task

from payroll.adjustments import Adjustment
from payroll.model import HELD, REJECTED, Violation
from payroll.months import Month
from payroll.package import ClosePackage, build_package
from payroll.writers.csv_files import write_csv_files
from payroll.writers.tables import neutralize_formula
from payroll.writers.xlsx import write_xlsx

PAYLOADS = ['=HYPERLINK("http://x","click")', "+1+1", "-1-1", "@SUM(1)", "\t=1+1", "\r=1+1"]
CLAWBACK = Decimal("-68.00")
JUNE = Month.parse("2025-06")


def package_with(payload: str) -> ClosePackage:
    tasks = [task("T1", outcome=REJECTED, rules="R401", amount="0"), task("T2", payee="0100002"),
             task("T3", outcome=HELD, amount="0", held_reason=payload)]
    violation = Violation("T1", "R401", payload, payload)
    base = snapshot(tasks, JUNE, violations=[violation])
    named = tuple(replace(row, name=payload, unit_code=payload) for row in base.month_payments)
    package = build_package(JUNE, replace(base, month_payments=named), {}, [], JUNE)
    adjustment = Adjustment("T0", "2025-05", "0100001", "approved", "rejected", Decimal("68.00"), Decimal("0.00"),
                            CLAWBACK, "R401", payload)
    payments = [replace(row, adjustments=CLAWBACK, net_amount=row.amount + CLAWBACK) for row in package.payments]
    return replace(package, adjustments=[adjustment], payments=payments)


def read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_cells_starting_with_a_formula_trigger_are_neutralized(tmp_path, payload):
    write_csv_files(package_with(payload), tmp_path)
    payment = read_csv(tmp_path / "payments.csv")[0]
    [rejection] = read_csv(tmp_path / "rejections.csv")
    [held] = read_csv(tmp_path / "held.csv")
    [adjustment] = read_csv(tmp_path / "adjustments.csv")
    assert payment["name"] == payment["unit_code"] == "'" + payload
    assert rejection["evidence"] == rejection["rule_title"] == "'" + payload
    assert held["reason"] == "'" + payload
    assert adjustment["reason"] == "'" + payload
    # Money is a number, written as the package always writes it: no apostrophe before the minus sign.
    assert payment["adjustments"] == adjustment["delta_amount"] == "-68.00"
    assert payment["amount"] == "0.00"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_cells_starting_with_a_formula_trigger_are_text_never_formulas(tmp_path, payload):
    path = write_xlsx(package_with(payload), tmp_path / "close.xlsx")
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    payments, rejections, adjustments = workbook["Pagamentos"], workbook["Reprovações"], workbook["Ajustes"]
    name = payments.cell(row=2, column=2)
    evidence = rejections.cell(row=2, column=7)
    reason = adjustments.cell(row=2, column=10)
    held_reason = workbook["Retidas"].cell(row=2, column=4)
    for cell in (name, evidence, reason, held_reason):
        assert cell.data_type == "s"
        # The text as written, a CR included (lxml writes it as &#13;, which XML does not turn into LF).
        assert cell.value == "'" + payload
    for clawback in (payments.cell(row=2, column=10), adjustments.cell(row=2, column=8)):
        assert clawback.data_type == "n" and Decimal(str(clawback.value)) == CLAWBACK


def test_only_text_with_a_trigger_is_touched():
    assert neutralize_formula("Maria =1") == "Maria =1"
    assert neutralize_formula("") == ""
    assert neutralize_formula(CLAWBACK) is CLAWBACK
    assert neutralize_formula(-3) == -3
    assert neutralize_formula(None) is None
