"""Back-test output: the terminal table and calibration summary, and the figures.

Everything reads plain dicts: per run ``(config, summary)`` with the
summary's ``backtest`` (``sim.engine.backtest``) and the pooled calibration
(``sim.analysis.backtest.calibration``), so a saved JSON renders the same.
"""

from __future__ import annotations

import numpy as np

from sim.present.formatting import margin, money, percent
from sim.present.style import C_DIST, C_FLOOR, FIGSIZE, PALETTE, style

__all__ = ["actual_text", "actuals_fan", "format_backtest", "pit_histogram", "scored_metrics"]

BAR = "#"  # one mark of the text PIT histogram per actual


def actual_text(metric: str, x: float) -> str:
    """A value of ``metric`` for people: money, or a margin in percent."""
    return margin(x) if metric == "operating_margin" else money(x)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _ci(c: dict) -> str:
    if c["n"] == 0:
        return "n/a (no values)"
    lo, hi = c["ci95"]
    return f"{c['count']}/{c['n']} = {percent(c['rate'], 1)} (95% CI {percent(lo, 1)}\u2013{percent(hi, 1)}; nominal {percent(c['nominal'], 0)})"


def format_backtest(runs: list[tuple[str, dict]], cal: dict, paths: int, seed: int) -> str:
    """The ``sim backtest`` text: value table, event table, calibration summary, text PIT histogram.

    Parameters
    ----------
    runs : list of (str, dict)
        Config name and its run's summary (with ``backtest``).
    cal : dict
        ``sim.analysis.backtest.calibration`` of the runs.
    paths, seed : int
        Of every run (printed in the heading).
    """
    lines = [f"Back-test: {len(runs)} config(s), {paths:,} paths each, seed {seed}; PIT from exact counts over every path", ""]
    head = f"{'config':<20} {'metric':<17} {'year':>4} {'actual':>10} {'P5':>10} {'P50':>10} {'P95':>10} {'PIT':>6}  50%  90%"
    lines += ["Values", head, "-" * len(head)]
    for name, s in runs:
        for a in s["backtest"]["actuals"]:
            if a["kind"] != "value":
                continue
            v, p5, p50, p95 = (actual_text(a["name"], a[k]) for k in ("value", "p5", "p50", "p95"))
            lines.append(
                f"{name:<20} {a['name']:<17} {a['year']:>4} {v:>10} {p5:>10} {p50:>10} "
                f"{p95:>10} {a['pit']:>6.3f}  {_yes(a['in50']):<4} {_yes(a['in90']):<3}"
            )
    events = [(name, a) for name, s in runs for a in s["backtest"]["actuals"] if a["kind"] == "event"]
    if events:
        head = f"{'config':<20} {'event':<17} {'year':>4} {'p':>8} {'happened':>9} {'Brier':>8}"
        lines += ["", "Events (cash_breach: first breach in or before the year; shortfall: one paid in the year)", head, "-" * len(head)]
        for name, a in events:
            lines.append(f"{name:<20} {a['name']:<17} {a['year']:>4} {percent(a['p']):>8} {_yes(a['happened']):>9} {a['brier']:>8.4f}")
    lines += ["", f"Calibration over {cal['values']} values and {cal['events']} events (actuals within a deal are not independent)"]
    lines.append(f"  inside the 50% band: {_ci(cal['coverage50'])}")
    lines.append(f"  inside the 90% band: {_ci(cal['coverage90'])}")
    if cal["mean_pit"] is not None:
        lines.append(f"  mean PIT: {cal['mean_pit']:.3f} (0.5 if unbiased; below: outcomes fell short of the forecasts)")
    if cal["mean_brier"] is not None:
        skill = "undefined (every event had the same outcome)" if cal["brier_skill"] is None else f"{cal['brier_skill']:.3f}"
        lines.append(
            f"  mean Brier: {cal['mean_brier']:.4f}; climatological baseline {cal['baseline_brier']:.4f} "
            f"(event rate {percent(cal['event_rate'], 1)}); skill {skill}"
        )
    h = cal["pit_histogram"]
    lines += ["", "PIT histogram (a calibrated model fills the bins evenly)"]
    expected = cal["values"] / len(h["counts"]) if cal["values"] else 0
    for lo, hi, c in zip(h["edges"][:-1], h["edges"][1:], h["counts"]):
        lines.append(f"  {lo:.1f}\u2013{hi:.1f} {c:>4}  {BAR * c}")
    lines.append(f"  (even: {expected:.1f} per bin)")
    return "\n".join(lines)


def scored_metrics(summary: dict) -> list[str]:
    """The value metrics a run's ``backtest`` scores, in first-seen order."""
    out: list[str] = []
    for a in summary["backtest"]["actuals"]:
        if a["kind"] == "value" and a["name"] not in out:
            out.append(a["name"])
    return out


def pit_histogram(cal: dict, ax=None):
    """Bar chart of the pooled PIT histogram with the even (calibrated) level; returns (fig, ax)."""
    with style():
        fig, ax = _axes(ax, (FIGSIZE[0] * 0.75, FIGSIZE[1] * 0.8))
        h = cal["pit_histogram"]
        edges = np.asarray(h["edges"])
        ax.bar(edges[:-1], h["counts"], width=np.diff(edges), align="edge", color=C_DIST, alpha=0.75, edgecolor="white")
        if cal["values"]:
            ax.axhline(cal["values"] / len(h["counts"]), color=PALETTE["black"], linestyle="--", linewidth=1.2, label="calibrated (even)")
            ax.legend(loc="upper right")
        ax.set_xlim(0, 1)
        ax.set_xlabel("PIT: share of simulated paths below the realised value")
        ax.set_ylabel("actuals")
        ax.set_title(f"PIT histogram, {cal['values']} realised values")
        return fig, ax


def actuals_fan(summary: dict, metric: str, ax=None):
    """The run's fan of ``metric`` by fiscal year (P5-P95, P25-P75, median) with the actual values marked."""
    from sim.present.plots import fan

    with style():
        fig, ax = fan.__wrapped__(summary, ax, metric)
        marks = [(a["year"], a["value"]) for a in summary["backtest"]["actuals"] if a["kind"] == "value" and a["name"] == metric]
        xs, ys = zip(*marks)
        ax.plot(xs, ys, linestyle="none", marker="D", markersize=6, color=C_FLOOR, label="actual", zorder=5)
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, min(ys)), max(hi, max(ys)))
        ax.legend(loc="upper left", ncol=2)
        return fig, ax


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax
