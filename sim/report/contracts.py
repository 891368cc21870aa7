"""Section 5's per-contract part: one subsection per commitment of ``summary["commitments"]``.

Each contract gets a table by contract year (dates, minimum, mean usage
counted, P(shortfall), mean shortfall paid, mean rolled over, mean steered)
and the figure of its total shortfall (``sim.present.plots.contract_shortfall``);
a v2 contract also gets a line of headline numbers.  A v1 deal's single
contract adds only its table and figure to today's section 5.

Contract-year values are the summary's per-fiscal-year values of the fiscal
year the contract year settles in (its ``settlement_step``): contract years
are twelve months long, so each settles in a fiscal year of its own.
"""

from __future__ import annotations

from sim.present.formatting import fiscal_date, money, percent
from sim.report.blocks import Block, Heading, Paragraph, Table

__all__ = ["contract_blocks", "contract_rows", "contracts_overview"]

RULE_WORDS = {"annual": "each contract year settles on its own", "term": "settled once, at the end of the term",
              "both": "annual floors and a term total"}
HEADER = ["Contract year", "Dates", "Minimum", "Mean usage", "P(shortfall)", "Mean shortfall paid", "Mean rolled over",
          "Mean steered"]
DASH = "\u2013"


def contract_rows(c: dict, steps_per_year: int, start_year: int) -> list[list[str]]:
    """Rows of ``HEADER`` for contract ``c`` (an entry of ``summary["commitments"]``), horizon from ``start_year``.

    Dates are the months the contract year's steps cover, the first to the
    settlement month.
    A contract year outside the horizon is listed with its minimum and "not
    simulated".  Under the "term" rule only the last counted year settles:
    its row holds the whole term's usage and shortfall, the others a dash.
    """
    cys = c["contract_years"]
    counted = [cy for cy in cys if cy["counted"]]
    settling = counted[-1:] if c["shortfall_rule"] == "term" else counted
    settles = {cy["year"] for cy in settling}
    rows = []
    for cy in cys:
        # the steps it covers (a start between step boundaries moves to the next one): first month to settlement month
        first = start_year + (cy["settlement_step"] - steps_per_year) / steps_per_year
        dates = f"{fiscal_date(first)} to {cy['settlement']}"
        head = [str(cy["year"]), dates, money(cy["minimum"])]
        if not cy["counted"]:
            rows.append(head + ["not simulated (outside the horizon)"] + [""] * 4)
            continue
        if cy["year"] not in settles:
            rows.append(head + [DASH] * 5)
            continue
        i = (cy["settlement_step"] - 1) // steps_per_year  # the fiscal year it settles in
        rows.append(head + [
            money(c["usage_by_year"]["mean"][i]),
            percent(c["p_shortfall_by_year"][i]),
            money(c["shortfall_by_year"]["mean"][i]),
            money(c["deferred_by_year"]["mean"][i]),
            money(c["steered_by_year"]["mean"][i]),
        ])
    return rows


def contracts_overview(s: dict) -> Table:
    """One row per contract: share of the bill, rule, P(any shortfall), expected total, P95 and P99 of the total."""
    rows = []
    for name, c in s["commitments"].items():
        q = c["shortfall_total"]["quantiles"]
        rows.append([name, percent(c["share"], 0), c["shortfall_rule"], percent(c["p_shortfall"]),
                     money(c["expected_shortfall_total"]), money(q["0.95"]), money(q["0.99"])])
    return Table(["Contract", "Share of the bill", "Shortfall rule", "P(any shortfall)", "Expected total paid",
                  "Total P95", "Total P99"], rows, "lrlrrrr")


def contract_blocks(s: dict, name: str, figure: list[Block]) -> list[Block]:
    """The subsection of contract ``name``: heading, (v2) headline line, table by contract year, ``figure``."""
    c = s["commitments"][name]
    out: list[Block] = [Heading("By contract year" if c.get("v1_deal") else f"Contract {name}: by contract year")]
    if not c.get("v1_deal"):
        q = c["shortfall_total"]["quantiles"]
        out.append(Paragraph(
            f"{percent(c['share'], 0)} of the cloud bill; {RULE_WORDS.get(c['shortfall_rule'], c['shortfall_rule'])}. "
            f"A shortfall is paid on **{percent(c['p_shortfall'])}** of paths; the expected total paid is "
            f"**{money(c['expected_shortfall_total'])}** (P95 {money(q['0.95'])}, P99 {money(q['0.99'])})."
        ))
    out.append(Table(HEADER, contract_rows(c, s["steps_per_year"], s["years"][0]), "llrrrrrr"))
    if c["shortfall_rule"] == "term":
        out.append(Paragraph("Under the term rule the usage and the shortfall are the whole term's, at its settlement."))
    return out + figure
