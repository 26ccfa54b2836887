"""Run contract section 6 on a fixture folder, in a scratch copy of the project.

The flow is exactly the contract's: copy the fixture CSVs over the seeds of
the same name, then `dbt seed --full-refresh` and `dbt run` from the project
root with PGB_DUCKDB_PATH naming the warehouse. The scratch copy keeps the
repository's own seeds and warehouse untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/generic")


def copy_project(destination: Path) -> Path:
    """Copy the dbt project (not the venv, warehouse or reports) to destination."""
    for entry in PROJECT_ENTRIES:
        source = REPO_ROOT / entry
        target = destination / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (destination / "warehouse").mkdir(exist_ok=True)
    return destination


def run_dbt(project_dir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(DBT), *args, "--profiles-dir", str(project_dir), "--project-dir", str(project_dir)],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def run_fixture(fixture_dir: Path, scratch_dir: Path) -> Path:
    """Build every output of contract section 5 from one fixture folder.

    Returns the path of the DuckDB file the run wrote.
    """
    project_dir = copy_project(scratch_dir / "project")
    for csv_file in sorted(Path(fixture_dir).glob("*.csv")):
        if (project_dir / "seeds" / csv_file.name).exists():
            shutil.copy2(csv_file, project_dir / "seeds" / csv_file.name)
    warehouse = scratch_dir / "fixture.duckdb"
    env = {**os.environ, "PGB_DUCKDB_PATH": str(warehouse)}
    env.pop("PGB_EXPORTS_DIR", None)
    run_dbt(project_dir, "seed", "--full-refresh", env=env)
    run_dbt(project_dir, "run", env=env)
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()
