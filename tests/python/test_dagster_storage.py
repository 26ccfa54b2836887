"""The Dagster instance of the project: its storage keeps the event log open, its dagster.yaml is ours to update,
and a dead run's build file is removed only when that run held the warehouse pool."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import warnings

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from sqlalchemy import text

from orchestration.dagster_storage import EVENT_BATCH_SIZE, EVENT_BATCH_SIZE_VARIABLE, KeptOpenSqliteEventLogStorage
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


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    ONE_RUN_FOR_A_RANGE = dg.BackfillPolicy.single_run()


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b", "c"]), backfill_policy=ONE_RUN_FOR_A_RANGE,
          check_specs=[dg.AssetCheckSpec("counted_all", asset="ranged")])
def ranged(context):
    """As the dbt assets: one run for a range of partitions, one result (and check) recorded for each of them."""
    return dg.MaterializeResult(metadata={"partitions": len(context.partition_keys)},
                                check_results=[dg.AssetCheckResult(passed=len(context.partition_keys) == 3)])


def _what_the_index_holds(home, run_id: str) -> dict[str, list]:
    """The rows a run left in the run's file and the cross-run index, without ids, times and the run id."""
    with sqlite3.connect(home / "history" / "runs" / f"{run_id}.db") as run_file, \
            sqlite3.connect(home / "history" / "runs" / "index.db") as index:
        events = "select dagster_event_type, asset_key, partition, step_key from event_logs where run_id = ? order by id"
        last = index.execute("select last_run_id, last_materialization from asset_keys where asset_key = ?",
                             ('["ranged"]',)).fetchone()
        last_event_id = index.execute("select max(id) from event_logs where run_id = ? and dagster_event_type = ?",
                                      (run_id, "ASSET_MATERIALIZATION")).fetchone()[0]
        last_materialization = json.loads(last[1])
        return {
            "run_file": run_file.execute(events, (run_id,)).fetchall(),
            "index": index.execute(events, (run_id,)).fetchall(),
            "tags": sorted(index.execute(
                "select tags.asset_key, tags.key, events.partition from asset_event_tags as tags join event_logs as "
                "events on events.id = tags.event_id where events.run_id = ?", (run_id,)).fetchall()),
            "checks": sorted(index.execute(
                "select asset_key, check_name, partition, execution_status from asset_check_executions "
                "where run_id = ?", (run_id,)).fetchall()),
            "asset_entry": [last[0] == run_id, last_materialization["storage_id"] == last_event_id,
                            last_materialization["event_log_entry"]["run_id"] == run_id],
        }


def _run_over_a_b_c(instance: dg.DagsterInstance) -> str:
    job = dg.Definitions(assets=[ranged]).resolve_implicit_global_asset_job_def()
    tags = {"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "c"}
    result = job.execute_in_process(instance=instance, tags=tags)
    assert result.success
    return result.run_id


def _records(instance: dg.DagsterInstance, event_type: dg.DagsterEventType, run_id: str | None = None) -> list:
    """The asset events of `ranged` in the index (of one run, if given)."""
    records_filter = dg.AssetRecordsFilter(asset_key=dg.AssetKey("ranged"))
    fetch = (instance.fetch_materializations if event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
             else instance.fetch_planned_materializations)
    return [record for record in fetch(records_filter, limit=1000).records if run_id in (None, record.run_id)]


def test_a_batch_is_stored_as_its_events_one_by_one(tmp_path, monkeypatch):
    """The planned events of a run and the partitions of one result come as batches: each is one write
    per file, and what any reader sees is what Dagster's one-event-at-a-time storage leaves."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv(EVENT_BATCH_SIZE_VARIABLE, raising=False)
    prepare_dagster_home()
    batches: list[list[str]] = []
    store_event_batch = KeptOpenSqliteEventLogStorage.store_event_batch

    def counting(storage, events):
        batches.append([entry.dagster_event.event_type_value for entry in events])
        store_event_batch(storage, events)

    monkeypatch.setattr(KeptOpenSqliteEventLogStorage, "store_event_batch", counting)
    with dg.DagsterInstance.get() as writer:
        assert os.environ[EVENT_BATCH_SIZE_VARIABLE] == str(EVENT_BATCH_SIZE)  # asked for by the storage
        batched = _run_over_a_b_c(writer)
        after_batches = _what_the_index_holds(tmp_path, batched)
        assert sorted(sorted(batch) for batch in batches) == [
            ["ASSET_CHECK_EVALUATION_PLANNED"] + ["ASSET_MATERIALIZATION_PLANNED"] * 3,
                                   ["ASSET_MATERIALIZATION"] * 3]
        monkeypatch.setenv(EVENT_BATCH_SIZE_VARIABLE, "0")  # Dagster's way: every event on its own
        one_by_one = _run_over_a_b_c(writer)
        assert len(batches) == 2
        assert after_batches == _what_the_index_holds(tmp_path, one_by_one)
        assert after_batches["asset_entry"] == [True, True, True]
        assert len(after_batches["checks"]) == 1 and len(after_batches["tags"]) == 3  # a data version per partition
        with dg.DagsterInstance.from_config(str(tmp_path)) as reader:
            for event_type in (dg.DagsterEventType.ASSET_MATERIALIZATION,
                               dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
                seen = [sorted(record.partition_key for record in _records(reader, event_type, run))
                        for run in (batched, one_by_one)]
                assert seen == [["a", "b", "c"], ["a", "b", "c"]], event_type
            assert [len(reader.all_logs(run)) for run in (batched, one_by_one)] == [
                len(writer.all_logs(batched))] * 2
            assert reader.get_materialized_partitions(dg.AssetKey("ranged")) == {"a", "b", "c"}
            latest = reader.get_latest_materialization_event(dg.AssetKey("ranged"))
            assert latest.run_id == one_by_one


def test_a_batch_that_fails_stores_none_of_its_events(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    prepare_dagster_home()
    with dg.DagsterInstance.get() as instance:
        run_id = _run_over_a_b_c(instance)
        storage = instance.event_log_storage
        materialized = _records(instance, dg.DagsterEventType.ASSET_MATERIALIZATION, run_id)
        copies = [record.event_log_entry._replace(run_id=make_new_run_id()) for record in materialized]
        asset_entries = []
        store_asset_entry = KeptOpenSqliteEventLogStorage._store_asset_event

        def failing(self, connection, entry, event_id):  # after the run's rows and the index's event rows
            asset_entries.append(entry)
            raise OSError("disk full")

        monkeypatch.setattr(KeptOpenSqliteEventLogStorage, "_store_asset_event", failing)
        with pytest.raises(OSError, match="disk full"):
            storage.store_event_batch(copies)
        assert len(asset_entries) == 1
        assert all(not storage.get_logs_for_run(copy.run_id) for copy in copies)  # and rolled back
        assert {record.run_id for record in _records(instance, dg.DagsterEventType.ASSET_MATERIALIZATION)} == {run_id}
        monkeypatch.setattr(KeptOpenSqliteEventLogStorage, "_store_asset_event", store_asset_entry)
        assert dg.materialize([counted], instance=instance, partition_key="a").success  # usable afterwards


def test_a_batch_size_set_by_the_user_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv(EVENT_BATCH_SIZE_VARIABLE, "0")
    prepare_dagster_home()
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        assert os.environ[EVENT_BATCH_SIZE_VARIABLE] == "0"


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
