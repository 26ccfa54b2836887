"""One Great Expectations suite per raw export, built in code from its contract.

The suites validate pandas DataFrames whose cells are all text (see
`expectations.validation.read_export`): "parseable" therefore means the text
matches the contract's format, which is what the seed load and the staging
casts need. Every expectation carries `meta = {"column", "rule"}` so that a
failure can be reported in the contract's words, whatever GX calls it.

Great Expectations is imported inside the functions: it takes seconds to
import and Dagster imports this package just to list the assets.
"""

from __future__ import annotations

from expectations.contract import ExportContract

# A derived column holding the value when it points nowhere (null otherwise):
# GX then reports the dangling values themselves. See validation.add_reference_columns.
DANGLING_SUFFIX = "__dangling"

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # contract 1: `2025-06-02 18:30:00`
DATE_FORMAT = "%Y-%m-%d"
TIME_REGEX = r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$"  # contract 1: `HH:MM`
INTEGER_REGEX = r"^-?\d+$"
DECIMAL_REGEX = r"^-?\d+(?:\.\d+)?$"
SIAPE_REGEX = r"^\d{7}$"
FIRST_OF_MONTH_REGEX = r"^\d{4}-\d{2}-01$"
BOOLEAN_VALUES = ["true", "false"]


def dangling_column(column: str) -> str:
    return f"{column}{DANGLING_SUFFIX}"


def _meta(column: str | None, rule: str) -> dict:
    return {"column": column or "", "rule": rule}


def _type_expectations(gxe, column: str, dbt_type: str) -> list:
    kind = dbt_type.lower()
    if kind == "timestamp":
        return [
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=column,
                strftime_format=TIMESTAMP_FORMAT,
                meta=_meta(column, "timestamp 'YYYY-MM-DD HH:MM:SS'"),
            )
        ]
    if kind == "date":
        return [
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=column, strftime_format=DATE_FORMAT, meta=_meta(column, "date 'YYYY-MM-DD'")
            )
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
    return []  # varchar: any text


def build_expectations(contract: ExportContract, present_columns: list[str]) -> list:
    """The expectations of one export, skipping those on columns the file lacks.

    A missing column is reported once, by the column-list expectation, rather
    than by every expectation that mentions it.
    """
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    present = set(present_columns)
    # The derived `__dangling` columns are appended last by the validation.
    derived = [column for column in present_columns if column.endswith(DANGLING_SUFFIX)]
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
        if len(key) == 1:
            expectations.append(
                gxe.ExpectColumnValuesToBeUnique(column=key[0], meta=_meta(key[0], "unique key"))
            )
        else:
            expectations.append(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=list(key), meta=_meta(",".join(key), "unique key (" + ", ".join(key) + ")")
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
                    meta=_meta(rule.later, rule.why),
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
    return expectations


def build_suite(contract: ExportContract, present_columns: list[str]):
    """A GX ExpectationSuite named after the export."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=contract.name)
    for expectation in build_expectations(contract, present_columns):
        suite.add_expectation(expectation)
    return suite
