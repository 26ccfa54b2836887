"""Issue 11: an unwritable PGB_REPORTS_DIR is a clear error naming the path, exit 1, before any work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from payroll.close import close_month, reports_dir_problem
from payroll.errors import CloseFailed
from payroll.months import Month

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def under_a_file(tmp_path) -> Path:
    """A reports folder that cannot exist: its parent is a file (unwritable for root too)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    return blocker / "reports"


@pytest.mark.parametrize("argv", [["close", "--month", "2025-06"], ["run"]])
def test_pgb_stops_at_once_naming_the_reports_folder(tmp_path, under_a_file, argv):
    home = tmp_path / "dagster_home"
    env = {**os.environ, "PGB_REPORTS_DIR": str(under_a_file), "DAGSTER_HOME": str(home),
           "PGB_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", *argv], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"PGB_REPORTS_DIR {under_a_file}" in result.stderr and "Traceback" not in result.stderr
    assert not home.exists() and not (tmp_path / "w.duckdb").exists()  # nothing ran


def test_the_close_library_refuses_it_before_reading_anything(under_a_file, tmp_path):
    with pytest.raises(CloseFailed, match="is not a folder"):
        close_month(Month(2025, 6), reports_dir=under_a_file, project_dir=REPO_ROOT,
                    warehouse=tmp_path / "missing.duckdb")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_folder_without_write_permission_is_named(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "is not writable" in reports_dir_problem(locked / "reports")
        assert str(locked / "reports") in reports_dir_problem(locked / "reports")
    finally:
        locked.chmod(0o755)


def test_a_writable_or_creatable_folder_is_fine(tmp_path):
    assert reports_dir_problem(tmp_path) is None
    assert reports_dir_problem(tmp_path / "new" / "reports") is None
