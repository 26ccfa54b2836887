"""The Dagster instance the project runs on ($DAGSTER_HOME, default .dagster_home/).

Its dagster.yaml limits every pool, hence the `duckdb` pool, to one step at a
time across runs: no two steps ever write the warehouse at once. Written if
missing (or an older version of ours); a user's own dagster.yaml is left alone (it must keep the limit).

    python -m orchestration.instance     # what `make setup` should run

It also finds runs whose process died (SIGKILL during dbt) and gives their
pool slot back, so later runs do not wait forever (see recover_dead_runs).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from pgb_shared import processes
from pgb_shared.processes import process_start
from pgb_shared.settings import PROJECT_DIR

WRITTEN_BY_US = "# Written by orchestration/instance.py."


def dagster_yaml(home: Path) -> str:
    """Our dagster.yaml for `home`: its storage path is written out (a reader that loads the folder without
    $DAGSTER_HOME set must find it too), and a moved folder gets its file rewritten by the next run."""
    return f"""\
{WRITTEN_BY_US} The `duckdb` pool (the dbt step) runs
# one step at a time: DuckDB allows a single writer. The storage is Dagster's
# SQLite storage whose event log stays open (orchestration/dagster_storage.py).
storage:
  custom:
    module: orchestration.dagster_storage
    class: PgbSqliteStorage
    config:
      base_dir: {json.dumps(str(home))}
concurrency:
  pools:
    default_limit: 1
    granularity: op
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME") or str(PROJECT_DIR / ".dagster_home")
    return Path(home).expanduser().resolve()


def prepare_dagster_home() -> Path:
    """Create $DAGSTER_HOME with the pool limit, export it, and return it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # Ours is brought up to date (an older version of it lacks the storage); a user's own is left alone.
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current.startswith(WRITTEN_BY_US) and current != dagster_yaml(home)):
        config.write_text(dagster_yaml(home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":
    print(f"DAGSTER_HOME={prepare_dagster_home()}")


# --- runs whose process died (issue 11) ------------------------------------------------------
#
# A run killed with SIGKILL (or a machine that lost power) never reports its end:
# it stays STARTED and keeps its `duckdb` pool slot, and every later run waits
# for that slot forever. Each `pgb` run is therefore tagged with its process
# (pid, start time, host); on start, and while waiting for the pool, a run whose
# process is gone is marked failed and its slots are freed.

PID_TAG, PID_START_TAG, HOST_TAG = "pgb/pid", "pgb/pid_start", "pgb/host"
DUCKDB_POOL = "duckdb"  # the pool of the dbt step (orchestration/dbt_assets.py)
POLL_SECONDS_VARIABLE = "PGB_POOL_POLL_SECONDS"  # how often a waiting run looks at the pool (default 10)


def process_tags() -> dict[str, str]:
    """The tags that tie a run to the process executing it."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    start = process_start(os.getpid())
    if start is not None:
        tags[PID_START_TAG] = start
    return tags


def process_is_gone(tags: Mapping[str, str]) -> bool:
    """True when the run's process, on this host, no longer exists (or its pid now names another process).
    Runs of another host or without the tags (the UI, the daemon) are never judged."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return False
    return processes.process_is_gone(int(tags[PID_TAG]), tags.get(PID_START_TAG))


def unfinished_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.CANCELING]
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=statuses)))


def recover_dead_runs(instance: dg.DagsterInstance, cleanup: Callable[[str], None] | None = None) -> list[str]:
    """Mark failed every unfinished run whose process is gone, free its pool slots (and let `cleanup`
    remove what it left, e.g. its warehouse build file). One sentence per run, for the person running pgb."""
    lines = []
    for run in unfinished_runs(instance):
        if not process_is_gone(run.tags):
            continue
        message = (f"its process (pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}) is gone: killed, or the machine "
                   "stopped; marked failed by a later pgb run, which freed its pool slots")
        instance.report_run_failed(run, message)
        # The build file has one name for every run: it is the dead run's only while that run holds the
        # duckdb slot (then nobody else can be building), so it is removed before the slot is given back.
        if cleanup is not None and run.run_id in pool_holders(instance):
            cleanup(run.run_id)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(f"recovered run {run.run_id} of {run.job_name}: {message}")
    return lines


def pool_holders(instance: dg.DagsterInstance) -> set[str]:
    """The runs holding a slot of the duckdb pool (at most one: its limit is 1)."""
    return {slot.run_id for slot in instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots}


def _started(instance: dg.DagsterInstance, run_id: str) -> str:
    record = instance.get_run_record_by_id(run_id)
    if record is None or record.start_time is None:
        return "at an unknown time"
    return datetime.fromtimestamp(record.start_time, tz=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def pool_wait_lines(instance: dg.DagsterInstance, ours: set[str], announced: set[str]) -> list[str]:
    """When one of our runs waits for the duckdb pool: which run holds it and since when (each holder once)."""
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    waiting = [step for step in info.pending_steps if step.run_id in ours and step.assigned_timestamp is None]
    if not waiting:
        return []
    lines = []
    for holder in sorted({slot.run_id for slot in info.claimed_slots} - ours - announced):
        announced.add(holder)
        run = instance.get_run_by_id(holder)
        who = f"{run.job_name}, pid {run.tags.get(PID_TAG, '?')} on {run.tags.get(HOST_TAG, '?')}" if run else "unknown"
        lines.append(
            f"waiting for the {DUCKDB_POOL} pool (one warehouse writer at a time): run {holder} ({who}), started "
            f"{_started(instance, holder)}, holds it; waiting since "
            f"{waiting[0].enqueued_timestamp.astimezone():%Y-%m-%d %H:%M:%S %Z}"
        )
    return lines


@contextmanager
def watching_the_pool(instance: dg.DagsterInstance, say: Callable[[str], None],
                      cleanup: Callable[[str], None] | None = None) -> Iterator[None]:
    """While the block runs (our run, in this process): say which run we wait for, and recover a holder whose
    process dies meanwhile, so a waiting run never hangs in silence."""
    interval = float(os.environ.get(POLL_SECONDS_VARIABLE) or 10)
    stop = threading.Event()
    pid = str(os.getpid())

    def watch() -> None:
        announced: set[str] = set()
        while not stop.wait(interval):
            try:
                ours = {run.run_id for run in unfinished_runs(instance) if run.tags.get(PID_TAG) == pid
                        and run.tags.get(HOST_TAG) == socket.gethostname()}
                for line in recover_dead_runs(instance, cleanup) + pool_wait_lines(instance, ours, announced):
                    say(line)
            except Exception as error:  # noqa: BLE001 - a watcher must never break the run it watches
                say(f"(could not look at the {DUCKDB_POOL} pool: {error})")

    watcher = threading.Thread(target=watch, name="pgb-pool-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=5)
