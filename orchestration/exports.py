"""The raw exports as assets, each guarded by its blocking GX suite.

One step validates every selected export (GX is imported once). An export's
"materialization" records the file it saw (path, rows, size, sha256; the
close compares that sha256 with the file it fingerprints); its check says
whether the file meets the contract.

A failed check is an ERROR, and the export is then not materialized: the dbt
step, which needs every selected export, and the reports after it are
*skipped* (grey in the UI, their dbt checks "Skipped"), nothing is rebuilt and
the published warehouse stays as it was. Dagster's own `blocking=True` would
fail the step instead, and a failed run shows every downstream asset and dbt
check as failed although nothing of theirs broke. The run's tags and the
check's metadata name the warehouse still published and when it was built;
`pgb` reads the failed check and exits 1. The file itself is only read.

Each export has a second check, `delivery_guard`: its rows and distinct
SIAPEs against the last accepted delivery (expectations/delivery.py). A
shrink beyond `delivery_max_drop_share` refuses the export the same way
(not materialized, what follows skipped), unless the run's config names the
export in `accept_shrunk`, with a reason (`pgb run|close --accept-shrunk
EXPORT --reason ...`).
"""

import getpass
import logging
import os
import socket
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from dagster import AssetExecutionContext

from expectations.delivery import (
    Acceptance,
    SIAPE_COLUMNS,
    AcceptedDeliveryError,
    DeliveryCount,
    DeliveryGuardError,
    count_payees,
    judge,
    max_drop_share,
    read_record,
    record_path_for,
)
from expectations.validation import ExportValidation, validate_exports
from orchestration.dbt_assets import export_asset_key
from orchestration.export_checks import (
    CHECK_NAME,
    DELIVERY_CHECK_NAME,
    delivery_check_result,
    delivery_error_result,
    last_good_build,
    refused_check_metadata,
    refused_run_tags,
    to_asset_check_result,
)
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS, export_path
from pgb_shared.fingerprints import file_fingerprint


class RawExportsConfig(dg.Config):
    """Launchpad / `pgb run|close --accept-shrunk EXPORT --reason ...`."""

    accept_shrunk: list[str] = []  # exports whose shrink against the last accepted delivery a person accepts
    reason: str = ""  # why (recorded in the check, the accepted-delivery record and the close manifest)
    accepted_by: str = ""  # who accepts (default: the user and host running the step)


def _acceptances(config: RawExportsConfig) -> dict[str, Acceptance]:
    unknown = sorted(set(config.accept_shrunk) - set(RAW_EXPORTS))
    if unknown:
        raise dg.Failure(f"accept_shrunk names no raw export: {', '.join(unknown)} (exports: {', '.join(RAW_EXPORTS)})")
    if config.accept_shrunk and not config.reason.strip():
        raise dg.Failure("accept_shrunk needs a reason: say why the smaller delivery is right")
    now = datetime.now(ZoneInfo(settings.TIMEZONE)).isoformat(timespec="seconds")
    who = config.accepted_by.strip() or f"{getpass.getuser()}@{socket.gethostname()}"
    return {export: Acceptance(config.reason.strip(), who, now) for export in config.accept_shrunk}


def _delivery_checks(validations: list[ExportValidation], fingerprints: dict[str, dict], project_dir: Path,
                     acceptances: dict[str, Acceptance], payees: Mapping[str, Future]):
    """One delivery_guard result per validated export; the guard fails closed when it cannot judge.

    `payees`: each export's count_payees, started while GX judged the files (used only for a file that passed).
    """
    record_path = record_path_for(settings.warehouse_path(project_dir))
    try:
        record = read_record(record_path)
        share = max_drop_share(project_dir, datetime.now(ZoneInfo(settings.TIMEZONE)).date())
    except (AcceptedDeliveryError, DeliveryGuardError) as error:
        for validation in validations:
            yield delivery_error_result(validation.export, str(error), export_asset_key(validation.export))
        return
    for validation in validations:
        key = export_asset_key(validation.export)
        if not validation.success:  # contract_suite blocks the run; a broken file has no count to trust
            yield dg.AssetCheckResult(
                passed=True, asset_key=key, check_name=DELIVERY_CHECK_NAME, severity=dg.AssetCheckSeverity.ERROR,
                metadata={"export": validation.export, "not_compared": True},
                description=f"{validation.export}: not compared with the last delivery: it fails its contract suite",
            )
            continue
        try:
            count = DeliveryCount(validation.export, validation.row_count, payees[validation.export].result(),
                                  SIAPE_COLUMNS.get(validation.export), fingerprints[validation.export].get("sha256"))
        except DeliveryGuardError as error:
            yield delivery_error_result(validation.export, str(error), key)
            continue
        verdict = judge(count, record, share, acceptances.get(validation.export), record_path)
        yield delivery_check_result(verdict, key)


def _materialization(validation: ExportValidation, fingerprint: dict) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=export_asset_key(validation.export),
        metadata={
            "path": dg.MetadataValue.path(str(validation.path)),
            "dagster/row_count": validation.row_count,
            **fingerprint,
        },
    )


def refused_check_result(result: dg.AssetCheckResult, last_build: str) -> dg.AssetCheckResult:
    """The failed check, with what stays published added to its metadata."""
    return dg.AssetCheckResult(
        passed=result.passed,
        asset_key=result.asset_key,
        check_name=result.check_name,
        severity=result.severity,
        description=result.description,
        metadata={**result.metadata, **refused_check_metadata(last_build)},
    )


def export_file_kind(project_dir: Path) -> str:
    """The format of the files the run will check (the asset's kind badge)."""
    if settings.exports_dir(project_dir) is not None and os.environ.get("PGB_EXPORTS_FORMAT", "csv") == "parquet":
        return "parquet"
    return "csv"


def export_spec(export: str, kind: str, columns: dg.TableSchema | None) -> dg.AssetSpec:
    metadata = {"dagster/column_schema": columns} if columns is not None else {}
    return dg.AssetSpec(
        key=export_asset_key(export),
        group_name="exports",
        description=f"Export file {export}, as delivered: seeds/{export}.csv, or {export}.csv / .parquet in "
        f"$PGB_EXPORTS_DIR. Only read: the warehouse table {export} (a dbt seed) or the staging view is loaded "
        "from it once its check passed. Columns: contract section 1, typed as seeds/_seeds.yml.",
        kinds={kind, "file"},
        metadata=metadata,
        skippable=True,
    )


class _SkippedDbtChecksFilter(logging.Filter):
    """Drops Dagster's warning, one per dbt test, that a blocking check "emitted no result in step 'pgb_dbt'":
    after a refused export the dbt step is skipped on purpose, and 30 such lines would bury the refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "emitted no result in step 'pgb_dbt'" not in record.getMessage()


def quiet_skipped_dbt_check_warnings() -> None:
    plan_logger = logging.getLogger("dagster._core.execution.plan.active")
    if not any(isinstance(existing, _SkippedDbtChecksFilter) for existing in plan_logger.filters):
        plan_logger.addFilter(_SkippedDbtChecksFilter())


def build_export_assets(
    project_dir: Path, column_schemas: Mapping[str, dg.TableSchema] | None = None
) -> dg.AssetsDefinition:
    """`column_schemas`: export -> its columns (from the seeds' `column_types` in the dbt manifest)."""
    kind = export_file_kind(project_dir)
    specs = [export_spec(export, kind, (column_schemas or {}).get(export)) for export in RAW_EXPORTS]
    check_specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=export_asset_key(export),
            # Not Dagster's blocking: a failure withholds the export's materialization instead (module docstring).
            blocking=False,
            description="Great Expectations suite of contract section 1 (columns, types, keys, enums, rules). "
            "A failure stops the run before dbt: the steps after it are skipped, the published warehouse is kept.",
        )
        for export in RAW_EXPORTS
    ] + [
        dg.AssetCheckSpec(
            DELIVERY_CHECK_NAME,
            asset=export_asset_key(export),
            blocking=False,  # as the contract suite: a failure withholds the export (module docstring)
            description="Rows and distinct SIAPEs against the last accepted delivery (delivery_max_drop_share).",
        )
        for export in RAW_EXPORTS
    ]

    @dg.multi_asset(name="raw_exports", specs=specs, check_specs=check_specs, can_subset=True)
    def raw_exports(context: AssetExecutionContext, config: RawExportsConfig):
        acceptances = _acceptances(config)
        selected = [export for export in RAW_EXPORTS if export_asset_key(export) in context.selected_asset_keys]
        exports_dir = settings.exports_dir(project_dir)
        paths = {export: export_path(export, exports_dir, project_dir) for export in selected}
        # The files' hashes and SIAPE counts run in a thread while GX judges the files: hashlib and DuckDB
        # leave Python's lock to GX (about 1.5 s of a national month otherwise spent after it).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgb-exports-meter") as meter:
            hashed = {export: meter.submit(file_fingerprint, path) for export, path in paths.items()}
            payees = {export: meter.submit(count_payees, export, path) for export, path in paths.items()
                      if dg.AssetCheckKey(export_asset_key(export), DELIVERY_CHECK_NAME)
                      in context.selected_asset_check_keys}
            validations = validate_exports(selected, exports_dir, project_dir)
            failed = [validation for validation in validations if not validation.success]
            fingerprints = {validation.export: hashed[validation.export].result() for validation in validations}
            guarded = [v for v in validations if v.export in payees]
            delivery_results = list(_delivery_checks(guarded, fingerprints, project_dir, acceptances, payees))
        shrunk = [result for result in delivery_results if not result.passed]
        shrunk_keys = {result.asset_key for result in shrunk}
        refused = [v.export for v in failed] + [
            v.export for v in validations if v.success and export_asset_key(v.export) in shrunk_keys]
        last_build = last_good_build(context.instance, settings.warehouse_path(project_dir)) if refused else ""
        for validation in validations:
            key = export_asset_key(validation.export)
            if validation.success and key not in shrunk_keys:  # a refused file is not materialized: what needs it is skipped
                yield _materialization(validation, fingerprints[validation.export])
            if dg.AssetCheckKey(key, CHECK_NAME) in context.selected_asset_check_keys:
                result = to_asset_check_result(validation, key)
                yield result if validation.success else refused_check_result(result, last_build)
        for validation in failed:
            context.log.error("blocking check failed: " + validation.message())
        for result in delivery_results:
            yield result if result.passed else refused_check_result(result, last_build)
            if not result.passed:
                context.log.error("blocking check failed: " + (result.description or ""))
            elif result.metadata.get("accepted_shrink") is not None:
                context.log.warning("accepted shrink: " + (result.description or ""))
        if refused:
            quiet_skipped_dbt_check_warnings()
            context.instance.add_run_tags(context.run.run_id, refused_run_tags(refused, last_build))
            context.log.error(f"the steps after the exports are skipped; the published warehouse is unchanged: "
                              f"{last_build}")
        else:
            context.log.info(f"{len(validations)} export(s) meet the contract and the delivery guard")

    return raw_exports
