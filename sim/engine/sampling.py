"""Per-path parameter draws: every (D) parameter once per path, Bernoulli
outcomes, and rank correlations through a Gaussian copula.

The protocol (which stream draws what) is in ``docs/DRAWS.md``: each dotted key
has its own stream per block, so changing one parameter's distribution leaves
every other parameter's draws untouched (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from functools import lru_cache

from scipy.interpolate import CubicSpline
from scipy.special import ndtr, ndtri

from sim.engine.kernel import samplers
from sim.engine.kernel.jit import njit
from sim.engine.kernel.normals import standard_normals, stream_state
from sim.engine.streams import DESIGN, param_stream, stream

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import Scenario


def pearson_from_spearman(rank: float) -> float:
    """Pearson correlation of a Gaussian copula giving Spearman ``rank``.

    For a bivariate normal, rho_s = (6/pi) asin(rho/2), so rho = 2 sin(pi rho_s / 6).
    """
    return 2.0 * np.sin(np.pi * rank / 6.0)


def correlation_groups(scenario: "Scenario") -> list[tuple[list[str], np.ndarray]]:
    """Connected groups of correlated, non-fixed (D) keys with their Pearson matrices.

    Returns
    -------
    list of (keys, C)
        ``keys`` in canonical order; ``C`` of shape (len(keys), len(keys)).
        Correlations involving a fixed value are ignored (they change nothing).
    """
    dists = _uncertain(scenario)
    pairs = [
        (c.between[0], c.between[1], pearson_from_spearman(c.rank))
        for c in scenario.correlations
        if not dists[c.between[0]].is_fixed and not dists[c.between[1]].is_fixed
    ]
    # union-find over the keys in correlation pairs
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for a, b, _ in pairs:
        parent[find(a)] = find(b)
    order = list(dists)
    groups: dict[str, list[str]] = {}
    for k in order:
        if k in parent:
            groups.setdefault(find(k), []).append(k)
    out = []
    for keys in groups.values():
        index = {k: i for i, k in enumerate(keys)}
        c = np.eye(len(keys))
        for a, b, rho in pairs:
            if a in index:
                c[index[a], index[b]] = c[index[b], index[a]] = rho
        out.append((keys, c))
    return out


def copula_factor(c: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L @ L.T == c`` for a PSD correlation matrix.

    Cholesky when ``c`` is positive definite; a symmetric square root from the
    eigen-decomposition when it is only semi-definite (e.g. rank +/-1).
    """
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(c)
        return v * np.sqrt(np.clip(w, 0.0, None))


def mix_scores(z: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Correlated scores ``z @ factor.T``, shape (n, d), summed term by term in a fixed order.

    Not a BLAS matrix product: BLAS may fuse, reorder or split the sums
    differently from one machine to the next, and the draws must be
    bit-identical everywhere.
    """
    out = np.empty((z.shape[0], factor.shape[0]))
    _mix(np.ascontiguousarray(z, dtype=np.float64), np.ascontiguousarray(factor, dtype=np.float64), out)
    return out


@njit
def _mix(z, factor, out):
    for i in range(z.shape[0]):
        for j in range(factor.shape[0]):
            acc = z[i, 0] * factor[j, 0]
            for k in range(1, z.shape[1]):
                acc += z[i, k] * factor[j, k]
            out[i, j] = acc


def draw_parameters(
    scenario: "Scenario", seed: int, block: int, n: int, sampling: str = "random", into: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Draw every per-path parameter of one block.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seed, block : int
        Run seed and block index (select the streams).
    n : int
        Paths in this block.
    sampling : {"random", "antithetic", "sobol", "lhs"}
        "random" draws each parameter from its own stream (docs/DRAWS.md);
        the others build a design of normal scores for all uncertain
        parameters at once (:func:`design_scores`).
    into : dict of str to ndarray (n,), optional
        Where to write some keys' draws (the engine passes the rows of the
        kernel's theta table, saving a copy); the returned dict then holds
        those very arrays.  Random sampling only.

    Returns
    -------
    dict of str to ndarray, shape (n,)
        One entry per canonical (D) key and per Bernoulli key (1.0 if the event
        happens on that path, else 0.0); ``revenue.initial_growth`` is always
        present (each path's growth draw when the config does not set it).
    """
    from sim.model import bernoulli_parameters

    if sampling != "random":
        return _designed(scenario, seed, block, n, sampling)
    dists = _uncertain(scenario)
    dest = (into or {}).get
    out: dict[str, np.ndarray] = {}
    grouped: set[str] = set()
    for keys, c in correlation_groups(scenario):
        grouped.update(keys)
        z = np.column_stack([standard_normals(stream_state(param_stream(seed, block, k)), n) for k in keys])
        mixed = mix_scores(z, copula_factor(c))
        for j, k in enumerate(keys):
            out[k] = normal_to(dists[k], mixed[:, j], dest(k))
    for key, dist in dists.items():
        if key in grouped:
            continue
        if dist.is_fixed:
            out[key] = _filled(n, dist.median(), dest(key))
        else:
            out[key] = samplers.sample(dist, param_stream(seed, block, key), n, dest(key))
    for key, p in bernoulli_parameters(scenario).items():
        out[key] = bernoulli(seed, block, key, p, n, dest(key))
    if "revenue.initial_growth" not in out:
        out["revenue.initial_growth"] = _filled(n, out["revenue.growth"], dest("revenue.initial_growth"))
    return {k: out[k] for k in _ordered(dists, out)}


def varying_keys(scenario) -> list[str]:
    """Parameters a design varies: non-fixed (D) keys, then Bernoulli keys with 0 < p < 1."""
    from sim.model import bernoulli_parameters

    dists = _uncertain(scenario)
    return [k for k, d in dists.items() if not d.is_fixed] + [k for k, p in bernoulli_parameters(scenario).items() if 0.0 < p < 1.0]


def parameter_scores(scenario, seed: int, block: int, n: int, sampling: str) -> np.ndarray:
    """Independent normal scores (n, len(varying_keys)) of a design, before the copula."""
    return design_scores(sampling, stream(seed, block, DESIGN), n, len(varying_keys(scenario)))


def parameters_from_scores(scenario, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per-path parameters from independent normal scores (columns in ``varying_keys`` order).

    The copula mixes each correlation group's scores; each marginal maps its
    score through ``normal_to``; a Bernoulli happens where ``ndtr(score) < p``.
    """
    from sim.model import bernoulli_parameters

    dists = _uncertain(scenario)
    n = z.shape[0]
    col = {k: j for j, k in enumerate(varying_keys(scenario))}
    z = z.copy()
    for keys, c in correlation_groups(scenario):
        idx = [col[k] for k in keys]
        z[:, idx] = mix_scores(z[:, idx], copula_factor(c))
    out = {}
    for key, dist in dists.items():
        out[key] = np.full(n, dist.median(), dtype=np.float64) if dist.is_fixed else normal_to(dist, z[:, col[key]])
    for key, p in bernoulli_parameters(scenario).items():
        out[key] = (ndtr(z[:, col[key]]) < p).astype(np.float64) if key in col else np.full(n, float(p >= 1.0))
    if "revenue.initial_growth" not in out:
        out["revenue.initial_growth"] = out["revenue.growth"]
    return {k: out[k] for k in _ordered(dists, out)}


def _designed(scenario, seed: int, block: int, n: int, sampling: str) -> dict[str, np.ndarray]:
    """Parameters from a design of normal scores (antithetic, Sobol or LHS), through the copula."""
    return parameters_from_scores(scenario, parameter_scores(scenario, seed, block, n, sampling))


def draw_parameters_shifted(scenario, seed: int, block: int, n: int, shift: dict[str, float]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Importance sampling of the parameters: scores drawn from N(mu, 1) instead of N(0, 1).

    Returns
    -------
    params : dict of str to ndarray (n,)
    log_weight : ndarray (n,)
        log phi(z) / phi(z - mu) = sum over shifted scores of -mu z + mu^2 / 2.
    """
    z = parameter_scores(scenario, seed, block, n, "normal")
    log_w = np.zeros(n)
    col = {k: j for j, k in enumerate(varying_keys(scenario))}
    for key, mu in shift.items():
        j = col[key]
        z[:, j] += mu
        log_w += -mu * z[:, j] + 0.5 * mu * mu
    return parameters_from_scores(scenario, z), log_w


def design_scores(sampling: str, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Standard normal scores of shape (n, d) from a sampling design.

    - "antithetic": rows 2j and 2j+1 are z and -z (a last unpaired row is plain);
    - "lhs": Latin hypercube: each column takes one point from each of n equal
      strata of probability, in random order;
    - "sobol": a scrambled Sobol' sequence (Owen scrambling, seeded by the block's
      stream), so each block is an independent randomised quasi-Monte Carlo replicate.
    """
    if d == 0:
        return np.zeros((n, 0))
    if sampling == "normal":  # plain independent scores (importance sampling shifts them)
        return rng.standard_normal((n, d))
    if sampling == "antithetic":
        half = rng.standard_normal(((n + 1) // 2, d))
        z = np.empty((n, d))
        z[0::2] = half[: (n + 1) // 2]
        z[1::2] = -half[: n // 2]
        return z
    if sampling == "lhs":
        u = (np.argsort(rng.random((n, d)), axis=0) + rng.random((n, d))) / n
    elif sampling == "sobol":
        from scipy.stats import qmc

        # Sobol' points balance in powers of two: draw the next one up and keep
        # the first n (still an unbiased randomised design; the default block
        # size, 32,768, is a power of two anyway)
        m = max(0, int(np.ceil(np.log2(max(n, 1)))))
        u = qmc.Sobol(d, scramble=True, seed=rng).random_base2(m)[:n]
    else:
        raise ValueError(f"unknown sampling {sampling!r}")
    return ndtri(np.clip(u, 1e-16, 1 - 1e-16))


# Families whose inverse CDF has no closed form: scipy's betaincinv costs
# about 1.3 us a value, more than simulating the rest of the path.
_SPLINE_FAMILIES = ("pert", "beta", "truncnormal")
Z_LIMIT = 8.5  # P(|Z| > 8.5) ~ 2e-17: beyond any draw that matters
Z_STEP = 1.0 / 128


def normal_to(dist, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Map standard normal scores ``z`` to ``dist``: ``dist.ppf(ndtr(z))``, into ``out`` when given.

    For pert, beta and truncated normal the composite function is read from a
    cubic spline through its exact values on a grid of ``z`` (step 1/128,
    ``|z| <= 8.5``; the error is below 1e-10 of the distribution's range,
    tested in ``tests/test_sampling.py``), 20x faster than scipy's inverse.
    """
    if dist.family in _SPLINE_FAMILIES:
        out = np.empty(len(z)) if out is None else out
        _eval_spline(_spline(dist), np.asarray(z, dtype=np.float64), out)
        return out
    return _filled(len(z), np.asarray(dist.ppf(ndtr(z)), dtype=np.float64), out)


def _filled(n: int, values, out: np.ndarray | None) -> np.ndarray:
    """``values`` (a scalar or an (n,) array) as a float64 array (n,): written into ``out`` when given."""
    if out is None:
        return np.full(n, values, dtype=np.float64) if np.ndim(values) == 0 else np.asarray(values, dtype=np.float64)
    out[:] = values
    return out


@lru_cache(maxsize=256)
def _spline(dist) -> np.ndarray:
    """Coefficients (4, m) of the cubic spline of ``dist.ppf(ndtr(z))`` on the uniform z grid."""
    grid = np.arange(-Z_LIMIT, Z_LIMIT + Z_STEP / 2, Z_STEP)
    return np.ascontiguousarray(CubicSpline(grid, np.asarray(dist.ppf(ndtr(grid)), dtype=np.float64)).c)


@njit
def _eval_spline(c, z, out):
    """Evaluate the uniform-grid spline ``c`` at ``z`` (clipped to the grid): direct cell lookup, Horner form."""
    m = c.shape[1]
    for i in range(z.shape[0]):
        x = min(max(z[i], -Z_LIMIT), Z_LIMIT)
        j = min(max(int((x + Z_LIMIT) / Z_STEP), 0), m - 1)
        t = x - (-Z_LIMIT + j * Z_STEP)
        out[i] = ((c[0, j] * t + c[1, j]) * t + c[2, j]) * t + c[3, j]


def bernoulli(seed: int, block: int, key: str, p: float, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """1.0 where the event happens (probability ``p``), else 0.0, into ``out`` when given; exact for p in {0, 1}."""
    if p <= 0.0 or p >= 1.0:
        return _filled(n, float(p >= 1.0), out)
    return _filled(n, samplers.uniforms(param_stream(seed, block, key), n) < p, out)


def central_parameters(scenario: "Scenario") -> dict[str, float]:
    """Parameters of the central case: medians, and Bernoulli values at their probabilities."""
    from sim.model import bernoulli_parameters

    out = {k: float(d.median()) for k, d in _uncertain(scenario).items()}
    out.update({k: float(p) for k, p in bernoulli_parameters(scenario).items()})
    out.setdefault("revenue.initial_growth", out["revenue.growth"])
    return out


def _uncertain(scenario: "Scenario"):
    from sim.model import uncertain_parameters

    return uncertain_parameters(scenario)


def _ordered(dists, out) -> list[str]:
    first = [k for k in dists]
    return first + [k for k in out if k not in dists]
