"""The close package for the person who signs it: Portuguese, pt-BR money and dates, unit names, totals rows,
the rejected and held tasks (or, above a size, the summaries and links to the CSVs), a signature block; machine
CSVs with a BOM and '.' decimals; the same package written twice gives the same bytes. And the refusal of a close
while an earlier month with evaluated tasks is not closed."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from payroll_samples import decided, snapshot, task

import payroll.package
from payroll.close import check_earlier_months_closed
from payroll.errors import CloseRefused
from payroll.ledger import Ledger
from payroll.model import HELD, REJECTED, Violation
from payroll.money import brazilian_date, reais, whole_number
from payroll.months import Month
from payroll.package import Signature, build_package
from payroll.writers import html
from payroll.writers.csv_files import write_csv_files
from payroll.writers.html import write_summary
from payroll.writers.manifest import run_section, tool_versions
from payroll.writers.xlsx import write_xlsx

JUNE, JULY = Month(2025, 6), Month(2025, 7)
SIGNATURE = Signature("Ana Operadora", datetime(2025, 8, 4, 9, 30), "run-1234")
EVIDENCE = "Conclusão em 02/06/2025 19:00, dentro do intervalo Sisref previsto 18:00-22:00."


def sample_package(**changes):
    tasks = [
        task("T01", outcome=REJECTED, rules="R404,R421", amount="0"),
        task("T02", concluded="2025-06-03 20:00:00"),
        task("T03", payee="0100002", concluded="2025-06-04 20:00:00", payable="10.00"),
        task("T04", payee="0100002", outcome=HELD, amount="0", held_reason="sem intervalo Sisref no mês"),
        task("T05", payee="0100003", concluded="2025-06-05 20:00:00"),
    ]
    violations = [Violation("T01", "R404", "Conclusão no expediente", EVIDENCE),
                  Violation("T01", "R421", "Sem NB", "Tarefa sem NB.")]
    base = snapshot(tasks, JUNE, violations=violations, unit_names={"APS01": "APS Centro"})
    payments = tuple(replace(row, amount=row.amount * 1000) for row in base.month_payments)  # thousands separators
    return build_package(JUNE, replace(base, month_payments=payments), {}, [], JUNE, signature=SIGNATURE, **changes)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_brazilian_money_dates_and_counts():
    assert reais(Decimal("60180")) == "R$ 60.180,00"
    assert reais(Decimal("-68")) == "-R$ 68,00"
    assert reais(Decimal("0.5")) == "R$ 0,50"
    assert brazilian_date(date(2025, 6, 2)) == "02/06/2025"
    assert brazilian_date(datetime(2025, 6, 2, 19, 5)) == "02/06/2025 19:05"
    assert whole_number(1209824) == "1.209.824"


def test_summary_html_is_portuguese_with_the_task_lists_totals_and_signatures(tmp_path):
    page = write_summary(sample_package(), tmp_path / "summary.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in page and "junho de 2025" in page
    assert "R$ 146.000,00" in page  # the sum of the mart's amounts, pt-BR
    assert "R$ 146,000.00" not in page
    assert "APS Centro" in page  # the unit's name beside its code
    assert page.count('<tr class="total">') == 2  # units and closes
    rejected = page.split("<h2>Tarefas reprovadas</h2>")[1].split("<h2>")[0]
    assert "T01" in rejected and "0100001 Name 0100001" in rejected and "R404, R421" in rejected
    assert "R404: Conclusão em 02/06/2025 19:00" in rejected and "R421: Tarefa sem NB." in rejected
    assert "02/06/2025 19:00" in rejected
    held = page.split("<h2>Tarefas retidas</h2>")[1].split("<h2>")[0]
    assert "T04" in held and "sem intervalo Sisref no mês" in held
    signatures = page.split('id="assinaturas"')[1]
    assert "Ana Operadora" in signatures and "04/08/2025 09:30" in signatures and "run-1234" in signatures
    assert "Conferido por" in signatures and "Aprovado por" in signatures


def test_above_the_size_limit_the_page_links_the_csv_instead_of_listing(tmp_path, monkeypatch):
    monkeypatch.setattr(html, "HTML_TASK_LIST_LIMIT", 1)
    page = write_summary(sample_package(), tmp_path / "summary.html").read_text(encoding="utf-8")
    rejected = page.split("<h2>Tarefas reprovadas</h2>")[1].split("<h2>")[0]
    assert "T01" not in rejected and '<a href="rejections.csv">' in rejected and "2 linhas" in rejected
    held = page.split("<h2>Tarefas retidas</h2>")[1].split("<h2>")[0]
    assert "T04" in held  # one row is within the limit
    assert "R404" in page.split("<h2>Reprovações por regra</h2>")[1]  # the per-rule summary stays


def test_xlsx_is_portuguese_with_numbers_formats_and_totals_rows(tmp_path):
    package = sample_package()
    workbook = load_workbook(write_xlsx(package, tmp_path / "close.xlsx"))
    assert workbook.sheetnames == ["Resumo", "Pagamentos", "Regras", "Unidades", "Ajustes", "Reprovações", "Retidas",
                                   "Parâmetros"]
    payments = workbook["Pagamentos"]
    header = [cell.value for cell in payments[1]]
    assert header[:4] == ["SIAPE", "Nome", "Unidade", "Nome da unidade"]
    net = header.index("Líquido a pagar") + 1
    last = payments.max_row
    assert last == len(package.payments) + 2 and payments.cell(row=last, column=1).value == "Total"
    assert Decimal(str(payments.cell(row=last, column=net).value)) == package.totals["net_amount"]
    assert payments.cell(row=2, column=net).data_type == "n"
    assert "R$-416" in payments.cell(row=2, column=net).number_format
    assert payments.cell(row=2, column=4).value == "APS Centro"
    units = workbook["Unidades"]
    assert units.cell(row=units.max_row, column=1).value == "Total"
    assert workbook["Ajustes"].cell(row=2, column=1).value == "Total"  # no adjustment: the totals row alone
    concluded = workbook["Reprovações"].cell(row=2, column=3)
    assert concluded.is_date and concluded.number_format == "dd/mm/yyyy hh:mm:ss"
    summary = {row[0]: row[1] for row in workbook["Resumo"].iter_rows(min_row=2, values_only=True)}
    assert summary["Mês de referência"] == "06/2025" and summary["Aprovadas"] == 3
    assert summary["Tarefas reprovadas, por regra, com a evidência"] == "aba Reprovações e rejections.csv"


def test_above_the_xlsx_limit_the_task_lists_are_only_in_the_csvs(tmp_path, monkeypatch):
    monkeypatch.setattr(payroll.package, "XLSX_TASK_LIST_LIMIT", 1)
    package = sample_package()
    assert not package.rejections.in_package and package.held.in_package
    workbook = load_workbook(write_xlsx(package, tmp_path / "close.xlsx"))
    assert "Reprovações" not in workbook.sheetnames and "Retidas" in workbook.sheetnames
    summary = {row[0]: row[1] for row in workbook["Resumo"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tarefas reprovadas, por regra, com a evidência"].startswith("somente em rejections.csv (2 linhas")
    write_csv_files(package, tmp_path)
    assert [row["rule_code"] for row in read_csv(tmp_path / "rejections.csv")] == ["R404", "R421"]


def test_machine_csvs_start_with_a_bom_and_keep_dot_decimals(tmp_path):
    write_csv_files(sample_package(), tmp_path)
    for name in ("payments.csv", "adjustments.csv", "tasks.csv", "rejections.csv", "held.csv"):
        assert (tmp_path / name).read_bytes().startswith(b"\xef\xbb\xbfpayee_siape" if name == "payments.csv"
                                                          else b"\xef\xbb\xbf"), name
    tasks = read_csv(tmp_path / "tasks.csv")
    assert [row["task_id"] for row in tasks] == ["T01", "T02", "T03", "T04", "T05"]
    t03 = tasks[2]
    assert (t03["due_amount"], t03["payable_amount"], t03["capped_amount"]) == ("68.00", "10.00", "58.00")
    assert tasks[0]["concluded_at"] == "2025-06-02 19:00:00" and tasks[0]["rules"] == "R404,R421"
    payments = read_csv(tmp_path / "payments.csv")
    assert payments[0]["amount"] == "68000.00" and payments[0]["unit_name"] == "APS Centro"


def test_the_same_package_written_twice_gives_the_same_bytes(tmp_path):
    def written(folder: Path) -> dict[str, str]:
        folder.mkdir()
        package = sample_package()
        write_csv_files(package, folder)
        write_xlsx(package, folder / "close.xlsx")
        write_summary(package, folder / "summary.html")
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir()}

    first, second = written(tmp_path / "a"), written(tmp_path / "b")
    assert len(first) == 7 and first == second


def test_ledger_rows_stream_from_the_month_database_then_the_adjustments():
    package = build_package(JULY, snapshot([task("T01"), task("T60", concluded="2025-07-01 19:00:00")], JULY),
                            {"T01": decided("T01", paid="0.00", outcome=HELD)}, [], JUNE)
    rows = [entry.as_row() for entry in package.ledger_entries]
    assert [(row["entry"], row["task_id"], row["reference_month"], row["delta_amount"]) for row in rows] == [
        ("decision", "T60", "2025-07", "68.00"), ("adjustment", "T01", "2025-06", "68.00")]
    assert len(package.ledger_entries) == 2


def test_manifest_sections_name_the_run_and_the_tool_versions():
    assert run_section(sample_package()) == {"dagster_run_id": "run-1234", "prepared_by": "Ana Operadora",
                                             "prepared_at": "2025-08-04T09:30:00"}
    versions = tool_versions()
    assert set(versions) == {"dbt", "dbt_duckdb", "duckdb", "dagster", "great_expectations"}
    assert versions["duckdb"] == duckdb.__version__ and all(versions.values())


def small_warehouse(path: Path, tasks: list[tuple[str, str, str, str]], built: dict[str, str]) -> Path:
    """stg_get__tasks (queue, status, concluded_at), the program start, and fct_task_payments of the built months."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table stg_get__tasks (task_id varchar, queue_type varchar, status varchar, "
                           "concluded_at timestamp)")
        connection.executemany("insert into stg_get__tasks values (?, ?, ?, ?)", tasks)
        connection.execute("create table int_parameters__in_force_by_day as select cast(day as date) as day, "
                           "date '2025-05-19' as program_start from range(date '2025-01-01', date '2026-01-01', "
                           "interval 1 day) as days(day)")
        connection.execute("create table fct_task_payments (task_id varchar, reference_month date, "
                           "payable_amount decimal(18, 2))")
        for task_id, amount in built.items():
            connection.execute("insert into fct_task_payments values (?, date '2025-05-01', ?)", [task_id, amount])
    return path


def test_a_close_is_refused_while_an_earlier_month_with_tasks_is_not_closed(tmp_path):
    tasks = [("M1", "extraordinaria", "concluida", "2025-05-20 19:00:00"),
             ("M2", "extraordinaria", "concluida", "2025-05-21 19:00:00"),
             ("OLD", "extraordinaria", "concluida", "2025-05-18 19:00:00"),  # before the program start
             ("ORD", "ordinaria", "concluida", "2025-04-20 19:00:00"),  # not an evaluated task
             ("J1", "extraordinaria", "concluida", "2025-06-02 19:00:00")]
    warehouse = small_warehouse(tmp_path / "w.duckdb", tasks, {"M1": "68.00", "M2": "68.00"})
    ledger = Ledger(tmp_path / "ledger")
    with pytest.raises(CloseRefused, match=r"close 2025-05 first: it has 2 evaluated tasks \(R\$ 136,00\)"):
        check_earlier_months_closed(JUNE, ledger, warehouse, tmp_path)
    check_earlier_months_closed(Month(2025, 5), ledger, warehouse, tmp_path)  # nothing before May
    check_earlier_months_closed(JUNE, ledger, tmp_path / "missing.duckdb", tmp_path)  # nothing built: the build decides
    ledger.write_close(Month(2025, 5), [decided("M1", month="2025-05")])
    check_earlier_months_closed(JUNE, ledger, warehouse, tmp_path)


def test_a_month_whose_partition_is_not_built_is_named_without_an_amount(tmp_path):
    tasks = [("M1", "extraordinaria", "concluida", "2025-05-20 19:00:00")]
    warehouse = small_warehouse(tmp_path / "w.duckdb", tasks, {})
    with pytest.raises(CloseRefused, match=r"close 2025-05 first: it has 1 evaluated tasks \(amount not built yet\)"):
        check_earlier_months_closed(JUNE, Ledger(tmp_path / "ledger"), warehouse, tmp_path)


def test_the_ledger_file_written_through_duckdb_is_the_one_csv_would_write(tmp_path):
    """Ledger.write_close takes the COPY path for a close's rows; the bytes equal the row-by-row csv path."""
    tasks = [task("T01", outcome=REJECTED, rules="R404,R421", amount="0"), task("T02", concluded="2025-07-02 20:00:00"),
             task("T03", payee="0100002", concluded="2025-07-03 20:00:00", payable="10.00"),
             task("T04", payee="0100002", concluded="2025-07-04 20:00:00", outcome=HELD, amount="0",
                  held_reason="sem Sisref"),
             task("T05", concluded="2025-07-05 20:00:00", outcome=REJECTED, rules="R404,R421", amount="0")]
    standing = {"T01": decided("T01")}
    package = build_package(JULY, snapshot(tasks, JULY), standing, [], JUNE)
    fast = Ledger(tmp_path / "fast").write_close(JULY, package.ledger_entries)
    slow = Ledger(tmp_path / "slow").write_close(JULY, list(package.ledger_entries))
    assert fast.read_bytes() == slow.read_bytes()
    assert [entry.task_id for entry in Ledger(tmp_path / "fast").entries()] == ["T02", "T03", "T04", "T05", "T01"]
    assert not list((tmp_path / "fast").glob(".ledger-*"))  # the scratch file is gone
