"""Small charts of each uncertain input's distribution: what the run draws, one panel per parameter.

The panels are computed from each distribution's quantile function on a
fixed grid of probabilities (no random numbers), so the figure is the same
on every run of a config.  The report shows it in section 7 (Inputs).

>>> import sim
>>> from sim.present.input_plots import input_distributions
>>> fig = input_distributions(sim.load_scenario("pinterest_aws_2031"))   # doctest: +SKIP
>>> fig.savefig("inputs.png")                                            # doctest: +SKIP
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from sim.model import money_keys, uncertain_parameters
from sim.model.labels import key_unit, parameter_label
from sim.present.formatting import quantity
from sim.present.style import C_DIST, PALETTE, style

__all__ = ["COLUMNS", "GRID", "figure_size", "input_distributions", "varying_inputs"]

COLUMNS = 3  # panels per row: room for a label of ~36 characters at 7 pt
GRID = 4000  # probabilities at which each quantile function is evaluated
BINS = 36


def varying_inputs(scenario) -> list[tuple[str, object]]:
    """The (D) parameters that vary from path to path, ``(key, Dist)`` in canonical order (fixed ones left out)."""
    return [(k, d) for k, d in uncertain_parameters(scenario).items() if not d.is_fixed]


def figure_size(n: int, columns: int = COLUMNS) -> tuple[float, float]:
    """Width and height (inches) of the figure for ``n`` panels."""
    rows = max(1, math.ceil(n / columns))
    return 7.2, 0.35 + 1.15 * rows


def _unit(key: str, money: set[str]) -> str:
    return "money" if key in money else key_unit(key)


def input_distributions(scenario, fig=None, columns: int = COLUMNS):
    """One small density panel per uncertain input: the P5-P95 range shaded, the median marked.

    Parameters
    ----------
    scenario : Scenario
    fig : matplotlib.figure.Figure, optional
        Drawn into (its size is left as it is; see :func:`figure_size`); a new
        figure (pyplot, so a notebook shows it) by default.
    columns : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when no input varies.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    inputs = varying_inputs(scenario)
    if not inputs:
        return None
    money = money_keys(scenario)
    with style():
        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=figure_size(len(inputs), columns), layout="constrained")
        rows = math.ceil(len(inputs) / columns)
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
        u = (np.arange(GRID) + 0.5) / GRID
        for ax, (key, d) in zip(axes, inputs):
            x = np.asarray(d.ppf(u), dtype=float)
            lo, hi = float(np.quantile(x, 0.005)), float(np.quantile(x, 0.995))
            if not hi > lo:
                lo, hi = float(x.min()), float(x.max()) + 1e-12
            counts, edges = np.histogram(x, bins=BINS, range=(lo, hi))  # the outer 1% left out
            p5, p50, p95 = (float(d.quantile(q)) for q in (0.05, 0.5, 0.95))
            ax.stairs(counts, edges, fill=True, color=C_DIST, alpha=0.35, linewidth=0)
            middle = (edges[:-1] >= p5) & (edges[1:] <= p95)
            ax.stairs(np.where(middle, counts, 0), edges, fill=True, color=C_DIST, alpha=0.55, linewidth=0)
            ax.axvline(p50, color=PALETTE["black"], linewidth=0.9)
            unit = _unit(key, money)
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p, unit=unit: quantity(v, unit)))
            ax.tick_params(axis="x", labelsize=6.5, length=2, pad=1)
            ax.set_yticks([])
            ax.grid(False)
            ax.set_title(textwrap.shorten(parameter_label(key), 40, placeholder="…"), fontsize=7, loc="left", pad=2)
            ax.set_xlim(lo, hi)
        for ax in axes[len(inputs):]:
            ax.set_axis_off()
    return fig
