"""Run a job of the project's Definitions on the Dagster instance, and say what happened.

The `pgb` commands launch their materializations through here, in process,
on the instance in $DAGSTER_HOME, so every run is listed in `dagster dev`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.close_package import REFUSED
from orchestration.dbt_assets import make_dbt_project, parse_manifest
from pgb_shared.settings import PROJECT_DIR

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Dagster's console at INFO: the step and check lines, not every dbt output event.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


@dataclass
class RunOutcome:
    """What a run did, in the terms a user acts on."""

    job_name: str
    success: bool
    run_id: str
    failed_checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)
    step_errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # steps that refused (pgb/refused), e.g. a closed month
    materialized: dict[dg.AssetKey, dict] = field(default_factory=dict)  # asset -> its metadata

    def metadata_of(self, asset: str) -> dict | None:
        return self.materialized.get(dg.AssetKey(asset))


def partition_arguments(first_month: str, last_month: str) -> dict:
    """execute_in_process arguments selecting months [first, last] (keys YYYY-MM-01) in one run."""
    if first_month == last_month:
        return {"partition_key": first_month}
    return {"tags": {RANGE_START_TAG: first_month, RANGE_END_TAG: last_month}}


def run_config_for(op_config: dict[str, dict] | None = None) -> dict:
    """The console at INFO, plus each asset's config (op name -> config)."""
    config: dict = dict(QUIET_CONSOLE)
    if op_config:
        config["ops"] = {op: {"config": values} for op, values in op_config.items()}
    return config


def execute(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    first_month: str,
    last_month: str,
    op_config: dict[str, dict] | None = None,
) -> RunOutcome:
    """Execute a job of `defs` for the months [first, last] and collect what failed."""
    from orchestration.instance import process_tags

    job = defs.resolve_job_def(job_name)
    arguments = partition_arguments(first_month, last_month)
    arguments["tags"] = {**arguments.get("tags", {}), **process_tags()}  # a later run can tell if this one died
    result = job.execute_in_process(
        instance=instance,
        **arguments,
        run_config=run_config_for(op_config),
        raise_on_error=False,
    )
    return outcome_of(job_name, result)


def outcome_of(job_name: str, result: dg.ExecuteInProcessResult) -> RunOutcome:
    """Failed blocking checks, refusals (steps failed with `pgb/refused`), other step errors, and the metadata
    of every materialization of an in-process run."""
    failed_checks = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    step_errors, refusals = [], []
    for event in result.get_step_failure_events():
        user_failure = event.step_failure_data.user_failure_data
        if user_failure is not None and REFUSED in (user_failure.metadata or {}):
            refusals.append(user_failure.description or "")
            continue
        error = event.step_failure_data.error
        step_errors.append(f"step {event.step_key}: {error.message.strip() if error else ''}")
    materialized = {
        event.asset_key: dict(event.step_materialization_data.materialization.metadata)
        for event in result.get_asset_materialization_events()
    }
    return RunOutcome(job_name, result.success, result.run_id, failed_checks, step_errors, refusals, materialized)


def failure_report(run: RunOutcome) -> str:
    # dbt publishes the warehouse only when it succeeded: any asset past the exports means it did.
    rebuilt = any(key.path[0] != "exports" for key in run.materialized)
    state = "The warehouse was rebuilt before the failure." if rebuilt else "The published warehouse was not changed."
    lines = [f"FAILED: run {run.run_id} of {run.job_name}. {state}"]
    if run.failed_checks:
        lines.append("Blocking checks failed (fix the export, then run again):")
        for evaluation in run.failed_checks:
            lines.append(evaluation.description or f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}")
    else:
        lines += run.step_errors
    return "\n".join(lines)


def materialize(
    job_name: str,
    first_month: str,
    last_month: str,
    op_config: dict[str, dict] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> RunOutcome:
    """Run a job for the months [first, last] on the instance in $DAGSTER_HOME.

    The models may have changed since `make setup`: dbt must not run a node
    Dagster's manifest does not know, so it parses first (partial parse: seconds).
    """
    from orchestration.factory import build_definitions
    from orchestration.instance import prepare_dagster_home, recover_dead_runs, watching_the_pool
    from orchestration.warehouse import build_file_for, remove_database
    from pgb_shared.settings import warehouse_path

    prepare_dagster_home()
    parse_manifest(make_dbt_project(project_dir))
    definitions = build_definitions(project_dir)

    def say(line: str) -> None:
        print(f"pgb: {line}", flush=True)

    def remove_build_file(run_id: str) -> None:  # what a killed dbt step left beside the warehouse
        remove_database(build_file_for(warehouse_path(project_dir), run_id))

    with dg.DagsterInstance.get() as instance:
        for line in recover_dead_runs(instance, remove_build_file):  # killed runs give their pool slot back
            say(line)
        with watching_the_pool(instance, say, remove_build_file):  # a wait for the pool says for whom
            return execute(definitions, instance, job_name, first_month, last_month, op_config)
