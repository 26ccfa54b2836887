"""Validate raw export files against their suites and say what is wrong.

GX 1.x validates pandas DataFrames here (its SQL route does not work on
DuckDB). Files are read with every cell as text so that siape keeps its
leading zeros and a value that would not parse is still there to be reported.
The result is plain data (`ExportValidation`), so the terminal, the tests and
the Dagster check all report the same thing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expectations.contract import PROJECT_DIR, ExportContract, load_contracts
from expectations.suites import DANGLING_SUFFIX, build_suite, dangling_column
from pgb_shared.exports import export_path

SAMPLE_SIZE = 5  # failing rows shown per expectation


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation that failed on one export."""

    export: str
    column: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_be_unique
    rule: str  # the contract's words, e.g. "7-digit SIAPE"
    unexpected_count: int | None  # bad rows; None when not row-based (missing column, error)
    row_numbers: tuple[int, ...] = ()  # CSV line numbers (header = line 1)
    values: tuple[str, ...] = ()

    def describe(self) -> str:
        count = "" if self.unexpected_count is None else f": {self.unexpected_count} bad row(s)"
        samples = ", ".join(
            f"line {line} {value!r}" for line, value in zip(self.row_numbers, self.values, strict=False)
        )
        if not samples and self.values:
            samples = ", ".join(self.values)
        where = f"column {self.column}" if self.column else "table"
        tail = f", e.g. {samples}" if samples else ""
        return f"{self.export}: {where}, {self.expectation} ({self.rule}){count}{tail}"


@dataclass
class ExportValidation:
    """The outcome of one export's suite."""

    export: str
    path: Path
    row_count: int = 0
    evaluated: int = 0
    successful: int = 0
    failures: list[ExpectationFailure] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    def message(self) -> str:
        if self.success:
            return f"{self.export}: {self.row_count} rows, {self.evaluated} expectations passed ({self.path})"
        lines = [f"{self.export} ({self.path}): {len(self.failures)} failed expectation(s)"]
        lines += ["  - " + failure.describe() for failure in self.failures]
        return "\n".join(lines)


# --- reading -----------------------------------------------------------------


def first_data_line(path: Path) -> int:
    """Line number of the first data row: 2 in a CSV (after its header), row 1 in Parquet."""
    return 1 if path.suffix == ".parquet" else 2


def _blank_to_null(frame: pd.DataFrame) -> pd.DataFrame:
    # Staging reads blank (or all-space) cells as null, so the checks do too.
    return frame.apply(lambda column: column.mask(column.str.strip() == ""))


def read_export(path: Path) -> pd.DataFrame:
    """The export as text cells, blanks as nulls; a Parquet file through DuckDB."""
    if path.suffix == ".parquet":
        import duckdb

        # Every column as text, as in a CSV (DuckDB prints timestamps as the contract writes them).
        with duckdb.connect() as connection:
            frame = connection.execute("select columns(*)::varchar from read_parquet(?)", [str(path)]).df()
        return _blank_to_null(frame)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    return _blank_to_null(frame)


def add_reference_columns(frame: pd.DataFrame, contract: ExportContract, known_values) -> pd.DataFrame:
    """Add `<column>__dangling`: the value when it is not in the export it points at.

    known_values(export, column) returns the set of values, or None when that
    export cannot be read (its own suite reports it; the reference is skipped).
    """
    frame = frame.copy()
    for rule in contract.reference_rules:
        if rule.column not in frame.columns:
            continue
        known = known_values(rule.target_export, rule.target_column)
        values = frame[rule.column]
        if known is None:
            frame[dangling_column(rule.column)] = values.where(False)
        else:
            frame[dangling_column(rule.column)] = values.where(values.notna() & ~values.isin(known))
    return frame


# --- running GX ----------------------------------------------------------------


def gx_context():
    """An ephemeral GX context with progress bars and usage statistics off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _run_suite(context, contract: ExportContract, frame: pd.DataFrame):
    data_source = context.data_sources.add_or_update_pandas(f"pgb_{contract.name}")
    asset = data_source.add_dataframe_asset(contract.name)
    batch = asset.add_batch_definition_whole_dataframe("whole_file").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = build_suite(contract, list(frame.columns))
    return batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE})


def _format_value(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "<null>"
    if isinstance(value, tuple | list):
        return " vs ".join(_format_value(v) for v in value)
    return str(value)


def _exception_message(result) -> str | None:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for nested in info.values():  # keyed by metric when several metrics failed
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return nested.get("exception_message")
    return None


def _column_list_failure(export: str, contract: ExportContract, observed: list[str]) -> ExpectationFailure:
    observed = [column for column in observed if not column.endswith(DANGLING_SUFFIX)]
    missing = [c for c in contract.columns if c not in observed]
    extra = [c for c in observed if c not in contract.columns]
    if missing:
        problem = "missing column(s): " + ", ".join(missing)
    elif extra:
        problem = "unexpected column(s): " + ", ".join(extra)
    else:
        problem = "columns out of order: " + ", ".join(observed)
    return ExpectationFailure(
        export=export,
        column=", ".join(missing or extra or observed),
        expectation="expect_table_columns_to_match_ordered_list",
        rule=problem + "; expected " + ", ".join(contract.columns),
        unexpected_count=None,
    )


def _failure_from_result(export: str, contract: ExportContract, frame, result, line_offset: int):
    config = result.expectation_config
    meta = config.meta or {}
    if config.type == "expect_table_columns_to_match_ordered_list":
        return _column_list_failure(export, contract, list(frame.columns))
    error = _exception_message(result)
    if error:
        return ExpectationFailure(export, meta.get("column", ""), config.type, f"could not be evaluated: {error}", None)
    details = result.result or {}
    indexes = details.get("partial_unexpected_index_list") or []
    row_numbers = tuple(int(index) + line_offset for index in indexes[:SAMPLE_SIZE])
    column = meta.get("column", "")
    if column and "," not in column and column in frame.columns and indexes:
        # The value of the reported column on those rows (a pair rule's list holds both).
        values = tuple(_format_value(frame[column].iloc[int(i)]) for i in indexes[:SAMPLE_SIZE])
    else:
        values = tuple(_format_value(v) for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_SIZE])
    if config.type == "expect_column_pair_values_a_to_be_greater_than_b" and indexes:
        other = config.kwargs["column_B"]
        values = tuple(
            f"{_format_value(frame[column].iloc[int(i)])} (vs {other} {_format_value(frame[other].iloc[int(i)])})"
            for i in indexes[:SAMPLE_SIZE]
        )
    return ExpectationFailure(
        export=export,
        column=column,
        expectation=config.type,
        rule=meta.get("rule", ""),
        unexpected_count=details.get("unexpected_count"),
        row_numbers=row_numbers,
        values=values,
    )


def validate_frame(
    context, contract: ExportContract, frame: pd.DataFrame, path: Path, known_values=lambda *_: None
) -> ExportValidation:
    """Run one export's suite on an already-read DataFrame."""
    frame = add_reference_columns(frame, contract, known_values)
    gx_result = _run_suite(context, contract, frame)
    validation = ExportValidation(
        export=contract.name,
        path=path,
        row_count=len(frame),
        evaluated=gx_result.statistics["evaluated_expectations"],
        successful=gx_result.statistics["successful_expectations"],
    )
    line_offset = first_data_line(path)
    # Report the column list first: when it fails, the rest is read in its light.
    ordered = sorted(
        (r for r in gx_result.results if not r.success),
        key=lambda r: r.expectation_config.type != "expect_table_columns_to_match_ordered_list",
    )
    validation.failures = [_failure_from_result(contract.name, contract, frame, r, line_offset) for r in ordered]
    return validation


class _ExportReader:
    """Reads each export once and serves the cross-export lookups."""

    def __init__(self, exports_dir: Path | None, project_dir: Path):
        self.exports_dir = exports_dir
        self.project_dir = project_dir
        self._frames: dict[str, pd.DataFrame | Exception] = {}

    def path(self, export: str) -> Path:
        return export_path(export, self.exports_dir, self.project_dir)

    def frame(self, export: str) -> pd.DataFrame | Exception:
        if export not in self._frames:
            try:
                self._frames[export] = read_export(self.path(export))
            except Exception as error:  # noqa: BLE001 - reported as the export's failure
                self._frames[export] = error
        return self._frames[export]

    def known_values(self, export: str, column: str) -> set | None:
        frame = self.frame(export)
        if isinstance(frame, Exception) or column not in frame.columns:
            return None
        return set(frame[column].dropna())


def _unreadable(export: str, path: Path, error: Exception) -> ExportValidation:
    if isinstance(error, FileNotFoundError):
        problem = "file not found"
    elif isinstance(error, pd.errors.EmptyDataError):
        problem = "file is empty (no header row)"
    else:
        problem = f"file cannot be read: {type(error).__name__}: {error}"
    return ExportValidation(
        export=export,
        path=path,
        failures=[ExpectationFailure(export, "", "read_file", problem, None)],
    )


def validate_exports(
    exports: list[str] | None = None,
    exports_dir: Path | None = None,
    project_dir: Path = PROJECT_DIR,
) -> list[ExportValidation]:
    """Validate the named exports (default: all of contract section 1)."""
    contracts = load_contracts(project_dir)
    reader = _ExportReader(exports_dir, project_dir)
    context = gx_context()
    validations = []
    for export in exports or list(contracts):
        frame = reader.frame(export)
        if isinstance(frame, Exception):
            validations.append(_unreadable(export, reader.path(export), frame))
            continue
        validations.append(validate_frame(context, contracts[export], frame, reader.path(export), reader.known_values))
    return validations
