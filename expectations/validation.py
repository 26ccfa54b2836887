"""Validate raw export files against their suites and say what is wrong.

One export at a time: DuckDB screens every row of the file and Great
Expectations judges the rows the screen kept (see `expectations.screen`),
indexed by their CSV line numbers (Parquet: row numbers). GX 1.x validates
pandas DataFrames here: its SQL route has no DuckDB dialect (see the
README). Nothing of an export stays in memory after its suite; the only
thing kept between exports is the set of task ids other exports point at.
The result is plain data (`ExportValidation`), so the terminal, the tests
and the Dagster check all report the same thing.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from expectations.early import (  # noqa: F401 - the early start's entry points, named here too
    drop_early_validation,
    stop,
    taken_early_validation,
    validate_exports_early,
)
from expectations.contract import (
    PROJECT_DIR,
    ExportContract,
    load_contracts,
    parameter_versions,
    seed_values,
)
from expectations.screen import Screen, judged_frame, key_table, quoted, screened_rows
from expectations.source import ExportFile, UnreadableExport, explain_read_error, open_export, sql_text
from expectations.suites import DERIVED_MARK, DeliveryMoment, SuiteInputs, build_suite
from pgb_shared.exports import export_path
from pgb_shared.fingerprints import file_state

SAMPLE_SIZE = 5  # failing rows shown per expectation
# At most this many rows kept by the screen go to GX at once (memory: about
# 100 bytes a cell). A good file keeps none; past it the file is refused
# anyway, with counts that are lower bounds.
JUDGED_ROWS_LIMIT = 200_000
DUCKDB_MEMORY_LIMIT = "512MB"  # beyond it DuckDB spills to a scratch folder
DISTINCT_SHOWN = 10  # distinct bad values listed where the rule asks for them (unknown codes)
BRASILIA = ZoneInfo("America/Sao_Paulo")  # contract 1: timestamps are Brasília local time
DELIVERED_AT_VARIABLE = "PGB_DELIVERED_AT"


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation that failed on one export."""

    export: str
    column: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_be_unique
    rule: str  # the contract's words, e.g. "7-digit SIAPE"
    unexpected_count: int | None  # bad rows; None when not row-based (missing column, error)
    row_numbers: tuple[int, ...] = ()  # CSV line numbers (header = line 1); Parquet row numbers
    values: tuple[str, ...] = ()
    distinct_values: tuple[tuple[str, int], ...] = ()  # (value, bad rows), when the rule lists them

    def describe(self) -> str:
        count = "" if self.unexpected_count is None else f": {self.unexpected_count} bad row(s)"
        samples = ", ".join(
            f"line {line} {value!r}" for line, value in zip(self.row_numbers, self.values, strict=False)
        )
        if not samples and self.values:
            samples = ", ".join(self.values)
        where = f"column {self.column}" if self.column else "table"
        tail = f", e.g. {samples}" if samples else ""
        if self.distinct_values:
            tail += "; distinct values: " + ", ".join(f"{value!r} ({rows} row(s))" for value, rows in self.distinct_values)
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
    screened_rows: int = 0  # rows the screen kept for GX (0 on a good file)
    judged_rows: int = 0  # of those, rows GX judged (all, up to JUDGED_ROWS_LIMIT)

    @property
    def success(self) -> bool:
        return not self.failures

    def message(self) -> str:
        if self.success:
            return f"{self.export}: {self.row_count} rows, {self.evaluated} expectations passed ({self.path})"
        lines = [f"{self.export} ({self.path}): {len(self.failures)} failed expectation(s)"]
        lines += ["  - " + failure.describe() for failure in self.failures]
        if self.judged_rows < self.screened_rows:
            lines.append(
                f"  (GX judged the first {self.judged_rows:,} of the {self.screened_rows:,} rows that may break a "
                "check: the counts are lower bounds)"
            )
        return "\n".join(lines)


# --- where the files are -------------------------------------------------------------


def delivery_moment(path: Path) -> DeliveryMoment:
    """PGB_DELIVERED_AT when set (ISO timestamp), else the file's modification time, in Brasília time.

    Raises ValueError when PGB_DELIVERED_AT is not an ISO timestamp.
    """
    configured = os.environ.get(DELIVERED_AT_VARIABLE, "").strip()
    if configured:
        moment = datetime.fromisoformat(configured)
        if moment.tzinfo is not None:
            moment = moment.astimezone(BRASILIA).replace(tzinfo=None)
        return DeliveryMoment(moment, DELIVERED_AT_VARIABLE)
    modified = datetime.fromtimestamp(path.stat().st_mtime, BRASILIA).replace(tzinfo=None)
    return DeliveryMoment(modified, f"modification time of {path.name}")


# --- running GX ----------------------------------------------------------------------


def gx_context():
    """An ephemeral GX context with progress bars and usage statistics off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _run_suite(context, contract: ExportContract, frame: pd.DataFrame, inputs: SuiteInputs, details: bool = True):
    """details=False asks GX for verdicts only (half the cost of a suite on a good file)."""
    data_source = context.data_sources.add_or_update_pandas(f"pgb_{contract.name}")
    asset = data_source.add_dataframe_asset(contract.name)
    batch = asset.add_batch_definition_whole_dataframe("judged_rows").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = build_suite(contract, list(frame.columns), inputs)
    if not details:
        return batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    return batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE})


def _format_value(value) -> str:
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return "<null>"
    if isinstance(value, tuple | list):
        return " vs ".join(_format_value(v) for v in value)
    if isinstance(value, dict):  # a compound key (a trimmed key column is named as the export names it)
        return ", ".join(f"{column.split(DERIVED_MARK)[0]} {_format_value(v)}" for column, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, pd.Timestamp | datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
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
    observed = [column for column in observed if DERIVED_MARK not in column]
    missing = [c for c in contract.columns if c not in observed]
    extra = [c for c in observed if c not in contract.columns]
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if extra:
        problems.append("unexpected column(s): " + ", ".join(extra))
    problem = "; ".join(problems) or "columns out of order: " + ", ".join(observed)
    if len(observed) == 1 and ";" in observed[0]:
        problem += " (the header is ';'-separated: exports are comma-separated CSV)"
    return ExpectationFailure(
        export=export,
        column=", ".join(missing or extra or observed),
        expectation="expect_table_columns_to_match_ordered_list",
        rule=problem + "; expected " + ", ".join(contract.columns),
        unexpected_count=None,
    )


def _sample_value(frame: pd.DataFrame, line: int, column: str, context: list) -> str:
    value = _format_value(frame.at[line, column])
    if context:
        shown = ", ".join(f"{label} {_format_value(frame.at[line, source])}" for label, source in context)
        value += f" (vs {shown})"
    return value


def _failure_from_result(export: str, contract: ExportContract, frame: pd.DataFrame, result) -> ExpectationFailure:
    config = result.expectation_config
    meta = config.meta or {}
    if config.type == "expect_table_columns_to_match_ordered_list":
        return _column_list_failure(export, contract, list(frame.columns))
    error = _exception_message(result)
    if error:
        return ExpectationFailure(export, meta.get("column", ""), config.type, f"could not be evaluated: {error}", None)
    details = result.result or {}
    # The frame is indexed by line number: GX's indexes are the lines people look up.
    lines = [int(line) for line in (details.get("partial_unexpected_index_list") or [])[:SAMPLE_SIZE]]
    column = meta.get("column", "")
    if column and "," not in column and column in frame.columns and lines:
        values = tuple(_sample_value(frame, line, column, meta.get("context") or []) for line in lines)
    else:
        values = tuple(_format_value(v) for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_SIZE])
    distinct = ()
    if meta.get("distinct"):
        counts = details.get("partial_unexpected_counts") or []
        distinct = tuple((_format_value(c["value"]), int(c["count"])) for c in counts[:DISTINCT_SHOWN])
    return ExpectationFailure(
        export=export,
        column=column,
        expectation=config.type,
        rule=meta.get("rule", ""),
        unexpected_count=details.get("unexpected_count"),
        row_numbers=tuple(lines),
        values=values,
        distinct_values=distinct,
    )


def validate_frame(
    context, contract: ExportContract, frame: pd.DataFrame, path: Path, row_count: int, inputs: SuiteInputs
) -> ExportValidation:
    """Run one export's suite on the rows to judge (indexed by line number).

    The suite runs for verdicts first; only when something fails does it run
    again for the counts, lines and values of the report.
    """
    gx_result = _run_suite(context, contract, frame, inputs, details=False)
    if not gx_result.success:
        gx_result = _run_suite(context, contract, frame, inputs, details=True)
    validation = ExportValidation(
        export=contract.name,
        path=path,
        row_count=row_count,
        evaluated=gx_result.statistics["evaluated_expectations"],
        successful=gx_result.statistics["successful_expectations"],
    )
    # Report the column list first: when it fails, the rest is read in its light.
    ordered = sorted(
        (r for r in gx_result.results if not r.success),
        key=lambda r: r.expectation_config.type != "expect_table_columns_to_match_ordered_list",
    )
    validation.failures = [_failure_from_result(contract.name, contract, frame, r) for r in ordered]
    return validation


# --- one run over the exports ------------------------------------------------------------


def _unreadable(export: str, path: Path, error: Exception) -> ExportValidation:
    if isinstance(error, FileNotFoundError):
        problem = "file not found"
    elif isinstance(error, UnreadableExport):
        problem = str(error)
    else:
        problem = f"file cannot be read: {type(error).__name__}: {error}"
    return ExportValidation(
        export=export,
        path=path,
        failures=[ExpectationFailure(export, "", "read_file", problem, None)],
    )


@dataclass
class _Prepared:
    """What the screen hands GX for one export: the rows to judge and the suite's inputs."""

    contract: ExportContract
    path: Path
    row_count: int
    inputs: SuiteInputs
    problems: list[ExpectationFailure]
    frame: pd.DataFrame
    kept_rows: int


class _Run:
    """One DuckDB connection for a run: files opened once, key sets of referenced exports kept."""

    def __init__(self, exports_dir: Path | None, project_dir: Path, contracts: dict[str, ExportContract]):
        import duckdb

        self.exports_dir = exports_dir
        self.project_dir = project_dir
        self.contracts = contracts
        self._scratch = tempfile.TemporaryDirectory(prefix="pgb-gx-")
        self.connection = duckdb.connect()
        # Row numbers come from row_number() over () in file order (see source.open_csv).
        self.connection.execute("set preserve_insertion_order = true")
        self.connection.execute(f"set temp_directory = {sql_text(self._scratch.name)}")
        self.connection.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        self.connection.execute("set enable_progress_bar = false")  # the step's log is not a terminal
        self._opened: dict[str, ExportFile | Exception] = {}
        self._keys: dict[tuple[str, str], bool] = {}
        self.seed_values = {
            (rule.seed, rule.seed_column): seed_values(project_dir, rule.seed, rule.seed_column)
            for contract in contracts.values()
            for rule in contract.seed_reference_rules
        }
        self.parameters = {
            rule.parameter: parameter_versions(project_dir, rule.parameter)
            for contract in contracts.values()
            for rule in contract.max_duration_rules
        }

    def close(self) -> None:
        self.connection.close()
        self._scratch.cleanup()

    def path(self, export: str) -> Path:
        return export_path(export, self.exports_dir, self.project_dir)

    def opened(self, export: str) -> ExportFile | Exception:
        if export not in self._opened:
            try:
                self._opened[export] = open_export(self.connection, self.path(export))
            except (FileNotFoundError, UnreadableExport) as error:
                self._opened[export] = error
        return self._opened[export]

    def has_keys(self, export: str, column: str) -> bool:
        """Load the trimmed values of `export.column` once; False when that export cannot be read."""
        if (export, column) not in self._keys:
            target = self.opened(export)
            available = not isinstance(target, Exception) and column in target.header
            if available:
                value = f"trim(cast(src.{quoted(column)} as varchar))"
                try:
                    self.connection.execute(
                        f"create or replace temp table {key_table(export, column)} as "
                        f"select distinct {value} as key from ({target.relation_sql}) as src where {value} <> ''"
                    )
                except Exception:  # noqa: BLE001 - the referenced export's own suite reports why
                    available = False
            self._keys[(export, column)] = available
        return self._keys[(export, column)]

    def inputs_for(self, contract: ExportContract, path: Path) -> tuple[SuiteInputs, list[ExpectationFailure]]:
        problems = []
        delivery = None
        if contract.delivery_bound_columns:
            try:
                delivery = delivery_moment(path)
            except ValueError:
                problems.append(
                    ExpectationFailure(
                        contract.name, "", "delivery_moment",
                        f"{DELIVERED_AT_VARIABLE}={os.environ.get(DELIVERED_AT_VARIABLE)!r} is not an ISO timestamp "
                        "(YYYY-MM-DD HH:MM:SS): the timestamps cannot be checked against the delivery",
                        None,
                    )
                )
        return SuiteInputs(delivery=delivery, seed_values=self.seed_values, parameters=self.parameters), problems

    def prepare(self, export: str, every_row: bool) -> _Prepared | ExportValidation:
        """The DuckDB half of an export's validation: open, screen, read the rows GX will judge.

        Runs in the screening thread (the only user of this run's connection); an export that
        cannot be read is already its validation.
        """
        contract = self.contracts[export]
        path = self.path(export)
        export_file = self.opened(export)
        if isinstance(export_file, Exception):
            return _unreadable(export, path, export_file)
        inputs, problems = self.inputs_for(contract, path)
        available_keys = {
            (rule.target_export, rule.target_column)
            for rule in contract.reference_rules
            if rule.column in export_file.header and self.has_keys(rule.target_export, rule.target_column)
        }
        screen = Screen(contract, export_file, inputs, available_keys)
        try:
            frame, kept_rows = self._rows_to_judge(screen, every_row)
        except UnreadableExport as error:
            return _unreadable(export, path, error)
        return _Prepared(contract, path, export_file.row_count, inputs, problems, frame, kept_rows)

    @staticmethod
    def judge(prepared: _Prepared, context) -> ExportValidation:
        """The GX half: the export's suite on the rows the screen kept (pure Python, no DuckDB)."""
        export = prepared.contract.name
        frame, kept_rows = prepared.frame, prepared.kept_rows
        validation = validate_frame(
            context, prepared.contract, frame, prepared.path, prepared.row_count, prepared.inputs
        )
        validation.failures = prepared.problems + validation.failures
        validation.screened_rows, validation.judged_rows = kept_rows, len(frame)
        if len(frame) < kept_rows and validation.success:
            validation.failures.append(
                ExpectationFailure(
                    export, "", "judge_rows",
                    f"{kept_rows:,} rows may break a check and GX can judge {JUDGED_ROWS_LIMIT:,} at a time: "
                    "the first ones pass, the rest were not judged",
                    None,
                )
            )
        return validation

    def _rows_to_judge(self, screen: Screen, every_row: bool) -> tuple[pd.DataFrame, int]:
        """The rows GX judges, and how many rows the screen kept."""
        import duckdb

        connection, export_file = self.connection, screen.file
        if not screen.present:  # nothing of the contract to read (e.g. a ';'-separated file)
            return judged_frame(connection, screen, "none"), 0
        try:
            row_count, kept = screened_rows(connection, screen)
            if every_row:
                return judged_frame(connection, screen, "all"), row_count
            if not len(kept):
                return judged_frame(connection, screen, "none"), 0
            return judged_frame(connection, screen, "judged", kept[:JUDGED_ROWS_LIMIT]), len(kept)
        except duckdb.Error as error:
            raise explain_read_error(export_file, error) from None


def validate_exports(
    exports: list[str] | None = None,
    exports_dir: Path | None = None,
    project_dir: Path = PROJECT_DIR,
    *,
    every_row: bool = False,
) -> list[ExportValidation]:
    """Validate the named exports (default: all of contract section 1).

    every_row=True hands GX every row instead of the screened ones: the same
    report, slower; the tests use it to show that the screen loses nothing.
    """
    contracts = load_contracts(project_dir)
    names = list(exports or contracts)
    started_early = _take_early_validation(names, exports_dir, project_dir, every_row)
    if started_early is not None:
        return started_early
    run = _Run(Path(exports_dir) if exports_dir is not None else None, project_dir, contracts)
    context = _ContextInBackground()
    # The largest file first: its DuckDB screen runs while GX is still importing.
    order = sorted(names, key=lambda name: -_size(run.path(name)))
    # Two lanes: one thread screens the exports in order (DuckDB, which leaves Python's lock free),
    # while this thread has GX judge the export screened before (pure Python). One export is screened
    # ahead, no more: the rows waiting for GX stay those of one export.
    screening = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgb-screen")
    try:
        validations = {}
        pending = screening.submit(run.prepare, order[0], every_row) if order else None
        for position, name in enumerate(order):
            prepared = pending.result()
            pending = (
                screening.submit(run.prepare, order[position + 1], every_row) if position + 1 < len(order) else None
            )
            validations[name] = prepared if isinstance(prepared, ExportValidation) else run.judge(prepared, context.get())
        return [validations[name] for name in names]
    finally:
        screening.shutdown(wait=True, cancel_futures=True)
        run.close()


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _take_early_validation(names: list[str], exports_dir: Path | None, project_dir: Path,
                           every_row: bool) -> list[ExportValidation] | None:
    early = taken_early_validation()
    if early is None:
        return None
    try:
        same_request = (
            not every_row
            and _resolved(early.exports_dir) == _resolved(exports_dir)
            and _resolved(early.project_dir) == _resolved(project_dir)
            and set(names) <= set(early.names)
        )
        if not same_request:
            return None
        answer = early.receiver.read()  # until the child closes it: done, failed or killed
        if early.process.wait() != 0 or not answer:
            return None
        validations = pickle.loads(answer)
        unchanged = all(file_state(export_path(name, exports_dir, project_dir)) == state
                        for name, state in early.files.items())
        if not unchanged:
            return None
        by_export = {validation.export: validation for validation in validations}
        return [by_export[name] for name in names]
    finally:
        stop(early)


def _resolved(path: Path | None) -> Path | None:
    return Path(path).resolve() if path is not None else None


class _ContextInBackground:
    """Import GX (seconds of pure Python) in a thread while DuckDB reads the first export."""

    def __init__(self):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        self._context = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, name="gx-import", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            self._context = gx_context()
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            self._error = error

    def get(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._context


def _early_child(argv: list[str] | None = None) -> int:
    """`python -m expectations.validation`: the child of validate_exports_early. Writes the pickled
    validations of every export to the inherited descriptor; exit 1 (and nothing written) when
    validate_exports raised, so the parent validates itself and reports the error there."""
    parser = argparse.ArgumentParser(description="The exports' checks for a pgb command (see validate_exports_early).")
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--exports-dir", type=Path)
    arguments = parser.parse_args(argv)
    validations = validate_exports(exports_dir=arguments.exports_dir, project_dir=arguments.project_dir)
    with os.fdopen(arguments.result_fd, "wb") as result:
        pickle.dump(validations, result)
    return 0


if __name__ == "__main__":
    # Run from the module by its name, not from __main__: the validations must pickle as
    # expectations.validation's classes, which is where the parent looks them up.
    from expectations.validation import _early_child as early_child

    status = early_child()
    # The parent waits for this process to end, not only for its report: skip the interpreter's teardown of
    # GX's, pandas' and DuckDB's objects (the connection and its scratch folder are closed already).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
