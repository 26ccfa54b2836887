"""Read what a close needs from the published warehouse, read-only, in one go.

With PGB_EXPORTS_DIR set, the staging views read the export files by the
path dbt was given, which may be relative to the project: the queries run
from the project folder so that such a path resolves as it did for dbt.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from pathlib import Path

import duckdb

from pgb_close.model import ParameterRow, Professional, TaskVerdict, Violation, WarehouseSnapshot
from pgb_close.money import money
from pgb_close.months import Month

VERDICTS_SQL = """
    select task_id, payee_siape, reference_month, concluded_at, outcome,
           rejection_rules, held_reason, payment_amount::varchar, payee_unit_code
    from fct_task_evaluations
    order by task_id
"""
VIOLATIONS_SQL = """
    select task_id, rule_code, coalesce(rule_title, ''), evidence
    from fct_task_rule_violations
    order by task_id, rule_code
"""
PROFESSIONALS_SQL = "select siape, name, unit_code from stg_siape__professionals where siape is not null"
PARAMETERS_SQL = """
    select name, value, effective_from, effective_to, coalesce(legal_source, ''), published_on
    from stg_reference__parameters
    where name is not null
    order by name, effective_from
"""
RULES_SQL = "select rule_code, title from stg_reference__rules order by rule_code"


def read_snapshot(warehouse: Path, project_dir: Path) -> WarehouseSnapshot:
    with contextlib.chdir(project_dir), duckdb.connect(str(warehouse), read_only=True) as connection:
        verdicts = tuple(_verdict(row) for row in connection.execute(VERDICTS_SQL).fetchall())
        violations_by_task: dict[str, list[Violation]] = defaultdict(list)
        for row in connection.execute(VIOLATIONS_SQL).fetchall():
            violations_by_task[row[0]].append(Violation(*row))
        professionals = {
            siape: Professional(siape, name or "", unit_code)
            for siape, name, unit_code in connection.execute(PROFESSIONALS_SQL).fetchall()
        }
        parameters = tuple(ParameterRow(*row) for row in connection.execute(PARAMETERS_SQL).fetchall())
        rule_titles = dict(connection.execute(RULES_SQL).fetchall())
    return WarehouseSnapshot(
        verdicts=verdicts,
        violations_by_task={task: tuple(rows) for task, rows in violations_by_task.items()},
        professionals=professionals,
        parameters=parameters,
        rule_titles=rule_titles,
    )


def _verdict(row: tuple) -> TaskVerdict:
    task_id, payee, reference_month, concluded_at, outcome, rules, held_reason, amount, unit = row
    return TaskVerdict(
        task_id=task_id,
        payee_siape=payee,
        reference_month=Month.of(reference_month),
        concluded_at=concluded_at,
        outcome=outcome,
        rules=rules or "",
        held_reason=held_reason,
        due_amount=money(amount),
        unit_code=unit,
    )
