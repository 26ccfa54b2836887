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
    from orchestration.run_all import failure_report, materialize_months

    run = materialize_months(month.partition_key, month.partition_key, project_dir)
    if not run.success:
        raise CloseFailed(failure_report(run))
    return settings.warehouse_path(project_dir)
