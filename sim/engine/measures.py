"""The project's one metric vocabulary: what a run's paths are judged by.

Sensitivity analyses, sweeps (targets and table columns), solve and precision
control all name a metric the same way.  A :class:`Measure` says what the
number means (``label``, ``unit``), how to compute it from every path's
outputs when a per-path value exists (``per_path`` and ``quantile``), and
where a run's summary (and a sweep table row) holds it (``summary_key``,
``summary_path``, ``ci_path``).

=============================  ===========  =====================================================
name                           unit         meaning
=============================  ===========  =====================================================
``p_cash_breach``              probability  P(cash < floor at some step)
``p_profit_compression_any``   probability  P(operating margin below base - margin_drop in any year)
``p_commitment_shortfall``     probability  P(a commitment shortfall in any year)
``p_breach_and_compression``   probability  P(a cash breach and profit compression on one path)
``p_net_loss_any``             probability  P(net income < 0 in any year); no summary key
``expected_shortfall_total``   money        mean commitment shortfall over the whole horizon
``min_cash_mean``              money        mean of each path's minimum cash
``min_cash_median``            money        median minimum cash (the summary's ``min_cash_p50``)
``min_cash_es5``               money        mean of the worst 5% of minimum cash; no per-path value
``min_cash_pNN``               money        minimum cash, NNth percentile (NN: 01 05 10 25 50 75 90 95 99)
``p_cash_breach_by_YYYY``      probability  P(cash < floor by the end of fiscal year YYYY)
``p_profit_compression_YYYY``  probability  P(profit compression in YYYY)
``p_net_loss_YYYY``            probability  P(net loss in YYYY)
``cash_end_mean_YYYY``         money        mean cash at the end of YYYY
``cash_end_median_YYYY``       money        median cash at the end of YYYY
``net_income_mean_YYYY``       money        mean net income in YYYY
``fcf_mean_YYYY``              money        mean free cash flow in YYYY
``operating_margin_mean_YYYY`` share        mean operating margin in YYYY
``p_cash_breach_delta``        share        P(breach with the deal) - P(breach without), paired [v2]
``net_savings_mean``           money        mean of each path's discount saved minus shortfall paid [v2]
``p_net_savings_negative``     probability  P(the deal's net savings < 0) [v2]
=============================  ===========  =====================================================

The three deal-impact measures need a run with ``deal_impact=True`` (``sim.engine.paired``).

Units: ``probability`` is the mean of a 0/1 indicator (Wilson intervals),
``money`` is USD millions, ``share`` a fraction that is not a probability
(shown as percent).  By-year names (``NAME_YYYY``) need the scenario's
horizon (:func:`resolve_metric` with ``scenario``).

>>> from sim.engine.measures import MEASURES, resolve_metric
>>> MEASURES["p_cash_breach"].label
'P(cash < floor at some step)'
>>> resolve_metric("min_cash_p05").quantile
0.05
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.engine.aggregate import QUANTILES
from sim.engine.kernel.compile import base_margin
from sim.engine.results import Z95, wilson
from sim.model import ParameterError

__all__ = [
    "UNITS",
    "Frame",
    "Estimate",
    "Measure",
    "MEASURES",
    "BY_YEAR",
    "ByYear",
    "resolve_metric",
    "metric_names",
    "DEAL_MEASURES",
    "DEAL_IMPACT_METRICS",
]

UNITS = ("probability", "money", "share")


@dataclass(frozen=True)
class Frame:
    """What a per-path measure needs besides the paths: the floor, the compression threshold, the calendar.

    Attributes
    ----------
    cash_floor : float
        USD millions.
    threshold : float
        Operating margin (fraction) below which a year counts as compressed.
    years : tuple of int
        The fiscal years of the horizon, (Y,).
    steps_per_year : int
    """

    cash_floor: float
    threshold: float
    years: tuple[int, ...]
    steps_per_year: int

    @classmethod
    def of(cls, scn) -> "Frame":
        start, n = scn.scenario.start, scn.scenario.years
        return cls(
            cash_floor=float(scn.policy.cash_floor),
            threshold=base_margin(scn) - scn.policy.margin_drop,
            years=tuple(range(start, start + n)),
            steps_per_year=scn.scenario.steps_per_year,
        )


@dataclass(frozen=True)
class Estimate:
    """A measure's estimate with its standard error and 95% interval (units of the measure)."""

    estimate: float
    se: float
    ci95: tuple[float, float]

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "se": self.se, "ci95": list(self.ci95)}


def _walk(summary: dict, path: tuple):
    value = summary
    for step in path:
        value = value[step]
    return value


@dataclass(frozen=True)
class Measure:
    """One named metric of a run.

    Attributes
    ----------
    name : str
        What callers pass as ``metric`` (``p_cash_breach``, ``cash_end_mean_2027``).
    label : str
        Words for titles ("P(cash < floor at some step)").
    unit : {"probability", "money", "share"}
        See the module docstring.
    per_path : callable or None
        ``(outputs, frame) -> (n,)`` per-path values, ``outputs`` as
        :func:`sim.engine.simulate.simulate_paths` returns them (or one
        block's, :func:`sim.engine.per_path.path_values`); None when the
        measure has no per-path value (a tail mean).
    quantile : float or None
        None: the measure is the mean of the per-path values; else this
        quantile of them (numpy's "linear" rule, as the summary's exact quantiles).
    summary_key : str or None
        Its column in a sweep table row (``sim.analysis.sweep``); None when a
        run's summary does not hold it.
    summary_path : tuple or None
        Keys (and list indices) to the number in a run's summary dict.
    ci_path : tuple or None
        Keys to its 95% interval ``[lo, hi]`` in a run's summary (probabilities).
    short_label : str
        Shorter words for axes and table headers (default: ``label``).
    """

    name: str
    label: str
    unit: str
    per_path: Callable | None = None
    quantile: float | None = None
    summary_key: str | None = None
    summary_path: tuple | None = None
    ci_path: tuple | None = None
    short_label: str = ""

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {self.unit!r}")
        if not self.short_label:
            object.__setattr__(self, "short_label", self.label)

    @property
    def is_mean(self) -> bool:
        return self.quantile is None

    @property
    def is_percent(self) -> bool:
        """Shown as percent (probabilities and shares)."""
        return self.unit != "money"

    @property
    def has_ci(self) -> bool:
        """Whether a run's summary (and a sweep row, as ``NAME_lo`` / ``NAME_hi``) holds its 95% interval."""
        return self.ci_path is not None

    def values(self, outputs: dict, frame: Frame) -> np.ndarray:
        """Per-path values (n,) from per-path ``outputs``."""
        if self.per_path is None:
            raise ParameterError("metric", f"{self.name}: has no per-path value")
        return np.asarray(self.per_path(outputs, frame), dtype=np.float64)

    def estimate(self, v: np.ndarray) -> Estimate:
        """The measure of per-path values ``v`` (n,) with its interval.

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

    def from_summary(self, summary: dict) -> float:
        """The number in a run's summary dict (``Result.summary``)."""
        if self.summary_path is None:
            raise ParameterError("metric", f"{self.name}: a run's summary does not hold it")
        return float(_walk(summary, self.summary_path))

    def ci95_from_summary(self, summary: dict) -> tuple[float, float] | None:
        """Its 95% interval in a run's summary; None for measures without one."""
        if self.ci_path is None:
            return None
        lo, hi = _walk(summary, self.ci_path)
        return float(lo), float(hi)

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "unit": self.unit, "quantile": self.quantile}


# ---------------------------------------------------------------------------
# The measures
# ---------------------------------------------------------------------------


def _breach(o, f):
    return o["first_breach_step"] > 0


def _compressed_any(o, f):
    return (o["operating_margin"] < f.threshold).any(axis=1)


def _min_cash(o, f):
    return o["min_cash"]


def _qkey(q: float) -> str:
    return repr(float(q))  # the summary's quantile keys ("0.05")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _probability(name, label, short, fn, summary=True):
    if not summary:
        return Measure(name, label, "probability", fn, short_label=short)
    # p_cash_breach is a {estimate, ci95, se, count} dict; the others a number beside NAME_ci95
    nested = name == "p_cash_breach"
    return Measure(name, label, "probability", fn, summary_key=name,
                   summary_path=(name, "estimate") if nested else (name,),
                   ci_path=(name, "ci95") if nested else (name + "_ci95",), short_label=short)


def _min_cash_quantile(q: float) -> Measure:
    pct = round(q * 100)
    return Measure(f"min_cash_p{pct:02d}", f"Minimum cash, {_ordinal(pct)} percentile", "money", _min_cash,
                   quantile=q, summary_key=f"min_cash_p{pct:02d}", summary_path=("min_cash", "quantiles", _qkey(q)))


def _breach_added(o, f):
    return (o["first_breach_step"] > 0).astype(np.float64) - (o["first_breach_step_no_deal"] > 0)


# [v2] Deal impact (MODEL.md section 7): in a summary only from a run with deal_impact=True
# (summary["deal_impact"]); per-path values from sim.engine.paired.deal_path_values, whose outputs
# add ``first_breach_step_no_deal`` and ``net_savings`` to a block's.  The breach delta's per-path
# value is d_i in {-1, 0, 1}; as a "share" its interval is the paired normal one (mean +- 1.96 sd/sqrt(n)).
DEAL_MEASURES: tuple[Measure, ...] = (
    Measure("p_cash_breach_delta", "P(cash < floor) added by signing the deal (paired)", "share", _breach_added,
            summary_path=("deal_impact", "p_cash_breach_delta", "estimate"),
            ci_path=("deal_impact", "p_cash_breach_delta", "ci95"), short_label="P(breach) added by the deal"),
    Measure("net_savings_mean", "Mean net savings of the deal (discount saved minus shortfall paid)", "money",
            lambda o, f: o["net_savings"], summary_path=("deal_impact", "net_savings", "mean"),
            short_label="Mean net savings"),
    Measure("p_net_savings_negative", "P(the deal's net savings < 0)", "probability",
            lambda o, f: o["net_savings"] < 0, summary_path=("deal_impact", "net_savings", "p_negative"),
            ci_path=("deal_impact", "net_savings", "p_negative_ci95"), short_label="P(net savings < 0)"),
)
DEAL_IMPACT_METRICS = tuple(m.name for m in DEAL_MEASURES)  # these need a run with deal_impact=True


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in [
        _probability("p_cash_breach", "P(cash < floor at some step)", "P(cash < floor)", _breach),
        _probability("p_profit_compression_any", "P(profit compression in any year)", "P(profit compression)",
                     _compressed_any),
        _probability("p_commitment_shortfall", "P(any commitment shortfall)", "P(commitment shortfall)",
                     lambda o, f: (o["shortfall"] > 0).any(axis=1)),
        _probability("p_breach_and_compression", "P(cash breach and profit compression)", "P(breach and compression)",
                     lambda o, f: _breach(o, f) & _compressed_any(o, f)),
        _probability("p_net_loss_any", "P(net loss in any year)", "P(net loss)",
                     lambda o, f: (o["net_income"] < 0).any(axis=1), summary=False),
        Measure("expected_shortfall_total", "Expected commitment shortfall, whole horizon", "money",
                lambda o, f: o["shortfall"].sum(axis=1), summary_key="expected_shortfall_total",
                summary_path=("expected_shortfall_total",), short_label="Expected commitment shortfall"),
        Measure("min_cash_mean", "Mean minimum cash", "money", _min_cash, summary_key="min_cash_mean",
                summary_path=("min_cash", "mean")),
        Measure("min_cash_median", "Median minimum cash", "money", _min_cash, quantile=0.5, summary_key="min_cash_p50",
                summary_path=("min_cash", "quantiles", _qkey(0.5))),
        Measure("min_cash_es5", "Mean of the worst 5% of minimum cash", "money", summary_key="min_cash_es5",
                summary_path=("min_cash", "expected_shortfall_5pct"), short_label="Minimum cash, mean of the worst 5%"),
        *[_min_cash_quantile(q) for q in QUANTILES],
        *DEAL_MEASURES,
    ]
}


@dataclass(frozen=True)
class ByYear:
    """A family of measures ``PREFIX_YYYY``, one per fiscal year of the horizon.

    ``per_path(outputs, frame, i)`` gives year index ``i``'s per-path values;
    ``series`` and ``statistic`` locate the number in a run's summary:
    ``summary[series][i]`` for a probability (its interval in
    ``summary[series + "_ci95"][i]``),
    ``summary["by_year"][series][*statistic][i]`` for money and shares.
    """

    label: str  # with {y} for the year
    unit: str
    per_path: Callable
    series: str
    statistic: tuple = ()  # ("mean",) or ("quantiles", "0.5") under summary["by_year"][series]
    quantile: float | None = None

    def measure(self, name: str, year: int, index: int) -> Measure:
        if self.unit == "probability":
            path, ci = (self.series, index), (self.series + "_ci95", index)
        else:
            path, ci = ("by_year", self.series, *self.statistic, index), None
        fn = self.per_path
        return Measure(name, self.label.format(y=year), self.unit, lambda o, f: fn(o, f, index), self.quantile,
                       summary_key=name, summary_path=path, ci_path=ci)


def _breach_by(o, f, i):
    first = o["first_breach_step"]
    return (first > 0) & (first <= (i + 1) * f.steps_per_year)


BY_YEAR: dict[str, ByYear] = {
    "p_cash_breach_by": ByYear("P(cash < floor by the end of {y})", "probability", _breach_by, "p_cash_breach_by_year"),
    "p_profit_compression": ByYear("P(profit compression in {y})", "probability",
                                   lambda o, f, i: o["operating_margin"][:, i] < f.threshold,
                                   "p_profit_compression_by_year"),
    "p_net_loss": ByYear("P(net loss in {y})", "probability", lambda o, f, i: o["net_income"][:, i] < 0,
                         "p_net_loss_by_year"),
    "cash_end_mean": ByYear("Mean cash at the end of {y}", "money", lambda o, f, i: o["cash_end"][:, i],
                            "cash_end", ("mean",)),
    "cash_end_median": ByYear("Median cash at the end of {y}", "money", lambda o, f, i: o["cash_end"][:, i],
                              "cash_end", ("quantiles", _qkey(0.5)), quantile=0.5),
    "net_income_mean": ByYear("Mean net income in {y}", "money", lambda o, f, i: o["net_income"][:, i],
                              "net_income", ("mean",)),
    "fcf_mean": ByYear("Mean free cash flow in {y}", "money", lambda o, f, i: o["fcf"][:, i], "fcf", ("mean",)),
    "operating_margin_mean": ByYear("Mean operating margin in {y}", "share",
                                    lambda o, f, i: o["operating_margin"][:, i], "operating_margin", ("mean",)),
}
_BY_YEAR_RE = re.compile(r"^(" + "|".join(BY_YEAR) + r")_(\d{4})$")


def metric_names(per_path: bool = False, summary: bool = False, by_year: bool = True) -> list[str]:
    """Measure names for help texts and messages (by-year ones with a YYYY placeholder).

    Parameters
    ----------
    per_path : only measures with a per-path value (what a sensitivity analysis can explain)
    summary : only measures a run's summary holds (``summary_key``: sweep targets and columns)
    by_year : include the by-year families (``NAME_YYYY``)
    """
    names = [m.name for m in MEASURES.values()
             if (not per_path or m.per_path is not None) and (not summary or m.summary_key is not None)]
    return names + ([f"{p}_YYYY" for p in BY_YEAR] if by_year else [])


def resolve_metric(name: str, scenario=None, *, per_path: bool = False) -> Measure:
    """The measure called ``name``; by-year names (``p_cash_breach_by_2027``) need the scenario.

    Parameters
    ----------
    name : str
    scenario : Scenario, optional
        Its horizon gives the by-year measures' years.
    per_path : bool
        Accept only measures with a per-path value.

    Raises
    ------
    ParameterError
        ``metric: NAME: unknown metric (known: ...)``, a year outside the
        horizon, or (``per_path``) a measure without per-path values.
    """
    known = metric_names(per_path=per_path)
    if name in MEASURES:
        m = MEASURES[name]
        if per_path and m.per_path is None:
            raise ParameterError("metric", f"{name}: has no per-path value (per-path metrics: {', '.join(known)})")
        return m
    match = _BY_YEAR_RE.match(name)
    if match is None:
        raise ParameterError("metric", f"{name}: unknown metric (known: {', '.join(known)})")
    if scenario is None:
        raise ParameterError("metric", f"{name}: a by-year metric needs the scenario")
    prefix, year = match.group(1), int(match.group(2))
    years = Frame.of(scenario).years
    if year not in years:
        raise ParameterError("metric", f"{name}: year {year} is outside the horizon {years[0]}-{years[-1]}")
    return BY_YEAR[prefix].measure(name, year, year - years[0])
