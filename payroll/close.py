"""Close one reference month on a built warehouse: refuse if it must not happen, else read, write, record.

The warehouse is built before (the Dagster asset `close_package` runs after
the exports' checks and dbt); this module only reads it. A close has one
commit point, so that after a crash at any moment the month is either not
closed (a plain retry closes it) or fully closed:

1. stage: the whole package, manifest included, in a hidden folder
   `.close-YYYY-MM.staging/`, and the ledger rows in `ledger/.YYYY-MM.csv.staged`
   (fsync'ed; neither counts as closed);
2. commit: the journal `ledger/.close-YYYY-MM.journal.json` appears (atomic
   rename): it lists the renames still to do;
3. finish: (a reopen: set the previous package and ledger file aside, and
   drop the month's columnar copy), the staged ledger file becomes
   `ledger/YYYY-MM.csv` and gets its columnar copy (a cache, see
   payroll.ledger_copies), the staging folder becomes `close-YYYY-MM/`, the
   journal is removed. Each step is skipped when already done, so it can be
   replayed.

Every close (and `pgb close` before its refusals) first recovers: a journal
found is finished (roll forward), staged files without a journal are
discarded. PGB_FAULT_AT=<stage> (one of CLOSE_STAGES) kills the process at
that stage: the tests crash a real close there. A refused close writes
nothing at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from payroll.errors import CloseFailed, CloseRefused
from payroll.inputs import changed_inputs, fingerprint_inputs, input_states
from payroll.ledger import Ledger, fsync_folder
from payroll.ledger_copies import (
    LOGGER,
    Log,
    LedgerFileError,
    PreparedCopy,
    copy_problem,
    discard_scratch_files,
    place_copy,
    prepare_copy,
    remove_copy,
    write_copy,
)
from payroll.months import Month
from payroll.money import reais, whole_number
from payroll.package import ClosePackage, Signature, build_package, operator_name
from payroll.task_rows import reconcile_task_rows
from payroll.warehouse import months_with_tasks_before, read_snapshot
from payroll.writers.charts import overview_png
from payroll.writers.csv_files import write_python_tables, write_sql_tables
from payroll.writers.html import write_summary
from payroll.writers.manifest import git_state, manifest_document, write_manifest
from payroll.writers.xlsx import write_xlsx
from pgb_shared import accepted_delivery, settings
from pgb_shared.fingerprints import sha256_of

LEDGER_FOLDER = "ledger"
REOPENED_FOLDER = "reopened"
BRASILIA = ZoneInfo(settings.TIMEZONE)
FAULT_VARIABLE = "PGB_FAULT_AT"
# Where a close can be killed, in order: before the commit the month stays open, after it the close finishes.
CLOSE_STAGES = (
    "package_staged",  # the package files are in the staging folder, without the manifest
    "ledger_staged",  # the ledger rows are in their staged file
    "manifest_staged",  # the manifest is in the staging folder: everything is staged
    "committed",  # the journal exists: the month is closed, the renames are still to do
    "previous_set_aside",  # a reopen moved the previous package and ledger file under reopened/
    "ledger_placed",  # ledger/YYYY-MM.csv is in place
    "package_placed",  # close-YYYY-MM/ is in place; only the journal is left to remove
)


@dataclass(frozen=True)
class CloseResult:
    package: ClosePackage
    folder: Path
    ledger_file: Path
    kept_package: Path | None  # where a reopened month's previous package went
    manifest_sha256: str
    # The earlier reference months whose ledger and warehouse fingerprints differed, the only ones joined
    # (None: every month, the ledger's fingerprint being unchecked).
    ledger_months_joined: tuple[str, ...] | None = None

    def ledger_comparison(self) -> str:
        """One line for the run's log: which earlier months the close compared task by task, and why."""
        if self.ledger_months_joined is None:
            return "ledger: every earlier month compared task by task (the ledger's fingerprint could not be checked)"
        if not self.ledger_months_joined:
            return "ledger: every earlier month's fingerprint equals the warehouse's: no task compared"
        return ("ledger: compared task by task the months whose fingerprints differ from the warehouse's: "
                + ", ".join(self.ledger_months_joined))


def package_folder(reports_dir: Path, month: Month) -> Path:
    return reports_dir / f"close-{month}"


def check_can_close(month: Month, ledger: Ledger, reports_dir: Path, reopen: bool) -> None:
    """Raise CloseRefused with what to do instead; changes nothing."""
    closed = ledger.closed_months()
    folder = package_folder(reports_dir, month)
    if reopen:
        if month not in closed:
            raise CloseRefused(f"{month} is not closed, there is nothing to reopen: run `pgb close --month {month}`.")
        if closed[-1] != month:
            raise CloseRefused(
                f"{month} cannot be reopened: {closed[-1]} was closed after it and carries its adjustments. "
                f"Corrections to {month} go into the next close as adjustments."
            )
        return
    if month in closed or folder.exists():
        raise CloseRefused(
            f"{month} is already closed ({folder}); a closed month is never rewritten, so nothing was changed. "
            "New evidence about its tasks is paid as adjustments in the next close. "
            f"To replace this close deliberately: pgb close --month {month} --reopen --reason '...' "
            f"(the current package is kept under {reports_dir / REOPENED_FOLDER})."
        )
    if closed and month < closed[-1]:
        raise CloseRefused(
            f"{month} is before the last closed month {closed[-1]}: its tasks reach the ledger as adjustments "
            f"of the next close ({closed[-1].next()})."
        )
    if closed and month != closed[-1].next():
        raise CloseRefused(f"close {closed[-1].next()} first: months are closed in order, and {closed[-1]} is the last closed.")


def check_earlier_months_closed(month: Month, ledger: Ledger, warehouse: Path, project_dir: Path) -> None:
    """Nothing is skipped: refuse while a month before `month` that has evaluated tasks is not closed.

    Months before the program start, or with no evaluated task, need no
    close. Once the ledger has begun, check_can_close keeps the months in
    order; this guards the first close (in the demo, May 2025 comes first).
    A month before the ledger's first close that gets tasks later (a late
    export) is not refused here: its tasks reach the next close as adjustments.
    """
    closed = ledger.closed_months()
    if closed:
        return
    for earlier in months_with_tasks_before(warehouse, project_dir, month):
        amount = reais(earlier.amount) if earlier.amount is not None else "amount not built yet"
        raise CloseRefused(
            f"close {earlier.month} first: it has {whole_number(earlier.evaluated_tasks)} evaluated tasks "
            f"({amount}) and is not closed; every month since the program start that has evaluated tasks is "
            "closed, in order, before a later one."
        )


def check_can_reopen(reopen: bool, reason: str | None) -> None:
    if reopen and not (reason or "").strip():
        raise CloseRefused("--reopen replaces a closed month: say why with --reason '...' (kept in the manifest).")


def close_month(
    month: Month,
    *,
    reports_dir: Path,
    project_dir: Path,
    warehouse: Path,
    checked_inputs: Mapping[str, str | None] | None = None,
    reopen: bool = False,
    reason: str | None = None,
    picture: Path | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(BRASILIA),
    run_id: str | None = None,
    prepared_by: str | None = None,
    log: Log | None = None,
) -> CloseResult:
    """Write the frozen package of `month` from the published `warehouse` and record it in the ledger.

    checked_inputs: the SHA-256 of each input file as the pipeline checked
    and loaded it (name -> sha256, None = missing); a file that differs now would make the package
    disagree with its manifest, so the close stops. None when the caller
    vouches for the warehouse (a test, a reproduction).
    run_id: the Dagster run closing the month; prepared_by: who (default: the OS user).
    log: where a rebuilt columnar copy of the ledger is reported (default: the payroll.ledger_copies logger).
    """
    ledger = Ledger(reports_dir / LEDGER_FOLDER)
    check_can_reopen(reopen, reason)
    check_reports_dir_writable(reports_dir)
    if not interrupted_close_found(reports_dir):  # a refusal touches nothing, not even the lock file
        check_can_close(month, ledger, reports_dir, reopen)
    with ledger.locked():
        recover_interrupted_closes(reports_dir)  # a crashed close is finished or discarded first
        check_can_close(month, ledger, reports_dir, reopen)  # another close may have finished meanwhile
        if not reopen:
            check_earlier_months_closed(month, ledger, warehouse, project_dir)
        excluding = month if reopen else None
        # The inputs are hashed while DuckDB reads the warehouse (both leave Python's lock: about 0.4 s of a
        # national month); their states, taken before, are compared once it has read it. A changed input is
        # reported before any read error.
        states = input_states(project_dir)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgb-inputs") as hasher:
            hashing = hasher.submit(fingerprint_inputs, project_dir)
            try:
                snapshot = read_snapshot(warehouse, project_dir, month, ledger_files=ledger.files(excluding), log=log)
            except Exception:
                _refuse_changed_inputs(checked_inputs, hashing.result())
                raise
            inputs = hashing.result()
        _refuse_changed_inputs(checked_inputs, inputs)
        if input_states(project_dir) != states:
            raise CloseFailed("an input file changed while the close read the warehouse: run the close again on stable files.")
        earlier_closes = [closed for closed in ledger.closed_months() if closed != excluding]
        closed_at = now()
        package = build_package(
            month,
            snapshot,
            standing=snapshot.ledger_standing,  # only the tasks whose standing differs (read by DuckDB)
            earlier_entries=[],
            earlier_history=snapshot.ledger_history,
            ledger_start=earlier_closes[0] if earlier_closes else month,
            signature=Signature(prepared_by or operator_name(), closed_at, run_id),
        )
        task_rows = reconcile_task_rows(warehouse, month, inputs, package.totals)
        try:
            delivery = accepted_delivery.manifest_block(warehouse)
        except accepted_delivery.AcceptedDeliveryError as error:
            raise CloseFailed(str(error)) from None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgb-ledger-copy") as copier:
            staging, staged_ledger, preparing = _stage_package_and_ledger(package, ledger, reports_dir, copier)
            try:
                fault_point("package_staged")
                fault_point("ledger_staged")
                kept, reopened = (_plan_set_aside(month, ledger, reports_dir, reason) if reopen else (None, None))
                ledger_file = ledger.file_of(month)
                exports_dir = settings.exports_dir(project_dir)
                document = manifest_document(
                    package,
                    closed_at=closed_at.isoformat(timespec="seconds"),
                    git=git_state(project_dir),
                    inputs=inputs,
                    exports_dir=str(exports_dir) if exports_dir else None,
                    package_files=sorted(staging.iterdir()),
                    ledger_file=str(ledger_file.relative_to(reports_dir)),
                    ledger_sha256=sha256_of(staged_ledger),
                    reopened=reopened,
                )
                document.update(reliability_fields(delivery, task_rows))
                manifest = write_manifest(document, staging / "manifest.json")
                manifest_sha256 = sha256_of(manifest)
                _fsync_tree(staging)
                fault_point("manifest_staged")
                journal = _commit(reports_dir, month, staging, staged_ledger, kept, reopened)
                fault_point("committed")
                folder = _finish(reports_dir, journal, log, _prepared(preparing, log))
            finally:
                _discard_unplaced(preparing)
    if picture is not None:
        picture.parent.mkdir(parents=True, exist_ok=True)
        picture.write_bytes(overview_png(package))
    return CloseResult(package, folder, ledger_file, kept, manifest_sha256, snapshot.ledger_months_joined)


def _refuse_changed_inputs(checked_inputs: Mapping[str, str | None] | None, inputs: list) -> None:
    if checked_inputs is not None and (changed := changed_inputs(checked_inputs, inputs)):
        raise CloseFailed(
            "input files changed after the pipeline checked and loaded them, so the warehouse does not "
            f"match them: {', '.join(changed)}. Run the close again on stable files."
        )


# --- issue 11: what the manifest adds about the delivery and the task rows -------------------


def reliability_fields(delivery: Mapping | None, task_rows: Mapping | None) -> dict[str, object]:
    """The manifest's `delivery_guard` (the accepted delivery the warehouse was built from, and every shrink a
    person accepted, with counts, reason, who and when) and `task_rows` (the export's task rows = evaluated +
    out of scope, by reason; absent for a warehouse built before int_tasks__scope existed)."""
    fields: dict[str, object] = {}
    if delivery is not None:
        fields["delivery_guard"] = dict(delivery)
    if task_rows is not None:
        fields["task_rows"] = dict(task_rows)
    return fields


# --- one commit point, and recovery ---------------------------------------------------------


def fault_point(stage: str) -> None:
    """Kill this process (SIGKILL: no cleanup runs) when PGB_FAULT_AT names this stage; tests only."""
    wanted = os.environ.get(FAULT_VARIABLE, "").strip()
    if not wanted:
        return
    if wanted not in CLOSE_STAGES:
        raise ValueError(f"{FAULT_VARIABLE}={wanted!r} names no close stage: one of {', '.join(CLOSE_STAGES)}")
    if wanted == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def check_reports_dir_writable(reports_dir: Path) -> None:
    """CloseFailed naming the folder when the close could not write there (checked before any work)."""
    problem = reports_dir_problem(reports_dir)
    if problem:
        raise CloseFailed(problem)


def reports_dir_problem(reports_dir: Path) -> str | None:
    """Why PGB_REPORTS_DIR cannot hold packages, ledger and previews, or None when it can."""
    existing = reports_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"PGB_REPORTS_DIR {reports_dir}: {existing} is not a folder, so nothing can be written there."
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "the folder" if existing == reports_dir else f"{existing}, where it would be created,"
        return (f"PGB_REPORTS_DIR {reports_dir} is not writable ({what} does not allow this user to write): "
                "choose another folder or fix its permissions.")
    return None


def journal_path(reports_dir: Path, month: Month) -> Path:
    return reports_dir / LEDGER_FOLDER / f".close-{month}.journal.json"


def staging_folder(reports_dir: Path, month: Month) -> Path:
    return reports_dir / f".close-{month}.staging"


def _commit(reports_dir: Path, month: Month, staging: Path, staged_ledger: Path, kept: Path | None,
            reopened: dict | None) -> dict:
    """Write the journal atomically: from here on the month is closed, whatever happens next."""
    journal = {
        "month": str(month),
        "staging": staging.name,
        "staged_ledger": staged_ledger.name,
        "kept_package": str(kept.relative_to(reports_dir)) if kept else None,
        "kept_ledger": reopened["previous_ledger_file"] if reopened else None,
    }
    path = journal_path(reports_dir, month)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(journal, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)
    return journal


def _finish(reports_dir: Path, journal: dict, log: Log | None = None, prepared: PreparedCopy | None = None) -> Path:
    """Do the renames the journal lists, skipping those already done; then remove the journal.

    prepared: the ledger file's columnar copy, made from its staged file by this close (None when replaying a
    journal after a crash: the copy is made from the placed file)."""
    month = Month.parse(journal["month"])
    ledger = Ledger(reports_dir / LEDGER_FOLDER)
    folder = package_folder(reports_dir, month)
    staging = reports_dir / journal["staging"]
    staged_ledger = ledger.folder / journal["staged_ledger"]
    if journal.get("kept_package"):
        kept = reports_dir / journal["kept_package"]
        kept_ledger = reports_dir / journal["kept_ledger"]
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept_ledger.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists() and staging.exists() and not kept.exists():
            os.replace(folder, kept)
        if ledger.file_of(month).exists() and staged_ledger.exists() and not kept_ledger.exists():
            remove_copy(ledger.file_of(month))  # first: a copy of the set-aside file must never be read
            os.replace(ledger.file_of(month), kept_ledger)
        fault_point("previous_set_aside")
    if staged_ledger.exists():
        ledger.place_staged(month)
    fault_point("ledger_placed")
    _write_columnar_copy(ledger.file_of(month), log, prepared)
    if staging.exists():
        os.replace(staging, folder)
        fsync_folder(reports_dir)
    fault_point("package_placed")
    journal_path(reports_dir, month).unlink()
    fsync_folder(ledger.folder)
    return folder


def _write_columnar_copy(ledger_file: Path, log: Log | None, prepared: PreparedCopy | None = None) -> None:
    """The placed ledger file's columnar copy: the prepared one when the placed file is the one it was read from,
    else made from the placed file unless a fresh one is there (a replayed finish). It is a cache: when it
    cannot be written the close still completes, and the next close rebuilds it from the CSV."""
    try:
        if prepared is not None:
            try:
                place_copy(prepared, ledger_file)
                return
            except LedgerFileError as error:
                (log or LOGGER.warning)(f"ledger: {error}")
        if copy_problem(ledger_file)[0] is not None:
            write_copy(ledger_file)
    except (OSError, duckdb.Error, CloseFailed) as error:
        (log or LOGGER.warning)(f"ledger: the columnar copy of {ledger_file.name} was not written ({error}); "
                                "the next close rebuilds it from the CSV")


@dataclass
class Recovery:
    """What the start of a close did about an earlier close that a crash interrupted."""

    finished: list[Month] = field(default_factory=list)  # committed closes completed now
    messages: list[str] = field(default_factory=list)  # one sentence per thing done, for the person running it


def recover_interrupted_closes(reports_dir: Path) -> Recovery:
    """Finish every committed close (journal) and discard what an uncommitted one staged; call under the
    ledger's lock."""
    recovery = Recovery()
    done = recovery.messages
    ledger_folder = reports_dir / LEDGER_FOLDER
    if ledger_folder.is_dir():
        for journal_file in sorted(ledger_folder.glob(".close-????-??.journal.json")):
            journal = json.loads(journal_file.read_text(encoding="utf-8"))
            folder = _finish(reports_dir, journal)
            recovery.finished.append(Month.parse(journal["month"]))
            done.append(f"finished the close of {journal['month']} that a crash interrupted after its commit: {folder}")
        for leftover in sorted(ledger_folder.glob(".????-??.csv.staged")) + sorted(ledger_folder.glob(".close-*.json.tmp")):
            leftover.unlink()
            done.append(f"discarded {leftover} (a close that crashed before its commit)")
        for leftover in discard_scratch_files(ledger_folder):
            done.append(f"discarded {leftover} (a columnar copy of the ledger a crash left half written)")
    for staging in sorted(reports_dir.glob(".close-????-??.staging")) if reports_dir.is_dir() else []:
        shutil.rmtree(staging)
        done.append(f"discarded {staging} (a close that crashed before its commit)")
    return recovery


def interrupted_close_found(reports_dir: Path) -> bool:
    ledger_folder = reports_dir / LEDGER_FOLDER
    return reports_dir.is_dir() and (
        any(reports_dir.glob(".close-????-??.staging"))
        or (ledger_folder.is_dir() and any(ledger_folder.glob(".close-????-??.journal.json")))
        or (ledger_folder.is_dir() and any(ledger_folder.glob(".????-??.csv.staged")))
    )


def recover(reports_dir: Path) -> Recovery:
    """What `pgb close` runs before its refusals: recovery under the lock, only when a crash left something."""
    if not interrupted_close_found(reports_dir):
        return Recovery()
    with Ledger(reports_dir / LEDGER_FOLDER).locked():
        return recover_interrupted_closes(reports_dir)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fsync_folder(folder)


def _stage_package_and_ledger(package: ClosePackage, ledger: Ledger, reports_dir: Path,
                              copier: ThreadPoolExecutor) -> tuple[Path, Path, Future]:
    """The package files in their staging folder, the month's ledger rows in their staged file, and the
    columnar copy of those rows being prepared in `copier` (payroll.ledger_copies.prepare_copy).

    close.xlsx, summary.html, payments.csv and adjustments.csv are Python only (openpyxl and matplotlib, about
    2 s for a national month's 10,000 payees); the task-level CSVs and the ledger rows are DuckDB COPYs, which
    let go of the GIL. So a thread writes the Python files while this one writes the CSVs then the ledger rows.
    The Python files read only the package's Python rows, never the DuckDB connection the COPYs use. The
    columnar copy (about 1 s of a national month) is read from the staged ledger file while the Python files,
    the manifest and the commit finish; only its renames wait for the ledger file's own (_finish).
    """
    staging = staging_folder(reports_dir, package.month)
    shutil.rmtree(staging, ignore_errors=True)  # left by a crashed close
    staging.mkdir(parents=True)

    def write_python_files() -> None:
        write_xlsx(package, staging / "close.xlsx")
        write_summary(package, staging / "summary.html")
        write_python_tables(package, staging)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="close-xlsx") as python_writer:
        written = python_writer.submit(write_python_files)
        write_sql_tables(package, staging)
        staged_ledger = ledger.stage_close(package.month, package.ledger_entries)
        preparing = copier.submit(prepare_copy, staged_ledger, ledger.file_of(package.month))
        try:
            written.result()
        except BaseException:
            _discard_unplaced(preparing)
            raise
    return staging, staged_ledger, preparing


def _prepared(preparing: Future, log: Log | None) -> PreparedCopy | None:
    """The copy prepared from the staged ledger file; None (logged) when it could not be made: _finish then
    makes it from the placed file as it always did, and reports there what stops it."""
    try:
        return preparing.result()
    except Exception as error:  # noqa: BLE001 - a cache: whatever stopped it, the placed file is read instead
        (log or LOGGER.warning)(f"ledger: the columnar copy could not be prepared from the staged file ({error}); "
                                "it is made from the placed file")
        return None


def _discard_unplaced(preparing: Future) -> None:
    """The scratch copy of a close that stopped before placing it (placing it removes nothing)."""
    with contextlib.suppress(BaseException):
        preparing.result().discard()


def _plan_set_aside(month: Month, ledger: Ledger, reports_dir: Path, reason: str) -> tuple[Path, dict]:
    """Reopen: where the month's package and ledger file will be kept (reopened/, numbered); moves nothing
    (the moves happen after the commit)."""
    folder = package_folder(reports_dir, month)
    kept_root = reports_dir / REOPENED_FOLDER
    number = 1 + len(list(kept_root.glob(f"close-{month}.*")))
    kept = kept_root / f"close-{month}.{number}"
    previous_manifest = folder / "manifest.json"
    previous_closed_at = json.loads(previous_manifest.read_text(encoding="utf-8"))["closed_at"] if previous_manifest.exists() else None
    kept_ledger = ledger.set_aside_path(month, str(number))
    return kept, {
        "reason": reason.strip(),
        "previous_closed_at": previous_closed_at,
        "previous_package": str(kept.relative_to(reports_dir)),
        "previous_ledger_file": str(kept_ledger.relative_to(reports_dir)),
    }
