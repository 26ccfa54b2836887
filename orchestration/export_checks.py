"""Turn a GX validation of one export into a blocking Dagster AssetCheckResult.

(`dagster-ge` targets GX 0.x; this is the small equivalent for GX 1.x.)
The metadata leads with the first failure's export / column / expectation /
unexpected_count / sample rows and values, so the Dagster UI shows them in
the check's row; `failures` lists every failed expectation.
"""

from __future__ import annotations

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
    """A failed suite is an ERROR: with a blocking check spec it stops the run."""
    return dg.AssetCheckResult(
        passed=validation.success,
        asset_key=asset_key,
        check_name=check_name,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=check_metadata(validation),
        description=validation.message(),
    )
