"""Turn a GX validation of one export into a blocking Dagster AssetCheckResult.

(`dagster-ge` targets GX 0.x; this is the small equivalent for GX 1.x.)
The metadata leads with the first failure's export / column / expectation /
unexpected_count / sample rows and values, so the Dagster UI shows them in
the check's row; `failures` lists every failed expectation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

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
