"""What `pgb run` prints once the warehouse is built: payments per month and supervision cycles.

The payment figures are sums of fct_payee_month_payments (payroll.warehouse),
the same rows the previews and the close packages carry.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from payroll.warehouse import month_totals, read_only, table_exists

SUPERVISION_MART = "fct_aps_supervision_cycles"


def supervision_status_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[int, str, int]]:
    """(cycle_number, status, APS count) from fct_aps_supervision_cycles, if built."""
    if not table_exists(connection, SUPERVISION_MART):
        return []
    return connection.execute(
        f"""
        select cycle_number, status, count(*)
        from {SUPERVISION_MART}
        group by cycle_number, status
        order by cycle_number, status
        """
    ).fetchall()


def cycle_lines(status_counts: list[tuple[int, str, int]]) -> list[str]:
    """One line per cycle: 'cycle 3: conforme 14, nao_conforme 8, nao_supervisionada 6'."""
    by_cycle: dict[int, list[str]] = {}
    for cycle, status, count in status_counts:
        by_cycle.setdefault(cycle, []).append(f"{status} {count}")
    return [f"cycle {cycle}: " + ", ".join(parts) for cycle, parts in by_cycle.items()]


def warehouse_summary(warehouse: Path) -> str:
    with read_only(warehouse) as connection:
        months = month_totals(connection)
        cycles = supervision_status_counts(connection)
    lines = [f"Payments per reference month, not closed ({warehouse}):"]
    lines += [f"  {month.line()}" for month in months] or ["  no evaluated tasks"]
    if cycles:
        lines.append("Supervision cycles (APS per status):")
        lines += [f"  {line}" for line in cycle_lines(cycles)]
    return "\n".join(lines)
