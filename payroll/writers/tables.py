"""The package's tables: their columns, for the CSV and XLSX writers, and the one formula-neutralizing rule.

Both files are opened by people in a spreadsheet, so every text cell passes
through neutralize_formula (OWASP "CSV injection"): a name such as
=HYPERLINK(...) must stay text, never become a live formula. The task-level
CSVs are written by DuckDB; neutralized_sql() is the same rule in SQL.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal

from payroll.adjustments import Adjustment
from payroll.package import ClosePackage, PaymentRow

# Written row by row from Python (at most one row per professional, or per adjustment).
PYTHON_TABLES = {
    "payments": PaymentRow,
    "adjustments": Adjustment,
}
MONEY_COLUMNS = {"amount", "capped_amount", "adjustments", "net_amount", "previous_amount", "new_amount",
                 "delta_amount", "due_amount", "payable_amount"}
COUNT_COLUMNS = {"approved_tasks", "rejected_tasks", "held_tasks", "payees", "tasks"}
# The first characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Written by DuckDB's COPY from the snapshot's month_db: (column, SQL expression, is text) in file order.
TIMESTAMP_SQL = "strftime({column}, '%Y-%m-%d %H:%M:%S')"
SQL_TABLES: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    # every evaluated task of the month and its verdict
    "tasks": (
        "month_tasks as tasks",
        [
            ("task_id", "text"), ("payee_siape", "text"), ("concluded_at", "timestamp"), ("outcome", "text"),
            ("rules", "text"), ("held_reason", "text"), ("due_amount", "number"), ("payable_amount", "number"),
            ("capped_amount", "number"),
        ],
        "order by tasks.task_id",
    ),
    # one row per rejected task and rule that fired, with the rule's evidence
    "rejections": (
        "month_tasks as tasks inner join month_violations as violations on tasks.task_id = violations.task_id "
        "where tasks.outcome = 'rejected'",
        [
            ("task_id", "text"), ("payee_siape", "text"), ("concluded_at", "timestamp"), ("rules", "text"),
            ("rule_code", "text"), ("rule_title", "text"), ("evidence", "text"),
        ],
        "order by tasks.task_id, violations.rule_code",
    ),
    "held": (
        "month_tasks as tasks where tasks.outcome = 'held'",
        [("task_id", "text"), ("payee_siape", "text"), ("concluded_at", "timestamp"), ("reason", "text")],
        "order by tasks.task_id",
    ),
}
# Where each SQL column comes from, when not from `tasks` under its own name.
SQL_SOURCES = {
    "rule_code": "violations.rule_code",
    "rule_title": "violations.rule_title",
    "evidence": "violations.evidence",
    "reason": "coalesce(tasks.held_reason, '')",
}


def header_of(table: str) -> list[str]:
    if table in PYTHON_TABLES:
        return [field.name for field in fields(PYTHON_TABLES[table])]
    return [column for column, _ in SQL_TABLES[table][1]]


def rows_of(package: ClosePackage, table: str) -> list[dict[str, object]]:
    # The rows' fields are flat values, so a shallow read is what dataclasses.asdict would give,
    # without its recursive deep copy (about 1 s for the 10,000 payees of a national month).
    names = header_of(table)
    return [{name: getattr(row, name) for name in names} for row in getattr(package, table)]


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, str):
        return neutralize_formula(value)
    return str(value)


def neutralize_formula(value: object) -> object:
    """Text starting with a formula trigger gets a leading apostrophe; anything not text is returned as is.

    Only text is touched: numbers (Decimal money, negative amounts included,
    counts) are formatted by the callers and stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralized_sql(expression: str) -> str:
    """neutralize_formula in DuckDB SQL: a leading apostrophe when the text starts with a formula trigger."""
    triggers = ", ".join(f"chr({ord(character)})" for character in FORMULA_TRIGGERS)
    return f"(case when left({expression}, 1) in ({triggers}) then '''' || {expression} else {expression} end)"


def select_sql(table: str) -> str:
    """The SELECT that COPY writes for a task-level CSV: text neutralized, timestamps as 'YYYY-MM-DD HH:MM:SS'."""
    source, columns, order = SQL_TABLES[table]
    selected = []
    for column, kind in columns:
        expression = SQL_SOURCES.get(column, f"tasks.{column}")
        if kind == "text":  # '' is written as an empty field, as the Python writer does (DuckDB would quote it)
            expression = f"nullif({neutralized_sql(expression)}, '')"
        elif kind == "timestamp":
            expression = TIMESTAMP_SQL.format(column=expression)
        selected.append(f"{expression} as {column}")
    return f"select {', '.join(selected)} from {source} {order}"
