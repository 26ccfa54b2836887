"""summary.html: one self-contained page in Portuguese (charts embedded as base64 PNG, inline CSS).

For the person who signs the close: totals, rejections by rule, amounts by
unit (code and name), the rejected tasks with their rules and evidence, the
held tasks with their reasons, the adjustments, and a signature block.
Money reads R$ 60.180,00 and dates dd/mm/aaaa. Above HTML_TASK_LIST_LIMIT
rows a task list is replaced by a note and a link to its CSV (a national
month has tens of thousands of rejections); the summaries stay.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from html import escape
from pathlib import Path

from payroll.adjustments import OUTCOME_WORDS
from payroll.money import brazilian_date, reais, total, whole_number
from payroll.package import HTML_TASK_LIST_LIMIT, ClosePackage, TaskList
from payroll.writers.charts import chart_png, draw_amount_by_unit, draw_history, draw_rejections_by_rule
from payroll.writers.xlsx import month_text

MONTH_NAMES = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
               "outubro", "novembro", "dezembro")
STYLE = """
body { font-family: -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #222; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .muted { color: #666; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1.2rem 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .7rem 1rem; min-width: 130px; }
.card .value { font-size: 1.5rem; font-weight: bold; color: #1f4e79; } .card .label { color: #666; font-size: .9rem; }
.card.net .value { color: #2e7d32; } .card.neg .value { color: #c0392b; }
table { border-collapse: collapse; margin: .6rem 0 1.6rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .35rem .7rem; text-align: left; vertical-align: top; }
th { background: #1f4e79; color: #fff; } td.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; background: #ddebf7; border-top: 2px solid #1f4e79; }
img { max-width: 100%; } .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .6rem 1rem; }
.signatures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1.5rem; margin: 1rem 0 2rem; }
.signatures div { border: 1px solid #ccc; border-radius: 6px; padding: .8rem 1rem; min-height: 7rem; }
.signatures .line { border-bottom: 1px solid #333; height: 2.2rem; margin-bottom: .3rem; }
@media print { .cards, img { break-inside: avoid; } .signatures { break-inside: avoid; } }
"""


def month_words(package: ClosePackage) -> str:
    return f"{MONTH_NAMES[package.month.month - 1]} de {package.month.year}"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           totals: list[str] | None = None) -> str:
    def cells(row: list[str]) -> str:
        return "".join(f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
                       for i, c in enumerate(row))

    head = "".join(f"<th>{escape(column)}</th>" for column in header)
    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    foot = f'<tfoot><tr class="total">{cells(totals)}</tr></tfoot>' if totals else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def _cards(package: ClosePackage) -> str:
    totals = package.totals
    cards = [
        ("Tarefas aprovadas", whole_number(totals["approved_tasks"]), ""),
        ("Tarefas reprovadas", whole_number(totals["rejected_tasks"]), ""),
        ("Tarefas retidas", whole_number(totals["held_tasks"]), ""),
        ("Valor das tarefas do mês", reais(totals["amount"]), ""),
        ("Retido pelo teto", reais(totals["capped_amount"]), ""),
        (f"Ajustes ({whole_number(totals['adjustments_count'])})", reais(totals["adjustments_amount"]),
         "neg" if totals["adjustments_amount"] < 0 else ""),
        ("Líquido a pagar", reais(totals["net_amount"]), "net"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card {css}"><div class="value">{escape(value)}</div><div class="label">{escape(label)}</div></div>'
        for label, value, css in cards
    ) + "</div>"


def _link(name: str) -> str:
    return f'<a href="{escape(name)}">{escape(name)}</a>'


def _too_long(task_list: TaskList, what: str) -> str:
    return (f"<p class='note'>Este fechamento tem {whole_number(task_list.tasks)} {what} "
            f"({whole_number(task_list.count)} linhas): acima de {whole_number(HTML_TASK_LIST_LIMIT)} linhas, "
            f"a lista completa está somente em {_link(task_list.csv_name)}; esta página mostra os resumos por regra "
            "e por unidade.</p>")


def _payee(package: ClosePackage, siape: str, names: dict[str, str]) -> str:
    return f"{siape} {names.get(siape, '')}".strip()


def rejected_tasks_section(package: ClosePackage, names: dict[str, str]) -> str:
    rejections = package.rejections
    if rejections.count == 0:
        return "<p class='muted'>Nenhuma tarefa reprovada neste mês.</p>"
    if rejections.count > HTML_TASK_LIST_LIMIT or not rejections.in_package:
        return _too_long(rejections, "tarefas reprovadas")
    by_task: dict[str, list] = defaultdict(list)
    for row in rejections.rows:
        by_task[row.task_id].append(row)
    rows = [[task_id, _payee(package, rows[0].payee_siape, names), brazilian_date(rows[0].concluded_at),
             rows[0].rules.replace(",", ", "), "\n".join(f"{r.rule_code}: {r.evidence}" for r in rows)]
            for task_id, rows in by_task.items()]
    return (f"<p>{whole_number(len(rows))} tarefas; as mesmas linhas, uma por regra, em {_link('rejections.csv')}.</p>"
            + _table(["Tarefa", "Profissional (SIAPE)", "Concluída em", "Regras", "Evidência"], rows)
            .replace("\n", "<br>"))


def held_tasks_section(package: ClosePackage, names: dict[str, str]) -> str:
    held = package.held
    if held.count == 0:
        return "<p class='muted'>Nenhuma tarefa retida neste mês.</p>"
    if held.count > HTML_TASK_LIST_LIMIT or not held.in_package:
        return _too_long(held, "tarefas retidas")
    return (f"<p>Retida: nem paga nem reprovada, aguarda dados (contrato, seção 4). Também em {_link('held.csv')}.</p>"
            + _table(["Tarefa", "Profissional (SIAPE)", "Concluída em", "Motivo"],
                     [[r.task_id, _payee(package, r.payee_siape, names), brazilian_date(r.concluded_at), r.reason]
                      for r in held.rows]))


def adjustments_section(package: ClosePackage) -> str:
    adjustments = package.adjustments
    if not adjustments:
        return "<p class='muted'>Nenhuma tarefa de mês fechado mudou.</p>"
    shown = adjustments[:HTML_TASK_LIST_LIMIT]
    note = "" if len(shown) == len(adjustments) else (
        f"<p class='note'>{whole_number(len(adjustments))} ajustes: a página mostra os primeiros "
        f"{whole_number(len(shown))}; todos estão em {_link('adjustments.csv')}.</p>")
    return note + _table(
        ["Tarefa", "Mês", "Profissional (SIAPE)", "Antes", "Agora", "Diferença", "Regras", "Motivo"],
        [[a.task_id, month_text(a.original_month), a.payee_siape, OUTCOME_WORDS.get(a.previous_outcome,
          a.previous_outcome), OUTCOME_WORDS.get(a.new_outcome, a.new_outcome), reais(a.delta_amount), a.rules,
          a.reason] for a in shown],
        {5},
        ["Total", "", "", "", "", reais(total(a.delta_amount for a in adjustments)), "", ""],
    )


def signature_block(package: ClosePackage) -> str:
    """Prepared: who ran the close and when (the only part of the page that changes when the same inputs are
    closed again); checked and approved: lines to sign and date by hand."""
    signature = package.signature
    prepared_by = escape(signature.prepared_by) if signature else "&nbsp;"
    prepared_at = escape(f"{signature.prepared_at:%d/%m/%Y %H:%M}") if signature else "___/___/______"
    run = f"<br><span class='muted'>Execução Dagster {escape(signature.run_id)}</span>" if signature and signature.run_id else ""
    blank = "<div class='line'></div>Nome e assinatura<br><br>Data: ___/___/______"
    return f"""<section class="signatures" id="assinaturas">
<div><strong>Preparado por</strong><br>{prepared_by}<br>em {prepared_at}{run}</div>
<div><strong>Conferido por</strong>{blank}</div>
<div><strong>Aprovado por</strong>{blank}</div>
</section>"""


def render_summary(package: ClosePackage) -> str:
    totals = package.totals
    names = {payment.payee_siape: payment.name for payment in package.payments}
    rules = _table(["Regra", "Título (Portaria PRES/INSS 1.839/2025, Anexo II)", "Tarefas reprovadas"],
                   [[r.rule_code, r.rule_title, whole_number(r.tasks)] for r in package.rejections_by_rule], {2})
    units = _table(
        ["Unidade", "Nome da unidade", "Profissionais", "Aprovadas", "Reprovadas", "Retidas", "Valor do mês", "Ajustes",
         "Líquido"],
        [[u.unit_code, u.unit_name, whole_number(u.payees), whole_number(u.approved_tasks),
          whole_number(u.rejected_tasks), whole_number(u.held_tasks), reais(u.amount), reais(u.adjustments),
          reais(u.net_amount)] for u in package.amount_by_unit],
        {2, 3, 4, 5, 6, 7, 8},
        ["Total", "", whole_number(sum(u.payees for u in package.amount_by_unit)),
         whole_number(totals["approved_tasks"]), whole_number(totals["rejected_tasks"]),
         whole_number(totals["held_tasks"]), reais(totals["amount"]), reais(totals["adjustments_amount"]),
         reais(totals["net_amount"])],
    )
    history = _table(
        ["Fechamento", "Tarefas do mês", "Ajustes", "Líquido"],
        [[month_text(row.month), reais(row.amount), reais(row.adjustments), reais(row.net_amount)]
         for row in package.history],
        {1, 2, 3},
        ["Total", reais(total(row.amount for row in package.history)),
         reais(total(row.adjustments for row in package.history)),
         reais(total(row.net_amount for row in package.history))],
    )
    cap_note = (
        f"<p class='note'>O teto por profissional deixou {reais(totals['capped_amount'])} fora deste fechamento "
        "(coluna <code>capped_amount</code> de payments.csv).</p>"
        if totals["capped_amount"] else ""
    )
    files = ", ".join(_link(name) for name in ("payments.csv", "tasks.csv", "rejections.csv", "held.csv",
                                                "adjustments.csv", "close.xlsx", "manifest.json"))
    return f"""<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>Fechamento PGB {month_text(package.month)}</title>
<style>{STYLE}</style></head>
<body>
<h1>Fechamento do pagamento extraordinário PGB – {month_words(package)}</h1>
<p class="muted">Pagamento Extraordinário do Programa de Gerenciamento de Benefícios (PEPGB-INSS), tarefas concluídas
em {month_text(package.month)}. Registro de fechamentos desde {month_text(package.ledger_start)}.
Arquivos: {files} (entradas, parâmetros e somas de verificação).</p>
{_cards(package)}
{cap_note}
<h2>Reprovações por regra</h2>
{_img(chart_png(draw_rejections_by_rule, package, (9, 0.5 + 0.55 * max(len(package.rejections_by_rule), 2))),
      "Tarefas reprovadas por regra")}
{rules}
<h2>Valor por unidade</h2>
{_img(chart_png(draw_amount_by_unit, package, (9, 1 + 0.5 * max(min(len(package.amount_by_unit), 15), 2))),
      "Valor líquido por unidade")}
{units}
<h2>Tarefas reprovadas</h2>
{rejected_tasks_section(package, names)}
<h2>Tarefas retidas</h2>
{held_tasks_section(package, names)}
<h2>Ajustes de meses fechados</h2>
{adjustments_section(package)}
<h2>Este fechamento e os anteriores</h2>
{_img(chart_png(draw_history, package, (9, 3.6)), "Valor líquido por fechamento")}
{history}
<h2>Assinaturas</h2>
{signature_block(package)}
</body></html>
"""


def write_summary(package: ClosePackage, path: Path) -> Path:
    path.write_text(render_summary(package), encoding="utf-8")
    return path
