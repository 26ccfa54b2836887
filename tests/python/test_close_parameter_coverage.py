"""The parameter versions the close prices tasks with: exactly one in force per day.

dbt's singular test tests/singular/assert_one_parameter_value_in_force_per_day.sql
guards it (and runs inside every `pgb close`, in Dagster's dbt build). Here it
meets a retroactive change done right (the old version ends the day before
the new one starts: passes), an overlap and a gap (both fail).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"
TEST = "assert_one_parameter_value_in_force_per_day"
VALUE_ROW = "pepgb_value_per_task,68.00,2025-05-19,,"

# A retroactive change like Art. 2 of Portaria 1.854/2025: published later, effective from an earlier day.
CASES = {
    "retroactive_version_closing_the_old_one": (
        "pepgb_value_per_task,68.00,2025-05-19,2025-06-30,",
        "pepgb_value_per_task,70.00,2025-07-01,,test,2025-08-05",
        True,
    ),
    "overlapping_versions": (VALUE_ROW, "pepgb_value_per_task,70.00,2025-07-01,,test,2025-08-05", False),
    "gap_between_versions": (
        "pepgb_value_per_task,68.00,2025-05-19,2025-06-30,",
        "pepgb_value_per_task,70.00,2025-07-02,,test,2025-08-05",
        False,
    ),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    destination = tmp_path_factory.mktemp("parameters") / "project"
    for entry in ("dbt_project.yml", "profiles.yml", ".dbtignore", "models", "macros", "seeds", "tests"):
        source = REPO_ROOT / entry
        if source.is_dir():
            shutil.copytree(source, destination / entry, ignore=shutil.ignore_patterns("python", "fixtures"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / entry)
    return destination


@pytest.mark.parametrize("case", sorted(CASES))
def test_parameter_coverage_test(project, case):
    old_row, new_row, should_pass = CASES[case]
    seed = project / "seeds" / "ref_parameters.csv"
    shipped = (REPO_ROOT / "seeds" / "ref_parameters.csv").read_text(encoding="utf-8")
    assert VALUE_ROW in shipped
    seed.write_text(shipped.replace(VALUE_ROW, old_row, 1).rstrip("\n") + "\n" + new_row + "\n", encoding="utf-8")
    scratch = project.parent / case
    env = {**os.environ, "PGB_DUCKDB_PATH": str(scratch / "parameters.duckdb"), "DO_NOT_TRACK": "1"}
    env.pop("PGB_EXPORTS_DIR", None)
    result = subprocess.run(
        # cautious: only the tests whose parents are all selected (not the other parameter tests)
        [str(DBT), "build", "--select", f"+{TEST}", "--indirect-selection", "cautious",
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
        cwd=project, env=env, capture_output=True, text=True,
    )
    assert (result.returncode == 0) == should_pass, result.stdout[-3000:]
    if not should_pass:
        assert f"Failure in test {TEST}" in result.stdout
