"""The summary's charts as PNG bytes (matplotlib, Agg: no display needed).

PNG metadata is emptied (no software version, no date), so the same
numbers give the same bytes.
"""

from __future__ import annotations

import io
import textwrap

from payroll.money import reais
from payroll.package import ClosePackage

BLUE, LIGHT_BLUE, RED, GREY, GREEN = "#1f4e79", "#9dc3e6", "#c0392b", "#7f7f7f", "#2e7d32"
DPI = 110
# A national month pays some 1,500 units: the chart shows the largest, the table on the page lists them all.
CHART_UNITS = 15


def _pyplot():
    """pyplot on the Agg backend, imported at the first chart: a process that draws none (`pgb run`, the
    Dagster definitions) does not pay its half second of imports."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def import_pyplot() -> None:
    """Import pyplot ahead of the first chart (about 0.3 s of Python): `pgb close` does it while dbt builds and
    the command's own process has nothing else to do, so the package's first chart does not wait for it."""
    _pyplot()


def _patch(color: str, label: str):
    from matplotlib.patches import Patch

    return Patch(color=color, label=label)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def _no_data(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color=GREY, transform=axes.transAxes)
    axes.set_axis_off()


def _clean(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _legend_below(axes, handles) -> None:
    axes.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                ncol=len(handles), frameon=False)


def _thousands_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}".replace(",", "."))


def _money_axis(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=4))
    axis.set_major_formatter(_thousands_formatter())


def draw_rejections_by_rule(axes, package: ClosePackage, wrap: bool = True) -> None:
    rows = package.rejections_by_rule
    axes.set_title("Tarefas reprovadas por regra", loc="left", fontsize=12, fontweight="bold")
    if not rows:
        _no_data(axes, "nenhuma tarefa reprovada neste mês")
        return
    if wrap:
        labels = [f"{row.rule_code} – " + textwrap.shorten(row.rule_title, width=60, placeholder="…") for row in rows]
        labels = ["\n".join(textwrap.wrap(label, 38)) for label in labels]
    else:
        labels = [textwrap.shorten(f"{row.rule_code} – {row.rule_title}", width=52, placeholder="…") for row in rows]
    counts = [row.tasks for row in rows]
    positions = range(len(rows))
    axes.barh(positions, counts, color=RED)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.xaxis.set_major_formatter(_thousands_formatter())
    for position, count in zip(positions, counts, strict=True):
        axes.text(count, position, f" {count:,}".replace(",", "."), va="center", fontsize=9)
    _clean(axes)


def draw_amount_by_unit(axes, package: ClosePackage) -> None:
    rows = sorted(package.amount_by_unit, key=lambda row: (-abs(row.net_amount), row.unit_code))[:CHART_UNITS]
    shown = "" if len(package.amount_by_unit) <= CHART_UNITS else f" – as {CHART_UNITS} maiores de {len(package.amount_by_unit):,}".replace(",", ".")
    axes.set_title(f"Valor líquido por unidade (R$){shown}", loc="left", fontsize=12, fontweight="bold")
    if not rows:
        _no_data(axes, "nada a pagar neste mês")
        return
    units = [textwrap.shorten(row.label, width=34, placeholder="…") for row in rows]
    amounts = [float(row.amount) for row in rows]
    adjustments = [float(row.adjustments) for row in rows]
    positions = range(len(rows))
    axes.barh(positions, amounts, color=BLUE)
    axes.barh(positions, adjustments, left=[max(a, 0) for a in amounts], color=LIGHT_BLUE)
    axes.set_yticks(list(positions), units, fontsize=9)
    axes.invert_yaxis()
    _money_axis(axes.xaxis)
    axes.axvline(0, color=GREY, linewidth=0.8)
    for position, row in zip(positions, rows, strict=True):
        axes.text(max(float(row.net_amount), 0), position, f"  {reais(row.net_amount)}", va="center", fontsize=9)
    _legend_below(axes, [_patch(BLUE, "tarefas do mês"), _patch(LIGHT_BLUE, "ajustes")])
    _clean(axes)


def draw_history(axes, package: ClosePackage) -> None:
    rows = package.history
    axes.set_title("Este fechamento e os anteriores (R$)", loc="left", fontsize=12, fontweight="bold")
    months = [f"{row.month[5:]}/{row.month[:4]}" for row in rows]
    positions = range(len(rows))
    colors = [BLUE if row.month == str(package.month) else GREY for row in rows]
    axes.bar(positions, [float(row.amount) for row in rows], color=colors)
    axes.bar(positions, [float(row.adjustments) for row in rows], color=LIGHT_BLUE,
             bottom=[max(float(row.amount), 0) if row.adjustments > 0 else 0 for row in rows])
    axes.set_xticks(list(positions), months, fontsize=9)
    _money_axis(axes.yaxis)
    axes.axhline(0, color=GREY, linewidth=0.8)
    for position, row in zip(positions, rows, strict=True):
        top = max(float(row.amount), 0) + max(float(row.adjustments), 0)
        axes.text(position, top, "líquido " + reais(row.net_amount), ha="center", va="bottom", fontsize=8)
    _legend_below(axes, [_patch(BLUE, "este fechamento"), _patch(GREY, "anteriores"),
                         _patch(LIGHT_BLUE, "ajustes")])
    axes.margins(y=0.25)
    _clean(axes)


def chart_png(draw, package: ClosePackage, size: tuple[float, float]) -> bytes:
    figure, axes = _pyplot().subplots(figsize=size)
    draw(axes, package)
    return _png(figure)


def overview_png(package: ClosePackage) -> bytes:
    """The whole summary in one picture (for an e-mail)."""
    totals = package.totals
    figure = _pyplot().figure(figsize=(13, 8.5))
    grid = figure.add_gridspec(3, 2, height_ratios=[0.45, 1, 1], hspace=0.7, wspace=0.65)
    header = figure.add_subplot(grid[0, :])
    header.set_axis_off()
    header.text(0, 0.95, f"Fechamento PGB {package.month.month:02d}/{package.month.year}", fontsize=18, fontweight="bold", va="top")
    cards = [
        ("aprovadas", totals["approved_tasks"], GREEN), ("reprovadas", totals["rejected_tasks"], RED),
        ("retidas", totals["held_tasks"], GREY), ("valor do mês", reais(totals["amount"]), BLUE),
        ("ajustes", reais(totals["adjustments_amount"]), BLUE), ("líquido a pagar", reais(totals["net_amount"]), BLUE),
    ]
    for x, (label, value, color) in zip((0, 0.1, 0.2, 0.32, 0.54, 0.76), cards, strict=True):
        header.text(x, 0.35, str(value), fontsize=14, fontweight="bold", color=color)
        header.text(x, 0.05, label, fontsize=10, color=GREY)
    draw_rejections_by_rule(figure.add_subplot(grid[1:, 0]), package, wrap=False)
    draw_amount_by_unit(figure.add_subplot(grid[1, 1]), package)
    draw_history(figure.add_subplot(grid[2, 1]), package)
    return _png(figure)
