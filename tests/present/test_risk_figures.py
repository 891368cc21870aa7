"""Figures where the risk is: the cash fan frames the floor, the histogram shows the breach tail,
legends sit outside the plot area, and each uncertain input gets a small chart of its distribution."""

from __future__ import annotations

import copy

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.model import parameter_label
from sim.present import plots
from sim.present.input_plots import input_distributions, varying_inputs
from sim.report.figures import caption, render_input_figures


@pytest.fixture(scope="module")
def summary(default_result):
    return default_result.summary


def _axes_and_legend(fn, s):
    fig = Figure(figsize=plots.FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    fn(s, ax)
    fig.canvas.draw()
    return ax, ax.get_legend()


def test_cash_fan_cuts_an_upside_that_would_squash_the_floor(summary):
    s = copy.deepcopy(summary)
    q = s["by_step"]["cash"]["quantiles"]
    q["0.95"] = [10 * v for v in q["0.95"]]  # a far upside
    lo, hi, clipped = plots.cash_fan_limits(s)
    assert clipped == pytest.approx(max(q["0.95"])) and hi < clipped
    assert hi >= max(q["0.75"]) and lo <= s["cash_floor"], "the middle 50% and the floor stay in view"
    ax, _ = _axes_and_legend(plots.cash_fan, s)
    assert ax.get_ylim() == pytest.approx((lo, hi))
    assert "cut off" in caption("cash_fan", s) and "cut off" not in caption("min_cash_histogram", s)


def test_cash_fan_keeps_a_modest_upside_whole(summary):
    s = copy.deepcopy(summary)
    q = s["by_step"]["cash"]["quantiles"]
    q["0.95"] = [b + 0.1 * (b - a) for a, b in zip(q["0.5"], q["0.75"])]  # P95 just above P75
    _, hi, clipped = plots.cash_fan_limits(s)
    assert clipped is None and hi > max(q["0.95"])
    assert "cut off" not in caption("cash_fan", s)


def test_histogram_shows_the_breach_tail(summary):
    ax, legend = _axes_and_legend(plots.min_cash_histogram, summary)
    assert ax.get_yscale() == "log"
    h = summary["min_cash_histogram"]
    edges, share = np.asarray(h["edges"]), np.asarray(h["counts"]) / summary["paths"]
    below = share[(edges[:-1] < summary["cash_floor"]) & (share > 0)]
    assert below.size and ax.get_ylim()[0] < below.min(), "every bar below the floor is visible"
    assert "below the floor (breach)" in [t.get_text() for t in legend.get_texts()]


@pytest.mark.parametrize("fn", [plots.cash_fan, plots.min_cash_histogram], ids=lambda f: f.__name__)
def test_legend_is_outside_the_plot_area(fn, summary):
    ax, legend = _axes_and_legend(fn, summary)
    box, area = legend.get_window_extent(), ax.get_window_extent()
    assert box.y1 <= area.y0, "the legend sits below the axes, over no band or annotation"


def test_input_distributions_one_panel_per_uncertain_input(default_result):
    scn = default_result.scenario
    inputs = varying_inputs(scn)
    fig = input_distributions(scn, Figure(figsize=(7.2, 6)))
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.axison]
    assert titles == [parameter_label(k) for k, _ in inputs]
    a, b = render_input_figures(scn), render_input_figures(scn)
    assert len(a) == 1 and a[0].section == 7 and a[0].png == b[0].png, "the same bytes on every build"
