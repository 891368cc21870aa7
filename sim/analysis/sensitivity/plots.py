"""Figures of a sensitivity analysis: tornado, spider, Sobol indices.

Each function takes a :class:`~sim.analysis.sensitivity.SensitivityResult` (or its
``to_dict()``, e.g. ``json.load`` of ``sensitivity.json``) and an optional
matplotlib ``ax``, and returns ``(fig, ax)``, in the style of ``sim.present.plots``
(Okabe-Ito colour-blind-safe palette, money as $M/$B, units in the titles).
:func:`save_figures` writes them as PNG files.

>>> import sim.analysis.sensitivity as ss, sim.analysis.sensitivity.plots as sp
>>> res = ss.analyse("pinterest_aws_2031", paths=20_000)     # doctest: +SKIP
>>> fig, ax = sp.tornado(res)                                 # doctest: +SKIP
>>> fig.savefig("tornado.png")                                # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from sim.model.labels import factor_label, key_unit, parameter_label
from sim.present.formatting import MINUS, money, percent
from sim.present.style import (
    FIGSIZE,
    PALETTE,
    money_formatter,
    percent_formatter,
    style,
)

__all__ = ["tornado", "spider", "sobol", "save_figures", "TOP"]

TOP = 15  # bars in a tornado
SPIDER_LINES = 8  # lines in a spider plot (largest swings)
C_LOW = PALETTE["sky"]  # input held low
C_HIGH = PALETTE["orange"]  # input held high
C_BASE = PALETTE["black"]
C_S1 = PALETTE["blue"]
C_ST = PALETTE["vermillion"]
LINE_COLOURS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black", "grey")]
LINE_STYLES = ["-", "--", "-.", ":"]


def _data(result) -> dict:
    return result.to_dict() if hasattr(result, "to_dict") else result


def _figure(fn):
    @functools.wraps(fn)
    def wrapper(result, ax=None, *args, **kwargs):
        with style():
            return fn(_data(result), ax, *args, **kwargs)

    return wrapper


def _axes(ax, height: float):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(FIGSIZE[0], height), layout="constrained")
    return fig, ax


def _is_percent(metric: dict) -> bool:
    return metric["unit"] != "money"  # probabilities and shares


def _metric_axis(axis, metric: dict) -> None:
    axis.set_major_formatter(percent_formatter() if _is_percent(metric) else money_formatter())


def _unit(metric: dict) -> str:
    return {"probability": "probability, %", "share": "share, %"}.get(metric["unit"], "USD")


def _value(v: float, is_money: bool, bernoulli: bool, key: str = "") -> str:
    """The value an input is held at, as the report writes it (money, percent or a plain number)."""
    if bernoulli:
        return "never" if v == 0 else ("always" if v == 1 else f"{v:g}")
    if is_money:
        return money(v)
    return percent(v) if key_unit(key) == "percent" else f"{v:.3g}".replace("-", MINUS)


def _show(x: float, metric: dict) -> str:
    return percent(x) if _is_percent(metric) else money(x)


def _is_money(row: dict) -> bool:
    return bool(row.get("money"))


def _is_bernoulli(row: dict) -> bool:
    return bool(row.get("bernoulli"))


@_figure
def tornado(res: dict, ax=None, top: int = TOP):
    """The metric with each input held at its low and high percentile; largest swing on top.

    Bars start at the baseline (every input random); whiskers are 95%
    intervals of each end; the y labels give the values held.
    """
    rows = res["tornado"][:top]
    m = res["metric"]
    fig, ax = _axes(ax, max(2.4, 0.42 * len(rows) + 1.3))
    base = res["baseline"]["estimate"]
    y = np.arange(len(rows))[::-1]
    lo_pct, hi_pct = res["tornado_percentiles"]
    for yi, r in zip(y, rows):
        for end, colour in (("low", C_LOW), ("high", C_HIGH)):
            e = r[end]
            ax.barh(yi, e["estimate"] - base, left=base, height=0.62, color=colour, edgecolor="white", linewidth=0.5)
            ax.errorbar(e["estimate"], yi, xerr=[[e["estimate"] - e["ci95"][0]], [e["ci95"][1] - e["estimate"]]],
                        fmt="none", ecolor="#333333", elinewidth=0.9, capsize=2.5)
    labels = []
    for r in rows:
        is_money, bern = _is_money(r), _is_bernoulli(r)
        ends = f"{_value(r['low_value'], is_money, bern, r['key'])} / {_value(r['high_value'], is_money, bern, r['key'])}"
        labels.append(f"{parameter_label(r['key'])}\n{ends}")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7.5)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.axvline(base, color=C_BASE, linewidth=1.1)
    handles = [
        Line2D([], [], color=C_BASE, linewidth=1.1, label=f"baseline, all inputs random: {_show(base, m)}"),
        Patch(color=C_LOW, label=f"input held at P{lo_pct:g} (Bernoulli: never)"),
        Patch(color=C_HIGH, label=f"input held at P{hi_pct:g} (Bernoulli: always)"),
    ]
    _metric_axis(ax.xaxis, m)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel(m["label"])
    ax.set_title(f"Tornado: {m['label']}, {_unit(m)}")
    # below the axes, over no bar or whisker
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=7.5)
    if len(res["tornado"]) > top:
        ax.text(1.0, 1.01, f"{len(res['tornado']) - top} smaller inputs not shown", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7, color="#555555")
    return fig, ax


@_figure
def spider(res: dict, ax=None, lines: int = SPIDER_LINES):
    """The metric as each input is held at each of its percentiles (the largest swings), with 95% bands."""
    rows = res["tornado"][:lines]
    m = res["metric"]
    fig, ax = _axes(ax, FIGSIZE[1] + 0.6)
    for i, r in enumerate(rows):
        pts = r["spider"]
        x = [p["percentile"] for p in pts]
        est = [p["estimate"] for p in pts]
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        ls = LINE_STYLES[(i // len(LINE_COLOURS)) % len(LINE_STYLES)]
        lo, hi = [p["ci95"][0] for p in pts], [p["ci95"][1] for p in pts]
        if _is_bernoulli(r) and r.get("p") is not None:
            # a step at the percentile 100 (1 - p) where the outcome turns from never to always
            jump = 100 * (1 - r["p"])
            never = [i for i, p in enumerate(pts) if p["value"] == 0]
            always = [i for i, p in enumerate(pts) if p["value"] == 1]
            i0, i1 = (never or always)[0], (always or never)[0]
            xs = [0, jump, jump, 100]
            ax.fill_between(xs, [lo[i0]] * 2 + [lo[i1]] * 2, [hi[i0]] * 2 + [hi[i1]] * 2, color=colour, alpha=0.10, linewidth=0)
            ax.plot(xs, [est[i0]] * 2 + [est[i1]] * 2, color=colour, linestyle=ls, label=parameter_label(r["key"]))
            ax.plot(x, est, color=colour, linestyle="none", marker="o")
        else:
            ax.fill_between(x, lo, hi, color=colour, alpha=0.10, linewidth=0)
            ax.plot(x, est, color=colour, linestyle=ls, marker="o", label=parameter_label(r["key"]))
    base = res["baseline"]["estimate"]
    ax.axhline(base, color=C_BASE, linewidth=1.0, linestyle=":", label="baseline (all inputs random)")
    pcts = res["spider_percentiles"]
    ax.set_xticks(pcts)
    ax.set_xticklabels([f"{p:g}" for p in pcts])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Percentile at which the input is held (every other input random)")
    _metric_axis(ax.yaxis, m)
    ax.set_ylabel(m["label"])
    ax.set_title(f"Spider: {m['label']}, {_unit(m)}")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5)
    return fig, ax


@_figure
def sobol(res: dict, ax=None, top: int = TOP):
    """First- and total-order Sobol indices with bootstrap 95% intervals, largest total order on top."""
    s = res.get("sobol")
    m = res["metric"]
    rows = sorted(s["rows"], key=lambda r: -(r["ST"] or 0))[:top] if s else []
    fig, ax = _axes(ax, max(2.4, 0.36 * len(rows) + 1.3))
    if not rows:
        ax.text(0.5, 0.5, "no Sobol analysis in this result", transform=ax.transAxes, ha="center", va="center")
        return fig, ax
    y = np.arange(len(rows))[::-1]
    h = 0.38
    for off, name, colour, label in ((h / 2, "S1", C_S1, "first order"), (-h / 2, "ST", C_ST, "total order")):
        v = np.array([r[name] or 0.0 for r in rows])
        lo = np.array([r[f"{name}_ci95"][0] if r[f"{name}_ci95"][0] is not None else np.nan for r in rows])
        hi = np.array([r[f"{name}_ci95"][1] if r[f"{name}_ci95"][1] is not None else np.nan for r in rows])
        ax.barh(y + off, v, height=h, color=colour, label=label)
        ax.errorbar(v, y + off, xerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], fmt="none",
                    ecolor="#333333", elinewidth=0.8, capsize=2)
    ax.set_yticks(y)
    ax.set_yticklabels([factor_label(r["factor"]) for r in rows], fontsize=7.5)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel(f"Share of the variance of the metric across inputs (N = {s['n']}, {s['paths']:,} paths per run)")
    ax.set_title(f"Sobol indices: {m['label']}, share of variance")
    ax.legend(loc="lower right", fontsize=7.5)
    return fig, ax


def save_figures(result, folder: str | os.PathLike) -> list[Path]:
    """Write ``tornado.png``, ``spider.png`` and (with Sobol indices) ``sobol.png`` into ``folder``.

    Each file is written under a temporary name and renamed, so an
    interrupted save leaves no half-written figure.  Returns the paths written.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(folder)
    d = _data(result)
    plots = [("tornado.png", tornado), ("spider.png", spider)]
    if d.get("sobol") is not None:
        plots.append(("sobol.png", sobol))
    out = []
    for name, fn in plots:
        fig, _ = fn(d)
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp)
        plt.close(fig)
        os.replace(tmp, folder / name)
        out.append(folder / name)
    return out
