"""Columnar copies of the ledger files: a cache the close reads instead of parsing every CSV again.

ledger/YYYY-MM.csv stays the record. Beside it, ledger/.columnar/YYYY-MM.parquet
holds the same rows with every column as the same text ('' where the CSV
field is empty, as csv.DictReader reads it), so LedgerEntry.from_row reads
exactly what the CSV says. ledger/.columnar/YYYY-MM.json records which CSV it
was made from (name, size, mtime_ns, ctime_ns, inode, SHA-256), the copy's
own SHA-256, and what that close paid (its row of the history of closes, so
a close reads the history from these records, not from every row).

A copy is used only when its CSV's size, mtime_ns, ctime_ns and inode are
still those recorded (any write to the CSV, or a file put in its place,
changes its ctime or inode, which no user can set back) and the copy's bytes
still have the recorded SHA-256 (Parquet pages carry no checksum, and a
damaged page can read as other values). Otherwise (missing, stale, damaged,
older layout) the copy is rebuilt from the CSV and the rebuild is logged: a
copy is never read stale. Hashing a copy is cheap (4 MB for a national
month); hashing every earlier CSV at every close would cost what the copies
save, so the CSV's SHA-256 is recorded (it traces the copy to the manifest's
`ledger_file`) and compared only by `copy_problem(..., deep=True)`.

The record also holds the **standing fingerprint** as of that close: per
reference month, the count and the sum of hash(task, outcome, amount paid) of
every task's standing (payroll.ledger.stands_over) in that month, tasks
standing as 'not evaluated' left out (the warehouse has no row for them).
It is computed from the previous close's fingerprint plus this file's rows
(each of its tasks leaves its earlier standing's month and joins its new
one), so a close never reads every earlier row for it. The close compares it
with the same fingerprint of the warehouse (payroll.warehouse) and joins only
the months that differ. Each fingerprint names the one it was built on (file
and digest): a record whose earlier month's fingerprint changed, or made by
another DuckDB (whose hash() may differ), is rebuilt; the record carries its
own SHA-256, so a damaged record is rebuilt too, never believed.

The hidden folder changes nothing the ledger folder means: closed_months()
reads only ledger/YYYY-MM.csv, and a reopen removes the month's copy.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from payroll.errors import CloseFailed
from payroll.ledger import ADJUSTMENT, COLUMNS, DECISION, fsync_folder
from payroll.model import NOT_EVALUATED
from payroll.money import money
from pgb_shared.fingerprints import sha256_of

COLUMNAR_FOLDER = ".columnar"
# Bumped when the copy's layout or metadata changes: a copy of another layout is rebuilt.
COPY_LAYOUT = "2"
AMOUNT_COLUMNS = ("due_amount", "paid_amount", "delta_amount")
SHOWN_LINES = 10

LOGGER = logging.getLogger(__name__)
Log = Callable[[str], None]

# The one hash of a task's standing, for the ledger's rows (text) and the warehouse's (fct_task_payments) alike:
# the same types on both sides give the same value. Which DuckDB computed it is part of the fingerprint.
STANDING_HASH_SQL = "hash(cast({task} as varchar), cast({outcome} as varchar), cast({amount} as decimal(18, 2)))"
FINGERPRINT_HASH = f"duckdb {duckdb.__version__}: " + STANDING_HASH_SQL.format(
    task="task_id", outcome="outcome", amount="paid_amount")
# Per reference month YYYY-MM: (tasks, sum of their hashes).
Fingerprint = dict[str, tuple[int, int]]


class LedgerFileError(CloseFailed):
    """A ledger CSV the close cannot read as a ledger: names the file, the column and the lines."""


@dataclass(frozen=True)
class ColumnarCopy:
    """A fresh copy of one ledger CSV, and that close's amounts: (closed month, decisions, adjustments).

    fingerprint: the ledger's standing fingerprint as of this close (see the module docstring), None when the
    files before it were not given to check the one it was built on; digest: what the next close's names.
    """

    csv_file: Path
    path: Path
    history: tuple[tuple[str, Decimal, Decimal], ...]
    fingerprint: Fingerprint | None = None
    fingerprint_digest: str | None = None


def copy_path_of(csv_file: Path) -> Path:
    return csv_file.parent / COLUMNAR_FOLDER / f"{csv_file.stem}.parquet"


def record_path_of(csv_file: Path) -> Path:
    return csv_file.parent / COLUMNAR_FOLDER / f"{csv_file.stem}.json"


def source_record(csv_file: Path) -> dict[str, object]:
    """What identifies the CSV's content without reading it (see the module docstring)."""
    status = csv_file.stat()
    return {"name": csv_file.name, "size": status.st_size, "mtime_ns": status.st_mtime_ns,
            "ctime_ns": status.st_ctime_ns, "inode": status.st_ino}


def copy_problem(csv_file: Path, deep: bool = False) -> tuple[str | None, dict]:
    """(why the copy of csv_file must not be read, or None; its record). deep: also compare the CSV's SHA-256."""
    copy, record_file = copy_path_of(csv_file), record_path_of(csv_file)
    if not copy.exists() or not record_file.exists():
        return "it is missing", {}
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        source, copy_sha256 = record["source"], record["copy_sha256"]
        history_of(record)
    except (OSError, KeyError, TypeError, ValueError) as error:
        return f"its record {record_file.name} is unreadable ({type(error).__name__}: {error})", {}
    if record.get("layout") != COPY_LAYOUT:
        return f"it has layout {record.get('layout')!r}, this version reads {COPY_LAYOUT!r}", record
    if record.get("record_sha256") != record_digest(record):
        return f"its record {record_file.name} is not the one written (damaged or edited)", record
    try:
        fingerprint_of(record)
        if set(record["standing_fingerprint"]["after"]) != {"file", "digest"}:  # what fresh_copies compares
            raise ValueError("its base is not named by file and digest")
    except (KeyError, TypeError, ValueError) as error:
        return f"its record {record_file.name} has no readable fingerprint ({type(error).__name__}: {error})", record
    if record["standing_fingerprint"].get("hash") != FINGERPRINT_HASH:
        return (f"its fingerprint was hashed by {record['standing_fingerprint'].get('hash')!r}, "
                f"this version hashes by {FINGERPRINT_HASH!r}"), record
    recorded = {name: source.get(name) for name in ("name", "size", "mtime_ns", "ctime_ns", "inode")}
    now = source_record(csv_file)
    if recorded != now:
        changed = ", ".join(name for name in now if recorded[name] != now[name])
        return f"the CSV changed after the copy was made ({changed})", record
    if sha256_of(copy) != copy_sha256:
        return "the copy's bytes are not those written (damaged or replaced)", record
    if deep and source.get("sha256") != sha256_of(csv_file):
        return "the CSV's SHA-256 is not the one the copy was made from", record
    return None, record


def fresh_copies(csv_files: list[Path], log: Log | None = None) -> list[ColumnarCopy]:
    """A copy for every ledger CSV, in the same order: those stale, missing or damaged rebuilt (and logged).

    csv_files: the ledger's files, oldest first. Each fingerprint is checked against the one before it in the
    list: built on another (an earlier month's ledger changed since), it is rebuilt. The first file's
    fingerprint is checked only when the ledger has no file before it (fingerprint None otherwise).
    """
    copies: list[ColumnarCopy] = []
    for csv_file in csv_files:
        problem, record = copy_problem(csv_file)
        built_on = _built_on(copies)
        if problem is None and copies and record["standing_fingerprint"]["after"] != built_on:
            problem = (f"its fingerprint was built on {record['standing_fingerprint']['after']}, "
                       f"but the close before it now is {built_on}")
        if problem is not None:
            (log or LOGGER.warning)(f"ledger: rebuilding the columnar copy of {csv_file.name} from the CSV, "
                                    f"because {problem} ({copy_path_of(csv_file)})")
            record = write_copy(csv_file, copies if copies and _checked(copies) else _copies_before(csv_file, log))
        checked = bool(copies) or record["standing_fingerprint"]["after"] == _built_on([])
        copies.append(ColumnarCopy(csv_file, copy_path_of(csv_file), history_of(record),
                                   fingerprint_of(record) if checked and _checked(copies) else None,
                                   fingerprint_digest(record)))
    return copies


def _checked(copies: list[ColumnarCopy]) -> bool:
    """Whether the chain of fingerprints up to here is checked (the previous copy's fingerprint is)."""
    return not copies or copies[-1].fingerprint is not None


def _built_on(copies: list[ColumnarCopy]) -> dict[str, str | None]:
    """What a fingerprint made after `copies` names as its base."""
    if not copies:
        return {"file": None, "digest": None}
    return {"file": copies[-1].csv_file.name, "digest": copies[-1].fingerprint_digest}


def _copies_before(csv_file: Path, log: Log | None) -> list[ColumnarCopy]:
    """Fresh copies of the ledger files before csv_file in its folder (the base of its fingerprint)."""
    earlier = sorted(path for path in csv_file.parent.glob("????-??.csv") if path.stem < csv_file.stem)
    return fresh_copies(earlier, log) if earlier else []


def history_of(record: dict) -> tuple[tuple[str, Decimal, Decimal], ...]:
    return tuple((month, money(decisions), money(adjustments))
                 for month, decisions, adjustments in record["history"])


def fingerprint_of(record: dict) -> Fingerprint:
    return {month: (int(tasks), int(hashes)) for month, (tasks, hashes) in
            record["standing_fingerprint"]["months"].items()}


def fingerprint_digest(record: dict) -> str:
    """SHA-256 of the fingerprint with what it was built on: the next close's fingerprint names it."""
    text = json.dumps(record["standing_fingerprint"], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_digest(record: dict) -> str:
    """SHA-256 of the record without this field: a record changed after it was written is not believed."""
    text = json.dumps({name: value for name, value in record.items() if name != "record_sha256"},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_copy(csv_file: Path, earlier: list[ColumnarCopy] | None = None) -> dict:
    """Make the copy of csv_file and its record; returns the record.

    earlier: fresh copies of the ledger files before this one, oldest first (read from the folder when None):
    the standing fingerprint is the last one's plus this file's changes.

    Both are written to scratch files, then renamed, the copy first: a crash leaves the old pair, or a new copy
    whose SHA-256 the old record does not match (rebuilt at the next read), never a copy read stale. The CSV is
    checked on the way (header, entry, task, closed month, amounts): a row the close could not read as the
    record says stops with LedgerFileError naming the file, the column and the lines.
    """
    return place_copy(prepare_copy(csv_file, csv_file, earlier), csv_file)


@dataclass
class PreparedCopy:
    """A copy made from a ledger file's bytes before the file took its place (prepare_copy): the scratch copy
    and its record but for the placed file's identity, which place_copy adds."""

    read_from: Path
    read_state: dict[str, object]  # source_record of read_from when it was read
    scratch_copy: Path
    record: dict

    def discard(self) -> None:
        self.scratch_copy.unlink(missing_ok=True)


def prepare_copy(read_from: Path, csv_file: Path, earlier: list[ColumnarCopy] | None = None) -> PreparedCopy:
    """The work of write_copy on read_from, whose bytes are csv_file's (the same file, or the close's staged
    ledger file before it is renamed to csv_file): the scratch copy, fingerprint and history, all checked.

    A close prepares the copy from its staged file while it writes the rest of its package, so that only the
    renames wait for its commit (payroll.close). The caller discards what it does not place.
    """
    if earlier is None:
        earlier = _copies_before(csv_file, None)
    before = source_record(read_from)
    _check_header(read_from)
    copy = copy_path_of(csv_file)
    copy.parent.mkdir(parents=True, exist_ok=True)
    scratch_copy = _scratch(copy)
    try:
        with duckdb.connect(":memory:") as connection:
            _load_csv(connection, read_from)
            _check_rows(connection, read_from, csv_file.stem)
            history = _history(connection)
            fingerprint = _standing_fingerprint(connection, earlier)
            connection.execute(f"copy ledger_csv to {_sql_text(str(scratch_copy))} (format parquet, compression zstd)")
        record = {
            "layout": COPY_LAYOUT,
            "source": {"sha256": sha256_of(read_from)},
            "copy_sha256": _fsynced_sha256(scratch_copy),
            "history": history,
            "standing_fingerprint": fingerprint,
        }
        if source_record(read_from) != before:  # written to while it was read: nothing is cached from it
            raise LedgerFileError(f"ledger file {read_from} changed while its columnar copy was made: "
                                  "run the close again.")
    except BaseException:
        scratch_copy.unlink(missing_ok=True)
        raise
    return PreparedCopy(read_from, before, scratch_copy, record)


def place_copy(prepared: PreparedCopy, csv_file: Path) -> dict:
    """Record csv_file's identity in the prepared record and rename copy and record into place; returns the record.

    csv_file must be the file the copy was read from, unchanged: the same inode, size and modification time
    (a rename keeps them; it changes the change time, which the record takes from csv_file now). Otherwise
    LedgerFileError, and nothing is placed.
    """
    record_file = record_path_of(csv_file)
    scratch_record = _scratch(record_file)
    try:
        placed = source_record(csv_file)
        unchanged = ("size", "mtime_ns", "inode")
        if any(placed[key] != prepared.read_state[key] for key in unchanged):
            raise LedgerFileError(f"ledger file {csv_file} is not the file its columnar copy was read from "
                                  f"({prepared.read_from.name}): the copy is rebuilt from it.")
        record = {**prepared.record, "source": {**placed, **prepared.record["source"]}}
        record["record_sha256"] = record_digest(record)
        with scratch_record.open("w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(prepared.scratch_copy, copy_path_of(csv_file))
        os.replace(scratch_record, record_file)
        fsync_folder(record_file.parent)
    finally:
        prepared.discard()
        scratch_record.unlink(missing_ok=True)
    return record


def remove_copy(csv_file: Path) -> None:
    """Reopen: the month's copy goes before its CSV is set aside, so no copy of a set-aside file is ever read."""
    record_path_of(csv_file).unlink(missing_ok=True)
    copy_path_of(csv_file).unlink(missing_ok=True)


def discard_scratch_files(ledger_folder: Path) -> list[Path]:
    """Half-written copies and records a crash left (under the ledger's lock)."""
    leftovers = sorted((ledger_folder / COLUMNAR_FOLDER).glob(".*.tmp"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return leftovers


def _scratch(path: Path) -> Path:
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    return Path(name)


def _fsynced_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    return sha256_of(path)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_header(csv_file: Path) -> None:
    with csv_file.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    if header != COLUMNS:
        raise LedgerFileError(f"ledger file {csv_file}: line 1 has the columns {', '.join(header) or '(none)'}; "
                              f"a ledger file has {', '.join(COLUMNS)}, in that order.")


def _load_csv(connection: duckdb.DuckDBPyConnection, csv_file: Path) -> None:
    """The CSV's rows as text, '' for an empty field (what csv.DictReader gives), in file order (rowid)."""
    columns = "{" + ", ".join(f"'{name}': 'varchar'" for name in COLUMNS) + "}"
    texts = ", ".join(f"coalesce({name}, '') as {name}" for name in COLUMNS)
    try:
        connection.execute(
            f"create table ledger_csv as select {texts} from read_csv($path, header = true, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8')",
            {"path": str(csv_file)},
        )
    except duckdb.Error as error:
        raise LedgerFileError(f"ledger file {csv_file} cannot be read as CSV: {error}") from None


def _check_rows(connection: duckdb.DuckDBPyConnection, csv_file: Path, month: str) -> None:
    """Every row the standing and the history rely on; line = rowid + 2 (the header is line 1)."""
    checks = [
        ("task_id", "task_id = ''", "is empty"),
        ("entry", f"entry not in ('{DECISION}', '{ADJUSTMENT}')", f"is neither {DECISION} nor {ADJUSTMENT}"),
        ("closed_month", f"closed_month <> {_sql_text(month)}", f"is not {month}, the month the file is named for"),
        *((name, f"try_cast({name} as decimal(18, 2)) is null", "is not an amount") for name in AMOUNT_COLUMNS),
    ]
    for column, condition, problem in checks:
        count, lines = connection.execute(
            f"select count(*), list(rowid + 2 order by rowid)[1:{SHOWN_LINES}] from ledger_csv where {condition}"
        ).fetchone()
        if count:
            more = f" and {count - len(lines)} more" if count > len(lines) else ""
            shown = ", ".join(str(line) for line in lines) + more
            raise LedgerFileError(f"ledger file {csv_file}: column {column} {problem} on line(s) {shown}; "
                                  "the file is left as it is: correct it (or restore it) and run the close again.")


def _history(connection: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """This close's row of the history of closes (none for a file without rows), as text."""
    rows = connection.execute(f"""
        select
            closed_month,
            coalesce(sum(cast(delta_amount as decimal(18, 2))) filter (where entry = '{DECISION}'), 0)::varchar,
            coalesce(sum(cast(delta_amount as decimal(18, 2))) filter (where entry = '{ADJUSTMENT}'), 0)::varchar
        from ledger_csv
        group by closed_month
        order by closed_month
    """).fetchall()
    return [list(row) for row in rows]


def _standing_fingerprint(connection: duckdb.DuckDBPyConnection, earlier: list[ColumnarCopy]) -> dict:
    """The standing fingerprint as of this close: the previous one, minus the earlier standing of every task this
    file mentions, plus its standing here (stands_over within one close: its decision, else its last row)."""
    if earlier and earlier[-1].fingerprint is None:
        raise ValueError(f"the fingerprint of {earlier[-1].csv_file.name} is not checked")
    months: dict[str, list[int]] = {month: [tasks, hashes]
                                    for month, (tasks, hashes) in (earlier[-1].fingerprint if earlier else {}).items()}
    standing_hash = STANDING_HASH_SQL.format(task="task_id", outcome="outcome", amount="paid_amount")
    # Only the tasks with more than one row here (decided and adjusted in this close) need the window.
    connection.execute("""
        create or replace temporary table this_close_standing as
        with repeated as (select task_id from ledger_csv group by task_id having count(*) > 1)
        select task_id, reference_month, outcome, paid_amount from ledger_csv anti join repeated using (task_id)
        union all
        select task_id, reference_month, outcome, paid_amount from ledger_csv semi join repeated using (task_id)
        qualify row_number() over (partition by task_id order by entry = 'decision' desc, rowid desc) = 1
    """)
    changes = f"select reference_month, 1 as sign, {standing_hash} as standing_hash from this_close_standing " \
              f"where outcome <> '{NOT_EVALUATED}'"
    values: dict[str, object] = {}
    if earlier:
        # Only the earlier rows of this file's tasks are read (a semi-join on the copies, not a window over all).
        changes += f"""
            union all
            select reference_month, -1, {standing_hash} from (
                select task_id, reference_month, outcome, paid_amount
                from read_parquet($earlier, file_row_number = true)
                where task_id in (select task_id from this_close_standing)
                qualify row_number() over (
                    partition by task_id order by closed_month desc, entry = 'decision' desc, file_row_number desc
                ) = 1
            )
            where outcome <> '{NOT_EVALUATED}'"""
        values["earlier"] = [str(copy.path) for copy in earlier]
    rows = connection.execute(f"""
        select reference_month, sum(sign)::bigint, sum(sign * standing_hash::hugeint)::varchar
        from ({changes})
        group by reference_month
    """, values or None).fetchall()
    for month, tasks, hashes in rows:
        total = months.setdefault(month, [0, 0])
        total[0] += int(tasks)
        total[1] += int(hashes)
    return {
        "hash": FINGERPRINT_HASH,
        "after": _built_on(earlier),
        "months": {month: [tasks, str(hashes)] for month, (tasks, hashes) in sorted(months.items())
                   if tasks or hashes},
    }
