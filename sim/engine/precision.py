"""Precision control: add blocks until a probability's 95% interval is narrow enough.

The goal (a :class:`PrecisionGoal`: a CI half-width, not to be confused with a
sweep's ``Target``, a bound on a metric) applies to one of :data:`METRICS`,
measures of ``sim.engine.measures``.  It is first checked once the first
``paths`` are done (whole blocks, run in parallel), then after every further
block, always at the same block counts, so the same command stops at the same
point on any number of threads or workers, and its numbers are those of a
fixed run of that many paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.engine.measures import MEASURES
from sim.engine.results import Z95, wilson
from sim.model import ParameterError

# Paths counted by the merged block totals, by measure (sim.engine.measures): the
# probabilities whose interval can be watched while blocks are added.
COUNTS = {
    "p_cash_breach": lambda totals: int(totals.breach_by_year.sum()),
    "p_profit_compression_any": lambda totals: totals.compression_any,
    "p_commitment_shortfall": lambda totals: totals.shortfall_paths,
}
METRICS = tuple(MEASURES[name].name for name in COUNTS)  # a KeyError on import if one is not a measure


@dataclass(frozen=True)
class PrecisionGoal:
    """A precision goal: the 95% CI half-width of ``metric`` at most ``value``.

    ``relative`` goals are a fraction of the estimate (``precision="5%"``).

    Raises
    ------
    ParameterError
        ``precision_metric`` not one of :data:`METRICS`; ``precision`` not positive.
    """

    value: float
    relative: bool = False
    metric: str = "p_cash_breach"

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ParameterError("precision_metric", f"unknown precision metric {self.metric!r} (use one of {', '.join(METRICS)})")
        if not self.value > 0:
            raise ParameterError("precision", "must be positive")


def parse_precision_goal(text: str, metric: str = "p_cash_breach") -> PrecisionGoal:
    """``"0.002"`` (absolute) or ``"5%"`` (relative to the estimate) -> PrecisionGoal.

    Raises
    ------
    ParameterError
        ``precision: problem`` for text that is not a positive number or percentage.
    """
    text = text.strip()
    relative = text.endswith("%")
    try:
        value = float(text[:-1]) / 100 if relative else float(text)
    except ValueError:
        raise ParameterError("precision", f"{text!r}: expected a number like 0.002 or a percentage like 5%") from None
    return PrecisionGoal(value, relative, metric)


def estimate(totals, metric: str) -> tuple[float, float, float]:
    """(estimate, ci low, ci high) of ``metric`` from merged block totals.

    Wilson intervals for plain counts; with importance weights, the normal
    interval from the weighted mean and its standard error.
    """
    n = totals.n
    if metric == "p_cash_breach" and totals.weighted is not None:
        w = totals.weighted
        p = w[0, :-1].sum() / n
        se = math.sqrt(max(w[1, :-1].sum() / n - p * p, 0.0) / n)
        return p, max(0.0, p - Z95 * se), p + Z95 * se
    k = COUNTS[metric](totals)
    lo, hi = wilson(k, n)
    return k / n, lo, hi


def run_to_precision(sim_run, goal: PrecisionGoal, max_paths: int, first_paths: int | None = None, progress=None):
    """Advance ``sim_run`` (a ``sim.engine.simulate.Simulation``) until ``goal`` or ``max_paths``.

    The first round runs the whole blocks that cover ``first_paths`` (default
    one block) together; from then on the goal is checked after every block.
    Only block counts decide where it stops, never the threads.

    Returns
    -------
    (history, reached, reason)
        ``history``: one dict per check (paths, estimate, ci95 low/high, half_width).
    """
    block = sim_run.block_size
    history = []
    round_blocks = max(1, -(-(first_paths or block) // block))  # ceil: whole blocks cover the first paths
    while True:
        left = max_paths - sim_run.totals.n
        sizes = [min(block, left - i * block) for i in range(round_blocks) if left - i * block > 0]
        sim_run.advance(sizes, progress)
        round_blocks = 1
        p, lo, hi = estimate(sim_run.totals, goal.metric)
        half = (hi - lo) / 2
        history.append({"paths": sim_run.totals.n, "estimate": p, "ci95": [lo, hi], "half_width": half})
        wanted = goal.value * p if goal.relative else goal.value
        if half <= wanted and (p > 0 or not goal.relative):
            return history, True, f"the 95% CI half-width {half:.3g} reached the target {wanted:.3g} after {sim_run.totals.n:,} paths"
        if sim_run.totals.n >= max_paths:
            return history, False, f"stopped at max_paths={max_paths:,}: half-width {half:.3g} > target {wanted:.3g}"
