"""Per-path rank correlations of each input's draw with the path's outputs.

On the baseline run (every input random), each path has a draw of every
input and a value of every output; their Spearman correlation and each
input's share of the sum of squared correlations ("contribution to
variance", as @RISK) rank the inputs without any extra run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from sim.analysis.sensitivity.inputs import Input
from sim.engine.measures import Frame, Measure
from sim.engine.per_path import input_draws
from sim.engine.results import Z95

__all__ = ["Correlations", "correlation_targets", "rank_correlations", "spearman", "spearman_ci", "input_draws"]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation of (n,) arrays (average ranks for ties); NaN when either is constant."""
    from scipy.stats import (
        rankdata,  # scipy.stats takes about a second to import: only when used
    )

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float((rx @ ry) / math.sqrt((rx @ rx) * (ry @ ry)))


def spearman_ci(r: float, n: int) -> tuple[float, float]:
    """95% interval by Fisher's z with Bonett & Wright's (2000) variance (1 + r^2/2)/(n - 3)."""
    if not math.isfinite(r) or n <= 3:
        return (math.nan, math.nan)
    r = min(max(r, -0.999999999), 0.999999999)
    z = math.atanh(r)
    h = Z95 * math.sqrt((1 + r * r / 2) / (n - 3))
    return (math.tanh(z - h), math.tanh(z + h))


@dataclass
class Correlations:
    """Per-path Spearman correlations of inputs with outputs, and contributions to variance.

    Attributes
    ----------
    targets : list of str
        Output names, e.g. ``["min_cash", "breach"]``.
    keys : list of str
        Input keys.
    rho, ci95 : dict
        Target -> per key: the correlation and its 95% interval.
    contribution : dict
        Target -> per key: share of the sum of rho^2 (sums to 1).
    paths : int
    """

    targets: list[str]
    keys: list[str]
    rho: dict[str, list[float]]
    ci95: dict[str, list[tuple[float, float]]]
    contribution: dict[str, list[float]]
    paths: int

    def to_dict(self) -> dict:
        def clean(x):
            return None if not math.isfinite(x) else x

        return {
            "paths": self.paths,
            "targets": self.targets,
            "rows": [
                {
                    "key": k,
                    **{f"rho_{t}": clean(self.rho[t][i]) for t in self.targets},
                    **{f"rho_{t}_ci95": [clean(c) for c in self.ci95[t][i]] for t in self.targets},
                    **{f"contribution_{t}": self.contribution[t][i] for t in self.targets},
                }
                for i, k in enumerate(self.keys)
            ],
        }


def correlation_targets(metric: Measure | None = None) -> Callable[[dict, Frame], dict]:
    """Per-path outputs the rank correlations use: min cash, the breach indicator, the metric's values."""

    def fn(o, f):
        out = {"min_cash": o["min_cash"], "breach": (o["first_breach_step"] > 0).astype(float)}
        if metric is not None:
            out["metric"] = metric.per_path(o, f)
        return out

    return fn


def rank_correlations(scn, seed: int, paths: int, block_size: int, inputs: Sequence[Input], targets: dict,
                      metric: Measure | None = None) -> Correlations:
    """Spearman correlation of each input's per-path draw with per-path outputs.

    ``targets`` (name -> (paths,)) come from the same seed, paths and blocks
    as the draws (``Runner.values(..., correlation_targets(metric))``): min
    cash, the breach indicator and, under ``"metric"``, the metric's per-path
    values, kept (named after the metric) when they differ from the first two.
    """
    keys = [i.key for i in inputs]
    draws = input_draws(scn, seed, paths, block_size, keys)
    targets = dict(targets)
    v = targets.pop("metric", None)
    if v is not None and not any(np.array_equal(v, t) for t in targets.values()):
        targets[metric.name if metric is not None else "metric"] = v
    rho, ci, contrib = {}, {}, {}
    for t, y in targets.items():
        r = [spearman(draws[k], y) for k in keys]
        rho[t] = r
        ci[t] = [spearman_ci(x, paths) for x in r]
        sq = np.array([x * x if math.isfinite(x) else 0.0 for x in r])
        contrib[t] = (sq / sq.sum()).tolist() if sq.sum() > 0 else [0.0] * len(keys)
    return Correlations(list(targets), keys, rho, ci, contrib, paths)
