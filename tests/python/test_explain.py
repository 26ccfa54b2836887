"""`pgb explain`: a rejected, an approved, a held and an unknown task, and a professional's statement (text, HTML).

The warehouse is built once for the module from the hand-written fixture
tests/fixtures/pgb_rules (contract section 6, only the models the verdicts
need). What each task should be comes from that fixture's
expected_task_outcomes.csv and raw_tasks.csv, never from the models' output.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from contract_flow import copy_project, query, run_dbt
from orchestration.cli import main
from payroll.explain import PayeeStatement, TaskVerdict, data_br, reais, statement_html
from payroll.months import Month

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "pgb_rules"
VERDICT_MODELS = "+fct_task_rule_violations +fct_payee_month_payments"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


EXPECTED = {row["task_id"]: row for row in read_csv(FIXTURE_DIR / "expected_task_outcomes.csv")}
TASKS = {row["task_id"]: row for row in read_csv(FIXTURE_DIR / "raw_tasks.csv")}
RULES = {row["rule_code"]: row for row in read_csv(REPO_ROOT / "seeds" / "ref_rules.csv")}


def first_task(outcome: str, rules: str | None = None) -> str:
    return next(task for task, row in EXPECTED.items()
                if row["outcome"] == outcome and (rules is None or row["rejection_rules"] == rules))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    scratch = tmp_path_factory.mktemp("explain")
    project = copy_project(scratch / "project")
    for export in FIXTURE_DIR.glob("raw_*.csv"):
        shutil.copy2(export, project / "seeds" / export.name)
    path = scratch / "explain.duckdb"
    env = {**os.environ, "PGB_DUCKDB_PATH": str(path)}
    env.pop("PGB_EXPORTS_DIR", None)
    run_dbt(project, "seed", "--full-refresh", env=env)
    run_dbt(project, "run", "--select", *VERDICT_MODELS.split(), env=env)
    return path


@pytest.fixture
def explain(warehouse, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PGB_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("PGB_REPORTS_DIR", str(tmp_path / "reports"))

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(["explain", *argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_a_rejected_task_shows_each_rule_with_title_source_and_evidence(explain, warehouse):
    task = first_task("rejected", "R404")
    status, out, _ = explain(task)
    assert status == 0
    assert f"Tarefa {task}: REJEITADA (rejected)" in out
    assert "pagamento: R$ 0,00 (tarefa rejeitada)" in out
    [(evidence,)] = query(warehouse, f"select evidence from fct_task_rule_violations where task_id = '{task}'")
    assert f"R404: {RULES['R404']['title']}" in out
    assert f"fonte: {RULES['R404']['legal_source']}" in out
    assert f"evidência: {evidence}" in out
    assert f"servidor {TASKS[task]['concluded_by']}" in out


def test_a_task_two_rules_reject_lists_both(explain):
    task, row = next((task, row) for task, row in EXPECTED.items() if "," in row["rejection_rules"])
    status, out, _ = explain(task)
    assert status == 0
    codes = row["rejection_rules"].split(",")
    assert f"{len(codes)} regras rejeitam a tarefa:" in out
    assert [line.split(":")[0].strip() for line in out.splitlines() if re.match(r"^    R\d{3}:", line)] == codes


def test_an_approved_task_shows_its_payment_and_no_rule(explain):
    task = first_task("approved")
    status, out, _ = explain(task)
    assert status == 0
    assert f"Tarefa {task}: APROVADA (approved)" in out
    assert "pagamento: R$ 68,00" in out
    assert "regra" not in out and "retida" not in out
    concluded = datetime.fromisoformat(TASKS[task]["concluded_at"])
    assert f"concluída em {concluded:%d/%m/%Y %H:%M:%S}" in out


def test_a_held_task_says_why(explain, warehouse):
    task = first_task("held")
    status, out, _ = explain(task)
    assert status == 0
    assert f"Tarefa {task}: RETIDA (held)" in out
    [(reason,)] = query(warehouse, f"select held_reason from fct_task_evaluations where task_id = '{task}'")
    assert reason and f"retida porque: {reason}" in out


def test_an_unknown_task_exits_1_with_a_clear_message(explain):
    status, out, err = explain("T_NO_SUCH_TASK")
    assert status == 1 and out == ""
    assert "'T_NO_SUCH_TASK' is not an evaluated task" in err and "no task with this id" in err


def test_a_task_outside_the_evaluated_scope_says_why(explain):
    task = next(task for task, row in TASKS.items() if task not in EXPECTED)
    status, _, err = explain(task)
    assert status == 1
    assert f"GET has it (queue_type {TASKS[task]['queue_type']}, status {TASKS[task]['status']}" in err


def test_usage_errors_exit_2(explain, tmp_path):
    assert explain()[0] == 2
    assert explain("--payee", "0100001")[0] == 2  # no --month
    status, _, err = explain("T01", "--html")
    assert status == 2 and "usage: pgb explain" in err
    with pytest.raises(SystemExit):
        explain("--payee", "123", "--month", "2025-06")  # not 7 digits


def expected_statement(payee: str, month: str) -> dict[str, str]:
    """task -> expected outcome of the payee's evaluated tasks in the month, from the fixture alone."""
    return {task: EXPECTED[task]["outcome"] for task, row in TASKS.items()
            if task in EXPECTED and row["concluded_by"] == payee and row["concluded_at"].startswith(month)}


def busiest_payee_month() -> tuple[str, str]:
    counts = Counter((row["concluded_by"], row["concluded_at"][:7]) for task, row in TASKS.items() if task in EXPECTED)
    return counts.most_common(1)[0][0]


def test_the_payee_statement_lists_every_task_and_the_totals(explain):
    payee, month = busiest_payee_month()
    expected = expected_statement(payee, month)
    assert {"approved", "rejected"} <= set(expected.values())  # the statement shows both kinds
    status, out, _ = explain("--payee", payee, "--month", month)
    assert status == 0
    words = {"approved": "aprovada", "rejected": "rejeitada", "held": "retida"}
    task_lines = [line.split() for line in out.splitlines() if re.match(r"^  \S+\s+\d\d/\d\d/\d{4}", line)]
    assert {line[0]: line[3] for line in task_lines} == {task: words[outcome] for task, outcome in expected.items()}
    counts = Counter(expected.values())
    to_pay = reais(Decimal("68.00") * counts["approved"])
    assert (f"total: {counts['approved']} aprovada" in out and f"{counts['rejected']} rejeitada" in out
            and f"a pagar {to_pay}" in out)


def test_a_payee_without_tasks_in_the_month_exits_1(explain):
    status, _, err = explain("--payee", "0100001", "--month", "2024-01")
    assert status == 1 and "has no evaluated task in 2024-01" in err


def test_the_statement_page_is_pt_br_and_written_where_asked(explain, tmp_path):
    payee, month = busiest_payee_month()
    page = tmp_path / "extrato.html"
    status, out, _ = explain("--payee", payee, "--month", month, "--html", str(page))
    assert status == 0 and f"HTML: {page}" in out
    text = page.read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in text
    approved = Counter(expected_statement(payee, month).values())["approved"]
    assert f"a pagar {reais(Decimal('68.00') * approved)}" in text
    assert re.search(r"<td>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d</td>", text)
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:", text.split("<h2>")[0])  # no ISO timestamp in the task table


def test_html_without_a_path_writes_a_named_file_and_prints_it(explain, tmp_path):
    payee, month = busiest_payee_month()
    status, out, _ = explain("--payee", payee, "--month", month, "--html")
    written = tmp_path / "reports" / "extratos" / f"extrato-{payee}-{month}.html"
    assert status == 0 and f"HTML: {written}" in out and written.exists()


def test_brazilian_money_and_dates():
    assert reais(Decimal("1234.5")) == "R$ 1.234,50"
    assert reais(Decimal("60180")) == "R$ 60.180,00"
    assert reais(Decimal("-68")) == "-R$ 68,00"
    assert reais(Decimal("1234567.891")) == "R$ 1.234.567,89"
    assert data_br(date(2025, 6, 3)) == "03/06/2025"
    assert data_br(datetime(2025, 6, 3, 14, 30)) == "03/06/2025 14:30:00"


def test_the_page_escapes_every_text_from_the_warehouse():
    hostile = '<script>alert("x")</script>'
    task = TaskVerdict(
        task_id="T<1>", payee_siape="0100001", reference_month=Month(2025, 6), service_code=1,
        service_name=hostile, nb=None, concluded_at=datetime(2025, 6, 2, 19), outcome="held",
        held_reason=hostile, rejection_rules="", due_amount=Decimal("0"), payable_amount=Decimal("0"),
        capped_amount=Decimal("0"), payee_name=hostile, payee_unit_code="U&1",
    )
    statement = PayeeStatement("0100001", Month(2025, 6), hostile, "U&1", 0, 0, 1, Decimal("0"), Decimal("0"),
                               Decimal("0"), (task,))
    page = statement_html(statement, date(2025, 8, 5))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "T&lt;1&gt;" in page and "U&amp;1" in page
    assert "Gerado em 05/08/2025" in page


def test_explain_starts_no_dagster(warehouse):
    """`pgb explain` only reads the warehouse: Dagster is never imported."""
    task = first_task("approved")
    code = ("import sys; from orchestration.cli import main; status = main(['explain', %r]); "
            "sys.exit(10 if any(name.split('.')[0] == 'dagster' for name in sys.modules) else status)") % task
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "PGB_DUCKDB_PATH": str(warehouse)})
    assert result.returncode == 0, result.stderr
