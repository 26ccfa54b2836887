"""Turn a GX validation of one export into a blocking Dagster AssetCheckResult.

(`dagster-ge` targets GX 0.x; this is the small equivalent for GX 1.x.)
The second blocking check of each export, `delivery_guard`, compares it with
the last accepted delivery (expectations/delivery.py); after the warehouse is
published, the run's passed guard evaluations become that accepted delivery.
The metadata leads with the first failure's export / column / expectation /
unexpected_count / sample rows and values, so the Dagster UI shows them in
the check's row; `failures` lists every failed expectation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from expectations.delivery import (
    DeliveryCount,
    GuardVerdict,
    accepted_entry,
    record_path_for,
    write_record,
)
from expectations.validation import ExportValidation

CHECK_NAME = "contract_suite"


def _failures_markdown(validation: ExportValidation) -> str:
    header = "| column | expectation | rule | bad rows | sample (line: value) |\n|---|---|---|---|---|\n"
    rows = []
    for failure in validation.failures:
        samples = "; ".join(f"{line}: {value}" for line, value in zip(failure.row_numbers, failure.values, strict=False))
        count = "" if failure.unexpected_count is None else str(failure.unexpected_count)
        cells = [failure.column, failure.expectation, failure.rule, count, samples]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return header + "\n".join(rows)


def check_metadata(validation: ExportValidation) -> dict:
    metadata = {
        "export": validation.export,
        "file": dg.MetadataValue.path(str(validation.path)),
        "rows": validation.row_count,
        "evaluated_expectations": validation.evaluated,
        "successful_expectations": validation.successful,
        "unsuccessful_expectations": len(validation.failures),
    }
    if validation.failures:
        first = validation.failures[0]
        metadata.update(
            {
                "column": first.column,
                "expectation": first.expectation,
                "rule": first.rule,
                "unexpected_count": first.unexpected_count if first.unexpected_count is not None else -1,
                "sample_row_numbers": dg.MetadataValue.json(list(first.row_numbers)),
                "sample_values": dg.MetadataValue.json(list(first.values)),
                "failures": dg.MetadataValue.md(_failures_markdown(validation)),
            }
        )
    return metadata


def to_asset_check_result(
    validation: ExportValidation, asset_key: dg.AssetKey, check_name: str = CHECK_NAME
) -> dg.AssetCheckResult:
    """A failed suite is an ERROR; the export asset then withholds its materialization, which stops the run
    before dbt (see orchestration/exports.py)."""
    return dg.AssetCheckResult(
        passed=validation.success,
        asset_key=asset_key,
        check_name=check_name,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=check_metadata(validation),
        description=validation.message(),
    )


# --- what a refused export leaves published --------------------------------------------

# The mart whose latest materialization marks the last build that published the warehouse.
LAST_BUILD_MART = dg.AssetKey("fct_payee_month_payments")
WAREHOUSE_TAG = "pgb/warehouse"
LAST_GOOD_BUILD_TAG = "pgb/last_good_build"
REFUSED_EXPORTS_TAG = "pgb/refused_exports"


def last_good_build(instance: dg.DagsterInstance, warehouse: Path) -> str:
    """When the published warehouse was built and by which run, in words: what a refused run leaves in place."""
    if not warehouse.exists():
        return f"no warehouse is published yet ({warehouse} does not exist)"
    built = datetime.fromtimestamp(warehouse.stat().st_mtime, tz=timezone.utc)
    event = instance.get_latest_materialization_event(LAST_BUILD_MART)
    by_run = f" by run {event.run_id}" if event is not None else ""
    return f"{warehouse}, built {built:%Y-%m-%d %H:%M:%S} UTC{by_run}"


def refused_run_tags(refused_exports: list[str], last_build: str) -> dict[str, str]:
    """Run tags of a run whose exports were refused: the run list then says the warehouse was left as it was."""
    return {
        WAREHOUSE_TAG: "unchanged: exports refused, dbt and the reports skipped",
        LAST_GOOD_BUILD_TAG: last_build,
        REFUSED_EXPORTS_TAG: ", ".join(refused_exports),
    }


def refused_check_metadata(last_build: str) -> dict[str, object]:
    """Added to a failed check: what stayed published, so the check's row answers "is the warehouse broken?"."""
    return {
        "pgb/published_warehouse": f"unchanged, last good build: {last_build}",
        "pgb/downstream": "skipped: dbt and the reports did not run",
    }


# --- the delivery guard (expectations/delivery.py) -----------------------------------

DELIVERY_CHECK_NAME = "delivery_guard"


def delivery_check_result(verdict: GuardVerdict, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """A shrink beyond the bound is an ERROR on a blocking check: the run stops before dbt."""
    metadata: dict = {"export": verdict.export, "rows": verdict.current.rows}
    if verdict.current.payees is not None:
        metadata.update({"payees": verdict.current.payees, "siape_column": verdict.current.siape_column})
    if verdict.current.sha256:
        metadata["sha256"] = verdict.current.sha256
    if verdict.previous is not None:
        metadata["previous_rows"] = verdict.previous.get("rows", -1)
        if verdict.previous.get("payees") is not None:
            metadata["previous_payees"] = verdict.previous["payees"]
    if verdict.shrinks:
        metadata["shrinks"] = dg.MetadataValue.json(verdict.shrinks)
    if verdict.acceptance is not None:
        metadata["accepted_shrink"] = dg.MetadataValue.json(verdict.acceptance_record())
    return dg.AssetCheckResult(
        passed=verdict.passed,
        asset_key=asset_key,
        check_name=DELIVERY_CHECK_NAME,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=verdict.description,
    )


def delivery_error_result(export: str, message: str, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """The guard could not judge (bad parameter, unreadable record): fail closed, saying why."""
    return dg.AssetCheckResult(
        passed=False, asset_key=asset_key, check_name=DELIVERY_CHECK_NAME, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"export": export}, description=f"{export}: delivery guard cannot judge: {message}",
    )


def run_delivery_evaluations(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    """The delivery_guard evaluations this run recorded, passed ones only (a failed one blocked the run)."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [record.dagster_event.event_specific_data for record in records if record.dagster_event]
    return [e for e in evaluations if e.check_name == DELIVERY_CHECK_NAME and e.passed]


def record_accepted_delivery(instance: dg.DagsterInstance, run_id: str, warehouse: Path, accepted_at: str) -> Path | None:
    """After the warehouse is published: its exports become the delivery later ones are compared with.

    Returns the record written, or None when the run checked no export (a run of some models only).
    """
    entries = {}
    for evaluation in run_delivery_evaluations(instance, run_id):
        metadata = evaluation.metadata
        if "rows" not in metadata:  # not compared (the export failed its contract suite)
            continue
        count = DeliveryCount(
            export=metadata["export"].value,
            rows=metadata["rows"].value,
            payees=metadata["payees"].value if "payees" in metadata else None,
            siape_column=metadata["siape_column"].value if "siape_column" in metadata else None,
            sha256=metadata["sha256"].value if "sha256" in metadata else None,
        )
        acceptance = metadata["accepted_shrink"].value if "accepted_shrink" in metadata else None
        entries[count.export] = accepted_entry(count, run_id, accepted_at, acceptance)
    if not entries:
        return None
    return write_record(record_path_for(warehouse), entries)
