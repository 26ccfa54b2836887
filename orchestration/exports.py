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
"""

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from expectations.validation import ExportValidation, validate_exports
from orchestration.dbt_assets import export_asset_key
from orchestration.export_checks import (
    CHECK_NAME,
    last_good_build,
    refused_check_metadata,
    refused_run_tags,
    to_asset_check_result,
)
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS
from pgb_shared.fingerprints import file_fingerprint


def _materialization(validation: ExportValidation) -> dg.MaterializeResult:
    fingerprint = file_fingerprint(validation.path)
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
    ]

    @dg.multi_asset(name="raw_exports", specs=specs, check_specs=check_specs, can_subset=True)
    def raw_exports(context: AssetExecutionContext):
        selected = [export for export in RAW_EXPORTS if export_asset_key(export) in context.selected_asset_keys]
        validations = validate_exports(selected, settings.exports_dir(project_dir), project_dir)
        failed = [validation for validation in validations if not validation.success]
        last_build = last_good_build(context.instance, settings.warehouse_path(project_dir)) if failed else ""
        for validation in validations:
            key = export_asset_key(validation.export)
            if validation.success:  # a refused file is not materialized: what needs it is skipped
                yield _materialization(validation)
            if dg.AssetCheckKey(key, CHECK_NAME) in context.selected_asset_check_keys:
                result = to_asset_check_result(validation, key)
                yield result if validation.success else refused_check_result(result, last_build)
        for validation in failed:
            context.log.error("blocking check failed: " + validation.message())
        if failed:
            refused = [validation.export for validation in failed]
            quiet_skipped_dbt_check_warnings()
            context.instance.add_run_tags(context.run.run_id, refused_run_tags(refused, last_build))
            context.log.error(f"the steps after the exports are skipped; the published warehouse is unchanged: "
                              f"{last_build}")
        else:
            context.log.info(f"{len(validations)} export(s) meet the contract")

    return raw_exports
