"""Monthly partitions on the reference month (the month of concluded_at)."""

from __future__ import annotations

from datetime import date

import dagster as dg

from orchestration.settings import PROGRAM_START_MONTH, TIMEZONE

# end_offset=0: the newest partition is the last complete month, the one the
# schedule closes on the 5th.
MONTHLY_CLOSE = dg.MonthlyPartitionsDefinition(start_date=PROGRAM_START_MONTH, timezone=TIMEZONE, end_offset=0)


def months_in_window(window: dg.TimeWindow) -> list[date]:
    """First day of each month in [window.start, window.end)."""
    months, current = [], date(window.start.year, window.start.month, 1)
    end = date(window.end.year, window.end.month, 1)
    while current < end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def all_close_months() -> tuple[str, str]:
    """(first, last) partition keys: the range `make run` materializes."""
    keys = MONTHLY_CLOSE.get_partition_keys()
    return keys[0], keys[-1]
