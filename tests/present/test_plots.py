"""The plots API (sim.present.plots): every figure is ``f(result, ax=None) -> (fig, ax)``, never shows,
reads the summary only, and keeps one print-friendly style ($M/$B ticks, fiscal years, units in titles)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import sim
from sim.present import plots
from sim.engine.results import Result

FUNCTIONS = [fn for _, fn, _ in plots.FIGURES]


@pytest.fixture(scope="module")
def result(default_result):
    return default_result


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("plots must not call show()")

    monkeypatch.setattr(plt, "show", boom)
    yield
    plt.close("all")


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_returns_fig_and_ax(fn, result):
    fig, ax = fn(result)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert ax.figure is fig
    fig.canvas.draw()  # renders without error
    title = ax.get_title(loc="left")
    assert title, "every figure has a title"
    assert "USD" in title or "%" in title or "probab" in title.lower() or "share of paths" in title.lower(), title


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_draws_into_given_ax(fn, result):
    before = plt.get_fignums()
    fig = matplotlib.figure.Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    got_fig, got_ax = fn(result, ax)
    assert got_ax is ax and got_fig is fig
    assert plt.get_fignums() == before, "no pyplot figure is created when an ax is given"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_same_figure_from_saved_result(fn, result, tmp_path):
    """A loaded result (summary.json + config.toml) draws the same picture."""
    result.save(tmp_path)
    loaded = Result.load(tmp_path)
    from io import BytesIO

    def png(r):
        fig = matplotlib.figure.Figure(figsize=(6, 3))
        fn(r, fig.add_subplot())
        buf = BytesIO()
        fig.savefig(buf, format="png", dpi=60)
        return buf.getvalue()

    assert png(result) == png(loaded)
    assert png(result.summary) == png(result)  # a plain summary dict works too


def test_fiscal_years_on_x(result):
    years = [str(y) for y in result.summary["years"]]
    for fn in (plots.cash_fan, plots.breach_probability, plots.margin_fan, plots.revenue_fan, plots.cfar_ear,
               plots.commitment_usage, plots.profit_probabilities, plots.first_breach_time):
        fig, ax = fn(result)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == years, (fn.__name__, labels)


def test_money_ticks(result):
    fig, ax = plots.cash_fan(result)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all(re_money(l) for l in labels), labels
    assert any(l.endswith("B") for l in labels)


def re_money(text: str) -> bool:
    import re

    return bool(re.fullmatch(r"\u2212?\$\d[\d,]*(\.\d+)?[MB]|\$0", text))


@pytest.mark.parametrize(
    "locs, expected",
    [
        ([0, 500, 1000, 1500, 2000], ["$0", "$0.5B", "$1.0B", "$1.5B", "$2.0B"]),
        ([0, 20, 40, 60], ["$0", "$20M", "$40M", "$60M"]),
        ([-1000, 0, 1000, 2000], ["\u2212$1B", "$0", "$1B", "$2B"]),
        ([0, 2.5, 5, 7.5], ["$0", "$2.5M", "$5.0M", "$7.5M"]),
        ([400, 450, 500], ["$400M", "$450M", "$500M"]),
    ],
)
def test_money_formatter(locs, expected):
    fig = matplotlib.figure.Figure()
    ax = fig.add_subplot()
    ax.set_ylim(min(locs), max(locs))
    f = plots.money_formatter()
    ax.yaxis.set_major_formatter(f)
    f.set_locs(locs)
    assert [f(v) for v in locs] == expected


def test_palette_is_okabe_ito():
    assert plots.PALETTE["blue"] == "#0072B2" and plots.PALETTE["vermillion"] == "#D55E00"
    assert len(set(plots.PALETTE.values())) == len(plots.PALETTE)


def test_style_does_not_leak(result):
    before = dict(matplotlib.rcParams)
    plots.cash_fan(result)
    assert matplotlib.rcParams["axes.spines.top"] == before["axes.spines.top"]
    assert matplotlib.rcParams["axes.titleweight"] == before["axes.titleweight"]


def test_floor_and_debt_marked():
    r = sim.run("pinterest_aws_2031_filings", paths=5_000, seed=1)
    fig, ax = plots.cash_fan(r)
    floor = r.summary["cash_floor"]
    hlines = [l for l in ax.get_lines() if np.allclose(l.get_ydata(), floor)]
    assert hlines, "the floor line"
    mat = r.summary["p_cash_below_principal_at_maturity"][0]["maturity"]
    vlines = [l for l in ax.get_lines() if np.allclose(l.get_xdata(), mat)]
    assert vlines, "the debt maturity line"
    assert any("convertible-2031" in t.get_text() for t in ax.texts)


def test_fan_metric_choice(result):
    fig, ax = plots.fan(result, metric="net_income")
    assert "Net income" in ax.get_title(loc="left")
    with pytest.raises(ValueError, match="unknown metric"):
        plots.fan(result, metric="nope")


def test_without_steps_or_cloud():
    from sim.model import load_scenario, scenario_to_dict

    d = scenario_to_dict(load_scenario("pinterest_aws_2031"))
    d["cloud"] = {"spend": 0}
    d["correlations"] = []
    r = sim.run(sim.load(d), paths=2_000, seed=1, record_steps=False)
    for fn in FUNCTIONS:
        fig, ax = fn(r)
        fig.canvas.draw()
    fig, ax = plots.cash_fan(r)
    assert "year's end" in ax.get_title(loc="left")  # falls back to year-end cash


@pytest.mark.parametrize(
    "locs, expected",
    [
        ([0, 0.2, 0.4], ["0%", "20%", "40%"]),
        ([0, 0.025, 0.05], ["0%", "2.5%", "5.0%"]),
        ([0, 0.00001, 0.00002], ["0%", "0.001%", "0.002%"]),
        ([-0.1, 0, 0.1], ["\u221210%", "0%", "10%"]),
    ],
)
def test_percent_formatter(locs, expected):
    f = plots.percent_formatter()
    f.set_locs(locs)
    assert [f(v) for v in locs] == expected


def test_style_keeps_interactive_mode_turned_on_inside():
    """Jupyter's inline backend turns interactive mode on when a first figure loads it, maybe inside style()."""
    import matplotlib

    from sim.present.plots import style

    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with style():
            assert matplotlib.rcParams["axes.titleweight"] == "bold"
            matplotlib.interactive(True)  # what the inline backend does as it loads
        assert matplotlib.is_interactive()
        assert matplotlib.rcParams["axes.titleweight"] != "bold"
    finally:
        matplotlib.interactive(was)
