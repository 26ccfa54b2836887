"""The delivery guard: a delivery much smaller than the last accepted one stops the run.

A truncated export is a valid file: `raw_sisref_intervals.csv` cut to its
header passes every contract check, and then tasks that a full delivery
rejects are paid (issue 11). So each export's row count, and for exports that
carry a SIAPE column its number of distinct SIAPEs (the payees it covers), is
compared with the last accepted delivery. A drop beyond the parameter
`delivery_max_drop_share` (ref_parameters, a plausibility bound of the
project, not of the law), or a header-only file where the last delivery had
rows, fails the export's blocking check `delivery_guard`, unless a person
accepts the shrink by name, with a reason (`--accept-shrunk EXPORT --reason`).

The accepted delivery is a small JSON file beside the published warehouse,
`<PGB_DUCKDB_PATH>.accepted-delivery.json`, replaced atomically (temporary
file, fsync, rename) only after a run's exports passed their checks and the
warehouse built from them was published: a blocked or failed run never
changes it, and it always describes the exports the published warehouse was
built from. No Dagster here: orchestration/ calls these functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from expectations.contract import parameter_versions, read_seed_rows
from expectations.source import UnreadableExport, open_export
from pgb_shared.accepted_delivery import AcceptedDeliveryError, read_record, record_path_for, write_record

__all__ = ["AcceptedDeliveryError", "read_record", "record_path_for", "write_record"]  # the record, for callers

MAX_DROP_PARAMETER = "delivery_max_drop_share"

# The column of each export that names a professional: the payees it covers.
SIAPE_COLUMNS: dict[str, str] = {
    "raw_professionals": "siape",
    "raw_hr_periods": "siape",
    "raw_adhesions": "siape",
    "raw_sisref_intervals": "siape",
    "raw_sisref_occurrences": "siape",
    "raw_pgd_plans": "siape",
    "raw_pgd_goal_complements": "siape",
    "raw_tasks": "concluded_by",
    "raw_task_assignments": "siape",
    "raw_task_events": "siape",
    "raw_sub_dispatches": "siape",
    "raw_supervision_designations": "siape",
    "raw_supervision_tasks": "supervisor_siape",
}


class DeliveryGuardError(ValueError):
    """The guard cannot judge (a bad parameter, an export it cannot count): the run must stop, saying why.
    An unreadable record raises AcceptedDeliveryError (pgb_shared.accepted_delivery)."""


@dataclass(frozen=True)
class DeliveryCount:
    """What the guard compares for one export."""

    export: str
    rows: int
    payees: int | None  # distinct non-blank SIAPEs; None when the export has no SIAPE column
    siape_column: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Acceptance:
    """A person's explicit acceptance of a shrunk export."""

    reason: str
    accepted_by: str
    accepted_at: str  # ISO timestamp


@dataclass(frozen=True)
class GuardVerdict:
    export: str
    passed: bool
    description: str
    current: DeliveryCount
    previous: dict | None = None  # the export's entry of the accepted record
    shrinks: list[str] = field(default_factory=list)  # what dropped, e.g. "rows 1,545 -> 0"
    acceptance: Acceptance | None = None  # set when a shrink passed because a person accepted it

    def acceptance_record(self) -> dict | None:
        """What the close manifest keeps of an accepted shrink."""
        if self.acceptance is None:
            return None
        previous = self.previous or {}
        return {
            "export": self.export,
            "rows": self.current.rows,
            "previous_rows": previous.get("rows"),
            "payees": self.current.payees,
            "previous_payees": previous.get("payees"),
            "shrinks": list(self.shrinks),
            **asdict(self.acceptance),
        }


# --- the bound ------------------------------------------------------------------------


def max_drop_share(project_dir: Path, day: date) -> float:
    """`delivery_max_drop_share` in force on `day` (ref_parameters), else its ref_parameter_defaults row.

    Raises DeliveryGuardError naming the seed when neither has a usable value
    (a share strictly between 0 and 1).
    """
    text, where = None, None
    for version in parameter_versions(project_dir, MAX_DROP_PARAMETER):
        if version.effective_from <= day and (version.effective_to is None or day <= version.effective_to):
            text, where = version.value, f"seeds/ref_parameters.csv (in force on {day})"
    if not text:
        for row in read_seed_rows(project_dir, "ref_parameter_defaults"):
            if (row.get("name") or "").strip() == MAX_DROP_PARAMETER and (row.get("value") or "").strip():
                text, where = row["value"].strip(), "seeds/ref_parameter_defaults.csv"
    if not text:
        raise DeliveryGuardError(
            f"{MAX_DROP_PARAMETER} has no value in force on {day} in seeds/ref_parameters.csv nor in "
            "seeds/ref_parameter_defaults.csv: the delivery guard needs it (e.g. 0.5)."
        )
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 < share < 1:
        raise DeliveryGuardError(f"{MAX_DROP_PARAMETER} = {text!r} in {where} must be a share between 0 and 1 (e.g. 0.5).")
    return share


# --- measuring an export ----------------------------------------------------------------


def count_delivery(export: str, path: Path, rows: int, sha256: str | None = None) -> DeliveryCount:
    """The export's row count (as its contract check counted it) and its distinct SIAPEs, read by DuckDB."""
    return DeliveryCount(export, rows, count_payees(export, path), SIAPE_COLUMNS.get(export), sha256)


def count_payees(export: str, path: Path) -> int | None:
    """The export's distinct SIAPEs (trimmed, blanks left out); None for an export without a SIAPE column."""
    column = SIAPE_COLUMNS.get(export)
    if column is None:
        return None
    with duckdb.connect() as connection:
        try:
            export_file = open_export(connection, path)
        except (FileNotFoundError, UnreadableExport) as error:
            raise DeliveryGuardError(f"{export} ({path}): cannot count its SIAPEs: {error}") from None
        if column not in export_file.header:
            raise DeliveryGuardError(f"{export} ({path}): no column {column} to count the payees it covers")
        quoted = '"' + column.replace('"', '""') + '"'
        payees = connection.execute(
            f"select count(distinct nullif(trim(cast({quoted} as varchar)), '')) from ({export_file.relation_sql})"
        ).fetchone()[0]
    return int(payees)


# --- judging ----------------------------------------------------------------------------


def _dropped_too_far(previous: int | None, current: int | None, share: float) -> bool:
    if not previous or current is None:
        return False
    return current == 0 or (previous - current) / previous > share


def judge(
    current: DeliveryCount,
    record: dict | None,
    share: float,
    acceptance: Acceptance | None = None,
    record_path: Path | None = None,
) -> GuardVerdict:
    """Compare one export with its entry in the accepted record; pass, block, or pass as accepted."""
    where = f" ({record_path})" if record_path else ""
    previous = (record or {}).get("exports", {}).get(current.export)
    if previous is None:
        first = "no accepted delivery is recorded" if not record else "the last accepted delivery has no such export"
        return GuardVerdict(current.export, True, f"{current.export}: first delivery, nothing to compare with "
                            f"({first}{where}); {current.rows:,} rows accepted as the baseline.", current)
    shrinks = []
    if _dropped_too_far(previous.get("rows"), current.rows, share):
        shrinks.append(f"rows {previous['rows']:,} -> {current.rows:,}" + (" (header only)" if current.rows == 0 else ""))
    if _dropped_too_far(previous.get("payees"), current.payees, share):
        shrinks.append(f"distinct {current.siape_column} {previous['payees']:,} -> {current.payees:,}")
    last = (f"the last accepted delivery ({previous.get('accepted_at') or '?'}, "
            f"run {str(previous.get('run_id') or '?')[:8]})")
    if not shrinks:
        payees = f", {current.payees:,} distinct {current.siape_column}" if current.payees is not None else ""
        return GuardVerdict(current.export, True, f"{current.export}: {current.rows:,} rows{payees}, within "
                            f"{share:.0%} of {last}.", current, previous)
    shrunk = "; ".join(shrinks)
    if acceptance is not None:
        return GuardVerdict(
            current.export, True,
            f"{current.export} shrank against {last}: {shrunk}; accepted by {acceptance.accepted_by} at "
            f"{acceptance.accepted_at}: {acceptance.reason}",
            current, previous, shrinks, acceptance,
        )
    return GuardVerdict(
        current.export, False,
        f"{current.export}: delivery shrank beyond {share:.0%} ({MAX_DROP_PARAMETER}) against {last}: {shrunk}. "
        f"A truncated export would pay tasks a full one rejects. Deliver the full file, or accept it: "
        f"pgb run|close ... --accept-shrunk {current.export} --reason '...'",
        current, previous, shrinks,
    )


# --- the accepted record ------------------------------------------------------------------


def accepted_entry(verdict_count: DeliveryCount, run_id: str, accepted_at: str, acceptance: dict | None) -> dict:
    entry = {"rows": verdict_count.rows, "payees": verdict_count.payees, "siape_column": verdict_count.siape_column,
             "sha256": verdict_count.sha256, "run_id": run_id, "accepted_at": accepted_at}
    if acceptance:
        entry["acceptance"] = acceptance
    return entry
