"""The summary's charts as PNG bytes (matplotlib, Agg: no display needed).

PNG metadata is emptied (no software version, no date), so the same
numbers give the same bytes.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from payroll.money import brl  # noqa: E402
from payroll.package import ClosePackage  # noqa: E402

BLUE, LIGHT_BLUE, RED, GREY, GREEN = "#1f4e79", "#9dc3e6", "#c0392b", "#7f7f7f", "#2e7d32"
DPI = 110


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
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


def _money_axis(axis) -> None:
    axis.set_major_locator(MaxNLocator(nbins=4))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def draw_rejections_by_rule(axes, package: ClosePackage, wrap: bool = True) -> None:
    rows = package.rejections_by_rule
    axes.set_title("Rejected tasks by rule", loc="left", fontsize=12, fontweight="bold")
    if not rows:
        _no_data(axes, "no rejected task this month")
        return
    if wrap:
        labels = [f"{code} – " + textwrap.shorten(title, width=60, placeholder="…") for code, title, _ in rows]
        labels = ["\n".join(textwrap.wrap(label, 38)) for label in labels]
    else:
        labels = [textwrap.shorten(f"{code} – {title}", width=52, placeholder="…") for code, title, _ in rows]
    counts = [count for _, _, count in rows]
    positions = range(len(rows))
    axes.barh(positions, counts, color=RED)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.get_major_locator().set_params(integer=True)
    for position, count in zip(positions, counts, strict=True):
        axes.text(count, position, f" {count}", va="center", fontsize=9)
    _clean(axes)


def draw_amount_by_unit(axes, package: ClosePackage) -> None:
    rows = package.amount_by_unit
    axes.set_title("Net amount by unit (R$)", loc="left", fontsize=12, fontweight="bold")
    if not rows:
        _no_data(axes, "nothing to pay this month")
        return
    units = [unit for unit, *_ in rows]
    amounts = [float(amount) for _, amount, _, _ in rows]
    adjustments = [float(adjustment) for _, _, adjustment, _ in rows]
    positions = range(len(rows))
    axes.barh(positions, amounts, color=BLUE)
    axes.barh(positions, adjustments, left=[max(a, 0) for a in amounts], color=LIGHT_BLUE)
    axes.set_yticks(list(positions), units, fontsize=9)
    axes.invert_yaxis()
    _money_axis(axes.xaxis)
    axes.axvline(0, color=GREY, linewidth=0.8)
    for position, (_, _, _, net) in zip(positions, rows, strict=True):
        axes.text(max(float(net), 0), position, f"  {brl(net)}", va="center", fontsize=9)
    _legend_below(axes, [Patch(color=BLUE, label="month's tasks"), Patch(color=LIGHT_BLUE, label="adjustments")])
    _clean(axes)


def draw_history(axes, package: ClosePackage) -> None:
    rows = package.history
    axes.set_title("This close against earlier closes (R$)", loc="left", fontsize=12, fontweight="bold")
    months = [row.month for row in rows]
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
        axes.text(position, top, "net " + brl(row.net_amount), ha="center", va="bottom", fontsize=8)
    _legend_below(axes, [Patch(color=BLUE, label="this close"), Patch(color=GREY, label="earlier closes"),
                         Patch(color=LIGHT_BLUE, label="adjustments")])
    axes.margins(y=0.25)
    _clean(axes)


def chart_png(draw, package: ClosePackage, size: tuple[float, float]) -> bytes:
    figure, axes = plt.subplots(figsize=size)
    draw(axes, package)
    return _png(figure)


def overview_png(package: ClosePackage) -> bytes:
    """The whole summary in one picture (for the README or an e-mail)."""
    totals = package.totals
    figure = plt.figure(figsize=(13, 8.5))
    grid = figure.add_gridspec(3, 2, height_ratios=[0.45, 1, 1], hspace=0.7, wspace=0.65)
    header = figure.add_subplot(grid[0, :])
    header.set_axis_off()
    header.text(0, 0.95, f"PGB payment close {package.month}", fontsize=18, fontweight="bold", va="top")
    cards = [
        ("approved", totals["approved_tasks"], GREEN), ("rejected", totals["rejected_tasks"], RED),
        ("held", totals["held_tasks"], GREY), ("amount", brl(totals["amount"]), BLUE),
        ("adjustments", brl(totals["adjustments_amount"]), BLUE), ("net to pay", brl(totals["net_amount"]), BLUE),
    ]
    for x, (label, value, color) in zip((0, 0.1, 0.2, 0.32, 0.54, 0.76), cards, strict=True):
        header.text(x, 0.35, str(value), fontsize=14, fontweight="bold", color=color)
        header.text(x, 0.05, label, fontsize=10, color=GREY)
    draw_rejections_by_rule(figure.add_subplot(grid[1:, 0]), package, wrap=False)
    draw_amount_by_unit(figure.add_subplot(grid[1, 1]), package)
    draw_history(figure.add_subplot(grid[2, 1]), package)
    return _png(figure)
