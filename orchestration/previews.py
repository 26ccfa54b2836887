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
from payroll.warehouse import (
    PAYEE_MONTH_PAYMENTS,
    MonthTotals,
    month_totals,
    payee_month_rows,
    read_only,
    table_exists,
)
from pgb_shared import settings


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def preview_path(project_dir: Path, month) -> Path:
    return settings.reports_dir(project_dir) / "previews" / f"payments_{month:%Y-%m}.csv"


EMPTY = "pgb/empty"
EMPTY_MONTH = "no evaluated task in this month"


def month_figures(month: MonthTotals, payees: int, path: Path) -> dict[str, object]:
    """The metadata of one month's preview: its own counts and amounts (text, to the cent, as the mart sums them)."""
    return {
        EMPTY: False,
        "file": dg.MetadataValue.path(str(path)),
        "dagster/row_count": payees,
        "approved_tasks": month.approved,
        "rejected_tasks": month.rejected,
        "held_tasks": month.held,
        "due_amount": f"{month.due_amount:.2f}",
        "capped_amount": f"{month.capped_amount:.2f}",
        "amount": f"{month.amount:.2f}",
        "summary": month.line(),
    }


def empty_month_events(
    asset_key: dg.AssetKey, partition: str, materialized_before: bool
) -> dg.AssetMaterialization | dg.AssetObservation:
    """A month without any evaluated task has no preview, so its partition stays unmaterialized (grey, not green).

    An observation says why. Only a month that had a preview before (its tasks have left the delivery) is
    materialized again, empty: otherwise its partition would keep showing the old figures.
    """
    metadata = {EMPTY: True, **{f"{outcome}_tasks": 0 for outcome in ("approved", "rejected", "held")}}
    if materialized_before:
        return dg.AssetMaterialization(asset_key, partition=partition, description=EMPTY_MONTH, metadata=metadata)
    return dg.AssetObservation(asset_key, partition=partition, description=EMPTY_MONTH, metadata=metadata)


def build_month_preview(project_dir: Path, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    def month_preview(context: AssetExecutionContext):
        """Per reference month: reports/previews/payments_<YYYY-MM>.csv, fct_payee_month_payments of the month.

        A preview, rewritten on every build; the frozen package of a month is `close_package`. Each month of
        the run records its own materialization with its own figures; a month without evaluated tasks
        writes no file and is left unmaterialized, with an observation `pgb/empty` saying so.
        """
        months = months_in_window(context.partition_time_window)
        with read_only(settings.warehouse_path(project_dir)) as connection:
            if not table_exists(connection, PAYEE_MONTH_PAYMENTS):
                raise dg.Failure(f"{PAYEE_MONTH_PAYMENTS} is not in the warehouse: build the marts first")
            totals = {month.reference_month: month for month in month_totals(connection, months[0], months[-1])}
            rows_by_month = {month: payee_month_rows(connection, month) for month in totals}
        materialized_before = context.instance.get_materialized_partitions(context.asset_key)
        for month in months:
            partition, path = f"{month:%Y-%m-%d}", preview_path(project_dir, month)
            if month not in totals:
                path.unlink(missing_ok=True)  # a file left from an earlier build would contradict the warehouse
                yield empty_month_events(context.asset_key, partition, partition in materialized_before)
                continue
            header, rows = rows_by_month[month]
            _write_csv(path, header, rows)
            context.log.info(totals[month].line())
            yield dg.AssetMaterialization(
                context.asset_key, partition=partition, metadata=month_figures(totals[month], len(rows), path)
            )
        empty = len(months) - len(totals)
        if empty:
            context.log.info(f"{empty} month(s) without evaluated tasks: no preview, partition marked {EMPTY}")

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
            # Its materializations are the per-month events above: the asset's own output, which
            # Dagster would record once for every month of the run with the same figures, stays unset.
            output_required=False,
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
