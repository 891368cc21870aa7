"""The human-readable summary of a validated scenario (``sim validate``).

It states what the model will do with the config: the time grid, the base
figures it derives (m_0, F_0), every uncertain parameter with its median and
5-95% range, the Bernoulli outcomes, event processes, correlations and
warnings about settings that have no effect.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model.distributions import Dist
from sim.model.parameters import bernoulli_parameters, fixed_costs, money_keys, uncertain_parameters
from sim.model.units import format_money
from sim.model.units import format_number as _plain

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Scenario

__all__ = ["describe_scenario", "warnings"]


def _value(x: float, money: bool) -> str:
    return format_money(x) if money else _plain(x)


def _dist_text(d: Dist, money: bool = False) -> str:
    if d.is_fixed:
        return f"fixed {format_money(d.median()) if money else _plain(d.median())}"
    return str(d)


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    """Left-aligned columns (the last column is not padded)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell.ljust(w) if i < len(r) - 1 else cell for i, (cell, w) in enumerate(zip(r, widths)))).rstrip()
        for r in rows
    ]


def _years(first: int, count: int) -> str:
    return str(first) if count == 1 else f"{first}-{first + count - 1}"


def warnings(scn: "Scenario") -> list[str]:
    """Settings that are valid but probably not what was meant."""

    info = scn.scenario
    first, last = info.start, info.start + info.years - 1
    out = []
    cloud = scn.cloud
    if cloud.spend == 0 and (cloud.silicon or cloud.pricing.shifts or cloud.pricing.volatility > 0):
        out.append("cloud.spend is 0 (no cloud bill): cloud.silicon and cloud.pricing have no effect")
    com = cloud.commitment
    if com is not None:
        com_last = com.start_year + com.years - 1
        outside = sum(1 for y in range(com.start_year, com_last + 1) if not first <= y <= last)
        if outside == com.years:
            out.append(
                f"cloud.commitment: committed years {_years(com.start_year, com.years)} lie outside "
                f"the horizon {first}-{last}: no discount, no minimums"
            )
        elif outside:
            out.append(
                f"cloud.commitment: {outside} of the committed years {_years(com.start_year, com.years)} lie "
                f"outside the horizon {first}-{last} and are ignored"
            )
    for p in scn.operating_costs.programs:
        key = f"operating_costs.programs.{p.name}"
        if p.years == 0:
            out.append(f"{key}: years = 0, so the program costs nothing")
        elif p.start_year is not None and (p.start_year > last or p.start_year + p.years - 1 < first):
            out.append(
                f"{key}: runs {_years(p.start_year, p.years)}, outside the horizon {first}-{last}: it costs nothing"
            )
    rev = scn.revenue
    if rev.initial_growth is not None and rev.mean_reversion == 0:
        out.append("revenue.growth has no effect: revenue.initial_growth is given and mean_reversion is 0")
    if rev.ai_uplift is not None and rev.ai_uplift.probability == 0:
        out.append("revenue.ai_uplift: probability is 0, so the uplift never happens")
    processes = [(f"revenue.shocks.{s.name}", s.rate) for s in rev.shocks]
    processes += [(f"cloud.pricing.shifts.{s.name}", s.rate) for s in cloud.pricing.shifts]
    processes += [(f"regulatory.fines.{f.name}", f.rate) for f in scn.regulatory.fines]
    out += [f"{key}: rate is 0, so it never happens" for key, rate in processes if rate == 0]
    for d in scn.cash_flow.debt:
        if d.maturity >= info.start + info.years:
            out.append(
                f"cash_flow.debt.{d.name}: matures at {_plain(d.maturity)}, after the horizon ends "
                f"({info.start + info.years}): the principal is not repaid within the simulation"
            )
    dists = uncertain_parameters(scn)
    for c in scn.correlations:
        fixed = [k for k in c.between if dists[k].is_fixed]
        if fixed:
            out.append(
                f"correlations: {c.between[0]} ~ {c.between[1]}: {fixed[0]} is fixed, so the correlation has no effect"
            )
    return out


def describe_scenario(scn: "Scenario") -> str:
    """The text ``sim validate`` prints for a validated scenario.

    Parameters
    ----------
    scn : Scenario

    Returns
    -------
    str
        Several lines, ending without a newline.
    """

    info, company, cloud = scn.scenario, scn.company, scn.cloud
    lines: list[str] = []
    title = info.name or "(unnamed scenario)"
    lines.append(f"{title}: {info.description}" if info.description else title)
    steps = info.years * info.steps_per_year
    lines.append(
        f"Horizon: {info.years} years x {info.steps_per_year} steps/year = {steps} steps, "
        f"fiscal years {_years(info.start, info.years)}"
    )
    lines.append("")

    # -- base figures
    m0 = (company.revenue - company.operating_costs) / company.revenue
    v = scn.operating_costs.variable_share
    v_med = v.median()
    f0 = fixed_costs(scn, v_med)
    base = [
        ("revenue", format_money(company.revenue)),
        ("operating costs", format_money(company.operating_costs)),
        ("cloud spend", format_money(cloud.spend) + ("" if cloud.spend > 0 else " (no cloud bill)")),
        ("m_0 base margin", f"{m0:.1%}  (compression: a year's margin below {m0 - scn.policy.margin_drop:.1%})"),
        (
            "F_0 fixed costs",
            f"{format_money(f0)} per year  (operating costs - cloud spend - variable_share {_plain(v_med)} x revenue)",
        ),
        ("cash floor", format_money(scn.policy.cash_floor)),
    ]
    if company.net_income is not None:
        base.insert(2, ("net income", format_money(company.net_income)))
    lines.append("Base year")
    lines += _table(base)

    if cloud.commitment is not None and cloud.spend > 0:
        com = cloud.commitment
        mins = ", ".join(format_money(m) for m in com.minimums)
        lines.append(
            f"  commitment       {format_money(com.total)} over {_years(com.start_year, com.years)}"
            f" (minimums {mins}; shortfall {com.shortfall})"
        )
    lines.append("")

    # -- (D) parameters
    money = money_keys(scn)
    rows = [("key", "distribution", "median", "5%-95%")]
    for key, d in uncertain_parameters(scn).items():
        is_money = key in money
        med = _value(d.median(), is_money)
        if d.is_fixed:
            spread = "-"
        else:
            spread = f"{_value(d.quantile(0.05), is_money)} to {_value(d.quantile(0.95), is_money)}"
        rows.append((key, _dist_text(d, is_money), med, spread))
        if key == "revenue.growth" and scn.revenue.initial_growth is None:
            rows.append(("revenue.initial_growth", "= revenue.growth (each path's draw)", "", ""))
    lines.append("Uncertain parameters (drawn once per path; distribution parameters of money in USD millions)")
    lines += _table(rows)
    lines.append("")

    bern = bernoulli_parameters(scn)
    lines.append("Bernoulli outcomes (drawn once per path)")
    if bern:
        lines += _table([(k, f"p = {_plain(p)}") for k, p in bern.items()])
    else:
        lines.append("  none")
    lines.append("")

    # -- event processes: key of the per-event size, rate, size distribution
    events: list[tuple[str, ...]] = [("key", "rate/year", "size per event", "")]
    for s in scn.revenue.shocks:
        events.append((f"revenue.shocks.{s.name}.change", _plain(s.rate), _dist_text(s.change), ""))
    for s in cloud.pricing.shifts:
        note = f"on {s.share:.0%} of the bill" if s.share != 1 else ""
        events.append((f"cloud.pricing.shifts.{s.name}.change", _plain(s.rate), _dist_text(s.change), note))
    for f in scn.regulatory.fines:
        cap = "no cap" if f.cap is None else f"cap {_plain(f.cap)} of revenue"
        lag = "paid at once" if f.lag_years == 0 else f"paid {_plain(f.lag_years)} year{'s' * (f.lag_years != 1)} later"
        events.append((f"regulatory.fines.{f.name}.size", _plain(f.rate), _dist_text(f.size), f"{cap}, {lag}"))
    lines.append("Event processes (Poisson; sizes drawn per event)")
    lines += _table(events) if len(events) > 1 else ["  none"]
    lines.append("")

    lines.append("Correlations (Spearman rank, Gaussian copula)")
    if scn.correlations:
        lines += _table(
            [
                (f"{c.between[0]} ~ {c.between[1]}", f"rank {_plain(c.rank)}", f"(Pearson {2 * math.sin(math.pi * c.rank / 6):.4f})")
                for c in scn.correlations
            ]
        )
    else:
        lines.append("  none: every parameter is drawn independently")
    lines.append("")

    found = warnings(scn)
    lines.append("Warnings" if found else "Warnings: none")
    lines += [f"  - {w}" for w in found]
    return "\n".join(lines)
