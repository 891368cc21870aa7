"""The workbook's Commitments, Inputs and Sensitivity sheets (see :mod:`sim.report.workbook`)."""

from __future__ import annotations

import math

import numpy as np

from sim.model import base_revenue, base_spend
from sim.model.units import format_money
from sim.report.workbook_style import HEADER_ROW, MONEY, PERCENT, Book

__all__ = ["commitments_sheet", "inputs_sheet", "sensitivity_sheet"]


# ---------------------------------------------------------------------------
# Commitments
# ---------------------------------------------------------------------------


def _usage_at(usage: dict | None, level: float) -> np.ndarray | None:
    if usage is None:
        return None
    hit = np.flatnonzero(np.isclose(usage["levels"], level))
    return usage["values"][hit[0]] if hit.size else None


def commitments_sheet(book: Book, s: dict, usage: dict | None) -> None:
    """One row per year for the commitments together; one block per contract when the summary has ``commitments``.

    Parameters
    ----------
    book : Book
    s : dict
        The run's summary.
    usage : dict or None
        :func:`sim.present.metrics.usage_quantiles` of the summary (usage before shortfall, by year).
    """
    years, by_year = s["years"], s["by_year"]
    com, contracts = s.get("commitment"), s.get("commitments")
    header = ["Year", "Minimum", "P(shortfall paid in the year)", "95% CI low", "95% CI high", "Mean shortfall paid",
              "Shortfall P95", "Usage P5", "Usage median", "Usage P95", "Mean bill paid"]
    note = ("USD millions. Usage: the committed bill after discount, before any shortfall; the bill paid includes the "
            "shortfall.")
    ws = book.sheet("Commitments", "The cloud commitment, year by year", note, header, [7, 11, 14, 11, 11, 13, 12, 11, 12,
                                                                                        11, 12])
    ws.set_row(HEADER_ROW, 30)
    if com is None and contracts is None:
        ws.write_string(HEADER_ROW + 1, 0, "This scenario has no cloud commitment.", book.fmt["note"])
        return
    minimums = com["minimums_by_year"] if com else s.get("cloud_bill_by_year", {}).get("minimums")
    p, ci = s.get("p_shortfall_by_year"), s.get("p_shortfall_by_year_ci95")
    u05, u50, u95 = (_usage_at(usage, q) for q in (0.05, 0.5, 0.95))
    flagged = usage["includes_shortfall"] if usage is not None else np.zeros(len(years), bool)
    kinds = ["int", MONEY, PERCENT, PERCENT, PERCENT, MONEY, MONEY, MONEY, MONEY, MONEY, MONEY]
    r = HEADER_ROW + 1
    for i, year in enumerate(years):
        book.row(ws, r, [
            year, minimums[i] if minimums else None,
            p[i] if p else None, ci[i][0] if ci else None, ci[i][1] if ci else None,
            by_year["shortfall"]["mean"][i], by_year["shortfall"]["quantiles"]["0.95"][i],
            *(None if u is None else float(u[i]) for u in (u05, u50, u95)),
            by_year["cloud_cost"]["mean"][i],
        ], kinds)
        r += 1
    if flagged.any():
        ws.write_string(r, 0, "Usage in " + ", ".join(str(y) for y, f in zip(years, flagged) if f)
                        + ": the bill paid, shortfall included (the term's shortfall is settled that year).",
                        book.fmt["note"])
        r += 1

    r += 1
    ws.write_string(r, 0, "Over the horizon (every commitment together)", book.fmt["bold"])
    facts: list[tuple[str, object, str | None]] = []
    if com:
        facts += [
            ("Total commitment", com["total"], MONEY),
            ("Term", f"{com['start_year']}\u2013{com['start_year'] + com['years'] - 1}", "right"),
            ("Shortfall settled", "each year" if com.get("shortfall") == "annual" else "at the end of the term", "right"),
        ]
    lo, hi = s["p_commitment_shortfall_ci95"]
    facts += [
        ("P(shortfall paid in at least one year)", s["p_commitment_shortfall"], PERCENT),
        ("  95% CI low", lo, PERCENT),
        ("  95% CI high", hi, PERCENT),
        ("Expected total shortfall paid", s["expected_shortfall_total"], MONEY),
    ]
    for label, value, kind in facts:
        r += 1
        book.row(ws, r, [label, None, None, value], [None, None, None, kind])  # the label spills over B and C

    for name, d in (contracts or {}).items():
        r += 2
        ws.write_string(r, 0, f"Contract {name}: P(shortfall paid in at least one year) and expected total shortfall",
                        book.fmt["bold"])
        book.row(ws, r + 1, ["", d.get("p_shortfall"), d.get("expected_shortfall_total")], [None, PERCENT, MONEY])
        tq = (d.get("shortfall_total") or {}).get("quantiles")
        if tq:  # the distribution of the total shortfall paid over the horizon
            r += 1
            book.row(ws, r + 1, ["Total shortfall paid: P50, P95, P99", tq.get("0.5"), tq.get("0.95"), tq.get("0.99")],
                     [None, MONEY, MONEY, MONEY])
        book.header(ws, r + 2, ["Year", "P(shortfall paid in the year)", "Mean shortfall paid", "Mean steered spend",
                                "Mean rolled over", "Mean usage counted"])
        r += 3
        ps = d.get("p_shortfall_by_year") or []
        series = [ps] + [(d.get(f"{k}_by_year") or {}).get("mean") or [] for k in ("shortfall", "steered", "deferred", "usage")]
        n = max(len(v) for v in series)
        labels = years if n == len(years) else [f"contract year {i + 1}" for i in range(n)]
        for i in range(n):
            book.row(ws, r, [labels[i], *(v[i] if i < len(v) else None for v in series)],
                     ["int" if n == len(years) else None, PERCENT, MONEY, MONEY, MONEY, MONEY])
            r += 1


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _dist_cells(d, money: bool) -> list:
    """Distribution text, median, P5, P95 of a Dist (fixed: no percentiles)."""
    if d.is_fixed:
        value = float(d.median())
        return [f"fixed {format_money(value) if money else f'{value:g}'}", value, None, None]
    return [str(d), float(d.median()), float(d.quantile(0.05)), float(d.quantile(0.95))]


def inputs_sheet(book: Book, scenario) -> None:
    """Every parameter: base-year figures, uncertain parameters, yes/no outcomes, event sizes, correlations.

    Parameters
    ----------
    book : Book
    scenario : Scenario or None
        The resolved scenario; None when the results carry no config.toml (the sheet says so).
    """
    header = ["Parameter", "Kind", "Distribution", "Median", "P5", "P95", "Probability, rate or \u03c1", "Note"]
    ws = book.sheet("Inputs", "Inputs: every parameter of the model",
                    "Money (cash, amounts, base-year figures) in USD millions, distribution parameters included; "
                    "median and 5%\u201395% of each distribution.", header, [46, 16, 40, 12, 12, 12, 13, 38], align="lllrrrri")
    ws.set_row(HEADER_ROW, 30)
    r = HEADER_ROW + 1
    if scenario is None:
        ws.write_string(r, 0, "The resolved config (config.toml) was not saved with these results, so the inputs "
                              "cannot be listed.", book.fmt["note"])
        return
    from sim.model import bernoulli_parameters, money_keys, uncertain_parameters

    dists = uncertain_parameters(scenario)
    money = money_keys(scenario)
    rows: list[tuple[list, list]] = []
    company, policy = scenario.company, scenario.policy
    base = [("company.revenue", base_revenue(scenario), MONEY), ("company.operating_costs", company.operating_costs, MONEY)]
    if company.net_income is not None:
        base.append(("company.net_income", company.net_income, MONEY))
    base += [("cloud.spend", base_spend(scenario), MONEY), ("policy.cash_floor", policy.cash_floor, MONEY),
             ("policy.margin_drop", policy.margin_drop, "margin")]
    for key, value, kind in base:
        if key in dists or not isinstance(value, (int, float)):
            continue  # an uncertain one is listed with the distributions below
        text = f"fixed {format_money(value)}" if kind == MONEY else "fixed"
        rows.append(([key, "base year" if key.startswith(("company", "cloud")) else "policy", text, float(value)],
                     [None, None, None, kind]))
    for key, d in dists.items():
        kind = MONEY if key in money else "number"
        rows.append(([key, "fixed" if d.is_fixed else "uncertain", *_dist_cells(d, key in money)],
                     [None, None, None, kind, kind, kind]))
    for key, p in bernoulli_parameters(scenario).items():
        rows.append(([key, "yes/no outcome", "", None, None, None, float(p)], [None] * 6 + ["number"]))
    events = [(f"revenue.shocks.{e.name}.change", e.rate, e.change, "") for e in scenario.revenue.shocks]
    events += [(f"cloud.pricing.shifts.{e.name}.change", e.rate, e.change, f"on {e.share:.0%} of the bill")
               for e in scenario.cloud.pricing.shifts]
    for f in scenario.regulatory.fines:
        cap = "no cap" if f.cap is None else f"cap {f.cap:g} of revenue"
        events.append((f"regulatory.fines.{f.name}.size", f.rate, f.size,
                       f"{cap}, {'paid at once' if f.lag_years == 0 else f'paid {f.lag_years:g} yr later'}"))
    for key, rate, d, note in events:
        rows.append(([key, "event size", *_dist_cells(d, False), float(rate), note],
                     [None, None, None, "number", "number", "number", "number", "indent"]))
    for c in scenario.correlations:
        rows.append(([f"{c.between[0]} ~ {c.between[1]}", "rank correlation", "Spearman, Gaussian copula", None, None,
                      None, float(c.rank)], [None] * 6 + ["number"]))
    for values, kinds in rows:
        book.row(ws, r, values, kinds)
        r += 1
    ws.autofilter(HEADER_ROW, 0, r - 1, len(header) - 1)
    ws.write_string(r + 1, 0, "Event rates are per year (Poisson); yes/no outcomes and uncertain parameters are drawn "
                              "once per path.", book.fmt["note"])


# ---------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------


def _held(book: Book, row: dict, value: float) -> tuple[object, str | None]:
    if row.get("bernoulli"):
        return ("never" if value == 0 else "always" if value == 1 else value), "right"
    return value, MONEY if row.get("money") else "number"


_TARGETS = {"min_cash": "lowest cash", "breach": "breach"}


def sensitivity_sheet(book: Book, sens: dict, s: dict) -> None:
    """The tornado (every input), rank correlations and Sobol indices of a ``sensitivity.json`` dict.

    Parameters
    ----------
    book : Book
    sens : dict
        What :meth:`SensitivityResult.save` wrote as ``sensitivity.json``.
    s : dict
        The run's summary (to say when the analysis describes another config).
    """
    m = sens["metric"]
    label = m.get("label") or m.get("name", "the metric")
    kind = PERCENT if m.get("unit") == "probability" else MONEY
    lo_p, hi_p = sens["tornado_percentiles"]
    unit = "probabilities in percent, swings in percentage points" if kind == PERCENT else "USD millions"
    header = ["Input", "Distribution", f"Held at P{lo_p:g}", f"Held at P{hi_p:g}", f"Metric at P{lo_p:g}",
              f"Metric at P{hi_p:g}", "Swing", "Swing 95% CI low", "Swing 95% CI high"]
    ws = book.sheet("Sensitivity", f"Sensitivity of {label}",
                    f"Each row: two runs with the input held at its P{lo_p:g} and its P{hi_p:g} (yes/no outcomes: never "
                    f"and always) while every other input keeps its distribution; {unit}.",
                    header, [40, 30, 12, 12, 12, 12, 11, 11, 11], align="llrrrrrrr")
    ws.set_row(HEADER_ROW, 30)
    r = HEADER_ROW + 1
    for t in sens["tornado"]:
        (low, k_low), (high, k_high) = _held(book, t, t["low_value"]), _held(book, t, t["high_value"])
        book.row(ws, r, [t["key"], t.get("distribution", ""), low, high, t["low"]["estimate"], t["high"]["estimate"],
                         t["swing"], *t["swing_ci95"]], [None, None, k_low, k_high] + [kind] * 5)
        r += 1

    r += 1
    base = sens["baseline"]
    facts = [("Metric with every input random", base["estimate"], kind + "<"),
             ("  95% CI low", base["ci95"][0], kind + "<"), ("  95% CI high", base["ci95"][1], kind + "<"),
             ("Paths per run", sens["paths"], "count<"), ("Seed", sens["seed"], "int<"),
             ("Block size", sens.get("block_size"), "count<"), ("Runs", sens.get("runs"), "count<"),
             ("Config hash", sens.get("config_hash"), "left")]
    for name, value, k in facts:
        book.row(ws, r, [name, value], [None, k])
        r += 1
    ha, hb = sens.get("config_hash"), s.get("config_hash")
    if (ha and hb and ha != hb) or sens.get("scenario") != s.get("scenario"):
        ws.write_string(r, 0, f"Note: this analysis ran on another config (scenario {sens.get('scenario')}) than the run "
                              f"in this workbook ({s.get('scenario')}).", book.fmt["warn"])
        r += 1

    c = sens.get("correlations")
    if c and c.get("rows"):
        targets = c["targets"]
        r += 1
        ws.write_string(r, 0, f"Rank correlation of each input's draw with the path's outcome ({c['paths']:,} paths); "
                              "share: squared correlation over the sum across inputs", book.fmt["bold"])
        cols = ["Input"]
        for t in targets:
            cols += [f"\u03c1 with {_TARGETS.get(t, t)}", "95% CI low", "95% CI high", "Share"]
        book.header(ws, r + 1, cols)
        r += 2
        for row in sorted(c["rows"], key=lambda x: -(x.get(f"contribution_{targets[0]}") or 0)):
            values, kinds = [row["key"]], [None]
            for t in targets:
                ci = row.get(f"rho_{t}_ci95") or [None, None]
                values += [row.get(f"rho_{t}"), *ci, row.get(f"contribution_{t}")]
                kinds += ["rho", "rho", "rho", "share"]
            book.row(ws, r, values, kinds)
            r += 1

    so = sens.get("sobol")
    if so and so.get("rows"):
        r += 1
        noise = so.get("noise_share")
        ws.write_string(r, 0, f"Sobol indices (N = {so.get('n')}, {so.get('paths', 0):,} paths per run"
                              + (f", Monte Carlo noise {100 * noise:.1f}% of the variance)" if noise is not None
                                 and math.isfinite(noise) else ")"), book.fmt["bold"])
        book.header(ws, r + 1, ["Factor", "First order", "95% CI low", "95% CI high", "Total order", "95% CI low",
                                "95% CI high"])
        r += 2
        for row in sorted(so["rows"], key=lambda x: -(x.get("ST") or 0)):
            s1 = row.get("S1_ci95") or [None, None]
            st = row.get("ST_ci95") or [None, None]
            book.row(ws, r, [row["factor"], row.get("S1"), *s1, row.get("ST"), *st], [None] + ["index"] * 6)
            r += 1
