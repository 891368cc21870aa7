"""Which inputs drive the answer, and how sure we are of it.

Four analyses of one scenario and one metric (``METRICS``; ``sim sensitivity``
runs them, ``docs/SENSITIVITY.md`` explains them):

* **Tornado**: the metric with one uncertain input held at its P10 and at its
  P90 while every other input keeps its distribution; bars sorted by swing.
* **Spider**: the metric as each input is held at its P5, P10, ..., P95.
* **Rank correlations**: per-path Spearman correlation of each input's draw
  with the path's minimum cash and breach indicator, and each input's share
  of the sum of squared correlations ("contribution to variance", as @RISK).
* **Sobol indices**: first- and total-order indices of the metric as a
  function of the inputs (Saltelli 2010 and Jansen estimators, bootstrap CIs).

Every run uses the same seed and block size: the engine gives each (D) key its
own random stream and the step shocks and events their own, so holding one
input fixed leaves every other draw of every path unchanged (common random
numbers).  Differences between two runs are then measured path by path, with
much tighter intervals than two independent runs would give.

>>> import sim, sim.analysis.sensitivity as ss
>>> scn = sim.load("pinterest_aws_2031")
>>> res = ss.analyse(scn, "p_cash_breach", paths=50_000, seed=0)   # doctest: +SKIP
>>> res.tornado_table().head()                                     # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from sim.model import ConfigError
from sim.engine.results import Z95, wilson

__all__ = [
    "METRICS",
    "PERCENTILES",
    "Metric",
    "Estimate",
    "Input",
    "Runner",
    "SensitivityResult",
    "resolve_metric",
    "metric_names",
    "uncertain_inputs",
    "sweep",
    "rank_correlations",
    "saltelli_design",
    "sobol_indices",
    "sobol_analysis",
    "analyse",
]

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)  # spider points (percent)
LOW, HIGH = 10, 90  # tornado ends (percent)
DEFAULT_PATHS = 50_000
SOBOL_PATHS = 4_000
BOOTSTRAP = 1_000
U_CLIP = 1e-9  # Sobol points are mapped through the inverse CDF: keep off 0 and 1


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What a metric needs besides the paths: the floor, the compression threshold, the calendar."""

    cash_floor: float
    threshold: float
    years: tuple[int, ...]
    steps_per_year: int

    @classmethod
    def of(cls, scn) -> "Frame":
        from sim.engine.kernel.compile import base_margin

        start, n = scn.scenario.start, scn.scenario.years
        return cls(
            cash_floor=float(scn.policy.cash_floor),
            threshold=base_margin(scn) - scn.policy.margin_drop,
            years=tuple(range(start, start + n)),
            steps_per_year=scn.scenario.steps_per_year,
        )


@dataclass(frozen=True)
class Estimate:
    """A metric's estimate with its standard error and 95% interval."""

    estimate: float
    se: float
    ci95: tuple[float, float]

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "se": self.se, "ci95": list(self.ci95)}


@dataclass(frozen=True)
class Metric:
    """A scalar summary of a run, computed from every path's outputs.

    Attributes
    ----------
    name, label : str
        ``--metric`` name and words for titles.
    unit : {"probability", "money"}
        Probabilities are means of 0/1 indicators (Wilson intervals); money is
        USD millions.
    per_path : callable
        ``(outputs, frame) -> (n,)`` per-path values (``sim.engine.simulate.simulate_paths``
        outputs).
    quantile : float or None
        None: the metric is the mean of the per-path values; else this
        quantile of them (numpy's "linear" rule, as the summary's exact quantiles).
    summary_key : str or None
        Where ``sim run``'s summary holds the same number (for cross-checks).
    """

    name: str
    label: str
    unit: str
    per_path: Callable
    quantile: float | None = None

    @property
    def is_mean(self) -> bool:
        return self.quantile is None

    def values(self, outputs: dict, frame: Frame) -> np.ndarray:
        return np.asarray(self.per_path(outputs, frame), dtype=np.float64)

    def estimate(self, v: np.ndarray) -> Estimate:
        """The metric of per-path values ``v`` with its interval.

        Probabilities: Wilson interval; means: normal interval from the sample
        standard deviation; quantiles: distribution-free order-statistic interval.
        """
        n = v.size
        if self.quantile is None:
            m = float(v.mean())
            if self.unit == "probability":
                k = int(round(v.sum()))
                return Estimate(m, math.sqrt(max(m * (1 - m), 0.0) / n), wilson(k, n))
            se = float(v.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
            return Estimate(m, se, (m - Z95 * se, m + Z95 * se))
        q = self.quantile
        s = np.sort(v)
        est = float(np.quantile(s, q))
        half = Z95 * math.sqrt(n * q * (1 - q))
        lo = float(s[max(0, int(math.floor(n * q - half)) - 1)])
        hi = float(s[min(n - 1, int(math.ceil(n * q + half)))])
        return Estimate(est, (hi - lo) / (2 * Z95), (min(lo, est), max(hi, est)))

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "unit": self.unit, "quantile": self.quantile}


def _breach(o, f):
    return o["first_breach_step"] > 0


def _min_cash(o, f):
    return o["min_cash"]


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("p_cash_breach", "P(cash < floor at some step)", "probability", _breach),
        Metric("p_profit_compression_any", "P(profit compression in any year)", "probability",
               lambda o, f: (o["operating_margin"] < f.threshold).any(axis=1)),
        Metric("p_commitment_shortfall", "P(any commitment shortfall)", "probability",
               lambda o, f: (o["shortfall"] > 0).any(axis=1)),
        Metric("p_net_loss_any", "P(net loss in any year)", "probability",
               lambda o, f: (o["net_income"] < 0).any(axis=1)),
        Metric("min_cash_mean", "Mean minimum cash", "money", _min_cash),
        Metric("min_cash_median", "Median minimum cash", "money", _min_cash, quantile=0.5),
        Metric("min_cash_p05", "Minimum cash, 5th percentile", "money", _min_cash, quantile=0.05),
        Metric("expected_shortfall_total", "Expected commitment shortfall, whole horizon", "money",
               lambda o, f: o["shortfall"].sum(axis=1)),
    ]
}

# By-year metrics: NAME_YYYY for a fiscal year of the horizon.
_BY_YEAR = {
    "p_cash_breach_by": ("P(cash < floor by the end of {y})", "probability", None,
                         lambda o, f, i: (o["first_breach_step"] > 0) & (o["first_breach_step"] <= (i + 1) * f.steps_per_year)),
    "p_profit_compression": ("P(profit compression in {y})", "probability", None,
                             lambda o, f, i: o["operating_margin"][:, i] < f.threshold),
    "p_net_loss": ("P(net loss in {y})", "probability", None, lambda o, f, i: o["net_income"][:, i] < 0),
    "cash_end_mean": ("Mean cash at the end of {y}", "money", None, lambda o, f, i: o["cash_end"][:, i]),
    "cash_end_median": ("Median cash at the end of {y}", "money", 0.5, lambda o, f, i: o["cash_end"][:, i]),
    "net_income_mean": ("Mean net income in {y}", "money", None, lambda o, f, i: o["net_income"][:, i]),
    "fcf_mean": ("Mean free cash flow in {y}", "money", None, lambda o, f, i: o["fcf"][:, i]),
}
_BY_YEAR_RE = re.compile(r"^(" + "|".join(_BY_YEAR) + r")_(\d{4})$")


def metric_names() -> list[str]:
    """Metric names for help texts (by-year ones with a YYYY placeholder)."""
    return list(METRICS) + [f"{p}_YYYY" for p in _BY_YEAR]


def resolve_metric(name: str, scenario=None) -> Metric:
    """The metric called ``name``; by-year names (``p_cash_breach_by_2027``) need the scenario.

    Raises
    ------
    ConfigError
        ``--metric: NAME: unknown metric (known: ...)`` or a year outside the horizon.
    """
    if name in METRICS:
        return METRICS[name]
    m = _BY_YEAR_RE.match(name)
    if m is None:
        raise ConfigError("--metric", name, f"unknown metric (known: {', '.join(metric_names())})")
    prefix, year = m.group(1), int(m.group(2))
    if scenario is not None:
        years = Frame.of(scenario).years
        if year not in years:
            raise ConfigError("--metric", name, f"year {year} is outside the horizon {years[0]}-{years[-1]}")
        index = year - years[0]
    else:
        raise ConfigError("--metric", name, "a by-year metric needs the scenario")
    label, unit, q, fn = _BY_YEAR[prefix]
    return Metric(name, label.format(y=year), unit, lambda o, f, i=index: fn(o, f, i), quantile=q)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One uncertain input: a (D) parameter with a distribution, or a per-path Bernoulli outcome."""

    key: str
    dist: object | None = None  # sim.model.distributions.Dist
    p: float | None = None  # Bernoulli probability
    money: bool = False

    @property
    def bernoulli(self) -> bool:
        return self.dist is None

    def quantile(self, q):
        """Value(s) at probability level(s) ``q`` (a Bernoulli is 1 above 1 - p, else 0)."""
        if self.bernoulli:
            return np.where(np.asarray(q) > 1.0 - self.p, 1.0, 0.0) if np.ndim(q) else float(q > 1.0 - self.p)
        return self.dist.quantile(q)

    def tornado_values(self, low: float, high: float) -> tuple[float, float]:
        """The two ends of the bar: P(low) and P(high); a Bernoulli swings from 0 (never) to 1 (always)."""
        if self.bernoulli:
            return 0.0, 1.0
        return float(self.dist.quantile(low / 100)), float(self.dist.quantile(high / 100))

    def override(self, value: float) -> str:
        return f"{self.key}={float(value)!r}"

    def show(self, value: float) -> str:
        from sim.present.text import money

        if self.bernoulli:
            return "never" if value == 0 else ("always" if value == 1 else f"p={value:g}")
        if self.money:
            return money(value)
        return f"{value:.3g}"

    def describe(self) -> str:
        return f"Bernoulli(p={self.p:g})" if self.bernoulli else str(self.dist)


def uncertain_inputs(scn, keys: Sequence[str] | None = None) -> list[Input]:
    """The inputs that vary from path to path, in canonical order (or ``keys``' order).

    Non-fixed (D) parameters, and Bernoulli outcomes with 0 < p < 1.

    Raises
    ------
    ConfigError
        ``--inputs: KEY: ...`` for a key that is not an uncertain input of the scenario.
    """
    from sim.model import bernoulli_parameters, money_keys, uncertain_parameters

    dists = uncertain_parameters(scn)
    probs = bernoulli_parameters(scn)
    mk = money_keys(scn)
    every: dict[str, Input] = {}
    for k, d in dists.items():
        if not d.is_fixed:
            every[k] = Input(k, dist=d, money=k in mk)
    for k, p in probs.items():
        if 0.0 < p < 1.0:
            every[k] = Input(k, p=float(p))
    if keys is None:
        return list(every.values())
    out = []
    for k in keys:
        if k in every:
            if every[k] not in out:
                out.append(every[k])
        elif k in dists or k in probs:
            raise ConfigError("--inputs", k, "is a fixed value in this scenario: nothing to vary")
        else:
            raise ConfigError("--inputs", k, f"not an uncertain input (uncertain: {', '.join(every) or 'none'})")
    return out


# ---------------------------------------------------------------------------
# Running many variants of one scenario on common random numbers
# ---------------------------------------------------------------------------


class Runner:
    """Runs variants of a scenario (``--set``-style overrides) on the same seed and blocks.

    Each variant runs its blocks one after another on one thread, keeping
    only the per-path values asked for (memory: one block's series matrix per
    thread, plus a few floats per path); :meth:`map` runs variants on a
    thread pool (the kernel releases the GIL).  Blocks and paths are those of
    :func:`sim.engine.simulate.simulate_paths` and ``sim run``; results never depend on
    the thread count.
    """

    def __init__(self, scenario, paths: int, seed: int = 0, block_size: int | None = None, threads: int | None = None,
                 progress: Callable[[int], None] | None = None):
        from sim.engine.simulate import DEFAULT_BLOCK_SIZE

        if paths < 2:
            raise ValueError("paths must be at least 2")
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.scenario = scenario
        self.paths = int(paths)
        self.seed = int(seed)
        self.block_size = int(block_size or DEFAULT_BLOCK_SIZE)
        if self.block_size < 1:
            raise ValueError("block size must be at least 1")
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.progress = progress
        self.runs = 0
        self._lock = threading.Lock()

    def variant(self, overrides: Sequence[str] = ()):
        from sim.model import load_scenario

        return load_scenario(self.scenario, list(overrides)) if overrides else self.scenario

    def values(self, overrides: Sequence[str], fn: Callable[[dict, Frame], dict]) -> dict[str, np.ndarray]:
        """Per-path values of the variant: ``fn(outputs, frame)`` on each block, concatenated.

        ``outputs`` are one block's per-path outputs (the keys of
        ``simulate_paths`` less the per-step ``cash``), views into a reused
        buffer: ``fn`` must return new arrays (name -> (n,)).
        """
        from sim.engine.aggregate import SeriesLayout, per_path
        from sim.engine.simulate import block_sizes, prepare, simulate_block_of_paths

        scn = self.variant(overrides)
        frame = Frame.of(scn)
        ctx = prepare(scn)
        lay = SeriesLayout(ctx.n_years, ctx.n_steps, False)
        buffer = np.empty((min(self.block_size, self.paths), lay.n_series))
        parts: dict[str, list[np.ndarray]] = {}
        for b, n in enumerate(block_sizes(self.paths, self.block_size)):
            _, series, first = simulate_block_of_paths(ctx, self.seed, b, n, lay, buffer)
            for k, v in fn(per_path(series, first, lay), frame).items():
                parts.setdefault(k, []).append(np.array(v, dtype=np.float64))  # a copy: the buffer is reused
        with self._lock:
            self.runs += 1
            if self.progress is not None:
                self.progress(1)
        return {k: np.concatenate(v) for k, v in parts.items()}

    def metric(self, overrides: Sequence[str], metric: "Metric") -> np.ndarray:
        """Per-path values of ``metric`` for the variant."""
        return self.values(overrides, lambda o, f: {"y": metric.per_path(o, f)})["y"]

    def map(self, fn: Callable, items: Sequence) -> list:
        """``[fn(item) for item in items]`` on the thread pool, in order.

        The first item runs alone (the kernel may compile on first use).
        """
        items = list(items)
        if not items:
            return []
        first = fn(items[0])
        if self.threads == 1 or len(items) == 1:
            return [first] + [fn(x) for x in items[1:]]
        with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="sim-sens") as pool:
            return [first] + list(pool.map(fn, items[1:]))


# ---------------------------------------------------------------------------
# Tornado and spider: one sweep per input
# ---------------------------------------------------------------------------


@dataclass
class Sweep:
    """One input held at fixed values: the tornado bar and the spider line."""

    input: Input
    low_value: float
    high_value: float
    low: Estimate
    high: Estimate
    diff: float  # metric(high) - metric(low)
    diff_ci95: tuple[float, float]
    paired: bool  # diff interval from per-path differences (else the two intervals combined)
    points: list[tuple[float, float, Estimate]]  # (percentile, value, estimate)

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


def _difference(metric: Metric, vl: np.ndarray, vh: np.ndarray, el: Estimate, eh: Estimate) -> tuple[float, tuple[float, float], bool]:
    diff = eh.estimate - el.estimate
    if metric.is_mean:
        d = vh - vl
        se = float(d.std(ddof=1)) / math.sqrt(d.size)
        return diff, (diff - Z95 * se, diff + Z95 * se), True
    return diff, (eh.ci95[0] - el.ci95[1], eh.ci95[1] - el.ci95[0]), False


def sweep(runner: Runner, metric: Metric, inputs: Sequence[Input], percentiles: Sequence[float] = PERCENTILES,
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


def sweep_runs(inputs: Sequence[Input], percentiles: Sequence[float] = PERCENTILES, low: float = LOW, high: float = HIGH) -> int:
    """How many runs :func:`sweep` makes (for progress bars)."""
    total = 0
    for inp in inputs:
        vals = set(inp.tornado_values(low, high))
        vals.update(float(inp.quantile(p / 100)) for p in set(float(p) for p in percentiles))
        total += len(vals)
    return total


# ---------------------------------------------------------------------------
# Per-path rank correlations
# ---------------------------------------------------------------------------


def input_draws(scn, seed: int, paths: int, block_size: int, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Every path's draw of each key, blocks concatenated in order (the paths of ``simulate_paths``)."""
    from sim.engine.simulate import block_sizes
    from sim.engine.sampling import draw_parameters

    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for b, n in enumerate(block_sizes(paths, block_size)):
        params = draw_parameters(scn, seed, b, n)
        for k in keys:
            parts[k].append(params[k])
    return {k: np.concatenate(v) for k, v in parts.items()}


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either is constant."""
    from scipy.stats import rankdata

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
    """Per-path Spearman correlations of inputs with outputs, and contributions to variance."""

    targets: list[str]  # output names, e.g. ["min_cash", "breach"]
    keys: list[str]
    rho: dict[str, list[float]]  # target -> per key
    ci95: dict[str, list[tuple[float, float]]]
    contribution: dict[str, list[float]]  # target -> share of sum of rho^2 (sums to 1)
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


def correlation_targets(metric: Metric | None = None) -> Callable[[dict, Frame], dict]:
    """Per-path outputs the rank correlations use: min cash, the breach indicator, the metric's values."""

    def fn(o, f):
        out = {"min_cash": o["min_cash"], "breach": (o["first_breach_step"] > 0).astype(float)}
        if metric is not None:
            out["metric"] = metric.per_path(o, f)
        return out

    return fn


def rank_correlations(scn, seed: int, paths: int, block_size: int, inputs: Sequence[Input], targets: dict,
                      metric: Metric | None = None) -> Correlations:
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


# ---------------------------------------------------------------------------
# Sobol indices
# ---------------------------------------------------------------------------


def saltelli_design(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent (n, d) matrices of points in (0, 1): the halves of a scrambled Sobol
    sequence in 2d dimensions (as SALib's Saltelli sampler splits an unscrambled one).

    ``n`` should be a power of two (the sequence's balance needs it).
    """
    from scipy.stats import qmc

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
    from scipy.stats import norm

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


def _factors(scn, inputs: Sequence[Input]) -> list[list[int]]:
    """Inputs grouped into Sobol factors: rank-correlated inputs form one factor (sampled jointly)."""
    from sim.engine.sampling import correlation_groups

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
    """Map points ``u`` (n, len(inputs)) of the unit cube to input values.

    Independent inputs: their inverse CDFs.  Rank-correlated inputs: the
    scenario's Gaussian copula (normal scores mixed by the Cholesky factor),
    so a group's joint law is the one the paths use.
    """
    from scipy.special import ndtr, ndtri

    from sim.engine.sampling import copula_factor, correlation_groups, mix_scores

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
    """Sobol indices of a metric over the inputs (factors: groups of correlated inputs)."""

    factors: list[list[str]]
    n: int  # base sample size N (rows of A and of B)
    paths: int  # paths per evaluation
    runs: int  # N (D + 2)
    indices: dict
    noise_share: float  # mean squared standard error of one evaluation / variance of the evaluations
    mean: float  # mean of the metric over A and B

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


def sobol_analysis(runner: Runner, metric: Metric, inputs: Sequence[Input], n: int, n_boot: int = BOOTSTRAP,
                   design_seed: int | None = None) -> SobolResult:
    """Sobol indices of ``metric`` as a function of the inputs' fixed values.

    Each row of the Saltelli design fixes every input (``--set KEY=VALUE``) and
    the metric is estimated from ``runner.paths`` paths on the runner's seed
    and blocks (common random numbers across rows).  N (D + 2) runs, D the
    number of factors; the indices describe the variance of the metric's
    conditional value across the inputs' distributions (the paths' own shocks
    and events are averaged within each run; ``noise_share`` says how much
    of the variance is left-over Monte Carlo noise).
    """
    scn = runner.scenario
    groups = _factors(scn, inputs)
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


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------


@dataclass
class SensitivityResult:
    """The analyses of one scenario and metric; tables, JSON, figures."""

    scenario: str
    metric: Metric
    paths: int
    seed: int
    block_size: int
    low: float
    high: float
    percentiles: list[float]
    baseline: Estimate
    sweeps: list[Sweep]
    correlations: Correlations | None = None
    sobol: SobolResult | None = None
    inputs: list[Input] = field(default_factory=list)
    seconds: float = 0.0
    runs: int = 0
    config_hash: str | None = None  # SHA-256 of the resolved scenario (as sim run's summary.json)

    # -- tables -----------------------------------------------------------
    def tornado_table(self):
        """One row per input, sorted by swing: the values held, the metric at each end, the swing."""
        import pandas as pd

        rows = []
        for s in self.sweeps:
            rows.append({
                "key": s.input.key, "low_value": s.low_value, "high_value": s.high_value,
                "metric_low": s.low.estimate, "metric_low_lo": s.low.ci95[0], "metric_low_hi": s.low.ci95[1],
                "metric_high": s.high.estimate, "metric_high_lo": s.high.ci95[0], "metric_high_hi": s.high.ci95[1],
                "diff": s.diff, "diff_lo": s.diff_ci95[0], "diff_hi": s.diff_ci95[1],
                "swing": s.swing, "swing_lo": s.swing_ci95[0], "swing_hi": s.swing_ci95[1],
            })
        return pd.DataFrame(rows)

    def spider_table(self):
        """Long table: key, percentile, value held, metric and its interval."""
        import pandas as pd

        rows = [
            {"key": s.input.key, "percentile": p, "value": v, "metric": e.estimate, "metric_lo": e.ci95[0], "metric_hi": e.ci95[1]}
            for s in self.sweeps
            for p, v, e in s.points
        ]
        return pd.DataFrame(rows)

    def correlation_table(self):
        import pandas as pd

        return pd.DataFrame(self.correlations.to_dict()["rows"]) if self.correlations else pd.DataFrame()

    def sobol_table(self):
        import pandas as pd

        if self.sobol is None:
            return pd.DataFrame()
        rows = []
        for r in self.sobol.to_dict()["rows"]:
            rows.append({"factor": r["factor"], "S1": r["S1"], "S1_lo": r["S1_ci95"][0], "S1_hi": r["S1_ci95"][1],
                         "ST": r["ST"], "ST_lo": r["ST_ci95"][0], "ST_hi": r["ST_ci95"][1]})
        return pd.DataFrame(rows)

    # -- serialisation ------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "metric": self.metric.to_dict(),
            "paths": self.paths,
            "seed": self.seed,
            "block_size": self.block_size,
            "tornado_percentiles": [self.low, self.high],
            "spider_percentiles": self.percentiles,
            "baseline": self.baseline.to_dict(),
            "tornado": [s.to_dict() for s in self.sweeps],
            "correlations": self.correlations.to_dict() if self.correlations else None,
            "sobol": self.sobol.to_dict() if self.sobol else None,
            "runs": self.runs,
            "runtime_seconds": self.seconds,
            "config_hash": self.config_hash,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=_jsonable)

    def save(self, folder: str | os.PathLike, figures: bool = True) -> list[Path]:
        """Write ``sensitivity.json``, ``tornado.csv``, ``spider.csv``, ``correlations.csv``,
        ``sobol.csv`` (what was computed) and, with ``figures``, ``tornado.png`` and
        ``spider.png`` (plus ``sobol.png``) into ``folder``; returns the paths written."""
        from sim.files import write_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []

        def put(name, text):
            write_atomic(folder / name, text)
            written.append(folder / name)

        put("sensitivity.json", self.to_json() + "\n")
        put("tornado.csv", self.tornado_table().to_csv(index=False))
        put("spider.csv", self.spider_table().to_csv(index=False))
        if self.correlations is not None:
            put("correlations.csv", self.correlation_table().to_csv(index=False))
        if self.sobol is not None:
            put("sobol.csv", self.sobol_table().to_csv(index=False))
        if figures:
            written += self._figures(folder)
        return written

    def _figures(self, folder: Path) -> list[Path]:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from sim.analysis import sensitivity_plots as sp
        out = []
        plots = [("tornado.png", sp.tornado), ("spider.png", sp.spider)]
        if self.sobol is not None:
            plots.append(("sobol.png", sp.sobol))
        for name, fn in plots:
            fig, _ = fn(self)
            tmp = folder / f".{name}.tmp.png"
            fig.savefig(tmp)
            plt.close(fig)
            os.replace(tmp, folder / name)
            out.append(folder / name)
        return out

    # -- text -----------------------------------------------------------------
    def to_markdown(self, top: int = 10, figures_dir: str | None = None) -> str:
        """A "Sensitivity" section for a Markdown report: tables, and the figures when ``figures_dir`` is given."""
        m = self.metric
        show = _formatter(m)
        b = self.baseline
        out = [
            f"## Sensitivity: {m.label}",
            "",
            f"{self.paths:,} paths per run, seed {self.seed}, common random numbers. Baseline (every input random): "
            f"{show(b.estimate)} (95% CI {show(b.ci95[0])} - {show(b.ci95[1])}).",
            "",
            f"| input | held at P{self.low:g} / P{self.high:g} | {m.label} | swing (95% CI) |",
            "|---|---|---|---|",
        ]
        for s in self.sweeps[:top]:
            lo, hi = s.swing_ci95
            out.append(f"| `{s.input.key}` | {s.input.show(s.low_value)} / {s.input.show(s.high_value)} | "
                       f"{show(s.low.estimate)} -> {show(s.high.estimate)} | {_delta(m, s.swing)} "
                       f"({_delta(m, lo, unit=False)} - {_delta(m, hi, unit=False)}) |")
        if figures_dir is not None:
            out += ["", f"![Tornado]({figures_dir}/tornado.png)", "", f"![Spider]({figures_dir}/spider.png)"]
        c = self.correlations
        if c is not None:
            out += ["", "| input | rank corr. with min cash | share | with breach | share |", "|---|---|---|---|---|"]
            for i in np.argsort([-x for x in c.contribution["min_cash"]], kind="stable")[:top]:
                out.append(f"| `{c.keys[i]}` | {_rho(c.rho['min_cash'][i])} | {c.contribution['min_cash'][i]:.0%} | "
                           f"{_rho(c.rho['breach'][i])} | {c.contribution['breach'][i]:.0%} |")
        if self.sobol is not None:
            d = self.sobol.to_dict()
            out += ["", f"Sobol indices (N = {self.sobol.n}, {self.sobol.paths:,} paths per run; Monte Carlo noise "
                        f"{_share(self.sobol.noise_share)} of the variance):", "",
                    "| factor | first order (95% CI) | total order (95% CI) |", "|---|---|---|"]
            for i in np.argsort([-(r["ST"] or 0) for r in d["rows"]], kind="stable")[:top]:
                r = d["rows"][i]
                out.append(f"| `{r['factor']}` | {_ix(r['S1'], r['S1_ci95'])} | {_ix(r['ST'], r['ST_ci95'])} |")
            if figures_dir is not None:
                out += ["", f"![Sobol indices]({figures_dir}/sobol.png)"]
        return "\n".join(out) + "\n"

    def format(self, top: int = 10) -> str:
        """A concise terminal summary."""
        m = self.metric
        show = _formatter(m)
        b = self.baseline
        lines = [
            f"Sensitivity of {m.label} - {self.scenario}",
            f"{self.paths:,} paths per run, seed {self.seed}, {self.runs} runs on common random numbers, {self.seconds:.1f} s",
            "",
            f"Baseline (every input random)  {show(b.estimate)}   95% CI {show(b.ci95[0])} - {show(b.ci95[1])}",
            "",
            f"Tornado: input held at P{self.low:g} / P{self.high:g}, largest swing first",
        ]
        rows = self.sweeps[:top]
        width = max([len(s.input.key) for s in rows] + [5])
        for s in rows:
            held = f"{s.input.show(s.low_value)} / {s.input.show(s.high_value)}"
            lo, hi = s.swing_ci95
            lines.append(
                f"  {s.input.key.ljust(width)}  {held:>17}  {show(s.low.estimate):>9} -> {show(s.high.estimate):<9}"
                f"  swing {_delta(m, s.swing)} [{_delta(m, lo, unit=False)}, {_delta(m, hi, unit=False)}]"
            )
        if len(self.sweeps) > top:
            lines.append(f"  ... {len(self.sweeps) - top} more in tornado.csv")
        c = self.correlations
        if c is not None:
            lines.append("")
            lines.append("Rank correlation of each path's draw (Spearman), contribution to variance")
            order = np.argsort([-x for x in c.contribution["min_cash"]], kind="stable")[:top]
            lines.append(f"  {'input'.ljust(width)}  {'min cash':>9} {'share':>6}  {'breach':>7} {'share':>6}")
            for i in order:
                r1, r2 = c.rho["min_cash"][i], c.rho["breach"][i]
                lines.append(
                    f"  {c.keys[i].ljust(width)}  {_rho(r1):>9} {c.contribution['min_cash'][i]:>6.0%}  "
                    f"{_rho(r2):>7} {c.contribution['breach'][i]:>6.0%}"
                )
        s = self.sobol
        if s is not None:
            d = s.to_dict()
            lines.append("")
            lines.append(f"Sobol indices of {m.label}: N = {s.n}, {s.paths:,} paths per run, {s.runs:,} runs; "
                         f"Monte Carlo noise {_share(s.noise_share)} of the variance")
            names = s.names
            w2 = max([len(x) for x in names] + [6])
            lines.append(f"  {'factor'.ljust(w2)}  {'first order':>20}  {'total order':>20}")
            order = np.argsort([-(r['ST'] or 0) for r in d["rows"]], kind="stable")[:top]
            for i in order:
                r = d["rows"][i]
                lines.append(f"  {names[i].ljust(w2)}  {_ix(r['S1'], r['S1_ci95']):>20}  {_ix(r['ST'], r['ST_ci95']):>20}")
        return "\n".join(lines)


def _formatter(m: Metric) -> Callable[[float], str]:
    from sim.present.text import money

    if m.unit == "probability":
        return lambda p: f"{100 * p:.2f}%"
    return money


def _delta(m: Metric, x: float, unit: bool = True) -> str:
    from sim.present.text import money

    if m.unit == "probability":
        return f"{100 * x:.2f}" + (" pts" if unit else "")
    return money(x)


def _rho(r: float) -> str:
    return "n/a" if not math.isfinite(r) else f"{r:+.3f}"


def _share(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def _ix(v, ci) -> str:
    if v is None:
        return "n/a"
    lo, hi = ci
    if lo is None or hi is None:
        return f"{v:.3f}"
    return f"{v:.3f} [{lo:.2f}, {hi:.2f}]"


def _jsonable(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def analyse(
    scenario,
    metric: str | Metric = "p_cash_breach",
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    *,
    block_size: int | None = None,
    inputs: Sequence[str] | None = None,
    percentiles: Sequence[float] = PERCENTILES,
    low: float = LOW,
    high: float = HIGH,
    correlations: bool = True,
    sobol: int = 0,
    sobol_paths: int = SOBOL_PATHS,
    bootstrap: int = BOOTSTRAP,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Tornado, spider, rank correlations and (with ``sobol`` = N > 0) Sobol indices.

    Parameters
    ----------
    scenario : Scenario, str, path or dict
        What :func:`sim.load` accepts.
    metric : str or Metric
        A name from :func:`metric_names` (default ``p_cash_breach``).
    paths, seed, block_size : int
        Paths of every tornado/spider run and of the baseline; one seed and
        block size for all runs (common random numbers).
    inputs : list of str, optional
        Dotted keys to analyse (default: every input that varies).
    percentiles : spider points, percent
    low, high : tornado ends, percent (default P10 / P90)
    correlations : per-path rank correlations on the baseline's paths
    sobol : base sample size N (a power of two; 0 = no Sobol analysis);
        N (D + 2) runs of ``sobol_paths`` paths each
    bootstrap : resamples for the Sobol intervals
    threads : runs in parallel (default all cores); never changes results
    progress : called with 1 after each run
    """
    from sim.model import load_scenario as load
    from sim.model import scenario_hash

    t0 = time.perf_counter()
    scn = load(scenario)
    if not 0 < low < high < 100:
        raise ConfigError("--tornado", "", f"need 0 < low < high < 100 percent, got {low:g} and {high:g}")
    if any(not 0 < p < 100 for p in percentiles):
        raise ConfigError("--percentiles", "", "percentiles must be between 0 and 100 (exclusive)")
    if sobol and (sobol < 2 or sobol & (sobol - 1)):
        raise ConfigError("--sobol", "", f"N must be a power of two of at least 2 (e.g. 64, 256), not {sobol}")
    m = metric if isinstance(metric, Metric) else resolve_metric(metric, scn)
    chosen = uncertain_inputs(scn, inputs)
    if not chosen:
        raise ConfigError(scn.scenario.name or "scenario", "", "no uncertain inputs: every (D) parameter is a fixed value")
    runner = Runner(scn, paths, seed, block_size, threads, progress)
    base = runner.values((), correlation_targets(m))
    baseline = m.estimate(base["metric"])
    corr = rank_correlations(scn, seed, paths, runner.block_size, chosen, base, m) if correlations else None
    del base
    sweeps = sweep(runner, m, chosen, percentiles, low, high)
    sob = None
    if sobol:
        sr = Runner(scn, sobol_paths, seed, runner.block_size, threads, progress)
        sob = sobol_analysis(sr, m, chosen, sobol, n_boot=bootstrap)
        runner.runs += sr.runs
    return SensitivityResult(
        scenario=scn.scenario.name, metric=m, paths=paths, seed=seed, block_size=runner.block_size, low=low, high=high,
        percentiles=sorted(set(float(p) for p in percentiles)), baseline=baseline, sweeps=sweeps, correlations=corr,
        sobol=sob, inputs=chosen, seconds=time.perf_counter() - t0, runs=runner.runs, config_hash=scenario_hash(scn),
    )


def planned_runs(scenario, inputs: Sequence[Input], percentiles=PERCENTILES, low=LOW, high=HIGH, sobol: int = 0) -> int:
    """Runs :func:`analyse` will make (for a progress bar)."""
    total = 1 + sweep_runs(inputs, percentiles, low, high)
    if sobol:
        total += sobol * (len(_factors(scenario, inputs)) + 2)
    return total
