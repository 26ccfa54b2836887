"""The payroll library without Dagster: months, adjustments, ledger, refusals, the package's payments.

Amounts and caps are the warehouse's (fct_task_payments, fct_payee_month_payments,
tested by their dbt unit tests); here they are given, and the library must
carry them as they are.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from payroll_samples import decided, snapshot, task

from payroll.adjustments import find_adjustments
from payroll.close import check_can_close, check_can_reopen
from payroll.errors import CloseRefused
from payroll.ledger import Ledger
from payroll.model import HELD, NOT_EVALUATED, NOT_IN_CLOSE, REJECTED, Violation
from payroll.months import Month
from payroll.package import build_package

REPO_ROOT = Path(__file__).resolve().parents[2]
JUNE, JULY = Month(2025, 6), Month(2025, 7)


def test_month_parsing_and_neighbours():
    assert str(Month.parse("2025-06")) == "2025-06"
    assert Month.parse("2025-12").next() == Month(2026, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month.parse("2025-02").last_day.day == 28
    for bad in ("2025-6", "2025-13", "06/2025", "2025-06-01"):
        with pytest.raises(ValueError):
            Month.parse(bad)


def test_console_script_is_the_orchestration_cli():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["pgb"] == "orchestration.cli:main"
    included = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {"orchestration*", "expectations*", "payroll*", "pgb_shared*"} == set(included)


# --- adjustments ---------------------------------------------------------------


def adjustments_for(standing, tasks, violations=()):
    return find_adjustments(JULY, JUNE, {entry.task_id: entry for entry in standing}, snapshot(tasks, violations=violations))


def test_paid_task_now_rejected_is_clawed_back_with_its_evidence():
    evidence = Violation("T01", "R430", "Mesmo NB", "NB 3000000001 usado também na tarefa T60.")
    [adjustment] = adjustments_for([decided("T01")], [task("T01", outcome=REJECTED, rules="R430", amount="0")],
                                   violations=[evidence])
    assert (adjustment.previous_outcome, adjustment.new_outcome) == ("approved", "rejected")
    assert adjustment.delta_amount == Decimal("-68.00")
    assert adjustment.rules == "R430" and "T60" in adjustment.reason


def test_unchanged_and_rule_only_changes_carry_nothing():
    standing = [decided("A"), decided("B", outcome=REJECTED, paid="0.00")]
    tasks = [task("A"), task("B", outcome=REJECTED, rules="R404,R430", amount="0")]
    assert adjustments_for(standing, tasks) == []


def test_held_task_released_is_paid_later():
    [adjustment] = adjustments_for([decided("T47", outcome=HELD, paid="0.00")], [task("T47")])
    assert adjustment.delta_amount == Decimal("68.00") and "retida" in adjustment.reason


def test_retroactive_value_change_reprices_the_old_task():
    [adjustment] = adjustments_for([decided("A")], [task("A", amount="70.00")])
    assert adjustment.delta_amount == Decimal("2.00")
    assert "R$ 70,00" in adjustment.reason and "R$ 68,00" in adjustment.reason


def test_cap_reallocation_in_the_warehouse_moves_the_payment_to_the_next_task_in_line():
    """A was paid under the cap and B was capped to 0; A is now rejected and the mart pays B."""
    standing = [decided("A"), decided("B", paid="0.00", due="68.00")]
    tasks = [task("A", outcome=REJECTED, rules="R404", amount="0"), task("B", concluded="2025-06-02 20:00:00")]
    by_task = {a.task_id: a for a in adjustments_for(standing, tasks)}
    assert {task_id: a.delta_amount for task_id, a in by_task.items()} == {"A": Decimal("-68.00"), "B": Decimal("68.00")}
    assert "agora cabe no teto" in by_task["B"].reason


def test_a_task_the_cap_still_cuts_is_paid_only_the_payable_amount():
    [adjustment] = adjustments_for([decided("C", outcome=HELD, paid="0.00")], [task("C", payable="32.00")])
    assert (adjustment.new_amount, adjustment.delta_amount) == (Decimal("32.00"), Decimal("32.00"))
    assert "Teto por profissional: paga R$ 32,00 de R$ 68,00" in adjustment.reason


def test_vanished_task_is_recovered_and_late_task_is_decided():
    late = task("LATE", concluded="2025-06-20 19:00:00")
    by_task = {a.task_id: a for a in adjustments_for([decided("GONE")], [late])}
    assert (by_task["GONE"].new_outcome, by_task["GONE"].delta_amount) == (NOT_EVALUATED, Decimal("-68.00"))
    assert (by_task["LATE"].previous_outcome, by_task["LATE"].delta_amount) == (NOT_IN_CLOSE, Decimal("68.00"))


# --- the package -----------------------------------------------------------------


def test_package_pays_each_payee_the_mart_row_plus_adjustments():
    tasks = [task("T01", outcome=REJECTED, rules="R430", amount="0"),
             task("T60", concluded="2025-07-01 19:00:00", outcome=REJECTED, rules="R430", amount="0"),
             task("T61", payee="0100002", concluded="2025-07-01 19:30:00"),
             task("T62", payee="0100002", concluded="2025-07-02 19:30:00", payable="10.00"),
             task("T70", payee="0100002", concluded="2025-08-01 19:30:00")]  # a later month: not yet
    standing = {"T01": decided("T01")}
    package = build_package(JULY, snapshot(tasks, JULY), standing, list(standing.values()), JUNE)
    rows = {row.payee_siape: row for row in package.payments}
    assert (rows["0100001"].amount, rows["0100001"].adjustments, rows["0100001"].net_amount) == (
        Decimal("0.00"), Decimal("-68.00"), Decimal("-68.00"))
    assert (rows["0100002"].approved_tasks, rows["0100002"].amount, rows["0100002"].capped_amount) == (
        2, Decimal("78.00"), Decimal("58.00"))
    assert rows["0100002"].name == "Name 0100002" and rows["0100002"].unit_code == "APS01"
    assert package.totals["net_amount"] == Decimal("10.00")
    assert (package.totals["gross_amount"], package.totals["capped_amount"]) == (Decimal("136.00"), Decimal("58.00"))
    assert [(e.as_row()["task_id"], e.as_row()["paid_amount"]) for e in package.ledger_entries] == [
        ("T60", "0.00"), ("T61", "68.00"), ("T62", "10.00"), ("T01", "0.00")]
    assert len(package.ledger_entries) == 4
    assert [(row.month, row.net_amount) for row in package.history] == [("2025-06", Decimal("68.00")),
                                                                        ("2025-07", Decimal("10.00"))]


def test_payments_are_the_mart_rows_even_when_they_disagree_with_the_tasks():
    """The package never re-sums task amounts: whatever fct_payee_month_payments says is paid."""
    tasks = [task("T61", payee="0100002", concluded="2025-07-01 19:30:00")]
    snap = snapshot(tasks, JULY)
    [row] = snap.month_payments
    snap = replace(snap, month_payments=(replace(row, amount=Decimal("1.00")),))
    package = build_package(JULY, snap, {}, [], JULY)
    assert package.payments[0].amount == Decimal("1.00") and package.totals["amount"] == Decimal("1.00")


# --- ledger and refusals -----------------------------------------------------------


def test_ledger_file_is_written_once(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(JUNE, [decided("A")])
    with pytest.raises(FileExistsError):
        ledger.write_close(JUNE, [decided("B")])
    assert list(ledger.standing()) == ["A"]


def test_reopen_needs_a_reason():
    with pytest.raises(CloseRefused, match="--reason"):
        check_can_reopen(True, "  ")
    check_can_reopen(True, "SIAPE export was incomplete")
    check_can_reopen(False, None)


def test_months_close_in_order_and_only_the_newest_reopens(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    check_can_close(JUNE, ledger, tmp_path, reopen=False)  # the first close may start anywhere
    with pytest.raises(CloseRefused, match="nothing to reopen"):
        check_can_close(JUNE, ledger, tmp_path, reopen=True)
    ledger.write_close(JUNE, [decided("A")])
    ledger.write_close(JULY, [])
    with pytest.raises(CloseRefused, match="already closed"):
        check_can_close(JULY, ledger, tmp_path, reopen=False)
    with pytest.raises(CloseRefused, match="close 2025-08 first"):
        check_can_close(Month(2025, 9), ledger, tmp_path, reopen=False)
    with pytest.raises(CloseRefused, match="before the last closed month"):
        check_can_close(Month(2025, 5), ledger, tmp_path, reopen=False)
    with pytest.raises(CloseRefused, match="2025-07 was closed after it"):
        check_can_close(JUNE, ledger, tmp_path, reopen=True)
    check_can_close(JULY, ledger, tmp_path, reopen=True)
    check_can_close(Month(2025, 8), ledger, tmp_path, reopen=False)
