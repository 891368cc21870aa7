"""Precision control: add blocks until a probability's 95% interval is narrow enough.

The target is checked after every ``round_blocks`` blocks, always at the same
block counts, so the same command stops at the same point on any number of
threads or workers, and its numbers are those of a fixed run of that many paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.engine.results import Z95, wilson

METRICS = ("p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall")


@dataclass(frozen=True)
class Target:
    """A precision target: the 95% CI half-width of ``metric`` at most ``value``.

    ``relative`` targets are a fraction of the estimate (``--precision 5%``).
    """

    value: float
    relative: bool = False
    metric: str = "p_cash_breach"

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"unknown precision metric {self.metric!r} (use one of {', '.join(METRICS)})")
        if not self.value > 0:
            raise ValueError("precision must be positive")


def parse_target(text: str, metric: str = "p_cash_breach") -> Target:
    """``"0.002"`` (absolute) or ``"5%"`` (relative to the estimate) -> Target."""
    text = text.strip()
    relative = text.endswith("%")
    try:
        value = float(text[:-1]) / 100 if relative else float(text)
    except ValueError:
        raise ValueError(f"{text!r}: expected a number like 0.002 or a percentage like 5%") from None
    return Target(value, relative, metric)


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
    k = {
        "p_cash_breach": int(totals.breach_by_year.sum()),
        "p_profit_compression_any": totals.compression_any,
        "p_commitment_shortfall": totals.shortfall_paths,
    }[metric]
    lo, hi = wilson(k, n)
    return k / n, lo, hi


def run_to_precision(sim_run, target: Target, max_paths: int, round_blocks: int = 4, progress=None):
    """Advance ``sim_run`` (a ``sim.engine.simulate.Simulation``) until ``target`` or ``max_paths``.

    Returns
    -------
    (history, reached, reason)
        ``history``: one dict per check (paths, estimate, ci95 low/high, half_width).
    """
    block = sim_run.block_size
    history = []
    while True:
        left = max_paths - sim_run.totals.n
        sizes = [min(block, left - i * block) for i in range(round_blocks) if left - i * block > 0]
        sim_run.advance(sizes, progress)
        p, lo, hi = estimate(sim_run.totals, target.metric)
        half = (hi - lo) / 2
        history.append({"paths": sim_run.totals.n, "estimate": p, "ci95": [lo, hi], "half_width": half})
        goal = target.value * p if target.relative else target.value
        if half <= goal and (p > 0 or not target.relative):
            return history, True, f"the 95% CI half-width {half:.3g} reached the target {goal:.3g} after {sim_run.totals.n:,} paths"
        if sim_run.totals.n >= max_paths:
            return history, False, f"stopped at --max-paths {max_paths:,}: half-width {half:.3g} > target {goal:.3g}"
