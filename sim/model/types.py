"""Field types of the scenario schema: parsing (before) and constraints (after), one-line messages.

Money is a float in USD millions, rates plain fractions, dates decimal years;
every (D)/(E) parameter becomes a ``sim.model.distributions.Dist`` (plain
numbers ``Fixed``).
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from sim.model.distributions import Dist, Fixed, parse_dist
from sim.model.errors import NAME_RE, num_text
from sim.model.units import describe_value, parse_money, parse_number

#: Largest integer a config may write (years, counts): no 400-digit integers.
MAX_INTEGER = 1_000_000
#: Control characters (C0 but tab and newline, DEL, C1: a terminal would act on them) and
#: bidirectional overrides (they reorder what a terminal shows).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def parse_integer(value: Any) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        n = int(value)
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        raise ValueError(f"expected an integer, got {describe_value(value)}")
    if abs(n) > MAX_INTEGER:
        digits = len(str(abs(n)))
        shown = str(n) if digits <= 24 else f"an integer of {digits} digits"
        raise ValueError(f"must be between -{MAX_INTEGER:,} and {MAX_INTEGER:,} (got {shown})")
    return n


def parse_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {describe_value(value)}")
    bad = CONTROL_RE.search(value)
    if bad:
        raise ValueError(f"control character {bad.group()!r} at position {bad.start() + 1} (text may not hold terminal controls)")
    return value


def parse_name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValueError(f"invalid name {describe_value(value)} (use letters, digits, - and _)")
    return value


def at_least(bound: float, strict: bool = False):
    def check(x: float) -> float:
        if x < bound or (strict and x == bound):
            raise ValueError(f"must be {'>' if strict else '>='} {num_text(bound)} (got {num_text(x)})")
        return x

    return AfterValidator(check)


def at_most(bound: float):
    def check(x: float) -> float:
        if x > bound:
            raise ValueError(f"must be <= {num_text(bound)} (got {num_text(x)})")
        return x

    return AfterValidator(check)


def dist_within(lo: float, hi: float, what: str = ""):
    """A (D) value whose draws stay in [lo, hi]: its support, or for an
    unbounded family its 1e-9 and 1 - 1e-9 quantiles (a limit that keeps a
    run finite, far beyond any real company; docs/CONFIG.md)."""

    def check(d: Dist) -> Dist:
        low, high = d.support()
        if not math.isfinite(low) or not math.isfinite(high):
            low, high = (float(q) for q in d.quantile(np.array([1e-9, 1 - 1e-9])))
        if not (lo <= low and high <= hi):
            got = dist_text(d)
            reach = "" if d.is_fixed else f", reaching {num_text(low)} to {num_text(high)}"
            raise ValueError(f"must lie between {num_text(lo)} and {num_text(hi)}{what} (got {got}{reach})")
        return d

    return AfterValidator(check)


def in_range(lo: float, hi: float):
    def check(x: float) -> float:
        if not lo <= x <= hi:
            raise ValueError(f"must be between {num_text(lo)} and {num_text(hi)} (got {num_text(x)})")
        return x

    return AfterValidator(check)


def one_of(*allowed: Any):
    def check(x: Any) -> Any:
        if isinstance(x, bool) or x not in allowed:
            options = ", ".join(repr(a) if isinstance(a, str) else str(a) for a in allowed)
            raise ValueError(f"must be one of {options} (got {describe_value(x)})")
        return x

    return check


def days_in_month(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - date(year, month, 1)).days


def parse_date(value: Any) -> float:
    """A decimal year; ``"YYYY-MM"`` is year + (month - 1)/12 (a day adds its
    fraction of the month, so ``2031-03-01`` equals ``"2031-03"``)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        y, m, d = value.year, value.month, value.day
        return y + (m - 1) / 12 + (d - 1) / (12 * days_in_month(y, m))
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*", value)
        if match:
            y, m = int(match[1]), int(match[2])
            if not 1 <= m <= 12:
                raise ValueError(f"month must be 1 to 12 (got {value!r})")
            d = int(match[3]) if match[3] else 1
            if not 1 <= d <= days_in_month(y, m):
                raise ValueError(f"no such day (got {value!r})")
            return y + (m - 1) / 12 + (d - 1) / (12 * days_in_month(y, m))
    try:
        return parse_number(value)
    except ValueError:
        raise ValueError(f'expected "YYYY-MM" or a decimal year, got {describe_value(value)}') from None


def parse_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {describe_value(value)}")
    return value


def dist_field(money: bool):
    return BeforeValidator(lambda v: parse_dist(v, money=money))


def dist_text(d: Dist) -> str:
    return num_text(d.median()) if d.is_fixed else str(d)


def positive_dist(allow_zero: bool):
    """A (D) value that is > 0 on every path (``allow_zero``: or a fixed 0).

    A fixed value keeps v1's message; an uncertain one needs positive
    support: a lognormal, or a family whose lower end is > 0 (its log is
    taken on every path).
    """

    def check(d: Dist) -> Dist:
        if d.is_fixed:
            x = d.median()
            if x < 0 or (x == 0 and not allow_zero):
                raise ValueError(f"must be {'>=' if allow_zero else '>'} 0 (got {num_text(x)})")
            return d
        low = d.support()[0]
        if d.family != "lognormal" and not low > 0:
            reach = "has no lower bound" if low == -math.inf else f"reaches {num_text(low)}"
            raise ValueError(
                f"an uncertain value must be > 0 on every path, but {d} {reach} "
                "(use a lognormal, or a family with a lower end > 0)"
            )
        return d

    return AfterValidator(check)


def unit_dist(d: Dist) -> Dist:
    """A (D) value inside [0, 1] on every path (its support)."""
    lo, hi = d.support()
    if not (0 <= lo and hi <= 1):
        raise ValueError(f"must lie in [0, 1] on every path (got {dist_text(d)})")
    return d


Number = Annotated[float, BeforeValidator(parse_number)]
NonNegative = Annotated[float, BeforeValidator(parse_number), at_least(0)]
Positive = Annotated[float, BeforeValidator(parse_number), at_least(0, strict=True)]
Fraction = Annotated[float, BeforeValidator(parse_number), in_range(0, 1)]
Correlated = Annotated[float, BeforeValidator(parse_number), in_range(-1, 1)]
Money = Annotated[float, BeforeValidator(parse_money)]
NonNegMoney = Annotated[float, BeforeValidator(parse_money), at_least(0)]
PosMoney = Annotated[float, BeforeValidator(parse_money), at_least(0, strict=True)]
Integer = Annotated[int, BeforeValidator(parse_integer)]
Text = Annotated[str, BeforeValidator(parse_text)]
Name = Annotated[str, BeforeValidator(parse_name)]
Date = Annotated[float, BeforeValidator(parse_date), in_range(1900, 2300)]
Maturity = Date
Flag = Annotated[bool, BeforeValidator(parse_flag)]
#: a share of the cloud bill in (0, 1]
Share = Annotated[float, BeforeValidator(parse_number), at_least(0, strict=True), in_range(0, 1)]
#: (D)/(E) parameters: a number, a string or a distribution table.
D = Annotated[Dist, dist_field(money=False)]
DMoney = Annotated[Dist, dist_field(money=True), dist_within(-1e12, 1e12)]
#: money > 0 on every path (``company.revenue``)
DPosMoney = Annotated[Dist, dist_field(money=True), positive_dist(allow_zero=False), dist_within(0, 1e12)]
#: money > 0 on every path, or a fixed 0 (``cloud.spend``: 0 means no cloud bill)
DSpend = Annotated[Dist, dist_field(money=True), positive_dist(allow_zero=True), dist_within(0, 1e12)]
#: a (D) fraction inside [0, 1] on every path (``steerable``)
DFraction = Annotated[Dist, dist_field(money=False), AfterValidator(unit_dist)]

# Limits that keep every accepted config finite (docs/CONFIG.md, "Limits").
#: events a year (shock, price-shift and fine rates)
Rate = Annotated[float, BeforeValidator(parse_number), at_least(0), at_most(100)]
#: a volatility (per square-root year)
Volatility = Annotated[float, BeforeValidator(parse_number), at_least(0), at_most(5)]
#: a span of years (lags, ramps, half-lives, migrations, delays)
Span = Annotated[float, BeforeValidator(parse_number), at_least(0), at_most(200)]
PosSpan = Annotated[float, BeforeValidator(parse_number), at_least(0, strict=True), at_most(200)]
#: a growth rate a year, fixed
Growth = Annotated[float, BeforeValidator(parse_number), in_range(-2, 2)]
#: a plain number (shares, multipliers, rates) that is not one of the above
Bounded = Annotated[float, BeforeValidator(parse_number), in_range(-100, 100)]
#: a plain number >= 0 (a coupon, a cap as a share of revenue)
NonNegBounded = Annotated[float, BeforeValidator(parse_number), at_least(0), at_most(100)]
#: a year on the calendar
Year = Annotated[int, BeforeValidator(parse_integer), in_range(1900, 2300)]
#: a count of years (a horizon, a contract term)
YearCount = Annotated[int, BeforeValidator(parse_integer), in_range(1, 100)]
#: (D) growth a year, on every draw
DGrowth = Annotated[Dist, dist_field(money=False), dist_within(-2, 2, " a year")]
#: (D) plain numbers: shares, discounts, tax, interest, elasticities
DBounded = Annotated[Dist, dist_field(money=False), dist_within(-100, 100)]
#: (D) a delay in years
DSpan = Annotated[Dist, dist_field(money=False), dist_within(-200, 200, " years")]

ZERO = Fixed(0.0)


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def fill_derived(model: BaseModel, **values: Any) -> None:
    # Derived fields of frozen models are set once, during validation.
    for name, value in values.items():
        object.__setattr__(model, name, value)
