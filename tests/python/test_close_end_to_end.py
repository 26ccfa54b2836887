"""`pgb close` end to end, through Dagster, on hand-made June and July exports.

June is closed from June-only exports (tests/fixtures/pgb_rules); then the
July rows of tests/fixtures/pgb_close_july are appended, reusing a June NB
(R430 on June's paid T01) and delivering a late Sisref schedule (releasing
June's held T47), and July is closed. The two real closes are the expensive
part (one Dagster run each) and run once for the module; the refusal, the
reopen and the cap then reuse the July warehouse without running Dagster.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pgb_close.close import close_month
from pgb_close.errors import CloseFailed
from pgb_close.months import Month

REPO_ROOT = Path(__file__).resolve().parents[2]
JUNE_EXPORTS = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
JULY_ROWS = REPO_ROOT / "tests" / "fixtures" / "pgb_close_july"
PGB_SCRIPT = REPO_ROOT / ".venv" / "bin" / "pgb"
PACKAGE_FILES = ["adjustments.csv", "close.xlsx", "held.csv", "manifest.json", "payments.csv", "rejections.csv",
                 "summary.html"]


def pgb_command() -> list[str]:
    """The installed console script (`make setup`), or the same entry point through python -m."""
    return [str(PGB_SCRIPT)] if PGB_SCRIPT.exists() else [sys.executable, "-m", "pgb_close"]


def tree_fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """relative path -> (sha256, mtime_ns) of every file below folder."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def append_rows(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[1:]
    with target.open("a", encoding="utf-8") as handle:
        handle.writelines(lines)


@dataclass
class Closes:
    root: Path
    exports: Path
    reports: Path
    warehouse: Path
    env: dict[str, str]
    june_before_july: dict[str, tuple[str, int]]

    def pgb(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*pgb_command(), *args], cwd=REPO_ROOT, env=self.env, capture_output=True, text=True)

    def package(self, month: str) -> Path:
        return self.reports / f"close-{month}"


@pytest.fixture(scope="module")
def closes(tmp_path_factory) -> Closes:
    root = tmp_path_factory.mktemp("close")
    exports, reports, warehouse = root / "exports", root / "reports", root / "warehouse" / "pgb.duckdb"
    exports.mkdir()
    for export in JUNE_EXPORTS.glob("raw_*.csv"):
        shutil.copy2(export, exports / export.name)
    env = {
        **os.environ,
        "PGB_EXPORTS_DIR": str(exports),
        "PGB_DUCKDB_PATH": str(warehouse),
        "PGB_REPORTS_DIR": str(reports),
        "PGB_DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DO_NOT_TRACK": "1",
    }
    env.pop("PGB_EXPORTS_FORMAT", None)
    state = Closes(root, exports, reports, warehouse, env, {})
    june = state.pgb("close", "--month", "2025-06")
    assert june.returncode == 0, june.stdout[-3000:] + june.stderr[-3000:]
    state.june_before_july = tree_fingerprint(state.package("2025-06")) | {
        "ledger/2025-06.csv": tree_fingerprint(reports / "ledger")["2025-06.csv"]
    }
    for rows in JULY_ROWS.glob("raw_*.csv"):
        append_rows(rows, exports / rows.name)
    july = state.pgb("close", "--month", "2025-07")
    assert july.returncode == 0, july.stdout[-3000:] + july.stderr[-3000:]
    return state


def test_june_package_holds_the_hand_derived_verdicts(closes):
    expected = {row["task_id"]: row for row in read_csv(JUNE_EXPORTS / "expected_task_outcomes.csv")}
    june_tasks = {task for task in expected if task != "T51"}  # T51 was concluded in May
    package = closes.package("2025-06")
    assert sorted(PACKAGE_FILES) == sorted(path.name for path in package.iterdir())
    payments = read_csv(package / "payments.csv")
    approved = [t for t in june_tasks if expected[t]["outcome"] == "approved"]
    assert sum(int(row["approved_tasks"]) for row in payments) == len(approved)
    assert sum(Decimal(row["amount"]) for row in payments) == Decimal("68.00") * len(approved)
    assert {row["task_id"] for row in read_csv(package / "held.csv")} == {"T45", "T47"}
    rejections = read_csv(package / "rejections.csv")
    assert {row["task_id"] for row in rejections} == {t for t in june_tasks if expected[t]["outcome"] == "rejected"}
    assert all(row["evidence"] and row["rule_title"] for row in rejections)
    assert read_csv(package / "adjustments.csv") == []


def test_closing_july_leaves_june_unchanged_byte_for_byte(closes):
    june_now = tree_fingerprint(closes.package("2025-06")) | {
        "ledger/2025-06.csv": tree_fingerprint(closes.reports / "ledger")["2025-06.csv"]
    }
    assert june_now == closes.june_before_july


def test_july_carries_the_june_task_adjustment(closes):
    package = closes.package("2025-07")
    adjustments = {row["task_id"]: row for row in read_csv(package / "adjustments.csv")}
    assert set(adjustments) == {"T01", "T47"}
    t01 = adjustments["T01"]
    assert (t01["original_month"], t01["previous_outcome"], t01["new_outcome"]) == ("2025-06", "approved", "rejected")
    assert (t01["delta_amount"], t01["rules"]) == ("-68.00", "R430")
    assert "T60" in t01["reason"] and "3000000001" in t01["reason"]
    assert (adjustments["T47"]["previous_outcome"], adjustments["T47"]["delta_amount"]) == ("held", "68.00")
    payments = {row["payee_siape"]: row for row in read_csv(package / "payments.csv")}
    assert (payments["0100001"]["adjustments"], payments["0100001"]["net_amount"]) == ("-68.00", "-68.00")
    assert payments["0100002"]["amount"] == "68.00" and payments["0100015"]["net_amount"] == "68.00"
    assert [row["task_id"] for row in read_csv(package / "held.csv")] == ["T63"]
    summary = (package / "summary.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in summary and "Tarefa concluída por um mesmo profissional" in summary
    assert "-R$ 68.00" in summary


def test_a_closed_month_is_refused_and_nothing_changes(closes):
    before = tree_fingerprint(closes.reports)
    result = closes.pgb("close", "--month", "2025-06")
    assert result.returncode == 2
    assert "2025-06 is already closed" in result.stderr and "adjustments in the next close" in result.stderr
    assert tree_fingerprint(closes.reports) == before


def test_manifest_records_inputs_parameters_and_checksums(closes):
    package = closes.package("2025-07")
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["month"] == "2025-07" and manifest["closed_at"] and "commit" in manifest["git"]
    files = {item["name"]: item for item in manifest["inputs"]["files"]}
    assert len(files) == 19  # 15 raw exports + 4 reference seeds
    tasks = closes.exports / "raw_tasks.csv"
    assert files["raw_tasks"]["sha256"] == hashlib.sha256(tasks.read_bytes()).hexdigest()
    assert files["raw_tasks"]["rows"] == len(read_csv(tasks))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((package / name).read_bytes()).hexdigest() == digest
    ledger = closes.reports / manifest["ledger_file"]["path"]
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == manifest["ledger_file"]["sha256"]
    [value] = [p for p in manifest["parameters"] if p["name"] == "pepgb_value_per_task"]
    assert (value["value"], value["effective_from"]) == ("68.00", "2025-05-19")
    assert manifest["totals"]["adjustments_amount"] == "0.00" and manifest["totals"]["net_amount"] == "68.00"
    assert manifest["row_counts"]["adjustments.csv"] == 2


def test_xlsx_opens_with_the_expected_sheets_and_totals(closes):
    package = closes.package("2025-07")
    workbook = load_workbook(package / "close.xlsx")
    assert workbook.sheetnames == ["summary", "payments", "rejections", "held", "adjustments", "parameters"]
    summary = {row[0]: row[2] for row in workbook["summary"].iter_rows(min_row=2, values_only=True)}
    payments = read_csv(package / "payments.csv")
    assert Decimal(str(summary["net_amount"])) == sum(Decimal(row["net_amount"]) for row in payments)
    assert summary["adjustments_count"] == 2 and summary["month"] == "2025-07"
    sheet = workbook["payments"]
    assert sheet.max_row == len(payments) + 1 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    net_column = [cell.value for cell in sheet[1]].index("net_amount") + 1
    assert "R$" in sheet.cell(row=2, column=net_column).number_format
    assert workbook["adjustments"].cell(row=2, column=1).value == "T01"


def in_process_env(closes, monkeypatch) -> None:
    for name in ("PGB_EXPORTS_DIR", "PGB_DUCKDB_PATH", "PGB_REPORTS_DIR", "PGB_DBT_TARGET_PATH"):
        monkeypatch.setenv(name, closes.env[name])


def test_reopen_keeps_the_old_package_and_reproduces_it(closes, tmp_path, monkeypatch):
    """Same inputs, same package: only the manifest's closed_at, git and reopened differ."""
    in_process_env(closes, monkeypatch)
    reports = tmp_path / "reports"
    shutil.copytree(closes.reports, reports)
    result = close_month(Month(2025, 7), reports_dir=reports, project_dir=REPO_ROOT,
                         build_warehouse=lambda month: closes.warehouse, reopen=True, reason="test reproduction")
    kept = reports / "reopened" / "close-2025-07.1"
    assert result.kept_package == kept
    for name in PACKAGE_FILES:
        if name != "manifest.json":
            assert (kept / name).read_bytes() == (result.folder / name).read_bytes(), name
    old, new = (json.loads((folder / "manifest.json").read_text()) for folder in (kept, result.folder))
    for varying in ("closed_at", "git", "reopened"):
        old.pop(varying), new.pop(varying)
    assert old == new
    assert (reports / "ledger" / "reopened" / "2025-07.1.csv").exists()


def test_cap_limits_the_amount_and_shows_what_was_capped(closes, tmp_path, monkeypatch):
    in_process_env(closes, monkeypatch)
    warehouse = tmp_path / "capped.duckdb"
    shutil.copy2(closes.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update ref_parameters set value = '136.00' where name = 'pepgb_cap_per_professional'")
        connection.execute("delete from ref_parameters where name = 'pepgb_cap_period'")
    with pytest.raises(CloseFailed, match="pepgb_cap_period"):
        close_month(Month(2025, 6), reports_dir=tmp_path / "no_period", project_dir=REPO_ROOT,
                    build_warehouse=lambda month: warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "insert into ref_parameters (name, value, effective_from, legal_source, published_on) "
            "values ('pepgb_cap_period', 'monthly', '2025-05-19', 'test', '2025-05-19')"
        )
    result = close_month(Month(2025, 6), reports_dir=tmp_path / "reports", project_dir=REPO_ROOT,
                         build_warehouse=lambda month: warehouse)
    payments = {row["payee_siape"]: row for row in read_csv(result.folder / "payments.csv")}
    ana = payments["0100001"]  # 10 approved June tasks in the July warehouse (T01 now fails R430)
    assert (ana["approved_tasks"], ana["amount"], ana["capped_amount"]) == ("10", "136.00", "544.00")
    assert payments["0100002"]["amount"] == "68.00" and payments["0100002"]["capped_amount"] == "0.00"
    assert result.package.totals["capped_amount"] == Decimal("544.00")
    assert "per-professional cap kept R$ 544.00" in (result.folder / "summary.html").read_text(encoding="utf-8")
