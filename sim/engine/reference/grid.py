"""The deterministic part of the reference: the time grid and every step-indexed
schedule that depends on the scenario only (MODEL.md sections 1, 4, 5, 6).

Written from MODEL.md alone -- not from ``sim.model.contracts`` nor the
kernel's compile step -- so that a misreading on either side shows up as a
disagreement.  Steps are 0-based here (the model's step k is index k - 1).
Money in USD millions, time in years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import Scenario

#: Tolerance of the date -> step rule (MODEL.md, "Dates").
DATE_TOL = 1e-9


def date_step(date: float, start: int, n: int, K: int) -> int | None:
    """0-based step of a decimal-year date inside the horizon, None outside it.

    MODEL.md: a date d in [start, start + years] has the step "first k with
    start + t_k >= d - 1e-9"; a date before ``start`` or after
    ``start + years`` has none.
    """
    if date < start - DATE_TOL or date > start + K / n + DATE_TOL:
        return None
    for k in range(1, K + 1):
        if start + k / n >= date - DATE_TOL:
            return k - 1
    return K - 1  # unreachable: t_K = years covers every date in range


@dataclass
class ContractYear:
    """One contract year of a commitment.

    ``first`` and ``settle`` are 1-based model steps (may lie outside 1..K);
    ``counted`` when every step of the year lies in 1..K.
    """

    year: int  # 1-based contract year
    first: int
    settle: int
    minimum: float
    counted: bool


@dataclass
class CommitmentTerms:
    """A commitment's contract years mapped onto the step grid (MODEL.md section 4)."""

    name: str
    key: str
    share: float
    shortfall: str
    rollover: float
    total: float
    first_step: int  # k_j, 1-based, <= 0 when the contract began before the horizon
    years: list[ContractYear]
    in_term: np.ndarray  # (K,) bool: discounted steps
    contract_year: np.ndarray  # (K,) int: 0-based index of the counted contract year of the step, -1 none
    settle_at: dict[int, int] = field(default_factory=dict)  # 0-based settlement step -> 0-based counted year

    @property
    def counted(self) -> list[int]:
        """0-based indices of the counted contract years (consecutive)."""
        return [i for i, cy in enumerate(self.years) if cy.counted]

    @property
    def all_counted(self) -> bool:
        return all(cy.counted for cy in self.years)

    @property
    def last_settlement(self) -> int:
        """0-based step of the last counted year's settlement, -1 if no year is counted."""
        c = self.counted
        return self.years[c[-1]].settle - 1 if c else -1


def commitment_terms(com, scenario_start: int, n: int, K: int) -> CommitmentTerms:
    """Contract years, in-term steps and settlement steps of one commitment.

    k_j = 1 + ceil(tau n - 1e-9) with tau = start - scenario.start; contract
    year y holds steps k_j + (y-1) n .. k_j + y n - 1 and settles in the last
    of them; it is counted when all of them lie in 1..K.
    """
    tau = float(com.start) - scenario_start
    k1 = 1 + math.ceil(tau * n - 1e-9)
    years = []
    contract_year = np.full(K, -1, dtype=np.int64)
    settle_at = {}
    for y, minimum in enumerate(com.minimums, start=1):
        first = k1 + (y - 1) * n
        last = k1 + y * n - 1
        counted = first >= 1 and last <= K
        years.append(ContractYear(y, first, last, float(minimum), counted))
        if counted:
            contract_year[first - 1 : last] = y - 1
            settle_at[last - 1] = y - 1
    steps = np.arange(1, K + 1)
    in_term = (steps >= k1) & (steps <= k1 + len(com.minimums) * n - 1)
    return CommitmentTerms(
        name=com.name,
        key=com.key,
        share=float(com.share),
        shortfall=com.shortfall,
        rollover=float(com.rollover),
        total=float(com.total),
        first_step=k1,
        years=years,
        in_term=in_term,
        contract_year=contract_year,
        settle_at=settle_at,
    )


@dataclass
class DebtTerms:
    """A debt's schedule: coupon accrual, principal received and repaid (MODEL.md section 6)."""

    key: str  # Bernoulli key of cash repayment
    principal: float
    accrue: np.ndarray  # (K,) bool: steps with interest expense
    issue_step: int | None  # 0-based step the principal is received, None: outstanding before the horizon
    maturity_step: int | None  # 0-based repayment step, None: past the horizon


def debt_terms(d, start: int, n: int, K: int) -> DebtTerms | None:
    """The schedule of one debt, None for one ignored: issued past the horizon or matured before it.

    The maturity step is the first k with start + t_k >= maturity - 1e-9.  A
    debt maturing before ``scenario.start`` has no coupon, no repayment and no
    principal check (MODEL.md section 6; v1 repaid it in step 1).  Issued
    inside the horizon (after ``scenario.start``): principal received in the
    issue step, interest in the steps after it.
    """
    if float(d.maturity) < start - DATE_TOL:
        return None  # matured before the horizon
    t = start + np.arange(1, K + 1) / n
    due = np.nonzero(t >= float(d.maturity) - DATE_TOL)[0]
    mstep = int(due[0]) if due.size else None
    issued = d.issued
    issue_step = None
    if issued is not None and float(issued) > start + DATE_TOL:
        issue_step = date_step(float(issued), start, n, K)
        if issue_step is None:
            return None  # issued past the horizon
    steps = np.arange(K)
    accrue = np.ones(K, dtype=bool) if mstep is None else steps <= mstep
    if issue_step is not None:
        accrue &= steps > issue_step
    key = f"cash_flow.debt.{d.name}.cash_repayment_probability"
    return DebtTerms(key, float(d.principal), accrue, issue_step, mstep)


class Grid:
    """Time grid and every step-indexed quantity that does not depend on a path.

    Parameters
    ----------
    scn : Scenario
    deal : bool
        False: the no-deal counterfactual (MODEL.md section 7), every
        commitment removed.
    """

    def __init__(self, scn: Scenario, deal: bool = True):
        from sim.model.parameters import base_spend

        info = scn.scenario
        self.start = int(info.start)
        self.n = int(info.steps_per_year)
        self.Y = int(info.years)
        self.K = self.Y * self.n
        self.dt = 1.0 / self.n
        k = np.arange(1, self.K + 1)
        self.t = k * self.dt  # t_k, end of step k
        self.t_prev = (k - 1) * self.dt  # t_{k-1}, start of step k
        self.year_index = (k - 1) // self.n  # 0-based fiscal year of step k
        self.fiscal_year = self.start + self.year_index
        self.last_of_year = (k % self.n) == 0
        self.has_cloud = base_spend(scn) > 0

        coms = scn.cloud.commitments if (self.has_cloud and deal) else ()
        self.commitments = [commitment_terms(c, self.start, self.n, self.K) for c in coms]

        self.interest_expense = np.zeros(self.K)
        self.debts: list[DebtTerms] = []
        for d in scn.cash_flow.debt:
            terms = debt_terms(d, self.start, self.n, self.K)
            if terms is None:
                continue
            self.interest_expense += np.where(terms.accrue, d.principal * d.coupon * self.dt, 0.0)
            self.debts.append(terms)

        # dated cash events inside the horizon: (amount key, probability key, 0-based step)
        self.events = []
        for e in scn.cash_flow.events:
            step = date_step(float(e.date), self.start, self.n, self.K)
            if step is not None:
                base = f"cash_flow.events.{e.name}"
                self.events.append((f"{base}.amount", f"{base}.probability", step))

    def programs(self, scn: Scenario, p: dict, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Programme costs per path and fiscal year (m, Y): (all programmes, non-cash ones)."""
        opc = scn.company.operating_costs
        total = np.zeros((m, self.Y))
        noncash = np.zeros((m, self.Y))
        for prog in scn.operating_costs.programs:
            first = (prog.start_year if prog.start_year is not None else self.start) - self.start
            active = [y for y in range(first, first + prog.years) if 0 <= y < self.Y]
            if not active:
                continue
            if prog.amount is not None:
                per_year = p[f"operating_costs.programs.{prog.name}.amount"]
            else:
                per_year = p[f"operating_costs.programs.{prog.name}.share"] * opc
            total[:, active] += per_year[:, None]
            if prog.noncash:
                noncash[:, active] += per_year[:, None]
        return total, noncash
