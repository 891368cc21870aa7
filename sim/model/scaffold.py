"""A commented starting config from a few base-year figures (``sim init``).

Every key is written with a comment saying what it means; the figures given
are kept fixed (they are the base year, known), and the model's
assumptions get a spread a new user can read and then change:

- ``revenue.growth``: normal(mean = growth, sd = 0.05) annual log growth;
  ``revenue.volatility`` 0.10 a year around it;
- ``company.tax_rate``: uniform(0.18, 0.25);
- ``cloud.commitment.discount``: uniform(0.10, 0.20);
- ``cloud.pricing.drift``: normal(-0.02, 0.02) a year, volatility 0.03;
- ``operating_costs.variable_share``: half of the non-cloud costs scale
  with revenue (a fixed share), the rest grows 3% a year (``fixed_growth``);
- ``policy.cash_floor``: a quarter of opening cash.

The result validates without warnings (tests check it).
"""

from __future__ import annotations

import math

from sim.model.errors import ParameterError
from sim.model.units import format_money

__all__ = ["scaffold_config"]


def _m(x: float) -> str:
    """Money in USD millions as written in the config: ``1200``, ``62.5``."""
    return f"{x:.10g}"


def _share_of_costs(revenue: float, operating_costs: float, cloud_spend: float) -> float:
    """Half of the non-cloud costs as a share of revenue, rounded down to 0.01 (F_0 stays >= 0)."""
    non_cloud = max(operating_costs - cloud_spend, 0.0)
    return math.floor(50 * non_cloud / revenue) / 100


def scaffold_config(
    name: str,
    revenue: float,
    operating_costs: float,
    cash: float,
    cloud_spend: float,
    commitment: float,
    years: int,
    start: int,
    growth: float = 0.05,
) -> str:
    """The TOML text of a commented scenario.

    Parameters
    ----------
    name : str
        ``scenario.name``.
    revenue, operating_costs, cash, cloud_spend : float
        Base-year figures, USD millions (annual for revenue, costs and spend;
        operating costs include the cloud bill).
    commitment : float
        Total cloud commitment over ``years``, USD millions; 0 for none.
    years : int
        Length of the commitment and of the horizon, years (at least 1).
    start : int
        First fiscal year simulated.
    growth : float
        Mean annual log growth of revenue (0.05 is about 5% a year).

    Returns
    -------
    str
        A TOML document ending with a newline.

    Raises
    ------
    ParameterError
        Naming the parameter: revenue not positive, a negative cost, spend or
        commitment, cloud spend above operating costs, years below 1.
    """
    if not revenue > 0:
        raise ParameterError("revenue", f"must be positive, got {format_money(revenue)}")
    for label, value in (("operating_costs", operating_costs), ("cloud_spend", cloud_spend), ("commitment", commitment)):
        if value < 0:
            raise ParameterError(label, f"must not be negative, got {format_money(value)}")
    if cloud_spend > operating_costs:
        raise ParameterError(
            "cloud_spend",
            f"{format_money(cloud_spend)} is above operating_costs {format_money(operating_costs)} "
            "(operating costs include the cloud bill)",
        )
    if years < 1:
        raise ParameterError("years", f"must be at least 1, got {years}")
    share = _share_of_costs(revenue, operating_costs, cloud_spend)
    floor = cash / 4 if cash > 0 else 0.0
    margin = (revenue - operating_costs) / revenue
    lines = [
        f"# {name}: a starting config written by `sim init`. Change every [A] (assumption) to your own view.",
        "# Money is in USD millions unless written as a string like \"1.2B\" or \"450M\"; rates are",
        "# fractions (0.05 = 5%) or strings like \"5%\". A value may be a distribution:",
        "# { dist = \"normal\", mean = .., sd = .. }, uniform(low, high), triangular/pert(min, mode, max) ...",
        "# Check it with `sim validate FILE`, run it with `sim run FILE --out DIR` (docs/CONFIG.md has every key).",
        "",
        "[scenario]",
        f'name = "{name}"',
        f'description = "{name}: {format_money(commitment)} cloud commitment over {years} year{"s" * (years != 1)}"',
        f"start = {start}            # first fiscal year simulated (the figures below are the year before)",
        f"years = {years}                # horizon in years (here: the commitment's term)",
        "steps_per_year = 4       # quarterly steps (1, 2, 4 or 12)",
        "",
        "[company]",
        f"revenue = {_m(revenue)}          # base-year revenue ({format_money(revenue)}), known: fixed",
        f"operating_costs = {_m(operating_costs)}  # base-year operating costs, cloud bill included ({format_money(operating_costs)}; margin {margin:.1%})",
        f"cash = {_m(cash)}             # opening cash and equivalents ({format_money(cash)})",
        "tax_rate = { dist = \"uniform\", low = 0.18, high = 0.25 }   # [A] effective tax rate on positive profit",
        "",
        "[policy]",
        f"cash_floor = {_m(floor)}       # [A] cash a treasurer would not go below ({format_money(floor)}, a quarter of opening cash); below it is a breach",
        "margin_drop = 0.02       # [A] a year's margin more than 2 points below the base margin counts as compression",
        "",
        "[revenue]",
        f"growth = {{ dist = \"normal\", mean = {growth:.4g}, sd = 0.05 }}   # [A] long-run annual log growth, drawn once per path",
        "volatility = 0.10        # [A] year-to-year noise of revenue around its trend (a year's sd of log revenue)",
        "",
        "[cloud]",
        f"spend = {_m(cloud_spend)}            # base-year cloud bill ({format_money(cloud_spend)}), part of operating costs",
        "usage_growth = 0.03      # [A] annual log growth of cloud usage on top of what revenue drives",
        "revenue_elasticity = 0.6 # [A] usage grows 0.6% for every 1% of revenue growth",
        "",
        "[cloud.pricing]",
        "drift = { dist = \"normal\", mean = -0.02, sd = 0.02 }   # [A] annual log change of cloud prices (they tend to fall)",
        "volatility = 0.03        # [A] year-to-year noise of prices",
    ]
    if commitment > 0:
        lines += [
            "",
            "[cloud.commitment]",
            f"total = {_m(commitment)}            # committed spend over the term ({format_money(commitment)}); minimums total/years a year",
            f"years = {years}                # term of the commitment in years, from scenario.start",
            "discount = { dist = \"uniform\", low = 0.10, high = 0.20 }   # [A] discount on the committed bill",
            "shortfall = \"annual\"     # a year's spend below its minimum pays the difference at the year's end",
        ]
    lines += [
        "",
        "[operating_costs]",
        f"variable_share = {share:.2f}    # [A] share of revenue that costs scale with (here: half of the non-cloud costs)",
        "fixed_growth = 0.03      # [A] annual growth of the remaining fixed costs (inflation, hiring)",
        "",
        "[cash_flow]",
        "noncash_share = 0.05     # [A] non-cash costs (depreciation, stock pay) as a share of revenue, added back to cash",
        "capex_share = 0.03       # [A] capital spending as a share of revenue",
        "interest_rate = 0.03     # [A] annual yield on cash",
        "",
    ]
    return "\n".join(_align(lines))


def _align(lines: list[str], widest: int = 26) -> list[str]:
    """Line up the ``# comment`` after each ``key = value`` (values here never hold a ``#``)."""
    out = []
    for line in lines:
        if line.startswith("#") or " # " not in line:
            out.append(line)
            continue
        code, comment = line.split(" # ", 1)
        out.append(f"{code.rstrip().ljust(widest)} # {comment}")
    return out
