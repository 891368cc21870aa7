"""The risk report of a run: one self-contained HTML file and a Markdown file.

The HTML opens offline: its figures are PNG images embedded as ``data:``
URIs, its style is inline and it has no scripts.  The Markdown file links
the same PNG files, written into ``figures/`` beside it.  Both are built from
``Result.summary`` and the resolved scenario only, so ``sim report DIR``
rebuilds byte-identical files from a saved run (the report carries no build
time).

Sections: 1 headline, 2 cash, 3 breaches, 4 margins, 5 the commitment,
6 revenue and value at risk, 7 inputs, 8 provenance.

>>> import sim, sim.report
>>> r = sim.run("pinterest_aws_2031", paths=100_000)                 # doctest: +SKIP
>>> sim.report.write_outputs(r, "out/")                              # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from sim.metrics import bill_decomposition, headline, usage_quantiles

__all__ = [
    "FORMATS",
    "REPORT_HTML",
    "REPORT_MD",
    "FIGURES_DIR",
    "parse_formats",
    "render_figures",
    "build_html",
    "build_markdown",
    "write_report",
    "write_outputs",
]

FORMATS = ("html", "md")
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
FIGURES_DIR = "figures"
DPI = 144


def parse_formats(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"html,md"`` -> ``("html", "md")``; ``"none"`` or ``""`` -> ``()``.

    Raises ValueError naming the unknown format.
    """
    if text is None:
        return FORMATS
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if part in ("", "none"):
            continue
        if part == "markdown":
            part = "md"
        if part not in FORMATS:
            raise ValueError(f"unknown format {part!r} (choose html, md, or both: html,md; none for no report)")
        if part not in out:
            out.append(part)
    return tuple(f for f in FORMATS if f in out)


# ---------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------


def money(x: float) -> str:
    """USD millions for people: $3.40B, $450M, −$12.0M."""
    from sim.units import format_money

    if x is None or not math.isfinite(x):
        return "n/a"
    text = format_money(abs(x))
    return ("\u2212" + text) if x < 0 and text not in ("$0", "$0.0M") else text


def pct(p: float) -> str:
    """A probability in percent with the digits it needs: 72.0%, 6.87%, 0.045%, 0.0028%."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if p == 0:
        return "0%"
    if p == 1:
        return "100%"
    x = 100 * p
    if x >= 10:
        return f"{x:.1f}%"
    if x >= 1:
        return f"{x:.2f}%"
    digits = max(2, 1 - math.floor(math.log10(x)))  # two significant digits
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") + "%"


def pct_ci(ci: Sequence[float]) -> str:
    return f"{pct(ci[0])}\u2013{pct(ci[1])}"


def margin(m: float) -> str:
    """An operating margin (fraction) in percent, one decimal: 13.1%, −24.6%."""
    text = f"{100 * m:.1f}%"
    return "\u2212" + text[1:] if text.startswith("-") and text != "-0.0%" else text.lstrip("-")


def in_words(p: float) -> str:
    """'about 7 in 100 paths', 'about 1 in 3,600 paths', 'no simulated path'."""
    if p <= 0:
        return "no simulated path"
    if p >= 0.995:
        return "essentially every path"
    if p < 0.0095:
        n = 1 / p
        n = round(n, -max(0, math.floor(math.log10(n)) - 1))  # two significant digits: 1 in 29,000
        return f"about 1 in {int(n):,} paths"
    return f"about {round(100 * p)} in 100 paths"


def _share(rank: float) -> str:
    if rank <= 0.01:
        return "below P1"
    if rank >= 0.99:
        return "above P99"
    return f"~{round(100 * rank)}%"


def _plain(x: float) -> str:
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _fiscal_date(t: float) -> str:
    """Decimal fiscal year -> '2031-03'."""
    year = math.floor(t + 1e-9)
    month = int(round((t - year) * 12)) + 1
    if month > 12:
        year, month = year + 1, 1
    return f"{year}-{month:02d}"


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    stem: str
    section: int
    title: str
    png: bytes
    width: int
    height: int

    @property
    def filename(self) -> str:
        return f"{self.stem}.png"


_CAPTIONS = {
    "cash_fan": "Cash at each step's end across simulated paths: shaded bands hold the middle 90% and 50% of paths; "
    "the solid line is the median path value, the dashed black line the central case, the dashed red line the cash floor. "
    "Dotted purple lines mark debt maturities.",
    "min_cash_histogram": "Each path's lowest cash over the horizon. The red part lies below the floor: those paths breach. "
    "The end bins also hold the paths beyond P0.1 and P99.9.",
    "breach_probability": "Share of paths whose cash has fallen below the floor at least once by the end of each fiscal year, "
    "with its 95% Wilson interval.",
    "first_breach_time": "When breaching paths first cross the floor (share of all paths per step, 95% Wilson intervals).",
    "margin_fan": "Operating margin (operating income over revenue) per fiscal year; a year is compressed when its margin "
    "falls below the dashed red threshold.",
    "profit_probabilities": "Probability of profit compression, of a net loss and of net income below the base year, per "
    "fiscal year, with 95% Wilson bands.",
    "commitment_usage": "Cloud usage that counts against the commitment (the bill after silicon savings and the committed "
    "discount, before any shortfall) against each year's minimum.",
    "shortfall_distribution": "Shortfall paid for unused commitment per fiscal year (zero on paths that meet the minimum).",
    "cloud_bill_bridge": "Mean cloud bill over the horizon against the base-year bill repeated every year, split into usage "
    "growth, price changes, silicon savings, the commitment discount and shortfall payments.",
    "revenue_fan": "Revenue per fiscal year: bands hold the middle 90% and 50% of paths.",
    "cfar_ear": "Cash flow at risk (CFaR) and earnings at risk (EaR) at 95%, CorporateMetrics convention: the expected "
    "value minus the 5th percentile, per fiscal year.",
}


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return int(width), int(height)


def render_figures(result, dpi: int = DPI) -> list[Figure]:
    """Every report figure that applies to the run, as PNG bytes (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from sim import plots

    s = _summary(result)
    out = []
    for stem, fn, section in plots.FIGURES:
        if not _applies(stem, s):
            continue
        with plots.style():
            fig = MplFigure(figsize=plots.FIGSIZE, layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            fn(s, ax)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        data = buf.getvalue()
        title = ax.get_title(loc="left") or ax.get_title()
        w, h = _png_size(data)
        out.append(Figure(stem, section, title, data, w, h))
    return out


def _applies(stem: str, s: dict) -> bool:
    if stem == "commitment_usage":
        return "commitment" in s
    if stem == "shortfall_distribution":
        return "commitment" in s
    if stem == "cloud_bill_bridge":
        return "cloud_bill_by_year" in s
    return True


def _summary(obj) -> dict:
    return obj.summary if hasattr(obj, "summary") else obj


# ---------------------------------------------------------------------------
# Content, shared by HTML and Markdown
# ---------------------------------------------------------------------------
#
# The report is a list of blocks: ("h2", text, anchor), ("p", text),
# ("cards", [(label, big, small)]), ("table", header, rows, align), ("fig", Figure),
# ("pre", title, text), ("list", [items]).  Text may hold **bold** runs only.


def _blocks(result, figures: list[Figure]) -> list[tuple]:
    s = _summary(result)
    scenario = getattr(result, "scenario", None)
    h = headline(s)
    years = s["years"]
    first, last = years[0], years[-1]
    floor = s["cash_floor"]
    spy = s["steps_per_year"]
    step_word = "quarter" if spy == 4 else "step"
    by_fig = {f.stem: f for f in figures}
    blocks: list[tuple] = []

    def fig(stem):
        if stem in by_fig:
            blocks.append(("fig", by_fig[stem]))

    # -- 1. headline --------------------------------------------------------
    blocks.append(("h2", "1. Headline", "headline"))
    b = h["breach"]
    cw = h["compression_worst"]
    ca = h["compression_any"]
    sf = h["shortfall"]
    jt = h["joint"]
    cards = [
        (f"Cash below the {money(floor)} floor", pct(b["estimate"]), f"95% CI {pct_ci(b['ci95'])}"),
        (f"Profit compression, worst year ({cw['year']})", pct(cw["estimate"]), f"95% CI {pct_ci(cw['ci95'])}"),
        (f"Profit compression, any year {first}\u2013{last}", pct(ca["estimate"]), f"95% CI {pct_ci(ca['ci95'])}"),
    ]
    if "commitment" in s:
        cards.append(("Commitment shortfall, any year", pct(sf["estimate"]), f"expected total {money(sf['expected_total'])}"))
    cards.append(("Breach and compression together", pct(jt["estimate"]), f"95% CI {pct_ci(jt['ci95'])}"))
    blocks.append(("cards", cards))

    fb = h["first_breach"]
    tilted = s.get("importance_sampling")
    text = (
        f"**{in_words(b['estimate']).capitalize()}** see cash fall below the {money(floor)} floor at some {step_word}'s end "
        f"before the end of {last} ({pct(b['estimate'])}, 95% CI {pct_ci(b['ci95'])})."
    )
    if fb["p_any"] > 0 and not tilted:
        from sim.plots import _step_label

        text += (
            f" The first breaches come in {fb['earliest_year']}; half of the paths that breach have done so by the end of "
            f"{_step_label(fb['median_time'], first, spy)}."
        )
    blocks.append(("p", text))
    if tilted:
        blocks.append((
            "p",
            "**Importance sampling.** This run tilted revenue and growth shocks towards the floor: the cash-breach "
            "probabilities (P(cash < floor), by year) are reweighted to the real odds, with normal 95% intervals; every other "
            "figure, table and probability describes the tilted paths, which over-represent the downside. Rerun without "
            "--rare-event for those.",
        ))
    blocks.append((
        "p",
        f"Operating margin falls below {margin(s['compression_threshold'])} (the base year's {margin(s['base_margin'])} "
        f"less {margin(s['base_margin'] - s['compression_threshold'])} points) in at least one year on "
        f"**{pct(ca['estimate'])}** of paths; the worst year is {cw['year']}, at {pct(cw['estimate'])}. "
        f"Cash breaches the floor *and* profit is compressed on {pct(jt['estimate'])} of paths.",
    ))
    if "commitment" in s:
        com = s["commitment"]
        blocks.append((
            "p",
            f"The {money(com['total'])} commitment ({com['start_year']}\u2013{com['start_year'] + com['years'] - 1}, "
            f"shortfall settled {'each year' if com['shortfall'] == 'annual' else 'at the end of the term'}) leaves a shortfall to pay on "
            f"**{pct(sf['estimate'])}** of paths; the expected total shortfall is **{money(sf['expected_total'])}**.",
        ))
    c = h["central"]
    mc = c["min_cash"]
    cash_last_c = c["cash_end"]["central"][-1]
    cash_last_m = c["cash_end"]["median"][-1]
    central_text = (
        f"The central case (every uncertain input at its median, no shocks or events) "
        f"{'breaches the floor' if c['breach'] else 'never breaches the floor'}: its lowest cash, {money(mc['central'])}, "
        f"is above about {_share(mc['rank']).lstrip('~')} of the paths' lowest cash "
        f"(simulated median {money(mc['median'])}), and it ends {last} with {money(cash_last_c)} against a simulated median of "
        f"{money(cash_last_m)}."
    )
    if mc["rank"] >= 0.6:
        central_text += " A plan built on the central case understates the downside the distribution shows."
    blocks.append(("p", central_text))
    for d in h["maturities"]:
        blocks.append((
            "p",
            f"At the maturity of **{d['name']}** ({money(d['principal'])} due {_fiscal_date(d['maturity'])}), cash on hand is "
            f"below the principal on {'no simulated path' if d['estimate'] == 0 else pct(d['estimate']) + ' of paths'} "
            f"(95% CI {pct_ci(d['ci95'])}).",
        ))
    blocks.append(("h3", "Central case against the distribution"))
    rows = []
    q = s["min_cash"]["quantiles"]
    rows.append(["Lowest cash over the horizon", money(mc["central"]), money(q["0.05"]), money(q["0.5"]), money(q["0.95"]), _share(mc["rank"])])
    for name, label, fmt in (
        ("cash_end", f"Cash at the end of {last}", money),
        ("revenue", f"Revenue {last}", money),
        ("net_income", f"Net income {last}", money),
        ("operating_margin", f"Operating margin {last}", margin),
    ):
        qq = s["by_year"][name]["quantiles"]
        rows.append([label, fmt(c[name]["central"][-1]), fmt(qq["0.05"][-1]), fmt(qq["0.5"][-1]), fmt(qq["0.95"][-1]), _share(c[name]["rank"][-1])])
    blocks.append(("table", ["", "Central case", "P5", "Median", "P95", "Paths below the central case"], rows, "lrrrrr"))

    # -- 2. cash --------------------------------------------------------------
    blocks.append(("h2", "2. Cash", "cash"))
    fig("cash_fan")
    qc = s["by_year"]["cash_end"]["quantiles"]
    rows = [
        [str(y), money(qc["0.05"][i]), money(qc["0.25"][i]), money(qc["0.5"][i]), money(qc["0.75"][i]), money(qc["0.95"][i]),
         money(s["central_case"]["cash_end"][i])]
        for i, y in enumerate(years)
    ]
    blocks.append(("h3", "Cash at fiscal year end"))
    blocks.append(("table", ["Year", "P5", "P25", "Median", "P75", "P95", "Central case"], rows, "lrrrrrr"))
    if h["maturities"]:
        blocks.append(("h3", "Debt maturing inside the horizon"))
        rows = [
            [d["name"], money(d["principal"]), _fiscal_date(d["maturity"]), pct(d["estimate"]), pct_ci(d["ci95"])]
            for d in h["maturities"]
        ]
        blocks.append(("table", ["Debt", "Principal", "Due", "P(cash < principal at maturity)", "95% CI"], rows, "lrrrr"))

    # -- 3. breaches ------------------------------------------------------------
    blocks.append(("h2", "3. Cash-floor breaches", "breaches"))
    fig("min_cash_histogram")
    es = s["min_cash"]["expected_shortfall_5pct"]
    blocks.append((
        "p",
        f"Lowest cash: P5 {money(q['0.05'])}, median {money(q['0.5'])}, mean {money(s['min_cash']['mean'])}; "
        f"the worst 5% of paths bottom out at {money(es)} on average (expected shortfall).",
    ))
    fig("breach_probability")
    fig("first_breach_time")
    rows = [
        [str(y), pct(s["p_cash_breach_by_year"][i]), pct_ci(s["p_cash_breach_by_year_ci95"][i]), pct(fb["by_year"][i])]
        for i, y in enumerate(years)
    ]
    blocks.append(("table", ["Year", "P(breach by year end)", "95% CI", "P(first breach in the year)"], rows, "lrrr"))

    # -- 4. margins ---------------------------------------------------------------
    blocks.append(("h2", "4. Margins and profit", "margins"))
    fig("margin_fan")
    fig("profit_probabilities")
    qm = s["by_year"]["operating_margin"]["quantiles"]
    header = ["Year", "Margin P5", "Median", "P95", "Central", "P(compression)", "P(net loss)"]
    has_base = "p_net_income_below_base_by_year" in s
    if has_base:
        header.append("P(NI below base)")
    rows = []
    for i, y in enumerate(years):
        row = [
            str(y), margin(qm["0.05"][i]), margin(qm["0.5"][i]), margin(qm["0.95"][i]), margin(s["central_case"]["operating_margin"][i]),
            f"{pct(s['p_profit_compression_by_year'][i])} ({pct_ci(s['p_profit_compression_by_year_ci95'][i])})",
            f"{pct(s['p_net_loss_by_year'][i])} ({pct_ci(s['p_net_loss_by_year_ci95'][i])})",
        ]
        if has_base:
            row.append(f"{pct(s['p_net_income_below_base_by_year'][i])} ({pct_ci(s['p_net_income_below_base_by_year_ci95'][i])})")
        rows.append(row)
    blocks.append(("table", header, rows, "l" + "r" * (len(header) - 1)))
    blocks.append(("p", "Probabilities with their 95% Wilson intervals in brackets."))

    # -- 5. commitment ----------------------------------------------------------------
    blocks.append(("h2", "5. The commitment", "commitment"))
    if "commitment" not in s:
        blocks.append(("p", "This scenario has no cloud commitment."))
    else:
        fig("commitment_usage")
        u = usage_quantiles(s)
        if u is not None and not u["exact"]:
            blocks.append(("p", "Hatched boxes: the term's shortfall is settled in that year, so the box shows the bill paid, shortfall included."))
        fig("shortfall_distribution")
        fig("cloud_bill_bridge")
        dec = bill_decomposition(s)
        header = ["Year", "Minimum", "Usage median", "Usage P5\u2013P95", "Mean shortfall", "Mean bill paid"]
        mins = s["commitment"]["minimums_by_year"]
        qs = {f"{lv:g}": u["values"][j] for j, lv in enumerate(u["levels"])} if u else None
        rows = []
        for i, y in enumerate(years):
            rows.append([
                str(y),
                money(mins[i]) if mins[i] > 0 else "\u2013",
                money(qs["0.5"][i]) if qs else "n/a",
                f"{money(qs['0.05'][i])}\u2013{money(qs['0.95'][i])}" if qs else "n/a",
                money(s["by_year"]["shortfall"]["mean"][i]),
                money(s["by_year"]["cloud_cost"]["mean"][i]),
            ])
        blocks.append(("table", header, rows, "lrrrrr"))
        if dec is not None:
            blocks.append(("h3", "Why the bill changes (means over paths, against the base-year bill)"))
            names = list(dec["components"])
            header = ["Year", "Base-year bill"] + [n.capitalize() for n in names] + ["Bill paid"]
            rows = []
            for i, y in enumerate(years):
                rows.append([str(y), money(dec["base"])] + [_signed(dec["components"][n][i]) for n in names] + [money(dec["paid"][i])])
            rows.append(["Total", money(dec["base_total"])] + [_signed(dec["totals"][n]) for n in names] + [money(dec["paid_total"])])
            blocks.append(("table", header, rows, "l" + "r" * (len(header) - 1)))
        elif "cloud_bill_by_year" not in s:
            blocks.append(("p", "The bill's decomposition needs per-step recording (sim run --out, or sim.run with record_steps=True)."))

    # -- 6. revenue and value at risk ------------------------------------------------
    blocks.append(("h2", "6. Revenue and value at risk", "risk"))
    fig("revenue_fan")
    fig("cfar_ear")
    qr = s["by_year"]["revenue"]["quantiles"]
    fcf, ni = s["by_year"]["fcf"], s["by_year"]["net_income"]
    rows = [
        [str(y), money(qr["0.05"][i]), money(qr["0.5"][i]), money(qr["0.95"][i]), money(fcf["mean"][i]), money(fcf["quantiles"]["0.05"][i]),
         money(s["cfar95_by_year"][i]), money(ni["mean"][i]), money(ni["quantiles"]["0.05"][i]), money(s["ear95_by_year"][i])]
        for i, y in enumerate(years)
    ]
    blocks.append((
        "table",
        ["Year", "Revenue P5", "Median", "P95", "Expected FCF", "FCF P5", "CFaR 95%", "Expected NI", "NI P5", "EaR 95%"],
        rows,
        "lrrrrrrrrr",
    ))
    blocks.append((
        "p",
        f"CFaR and EaR follow the CorporateMetrics convention: expected value minus the 5th percentile. "
        f"Expected shortfall of the lowest cash (mean of the worst 5% of paths): **{money(es)}**, against its 5th percentile "
        f"{money(q['0.05'])} and the {money(floor)} floor.",
    ))

    # -- 7. inputs ----------------------------------------------------------------------
    blocks.append(("h2", "7. Inputs", "inputs"))
    blocks += _input_blocks(scenario, s)

    # -- 8. provenance --------------------------------------------------------------------
    blocks.append(("h2", "8. Provenance", "provenance"))
    rows = [
        ["sim version", str(s.get("version"))],
        ["scenario", str(s.get("scenario"))],
        ["config hash (SHA-256)", str(s.get("config_hash"))],
        ["seed", str(s.get("seed"))],
        ["paths", f"{s['paths']:,}"],
        ["blocks \u00d7 block size", f"{s.get('blocks')} \u00d7 {s.get('block_size'):,}" if s.get("block_size") else str(s.get("blocks"))],
        ["threads", str(s.get("threads"))],
        ["runtime", f"{s['runtime_seconds']:.2f} s" if s.get("runtime_seconds") is not None else "n/a"],
        ["sampling", str(s.get("sampling", "random"))],
        ["quantiles", "exact" if s.get("quantile_method") == "exact" else f"{s.get('quantile_method')} (mergeable sketch, within 0.4% of exact)"],
        ["horizon", f"{first}\u2013{last}, {spy} steps a year"],
    ]
    prec = s.get("precision")
    if prec:
        target = f"{_plain(100 * prec['target'])}% of the estimate" if prec.get("relative") else pct(prec["target"])
        rows.append(["precision target", f"95% CI half-width of {prec.get('metric')} \u2264 {target}: "
                     f"{'reached' if prec.get('reached') else 'not reached'} ({prec.get('reason')})"])
    if tilted:
        rows.append(["importance sampling", f"tilt {_plain(tilted.get('tilt_revenue', 0))} sd (revenue), "
                     f"{_plain(tilted.get('tilt_growth', 0))} sd (growth); effective sample size "
                     f"{tilted.get('effective_sample_size', float('nan')):,.0f}"])
    blocks.append(("table", ["", ""], rows, "ll"))
    blocks.append((
        "p",
        "The same config, seed, paths and block size give the same numbers on any machine and any thread count. "
        "Rebuild this report from the saved results with `sim report DIR`.",
    ))
    return blocks


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + money(x)


def _input_blocks(scenario, s: dict) -> list[tuple]:
    if scenario is None:
        return [("p", "The resolved config (config.toml) was not saved with these results, so the inputs cannot be listed.")]
    from sim.config import bernoulli_parameters, money_keys, scenario_to_toml, uncertain_parameters

    out: list[tuple] = []
    info, company = scenario.scenario, scenario.company
    rows = [
        ["Revenue", money(company.revenue)],
        ["Operating costs (incl. the cloud bill)", money(company.operating_costs)],
    ]
    if company.net_income is not None:
        rows.append(["Net income", money(company.net_income)])
    rows += [
        ["Cloud bill", money(scenario.cloud.spend)],
        ["Operating margin m\u2080", margin(s["base_margin"])],
        ["Compression threshold", f"{margin(s['compression_threshold'])} (m\u2080 less {margin(scenario.policy.margin_drop)} points)"],
        ["Cash floor", money(scenario.policy.cash_floor)],
    ]
    out.append(("h3", f"Base year ({info.start - 1}) and policy"))
    out.append(("table", ["", ""], rows, "lr"))

    money_set = money_keys(scenario)
    rows = []
    for key, d in uncertain_parameters(scenario).items():
        is_money = key in money_set
        fmt = money if is_money else _plain
        if d.is_fixed:
            rows.append([f"`{key}`", f"fixed {fmt(d.median())}", fmt(d.median()), "\u2013"])
        else:
            rows.append([f"`{key}`", str(d), fmt(d.median()), f"{fmt(d.quantile(0.05))} to {fmt(d.quantile(0.95))}"])
    out.append(("h3", "Uncertain parameters (drawn once per path)"))
    out.append(("table", ["Parameter", "Distribution", "Median", "5%\u201395%"], rows, "llrr"))
    bern = bernoulli_parameters(scenario)
    if bern:
        out.append(("h3", "Yes/no outcomes (drawn once per path)"))
        out.append(("table", ["Outcome", "Probability"], [[f"`{k}`", _plain(p)] for k, p in bern.items()], "lr"))
    events = []
    for sh in scenario.revenue.shocks:
        events.append([f"`revenue.shocks.{sh.name}.change`", _plain(sh.rate), _dist_text(sh.change), ""])
    for sh in scenario.cloud.pricing.shifts:
        events.append([f"`cloud.pricing.shifts.{sh.name}.change`", _plain(sh.rate), _dist_text(sh.change), f"on {sh.share:.0%} of the bill"])
    for f in scenario.regulatory.fines:
        cap = "no cap" if f.cap is None else f"cap {_plain(f.cap)} of revenue"
        lag = "paid at once" if f.lag_years == 0 else f"paid {_plain(f.lag_years)} yr later"
        events.append([f"`regulatory.fines.{f.name}.size`", _plain(f.rate), _dist_text(f.size), f"{cap}, {lag}"])
    if events:
        out.append(("h3", "Events (Poisson; sizes drawn per event)"))
        out.append(("table", ["Event size", "Rate per year", "Size per event", "Note"], events, "lrll"))
    out.append(("h3", "Correlations (Spearman rank, Gaussian copula)"))
    if scenario.correlations:
        out.append(("table", ["Between", "Rank correlation"],
                    [[f"`{c.between[0]}` ~ `{c.between[1]}`", _plain(c.rank)] for c in scenario.correlations], "lr"))
    else:
        out.append(("p", "None: every parameter is drawn independently."))
    out.append(("pre", "The resolved config (every setting; money in USD millions)", scenario_to_toml(scenario)))
    return out


def _dist_text(d) -> str:
    return f"fixed {_plain(d.median())}" if d.is_fixed else str(d)


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --accent: #0072B2; --warn: #D55E00; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-top: 10px; border-top: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 22px 0 6px; }
p { margin: 8px 0; max-width: 760px; }
.sub { color: var(--muted); margin: 0 0 2px; }
nav { margin: 14px 0 0; font-size: 13px; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; margin-right: 12px; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 14px 0; }
.card { border: 1px solid var(--rule); border-left: 4px solid var(--accent); border-radius: 4px; padding: 10px 12px; }
.card:first-child { border-left-color: var(--warn); }
.card .label { font-size: 12.5px; color: var(--muted); }
.card .big { font-size: 26px; font-weight: 700; line-height: 1.2; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .small { font-size: 12.5px; color: var(--muted); }
figure { margin: 16px 0 20px; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; max-width: 760px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { border-bottom: 1.5px solid #888; font-weight: 600; background: #f6f6f6; }
td.r, th.r { text-align: right; white-space: nowrap; }
td.l, th.l { text-align: left; }
.scroll { overflow-x: auto; }
code { font: 12.5px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: #f7f7f7; border: 1px solid #e4e4e4; padding: 10px; overflow-x: auto; font-size: 12px; }
footer { margin-top: 36px; font-size: 12px; color: var(--muted); }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav, summary { display: none; }
  details > pre { display: block; }
  h2 { break-before: auto; break-after: avoid; }
  h3 { break-after: avoid; }
  table, .cards { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _inline_html(text: str) -> str:
    """Escape, then **bold**, *italic* and `code` runs."""
    import re

    t = html.escape(text, quote=False)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", t)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    return t


def build_html(result, figures: list[Figure]) -> str:
    """The self-contained HTML report (no scripts, no external resources)."""
    s = _summary(result)
    blocks = _blocks(result, figures)
    title = f"Risk report: {s.get('scenario') or 'scenario'}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if s.get("description"):
        out.append(f'<p class="sub">{html.escape(s["description"])}</p>')
    out.append(f'<p class="sub">{_meta_line(s)}</p>')
    links = [(b[2], b[1]) for b in blocks if b[0] == "h2"]
    out.append("<nav>" + "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t in links) + "</nav>")
    out.append("</header>")
    section_open = False
    for block in blocks:
        kind = block[0]
        if kind == "h2":
            if section_open:
                out.append("</section>")
            out.append(f'<section id="{block[2]}">')
            out.append(f"<h2>{html.escape(block[1])}</h2>")
            section_open = True
        elif kind == "h3":
            out.append(f"<h3>{html.escape(block[1])}</h3>")
        elif kind == "p":
            out.append(f"<p>{_inline_html(block[1])}</p>")
        elif kind == "cards":
            out.append('<div class="cards">')
            for label, big, small in block[1]:
                out.append(
                    f'<div class="card"><div class="label">{html.escape(label)}</div>'
                    f'<div class="big">{html.escape(big)}</div><div class="small">{html.escape(small)}</div></div>'
                )
            out.append("</div>")
        elif kind == "table":
            _, header, rows, align = block
            out.append('<div class="scroll"><table>')
            if any(header):
                out.append("<thead><tr>" + "".join(f'<th class="{a}">{html.escape(h)}</th>' for h, a in zip(header, align)) + "</tr></thead>")
            out.append("<tbody>")
            for row in rows:
                out.append("<tr>" + "".join(f'<td class="{a}">{_inline_html(str(v))}</td>' for v, a in zip(row, align)) + "</tr>")
            out.append("</tbody></table></div>")
        elif kind == "fig":
            f: Figure = block[1]
            data = base64.b64encode(f.png).decode("ascii")
            # displayed at 100 CSS px per figure inch (720 px wide), sharp on high-density screens and in print
            w, h = round(f.width * 100 / DPI), round(f.height * 100 / DPI)
            out.append(
                f'<figure id="fig-{f.stem}"><img src="data:image/png;base64,{data}" width="{w}" height="{h}" '
                f'alt="{html.escape(f.title)}"><figcaption>{html.escape(_CAPTIONS.get(f.stem, ""))}</figcaption></figure>'
            )
        elif kind == "pre":
            out.append(f"<details><summary>{html.escape(block[1])}</summary><pre>{html.escape(block[2])}</pre></details>")
    if section_open:
        out.append("</section>")
    out.append(f"<footer>Built by sim {html.escape(str(s.get('version')))} from summary.json and config.toml. "
               "Money in US dollars; probabilities are shares of simulated paths.</footer>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _meta_line(s: dict) -> str:
    years = s["years"]
    return html.escape(
        f"{s['paths']:,} simulated paths \u00b7 seed {s.get('seed')} \u00b7 fiscal years {years[0]}\u2013{years[-1]} "
        f"\u00b7 cash floor {money(s['cash_floor'])} \u00b7 sim {s.get('version')}"
    )


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _md(text: str) -> str:
    """Markdown text: dollar signs escaped, so renderers with $...$ math keep them as money."""
    return str(text).replace("$", "\\$")


def _md_cell(v) -> str:
    return _md(v).replace("|", "\\|").replace("\n", " ")


def build_markdown(result, figures: list[Figure], figures_dir: str = FIGURES_DIR) -> str:
    """The Markdown report; figures are linked as ``figures_dir/STEM.png``."""
    s = _summary(result)
    blocks = _blocks(result, figures)
    title = f"Risk report: {s.get('scenario') or 'scenario'}"
    out = [f"# {title}", ""]
    if s.get("description"):
        out += [_md(s["description"]), ""]
    out += [_md(html.unescape(_meta_line(s))), ""]
    for block in blocks:
        kind = block[0]
        if kind == "h2":
            out += [f"## {_md(block[1])}", ""]
        elif kind == "h3":
            out += [f"### {_md(block[1])}", ""]
        elif kind == "p":
            out += [_md(block[1]), ""]
        elif kind == "cards":
            out += ["| | |", "|:--|--:|"]
            out += [f"| {_md_cell(label)} | **{_md_cell(big)}** ({_md_cell(small)}) |" for label, big, small in block[1]]
            out.append("")
        elif kind == "table":
            _, header, rows, align = block
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "|".join(":--" if a == "l" else "--:" for a in align) + "|")
            out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
            out.append("")
        elif kind == "fig":
            f: Figure = block[1]
            out += [f"![{_md(f.title)}]({figures_dir}/{f.filename})", "", f"*{_md(_CAPTIONS.get(f.stem, ''))}*", ""]
        elif kind == "pre":
            out += [f"**{block[1]}**", "", "```toml", block[2].rstrip("\n"), "```", ""]
    out += [f"*Built by sim {s.get('version')} from summary.json and config.toml. Money in US dollars; probabilities are shares of simulated paths.*", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_report(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``report.html`` and/or ``report.md`` (+ ``figures/*.png``) into ``folder``, atomically per file.

    Returns the files written.
    """
    from sim.results import write_atomic
    from sim.tables import write_bytes_atomic

    formats = parse_formats(formats if isinstance(formats, str) else list(formats))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not formats:
        return []
    figures = render_figures(result)
    written = []
    if "md" in formats:
        figdir = folder / FIGURES_DIR
        figdir.mkdir(exist_ok=True)
        for f in figures:
            write_bytes_atomic(figdir / f.filename, f.png)
            written.append(figdir / f.filename)
        write_atomic(folder / REPORT_MD, build_markdown(result, figures))
        written.append(folder / REPORT_MD)
    if "html" in formats:
        write_atomic(folder / REPORT_HTML, build_html(result, figures))
        written.append(folder / REPORT_HTML)
    return written


def write_outputs(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS, parquet: bool | None = None) -> list[Path]:
    """Everything ``sim run --out DIR`` writes: summary.json, config.toml, the tables and the report."""
    from sim.tables import write_tables

    folder = Path(folder)
    result.save(folder)
    written = [folder / "summary.json"]
    if getattr(result, "scenario", None) is not None:
        written.append(folder / "config.toml")
    written += write_tables(result, folder, parquet=parquet)
    written += write_report(result, folder, formats)
    return written
