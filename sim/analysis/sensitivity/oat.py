"""Tornado and spider: one input at a time held at fixed values, every other input random.

Each held value is one run of ``runner.paths`` paths on the runner's seed and
blocks (common random numbers), so the tornado's difference between an
input's two ends is measured path by path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.analysis.sensitivity.inputs import Input
from sim.analysis.sensitivity.runner import Runner
from sim.engine.measures import Estimate, Measure
from sim.engine.results import Z95

__all__ = ["PERCENTILES", "LOW", "HIGH", "Sweep", "sweep", "sweep_runs"]

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)  # spider points (percent)
LOW, HIGH = 10, 90  # tornado ends (percent)


@dataclass
class Sweep:
    """One input held at fixed values: the tornado bar and the spider line.

    Attributes
    ----------
    input : Input
    low_value, high_value : float
        The values held at the tornado's ends (the input's units).
    low, high : Estimate
        The metric with the input held there.
    diff : float
        metric(high) - metric(low), the metric's units.
    diff_ci95 : (float, float)
    paired : bool
        The interval comes from per-path differences (means); else the two
        intervals combined (quantiles).
    points : list of (percentile, value, Estimate)
        The spider line.
    """

    input: Input
    low_value: float
    high_value: float
    low: Estimate
    high: Estimate
    diff: float
    diff_ci95: tuple[float, float]
    paired: bool
    points: list[tuple[float, float, Estimate]]

    @property
    def swing(self) -> float:
        return abs(self.diff)

    @property
    def swing_ci95(self) -> tuple[float, float]:
        lo, hi = self.diff_ci95
        if lo > 0:
            return (lo, hi)
        if hi < 0:
            return (-hi, -lo)
        return (0.0, max(-lo, hi, 0.0) + 0.0)

    def to_dict(self) -> dict:
        return {
            "key": self.input.key,
            "distribution": self.input.describe(),
            "money": self.input.money,
            "bernoulli": self.input.bernoulli,
            "p": self.input.p,
            "low_value": self.low_value,
            "high_value": self.high_value,
            "low": self.low.to_dict(),
            "high": self.high.to_dict(),
            "diff": self.diff,
            "diff_ci95": list(self.diff_ci95),
            "swing": self.swing,
            "swing_ci95": list(self.swing_ci95),
            "paired": self.paired,
            "spider": [{"percentile": p, "value": v, **e.to_dict()} for p, v, e in self.points],
        }


def _difference(metric: Measure, vl: np.ndarray, vh: np.ndarray, el: Estimate, eh: Estimate
                ) -> tuple[float, tuple[float, float], bool]:
    diff = eh.estimate - el.estimate
    if metric.is_mean:  # paired: the same paths at both ends
        d = vh - vl
        se = float(d.std(ddof=1)) / math.sqrt(d.size)
        return diff, (diff - Z95 * se, diff + Z95 * se), True
    return diff, (eh.ci95[0] - el.ci95[1], eh.ci95[1] - el.ci95[0]), False


def sweep(runner: Runner, metric: Measure, inputs: Sequence[Input], percentiles: Sequence[float] = PERCENTILES,
          low: float = LOW, high: float = HIGH) -> list[Sweep]:
    """Hold each input at its tornado ends and spider percentiles, one input at a time.

    Each distinct value is one run (``runner.paths`` paths, same seed and
    blocks); the tornado ends are reused by the spider when they coincide.
    Returns the sweeps sorted by swing, largest first (ties: input order).
    """
    percentiles = sorted(set(float(p) for p in percentiles))

    def one(inp: Input) -> Sweep:
        lo_v, hi_v = inp.tornado_values(low, high)
        spider_values = [float(inp.quantile(p / 100)) for p in percentiles]
        runs: dict[float, tuple[Estimate, np.ndarray | None]] = {}
        for v in [lo_v, hi_v] + spider_values:
            if v in runs:
                continue
            vals = runner.metric([inp.override(v)], metric)
            runs[v] = (metric.estimate(vals), vals if v in (lo_v, hi_v) else None)
        (el, vl), (eh, vh) = runs[lo_v], runs[hi_v]
        diff, ci, paired = _difference(metric, vl, vh, el, eh)
        points = [(p, v, runs[v][0]) for p, v in zip(percentiles, spider_values)]
        return Sweep(inp, lo_v, hi_v, el, eh, diff, ci, paired, points)

    rows = runner.map(one, list(inputs))
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].swing, i))
    return [rows[i] for i in order]


def sweep_runs(inputs: Sequence[Input], percentiles: Sequence[float] = PERCENTILES, low: float = LOW,
               high: float = HIGH) -> int:
    """How many runs :func:`sweep` makes (for progress bars)."""
    total = 0
    for inp in inputs:
        vals = set(inp.tornado_values(low, high))
        vals.update(float(inp.quantile(p / 100)) for p in set(float(p) for p in percentiles))
        total += len(vals)
    return total
