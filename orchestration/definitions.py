"""The one Dagster `Definitions` of the project, found by `dagster dev` through
pyproject.toml [tool.dagster] (module_name = "orchestration.definitions").

    make setup
    DAGSTER_HOME=$PWD/.dagster_home .venv/bin/dagster dev

The asset graph: export files (one per raw export, each with a GX check that skips the rest when it fails)
-> exports/reference seeds -> staging -> intermediate (rules) -> marts ->
reports (month_preview, supervision_report, close_package). Jobs:
build_warehouse (everything but close_package) and close_month
(close_package and its upstream).
"""

from orchestration.factory import build_definitions

defs = build_definitions()
