"""Close one reference month on a built warehouse: refuse if it must not happen, else read, write, record.

The warehouse is built before (the Dagster asset `close_package` runs after
the exports' checks and dbt); this module only reads it. Order of the writes,
so that a crash never leaves a half-closed month that looks closed: the
package is written into a hidden staging folder; then the ledger file
appears (atomic rename); then the staging folder is renamed to close-YYYY-MM.
A refused close writes nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from payroll.errors import CloseFailed, CloseRefused
from payroll.inputs import changed_inputs, fingerprint_inputs
from payroll.ledger import Ledger
from payroll.months import Month
from payroll.money import reais, whole_number
from payroll.package import ClosePackage, Signature, build_package, operator_name
from payroll.warehouse import months_with_tasks_before, read_snapshot
from payroll.writers.charts import overview_png
from payroll.writers.csv_files import write_csv_files
from payroll.writers.html import write_summary
from payroll.writers.manifest import git_state, manifest_document, write_manifest
from payroll.writers.xlsx import write_xlsx
from pgb_shared import settings
from pgb_shared.fingerprints import sha256_of

LEDGER_FOLDER = "ledger"
REOPENED_FOLDER = "reopened"
BRASILIA = ZoneInfo(settings.TIMEZONE)


@dataclass(frozen=True)
class CloseResult:
    package: ClosePackage
    folder: Path
    ledger_file: Path
    kept_package: Path | None  # where a reopened month's previous package went
    manifest_sha256: str


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
) -> CloseResult:
    """Write the frozen package of `month` from the published `warehouse` and record it in the ledger.

    checked_inputs: the SHA-256 of each input file as the pipeline checked
    and loaded it (name -> sha256, None = missing); a file that differs now would make the package
    disagree with its manifest, so the close stops. None when the caller
    vouches for the warehouse (a test, a reproduction).
    run_id: the Dagster run closing the month; prepared_by: who (default: the OS user).
    """
    ledger = Ledger(reports_dir / LEDGER_FOLDER)
    check_can_reopen(reopen, reason)
    check_can_close(month, ledger, reports_dir, reopen)
    with ledger.locked():
        check_can_close(month, ledger, reports_dir, reopen)  # another close may have finished meanwhile
        if not reopen:
            check_earlier_months_closed(month, ledger, warehouse, project_dir)
        inputs = fingerprint_inputs(project_dir)
        if checked_inputs is not None and (changed := changed_inputs(checked_inputs, inputs)):
            raise CloseFailed(
                "input files changed after the pipeline checked and loaded them, so the warehouse does not "
                f"match them: {', '.join(changed)}. Run the close again on stable files."
            )
        snapshot = read_snapshot(warehouse, project_dir, month)
        if fingerprint_inputs(project_dir) != inputs:
            raise CloseFailed("an input file changed while the close read the warehouse: run the close again on stable files.")
        excluding = month if reopen else None
        earlier_closes = [closed for closed in ledger.closed_months() if closed != excluding]
        closed_at = now()
        package = build_package(
            month,
            snapshot,
            standing=ledger.standing(excluding),
            earlier_entries=ledger.entries(excluding),
            ledger_start=earlier_closes[0] if earlier_closes else month,
            signature=Signature(prepared_by or operator_name(), closed_at, run_id),
        )
        staging = _write_package_files(package, reports_dir)
        kept, reopened = (_set_aside(month, ledger, reports_dir, reason) if reopen else (None, None))
        ledger_file = ledger.write_close(month, package.ledger_entries)
        exports_dir = settings.exports_dir(project_dir)
        document = manifest_document(
            package,
            closed_at=closed_at.isoformat(timespec="seconds"),
            git=git_state(project_dir),
            inputs=inputs,
            exports_dir=str(exports_dir) if exports_dir else None,
            package_files=sorted(staging.iterdir()),
            ledger_file=str(ledger_file.relative_to(reports_dir)),
            ledger_sha256=sha256_of(ledger_file),
            reopened=reopened,
        )
        manifest = write_manifest(document, staging / "manifest.json")
        manifest_sha256 = sha256_of(manifest)
        folder = package_folder(reports_dir, month)
        os.replace(staging, folder)
    if picture is not None:
        picture.parent.mkdir(parents=True, exist_ok=True)
        picture.write_bytes(overview_png(package))
    return CloseResult(package, folder, ledger_file, kept, manifest_sha256)


def _write_package_files(package: ClosePackage, reports_dir: Path) -> Path:
    staging = reports_dir / f".close-{package.month}.staging"
    shutil.rmtree(staging, ignore_errors=True)  # left by a crashed close
    staging.mkdir(parents=True)
    write_csv_files(package, staging)
    write_xlsx(package, staging / "close.xlsx")
    write_summary(package, staging / "summary.html")
    return staging


def _set_aside(month: Month, ledger: Ledger, reports_dir: Path, reason: str) -> tuple[Path, dict]:
    """Reopen: keep the month's package and ledger file under reopened/, numbered."""
    folder = package_folder(reports_dir, month)
    kept_root = reports_dir / REOPENED_FOLDER
    number = 1 + len(list(kept_root.glob(f"close-{month}.*")))
    kept = kept_root / f"close-{month}.{number}"
    previous_manifest = folder / "manifest.json"
    previous_closed_at = json.loads(previous_manifest.read_text(encoding="utf-8"))["closed_at"] if previous_manifest.exists() else None
    kept_root.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        os.replace(folder, kept)
    kept_ledger = ledger.set_aside(month, str(number))
    return kept, {
        "reason": reason.strip(),
        "previous_closed_at": previous_closed_at,
        "previous_package": str(kept.relative_to(reports_dir)),
        "previous_ledger_file": str(kept_ledger.relative_to(reports_dir)),
    }
