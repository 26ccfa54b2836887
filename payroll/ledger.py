"""The close ledger: what each close decided per task, kept apart from the warehouse.

$PGB_REPORTS_DIR/ledger/YYYY-MM.csv, one file per closed month, written once
and never rewritten (a new file per close: append-only as a folder). Each row
is either the `decision` on a task of that month, or an `adjustment` of a task
of an earlier month carried into that close. A task's standing (what was
last decided and paid for it) is its row in the newest close that mentions
it. Rebuilding or deleting the warehouse never touches these files.

A deliberate reopen moves the month's file to ledger/reopened/ (kept, not
read), so the month can be closed again; only the newest close may reopen.
"""

from __future__ import annotations

import csv
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from pathlib import Path

from payroll.money import money
from payroll.months import Month

DECISION, ADJUSTMENT = "decision", "adjustment"


@dataclass(frozen=True)
class LedgerEntry:
    closed_month: str  # the close that wrote the row, YYYY-MM
    entry: str  # decision | adjustment
    task_id: str
    reference_month: str  # the task's own month, YYYY-MM
    payee_siape: str
    outcome: str
    rules: str
    due_amount: Decimal  # value in force at concluded_at if approved, before the cap
    paid_amount: Decimal  # what the task is paid, all closes together, after the cap
    delta_amount: Decimal  # what this close pays for it (decision: paid_amount)

    @classmethod
    def from_row(cls, row: dict[str, str]) -> LedgerEntry:
        amounts = {"due_amount", "paid_amount", "delta_amount"}
        return cls(**{name: money(value) if name in amounts else value for name, value in row.items()})

    def as_row(self) -> dict[str, str]:
        return {name: (f"{value:.2f}" if isinstance(value, Decimal) else value) for name, value in asdict(self).items()}


COLUMNS = [field.name for field in fields(LedgerEntry)]


def stands_over(newer: LedgerEntry, older: LedgerEntry) -> bool:
    """Whether `newer`, read after `older` (a later close, or later in the same file), is the task's standing.

    A later close's row stands. Within one close, a task has both a decision and an adjustment only when its
    conclusion moved into the month being closed: the adjustment takes back what its old month paid ('not
    evaluated', paid 0) and the decision pays the task in its new month. The decision is what the task is paid
    now (the sum of its deltas equals the decision's paid amount); standing by the adjustment, written after
    it, would read the task as unpaid and make the next close pay it a second time.
    """
    if newer.closed_month != older.closed_month:
        return newer.closed_month > older.closed_month
    return not (older.entry == DECISION and newer.entry == ADJUSTMENT)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable: a power cut after it must not undo it."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Ledger:
    def __init__(self, folder: Path):
        self.folder = folder

    def file_of(self, month: Month) -> Path:
        return self.folder / f"{month}.csv"

    def closed_months(self) -> list[Month]:
        if not self.folder.is_dir():
            return []
        return sorted(Month.parse(path.stem) for path in self.folder.glob("????-??.csv"))

    def files(self, excluding: Month | None = None) -> list[Path]:
        """The ledger file of every close, oldest first (optionally without one close)."""
        return [self.file_of(month) for month in self.closed_months() if month != excluding]

    def entries(self, excluding: Month | None = None) -> list[LedgerEntry]:
        """Every row of every close, oldest close first (optionally without one close)."""
        rows: list[LedgerEntry] = []
        for month in self.closed_months():
            if month != excluding:
                with self.file_of(month).open(newline="", encoding="utf-8") as handle:
                    rows += [LedgerEntry.from_row(row) for row in csv.DictReader(handle)]
        return rows

    def standing(self, excluding: Month | None = None) -> dict[str, LedgerEntry]:
        """task_id -> its newest ledger row: what was last decided and paid for it (see stands_over)."""
        latest: dict[str, LedgerEntry] = {}
        for entry in self.entries(excluding):
            if entry.task_id not in latest or stands_over(entry, latest[entry.task_id]):
                latest[entry.task_id] = entry
        return latest

    def staged_file_of(self, month: Month) -> Path:
        """Where a close writes the month's file before its commit (hidden: closed_months() ignores it)."""
        return self.folder / f".{month}.csv.staged"

    def stage_close(self, month: Month, entries: list[LedgerEntry]) -> Path:
        """Write the month's rows to its staged file, on disk (fsync) but not yet part of the ledger."""
        staged = self.staged_file_of(month)
        self.folder.mkdir(parents=True, exist_ok=True)
        with staged.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            # A close's rows (payroll.package.LedgerEntries, 1.2 million for a national month) write themselves
            # through DuckDB: the same bytes csv would write, without a Python object per row.
            if hasattr(entries, "write_csv_rows"):
                entries.write_csv_rows(handle)
            else:
                writer.writerows(entry.as_row() for entry in entries)
            handle.flush()
            os.fsync(handle.fileno())
        return staged

    def place_staged(self, month: Month) -> Path:
        """Rename the staged file to the month's file (atomic); it must not exist yet."""
        path = self.file_of(month)
        if path.exists():
            raise FileExistsError(path)
        os.replace(self.staged_file_of(month), path)
        fsync_folder(self.folder)
        return path

    def write_close(self, month: Month, entries: list[LedgerEntry]) -> Path:
        """Write the month's file once: it must not exist; it appears whole or not at all."""
        if self.file_of(month).exists():
            raise FileExistsError(self.file_of(month))
        self.stage_close(month, entries)
        return self.place_staged(month)

    def set_aside_path(self, month: Month, suffix: str) -> Path:
        return self.folder / "reopened" / f"{month}.{suffix}.csv"

    def set_aside(self, month: Month, suffix: str) -> Path:
        """Reopen: move the month's file to ledger/reopened/YYYY-MM.<suffix>.csv."""
        target = self.set_aside_path(month, suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.file_of(month), target)
        return target

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One close at a time per reports folder (a second waits)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
