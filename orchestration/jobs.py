"""The two asset jobs, the monthly build schedule and the late-export sensor.

build_warehouse  every asset except close_package: the exports' checks, dbt,
                 the previews. What `pgb run` (make run), the schedule and the
                 sensor launch. It never closes a month.
close_month      close_package and everything upstream of it, plus the check
                 of every raw export (the package's manifest fingerprints all
                 fifteen): what `pgb close --month M` launches for partition M.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.close_package import CLOSE_PACKAGE
from orchestration.dbt_assets import export_asset_key
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS, export_path

BUILD_WAREHOUSE = "build_warehouse"
CLOSE_MONTH = "close_month"

if TYPE_CHECKING:  # define_asset_job's return type is not exported by dagster
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_warehouse_job() -> UnresolvedAssetJobDefinition:
    # Partitioned like the assets it selects (monthly). A run for a partition
    # rebuilds the whole warehouse (the rules look across months: R430/R432)
    # and writes that month's preview.
    return dg.define_asset_job(
        BUILD_WAREHOUSE,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(CLOSE_PACKAGE),
        description="Check the raw exports, rebuild the warehouse, write the month's payment preview. Closes nothing.",
    )


def close_month_job() -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        CLOSE_MONTH,
        selection=dg.AssetSelection.assets(CLOSE_PACKAGE).upstream()
        | dg.AssetSelection.assets(*(export_asset_key(export) for export in RAW_EXPORTS)),
        description="Check the exports, rebuild the marts, then write the month's frozen close package and ledger file.",
    )


def monthly_build_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """On day PGB_BUILD_DAY (default 5) at 06:00 Brasília: build the warehouse for the previous month.

    The close itself stays a person's act (`pgb close`): a frozen month is
    never closed by a clock.
    """
    return dg.build_schedule_from_partitioned_job(
        job,
        name="monthly_warehouse_build",
        day_of_month=settings.build_day_of_month(),
        hour_of_day=6,
        description="Builds the warehouse and the preview of the previous reference month once Sisref is closed.",
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


def late_exports_sensor(
    project_dir: Path, job: UnresolvedAssetJobDefinition, partitions: dg.PartitionsDefinition
) -> dg.SensorDefinition:
    @dg.sensor(
        name="late_exports",
        job=job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Rebuilds the warehouse for the newest month when an export file changes.",
    )
    def late_exports(context: dg.SensorEvaluationContext):
        fingerprint = exports_fingerprint(project_dir)
        if context.cursor is None:  # first tick: remember the files, launch nothing
            context.update_cursor(fingerprint)
            return dg.SkipReason("recorded the current export files")
        if fingerprint == context.cursor:
            return dg.SkipReason("no export changed")
        context.update_cursor(fingerprint)
        month = partitions.get_last_partition_key()
        return dg.RunRequest(
            run_key=f"late-exports-{fingerprint}",
            partition_key=month,
            tags={"pgb/trigger": "late_exports"},
        )

    return late_exports
