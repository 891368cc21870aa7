"""Figures of a run, one function each, for notebooks and the report.

Every function takes a :class:`~sim.engine.results.Result` (or its ``summary``
dict) and an optional matplotlib ``ax``, draws into it and returns
``(fig, ax)``.  None calls ``show()``: in a notebook the figure appears
on its own; in a script, save it with ``fig.savefig(...)``.  Figures read
the summary only (no paths), so a saved run (``Result.load``) plots the
same as the live one.

>>> import sim, sim.present.plots
>>> r = sim.run("pinterest_aws_2031", paths=100_000)      # doctest: +SKIP
>>> fig, ax = sim.present.plots.cash_fan(r)                        # doctest: +SKIP
>>> fig.savefig("cash.png")                                # doctest: +SKIP

The style is print-friendly and the same everywhere: white background,
the Okabe-Ito colour-blind-safe palette, money ticks as $M/$B (the model's
money is USD millions), fiscal years on the x axis, units in the titles.
``style()`` is a context manager with those settings, for your own figures.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sim.present.formatting import margin, money, percent, percent_ci, step_label
from sim.present.metrics import bill_decomposition, first_breach, quantile_table, usage_quantiles
from sim.present.style import C_CENTRAL, C_DEBT, C_DIST, C_FLOOR, FIGSIZE, PALETTE, money_formatter, percent_formatter, style

# PALETTE, style and the formatters stay importable from here: sim.plots is the notebooks' face
__all__ = [
    "PALETTE",
    "FIGURES",
    "style",
    "money_formatter",
    "percent_formatter",
    "cash_fan",
    "cash_fan_limits",
    "min_cash_histogram",
    "breach_probability",
    "first_breach_time",
    "fan",
    "margin_fan",
    "revenue_fan",
    "profit_probabilities",
    "commitment_usage",
    "shortfall_distribution",
    "contract_shortfall",
    "cloud_bill_bridge",
    "cfar_ear",
]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _summary(result) -> dict:
    return result.summary if hasattr(result, "summary") else result


def _axes(ax, figsize=FIGSIZE):
    """The given ax and its figure, or a new figure (pyplot, so notebooks show it)."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _figure_function(fn: Callable) -> Callable:
    """Run ``fn`` inside :func:`style` (artists keep the style once drawn)."""
    import functools

    @functools.wraps(fn)
    def wrapper(result, ax=None, *args, **kwargs):
        with style():
            return fn(result, ax, *args, **kwargs)

    return wrapper


def _years_axis(ax, years, label: bool = True) -> None:
    """Fiscal years on x, every year labelled (every other beyond 12 years)."""
    every = 1 if len(years) <= 12 else 2
    ax.set_xticks(years[::every])
    ax.set_xticklabels([str(y) for y in years[::every]])
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    if label:
        ax.set_xlabel("Fiscal year")


def _steps_axis(ax, years) -> None:
    """Decimal fiscal time on x: year labels centred in each year, boundaries as light lines."""
    start, end = years[0], years[-1] + 1
    every = 1 if len(years) <= 12 else 2
    ax.set_xlim(start, end)
    ax.set_xticks([y + 0.5 for y in years[::every]])
    ax.set_xticklabels([str(y) for y in years[::every]])
    ax.tick_params(axis="x", length=0)
    ax.set_xticks(range(start, end + 1), minor=True)
    ax.tick_params(axis="x", which="minor", length=3)
    ax.grid(True, axis="x", which="minor", color="#ececec", linewidth=0.6)
    ax.set_xlabel("Fiscal year")


def _money_y(ax) -> None:
    ax.yaxis.set_major_formatter(money_formatter())


def _percent_y(ax) -> None:
    ax.yaxis.set_major_formatter(percent_formatter())


def _bands(ax, x, q: dict, color=C_DIST, label_prefix: str = "", median: bool = True, markers: bool = False):
    """P5-P95 and P25-P75 bands and the median line."""
    lo, hi = np.asarray(q["0.05"]), np.asarray(q["0.95"])
    q1, q3 = np.asarray(q["0.25"]), np.asarray(q["0.75"])
    ax.fill_between(x, lo, hi, color=color, alpha=0.16, linewidth=0, label=f"{label_prefix}P5\u2013P95")
    ax.fill_between(x, q1, q3, color=color, alpha=0.34, linewidth=0, label=f"{label_prefix}P25\u2013P75")
    if median:
        ax.plot(x, q["0.5"], color=color, linewidth=1.8, marker="o" if markers else None, label=f"{label_prefix}median")


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555")
    ax.set_yticks([])


def _note(ax, text: str, loc: str = "upper right") -> None:
    """A small boxed note inside the axes."""
    x, ha = (0.99, "right") if "right" in loc else (0.01, "left")
    y, va = (0.97, "top") if "upper" in loc else (0.03, "bottom")
    ax.text(
        x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 0.6},
        zorder=5,
    )


# ---------------------------------------------------------------------------
# 2. Cash
# ---------------------------------------------------------------------------


@_figure_function
def cash_fan(result, ax=None):
    """Cash at each quarter's end: P5-P95 and P25-P75 bands, median, central case, the floor, debt maturities.

    Uses ``summary["by_step"]`` (recorded by ``sim.run`` and ``sim run --out``);
    without it, year-end cash from ``by_year``.
    """
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    spy = s["steps_per_year"]
    if "by_step" in s:
        q = s["by_step"]["cash"]["quantiles"]
        k = np.arange(1, len(q["0.5"]) + 1)
        x = years[0] + k / spy
        central = s["central_case"]["cash"]
        title = "Cash at each quarter's end, USD" if spy == 4 else f"Cash at the end of each of {spy} steps a year, USD"
    else:
        q = s["by_year"]["cash_end"]["quantiles"]
        x = np.asarray(years) + 1.0
        central = s["central_case"]["cash_end"]
        title = "Cash at each year's end, USD"
    _bands(ax, x, q)
    ax.plot(x, central, color=C_CENTRAL, linestyle="--", linewidth=1.4, label="central case")
    floor = s["cash_floor"]
    ax.axhline(floor, color=C_FLOOR, linestyle="--", linewidth=1.3, label=f"cash floor {money(floor)}")
    for d in s.get("p_cash_below_principal_at_maturity", []):
        ax.axvline(d["maturity"], color=C_DEBT, linestyle=":", linewidth=1.5)
        ax.annotate(
            f"{d['name']}\n{money(d['principal'])} due",
            (d["maturity"], 1.0), xycoords=("data", "axes fraction"), xytext=(-3, -3), textcoords="offset points",
            ha="right", va="top", fontsize=7.5, color="#7a3b63",
        )
    lo, hi, clipped = cash_fan_limits(s)
    ax.set_ylim(lo, hi)
    if clipped is not None:
        # in the title row, right: clear of the bands and of the debt maturities' notes
        ax.text(1.0, 1.01, f"axis cut off: the P95 band reaches {money(clipped)}", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7.5, color="#555555")
    _steps_axis(ax, years)
    _money_y(ax)
    b = s["p_cash_breach"]
    ax.set_title(title)
    # below the axes: the bands, the floor and the debt notes keep the plot area to themselves
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=5, fontsize=8)
    _note(ax, f"P(cash < floor at some step) {percent(b['estimate'])}\n95% CI {percent_ci(b['ci95'])}", "upper left")
    return fig, ax


def cash_fan_limits(result) -> tuple[float, float, float | None]:
    """The cash fan's y range, framed on the floor region: ``(bottom, top, clipped)``, USD millions.

    The top is the highest P75 or central-case value, or three times the
    floor's distance from the bottom, whichever is higher, plus a margin; the
    P95 band goes above it only when it reaches past that by more than half
    again (the upside would squash the floor).  ``clipped`` is the P95 band's
    highest value when it is cut off (the caption says so), else None.
    """
    s = _summary(result)
    if "by_step" in s:
        q, central = s["by_step"]["cash"]["quantiles"], s["central_case"]["cash"]
    else:
        q, central = s["by_year"]["cash_end"]["quantiles"], s["central_case"]["cash_end"]
    floor = s["cash_floor"]
    lo = min(float(np.min(q["0.05"])), floor)
    p95 = float(np.max(q["0.95"]))
    frame = max(float(np.max(q["0.75"])), float(np.max(central)), floor + 3 * (floor - lo))
    clipped = p95 if p95 > lo + 1.5 * (frame - lo) else None
    hi = frame if clipped is not None else p95
    pad = 0.08 * (hi - lo if hi > lo else max(abs(hi), 1.0))
    return lo - pad, hi + pad, clipped


@_figure_function
def min_cash_histogram(result, ax=None):
    """Distribution of the lowest cash over the horizon; the floor and the breach mass shaded."""
    s = _summary(result)
    fig, ax = _axes(ax)
    h = s["min_cash_histogram"]
    edges = np.asarray(h["edges"], dtype=float)
    share = np.asarray(h["counts"], dtype=float) / s["paths"]
    floor = s["cash_floor"]
    b = s["p_cash_breach"]
    ax.stairs(share, edges, fill=True, color=C_DIST, alpha=0.55, linewidth=0, label="share of paths per bin")
    if edges[0] < floor:
        ax.axvspan(min(edges[0], floor) - 1e9, floor, color=C_FLOOR, alpha=0.07, linewidth=0)
        ax.annotate(f"{percent(b['estimate'])} of paths\nbelow the floor", (floor, 0.8), xycoords=("data", "axes fraction"),
                    xytext=(-6, 0), textcoords="offset points", ha="right", va="center", fontsize=8.5, color="#9c3f00")  # the breach mass: the same bins, cut at the floor
        cut = np.minimum(edges, floor)
        keep = edges[:-1] < floor
        ax.stairs(share[keep], cut[: keep.sum() + 1], fill=True, color=C_FLOOR, alpha=0.85, linewidth=0,
                  label="below the floor (breach)")
    ax.axvline(floor, color=C_FLOOR, linestyle="--", linewidth=1.3, label=f"cash floor {money(floor)}")
    mc = s["min_cash"]
    es = mc["expected_shortfall_5pct"]
    ax.axvline(es, color=PALETTE["orange"], linestyle="-.", linewidth=1.3, label=f"mean of worst 5% {money(es)}")
    c = s["central_case"]["min_cash"]
    ax.axvline(c, color=C_CENTRAL, linestyle="--", linewidth=1.2, label=f"central case {money(c)}")
    ax.xaxis.set_major_formatter(money_formatter())
    _percent_y(ax)
    ax.set_xlabel("Lowest cash at any quarter's end" if s["steps_per_year"] == 4 else "Lowest cash at any step")
    # log scale: the breach tail (a few paths per bin) shows beside the bulk of the paths
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_log_percent())
    ax.set_ylabel("Share of paths (log scale)")
    _note(ax, f"P(min cash < floor) {percent(b['estimate'])}\n95% CI {percent_ci(b['ci95'])}", "upper left")
    ax.set_title(f"Lowest cash over {s['years'][0]}\u2013{s['years'][-1]}, USD")
    lo, hi = edges[0], edges[-1]
    lo = min(lo, floor, es, c)
    hi = max(hi, floor, c)
    pad = 0.03 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    positive = share[share > 0]
    bottom = 0.5 / s["paths"] if positive.size == 0 else min(0.5 * positive.min(), 0.5 / s["paths"])
    ax.set_ylim(bottom, (positive.max() if positive.size else 1.0) * 3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=8)  # outside: over no annotation
    return fig, ax


def _log_percent():
    """Percent ticks for a log axis: ``0.01%``, ``1%``, ``10%`` (decades only)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{100 * v:g}%" if v > 0 else "")


@_figure_function
def breach_probability(result, ax=None):
    """Cumulative P(cash has fallen below the floor by the end of each fiscal year), with 95% Wilson bands."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    p = np.asarray(s["p_cash_breach_by_year"])
    ci = np.asarray(s["p_cash_breach_by_year_ci95"])
    ax.fill_between(years, ci[:, 0], ci[:, 1], color=C_FLOOR, alpha=0.2, linewidth=0, label="95% interval")
    ax.plot(years, p, color=C_FLOOR, marker="o", label="P(breach by year end)")
    for y, v in zip(years, p):
        ax.annotate(percent(v), (y, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=7.5)
    top = float(ci[:, 1].max())
    ax.set_ylim(0, top * 1.25 if top > 0 else 0.01)
    _years_axis(ax, years)
    _percent_y(ax)
    ax.set_title("Probability that cash has fallen below the floor by year end (cumulative)")
    ax.legend(loc="upper left")
    return fig, ax


@_figure_function
def first_breach_time(result, ax=None):
    """Time to first breach: share of paths whose cash first falls below the floor in each step."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    spy = s["steps_per_year"]
    fb = first_breach(s)
    p = np.asarray(s["p_first_breach_by_step"])
    t = np.asarray(fb["step_time"]) - 0.5 / spy  # bar centred in its step
    ax.bar(t, p, width=0.8 / spy, color=C_FLOOR, alpha=0.85, label=f"first breach in this {'quarter' if spy == 4 else 'step'}")
    if "p_first_breach_by_step_ci95" in s and p.max() > 0:
        ci = np.asarray(s["p_first_breach_by_step_ci95"])
        shown = p > 0
        ax.errorbar(t[shown], p[shown], yerr=[p[shown] - ci[shown, 0], ci[shown, 1] - p[shown]], fmt="none",
                    ecolor="#444444", elinewidth=0.8, capsize=1.5, label="95% interval")
    _steps_axis(ax, years)
    _percent_y(ax)
    if fb["p_any"] == 0:
        ax.set_ylim(0, 0.01)
        _note(ax, "No simulated path falls below the floor", "upper left")
    else:
        ci_top = max((hi for _, hi in s.get("p_first_breach_by_step_ci95", [])), default=0.0)
        ax.set_ylim(0, max(float(ci_top), float(p.max())) * 1.4)
        med = fb["median_time"]
        _note(ax, f"P(any breach) {percent(fb['p_any'])}\nmedian time of first breach: end of "
                  f"{step_label(med, years[0], spy)}", "upper left")
        ax.legend(loc="upper right")
    unit = "quarter" if spy == 4 else "step"
    ax.set_title(f"When cash first falls below the floor: share of paths per {unit}")
    return fig, ax


# ---------------------------------------------------------------------------
# 4 and 6. Per-year fans
# ---------------------------------------------------------------------------

_FAN = {
    "revenue": ("Revenue by fiscal year, USD", "money"),
    "operating_income": ("Operating income by fiscal year, USD", "money"),
    "net_income": ("Net income by fiscal year, USD", "money"),
    "fcf": ("Free cash flow by fiscal year, USD", "money"),
    "cash_end": ("Cash at fiscal year end, USD", "money"),
    "cloud_cost": ("Cloud bill paid by fiscal year (incl. shortfall), USD", "money"),
    "shortfall": ("Commitment shortfall paid by fiscal year, USD", "money"),
    "fines": ("Regulatory fines paid by fiscal year, USD", "money"),
    "operating_margin": ("Operating margin by fiscal year, % of revenue", "percent"),
}


@_figure_function
def fan(result, ax=None, metric: str = "revenue"):
    """Per-year fan of ``summary["by_year"][metric]``: P5-P95, P25-P75, median, central case."""
    s = _summary(result)
    if metric not in s["by_year"]:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(s['by_year'])}")
    fig, ax = _axes(ax)
    years = s["years"]
    _bands(ax, years, s["by_year"][metric]["quantiles"], markers=True)
    ax.plot(years, s["central_case"][metric], color=C_CENTRAL, linestyle="--", marker="s", markersize=3.5,
            linewidth=1.3, label="central case")
    title, kind = _FAN.get(metric, (metric.replace("_", " ").capitalize() + " by fiscal year", "money"))
    _years_axis(ax, years)
    (_percent_y if kind == "percent" else _money_y)(ax)
    ax.set_title(title)
    return fig, ax


@_figure_function
def margin_fan(result, ax=None):
    """Operating-margin fan with the base-year margin and the compression threshold."""
    s = _summary(result)
    fig, ax = fan.__wrapped__(s, ax, "operating_margin")
    th, m0 = s["compression_threshold"], s["base_margin"]
    ax.axhline(m0, color=PALETTE["grey"], linestyle=":", linewidth=1.2, label=f"base-year margin {margin(m0)}")
    ax.axhline(th, color=C_FLOOR, linestyle="--", linewidth=1.3, label=f"compression threshold {margin(th)}")
    q = s["by_year"]["operating_margin"]["quantiles"]
    lo, hi = min(float(np.min(q["0.05"])), th), max(float(np.max(q["0.95"])), m0)
    pad = 0.08 * (hi - lo if hi > lo else 0.05)
    ax.set_ylim(lo - pad, hi + 3 * pad)
    ax.legend(loc="upper left", ncol=3)
    return fig, ax


@_figure_function
def revenue_fan(result, ax=None):
    """Revenue fan by fiscal year."""
    s = _summary(result)
    fig, ax = fan.__wrapped__(s, ax, "revenue")
    ax.legend(loc="upper left", ncol=2)
    return fig, ax


@_figure_function
def profit_probabilities(result, ax=None):
    """P(profit compression), P(net loss) and P(net income below base) by year, with 95% bands."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    series = [
        ("p_profit_compression_by_year", f"P(margin < {margin(s['compression_threshold'])}: compression)", PALETTE["orange"], "o"),
        ("p_net_loss_by_year", "P(net loss)", C_FLOOR, "s"),
    ]
    if "p_net_income_below_base_by_year" in s:
        series.append(("p_net_income_below_base_by_year", "P(net income below base year)", PALETTE["purple"], "^"))
    top = 0.0
    for key, label, color, marker in series:
        p = np.asarray(s[key])
        ci = np.asarray(s[key + "_ci95"])
        ax.fill_between(years, ci[:, 0], ci[:, 1], color=color, alpha=0.2, linewidth=0)
        ax.plot(years, p, color=color, marker=marker, label=label)
        top = max(top, float(ci[:, 1].max()))
    ax.set_ylim(0, min(1.0, top * 1.3) if top > 0 else 0.01)
    _years_axis(ax, years)
    _percent_y(ax)
    ax.set_title("Profit pressure: probability by fiscal year (bands: 95% intervals)")
    ax.legend(loc="upper left", ncol=2)
    return fig, ax


# ---------------------------------------------------------------------------
# 5. The commitment
# ---------------------------------------------------------------------------


def _box_stats(levels, values, y) -> dict:
    q = {round(float(l), 4): float(v) for l, v in zip(levels, values[:, y])}
    return {"whislo": q[0.05], "q1": q[0.25], "med": q[0.5], "q3": q[0.75], "whishi": q[0.95], "fliers": []}


@_figure_function
def commitment_usage(result, ax=None):
    """Committed cloud usage (bill after discount, before shortfall) by year against the annual minimums."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    u = usage_quantiles(s)
    if u is None:
        _no_data(ax, "No cloud bill in this scenario")
        ax.set_title("Committed cloud usage vs the annual minimum")
        return fig, ax
    stats = [_box_stats(u["levels"], u["values"], i) for i in range(len(years))]
    bp = ax.bxp(stats, positions=years, widths=0.55, patch_artist=True, showfliers=False,
                boxprops={"facecolor": PALETTE["sky"], "edgecolor": C_DIST, "linewidth": 0.9},
                medianprops={"color": C_DIST, "linewidth": 1.8},
                whiskerprops={"color": C_DIST, "linewidth": 0.9}, capprops={"color": C_DIST, "linewidth": 0.9})
    for i, flag in enumerate(u["includes_shortfall"]):
        if flag:
            bp["boxes"][i].set_hatch("///")
    mins = np.asarray(u["minimums"], dtype=float)
    has_min = mins > 0
    ax.scatter(np.asarray(years)[has_min], mins[has_min], marker="_", s=900, linewidths=2.4, color=C_FLOOR, zorder=4)
    means = s.get("cloud_bill_by_year", {}).get("after_discount")
    if means:
        ax.scatter(years, means, marker="D", s=14, color=C_CENTRAL, zorder=5, label="mean usage")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    if has_min.any():
        handles.insert(0, Line2D([], [], color=C_FLOOR, linewidth=2.4, label="annual minimum"))
    handles.append(Patch(facecolor=PALETTE["sky"], edgecolor=C_DIST, label="usage P25\u2013P75 (whiskers P5\u2013P95)"))
    if u["includes_shortfall"].any():
        handles.append(Patch(facecolor="white", edgecolor=C_DIST, hatch="///", label="bill paid incl. term shortfall"))
    ax.legend(handles=handles, loc="upper left", ncol=3)
    _years_axis(ax, years)
    _money_y(ax)
    lo = min(float(np.min(u["values"][1])), float(mins[has_min].min()) if has_min.any() else np.inf)
    hi = max(float(np.max(u["values"][-2])), float(mins.max()))
    pad = 0.08 * (hi - lo if hi > lo else max(hi, 1.0))
    ax.set_ylim(max(0.0, lo - pad), hi + 3 * pad)
    ax.set_title("Committed cloud usage vs the annual minimum, USD per year")
    return fig, ax


@_figure_function
def shortfall_distribution(result, ax=None):
    """Commitment shortfall paid per fiscal year: P25-P75 box, P5-P95 whiskers, mean."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = s["years"]
    levels, values = quantile_table(s["by_year"]["shortfall"]["quantiles"])
    mean = np.asarray(s["by_year"]["shortfall"]["mean"])
    if values.max() <= 0 and mean.max() <= 0:
        _no_data(ax, "No simulated path pays a shortfall")
    else:
        stats = [_box_stats(levels, values, i) for i in range(len(years))]
        ax.bxp(stats, positions=years, widths=0.55, patch_artist=True, showfliers=False,
               boxprops={"facecolor": PALETTE["orange"], "edgecolor": "#8a5d00", "alpha": 0.75, "linewidth": 0.9},
               medianprops={"color": "#5c3d00", "linewidth": 1.6},
               whiskerprops={"color": "#8a5d00"}, capprops={"color": "#8a5d00"})
        ax.scatter(years, mean, marker="D", s=16, color=C_CENTRAL, zorder=5, label="mean")
        from matplotlib.patches import Patch

        handles, _ = ax.get_legend_handles_labels()
        handles.append(Patch(facecolor=PALETTE["orange"], edgecolor="#8a5d00", alpha=0.75, label="P25\u2013P75 (whiskers P5\u2013P95)"))
        ax.legend(handles=handles, loc="upper left")
        ax.set_ylim(0, max(float(values[levels.searchsorted(0.95)].max()), float(mean.max())) * 1.25)
        _money_y(ax)
    _years_axis(ax, years)
    _note(ax, f"P(any shortfall) {percent(s['p_commitment_shortfall'])}\n"
              f"expected total {money(s['expected_shortfall_total'])}", "upper right")
    ax.set_title("Commitment shortfall paid per year, USD")
    return fig, ax


@_figure_function
def contract_shortfall(result, ax=None, name: str | None = None):
    """One contract's total shortfall paid over the horizon: quantile bars (P1..P99) and the mean.

    ``name`` is a key of ``summary["commitments"]`` (default: the first).
    Reads ``commitments[name]["shortfall_total"]`` (exact or sketched
    quantiles, as the summary's ``quantile_method`` says).
    """
    s = _summary(result)
    fig, ax = _axes(ax)
    coms = s["commitments"]
    name = next(iter(coms)) if name is None else name
    c = coms[name]
    total = c["shortfall_total"]
    levels, values = quantile_table(total["quantiles"])
    labels = [f"P{round(100 * lv)}" for lv in levels]
    years = s["years"]
    if values.max() <= 0 and total["mean"] <= 0:
        _no_data(ax, "No simulated path pays a shortfall on this contract")
        ax.set_xticks([])
    else:
        x = np.arange(len(levels))
        ax.bar(x, values, width=0.62, color=PALETTE["orange"], edgecolor="#8a5d00", alpha=0.8, linewidth=0.8,
               label="quantile of the total over paths")
        ax.axhline(total["mean"], color=C_CENTRAL, linestyle="--", linewidth=1.2, label=f"mean {money(total['mean'])}")
        ax.set_xticks(x)
        ax.set_xticklabels(labels)
        ax.set_xlabel("Share of paths paying at most this much")
        ax.set_ylim(0, max(float(values.max()), float(total["mean"])) * 1.25)
        ax.legend(loc="upper left")
        _money_y(ax)
    _note(ax, f"P(any shortfall) {percent(c['p_shortfall'])}\nexpected total {money(c['expected_shortfall_total'])}", "upper right")
    label = "Commitment" if c.get("v1_deal") else f"Contract {name}"  # a v1 deal's one contract is "the commitment"
    ax.set_title(f"{label}: total shortfall paid {years[0]}\u2013{years[-1]}, USD")
    return fig, ax


@_figure_function
def cloud_bill_bridge(result, ax=None):
    """Why the cloud bill differs from the base-year bill: a bridge over the horizon (means over paths)."""
    s = _summary(result)
    fig, ax = _axes(ax)
    dec = bill_decomposition(s)
    years = s["years"]
    title = f"Cloud bill {years[0]}\u2013{years[-1]} vs the base-year bill, USD (mean over paths)"
    if dec is None:
        _no_data(ax, "No cloud-bill decomposition in this run\n(no cloud bill, or per-step recording off)")
        ax.set_title(title)
        return fig, ax
    names = list(dec["totals"])
    labels = [f"base-year bill\n\u00d7 {len(years)} years"] + [n.replace(" ", "\n", 1) for n in names] + ["bill paid"]
    level = dec["base_total"]
    ax.bar(0, level, color=PALETTE["grey"], width=0.62)
    bottoms, heights, colors = [], [], []
    for name in names:
        v = dec["totals"][name]
        bottoms.append(level if v >= 0 else level + v)
        heights.append(abs(v))
        colors.append(C_FLOOR if v > 0 else PALETTE["green"])
        level += v
    x = np.arange(1, len(names) + 1)
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.62)
    ax.bar(len(names) + 1, dec["paid_total"], color=C_DIST, width=0.62)
    # connectors between bars
    running = dec["base_total"]
    for i, name in enumerate(names):
        nxt = running + dec["totals"][name]
        ax.plot([i + 0.31, i + 0.69], [running, running], color="#666666", linewidth=0.7)
        running = nxt
    ax.plot([len(names) + 0.31, len(names) + 0.69], [running, running], color="#666666", linewidth=0.7)
    top = max(dec["base_total"], dec["paid_total"], *(b + h for b, h in zip(bottoms, heights)))
    for xi, v, b, h in zip(x, [dec["totals"][n] for n in names], bottoms, heights):
        ax.annotate(money(v, plus=True), (xi, b + h), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7.5)
    ax.annotate(money(dec["base_total"]), (0, dec["base_total"]), xytext=(0, 3), textcoords="offset points",
                ha="center", va="bottom", fontsize=7.5)
    ax.annotate(money(dec["paid_total"]), (len(names) + 1, dec["paid_total"]), xytext=(0, 3),
                textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=7.5)
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, top * 1.12)
    _money_y(ax)
    ax.set_title(title)
    return fig, ax


# ---------------------------------------------------------------------------
# 6. Value at risk
# ---------------------------------------------------------------------------


@_figure_function
def cfar_ear(result, ax=None):
    """CFaR(95%) on free cash flow and EaR(95%) on net income by year: expected value minus its 5th percentile."""
    s = _summary(result)
    fig, ax = _axes(ax)
    years = np.asarray(s["years"])
    w = 0.38
    c = np.asarray(s["cfar95_by_year"])
    e = np.asarray(s["ear95_by_year"])
    ax.bar(years - w / 2, c, width=w, color=C_DIST, label="CFaR 95% (free cash flow)")
    ax.bar(years + w / 2, e, width=w, color=PALETTE["orange"], label="EaR 95% (net income)")
    _years_axis(ax, list(years))
    _money_y(ax)
    ax.set_ylim(min(0.0, float(min(c.min(), e.min())) * 1.2), max(float(max(c.max(), e.max())) * 1.25, 1.0))
    ax.set_title("Cash flow and earnings at risk (95%), USD: expected value minus 5th percentile")
    ax.legend(loc="upper left")
    return fig, ax


#: The report's figures in order: (file stem, function, section number).
FIGURES: list[tuple[str, Callable, int]] = [
    ("cash_fan", cash_fan, 2),
    ("min_cash_histogram", min_cash_histogram, 3),
    ("breach_probability", breach_probability, 3),
    ("first_breach_time", first_breach_time, 3),
    ("margin_fan", margin_fan, 4),
    ("profit_probabilities", profit_probabilities, 4),
    ("commitment_usage", commitment_usage, 5),
    ("shortfall_distribution", shortfall_distribution, 5),
    ("cloud_bill_bridge", cloud_bill_bridge, 5),
    ("revenue_fan", revenue_fan, 6),
    ("cfar_ear", cfar_ear, 6),
]
