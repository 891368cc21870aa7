"""Probability distributions for uncertain (D) parameters and event sizes (E).

Every family is a small frozen dataclass with one API:

- ``family``: the name used in configs (``dist = "pert"``);
- ``ppf(u)``: the vectorised inverse CDF, used by the Gaussian copula;
- ``sample(rng, n)``: NumPy's native sampler, exactly the call listed in
  ``docs/DRAWS.md`` (the Numba kernel repeats it draw by draw, so the calls
  and the order in which they consume the generator are part of the
  protocol);
- ``median()``, ``quantile(q)``, ``mean()``, ``support()``, ``is_fixed``;
- ``to_dict()`` (the TOML inline-table form; ``Fixed`` gives a plain number)
  and ``str()`` (``pert(min=0.05, mode=0.07, max=0.1)``).

``parse_dist`` turns a config value (number, string or inline table) into a
distribution.  A distribution without spread (sd 0, min = max, a single
value, ...) is returned as ``Fixed``: it draws nothing, so switching a
parameter between fixed and uncertain never shifts other streams.  Objects
built directly with zero spread report ``is_fixed`` and behave the same way.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import special

from sim.model.units import describe_value, parse_money, parse_number

__all__ = [
    "Dist",
    "Fixed",
    "Normal",
    "TruncNormal",
    "LogNormal",
    "Uniform",
    "Triangular",
    "Pert",
    "Beta",
    "Discrete",
    "FAMILIES",
    "ParamError",
    "parse_dist",
]


class ParamError(ValueError):
    """A problem with one entry of a distribution table.

    ``key`` names the entry (``"sd"``), so that a config error can point at
    ``revenue.growth.sd`` rather than only at ``revenue.growth``.
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


def _fmt(x: float) -> str:
    """Shortest exact rendering of a float: 0.05, 3400, -0.1, inf."""
    if math.isfinite(x) and float(x).is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def _float(name: str, value: Any, allow_inf: bool = False) -> float:
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be a finite number (got {value!r})")
    return x


class _ParamValue(float):
    """A parameter's value that can also be called as the method of the same name.

    ``Normal`` and ``TruncNormal`` have a parameter called ``mean`` and
    ``LogNormal`` one called ``median``, while every family has the methods
    ``mean()`` and ``median()``.  Reading ``dist.mean`` gives the parameter
    (a float); calling ``dist.mean()`` gives the distribution's mean (for a
    truncated normal the two differ).
    """

    __slots__ = ("_method",)

    def __new__(cls, value: float, method: Any) -> "_ParamValue":
        obj = super().__new__(cls, value)
        obj._method = method
        return obj

    def __call__(self) -> float:
        return self._method()


class _ParamOrMethod:
    """Class attribute: ``dist.NAME`` is the stored parameter, ``dist.NAME()`` the method."""

    def __init__(self, attr: str, method: str) -> None:
        self.attr, self.method = attr, method

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return getattr(owner, self.method)
        return _ParamValue(getattr(obj, self.attr), getattr(obj, self.method))


# Kinds of table entries: "loc" entries are locations/scales in the
# parameter's unit (money when the parameter is money); "shape" entries are
# plain numbers whatever the unit.  The "*s" kinds are arrays.
_LOC, _SHAPE, _LOCS, _SHAPES = "loc", "shape", "locs", "shapes"
_REQUIRED = object()


class Dist:
    """Common behaviour of the distribution families (see the module doc).

    Subclasses are frozen dataclasses that declare ``family``, ``_keys``
    (config key, attribute, kind, default) and implement ``_ppf``,
    ``_sample``, ``_fixed_value``, ``mean`` and ``support``.
    """

    family: ClassVar[str] = ""
    _keys: ClassVar[tuple[tuple[str, str, str, Any], ...]] = ()

    # -- to be provided by the families ------------------------------------
    def _ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _spread_is_zero(self) -> bool:
        return False

    def _fixed_value(self) -> float:  # pragma: no cover - only called when fixed
        raise NotImplementedError

    def mean(self) -> float:  # pragma: no cover - abstract
        """The distribution's mean."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:  # pragma: no cover - abstract
        """Smallest and largest possible values ``(lo, hi)``; may be infinite."""
        raise NotImplementedError

    # -- common API ----------------------------------------------------------
    @property
    def is_fixed(self) -> bool:
        """True when the distribution has no spread (a single possible value)."""
        return self._spread_is_zero()

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF.

        Parameters
        ----------
        u : array_like, any shape
            Probabilities in [0, 1].

        Returns
        -------
        ndarray of float, same shape as ``u``
            Values in the parameter's unit (USD millions for money).
        """
        u = np.asarray(u, dtype=float)
        if self.is_fixed:
            return np.full(u.shape, self._fixed_value())
        return np.asarray(self._ppf(u), dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws with NumPy's native sampler (docs/DRAWS.md).

        Parameters
        ----------
        rng : numpy.random.Generator
            Consumed exactly as the DRAWS.md table says; not at all when
            the distribution is fixed.
        n : int
            Number of draws.

        Returns
        -------
        ndarray of float, shape (n,)
        """
        if self.is_fixed:
            return np.full(n, self._fixed_value())
        return np.asarray(self._sample(rng, n), dtype=float)

    def quantile(self, q: float | np.ndarray) -> float | np.ndarray:
        """The ``q`` quantile (``ppf``), a float for a scalar ``q``."""
        x = self.ppf(q)
        return float(x) if x.ndim == 0 else x

    def median(self) -> float:
        """The median, ``ppf(0.5)``: the value the copula gives at z = 0."""
        return float(self.ppf(0.5))

    def params(self) -> dict[str, Any]:
        """Every config key with its value (arrays as lists), e.g. ``{"mean": 0.08, "sd": 0.03}``.

        The generic way to read a family's parameters; attributes work too
        (``dist.sd``, ``dist.low``; ``dist.mean`` of a normal and
        ``dist.median`` of a lognormal are the parameters, and called,
        ``dist.mean()``/``dist.median()``, the common methods).
        """
        out: dict[str, Any] = {}
        for key, attr, _kind, _default in self._keys:
            value = getattr(self, attr)
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def _written(self) -> dict[str, Any]:
        # Config entries worth writing: optional ones only off their default.
        given = self.params()
        return {
            k: given[k]
            for k, _attr, _kind, default in self._keys
            if default is _REQUIRED or given[k] != default
        }

    def to_dict(self) -> dict[str, Any] | float:
        """TOML inline-table form, e.g. ``{"dist": "normal", "mean": 0.08, "sd": 0.03}``."""
        return {"dist": self.family, **self._written()}

    def __str__(self) -> str:
        def show(v: Any) -> str:
            if isinstance(v, list):
                return "[" + ", ".join(_fmt(x) for x in v) + "]"
            return _fmt(v)

        inner = ", ".join(f"{k}={show(v)}" for k, v in self._written().items())
        return f"{self.family}({inner})"

    def __repr__(self) -> str:
        args = ", ".join(f"{attr.rstrip('_')}={getattr(self, attr)!r}" for _k, attr, _kd, _d in self._keys)
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True, repr=False)
class Fixed(Dist):
    """A known value."""

    value: float
    family: ClassVar[str] = "fixed"
    _keys: ClassVar = (("value", "value", _LOC, _REQUIRED),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _float("fixed value", self.value))

    def _spread_is_zero(self) -> bool:
        return True

    def _fixed_value(self) -> float:
        return self.value

    def mean(self) -> float:
        return self.value

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def to_dict(self) -> float:
        """A fixed value is written as a plain number."""
        return self.value


@dataclass(frozen=True, repr=False)
class Normal(Dist):
    """Normal(mean, sd); sd >= 0."""

    mean_: float
    sd: float
    family: ClassVar[str] = "normal"
    _keys: ClassVar = (("mean", "mean_", _LOC, _REQUIRED), ("sd", "sd", _LOC, _REQUIRED))

    def __init__(self, mean: float, sd: float) -> None:
        object.__setattr__(self, "mean_", _float("normal mean", mean))
        object.__setattr__(self, "sd", _float("normal sd", sd))
        if self.sd < 0:
            raise ParamError(f"normal needs sd >= 0 (got sd={_fmt(self.sd)})", "sd")

    def _spread_is_zero(self) -> bool:
        return self.sd == 0

    def _fixed_value(self) -> float:
        return self.mean_

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean_ + self.sd * special.ndtri(u)

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean_, self.sd, n)

    def _mean(self) -> float:
        return self.mean_

    mean = _ParamOrMethod("mean_", "_mean")

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)


@dataclass(frozen=True, repr=False)
class TruncNormal(Dist):
    """A normal(mean, sd) restricted to [low, high] (either bound may be infinite).

    The inverse CDF is ``mean + sd * ndtri(Phi(a) + u (Phi(b) - Phi(a)))``
    with ``a, b`` the standardised bounds; when the whole interval lies
    above the mean it is computed on the mirrored interval (upper-tail
    probabilities) to keep precision.
    """

    mean_: float
    sd: float
    low: float = -math.inf
    high: float = math.inf
    family: ClassVar[str] = "truncnormal"
    _keys: ClassVar = (
        ("mean", "mean_", _LOC, _REQUIRED),
        ("sd", "sd", _LOC, _REQUIRED),
        ("low", "low", _LOC, -math.inf),
        ("high", "high", _LOC, math.inf),
    )

    def __init__(self, mean: float, sd: float, low: float = -math.inf, high: float = math.inf) -> None:
        object.__setattr__(self, "mean_", _float("truncnormal mean", mean))
        object.__setattr__(self, "sd", _float("truncnormal sd", sd))
        object.__setattr__(self, "low", _float("truncnormal low", low, allow_inf=True))
        object.__setattr__(self, "high", _float("truncnormal high", high, allow_inf=True))
        if self.sd < 0:
            raise ParamError(f"truncnormal needs sd >= 0 (got sd={_fmt(self.sd)})", "sd")
        if not self.low <= self.high:
            raise ValueError(
                f"truncnormal needs low < high (got low={_fmt(self.low)}, high={_fmt(self.high)})"
            )
        if math.isinf(self.low) and self.low == self.high:
            raise ValueError("truncnormal needs a finite low or high")
        if not self.is_fixed and not self._mass() > 0:
            raise ValueError(
                "truncnormal has no probability mass between low and high "
                "(the interval lies more than 37 sd from the mean)"
            )

    def _spread_is_zero(self) -> bool:
        return self.sd == 0 or self.low == self.high

    def _fixed_value(self) -> float:
        return min(max(self.mean_, self.low), self.high)

    def _std_bounds(self) -> tuple[float, float]:
        return (self.low - self.mean_) / self.sd, (self.high - self.mean_) / self.sd

    def _mass(self) -> float:
        # Probability of [low, high] under the untruncated normal (0 when it underflows).
        a, b = self._std_bounds()
        if a > 0:
            return float(special.ndtr(-a) - special.ndtr(-b))
        return float(special.ndtr(b) - special.ndtr(a))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._std_bounds()
        if a > 0:  # mirror: upper-tail probabilities keep their precision
            sa, sb = special.ndtr(-a), special.ndtr(-b)
            x = self.mean_ - self.sd * special.ndtri(sa - u * (sa - sb))
        else:
            pa, pb = special.ndtr(a), special.ndtr(b)
            x = self.mean_ + self.sd * special.ndtri(pa + u * (pb - pa))
        return np.clip(x, self.low, self.high)

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._ppf(rng.random(n))

    def _mean(self) -> float:
        if self.is_fixed:
            return self._fixed_value()
        from scipy import stats

        a, b = self._std_bounds()
        return float(stats.truncnorm.mean(a, b, loc=self.mean_, scale=self.sd))

    mean = _ParamOrMethod("mean_", "_mean")

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


@dataclass(frozen=True, repr=False)
class LogNormal(Dist):
    """exp(Normal(log(median), sigma)); median > 0, sigma >= 0 (plain number)."""

    median_: float
    sigma: float
    family: ClassVar[str] = "lognormal"
    _keys: ClassVar = (("median", "median_", _LOC, _REQUIRED), ("sigma", "sigma", _SHAPE, _REQUIRED))

    def __init__(self, median: float, sigma: float) -> None:
        object.__setattr__(self, "median_", _float("lognormal median", median))
        object.__setattr__(self, "sigma", _float("lognormal sigma", sigma))
        if self.median_ <= 0:
            raise ParamError(f"lognormal needs median > 0 (got median={_fmt(self.median_)})", "median")
        if self.sigma < 0:
            raise ParamError(f"lognormal needs sigma >= 0 (got sigma={_fmt(self.sigma)})", "sigma")

    def _spread_is_zero(self) -> bool:
        return self.sigma == 0

    def _fixed_value(self) -> float:
        return self.median_

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median_ * np.exp(self.sigma * special.ndtri(u))

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median_), self.sigma, n)

    def mean(self) -> float:
        return self.median_ * math.exp(self.sigma**2 / 2)

    def _median(self) -> float:
        return Dist.median(self)

    median = _ParamOrMethod("median_", "_median")

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


@dataclass(frozen=True, repr=False)
class Uniform(Dist):
    """Uniform on [low, high]."""

    low: float
    high: float
    family: ClassVar[str] = "uniform"
    _keys: ClassVar = (("low", "low", _LOC, _REQUIRED), ("high", "high", _LOC, _REQUIRED))

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _float("uniform low", self.low))
        object.__setattr__(self, "high", _float("uniform high", self.high))
        if not self.low <= self.high:
            raise ValueError(
                f"uniform needs low <= high (got low={_fmt(self.low)}, high={_fmt(self.high)})"
            )

    def _spread_is_zero(self) -> bool:
        return self.low == self.high

    def _fixed_value(self) -> float:
        return self.low

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


def _check_min_mode_max(family: str, lo: float, mode: float, hi: float) -> None:
    if not lo <= mode <= hi:
        raise ValueError(
            f"{family} needs min <= mode <= max "
            f"(got min={_fmt(lo)}, mode={_fmt(mode)}, max={_fmt(hi)})"
        )


@dataclass(frozen=True, repr=False)
class Triangular(Dist):
    """Triangular(min, mode, max)."""

    min: float
    mode: float
    max: float
    family: ClassVar[str] = "triangular"
    _keys: ClassVar = (
        ("min", "min", _LOC, _REQUIRED),
        ("mode", "mode", _LOC, _REQUIRED),
        ("max", "max", _LOC, _REQUIRED),
    )

    def __post_init__(self) -> None:
        for name in ("min", "mode", "max"):
            object.__setattr__(self, name, _float(f"triangular {name}", getattr(self, name)))
        _check_min_mode_max(self.family, self.min, self.mode, self.max)

    def _spread_is_zero(self) -> bool:
        return self.min == self.max

    def _fixed_value(self) -> float:
        return self.min

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        lo, c, hi = self.min, self.mode, self.max
        fc = (c - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (c - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - c))
        return np.where(u < fc, left, right)

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.min, self.mode, self.max, n)

    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3

    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True, repr=False)
class Pert(Dist):
    """PERT(min, mode, max, lambda): a beta on [min, max] with its mode at ``mode``.

    ``alpha = 1 + lam (mode - min)/(max - min)``,
    ``beta = 1 + lam (max - mode)/(max - min)``; the config key for ``lam``
    is ``lambda`` (``lam`` is accepted too).
    """

    min: float
    mode: float
    max: float
    lam: float = 4.0
    family: ClassVar[str] = "pert"
    _keys: ClassVar = (
        ("min", "min", _LOC, _REQUIRED),
        ("mode", "mode", _LOC, _REQUIRED),
        ("max", "max", _LOC, _REQUIRED),
        ("lambda", "lam", _SHAPE, 4.0),
    )

    def __post_init__(self) -> None:
        for name in ("min", "mode", "max", "lam"):
            object.__setattr__(self, name, _float(f"pert {name}", getattr(self, name)))
        _check_min_mode_max(self.family, self.min, self.mode, self.max)
        if self.lam <= 0:
            raise ParamError(f"pert needs lambda > 0 (got lambda={_fmt(self.lam)})", "lambda")

    @property
    def alpha(self) -> float:
        """First beta shape, computed exactly as docs/DRAWS.md writes it."""
        return 1 + self.lam * (self.mode - self.min) / (self.max - self.min)

    @property
    def beta(self) -> float:
        """Second beta shape, computed exactly as docs/DRAWS.md writes it."""
        return 1 + self.lam * (self.max - self.mode) / (self.max - self.min)

    def _spread_is_zero(self) -> bool:
        return self.min == self.max

    def _fixed_value(self) -> float:
        return self.min

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.min + (self.max - self.min) * special.betaincinv(self.alpha, self.beta, u)

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.min + (self.max - self.min) * rng.beta(self.alpha, self.beta, n)

    def mean(self) -> float:
        return (self.min + self.lam * self.mode + self.max) / (self.lam + 2)

    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True, repr=False)
class Beta(Dist):
    """``low + (high - low) * Beta(a, b)``; a, b > 0 (plain numbers)."""

    a: float
    b: float
    low: float = 0.0
    high: float = 1.0
    family: ClassVar[str] = "beta"
    _keys: ClassVar = (
        ("a", "a", _SHAPE, _REQUIRED),
        ("b", "b", _SHAPE, _REQUIRED),
        ("low", "low", _LOC, 0.0),
        ("high", "high", _LOC, 1.0),
    )

    def __post_init__(self) -> None:
        for name in ("a", "b", "low", "high"):
            object.__setattr__(self, name, _float(f"beta {name}", getattr(self, name)))
        if not (self.a > 0 and self.b > 0):
            raise ValueError(f"beta needs a > 0 and b > 0 (got a={_fmt(self.a)}, b={_fmt(self.b)})")
        if not self.low <= self.high:
            raise ValueError(
                f"beta needs low <= high (got low={_fmt(self.low)}, high={_fmt(self.high)})"
            )

    def _spread_is_zero(self) -> bool:
        return self.low == self.high

    def _fixed_value(self) -> float:
        return self.low

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * special.betaincinv(self.a, self.b, u)

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, n)

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


@dataclass(frozen=True, repr=False)
class Discrete(Dist):
    """Finitely many values with weights (normalised to probabilities).

    The values are stored sorted ascending (weights follow), so that
    ``ppf`` is monotone and rank correlations mean what they say.
    ``ppf(u) = values[searchsorted(cumw, u, "right")]``, as the sampler.
    """

    values: tuple[float, ...]
    weights: tuple[float, ...]
    family: ClassVar[str] = "discrete"
    _keys: ClassVar = (("values", "values", _LOCS, _REQUIRED), ("weights", "weights", _SHAPES, _REQUIRED))

    def __post_init__(self) -> None:
        values = tuple(_float("discrete value", v) for v in self.values)
        weights = tuple(_float("discrete weight", w) for w in self.weights)
        if not values:
            raise ParamError("discrete needs at least one value", "values")
        if len(values) != len(weights):
            raise ValueError(
                f"discrete needs as many weights as values (got {len(values)} values, {len(weights)} weights)"
            )
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ParamError("discrete needs weights >= 0 with a positive sum", "weights")
        order = sorted(range(len(values)), key=lambda i: values[i])  # stable
        object.__setattr__(self, "values", tuple(values[i] for i in order))
        object.__setattr__(self, "weights", tuple(weights[i] for i in order))

    @property
    def cumw(self) -> np.ndarray:
        """Normalised cumulative weights, shape (len(values),), last entry exactly 1."""
        c = np.cumsum(np.asarray(self.weights, dtype=float))
        c = c / c[-1]
        c[-1] = 1.0
        return c

    def _possible(self) -> list[float]:
        return [v for v, w in zip(self.values, self.weights) if w > 0]

    def _spread_is_zero(self) -> bool:
        return len(set(self._possible())) == 1

    def _fixed_value(self) -> float:
        return self._possible()[0]

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.cumw, u, "right")
        # u = 1 exactly (ppf only; rng.random() < 1) maps to the last value.
        return np.asarray(self.values)[np.minimum(idx, len(self.values) - 1)]

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.values)[np.searchsorted(self.cumw, rng.random(n), "right")]

    def mean(self) -> float:
        w = np.asarray(self.weights)
        return float(np.dot(self.values, w) / w.sum())

    def support(self) -> tuple[float, float]:
        possible = self._possible()
        return (min(possible), max(possible))

#: Config name -> class, in the order the docs list them.
FAMILIES: dict[str, type[Dist]] = {
    cls.family: cls
    for cls in (Fixed, Normal, TruncNormal, LogNormal, Uniform, Triangular, Pert, Beta, Discrete)
}
# Alternative spellings accepted in tables: config key -> canonical key.
_ALIASES = {"pert": {"lam": "lambda"}}


def _parse_entry(family: str, key: str, kind: str, value: Any, money: bool) -> Any:
    one = parse_money if (money and kind in (_LOC, _LOCS)) else parse_number
    try:
        if kind in (_LOCS, _SHAPES):
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"{family} {key} must be an array (got {value!r})")
            return tuple(one(v) for v in value)
        return one(value)
    except ValueError as exc:
        raise ParamError(str(exc), key) from None


def parse_dist(value: Any, money: bool = False) -> Dist:
    """Turn a config value into a distribution.

    Parameters
    ----------
    value : number, str, dict or Dist
        A number or string (a fixed value), an inline table with a ``dist``
        key naming the family, or an existing ``Dist`` (returned as is).
    money : bool
        Parse locations and scales as money (``"3.4B"`` -> 3400.0).  Shape
        entries (``a``, ``b``, ``lambda``, lognormal ``sigma``, discrete
        ``weights``) are always plain numbers.

    Returns
    -------
    Dist
        ``Fixed`` for numbers, strings and any distribution without spread.

    Raises
    ------
    ParamError, ValueError
        With a one-line message; ``ParamError.key`` names the table entry at
        fault when there is one.
    """
    if isinstance(value, Dist):
        return value
    if isinstance(value, (list, tuple, bool)) or value is None:
        raise ParamError(f"expected a number or a distribution table, got {describe_value(value)}")
    if not isinstance(value, dict):
        return Fixed(parse_money(value) if money else parse_number(value))
    known = ", ".join(FAMILIES)
    if "dist" not in value:
        raise ParamError(f"a distribution table needs a 'dist' key (one of {known})")
    name = value["dist"]
    if not isinstance(name, str):
        raise ParamError(f"'dist' must name a family (one of {known}), got {name!r}", "dist")
    cls = FAMILIES.get(name.strip().lower())
    if cls is None:
        close = difflib.get_close_matches(name.strip().lower(), FAMILIES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ParamError(f"unknown distribution '{name}' ({hint}known: {known})", "dist")
    family = cls.family
    aliases = _ALIASES.get(family, {})
    allowed = [k for k, *_ in cls._keys]
    entries: dict[str, Any] = {}
    for key, v in value.items():
        if key == "dist":
            continue
        canonical = aliases.get(key, key)
        if canonical not in allowed:
            raise ParamError(f"unknown key '{key}' for {family} (allowed: {', '.join(allowed)})", key)
        if canonical in entries:
            raise ParamError(f"'{key}' given twice", key)
        entries[canonical] = (key, v)
    args: list[Any] = []
    missing = []
    for key, _attr, kind, default in cls._keys:
        if key in entries:
            written, v = entries[key]
            args.append(_parse_entry(family, written, kind, v, money))
        elif default is _REQUIRED:
            if family == "discrete" and key == "weights" and "values" in entries:
                args.append(tuple(1.0 for _ in args[0]))  # equal weights by default
            else:
                missing.append(key)
        else:
            args.append(default)
    if missing:
        need = ", ".join(k for k, _a, _k, d in cls._keys if d is _REQUIRED)
        raise ParamError(f"{family} needs {need} (missing: {', '.join(missing)})")
    dist = cls(*args)
    return Fixed(dist._fixed_value()) if dist.is_fixed else dist
