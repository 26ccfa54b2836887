"""The whole Dagster pipeline, in process, on a scratch copy of the project.

One good build on the bundled seeds (the expensive part, done once), then
runs on damaged exports that must fail at the GX checks, before dbt, leaving
the damaged file and the published warehouse exactly as they were. What the
UI shows is read back from the instance: each month's own preview figures,
empty months flagged, skipped (not failed) steps and dbt checks after a bad
export, distinct labels, column types.
"""

import asyncio
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from orchestration_samples import DAMAGES, VALID_EXPORTS, use_scratch_paths, write_valid_exports

from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionResolvedStatus
from expectations.delivery import record_path_for
from orchestration.dbt_assets import export_asset_key
from orchestration.factory import build_definitions
from orchestration.jobs import BUILD_WAREHOUSE, CLOSE_MONTH
from orchestration.export_checks import LAST_GOOD_BUILD_TAG, WAREHOUSE_TAG
from orchestration.launch import RunOutcome, execute, failure_report
from orchestration.previews import EMPTY, EMPTY_MONTH
from pgb_shared.exports import RAW_EXPORTS

REPO_ROOT = Path(__file__).resolve().parents[2]
# The good build: May-July carry the demo's tasks, August only two rejections, September none.
GOOD_RUN_MONTHS = ("2025-05-01", "2025-09-01")
MONTH_PREVIEW = dg.AssetKey("month_preview")
DBT_PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", ".dbtignore", "models", "macros", "seeds", "tests")


def copy_dbt_project(destination: Path) -> Path:
    """The dbt project without venv, target, warehouse, or the Python tests."""
    for entry in DBT_PROJECT_ENTRIES:
        source, target = REPO_ROOT / entry, destination / entry
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("python", "fixtures", "__pycache__"))
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@dataclass
class Pipeline:
    project: Path
    warehouse: Path
    reports: Path
    defs: dg.Definitions
    instance: dg.DagsterInstance
    good_run: RunOutcome

    def run(self, month: str = "2025-06-01") -> RunOutcome:
        return execute(self.defs, self.instance, BUILD_WAREHOUSE, month, month)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [row[0] for row in connection.execute("select table_name from duckdb_tables()").fetchall()]
        return {table: connection.execute(f'select count(*) from "{table}"').fetchone()[0] for table in tables}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    project = copy_dbt_project(root / "project")
    with pytest.MonkeyPatch.context() as env:
        use_scratch_paths(env, root)
        defs = build_definitions(project)
        with dg.DagsterInstance.ephemeral() as instance:
            good_run = execute(defs, instance, BUILD_WAREHOUSE, *GOOD_RUN_MONTHS)
            yield Pipeline(project, root / "warehouse" / "pgb.duckdb", root / "reports", defs, instance, good_run)


def test_build_warehouse_materializes_every_asset_but_the_close(pipeline):
    run = pipeline.good_run
    assert run.success, failure_report(run)
    every_asset = set(pipeline.defs.resolve_asset_graph().get_all_asset_keys())
    assert set(run.materialized) == every_asset - {dg.AssetKey("close_package")}
    assert not (pipeline.reports / "ledger").exists() and not list(pipeline.reports.glob("close-*"))
    counts = table_counts(pipeline.warehouse)
    assert {"fct_task_evaluations", "fct_task_rule_violations", "fct_payee_month_payments", "raw_tasks",
            "ref_rules"} <= set(counts)
    assert counts["ref_rules"] > 0
    previews = sorted((pipeline.reports / "previews").glob("payments_*.csv"))
    assert [p.name for p in previews] == [f"payments_2025-0{month}.csv" for month in (5, 6, 7, 8)]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        [(payees,)] = connection.execute(
            "select count(*) from fct_payee_month_payments where reference_month = '2025-06-01'").fetchall()
    assert len(previews[1].read_text(encoding="utf-8").splitlines()) == payees + 1  # the mart's rows, with a header
    assert not list(pipeline.warehouse.parent.glob("*.tmp-*")), "build file left behind"


def test_asset_graph_reads_export_check_staging_marts_reports(pipeline):
    graph = pipeline.defs.resolve_asset_graph()
    tasks_export = export_asset_key("raw_tasks")
    assert graph.get(tasks_export).group_name == "exports"
    assert dg.AssetCheckKey(tasks_export, "contract_suite") in graph.asset_check_keys
    assert tasks_export in graph.get(dg.AssetKey("raw_tasks")).parent_keys  # seed after its export
    assert tasks_export in graph.get(dg.AssetKey("stg_get__tasks")).parent_keys  # and the source
    assert graph.get(dg.AssetKey("stg_get__tasks")).group_name == "staging"
    assert graph.get(dg.AssetKey("fct_task_evaluations")).group_name == "marts"
    assert graph.get(dg.AssetKey("month_preview")).group_name == "reports"
    assert graph.get(dg.AssetKey("month_preview")).parent_keys == {dg.AssetKey("fct_payee_month_payments")}
    close_package = graph.get(dg.AssetKey("close_package"))
    assert close_package.group_name == "reports" and close_package.partitions_def is not None
    assert {dg.AssetKey("fct_payee_month_payments"), dg.AssetKey("fct_task_payments"),
            dg.AssetKey("fct_task_rule_violations")} <= close_package.parent_keys


def test_the_close_job_runs_the_close_and_its_upstream_only(pipeline):
    build = pipeline.defs.resolve_job_def(BUILD_WAREHOUSE).asset_layer.selected_asset_keys
    close = pipeline.defs.resolve_job_def(CLOSE_MONTH).asset_layer.selected_asset_keys
    assert dg.AssetKey("close_package") not in build and dg.AssetKey("close_package") in close
    assert {export_asset_key(export) for export in RAW_EXPORTS} <= close  # every export checked
    assert {dg.AssetKey("fct_payee_month_payments"), dg.AssetKey("stg_get__tasks")} <= close
    assert dg.AssetKey("fct_aps_supervision_cycles") not in close and dg.AssetKey("month_preview") not in close


@pytest.fixture(scope="module")
def sample_seeds(pipeline):
    """After the good build, the small valid exports replace the bundled seeds.

    They are a first delivery of their own: without the accepted-delivery record
    of the bundled seeds, the delivery guard (tested in test_delivery_guard.py)
    has nothing to compare them with, and the damage alone decides.
    """
    write_valid_exports(pipeline.project / "seeds")
    record_path_for(pipeline.warehouse).unlink()
    return pipeline


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_export_stops_the_run_before_dbt(sample_seeds, damage):
    pipeline = sample_seeds
    export, damage_text, column, line, expectation = DAMAGES[damage]
    damaged_file = pipeline.project / "seeds" / f"{export}.csv"
    damaged_file.write_text(damage_text(VALID_EXPORTS[export]), encoding="utf-8")
    damaged_bytes, warehouse_hash = damaged_file.read_bytes(), sha256(pipeline.warehouse)
    counts_before = table_counts(pipeline.warehouse)
    try:
        run = pipeline.run()
    finally:
        after_run = damaged_file.read_bytes()
        damaged_file.write_text(VALID_EXPORTS[export], encoding="utf-8")

    assert not run.success
    [check] = [c for c in run.failed_checks if c.asset_key == export_asset_key(export)]
    assert check.metadata["export"].value == export
    assert column in check.metadata["column"].value
    assert check.metadata["expectation"].value == expectation
    message = failure_report(run)
    assert export in message and column in message
    if line is not None:
        assert line in check.metadata["sample_row_numbers"].value
        assert check.metadata["unexpected_count"].value >= 1
        assert f"line {line}" in message
    # Nothing past the exports ran; the export and the warehouse are as they were.
    assert {key for key in run.materialized if key.path[0] != "exports"} == set()
    assert after_run == damaged_bytes
    assert sha256(pipeline.warehouse) == warehouse_hash
    assert table_counts(pipeline.warehouse) == counts_before
    assert not list(pipeline.warehouse.parent.glob("*.tmp-*"))
    assert_reads_as_skipped_with_the_warehouse_kept(pipeline, run, check)


def assert_reads_as_skipped_with_the_warehouse_kept(pipeline, run: RunOutcome, check) -> None:
    """In the UI: the bad export's check failed, every step and dbt check after it skipped (not failed), and
    the run says which warehouse stays published."""
    instance = pipeline.instance
    dagster_run = instance.get_run_by_id(run.run_id)
    assert dagster_run.status == dg.DagsterRunStatus.SUCCESS
    steps = run_step_statuses(instance, run.run_id)
    assert steps["raw_exports"] == "SUCCESS"
    assert {steps[step] for step in ("pgb_dbt", "month_preview", "supervision_report")} == {"SKIPPED"}
    graph = pipeline.defs.resolve_asset_graph()
    dbt_checks = sorted(key for key in graph.asset_check_keys if key.asset_key.path[0] != "exports")
    for check_key in (dbt_checks[0], dbt_checks[-1]):
        assert resolved_check_status(instance, check_key) == (run.run_id, AssetCheckExecutionResolvedStatus.SKIPPED)
    check_key = dg.AssetCheckKey(check.asset_key, check.check_name)
    assert resolved_check_status(instance, check_key) == (run.run_id, AssetCheckExecutionResolvedStatus.FAILED)
    assert dagster_run.tags[WAREHOUSE_TAG].startswith("unchanged")
    assert str(pipeline.warehouse) in dagster_run.tags[LAST_GOOD_BUILD_TAG]
    assert pipeline.good_run.run_id in dagster_run.tags[LAST_GOOD_BUILD_TAG]
    assert check.metadata["pgb/published_warehouse"].value.startswith("unchanged, last good build: ")


def test_failed_dbt_build_keeps_the_last_good_warehouse(sample_seeds):
    pipeline = sample_seeds
    model = sorted((pipeline.project / "models" / "marts").rglob("*.sql"))[0]
    original = model.read_text(encoding="utf-8")
    warehouse_hash = sha256(pipeline.warehouse)
    model.write_text("select broken from where\n", encoding="utf-8")
    try:
        run = pipeline.run()
    finally:
        model.write_text(original, encoding="utf-8")
    assert not run.success and not run.failed_checks
    assert "pgb_dbt" in failure_report(run)
    assert sha256(pipeline.warehouse) == warehouse_hash
    assert not list(pipeline.warehouse.parent.glob("*.tmp-*"))
    assert all(key.path[0] == "exports" for key in run.materialized)


def test_every_raw_export_has_a_check_the_dbt_step_waits_for(pipeline):
    graph = pipeline.defs.resolve_asset_graph()
    dbt_step_inputs = graph.get(dg.AssetKey("raw_tasks")).parent_keys | graph.get(dg.AssetKey("stg_get__tasks")).parent_keys
    for export in RAW_EXPORTS:
        check_key = dg.AssetCheckKey(export_asset_key(export), "contract_suite")
        assert check_key in graph.asset_check_keys
        # Not Dagster's blocking (it fails the step): a failed check withholds the export, which skips dbt.
        assert not graph.get_check_spec(check_key).blocking
    assert export_asset_key("raw_tasks") in dbt_step_inputs


def test_monthly_schedule_builds_the_previous_month(pipeline):
    schedule = pipeline.defs.get_schedule_def("monthly_warehouse_build")
    assert schedule.job_name == BUILD_WAREHOUSE
    assert schedule.cron_schedule == "0 6 5 * *"
    tick = datetime(2025, 8, 5, 6, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    [request] = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick)).run_requests
    assert request.partition_key == "2025-07-01"


def latest_preview(instance: dg.DagsterInstance, partition: str) -> dg.EventLogRecord | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=MONTH_PREVIEW, asset_partitions=[partition]), limit=1
    ).records
    return records[0] if records else None


def test_each_month_preview_partition_shows_its_own_month(pipeline):
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        mart = {
            f"{month:%Y-%m-%d}": (approved, rejected, held, f"{amount:.2f}", payees)
            for month, approved, rejected, held, amount, payees in connection.execute(
                "select reference_month, sum(approved_tasks), sum(rejected_tasks), sum(held_tasks), sum(amount),"
                " count(*) from fct_payee_month_payments group by all").fetchall()
        }
    assert {"2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01"} <= set(mart)
    assert len({figures[0] for figures in mart.values()}) > 1  # the months differ, so a sum would show
    run_events = [
        event for event in pipeline.instance.all_logs(pipeline.good_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if event.dagster_event.asset_key == MONTH_PREVIEW
    ]
    assert sorted(event.dagster_event.partition for event in run_events) == sorted(mart)  # one per month with tasks
    for partition, (approved, rejected, held, amount, payees) in mart.items():
        record = latest_preview(pipeline.instance, partition)
        assert record is not None and record.run_id == pipeline.good_run.run_id
        metadata = record.asset_materialization.metadata
        assert (metadata["approved_tasks"].value, metadata["rejected_tasks"].value, metadata["held_tasks"].value,
                metadata["amount"].value, metadata["dagster/row_count"].value) == (approved, rejected, held, amount, payees)
        assert metadata[EMPTY].value is False


def test_a_month_without_tasks_is_flagged_empty_not_materialized(pipeline):
    empty = "2025-09-01"
    assert latest_preview(pipeline.instance, empty) is None
    assert not (pipeline.reports / "previews" / "payments_2025-09.csv").exists()
    observations = pipeline.instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=MONTH_PREVIEW, asset_partitions=[empty]), limit=5).records
    [observation] = [record.asset_observation for record in observations]
    assert observation.metadata[EMPTY].value is True and observation.description == EMPTY_MONTH
    assert empty not in pipeline.instance.get_materialized_partitions(MONTH_PREVIEW)
    assert "2025-08-01" in pipeline.instance.get_materialized_partitions(MONTH_PREVIEW)  # two rejections: not empty


def test_labels_in_the_asset_graph_are_distinct(pipeline):
    graph = pipeline.defs.resolve_asset_graph()
    labels = [key.path[-1] for key in graph.get_all_asset_keys()]  # what the graph writes on a node
    assert len(labels) == len(set(labels)), sorted(label for label in labels if labels.count(label) > 1)
    file_node, seed_node = graph.get(export_asset_key("raw_tasks")), graph.get(dg.AssetKey("raw_tasks"))
    assert file_node.description.startswith("Export file raw_tasks")
    assert seed_node.description.startswith("Warehouse table raw_tasks")
    assert "file" in file_node.kinds and "seed" in seed_node.kinds


def test_column_types_are_shown_and_match_the_warehouse(pipeline):
    graph = pipeline.defs.resolve_asset_graph()
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        warehouse = {}
        for table, column, data_type in connection.execute(
                "select table_name, column_name, lower(data_type) from information_schema.columns").fetchall():
            warehouse.setdefault(table, {})[column] = data_type
    shown = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.group_name not in ("staging", "marts") and not key.path[-1].startswith("raw_"):
            continue
        schema = node.metadata.get("dagster/column_schema")
        assert schema is not None, key
        types = {column.name: column.type for column in schema.columns}
        table = key.path[-1].removesuffix("_file")
        assert types == warehouse[table], key  # every column, each with the warehouse's type
        shown += 1
    assert shown >= 15 * 2 + 20  # export files, seeds, staging views and marts


def run_step_statuses(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    return {stats.step_key: stats.status.value for stats in instance.get_run_step_stats(run_id)}


def resolved_check_status(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey):
    """The status the UI shows for the check's latest execution (Dagster's own resolution)."""
    [record] = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=1)
    return record.run_id, asyncio.run(record.resolve_status(LoadingContextForTest(instance)))
