"""A close killed at any stage ends, after a plain retry, closed exactly once with a complete package and ledger.

Issue 11: a SIGKILL between the ledger write and the folder rename used to
leave `ledger/2025-06.csv` without `close-2025-06/`, and every retry was
refused. The close now has one commit point (a journal) and recovers on start.

The module crashes one real `pgb close --month 2025-05` at the commit (the
issue's case, through Dagster; May is the fixture's first month to close) and retries it with the same plain command.
Then, on the warehouse that close published, every stage of CLOSE_STAGES is
crashed in a fresh reports folder by a child process running the close
library (PGB_FAULT_AT=<stage>: the process SIGKILLs itself there), and
retried the way `pgb close` does (recover, then close unless recovery
finished the month); the reopen path too. After every retry the month's
columnar copy of its ledger file (ledger/.columnar/, a cache) is the one of
the CSV in place, and no copy of a set-aside file is left.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from orchestration_samples import scratch_pgb_environment

from payroll.close import CLOSE_STAGES, FAULT_VARIABLE, fault_point
from payroll.ledger import Ledger
from payroll.ledger_copies import COLUMNAR_FOLDER, copy_problem, fresh_copies

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_EXPORTS = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
PACKAGE_FILES = sorted(["adjustments.csv", "close.xlsx", "held.csv", "manifest.json", "payments.csv",
                        "rejections.csv", "summary.html", "tasks.csv"])
# The fixture's first month with an evaluated task: a first close (months close in order from it).
MONTH = "2025-05"

# The child process: a close of the library, as `pgb close` runs it after the pipeline (recover first; a
# month that recovery finished is not closed again).
CLOSE_SCRIPT = """
import sys
from pathlib import Path
from payroll.close import close_month, recover
from payroll.errors import CloseRefused
from payroll.months import Month
month, reports, warehouse, mode = Month.parse(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
if month in recover(reports).finished:
    print("finished by recovery")
    sys.exit(0)
try:
    close_month(month, reports_dir=reports, project_dir=Path.cwd(), warehouse=warehouse,
                reopen=mode == "reopen", reason="test reopen" if mode == "reopen" else None)
except CloseRefused as refusal:
    print(f"refused: {refusal}")
    sys.exit(2)
print("closed")
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_closed_exactly_once(reports: Path, month: str = MONTH, columnar_copy: bool = True) -> dict:
    """One ledger file, one complete package whose manifest names that ledger file, nothing staged left."""
    ledger = reports / "ledger"
    assert sorted(path.name for path in ledger.glob("????-??.csv")) == [f"{month}.csv"]
    assert not list(ledger.glob(".*.staged")) and not list(ledger.glob(".close-*.journal.json*"))
    assert not list(reports.glob(".close-*.staging"))
    package = reports / f"close-{month}"
    assert sorted(path.name for path in package.iterdir()) == PACKAGE_FILES
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ledger_file"]["path"] == f"ledger/{month}.csv"
    assert manifest["ledger_file"]["sha256"] == sha256(ledger / f"{month}.csv")
    assert manifest["files"] == {name: sha256(package / name) for name in PACKAGE_FILES if name != "manifest.json"}
    if columnar_copy:
        assert_columnar_copy_is_the_ledger_file(reports, month)
    return manifest


def assert_columnar_copy_is_the_ledger_file(reports: Path, month: str) -> None:
    """The close (or the recovery that finished it) wrote the copy of the CSV in place: fresh, the same SHA-256,
    the same rows; nothing else in the hidden folder."""
    ledger = reports / "ledger"
    assert sorted(path.name for path in (ledger / COLUMNAR_FOLDER).iterdir()) == [f"{month}.json", f"{month}.parquet"]
    problem, record = copy_problem(ledger / f"{month}.csv", deep=True)
    assert problem is None
    assert record["source"]["sha256"] == sha256(ledger / f"{month}.csv")
    said: list[str] = []
    [copy] = fresh_copies([ledger / f"{month}.csv"], said.append)
    assert said == []  # read as it is, not rebuilt
    with duckdb.connect(":memory:") as connection:
        count = connection.execute("select count(*) from read_parquet($path)", {"path": str(copy.path)}).fetchone()[0]
    assert count == len(Ledger(ledger).entries())


def assert_not_closed(reports: Path, month: str = MONTH) -> None:
    assert not (reports / "ledger" / f"{month}.csv").exists()
    assert not (reports / f"close-{month}").exists()


@pytest.fixture(scope="module")
def crashed_close(tmp_path_factory):
    """A real `pgb close` killed at the commit, then the same command again."""
    root = tmp_path_factory.mktemp("crash")
    exports, reports, warehouse = root / "exports", root / "reports", root / "warehouse" / "pgb.duckdb"
    exports.mkdir()
    for export in FIXTURE_EXPORTS.glob("raw_*.csv"):
        shutil.copy2(export, exports / export.name)
    env = scratch_pgb_environment(root, exports)
    env.pop(FAULT_VARIABLE, None)
    command = [sys.executable, "-m", "orchestration.cli", "close", "--month", MONTH]
    crashed = subprocess.run(command, cwd=REPO_ROOT, env={**env, FAULT_VARIABLE: "committed"},
                             capture_output=True, text=True)
    after_crash = {
        "returncode": crashed.returncode,
        "journal": (reports / "ledger" / f".close-{MONTH}.journal.json").exists(),
        "ledger_file": (reports / "ledger" / f"{MONTH}.csv").exists(),
        "package": (reports / f"close-{MONTH}").exists(),
        "output": crashed.stdout[-2000:] + crashed.stderr[-2000:],
    }
    retried = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    return root, env, reports, warehouse, after_crash, retried


def test_a_real_pgb_close_killed_at_the_commit_is_finished_by_a_plain_retry(crashed_close):
    _, _, reports, _, after_crash, retried = crashed_close
    assert after_crash["returncode"] == -signal.SIGKILL, after_crash["output"]
    # Killed after the commit: the journal holds the month, neither the ledger file nor the package is in place.
    assert after_crash["journal"] and not after_crash["ledger_file"] and not after_crash["package"]
    assert retried.returncode == 0, retried.stdout[-3000:] + retried.stderr[-3000:]
    assert "a crash interrupted after its commit" in retried.stdout
    manifest = assert_closed_exactly_once(reports)
    rows = manifest["task_rows"]
    assert rows["export_rows"] == rows["evaluated"] + sum(rows["out_of_scope"].values())
    assert rows["evaluated_in_month"] == manifest["totals"]["evaluated_tasks"] > 0


def close_in_child(env: dict, reports: Path, warehouse: Path, mode: str, fault: str | None):
    child_env = {**env, "PGB_REPORTS_DIR": str(reports)}
    child_env.pop(FAULT_VARIABLE, None)
    if fault:
        child_env[FAULT_VARIABLE] = fault
    return subprocess.run([sys.executable, "-c", CLOSE_SCRIPT, MONTH, str(reports), str(warehouse), mode],
                          cwd=REPO_ROOT, env=child_env, capture_output=True, text=True)


COMMITTED = CLOSE_STAGES[CLOSE_STAGES.index("committed"):]
REOPEN_ONLY = ("previous_set_aside",)  # a first close has no previous package to set aside


@pytest.mark.parametrize("stage", [stage for stage in CLOSE_STAGES if stage not in REOPEN_ONLY])
def test_a_close_killed_at_each_stage_ends_closed_exactly_once(crashed_close, tmp_path, stage):
    _, env, _, warehouse, _, _ = crashed_close
    reports = tmp_path / "reports"
    crashed = close_in_child(env, reports, warehouse, "close", stage)
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    if stage not in COMMITTED:
        assert_not_closed(reports)  # before the commit nothing counts as closed
    retried = close_in_child(env, reports, warehouse, "close", None)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert retried.stdout.strip() == ("finished by recovery" if stage in COMMITTED else "closed")
    assert_closed_exactly_once(reports)


@pytest.mark.parametrize("stage", CLOSE_STAGES)
def test_a_reopen_killed_at_each_stage_ends_reopened_exactly_once(crashed_close, tmp_path, stage):
    _, env, closed_reports, warehouse, _, _ = crashed_close
    reports = tmp_path / "reports"
    shutil.copytree(closed_reports, reports, ignore=shutil.ignore_patterns("previews", ".lock"))
    before = assert_closed_exactly_once(reports, columnar_copy=False)  # copied: a new inode, so the copy is stale
    crashed = close_in_child(env, reports, warehouse, "reopen", stage)
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    if stage not in COMMITTED:  # the first close stands, untouched (the staged files wait for the next start)
        package_manifest = reports / f"close-{MONTH}" / "manifest.json"
        assert json.loads(package_manifest.read_text(encoding="utf-8")) == before
        assert sha256(reports / "ledger" / f"{MONTH}.csv") == before["ledger_file"]["sha256"]
        assert not (reports / "reopened").exists() or not any((reports / "reopened").iterdir())
    retried = close_in_child(env, reports, warehouse, "reopen", None)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    manifest = assert_closed_exactly_once(reports)
    assert manifest["reopened"]["reason"] == "test reopen"
    assert sorted(path.name for path in (reports / "reopened").iterdir()) == [f"close-{MONTH}.1"]
    assert sorted(path.name for path in (reports / "ledger" / "reopened").iterdir()) == [f"{MONTH}.1.csv"]
    kept = json.loads((reports / "reopened" / f"close-{MONTH}.1" / "manifest.json").read_text(encoding="utf-8"))
    assert kept["closed_at"] == before["closed_at"]


def test_a_fault_stage_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setenv(FAULT_VARIABLE, "between_the_chairs")
    with pytest.raises(ValueError, match="names no close stage"):
        fault_point("committed")
    monkeypatch.setenv(FAULT_VARIABLE, "ledger_staged")
    fault_point("committed")  # another stage: returns
