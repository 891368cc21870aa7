"""Scenario configuration: the typed ``Scenario``, loading, validation, serialisation.

A scenario is a TOML file (or a dict of the same shape) following
``/work/shared/MODEL.md``; ``docs/CONFIG.md`` is the reference for every key.
``load_scenario`` reads it, applies ``--set`` overrides and validates it into
frozen pydantic models whose attribute names other modules rely on.  Every
problem surfaces as one ``ConfigError`` line: ``source: dotted.key: problem``,
with list elements addressed by their ``name`` (``cloud.silicon.graviton``).

Inside a ``Scenario`` money is a float in USD millions, every (D)/(E)
parameter is a ``sim.distributions.Dist`` (plain numbers become ``Fixed``),
lists of tables are tuples, and derived values are filled in: commitment
``minimums``/``total``/``years``/``start_year`` and programme ``start_year``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import numbers
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    model_validator,
)

from sim.distributions import Dist, Fixed, parse_dist
from sim.units import describe_value, parse_money, parse_number

__all__ = [
    "ConfigError",
    "Scenario",
    "ScenarioInfo",
    "Company",
    "Policy",
    "Revenue",
    "AIUplift",
    "Shock",
    "Cloud",
    "Silicon",
    "Pricing",
    "PriceShift",
    "Commitment",
    "OperatingCosts",
    "Program",
    "Regulatory",
    "Fine",
    "CashFlow",
    "Debt",
    "Buybacks",
    "Correlation",
    "TABLE_ARRAYS",
    "load_scenario",
    "uncertain_parameters",
    "bernoulli_parameters",
    "shipped_scenarios",
    "resolve_scenario_path",
    "scenario_to_dict",
    "scenario_to_toml",
    "scenario_hash",
    "describe_scenario",
    "validate_scenario",
    "money_keys",
    "fixed_costs",
    "variable_share_max",
]

#: Dotted paths of the arrays of tables whose elements carry a ``name``.
TABLE_ARRAYS = (
    "revenue.shocks",
    "cloud.silicon",
    "cloud.pricing.shifts",
    "operating_costs.programs",
    "regulatory.fines",
    "cash_flow.debt",
)

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ConfigError(Exception):
    """A problem with a scenario, reported as one line.

    Attributes
    ----------
    source : str
        Where the problem is: the file or scenario name as given, ``--set``
        for an override, ``<dict>`` for a dict.
    key : str
        Dotted key (``cloud.silicon.graviton.savings``), or ``""``.
    problem : str
        What is wrong, in words.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = str(source), key, problem
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.key:
            return f"{self.source}: {self.key}: {self.problem}"
        return f"{self.source}: {self.problem}"


class _Problem(ValueError):
    """A validation problem with the key it concerns, relative to the model
    that raises it (absolute when raised by ``Scenario``)."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


# ---------------------------------------------------------------------------
# Field types: parsing (before) and constraints (after) with one-line messages
# ---------------------------------------------------------------------------


def _num(x: float) -> str:
    """Compact number for messages: 3200, 0.9, -310, 1.5e-07."""
    if x != 0 and (abs(x) < 1e-4 or abs(x) >= 1e15):
        return f"{x:.6g}"
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _integer(value: Any) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {describe_value(value)}")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {describe_value(value)}")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValueError(f"invalid name {describe_value(value)} (use letters, digits, - and _)")
    return value


def _at_least(bound: float, strict: bool = False):
    def check(x: float) -> float:
        if x < bound or (strict and x == bound):
            raise ValueError(f"must be {'>' if strict else '>='} {_num(bound)} (got {_num(x)})")
        return x

    return AfterValidator(check)


def _between(lo: float, hi: float):
    def check(x: float) -> float:
        if not lo <= x <= hi:
            raise ValueError(f"must be between {_num(lo)} and {_num(hi)} (got {_num(x)})")
        return x

    return AfterValidator(check)


def _one_of(*allowed: Any):
    def check(x: Any) -> Any:
        if isinstance(x, bool) or x not in allowed:
            options = ", ".join(repr(a) if isinstance(a, str) else str(a) for a in allowed)
            raise ValueError(f"must be one of {options} (got {describe_value(x)})")
        return x

    return check


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - date(year, month, 1)).days


def _maturity(value: Any) -> float:
    """A decimal year; ``"YYYY-MM"`` is year + (month - 1)/12 (a day adds its
    fraction of the month, so ``2031-03-01`` equals ``"2031-03"``)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        y, m, d = value.year, value.month, value.day
        return y + (m - 1) / 12 + (d - 1) / (12 * _days_in_month(y, m))
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*", value)
        if match:
            y, m = int(match[1]), int(match[2])
            if not 1 <= m <= 12:
                raise ValueError(f"month must be 1 to 12 (got {value!r})")
            d = int(match[3]) if match[3] else 1
            if not 1 <= d <= _days_in_month(y, m):
                raise ValueError(f"no such day (got {value!r})")
            return y + (m - 1) / 12 + (d - 1) / (12 * _days_in_month(y, m))
    try:
        return parse_number(value)
    except ValueError:
        raise ValueError(f'expected "YYYY-MM" or a decimal year, got {describe_value(value)}') from None


def _dist(money: bool):
    return BeforeValidator(lambda v: parse_dist(v, money=money))


Number = Annotated[float, BeforeValidator(parse_number)]
NonNegative = Annotated[float, BeforeValidator(parse_number), _at_least(0)]
Positive = Annotated[float, BeforeValidator(parse_number), _at_least(0, strict=True)]
Fraction = Annotated[float, BeforeValidator(parse_number), _between(0, 1)]
Correlated = Annotated[float, BeforeValidator(parse_number), _between(-1, 1)]
Money = Annotated[float, BeforeValidator(parse_money)]
NonNegMoney = Annotated[float, BeforeValidator(parse_money), _at_least(0)]
PosMoney = Annotated[float, BeforeValidator(parse_money), _at_least(0, strict=True)]
Integer = Annotated[int, BeforeValidator(_integer)]
Text = Annotated[str, BeforeValidator(_text)]
Name = Annotated[str, BeforeValidator(_name)]
Maturity = Annotated[float, BeforeValidator(_maturity)]
#: (D)/(E) parameters: a number, a string or a distribution table.
D = Annotated[Dist, _dist(money=False)]
DMoney = Annotated[Dist, _dist(money=True)]

ZERO = Fixed(0.0)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def _fill(model: BaseModel, **values: Any) -> None:
    # Derived fields of frozen models are set once, during validation.
    for name, value in values.items():
        object.__setattr__(model, name, value)


# ---------------------------------------------------------------------------
# The typed scenario (attribute names are the interface; see the spec)
# ---------------------------------------------------------------------------


class ScenarioInfo(_Model):
    """``[scenario]``: name, description and the time grid."""

    name: Text = ""
    description: Text = ""
    start: Integer
    years: Annotated[int, BeforeValidator(_integer), _at_least(1)]
    steps_per_year: Annotated[int, BeforeValidator(_integer), AfterValidator(_one_of(1, 2, 4, 12))]


class Company(_Model):
    """``[company]``: base-year figures (money in USD millions)."""

    revenue: PosMoney
    operating_costs: NonNegMoney
    cash: DMoney
    tax_rate: D = ZERO
    net_income: Money | None = None
    tax_loss_carryforward: NonNegMoney = 0.0


class Policy(_Model):
    """``[policy]``: what counts as a breach or a compression."""

    cash_floor: Money
    margin_drop: Number = 0.02


class AIUplift(_Model):
    """``[revenue.ai_uplift]``: extra growth if the AI push works (Bernoulli A)."""

    probability: Fraction = 0.0
    uplift: D = ZERO
    delay_years: D = ZERO
    ramp_years: NonNegative = 0.0


class Shock(_Model):
    """``[[revenue.shocks]]``: Poisson events changing the revenue level."""

    name: Name
    rate: NonNegative = 0.0
    change: D = ZERO


class Revenue(_Model):
    """``[revenue]``: growth process, volatility, uplift and shocks."""

    growth: D = ZERO
    initial_growth: D | None = None
    mean_reversion: NonNegative = 0.0
    growth_volatility: NonNegative = 0.0
    volatility: NonNegative = 0.0
    ai_uplift: AIUplift | None = None
    shocks: tuple[Shock, ...] = ()


class Silicon(_Model):
    """``[[cloud.silicon]]``: migration of a share of usage to custom silicon."""

    name: Name
    share: Fraction
    migrated_start: Fraction = 0.0
    migrated_target: D
    migration_years: Positive
    savings: D = ZERO


class PriceShift(_Model):
    """``[[cloud.pricing.shifts]]``: Poisson price changes on a share of the bill."""

    name: Name
    rate: NonNegative = 0.0
    change: D = ZERO
    share: Fraction = 1.0


class Pricing(_Model):
    """``[cloud.pricing]``: price drift, volatility and shifts."""

    drift: D = ZERO
    volatility: NonNegative = 0.0
    revenue_correlation: Correlated = 0.0
    shifts: tuple[PriceShift, ...] = ()


class Commitment(_Model):
    """``[cloud.commitment]``: the committed minimum spend.

    After validation ``minimums`` is always filled (``total/years`` each year
    when not given), ``years == len(minimums)`` and
    ``total == sum(minimums)``; ``start_year`` is filled by ``Scenario``.
    """

    total: NonNegMoney | None = None
    years: Annotated[int, BeforeValidator(_integer), _at_least(1)] | None = None
    start_year: Integer | None = None
    minimums: tuple[NonNegMoney, ...] | None = None
    discount: D = ZERO
    shortfall: Annotated[Literal["annual", "term"], BeforeValidator(_one_of("annual", "term"))] = "annual"

    @model_validator(mode="after")
    def _consistent(self) -> "Commitment":
        total, years, mins = self.total, self.years, self.minimums
        if mins is not None:
            if not mins:
                raise _Problem("must list at least one year's minimum", "minimums")
            if total is not None and abs(sum(mins) - total) > 1e-6:
                raise _Problem(
                    f"{_num(total)} does not match the sum of minimums {_num(sum(mins))} (change both, or give one)",
                    "total",
                )
            if years is not None and years != len(mins):
                raise _Problem(f"{years} does not match the {len(mins)} minimums given (change both, or give one)", "years")
            _fill(self, total=float(sum(mins)), years=len(mins))
            return self
        if total is None and years is None:
            raise _Problem("needs total and years, or minimums")
        if years is None:
            raise _Problem("required when total is given without minimums", "years")
        if total is None:
            raise _Problem("required when years is given without minimums", "total")
        _fill(self, minimums=tuple(total / years for _ in range(years)))
        return self


class Cloud(_Model):
    """``[cloud]``: the cloud bill and the commitment."""

    spend: NonNegMoney = 0.0
    usage_growth: Number = 0.0
    revenue_elasticity: D = ZERO
    silicon: tuple[Silicon, ...] = ()
    pricing: Pricing = Pricing()
    commitment: Commitment | None = None


class Program(_Model):
    """``[[operating_costs.programs]]``: an investment or restructuring cost."""

    name: Name
    amount: DMoney | None = None
    share: D | None = None
    start_year: Integer | None = None
    years: Annotated[int, BeforeValidator(_integer), _at_least(0)] = 0

    @model_validator(mode="after")
    def _amount_or_share(self) -> "Program":
        if (self.amount is None) == (self.share is None):
            got = "both" if self.amount is not None else "neither"
            raise _Problem(f"give exactly one of amount and share (got {got})")
        return self


class OperatingCosts(_Model):
    """``[operating_costs]``: variable share, fixed-cost growth, programmes."""

    variable_share: D = ZERO
    fixed_growth: D = ZERO
    programs: tuple[Program, ...] = ()


class Fine(_Model):
    """``[[regulatory.fines]]``: Poisson fines as a fraction of revenue."""

    name: Name
    rate: NonNegative = 0.0
    size: D = ZERO
    cap: NonNegative | None = None
    lag_years: NonNegative = 0.0


class Regulatory(_Model):
    """``[regulatory]``."""

    fines: tuple[Fine, ...] = ()


class Debt(_Model):
    """``[[cash_flow.debt]]``: a bond or note repaid at maturity."""

    name: Name
    principal: NonNegMoney
    coupon: NonNegative = 0.0
    maturity: Maturity
    cash_repayment_probability: Fraction = 1.0


class Buybacks(_Model):
    """``[cash_flow.buybacks]``: share repurchases, skipped below ``min_cash``."""

    annual: NonNegMoney = 0.0
    fcf_share: Fraction = 0.0
    min_cash: Money = 0.0


class CashFlow(_Model):
    """``[cash_flow]``: interest, cash conversion, debt and buybacks."""

    interest_rate: D = ZERO
    noncash_share: D = ZERO
    capex_share: D = ZERO
    debt: tuple[Debt, ...] = ()
    buybacks: Buybacks | None = None


def _pair(value: Any) -> tuple[str, str]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"expected two parameter keys like [\"revenue.growth\", \"cloud.pricing.drift\"], got {describe_value(value)}")
    return (value[0].strip(), value[1].strip())


class Correlation(_Model):
    """``[[correlations]]``: Spearman rank correlation of two (D) parameters."""

    between: Annotated[tuple[str, str], BeforeValidator(_pair)]
    rank: Correlated


class Scenario(_Model):
    """A validated scenario (see the module doc and docs/CONFIG.md)."""

    scenario: ScenarioInfo
    company: Company
    policy: Policy
    revenue: Revenue = Revenue()
    cloud: Cloud = Cloud()
    operating_costs: OperatingCosts = OperatingCosts()
    regulatory: Regulatory = Regulatory()
    cash_flow: CashFlow = CashFlow()
    correlations: tuple[Correlation, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        # Every element of an array of tables needs a valid, unique name:
        # checked first, so later messages can address elements by name.
        if not isinstance(data, Mapping):
            return data
        for path in TABLE_ARRAYS:
            node: Any = data
            for part in path.split("."):
                node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
            if not isinstance(node, (list, tuple)):
                continue  # absent, or the wrong type: field validation says so
            seen: set[str] = set()
            for i, element in enumerate(node, start=1):
                if isinstance(element, BaseModel):
                    name = getattr(element, "name", None)
                elif isinstance(element, Mapping):
                    if "name" not in element:
                        raise _Problem(f"element {i} has no name (every [[{path}]] table needs name = \"...\")", path)
                    name = element["name"]
                else:
                    raise _Problem(f"expected an array of tables ([[{path}]]), got {describe_value(list(node))}", path)
                if not isinstance(name, str) or not _NAME_RE.match(name):
                    raise _Problem(f"invalid name {describe_value(name)} (use letters, digits, - and _)", path)
                if name in seen:
                    raise _Problem(f"duplicate name '{name}'", f"{path}.{name}")
                seen.add(name)
        return data

    @model_validator(mode="after")
    def _whole(self) -> "Scenario":
        self._fill_start_years()
        cloud = self.cloud
        total_share = sum(s.share for s in cloud.silicon)
        if total_share > 1 + 1e-9:
            raise _Problem(f"shares add up to {_num(total_share)} (must be <= 1)", "cloud.silicon")
        if cloud.commitment is not None and cloud.spend == 0:
            raise _Problem("a commitment needs cloud.spend > 0 (cloud.spend is 0: no cloud bill)", "cloud.commitment")
        v = variable_share_max(self)
        f0 = fixed_costs(self, v)
        if f0 < 0:
            c = self.company
            raise _Problem(
                f"fixed costs come out negative: operating_costs {_num(c.operating_costs)} - cloud.spend "
                f"{_num(cloud.spend)} - variable_share {_num(v)} x revenue {_num(c.revenue)} = {_num(f0)}",
                "company.operating_costs",
            )
        _check_correlations(self)
        return self

    def _fill_start_years(self) -> None:
        # None -> scenario.start.  Nested models may be shared with the
        # caller's objects, so they are copied rather than modified.
        start = self.scenario.start
        com = self.cloud.commitment
        if com is not None and com.start_year is None:
            com = com.model_copy(update={"start_year": start})
            _fill(self, cloud=self.cloud.model_copy(update={"commitment": com}))
        progs = self.operating_costs.programs
        if any(p.start_year is None for p in progs):
            progs = tuple(p if p.start_year is not None else p.model_copy(update={"start_year": start}) for p in progs)
            _fill(self, operating_costs=self.operating_costs.model_copy(update={"programs": progs}))


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------


def uncertain_parameters(scn: Scenario) -> dict[str, Dist]:
    """Every (D) parameter by dotted key, in the canonical order.

    Parameters
    ----------
    scn : Scenario

    Returns
    -------
    dict of str to Dist
        Fixed values included.  ``revenue.initial_growth`` only when given,
        the ``revenue.ai_uplift`` keys only with an uplift,
        ``cloud.commitment.discount`` only with a commitment.
    """
    out: dict[str, Dist] = {
        "company.cash": scn.company.cash,
        "company.tax_rate": scn.company.tax_rate,
        "revenue.growth": scn.revenue.growth,
    }
    if scn.revenue.initial_growth is not None:
        out["revenue.initial_growth"] = scn.revenue.initial_growth
    ai = scn.revenue.ai_uplift
    if ai is not None:
        out["revenue.ai_uplift.uplift"] = ai.uplift
        out["revenue.ai_uplift.delay_years"] = ai.delay_years
    out["cloud.revenue_elasticity"] = scn.cloud.revenue_elasticity
    for s in scn.cloud.silicon:
        out[f"cloud.silicon.{s.name}.migrated_target"] = s.migrated_target
        out[f"cloud.silicon.{s.name}.savings"] = s.savings
    out["cloud.pricing.drift"] = scn.cloud.pricing.drift
    if scn.cloud.commitment is not None:
        out["cloud.commitment.discount"] = scn.cloud.commitment.discount
    out["operating_costs.variable_share"] = scn.operating_costs.variable_share
    out["operating_costs.fixed_growth"] = scn.operating_costs.fixed_growth
    for p in scn.operating_costs.programs:
        if p.amount is not None:
            out[f"operating_costs.programs.{p.name}.amount"] = p.amount
        else:
            out[f"operating_costs.programs.{p.name}.share"] = p.share  # type: ignore[assignment]
    out["cash_flow.interest_rate"] = scn.cash_flow.interest_rate
    out["cash_flow.noncash_share"] = scn.cash_flow.noncash_share
    out["cash_flow.capex_share"] = scn.cash_flow.capex_share
    return out


def bernoulli_parameters(scn: Scenario) -> dict[str, float]:
    """Per-path Bernoulli probabilities by dotted key, in the canonical order."""
    out: dict[str, float] = {}
    if scn.revenue.ai_uplift is not None:
        out["revenue.ai_uplift.probability"] = scn.revenue.ai_uplift.probability
    for d in scn.cash_flow.debt:
        out[f"cash_flow.debt.{d.name}.cash_repayment_probability"] = d.cash_repayment_probability
    return out


def money_keys(scn: Scenario) -> set[str]:
    """The (D) keys whose values are money (USD millions)."""
    keys = {"company.cash"}
    keys.update(f"operating_costs.programs.{p.name}.amount" for p in scn.operating_costs.programs if p.amount is not None)
    return keys


def variable_share_max(scn: Scenario) -> float:
    """Largest value of ``operating_costs.variable_share``: the support's upper
    end, or the 1 - 1e-6 quantile when unbounded."""
    v = scn.operating_costs.variable_share
    hi = v.support()[1]
    return hi if math.isfinite(hi) else float(v.quantile(1 - 1e-6))


def fixed_costs(scn: Scenario, variable_share: float) -> float:
    """F_0 = operating_costs - cloud.spend - v * revenue (USD millions per year)."""
    c = scn.company
    return c.operating_costs - scn.cloud.spend - variable_share * c.revenue


def _check_correlations(scn: Scenario) -> None:
    """Correlation keys, pairs and the positive semi-definiteness of the copula."""
    known = list(uncertain_parameters(scn))
    seen: dict[frozenset[str], float] = {}
    for c in scn.correlations:
        a, b = c.between
        pair = f"{a} ~ {b}"
        for k in (a, b):
            if k not in known:
                close = difflib.get_close_matches(k, known, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "not a (D) parameter of this scenario"
                raise _Problem(f"{pair}: unknown parameter '{k}' ({hint})", "correlations")
        if a == b:
            raise _Problem(f"{pair}: correlates a parameter with itself", "correlations")
        key = frozenset((a, b))
        if key in seen:
            raise _Problem(f"{pair}: pair given twice", "correlations")
        seen[key] = c.rank
    # Connected groups; the Pearson matrix of each must be PSD.
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for c in scn.correlations:
        parent[find(c.between[0])] = find(c.between[1])
    groups: dict[str, list[str]] = {}
    for k in known:
        if k in parent:
            groups.setdefault(find(k), []).append(k)
    for keys in groups.values():
        index = {k: i for i, k in enumerate(keys)}
        mat = np.eye(len(keys))
        entries = []
        for c in scn.correlations:
            a, b = c.between
            if a in index:
                mat[index[a], index[b]] = mat[index[b], index[a]] = 2 * math.sin(math.pi * c.rank / 6)
                entries.append(f"{a} ~ {b} ({_num(c.rank)})")
        if np.linalg.eigvalsh(mat).min() < -1e-10:
            raise _Problem(
                f"matrix is not positive semi-definite (entries: {', '.join(entries)})", "correlations"
            )


# ---------------------------------------------------------------------------
# Turning pydantic errors into one line
# ---------------------------------------------------------------------------


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_class(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    cls: type[BaseModel] | None = Scenario
    for item in loc:
        if isinstance(item, int):
            continue
        field = cls.model_fields.get(item) if cls else None
        if field is None:
            return None
        cls = _model_class(field.annotation)
    return cls


def _locate(loc: Sequence[Any], raw: Any) -> tuple[list[str], str]:
    """Dotted key parts for a pydantic ``loc`` and a prefix for the message.

    Elements of arrays of tables are named by their ``name``; an entry of a
    plain array (``minimums``) becomes ``entry N:`` in the message;
    correlations are named by their pair.
    """
    parts: list[str] = []
    prefix = ""
    node = raw
    for pos, item in enumerate(loc):
        if isinstance(item, int):
            element = node[item] if isinstance(node, (list, tuple)) and -len(node) <= item < len(node) else None
            if parts == ["correlations"]:
                between = element.get("between") if isinstance(element, Mapping) else None
                if isinstance(between, (list, tuple)) and len(between) == 2:
                    prefix = f"{between[0]} ~ {between[1]}: "
                else:
                    prefix = f"entry {item + 1}: "
                rest = [str(x) for x in loc[pos + 1 :]]
                if rest:
                    prefix += ".".join(rest) + ": "
                return parts, prefix
            name = element.get("name") if isinstance(element, Mapping) else getattr(element, "name", None)
            if isinstance(name, str) and name:
                parts.append(name)
            else:
                prefix = f"entry {item + 1}: "
                return parts, prefix
            node = element
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, Mapping) else getattr(node, str(item), None)
    return parts, prefix


def _problem(error: dict[str, Any], loc: Sequence[Any]) -> tuple[str, str]:
    """(extra key suffix, message) for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, ValueError):
        return getattr(exc, "key", "") or "", str(exc)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        fields = list(model.model_fields) if model else []
        unknown = str(loc[-1])
        close = difflib.get_close_matches(unknown, fields, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(fields)}"
        return "", f"unknown key '{unknown}' ({hint})"
    if kind == "missing":
        return "", "required key missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "", f"expected a table, got {describe_value(value)}"
    if kind in ("tuple_type", "list_type"):
        path = ".".join(str(x) for x in loc)
        if path in TABLE_ARRAYS or path == "correlations":
            return "", f"expected an array of tables ([[{path}]]), got {describe_value(value)}"
        return "", f"expected an array, got {describe_value(value)}"
    if kind == "is_instance_of":
        return "", f"expected a number or a distribution table, got {describe_value(value)}"
    return "", str(error.get("msg", kind)).removeprefix("Value error, ")


def _config_error(err: ValidationError, raw: Any, source: str, overridden: Sequence[str]) -> ConfigError:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    extra, message = _problem(first, loc)
    parts, prefix = _locate(loc, raw)
    key = ".".join(parts + ([extra] if extra else []))
    if key and any(_same_path(key, o) for o in overridden):
        source = "--set"
    return ConfigError(source, key, prefix + message)


def _same_path(key: str, override: str) -> bool:
    """True when ``key`` is at, under or above the overridden key."""
    return key == override or key.startswith(override + ".") or override.startswith(key + ".")


# ---------------------------------------------------------------------------
# Locating and loading scenarios
# ---------------------------------------------------------------------------


def _configs_dir() -> Path:
    """Folder of the shipped scenarios: the installed ``sim.configs`` package,
    else ``configs/`` next to the source tree's ``sim`` package."""
    try:
        from importlib.resources import files

        root = files("sim.configs")
        if isinstance(root, Path) and root.is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    import sim

    return Path(sim.__file__).resolve().parent.parent / "configs"


def shipped_scenarios() -> list[tuple[str, str, Path]]:
    """The shipped scenarios as ``(name, one-line description, path)``, by name."""
    out = []
    for path in sorted(_configs_dir().glob("*.toml")):
        try:
            with path.open("rb") as fh:
                description = tomllib.load(fh).get("scenario", {}).get("description", "")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
            description = ""
        first_line = str(description).strip().splitlines()[0] if str(description).strip() else ""
        out.append((path.stem, first_line, path))
    return out


def _looks_like_path(arg: str) -> bool:
    return arg.endswith(".toml") or "/" in arg or os.sep in arg


def resolve_scenario_path(arg: str | os.PathLike) -> Path:
    """The TOML file for a path or a shipped scenario name.

    Parameters
    ----------
    arg : str or path
        An existing file, or a shipped name such as ``"pinterest_aws_2031"``.

    Raises
    ------
    ConfigError
        ``X: file not found`` for a missing path (something ending in
        ``.toml`` or containing a folder), else
        ``X: no such file or shipped scenario (shipped: a, b)``.
    """
    text = os.fspath(arg)
    path = Path(text)
    if path.is_file():
        return path
    if path.exists():
        raise ConfigError(text, "", "not a file")
    shipped = {name: p for name, _, p in shipped_scenarios()}
    stem = text[: -len(".toml")] if text.endswith(".toml") else text
    if stem in shipped and "/" not in text and os.sep not in text:
        return shipped[stem]
    if isinstance(arg, os.PathLike) or _looks_like_path(text):
        raise ConfigError(text, "", "file not found")
    raise ConfigError(text, "", f"no such file or shipped scenario (shipped: {', '.join(shipped)})")


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(label, "", f"TOML syntax error: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(label, "", "TOML syntax error: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(label, "", f"cannot read file ({exc.strerror or exc})") from None


def validate_scenario(raw: Mapping[str, Any], source: str = "<dict>", overridden: Sequence[str] = ()) -> Scenario:
    """Validate a scenario dict; any problem becomes one ``ConfigError``.

    Parameters
    ----------
    raw : mapping
        The TOML structure (overrides already applied).
    source : str
        Label for error messages.
    overridden : sequence of str
        Dotted keys set by ``--set``: errors at, under or above them are
        attributed to ``--set``.
    """
    try:
        return Scenario.model_validate(raw)
    except ValidationError as err:
        raise _config_error(err, raw, source, overridden) from None


def load_scenario(source: str | os.PathLike | Mapping[str, Any] | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """Load, override and validate a scenario.

    Parameters
    ----------
    source : str, path, mapping or Scenario
        A TOML file, a shipped scenario name (``"pinterest_aws_2031"``), a
        dict with the TOML's structure, or a Scenario (re-validated through
        ``scenario_to_dict`` when overrides are given).
    overrides : sequence of str
        ``"dotted.key=VALUE"`` strings (``--set``); see ``sim.overrides``.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        One line, ``source: key: problem``.
    """
    from sim.overrides import apply_overrides, override_keys

    if isinstance(source, Scenario):
        if not overrides:
            return source
        source = scenario_to_dict(source)
    if isinstance(source, Mapping):
        label, raw = "<dict>", dict(source)
    else:
        label = os.fspath(source)
        raw = _read_toml(resolve_scenario_path(source), label)
    raw = apply_overrides(raw, overrides)
    return validate_scenario(raw, label, override_keys(overrides))


# ---------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        out = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            if item is not None:
                out[name] = _plain(item)
        return out
    if isinstance(value, Dist):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def scenario_to_dict(scn: Scenario) -> dict[str, Any]:
    """The scenario as plain, TOML-serialisable data.

    Money is in USD millions, distributions are inline tables (fixed values
    plain numbers), derived values are written out (commitment minimums,
    start years); ``None`` values are left out.  ``load_scenario`` of the
    result gives an equal Scenario.
    """
    return _plain(scn)


def toml_value(value: Any) -> str:
    import tomli_w

    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def _toml_key(key: str) -> str:
    return key if _NAME_RE.match(key) else json.dumps(key)


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and "dist" not in value


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


def _toml_tables(path: str, table: Mapping[str, Any], out: list[str], array: bool = False) -> None:
    header = f"[[{path}]]" if array else f"[{path}]"
    # Empty arrays of tables are the default: leave them out.
    lines = [
        f"{_toml_key(k)} = {toml_value(v)}"
        for k, v in table.items()
        if not (_is_table(v) or _is_table_array(v) or v == [])
    ]
    if path and (lines or array):
        out.append(header)
    out.extend(lines)
    if lines or array:
        out.append("")
    for k, v in table.items():
        sub = f"{path}.{_toml_key(k)}" if path else _toml_key(k)
        if _is_table(v):
            _toml_tables(sub, v, out)
        elif _is_table_array(v):
            for element in v:
                _toml_tables(sub, element, out, array=True)


def scenario_to_toml(scn: Scenario) -> str:
    """The scenario as a TOML document (distributions as inline tables).

    ``load_scenario`` of the text gives an equal Scenario.
    """
    out = ["# Resolved scenario written by sim; money in USD millions.", ""]
    _toml_tables("", scenario_to_dict(scn), out)
    return "\n".join(out).rstrip("\n") + "\n"


def scenario_hash(scn: Scenario) -> str:
    """SHA-256 (hex) of the canonical JSON of ``scenario_to_dict``."""
    text = json.dumps(scenario_to_dict(scn), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_scenario(scn: Scenario) -> str:
    """The text ``sim validate`` prints (see ``sim.describe``)."""
    from sim.describe import describe

    return describe(scn)
