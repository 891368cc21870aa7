"""The typed scenario: frozen pydantic models whose attribute names other modules rely on.

A scenario is a TOML file (or a dict of the same shape) following
``docs/MODEL.md``; ``docs/CONFIG.md`` is the reference for every key.
Inside a ``Scenario`` money is a float in USD millions, every (D)/(E)
parameter is a ``sim.model.distributions.Dist`` (plain numbers become
``Fixed``), lists of tables are tuples, and derived values are filled in:
commitment ``minimums``/``total``/``years``/``start_year`` and programme
``start_year``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, model_validator

from sim.model.errors import NAME_RE, TABLE_ARRAYS, Problem, num_text
from sim.model.parameters import check_correlations, fixed_costs, variable_share_max
from sim.model.types import (
    ZERO, D, DMoney, Correlated, Fraction, Integer, Maturity, Model, Money, Name, NonNegative, NonNegMoney, Number,
    PosMoney, Positive, Text, at_least, fill_derived, one_of, parse_integer,
)
from sim.model.units import describe_value

class ScenarioInfo(Model):
    """``[scenario]``: name, description and the time grid."""

    name: Text = ""
    description: Text = ""
    start: Integer
    years: Annotated[int, BeforeValidator(parse_integer), at_least(1)]
    steps_per_year: Annotated[int, BeforeValidator(parse_integer), AfterValidator(one_of(1, 2, 4, 12))]


class Company(Model):
    """``[company]``: base-year figures (money in USD millions)."""

    revenue: PosMoney
    operating_costs: NonNegMoney
    cash: DMoney
    tax_rate: D = ZERO
    net_income: Money | None = None
    tax_loss_carryforward: NonNegMoney = 0.0


class Policy(Model):
    """``[policy]``: what counts as a breach or a compression."""

    cash_floor: Money
    margin_drop: Number = 0.02


class AIUplift(Model):
    """``[revenue.ai_uplift]``: extra growth if the AI push works (Bernoulli A)."""

    probability: Fraction = 0.0
    uplift: D = ZERO
    delay_years: D = ZERO
    ramp_years: NonNegative = 0.0


class Shock(Model):
    """``[[revenue.shocks]]``: Poisson events changing the revenue level."""

    name: Name
    rate: NonNegative = 0.0
    change: D = ZERO


class Revenue(Model):
    """``[revenue]``: growth process, volatility, uplift and shocks."""

    growth: D = ZERO
    initial_growth: D | None = None
    mean_reversion: NonNegative = 0.0
    growth_volatility: NonNegative = 0.0
    volatility: NonNegative = 0.0
    ai_uplift: AIUplift | None = None
    shocks: tuple[Shock, ...] = ()


class Silicon(Model):
    """``[[cloud.silicon]]``: migration of a share of usage to custom silicon."""

    name: Name
    share: Fraction
    migrated_start: Fraction = 0.0
    migrated_target: D
    migration_years: Positive
    savings: D = ZERO


class PriceShift(Model):
    """``[[cloud.pricing.shifts]]``: Poisson price changes on a share of the bill."""

    name: Name
    rate: NonNegative = 0.0
    change: D = ZERO
    share: Fraction = 1.0


class Pricing(Model):
    """``[cloud.pricing]``: price drift, volatility and shifts."""

    drift: D = ZERO
    volatility: NonNegative = 0.0
    revenue_correlation: Correlated = 0.0
    shifts: tuple[PriceShift, ...] = ()


class Commitment(Model):
    """``[cloud.commitment]``: the committed minimum spend.

    After validation ``minimums`` is always filled (``total/years`` each year
    when not given), ``years == len(minimums)`` and
    ``total == sum(minimums)``; ``start_year`` is filled by ``Scenario``.
    """

    total: NonNegMoney | None = None
    years: Annotated[int, BeforeValidator(parse_integer), at_least(1)] | None = None
    start_year: Integer | None = None
    minimums: tuple[NonNegMoney, ...] | None = None
    discount: D = ZERO
    shortfall: Annotated[Literal["annual", "term"], BeforeValidator(one_of("annual", "term"))] = "annual"

    @model_validator(mode="after")
    def _consistent(self) -> "Commitment":
        total, years, mins = self.total, self.years, self.minimums
        if mins is not None:
            if not mins:
                raise Problem("must list at least one year's minimum", "minimums")
            if total is not None and abs(sum(mins) - total) > 1e-6:
                raise Problem(
                    f"{num_text(total)} does not match the sum of minimums {num_text(sum(mins))} (change both, or give one)",
                    "total",
                )
            if years is not None and years != len(mins):
                raise Problem(f"{years} does not match the {len(mins)} minimums given (change both, or give one)", "years")
            fill_derived(self, total=float(sum(mins)), years=len(mins))
            return self
        if total is None and years is None:
            raise Problem("needs total and years, or minimums")
        if years is None:
            raise Problem("required when total is given without minimums", "years")
        if total is None:
            raise Problem("required when years is given without minimums", "total")
        fill_derived(self, minimums=tuple(total / years for _ in range(years)))
        return self


class Cloud(Model):
    """``[cloud]``: the cloud bill and the commitment."""

    spend: NonNegMoney = 0.0
    usage_growth: Number = 0.0
    revenue_elasticity: D = ZERO
    silicon: tuple[Silicon, ...] = ()
    pricing: Pricing = Pricing()
    commitment: Commitment | None = None


class Program(Model):
    """``[[operating_costs.programs]]``: an investment or restructuring cost."""

    name: Name
    amount: DMoney | None = None
    share: D | None = None
    start_year: Integer | None = None
    years: Annotated[int, BeforeValidator(parse_integer), at_least(0)] = 0

    @model_validator(mode="after")
    def _amount_or_share(self) -> "Program":
        if (self.amount is None) == (self.share is None):
            got = "both" if self.amount is not None else "neither"
            raise Problem(f"give exactly one of amount and share (got {got})")
        return self


class OperatingCosts(Model):
    """``[operating_costs]``: variable share, fixed-cost growth, programmes."""

    variable_share: D = ZERO
    fixed_growth: D = ZERO
    programs: tuple[Program, ...] = ()


class Fine(Model):
    """``[[regulatory.fines]]``: Poisson fines as a fraction of revenue."""

    name: Name
    rate: NonNegative = 0.0
    size: D = ZERO
    cap: NonNegative | None = None
    lag_years: NonNegative = 0.0


class Regulatory(Model):
    """``[regulatory]``."""

    fines: tuple[Fine, ...] = ()


class Debt(Model):
    """``[[cash_flow.debt]]``: a bond or note repaid at maturity."""

    name: Name
    principal: NonNegMoney
    coupon: NonNegative = 0.0
    maturity: Maturity
    cash_repayment_probability: Fraction = 1.0


class Buybacks(Model):
    """``[cash_flow.buybacks]``: share repurchases, skipped below ``min_cash``."""

    annual: NonNegMoney = 0.0
    fcf_share: Fraction = 0.0
    min_cash: Money = 0.0


class CashFlow(Model):
    """``[cash_flow]``: interest, cash conversion, debt and buybacks."""

    interest_rate: D = ZERO
    noncash_share: D = ZERO
    capex_share: D = ZERO
    debt: tuple[Debt, ...] = ()
    buybacks: Buybacks | None = None


def parse_pair(value: Any) -> tuple[str, str]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"expected two parameter keys like [\"revenue.growth\", \"cloud.pricing.drift\"], got {describe_value(value)}")
    return (value[0].strip(), value[1].strip())


class Correlation(Model):
    """``[[correlations]]``: Spearman rank correlation of two (D) parameters."""

    between: Annotated[tuple[str, str], BeforeValidator(parse_pair)]
    rank: Correlated


class Scenario(Model):
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
                        raise Problem(f"element {i} has no name (every [[{path}]] table needs name = \"...\")", path)
                    name = element["name"]
                else:
                    raise Problem(f"expected an array of tables ([[{path}]]), got {describe_value(list(node))}", path)
                if not isinstance(name, str) or not NAME_RE.match(name):
                    raise Problem(f"invalid name {describe_value(name)} (use letters, digits, - and _)", path)
                if name in seen:
                    raise Problem(f"duplicate name '{name}'", f"{path}.{name}")
                seen.add(name)
        return data

    @model_validator(mode="after")
    def _whole(self) -> "Scenario":
        self._fill_start_years()
        cloud = self.cloud
        total_share = sum(s.share for s in cloud.silicon)
        if total_share > 1 + 1e-9:
            raise Problem(f"shares add up to {num_text(total_share)} (must be <= 1)", "cloud.silicon")
        if cloud.commitment is not None and cloud.spend == 0:
            raise Problem("a commitment needs cloud.spend > 0 (cloud.spend is 0: no cloud bill)", "cloud.commitment")
        v = variable_share_max(self)
        f0 = fixed_costs(self, v)
        if f0 < 0:
            c = self.company
            raise Problem(
                f"fixed costs come out negative: operating_costs {num_text(c.operating_costs)} - cloud.spend "
                f"{num_text(cloud.spend)} - variable_share {num_text(v)} x revenue {num_text(c.revenue)} = {num_text(f0)}",
                "company.operating_costs",
            )
        check_correlations(self)
        return self

    def _fill_start_years(self) -> None:
        # None -> scenario.start.  Nested models may be shared with the
        # caller's objects, so they are copied rather than modified.
        start = self.scenario.start
        com = self.cloud.commitment
        if com is not None and com.start_year is None:
            com = com.model_copy(update={"start_year": start})
            fill_derived(self, cloud=self.cloud.model_copy(update={"commitment": com}))
        progs = self.operating_costs.programs
        if any(p.start_year is None for p in progs):
            progs = tuple(p if p.start_year is not None else p.model_copy(update={"start_year": start}) for p in progs)
            fill_derived(self, operating_costs=self.operating_costs.model_copy(update={"programs": progs}))
