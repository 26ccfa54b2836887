"""The ledger's columnar copies: the close reads the same standing, candidates and history as before, from a cache
that is never read stale.

The reference is the reading the close used before the copies: every ledger CSV read by DuckDB as text and each
task's newest row taken by a window over every row. The new reading must give the same adjustment candidates and
the same standing, on ledgers where a task is adjusted in several closes, decided again after its month moved,
or decided and adjusted in the same close (the decision stands: payroll.ledger.stands_over).
"""

from __future__ import annotations

import json
import os
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from payroll.ledger import ADJUSTMENT, DECISION, Ledger, LedgerEntry
from payroll.ledger_copies import (
    LedgerFileError, copy_path_of, copy_problem, discard_scratch_files, fresh_copies, place_copy, prepare_copy,
    record_digest, record_path_of, source_record,
)
from payroll.months import Month
from payroll.package import close_history
from payroll.warehouse import _read_ledger
from pgb_shared.fingerprints import sha256_of

CLOSING = Month(2025, 9)
# What the close read before the columnar copies (payroll/warehouse.py until this change), kept as the reference.
WINDOW_READING_SQL = """
    create or replace table window_standing as
    select * from read_csv($files, header = true, all_varchar = true, encoding = 'utf-8')
    qualify row_number() over (partition by task_id order by closed_month desc, entry = 'decision' desc) = 1;
    create or replace table window_candidates as
    with current_tasks as (
        select task_id, outcome, payable_amount from fct_task_payments where reference_month < $month::date
    )
    select coalesce(standing.task_id, current_tasks.task_id) as task_id
    from window_standing as standing
    full outer join current_tasks on standing.task_id = current_tasks.task_id
    where
        standing.task_id is null
        or current_tasks.task_id is null
        or standing.outcome is distinct from current_tasks.outcome
        or cast(standing.paid_amount as decimal(18, 2)) <> current_tasks.payable_amount;
"""


def entry(closed: str, kind: str, task_id: str, reference: str, outcome: str, paid: str, delta: str | None = None,
          rules: str = "") -> LedgerEntry:
    return LedgerEntry(closed, kind, task_id, reference, "0100001", outcome, rules, Decimal("68.00"),
                       Decimal(paid), Decimal(paid if delta is None else delta))


def warehouse_with(current: dict[str, tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory stand-in for fct_task_payments: task_id -> (reference month, outcome, payable amount)."""
    connection = duckdb.connect(":memory:")
    connection.execute("create table fct_task_payments "
                       "(task_id varchar, reference_month date, outcome varchar, payable_amount decimal(18, 2))")
    rows = [[task_id, Month.parse(month).first_day, outcome, Decimal(amount)]
            for task_id, (month, outcome, amount) in current.items()]
    if rows:
        connection.executemany("insert into fct_task_payments values (?, ?, ?, ?)", rows)
    return connection


def window_reading(connection, files: list[Path], month: Month):
    for statement in WINDOW_READING_SQL.split(";"):
        if statement.strip():
            used = {"files": [str(path) for path in files], "month": month.first_day}
            connection.execute(statement, {name: value for name, value in used.items() if f"${name}" in statement})
    candidates = {row[0] for row in connection.execute("select task_id from window_candidates").fetchall()}
    columns = [column for column in LedgerEntry.__dataclass_fields__]
    standing = {
        row[2]: LedgerEntry.from_row({name: value or "" for name, value in zip(columns, row, strict=True)})
        for row in connection.execute(f"select {', '.join(columns)} from window_standing").fetchall()
        if row[2] in candidates
    }
    return candidates, standing


def columnar_reading(connection, ledger: Ledger, month: Month, log=None):
    standing, history, _ = _read_ledger(connection, month, fresh_copies(ledger.files(), log))
    candidates = {row[0] for row in connection.execute("select task_id from adjustment_candidates").fetchall()}
    return candidates, standing, history


def random_ledger(folder: Path, seed: int) -> tuple[Ledger, dict[str, tuple[str, str, str]]]:
    """Closes 2025-01..2025-08: decisions, tasks adjusted in one or several closes, tasks decided again in a later
    close (their month moved, with the 'not evaluated' adjustment in between), and a warehouse that agrees with the
    ledger for most tasks, differs for some, lacks some, and has late tasks the ledger never saw."""
    rng = random.Random(seed)
    months = [Month(2025, number) for number in range(1, 9)]
    closes: dict[Month, list[LedgerEntry]] = {month: [] for month in months}
    adjustments: dict[Month, list[LedgerEntry]] = {month: [] for month in months}
    latest: dict[str, LedgerEntry] = {}
    current: dict[str, tuple[str, str, str]] = {}
    outcomes = [("approved", "68.00"), ("rejected", "0.00"), ("held", "0.00"), ("approved", "34.00")]
    for number in range(400):
        task_id = f"T{number:04d}"
        month_index = rng.randrange(len(months) - 1)
        month = months[month_index]
        outcome, paid = rng.choice(outcomes)
        rules = "R404" if outcome == "rejected" else ""
        decided = entry(str(month), DECISION, task_id, str(month), outcome, paid, rules=rules)
        closes[month].append(decided)
        latest[task_id] = decided
        later = months[month_index + 1:]
        if later and rng.random() < 0.3:  # adjusted in one or more later closes (never twice in one)
            for adjusted_in in sorted(rng.sample(later, k=min(len(later), rng.randint(1, 3)))):
                outcome, paid = rng.choice(outcomes)
                row = entry(str(adjusted_in), ADJUSTMENT, task_id, str(month), outcome, paid,
                            delta=str(Decimal(paid) - latest[task_id].paid_amount))
                adjustments[adjusted_in].append(row)
                latest[task_id] = row
        elif len(later) >= 2 and rng.random() < 0.1:  # its month moved: 'not evaluated', then decided again
            gone_in, decided_again = later[0], later[1]
            adjustments[gone_in].append(entry(str(gone_in), ADJUSTMENT, task_id, str(month), "not_evaluated", "0.00",
                                              delta=str(-latest[task_id].paid_amount)))
            outcome, paid = rng.choice(outcomes)
            again = entry(str(decided_again), DECISION, task_id, str(decided_again), outcome, paid)
            closes[decided_again].append(again)
            latest[task_id] = again
        standing = latest[task_id]
        fate = rng.random()
        if fate < 0.7:  # the warehouse agrees
            current[task_id] = (standing.reference_month, standing.outcome, f"{standing.paid_amount:.2f}")
        elif fate < 0.9:
            outcome, paid = rng.choice(outcomes)
            current[task_id] = (standing.reference_month, outcome, paid)
        # else: the warehouse no longer has it
    for number in range(20):  # late tasks: in the warehouse, in no close
        current[f"L{number:03d}"] = (str(rng.choice(months)), "approved", "68.00")
    ledger = Ledger(folder)
    for month in months:
        ledger.write_close(month, sorted(closes[month], key=lambda row: row.task_id) + adjustments[month])
    return ledger, current


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_columnar_reading_equals_the_window_over_every_row(tmp_path, seed):
    ledger, current = random_ledger(tmp_path / "ledger", seed)
    connection = warehouse_with(current)
    expected_candidates, expected_standing = window_reading(connection, ledger.files(), CLOSING)
    candidates, standing, history = columnar_reading(connection, ledger, CLOSING)
    assert candidates == expected_candidates
    assert standing == expected_standing
    assert standing == {task: row for task, row in ledger.standing().items() if task in candidates}
    assert list(history) == [(row.month, row.amount, row.adjustments) for row in close_history(ledger.entries())]
    assert len(candidates) < len(current) + 20  # not a comparison of everything: most tasks are settled


def test_a_task_decided_again_after_its_month_moved_stands_by_its_newest_decision(tmp_path):
    """G: decided in May, 'not evaluated' in June (its month moved), decided again in July. Its standing is the July
    decision, which the warehouse agrees with: no candidate. Reading "decisions, overridden by the newest adjustment"
    would take June's 'not evaluated' and pay G twice."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "G", "2025-05", "approved", "68.00"),
                                        entry("2025-05", DECISION, "K", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6),
                       [entry("2025-06", ADJUSTMENT, "G", "2025-05", "not_evaluated", "0.00", "-68.00")])
    ledger.write_close(Month(2025, 7), [entry("2025-07", DECISION, "G", "2025-07", "approved", "68.00")])
    connection = warehouse_with({"G": ("2025-07", "approved", "68.00"), "K": ("2025-05", "rejected", "0.00")})
    candidates, standing, _ = columnar_reading(connection, ledger, Month(2025, 8))
    assert candidates == {"K"}
    assert standing == {"K": entry("2025-05", DECISION, "K", "2025-05", "approved", "68.00")}
    assert (candidates, standing) == window_reading(connection, ledger.files(), Month(2025, 8))


def test_a_task_decided_and_adjusted_in_one_close_stands_by_the_decision(tmp_path):
    """M was paid in May; its conclusion moved to June, so June's close pays it in June (decision, 68) and takes
    back May's payment (adjustment 'not evaluated', -68). It is paid 68 in all, as the warehouse says: July has
    nothing to adjust. Standing by the adjustment written after the decision (paid 0) made July pay it again."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 5), [entry("2025-05", DECISION, "M", "2025-05", "approved", "68.00")])
    ledger.write_close(Month(2025, 6), [
        entry("2025-06", DECISION, "M", "2025-06", "approved", "68.00"),
        entry("2025-06", ADJUSTMENT, "M", "2025-05", "not_evaluated", "0.00", "-68.00"),
    ])
    assert sum(row.delta_amount for row in ledger.entries() if row.task_id == "M") == Decimal("68.00")
    assert ledger.standing()["M"] == entry("2025-06", DECISION, "M", "2025-06", "approved", "68.00")
    connection = warehouse_with({"M": ("2025-06", "approved", "68.00")})
    candidates, standing, _ = columnar_reading(connection, ledger, Month(2025, 7))
    assert candidates == set() and standing == {}
    # Had the warehouse changed M since, the comparison starts from the decision.
    connection = warehouse_with({"M": ("2025-06", "rejected", "0.00")})
    candidates, standing, _ = columnar_reading(connection, ledger, Month(2025, 7))
    assert candidates == {"M"}
    assert standing == {"M": entry("2025-06", DECISION, "M", "2025-06", "approved", "68.00")}


def test_an_empty_ledger_and_a_close_without_rows(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    connection = warehouse_with({"A": ("2025-05", "approved", "68.00")})
    assert columnar_reading(connection, ledger, Month(2025, 6)) == ({"A"}, {}, ())
    ledger.write_close(Month(2025, 5), [])
    assert columnar_reading(connection, ledger, Month(2025, 6)) == ({"A"}, {}, ())


def june_entries() -> list[LedgerEntry]:
    return [entry("2025-06", DECISION, task, "2025-06", "approved", "68.00") for task in ("A", "B")]


def june_ledger(tmp_path: Path) -> tuple[Ledger, Path]:
    ledger = Ledger(tmp_path / "ledger")
    return ledger, ledger.write_close(Month(2025, 6), june_entries())


def test_a_missing_copy_is_built_and_said_then_read_without_a_word(tmp_path):
    ledger, path = june_ledger(tmp_path)
    said: list[str] = []
    [copy] = fresh_copies(ledger.files(), said.append)
    assert copy.path == copy_path_of(path) == tmp_path / "ledger" / ".columnar" / "2025-06.parquet"
    assert record_path_of(path) == tmp_path / "ledger" / ".columnar" / "2025-06.json"
    assert len(said) == 1 and "2025-06.csv" in said[0] and "missing" in said[0]
    assert copy.history == (("2025-06", Decimal("136.00"), Decimal("0.00")),)
    assert fresh_copies(ledger.files(), said.append)[0].path == copy.path and len(said) == 1
    assert copy_problem(path, deep=True)[0] is None
    assert ledger.closed_months() == [Month(2025, 6)]  # the hidden folder adds no close


def test_a_copy_whose_csv_changed_is_rebuilt_even_with_its_size_and_mtime_put_back(tmp_path):
    ledger, path = june_ledger(tmp_path)
    fresh_copies(ledger.files(), lambda _: None)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert text.count("68.00") == 6
    with path.open("r+", encoding="utf-8", newline="") as handle:  # same size, in place: same inode
        handle.write(text.replace("68.00", "67.00"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino)
    problem, _ = copy_problem(path)
    assert problem is not None and "ctime_ns" in problem
    said: list[str] = []
    connection = warehouse_with({"A": ("2025-06", "approved", "68.00"), "B": ("2025-06", "approved", "67.00")})
    candidates, standing, history = columnar_reading(connection, ledger, Month(2025, 7), said.append)
    assert len(said) == 1 and "changed" in said[0]
    assert candidates == {"A"} and standing["A"].paid_amount == Decimal("67.00")
    assert history == (("2025-06", Decimal("134.00"), Decimal("0.00")),)


def test_a_csv_put_in_place_of_another_is_not_read_through_the_old_copy(tmp_path):
    ledger, path = june_ledger(tmp_path)
    fresh_copies(ledger.files(), lambda _: None)
    before = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_text(path.read_text(encoding="utf-8").replace("68.00", "67.00"), encoding="utf-8")
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    problem, _ = copy_problem(path)
    assert problem is not None and "inode" in problem


def test_a_damaged_copy_is_rebuilt_even_when_duckdb_would_read_it(tmp_path):
    """Parquet pages carry no checksum: bytes changed in a page can read as other values, so the copy's own
    SHA-256 is checked before it is read."""
    ledger, path = june_ledger(tmp_path)
    [copy] = fresh_copies(ledger.files(), lambda _: None)
    data = copy.path.read_bytes()
    assert b"2025-06" in data  # a page too small to compress holds the text as is
    copy.path.write_bytes(data.replace(b"2025-06", b"2024-06", 1))
    with duckdb.connect(":memory:") as connection:  # read without a word, and wrong
        rows = connection.execute("select closed_month from read_parquet($path)", {"path": str(copy.path)}).fetchall()
    assert ("2024-06",) in rows
    said: list[str] = []
    [rebuilt] = fresh_copies(ledger.files(), said.append)
    assert len(said) == 1 and "damaged" in said[0]
    assert rebuilt.history == (("2025-06", Decimal("136.00"), Decimal("0.00")),)
    assert copy_problem(path, deep=True)[0] is None


def test_a_copy_that_is_not_parquet_or_whose_record_is_unreadable_is_rebuilt(tmp_path):
    ledger, path = june_ledger(tmp_path)
    [copy] = fresh_copies(ledger.files(), lambda _: None)
    copy.path.write_bytes(b"not parquet at all")
    said: list[str] = []
    fresh_copies(ledger.files(), said.append)
    record_path_of(path).write_text('{"layout": "1", "source": ', encoding="utf-8")
    fresh_copies(ledger.files(), said.append)
    assert len(said) == 2 and "damaged" in said[0] and "unreadable" in said[1]
    assert copy_problem(path, deep=True)[0] is None


def test_a_copy_of_an_older_layout_is_rebuilt(tmp_path, monkeypatch):
    ledger, path = june_ledger(tmp_path)
    fresh_copies(ledger.files(), lambda _: None)
    monkeypatch.setattr("payroll.ledger_copies.COPY_LAYOUT", "3")
    said: list[str] = []
    fresh_copies(ledger.files(), said.append)
    assert len(said) == 1 and "layout" in said[0]


def test_the_deep_check_compares_the_csv_sha256(tmp_path):
    ledger, path = june_ledger(tmp_path)
    fresh_copies(ledger.files(), lambda _: None)
    record = json.loads(record_path_of(path).read_text(encoding="utf-8"))
    assert record["source"]["sha256"] == sha256_of(path)
    record["source"]["sha256"] = "0" * 64
    record["record_sha256"] = record_digest(record)  # a whole record of another CSV, not a damaged one
    record_path_of(path).write_text(json.dumps(record), encoding="utf-8")
    assert copy_problem(path)[0] is None
    assert "SHA-256" in copy_problem(path, deep=True)[0]


def test_a_crash_while_writing_a_copy_leaves_nothing_read_and_its_scratch_files_are_discarded(tmp_path):
    ledger, path = june_ledger(tmp_path)
    fresh_copies(ledger.files(), lambda _: None)
    old_copy = copy_path_of(path).read_bytes()
    # The copy renamed, not yet its record (the first rename of write_copy): the old record does not match it.
    (copy_path_of(path).parent / ".2025-06.json.abc.tmp").write_text("half", encoding="utf-8")
    copy_path_of(path).write_bytes(old_copy[:-1] + b"\0")
    assert "damaged" in copy_problem(path)[0]
    assert [leftover.name for leftover in discard_scratch_files(tmp_path / "ledger")] == [".2025-06.json.abc.tmp"]
    assert fresh_copies(ledger.files(), lambda _: None)[0].history == (("2025-06", Decimal("136.00"), Decimal("0.00")),)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda text: text.replace("2025-06,decision,B", "2025-06,decision,"), r"column task_id is empty on line\(s\) 3;"),
    (lambda text: text.replace("decision,B", "decisao,B"),
     r"column entry is neither decision nor adjustment on line\(s\) 3;"),
    (lambda text: text.replace("2025-06,decision,B", "2025-05,decision,B"),
     r"column closed_month is not 2025-06.* line\(s\) 3;"),
    (lambda text: text.replace("68.00\n", "sessenta\n", 1), r"column delta_amount is not an amount on line\(s\) 2;"),
    (lambda text: text.replace("paid_amount", "paid"), r"line 1 has the columns .*paid,"),
])
def test_a_ledger_file_the_close_cannot_read_is_named_with_its_column_and_lines(tmp_path, edit, message):
    ledger, path = june_ledger(tmp_path)
    original = path.read_text(encoding="utf-8")
    path.write_text(edit(original), encoding="utf-8")
    with pytest.raises(LedgerFileError, match=message) as raised:
        fresh_copies(ledger.files(), lambda _: None)
    assert str(path) in str(raised.value)
    assert not copy_path_of(path).exists() and not record_path_of(path).exists()
    assert not list(copy_path_of(path).parent.glob(".*.tmp"))
    assert path.read_text(encoding="utf-8") == edit(original)  # nothing lost: the file is left as it was


def test_the_columnar_copy_keeps_the_text_of_the_csv(tmp_path):
    """Empty fields stay '' (as csv.DictReader reads them), quoted commas and leading zeros stay as written."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.write_close(Month(2025, 6), [
        LedgerEntry("2025-06", DECISION, "0042", "2025-06", "0100001", "rejected", "R404,R421", Decimal("68.00"),
                    Decimal("0.00"), Decimal("0.00")),
        LedgerEntry("2025-06", DECISION, "0043", "2025-06", "", "approved", "", Decimal("68.00"),
                    Decimal("68.00"), Decimal("68.00")),
    ])
    [copy] = fresh_copies(ledger.files(), lambda _: None)
    columns = list(LedgerEntry.__dataclass_fields__)
    rows = duckdb.connect(":memory:").execute(
        f"select {', '.join(columns)} from read_parquet($path) order by task_id", {"path": str(copy.path)}).fetchall()
    assert [LedgerEntry.from_row(dict(zip(columns, row, strict=True))) for row in rows] == ledger.entries()
    assert date(2025, 6, 1) == Month.parse(rows[0][0]).first_day


def staged_june(tmp_path: Path) -> tuple[Ledger, Path]:
    """A close's staged June ledger file (not yet in place)."""
    ledger = Ledger(tmp_path / "ledger")
    return ledger, ledger.stage_close(Month(2025, 6), june_entries())


def test_a_copy_prepared_from_the_staged_file_is_placed_as_the_copy_of_the_file_in_place(tmp_path):
    ledger, staged = staged_june(tmp_path)
    path = ledger.file_of(Month(2025, 6))
    prepared = prepare_copy(staged, path)
    assert not copy_path_of(path).exists()  # nothing in place before the ledger file is
    ledger.place_staged(Month(2025, 6))
    record = place_copy(prepared, path)
    assert record["source"] == {**source_record(path), "sha256": sha256_of(path)}  # the placed file's identity
    assert copy_problem(path, deep=True)[0] is None
    said: list[str] = []
    [copy] = fresh_copies(ledger.files(), said.append)
    assert said == []  # read as placed, not rebuilt
    assert copy.history == (("2025-06", Decimal("136.00"), Decimal("0.00")),)
    assert sorted(p.name for p in copy.path.parent.iterdir()) == ["2025-06.json", "2025-06.parquet"]


def test_a_prepared_copy_is_not_placed_for_a_file_other_than_the_one_it_read(tmp_path):
    ledger, staged = staged_june(tmp_path)
    path = ledger.file_of(Month(2025, 6))
    prepared = prepare_copy(staged, path)
    path.write_bytes(staged.read_bytes().replace(b"68.00", b"86.00"))  # another file put in place
    with pytest.raises(LedgerFileError, match="not the file its columnar copy was read from"):
        place_copy(prepared, path)
    assert not copy_path_of(path).parent.exists() or not any(copy_path_of(path).parent.iterdir())


def test_the_close_makes_the_copy_from_the_placed_file_when_the_prepared_one_does_not_fit(tmp_path):
    from payroll.close import _write_columnar_copy

    ledger, staged = staged_june(tmp_path)
    path = ledger.file_of(Month(2025, 6))
    prepared = prepare_copy(staged, path)
    path.write_bytes(staged.read_bytes().replace(b"68.00", b"86.00"))
    said: list[str] = []
    _write_columnar_copy(path, said.append, prepared)
    assert len(said) == 1 and "is rebuilt from it" in said[0]
    assert copy_problem(path, deep=True)[0] is None
    assert fresh_copies(ledger.files(), said.append)[0].history == (("2025-06", Decimal("172.00"), Decimal("0.00")),)
    assert sorted(p.name for p in copy_path_of(path).parent.iterdir()) == ["2025-06.json", "2025-06.parquet"]
