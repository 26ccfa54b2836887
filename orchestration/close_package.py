"""The asset `close_package`: the frozen payment package of one reference month.

Materializing partition YYYY-MM-01 runs the payroll library's close on the
published warehouse (built by the upstream steps of the same run, or by the
last run) and records the package folder, the manifest's SHA-256 and the
totals as metadata. The library decides nothing Dagster-specific; this
module only hands it what the run knows: the month, the paths, and the
SHA-256 of each export as its blocking check saw it.

A refusal (month already closed, out of order, reopen without a reason)
fails the step with metadata `pgb/refused` = true, so `pgb close` can tell a
refusal from a failure.
"""

# No `from __future__ import annotations`: Dagster reads the config class from the annotation.
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.dbt_assets import export_asset_key
from payroll.close import CloseResult, close_month
from payroll.errors import CloseFailed, CloseRefused
from payroll.months import Month
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS

CLOSE_PACKAGE = "close_package"
REFUSED = "pgb/refused"
# What the close reads; each is a dependency when the dbt project defines it.
CLOSE_INPUTS = (
    "fct_payee_month_payments",
    "fct_task_payments",
    "fct_task_evaluations",
    "fct_task_rule_violations",
    "stg_siape__professionals",
    "stg_reference__parameters",
    "stg_reference__rules",
    "int_tasks__scope",  # the manifest's task_rows: every export row evaluated or out of scope, by reason
)
# The mart whose build must be newer than every export check the close relies on.
PAYMENTS_MART = dg.AssetKey("fct_payee_month_payments")


class ClosePackageConfig(dg.Config):
    """Launchpad / `pgb close` options."""

    reopen: bool = False  # replace the newest close; its package is kept under reopened/
    reason: str = ""  # why a closed month is reopened (recorded in manifest.json)
    picture: str = ""  # also write a PNG overview of the summary to this path
    prepared_by: str = ""  # who prepares the close (summary.html's signature block); default: the OS user


def checked_export_sha256(instance: dg.DagsterInstance) -> dict[str, str | None]:
    """export -> the SHA-256 its last check recorded (None: the file was missing).

    Raises CloseFailed when an export was never checked, or was checked again
    after the last build of the payments mart (that check failed, or dbt did
    not run after it): the warehouse would not be built from those files.
    """
    mart_event = instance.get_latest_materialization_event(PAYMENTS_MART)
    if mart_event is None:
        raise CloseFailed(f"{PAYMENTS_MART.to_user_string()} was never built on this Dagster instance: "
                          "materialize the upstream assets too (pgb close does).")
    recorded, unchecked, newer = {}, [], []
    for export in RAW_EXPORTS:
        event = instance.get_latest_materialization_event(export_asset_key(export))
        if event is None or event.asset_materialization is None:
            unchecked.append(export)
            continue
        if event.timestamp > mart_event.timestamp:
            newer.append(export)
        sha256 = event.asset_materialization.metadata.get("sha256")
        recorded[export] = sha256.value if sha256 is not None else None
    if unchecked:
        raise CloseFailed(f"no recorded check of {', '.join(unchecked)}: materialize the upstream assets too "
                          "(pgb close does).")
    if newer:
        raise CloseFailed(f"{', '.join(newer)} was checked after the last build of {PAYMENTS_MART.to_user_string()} "
                          "(a failed check, or no dbt build since): rebuild the warehouse first (pgb close does).")
    return recorded


def _json_ready(totals: dict[str, object]) -> dict[str, object]:
    return {name: f"{value:.2f}" if isinstance(value, Decimal) else value for name, value in totals.items()}


def close_metadata(result: CloseResult) -> dict[str, object]:
    totals = _json_ready(result.package.totals)
    metadata: dict[str, object] = {
        "package": dg.MetadataValue.path(str(result.folder)),
        "manifest_sha256": result.manifest_sha256,
        "ledger_file": dg.MetadataValue.path(str(result.ledger_file)),
        "totals": dg.MetadataValue.json(totals),
        **{name: value for name, value in totals.items() if isinstance(value, int)},
        "net_amount": str(totals["net_amount"]),
        "dagster_run_id": result.package.signature.run_id if result.package.signature else None,
    }
    if result.kept_package is not None:
        metadata["previous_package"] = dg.MetadataValue.path(str(result.kept_package))
    metadata["ledger_months_joined"] = ("every" if result.ledger_months_joined is None
                                        else ", ".join(result.ledger_months_joined) or "none")
    return metadata


def build_close_package(
    project_dir: Path, partitions: dg.PartitionsDefinition, dbt_asset_keys: Iterable[dg.AssetKey]
) -> dg.AssetsDefinition:
    available = set(dbt_asset_keys)
    deps = [dg.AssetKey(name) for name in CLOSE_INPUTS if dg.AssetKey(name) in available]

    @dg.asset(
        name=CLOSE_PACKAGE,
        group_name="reports",
        deps=deps,
        partitions_def=partitions,
        kinds={"csv", "xlsx", "html"},
    )
    def close_package(context: AssetExecutionContext, config: ClosePackageConfig) -> dg.MaterializeResult:
        """The frozen package of the month ($PGB_REPORTS_DIR/close-YYYY-MM/) and its ledger file.

        Written once: a closed month is refused unless reopened with a reason.
        """
        month = Month.parse(context.partition_key[:7])
        try:
            result = close_month(
                month,
                reports_dir=settings.reports_dir(project_dir),
                project_dir=project_dir,
                warehouse=settings.warehouse_path(project_dir),
                checked_inputs=checked_export_sha256(context.instance),
                reopen=config.reopen,
                reason=config.reason or None,
                picture=Path(config.picture) if config.picture else None,
                run_id=context.run.run_id,
                prepared_by=config.prepared_by.strip() or None,
                log=context.log.warning,  # a ledger copy rebuilt from its CSV shows in the run's log
            )
        except CloseRefused as refusal:
            raise dg.Failure(description=f"refused: {refusal}", metadata={REFUSED: True}) from None
        except CloseFailed as failure:
            raise dg.Failure(description=str(failure)) from None
        context.log.info(result.ledger_comparison())
        context.log.info(f"closed {month}: {result.folder} (manifest sha256 {result.manifest_sha256})")
        return dg.MaterializeResult(metadata=close_metadata(result))

    return close_package

