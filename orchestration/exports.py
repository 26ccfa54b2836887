"""The raw exports as assets, each guarded by its blocking GX suite.

One step validates every selected export (GX is imported once). An export's
"materialization" records the file it saw (path, rows, size, sha256; the
close compares that sha256 with the file it fingerprints); its check says
whether the file meets the contract. A failed check is an ERROR on a
blocking check: the run stops before dbt loads or rebuilds anything. The
file itself is only read.
"""

from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from expectations.validation import ExportValidation, validate_exports
from orchestration.dbt_assets import export_asset_key
from orchestration.export_checks import CHECK_NAME, to_asset_check_result
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


def build_export_assets(project_dir: Path) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=export_asset_key(export),
            group_name="exports",
            description=f"Raw export {export} as delivered (seeds/{export}.csv, or the file in $PGB_EXPORTS_DIR).",
            kinds={"csv"},
            skippable=True,
        )
        for export in RAW_EXPORTS
    ]
    check_specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=export_asset_key(export),
            blocking=True,
            description="Great Expectations suite of contract section 1 (columns, types, keys, enums, rules).",
        )
        for export in RAW_EXPORTS
    ]

    @dg.multi_asset(name="raw_exports", specs=specs, check_specs=check_specs, can_subset=True)
    def raw_exports(context: AssetExecutionContext):
        selected = [export for export in RAW_EXPORTS if export_asset_key(export) in context.selected_asset_keys]
        validations = validate_exports(selected, settings.exports_dir(project_dir), project_dir)
        failed = [validation for validation in validations if not validation.success]
        for validation in validations:
            key = export_asset_key(validation.export)
            yield _materialization(validation)
            if dg.AssetCheckKey(key, CHECK_NAME) in context.selected_asset_check_keys:
                yield to_asset_check_result(validation, key)
        for validation in failed:
            context.log.error("blocking check failed: " + validation.message())
        if not failed:
            context.log.info(f"{len(validations)} export(s) meet the contract")

    return raw_exports
