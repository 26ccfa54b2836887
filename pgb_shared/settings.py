"""Paths and knobs, all resolved at run time from the environment, and the program start.

Relative paths are relative to the project root, as they are for dbt (which
runs from there), so Dagster, dbt and the payroll library name the same files.
"""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = "warehouse/pgb.duckdb"  # same default as profiles.yml
TIMEZONE = "America/Sao_Paulo"  # Brasília time, as the exports
DEFAULT_BUILD_DAY = 5  # Sisref is closed by then
PROGRAM_START_PARAMETER = "program_start"


def _in_project(value: str, project_dir: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else project_dir / path


def warehouse_path(project_dir: Path = PROJECT_DIR) -> Path:
    """The published warehouse: PGB_DUCKDB_PATH, the one DuckDB path variable."""
    return _in_project(os.environ.get("PGB_DUCKDB_PATH") or DEFAULT_WAREHOUSE, project_dir)


def exports_dir(project_dir: Path = PROJECT_DIR) -> Path | None:
    """PGB_EXPORTS_DIR when the raw exports come as files instead of seeds."""
    value = os.environ.get("PGB_EXPORTS_DIR", "").strip()
    return _in_project(value, project_dir) if value else None


def dbt_target_dir(project_dir: Path = PROJECT_DIR) -> Path:
    """Where dbt's manifest and run artifacts go (PGB_DBT_TARGET_PATH, default target/)."""
    return _in_project(os.environ.get("PGB_DBT_TARGET_PATH") or "target", project_dir)


def reports_dir(project_dir: Path = PROJECT_DIR) -> Path:
    """Where the close packages, the ledger and the previews are written (PGB_REPORTS_DIR, default reports/)."""
    return _in_project(os.environ.get("PGB_REPORTS_DIR") or "reports", project_dir)


def build_day_of_month() -> int:
    """Day of the month the scheduled warehouse build runs (PGB_BUILD_DAY, default 5)."""
    day = int(os.environ.get("PGB_BUILD_DAY") or DEFAULT_BUILD_DAY)
    if not 1 <= day <= 28:
        raise ValueError(f"PGB_BUILD_DAY must be between 1 and 28, got {day}")
    return day


def program_start(project_dir: Path = PROJECT_DIR) -> date:
    """The value of the earliest `program_start` row of seeds/ref_parameters.csv (contract 2).

    Read from the seed file, not the warehouse: the monthly partitions must
    exist before anything is built. The earliest version is the start of the
    first month anyone can close.
    """
    path = project_dir / "seeds" / "ref_parameters.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            (line, row)
            for line, row in enumerate(csv.DictReader(handle), start=2)
            if (row.get("name") or "").strip() == PROGRAM_START_PARAMETER
        ]
    if not rows:
        raise ValueError(f"{path}: no row with name '{PROGRAM_START_PARAMETER}' (contract 2 needs the program start)")
    try:
        line, earliest = min(rows, key=lambda item: date.fromisoformat(item[1]["effective_from"].strip()))
        return date.fromisoformat(earliest["value"].strip())
    except (ValueError, AttributeError) as error:
        bad = ", ".join(f"line {line} (value {row.get('value')!r}, effective_from {row.get('effective_from')!r})"
                        for line, row in rows)
        raise ValueError(
            f"{path}: columns value and effective_from of '{PROGRAM_START_PARAMETER}' must be dates YYYY-MM-DD: {bad}"
        ) from error
