"""Assemble the Dagster definitions for a dbt project folder.

orchestration/definitions.py builds the project's own; tests build a
scratch copy's, without importing (and parsing) the real one.
"""

from pathlib import Path

import dagster as dg

from orchestration.dbt_assets import build_dbt_assets, dbt_resource, make_dbt_project
from orchestration.exports import build_export_assets
from orchestration.reports import build_report_assets
from orchestration.schedules import close_job, late_exports_sensor, monthly_close_schedule
from orchestration.settings import PROJECT_DIR


def build_definitions(project_dir: Path = PROJECT_DIR) -> dg.Definitions:
    project = make_dbt_project(Path(project_dir))
    dbt_models = build_dbt_assets(project)
    return dg.Definitions(
        assets=[
            build_export_assets(project.project_dir),
            dbt_models,
            *build_report_assets(project.project_dir, set(dbt_models.keys)),
        ],
        jobs=[close_job],
        schedules=[monthly_close_schedule()],
        sensors=[late_exports_sensor(project.project_dir)],
        resources={"dbt": dbt_resource(project)},
        # The steps run one after the other anyway (exports -> dbt -> reports);
        # one process saves re-importing dbt and GX for each step.
        executor=dg.in_process_executor,
    )
