"""A plain NumPy implementation of the model (``MODEL.md``), path-vectorised.

This package is the independent check on the Numba kernel and the speed
baseline for the benchmark.  It is written from the model specification
(``MODEL.md``) and the shared modelling choices, not from the kernel nor from
``sim.model.contracts``: arrays of shape ``(n,)`` hold one value per path and a
Python loop walks the steps.

* ``grid``: the time grid and the path-independent schedules (contract years,
  settlement steps, debt accrual and issue steps, dated events, programmes);
* ``inputs``: the random step shocks of a block;
* ``paths``: the path loop.

Random numbers follow ``docs/DRAWS.md`` exactly, so the same seed gives the
same numbers as the kernel, up to floating-point rounding:

* per-path parameters: ``sim.engine.sampling.draw_parameters(scenario, seed, b, n_b)``;
* step normals ``Z`` (REVENUE), ``W`` (GROWTH), ``Z'`` (PRICE): one
  ``standard_normal((n_b, K))`` each, only when the model uses them;
* events (EVENTS): for each process in the order revenue shocks, price shifts,
  fines (list order, rate 0 skipped): Poisson counts over the horizon, uniform
  step indices, then the event sizes.

Money is in USD millions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine.reference.grid import Grid
from sim.engine.reference.inputs import BlockInputs, block_inputs
from sim.engine.reference.paths import COMMITMENT_KEYS, YEAR_KEYS, simulate_paths

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import Scenario

__all__ = ["COMMITMENT_KEYS", "DEFAULT_BLOCK_SIZE", "YEAR_KEYS", "central_case_reference", "simulate_reference"]

DEFAULT_BLOCK_SIZE = 32768


def simulate_reference(
    scenario: Scenario, seed: int, n_paths: int, block_size: int = DEFAULT_BLOCK_SIZE, deal: bool = True
) -> dict[str, np.ndarray]:
    """Simulate ``n_paths`` paths in blocks with plain NumPy.

    Parameters
    ----------
    scenario : Scenario
    seed, n_paths, block_size : int
    deal : bool
        False: the no-deal counterfactual of the same paths (every commitment
        removed; the same draws).

    Returns
    -------
    dict of str to ndarray
        ``min_cash`` (n,), ``first_breach_step`` (n,) int64 (1-based step of
        the first Cash_k below ``policy.cash_floor``, 0 if none), the per-year
        arrays of ``YEAR_KEYS`` (n, Y), ``cloud_usage`` (the bill before
        shortfall payments) and ``list_cost`` (sum of G_k) (n, Y), the
        per-commitment arrays of ``COMMITMENT_KEYS`` (n, J, Y) and the
        per-step ``cash`` (n, K); blocks concatenated in order.
    """
    from sim.engine.sampling import draw_parameters

    if n_paths < 1 or block_size < 1:
        raise ValueError("n_paths and block_size must be positive")
    g = Grid(scenario, deal=deal)
    parts = []
    for b, lo in enumerate(range(0, n_paths, block_size)):
        n_b = min(block_size, n_paths - lo)
        params = {k: np.asarray(v, dtype=np.float64) for k, v in draw_parameters(scenario, seed, b, n_b).items()}
        parts.append(simulate_paths(scenario, g, params, block_inputs(scenario, g, seed, b, n_b)))
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def central_case_reference(scenario: Scenario, deal: bool = True) -> dict[str, np.ndarray]:
    """The central case: every (D) at its median, no noise, no events, and
    Bernoulli outcomes at their probabilities (the uplift becomes p*U; a debt
    repays q * principal in cash; a dated cash event brings p * amount).

    Returns
    -------
    dict of str to ndarray
        The per-year keys of ``YEAR_KEYS``, ``cloud_usage`` and ``list_cost``,
        shape (Y,); ``COMMITMENT_KEYS``, shape (J, Y); ``cash``, shape (K,).
    """
    from sim.model import bernoulli_parameters, uncertain_parameters

    params = {k: np.array([float(d.median())]) for k, d in uncertain_parameters(scenario).items()}
    params.update({k: np.array([float(q)]) for k, q in bernoulli_parameters(scenario).items()})
    params.setdefault("revenue.initial_growth", params["revenue.growth"])
    out = simulate_paths(scenario, Grid(scenario, deal=deal), params, BlockInputs())
    keys = YEAR_KEYS + COMMITMENT_KEYS + ("cloud_usage", "list_cost", "cash")
    return {k: out[k][0] for k in keys}
