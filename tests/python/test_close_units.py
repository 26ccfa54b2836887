"""The close's decisions without Dagster: months, cap, adjustments, ledger, refusals."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from close_samples import decided, parameter, snapshot, verdict

from pgb_close.adjustments import find_adjustments
from pgb_close.cap import allocate
from pgb_close.close import check_can_close
from pgb_close.errors import CloseFailed, CloseRefused
from pgb_close.ledger import Ledger
from pgb_close.model import HELD, NOT_EVALUATED, NOT_IN_CLOSE, REJECTED, Violation
from pgb_close.months import Month
from pgb_close.package import build_package
from pgb_close.parameters import NO_CAP, CapRule, cap_rule_on

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


def test_console_script_is_declared():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["pgb"] == "pgb_close.cli:main"
    assert "pgb_close*" in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]


# --- cap -----------------------------------------------------------------------


def test_no_cap_pays_the_value_in_force():
    tasks = [verdict("A"), verdict("B", outcome=REJECTED, amount="0")]
    assert allocate(tasks, lambda _: NO_CAP) == {"A": Decimal("68.00"), "B": Decimal("0.00")}


def test_monthly_cap_pays_in_conclusion_order_until_reached():
    tasks = [
        verdict("C", concluded="2025-06-03 19:00:00"),
        verdict("A", concluded="2025-06-02 19:00:00"),
        verdict("B", concluded="2025-06-02 20:00:00"),
        verdict("D", concluded="2025-07-01 19:00:00"),  # another month: a fresh cap
    ]
    paid = allocate(tasks, lambda _: CapRule(Decimal("100.00"), "monthly"))
    assert paid == {"A": Decimal("68.00"), "B": Decimal("32.00"), "C": Decimal("0.00"), "D": Decimal("68.00")}


def test_yearly_cap_counts_the_whole_calendar_year():
    tasks = [verdict("A"), verdict("B", concluded="2025-07-01 19:00:00"), verdict("C", concluded="2026-01-05 19:00:00")]
    paid = allocate(tasks, lambda _: CapRule(Decimal("100.00"), "yearly"))
    assert paid == {"A": Decimal("68.00"), "B": Decimal("32.00"), "C": Decimal("68.00")}


def test_cap_is_shipped_empty_and_needs_a_period_when_set():
    shipped = [parameter("pepgb_cap_per_professional", None)]
    assert cap_rule_on(shipped, JUNE.first_day) == NO_CAP
    without_period = [parameter("pepgb_cap_per_professional", "17136.00")]
    with pytest.raises(CloseFailed, match="pepgb_cap_period"):
        cap_rule_on(without_period, JUNE.first_day)
    with_period = without_period + [parameter("pepgb_cap_period", "yearly")]
    assert cap_rule_on(with_period, JUNE.first_day) == CapRule(Decimal("17136.00"), "yearly")


# --- adjustments ---------------------------------------------------------------


def adjustments_for(standing, verdicts, cap=NO_CAP, violations=()):
    snap = snapshot(verdicts, violations=violations)
    paid = allocate(verdicts, lambda _: cap)
    return find_adjustments(JULY, JUNE, {entry.task_id: entry for entry in standing}, snap, paid)


def test_paid_task_now_rejected_is_clawed_back_with_its_evidence():
    evidence = Violation("T01", "R430", "Mesmo NB", "NB 3000000001 usado também na tarefa T60.")
    [adjustment] = adjustments_for([decided("T01")], [verdict("T01", outcome=REJECTED, rules="R430", amount="0")],
                                   violations=[evidence])
    assert (adjustment.previous_outcome, adjustment.new_outcome) == ("approved", "rejected")
    assert adjustment.delta_amount == Decimal("-68.00")
    assert adjustment.rules == "R430" and "T60" in adjustment.reason


def test_unchanged_and_rule_only_changes_carry_nothing():
    standing = [decided("A"), decided("B", outcome=REJECTED, paid="0.00")]
    verdicts = [verdict("A"), verdict("B", outcome=REJECTED, rules="R404,R430", amount="0")]
    assert adjustments_for(standing, verdicts) == []


def test_held_task_released_is_paid_later():
    [adjustment] = adjustments_for([decided("T47", outcome=HELD, paid="0.00")], [verdict("T47")])
    assert adjustment.delta_amount == Decimal("68.00") and "retida" in adjustment.reason


def test_retroactive_value_change_reprices_the_old_task():
    [adjustment] = adjustments_for([decided("A")], [verdict("A", amount="70.00")])
    assert adjustment.delta_amount == Decimal("2.00")
    assert "R$ 70.00" in adjustment.reason and "R$ 68.00" in adjustment.reason


def test_cap_reallocation_moves_the_payment_to_the_next_task_in_line():
    cap = CapRule(Decimal("68.00"), "monthly")
    standing = [decided("A"), decided("B", paid="0.00", due="68.00")]
    verdicts = [verdict("A", outcome=REJECTED, rules="R404", amount="0"), verdict("B", concluded="2025-06-02 20:00:00")]
    deltas = {a.task_id: a.delta_amount for a in adjustments_for(standing, verdicts, cap)}
    assert deltas == {"A": Decimal("-68.00"), "B": Decimal("68.00")}


def test_vanished_task_is_recovered_and_late_task_is_decided():
    late = verdict("LATE", concluded="2025-06-20 19:00:00")
    by_task = {a.task_id: a for a in adjustments_for([decided("GONE")], [late])}
    assert (by_task["GONE"].new_outcome, by_task["GONE"].delta_amount) == (NOT_EVALUATED, Decimal("-68.00"))
    assert (by_task["LATE"].previous_outcome, by_task["LATE"].delta_amount) == (NOT_IN_CLOSE, Decimal("68.00"))


def test_package_pays_each_payee_the_month_plus_adjustments():
    verdicts = [verdict("T01", outcome=REJECTED, rules="R430", amount="0"),
                verdict("T60", concluded="2025-07-01 19:00:00", outcome=REJECTED, rules="R430", amount="0"),
                verdict("T61", payee="0100002", concluded="2025-07-01 19:30:00"),
                verdict("T70", payee="0100002", concluded="2025-08-01 19:30:00")]  # a later month: not yet
    standing = {"T01": decided("T01")}
    package = build_package(JULY, snapshot(verdicts), standing, list(standing.values()), JUNE)
    rows = {row.payee_siape: row for row in package.payments}
    assert (rows["0100001"].amount, rows["0100001"].adjustments, rows["0100001"].net_amount) == (
        Decimal("0.00"), Decimal("-68.00"), Decimal("-68.00"))
    assert rows["0100002"].approved_tasks == 1 and rows["0100002"].net_amount == Decimal("68.00")
    assert package.totals["net_amount"] == Decimal("0.00")
    assert [entry.task_id for entry in package.ledger_entries] == ["T60", "T61", "T01"]
    assert [(row.month, row.net_amount) for row in package.history] == [("2025-06", Decimal("68.00")),
                                                                        ("2025-07", Decimal("0.00"))]


# --- ledger and refusals -----------------------------------------------------------


def test_ledger_file_is_written_once(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(JUNE, [decided("A")])
    with pytest.raises(FileExistsError):
        ledger.write_close(JUNE, [decided("B")])
    assert list(ledger.standing()) == ["A"]


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
