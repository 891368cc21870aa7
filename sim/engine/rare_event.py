"""Importance sampling for rare cash-floor breaches: choosing the tilt.

The standard normal scores that drive min cash are each uncertain
parameter's score and the scaled sums of the revenue and growth normals over
the horizon (sum Z_k / sqrt(K)).  The proposal draws them from N(mu, 1)
instead of N(0, 1) (the step normals each from N(mu_sum / sqrt(K), 1)); mu is
chosen by the cross-entropy method on pilot runs (:func:`plan`).  Every path
then carries its likelihood ratio and breach probabilities are reweighted
(``sim.engine.results``); the effective sample size is reported.

Pilots use seeds ``seed + 1, seed + 2, ...`` -- their own paths, not the
run's -- so the estimate stays unbiased; the whole plan is deterministic.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine import streams
from sim.engine.simulate import DEFAULT_BLOCK_SIZE, Method, block_sizes, prepare, simulate_block_of_paths
from sim.engine.aggregate import SeriesLayout
from sim.engine.sampling import parameter_scores, varying_keys

PILOT_PATHS = 20_000
ROUNDS = 6  # cross-entropy rounds at most
ELITE = 0.05  # fraction of pilot paths that define the next proposal until the floor is reached
MAX_SHIFT = 5.0  # standard deviations of the proposal's mean shift


def plan(scenario, seed: int, pilot_paths: int = PILOT_PATHS, block_size: int = DEFAULT_BLOCK_SIZE, rounds: int = ROUNDS) -> tuple[Method, dict]:
    """The importance-sampling Method for ``scenario``, by the cross-entropy method.

    Each round simulates ``pilot_paths`` under the current proposal, takes the
    "elite" paths (min cash at or below the higher of the floor and the
    ``ELITE`` quantile), and moves the proposal's mean to their
    likelihood-weighted mean scores: the Gaussian mean shift closest (in
    cross-entropy) to the distribution of scores given a breach.

    Returns
    -------
    (Method, info)
        ``info`` says how the tilt was chosen (for the summary).
    """
    keys = varying_keys(scenario)
    floor = scenario.policy.cash_floor
    mu = np.zeros(len(keys) + 2)  # parameter scores, then scaled sums of revenue and growth normals
    levels = []
    for r in range(rounds):
        x, min_cash = _pilot(scenario, seed + 1 + r, pilot_paths, block_size, keys, mu)
        log_w = (-mu * x + 0.5 * mu * mu).sum(axis=1)
        level = max(floor, float(np.quantile(min_cash, ELITE)))
        elite = min_cash <= level
        w = np.exp(log_w[elite] - log_w[elite].max())
        mu = (w[:, None] * x[elite]).sum(axis=0) / w.sum()
        mu = mu * min(1.0, MAX_SHIFT / max(np.linalg.norm(mu), 1e-12))
        levels.append(level)
        if level <= floor:
            break
    method = _method(scenario, keys, mu)
    info = {
        "method": "cross-entropy mean shift of the normal scores",
        "pilot_paths": pilot_paths,
        "pilot_rounds": len(levels),
        "elite_levels": levels,
        "shift_sd": float(np.linalg.norm(mu)),
        "parameter_shifts": dict(method.shift),
        "revenue_normals_shift_sd": float(mu[len(keys)]),
        "growth_normals_shift_sd": float(mu[len(keys) + 1]),
    }
    return method, info


def _method(scenario, keys: list[str], mu: np.ndarray) -> Method:
    K = scenario.scenario.years * scenario.scenario.steps_per_year
    # a step tilt t draws each normal from N(-t, 1): the scaled sum moves by -t sqrt(K)
    shift = tuple((k, float(m)) for k, m in zip(keys, mu[: len(keys)]))
    return Method(tilt_z=float(-mu[len(keys)] / math.sqrt(K)), tilt_w=float(-mu[len(keys) + 1] / math.sqrt(K)), shift=shift)


def _pilot(scenario, seed: int, paths: int, block_size: int, keys: list[str], mu: np.ndarray):
    """Scores actually used (n, d + 2) and min cash (n,) of pilot paths under the shift ``mu``."""
    method = _method(scenario, keys, mu)
    ctx = prepare(scenario, method)
    K = ctx.n_steps
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, False, ctx.model.n_commitments)
    xs, mins = [], []
    for b, n in enumerate(block_sizes(paths, block_size)):
        z = parameter_scores(scenario, seed, b, n, "normal") + mu[: len(keys)]
        sums = []
        for purpose, tilt, drawn in ((streams.REVENUE, ctx.method.tilt_z, ctx.model.draw_z), (streams.GROWTH, ctx.method.tilt_w, ctx.model.eta > 0)):
            if drawn:
                sums.append(streams.stream(seed, b, purpose).standard_normal((n, K)).sum(axis=1) / math.sqrt(K) - tilt * math.sqrt(K))
            else:
                sums.append(np.zeros(n))
        _, series, _ = simulate_block_of_paths(ctx, seed, b, n, lay)
        xs.append(np.column_stack([z, *sums]))
        mins.append(series[:, 0].copy())
    return np.concatenate(xs), np.concatenate(mins)
