"""The Dagster instance of the project: its storage keeps the event log open, its dagster.yaml is ours to update,
and a dead run's build file is removed only when that run held the warehouse pool."""

from __future__ import annotations

import socket
import subprocess

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from sqlalchemy import text

from orchestration.dagster_storage import KeptOpenSqliteEventLogStorage
from orchestration.instance import (DUCKDB_POOL, HOST_TAG, PID_START_TAG, PID_TAG, dagster_yaml,
                                    prepare_dagster_home, recover_dead_runs)

OLD_VERSION_OF_OURS = """\
# Written by orchestration/instance.py. The `duckdb` pool (the dbt step) runs
# one step at a time: DuckDB allows a single writer.
concurrency:
  pools:
    default_limit: 1
    granularity: op
"""


def test_our_dagster_yaml_is_brought_up_to_date_and_a_users_own_is_left_alone(tmp_path, monkeypatch):
    ours, users = tmp_path / "ours", tmp_path / "users"
    ours.mkdir()
    users.mkdir()
    (ours / "dagster.yaml").write_text(OLD_VERSION_OF_OURS, encoding="utf-8")
    (users / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(ours))
    prepare_dagster_home()
    assert (ours / "dagster.yaml").read_text(encoding="utf-8") == dagster_yaml(ours.resolve())
    monkeypatch.setenv("DAGSTER_HOME", str(users))
    prepare_dagster_home()
    assert (users / "dagster.yaml").read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b", "c"]))
def counted(context):
    return dg.MaterializeResult(metadata={"partition": context.partition_key})


def test_events_kept_open_in_one_process_are_read_by_another_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    prepare_dagster_home()
    with dg.DagsterInstance.get() as writer:
        assert isinstance(writer.event_log_storage, KeptOpenSqliteEventLogStorage)
        results = [dg.materialize([counted], instance=writer, partition_key=key) for key in ("a", "b", "c")]
        assert all(result.success for result in results)
        # Still open in the writer: another instance (dagster dev, a later pgb run) reads every event.
        monkeypatch.delenv("DAGSTER_HOME")  # a reader that loads the folder itself finds the storage too
        with dg.DagsterInstance.from_config(str(tmp_path)) as reader:
            runs = reader.get_runs()
            assert {run.run_id for run in runs} == {result.run_id for result in results}
            assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
            latest = reader.get_latest_materialization_event(dg.AssetKey("counted"))
            assert latest.asset_materialization.partition == "c"
            assert reader.get_materialized_partitions(dg.AssetKey("counted")) == {"a", "b", "c"}
            assert len(reader.all_logs(results[0].run_id)) == len(writer.all_logs(results[0].run_id)) > 5
        with writer.event_log_storage.index_connection() as connection:
            assert connection.execute(text("pragma synchronous")).scalar() == 1  # normal: no fsync per event
            assert connection.execute(text("pragma journal_mode")).scalar() == "wal"
        # Wiping closes the open files first; the storage is usable afterwards.
        writer.event_log_storage.wipe()
        assert dg.materialize([counted], instance=writer, partition_key="a").success


def _run_of_a_dead_process(instance: dg.DagsterInstance) -> str:
    process = subprocess.Popen(["sleep", "60"])
    process.kill()
    process.wait()
    run_id = make_new_run_id()
    tags = {PID_TAG: str(process.pid), HOST_TAG: socket.gethostname(), PID_START_TAG: "gone"}
    instance.add_run(DagsterRun(job_name="build_warehouse", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                tags=tags))
    return run_id


def test_a_dead_runs_build_file_is_removed_only_if_it_held_the_pool(tmp_path, monkeypatch):
    """The build file has one name for every run: a dead run outside the dbt step may not remove it (a live run
    could be building into it); a dead run holding the pool slot is the one that left it."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    prepare_dagster_home()
    removed: list[str] = []
    with dg.DagsterInstance.get() as instance:
        outside_dbt = _run_of_a_dead_process(instance)
        assert recover_dead_runs(instance, removed.append)
        assert instance.get_run_by_id(outside_dbt).status == dg.DagsterRunStatus.FAILURE
        assert removed == []
        in_dbt = _run_of_a_dead_process(instance)
        instance.event_log_storage.initialize_concurrency_limit_to_default(DUCKDB_POOL)  # as the dbt step does
        assert instance.event_log_storage.claim_concurrency_slot(DUCKDB_POOL, in_dbt, "pgb_dbt").is_claimed
        assert recover_dead_runs(instance, removed.append)
        assert removed == [in_dbt]
        assert not instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots
