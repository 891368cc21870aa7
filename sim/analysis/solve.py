"""``sim solve``: the largest (or smallest) value of one key that meets a target.

Bisection on common random numbers: every run uses the same seed, paths and
block size, so the estimate moves with the key only (for a key that acts
monotonically on every path, such as the commitment total, the estimate is
monotone too and bisection is exact for the estimate).  The Monte Carlo
error is reported as a band: the values whose estimate is within the 95%
interval of the target -- those whose Wilson interval contains the target
value -- found by two more bisections.

>>> from sim.analysis.solve import solve
>>> from sim.analysis.sweep import parse_target
>>> s = solve("pinterest_aws_2031", "cloud.commitment.total", 2000, 8000,
...           parse_target("p_cash_breach<=0.05"), paths=100_000)  # doctest: +SKIP
>>> s.answer, s.band  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

from sim.analysis.sweep import (
    DEFAULT_SWEEP_PATHS,
    Design,
    Target,
    number_text,
    prepare_cells,
    resolved_value,
    run_cells,
    summary_row,
)
from sim.engine.measures import DEAL_IMPACT_METRICS, MEASURES
from sim.engine.simulate import DEFAULT_BLOCK_SIZE
from sim.model import ParameterError, load_scenario, scenario_to_dict
from sim.model.labels import key_unit, parameter_label
from sim.present.formatting import quantity

DEFAULT_STEPS = 200  # default tolerance: the range over this many steps


@dataclass
class Evaluation:
    """One run: the key's value, its table row (``sim.analysis.sweep.summary_row``), whether it meets the target."""

    value: float
    row: dict
    meets: bool
    surely: bool | None  # the whole 95% interval meets (True) / misses (False) the target, or neither (None)


@dataclass
class Solution:
    """What :func:`solve` found.

    Attributes
    ----------
    status : {"found", "all", "none"}
        ``found``: a boundary inside the range; ``all``: the far end of the
        range meets the target already; ``none``: no value in the range does.
    answer : float or None
        The largest (smallest) value found to meet the target.
    bracket : (float, float) or None
        The answer and the nearest value found not to meet it (tolerance apart).
    band : (float, float) or None
        Values whose 95% interval contains the target value (ascending);
        None for metrics without an interval.
    """

    key: str
    target: Target
    largest: bool
    lo: float
    hi: float
    tolerance: float
    status: str
    answer: float | None
    bracket: tuple[float, float] | None
    band: tuple[float, float] | None
    evaluations: list[Evaluation] = field(default_factory=list)
    paths: int = 0
    seed: int = 0
    block_size: int = 0

    @property
    def at_answer(self) -> Evaluation | None:
        return next((e for e in self.evaluations if e.value == self.answer), None)

    def to_dict(self) -> dict:
        at = self.at_answer
        metric = self.target.metric
        return {
            "key": self.key,
            "target": str(self.target),
            "direction": "largest" if self.largest else "smallest",
            "between": [self.lo, self.hi],
            "tolerance": self.tolerance,
            "status": self.status,
            "answer": self.answer,
            "bracket": list(self.bracket) if self.bracket else None,
            "band": list(self.band) if self.band else None,
            "estimate": at.row[metric] if at else None,
            "ci95": [at.row[metric + "_lo"], at.row[metric + "_hi"]] if at and self.target.has_ci else None,
            "paths": self.paths,
            "seed": self.seed,
            "block_size": self.block_size,
            "evaluations": [
                {"value": e.value, "estimate": e.row[metric], "ci95": [e.row[metric + "_lo"], e.row[metric + "_hi"]] if self.target.has_ci else None, "meets": e.meets}
                for e in sorted(self.evaluations, key=lambda e: e.value)
            ],
        }

    def __str__(self) -> str:
        word = "largest" if self.largest else "smallest"
        name, goal = parameter_label(self.key), self.target.describe(ascii=True)
        v = functools.partial(_v, key=self.key)
        lines = []
        if self.status == "none":
            lines.append(f"no {name} ({self.key}) in {v(self.lo)} .. {v(self.hi)} meets {goal}")
            for e in sorted(self.evaluations, key=lambda e: e.value):
                lines.append(f"  at {v(e.value)}: {_estimate(e, self.target)}")
        else:
            fine = functools.partial(_v, key=self.key, tol=self.tolerance)
            where = "the end of the range" if self.status == "all" else f"bracket {fine(self.bracket[0])} .. {fine(self.bracket[1])}"
            lines.append(f"{word} {name} ({self.key}) with {goal}: {v(self.answer)} ({where})")
            lines.append(f"  at {v(self.answer)}: {_estimate(self.at_answer, self.target)}")
            if self.band is not None:
                m = MEASURES[self.target.metric]
                lines.append(f"  Monte Carlo band: {fine(self.band[0])} .. {fine(self.band[1])} (values whose 95% CI contains "
                             f"{quantity(self.target.value, m.unit, minus='-')})")
        lines.append(f"  {len(self.evaluations)} runs of {self.paths:,} paths, seed {self.seed} (common random numbers)")
        return "\n".join(lines)


def _v(x: float, key: str = "", tol: float | None = None) -> str:
    """A value of the solved key in its unit: ``$4.39B``, ``7.98%``; with ``tol``, digits enough to tell
    values ``tol`` apart (``$90.00M``, ``$90.01M``: a bracket)."""
    unit = key_unit(key)
    if tol is None or not tol > 0 or not math.isfinite(x):
        return quantity(x, unit, minus="-")
    sign = "-" if x < 0 else ""
    if unit == "money":
        scale, suffix = (1000.0, "B") if abs(x) >= 1000 else ((1.0, "M") if abs(x) >= 1 else (0.001, "K"))
        return f"{sign}${abs(x) / scale:,.{_places(tol / scale)}f}{suffix}"
    if unit == "percent":
        return f"{100 * x:.{_places(100 * tol)}f}%"
    return f"{x:,.{_places(tol)}f}"


def _places(step: float) -> int:
    """Decimals that resolve ``step`` (one more than its own, at least two): a bracket
    narrower than the tolerance still reads as two values."""
    return max(2, math.ceil(-math.log10(step) - 1e-9) + 1)


def _estimate(e: Evaluation, target: Target) -> str:
    """``P(cash < floor) = 4.87% [4.50%, 5.26%]``: the metric at one run, as ``run`` prints it."""
    m = MEASURES[target.metric]
    text = f"{m.short_label} = {quantity(e.row[target.metric], m.unit, minus='-')}"
    if target.has_ci:
        lo, hi = e.row[target.metric + "_lo"], e.row[target.metric + "_hi"]
        text += f" [{quantity(lo, m.unit, minus='-')}, {quantity(hi, m.unit, minus='-')}]"
    return text


def solve(
    config,
    key: str,
    lo: float,
    hi: float,
    target: Target,
    largest: bool = True,
    tol: float | None = None,
    paths: int = DEFAULT_SWEEP_PATHS,
    seed: int = 0,
    block_size: int | None = None,
    quantiles: str = "auto",
    overrides: Sequence[str] = (),
    integer: bool | None = None,
    executor=None,
    threads: int | None = None,
    folder: str | os.PathLike | None = None,
    source: str = "vary",
    progress: Callable[[float], None] | None = None,
) -> Solution:
    """Find the largest (``largest=False``: smallest) ``key`` in [lo, hi] meeting ``target``.

    Assumes the metric moves one way with the key.  With ``largest`` the
    values meeting the target are sought at the low end of the range (e.g.
    the biggest commitment with P(breach) <= 5%); otherwise at the high end.

    Parameters
    ----------
    config : str, path or dict
        The base scenario.
    key : str
        Dotted config key to vary (``cloud.commitment.total``); plain numbers
        are in the key's units (USD millions for money).
    lo, hi : float
        The range searched.
    target : Target
        ``sim.analysis.sweep.parse_target("p_cash_breach<=0.05")``.
    tol : float, optional
        Stop when the bracket is this narrow (default (hi - lo) / 200; at
        least 1 for integer keys).
    integer : bool, optional
        Search integers only (default: when the key's value in the base
        config is an integer and so are lo and hi).
    folder : path, optional
        Keep each run's result here (``sim.analysis.sweep`` cell files), so a rerun
        reuses them.
    source : str
        What a problem with ``key`` or its values is attributed to: a
        parameter (``ParameterError("vary", "KEY: problem")``) or a sweep file
        (``sim.analysis.sweep.source_error``).
    progress : callable, optional
        Called with fractions of a run as blocks finish.

    Raises
    ------
    ParameterError
        ``lo`` > ``hi``; the key or a value in the range is invalid (``vary: KEY: problem``).
    ConfigError
        The base config is invalid.
    """
    block_size = block_size or DEFAULT_BLOCK_SIZE
    if lo > hi:
        raise ParameterError("lo", f"must not exceed hi ({lo:g} > {hi:g})")
    if integer is None:
        base = resolved_value(scenario_to_dict(load_scenario(config, overrides)), key)
        integer = isinstance(base, int) and not isinstance(base, bool) and float(lo).is_integer() and float(hi).is_integer()
    tol = (hi - lo) / DEFAULT_STEPS if tol is None else tol
    if integer:
        tol = max(1.0, math.ceil(tol))
    tol = max(tol, 1e-12 * max(abs(lo), abs(hi), 1.0))
    seen: dict[float, Evaluation] = {}

    def evaluate(x: float) -> Evaluation:
        x = float(round(x)) if integer else float(x)
        if x not in seen:
            design = Design([key], [{key: number_text(x, integer)}], {key: source})
            (cell,) = prepare_cells(config, design, overrides, seed, paths, block_size, quantiles,
                                    deal_impact=target.metric in DEAL_IMPACT_METRICS)
            (summary,) = run_cells([cell], paths, seed, block_size, quantiles, folder, executor, threads, progress)
            row = summary_row(summary)
            seen[x] = Evaluation(x, row, target.met(row), target.surely(row))
        return seen[x]

    def mid(a: float, b: float) -> float:
        return float((a + b) // 2) if integer else (a + b) / 2

    def last_true(pred: Callable[[Evaluation], bool], near: float, far: float) -> tuple[float, float]:
        """Bisect for the boundary of ``pred`` (true at ``near``, false at ``far``): (last true, first false)."""
        s = 1.0 if far > near else -1.0
        inside = [e for e in seen.values() if s * near <= s * e.value <= s * far]
        true_at = max((e.value for e in inside if pred(e)), key=lambda v: s * v, default=near)
        false_at = min((e.value for e in inside if not pred(e) and s * e.value > s * true_at), key=lambda v: s * v, default=far)
        while abs(false_at - true_at) > tol:
            m = mid(min(true_at, false_at), max(true_at, false_at))
            if m in (true_at, false_at):
                break
            if pred(evaluate(m)):
                true_at = m
            else:
                false_at = m
        return true_at, false_at

    near, far = (lo, hi) if largest else (hi, lo)  # the end where the target is met, the other end
    at_far, at_near = evaluate(far), evaluate(near)
    result = dict(key=key, target=target, largest=largest, lo=lo, hi=hi, tolerance=tol, paths=paths, seed=seed, block_size=block_size)
    if at_far.meets:
        return Solution(status="all", answer=far, bracket=None, band=None, evaluations=list(seen.values()), **result)
    if not at_near.meets:
        return Solution(status="none", answer=None, bracket=None, band=None, evaluations=list(seen.values()), **result)
    answer, beyond = last_true(lambda e: e.meets, near, far)
    band = None
    if target.has_ci:
        # from the meeting end: values surely meeting, then a band of values whose CI holds
        # the target value, then values surely missing it
        sure = at_near.surely is True
        first_unsure = last_true(lambda e: e.surely is True, near, far)[1] if sure else near
        last_possible = last_true(lambda e: e.surely is not False, near, far)[0]
        band = tuple(sorted((first_unsure, last_possible)))
    return Solution(status="found", answer=answer, bracket=(answer, beyond), band=band, evaluations=list(seen.values()), **result)
