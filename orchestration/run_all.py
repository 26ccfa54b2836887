"""`make run`: materialize every asset through Dagster, then print the close.

    python -m orchestration.run_all                      # every month since 2025-05
    python -m orchestration.run_all --month 2025-06      # one month's partition

It runs the `pgb_close` asset job (the same one the schedule and the UI run)
on the instance in $DAGSTER_HOME, so the run shows up in `dagster dev`. The
dbt models are rebuilt in full either way; the month range only decides
which close reports are written. Exit status 1 when the run fails; a failed
blocking check is printed with its export, column, expectation, bad-row
count and sample lines, and the published warehouse is left untouched.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration import settings
from orchestration.dbt_assets import make_dbt_project, parse_manifest
from orchestration.partitions import all_close_months
from orchestration.schedules import CLOSE_JOB_NAME
from orchestration.summary import close_summary, read_only, supervision_status_counts

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Dagster's console at INFO: the step and check lines, not every dbt output event.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


@dataclass
class CloseRun:
    """What a run of the close job did, in the terms a user acts on."""

    success: bool
    run_id: str
    failed_checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)
    step_errors: list[str] = field(default_factory=list)
    materialized: set[dg.AssetKey] = field(default_factory=set)


def partition_arguments(first_month: str, last_month: str) -> dict:
    """execute_in_process arguments selecting months [first, last] (keys YYYY-MM-01) in one run."""
    if first_month == last_month:
        return {"partition_key": first_month}
    return {"tags": {RANGE_START_TAG: first_month, RANGE_END_TAG: last_month}}


def month_key(text: str) -> str:
    """'2025-06' or '2025-06-01' -> the partition key '2025-06-01'."""
    year, month = text.strip().split("-")[:2]
    return f"{int(year):04d}-{int(month):02d}-01"


def run_close(defs: dg.Definitions, instance: dg.DagsterInstance, first_month: str, last_month: str) -> CloseRun:
    """Execute the close job for the months [first, last] and collect what failed."""
    job = defs.resolve_job_def(CLOSE_JOB_NAME)
    result = job.execute_in_process(
        instance=instance,
        **partition_arguments(first_month, last_month),
        run_config=QUIET_CONSOLE,
        raise_on_error=False,
    )
    failed_checks = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    step_errors = [
        f"step {event.step_key}: {event.step_failure_data.error.message.strip() if event.step_failure_data.error else ''}"
        for event in result.get_step_failure_events()
    ]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    return CloseRun(result.success, result.run_id, failed_checks, step_errors, materialized)


def failure_report(run: CloseRun) -> str:
    lines = [f"FAILED: run {run.run_id} of {CLOSE_JOB_NAME}. The published warehouse was not changed."]
    if run.failed_checks:
        lines.append("Blocking checks failed (fix the export, then run again):")
        for evaluation in run.failed_checks:
            lines.append(evaluation.description or f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}")
    elif run.step_errors:
        lines += run.step_errors
    return "\n".join(lines)


def summary_report(warehouse: Path) -> str:
    with read_only(warehouse) as connection:
        months = close_summary(connection)
        cycles = supervision_status_counts(connection)
    lines = [f"Close summary ({warehouse}):"]
    lines += [f"  {month.line()}" for month in months] or ["  no evaluated tasks"]
    if cycles:
        lines.append("Supervision cycles (APS per status):")
        lines += [f"  {line}" for line in cycle_lines(cycles)]
    return "\n".join(lines)


def cycle_lines(status_counts: list[tuple[int, str, int]]) -> list[str]:
    """One line per cycle: 'cycle 3: conforme 14, nao_conforme 8, nao_supervisionada 6'."""
    by_cycle: dict[int, list[str]] = {}
    for cycle, status, count in status_counts:
        by_cycle.setdefault(cycle, []).append(f"{status} {count}")
    return [f"cycle {cycle}: " + ", ".join(parts) for cycle, parts in by_cycle.items()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="close one reference month (YYYY-MM) instead of every month")
    return parser.parse_args(argv)


def materialize_months(first_month: str, last_month: str, project_dir: Path = settings.PROJECT_DIR) -> CloseRun:
    """Run the close job for the months [first, last] on the instance in $DAGSTER_HOME.

    The one entry point `make run` and `pgb close` share. The models may have
    changed since `make setup`: dbt must not run a node Dagster's manifest does
    not know, so it parses first (partial parse: seconds).
    """
    from orchestration.factory import build_definitions
    from orchestration.instance import prepare_dagster_home

    prepare_dagster_home()
    parse_manifest(make_dbt_project(project_dir))
    definitions = build_definitions(project_dir)
    with dg.DagsterInstance.get() as instance:
        return run_close(definitions, instance, first_month, last_month)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    first, last = all_close_months()
    if arguments.month:
        first = last = month_key(arguments.month)
    run = materialize_months(first, last)
    if not run.success:
        print(failure_report(run), file=sys.stderr)
        return 1
    print(summary_report(settings.warehouse_path()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
