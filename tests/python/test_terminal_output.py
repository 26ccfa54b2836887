"""`pgb run` / `pgb close` in the terminal: one line per step from Dagster's events, the full log in a file,
the close month as a run tag. Shown on a two-asset job, so no dbt build is needed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading

import dagster as dg

from orchestration.launch import CLOSE_MONTH_TAG, StepProgress, execute, quiet_output, run_log_path

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2025-05-01")


def two_step_definitions(fail_checks: bool, fail_first: bool = False) -> dg.Definitions:
    @dg.asset(partitions_def=MONTHS, check_specs=[dg.AssetCheckSpec("shape", asset="exports_like")])
    def exports_like():
        if fail_first:
            raise RuntimeError("the export could not be read")
        yield dg.Output(1)
        yield dg.AssetCheckResult(passed=not fail_checks, check_name="shape")

    @dg.asset(partitions_def=MONTHS, deps=[exports_like])
    def warehouse_like():
        return 2

    return dg.Definitions(assets=[exports_like, warehouse_like],
                          jobs=[dg.define_asset_job("two_steps")])


def run_two_steps(**kwargs) -> tuple[str, dg.DagsterInstance, str]:
    terminal = io.StringIO()
    instance = dg.DagsterInstance.ephemeral()
    outcome = execute(two_step_definitions(**kwargs), instance, "two_steps", "2025-06-01", "2025-06-01",
                      tags={CLOSE_MONTH_TAG: "2025-06"}, progress=StepProgress(terminal))
    return terminal.getvalue(), instance, outcome.run_id


def test_one_line_per_step_with_what_it_made():
    printed, instance, run_id = run_two_steps(fail_checks=False)
    lines = printed.splitlines()
    assert len(lines) == 2, printed
    assert re.fullmatch(r"\[1/2\] exports_like \.\.\. ok \(\d+\.\d s; 1 asset, 1 check\)", lines[0]), lines[0]
    assert re.fullmatch(r"\[2/2\] warehouse_like \.\.\. ok \(\d+\.\d s; 1 asset\)", lines[1]), lines[1]
    assert instance.get_run_by_id(run_id).tags[CLOSE_MONTH_TAG] == "2025-06"


def test_a_failed_check_and_a_failed_step_show_on_their_lines():
    printed, _, _ = run_two_steps(fail_checks=True)
    assert "1 check, 1 failed" in printed.splitlines()[0]
    printed, _, _ = run_two_steps(fail_checks=False, fail_first=True)
    first, second = printed.splitlines()
    assert first.startswith("[1/2] exports_like ... FAILED (")
    assert second == "[2/2] warehouse_like ... skipped (an earlier step failed)"


def test_everything_else_goes_to_the_log_file(tmp_path):
    log_path = run_log_path("run", tmp_path)
    assert log_path.parent == tmp_path / "logs" and re.fullmatch(r"pgb-run-\d{8}-\d{6}\.log", log_path.name)
    with quiet_output(log_path) as terminal:
        print("a Dagster console line")
        print("a library warning", file=sys.stderr)
        os.write(1, b"raw bytes on fd 1\n")
        subprocess.run([sys.executable, "-c", "print('a child process, as dbt is')"], check=True)
        terminal.write("[1/1] the only line for the terminal\n")
    logged = log_path.read_text(encoding="utf-8")
    for text in ("a Dagster console line", "a library warning", "raw bytes on fd 1", "a child process, as dbt is"):
        assert text in logged
    assert "the only line for the terminal" not in logged
    print("after")  # the real stdout is back
    assert "after" not in log_path.read_text(encoding="utf-8")


def test_work_asked_for_a_step_starts_beside_it_once_and_only_for_that_step():
    """`pgb close` imports the charts' library while dbt builds: the work starts, in its own thread, when the named
    step starts (here the second), once; a step without work starts none; a failure there is left to the step
    that needs the work."""
    started: list[str] = []
    done = threading.Event()

    def work() -> None:
        started.append(threading.current_thread().name)
        done.set()

    def failing() -> None:
        raise RuntimeError("left to the step that needs it")

    terminal = io.StringIO()
    instance = dg.DagsterInstance.ephemeral()
    progress = StepProgress(terminal, on_step_start={"warehouse_like": work, "exports_like": failing})
    outcome = execute(two_step_definitions(fail_checks=False), instance, "two_steps", "2025-06-01", "2025-06-01",
                      progress=progress)
    assert outcome.success
    assert done.wait(10)
    assert started == ["pgb-beside-step"]
    assert progress.on_step_start == {}  # each started once
    assert len(terminal.getvalue().splitlines()) == 2  # the terminal shows the steps only
