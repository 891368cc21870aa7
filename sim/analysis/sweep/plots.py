"""Plots of a sweep's table: a heatmap over two keys, probabilities with CI bands over one.

Both functions take the table (``sim.analysis.sweep.SweepResult.table`` or
``sim.analysis.sweep.load_table``), draw in the project's style (``sim.present.style.style``),
accept ``ax=`` and return ``(fig, ax)``; without ``ax`` the figure is a plain
``matplotlib.figure.Figure`` (no pyplot state), to show in a notebook or save.
matplotlib itself is imported only when drawing.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from sim.analysis.sweep.design import Design
from sim.analysis.sweep.layout import HEATMAP_PNG, LINES_PNG
from sim.analysis.sweep.targets import LABELS, PROBABILITIES, Target
from sim.engine.measures import MEASURES
from sim.files import write_bytes_atomic
from sim.model.labels import key_unit, parameter_label
from sim.present.formatting import quantity
from sim.present.style import style


def _styled(fn):
    """Draw inside ``sim.present.style.style`` (artists keep the style once drawn)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with style():
            return fn(*args, **kwargs)

    return wrapper


def _figure(ax, size):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots()


def _order(values) -> list:
    """Distinct values in ascending order (numbers) or first-seen order (text)."""
    seen = list(dict.fromkeys(values))
    try:
        return sorted(seen)
    except TypeError:
        return seen


@_styled
def heatmap(table, x: str, y: str, metric: str = "p_cash_breach", target: Target | None = None, ax=None):
    """Heatmap of ``metric`` over two swept keys; cells meeting ``target`` outlined.

    A solid outline marks cells whose estimate meets the target; a dashed one
    cells where it does but the 95% interval reaches past the target.

    Returns
    -------
    (Figure, Axes)
    """
    from matplotlib.patches import Rectangle

    xs, ys = _order(table[x]), _order(table[y])
    grid = np.full((len(ys), len(xs)), np.nan)
    rows = {}
    for _, row in table.iterrows():
        i, j = ys.index(row[y]), xs.index(row[x])
        grid[i, j] = row[metric]
        rows[(i, j)] = row
    fig, ax = _figure(ax, (1.6 + 0.9 * len(xs), 1.4 + 0.6 * len(ys)))
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="magma_r", vmin=0.0, vmax=max(1e-9, float(np.nanmax(grid))) if metric in PROBABILITIES else None)
    unit = _metric_unit(metric)
    fig.colorbar(image, ax=ax, label=LABELS.get(metric, metric), format=_formatter(unit) if unit else None)
    ax.set_xticks(range(len(xs)), [_tick(v, x) for v in xs])
    ax.set_yticks(range(len(ys)), [_tick(v, y) for v in ys])
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel(parameter_label(y))

    ax.grid(False)
    if len(xs) * len(ys) <= 225:
        top = np.nanmax(grid) if np.isfinite(grid).any() else 1.0
        for (i, j), row in rows.items():
            ax.text(j, i, quantity(row[metric], unit, minus="-") if unit else f"{row[metric]:.3g}", ha="center", va="center", fontsize=8, color="white" if row[metric] > 0.55 * top else "black")
    if target is not None:
        for (i, j), row in rows.items():
            if target.met(row):
                sure = target.surely(row)
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:cyan", linewidth=2.5, linestyle="-" if sure else "--"))
        ax.set_title(f"{LABELS.get(metric, metric)}\noutlined: {target.describe()}\n(dashed: its 95% CI reaches past it)", fontsize=9)
    else:
        ax.set_title(LABELS.get(metric, metric), fontsize=10)
    return fig, ax


def _tick(v, key: str = "") -> str:
    """A swept value for an axis: money, percent or a plain number by the key's unit."""
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return quantity(float(v), key_unit(key), minus="-")
    return str(v)


def _metric_unit(metric: str) -> str | None:
    m = MEASURES.get(metric)
    return m.unit if m is not None else None


def _formatter(unit: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: quantity(v, unit, minus="-"))


@_styled
def line_plot(table, x: str, metrics: Sequence[str] = ("p_cash_breach",), by: str | None = None, target: Target | None = None, ax=None):
    """Probabilities over one swept key with 95% CI bands (one line per value of ``by``).

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = _figure(ax, (7.0, 4.2))
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in table[x])
    xs = _order(table[x])
    groups = [(None, table)] if by is None else [(v, table[table[by] == v]) for v in _order(table[by])]
    for metric in metrics:
        for value, part in groups:
            pos = part[x].to_numpy(float) if numeric else np.array([xs.index(v) for v in part[x]], dtype=float)
            order = np.argsort(pos, kind="stable")
            pos, part = pos[order], part.iloc[order]
            label = LABELS.get(metric, metric) if by is None else f"{parameter_label(by)} = {_tick(value, by)}"
            if by is not None and len(metrics) > 1:
                label = f"{LABELS.get(metric, metric)}, {label}"
            (line,) = ax.plot(pos, part[metric], marker="o", markersize=3, label=label)
            if metric + "_lo" in part:
                ax.fill_between(pos, part[metric + "_lo"], part[metric + "_hi"], color=line.get_color(), alpha=0.2, linewidth=0)
    if not numeric:
        ax.set_xticks(range(len(xs)), [_tick(v, x) for v in xs])
    else:
        unit = key_unit(x)
        if unit != "number":
            ax.xaxis.set_major_formatter(_formatter(unit))
    units = {_metric_unit(m) for m in metrics}
    if len(units) == 1 and units <= {"money", "probability", "share"}:
        ax.yaxis.set_major_formatter(_formatter(units.pop()))
    if target is not None and target.metric in metrics:
        ax.axhline(target.value, color="grey", linestyle=":", linewidth=1, label=f"target: {target.describe()}")
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel("probability (95% CI bands)" if all(m in PROBABILITIES for m in metrics) else ", ".join(LABELS.get(m, m) for m in metrics))
    ax.legend(fontsize=8)
    return fig, ax


def write_plots(table, design: Design, folder: str | os.PathLike, target: Target | None = None) -> list[Path]:
    """``heatmap.png`` for a full grid over two keys; ``lines.png`` for one key (or two, a line per value of the second)."""
    folder = Path(folder)
    files = []
    figures = []
    keys = design.keys
    if design.grid_shape is not None and len(keys) == 2:
        # the heatmap shows what the target is about (net savings for a deal target), else P(breach)
        shown = target.metric if target is not None and target.metric in table else "p_cash_breach"
        figures.append((HEATMAP_PNG, heatmap(table, keys[0], keys[1], metric=shown, target=target)[0]))
        figures.append((LINES_PNG, line_plot(table, keys[0], by=keys[1], target=target)[0]))
    elif len(keys) == 1:
        figures.append((LINES_PNG, line_plot(table, keys[0], metrics=PROBABILITIES[:3], target=target)[0]))
    for name, fig in figures:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        files.append(folder / name)
        write_bytes_atomic(files[-1], buf.getvalue())
    return files
