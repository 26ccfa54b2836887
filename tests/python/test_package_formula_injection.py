"""Issue 11, formula injection: a name or evidence that a spreadsheet would run stays text in the package's
CSVs and close.xlsx; money, negative amounts included, stays a number."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from payroll.adjustments import Adjustment
from payroll.months import Month
from payroll.package import ClosePackage, PaymentRow, RejectionRow
from payroll.writers.csv_files import write_csv_files
from payroll.writers.tables import neutralize_formula
from payroll.writers.xlsx import write_xlsx

PAYLOADS = ['=HYPERLINK("http://x","click")', "+1+1", "-1-1", "@SUM(1)", "\t=1+1", "\r=1+1"]
CLAWBACK = Decimal("-68.00")


def package_with(payload: str) -> ClosePackage:
    payment = PaymentRow("0100001", payload, payload, 1, 1, 0, Decimal("68.00"), Decimal("0.00"), CLAWBACK,
                         Decimal("0.00"))
    rejection = RejectionRow("T1", "0100001", datetime(2025, 6, 2, 19), "R401", "R401", payload, payload)
    adjustment = Adjustment("T0", "2025-05", "0100001", "approved", "rejected", Decimal("68.00"), Decimal("0.00"),
                            CLAWBACK, "R401", payload)
    return ClosePackage(
        month=Month.parse("2025-06"), ledger_start=Month.parse("2025-05"), payments=[payment],
        rejections=[rejection], held=[], adjustments=[adjustment], ledger_entries=[], totals={
            "payees": 1, "evaluated_tasks": 2, "approved_tasks": 1, "rejected_tasks": 1, "held_tasks": 0,
            "gross_amount": Decimal("68.00"), "capped_amount": Decimal("0.00"), "amount": Decimal("68.00"),
            "adjustments_count": 1, "adjustments_amount": CLAWBACK, "net_amount": Decimal("0.00"),
        }, rejections_by_rule=[], amount_by_unit=[], history=[], parameters=[],
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_cells_starting_with_a_formula_trigger_are_neutralized(tmp_path, payload):
    write_csv_files(package_with(payload), tmp_path)
    with (tmp_path / "payments.csv").open(encoding="utf-8", newline="") as handle:
        payment = next(csv.DictReader(handle))
    with (tmp_path / "rejections.csv").open(encoding="utf-8", newline="") as handle:
        rejection = next(csv.DictReader(handle))
    with (tmp_path / "adjustments.csv").open(encoding="utf-8", newline="") as handle:
        adjustment = next(csv.DictReader(handle))
    assert payment["name"] == payment["unit_code"] == "'" + payload
    assert rejection["evidence"] == rejection["rule_title"] == "'" + payload
    assert adjustment["reason"] == "'" + payload
    # Money is a number, written as the package always writes it: no apostrophe before the minus sign.
    assert payment["adjustments"] == adjustment["delta_amount"] == "-68.00"
    assert payment["amount"] == "68.00"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_cells_starting_with_a_formula_trigger_are_text_never_formulas(tmp_path, payload):
    path = write_xlsx(package_with(payload), tmp_path / "close.xlsx")
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    payments, rejections, adjustments = workbook["payments"], workbook["rejections"], workbook["adjustments"]
    name = payments.cell(row=2, column=2)
    evidence = rejections.cell(row=2, column=7)
    reason = adjustments.cell(row=2, column=10)
    for cell in (name, evidence, reason):
        assert cell.data_type == "s"
        # XML reads a CR inside text back as LF; the apostrophe is what matters.
        assert cell.value == "'" + payload.replace("\r", "\n")
    for clawback in (payments.cell(row=2, column=9), adjustments.cell(row=2, column=8)):
        assert clawback.data_type == "n" and Decimal(str(clawback.value)) == CLAWBACK


def test_only_text_with_a_trigger_is_touched():
    assert neutralize_formula("Maria =1") == "Maria =1"
    assert neutralize_formula("") == ""
    assert neutralize_formula(CLAWBACK) is CLAWBACK
    assert neutralize_formula(-3) == -3
    assert neutralize_formula(None) is None
