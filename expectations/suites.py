"""One Great Expectations suite per raw export, built in code from its contract.

The suites validate pandas DataFrames whose contract columns are all text
(blank cells as nulls; see `expectations.screen`): "parseable" therefore means
the text matches the contract's format, which is what the seed load and the
staging casts need. A few checks need a value computed from other data (the
task a reference points at, an interval's length, a parsed timestamp): those
values come as derived columns named `<column>__<what>`, next to the
contract's columns. Every expectation carries `meta = {"column", "rule"}` so
that a failure is reported in the contract's words, whatever GX calls it.

Great Expectations is imported inside the functions: it takes seconds to
import and Dagster imports this package just to list the assets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from expectations.contract import ExportContract, MaxDurationRule, ParameterVersion

DERIVED_MARK = "__"  # contract columns never contain it; derived columns always do

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # contract 1: `2025-06-02 18:30:00`
DATE_FORMAT = "%Y-%m-%d"
# strptime alone also takes `2025-6-2 8:0:0`: the contract's form is zero-padded.
TIMESTAMP_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
DATE_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# ASCII digits only: Python's \d also takes other scripts' digits, which no cast reads.
TIME_REGEX = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$"  # contract 1: `HH:MM`
INTEGER_REGEX = r"^-?[0-9]+$"
DECIMAL_REGEX = r"^-?[0-9]+(?:\.[0-9]+)?$"
SIAPE_REGEX = r"^[0-9]{7}$"
FIRST_OF_MONTH_REGEX = r"^[0-9]{4}-[0-9]{2}-01$"
BOOLEAN_VALUES = ["true", "false"]
# Issue 11: every C0 control character, tab, CR and LF included, and DEL. No
# contract column is prose: each is an identifier, a code, a name, a status or
# a formatted value, where an invisible character makes a key silently not
# join (the task drops out of a rule) and C0 characters crash the XLSX writer.
CONTROL_CHARACTERS_REGEX = "[\x00-\x1f\x7f]"


def dangling_column(column: str) -> str:
    """The value when it points at no row of the referenced export (null otherwise)."""
    return f"{column}{DERIVED_MARK}dangling"


def trimmed_column(column: str) -> str:
    """The value trimmed as staging trims it (blank = null)."""
    return f"{column}{DERIVED_MARK}trimmed"


def key_columns(contract: ExportContract, key: tuple[str, ...]) -> list[str]:
    """A unique key's columns as staging holds them: a column staging trims compares trimmed."""
    return [trimmed_column(column) if column in contract.trimmed else column for column in key]


def trimmed_key_columns(contract: ExportContract, present: set[str]) -> list[str]:
    """The columns of complete keys that staging trims (each once, in key order)."""
    columns = [c for key in contract.keys if set(key) <= present for c in key if c in contract.trimmed]
    return list(dict.fromkeys(columns))


def number_column(column: str) -> str:
    """The value as a number when it is one."""
    return f"{column}{DERIVED_MARK}number"


def timestamp_column(column: str) -> str:
    """The value as a timestamp when it is one."""
    return f"{column}{DERIVED_MARK}timestamp"


def hours_column(rule: MaxDurationRule) -> str:
    """Hours from `rule.start` to `rule.end`."""
    return f"{rule.end}{DERIVED_MARK}hours_after_{rule.start}"


def max_hours_column(rule: MaxDurationRule) -> str:
    """The bound in force for that row (ref_parameters)."""
    return f"{rule.end}{DERIVED_MARK}max_hours"


@dataclass(frozen=True)
class DeliveryMoment:
    """When the exports were delivered: no timestamp of a task-related export can be later."""

    at: datetime  # Brasília local time, without zone, like the exports' timestamps
    source: str  # "PGB_DELIVERED_AT" or "modification time of <file>"

    def describe(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} ({self.source})"


@dataclass(frozen=True)
class SuiteInputs:
    """What a suite needs besides the export itself."""

    delivery: DeliveryMoment | None = None
    seed_values: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (seed, column) -> values
    parameters: dict[str, list[ParameterVersion]] = field(default_factory=dict)


def duration_bound_words(rule: MaxDurationRule, versions: list[ParameterVersion]) -> str:
    values = sorted({version.value for version in versions}) or [str(rule.default_hours)]
    hours = values[0] if len(values) == 1 else "the value in force on the start day"
    return rule.why.format(hours=hours) + f" ({rule.parameter}, a plausibility bound of the project)"


def derived_columns(contract: ExportContract, present: set[str]) -> list[str]:
    """The derived columns the suite of this export reads, in a fixed order."""
    derived = []
    derived += [dangling_column(r.column) for r in contract.reference_rules if r.column in present]
    trimmed = [r.column for r in contract.seed_reference_rules if r.column in present]
    trimmed += [c for c in trimmed_key_columns(contract, present) if c not in trimmed]
    derived += [trimmed_column(c) for c in trimmed]
    derived += [number_column(c) for c in contract.non_negative_columns if c in present]
    for rule in contract.max_duration_rules:
        if {rule.start, rule.end} <= present:
            derived += [hours_column(rule), max_hours_column(rule)]
    derived += [timestamp_column(c) for c in contract.delivery_bound_columns if c in present]
    return derived


def _meta(column: str | None, rule: str, **extra) -> dict:
    return {"column": column or "", "rule": rule, **extra}


def _type_expectations(gxe, column: str, dbt_type: str) -> list:
    kind = dbt_type.lower()
    if kind == "timestamp":
        return [
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=column,
                strftime_format=TIMESTAMP_FORMAT,
                meta=_meta(column, "timestamp 'YYYY-MM-DD HH:MM:SS'"),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column=column, regex=TIMESTAMP_REGEX, meta=_meta(column, "timestamp written 'YYYY-MM-DD HH:MM:SS', zero-padded")
            ),
        ]
    if kind == "date":
        return [
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=column, strftime_format=DATE_FORMAT, meta=_meta(column, "date 'YYYY-MM-DD'")
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column=column, regex=DATE_REGEX, meta=_meta(column, "date written 'YYYY-MM-DD', zero-padded")
            ),
        ]
    if kind == "time":
        return [gxe.ExpectColumnValuesToMatchRegex(column=column, regex=TIME_REGEX, meta=_meta(column, "time 'HH:MM'"))]
    if kind == "boolean":
        return [
            gxe.ExpectColumnValuesToBeInSet(
                column=column, value_set=BOOLEAN_VALUES, meta=_meta(column, "boolean 'true'/'false'")
            )
        ]
    if kind in {"integer", "int", "bigint"}:
        return [gxe.ExpectColumnValuesToMatchRegex(column=column, regex=INTEGER_REGEX, meta=_meta(column, "integer"))]
    if kind.startswith("decimal") or kind in {"double", "numeric"}:
        return [gxe.ExpectColumnValuesToMatchRegex(column=column, regex=DECIMAL_REGEX, meta=_meta(column, "number"))]
    return []  # varchar: any text (without control characters, see build_expectations)


def text_columns(contract: ExportContract) -> list[str]:
    """Columns of free text: only the control-character check applies to them."""
    return [column for column, kind in contract.column_types.items() if kind.lower() == "varchar"]


def build_expectations(contract: ExportContract, present_columns: list[str], inputs: SuiteInputs | None = None) -> list:
    """The expectations of one export, skipping those on columns the file lacks.

    A missing column is reported once, by the column-list expectation, rather
    than by every expectation that mentions it.
    """
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    inputs = inputs or SuiteInputs()
    present = {column for column in present_columns if DERIVED_MARK not in column}
    derived = [column for column in present_columns if DERIVED_MARK in column]
    expectations = [
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=contract.columns + derived,
            meta=_meta(None, "columns, in order: " + ", ".join(contract.columns)),
        )
    ]
    for column, dbt_type in contract.column_types.items():
        if column in present:
            expectations += _type_expectations(gxe, column, dbt_type)
    for column in contract.required:
        if column in present:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column, meta=_meta(column, "not null")))
    for key in contract.keys:
        if not set(key) <= present:
            continue
        # Judged as staging holds the key (its dbt unique tests are not run again in production builds).
        if len(key) == 1:
            expectations.append(
                gxe.ExpectColumnValuesToBeUnique(column=key_columns(contract, key)[0], meta=_meta(key[0], "unique key"))
            )
        else:
            expectations.append(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=key_columns(contract, key), meta=_meta(",".join(key), "unique key (" + ", ".join(key) + ")")
                )
            )
    for column, values in contract.enums.items():
        if column in present:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column, value_set=list(values), meta=_meta(column, "one of " + ", ".join(values))
                )
            )
    for column in contract.siape_columns:
        if column in present:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(column=column, regex=SIAPE_REGEX, meta=_meta(column, "7-digit SIAPE"))
            )
    for column in contract.first_of_month_columns:
        if column in present:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=column, regex=FIRST_OF_MONTH_REGEX, meta=_meta(column, "first day of a month")
                )
            )
    for rule in contract.pair_rules:
        if {rule.later, rule.earlier} <= present:
            expectations.append(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=rule.later,
                    column_B=rule.earlier,
                    or_equal=rule.or_equal,
                    ignore_row_if="either_value_is_missing",
                    meta=_meta(rule.later, rule.why, context=[[rule.earlier, rule.earlier]]),
                )
            )
    for rule in contract.required_when_rules:
        if {rule.column, rule.condition_column} <= present:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=rule.column,
                    row_condition=Column(rule.condition_column) == rule.condition_value,
                    meta=_meta(rule.column, rule.why),
                )
            )
    for rule in contract.reference_rules:
        if rule.column in present:
            expectations.append(
                gxe.ExpectColumnValuesToBeNull(
                    column=dangling_column(rule.column),
                    meta=_meta(rule.column, f"exists in {rule.target_export}.{rule.target_column}"),
                )
            )
    for rule in contract.seed_reference_rules:
        if rule.column in present:
            known = sorted(inputs.seed_values.get((rule.seed, rule.seed_column), frozenset()))
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=trimmed_column(rule.column),
                    value_set=known,
                    meta=_meta(rule.column, f"{rule.why}: {', '.join(known) or 'no codes'}", distinct=True),
                )
            )
    for column in text_columns(contract):
        if column in present:
            expectations.append(
                gxe.ExpectColumnValuesToNotMatchRegex(
                    column=column,
                    regex=CONTROL_CHARACTERS_REGEX,
                    meta=_meta(column, "no control characters (tab, line break, NUL, ...)"),
                )
            )
    for column in contract.non_negative_columns:
        if column in present:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=number_column(column), min_value=0, meta=_meta(column, "not negative")
                )
            )
    for rule in contract.max_duration_rules:
        if {rule.start, rule.end} <= present:
            expectations.append(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=max_hours_column(rule),
                    column_B=hours_column(rule),
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                    meta=_meta(
                        rule.end,
                        duration_bound_words(rule, inputs.parameters.get(rule.parameter, [])),
                        context=[[rule.start, rule.start], ["hours", hours_column(rule)]],
                    ),
                )
            )
    if inputs.delivery is not None:
        for column in contract.delivery_bound_columns:
            if column in present:
                expectations.append(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=timestamp_column(column),
                        max_value=inputs.delivery.at,
                        meta=_meta(column, f"not after the delivery, {inputs.delivery.describe()}"),
                    )
                )
    return expectations


def build_suite(contract: ExportContract, present_columns: list[str], inputs: SuiteInputs | None = None):
    """A GX ExpectationSuite named after the export."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=contract.name)
    for expectation in build_expectations(contract, present_columns, inputs):
        suite.add_expectation(expectation)
    return suite
