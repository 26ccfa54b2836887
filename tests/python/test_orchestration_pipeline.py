"""The whole Dagster pipeline, in process, on a scratch copy of the project.

One good build on the bundled seeds (the expensive part, done once), then
runs on damaged exports that must fail at the GX checks, before dbt, leaving
the damaged file and the published warehouse exactly as they were.
"""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from orchestration_samples import DAMAGES, VALID_EXPORTS, write_valid_exports

from expectations.delivery import record_path_for
from orchestration.dbt_assets import export_asset_key
from orchestration.factory import build_definitions
from orchestration.jobs import BUILD_WAREHOUSE, CLOSE_MONTH
from orchestration.launch import RunOutcome, execute, failure_report
from pgb_shared.exports import RAW_EXPORTS

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


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
        env.setenv("PGB_DUCKDB_PATH", str(root / "warehouse" / "pgb.duckdb"))
        env.setenv("PGB_DBT_TARGET_PATH", str(root / "target"))
        env.setenv("PGB_REPORTS_DIR", str(root / "reports"))
        env.delenv("PGB_EXPORTS_DIR", raising=False)
        env.setenv("DO_NOT_TRACK", "1")
        defs = build_definitions(project)
        with dg.DagsterInstance.ephemeral() as instance:
            good_run = execute(defs, instance, BUILD_WAREHOUSE, "2025-05-01", "2025-07-01")
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
    assert [p.name for p in previews] == ["payments_2025-05.csv", "payments_2025-06.csv", "payments_2025-07.csv"]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        [(payees,)] = connection.execute(
            "select count(*) from fct_payee_month_payments where reference_month = '2025-06-01'").fetchall()
    assert len(previews[1].read_text(encoding="utf-8").splitlines()) == payees + 1  # the mart's rows, with a header
    assert run.metadata_of("month_preview")["approved_tasks"].value > 0
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


def test_every_raw_export_has_a_blocking_check(pipeline):
    graph = pipeline.defs.resolve_asset_graph()
    for export in RAW_EXPORTS:
        check_key = dg.AssetCheckKey(export_asset_key(export), "contract_suite")
        assert graph.get_check_spec(check_key).blocking


def test_monthly_schedule_builds_the_previous_month(pipeline):
    schedule = pipeline.defs.get_schedule_def("monthly_warehouse_build")
    assert schedule.job_name == BUILD_WAREHOUSE
    assert schedule.cron_schedule == "0 6 5 * *"
    tick = datetime(2025, 8, 5, 6, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    [request] = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick)).run_requests
    assert request.partition_key == "2025-07-01"
