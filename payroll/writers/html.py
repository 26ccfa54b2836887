"""summary.html: one self-contained page (charts embedded as base64 PNG, inline CSS)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from payroll.money import brl
from payroll.package import ClosePackage
from payroll.writers.charts import chart_png, draw_amount_by_unit, draw_history, draw_rejections_by_rule

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
img { max-width: 100%; } .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .6rem 1rem; }
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cards(package: ClosePackage) -> str:
    totals = package.totals
    cards = [
        ("Approved tasks", str(totals["approved_tasks"]), ""),
        ("Rejected tasks", str(totals["rejected_tasks"]), ""),
        ("Held tasks", str(totals["held_tasks"]), ""),
        ("Amount of the month", brl(totals["amount"]), ""),
        ("Capped (not paid)", brl(totals["capped_amount"]), ""),
        (f"Adjustments ({totals['adjustments_count']})", brl(totals["adjustments_amount"]),
         "neg" if totals["adjustments_amount"] < 0 else ""),
        ("Net to pay", brl(totals["net_amount"]), "net"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card {css}"><div class="value">{escape(value)}</div><div class="label">{escape(label)}</div></div>'
        for label, value, css in cards
    ) + "</div>"


def render_summary(package: ClosePackage) -> str:
    month = str(package.month)
    rules = _table(["Rule", "Título (Portaria 1.839/2025, Anexo II)", "Tasks"],
                   [[code, title, str(count)] for code, title, count in package.rejections_by_rule], {2})
    units = _table(["Unit", "Amount", "Adjustments", "Net"],
                   [[unit, brl(a), brl(adj), brl(net)] for unit, a, adj, net in package.amount_by_unit], {1, 2, 3})
    history = _table(["Close", "Month's tasks", "Adjustments", "Net"],
                     [[row.month, brl(row.amount), brl(row.adjustments), brl(row.net_amount)] for row in package.history],
                     {1, 2, 3})
    adjustments = _table(
        ["Task", "Month", "Payee", "Before", "Now", "Delta", "Rules", "Reason"],
        [[a.task_id, a.original_month, a.payee_siape, a.previous_outcome, a.new_outcome, brl(a.delta_amount),
          a.rules, a.reason] for a in package.adjustments],
        {5},
    ) if package.adjustments else "<p class='muted'>No task of a closed month changed.</p>"
    cap_note = (
        f"<p class='note'>The per-professional cap kept {brl(package.totals['capped_amount'])} out of this close "
        "(column <code>capped_amount</code> of payments.csv).</p>"
        if package.totals["capped_amount"] else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PGB close {month}</title><style>{STYLE}</style></head>
<body>
<h1>PGB payment close {month}</h1>
<p class="muted">Extraordinary payment (PEPGB-INSS), tasks concluded in {month}.
Ledger since {package.ledger_start}. Details: payments.csv, rejections.csv, held.csv, adjustments.csv, close.xlsx;
inputs and parameters: manifest.json.</p>
{_cards(package)}
{cap_note}
<h2>Rejections by rule</h2>
{_img(chart_png(draw_rejections_by_rule, package, (9, 0.5 + 0.55 * max(len(package.rejections_by_rule), 2))),
      "Rejected tasks by rule")}
{rules}
<h2>Amount by unit</h2>
{_img(chart_png(draw_amount_by_unit, package, (9, 1 + 0.5 * max(len(package.amount_by_unit), 2))), "Net amount by unit")}
{units}
<h2>This close against earlier closes</h2>
{_img(chart_png(draw_history, package, (9, 3.6)), "Net amount per close")}
{history}
<h2>Adjustments of closed months</h2>
{adjustments}
</body></html>
"""


def write_summary(package: ClosePackage, path: Path) -> Path:
    path.write_text(render_summary(package), encoding="utf-8")
    return path
