"""What the report says: sections 1 to 8 (and 9 from :mod:`sim.report.sensitivity`) as plain data.

:func:`build_document` reads ``Result.summary`` and the resolved scenario
only, so a saved run (``Result.load``) gives the same document as the live
one.  Sections: 1 headline, 2 cash, 3 breaches, 4 margins, 5 the commitment,
6 revenue and value at risk, 7 inputs (:mod:`sim.report.inputs`),
8 provenance, and 9 sensitivity when a ``sensitivity.json`` dict is given.
"""

from __future__ import annotations

from sim.present.formatting import (
    fiscal_date,
    in_words,
    margin,
    money,
    number,
    percent,
    percent_ci,
    step_label,
)
from sim.present.metrics import bill_decomposition, headline, usage_quantiles
from sim.report.blocks import Block, Card, Cards, Document, FigureRef, Heading, Paragraph, Section, Table
from sim.report.contracts import contract_blocks, contracts_overview
from sim.report.deal import deal_section
from sim.report.figures import Figure, caption, contract_stems
from sim.report.inputs import inputs_section
from sim.report.sensitivity import sensitivity_section, sources

__all__ = ["build_document", "title"]


def title(s: dict) -> str:
    """The report's title for summary ``s``."""
    return f"Risk report: {s.get('scenario') or 'scenario'}"


def build_document(result, figures: list[Figure], sensitivity: dict | None = None) -> Document:
    """The report's content, for both formats.

    Parameters
    ----------
    result : Result or dict
        A run (``scenario`` may be None: section 7 then says the config is missing) or its summary.
    figures : list of Figure
        The rendered figures; a figure that is not in the list is left out of its section.
    sensitivity : dict, optional
        A ``sensitivity.json`` dict (:func:`sim.report.load_sensitivity`): section 9.

    Returns
    -------
    Document
    """
    s = result.summary if hasattr(result, "summary") else result
    scenario = getattr(result, "scenario", None)
    h = headline(s)
    by_stem = {f.stem: f for f in figures}

    def fig(stem: str) -> list[Block]:
        return [FigureRef(by_stem[stem], caption(stem, s))] if stem in by_stem else []

    sections = [
        _headline(s, h),
        _cash(s, h, fig),
        _breaches(s, h, fig),
        _margins(s, fig),
        _commitment(s, fig),
        _risk(s, fig),
        Section("7. Inputs", "inputs", inputs_section(scenario, s, fig("input_distributions"))),
        _provenance(s),
    ]
    if sensitivity is not None:
        sections.append(sensitivity_section(sensitivity, s, fig("sensitivity_tornado"), fig("sensitivity_spider")))
    deal = deal_section(s, figures)  # "With and without the deal": only with summary["deal_impact"]
    if deal is not None:
        sections.append(deal)
    years = s["years"]
    meta = (f"{s['paths']:,} simulated paths \u00b7 seed {s.get('seed')} \u00b7 fiscal years {years[0]}\u2013{years[-1]} "
            f"\u00b7 cash floor {money(s['cash_floor'])} \u00b7 sim {s.get('version')}")
    footer = (f"Built by sim {s.get('version')} from {sources(sensitivity)}. "
              "Money in US dollars; probabilities are shares of simulated paths.")
    return Document(title(s), s.get("description") or None, meta, sections, footer)


def _share(rank: float) -> str:
    """A percentile rank among the paths, in words: ``~62%``, ``below P1``, ``above P99``."""
    if rank <= 0.01:
        return "below P1"
    if rank >= 0.99:
        return "above P99"
    return f"~{round(100 * rank)}%"


# -- 1. headline ----------------------------------------------------------------


def _headline(s: dict, h: dict) -> Section:
    years, floor = s["years"], s["cash_floor"]
    first, last = years[0], years[-1]
    spy = s["steps_per_year"]
    step_word = "quarter" if spy == 4 else "step"
    b, cw, ca, sf, jt = h["breach"], h["compression_worst"], h["compression_any"], h["shortfall"], h["joint"]
    cards = [
        Card(f"Cash below the {money(floor)} floor", percent(b["estimate"]), f"95% CI {percent_ci(b['ci95'])}"),
        Card(f"Profit compression, worst year ({cw['year']})", percent(cw["estimate"]), f"95% CI {percent_ci(cw['ci95'])}"),
        Card(f"Profit compression, any year {first}\u2013{last}", percent(ca["estimate"]), f"95% CI {percent_ci(ca['ci95'])}"),
    ]
    if "commitment" in s:
        cards.append(Card("Commitment shortfall, any year", percent(sf["estimate"]), f"expected total {money(sf['expected_total'])}"))
    cards.append(Card("Breach and compression together", percent(jt["estimate"]), f"95% CI {percent_ci(jt['ci95'])}"))
    out: list[Block] = [Cards(cards)]

    fb = h["first_breach"]
    tilted = s.get("importance_sampling")
    text = (
        f"**{in_words(b['estimate']).capitalize()}** see cash fall below the {money(floor)} floor at some {step_word}'s end "
        f"before the end of {last} ({percent(b['estimate'])}, 95% CI {percent_ci(b['ci95'])})."
    )
    if fb["p_any"] > 0 and not tilted:
        text += (
            f" The first breaches come in {fb['earliest_year']}; half of the paths that breach have done so by the end of "
            f"{step_label(fb['median_time'], first, spy)}."
        )
    out.append(Paragraph(text))
    if tilted:
        out.append(Paragraph(
            "**Importance sampling.** This run tilted revenue and growth shocks towards the floor: the cash-breach "
            "probabilities (P(cash < floor), by year) are reweighted to the real odds, with normal 95% intervals; every other "
            "figure, table and probability describes the tilted paths, which over-represent the downside. Rerun without "
            "--rare-event for those."
        ))
    out.append(Paragraph(
        f"Operating margin falls below {margin(s['compression_threshold'])} (the base year's {margin(s['base_margin'])} "
        f"less {margin(s['base_margin'] - s['compression_threshold'])} points) in at least one year on "
        f"**{percent(ca['estimate'])}** of paths; the worst year is {cw['year']}, at {percent(cw['estimate'])}. "
        f"Cash breaches the floor *and* profit is compressed on {percent(jt['estimate'])} of paths."
    ))
    if "commitment" in s:
        com = s["commitment"]
        settled = "each year" if com["shortfall"] == "annual" else "at the end of the term"
        out.append(Paragraph(
            f"The {money(com['total'])} commitment ({com['start_year']}\u2013{com['start_year'] + com['years'] - 1}, "
            f"shortfall settled {settled}) leaves a shortfall to pay on "
            f"**{percent(sf['estimate'])}** of paths; the expected total shortfall is **{money(sf['expected_total'])}**."
        ))
    c = h["central"]
    mc = c["min_cash"]
    text = (
        f"The central case (every uncertain input at its median, no shocks or events) "
        f"{'breaches the floor' if c['breach'] else 'never breaches the floor'}: its lowest cash, {money(mc['central'])}, "
        f"is above about {_share(mc['rank']).lstrip('~')} of the paths' lowest cash "
        f"(simulated median {money(mc['median'])}), and it ends {last} with {money(c['cash_end']['central'][-1])} against a "
        f"simulated median of {money(c['cash_end']['median'][-1])}."
    )
    if mc["rank"] >= 0.6:
        text += " A plan built on the central case understates the downside the distribution shows."
    out.append(Paragraph(text))
    for d in h["maturities"]:
        share = "no simulated path" if d["estimate"] == 0 else percent(d["estimate"]) + " of paths"
        out.append(Paragraph(
            f"At the maturity of **{d['name']}** ({money(d['principal'])} due {fiscal_date(d['maturity'])}), cash on hand is "
            f"below the principal on {share} (95% CI {percent_ci(d['ci95'])})."
        ))

    out.append(Heading("Central case against the distribution"))
    q = s["min_cash"]["quantiles"]
    rows = [["Lowest cash over the horizon", money(mc["central"]), money(q["0.05"]), money(q["0.5"]), money(q["0.95"]),
             _share(mc["rank"])]]
    for name, label, fmt in (
        ("cash_end", f"Cash at the end of {last}", money),
        ("revenue", f"Revenue {last}", money),
        ("net_income", f"Net income {last}", money),
        ("operating_margin", f"Operating margin {last}", margin),
    ):
        qq = s["by_year"][name]["quantiles"]
        rows.append([label, fmt(c[name]["central"][-1]), fmt(qq["0.05"][-1]), fmt(qq["0.5"][-1]), fmt(qq["0.95"][-1]),
                     _share(c[name]["rank"][-1])])
    out.append(Table(["", "Central case", "P5", "Median", "P95", "Paths below the central case"], rows, "lrrrrr"))
    return Section("1. Headline", "headline", out)


# -- 2. cash --------------------------------------------------------------------


def _cash(s: dict, h: dict, fig) -> Section:
    out: list[Block] = fig("cash_fan")
    qc = s["by_year"]["cash_end"]["quantiles"]
    central = s["central_case"]["cash_end"]
    rows = [[str(y)] + [money(qc[k][i]) for k in ("0.05", "0.25", "0.5", "0.75", "0.95")] + [money(central[i])]
            for i, y in enumerate(s["years"])]
    out.append(Heading("Cash at fiscal year end"))
    out.append(Table(["Year", "P5", "P25", "Median", "P75", "P95", "Central case"], rows, "lrrrrrr"))
    if h["maturities"]:
        out.append(Heading("Debt maturing inside the horizon"))
        rows = [[d["name"], money(d["principal"]), fiscal_date(d["maturity"]), percent(d["estimate"]), percent_ci(d["ci95"])]
                for d in h["maturities"]]
        out.append(Table(["Debt", "Principal", "Due", "P(cash < principal at maturity)", "95% CI"], rows, "lrrrr"))
    return Section("2. Cash", "cash", out)


# -- 3. breaches ----------------------------------------------------------------


def _breaches(s: dict, h: dict, fig) -> Section:
    out: list[Block] = fig("min_cash_histogram")
    mc = s["min_cash"]
    q = mc["quantiles"]
    out.append(Paragraph(
        f"Lowest cash: P5 {money(q['0.05'])}, median {money(q['0.5'])}, mean {money(mc['mean'])}; "
        f"the worst 5% of paths bottom out at {money(mc['expected_shortfall_5pct'])} on average (the mean of the worst 5%)."
    ))
    out += fig("breach_probability") + fig("first_breach_time")
    by_year = h["first_breach"]["by_year"]
    rows = [[str(y), percent(s["p_cash_breach_by_year"][i]), percent_ci(s["p_cash_breach_by_year_ci95"][i]), percent(by_year[i])]
            for i, y in enumerate(s["years"])]
    out.append(Table(["Year", "P(breach by year end)", "95% CI", "P(first breach in the year)"], rows, "lrrr"))
    return Section("3. Cash-floor breaches", "breaches", out)


# -- 4. margins -----------------------------------------------------------------


def _with_ci(s: dict, key: str, i: int) -> str:
    """``summary[key][i]`` with its Wilson interval in brackets."""
    return f"{percent(s[key][i])} ({percent_ci(s[key + '_ci95'][i])})"


def _margins(s: dict, fig) -> Section:
    out: list[Block] = fig("margin_fan") + fig("profit_probabilities")
    qm = s["by_year"]["operating_margin"]["quantiles"]
    header = ["Year", "Margin P5", "Median", "P95", "Central", "P(compression)", "P(net loss)"]
    has_base = "p_net_income_below_base_by_year" in s
    if has_base:
        header.append("P(NI below base)")
    rows = []
    for i, y in enumerate(s["years"]):
        row = [str(y), margin(qm["0.05"][i]), margin(qm["0.5"][i]), margin(qm["0.95"][i]),
               margin(s["central_case"]["operating_margin"][i]),
               _with_ci(s, "p_profit_compression_by_year", i), _with_ci(s, "p_net_loss_by_year", i)]
        if has_base:
            row.append(_with_ci(s, "p_net_income_below_base_by_year", i))
        rows.append(row)
    out.append(Table(header, rows, "l" + "r" * (len(header) - 1)))
    out.append(Paragraph("Probabilities with their 95% Wilson intervals in brackets."))
    return Section("4. Margins and profit", "margins", out)


# -- 5. commitment --------------------------------------------------------------


def _commitment(s: dict, fig) -> Section:
    contracts = s.get("commitments") or {}
    title = "5. The commitments" if len(contracts) > 1 else "5. The commitment"
    if "commitment" not in s:
        if not contracts:
            return Section(title, "commitment", [Paragraph("This scenario has no cloud commitment.")])
        out: list[Block] = [contracts_overview(s)] + fig("cloud_bill_bridge")
    else:
        out = _v1_commitment(s, fig)
    for name, stem in contract_stems(s).items():
        out += contract_blocks(s, name, fig(stem))
    return Section(title, "commitment", out)


def _v1_commitment(s: dict, fig) -> list[Block]:
    """Section 5 for the singular ``[cloud.commitment]`` table (v1's section): usage, shortfall, the bill's bridge."""
    out: list[Block] = fig("commitment_usage")
    u = usage_quantiles(s)
    if u is not None and not u["exact"]:
        out.append(Paragraph(
            "Hatched boxes: the term's shortfall is settled in that year, so the box shows the bill paid, shortfall included."
        ))
    out += fig("shortfall_distribution") + fig("cloud_bill_bridge")
    mins = s["commitment"]["minimums_by_year"]
    qs = {f"{lv:g}": u["values"][j] for j, lv in enumerate(u["levels"])} if u else None
    rows = []
    for i, y in enumerate(s["years"]):
        rows.append([
            str(y),
            money(mins[i]) if mins[i] > 0 else "\u2013",
            money(qs["0.5"][i]) if qs else "n/a",
            f"{money(qs['0.05'][i])}\u2013{money(qs['0.95'][i])}" if qs else "n/a",
            money(s["by_year"]["shortfall"]["mean"][i]),
            money(s["by_year"]["cloud_cost"]["mean"][i]),
        ])
    out.append(Table(["Year", "Minimum", "Usage median", "Usage P5\u2013P95", "Mean shortfall", "Mean bill paid"], rows, "lrrrrr"))
    dec = bill_decomposition(s)
    if dec is not None:
        out.append(Heading("Why the bill changes (means over paths, against the base-year bill)"))
        names = list(dec["components"])
        header = ["Year", "Base-year bill"] + [n.capitalize() for n in names] + ["Bill paid"]
        rows = [[str(y), money(dec["base"])] + [money(dec["components"][n][i], plus=True) for n in names] + [money(dec["paid"][i])]
                for i, y in enumerate(s["years"])]
        rows.append(["Total", money(dec["base_total"])] + [money(dec["totals"][n], plus=True) for n in names]
                    + [money(dec["paid_total"])])
        out.append(Table(header, rows, "l" + "r" * (len(header) - 1)))
    elif "cloud_bill_by_year" not in s:
        out.append(Paragraph(
            "The bill's decomposition needs per-step recording (sim run --out, or sim.run with record_steps=True)."
        ))
    return out


# -- 6. revenue and value at risk -----------------------------------------------


def _risk(s: dict, fig) -> Section:
    out: list[Block] = fig("revenue_fan") + fig("cfar_ear")
    qr = s["by_year"]["revenue"]["quantiles"]
    fcf, ni = s["by_year"]["fcf"], s["by_year"]["net_income"]
    rows = [
        [str(y), money(qr["0.05"][i]), money(qr["0.5"][i]), money(qr["0.95"][i]), money(fcf["mean"][i]),
         money(fcf["quantiles"]["0.05"][i]), money(s["cfar95_by_year"][i]), money(ni["mean"][i]),
         money(ni["quantiles"]["0.05"][i]), money(s["ear95_by_year"][i])]
        for i, y in enumerate(s["years"])
    ]
    out.append(Table(["Year", "Revenue P5", "Median", "P95", "Expected FCF", "FCF P5", "CFaR 95%", "Expected NI", "NI P5",
                      "EaR 95%"], rows, "lrrrrrrrrr"))
    mc = s["min_cash"]
    out.append(Paragraph(
        f"CFaR and EaR follow the CorporateMetrics convention: expected value minus the 5th percentile. "
        f"Lowest cash, mean of the worst 5% of paths: **{money(mc['expected_shortfall_5pct'])}**, "
        f"against its 5th percentile {money(mc['quantiles']['0.05'])} and the {money(s['cash_floor'])} floor."
    ))
    return Section("6. Revenue and value at risk", "risk", out)


# -- 8. provenance --------------------------------------------------------------


def _provenance(s: dict) -> Section:
    years, spy = s["years"], s["steps_per_year"]
    blocks = f"{s.get('blocks')} \u00d7 {s.get('block_size'):,}" if s.get("block_size") else str(s.get("blocks"))
    runtime = f"{s['runtime_seconds']:.2f} s" if s.get("runtime_seconds") is not None else "n/a"
    quantiles = ("exact" if s.get("quantile_method") == "exact"
                 else f"{s.get('quantile_method')} (mergeable sketch, within 0.4% of exact)")
    rows = [
        ["sim version", str(s.get("version"))],
        ["scenario", str(s.get("scenario"))],
        ["config hash (SHA-256)", str(s.get("config_hash"))],
        ["seed", str(s.get("seed"))],
        ["paths", f"{s['paths']:,}"],
        ["blocks \u00d7 block size", blocks],
        ["threads", str(s.get("threads"))],
        ["runtime", runtime],
        ["sampling", str(s.get("sampling", "random"))],
        ["quantiles", quantiles],
        ["horizon", f"{years[0]}\u2013{years[-1]}, {spy} steps a year"],
    ]
    prec = s.get("precision")
    if prec:
        target = f"{number(100 * prec['target'])}% of the estimate" if prec.get("relative") else percent(prec["target"])
        rows.append(["precision target", f"95% CI half-width of {prec.get('metric')} \u2264 {target}: "
                     f"{'reached' if prec.get('reached') else 'not reached'} ({prec.get('reason')})"])
    tilted = s.get("importance_sampling")
    if tilted:
        plan = tilted.get("plan", {})
        rows.append(["importance sampling", f"mean shift of {number(plan.get('shift_sd', 0))} sd (cross-entropy pilots); "
                     f"revenue normals {number(plan.get('revenue_normals_shift_sd', 0))} sd, growth normals "
                     f"{number(plan.get('growth_normals_shift_sd', 0))} sd; effective sample size "
                     f"{tilted.get('effective_sample_size', float('nan')):,.0f}"])
    return Section("8. Provenance", "provenance", [
        Table(["", ""], rows, "ll"),
        Paragraph("The same config, seed, paths and block size give the same numbers on any machine and any thread count. "
                  "Rebuild this report from the saved results with `sim report DIR`."),
    ])
