"""Preview assets, read from the published warehouse (never from a build file).

`month_preview` (monthly partitions): the payments each month would get,
`reports/previews/payments_<YYYY-MM>.csv` = fct_payee_month_payments of that
month, rewritten on every build; nothing is frozen (that is `close_package`).
`supervision_report` counts APS per supervision cycle status. Each is
defined only when its mart is in the dbt manifest.
"""

import csv
import warnings
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.partitions import months_in_window
from orchestration.summary import SUPERVISION_MART, supervision_status_counts
from payroll.warehouse import PAYEE_MONTH_PAYMENTS, month_totals, payee_month_rows, read_only, table_exists
from pgb_shared import settings


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def preview_path(project_dir: Path, month) -> Path:
    return settings.reports_dir(project_dir) / "previews" / f"payments_{month:%Y-%m}.csv"


def build_month_preview(project_dir: Path, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    def month_preview(context: AssetExecutionContext) -> dg.MaterializeResult:
        """Per reference month: reports/previews/payments_<YYYY-MM>.csv, fct_payee_month_payments of the month.

        A preview, rewritten on every build; the frozen package of a month is `close_package`.
        """
        months = months_in_window(context.partition_time_window)
        written, counts = [], {"approved": 0, "rejected": 0, "held": 0}
        with read_only(settings.warehouse_path(project_dir)) as connection:
            if not table_exists(connection, PAYEE_MONTH_PAYMENTS):
                raise dg.Failure(f"{PAYEE_MONTH_PAYMENTS} is not in the warehouse: build the marts first")
            totals = month_totals(connection, months[0], months[-1])
            for month in months:
                header, rows = payee_month_rows(connection, month)
                path = preview_path(project_dir, month)
                _write_csv(path, header, rows)
                written.append(str(path))
        for month in totals:
            counts = {outcome: counts[outcome] + getattr(month, outcome) for outcome in counts}
            context.log.info(month.line())
        return dg.MaterializeResult(
            metadata={
                "files": dg.MetadataValue.json(written),
                **{f"{outcome}_tasks": count for outcome, count in counts.items()},
                "months": dg.MetadataValue.md("\n".join(f"- {month.line()}" for month in totals) or "no tasks"),
            }
        )

    # BackfillPolicy is "beta" in Dagster 1.13; it is what lets one run preview a month range.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.asset(
            name="month_preview",
            group_name="reports",
            deps=[dg.AssetKey([PAYEE_MONTH_PAYMENTS])],
            partitions_def=partitions,
            backfill_policy=dg.BackfillPolicy.single_run(),
            kinds={"csv"},
        )(month_preview)


def build_supervision_report(project_dir: Path) -> dg.AssetsDefinition:
    @dg.asset(name="supervision_report", group_name="reports", deps=[dg.AssetKey([SUPERVISION_MART])], kinds={"csv"})
    def supervision_report() -> dg.MaterializeResult:
        """reports/supervision_cycles.csv: APS count per cycle and status."""
        with read_only(settings.warehouse_path(project_dir)) as connection:
            rows = supervision_status_counts(connection)
        path = settings.reports_dir(project_dir) / "supervision_cycles.csv"
        _write_csv(path, ["cycle_number", "status", "aps_count"], rows)
        return dg.MaterializeResult(metadata={"file": dg.MetadataValue.path(str(path)), "rows": len(rows)})

    return supervision_report


def build_preview_assets(
    project_dir: Path, partitions: dg.PartitionsDefinition, dbt_asset_keys: set[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    previews = []
    if dg.AssetKey([PAYEE_MONTH_PAYMENTS]) in dbt_asset_keys:
        previews.append(build_month_preview(project_dir, partitions))
    if dg.AssetKey([SUPERVISION_MART]) in dbt_asset_keys:
        previews.append(build_supervision_report(project_dir))
    return previews
