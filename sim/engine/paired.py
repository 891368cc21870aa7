"""Deal impact: every path with and without the deal, on the same draws (MODEL.md section 7).

The no-deal counterfactual of a path is the same scenario with every
commitment removed (``cloud.commitments`` empty): all usage billed at list
price G_k, no discount, no minimum.  Every (D) key and event process draws
from a stream of its own (docs/DRAWS.md) and the commitments draw nothing
inside the kernel, so the two variants share every draw.  Here they share
them literally: each block's parameters are drawn once, the no-deal theta
table is copied from the deal's row by row, and both kernels start from the
block's fresh streams.  The deal run is the plain run (same statistics,
same quantile data); each block is also reduced to mergeable paired
aggregates (:class:`PairedStats`), merged in block order, so the deal
impact never depends on threads, workers or Dask.

Cost: the no-deal kernel keeps no per-step series and draws no
parameters, so a deal-impact run takes about twice a plain run's time
(``benchmarks/bench.py`` prints the ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.aggregate import (
    QUANTILES,
    ExactQuantiles,
    SeriesLayout,
    SketchQuantiles,
    per_path,
)
from sim.engine.kernel.block import ANTITHETIC, RANDOM
from sim.engine.kernel.sketch import QuantileSketch
from sim.engine.measures import Frame
from sim.engine.results import Z95, probability, wilson
from sim.engine.simulate import (
    GROUP_MAX_PATHS,
    TASKS_PER_WORKER,
    Cancelled,
    Context,
    Simulation,
    block_sizes,
    block_streams,
    draw_block,
    prepare,
    run_kernel,
)
from sim.model import ParameterError

__all__ = [
    "NET_SAVINGS_BINS",
    "PairedContext",
    "PairedSimulation",
    "PairedStats",
    "PairedTotals",
    "check_deal",
    "deal_impact_summary",
    "deal_path_values",
    "paired_block",
    "paired_difference",
    "simulate_paired_group",
    "without_commitments",
]

NET_SAVINGS_BINS = 40  # net-savings histogram over its P0.5..P99.5, outside values in the end bins


def without_commitments(scenario):
    """The no-deal counterfactual scenario: ``scenario`` with every commitment removed (and no actuals)."""
    cloud = scenario.cloud.model_copy(update={"commitment": None, "commitments": ()})
    return scenario.model_copy(update={"cloud": cloud, "actuals": ()})


def check_deal(scenario) -> None:
    """Raise ``ParameterError("deal_impact", ...)`` when the scenario has no commitment to take away."""
    if not scenario.cloud.commitments:
        raise ParameterError(
            "deal_impact",
            "the config has no commitment, so there is no deal to compare against "
            "(add [cloud.commitment] or [[cloud.commitments]])",
        )


@dataclass(frozen=True)
class PairedContext:
    """The deal's and the no-deal counterfactual's compiled models, and how to copy theta between them."""

    deal: Context
    no_deal: Context
    no_deal_series: SeriesLayout  # no per-step columns: the counterfactual keeps only what the pairing needs
    rows: np.ndarray  # (no-deal columns,) the deal theta row of each no-deal theta row

    @classmethod
    def of(cls, deal: Context) -> PairedContext:
        check_deal(deal.scenario)
        no = prepare(without_commitments(deal.scenario), deal.method)
        rows = np.empty(no.layout.n_columns, dtype=np.int64)
        for key, col in no.layout.columns.items():
            rows[col] = deal.layout.columns[key]  # the counterfactual's keys are a subset of the deal's
        lay = SeriesLayout(no.n_years, no.n_steps, False, no.model.n_commitments)
        return cls(deal, no, lay, rows)


@dataclass
class PairedStats:
    """One block's paired aggregates (deal against no deal, path by path).

    Attributes
    ----------
    n : int
        Paths.
    pairs : int64 (2, 2)
        ``pairs[a, b]``: paths with breach ``a`` (1 = yes) with the deal and ``b`` without.
    breach_by_year : int64 (2, Y)
        Paths whose first breach falls in year y: with the deal (row 0), without (row 1).
    by_year : float64 (4, Y)
        Sums over paths of: discount saved, shortfall paid, net savings, cloud cost at list price
        (USD millions, fiscal year y).
    net_sum, net_sumsq : float
        Sum and sum of squares of each path's net savings over the horizon.
    net_negative : int
        Paths whose net savings are negative.
    net_values : float64 (n,) or None
        Each path's net savings (exact quantiles only).
    """

    n: int
    pairs: np.ndarray
    breach_by_year: np.ndarray
    by_year: np.ndarray
    net_sum: float
    net_sumsq: float
    net_negative: int
    net_values: np.ndarray | None


class PairedTotals:
    """Paired block aggregates merged in block order."""

    def __init__(self, n_years: int, exact: bool):
        self.n = 0
        self.pairs = np.zeros((2, 2), dtype=np.int64)
        self.breach_by_year = np.zeros((2, n_years), dtype=np.int64)
        self.by_year = np.zeros((4, n_years))
        self.net_sum = 0.0
        self.net_sumsq = 0.0
        self.net_negative = 0
        self.store = ExactQuantiles() if exact else None
        self.sketch = None if exact else QuantileSketch(1)

    def add(self, s: PairedStats) -> None:
        self.n += s.n
        self.pairs += s.pairs
        self.breach_by_year += s.breach_by_year
        self.by_year += s.by_year
        self.net_sum += s.net_sum
        self.net_sumsq += s.net_sumsq
        self.net_negative += s.net_negative
        if self.store is not None:
            self.store.add(s.net_values[:, None])

    @property
    def quantiles(self):
        """Net-savings quantile data: exact values or the merged sketch (one series)."""
        return self.store if self.store is not None else SketchQuantiles([self.sketch])


def _year_counts(first: np.ndarray, step_year: np.ndarray, n_years: int) -> np.ndarray:
    hit = first > 0
    return np.bincount(step_year[first[hit] - 1], minlength=n_years).astype(np.int64)


def paired_block(
    pc: PairedContext, seed: int, block: int, n: int, lay: SeriesLayout, exact: bool,
    sketch: QuantileSketch | None = None, net_sketch: QuantileSketch | None = None,
):
    """Simulate block ``block`` with and without the deal on the same draws.

    Returns
    -------
    stats : BlockStats
        The deal run's statistics (those of a plain run's block).
    series : ndarray (n, S) or None
        The deal run's series matrix when ``exact``; otherwise its values are
        counted into ``sketch`` (as the kernel would) and None is returned.
    paired : PairedStats
    outputs : dict
        Per-path values of this block: the deal run's (``sim.engine.aggregate.per_path``), and
        ``first_breach_step_no_deal``, ``min_cash_no_deal``, ``net_savings`` (n,), ``discount_saved``,
        ``list_cost`` (n, Y), USD millions.
    """
    deal, no = pc.deal, pc.no_deal
    theta, _, _ = draw_block(deal, seed, block, n)
    mode = ANTITHETIC if deal.method.sampling == "antithetic" else RANDOM
    # without exact quantiles the kernel counts the deal run's sketch itself, as in a plain run
    stats, series, first = run_kernel(deal, theta, block_streams(seed, block), mode, lay, sketch=None if exact else sketch,
                                      keep_series=True)
    no_theta = theta[pc.rows]  # the same draws, the commitments' rows left out
    _, no_series, no_first = run_kernel(no, no_theta, block_streams(seed, block), mode, pc.no_deal_series)
    o, c = per_path(series, first, lay), per_path(no_series, no_first, pc.no_deal_series)
    list_cost = c["cloud_cost"]  # without a contract the bill is usage at list price, sum of G_k
    discount = list_cost - o["cloud_usage"]
    net_by_year = list_cost - o["cloud_cost"]
    net = net_by_year.sum(axis=1)
    a, b = (first > 0).astype(np.int64), (no_first > 0).astype(np.int64)
    pairs = np.bincount(2 * a + b, minlength=4).reshape(2, 2).astype(np.int64)
    years = deal.n_years
    paired = PairedStats(
        n=n,
        pairs=pairs,
        breach_by_year=np.stack([_year_counts(first, deal.step_year, years), _year_counts(no_first, no.step_year, years)]),
        by_year=np.stack([discount.sum(axis=0), o["shortfall"].sum(axis=0), net_by_year.sum(axis=0), list_cost.sum(axis=0)]),
        net_sum=float(net.sum()),
        net_sumsq=float(np.dot(net, net)),
        net_negative=int((net < 0).sum()),
        net_values=net.copy() if exact else None,
    )
    if net_sketch is not None:
        net_sketch.add(net[:, None])
    outputs = dict(o)  # the deal run's per-path outputs, and the pairing's
    outputs.update(first_breach_step_no_deal=no_first, min_cash_no_deal=c["min_cash"], net_savings=net,
                   discount_saved=discount, list_cost=list_cost)
    if not exact:
        series = None
    return stats, series, paired, outputs


def simulate_paired_group(pc: PairedContext, seed: int, group, lay: SeriesLayout, exact: bool, stop=None, progress=None):
    """One executor task: consecutive blocks with and without the deal.

    Returns
    -------
    results : list of (block, BlockStats, series or None, PairedStats)
    sketch, net_sketch : QuantileSketch or None
        The group's quantile sketches of the deal run's series and of net savings (sketch mode).
    """
    sketch = None if exact else QuantileSketch(lay.n_series, np.int32)
    net_sketch = None if exact else QuantileSketch(1, np.int32)
    results = []
    for b, n in group:
        if stop is not None and stop.is_set():
            raise Cancelled()
        stats, series, paired, _ = paired_block(pc, seed, b, n, lay, exact, sketch, net_sketch)
        results.append((b, stats, series, paired))
        if progress is not None:
            progress(n)
    return results, (sketch, net_sketch)


class PairedSimulation(Simulation):
    """A :class:`~sim.engine.simulate.Simulation` that also runs every block without the deal.

    Its :meth:`data` is exactly the plain run's; :meth:`deal_impact` adds the paired summary.
    """

    def __init__(self, scenario, seed, block_size, record_steps, quantiles, planned_paths, threads=None, executor=None, method=None):
        super().__init__(scenario, seed, block_size, record_steps, quantiles, planned_paths, threads, executor, method)
        if self.ctx.method.tilted:
            raise ValueError("deal impact does not combine with importance sampling (rare_event)")
        self.paired_ctx = PairedContext.of(self.ctx)
        self.paired = PairedTotals(self.ctx.n_years, self.exact)

    def advance(self, sizes: list[int], progress=None) -> None:
        """Simulate the next ``len(sizes)`` blocks with and without the deal and merge them in block order."""
        first = self.blocks
        indexed = list(zip(range(first, first + len(sizes)), sizes))
        # a few tasks per worker (as a plain run); the grouping never changes the numbers
        per = max(1, -(-len(indexed) // (self.pool.parallelism * TASKS_PER_WORKER)))
        per = min(per, max(1, GROUP_MAX_PATHS // self.block_size))
        groups = [indexed[i : i + per] for i in range(0, len(indexed), per)]
        ready, next_merge = {}, first
        tasks = [(self.paired_ctx, self.seed, g, self.lay, self.exact) for g in groups]
        for results, (sketch, net_sketch) in self.pool.map_unordered(simulate_paired_group, tasks, progress):
            if sketch is not None:
                self.sketch.merge(sketch)  # integer counts: any order gives the same sketch
                self.paired.sketch.merge(net_sketch)
            for b, stats, series, paired in results:
                ready[b] = (stats, series, paired)
            while next_merge in ready:  # float sums: always in block order
                stats, series, paired = ready.pop(next_merge)
                self.totals.add(stats)
                self.paired.add(paired)
                if self.store is not None:
                    self.store.add(series)
                next_merge += 1
        self.blocks += len(sizes)

    def deal_impact(self) -> dict:
        """The summary's ``deal_impact`` (:func:`deal_impact_summary`)."""
        return deal_impact_summary(self.paired, self.ctx)


def deal_path_values(scenario, seed: int, paths: int, block_size: int, fn) -> dict[str, np.ndarray]:
    """``fn(outputs, frame)`` on every block's paired per-path outputs (:func:`paired_block`), in block order.

    The paths of ``run_scenario(scenario, paths, seed, block_size=block_size, deal_impact=True)``;
    ``fn`` returns ``{name: (n,) array}``, concatenated into (paths,) float64 arrays.
    """
    frame = Frame.of(scenario)
    pc = PairedContext.of(prepare(scenario))
    lay = SeriesLayout(pc.deal.n_years, pc.deal.n_steps, False, pc.deal.model.n_commitments)
    parts: dict[str, list[np.ndarray]] = {}
    for b, n in enumerate(block_sizes(paths, block_size)):
        outputs = paired_block(pc, seed, b, n, lay, True)[3]
        for k, v in fn(outputs, frame).items():
            parts.setdefault(k, []).append(np.array(v, dtype=np.float64))
    return {k: np.concatenate(v) for k, v in parts.items()}


def paired_difference(sum_d: float, sum_d2: float, n: int) -> dict:
    """Mean of per-path differences with its 95% interval: mean +- 1.96 sd / sqrt(n), sd with n - 1."""
    mean = sum_d / n
    var = max(sum_d2 - n * mean * mean, 0.0) / (n - 1) if n > 1 else math.inf
    se = math.sqrt(var / n)
    return {"estimate": mean, "ci95": [mean - Z95 * se, mean + Z95 * se], "se": se}


def _histogram(quantiles, lo: float, hi: float) -> dict:
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, NET_SAVINGS_BINS + 1)
    return {"edges": edges.tolist(), "counts": quantiles.histogram(0, edges).tolist()}


def deal_impact_summary(t: PairedTotals, ctx: Context) -> dict:
    """The summary's ``deal_impact`` dict (MODEL.md section 7; money in USD millions).

    ``p_cash_breach_delta`` is P(breach with the deal) - P(breach without) with the
    paired interval from d_i in {-1, 0, 1}; ``unpaired_ci95`` is what two
    independent runs of the same size would give (the two Wilson standard
    errors added in quadrature), for contrast.
    """
    n = t.n
    with_deal, without = int(t.pairs[1].sum()), int(t.pairs[:, 1].sum())
    only_deal, only_without = int(t.pairs[1, 0]), int(t.pairs[0, 1])
    delta = paired_difference(only_deal - only_without, only_deal + only_without, n)
    p1, p0 = probability(with_deal, n), probability(without, n)
    unpaired_se = math.sqrt(p1["se"] ** 2 + p0["se"] ** 2)
    delta["unpaired_ci95"] = [delta["estimate"] - Z95 * unpaired_se, delta["estimate"] + Z95 * unpaired_se]
    delta["unpaired_se"] = unpaired_se
    net = paired_difference(t.net_sum, t.net_sumsq, n)
    qs = t.quantiles.quantiles(QUANTILES)[:, 0]
    lo, hi = t.quantiles.quantiles([0.005, 0.995])[:, 0]
    return {
        "p_cash_breach_delta": delta,
        "p_cash_breach": p0,  # without the deal
        "p_cash_breach_with_deal": p1,
        "pairs": {"both": int(t.pairs[1, 1]), "deal_only": only_deal, "no_deal_only": only_without,
                  "neither": int(t.pairs[0, 0])},
        "p_cash_breach_by_year": {
            "deal": (np.cumsum(t.breach_by_year[0]) / n).tolist(),
            "no_deal": (np.cumsum(t.breach_by_year[1]) / n).tolist(),
        },
        "net_savings": {
            "mean": net["estimate"],
            "se": net["se"],
            "ci95": net["ci95"],
            "quantiles": {repr(float(q)): float(v) for q, v in zip(QUANTILES, qs)},
            "p_negative": t.net_negative / n,
            "p_negative_ci95": list(wilson(t.net_negative, n)),
            "histogram": _histogram(t.quantiles, float(lo), float(hi)),
        },
        "by_year": {
            "discount_saved": (t.by_year[0] / n).tolist(),
            "shortfall_paid": (t.by_year[1] / n).tolist(),
            "net_savings": (t.by_year[2] / n).tolist(),
            "list_price_cloud_cost": (t.by_year[3] / n).tolist(),
        },
    }
