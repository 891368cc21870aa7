"""Mergeable summaries of blocks of paths.

A block's per-path outputs are reduced to counts (exact integers), sums
(merged in block order, so float results do not depend on thread count) and
quantile data: the values themselves while they fit the memory budget
(exact quantiles), a :class:`~sim.engine.kernel.sketch.QuantileSketch` beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.kernel.sketch import QuantileSketch

QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
BY_YEAR = ("cash_end", "revenue", "operating_income", "net_income", "fcf", "operating_margin", "cloud_cost", "shortfall", "fines", "cloud_usage")
EXACT_BUDGET_BYTES = 256 * 2**20
#: per-commitment fields (``sim.engine.kernel.commitments.K_*`` order) and their per-path names in ``simulate_paths``
BY_COMMITMENT = ("shortfall", "steered", "deferred", "usage")


@dataclass(frozen=True)
class SeriesLayout:
    """Columns of the per-path series matrix whose quantiles are reported."""

    n_years: int
    n_steps: int
    record_steps: bool
    n_commitments: int  # ``Model.n_commitments``: the kernel writes one total-shortfall column per commitment

    @property
    def n_series(self) -> int:
        return 1 + len(BY_YEAR) * self.n_years + (self.n_steps if self.record_steps else 0) + self.n_commitments

    def by_year(self, name: str) -> slice:
        i = BY_YEAR.index(name)
        return slice(1 + i * self.n_years, 1 + (i + 1) * self.n_years)

    @property
    def steps(self) -> slice:
        start = 1 + len(BY_YEAR) * self.n_years
        return slice(start, start + self.n_steps)

    @property
    def commitment_totals(self) -> slice:
        """Columns of each commitment's total shortfall paid over the horizon (the last ones)."""
        start = 1 + len(BY_YEAR) * self.n_years + (self.n_steps if self.record_steps else 0)
        return slice(start, start + self.n_commitments)


def per_path(series: np.ndarray, first_breach: np.ndarray, lay: SeriesLayout, by_commitment: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Named views of a block's series matrix (keys of ``sim.engine.simulate.simulate_paths``).

    ``by_commitment`` (4, J, Y, n), the kernel's per-commitment series, gives
    ``shortfall_by_commitment``, ``steered_by_commitment``,
    ``deferred_by_commitment`` and ``usage_by_commitment`` (usage counted at
    each settlement), each (n, J, Y).
    """
    out = {name: series[:, lay.by_year(name)] for name in BY_YEAR}
    out["min_cash"] = series[:, 0]
    out["first_breach_step"] = first_breach
    if lay.record_steps:
        out["cash"] = series[:, lay.steps]
    if by_commitment is not None:
        for f, name in enumerate(BY_COMMITMENT):
            out[f"{name}_by_commitment"] = np.ascontiguousarray(by_commitment[f].transpose(2, 0, 1))
    return out


@dataclass
class BlockStats:
    """Counts and sums of one block, as the kernel tallies them."""

    n: int
    year_counts: np.ndarray  # (5, Y): first breach in y, compression, net loss, NI below base, shortfall in y
    path_counts: np.ndarray  # (3,): compression in any year, breach and compression, any shortfall
    sums: np.ndarray  # (n_series,) sums of every series column
    step_counts: np.ndarray  # (K,) paths whose first breach is at step k
    debt_counts: np.ndarray  # (J,) paths short of the principal at debt j's maturity
    cloud_parts: np.ndarray  # (3, Y) sums of usage at base prices, at current prices, after silicon
    com_sums: np.ndarray  # (4, J, Y) per commitment: sums of shortfall paid, steered, deferred, usage counted (BY_COMMITMENT)
    com_counts: np.ndarray  # (J, Y + 1) per commitment: paths paying a shortfall in year y; in any year (last column)
    weighted: np.ndarray | None = None  # (4, Y + 1) importance-sampling sums (sim.engine.simulate.weighted_breach)
    actual_counts: np.ndarray | None = None  # (A, 2) per value actual: paths below it, paths equal (count_actuals)

    @classmethod
    def empty(cls, n: int, n_years: int, n_steps: int, n_debts: int, n_series: int, n_commitments: int = 0) -> "BlockStats":
        return cls(
            n,
            np.zeros((5, n_years), dtype=np.int64),
            np.zeros(3, dtype=np.int64),
            np.zeros(n_series),
            np.zeros(n_steps, dtype=np.int64),
            np.zeros(n_debts, dtype=np.int64),
            np.zeros((3, n_years)),
            np.zeros((len(BY_COMMITMENT), n_commitments, n_years)),
            np.zeros((n_commitments, n_years + 1), dtype=np.int64),
        )


class Totals:
    """Block statistics merged in block order (float sums: fixed order, fixed result)."""

    def __init__(self, n_years: int, n_steps: int, n_debts: int, n_series: int, n_commitments: int = 0):
        self.n = 0
        self.year_counts = np.zeros((5, n_years), dtype=np.int64)
        self.path_counts = np.zeros(3, dtype=np.int64)
        self.sums = np.zeros(n_series)
        self.step_counts = np.zeros(n_steps, dtype=np.int64)
        self.debt_counts = np.zeros(n_debts, dtype=np.int64)
        self.cloud_parts = np.zeros((3, n_years))
        self.com_sums = np.zeros((len(BY_COMMITMENT), n_commitments, n_years))
        self.com_counts = np.zeros((n_commitments, n_years + 1), dtype=np.int64)
        self.weighted = None
        self.actual_counts = None  # (A, 2) when the scenario has value actuals

    def add(self, s: BlockStats) -> None:
        self.n += s.n
        self.year_counts += s.year_counts
        self.path_counts += s.path_counts
        self.sums += s.sums
        self.step_counts += s.step_counts
        self.debt_counts += s.debt_counts
        self.cloud_parts += s.cloud_parts
        self.com_sums += s.com_sums
        self.com_counts += s.com_counts
        if s.weighted is not None:
            self.weighted = s.weighted.copy() if self.weighted is None else self.weighted + s.weighted
        if s.actual_counts is not None:
            self.actual_counts = s.actual_counts.copy() if self.actual_counts is None else self.actual_counts + s.actual_counts

    @property
    def breach_by_year(self) -> np.ndarray:
        return self.year_counts[0]

    @property
    def compression(self) -> np.ndarray:
        return self.year_counts[1]

    @property
    def net_loss(self) -> np.ndarray:
        return self.year_counts[2]

    @property
    def below_base(self) -> np.ndarray:
        return self.year_counts[3]

    @property
    def shortfall_by_year(self) -> np.ndarray:
        return self.year_counts[4]

    @property
    def compression_any(self) -> int:
        return int(self.path_counts[0])

    @property
    def breach_and_compression(self) -> int:
        return int(self.path_counts[1])

    @property
    def shortfall_paths(self) -> int:
        return int(self.path_counts[2])


def count_actuals(series: np.ndarray, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per value actual, the block's paths strictly below it and equal to it (exact integers).

    Parameters
    ----------
    series : ndarray (S, n)
        The block's series matrix, series by series.
    columns, values : ndarray (A,)
        Each actual's series column and realised value (``sim.engine.backtest.value_targets``).

    Returns
    -------
    int64 ndarray (A, 2)
        Columns: paths below, paths equal.  Merged over blocks by addition.
    """
    rows = series[columns]  # (A, n)
    v = values[:, None]
    return np.stack([(rows < v).sum(axis=1), (rows == v).sum(axis=1)], axis=1).astype(np.int64)


class ExactQuantiles:
    """Keeps every path's series; exact quantiles (numpy's "linear" method)."""

    method = "exact"

    def __init__(self):
        self.blocks: list[np.ndarray] = []
        self._sorted: np.ndarray | None = None

    def add(self, series: np.ndarray) -> None:
        """Keep a block's series matrix (n, S); a transposed view of an (S, n) array is kept without a copy."""
        self.blocks.append(series.T)
        self._sorted = None

    def sorted(self) -> np.ndarray:
        """Every series sorted, shape (n_series, n): one sort serves all quantiles and tails.

        (numpy's quantile with nine levels partitions nine times over; sorting
        once is about seven times faster here.)
        """
        if self._sorted is None:
            values = np.concatenate(self.blocks, axis=1)  # (S, n): each series' row contiguous
            values.sort(axis=1)
            self.blocks = [values]  # sorted rows still hold every path's values
            self._sorted = values
        return self._sorted

    def quantiles(self, qs) -> np.ndarray:
        v = self.sorted()
        n = v.shape[1]
        out = np.empty((len(qs), v.shape[0]))
        for j, q in enumerate(qs):
            h = (n - 1) * q
            lo = int(np.floor(h))
            hi = min(lo + 1, n - 1)
            out[j] = v[:, lo] + (h - lo) * (v[:, hi] - v[:, lo])
        return out

    def lower_tail_mean(self, q: float, column: int) -> float:
        v = self.sorted()[column]
        take = max(1, int(np.ceil(q * v.size)))
        return float(v[:take].mean())

    def histogram(self, column: int, edges: np.ndarray) -> np.ndarray:
        """Counts of ``column`` in the bins ``edges`` (outside values join the end bins)."""
        return np.histogram(np.clip(self.sorted()[column], edges[0], edges[-1]), edges)[0]


class SketchQuantiles:
    """Quantiles from per-thread sketches merged at the end (counts are order-free)."""

    method = "sketch"

    def __init__(self, sketches: list[QuantileSketch]):
        self.sketch = sketches[0]
        for s in sketches[1:]:
            self.sketch.merge(s)

    def quantiles(self, qs) -> np.ndarray:
        return self.sketch.quantiles(qs)

    def lower_tail_mean(self, q: float, column: int) -> float:
        return float(self.sketch.lower_tail_mean(q)[column])

    def histogram(self, column: int, edges: np.ndarray) -> np.ndarray:
        """Counts of ``column`` in the bins ``edges``, each bucket counted at its midpoint."""
        return self.sketch.histogram(column, edges)


def use_exact(paths: int, lay: SeriesLayout, mode: str) -> bool:
    """Whether quantiles are exact: ``mode`` "exact", "sketch" or "auto" (memory budget)."""
    if mode == "exact":
        return True
    if mode == "sketch":
        return False
    return paths * lay.n_series * 8 <= EXACT_BUDGET_BYTES
