"""Plausibility warnings: values the schema accepts that no company has.

The schema (and its hard range limits) rejects what makes no sense at all;
these checks flag what is possible but almost surely a typo or a unit slip
(``coupon = 6.5`` meant 6.5%, ``revenue.growth.mean = 15`` meant 15%).
``sim validate`` lists them, ``sim run`` prints them on stderr, and
``--strict`` turns them into errors.

An uncertain parameter is judged by its 5%-95% range: it warns when the
95th percentile lies above the limit (or the 5th below a lower limit), so a
long tail alone does not warn but a bulk of implausible draws does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model.distributions import Dist
from sim.model.parameters import base_revenue, base_spend, fixed_costs
from sim.model.units import format_money, format_number

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Scenario

__all__ = ["OVERFLOW_LIMIT", "plausibility_warnings"]

# Limits above which a rate or share is implausible for any company.
TAX_MAX = 0.60
COUPON_MAX = 0.30
VOLATILITY_MAX = 1.0
GROWTH_MAX, GROWTH_MIN = 1.0, -0.5  # log growth per year
SAVINGS_MAX = 0.90
FLAT_YEARS = 2
# USD millions (1e21 dollars): money past this loses every digit that matters
# and soon overflows float64 in the kernel's sums.
OVERFLOW_LIMIT = 1e15


def _range(d: Dist) -> tuple[float, float]:
    """The 5% and 95% quantiles (a fixed value twice)."""
    if d.is_fixed:
        v = d.median()
        return v, v
    return float(d.quantile(0.05)), float(d.quantile(0.95))


def _pct(x: float) -> str:
    return f"{x:.0%}" if abs(x) < 1e4 else f"{format_number(x * 100)}%"


def _what(d: Dist, side: str) -> str:
    """``is 650%`` for a fixed value, ``95th percentile 650%`` for a distribution."""
    lo, hi = _range(d)
    if d.is_fixed:
        return f"is {_pct(lo)}"
    return f"{'95th' if side == 'hi' else '5th'} percentile {_pct(hi if side == 'hi' else lo)}"


def _above(key: str, d: Dist, limit: float, meaning: str) -> list[str]:
    if _range(d)[1] <= limit:
        return []
    return [f"{key}: {_what(d, 'hi')}, above {_pct(limit)} ({meaning})"]


def _growth(key: str, d: Dist) -> list[str]:
    lo, hi = _range(d)
    if hi > GROWTH_MAX:
        return [f"{key}: {_what(d, 'hi')} log growth a year, above {_pct(GROWTH_MAX)} (revenue x{math.e:.2f} a year; a rate of 15% is 0.15)"]
    if lo < GROWTH_MIN:
        return [f"{key}: {_what(d, 'lo')} log growth a year, below {_pct(GROWTH_MIN)} (revenue falls by 40% a year)"]
    return []


def _rates(scn: Scenario) -> list[str]:
    out = _above("company.tax_rate", scn.company.tax_rate, TAX_MAX, "no country taxes profit that much; 21% is 0.21")
    for d in scn.cash_flow.debt:
        if d.coupon > COUPON_MAX:
            out.append(
                f"cash_flow.debt.{d.name}.coupon: is {_pct(d.coupon)}, above {_pct(COUPON_MAX)} (a 6.5% coupon is 0.065)"
            )
    rev = scn.revenue
    for key, v in (
        ("revenue.volatility", rev.volatility),
        ("revenue.growth_volatility", rev.growth_volatility),
        ("cloud.pricing.volatility", scn.cloud.pricing.volatility),
    ):
        if v > VOLATILITY_MAX:
            out.append(f"{key}: is {_pct(v)} a year, above {_pct(VOLATILITY_MAX)} (a 20% volatility is 0.20)")
    out += _growth("revenue.growth", rev.growth)
    if rev.initial_growth is not None:
        out += _growth("revenue.initial_growth", rev.initial_growth)
    for s in scn.cloud.silicon:
        out += _above(f"cloud.silicon.{s.name}.savings", s.savings, SAVINGS_MAX, "custom silicon saves far less")
    return out


def _cash(scn: Scenario) -> list[str]:
    cash, floor = scn.company.cash.median(), scn.policy.cash_floor
    out = []
    if cash < 0:
        out.append(f"company.cash: opening cash is negative ({format_money(cash)}{'' if scn.company.cash.is_fixed else ', median'})")
    if floor >= cash:
        out.append(
            f"policy.cash_floor: {format_money(floor)} is at or above opening cash {format_money(cash)}: "
            "every path breaches at once"
        )
    return out


def _flat_costs(scn: Scenario) -> list[str]:
    """Costs fixed in dollars for years because neither cost driver was written."""
    given = scn.operating_costs.model_fields_set
    if scn.scenario.years <= FLAT_YEARS or {"variable_share", "fixed_growth"} & given:
        return []
    f0 = fixed_costs(scn, scn.operating_costs.variable_share.median())
    if f0 <= 0:
        return []
    return [
        (f"operating_costs: neither variable_share nor fixed_growth is set, so {format_money(f0)} a year of "
        f"non-cloud costs stays flat in dollars for all {scn.scenario.years} years while revenue grows "
        "(set variable_share, the share of revenue that scales with it, or fixed_growth)")
    ]


def _overflow(scn: Scenario) -> list[str]:
    """Revenue or the cloud bill compounding past :data:`OVERFLOW_LIMIT` within the horizon."""
    years = scn.scenario.years
    rev = scn.revenue
    g = _range(rev.growth)[1]
    if rev.initial_growth is not None:
        g = max(g, _range(rev.initial_growth)[1])
    if rev.ai_uplift is not None and rev.ai_uplift.probability > 0:
        g += max(_range(rev.ai_uplift.uplift)[1], 0.0)
    # a 95th-percentile path: growth plus 1.645 sd of the level noise
    log_rev = g * years + 1.645 * rev.volatility * math.sqrt(years)
    out = []
    r0 = base_revenue(scn)
    if r0 > 0 and math.log(r0) + log_rev > math.log(OVERFLOW_LIMIT):
        out.append(
            f"revenue: compounds past {format_money(OVERFLOW_LIMIT)} within {years} years "
            f"(log growth {format_number(g)} a year): the figures lose all meaning; check revenue.growth"
        )
    v0 = base_spend(scn)
    log_spend = (scn.cloud.usage_growth + max(_range(scn.cloud.pricing.drift)[1], 0.0)) * years
    if v0 > 0 and math.log(v0) + log_spend > math.log(OVERFLOW_LIMIT):
        out.append(
            f"cloud.spend: compounds past {format_money(OVERFLOW_LIMIT)} within {years} years: "
            "check cloud.usage_growth and cloud.pricing.drift"
        )
    return out


def plausibility_warnings(scn: Scenario) -> list[str]:
    """Valid values that are implausible for a real company, one line each.

    Parameters
    ----------
    scn : Scenario

    Returns
    -------
    list of str
        ``KEY: what is wrong (why)``; empty when everything is plausible.
        Debt maturing before the horizon and commitments outside it are
        warned by :func:`sim.model.describe.warnings`.
    """
    return _rates(scn) + _cash(scn) + _flat_costs(scn) + _overflow(scn)
