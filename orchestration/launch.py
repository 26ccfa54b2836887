"""Run a job of the project's Definitions on the Dagster instance, and say what happened.

The `pgb` commands launch their materializations through here, in process,
on the instance in $DAGSTER_HOME, so every run is listed in `dagster dev`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from orchestration.close_package import REFUSED
from orchestration.dbt_assets import make_dbt_project, parse_manifest
from pgb_shared.settings import PROJECT_DIR

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Dagster's console at INFO: the step and check lines, not every dbt output event.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
CLOSE_MONTH_TAG = "pgb/close_month"  # on every `pgb close` run: which month it closes, shown by `dagster dev`
PROGRESS_LOGGER = "pgb_progress"
LOG_FOLDER = "logs"
STEP_LABELS = {
    "raw_exports": "input checks (Great Expectations, every export)",
    "pgb_dbt": "dbt build",
    "month_preview": "payment previews",
    "supervision_report": "supervision report",
    "close_package": "close package",
}


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


def run_config_for(op_config: dict[str, dict] | None = None, progress: bool = False) -> dict:
    """The console at INFO, plus each asset's config (op name -> config); with the progress logger if asked."""
    config: dict = dict(QUIET_CONSOLE)
    if progress:
        config["loggers"] = {**QUIET_CONSOLE["loggers"], PROGRESS_LOGGER: {}}
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
    tags: dict[str, str] | None = None,
    progress: StepProgress | None = None,
) -> RunOutcome:
    """Execute a job of `defs` for the months [first, last] and collect what failed.

    `tags` are added to the run's (with the process tags: a later run can tell if this one died);
    `progress`, when given, hears every step event.
    """
    from orchestration.instance import process_tags

    job = defs.resolve_job_def(job_name)
    if progress is not None:
        progress.steps = [node.name for node in job.graph.nodes_in_topological_order]
        job = job.with_logger_defs({**job.loggers, PROGRESS_LOGGER: progress.logger_def()})
    arguments = partition_arguments(first_month, last_month)
    arguments["tags"] = {**arguments.get("tags", {}), **(tags or {}), **process_tags()}
    result = job.execute_in_process(
        instance=instance,
        **arguments,
        run_config=run_config_for(op_config, progress=progress is not None),
        raise_on_error=False,
    )
    if progress is not None:
        progress.finish()
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
    # A refused export leaves the Dagster run successful (the steps after it are skipped, not failed):
    # for `pgb` the run still failed.
    success = result.success and not failed_checks
    return RunOutcome(job_name, success, result.run_id, failed_checks, step_errors, refusals, materialized)


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
    tags: dict[str, str] | None = None,
    progress: StepProgress | None = None,
) -> RunOutcome:
    """Run a job for the months [first, last] on the instance in $DAGSTER_HOME.

    The models may have changed since `make setup`: dbt must not run a node
    Dagster's manifest does not know, so it parses first when a file dbt reads
    changed since the last parse (partial parse: seconds).
    """
    from orchestration.factory import build_definitions
    from orchestration.instance import prepare_dagster_home, recover_dead_runs, watching_the_pool
    from orchestration.warehouse import build_file_for, remove_database
    from pgb_shared.settings import warehouse_path

    with progress.setup() if progress else contextlib.nullcontext():
        prepare_dagster_home()
        parse_manifest(make_dbt_project(project_dir), only_if_changed=True)
        definitions = build_definitions(project_dir)

    def say(line: str) -> None:  # on the terminal even when the run's output goes to its log file
        if progress is not None:
            progress.say(f"pgb: {line}")
        else:
            print(f"pgb: {line}", flush=True)

    def remove_build_file(_run_id: str) -> None:  # what a killed dbt step left beside the warehouse
        remove_database(build_file_for(warehouse_path(project_dir)))

    with dg.DagsterInstance.get() as instance:
        for line in recover_dead_runs(instance, remove_build_file):  # killed runs give their pool slot back
            say(line)
        with watching_the_pool(instance, say, remove_build_file):  # a wait for the pool says for whom
            return execute(definitions, instance, job_name, first_month, last_month, op_config, tags, progress)


# ---------------------------------------------------------------- the terminal: one line per step, the rest to a file


class StepProgress(logging.Handler):
    """One terminal line per step of a run, from Dagster's own step events.

        [2/4] dbt build ... ok (41.3 s; 131 assets, 204 checks)

    Attached to the run as an extra Dagster logger (`logger_def`); the full
    console log goes elsewhere (`quiet_output`).
    """

    def __init__(self, terminal: TextIO, on_step_start: Mapping[str, Callable[[], None]] | None = None):
        super().__init__(level=logging.DEBUG)  # step events are logged at DEBUG
        self.terminal = terminal
        # step -> work this process starts in a thread of its own when that step starts (see start_beside)
        self.on_step_start = dict(on_step_start or {})
        self.steps: list[str] = []  # the job's steps, in the order they can run
        self.seen: set[str] = set()
        self.step_number = 0  # of the step started (or skipped) last
        self.open_step: str | None = None
        self.started = 0.0
        self.assets: dict[str, set[str]] = {}
        self.partitions: dict[str, set[str]] = {}
        self.checks: dict[str, int] = {}
        self.failed_checks: dict[str, int] = {}
        self.refusing_steps: set[str] = set()  # steps with a failed ERROR check

    def logger_def(self) -> dg.LoggerDefinition:
        handler = self

        @dg.logger(description="pgb: one terminal line per step")
        def pgb_progress(_init_context) -> logging.Logger:
            log = logging.Logger(PROGRESS_LOGGER, level=logging.DEBUG)
            log.addHandler(handler)
            return log

        return pgb_progress

    @contextlib.contextmanager
    def setup(self) -> Iterator[None]:
        """The line of the work before the run: Dagster home, `dbt parse`, loading the definitions."""
        started = time.monotonic()
        self._write("[set-up] Dagster home, dbt parse, definitions ... ")
        try:
            yield
        except BaseException:
            self._write("FAILED\n")
            raise
        self._write(f"ok ({time.monotonic() - started:.1f} s)\n")

    def _write(self, text: str) -> None:
        self.terminal.write(text)
        self.terminal.flush()

    def say(self, line: str) -> None:
        """A line of its own (recovered runs, a wait for the pool), even in the middle of a step's line."""
        self._write(("\n" if self.open_step else "") + line + "\n")

    def _label(self, step_key: str) -> str:
        return STEP_LABELS.get(step_key, step_key)

    def _counted(self, step_key: str) -> str:
        parts = []
        if self.assets.get(step_key):
            assets, months = len(self.assets[step_key]), len(self.partitions.get(step_key, ()))
            parts.append(_count(assets, "asset") + (f" x {_count(months, 'month')}" if months > 1 else ""))
        if self.checks.get(step_key):
            failed = self.failed_checks.get(step_key, 0)
            parts.append(_count(self.checks[step_key], "check") + (f", {failed} failed" if failed else ""))
        return "; " + ", ".join(parts) if parts else ""

    def emit(self, record: logging.LogRecord) -> None:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None or not event.step_key:
            return
        kind, step = event.event_type, event.step_key
        if kind == dg.DagsterEventType.STEP_START:
            if step in self.on_step_start:
                start_beside(self.on_step_start.pop(step))
            self.seen.add(step)
            self.step_number += 1
            self.open_step, self.started = step, time.monotonic()
            self._write(f"[{self.step_number}/{len(self.steps) or '?'}] {self._label(step)} ... ")
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            self.assets.setdefault(step, set()).add(event.asset_key.to_user_string())
            if event.partition:
                self.partitions.setdefault(step, set()).add(event.partition)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            self.checks[step] = self.checks.get(step, 0) + 1
            if not event.event_specific_data.passed:
                self.failed_checks[step] = self.failed_checks.get(step, 0) + 1
                if event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR:
                    self.refusing_steps.add(step)
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            # A refused export ends its step successfully (so what follows is skipped, not failed): say FAILED.
            succeeded = kind == dg.DagsterEventType.STEP_SUCCESS and step not in self.refusing_steps
            state = "ok" if succeeded else "FAILED"
            self._write(f"{state} ({time.monotonic() - self.started:.1f} s{self._counted(step)})\n")
            self.open_step = None
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self._skipped(step)

    def _skipped(self, step_key: str) -> None:
        self.seen.add(step_key)
        self.step_number += 1
        self._write(f"[{self.step_number}/{len(self.steps) or '?'}] {self._label(step_key)} ... "
                    "skipped (an earlier step failed)\n")

    def finish(self) -> None:
        """After the run: a step that never started was skipped (Dagster only logs a message for it)."""
        if self.open_step is not None:  # the run stopped inside a step
            self._write("interrupted\n")
            self.open_step = None
        for step in self.steps:
            if step not in self.seen:
                self._skipped(step)


def start_beside(work: Callable[[], None]) -> threading.Thread:
    """Run `work` in a daemon thread of this process, beside the step that just started (for work done ahead of a
    later step, such as importing its libraries while dbt, a child process, builds). A failure is left for the
    later step to meet and report when it does the same work itself."""

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - see the docstring
            logging.getLogger(__name__).debug("work started beside a step failed", exc_info=True)

    thread = threading.Thread(target=run, name="pgb-beside-step", daemon=True)
    thread.start()
    return thread


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def run_log_path(command: str, project_dir: Path = PROJECT_DIR) -> Path:
    """logs/pgb-<command>-<local time>.log: where a run's full console output goes."""
    return project_dir / LOG_FOLDER / f"pgb-{command}-{datetime.now():%Y%m%d-%H%M%S}.log"


@contextlib.contextmanager
def quiet_output(log_path: Path) -> Iterator[TextIO]:
    """Send everything written to file descriptors 1 and 2 (Dagster's console logger, dbt, the
    warnings of any library, child processes) to `log_path`; yield a stream to the real stdout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", encoding="utf-8", buffering=1)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        # Python-level writers too, in case sys.stdout is not file descriptor 1 (a test's capture, say).
        logged = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        try:
            with contextlib.redirect_stdout(logged), contextlib.redirect_stderr(logged):
                yield terminal
        finally:
            logged.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def materialize_with_progress(
    command: str,
    job_name: str,
    first_month: str,
    last_month: str,
    op_config: dict[str, dict] | None = None,
    tags: dict[str, str] | None = None,
    on_step_start: Mapping[str, Callable[[], None]] | None = None,
) -> tuple[RunOutcome, Path]:
    """`materialize`, printing one line per step; the full log goes to logs/pgb-<command>-<time>.log.

    on_step_start: step -> work started in a thread of this process when that step starts (StepProgress)."""
    log_path = run_log_path(command)
    print(f"pgb {command}: full log in {log_path}", flush=True)
    with quiet_output(log_path) as terminal:
        outcome = materialize(job_name, first_month, last_month, op_config, tags=tags,
                              progress=StepProgress(terminal, on_step_start))
    return outcome, log_path
