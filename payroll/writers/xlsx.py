"""close.xlsx, in Portuguese: what a person reads, streamed with openpyxl's write-only mode.

Sheets: Resumo, Pagamentos (one row per professional), Regras, Unidades,
Ajustes, Reprovações and Retidas (only when the month has at most
XLSX_TASK_LIST_LIMIT rows of each; otherwise the summary says which CSV
holds them), Parâmetros. Money and counts are real numbers with a pt-BR
display format (the R$ symbol tagged with the pt-BR locale, 0x416), dates
real dates shown dd/mm/aaaa; every money sheet ends with a totals row.

openpyxl stamps the save time into docProps/core.xml and into every zip
entry; both are replaced by a date derived from the month, so the same
close written twice gives the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from payroll.adjustments import OUTCOME_WORDS
from payroll.money import total, whole_number
from payroll.package import XLSX_TASK_LIST_LIMIT, ClosePackage, TaskList
from payroll.writers.tables import neutralize_formula

MONEY_FORMAT = '[$R$-416] #,##0.00;[Red]-[$R$-416] #,##0.00'
COUNT_FORMAT = "#,##0"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
DATE_FORMAT = "dd/mm/yyyy"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TOTAL_FONT = Font(bold=True)
TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_COLUMN_WIDTH = 80
TOTAL_LABEL = "Total"

MONEY, COUNT, TEXT, DATETIME, DATE = "money", "count", "text", "datetime", "date"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    summed: bool = False  # in the totals row


def month_text(month: object) -> str:
    """'2025-06' -> '06/2025'."""
    year, number = str(month).split("-")
    return f"{number}/{year}"


def write_xlsx(package: ClosePackage, path: Path) -> Path:
    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, package)
    _payments_sheet(workbook, package)
    _rules_sheet(workbook, package)
    _units_sheet(workbook, package)
    _adjustments_sheet(workbook, package)
    if package.rejections.in_package:
        _sheet(workbook, "Reprovações", [
            Column("Tarefa"), Column("SIAPE"), Column("Concluída em", DATETIME), Column("Regras da tarefa"),
            Column("Regra"), Column("Título da regra"), Column("Evidência"),
        ], [[r.task_id, r.payee_siape, r.concluded_at, r.rules, r.rule_code, r.rule_title, r.evidence]
            for r in package.rejections.rows])
    if package.held.in_package:
        _sheet(workbook, "Retidas", [
            Column("Tarefa"), Column("SIAPE"), Column("Concluída em", DATETIME), Column("Motivo"),
        ], [[r.task_id, r.payee_siape, r.concluded_at, r.reason] for r in package.held.rows])
    _sheet(workbook, "Parâmetros", [
        Column("Parâmetro"), Column("Valor"), Column("Em vigor desde", DATE), Column("Em vigor até", DATE),
        Column("Publicado em", DATE), Column("Fonte legal"),
    ], [[p.name, p.value, p.effective_from, p.effective_to, p.published_on, p.legal_source] for p in package.parameters])
    workbook.save(path)
    _make_reproducible(path, datetime(package.month.next().year, package.month.next().month, 1))
    return path


def where_the_list_is(task_list: TaskList, sheet: str) -> str:
    if task_list.in_package:
        return f"aba {sheet} e {task_list.csv_name}"
    return (f"somente em {task_list.csv_name} ({whole_number(task_list.count)} linhas, acima do limite de "
            f"{whole_number(XLSX_TASK_LIST_LIMIT)} linhas desta planilha)")


def _summary_sheet(workbook: Workbook, package: ClosePackage) -> None:
    totals = package.totals
    rows: list[list[object]] = [
        ["Mês de referência", month_text(package.month), TEXT],
        ["Primeiro mês do registro de fechamentos", month_text(package.ledger_start), TEXT],
        ["Profissionais no pagamento", totals["payees"], COUNT],
        ["Tarefas avaliadas no mês", totals["evaluated_tasks"], COUNT],
        ["Aprovadas", totals["approved_tasks"], COUNT],
        ["Reprovadas", totals["rejected_tasks"], COUNT],
        ["Retidas (aguardando dados)", totals["held_tasks"], COUNT],
        ["Aprovadas x valor em vigor", totals["gross_amount"], MONEY],
        ["Retido pelo teto por profissional", totals["capped_amount"], MONEY],
        ["Valor das tarefas do mês", totals["amount"], MONEY],
        ["Ajustes de meses fechados (quantidade)", totals["adjustments_count"], COUNT],
        ["Soma dos ajustes", totals["adjustments_amount"], MONEY],
        ["Valor líquido a pagar", totals["net_amount"], MONEY],
        ["Todas as tarefas avaliadas e seus resultados", "tasks.csv", TEXT],
        ["Tarefas reprovadas, por regra, com a evidência", where_the_list_is(package.rejections, "Reprovações"), TEXT],
        ["Tarefas retidas e o motivo", where_the_list_is(package.held, "Retidas"), TEXT],
    ]
    sheet = workbook.create_sheet("Resumo")
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 70
    sheet.append(_header(sheet, ["Item", "Valor"]))
    for label, value, kind in rows:
        sheet.append([label, _cell(sheet, value, kind)])


def _payments_sheet(workbook: Workbook, package: ClosePackage) -> None:
    _sheet(workbook, "Pagamentos", [
        Column("SIAPE"), Column("Nome"), Column("Unidade"), Column("Nome da unidade"),
        Column("Aprovadas", COUNT, True), Column("Reprovadas", COUNT, True), Column("Retidas", COUNT, True),
        Column("Valor do mês", MONEY, True), Column("Retido pelo teto", MONEY, True), Column("Ajustes", MONEY, True),
        Column("Líquido a pagar", MONEY, True),
    ], [[p.payee_siape, p.name, p.unit_code, p.unit_name, p.approved_tasks, p.rejected_tasks, p.held_tasks,
         p.amount, p.capped_amount, p.adjustments, p.net_amount] for p in package.payments])


def _rules_sheet(workbook: Workbook, package: ClosePackage) -> None:
    _sheet(workbook, "Regras", [Column("Regra"), Column("Título (Portaria 1.839/2025, Anexo II)"),
                                Column("Tarefas reprovadas", COUNT)],
           [[r.rule_code, r.rule_title, r.tasks] for r in package.rejections_by_rule])


def _units_sheet(workbook: Workbook, package: ClosePackage) -> None:
    _sheet(workbook, "Unidades", [
        Column("Unidade"), Column("Nome da unidade"), Column("Profissionais", COUNT, True),
        Column("Aprovadas", COUNT, True), Column("Reprovadas", COUNT, True), Column("Retidas", COUNT, True),
        Column("Valor do mês", MONEY, True), Column("Ajustes", MONEY, True), Column("Líquido a pagar", MONEY, True),
    ], [[u.unit_code, u.unit_name, u.payees, u.approved_tasks, u.rejected_tasks, u.held_tasks, u.amount,
         u.adjustments, u.net_amount] for u in package.amount_by_unit])


def _adjustments_sheet(workbook: Workbook, package: ClosePackage) -> None:
    _sheet(workbook, "Ajustes", [
        Column("Tarefa"), Column("Mês da tarefa"), Column("SIAPE"), Column("Antes"), Column("Agora"),
        Column("Valor pago antes", MONEY, True), Column("Valor devido agora", MONEY, True),
        Column("Diferença", MONEY, True), Column("Regras"), Column("Motivo"),
    ], [[a.task_id, month_text(a.original_month), a.payee_siape, OUTCOME_WORDS.get(a.previous_outcome,
         a.previous_outcome), OUTCOME_WORDS.get(a.new_outcome, a.new_outcome), a.previous_amount, a.new_amount,
         a.delta_amount, a.rules, a.reason] for a in package.adjustments])


def _sheet(workbook: Workbook, title: str, columns: Sequence[Column], rows: list[list[object]]) -> None:
    """A table: header frozen, filters on, widths from the content, a totals row when a column is summed."""
    sheet = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        width = max([len(column.title)] + [len(_shown(row[index - 1])) for row in rows[:5000]])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 3, MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    sheet.append(_header(sheet, [column.title for column in columns]))
    cells = [_ColumnCells(sheet, column.kind) for column in columns]
    for row in rows:
        sheet.append([cell(value) for value, cell in zip(row, cells, strict=True)])
    if any(column.summed for column in columns):
        sums = [_column_total([row[index] for row in rows]) if column.summed else None
                for index, column in enumerate(columns)]
        sums[0] = TOTAL_LABEL
        sheet.append([_cell(sheet, value, column.kind, total_row=True) for value, column in zip(sums, columns,
                                                                                                 strict=True)])


def _column_total(values: Iterable[object]) -> object:
    values = list(values)
    if values and isinstance(values[0], Decimal):
        return total(values)
    return sum(values)


def _header(sheet, titles: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cells.append(cell)
    return cells


class _ColumnCells:
    """_cell for one column of a table, reusing one formatted cell for all its rows.

    openpyxl's write-only sheet writes a row as soon as it is appended, so one cell can carry each row's value
    in turn: a national month's 10,000 payees x 7 formatted columns otherwise cost 70,000 cells, each with its
    style looked up again (about 0.4 s of the workbook's 1.5 s). The cell is made at the column's first
    formatted value, as _cell would, so the workbook's styles are registered in the same order.
    """

    def __init__(self, sheet, kind: str):
        self.sheet, self.kind = sheet, kind
        self.formatted: WriteOnlyCell | None = None

    def __call__(self, value: object) -> object:
        if self.kind not in _FORMATS or value is None or value == "" or isinstance(value, str):
            return _cell(self.sheet, value, self.kind)
        if self.formatted is None:
            self.formatted = _cell(self.sheet, value, self.kind)
        else:
            self.formatted.value = value
        return self.formatted


_FORMATS = {MONEY: MONEY_FORMAT, COUNT: COUNT_FORMAT, DATETIME: DATETIME_FORMAT, DATE: DATE_FORMAT}


def _cell(sheet, value: object, kind: str, total_row: bool = False) -> object:
    """Money and counts stay numbers, dates stay dates; text never becomes a formula; '' is an empty cell."""
    if value is None or value == "":
        return WriteOnlyCell(sheet, value=None) if total_row else None
    if isinstance(value, str):
        value = neutralize_formula(value)
    if kind not in _FORMATS and not total_row:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if kind in _FORMATS and not isinstance(value, str):
        cell.number_format = _FORMATS[kind]
    if total_row:
        cell.font, cell.fill = TOTAL_FONT, TOTAL_FILL
    return cell


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return "00/00/0000 00:00:00"
    if isinstance(value, date):
        return "00/00/0000"
    if isinstance(value, Decimal):
        return f"R$ {value:,.2f}"
    return "" if value is None else str(value)


def _make_reproducible(path: Path, stamp: datetime) -> None:
    """Same content, fixed timestamps: rewrite the zip entries in the same order."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), data)
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
