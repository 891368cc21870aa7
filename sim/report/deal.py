"""The report's section "With and without the deal" (only for a run with ``deal_impact``).

Three figures from ``summary["deal_impact"]`` (docs/DEAL_IMPACT.md): both breach
curves on one chart, the net-savings histogram, and discount saved against
shortfall paid by year; then the paired numbers in words and a table.
"""

from __future__ import annotations

import numpy as np

from sim.present.formatting import money, percent
from sim.present.style import FIGSIZE
from sim.report.backtest import render_png
from sim.report.blocks import Block, FigureRef, Paragraph, Section, Table
from sim.report.figures import DPI, Figure

__all__ = ["DEAL_SECTION", "deal_section", "render_deal_figures"]

DEAL_SECTION = 10  # figures' section number (after sensitivity's 9); the section itself is unnumbered

_CAPTIONS = {
    "deal_breach_curves": "Share of paths below the cash floor by the end of each year, with the deal and without it "
    "(every commitment removed: list price for the same usage, every other draw the same).",
    "deal_net_savings": "Each path's net savings over the horizon: discount saved minus shortfall paid (undiscounted). "
    "Red bins lie below zero: on those paths the deal costs more than list price. End bins hold the outer 0.5% each side.",
    "deal_savings_by_year": "Mean discount saved against mean shortfall paid in each fiscal year; the line is their "
    "difference, the mean net saving.",
}


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _breach_curves(s: dict, ax) -> None:
    d = s["deal_impact"]["p_cash_breach_by_year"]
    years = s["years"]
    ax.plot(years, 100 * np.asarray(d["deal"]), marker="o", label="with the deal")
    ax.plot(years, 100 * np.asarray(d["no_deal"]), marker="s", linestyle="--", label="without the deal")
    ax.set_title("P(cash < floor) by year end, with and without the deal", loc="left")
    ax.set_ylabel("% of paths")
    ax.legend()


def _net_histogram(s: dict, ax) -> None:
    h = s["deal_impact"]["net_savings"]["histogram"]
    edges, counts = np.asarray(h["edges"]), np.asarray(h["counts"], dtype=float)
    share = 100 * counts / max(counts.sum(), 1.0)
    mids, widths = 0.5 * (edges[1:] + edges[:-1]), np.diff(edges)
    colors = ["#c0392b" if m < 0 else "#2c7fb8" for m in mids]
    ax.bar(mids, share, width=widths, color=colors, align="center")
    ax.axvline(s["deal_impact"]["net_savings"]["mean"], color="black", linestyle="--", linewidth=1)
    ax.set_title("Net savings of the deal over the horizon", loc="left")
    ax.set_xlabel("USD millions")
    ax.set_ylabel("% of paths")


def _by_year(s: dict, ax) -> None:
    b = s["deal_impact"]["by_year"]
    years = np.asarray(s["years"])
    ax.bar(years - 0.2, b["discount_saved"], width=0.4, label="discount saved", color="#2c7fb8")
    ax.bar(years + 0.2, b["shortfall_paid"], width=0.4, label="shortfall paid", color="#c0392b")
    ax.plot(years, b["net_savings"], color="black", marker="o", label="net savings")
    ax.set_title("Discount saved against shortfall paid, mean per year", loc="left")
    ax.set_ylabel("USD millions")
    ax.legend()


_DRAW = {"deal_breach_curves": _breach_curves, "deal_net_savings": _net_histogram, "deal_savings_by_year": _by_year}


def render_deal_figures(result, dpi: int = DPI) -> list[Figure]:
    """The section's three figures; none unless the summary has ``deal_impact``."""
    s = result.summary if hasattr(result, "summary") else result
    if "deal_impact" not in s:
        return []
    out = []
    for stem, draw in _DRAW.items():
        data = render_png(lambda ax, draw=draw: draw(s, ax), FIGSIZE, dpi)
        title = {"deal_breach_curves": "Breach curves with and without the deal",
                 "deal_net_savings": "Net savings of the deal", "deal_savings_by_year": "Discount saved and shortfall paid"}[stem]
        out.append(Figure(stem, DEAL_SECTION, title, data, *_png_size(data)))
    return out


def deal_section(s: dict, figures: list[Figure]) -> Section | None:
    """The section, or None without ``deal_impact`` in the summary."""
    d = s.get("deal_impact")
    if not d:
        return None
    by_stem = {f.stem: f for f in figures}

    def fig(stem: str) -> list[Block]:
        return [FigureRef(by_stem[stem], _CAPTIONS[stem])] if stem in by_stem else []

    delta = d["p_cash_breach_delta"]
    lo, hi = delta["ci95"]
    ulo, uhi = delta["unpaired_ci95"]
    net = d["net_savings"]
    verb, where = ("adds", "to") if delta["estimate"] >= 0 else ("removes", "from")
    pts = lambda x: f"{100 * x:+.2f}".replace("-", "\u2212")
    out: list[Block] = [Paragraph(
        f"Every path was also run without the deal: every commitment removed, the same usage billed at list price, "
        f"every other draw the same. Signing {verb} {abs(100 * delta['estimate']):.2f} percentage points "
        f"(95% CI {pts(lo)} to {pts(hi)}, from the per-path differences) {where} the probability that cash falls below "
        f"{money(s['cash_floor'])}: {percent(d['p_cash_breach_with_deal']['estimate'])} with the deal against "
        f"{percent(d['p_cash_breach']['estimate'])} without it. Two independent runs of the same size would give "
        f"{pts(ulo)} to {pts(uhi)}."
    ), Paragraph(
        f"Net savings (discount saved minus shortfall paid, undiscounted) are {money(net['mean'])} on average, "
        f"median {money(net['quantiles']['0.5'])}, and negative on {percent(net['p_negative'])} of paths "
        f"(P5 {money(net['quantiles']['0.05'])}, P95 {money(net['quantiles']['0.95'])}). The counterfactual assumes "
        "no renegotiation and no change of vendor (docs/DEAL_IMPACT.md)."
    )]
    out += fig("deal_breach_curves") + fig("deal_net_savings") + fig("deal_savings_by_year")
    b = d["by_year"]
    rows = [[str(y), percent(d["p_cash_breach_by_year"]["deal"][i]), percent(d["p_cash_breach_by_year"]["no_deal"][i]),
             money(b["discount_saved"][i]), money(b["shortfall_paid"][i]), money(b["net_savings"][i])]
            for i, y in enumerate(s["years"])]
    out.append(Table(["Year", "P(breach) with the deal", "without", "Discount saved", "Shortfall paid", "Net savings"],
                     rows, "lrrrrr"))
    return Section("With and without the deal", "deal-impact", out)
