"""The human-readable summary of a validated scenario (``sim validate``).

It states what the model will do with the config: the time grid, the base
figures it derives (m_0, F_0), every uncertain parameter with its median and
5-95% range, the Bernoulli outcomes, each commitment's contract years on the
step grid, dated cash flows, event processes, correlations and warnings
about settings that have no effect.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model.actuals import MONEY_METRICS
from sim.model.contracts import contract_years, date_step, month_text, step_period, term_steps
from sim.model.distributions import Dist
from sim.model.parameters import (
    base_revenue, base_spend, bernoulli_parameters, fixed_costs, has_cloud, money_keys, uncertain_parameters,
)
from sim.model.plausibility import plausibility_warnings
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
    """Settings that are valid but probably not what was meant: no effect, or implausible values.

    The implausible values (:func:`sim.model.plausibility.plausibility_warnings`)
    come last; ``--strict`` makes every warning an error.
    """

    info = scn.scenario
    first, last = info.start, info.start + info.years - 1
    out = []
    cloud = scn.cloud
    if not has_cloud(scn) and (cloud.silicon or cloud.pricing.shifts or cloud.pricing.volatility > 0):
        out.append("cloud.spend is 0 (no cloud bill): cloud.silicon and cloud.pricing have no effect")
    if has_cloud(scn):
        out += [w for c in cloud.commitments for w in _commitment_warnings(scn, c)]
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
    out += [
        f"revenue.shocks.{s.name}: half_life_years has no effect (recovery is 0: the shocks are permanent)"
        for s in rev.shocks
        if s.recovery == 0 and s.half_life_years is not None
    ]
    end = info.start + info.years
    for d in scn.cash_flow.debt:
        key = f"cash_flow.debt.{d.name}"
        if d.maturity < info.start:
            out.append(f"{key}: matures at {month_text(d.maturity)}, before the horizon starts ({info.start}): ignored")
            continue
        if d.maturity >= end:
            out.append(
                f"{key}: matures at {_plain(d.maturity)}, after the horizon ends "
                f"({end}): the principal is not repaid within the simulation"
            )
        if d.issued is not None and d.issued > end:
            out.append(f"{key}: issued at {month_text(d.issued)}, past the horizon (ends {end}): ignored")
    for e in scn.cash_flow.events:
        key = f"cash_flow.events.{e.name}"
        if e.date < info.start or e.date > end:
            where = "before the horizon starts" if e.date < info.start else "past the horizon"
            out.append(f"{key}: dated {month_text(e.date)}, {where} ({info.start}-{end}): ignored")
        elif e.probability == 0:
            out.append(f"{key}: probability is 0, so it never happens")
    out += _actual_warnings(scn)
    dists = uncertain_parameters(scn)
    for c in scn.correlations:
        fixed = [k for k in c.between if dists[k].is_fixed]
        if fixed:
            out.append(
                f"correlations: {c.between[0]} ~ {c.between[1]}: {fixed[0]} is fixed, so the correlation has no effect"
            )
    return out + plausibility_warnings(scn)


def _actual_warnings(scn: "Scenario") -> list[str]:
    """Actuals the run can only score against a constant (no cloud bill, no commitment)."""
    out = []
    cloud = has_cloud(scn)
    for i, a in enumerate(scn.actuals, start=1):
        label = f"actuals: entry {i} ({a.name} {a.year})"
        if a.name == "shortfall" and not (cloud and scn.cloud.commitments):
            out.append(f"{label}: the scenario has no commitment, so no shortfall is ever paid")
        elif a.metric == "cloud_cost" and not cloud:
            out.append(f"{label}: cloud.spend is 0, so the cloud cost is always 0")
    return out


def actual_lines(scn: "Scenario") -> list[str]:
    """Each ``[[actuals]]`` entry: year, what, the realised value and its source."""
    rows = []
    for a in scn.actuals:
        if a.metric is None:
            value = "happened" if a.happened else "did not happen"
        elif a.metric in MONEY_METRICS:
            value = format_money(a.value)
        else:
            value = f"{a.value:.1%}"
        source = a.source if len(a.source) <= 70 else a.source[:67] + "..."
        rows.append((str(a.year), a.name if a.metric else f"{a.name} (event)", value, source))
    return _table(rows)


def _span(start: float, years: int) -> str:
    """A contract's years: ``2024-2031`` for January starts (fiscal years), else ``2017-08 .. 2020-07``."""
    if abs(start - round(start)) < 1e-9:
        return _years(round(start), years)
    return f"{month_text(start)} .. {month_text(start + years - 1 / 12)}"


def _commitment_warnings(scn: "Scenario", c) -> list[str]:
    info = scn.scenario
    rows = contract_years(c, info)
    outside = sum(not r.counted for r in rows)
    horizon = f"the horizon {info.start}-{info.start + info.years - 1}"
    what = "committed years" if abs(c.start - round(c.start)) < 1e-9 else "contract years"
    out = []
    if outside == c.years:
        out.append(f"{c.key}: {what} {_span(c.start, c.years)} lie outside {horizon}: no discount, no minimums")
    elif outside:
        out.append(
            f"{c.key}: {outside} of the {what} {_span(c.start, c.years)} {'lies' if outside == 1 else 'lie'} "
            f"outside {horizon} and {'is' if outside == 1 else 'are'} ignored"
        )
        if c.shortfall == "both":
            out.append(f"{c.key}: the term total is not settled (not every contract year lies inside the horizon)")
    if c.steerable.is_fixed and c.steerable.median() == 1:
        out.append(f"{c.key}: steerable is 1, so no shortfall is ever paid")
    return out


def _steps(first: int, last: int) -> str:
    return f"{first}-{last}" if first >= 1 else f"{first} to {last}"


def commitment_lines(scn: "Scenario") -> list[str]:
    """Each commitment with its contract years mapped to steps and settlement dates."""
    info = scn.scenario
    K = info.years * info.steps_per_year
    lines = []
    for c in scn.cloud.commitments:
        parts = [f"share {c.share:.0%} of the cloud bill", f"{format_money(c.total)} over {c.years} year{'s' * (c.years != 1)}"]
        parts.append(f"from {month_text(c.start)}")
        parts.append(f"shortfall {c.shortfall}")
        if c.rollover > 0:
            parts.append(f"rollover up to {c.rollover:.0%} of a year's minimum")
        if "steerable" in c.model_fields_set or not c.steerable.is_fixed or c.steerable.median() != 0:
            parts.append(f"steerable {_dist_text(c.steerable)}")
        lines.append(f"  {c.key}: " + ", ".join(parts))
        for r in contract_years(c, info):
            if r.counted:
                status = "counted"
            elif r.settlement_step < 1:
                status = "before the horizon: ignored"
            elif r.first_step > K:
                status = "past the horizon: ignored"
            else:
                status = "partly outside the horizon: ignored"
            lines.append(
                f"    year {r.year}: {month_text(r.start)} .. {month_text(r.start + 1 - 1 / 12)}, "
                f"steps {_steps(r.first_step, r.settlement_step)}, settles {step_period(r.settlement_step, info)} "
                f"(step {r.settlement_step}), minimum {format_money(r.minimum)}, {status}"
            )
        term = term_steps(c, info)
        counted = [r for r in contract_years(c, info) if r.counted]
        discount = f"discount on steps {term.start}-{term.stop - 1}" if term else "no step in term: no discount"
        if c.shortfall == "term" and counted:
            settle = f"; the term shortfall settles at step {counted[-1].settlement_step}"
        elif c.shortfall == "both" and len(counted) == c.years:
            settle = f"; the term total {format_money(c.total)} settles at step {counted[-1].settlement_step}"
        else:
            settle = ""
        lines.append(f"    {discount}{settle}")
    return lines


def dated_lines(scn: "Scenario") -> list[str]:
    """Debt issued inside the horizon and dated cash events, with their steps."""
    info = scn.scenario
    K = info.years * info.steps_per_year

    def where(date: float) -> str:
        k = date_step(date, info)
        if k == 0:
            return "before the horizon"
        return f"step {k} ({step_period(k, info)})" if k <= K else "past the horizon"

    rows = []
    for d in scn.cash_flow.debt:
        issued = "before the horizon" if d.issued is None or d.issued <= info.start else where(d.issued)
        rows.append(
            (f"cash_flow.debt.{d.name}", format_money(d.principal), f"issued {issued}", f"matures {where(d.maturity)}")
        )
    for e in scn.cash_flow.events:
        amount = _dist_text(e.amount, money=True)
        rows.append((f"cash_flow.events.{e.name}", amount, f"on {month_text(e.date)}: {where(e.date)}", f"p = {_plain(e.probability)}"))
    return _table(rows) if rows else []


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
    r0, v0 = base_revenue(scn), base_spend(scn)
    m0 = (r0 - company.operating_costs) / r0
    v = scn.operating_costs.variable_share
    v_med = v.median()
    f0 = fixed_costs(scn, v_med)
    base = [
        ("revenue", format_money(r0) + ("" if company.revenue.is_fixed else " (median)")),
        ("operating costs", format_money(company.operating_costs)),
        ("cloud spend", format_money(v0) + ("" if v0 > 0 else " (no cloud bill)") + ("" if cloud.spend.is_fixed else " (median)")),
        ("m_0 base margin", f"{m0:.1%}  (compression: a year's margin below {m0 - scn.policy.margin_drop:.1%})"),
        (
            "F_0 fixed costs",
            f"{format_money(f0)} per year  (operating costs - cloud spend - variable_share {_plain(v_med)} x revenue)",
        ),
        ("cash floor", format_money(scn.policy.cash_floor)),
    ]
    if company.net_income is not None:
        base.insert(2, ("net income", format_money(company.net_income)))
    programs = [p for p in scn.operating_costs.programs if p.noncash]
    if programs:
        base.append(("non-cash programs", ", ".join(p.name for p in programs) + " (expensed, added back in FCF)"))
    wc = scn.cash_flow.working_capital
    if "working_capital" in scn.cash_flow.model_fields_set:
        base.append(("working capital", f"{_dist_text(wc)} x the change in annualised revenue, out of FCF"))
    lines.append("Base year")
    lines += _table(base)
    com = cloud.commitment
    if com is not None and has_cloud(scn):  # the v1 line; every commitment's years follow below
        mins = ", ".join(format_money(m) for m in com.minimums)
        lines.append(
            f"  commitment       {format_money(com.total)} over {_span(com.start, com.years)}"
            f" (minimums {mins}; shortfall {com.shortfall})"
        )

    lines.append("")

    if cloud.commitments and has_cloud(scn):
        lines.append("Commitments (contract years on the step grid; each settles at its last step)")
        lines += commitment_lines(scn)
        lines.append("")

    dated = dated_lines(scn)
    if dated:
        lines.append("Dated cash flows (a date's step: the first step ending on or after it)")
        lines += dated
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
        note = "" if s.recovery == 0 else f"{s.recovery:.0%} recovers, half-life {_plain(s.half_life_years)} year{'s' * (s.half_life_years != 1)}"
        events.append((f"revenue.shocks.{s.name}.change", _plain(s.rate), _dist_text(s.change), note))
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

    if scn.actuals:
        lines.append("Actuals (realised outcomes for back-test scores; they never change the run)")
        lines += actual_lines(scn)
        lines.append("")

    found = warnings(scn)
    lines.append("Warnings" if found else "Warnings: none")
    lines += [f"  - {w}" for w in found]
    return "\n".join(lines)
