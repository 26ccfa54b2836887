"""Every task row of the export is accounted for: evaluated, or out of scope with a reason.

A concluded extraordinary task once vanished without trace (issue 11). The
model int_tasks__scope gives every row of raw_tasks one `scope_reason`; the
dbt test assert_every_exported_task_has_a_scope_reason fails when a row has
none or the counts do not add up. The close checks the sums again against
the export file it fingerprints and the month's verdicts, and writes them in
the manifest (`task_rows`), so whoever signs the package can see that
export rows = evaluated + out of scope, by reason.
"""

from __future__ import annotations

from pathlib import Path

from payroll.errors import CloseFailed
from payroll.inputs import InputFile
from payroll.months import Month
from payroll.warehouse import read_only, table_exists

SCOPE_MODEL = "int_tasks__scope"
EVALUATED = "evaluated"
# Evaluated tasks (contract 2) of months the last build did not judge: still evaluated tasks of their month.
OTHER_MONTHS = "concluded_outside_run_months"
TASKS_EXPORT = "raw_tasks"


def reconcile_task_rows(warehouse: Path, month: Month, inputs: list[InputFile], totals: dict) -> dict | None:
    """The manifest's task_rows block; CloseFailed when the rows do not add up. None when the warehouse has
    no scope model (built before it existed)."""
    with read_only(warehouse) as connection:
        if not table_exists(connection, SCOPE_MODEL):
            return None
        by_reason = dict(connection.execute(
            f"select coalesce(scope_reason, '(none)'), count(*) from {SCOPE_MODEL} group by all order by all"
        ).fetchall())
        # Whichever months the last build judged, the month's evaluated tasks are these.
        evaluated_in_month = connection.execute(
            f"select count(*) from {SCOPE_MODEL} where scope_reason in (?, ?) and reference_month = ?",
            [EVALUATED, OTHER_MONTHS, month.first_day],
        ).fetchone()[0]
    export_rows = next((item.rows for item in inputs if item.name == TASKS_EXPORT), None)
    model_rows = sum(by_reason.values())
    block = {
        "export_rows": export_rows,
        "evaluated": by_reason.get(EVALUATED, 0),
        "evaluated_in_month": evaluated_in_month,  # = the month's tasks with a verdict (totals.evaluated_tasks)
        "out_of_scope": {reason: count for reason, count in by_reason.items() if reason != EVALUATED},
    }
    problems = []
    if "(none)" in by_reason:
        problems.append(f"{by_reason['(none)']} task row(s) have no scope reason")
    if export_rows is not None and model_rows != export_rows:
        problems.append(f"{TASKS_EXPORT} has {export_rows} row(s), {SCOPE_MODEL} accounts for {model_rows}")
    if evaluated_in_month != totals.get("evaluated_tasks", evaluated_in_month):
        problems.append(f"{evaluated_in_month} evaluated task(s) of {month} in {SCOPE_MODEL}, "
                        f"{totals['evaluated_tasks']} with a verdict in the payments mart")
    if problems:
        raise CloseFailed("task rows do not add up, nothing was closed: " + "; ".join(problems) + ".")
    return block
