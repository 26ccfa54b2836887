"""Assemble the one Dagster `Definitions` for a dbt project folder.

orchestration/definitions.py builds the project's own; tests build a
scratch copy's, without importing (and parsing) the real one.
"""

from pathlib import Path

import dagster as dg
from dagster_dbt.dbt_manifest import validate_manifest

from orchestration.close_package import build_close_package
from orchestration.dbt_assets import build_dbt_assets, column_schema, dbt_resource, make_dbt_project
from orchestration.exports import build_export_assets
from orchestration.jobs import build_warehouse_job, close_month_job, late_exports_sensor, monthly_build_schedule
from orchestration.partitions import monthly_partitions
from orchestration.previews import build_preview_assets
from pgb_shared.exports import RAW_EXPORTS
from pgb_shared.settings import PROJECT_DIR


def export_column_schemas(manifest_path: Path) -> dict[str, dg.TableSchema]:
    """export -> the columns of its seed (name, type from `column_types`), shown on the export file's asset.

    The manifest is dagster-dbt's own copy (read once per path and process), not a second parse of it.
    """
    manifest = validate_manifest(Path(manifest_path))
    schemas = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "seed" and node.get("name") in RAW_EXPORTS:
            schema = column_schema(node)
            if schema is not None:
                schemas[node["name"]] = schema
    return schemas


def build_definitions(project_dir: Path = PROJECT_DIR) -> dg.Definitions:
    project = make_dbt_project(Path(project_dir))
    project_dir = Path(project.project_dir)
    partitions = monthly_partitions(project_dir)
    dbt_models = build_dbt_assets(project, partitions)
    dbt_keys = set(dbt_models.keys)
    warehouse_job = build_warehouse_job()
    return dg.Definitions(
        assets=[
            build_export_assets(project_dir, export_column_schemas(project.manifest_path)),
            dbt_models,
            *build_preview_assets(project_dir, partitions, dbt_keys),
            build_close_package(project_dir, partitions, dbt_keys),
        ],
        jobs=[warehouse_job, close_month_job()],
        schedules=[monthly_build_schedule(warehouse_job)],
        sensors=[late_exports_sensor(project_dir, warehouse_job, partitions)],
        resources={"dbt": dbt_resource(project)},
        # The steps run one after the other anyway (exports -> dbt -> reports);
        # one process saves re-importing dbt and GX for each step.
        executor=dg.in_process_executor,
    )
