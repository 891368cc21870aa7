"""Whole-scenario limits: every accepted scenario runs to finite numbers.

Each key has its own range (``sim.model.types``: volatility <= 5, growth
within +-2 a year, rates <= 100 a year, money within 1e12 USD millions...),
but levels compound over the horizon: a revenue growing 2 a year for 100
years with volatility 5 and frequent doubling shocks overflows float64.
``check_limits`` bounds, conservatively, the log of each compounding level
(revenue, fixed costs, the cloud price and usage, cash under interest) over
the horizon and refuses a scenario whose bound exceeds ``MAX_LOG_GROWTH``
(e^300 ~ 2e130: times money of at most 1e12, squares and sums of a run stay
below float64's 1.8e308).  It also caps the expected number of Poisson
events per path (their buffers scale with it) and keeps mean reversion
stable on the time grid.  docs/CONFIG.md ("Limits") lists them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from sim.model.errors import Problem, num_text

if TYPE_CHECKING:
    from sim.model.distributions import Dist
    from sim.model.schema import Scenario

__all__ = ["MAX_LOG_GROWTH", "MAX_EVENTS_PER_PATH", "TAIL_SIGMAS", "check_limits", "extremes"]

#: Largest bound on the log of a compounding level over the horizon (e^300 ~ 2e130).
MAX_LOG_GROWTH = 300.0
#: Largest expected number of Poisson events per path (all processes, whole horizon).
MAX_EVENTS_PER_PATH = 2_000.0
#: A normal draw beyond this many standard deviations has probability below 1e-18.
TAIL_SIGMAS = 9.0
#: Poisson counts are bounded at the quantile 1 - TAIL_COUNT.
TAIL_COUNT = 1e-15


def extremes(d: Dist) -> tuple[float, float]:
    """The range of ``d``'s draws: its support, or its 1e-9 and 1 - 1e-9
    quantiles for a family without bounds."""
    lo, hi = d.support()
    if math.isfinite(lo) and math.isfinite(hi):
        return float(lo), float(hi)
    q_lo, q_hi = (float(q) for q in d.quantile(np.array([1e-9, 1 - 1e-9])))
    return (lo if math.isfinite(lo) else q_lo), (hi if math.isfinite(hi) else q_hi)


def _abs_max(d: Dist | None) -> float:
    if d is None:
        return 0.0
    lo, hi = extremes(d)
    return max(abs(lo), abs(hi))


def _max_count(mean: float) -> float:
    """The Poisson(mean) count exceeded with probability below ``TAIL_COUNT`` (0 for mean 0)."""
    if mean <= 0:
        return 0.0
    k = np.arange(int(mean + 20.0 * math.sqrt(mean) + 60.0))
    return float(np.searchsorted(special.pdtr(k, mean), 1.0 - TAIL_COUNT))


def _budget(what: str, terms: list[tuple[str, float]], years: int) -> None:
    total = sum(v for _, v in terms)
    if total <= MAX_LOG_GROWTH:
        return
    key, largest = max(terms, key=lambda t: t[1])
    raise Problem(
        f"{what} could compound by up to e^{total:.0f} over {years} years (at most e^{MAX_LOG_GROWTH:.0f} keeps a "
        f"run finite; this key adds e^{largest:.0f}): lower it, the other drivers or scenario.years",
        key,
    )


def check_limits(scn: Scenario) -> None:
    """Raise ``Problem`` (with an absolute key) when a run of ``scn`` could overflow.

    Parameters
    ----------
    scn : Scenario
        A scenario whose keys are each within their own range.
    """
    years = scn.scenario.years
    dt = 1.0 / scn.scenario.steps_per_year
    rev, cloud = scn.revenue, scn.cloud
    t = float(years)

    if rev.mean_reversion * dt > 1:
        raise Problem(
            f"must be <= steps_per_year ({scn.scenario.steps_per_year}) so the growth process stays stable on the "
            f"time grid (got {num_text(rev.mean_reversion)})",
            "revenue.mean_reversion",
        )

    events = [(f"revenue.shocks.{s.name}.rate", s.rate) for s in rev.shocks]
    events += [(f"cloud.pricing.shifts.{s.name}.rate", s.rate) for s in cloud.pricing.shifts]
    events += [(f"regulatory.fines.{f.name}.rate", f.rate) for f in scn.regulatory.fines]
    expected = sum(rate for _, rate in events) * t
    if expected > MAX_EVENTS_PER_PATH:
        key = max(events, key=lambda e: e[1])[0]
        raise Problem(
            f"the event rates add up to {num_text(expected)} expected events per path over {years} years "
            f"(at most {MAX_EVENTS_PER_PATH:,.0f}): lower the rates or scenario.years",
            key,
        )

    # Growth wanders (growth_volatility) around its mean; with mean reversion kappa the
    # integrated wander has sd eta sqrt(t) / kappa, without it eta t^1.5 / sqrt(3).
    kappa = rev.mean_reversion
    wander = t**1.5 / math.sqrt(3.0)
    if kappa > 0:
        wander = min(wander, math.sqrt(t) / kappa)
    uplift = rev.ai_uplift
    revenue = [
        ("revenue.growth", t * max(_abs_max(rev.growth), _abs_max(rev.initial_growth))),
        ("revenue.ai_uplift.uplift", t * _abs_max(uplift.uplift) if uplift is not None else 0.0),
        ("revenue.volatility", TAIL_SIGMAS * rev.volatility * math.sqrt(t)),
        ("revenue.growth_volatility", TAIL_SIGMAS * rev.growth_volatility * wander),
    ]
    for s in rev.shocks:
        lo, hi = extremes(s.change)
        per_event = max(abs(math.log1p(max(lo, -0.99))), abs(math.log1p(max(hi, -0.99))))
        revenue.append((f"revenue.shocks.{s.name}.change", _max_count(s.rate * t) * per_event))
    _budget("revenue", revenue, years)

    price = [
        ("cloud.pricing.drift", t * _abs_max(cloud.pricing.drift)),
        ("cloud.pricing.volatility", TAIL_SIGMAS * cloud.pricing.volatility * math.sqrt(t)),
    ]
    for s in cloud.pricing.shifts:
        lo, hi = extremes(s.change)
        per_event = max(abs(math.log(max(1.0 + s.share * x, 0.01))) for x in (lo, hi))
        price.append((f"cloud.pricing.shifts.{s.name}.change", _max_count(s.rate * t) * per_event))
    _budget("the cloud price", price, years)

    # Usage follows revenue with the elasticity, on top of its own growth and the price.
    elasticity = _abs_max(cloud.revenue_elasticity)
    usage = [
        ("cloud.usage_growth", t * abs(cloud.usage_growth)),
        ("cloud.revenue_elasticity", elasticity * sum(v for _, v in revenue)),
        *price,
    ]
    _budget("the cloud bill", usage, years)

    _budget("fixed costs", [("operating_costs.fixed_growth", t * _abs_max(scn.operating_costs.fixed_growth))], years)

    # Interest accrues each step on the cash balance: at most e^(|rate| t).
    compounding = t * _abs_max(scn.cash_flow.interest_rate)
    _budget("cash under cash_flow.interest_rate", [("cash_flow.interest_rate", compounding)], years)
