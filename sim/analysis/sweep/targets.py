"""Targets ``METRIC OP VALUE`` over a sweep's results rows (``p_cash_breach<=0.05``).

The same :class:`Target` outlines cells in a sweep's heatmap and is what
``sim.analysis.solve`` searches for.  A metric is a column of the results
table (:func:`metric_names`): a measure of the project's one vocabulary
(``sim.engine.measures``) that a run's summary holds.  Probabilities carry a
Wilson 95% interval as ``_lo`` / ``_hi`` columns, which :meth:`Target.surely` reads.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from sim.analysis.sweep.design import parse_quantity
from sim.engine.measures import DEAL_IMPACT_METRICS, MEASURES, Measure
from sim.model import ConfigError, ParameterError
from sim.present.formatting import MINUS, quantity

# The table's metric columns: the measures a run's summary holds under their own
# name (not aliases such as min_cash_median, which is min_cash_p50), in the
# table's order -- the 5% tail mean after the quantiles, as sweep.csv has it.
COLUMNS: tuple[Measure, ...] = tuple(
    sorted((m for m in MEASURES.values() if m.summary_key == m.name), key=lambda m: m.name == "min_cash_es5")
)
# Probabilities in the table, each with its Wilson 95% interval as _lo / _hi columns.
PROBABILITIES = tuple(m.name for m in COLUMNS if m.has_ci)
# for plot titles and axes: every measure (deal-impact columns appear when a target asks for them)
LABELS = {m.name: m.short_label for m in MEASURES.values()}

OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_TARGET_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


def metric_names() -> list[str]:
    """Columns of the results table a target can name (in ``sim.engine.measures`` order)."""
    return [m.name for m in MEASURES.values() if m.summary_key == m.name]


@dataclass(frozen=True)
class Target:
    """``METRIC OP VALUE``, e.g. ``p_cash_breach<=0.05``, over a results row."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    def describe(self, ascii: bool = False) -> str:
        """The target for people: ``P(cash < floor) ≤ 5.00%``, ``Minimum cash, 5th percentile ≥ $100M``
        (``ascii``: ``<=`` and a plain minus, for the terminal)."""
        m = MEASURES[self.metric]
        op = self.op if ascii else {"<=": "≤", ">=": "≥"}.get(self.op, self.op)
        return f"{m.short_label} {op} {quantity(self.value, m.unit, minus='-' if ascii else MINUS)}"

    def met(self, row: dict) -> bool:
        """Whether the row's estimate meets the target."""
        return bool(OPERATORS[self.op](row[self.metric], self.value))

    @property
    def has_ci(self) -> bool:
        return MEASURES[self.metric].has_ci

    def surely(self, row: dict) -> bool | None:
        """True when the whole 95% interval meets the target, False when none of it does, else None."""
        if not self.has_ci:
            return self.met(row)
        lo, hi = row[self.metric + "_lo"], row[self.metric + "_hi"]
        ends = (OPERATORS[self.op](lo, self.value), OPERATORS[self.op](hi, self.value))
        return ends[0] if ends[0] == ends[1] else None


def parse_target(text: str, source: str = "target") -> Target:
    """Parse ``METRIC<=VALUE`` (also ``<``, ``>=``, ``>``; VALUE may be ``5%`` or money).

    Parameters
    ----------
    text : str
        The target as written.
    source : str
        ``"target"`` (the parameter) or the path of the sweep file it was read from.

    Raises
    ------
    ParameterError
        ``target: problem`` for text that is not a target or names an unknown
        metric; a ``ConfigError`` ``FILE: target: problem`` when ``source`` is a file.
    """

    def error(problem: str) -> Exception:
        return ParameterError(source, problem) if source == "target" else ConfigError(source, "target", problem)

    m = _TARGET_RE.match(text or "")
    if not m:
        raise error(f"cannot read {text!r}: expected METRIC OP VALUE with OP one of <=, <, >=, > (e.g. 'p_cash_breach<=0.05')")
    metric, op, value_text = m.groups()
    # and the deal-impact metrics: a sweep or solve with such a target runs its cells with and without the deal
    known = metric_names() + list(DEAL_IMPACT_METRICS)
    if metric not in known:
        raise error(f"unknown metric {metric!r} (known: {', '.join(known)})")
    try:
        value = parse_quantity(value_text)
    except ValueError as e:
        raise error(f"{text!r}: {e}") from None
    return Target(metric, op, value)
