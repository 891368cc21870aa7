"""Commitments and dates on the time grid (docs/MODEL.md sections 1 and 4, model v2).

Steps are 1-based: step k covers (t_{k-1}, t_k], t_k = k/n years after
``scenario.start`` (a decimal year: 2024 is 2024-01), K = years * n.

A commitment starting at decimal year ``start`` has tau = start -
scenario.start and first step k_j = 1 + ceil(tau*n - 1e-9) (a start between
two step boundaries moves to the next one; k_j <= 0 for a contract that began
before the horizon).  Contract year y = 1..Y is the n steps
k_j + (y-1)n .. k_j + y*n - 1; its settlement step is the last of them, and
it is *counted* when all its steps lie in 1..K.  A fiscal-year contract (v1)
has contract years equal to fiscal years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Commitment, ScenarioInfo

__all__ = [
    "ContractYear",
    "contract_years",
    "date_step",
    "date_text",
    "first_step",
    "month_text",
    "step_end_month",
    "step_period",
    "term_steps",
]

EPS = 1e-9


@dataclass(frozen=True)
class ContractYear:
    """One contract year of a commitment, mapped to steps.

    Attributes
    ----------
    year : int
        1..Y, the contract year.
    start : float
        Decimal year the contract year starts on (the commitment's start + year - 1).
    first_step : int
        1-based step its first step is (may be <= 0 or > K).
    settlement_step : int
        1-based step it settles in: its last step, first_step + n - 1.
    settlement : str
        ``"YYYY-MM"``: the month the settlement step ends in.
    minimum : float
        The year's minimum (USD millions).
    counted : bool
        Whether all its steps lie in 1..K (uncounted years are ignored).
    """

    year: int
    start: float
    first_step: int
    settlement_step: int
    settlement: str
    minimum: float
    counted: bool


def first_step(c: Commitment, info: ScenarioInfo) -> int:
    """k_j = 1 + ceil(tau*n - 1e-9), tau = c.start - info.start (may be <= 0)."""
    n = info.steps_per_year
    return 1 + math.ceil((c.start - info.start) * n - EPS)


def contract_years(c: Commitment, info: ScenarioInfo) -> tuple[ContractYear, ...]:
    """Every contract year of ``c`` (Y entries, counted or not), in order."""
    n, K = info.steps_per_year, info.years * info.steps_per_year
    k0 = first_step(c, info)
    out = []
    for y, minimum in enumerate(c.minimums, start=1):
        first = k0 + (y - 1) * n
        last = first + n - 1
        out.append(
            ContractYear(
                year=y,
                start=c.start + (y - 1),
                first_step=first,
                settlement_step=last,
                settlement=step_end_month(last, info),
                minimum=float(minimum),
                counted=first >= 1 and last <= K,
            )
        )
    return tuple(out)


def term_steps(c: Commitment, info: ScenarioInfo) -> range:
    """The 1-based steps in term inside the horizon: k_j .. k_j + Y*n - 1 within 1..K
    (the steps whose usage gets the discount; empty when the term misses the horizon)."""
    n, K = info.steps_per_year, info.years * info.steps_per_year
    k0 = first_step(c, info)
    return range(max(1, k0), min(K, k0 + c.years * n - 1) + 1)


def date_step(date: float, info: ScenarioInfo) -> int:
    """The 1-based step of a date: the first k >= 1 with start + t_k >= date - 1e-9.

    Returns 0 for a date before the horizon (date < start) and a step > K
    for a date past it (date > start + years).
    """
    if date < info.start - EPS:
        return 0
    return max(1, math.ceil((date - info.start) * info.steps_per_year - EPS))


def month_text(date: float) -> str:
    """``"YYYY-MM"`` of the month a decimal-year date falls in (2017.5833 -> ``"2017-08"``)."""
    months = math.floor(date * 12 + 1e-6)
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def date_text(date: float) -> str:
    """A date for messages: ``"YYYY-MM"`` when it is the start of a month, else the decimal year."""
    months = date * 12
    if abs(months - round(months)) < 1e-6:
        return month_text(date)
    return f"{date:.4f}".rstrip("0").rstrip(".")


def step_end_month(step: int, info: ScenarioInfo) -> str:
    """``"YYYY-MM"``: the last month of step ``step`` (any integer, also <= 0 or > K)."""
    months = round((info.start + step / info.steps_per_year) * 12) - 1
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def step_period(step: int, info: ScenarioInfo) -> str:
    """The period a step covers: ``"2018"`` (n = 1), ``"2018-H1"``, ``"2018-Q2"`` or ``"2018-06"``."""
    n = info.steps_per_year
    year = info.start + (step - 1) // n
    i = (step - 1) % n + 1
    return {1: f"{year}", 2: f"{year}-H{i}", 4: f"{year}-Q{i}"}.get(n, f"{year}-{i:02d}")
