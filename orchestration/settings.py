"""Paths and knobs, all resolved at run time from the environment.

Relative paths are relative to the project root, as they are for dbt (which
runs from there), so Dagster and dbt name the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = "warehouse/pgb.duckdb"  # same default as profiles.yml
TIMEZONE = "America/Sao_Paulo"  # Brasília time, as the exports
PROGRAM_START_MONTH = "2025-05-01"  # contract 2: program_start 2025-05-19
DEFAULT_CLOSE_DAY = 5  # Sisref is closed by then


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
    """Where the close reports are written (PGB_REPORTS_DIR, default reports/)."""
    return _in_project(os.environ.get("PGB_REPORTS_DIR") or "reports", project_dir)


def close_day_of_month() -> int:
    """Day of the month the monthly close runs (PGB_CLOSE_DAY, default 5)."""
    day = int(os.environ.get("PGB_CLOSE_DAY") or DEFAULT_CLOSE_DAY)
    if not 1 <= day <= 28:
        raise ValueError(f"PGB_CLOSE_DAY must be between 1 and 28, got {day}")
    return day
