"""Sobol indices of a metric as a function of the inputs' fixed values.

The design (:func:`saltelli_design`, :func:`inputs_from_uniform`) is kept
apart from the estimation (:func:`sobol_indices`, as SALib's
``sample.saltelli`` and ``analyze.sobol``); :func:`sobol_analysis` runs one
variant of the scenario per row of the design.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.analysis.sensitivity.inputs import Input
from sim.analysis.sensitivity.runner import Runner
from sim.engine.measures import Measure
from sim.engine.sampling import copula_factor, correlation_groups, mix_scores

__all__ = ["SOBOL_PATHS", "BOOTSTRAP", "SobolResult", "factors", "inputs_from_uniform", "saltelli_design",
           "sobol_analysis", "sobol_indices"]

SOBOL_PATHS = 4_000
BOOTSTRAP = 1_000
U_CLIP = 1e-9  # Sobol points are mapped through the inverse CDF: keep off 0 and 1


def saltelli_design(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent (n, d) matrices of points in (0, 1): the halves of a scrambled Sobol
    sequence in 2d dimensions (as SALib's Saltelli sampler splits an unscrambled one).

    ``n`` should be a power of two (the sequence's balance needs it).
    """
    from scipy.stats import (
        qmc,  # scipy.stats takes about a second to import: only when used
    )

    m = max(0, math.ceil(math.log2(max(n, 1))))
    if 2**m != n:
        raise ValueError(f"n must be a power of two, not {n}")
    x = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(m)
    x = np.clip(x, U_CLIP, 1 - U_CLIP)
    return x[:, :d], x[:, d:]


def sobol_indices(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, n_boot: int = BOOTSTRAP, seed: int = 0,
                  level: float = 0.95, center: bool = True) -> dict:
    """First- and total-order Sobol indices from a Saltelli design.

    Parameters
    ----------
    y_a, y_b : (N,) model values on the rows of A and B
    y_ab : (D, N) model values on A with factor i's columns taken from B
    n_boot : bootstrap resamples of the N rows
    seed : bootstrap seed
    center : subtract the mean of f over A and B first (default). The
        indices' expectations do not change, but the first-order estimator's
        variance no longer grows with the metric's mean squared (a mean min
        cash of $2B with a spread of $0.3B needs it); ``center=False`` gives
        SALib's numbers exactly.

    Returns
    -------
    dict
        ``S1`` (Saltelli et al. 2010: mean(f_B (f_ABi - f_A)) / V), ``ST``
        (Jansen 1999: mean((f_A - f_ABi)^2) / 2V), V the variance of f over
        A and B together (the same estimators and normalisation as SALib);
        ``S1_ci``, ``ST_ci`` percentile bootstrap intervals (D, 2);
        ``S1_conf``, ``ST_conf`` SALib-style half-widths z * sd(bootstrap);
        ``variance`` V.
    """
    from scipy.stats import (
        norm,  # scipy.stats takes about a second to import: only when used
    )

    y_a, y_b, y_ab = (np.asarray(x, dtype=np.float64) for x in (y_a, y_b, y_ab))
    n = y_a.size
    d = y_ab.shape[0]

    def estimate(a, b, ab):  # ab (..., D, N') with a, b (..., N')
        if center:
            mu = np.concatenate([a, b], axis=-1).mean(axis=-1, keepdims=True)
            a, b, ab = a - mu, b - mu, ab - mu[..., None, :]
        v = np.var(np.concatenate([a, b], axis=-1), axis=-1)
        v = np.where(v > np.finfo(float).eps, v, np.nan)
        s1 = np.mean(b[..., None, :] * (ab - a[..., None, :]), axis=-1) / v[..., None]
        st = 0.5 * np.mean((a[..., None, :] - ab) ** 2, axis=-1) / v[..., None]
        return s1, st, v

    s1, st, v = estimate(y_a, y_b, y_ab)
    rng = np.random.default_rng(seed)
    b1 = np.empty((n_boot, d))
    bt = np.empty((n_boot, d))
    chunk = max(1, 2_000_000 // max(1, n * (d + 2)))
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        r1, rt, _ = estimate(y_a[idx], y_b[idx], np.moveaxis(y_ab[:, idx], 0, 1))
        b1[start : start + len(idx)] = r1
        bt[start : start + len(idx)] = rt
    alpha = (1 - level) / 2
    z = float(norm.ppf(1 - alpha))
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant metric: NaN indices, said as n/a
        return {
            "S1": s1,
            "ST": st,
            "S1_ci": np.nanquantile(b1, [alpha, 1 - alpha], axis=0).T if n_boot else np.full((d, 2), np.nan),
            "ST_ci": np.nanquantile(bt, [alpha, 1 - alpha], axis=0).T if n_boot else np.full((d, 2), np.nan),
            "S1_conf": z * np.nanstd(b1, axis=0, ddof=1) if n_boot > 1 else np.full(d, np.nan),
            "ST_conf": z * np.nanstd(bt, axis=0, ddof=1) if n_boot > 1 else np.full(d, np.nan),
            "variance": float(v),
        }


def factors(scn, inputs: Sequence[Input]) -> list[list[int]]:
    """Inputs grouped into Sobol factors (indices into ``inputs``): rank-correlated inputs form one
    factor (sampled jointly)."""
    index = {inp.key: i for i, inp in enumerate(inputs)}
    grouped: dict[int, list[int]] = {}
    for keys, _ in correlation_groups(scn):
        members = [index[k] for k in keys if k in index]
        if len(members) > 1:
            for m in members:
                grouped[m] = members
    out, seen = [], set()
    for i in range(len(inputs)):
        if i in seen:
            continue
        members = grouped.get(i, [i])
        seen.update(members)
        out.append(members)
    return out


def inputs_from_uniform(scn, inputs: Sequence[Input], u: np.ndarray) -> np.ndarray:
    """Map points ``u`` (n, len(inputs)) of the unit cube to input values (n, len(inputs)).

    Independent inputs: their inverse CDFs.  Rank-correlated inputs: the
    scenario's Gaussian copula (normal scores mixed by the Cholesky factor),
    so a group's joint law is the one the paths use.
    """
    from scipy.special import ndtr, ndtri

    u = np.asarray(u, dtype=np.float64)
    x = np.empty_like(u)
    index = {inp.key: i for i, inp in enumerate(inputs)}
    done: set[int] = set()
    for keys, c in correlation_groups(scn):
        sel = [j for j, k in enumerate(keys) if k in index]
        if len(sel) < 2:
            continue
        cols = [index[keys[j]] for j in sel]
        sub = c[np.ix_(sel, sel)]
        z = mix_scores(ndtri(u[:, cols]), copula_factor(sub))
        uu = np.clip(ndtr(z), U_CLIP, 1 - U_CLIP)
        for jj, col in enumerate(cols):
            x[:, col] = inputs[col].quantile(uu[:, jj])
        done.update(cols)
    for col, inp in enumerate(inputs):
        if col not in done:
            x[:, col] = inp.quantile(u[:, col])
    return x


@dataclass
class SobolResult:
    """Sobol indices of a metric over the inputs (factors: groups of correlated inputs).

    Attributes
    ----------
    factors : list of list of str
        Each factor's input keys.
    n : int
        Base sample size N (rows of A and of B).
    paths : int
        Paths per evaluation.
    runs : int
        N (D + 2).
    indices : dict
        :func:`sobol_indices`' result.
    noise_share : float
        Mean squared standard error of one evaluation / variance of the evaluations.
    mean : float
        Mean of the metric over A and B.
    """

    factors: list[list[str]]
    n: int
    paths: int
    runs: int
    indices: dict
    noise_share: float
    mean: float

    @property
    def names(self) -> list[str]:
        return [" + ".join(f) for f in self.factors]

    def to_dict(self) -> dict:
        ix = self.indices

        def clean(x):
            x = float(x)
            return x if math.isfinite(x) else None

        rows = [
            {
                "factor": name,
                "keys": self.factors[i],
                "S1": clean(ix["S1"][i]),
                "S1_ci95": [clean(c) for c in ix["S1_ci"][i]],
                "S1_conf": clean(ix["S1_conf"][i]),
                "ST": clean(ix["ST"][i]),
                "ST_ci95": [clean(c) for c in ix["ST_ci"][i]],
                "ST_conf": clean(ix["ST_conf"][i]),
            }
            for i, name in enumerate(self.names)
        ]
        return {"n": self.n, "paths": self.paths, "runs": self.runs, "variance": clean(ix["variance"]),
                "mean": self.mean, "noise_share": clean(self.noise_share), "rows": rows}


def sobol_analysis(runner: Runner, metric: Measure, inputs: Sequence[Input], n: int, n_boot: int = BOOTSTRAP,
                   design_seed: int | None = None) -> SobolResult:
    """Sobol indices of ``metric`` as a function of the inputs' fixed values.

    Each row of the Saltelli design fixes every input (``KEY=VALUE``
    overrides) and the metric is estimated from ``runner.paths`` paths on the
    runner's seed and blocks (common random numbers across rows).  N (D + 2)
    runs, D the number of factors; the indices describe the variance of the
    metric's conditional value across the inputs' distributions (the paths'
    own shocks and events are averaged within each run; ``noise_share`` says
    how much of the variance is left-over Monte Carlo noise).
    """
    scn = runner.scenario
    groups = factors(scn, inputs)
    d_cols = len(inputs)
    a, b = saltelli_design(n, d_cols, runner.seed if design_seed is None else design_seed)
    mats = [a, b]
    for g in groups:
        ab = a.copy()
        ab[:, g] = b[:, g]
        mats.append(ab)
    values = [inputs_from_uniform(scn, inputs, m) for m in mats]
    rows = [(k, j) for k in range(len(mats)) for j in range(n)]

    def evaluate(kj):
        k, j = kj
        e = metric.estimate(runner.metric([inp.override(v) for inp, v in zip(inputs, values[k][j])], metric))
        return e.estimate, e.se

    res = np.array(runner.map(evaluate, rows)).reshape(len(mats), n, 2)
    y, se = res[..., 0], res[..., 1]
    ix = sobol_indices(y[0], y[1], y[2:], n_boot=n_boot, seed=runner.seed)
    v = ix["variance"]
    noise = float(np.mean(se**2) / v) if v > 0 and math.isfinite(v) else math.nan
    return SobolResult([[inputs[i].key for i in g] for g in groups], n, runner.paths, len(rows), ix, noise,
                       float(np.mean(y[:2])))
