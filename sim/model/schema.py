"""The typed scenario: frozen pydantic models whose attribute names other modules rely on.

A scenario is a TOML file (or a dict of the same shape) following
``docs/MODEL.md``; ``docs/CONFIG.md`` is the reference for every key.
Inside a ``Scenario`` money is a float in USD millions, every (D)/(E)
parameter is a ``sim.model.distributions.Dist`` (plain numbers become
``Fixed``), lists of tables are tuples, and derived values are filled in:
commitment ``minimums``/``total``/``years``/``start_year`` and programme
``start_year``.  Model v2 (docs/MODEL.md [v2]): several commitments
(``cloud.commitments``, always the list form after validation), uncertain
``company.revenue`` and ``cloud.spend``, recovering shocks, non-cash
programmes, debt issued inside the horizon, dated cash events, working
capital and ``[[actuals]]`` (``sim.model.actuals``: realised outcomes for
back-tests, read by nothing that simulates); every new key defaults to v1's
behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, PrivateAttr, model_validator

from sim.model.actuals import Actual, check_actuals
from sim.model.contracts import date_text
from sim.model.errors import NAME_RE, TABLE_ARRAYS, Problem, num_text
from sim.model.limits import check_limits
from sim.model.parameters import base_spend, check_correlations, check_fixed_costs
from sim.model.types import (
    ZERO, Bounded, DBounded, DGrowth, DSpan, Growth, PosSpan, Rate, Span, Volatility, Year, YearCount,
    NonNegBounded, in_range, Date, DFraction, DMoney, DPosMoney, DSpend, Correlated, Flag, Fraction, Maturity, Model, Money,
    Name, NonNegMoney, Share, Text, fill_derived, one_of, parse_integer,
)
from sim.model.units import describe_value

class ScenarioInfo(Model):
    """``[scenario]``: name, description and the time grid."""

    name: Text = ""
    description: Text = ""
    start: Year
    years: YearCount
    steps_per_year: Annotated[int, BeforeValidator(parse_integer), AfterValidator(one_of(1, 2, 4, 12))]


class Company(Model):
    """``[company]``: base-year figures (money in USD millions)."""

    revenue: DPosMoney  # [v2] (D): drawn once per path; its median is "the" base revenue
    operating_costs: NonNegMoney
    cash: DMoney
    tax_rate: DBounded = ZERO
    net_income: Money | None = None
    tax_loss_carryforward: NonNegMoney = 0.0


class Policy(Model):
    """``[policy]``: what counts as a breach or a compression."""

    cash_floor: Money
    margin_drop: Bounded = 0.02


class AIUplift(Model):
    """``[revenue.ai_uplift]``: extra growth if the AI push works (Bernoulli A)."""

    probability: Fraction = 0.0
    uplift: DGrowth = ZERO
    delay_years: DSpan = ZERO
    ramp_years: Span = 0.0


class Shock(Model):
    """``[[revenue.shocks]]``: Poisson events changing the revenue level.

    [v2] ``recovery`` is the share of each event's log effect that fades
    away with half-life ``half_life_years`` (required when recovery > 0).
    """

    name: Name
    rate: Rate = 0.0
    change: DBounded = ZERO
    recovery: Fraction = 0.0
    half_life_years: PosSpan | None = None

    @model_validator(mode="after")
    def _half_life(self) -> "Shock":
        if self.recovery > 0 and self.half_life_years is None:
            raise Problem(f"required when recovery > 0 (recovery is {num_text(self.recovery)})", "half_life_years")
        return self


class Revenue(Model):
    """``[revenue]``: growth process, volatility, uplift and shocks."""

    growth: DGrowth = ZERO
    initial_growth: DGrowth | None = None
    mean_reversion: Rate = 0.0
    growth_volatility: Volatility = 0.0
    volatility: Volatility = 0.0
    ai_uplift: AIUplift | None = None
    shocks: tuple[Shock, ...] = ()


class Silicon(Model):
    """``[[cloud.silicon]]``: migration of a share of usage to custom silicon."""

    name: Name
    share: Fraction
    migrated_start: Fraction = 0.0
    migrated_target: DBounded
    migration_years: PosSpan
    savings: DBounded = ZERO


class PriceShift(Model):
    """``[[cloud.pricing.shifts]]``: Poisson price changes on a share of the bill."""

    name: Name
    rate: Rate = 0.0
    change: DBounded = ZERO
    share: Fraction = 1.0


class Pricing(Model):
    """``[cloud.pricing]``: price drift, volatility and shifts."""

    drift: DGrowth = ZERO
    volatility: Volatility = 0.0
    revenue_correlation: Correlated = 0.0
    shifts: tuple[PriceShift, ...] = ()


SHORTFALL_RULES = ("annual", "term", "both")


class Commitment(Model):
    """One cloud commitment: ``[cloud.commitment]`` or an element of ``[[cloud.commitments]]``.

    After validation ``minimums`` is always filled (``total/years`` each year
    when not given) and ``years == len(minimums)``; ``total == sum(minimums)``
    except under ``shortfall = "both"``, where ``total`` is the separate term
    total.  ``Scenario`` fills ``start`` (decimal year; from ``start``, else
    ``start_year``, else ``scenario.start``), ``share`` (1 for a single
    commitment) and, when neither ``start`` nor ``start_year`` was given,
    ``start_year = scenario.start`` (v1).  ``key`` is the dotted key of the
    commitment: ``cloud.commitment`` for the singular table, else
    ``cloud.commitments.NAME``.
    """

    # v1 keys first (their order is the order of the resolved TOML)
    total: NonNegMoney | None = None
    years: YearCount | None = None
    start_year: Year | None = None
    minimums: tuple[NonNegMoney, ...] | None = None
    discount: DBounded = ZERO
    shortfall: Annotated[Literal["annual", "term", "both"], BeforeValidator(one_of(*SHORTFALL_RULES))] = "annual"
    # [v2]
    name: Name = "commitment"
    share: Share | None = None
    start: Date | None = None
    rollover: Fraction = 0.0
    steerable: DFraction = ZERO

    _singular: bool = PrivateAttr(default=False)

    @property
    def key(self) -> str:
        """Dotted key: ``cloud.commitment`` (singular table) or ``cloud.commitments.NAME``."""
        return "cloud.commitment" if self._singular else f"cloud.commitments.{self.name}"

    @property
    def singular(self) -> bool:
        """Whether the config gave this commitment as the single ``[cloud.commitment]`` table."""
        return self._singular

    @model_validator(mode="after")
    def _consistent(self) -> "Commitment":
        if self.start is not None and self.start_year is not None:
            raise Problem("give start or start_year, not both", "start")
        if self.rollover > 0 and self.shortfall == "term":
            raise Problem(
                f'{num_text(self.rollover)} needs yearly settlements, but shortfall is "term" '
                '(use "annual" or "both", or rollover = 0)',
                "rollover",
            )
        total, years, mins = self.total, self.years, self.minimums
        if mins is not None and not mins:
            raise Problem("must list at least one year's minimum", "minimums")
        if mins is not None and years is not None and years != len(mins):
            raise Problem(f"{years} does not match the {len(mins)} minimums given (change both, or give one)", "years")
        if self.shortfall == "both":
            # annual floors (minimums) under a separate term total
            missing = [k for k, v in (("minimums", mins), ("total", total)) if v is None]
            if missing:
                raise Problem(
                    'shortfall "both" needs minimums (the annual floors) and total (the term total)', missing[0]
                )
            fill_derived(self, years=len(mins))
            return self
        if mins is not None:
            if total is not None and abs(sum(mins) - total) > 1e-6:
                raise Problem(
                    f"{num_text(total)} does not match the sum of minimums {num_text(sum(mins))} (change both, or give one)",
                    "total",
                )
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
    """``[cloud]``: the cloud bill and the commitments.

    ``commitments`` is always the list after validation: the singular
    ``[cloud.commitment]`` table becomes its one element (named
    ``commitment``, key ``cloud.commitment``) and stays readable as
    ``commitment``; with the list form ``commitment`` is None.
    """

    spend: DSpend = ZERO  # [v2] (D); a fixed 0 means no cloud bill
    usage_growth: Growth = 0.0
    revenue_elasticity: DBounded = ZERO
    silicon: tuple[Silicon, ...] = ()
    pricing: Pricing = Pricing()
    commitment: Commitment | None = None
    commitments: tuple[Commitment, ...] = ()

    @model_validator(mode="after")
    def _contracts(self) -> "Cloud":
        single = self.commitment
        if single is not None:
            if self.commitments and not (len(self.commitments) == 1 and self.commitments[0] is single):
                raise Problem(
                    "give one [cloud.commitment] table or a list of [[cloud.commitments]], not both", "commitments"
                )
            if single.name != "commitment":
                raise Problem(
                    f"the single [cloud.commitment] is always named 'commitment' (got '{single.name}'); "
                    "use [[cloud.commitments]] to name contracts",
                    "commitment.name",
                )
            if not single._singular or single.share is None:
                single = single.model_copy(update={"share": 1.0 if single.share is None else single.share})
                single._singular = True
            fill_derived(self, commitment=single, commitments=(single,))
            return self
        coms = self.commitments
        if len(coms) == 1 and coms[0].share is None:
            fill_derived(self, commitments=(coms[0].model_copy(update={"share": 1.0}),))
        elif len(coms) > 1:
            for c in coms:
                if c.share is None:
                    raise Problem(
                        f"required when there are several commitments ({len(coms)}): the share of the cloud bill "
                        "under this contract",
                        f"commitments.{c.name}.share",
                    )
        total = sum(c.share for c in self.commitments)
        if total > 1 + 1e-9:
            raise Problem(f"shares add up to {num_text(total)} (must be <= 1)", "commitments")
        return self


class Program(Model):
    """``[[operating_costs.programs]]``: an investment or restructuring cost."""

    name: Name
    amount: DMoney | None = None
    share: DBounded | None = None
    start_year: Year | None = None
    years: Annotated[int, BeforeValidator(parse_integer), in_range(0, 100)] = 0
    noncash: Flag = False  # [v2] expensed but not paid: added back in FCF

    @model_validator(mode="after")
    def _amount_or_share(self) -> "Program":
        if (self.amount is None) == (self.share is None):
            got = "both" if self.amount is not None else "neither"
            raise Problem(f"give exactly one of amount and share (got {got})")
        return self


class OperatingCosts(Model):
    """``[operating_costs]``: variable share, fixed-cost growth, programmes."""

    variable_share: DBounded = ZERO
    fixed_growth: DGrowth = ZERO
    programs: tuple[Program, ...] = ()


class Fine(Model):
    """``[[regulatory.fines]]``: Poisson fines as a fraction of revenue."""

    name: Name
    rate: Rate = 0.0
    size: DBounded = ZERO
    cap: NonNegBounded | None = None
    lag_years: Span = 0.0


class Regulatory(Model):
    """``[regulatory]``."""

    fines: tuple[Fine, ...] = ()


class Debt(Model):
    """``[[cash_flow.debt]]``: a bond or note repaid at maturity."""

    name: Name
    principal: NonNegMoney
    coupon: NonNegBounded = 0.0
    maturity: Maturity
    cash_repayment_probability: Fraction = 1.0
    issued: Date | None = None  # [v2] None: outstanding before the horizon

    @model_validator(mode="after")
    def _issued_before_maturity(self) -> "Debt":
        if self.issued is not None and self.issued >= self.maturity:
            raise Problem(
                f"{date_text(self.issued)} is at or after maturity {date_text(self.maturity)} (issue before it matures)",
                "issued",
            )
        return self


class CashEvent(Model):
    """[v2] ``[[cash_flow.events]]``: a dated cash amount (+ in, - out) that happens with ``probability``."""

    name: Name
    date: Date
    amount: DMoney
    probability: Fraction = 1.0


class Buybacks(Model):
    """``[cash_flow.buybacks]``: share repurchases, skipped below ``min_cash``."""

    annual: NonNegMoney = 0.0
    fcf_share: Fraction = 0.0
    min_cash: Money = 0.0


class CashFlow(Model):
    """``[cash_flow]``: interest, cash conversion, debt and buybacks."""

    interest_rate: DBounded = ZERO
    noncash_share: DBounded = ZERO
    capex_share: DBounded = ZERO
    debt: tuple[Debt, ...] = ()
    buybacks: Buybacks | None = None
    events: tuple[CashEvent, ...] = ()  # [v2]
    working_capital: DBounded = ZERO  # [v2] net working capital, share of annualised revenue


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
    actuals: tuple[Actual, ...] = ()  # [v2] realised outcomes for back-tests; never change a run

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
        self._fill_starts()
        cloud = self.cloud
        total_share = sum(s.share for s in cloud.silicon)
        if total_share > 1 + 1e-9:
            raise Problem(f"shares add up to {num_text(total_share)} (must be <= 1)", "cloud.silicon")
        if cloud.commitments and base_spend(self) == 0 and cloud.spend.is_fixed:
            key = cloud.commitments[0].key if cloud.commitment is not None else "cloud.commitments"
            raise Problem("a commitment needs cloud.spend > 0 (cloud.spend is 0: no cloud bill)", key)
        check_fixed_costs(self)
        check_limits(self)
        check_correlations(self)
        check_actuals(self)
        return self

    def _fill_starts(self) -> None:
        # None -> scenario.start.  Nested models may be shared with the
        # caller's objects, so they are copied rather than modified.
        start = self.scenario.start
        coms = self.cloud.commitments
        if any(c.start is None for c in coms):
            filled = []
            for c in coms:
                if c.start is None:
                    year = start if c.start_year is None else c.start_year
                    c = c.model_copy(update={"start": float(year), "start_year": year})
                filled.append(c)
            single = filled[0] if self.cloud.commitment is not None else None
            fill_derived(self, cloud=self.cloud.model_copy(update={"commitments": tuple(filled), "commitment": single}))
        progs = self.operating_costs.programs
        if any(p.start_year is None for p in progs):
            progs = tuple(p if p.start_year is not None else p.model_copy(update={"start_year": start}) for p in progs)
            fill_derived(self, operating_costs=self.operating_costs.model_copy(update={"programs": progs}))
