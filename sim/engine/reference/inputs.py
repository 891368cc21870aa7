"""The random inputs of one block of paths, drawn as ``docs/DRAWS.md`` says.

Step normals come as whole ``(n_b, K)`` arrays (the C order of a
``standard_normal((n_b, K))`` call is the protocol's path-by-path,
step-by-step order); events per process as per-step sums.  Per-path
parameters come from ``sim.engine.sampling.draw_parameters`` (the protocol),
not re-implemented here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from sim.engine import streams

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.reference.grid import Grid
    from sim.model import Scenario


@dataclass
class BlockInputs:
    """Step shocks of a block (None: all zero).

    Attributes
    ----------
    Z, W, ZP : ndarray (m, K) or None
        Revenue, growth and pricing normals; ``ZP`` is Z^P, already correlated with Z.
    J : ndarray (m, K) or None
        Per-step sum of log(1 + c) over the events of the permanent revenue
        shock processes (recovery 0).
    recovering : list of (rho, decay, ndarray (m, K))
        Per recovering shock process (recovery rho > 0): rho, the per-step
        decay 2^(-dt/h) of its fading state, and its per-step log jumps.
    S : ndarray (m, K) or None
        Per-step sum of log(1 + s c) of price shifts (clipped at 0.01).
    fines : list of (ndarray (m, K), int)
        Per fine process: summed effective sizes min(f, cap) per step, and the
        payment lag in steps.
    """

    Z: np.ndarray | None = None
    W: np.ndarray | None = None
    ZP: np.ndarray | None = None
    J: np.ndarray | None = None
    recovering: list = field(default_factory=list)
    S: np.ndarray | None = None
    fines: list = field(default_factory=list)


def poisson_table(mean: float) -> np.ndarray:
    """P(N <= k), N ~ Poisson(mean), made non-decreasing, for k up to far beyond where it reaches 1.0."""
    k = np.arange(int(mean + 20.0 * np.sqrt(mean) + 60.0))
    table = np.maximum.accumulate(stats.poisson.cdf(k, mean))
    table[-1] = 1.0
    return table


def events(rng: np.random.Generator, rate: float, dist, years: int, K: int, n_b: int):
    """Events of one Poisson process: (flat index path * K + step, size) arrays."""
    counts = np.searchsorted(poisson_table(rate * years), rng.random(n_b), side="right")
    total = int(counts.sum())
    steps = np.floor(rng.random(total) * K).astype(np.int64)
    sizes = np.asarray(dist.sample(rng, total), dtype=np.float64)
    sizes = np.broadcast_to(sizes, (total,))
    flat = np.repeat(np.arange(n_b, dtype=np.int64) * K, counts) + steps
    return flat, sizes


def per_step(flat: np.ndarray, values: np.ndarray, n_b: int, K: int) -> np.ndarray:
    """Sum event values into an (n_b, K) array (events of one step add up)."""
    return np.bincount(flat, weights=values, minlength=n_b * K).reshape(n_b, K)


def block_inputs(scn: Scenario, g: Grid, seed: int, b: int, n_b: int) -> BlockInputs:
    """Every step shock of block ``b`` (``n_b`` paths)."""
    K = g.K
    rev_cfg = scn.revenue
    pricing = scn.cloud.pricing
    rho = pricing.revenue_correlation
    out = BlockInputs()

    if rev_cfg.volatility > 0 or (pricing.volatility > 0 and rho != 0):
        out.Z = streams.stream(seed, b, streams.REVENUE).standard_normal((n_b, K))
    if rev_cfg.growth_volatility > 0:
        out.W = streams.stream(seed, b, streams.GROWTH).standard_normal((n_b, K))
    if pricing.volatility > 0:
        zp = streams.stream(seed, b, streams.PRICE).standard_normal((n_b, K))
        out.ZP = zp if out.Z is None or rho == 0 else rho * out.Z + math.sqrt(1.0 - rho * rho) * zp

    rng = streams.stream(seed, b, streams.EVENTS)
    for shock in rev_cfg.shocks:
        if shock.rate <= 0:
            continue
        flat, c = events(rng, shock.rate, shock.change, g.Y, K, n_b)
        jumps = per_step(flat, np.log1p(np.maximum(c, -0.99)), n_b, K)
        if shock.recovery > 0:
            decay = 2.0 ** (-g.dt / float(shock.half_life_years))
            out.recovering.append((float(shock.recovery), decay, jumps))
        else:
            out.J = jumps if out.J is None else out.J + jumps
    for shift in pricing.shifts:
        if shift.rate <= 0:
            continue
        flat, c = events(rng, shift.rate, shift.change, g.Y, K, n_b)
        jumps = per_step(flat, np.log(np.maximum(1.0 + shift.share * c, 0.01)), n_b, K)
        out.S = jumps if out.S is None else out.S + jumps
    for fine in scn.regulatory.fines:
        if fine.rate <= 0:
            continue
        flat, f = events(rng, fine.rate, fine.size, g.Y, K, n_b)
        f = np.maximum(f, 0.0)
        if fine.cap is not None:
            f = np.minimum(f, fine.cap)
        size = per_step(flat, f, n_b, K)
        lag = math.floor(fine.lag_years * g.n + 0.5)  # half up
        out.fines.append((size, lag))
    return out
