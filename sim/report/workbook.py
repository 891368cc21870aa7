"""The Excel workbook of a run (``report.xlsx``): the summary's numbers as tables an analyst can sort, chart and reuse.

Built with XlsxWriter from ``Result.summary`` (and the resolved scenario, for the
Inputs sheet) only, so ``sim report DIR --format xlsx`` rebuilds it from saved
results; its creation date is fixed (:data:`CREATED`), so a rebuild is
byte-identical.

Sheets (:data:`SHEETS`): Summary (headline probabilities, 95% intervals and
plain words), By year (mean and quantiles of every by-year metric, one row per
metric and year), Cash fan (year-end cash quantiles, with a native line chart),
Breach curve (cumulative P(cash < floor) by year, with a chart), Risk by year
(per-year probabilities, CFaR and EaR), Commitments, Inputs, Central case and,
given a ``sensitivity.json`` dict, Sensitivity.  Each sheet has a title, a note,
and its (first) table's header on row 4, frozen.  Cells hold the summary's
numbers unrounded: money in USD millions shown as :data:`MONEY_FORMAT`,
probabilities as fractions shown as :data:`PERCENT_FORMAT`.

>>> import sim
>>> from sim.report.workbook import build_workbook
>>> build_workbook(sim.run(paths=20_000), "report.xlsx")          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from sim.model.units import format_money
from sim.present.metrics import first_breach, headline, usage_quantiles, worst_year
from sim.present.text import in_words
from sim.report.workbook_sheets import (
    commitments_sheet,
    inputs_sheet,
    sensitivity_sheet,
)
from sim.report.workbook_style import HEADER_ROW, MONEY, PERCENT, Book

__all__ = ["BY_YEAR_LABELS", "CREATED", "REPORT_XLSX", "SHEETS", "build_workbook", "level_label", "step_label", "workbook_bytes"]

REPORT_XLSX = "report.xlsx"
CREATED = dt.datetime(2000, 1, 1)  # fixed, so a rebuild from the same summary is byte-identical
SHEETS = ("Summary", "By year", "Cash fan", "Breach curve", "Risk by year", "Commitments", "Inputs", "Central case",
          "Sensitivity")
BY_YEAR_LABELS = {
    "cash_end": "Cash at fiscal year end",
    "revenue": "Revenue",
    "operating_income": "Operating income",
    "net_income": "Net income",
    "fcf": "Free cash flow",
    "operating_margin": "Operating margin",
    "cloud_cost": "Cloud bill paid (incl. shortfall)",
    "cloud_usage": "Cloud usage (after discount)",
    "shortfall": "Commitment shortfall paid",
    "fines": "Regulatory fines",
}
FAN_LEVELS = ("0.05", "0.25", "0.5", "0.75", "0.95")


def _summary(obj) -> dict:
    return obj.summary if hasattr(obj, "summary") else obj


def _is_margin(key: str) -> bool:
    return key.endswith("margin")


def level_label(level: str) -> str:
    """'0.05' -> 'P5', '0.5' -> 'Median'."""
    q = 100 * float(level)
    return "Median" if q == 50 else f"P{q:g}"


def _levels(quantiles: dict) -> list[str]:
    return sorted(quantiles, key=float)


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------


def _summary_sheet(book: Book, s: dict) -> None:
    h = headline(s)
    years = s["years"]
    first, last = years[0], years[-1]
    step = "quarter" if s["steps_per_year"] == 4 else "step"
    has_commitment = "commitment" in s or "commitments" in s
    note = (f"{s['paths']:,} paths, seed {s['seed']}, fiscal years {first}\u2013{last}. Money in USD millions ($M); "
            "probabilities are shares of simulated paths, with 95% Wilson intervals.")
    ws = book.sheet("Summary", f"{s.get('scenario') or 'Scenario'}: risk summary", note,
                    ["Measure", "Estimate", "95% CI low", "95% CI high", "In words"], [62, 13, 13, 13, 25, 13],
                    align="lrrri")
    if s.get("description"):
        ws.write_string(2, 0, str(s["description"]), book.fmt["note"])

    def p_row(label, est, ci):
        return (label, PERCENT, est, ci[0] if ci else None, ci[1] if ci else None, in_words(est))

    b, cw, ca, jt = h["breach"], h["compression_worst"], h["compression_any"], h["joint"]
    nl = worst_year(s, "p_net_loss_by_year")
    rows = [
        p_row(f"Cash below the {format_money(s['cash_floor'])} floor at some {step}'s end, {first}\u2013{last}",
              b["estimate"], b["ci95"]),
        p_row(f"Profit compression in the worst year ({cw['year']})", cw["estimate"], cw.get("ci95")),
        p_row(f"Profit compression in at least one year, {first}\u2013{last}", ca["estimate"], ca["ci95"]),
        p_row(f"Net loss in the worst year ({nl['year']})", nl["estimate"], nl.get("ci95")),
    ]
    if has_commitment:
        sf = h["shortfall"]
        rows.append(p_row("Commitment shortfall paid in at least one year", sf["estimate"], sf["ci95"]))
        rows.append(("Expected total commitment shortfall paid", MONEY, sf["expected_total"], None, None,
                     f"mean over paths, {first}\u2013{last}"))
    rows.append(p_row("Cash breach and profit compression on the same path", jt["estimate"], jt["ci95"]))
    for d in h["maturities"]:
        rows.append(p_row(f"Cash below the {format_money(d['principal'])} principal of {d['name']} at its maturity",
                          d["estimate"], d["ci95"]))
    mc = s["min_cash"]
    rows += [
        ("Lowest cash over the horizon: mean", MONEY, mc["mean"], None, None, "mean over paths"),
        ("Lowest cash over the horizon: P5", MONEY, mc["quantiles"]["0.05"], None, None, "5 in 100 paths fall lower"),
        ("Lowest cash over the horizon: median", MONEY, mc["quantiles"]["0.5"], None, None, "half the paths fall lower"),
        ("Lowest cash over the horizon: mean of the worst 5%", MONEY, mc["expected_shortfall_5pct"], None, None,
         "mean of the worst 5 in 100 paths"),
    ]
    r = HEADER_ROW + 1
    for label, kind, est, lo, hi, words in rows:
        book.row(ws, r, [label, est, lo, hi, words], [None, kind, kind, kind, "indent"])
        r += 1
    if s.get("importance_sampling"):
        r += 1
        ws.write_string(r, 0, "Importance sampling: only the cash-breach probabilities are reweighted to the real odds; "
                              "every other figure describes the tilted paths.", book.fmt["warn"])
        r += 1

    # where the central case sits among the paths
    c = h["central"]
    r += 1
    ws.write_string(r, 0, "Central case against the distribution", book.fmt["bold"])
    book.header(ws, r + 1, ["", "Central case", "P5", "Median", "P95", "Paths below central"])
    ws.set_row(r + 1, 30)
    r += 2
    q = mc["quantiles"]
    book.row(ws, r, ["Lowest cash over the horizon", c["min_cash"]["central"], q["0.05"], q["0.5"], q["0.95"],
                     c["min_cash"]["rank"]], [None, MONEY, MONEY, MONEY, MONEY, "share"])
    for name, label in (("cash_end", f"Cash at the end of {last}"), ("revenue", f"Revenue {last}"),
                        ("net_income", f"Net income {last}"), ("operating_margin", f"Operating margin {last}")):
        r += 1
        qq = s["by_year"][name]["quantiles"]
        kind = "margin" if _is_margin(name) else MONEY
        book.row(ws, r, [label, c[name]["central"][-1], qq["0.05"][-1], qq["0.5"][-1], qq["0.95"][-1],
                         c[name]["rank"][-1]], [None, kind, kind, kind, kind, "share"])

    # provenance
    r += 2
    ws.write_string(r, 0, "Run", book.fmt["bold"])
    facts = [
        ("Scenario", s.get("scenario")), ("sim version", s.get("version")), ("Config hash (SHA-256)", s.get("config_hash")),
        ("Seed", s.get("seed")), ("Paths", s.get("paths")), ("Steps per year", s.get("steps_per_year")),
        ("Sampling", s.get("sampling", "random")), ("Quantiles", s.get("quantile_method")),
        ("Operating margin m0 (base year)", s.get("base_margin")),
        ("Compression threshold", s.get("compression_threshold")),
        ("Cash floor", s.get("cash_floor")),
    ]
    kinds = {"Paths": "count<", "Seed": "int<", "Steps per year": "int<", "Operating margin m0 (base year)": "margin<",
             "Compression threshold": "margin<", "Cash floor": "money<"}
    for key, value in facts:
        r += 1
        book.row(ws, r, [key, value], [None, kinds.get(key, "left")])


# ---------------------------------------------------------------------------
# By year, cash fan, breach curve, risk by year, central case
# ---------------------------------------------------------------------------


def _by_year_sheet(book: Book, s: dict) -> None:
    by_year = s["by_year"]
    levels = _levels(next(iter(by_year.values()))["quantiles"]) if by_year else []
    header = ["Metric", "Key", "Unit", "Year", "Mean"] + [level_label(lv) for lv in levels]
    ws = book.sheet("By year", "Every by-year metric: mean and quantiles over paths",
                    "One row per metric and fiscal year. Money in USD millions ($M); margins in percent. "
                    "Filter on Key to pick one metric.", header, [34, 17, 5, 6] + [11] * (1 + len(levels)),
                    freeze_cols=4, align="lllr" + "r" * (1 + len(levels)))
    r = HEADER_ROW + 1
    for key, d in by_year.items():
        kind = "margin" if _is_margin(key) else MONEY
        for i, year in enumerate(s["years"]):
            values = [d["mean"][i]] + [d["quantiles"][lv][i] for lv in levels]
            book.row(ws, r, [BY_YEAR_LABELS.get(key, key), key, "%" if kind == "margin" else "$M", year] + values,
                     [None, None, None, "int"] + [kind] * len(values))
            r += 1
    ws.autofilter(HEADER_ROW, 0, max(HEADER_ROW, r - 1), len(header) - 1)


def _line(chart, sheet: str, col: int, first: int, last: int, name: str, color: str, width: float = 1.5,
          dash: str | None = None, marker: bool = False) -> None:
    line = {"color": color, "width": width}
    if dash:
        line["dash_type"] = dash
    chart.add_series({
        "name": name,
        "categories": [sheet, first, 0, last, 0],
        "values": [sheet, first, col, last, col],
        "line": line,
        "marker": {"type": "circle", "size": 5, "fill": {"color": color}, "border": {"color": color}}
        if marker else {"type": "none"},
    })


def _cash_fan_sheet(book: Book, s: dict) -> None:
    years, cash = s["years"], s["by_year"]["cash_end"]
    header = ["Year"] + [level_label(lv) for lv in FAN_LEVELS] + ["Mean", "Central case", "Cash floor"]
    ws = book.sheet("Cash fan", "Cash at fiscal year end: the fan of simulated paths",
                    "USD millions. P5 ... P95: quantiles over paths of each year's closing cash; the floor is the "
                    "policy's cash floor.", header, [7] + [12] * (len(header) - 1))
    r0 = HEADER_ROW + 1
    for i, year in enumerate(years):
        values = [cash["quantiles"][lv][i] for lv in FAN_LEVELS]
        values += [cash["mean"][i], s["central_case"]["cash_end"][i], s["cash_floor"]]
        book.row(ws, r0 + i, [year] + values, ["int"] + [MONEY] * len(values))
    last = r0 + len(years) - 1
    chart = book.wb.add_chart({"type": "line"})
    styles = {"0.05": ("#9ECAE1", 1.25), "0.25": ("#4292C6", 1.5), "0.5": ("#08306B", 2.5), "0.75": ("#4292C6", 1.5),
              "0.95": ("#9ECAE1", 1.25)}
    for j, lv in enumerate(FAN_LEVELS):
        color, width = styles[lv]
        _line(chart, "Cash fan", 1 + j, r0, last, header[1 + j], color, width)
    _line(chart, "Cash fan", len(header) - 1, r0, last, "Cash floor", "#D55E00", 2.0, dash="dash")
    chart.set_title({"name": "Cash at fiscal year end, USD millions", "name_font": {"size": 12}})
    chart.set_x_axis({"name": "Fiscal year"})
    chart.set_y_axis({"num_format": '$#,##0"M"', "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 400})
    ws.insert_chart(last + 2, 0, chart)


def _breach_sheet(book: Book, s: dict) -> None:
    years = s["years"]
    fb = first_breach(s)
    header = ["Year", "P(breach by year end)", "95% CI low", "95% CI high", "P(first breach in the year)"]
    ws = book.sheet("Breach curve", f"Cash below the {format_money(s['cash_floor'])} floor: cumulative probability",
                    "Share of paths whose cash has fallen below the floor at some step's end by the end of each year, "
                    "with its 95% Wilson interval.", header, [7, 14, 12, 12, 16])
    ws.set_row(HEADER_ROW, 30)
    r0 = HEADER_ROW + 1
    cis = s["p_cash_breach_by_year_ci95"]
    for i, year in enumerate(years):
        book.row(ws, r0 + i, [year, s["p_cash_breach_by_year"][i], cis[i][0], cis[i][1], fb["by_year"][i]],
                 ["int", PERCENT, PERCENT, PERCENT, PERCENT])
    last = r0 + len(years) - 1
    chart = book.wb.add_chart({"type": "line"})
    _line(chart, "Breach curve", 1, r0, last, "P(breach by year end)", "#D55E00", 2.25, marker=True)
    _line(chart, "Breach curve", 2, r0, last, "95% CI low", "#999999", 1.0, dash="dash")
    _line(chart, "Breach curve", 3, r0, last, "95% CI high", "#999999", 1.0, dash="dash")
    chart.set_title({"name": "P(cash below the floor by year end)", "name_font": {"size": 12}})
    chart.set_x_axis({"name": "Fiscal year"})
    chart.set_y_axis({"num_format": "0%", "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 400})
    ws.insert_chart(last + 2, 0, chart)


def _risk_sheet(book: Book, s: dict) -> None:
    series = [("P(profit compression)", "Compression", "p_profit_compression_by_year"),
              ("P(net loss)", "Net loss", "p_net_loss_by_year")]
    if "p_net_income_below_base_by_year" in s:
        series.append(("P(net income below the base year)", "NI below base", "p_net_income_below_base_by_year"))
    if ("commitment" in s or "commitments" in s) and "p_shortfall_by_year" in s:
        series.append(("P(commitment shortfall paid)", "Shortfall", "p_shortfall_by_year"))
    header, kinds = ["Year"], ["int"]
    for label, short, _ in series:
        header += [label, f"{short} 95% CI low", f"{short} 95% CI high"]
        kinds += [PERCENT] * 3
    header += ["CFaR 95%", "EaR 95%"]
    kinds += [MONEY, MONEY]
    ws = book.sheet("Risk by year", "Probabilities and value at risk, year by year",
                    "Shares of paths with the event in each fiscal year, with 95% Wilson intervals. CFaR and EaR "
                    "(USD millions): expected free cash flow / net income minus its 5th percentile.",
                    header, [7] + [13] * (len(header) - 1))
    ws.set_row(HEADER_ROW, 45)
    for i, year in enumerate(s["years"]):
        values: list = [year]
        for _, _, key in series:
            ci = s.get(key + "_ci95")
            values += [s[key][i], ci[i][0] if ci else None, ci[i][1] if ci else None]
        values += [s["cfar95_by_year"][i], s["ear95_by_year"][i]]
        book.row(ws, HEADER_ROW + 1 + i, values, kinds)


def step_label(step: int, first_year: int, steps_per_year: int) -> str:
    """The end of step ``step`` (1-based): '2024 Q3' with quarters, '2024 step 5/12' otherwise."""
    year, k = first_year + (step - 1) // steps_per_year, (step - 1) % steps_per_year + 1
    if steps_per_year == 1:
        return str(year)
    return f"{year} Q{k}" if steps_per_year == 4 else f"{year} step {k}/{steps_per_year}"


def _central_sheet(book: Book, s: dict) -> None:
    c, years = s["central_case"], s["years"]
    keys = [k for k, v in c.items() if isinstance(v, list) and len(v) == len(years) and k != "cash"]
    steps = c.get("cash") if isinstance(c.get("cash"), list) and len(c["cash"]) != len(years) else None
    header = ["Year"] + [BY_YEAR_LABELS.get(k, k) for k in keys]
    ws = book.sheet("Central case", "The central case: one path with every uncertain input at its median",
                    "No shocks, price shifts or fines; yes/no outcomes at their probabilities. USD millions; margins "
                    "in percent.", header, [7] + [14] * len(keys))
    ws.set_row(HEADER_ROW, 45)
    for i, year in enumerate(years):
        book.row(ws, HEADER_ROW + 1 + i, [year] + [c[k][i] for k in keys],
                 ["int"] + ["margin" if _is_margin(k) else MONEY for k in keys])
    r = HEADER_ROW + 2 + len(years)
    book.row(ws, r, ["Lowest cash", None, c.get("min_cash")], [None, None, MONEY])  # the label spills over B
    book.row(ws, r + 1, ["Breaches the floor", None, bool(c.get("breach"))], [None, None, None])
    if steps:
        col = len(header) + 1
        book.header(ws, HEADER_ROW, ["Step end", "Cash"], col)
        ws.set_column(col, col, 10)
        ws.set_column(col + 1, col + 1, 12)
        for k, value in enumerate(steps):
            book.row(ws, HEADER_ROW + 1 + k, [step_label(k + 1, years[0], s["steps_per_year"]), value], [None, MONEY],
                     col)


# ---------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------


def workbook_bytes(result, sensitivity: dict | None = None, scenario=None) -> bytes:
    """The workbook as ``.xlsx`` bytes.

    Parameters
    ----------
    result : Result or dict
        A finished run (its ``summary`` and ``scenario``) or a summary dict.
    sensitivity : dict, optional
        The ``sensitivity.json`` dict (:func:`sim.report.load_sensitivity`); adds the Sensitivity sheet.
    scenario : Scenario, optional
        For the Inputs sheet when ``result`` is a dict (default: ``result.scenario``).
    """
    import xlsxwriter

    s = _summary(result)
    scenario = scenario if scenario is not None else getattr(result, "scenario", None)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "nan_inf_to_errors": True})
    wb.set_properties({"title": f"sim risk workbook: {s.get('scenario') or 'scenario'}", "author": "sim",
                       "comments": f"Built by sim {s.get('version')} from summary.json", "created": CREATED})
    book = Book(wb)
    _summary_sheet(book, s)
    _by_year_sheet(book, s)
    _cash_fan_sheet(book, s)
    _breach_sheet(book, s)
    _risk_sheet(book, s)
    commitments_sheet(book, s, usage_quantiles(s))
    inputs_sheet(book, scenario)
    _central_sheet(book, s)
    if sensitivity is not None:
        sensitivity_sheet(book, sensitivity, s)
    wb.close()
    return buf.getvalue()


def build_workbook(result, path: str | os.PathLike, sensitivity: dict | None = None) -> Path:
    """Write the run's Excel workbook to ``path`` (atomically) and return the path.

    Parameters
    ----------
    result : Result or dict
        A finished run, or a summary dict (then the Inputs sheet says the config is missing).
    path : str or os.PathLike
        The ``.xlsx`` file to write; its folder is created.
    sensitivity : dict, optional
        The ``sensitivity.json`` dict; adds the Sensitivity sheet.
    """
    from sim.files import write_bytes_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, workbook_bytes(result, sensitivity))
    return path
