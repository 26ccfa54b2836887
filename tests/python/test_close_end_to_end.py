"""`pgb close` end to end, through Dagster, on hand-made May, June and July exports.

Months are closed in order from the program start: May (task T51, concluded
at the program start) first, then June, from the exports of
tests/fixtures/pgb_rules; then the
July rows of tests/fixtures/pgb_close_july are appended, reusing a June NB
(R430 on June's paid T01) and delivering a late Sisref schedule (releasing
June's held T47); June's partition is materialized again for the late
schedule (`pgb run --month 2025-06`), and July is closed. Each close is `pgb close --month M`:
a materialization of the asset close_package for that partition (job
close_month) on the Dagster instance of the test. The two real closes are the
expensive part and run once for the module; the refusal and the reopen then
reuse the July warehouse without running Dagster.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from orchestration_samples import scratch_pgb_environment
from openpyxl import load_workbook

from orchestration.close_package import REFUSED
from orchestration.factory import build_definitions
from orchestration.launch import outcome_of
from payroll.adjustments import find_adjustments
import payroll.close as close_module
from payroll.close import close_month
from payroll.errors import CloseFailed
from payroll.ledger import Ledger
from payroll.months import Month
from payroll.package import EARLIEST_MONTH, close_history
from payroll.warehouse import read_snapshot

REPO_ROOT = Path(__file__).resolve().parents[2]
JUNE_EXPORTS = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
JULY_ROWS = REPO_ROOT / "tests" / "fixtures" / "pgb_close_july"
PACKAGE_FILES = ["adjustments.csv", "close.xlsx", "held.csv", "manifest.json", "payments.csv", "rejections.csv",
                 "summary.html", "tasks.csv"]


def pgb_command() -> list[str]:
    """The `pgb` entry point of this checkout (the console script of .venv may point at another one)."""
    return [sys.executable, "-m", "orchestration.cli"]


def tree_fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """relative path -> (sha256, mtime_ns) of every file below folder."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    """A package CSV (UTF-8 with a BOM, which utf-8-sig drops) or a fixture CSV (no BOM)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def mart_rows(warehouse: Path, month: str) -> list[dict[str, str]]:
    """fct_payee_month_payments of one month, in payments.csv's columns and text ('' for null, '68.00')."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select payee_siape, coalesce(payee_name, ''), coalesce(payee_unit_code, ''), approved_tasks,
                   rejected_tasks, held_tasks, amount::varchar, capped_amount::varchar
            from fct_payee_month_payments where reference_month = ? order by payee_siape
            """,
            [f"{month}-01"],
        ).fetchall()
    columns = ["payee_siape", "name", "unit_code", "approved_tasks", "rejected_tasks", "held_tasks", "amount",
               "capped_amount"]
    return [dict(zip(columns, map(str, row), strict=True)) for row in rows]


def close_materializations(dagster_home: Path) -> dict[str, dg.EventLogEntry]:
    """partition -> the close_package materialization recorded on the test's Dagster instance."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("close_package"), limit=100).records
        return {record.partition_key: record.event_log_entry for record in records}


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
    june_mart: list[dict[str, str]]
    june_stdout: str

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
    env = scratch_pgb_environment(root, exports)
    state = Closes(root, exports, reports, warehouse, env, {}, [], "")
    may = state.pgb("close", "--month", "2025-05", "--prepared-by", "Ana Operadora")
    assert may.returncode == 0, may.stdout[-3000:] + may.stderr[-3000:]
    june = state.pgb("close", "--month", "2025-06")
    assert june.returncode == 0, june.stdout[-3000:] + june.stderr[-3000:]
    state.june_mart, state.june_stdout = mart_rows(warehouse, "2025-06"), june.stdout
    state.june_before_july = tree_fingerprint(state.package("2025-06")) | {
        "ledger/2025-06.csv": tree_fingerprint(reports / "ledger")["2025-06.csv"]
    }
    for rows in JULY_ROWS.glob("raw_*.csv"):
        append_rows(rows, exports / rows.name)
    # The delivery holds a late Sisref schedule for June: June's partition is
    # materialized again (README, "Re-running after a late export") before July closes.
    june_again = state.pgb("run", "--month", "2025-06")
    assert june_again.returncode == 0, june_again.stdout[-3000:] + june_again.stderr[-3000:]
    july = state.pgb("close", "--month", "2025-07")
    assert july.returncode == 0, july.stdout[-3000:] + july.stderr[-3000:]
    return state


def test_pgb_close_materializes_close_package_for_the_partition(closes):
    records = close_materializations(Path(closes.env["DAGSTER_HOME"]))
    assert set(records) == {"2025-05-01", "2025-06-01", "2025-07-01"}
    june = records["2025-06-01"]
    metadata = june.asset_materialization.metadata
    package = closes.package("2025-06")
    assert metadata["package"].value == str(package)
    manifest_sha256 = hashlib.sha256((package / "manifest.json").read_bytes()).hexdigest()
    assert metadata["manifest_sha256"].value == manifest_sha256 and manifest_sha256 in closes.june_stdout
    assert metadata["totals"].value["approved_tasks"] == metadata["approved_tasks"].value > 0
    with dg.DagsterInstance.from_config(closes.env["DAGSTER_HOME"]) as instance:
        run = instance.get_run_by_id(june.run_id)
    assert run.job_name == "close_month" and run.tags["dagster/partition"] == "2025-06-01"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run"]["dagster_run_id"] == june.run_id == metadata["dagster_run_id"].value


def test_each_close_says_which_earlier_months_it_compared_task_by_task(closes):
    """May's close has no earlier month; June's finds May as May's close left it (nothing compared); July's, after
    June was run again with a late export, compares June only, whose fingerprint changed."""
    records = close_materializations(Path(closes.env["DAGSTER_HOME"]))
    joined = {month: record.asset_materialization.metadata["ledger_months_joined"].value
              for month, record in records.items()}
    assert joined == {"2025-05-01": "none", "2025-06-01": "none", "2025-07-01": "2025-06"}


def test_a_month_close_builds_from_the_copy_made_while_the_exports_were_checked(closes):
    """May's close (no warehouse yet) builds a new file; June's and July's take the copy of the published
    warehouse that `pgb close` made while the input checks ran, and leave no copy or replaced file behind."""
    records = close_materializations(Path(closes.env["DAGSTER_HOME"]))
    said = {}
    with dg.DagsterInstance.from_config(closes.env["DAGSTER_HOME"]) as instance:
        for month, record in records.items():
            said[month] = [entry.user_message for entry in instance.all_logs(record.run_id)
                           if entry.user_message.startswith("the build file starts as")]
    assert said["2025-05-01"] == ["the build file starts as a new file"]
    for month in ("2025-06-01", "2025-07-01"):
        [line] = said[month]
        assert line.startswith("the build file starts as the copy of pgb.duckdb made while the inputs were checked")
    assert sorted(path.name for path in closes.warehouse.parent.iterdir()
                  if ".tmp-" in path.name) == []


def test_june_payments_csv_equals_the_payments_mart(closes):
    payments = read_csv(closes.package("2025-06") / "payments.csv")
    assert closes.june_mart, "the mart has June rows"
    assert [{column: row[column] for column in closes.june_mart[0]} for row in payments] == closes.june_mart
    assert all(row["adjustments"] == "0.00" and row["net_amount"] == row["amount"] for row in payments)


def test_july_payments_csv_is_the_mart_plus_the_adjustments(closes):
    payments = read_csv(closes.package("2025-07") / "payments.csv")
    mart = {row["payee_siape"]: row for row in mart_rows(closes.warehouse, "2025-07")}
    for row in payments:
        expected = mart.get(row["payee_siape"]) or {  # a payee with only adjustments this month
            "approved_tasks": "0", "rejected_tasks": "0", "held_tasks": "0", "amount": "0.00", "capped_amount": "0.00"}
        assert {column: row[column] for column in expected if column in row} == {
            column: value for column, value in expected.items() if column in row}
        assert Decimal(row["net_amount"]) == Decimal(row["amount"]) + Decimal(row["adjustments"])
    assert set(mart) <= {row["payee_siape"] for row in payments}


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
    assert "-R$ 68,00" in summary and '<html lang="pt-BR">' in summary
    assert "T63" in summary.split("<h2>Tarefas retidas</h2>")[1].split("<h2>")[0]


def test_a_closed_month_is_refused_and_nothing_changes(closes):
    before = tree_fingerprint(closes.reports)
    result = closes.pgb("close", "--month", "2025-06")
    assert result.returncode == 2
    assert "2025-06 is already closed" in result.stderr and "adjustments in the next close" in result.stderr
    assert tree_fingerprint(closes.reports) == before


def test_the_first_close_starts_at_the_first_month_with_tasks_and_is_refused_at_once_otherwise(closes, tmp_path):
    """Nothing is skipped: with an empty ledger, June is refused while May (T51, R$ 68,00) is not closed."""
    may = closes.package("2025-05")
    assert [row["task_id"] for row in read_csv(may / "tasks.csv")] == ["T51"]
    assert "Ana Operadora" in (may / "summary.html").read_text(encoding="utf-8").split('id="assinaturas"')[1]
    fresh = {**closes.env, "PGB_REPORTS_DIR": str(tmp_path / "reports")}
    result = subprocess.run([*pgb_command(), "close", "--month", "2025-06"], cwd=REPO_ROOT, env=fresh,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "close 2025-05 first: it has 1 evaluated tasks (R$ 68,00)" in result.stderr
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").glob("close-*"))


def test_manifest_records_inputs_parameters_and_checksums(closes):
    package = closes.package("2025-07")
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["month"] == "2025-07" and manifest["closed_at"] and "commit" in manifest["git"]
    assert manifest["run"]["dagster_run_id"] and manifest["run"]["prepared_by"]
    assert set(manifest["versions"]) == {"dbt", "dbt_duckdb", "duckdb", "dagster", "great_expectations"}
    assert manifest["versions"]["duckdb"] == duckdb.__version__
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
    assert manifest["row_counts"]["tasks.csv"] == len(read_csv(package / "tasks.csv")) == manifest["totals"][
        "evaluated_tasks"]


def test_xlsx_opens_with_the_expected_sheets_and_totals(closes):
    package = closes.package("2025-07")
    workbook = load_workbook(package / "close.xlsx")
    assert workbook.sheetnames == ["Resumo", "Pagamentos", "Regras", "Unidades", "Ajustes", "Reprovações", "Retidas",
                                   "Parâmetros"]
    summary = {row[0]: row[1] for row in workbook["Resumo"].iter_rows(min_row=2, values_only=True)}
    payments = read_csv(package / "payments.csv")
    assert Decimal(str(summary["Valor líquido a pagar"])) == sum(Decimal(row["net_amount"]) for row in payments)
    assert summary["Ajustes de meses fechados (quantidade)"] == 2 and summary["Mês de referência"] == "07/2025"
    sheet = workbook["Pagamentos"]
    assert sheet.max_row == len(payments) + 2 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    net_column = [cell.value for cell in sheet[1]].index("Líquido a pagar") + 1
    assert "R$" in sheet.cell(row=2, column=net_column).number_format
    assert sheet.cell(row=sheet.max_row, column=1).value == "Total"
    assert Decimal(str(sheet.cell(row=sheet.max_row, column=net_column).value)) == Decimal(
        str(summary["Valor líquido a pagar"]))
    assert workbook["Ajustes"].cell(row=2, column=1).value == "T01"


def in_process_env(closes, monkeypatch) -> None:
    for name in ("PGB_EXPORTS_DIR", "PGB_DUCKDB_PATH", "PGB_REPORTS_DIR", "PGB_DBT_TARGET_PATH"):
        monkeypatch.setenv(name, closes.env[name])


def test_reopen_keeps_the_old_package_and_reproduces_it(closes, tmp_path, monkeypatch):
    """Same inputs, same package: only the signature block of summary.html (who, when, which run) and the
    manifest's closed_at, run, git, reopened and summary.html checksum differ."""
    in_process_env(closes, monkeypatch)
    reports = tmp_path / "reports"
    shutil.copytree(closes.reports, reports)
    result = close_month(Month(2025, 7), reports_dir=reports, project_dir=REPO_ROOT,
                         warehouse=closes.warehouse, reopen=True, reason="test reproduction")
    kept = reports / "reopened" / "close-2025-07.1"
    assert result.kept_package == kept
    for name in PACKAGE_FILES:
        if name not in ("manifest.json", "summary.html"):
            assert (kept / name).read_bytes() == (result.folder / name).read_bytes(), name
    old_page, new_page = ((folder / "summary.html").read_text(encoding="utf-8") for folder in (kept, result.folder))
    assert old_page.split('<section class="signatures"')[0] == new_page.split('<section class="signatures"')[0]
    old, new = (json.loads((folder / "manifest.json").read_text()) for folder in (kept, result.folder))
    for varying in ("closed_at", "run", "git", "reopened"):
        old.pop(varying), new.pop(varying)
    old["files"].pop("summary.html"), new["files"].pop("summary.html")
    assert old == new
    assert (reports / "ledger" / "reopened" / "2025-07.1.csv").exists()


def test_a_changed_export_after_the_checks_stops_the_close(closes, tmp_path, monkeypatch):
    """The SHA-256 the blocking check recorded must still be the file's: otherwise nothing is written."""
    in_process_env(closes, monkeypatch)
    reports = tmp_path / "reports"
    shutil.copytree(closes.reports / "ledger", reports / "ledger")  # May to July closed: August is next
    checked = {"raw_tasks": "0" * 64}
    with pytest.raises(CloseFailed, match="raw_tasks"):
        close_month(Month(2025, 8), reports_dir=reports, project_dir=REPO_ROOT, warehouse=closes.warehouse,
                    checked_inputs=checked)
    assert not reports.exists() or not any(reports.glob("close-*"))


def test_an_export_written_while_the_close_reads_the_warehouse_stops_it(closes, tmp_path, monkeypatch):
    """The inputs' states are taken before they are hashed and compared after the read: a byte changed in place
    (same size) meanwhile stops the close before anything is written."""
    in_process_env(closes, monkeypatch)
    exports = tmp_path / "exports"
    shutil.copytree(closes.exports, exports)
    monkeypatch.setenv("PGB_EXPORTS_DIR", str(exports))
    reports = tmp_path / "reports"
    shutil.copytree(closes.reports / "ledger", reports / "ledger")  # May to July closed: August is next
    reading = close_module.read_snapshot

    def read_while_a_file_changes(*args, **kwargs):
        tasks = exports / "raw_tasks.csv"
        text = tasks.read_text(encoding="utf-8")
        changed = text.replace("extraordinaria", "extraordinarib", 1)
        assert len(changed) == len(text) and changed != text
        tasks.write_text(changed, encoding="utf-8")
        return reading(*args, **kwargs)

    monkeypatch.setattr(close_module, "read_snapshot", read_while_a_file_changes)
    with pytest.raises(CloseFailed, match="changed while the close read the warehouse"):
        close_month(Month(2025, 8), reports_dir=reports, project_dir=REPO_ROOT, warehouse=closes.warehouse)
    assert not any(reports.glob("close-*")) and not any(reports.glob(".close-*"))
    assert sorted(path.name for path in (reports / "ledger").glob("*.csv")) == ["2025-05.csv", "2025-06.csv",
                                                                                "2025-07.csv"]


def test_a_close_past_the_early_checks_is_refused_by_the_asset(closes, monkeypatch):
    """The asset refuses by itself (pgb/refused), as the second of two racing closes does under the ledger lock."""
    in_process_env(closes, monkeypatch)
    before = tree_fingerprint(closes.reports)
    close_package = build_definitions(REPO_ROOT).resolve_assets_def("close_package")
    with dg.DagsterInstance.from_config(closes.env["DAGSTER_HOME"]) as instance:
        result = dg.materialize([close_package], instance=instance, partition_key="2025-06-01", raise_on_error=False)
    outcome = outcome_of("close_month", result)
    assert not outcome.success and outcome.step_errors == []
    [refusal] = outcome.refusals
    assert "2025-06 is already closed" in refusal
    assert REFUSED in result.get_step_failure_events()[0].step_failure_data.user_failure_data.metadata
    assert tree_fingerprint(closes.reports) == before


@pytest.mark.parametrize("damage", ["verdict of another month", "no verdict", "two verdicts"])
def test_a_payment_without_exactly_one_verdict_of_its_month_stops_the_close(closes, tmp_path, monkeypatch, damage):
    """The month's tasks are read with their verdicts of the same month only (fast at 24 months): a payment row
    that meets no such verdict, or two, stops the close with the task named instead of leaving it out."""
    in_process_env(closes, monkeypatch)
    warehouse = tmp_path / "pgb.duckdb"
    shutil.copy2(closes.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        [(task_id,)] = connection.execute("select min(task_id) from fct_task_payments "
                                          "where reference_month = date '2025-06-01'").fetchall()
        change = {
            "verdict of another month": "update fct_task_evaluations set reference_month = date '2025-05-01' "
                                        "where task_id = $task",
            "no verdict": "delete from fct_task_evaluations where task_id = $task",
            "two verdicts": "insert into fct_task_evaluations select * from fct_task_evaluations where task_id = $task",
        }[damage]
        connection.execute(change, {"task": task_id})
    with pytest.raises(CloseFailed, match="rebuild the month") as refusal:
        read_snapshot(warehouse, REPO_ROOT, Month.parse("2025-06"))
    if damage != "two verdicts":
        assert f"1 have none, e.g. task(s) {task_id}" in str(refusal.value)


@pytest.mark.parametrize(("month", "reopened"), [("2025-07", "2025-07"), ("2025-08", None)])
def test_the_ledger_read_by_duckdb_gives_the_adjustments_of_the_full_comparison(closes, monkeypatch, month, reopened):
    """The close reads the ledger in DuckDB and brings into Python only the earlier tasks whose standing
    differs from the warehouse: the adjustments and the history of closes are those of comparing everything."""
    in_process_env(closes, monkeypatch)
    ledger, closing = Ledger(closes.reports / "ledger"), Month.parse(month)
    excluding = Month.parse(reopened) if reopened else None
    everything = read_snapshot(closes.warehouse, REPO_ROOT, closing)
    by_ledger = read_snapshot(closes.warehouse, REPO_ROOT, closing, ledger_files=ledger.files(excluding))
    expected = find_adjustments(closing, EARLIEST_MONTH, ledger.standing(excluding), everything)
    assert find_adjustments(closing, EARLIEST_MONTH, by_ledger.ledger_standing, by_ledger) == expected
    assert len(by_ledger.tasks) < len(everything.tasks)
    history = [(row.month, row.amount, row.adjustments) for row in close_history(ledger.entries(excluding))]
    assert list(by_ledger.ledger_history) == history
    if reopened:  # July again, without July's own close: June's late task is an adjustment
        assert expected
        # ... found by joining only the months whose fingerprints differ: June's, not May's.
        assert by_ledger.ledger_months_joined == ("2025-06",)
    else:  # after a normal close the ledger's fingerprint (the copies) is the warehouse's (dbt): nothing is joined
        assert by_ledger.ledger_months_joined == ()
