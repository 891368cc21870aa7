"""Section 7 of the report: the inputs, from the resolved scenario."""

from __future__ import annotations

from typing import Sequence

from sim.model import base_revenue, base_spend, bernoulli_parameters, money_keys, scenario_to_toml, uncertain_parameters
from sim.model.labels import key_unit, parameter_label
from sim.present.formatting import margin, money, number, percent
from sim.report.blocks import Block, Details, Heading, Paragraph, Table

__all__ = ["inputs_section"]


def inputs_section(scenario, s: dict, figure: Sequence[Block] = ()) -> list[Block]:
    """Section 7's blocks: base year and policy, uncertain parameters, yes/no outcomes, events, correlations, the config.

    Parameters
    ----------
    scenario : Scenario or None
        The resolved scenario; None when the results were saved without ``config.toml``.
    s : dict
        The run's summary (base margin and compression threshold).
    figure : list of Block
        The small charts of the uncertain inputs' distributions (a FigureRef), or empty.
    """
    if scenario is None:
        return [Paragraph("The resolved config (config.toml) was not saved with these results, so the inputs cannot be listed.")]
    out: list[Block] = []
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
    out.append(Heading(f"Base year ({info.start - 1}) and policy"))
    out.append(Table(["", ""], rows, "lr"))

    money_set = money_keys(scenario)
    rows = []
    for key, d in uncertain_parameters(scenario).items():
        fmt = money if key in money_set else (percent if key_unit(key) == "percent" else number)
        if d.is_fixed:
            rows.append([parameter_label(key), f"`{key}`", f"fixed {fmt(d.median())}", fmt(d.median()), "\u2013"])
        else:
            rows.append([parameter_label(key), f"`{key}`", str(d), fmt(d.median()),
                         f"{fmt(d.quantile(0.05))} to {fmt(d.quantile(0.95))}"])
    out.append(Heading("Uncertain parameters (drawn once per path)"))
    out.append(Table(["Parameter", "Key", "Distribution", "Median", "5%\u201395%"], rows, "lllrr"))
    out += figure
    bern = bernoulli_parameters(scenario)
    if bern:
        out.append(Heading("Yes/no outcomes (drawn once per path)"))
        out.append(Table(["Outcome", "Key", "Probability"], [[parameter_label(k), f"`{k}`", percent(p)] for k, p in bern.items()], "llr"))
    events = []
    for sh in scenario.revenue.shocks:
        events.append([_event(f"revenue.shocks.{sh.name}.change"), number(sh.rate), _distribution(sh.change), ""])
    for sh in scenario.cloud.pricing.shifts:
        events.append([_event(f"cloud.pricing.shifts.{sh.name}.change"), number(sh.rate), _distribution(sh.change),
                       f"on {sh.share:.0%} of the bill"])
    for f in scenario.regulatory.fines:
        cap = "no cap" if f.cap is None else f"cap {number(f.cap)} of revenue"
        lag = "paid at once" if f.lag_years == 0 else f"paid {number(f.lag_years)} yr later"
        events.append([_event(f"regulatory.fines.{f.name}.size"), number(f.rate), _distribution(f.size), f"{cap}, {lag}"])
    if events:
        out.append(Heading("Events (Poisson; sizes drawn per event)"))
        out.append(Table(["Event size", "Rate per year", "Size per event", "Note"], events, "lrll"))
    out.append(Heading("Correlations (Spearman rank, Gaussian copula)"))
    if scenario.correlations:
        out.append(Table(["Between", "Rank correlation"],
                         [[f"{parameter_label(c.between[0])} ~ {parameter_label(c.between[1])}", number(c.rank)] for c in scenario.correlations], "lr"))
    else:
        out.append(Paragraph("None: every parameter is drawn independently."))
    out.append(Details("The resolved config (every setting; money in USD millions)", scenario_to_toml(scenario)))
    return out


def _event(key: str) -> str:
    return f"{parameter_label(key)} (`{key}`)"


def _distribution(d) -> str:
    return f"fixed {number(d.median())}" if d.is_fixed else str(d)
