"""Numba samplers that repeat NumPy's vectorised ones a value at a time.

``fill_sizes`` draws from an encoded distribution (``sim.engine.kernel.compile.encode_size``)
exactly as ``Dist.sample(rng, n)`` does with NumPy (docs/DRAWS.md, "Native
samplers"): numba's ``Generator`` methods reproduce NumPy's streams.  The
kernel uses it for event sizes, and ``sample`` for per-path parameters: a
value costs about a third of NumPy's vectorised samplers here (no
per-call array machinery).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.kernel.compile import BETA, FIXED, LOGNORMAL, NORMAL, PERT, TRIANGULAR, TRUNCNORMAL, UNIFORM, encode_size
from sim.engine.kernel.jit import njit


def sample(dist, rng: np.random.Generator, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """``n`` draws of ``dist`` from ``rng``, shape (n,): the numbers of ``dist.sample(rng, n)``, into ``out`` when given."""
    code, par, values, cumw = encode_size(dist)
    values = np.asarray([values or [0.0]], dtype=np.float64)
    cumw = np.asarray([cumw or [1.0]], dtype=np.float64)
    out = np.empty(n) if out is None else out
    # One signature for every family (the kernel's): float parameters, int64 counts; the encoded
    # parameters mix ints and floats, and each mix would compile fill_sizes anew (seconds each).
    p0, p1, p2, p3 = (float(x) for x in par[:4])
    fill_sizes(rng, np.int64(code), p0, p1, p2, p3, values, cumw, np.int64(0), np.int64(values.shape[1]), out, np.int64(0), np.int64(n))
    return out


@njit
def uniforms(rng, n):
    """``rng.random(n)``, shape (n,): uniform on [0, 1)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.random()
    return out


@njit
def _ndtr(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit
def _ndtri(p):
    """Inverse normal CDF: Acklam's approximation polished by one Halley step (~1e-15)."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e00) * q - 2.549732539343734e00) * q + 4.374664141464968e00) * q + 2.938163982698783e00) / (
            (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e00) * q + 3.754408661907416e00) * q + 1.0
        )
    elif p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e00) * q - 2.549732539343734e00) * q + 4.374664141464968e00) * q + 2.938163982698783e00) / (
            (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e00) * q + 3.754408661907416e00) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (((((-3.969683028665376e01 * r + 2.209460984245205e02) * r - 2.759285104469687e02) * r + 1.383577518672690e02) * r - 3.066479806614716e01) * r + 2.506628277459239e00) * q / (
            ((((-5.447609879822406e01 * r + 1.615858368580409e02) * r - 1.556989798598866e02) * r + 6.680131188771972e01) * r - 1.328068155288572e01) * r + 1.0
        )
    e = _ndtr(x) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@njit
def fill_sizes(rng, code, p0, p1, p2, p3, values, cumw, e, length, out, first, last):
    """Draw per-event sizes ``out[first:last]`` from an encoded (E) distribution.

    One loop per family (docs/DRAWS.md table): branching once per process
    rather than once per event keeps each loop a tight sequence of draws.
    ``values``/``cumw`` are the (E, M) discrete tables and ``e`` the row.
    """
    if code == FIXED:
        for j in range(first, last):
            out[j] = p0
    elif code == NORMAL:
        for j in range(first, last):
            out[j] = rng.normal(p0, p1)
    elif code == LOGNORMAL:
        for j in range(first, last):
            out[j] = math.exp(rng.normal(p0, p1))  # rng.lognormal's numbers, at a third of its cost in numba
    elif code == UNIFORM:
        for j in range(first, last):
            out[j] = rng.uniform(p0, p1)
    elif code == TRIANGULAR:
        for j in range(first, last):
            out[j] = rng.triangular(p0, p1, p2)
    elif code == PERT or code == BETA:
        for j in range(first, last):
            out[j] = p0 + p1 * rng.beta(p2, p3)
    elif code == TRUNCNORMAL:
        lo = _ndtr((p2 - p0) / p1)
        hi = _ndtr((p3 - p0) / p1)
        for j in range(first, last):
            out[j] = p0 + p1 * _ndtri(lo + rng.random() * (hi - lo))
    else:  # DISCRETE: the first cumulative weight strictly above u
        for j in range(first, last):
            u = rng.random()
            k = 0
            while k < length - 1 and u >= cumw[e, k]:
                k += 1
            out[j] = values[e, k]
