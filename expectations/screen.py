"""DuckDB looks at every row; Great Expectations judges the rows that might fail.

Handing GX every row of a national month (12M task events) costs it seconds
per column just to fingerprint the frame, and pandas text checks on every
cell cost minutes. So each suite runs in two steps:

1. The screen. One DuckDB pass over the file computes, for every row, one
   condition that is true whenever some expectation of the suite *could*
   fail on that row: the same tests written in SQL (a format, a value list,
   a blank, a pair of columns, an anti-join to the referenced export), and,
   for a unique key, a hash of the key, whose repeated values mark the
   candidate duplicates. Each test is at least as strict as its expectation,
   so a row the screen lets through passes the suite.
   (`tests/python/test_expectations_screen.py` runs every damage both ways,
   screened and with every row handed to GX, and requires the same report.)
2. The judgement. The rows the screen kept (none on a good file) are read
   again with their text and the derived columns the suite needs, indexed by
   their line numbers, and the export's GX suite validates them: GX decides
   what fails, counts the bad rows and names their lines and values.

Two shortcuts, each argued where it is taken: for a CSV, a pass over its raw
bytes stands in for the control-character test of every cell when it finds
no control byte at all and one line per row; and a column that must match
another export's key skips the control-character test (a value with one
either points nowhere, which the reference test keeps, or matches a key of
the other export, whose own suite refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from expectations.contract import ExportContract, MaxDurationRule, ParameterVersion
from expectations.source import ROW, ExportFile, sql_text
from expectations.suites import (
    DECIMAL_REGEX,
    FIRST_OF_MONTH_REGEX,
    SIAPE_REGEX,
    TIME_REGEX,
    SuiteInputs,
    dangling_column,
    hours_column,
    max_hours_column,
    number_column,
    text_columns,
    timestamp_column,
    trimmed_column,
    trimmed_key_columns,
)

PARSED_SUFFIX = "__parsed"  # a text timestamp, cast once per row
JUDGED = "__judged_rows"
_SCREEN_CHUNK_VECTORS = 256  # DuckDB vectors (2,048 rows) per fetched chunk  # the positions of the rows GX judges (a registered frame)
CONTROL_CHARACTERS_SQL = "[\\x00-\\x1f\\x7f]"  # RE2 reads the escapes (suites.CONTROL_CHARACTERS_REGEX)


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _re2(python_regex: str) -> str:
    """The suites' anchored regex as a full-match pattern for DuckDB (RE2 reads the same syntax)."""
    return python_regex.removeprefix("^").removesuffix("$")


def key_table(export: str, column: str) -> str:
    return f"__keys__{export}__{column}"


@dataclass
class Screen:
    """The SQL of one export's screen and of the frame GX judges."""

    contract: ExportContract
    file: ExportFile
    inputs: SuiteInputs
    available_keys: set[tuple[str, str]]  # (export, column) whose key table exists

    @property
    def present(self) -> set[str]:
        return set(self.file.header) & set(self.contract.columns)

    # --- cells ------------------------------------------------------------------------

    def _source_type(self, column: str) -> str:
        return self.file.source_types.get(column, "VARCHAR")

    def text(self, column: str, alias: str = "src") -> str:
        """The cell as text, as a CSV would hold it (GX judges text)."""
        cell = f"{alias}.{quoted(column)}"
        return cell if self._source_type(column) == "VARCHAR" else f"cast({cell} as varchar)"

    def blank(self, column: str) -> str:
        """Null or only spaces (staging's `nullif(trim(x), '')`); trim only runs where it can matter."""
        if self._source_type(column) != "VARCHAR":
            return f"(src.{quoted(column)} is null)"  # a typed value is never blank text
        value = self.text(column)
        return f"(case when {value} is null then true when {value} < '!' then trim({value}) = '' else false end)"

    def trimmed(self, column: str) -> str:
        """The cell as staging holds a column it trims: `nullif(trim(x), '')`."""
        return f"nullif(trim({self.text(column)}), '')"

    def timestamp(self, column: str) -> str:
        """The cell as a timestamp (null when it is not one), parsed once per row (see relation_sql)."""
        if self._source_type(column) == "TIMESTAMP":
            return f"src.{quoted(column)}"
        return f"src.{quoted(column + PARSED_SUFFIX)}"

    def relation_sql(self) -> str:
        """The file's rows, each text timestamp cast once for every check that compares it."""
        parsed = "".join(
            f", try_cast({self.text(column, 'raw')} as timestamp) as {quoted(column + PARSED_SUFFIX)}"
            for column, kind in self.contract.column_types.items()
            if kind.lower() == "timestamp" and column in self.present and self._source_type(column) != "TIMESTAMP"
        )
        return f"select raw.*{parsed} from ({self.file.relation_sql}) as raw"

    # --- step 1: the screen ---------------------------------------------------------------

    def _type_condition(self, column: str, dbt_type: str) -> str | None:
        kind = dbt_type.lower()
        value = self.text(column)
        cell = f"src.{quoted(column)}"
        if kind == "timestamp":
            if self._source_type(column) == "TIMESTAMP":  # prints as the contract writes it, but for fractions or years
                return (
                    f"{cell} <> date_trunc('second', {cell}) "
                    f"or {cell} not between timestamp '0001-01-01' and timestamp '9999-12-31 23:59:59'"
                )
            # Only the exact 19 characters of a real moment survive the round trip:
            # the suite's regex and strptime together (a fuzz test holds it to that).
            return f"strlen({value}) <> 19 or cast({self.timestamp(column)} as varchar) is distinct from {value}"
        if kind == "date":
            if self._source_type(column) == "DATE":
                return f"{cell} not between date '0001-01-01' and date '9999-12-31'"
            return f"strlen({value}) <> 10 or cast(try_cast({value} as date) as varchar) is distinct from {value}"
        if kind == "time":
            return f"not regexp_full_match({value}, {sql_text(_re2(TIME_REGEX))})"
        if kind == "boolean":
            return f"{value} not in ('true', 'false')"
        if kind in {"integer", "int", "bigint"}:
            return f"not regexp_full_match({value}, '-?[0-9]+')"
        if kind.startswith("decimal") or kind in {"double", "numeric"}:
            return f"not regexp_full_match({value}, {sql_text(_re2(DECIMAL_REGEX))})"
        return None

    def _duration_bound(self, rule: MaxDurationRule) -> str:
        """The bound in force on the interval's start day; the earliest version before any is in force."""
        versions: list[ParameterVersion] = self.inputs.parameters.get(rule.parameter, [])
        if not versions:
            return f"{float(rule.default_hours)}"
        day = f"cast({self.timestamp(rule.start)} as date)"
        branches = " ".join(
            f"when {day} between date '{v.effective_from}' and date '{v.effective_to or '9999-12-31'}' "
            f"then {float(v.value)}"
            for v in versions
        )
        return f"(case {branches} else {float(versions[0].value)} end)"

    def _hours(self, rule: MaxDurationRule) -> str:
        start, end = self.timestamp(rule.start), self.timestamp(rule.end)
        return f"((epoch({end}) - epoch({start})) / 3600.0)"

    def _references(self) -> list[tuple[int, str]]:
        """(index, column) of the reference rules whose key table exists."""
        return [
            (index, rule.column)
            for index, rule in enumerate(self.contract.reference_rules)
            if rule.column in self.present and (rule.target_export, rule.target_column) in self.available_keys
        ]

    def _reference_joins(self, value_of) -> str:
        rules = self.contract.reference_rules
        return " ".join(
            f"left join {key_table(rules[index].target_export, rules[index].target_column)} as ref_{index} "
            f"on ref_{index}.key = {value_of(index, column)}"
            for index, column in self._references()
        )

    def row_conditions(self) -> list[str]:
        """SQL conditions, each true on every row where some expectation may fail (references aside)."""
        contract, present = self.contract, self.present
        conditions = []
        for column, dbt_type in contract.column_types.items():
            condition = self._type_condition(column, dbt_type) if column in present else None
            if condition:
                conditions.append(f"({self.text(column)} is not null and ({condition}))")
        conditions += [self.blank(column) for column in contract.required if column in present]
        for column, values in contract.enums.items():
            if column in present:
                listed = ", ".join(sql_text(v) for v in values)
                conditions.append(f"(not {self.blank(column)} and {self.text(column)} not in ({listed}))")
        for column in contract.siape_columns:
            if column in present:
                conditions.append(f"not regexp_full_match({self.text(column)}, {sql_text(_re2(SIAPE_REGEX))})")
        for column in contract.first_of_month_columns:
            if column in present:
                conditions.append(f"not regexp_full_match({self.text(column)}, {sql_text(_re2(FIRST_OF_MONTH_REGEX))})")
        for rule in contract.pair_rules:
            if {rule.later, rule.earlier} <= present:
                operator = ">=" if rule.or_equal else ">"
                if {self._source_type(rule.later), self._source_type(rule.earlier)} == {"TIMESTAMP"}:
                    # Typed moments order as their text does whenever that text has the contract's form.
                    compared = f"src.{quoted(rule.later)} {operator} src.{quoted(rule.earlier)}"
                else:
                    compared = f"{self.text(rule.later)} {operator} {self.text(rule.earlier)}"
                conditions.append(f"(not {self.blank(rule.later)} and not {self.blank(rule.earlier)} and not ({compared}))")
        for rule in contract.required_when_rules:
            if {rule.column, rule.condition_column} <= present:
                conditions.append(
                    f"({self.text(rule.condition_column)} = {sql_text(rule.condition_value)} and {self.blank(rule.column)})"
                )
        for rule in contract.seed_reference_rules:
            if rule.column in present:
                known = sorted(self.inputs.seed_values.get((rule.seed, rule.seed_column), frozenset()))
                listed = ", ".join(sql_text(code) for code in known) or "null"
                conditions.append(f"(not {self.blank(rule.column)} and trim({self.text(rule.column)}) not in ({listed}))")
        for column in contract.non_negative_columns:
            if column in present:
                conditions.append(f"try_cast({self.text(column)} as double) < 0")
        for rule in contract.max_duration_rules:
            if {rule.start, rule.end} <= present:
                conditions.append(f"{self._hours(rule)} > {self._duration_bound(rule)}")
        if self.inputs.delivery is not None:
            moment = sql_text(f"{self.inputs.delivery.at:%Y-%m-%d %H:%M:%S.%f}")
            for column in contract.delivery_bound_columns:
                if column in present:
                    conditions.append(f"{self.timestamp(column)} > timestamp {moment}")
        return conditions

    def control_character_conditions(self) -> list[str]:
        """Per text cell: does it hold a control character?

        A value list or a digit pattern already fails on any control
        character, and a reference column is left to the export it points
        at (see the module docstring), so those need no test of their own.
        """
        contract = self.contract
        covered = set(contract.enums) | set(contract.siape_columns) | set(contract.first_of_month_columns)
        covered |= {rule.column for rule in contract.reference_rules}
        return [
            f"regexp_matches({self.text(column)}, '{CONTROL_CHARACTERS_SQL}')"
            for column in text_columns(contract)
            if column in self.present and column not in covered
        ]

    def key_hashes(self) -> list[str]:
        """One hash per unique key: rows sharing a hash are the candidate duplicates."""
        hashes = []
        for key in self.contract.keys:
            if not set(key) <= self.present:
                continue
            if len(key) == 1:
                column = key[0]
                hashes.append(f"hash({self.trimmed(column) if column in self.contract.trimmed else self.text(column)})")
            else:  # GX compares blanks as nulls in a compound key
                parts = ", ".join(
                    self.trimmed(c) if c in self.contract.trimmed
                    else f"(case when {self.blank(c)} then null else {self.text(c)} end)"
                    for c in key
                )
                hashes.append(f"hash({parts})")
        return hashes

    def screen_sql(self, with_control_characters: bool) -> str:
        """Every row: its position, whether it may fail, and its key hashes (key_0, key_1, ...).

        The references are joined after the row conditions, on the raw
        value: a value with spaces around it is kept for GX, which compares
        it trimmed, as staging does.
        """
        conditions = self.row_conditions()
        if with_control_characters:
            conditions += self.control_character_conditions()
        suspect = f"coalesce({' or '.join(f'({c})' for c in conditions)}, false)" if conditions else "false"
        hashes = self.key_hashes()
        references = self._references()
        inner = ", ".join(
            [f"src.{ROW}", f"{suspect} as suspect"]
            + [f"{expression} as key_{index}" for index, expression in enumerate(hashes)]
            + [f"{self.text(column)} as ref_value_{index}" for index, column in references]
        )
        dangling = "".join(f" or (rows.ref_value_{index} is not null and ref_{index}.key is null)" for index, _ in references)
        outer = ", ".join(
            [f"rows.{ROW}", f"rows.suspect{dangling} as suspect"] + [f"rows.key_{index}" for index in range(len(hashes))]
        )
        joins = self._reference_joins(lambda index, column: f"rows.ref_value_{index}")
        return f"select {outer} from (select {inner} from ({self.relation_sql()}) as src) as rows {joins}"

    def control_character_rows_sql(self) -> str:
        """The rows with a control character in some cell (a second pass, for CSVs whose bytes show one)."""
        conditions = self.control_character_conditions() or ["false"]
        return f"select src.{ROW} from ({self.relation_sql()}) as src where {' or '.join(conditions)}"

    # --- step 2: the rows GX judges -----------------------------------------------------

    def _derived(self) -> list[tuple[str, str]]:
        contract, present = self.contract, self.present
        derived = []
        joined = {index for index, _ in self._references()}
        for index, rule in enumerate(contract.reference_rules):
            if rule.column in present:
                value = self.text(rule.column)
                if index in joined:
                    expression = f"case when nullif(trim({value}), '') is not null and ref_{index}.key is null then {value} end"
                else:  # the referenced export cannot be read: its own suite says so
                    expression = "cast(null as varchar)"
                derived.append((dangling_column(rule.column), expression))
        trimmed = [rule.column for rule in contract.seed_reference_rules if rule.column in present]
        trimmed += [column for column in trimmed_key_columns(contract, present) if column not in trimmed]
        derived += [(trimmed_column(column), self.trimmed(column)) for column in trimmed]
        for column in contract.non_negative_columns:
            if column in present:
                value = self.text(column)
                number = f"case when regexp_full_match({value}, {sql_text(_re2(DECIMAL_REGEX))}) then cast({value} as double) end"
                derived.append((number_column(column), number))
        for rule in contract.max_duration_rules:
            if {rule.start, rule.end} <= present:
                derived.append((hours_column(rule), self._hours(rule)))
                derived.append((max_hours_column(rule), f"cast({self._duration_bound(rule)} as double)"))
        for column in contract.delivery_bound_columns:
            if column in present:
                derived.append((timestamp_column(column), f"cast({self.timestamp(column)} as timestamp)"))
        return derived

    def frame_sql(self, rows: str) -> str:
        """The rows GX judges ("all", "judged": those in JUDGED, or "none"), blank cells as nulls."""
        cells = [
            f"case when {self.blank(column)} then null else {self.text(column)} end as {quoted(column)}"
            for column in self.file.header
        ]
        cells += [f"{expression} as {quoted(name)}" for name, expression in self._derived()]
        where = {"all": "", "judged": f"where src.{ROW} in (select {ROW} from {JUDGED})", "none": "where false"}[rows]
        joins = self._reference_joins(lambda index, column: f"trim({self.text(column)})")
        return f"select src.{ROW}, {', '.join(cells)} from ({self.relation_sql()}) as src {joins} {where} order by src.{ROW}"


def repeated(hashes: np.ndarray) -> np.ndarray:
    """Positions whose hash occurs more than once (numpy's sort: a fraction of a second for 12M)."""
    ordered = np.sort(hashes)
    same_as_next = ordered[1:] == ordered[:-1]
    if not same_as_next.any():
        return np.zeros(len(hashes), dtype=bool)
    return np.isin(hashes, np.unique(ordered[1:][same_as_next]))


def screened_rows(connection, screen: Screen) -> tuple[int, np.ndarray]:
    """Run the screen: the file's row count and the sorted positions of the rows GX must judge.

    The result streams in chunks of about half a million rows: only the kept
    positions and, per unique key, every row's position and hash stay (12
    bytes a row).
    """
    screen.file.byte_scan()  # a CSV that is not UTF-8 stops here, with its line
    key_count = len(screen.key_hashes())
    result = connection.execute(screen.screen_sql(with_control_characters=screen.file.is_parquet))
    kept, positions, hashes, row_count = [], [], [[] for _ in range(key_count)], 0
    while not (chunk := result.fetch_df_chunk(_SCREEN_CHUNK_VECTORS)).empty:
        rows = chunk[ROW].to_numpy(dtype=np.int64)
        row_count += len(rows)
        kept.append(rows[chunk["suspect"].to_numpy(dtype=bool)])
        if key_count:
            positions.append(rows.astype(np.int32))  # exports stay far below 2 billion rows
            for index in range(key_count):
                hashes[index].append(chunk[f"key_{index}"].to_numpy(dtype=np.uint64))
    if key_count and positions:
        all_positions = np.concatenate(positions)
        for index in range(key_count):
            kept.append(all_positions[repeated(np.concatenate(hashes[index]))].astype(np.int64))
    screen.file.row_count = row_count
    if not screen.file.is_parquet and not screen.file.cells_free_of_control_characters():
        kept.append(connection.execute(screen.control_character_rows_sql()).fetchnumpy()[ROW].astype(np.int64))
    return row_count, np.unique(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)


def judged_frame(connection, screen: Screen, rows: str, positions: np.ndarray | None = None) -> pd.DataFrame:
    """The frame for GX, indexed by line (CSV) or row (Parquet) number.

    rows: "all", "none", or "judged" with the row positions to read.
    """
    if rows == "judged":
        connection.register(JUDGED, pd.DataFrame({ROW: positions}))
    try:
        frame = connection.execute(screen.frame_sql(rows)).df()
    finally:
        if rows == "judged":
            connection.unregister(JUDGED)
    positions_read = frame.pop(ROW).to_numpy()
    frame.index = pd.Index(screen.file.line_numbers(positions_read))
    return frame
