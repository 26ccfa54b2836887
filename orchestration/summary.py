"""Read-only queries on the published warehouse: the close and supervision summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class MonthSummary:
    reference_month: date
    approved: int
    rejected: int
    held: int
    approved_amount: Decimal

    def line(self) -> str:
        return (
            f"{self.reference_month:%Y-%m}: approved {self.approved}, rejected {self.rejected}, "
            f"held {self.held}, to pay R$ {self.approved_amount:,.2f}"
        )


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def close_summary(connection, first_month: date | None = None, last_month: date | None = None) -> list[MonthSummary]:
    """Tasks and amounts per outcome and reference month, from fct_task_evaluations."""
    if not table_exists(connection, "fct_task_evaluations"):
        return []
    rows = connection.execute(
        """
        select
            reference_month,
            count(*) filter (where outcome = 'approved'),
            count(*) filter (where outcome = 'rejected'),
            count(*) filter (where outcome = 'held'),
            coalesce(sum(payment_amount) filter (where outcome = 'approved'), 0)::decimal(18, 2)
        from fct_task_evaluations
        where ($1::date is null or reference_month >= $1::date)
          and ($2::date is null or reference_month <= $2::date)
        group by reference_month
        order by reference_month
        """,
        [first_month, last_month],
    ).fetchall()
    return [MonthSummary(month, approved, rejected, held, Decimal(amount)) for month, approved, rejected, held, amount in rows]


def payee_rows(connection, month: date) -> tuple[list[str], list[tuple]]:
    """One row per payee for one reference month (the close report's CSV)."""
    cursor = connection.execute(
        """
        select
            payee_siape,
            count(*) filter (where outcome = 'approved') as approved_tasks,
            count(*) filter (where outcome = 'rejected') as rejected_tasks,
            count(*) filter (where outcome = 'held') as held_tasks,
            coalesce(sum(payment_amount), 0)::decimal(18, 2) as payment_amount
        from fct_task_evaluations
        where reference_month = ?
        group by payee_siape
        order by payee_siape
        """,
        [month],
    )
    return [column[0] for column in cursor.description], cursor.fetchall()


def supervision_status_counts(connection) -> list[tuple[int, str, int]]:
    """(cycle_number, status, APS count) from fct_aps_supervision_cycles, if built."""
    if not table_exists(connection, "fct_aps_supervision_cycles"):
        return []
    return connection.execute(
        """
        select cycle_number, status, count(*)
        from fct_aps_supervision_cycles
        group by cycle_number, status
        order by cycle_number, status
        """
    ).fetchall()


def read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)
