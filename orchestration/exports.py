"""The raw exports as assets, each guarded by its blocking GX suite.

One step validates every selected export (GX is imported once). An export's
"materialization" records the file it saw (path, rows, size, sha256; the
close compares that sha256 with the file it fingerprints); its check says
whether the file meets the contract. A failed check is an ERROR on a
blocking check: the run stops before dbt loads or rebuilds anything. The
file itself is only read.

Each export has a second blocking check, `delivery_guard`: its rows and
distinct SIAPEs against the last accepted delivery (expectations/delivery.py).
A shrink beyond `delivery_max_drop_share` stops the run too, unless the run's
config names the export in `accept_shrunk`, with a reason (`pgb run|close
--accept-shrunk EXPORT --reason ...`).
"""

import getpass
import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from dagster import AssetExecutionContext

from expectations.delivery import (
    Acceptance,
    AcceptedDeliveryError,
    DeliveryGuardError,
    count_delivery,
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
    to_asset_check_result,
)
from pgb_shared import settings
from pgb_shared.exports import RAW_EXPORTS
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
                     acceptances: dict[str, Acceptance]):
    """One delivery_guard result per validated export; the guard fails closed when it cannot judge."""
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
            count = count_delivery(validation.export, validation.path, validation.row_count,
                                   fingerprints[validation.export].get("sha256"))
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
    ] + [
        dg.AssetCheckSpec(
            DELIVERY_CHECK_NAME,
            asset=export_asset_key(export),
            blocking=True,
            description="Rows and distinct SIAPEs against the last accepted delivery (delivery_max_drop_share).",
        )
        for export in RAW_EXPORTS
    ]

    @dg.multi_asset(name="raw_exports", specs=specs, check_specs=check_specs, can_subset=True)
    def raw_exports(context: AssetExecutionContext, config: RawExportsConfig):
        acceptances = _acceptances(config)
        selected = [export for export in RAW_EXPORTS if export_asset_key(export) in context.selected_asset_keys]
        validations = validate_exports(selected, settings.exports_dir(project_dir), project_dir)
        failed = [validation for validation in validations if not validation.success]
        fingerprints = {validation.export: file_fingerprint(validation.path) for validation in validations}
        for validation in validations:
            key = export_asset_key(validation.export)
            yield _materialization(validation, fingerprints[validation.export])
            if dg.AssetCheckKey(key, CHECK_NAME) in context.selected_asset_check_keys:
                yield to_asset_check_result(validation, key)
        for validation in failed:
            context.log.error("blocking check failed: " + validation.message())
        guarded = [v for v in validations
                   if dg.AssetCheckKey(export_asset_key(v.export), DELIVERY_CHECK_NAME) in context.selected_asset_check_keys]
        shrunk = []
        for result in _delivery_checks(guarded, fingerprints, project_dir, acceptances):
            yield result
            if not result.passed:
                shrunk.append(result)
                context.log.error("blocking check failed: " + (result.description or ""))
            elif result.metadata.get("accepted_shrink") is not None:
                context.log.warning("accepted shrink: " + (result.description or ""))
        if not failed and not shrunk:
            context.log.info(f"{len(validations)} export(s) meet the contract and the delivery guard")

    return raw_exports
