"""The standing fingerprints: the close joins only the reference months where the ledger and the warehouse differ.

Each columnar copy's record holds the ledger's standing fingerprint as of its close (payroll.ledger_copies); the
close sums the same fingerprint from fct_task_payments (payroll.warehouse) and joins the months that differ. These
tests check that the recorded fingerprint is the one of the Python reading of the ledger (Ledger.standing and
stands_over), that equal fingerprints join nothing, that every kind of change still reaches the adjustments
(a changed verdict, a task moved between months, a task back after 'not evaluated', a late task), and that a
record that cannot be believed (damaged, built on an earlier month's ledger that changed, not checkable) is
rebuilt or makes the close join every month.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import duckdb
import pytest
from test_ledger_copies import columnar_reading, entry, random_ledger, warehouse_with, window_reading

from payroll.ledger import ADJUSTMENT, DECISION, Ledger
from payroll.ledger_copies import STANDING_HASH_SQL, fresh_copies, record_path_of, write_copy
from payroll.model import NOT_EVALUATED
from payroll.months import Month
from payroll.warehouse import months_to_join, warehouse_fingerprint

CLOSING = Month(2025, 9)


def python_fingerprint(ledger: Ledger) -> dict[str, tuple[int, int]]:
    """The fingerprint of Ledger.standing() (the Python reading), hashed by DuckDB row by row."""
    rows = [(row.task_id, row.reference_month, row.outcome, row.paid_amount)
            for row in ledger.standing().values() if row.outcome != NOT_EVALUATED]
    with duckdb.connect(":memory:") as connection:
        connection.execute("create table standing (task_id varchar, reference_month varchar, outcome varchar, "
                           "paid_amount decimal(18, 2))")
        if rows:
            connection.executemany("insert into standing values (?, ?, ?, ?)", rows)
        standing_hash = STANDING_HASH_SQL.format(task="task_id", outcome="outcome", amount="paid_amount")
        found = connection.execute(f"select reference_month, count(*), sum({standing_hash})::varchar from standing "
                                   "group by all").fetchall()
    return {month: (tasks, int(hashes)) for month, tasks, hashes in found}


def agreeing_warehouse(ledger: Ledger) -> dict[str, tuple[str, str, str]]:
    """A warehouse that says what the ledger's standing says (the state right after a normal close)."""
    return {task: (row.reference_month, row.outcome, f"{row.paid_amount:.2f}")
            for task, row in ledger.standing().items() if row.outcome != NOT_EVALUATED}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_recorded_fingerprint_is_the_one_of_the_python_standing(tmp_path, seed):
    ledger, _ = random_ledger(tmp_path / "ledger", seed)
    copies = fresh_copies(ledger.files(), lambda _: None)
    assert copies[-1].fingerprint == python_fingerprint(ledger)
    # Each record's fingerprint is the ledger's as of that close, not only the newest.
    for index, copy in enumerate(copies):
        as_of = Ledger(tmp_path / f"as-of-{index}")
        for month in ledger.closed_months()[:index + 1]:
            as_of.write_close(month, [row for row in ledger.entries() if row.closed_month == str(month)])
        assert copy.fingerprint == python_fingerprint(as_of)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_with_a_warehouse_that_agrees_nothing_is_joined(tmp_path, seed):
    ledger, _ = random_ledger(tmp_path / "ledger", seed)
    connection = warehouse_with(agreeing_warehouse(ledger))
    copies = fresh_copies(ledger.files(), lambda _: None)
    assert warehouse_fingerprint(connection, CLOSING) == copies[-1].fingerprint
    assert months_to_join(connection, CLOSING, copies) == []
    candidates, standing, _ = columnar_reading(connection, ledger, CLOSING)
    assert candidates == set() and standing == {}
    assert window_reading(connection, ledger.files(), CLOSING) == (set(), {})


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_few_changes_join_their_months_only_and_find_what_the_window_finds(tmp_path, seed):
    """Changed verdicts, tasks moved to another month, tasks gone, late tasks and tasks back after 'not evaluated'
    in a warehouse that otherwise agrees: the months joined are those of the changes, and the candidates and
    standings are exactly those of the window over every ledger row."""
    rng = random.Random(seed)
    ledger, _ = random_ledger(tmp_path / "ledger", seed)
    current = agreeing_warehouse(ledger)
    standing = ledger.standing()
    changed_months: set[str] = set()
    for _ in range(3):
        task = rng.choice(sorted(current))
        month, outcome, paid = current[task]
        change = rng.choice(["verdict", "moved", "gone"])
        if change == "verdict":
            current[task] = (month, "rejected" if outcome == "approved" else "approved",
                             "0.00" if outcome == "approved" else "68.00")
            changed_months.add(month)
        elif change == "moved":
            moved_to = str(Month(2025, 1 + (Month.parse(month).first_day.month % 8)))
            current[task] = (moved_to, outcome, paid)
            changed_months |= {month, moved_to}
        else:
            del current[task]
            changed_months.add(month)
    current["LATE"] = ("2025-02", "approved", "68.00")
    changed_months.add("2025-02")
    gone = sorted(task for task, row in standing.items() if row.outcome == NOT_EVALUATED)
    if gone:  # back in the month it left, with the values of its old decision
        back = gone[0]
        decision = [row for row in ledger.entries() if row.task_id == back and row.entry == DECISION][0]
        current[back] = (decision.reference_month, decision.outcome, f"{decision.paid_amount:.2f}")
        changed_months.add(decision.reference_month)
    connection = warehouse_with(current)
    copies = fresh_copies(ledger.files(), lambda _: None)
    assert months_to_join(connection, CLOSING, copies) == sorted(changed_months)
    candidates, found_standing, _ = columnar_reading(connection, ledger, CLOSING)
    expected_candidates, expected_standing = window_reading(connection, ledger.files(), CLOSING)
    assert candidates == expected_candidates and found_standing == expected_standing
    assert "LATE" in candidates and (not gone or gone[0] in candidates)


def test_a_task_moved_between_closed_months_joins_both(tmp_path):
    """M was paid in May; a late export moves its conclusion to June (a closed month too). May and June differ, so
    both are joined. Paid the same, M needs no adjustment (the window over every row says so too); moved and
    rejected, it is a candidate, standing by its May decision."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "M", "2025-05", "approved", "68.00"),
                                        entry("2025-05", DECISION, "N", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [entry("2025-06", DECISION, "P", "2025-06", "approved", "68.00")])
    ledger.write_close(Month(2025, 7), [entry("2025-07", DECISION, "Q", "2025-07", "approved", "68.00")])
    others = {"N": ("2025-05", "approved", "68.00"), "P": ("2025-06", "approved", "68.00"),
              "Q": ("2025-07", "approved", "68.00")}
    connection = warehouse_with({"M": ("2025-06", "approved", "68.00"), **others})
    candidates, standing, months = columnar_reading_with_months(connection, ledger, Month(2025, 8))
    assert months == ("2025-05", "2025-06")
    assert (candidates, standing) == window_reading(connection, ledger.files(), Month(2025, 8)) == (set(), {})
    connection = warehouse_with({"M": ("2025-06", "rejected", "0.00"), **others})
    candidates, standing, months = columnar_reading_with_months(connection, ledger, Month(2025, 8))
    assert months == ("2025-05", "2025-06")
    assert candidates == {"M"}
    assert standing == {"M": entry("2025-05", DECISION, "M", "2025-05", "approved", "68.00")}


def columnar_reading_with_months(connection, ledger: Ledger, month: Month):
    from payroll.warehouse import _read_ledger

    standing, _, months = _read_ledger(connection, month, fresh_copies(ledger.files(), lambda _: None))
    candidates = {row[0] for row in connection.execute("select task_id from adjustment_candidates").fetchall()}
    return candidates, standing, months


def test_a_task_back_in_its_month_after_not_evaluated_is_found(tmp_path):
    """G was paid in May, then left the delivery ('not evaluated' in June's close). It comes back in May, as its
    May decision said. Its standing (not evaluated, in no month's fingerprint) differs from the warehouse, while
    its decision row equals it: only the adjustment rows, read whatever their month, find it."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "G", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [
        entry("2025-06", ADJUSTMENT, "G", "2025-05", NOT_EVALUATED, "0.00", "-68.00"),
        entry("2025-06", DECISION, "H", "2025-06", "approved", "68.00")])
    connection = warehouse_with({"G": ("2025-05", "approved", "68.00"), "H": ("2025-06", "approved", "68.00")})
    candidates, standing, months = columnar_reading_with_months(connection, ledger, Month(2025, 7))
    assert months == ("2025-05",)
    assert candidates == {"G"}
    assert standing["G"].outcome == NOT_EVALUATED
    # Gone it stays: nothing differs, nothing is joined.
    connection = warehouse_with({"H": ("2025-06", "approved", "68.00")})
    assert columnar_reading_with_months(connection, ledger, Month(2025, 7)) == (set(), {}, ())


def test_a_task_back_after_not_evaluated_in_another_month_is_found(tmp_path):
    """G was paid in May; June's close found it rejected in April (a late export moved it), July's found it gone.
    In August's warehouse it is back in May, as its May decision said. Only May differs; G's adjustments are of
    April: the adjustment rows are read whatever their month, or G's return would go unpaid."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "G", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [entry("2025-06", ADJUSTMENT, "G", "2025-04", "rejected", "0.00", "-68.00")])
    ledger.write_close(Month(2025, 7), [entry("2025-07", ADJUSTMENT, "G", "2025-04", NOT_EVALUATED, "0.00", "0.00")])
    connection = warehouse_with({"G": ("2025-05", "approved", "68.00")})
    candidates, standing, months = columnar_reading_with_months(connection, ledger, Month(2025, 8))
    assert months == ("2025-05",)
    assert candidates == {"G"} and standing["G"].outcome == NOT_EVALUATED
    assert (candidates, standing) == window_reading(connection, ledger.files(), Month(2025, 8))


def three_closes(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "A", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [entry("2025-06", DECISION, "B", "2025-06", "approved", "68.00")])
    ledger.write_close(Month(2025, 7), [entry("2025-07", DECISION, "C", "2025-07", "held", "0.00")])
    fresh_copies(ledger.files(), lambda _: None)
    return ledger


def test_a_record_whose_fingerprint_was_edited_is_rebuilt_not_believed(tmp_path):
    """A record damaged so that it still parses (a number changed) would make a changed month look settled: its
    own SHA-256 no longer matches, so the copy is rebuilt and the fingerprint computed again."""
    ledger = three_closes(tmp_path)
    record_file = record_path_of(ledger.file_of(Month(2025, 7)))
    record = json.loads(record_file.read_text(encoding="utf-8"))
    true_fingerprint = dict(record["standing_fingerprint"]["months"])
    record["standing_fingerprint"]["months"]["2025-05"] = [1, "1"]  # what a warehouse that rejects A would give
    record_file.write_text(json.dumps(record), encoding="utf-8")
    said: list[str] = []
    copies = fresh_copies(ledger.files(), said.append)
    assert len(said) == 1 and "2025-07.csv" in said[0] and "not the one written" in said[0]
    assert json.loads(record_file.read_text(encoding="utf-8"))["standing_fingerprint"]["months"] == true_fingerprint
    connection = warehouse_with({"A": ("2025-05", "rejected", "0.00"), "B": ("2025-06", "approved", "68.00"),
                                 "C": ("2025-07", "held", "0.00")})
    assert months_to_join(connection, Month(2025, 8), copies) == ["2025-05"]
    candidates, _, _ = columnar_reading(connection, ledger, Month(2025, 8))
    assert candidates == {"A"}


def test_a_fingerprint_built_on_an_earlier_ledger_that_changed_is_rebuilt(tmp_path):
    """June's ledger file is restored from another copy (A adjusted to rejected): its copy is rebuilt, and July's
    fingerprint, built on June's old one, is rebuilt after it, so the newest fingerprint is the standing's."""
    ledger = three_closes(tmp_path)
    june = ledger.file_of(Month(2025, 6))
    june.unlink()
    Ledger(ledger.folder).write_close(Month(2025, 6), [
        entry("2025-06", DECISION, "B", "2025-06", "approved", "68.00"),
        entry("2025-06", ADJUSTMENT, "A", "2025-05", "rejected", "0.00", "-68.00")])
    said: list[str] = []
    copies = fresh_copies(ledger.files(), said.append)
    assert [line.split()[6] for line in said] == ["2025-06.csv", "2025-07.csv"]
    assert "built on" in said[1]
    assert copies[-1].fingerprint == python_fingerprint(ledger)
    connection = warehouse_with({"A": ("2025-05", "rejected", "0.00"), "B": ("2025-06", "approved", "68.00"),
                                 "C": ("2025-07", "held", "0.00")})
    assert months_to_join(connection, Month(2025, 8), copies) == []


def test_a_fingerprint_that_cannot_be_checked_joins_every_month(tmp_path):
    """Given only the newest file (not the one its fingerprint was built on), the fingerprint is not used: every
    month is joined, as before fingerprints."""
    ledger = three_closes(tmp_path)
    copies = fresh_copies(ledger.files()[-1:], lambda _: None)
    assert copies[0].fingerprint is None
    connection = warehouse_with({"A": ("2025-05", "approved", "68.00"), "B": ("2025-06", "approved", "68.00"),
                                 "C": ("2025-07", "held", "0.00")})
    assert months_to_join(connection, Month(2025, 8), copies) is None


def test_a_fingerprint_of_another_duckdb_is_rebuilt(tmp_path, monkeypatch):
    """DuckDB's hash() may change between versions: a record hashed by another version is rebuilt."""
    ledger = three_closes(tmp_path)
    monkeypatch.setattr("payroll.ledger_copies.FINGERPRINT_HASH", "duckdb 0.0.1: hash(...)")
    said: list[str] = []
    fresh_copies(ledger.files(), said.append)
    assert len(said) == 3 and all("hashed by" in line for line in said)


def test_a_copy_written_after_a_close_builds_on_the_earlier_copies_in_its_folder(tmp_path):
    """The close writes the new month's copy with no list of earlier copies (as its crash recovery does): it finds
    them in the folder, rebuilding a missing one first."""
    ledger = three_closes(tmp_path)
    for name in ("2025-06.parquet", "2025-06.json", "2025-07.parquet", "2025-07.json"):
        os.remove(ledger.folder / ".columnar" / name)
    write_copy(ledger.file_of(Month(2025, 7)))
    copies = fresh_copies(ledger.files(), lambda line: pytest.fail(line))
    assert copies[-1].fingerprint == python_fingerprint(ledger)
    assert copies[-1].fingerprint["2025-07"][0] == 1


def test_the_warehouse_sums_its_stored_hashes_and_hashes_rows_written_before_the_column(tmp_path):
    """fct_task_payments.standing_hash (written with each row by dbt) is summed as it is; a month with rows of an
    older build (no hash) is hashed by the close. Both give the ledger's fingerprint; a wrong stored hash does not."""
    ledger = three_closes(tmp_path)
    copies = fresh_copies(ledger.files(), lambda _: None)
    connection = warehouse_with({"A": ("2025-05", "approved", "68.00"), "B": ("2025-06", "approved", "68.00"),
                                 "C": ("2025-07", "held", "0.00")})
    standing_hash = STANDING_HASH_SQL.format(task="task_id", outcome="outcome", amount="payable_amount")
    connection.execute("alter table fct_task_payments add column standing_hash ubigint")
    connection.execute(f"update fct_task_payments set standing_hash = {standing_hash} where task_id <> 'B'")
    assert warehouse_fingerprint(connection, Month(2025, 8)) == copies[-1].fingerprint
    assert months_to_join(connection, Month(2025, 8), copies) == []
    connection.execute("update fct_task_payments set standing_hash = standing_hash + 1 where task_id = 'A'")
    assert months_to_join(connection, Month(2025, 8), copies) == ["2025-05"]


def test_a_whole_record_without_a_readable_fingerprint_is_rebuilt(tmp_path):
    """A record of this layout, with its own SHA-256 right, whose fingerprint lacks its base: rebuilt, not read."""
    from payroll.ledger_copies import record_digest

    ledger = three_closes(tmp_path)
    record_file = record_path_of(ledger.file_of(Month(2025, 6)))
    record = json.loads(record_file.read_text(encoding="utf-8"))
    del record["standing_fingerprint"]["after"]
    record["record_sha256"] = record_digest(record)
    record_file.write_text(json.dumps(record), encoding="utf-8")
    said: list[str] = []
    copies = fresh_copies(ledger.files(), said.append)
    assert len(said) == 1 and "2025-06.csv" in said[0] and "no readable fingerprint" in said[0]
    assert copies[-1].fingerprint == python_fingerprint(ledger)


def test_a_task_with_several_rows_in_one_close_counts_once_by_its_standing(tmp_path):
    """Within one close a decision stands over an adjustment of the same task (its conclusion moved into the month
    closed), and of two rows of one kind the later stands (a hand-made file): the fingerprint counts each task once,
    in the month of that row, as Ledger.standing reads it."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "M", "2025-05", "approved", "68.00"),
                                        entry("2025-05", DECISION, "N", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [
        entry("2025-06", DECISION, "M", "2025-06", "approved", "68.00"),
        entry("2025-06", DECISION, "P", "2025-06", "held", "0.00"),
        entry("2025-06", DECISION, "P", "2025-06", "approved", "68.00"),
        entry("2025-06", ADJUSTMENT, "M", "2025-05", NOT_EVALUATED, "0.00", "-68.00"),
        entry("2025-06", ADJUSTMENT, "N", "2025-05", "rejected", "0.00", "-68.00"),
        entry("2025-06", ADJUSTMENT, "N", "2025-05", "held", "0.00", "0.00"),
    ])
    copies = fresh_copies(ledger.files(), lambda _: None)
    assert copies[-1].fingerprint == python_fingerprint(ledger)
    assert {month: tasks for month, (tasks, _) in copies[-1].fingerprint.items()} == {"2025-05": 1, "2025-06": 2}
    connection = warehouse_with({"M": ("2025-06", "approved", "68.00"), "N": ("2025-05", "held", "0.00"),
                                 "P": ("2025-06", "approved", "68.00")})
    assert months_to_join(connection, Month(2025, 7), copies) == []
