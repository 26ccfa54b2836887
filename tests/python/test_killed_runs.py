"""Issue 11: a run killed during dbt no longer blocks every later run.

Real `pgb run` processes on the small valid exports, one Dagster instance:
run A is killed (SIGKILL, its whole process group: pgb and dbt) while its
dbt step holds the `duckdb` pool slot; run B, started after, finds A's
process gone, marks A failed, frees its slot, removes its build file and
says so (before the fix B waited for the slot forever: the test would time
out). While B starts, a STARTED run of a live process (a `sleep`) takes the
slot: B says which run it waits for and since when; that process is then
killed, and B recovers its run while waiting and completes. (One test: each
real `pgb run` costs minutes on a loaded machine.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from orchestration_samples import scratch_pgb_environment, write_valid_exports

from orchestration.instance import HOST_TAG, PID_START_TAG, PID_TAG, process_start

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 900  # seconds: a hang fails the test instead of blocking the suite


class PgbRun:
    """A `pgb run` in its own process group, its output in a file we can read while it runs."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.handle = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "run"], cwd=REPO_ROOT, env=env,
                                        stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # pgb and its dbt child, as `kill -9` of the session
        self.process.wait(timeout=60)
        self.handle.close()

    def finish(self) -> int:
        try:
            return self.process.wait(timeout=RUN_TIMEOUT)
        finally:
            self.handle.close()


def wait_for(condition, what: str, run: PgbRun, timeout: float = RUN_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if run.process.poll() is not None:
            raise AssertionError(f"the run ended before {what}:\n{run.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{run.output()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    root = tmp_path_factory.mktemp("killed")
    exports = write_valid_exports(root / "exports")
    warehouse = root / "warehouse" / "pgb.duckdb"
    env = {**scratch_pgb_environment(root, exports), "PGB_POOL_POLL_SECONDS": "1"}
    return root, env, warehouse


def build_files(warehouse: Path) -> list[Path]:
    return list(warehouse.parent.glob(f"{warehouse.name}.tmp-*")) if warehouse.parent.exists() else []


def run_states(dagster_home: str) -> tuple[dict[str, dg.DagsterRunStatus], list]:
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        statuses = {run.run_id: run.status for run in instance.get_runs()}
        claimed = instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    return statuses, claimed


def recovered_run_id(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("pgb: recovered run ")]
    return line.split()[3]


def hold_the_pool(dagster_home: str, holder_pid: int) -> str:
    """A STARTED run of process `holder_pid` that holds the duckdb slot, as a run in its dbt step does."""
    run_id = make_new_run_id()
    tags = {PID_TAG: str(holder_pid), HOST_TAG: socket.gethostname(), PID_START_TAG: process_start(holder_pid) or ""}
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        instance.add_run(DagsterRun(job_name="build_warehouse", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                    tags=tags))
        instance.report_dagster_event(
            DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name="build_warehouse"), run_id=run_id)
        status = instance.event_log_storage.claim_concurrency_slot("duckdb", run_id, "pgb_dbt")
        assert status.is_claimed
    return run_id


def test_a_killed_run_is_recovered_and_a_waiting_run_says_for_whom(setting):
    root, env, warehouse = setting
    killed = PgbRun(env, root / "a.log")
    wait_for(lambda: build_files(warehouse), "the dbt step of run A", killed)  # A holds the pool slot now
    killed.kill()
    assert build_files(warehouse), "the killed run left its build file"
    sleeper = subprocess.Popen(["sleep", "900"])  # the process of a live run that will hold the slot next
    try:
        after = PgbRun(env, root / "b.log")
        # 1. On start, B recovers A (dead process): A is failed, its slot free, its build file gone.
        wait_for(lambda: "pgb: recovered run " in after.output(), "run B to recover run A", after)
        dead = recovered_run_id(after.output())
        statuses, claimed = run_states(env["DAGSTER_HOME"])
        assert statuses[dead] == dg.DagsterRunStatus.FAILURE and claimed == []
        assert build_files(warehouse) == []
        # 2. A live run takes the slot before B's dbt step (B is still starting): B waits, and says for whom.
        holder = hold_the_pool(env["DAGSTER_HOME"], sleeper.pid)
        wait_for(lambda: "waiting for the duckdb pool" in after.output(), "run B to say it waits", after)
        assert after.output().count("pgb: recovered run ") == 1  # a live holder is waited for, not recovered
    finally:
        sleeper.kill()  # 3. the holder dies while B waits: B recovers it and completes
        sleeper.wait()
    assert after.finish() == 0, after.output()[-3000:]
    output = after.output()
    [wait_line] = [line for line in output.splitlines() if "waiting for the duckdb pool" in line]
    assert f"run {holder} (build_warehouse, pid {sleeper.pid} on {socket.gethostname()}), started 20" in wait_line
    assert "waiting since 20" in wait_line
    recovered = [line.split()[3] for line in output.splitlines() if line.startswith("pgb: recovered run ")]
    assert recovered == [dead, holder]
    assert "is gone" in output and "freed its pool slots" in output
    statuses, claimed = run_states(env["DAGSTER_HOME"])
    assert statuses[holder] == dg.DagsterRunStatus.FAILURE and claimed == []
    assert [status for status in statuses.values() if status == dg.DagsterRunStatus.SUCCESS] == [
        dg.DagsterRunStatus.SUCCESS]
    assert build_files(warehouse) == [] and warehouse.exists()
