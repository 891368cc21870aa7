"""[v2] Back-test scores of one run against its ``[[actuals]]`` (MODEL.md section 7).

For a realised value the engine counts, block by block, the paths strictly
below it and those equal to it (``sim.engine.aggregate.count_actuals``), so the
probability integral transform is exact whatever the quantile mode:

    PIT = (#below + 1/2 #equal) / n.

The value lies inside the central 50% band when 0.25 <= PIT <= 0.75 and inside
the 90% band when 0.05 <= PIT <= 0.95 (boundaries included).  For a realised
event the run's probability p is scored by Brier, (p - [happened])^2.
Calibration over many actuals (several configs) is ``sim.analysis.backtest``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BANDS", "backtest_summary", "brier", "event_probability", "in_band", "pit", "value_targets"]

#: central bands: name -> (lowest PIT, highest PIT) inside, both ends included
BANDS = {"50": (0.25, 0.75), "90": (0.05, 0.95)}


def pit(below: int, equal: int, n: int) -> float:
    """Probability integral transform with half-ties: ``(below + equal / 2) / n``.

    Parameters
    ----------
    below, equal : int
        Paths strictly below the actual, and equal to it.
    n : int
        Paths in the run (>= 1).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    return (below + 0.5 * equal) / n


def in_band(p: float, band: str) -> bool:
    """Whether a PIT lies inside the central band ``"50"`` or ``"90"`` (ends included)."""
    lo, hi = BANDS[band]
    return lo <= p <= hi


def brier(p: float, happened: bool) -> float:
    """Brier score ``(p - [happened])**2`` of a forecast probability ``p`` in [0, 1]."""
    return (p - (1.0 if happened else 0.0)) ** 2


def value_targets(actuals, fiscal_years: np.ndarray, by_year_column) -> tuple[np.ndarray, np.ndarray]:
    """Series columns and values of the value actuals, in ``actuals`` order (events skipped).

    Parameters
    ----------
    actuals : sequence of sim.model.Actual
    fiscal_years : ndarray (Y,)
        The run's fiscal years.
    by_year_column : callable
        ``(metric, year_index) -> column`` of the per-path series matrix.

    Returns
    -------
    columns : int64 ndarray (A,)
    values : float64 ndarray (A,)
        USD millions, or a fraction for ``operating_margin``.
    """
    years = [int(y) for y in fiscal_years]
    cols, vals = [], []
    for a in actuals:
        if a.kind != "value":
            continue
        cols.append(by_year_column(a.metric, years.index(a.year)))
        vals.append(a.value)
    return np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=np.float64)


def event_probability(summary: dict, event: str, year: int) -> float:
    """The run's probability of an event actual.

    ``cash_breach``: first breach in or before ``year`` (``p_cash_breach_by_year``);
    ``shortfall``: a shortfall paid in ``year`` under any commitment (``p_shortfall_by_year``).
    """
    i = summary["years"].index(year)
    key = {"cash_breach": "p_cash_breach_by_year", "shortfall": "p_shortfall_by_year"}[event]
    return float(summary[key][i])


def backtest_summary(summary: dict, actuals, counts: np.ndarray, n: int) -> dict:
    """The summary's ``backtest`` field.

    Parameters
    ----------
    summary : dict
        The run's summary so far (``by_year`` quantiles, event probabilities).
    actuals : sequence of sim.model.Actual
    counts : int64 ndarray (A, 2)
        Per value actual (``value_targets`` order): paths below, paths equal.
    n : int
        Paths.

    Returns
    -------
    dict
        ``actuals`` (one dict per entry, in config order), ``coverage50``,
        ``coverage90`` (fractions of value actuals inside the bands, None
        without any), ``mean_pit``, ``mean_brier`` (None without events), ``pit_method``.
    """
    rows, k = [], 0
    for a in actuals:
        row = {"kind": a.kind, "name": a.name, "year": a.year, "source": a.source}
        if a.kind == "value":
            below, equal = (int(x) for x in counts[k])
            k += 1
            p = pit(below, equal, n)
            i = summary["years"].index(a.year)
            q = summary["by_year"][a.metric]["quantiles"]
            row.update(
                value=a.value, below=below, equal=equal, pit=p,
                p5=q["0.05"][i], p50=q["0.5"][i], p95=q["0.95"][i],
                in50=in_band(p, "50"), in90=in_band(p, "90"),
            )
        else:
            p = event_probability(summary, a.event, a.year)
            row.update(happened=a.happened, p=p, brier=brier(p, a.happened))
        rows.append(row)
    values = [r for r in rows if r["kind"] == "value"]
    events = [r for r in rows if r["kind"] == "event"]

    def mean(xs):
        return float(np.mean(xs)) if xs else None

    return {
        "actuals": rows,
        "coverage50": mean([float(r["in50"]) for r in values]),
        "coverage90": mean([float(r["in90"]) for r in values]),
        "mean_pit": mean([r["pit"] for r in values]),
        "mean_brier": mean([r["brier"] for r in events]),
        "pit_method": "exact counts over every path (no interpolation)",
    }
