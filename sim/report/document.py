"""The risk report of a run: one self-contained HTML file and a Markdown file.

The HTML opens offline: its figures are PNG images embedded as ``data:``
URIs, its style is inline and it has no scripts.  The Markdown file links
the same PNG files, written into ``figures/`` beside it.  Both are built from
``Result.summary`` and the resolved scenario only, so ``sim report DIR``
rebuilds byte-identical files from a saved run (the report carries no build
time).

Sections: 1 headline, 2 cash, 3 breaches, 4 margins, 5 the commitment,
6 revenue and value at risk, 7 inputs, 8 provenance, and 9 sensitivity
whenever the folder holds a ``sensitivity.json`` (``sim run --sensitivity``,
or ``sim sensitivity --out`` into the run's folder), never otherwise.

>>> import sim, sim.report.document
>>> r = sim.run("pinterest_aws_2031", paths=100_000)                 # doctest: +SKIP
>>> sim.report.document.write_outputs(r, "out/")                              # doctest: +SKIP
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

from sim.present.metrics import bill_decomposition, headline, usage_quantiles
from sim.present.text import in_words
from sim.model.units import format_number as _plain

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
    "SENSITIVITY_FILE",
    "load_sensitivity",
    "render_sensitivity_figures",
]

FORMATS = ("html", "md")
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
FIGURES_DIR = "figures"
SENSITIVITY_FILE = "sensitivity.json"
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
    from sim.model.units import format_money

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


def _share(rank: float) -> str:
    if rank <= 0.01:
        return "below P1"
    if rank >= 0.99:
        return "above P99"
    return f"~{round(100 * rank)}%"


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


_DEBT_NOTE = " Dotted purple lines mark debt maturities."


def _caption(stem: str, s: dict) -> str:
    """A figure's caption; the fan chart mentions debt only when a maturity falls inside the horizon."""
    text = _CAPTIONS.get(stem, "")
    if stem == "cash_fan" and s.get("p_cash_below_principal_at_maturity"):
        text += _DEBT_NOTE
    return text


_CAPTIONS = {
    "cash_fan": "Cash at each step's end across simulated paths: shaded bands hold the middle 90% and 50% of paths; "
    "the solid line is the median path value, the dashed black line the central case, the dashed red line the cash floor.",
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
    "sensitivity_tornado": "The metric with one input held at a low and at a high percentile while every other input keeps "
    "its distribution, on common random numbers; bars start at the baseline (every input random) and are sorted by swing, "
    "whiskers are 95% intervals of each end. Labels give the values held (yes/no outcomes: never / always).",
}


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return int(width), int(height)


def render_figures(result, dpi: int = DPI) -> list[Figure]:
    """Every report figure that applies to the run, as PNG bytes (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from sim.present import plots
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


def _blocks(result, figures: list[Figure], sensitivity: dict | None = None) -> list[tuple]:
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
        from sim.present.plots import _step_label

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
        plan = tilted.get("plan", {})
        rows.append(["importance sampling", f"mean shift of {_plain(plan.get('shift_sd', 0))} sd (cross-entropy pilots); "
                     f"revenue normals {_plain(plan.get('revenue_normals_shift_sd', 0))} sd, growth normals "
                     f"{_plain(plan.get('growth_normals_shift_sd', 0))} sd; effective sample size "
                     f"{tilted.get('effective_sample_size', float('nan')):,.0f}"])
    blocks.append(("table", ["", ""], rows, "ll"))
    blocks.append((
        "p",
        "The same config, seed, paths and block size give the same numbers on any machine and any thread count. "
        "Rebuild this report from the saved results with `sim report DIR`.",
    ))

    # -- 9. sensitivity (only with sensitivity.json) ------------------------------------
    if sensitivity is not None:
        blocks += _sensitivity_blocks(sensitivity, s, by_fig)
    return blocks


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + money(x)


def _input_blocks(scenario, s: dict) -> list[tuple]:
    if scenario is None:
        return [("p", "The resolved config (config.toml) was not saved with these results, so the inputs cannot be listed.")]
    from sim.model import base_revenue, base_spend, bernoulli_parameters, money_keys, scenario_to_toml, uncertain_parameters

    out: list[tuple] = []
    info, company = scenario.scenario, scenario.company
    rows = [
        ["Revenue", money(base_revenue(scenario))],  # the median when uncertain
        ["Operating costs (incl. the cloud bill)", money(company.operating_costs)],
    ]
    if company.net_income is not None:
        rows.append(["Net income", money(company.net_income)])
    rows += [
        ["Cloud bill", money(base_spend(scenario))],
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
# 9. Sensitivity (from sensitivity.json)
# ---------------------------------------------------------------------------


def load_sensitivity(folder: str | os.PathLike) -> dict | None:
    """``folder/sensitivity.json`` as a dict (what ``SensitivityResult.save`` wrote), or None when absent.

    Raises ValueError naming the file when it is not valid JSON or not a sensitivity result.
    """
    import json

    path = Path(folder) / SENSITIVITY_FILE
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e.msg} (line {e.lineno})") from None
    need = ("metric", "paths", "seed", "baseline", "tornado", "tornado_percentiles")
    missing = [k for k in need if k not in d] if isinstance(d, dict) else list(need)
    if missing:
        raise ValueError(f"{path}: not a sim sensitivity result (missing {', '.join(missing)})")
    return d


def render_sensitivity_figures(sens: dict, dpi: int = DPI) -> list[Figure]:
    """The report's sensitivity figure (the tornado) from a ``sensitivity.json`` dict, as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from sim.present import plots
    from sim.analysis import sensitivity_plots as sp
    if not sens.get("tornado"):
        return []
    bars = min(len(sens["tornado"]), sp.TOP)
    with plots.style():
        fig = MplFigure(figsize=(plots.FIGSIZE[0], max(2.4, 0.42 * bars + 1.3)), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        sp.tornado(sens, ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    data = buf.getvalue()
    w, h = _png_size(data)
    return [Figure("sensitivity_tornado", 9, ax.get_title(loc="left") or ax.get_title(), data, w, h)]


def _sources(sensitivity) -> str:
    return "summary.json, config.toml and sensitivity.json" if sensitivity is not None else "summary.json and config.toml"


def _pts(x: float) -> str:
    """A difference of probabilities in percentage points: 15.7 pts, 0.69 pts."""
    return ("\u2212" if x < 0 else "") + pct(abs(x))[:-1] + " pts"


def _rho(r) -> str:
    return "n/a" if r is None or not math.isfinite(r) else f"{r:+.3f}".replace("-", "\u2212")


def _held(row: dict, v: float) -> str:
    if row.get("bernoulli"):
        return "never" if v == 0 else ("always" if v == 1 else f"p = {v:g}")
    return money(v) if row.get("money") else f"{v:.3g}".replace("-", "\u2212")


_SENS_TOP = 15  # rows of the section's tables, as bars in the tornado (sim.analysis.sensitivity_plots.TOP)


def _sensitivity_blocks(sens: dict, s: dict, by_fig: dict) -> list[tuple]:
    m = sens["metric"]
    label = m.get("label") or m.get("name", "the metric")
    words = label if label.startswith("P(") else label[0].lower() + label[1:]
    prob = m.get("unit") == "probability"
    show = pct if prob else money
    swing = _pts if prob else money

    def interval(ci) -> str:
        lo, hi = ci
        return f"{pct(lo)[:-1]}\u2013{pct(hi)[:-1]} pts" if prob else f"{money(lo)}\u2013{money(hi)}"

    lo_p, hi_p = sens["tornado_percentiles"]
    rows = sens["tornado"]
    paths = sens["paths"]
    base = sens["baseline"]
    out: list[tuple] = [("h2", "9. Sensitivity", "sensitivity")]
    if not rows:
        out.append(("p", f"The sensitivity analysis of {words} (sensitivity.json) holds no inputs."))
        return out

    # in plain words: the input that matters most, and how far ahead of the next one it is
    top = rows[0]
    if top["swing_ci95"][0] <= 0:
        text = (
            f"No input moves {words} by more than the Monte Carlo noise at {paths:,} paths per run: the largest swing, "
            f"`{top['key']}`'s, is {swing(top['swing'])} (95% CI {interval(top['swing_ci95'])}), against "
            f"{show(base['estimate'])} with every input random."
        )
    else:
        if top.get("bernoulli"):
            ends = (f"if that outcome never happens it is {show(top['low']['estimate'])}, if it always happens "
                    f"{show(top['high']['estimate'])}")
        else:
            ends = (f"held at its P{lo_p:g} ({_held(top, top['low_value'])}) it is {show(top['low']['estimate'])}, "
                    f"at its P{hi_p:g} ({_held(top, top['high_value'])}) {show(top['high']['estimate'])}")
        text = (
            f"**`{top['key']}` matters most** to {words}: {ends}, a swing of **{swing(top['swing'])}** "
            f"(95% CI {interval(top['swing_ci95'])}); with every input random it is {show(base['estimate'])}."
        )
        if len(rows) > 1:
            nxt = rows[1]
            measurable = any(r["swing_ci95"][0] > 0 for r in rows[1:])
            if not measurable:
                text += f" No other input moves it measurably at {paths:,} paths per run."
            elif top["swing_ci95"][0] > nxt["swing_ci95"][1]:
                ratio = top["swing"] / nxt["swing"] if nxt["swing"] > 0 else math.inf
                if ratio >= 1.5:
                    times = "many" if not math.isfinite(ratio) or ratio >= 100 else f"{ratio:.1f}"
                    text += f" That is {times} times the swing of the next input, `{nxt['key']}` ({swing(nxt['swing'])})."
                else:
                    text += f" The next input, `{nxt['key']}`, swings it by {swing(nxt['swing'])}."
            else:
                text += (
                    f" `{nxt['key']}` swings it about as much ({swing(nxt['swing'])}, 95% CI {interval(nxt['swing_ci95'])}): "
                    f"the intervals overlap, so which of the two matters more is within the noise of {paths:,} paths per run."
                )
            if len(rows) > 2 and measurable:
                rest = len(rows) - 2
                text += (f" The other {rest} inputs each move it by {swing(rows[2]['swing'])} or less." if rest > 1 else
                         f" The remaining input, `{rows[2]['key']}`, moves it by {swing(rows[2]['swing'])}.")
    out.append(("p", text))

    # is it the same model as the run above?
    notes = []
    ha, hb = sens.get("config_hash"), s.get("config_hash")
    if (ha and hb and ha != hb) or sens.get("scenario") != s.get("scenario"):
        notes.append(
            f"**Note.** This analysis was run on a different config from the run above (scenario {sens.get('scenario')}"
            + (f", config hash {ha[:12]}\u2026" if ha else "")
            + f"; the run: {s.get('scenario')}" + (f", {hb[:12]}\u2026" if hb else "")
            + "), so it describes that config. Rerun it on this one with `sim sensitivity DIR/config.toml --out DIR`."
        )
    elif sens.get("seed") != s.get("seed") or sens.get("block_size") != s.get("block_size"):
        notes.append(
            f"The analysis used seed {sens.get('seed')} and blocks of {sens.get('block_size'):,} paths (the run: seed "
            f"{s.get('seed')}, blocks of {s.get('block_size') or 0:,}): the same model on other random numbers."
        )
    out += [("p", n) for n in notes]

    if "sensitivity_tornado" in by_fig:
        out.append(("fig", by_fig["sensitivity_tornado"]))
    out.append(("h3", f"Inputs by swing: {label}"))
    shown = rows[:_SENS_TOP]
    table = [
        [f"`{r['key']}`", f"{_held(r, r['low_value'])} / {_held(r, r['high_value'])}", show(r["low"]["estimate"]),
         show(r["high"]["estimate"]), swing(r["swing"]), interval(r["swing_ci95"])]
        for r in shown
    ]
    out.append(("table", ["Input", f"Held at P{lo_p:g} / P{hi_p:g}", f"At P{lo_p:g}", f"At P{hi_p:g}", "Swing", "95% CI"],
                table, "llrrrr"))
    more = len(rows) - len(shown)
    out.append(("p", (f"{more} more input{'s' if more > 1 else ''}, with smaller swings, in tornado.csv. " if more > 0 else "")
                + f"Each row is two runs with the input held at its P{lo_p:g} and its P{hi_p:g} (yes/no outcomes: never and "
                "always) while every other input keeps its distribution; the swing's interval comes from the path-by-path "
                "differences of the two runs (common random numbers)."))

    c = sens.get("correlations")
    if c and c.get("rows"):
        targets = c["targets"]
        names = {"min_cash": "lowest cash", "breach": "breach"}
        name = m.get("name", "")
        primary = name if name in targets else ("breach" if name.startswith("p_cash_breach") and "breach" in targets
                                                 else targets[0])
        order = sorted(range(len(c["rows"])), key=lambda i: (-c["rows"][i][f"contribution_{primary}"], i))
        lead = c["rows"][order[0]]
        out.append(("h3", "Rank correlations and contribution to variance"))
        if lead[f"contribution_{primary}"] > 0:
            what = names.get(primary, words)
            out.append(("p",
                        f"On the baseline run's {c['paths']:,} paths, `{lead['key']}`'s draw has the strongest rank correlation "
                        f"with the path's {what if primary != 'breach' else 'breach of the floor'} "
                        f"(\u03c1 = {_rho(lead[f'rho_{primary}'])}, {lead[f'contribution_{primary}']:.0%} of the contribution "
                        "to variance)."))
        header = ["Input"]
        for t in targets:
            header += [f"\u03c1 with {names.get(t, t)} (95% CI)", "Share"]
        table = []
        for i in order[:_SENS_TOP]:
            r = c["rows"][i]
            row = [f"`{r['key']}`"]
            for t in targets:
                lo, hi = r[f"rho_{t}_ci95"]
                ci = "" if lo is None or hi is None else f" ({_rho(lo)} to {_rho(hi)})"
                row += [_rho(r[f"rho_{t}"]) + ci, f"{r[f'contribution_{t}']:.0%}"]
            table.append(row)
        out.append(("table", header, table, "l" + "r" * (len(header) - 1)))
        out.append(("p", "Spearman rank correlation of each input's per-path draw with the path's outcome, with 95% intervals; "
                         "*share* is the input's squared correlation over the sum across inputs (\"contribution to variance\", "
                         "as @RISK shows it): a ranking, not a decomposition of the variance."))

    so = sens.get("sobol")
    if so and so.get("rows"):
        def num(x, digits):
            text = f"{x:.{digits}f}"
            return text.lstrip("-") if float(text) == 0 else text.replace("-", "\u2212")

        def ix(v, ci):
            if v is None:
                return "n/a"
            return num(v, 3) + ("" if ci[0] is None or ci[1] is None else f" ({num(ci[0], 2)} to {num(ci[1], 2)})")

        srows = sorted(so["rows"], key=lambda r: -(r["ST"] or 0))[:_SENS_TOP]
        out.append(("h3", "Sobol indices"))
        noise = so.get("noise_share")
        out.append(("table", ["Factor", "First order (95% CI)", "Total order (95% CI)"],
                    [[f"`{r['factor']}`", ix(r["S1"], r["S1_ci95"]), ix(r["ST"], r["ST_ci95"])] for r in srows], "lrr"))
        out.append(("p", f"Shares of the variance of {words} across the inputs' distributions: explained by the input alone "
                         f"(first order) and together with its interactions (total order); N = {so['n']}, {so['paths']:,} paths "
                         f"per run, {so['runs']:,} runs"
                         + (f", Monte Carlo noise {100 * noise:.1f}% of the variance." if noise is not None else ".")))

    method = (f"{paths:,} paths per run, seed {sens['seed']}, blocks of {sens.get('block_size') or 0:,} paths; "
              f"{sens.get('runs', 0):,} runs on common random numbers")
    if sens.get("runtime_seconds") is not None:
        method += f", {sens['runtime_seconds']:.1f} s"
    method += ". Saved beside this report: sensitivity.json, tornado.csv, spider.csv (the metric across each input's percentiles)"
    method += (", correlations.csv" if c else "") + (", sobol.csv." if so else ".")
    if s.get("sampling", "random") != "random" or s.get("importance_sampling"):
        method += " The sensitivity runs draw plain random paths, whatever the run's sampling."
    out.append(("p", method))
    return out


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


def build_html(result, figures: list[Figure], sensitivity: dict | None = None) -> str:
    """The self-contained HTML report (no scripts, no external resources); section 9 with ``sensitivity``
    (the ``sensitivity.json`` dict, :func:`load_sensitivity`)."""
    s = _summary(result)
    blocks = _blocks(result, figures, sensitivity)
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
                f'alt="{html.escape(f.title)}"><figcaption>{html.escape(_caption(f.stem, s))}</figcaption></figure>'
            )
        elif kind == "pre":
            out.append(f"<details><summary>{html.escape(block[1])}</summary><pre>{html.escape(block[2])}</pre></details>")
    if section_open:
        out.append("</section>")
    out.append(f"<footer>Built by sim {html.escape(str(s.get('version')))} from {_sources(sensitivity)}. "
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


def build_markdown(result, figures: list[Figure], figures_dir: str = FIGURES_DIR, sensitivity: dict | None = None) -> str:
    """The Markdown report; figures are linked as ``figures_dir/STEM.png``; section 9 with ``sensitivity``."""
    s = _summary(result)
    blocks = _blocks(result, figures, sensitivity)
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
            out += [f"![{_md(f.title)}]({figures_dir}/{f.filename})", "", f"*{_md(_caption(f.stem, s))}*", ""]
        elif kind == "pre":
            out += [f"**{block[1]}**", "", "```toml", block[2].rstrip("\n"), "```", ""]
    out += [f"*Built by sim {s.get('version')} from {_sources(sensitivity)}. Money in US dollars; probabilities are shares of simulated paths.*", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_report(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``report.html`` and/or ``report.md`` (+ ``figures/*.png``) into ``folder``, atomically per file.

    Section 9 (sensitivity) is there exactly when ``folder`` holds ``sensitivity.json``.
    Returns the files written.
    """
    from sim.files import write_atomic, write_bytes_atomic

    formats = parse_formats(formats if isinstance(formats, str) else list(formats))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not formats:
        return []
    sensitivity = load_sensitivity(folder)
    figures = render_figures(result)
    if sensitivity is not None:
        figures += render_sensitivity_figures(sensitivity)
    written = []
    if "md" in formats:
        figdir = folder / FIGURES_DIR
        figdir.mkdir(exist_ok=True)
        for f in figures:
            write_bytes_atomic(figdir / f.filename, f.png)
            written.append(figdir / f.filename)
        write_atomic(folder / REPORT_MD, build_markdown(result, figures, sensitivity=sensitivity))
        written.append(folder / REPORT_MD)
    if "html" in formats:
        write_atomic(folder / REPORT_HTML, build_html(result, figures, sensitivity))
        written.append(folder / REPORT_HTML)
    return written


def write_outputs(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS, parquet: bool | None = None,
                  sensitivity=None) -> list[Path]:
    """Everything ``sim run --out DIR`` writes: summary.json, config.toml, the tables and the report.

    ``sensitivity`` (a :class:`sim.analysis.sensitivity.SensitivityResult`) is saved into ``folder`` too
    (``sensitivity.json``, CSVs, PNGs) before the report, which then has section 9.
    """
    from sim.present.tables import write_tables

    folder = Path(folder)
    result.save(folder)
    written = [folder / "summary.json"]
    if getattr(result, "scenario", None) is not None:
        written.append(folder / "config.toml")
    written += write_tables(result, folder, parquet=parquet)
    if sensitivity is not None:
        written += sensitivity.save(folder)
    written += write_report(result, folder, formats)
    return written
