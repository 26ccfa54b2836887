"""The one place the close touches the orchestration: run the Dagster close job.

`pgb close` builds the warehouse exactly as `make run` and the monthly
schedule do: the `pgb_close` asset job (GX checks on the exports, dbt build
into a fresh file swapped in on success, the month's report assets) for the
month's partition, on the instance in $DAGSTER_HOME.
"""

from __future__ import annotations

from pathlib import Path

from orchestration import settings
from pgb_close.errors import CloseFailed, CloseRefused
from pgb_close.months import Month


def check_month_can_run(month: Month) -> None:
    """The month must be a partition of the close job: it has ended, and is not before the program."""
    from orchestration.partitions import MONTHLY_CLOSE

    keys = MONTHLY_CLOSE.get_partition_keys()
    if month.partition_key not in keys:
        raise CloseRefused(
            f"{month} cannot be closed: closable months run from {keys[0][:7]} to {keys[-1][:7]} "
            "(a month can be closed once it has ended)."
        )


def build_warehouse(month: Month, project_dir: Path = settings.PROJECT_DIR) -> Path:
    """Materialize every asset for the month's partition through Dagster; return the published warehouse."""
    import dagster as dg

    from orchestration.dbt_assets import make_dbt_project, parse_manifest
    from orchestration.factory import build_definitions
    from orchestration.instance import prepare_dagster_home
    from orchestration.run_all import failure_report, run_close

    prepare_dagster_home()
    # Models may have changed since `make setup`: Dagster must see the current manifest.
    parse_manifest(make_dbt_project(project_dir))
    definitions = build_definitions(project_dir)
    with dg.DagsterInstance.get() as instance:
        run = run_close(definitions, instance, month.partition_key, month.partition_key)
    if not run.success:
        raise CloseFailed(failure_report(run))
    return settings.warehouse_path(project_dir)
