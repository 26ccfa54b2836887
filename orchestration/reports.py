"""Report assets, read from the published warehouse (never from a build file).

`close_report` is the close of one reference month (monthly partitions):
one CSV per month with a row per payee, and the month's counts as metadata.
`supervision_report` counts APS per supervision cycle status. Each is
defined only when its mart is in the dbt manifest.
"""

import csv
import warnings
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from orchestration import settings
from orchestration.partitions import MONTHLY_CLOSE, months_in_window
from orchestration.summary import close_summary, payee_rows, read_only, supervision_status_counts, table_exists

CLOSE_MART = "fct_task_evaluations"
SUPERVISION_MART = "fct_aps_supervision_cycles"


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def build_close_report(project_dir: Path) -> dg.AssetsDefinition:
    def close_report(context: AssetExecutionContext) -> dg.MaterializeResult:
        """Per reference month: reports/previews/close_<YYYY-MM>.csv, one row per payee.

        A preview, rebuilt on every run; the frozen package of a month is `pgb close`.
        """
        months = months_in_window(context.partition_time_window)
        written, totals = [], {"approved": 0, "rejected": 0, "held": 0}
        with read_only(settings.warehouse_path(project_dir)) as connection:
            if not table_exists(connection, CLOSE_MART):
                raise dg.Failure(f"{CLOSE_MART} is not in the warehouse: build the marts first")
            summaries = {s.reference_month: s for s in close_summary(connection, months[0], months[-1])}
            for month in months:
                header, rows = payee_rows(connection, month)
                path = settings.reports_dir(project_dir) / "previews" / f"close_{month:%Y-%m}.csv"
                _write_csv(path, header, rows)
                written.append(str(path))
                summary = summaries.get(month)
                if summary:
                    totals = {k: totals[k] + getattr(summary, k) for k in totals}
                    context.log.info(summary.line())
        return dg.MaterializeResult(
            metadata={
                "files": dg.MetadataValue.json(written),
                **{f"{outcome}_tasks": count for outcome, count in totals.items()},
                "months": dg.MetadataValue.md("\n".join(f"- {s.line()}" for s in summaries.values()) or "no tasks"),
            }
        )

    # BackfillPolicy is "beta" in Dagster 1.13; it is what lets one run close a month range.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.asset(
            name="close_report",
            group_name="reports",
            deps=[dg.AssetKey([CLOSE_MART])],
            partitions_def=MONTHLY_CLOSE,
            backfill_policy=dg.BackfillPolicy.single_run(),
            kinds={"csv"},
        )(close_report)


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


def build_report_assets(project_dir: Path, dbt_asset_keys: set[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    reports = []
    if dg.AssetKey([CLOSE_MART]) in dbt_asset_keys:
        reports.append(build_close_report(project_dir))
    if dg.AssetKey([SUPERVISION_MART]) in dbt_asset_keys:
        reports.append(build_supervision_report(project_dir))
    return reports



