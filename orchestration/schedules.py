"""The close job, its monthly schedule and the late-export sensor."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from expectations.contract import RAW_EXPORTS
from expectations.validation import export_path
from orchestration import settings
from orchestration.partitions import MONTHLY_CLOSE

CLOSE_JOB_NAME = "pgb_close"

# Every asset: exports and their checks, dbt, reports. A run for a partition
# rebuilds the whole warehouse (the rules look across months: R430/R432) and
# writes that month's close report.
close_job = dg.define_asset_job(
    CLOSE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Validate the raw exports, rebuild the warehouse, write the month's close report.",
)


def monthly_close_schedule() -> dg.ScheduleDefinition:
    """On day PGB_CLOSE_DAY (default 5) at 06:00 Brasília: close the previous month."""
    return dg.build_schedule_from_partitioned_job(
        close_job,
        name="monthly_close",
        day_of_month=settings.close_day_of_month(),
        hour_of_day=6,
        description="Closes the previous reference month once Sisref is closed.",
    )


def exports_fingerprint(project_dir: Path) -> str:
    """Changes whenever any raw export file is added, removed, rewritten or touched."""
    exports_dir = settings.exports_dir(project_dir)
    state = {}
    for export in RAW_EXPORTS:
        path = export_path(export, exports_dir, project_dir)
        stat = path.stat() if path.exists() else None
        state[export] = [stat.st_mtime_ns, stat.st_size] if stat else None
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def late_exports_sensor(project_dir: Path) -> dg.SensorDefinition:
    @dg.sensor(
        name="late_exports",
        job=close_job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Re-runs the newest month's close when an export file changes after a close.",
    )
    def late_exports(context: dg.SensorEvaluationContext):
        fingerprint = exports_fingerprint(project_dir)
        if context.cursor is None:  # first tick: remember the files, launch nothing
            context.update_cursor(fingerprint)
            return dg.SkipReason("recorded the current export files")
        if fingerprint == context.cursor:
            return dg.SkipReason("no export changed")
        context.update_cursor(fingerprint)
        month = MONTHLY_CLOSE.get_last_partition_key()
        return dg.RunRequest(
            run_key=f"late-exports-{fingerprint}",
            partition_key=month,
            tags={"pgb/trigger": "late_exports"},
        )

    return late_exports
