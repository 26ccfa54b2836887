"""Monthly partitions on the reference month (the month of concluded_at), from the program start."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg

from pgb_shared.settings import PROJECT_DIR, TIMEZONE, program_start


def monthly_partitions(project_dir: Path = PROJECT_DIR) -> dg.MonthlyPartitionsDefinition:
    """One partition per month from the month of the program start (seeds/ref_parameters.csv).

    end_offset=0: the newest partition is the last complete month, the one a
    close or the monthly build may take.
    """
    start = program_start(project_dir)
    return dg.MonthlyPartitionsDefinition(start_date=f"{start:%Y-%m}-01", timezone=TIMEZONE, end_offset=0)


def months_in_window(window: dg.TimeWindow) -> list[date]:
    """First day of each month in [window.start, window.end)."""
    months, current = [], date(window.start.year, window.start.month, 1)
    end = date(window.end.year, window.end.month, 1)
    while current < end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months
