"""Run a scenario: blocks of paths on a thread pool, summaries merged in block order.

Block ``b`` always holds the same paths and draws from its own streams
(``docs/DRAWS.md``), and block summaries are merged in block order, so the
result depends on (config, seed, paths, block size) only -- never on the
number of threads.  An executor runs tasks of consecutive blocks, one block
after another, so each worker holds one block's arrays and one quantile
sketch: memory is bounded by the workers and the block size, not by the
number of paths (except for exact quantiles, which keep every path's series
while that fits the budget in ``sim.engine.aggregate``).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sim.engine import streams
from sim.engine.budget import block_bytes, check_memory, run_bytes
from sim.engine.aggregate import BY_COMMITMENT, BlockStats, ExactQuantiles, SeriesLayout, SketchQuantiles, Totals, count_actuals, per_path, use_exact
from sim.engine.backtest import value_targets
from sim.engine.kernel.compile import Layout, Model, base_margin, build_theta, compile_model
from sim.engine.kernel.block import ANTITHETIC, CENTRAL, RANDOM, simulate_block
from sim.engine.memory import keep_freed_buffers
from sim.engine.kernel.normals import stream_state
from sim.engine.sampling import central_parameters, draw_parameters, draw_parameters_shifted
from sim.engine.kernel.sketch import QuantileSketch

DEFAULT_BLOCK_SIZE = 32_768
DEFAULT_PATHS = 1_000_000


SAMPLING = ("random", "antithetic", "sobol", "lhs")


@dataclass(frozen=True)
class Method:
    """How paths are sampled (part of a result's identity, like the seed).

    Attributes
    ----------
    sampling : {"random", "antithetic", "sobol", "lhs"}
        Per-path parameter draws (``sim.engine.sampling``); "antithetic" also pairs the
        step normals (odd paths use the previous path's, negated).
    tilt_z, tilt_w : float
        Importance sampling for rare breaches: revenue and growth normals are
        drawn with mean ``-tilt`` per step and each path carries its likelihood ratio.
    shift : tuple of (key, mu)
        Importance sampling of the parameters: their normal scores are drawn
        from N(mu, 1) (``sim.engine.sampling.draw_parameters_shifted``).
    """

    sampling: str = "random"
    tilt_z: float = 0.0
    tilt_w: float = 0.0
    shift: tuple[tuple[str, float], ...] = ()  # importance sampling: mean shifts of parameter scores

    def __post_init__(self):
        if self.sampling not in SAMPLING:
            raise ValueError(f"unknown sampling {self.sampling!r} (use one of {', '.join(SAMPLING)})")
        if self.shift and self.sampling != "random":
            raise ValueError("importance sampling combines with random sampling only")

    @property
    def tilted(self) -> bool:
        return self.tilt_z != 0.0 or self.tilt_w != 0.0 or bool(self.shift)


@dataclass(frozen=True)
class Context:
    """Everything a block needs, computed once per run."""

    scenario: object
    model: Model
    layout: Layout
    fiscal_years: np.ndarray  # (Y,)
    n_years: int
    n_steps: int
    step_year: np.ndarray  # (K,)
    base_margin: float
    compression_threshold: float
    base_net_income: float | None
    method: Method = Method()
    # [v2] value actuals (sim.engine.backtest): series columns (A,) and realised values (A,)
    actual_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    actual_values: np.ndarray = field(default_factory=lambda: np.zeros(0))


def prepare(scenario, method: Method | None = None) -> Context:
    """Compile a validated scenario for the kernel."""
    model, lay, fiscal = compile_model(scenario)
    m0 = base_margin(scenario)
    by_year = SeriesLayout(model.n_years, model.n_steps, False, model.n_commitments).by_year  # by_year columns: the same whatever record_steps
    columns, values = value_targets(getattr(scenario, "actuals", ()), fiscal, lambda name, i: by_year(name).start + i)
    return Context(
        scenario=scenario,
        model=model,
        layout=lay,
        fiscal_years=fiscal,
        n_years=model.n_years,
        n_steps=model.n_steps,
        step_year=model.step_year,
        base_margin=m0,
        compression_threshold=m0 - scenario.policy.margin_drop,
        base_net_income=scenario.company.net_income,
        method=_effective(method or Method(), model),
        actual_columns=columns,
        actual_values=values,
    )


def _effective(method: Method, model: Model) -> Method:
    """Drop tilts on normals the model never draws (they would only add noise to the weights)."""
    from dataclasses import replace

    return replace(method, tilt_z=method.tilt_z if model.draw_z else 0.0, tilt_w=method.tilt_w if model.eta > 0 else 0.0)


_NO_SKETCH = (np.zeros((0, 0), dtype=np.int32), np.zeros(0), np.zeros(0))


def run_kernel(
    ctx: Context,
    theta: np.ndarray,
    rngs,
    mode: int,
    lay: SeriesLayout,
    buffer: np.ndarray | None = None,
    param_log_weight: np.ndarray | None = None,
    sketch: QuantileSketch | None = None,
    by_commitment: np.ndarray | None = None,
    keep_series: bool = False,
) -> tuple[BlockStats, np.ndarray | None, np.ndarray]:
    # keep_series with a sketch: the kernel counts the sketch and also writes the series matrix
    # (the paired run needs the deal's per-path values; counting in the kernel beats counting after)
    n = theta.shape[1]
    m = ctx.method
    n_com = ctx.model.n_commitments
    counting = ctx.actual_columns.size > 0
    if sketch is not None:  # the kernel counts the values into the sketch; no series matrix
        # (except for exact back-test counts: the kernel then writes both, the same values)
        series = np.empty((lay.n_series, n if counting or keep_series else 0))
        counts = (sketch.counts, sketch.lo, sketch.hi)
    else:  # series by series (S, n); the kernel writes every cell, so a reused buffer needs no clearing
        series = np.empty((lay.n_series, n)) if buffer is None else buffer.reshape(-1)[: lay.n_series * n].reshape(lay.n_series, n)
        counts = _NO_SKETCH
    first = np.zeros(n, dtype=np.int64)
    log_weight = np.zeros(n)
    stats = BlockStats.empty(n, ctx.n_years, ctx.n_steps, ctx.model.debt_due.shape[0], lay.n_series, n_com)
    if by_commitment is None:
        by_commitment = np.zeros((len(BY_COMMITMENT), n_com, ctx.n_years, 0))
    tilted = mode != CENTRAL and m.tilted
    simulate_block(
        ctx.model, theta, *rngs, mode, m.tilt_z if tilted else 0.0, m.tilt_w if tilted else 0.0,
        series, first, log_weight,
        stats.year_counts, stats.path_counts, stats.sums, stats.step_counts, stats.debt_counts, stats.cloud_parts,
        stats.com_sums, stats.com_counts, by_commitment, *counts,
    )
    if tilted:
        if param_log_weight is not None:
            log_weight += param_log_weight
        stats.weighted = weighted_breach(np.exp(log_weight), first, ctx)
    if counting:
        stats.actual_counts = count_actuals(series, ctx.actual_columns, ctx.actual_values)
    return stats, (series.T if sketch is None or keep_series else None), first


def weighted_breach(w: np.ndarray, first: np.ndarray, ctx: Context) -> np.ndarray:
    """Importance-sampling sums of one block, shape (4, Y + 1).

    Rows: sum of w and of w^2 times the indicator of a first breach in year y
    (columns 0..Y-1), and, in the last column, sum of w and of w^2 over all
    paths (rows 2 and 3 of that column; rows 2-3 of the others unused).
    """
    out = np.zeros((4, ctx.n_years + 1))
    hit = first > 0
    year = ctx.step_year[first[hit] - 1]
    out[0, : ctx.n_years] = np.bincount(year, weights=w[hit], minlength=ctx.n_years)
    out[1, : ctx.n_years] = np.bincount(year, weights=w[hit] ** 2, minlength=ctx.n_years)
    out[2, -1] = w.sum()
    out[3, -1] = (w * w).sum()
    return out


def simulate_block_of_paths(
    ctx: Context, seed: int, block: int, n: int, lay: SeriesLayout, buffer: np.ndarray | None = None,
    sketch: QuantileSketch | None = None, by_commitment: np.ndarray | None = None,
) -> tuple[BlockStats, np.ndarray | None, np.ndarray]:
    """Simulate block ``block`` (``n`` paths): its statistics, series matrix (n, S) and first-breach steps (n,).

    The series matrix is a transposed view of a series-by-series (S, n)
    array.  ``buffer`` (a C-contiguous float64 array of at least n * S
    values) holds it when given.  With ``sketch``, the paths' values are
    counted into it instead (no series matrix: None is returned in its place).
    ``by_commitment`` (4, J, Y, n), zeros, receives every path's
    per-commitment shortfall paid, steered spend and deferred minimum
    (``sim.engine.aggregate.BY_COMMITMENT``) when given.
    """
    theta, _, param_log_weight = draw_block(ctx, seed, block, n)
    mode = ANTITHETIC if ctx.method.sampling == "antithetic" else RANDOM
    return run_kernel(ctx, theta, block_streams(seed, block), mode, lay, buffer, param_log_weight, sketch, by_commitment)


def draw_block(ctx: Context, seed: int, block: int, n: int) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """Block ``block``'s per-path parameters: theta (columns, n), the draws by dotted key, log weights (n,) or None."""
    param_log_weight = None
    theta = np.empty((ctx.layout.n_columns, n))
    rows = {key: theta[col] for key, col in ctx.layout.columns.items()}  # random draws go straight into theta
    if ctx.method.shift:
        params, param_log_weight = draw_parameters_shifted(ctx.scenario, seed, block, n, dict(ctx.method.shift))
    else:
        params = draw_parameters(ctx.scenario, seed, block, n, ctx.method.sampling, into=rows)
    return build_theta(ctx.layout, params, n, theta), params, param_log_weight


def block_streams(seed: int, block: int) -> list:
    """Fresh kernel streams of block ``block``: revenue, growth and price normals' states, the events generator."""
    normals = [stream_state(streams.stream(seed, block, p)) for p in (streams.REVENUE, streams.GROWTH, streams.PRICE)]
    return [*normals, streams.stream(seed, block, streams.EVENTS)]


def block_sizes(paths: int, block_size: int) -> list[int]:
    """Sizes of the blocks covering ``paths`` (the last one may be short)."""
    full, rest = divmod(paths, block_size)
    return [block_size] * full + ([rest] if rest else [])


def simulate_paths(scenario, seed: int, n_paths: int, block_size: int = DEFAULT_BLOCK_SIZE) -> dict[str, np.ndarray]:
    """Every path's outputs, blocks concatenated in order (for tests and notebooks).

    Returns
    -------
    dict of str to ndarray
        ``min_cash`` (n,), ``first_breach_step`` (n,) int (1-based, 0 = never),
        per-year (n, Y): ``revenue``, ``operating_income``, ``net_income``,
        ``fcf``, ``cloud_cost``, ``shortfall`` (every commitment's), ``fines``,
        ``cash_end``, ``operating_margin``, ``cloud_usage`` (the bill before
        any shortfall); per commitment (n, J, Y), J = ``len(cloud.commitments)``
        (0 without a cloud bill): ``shortfall_by_commitment`` (paid),
        ``steered_by_commitment``, ``deferred_by_commitment`` (rolled over to
        the next contract year), ``usage_by_commitment`` (usage counted at the
        settlement), each in the fiscal year of its settlement step; per-step ``cash`` (n, K). USD millions.
    """
    ctx = prepare(scenario)
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, True, ctx.model.n_commitments)
    sizes = block_sizes(n_paths, block_size)
    blocks, parts = [], []
    for b, n in enumerate(sizes):
        part = np.zeros((len(BY_COMMITMENT), ctx.model.n_commitments, ctx.n_years, n))
        blocks.append(simulate_block_of_paths(ctx, seed, b, n, lay, by_commitment=part))
        parts.append(part)
    series = np.concatenate([s for _, s, _ in blocks])
    first = np.concatenate([f for _, _, f in blocks])
    return per_path(series, first, lay, np.concatenate(parts, axis=3))


def central_case(ctx: Context) -> dict[str, np.ndarray]:
    """The deterministic central path (MODEL.md section 7): per-year arrays (Y,), ``cash`` (K,),
    per-commitment arrays (J, Y) (``*_by_commitment``)."""
    params = {k: np.array([v]) for k, v in central_parameters(ctx.scenario).items()}
    theta = build_theta(ctx.layout, params, 1)
    rngs = [np.zeros(4, dtype=np.uint64)] * 3 + [np.random.default_rng(0)]  # never drawn from
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, True, ctx.model.n_commitments)
    part = np.zeros((len(BY_COMMITMENT), ctx.model.n_commitments, ctx.n_years, 1))
    _, series, first = run_kernel(ctx, theta, rngs, CENTRAL, lay, by_commitment=part)
    return {k: v[0] for k, v in per_path(series, first, lay, part).items()}


@dataclass
class RunData:
    """Raw merged results of a run, turned into a summary by ``sim.engine.results``."""

    ctx: Context
    seed: int
    paths: int
    block_size: int
    blocks: int
    threads: int
    totals: Totals
    quantiles: object  # ExactQuantiles or SketchQuantiles
    series: SeriesLayout
    central: dict[str, np.ndarray]
    seconds: float
    jit_ready: bool = True  # the kernel was compiled in this process before the run started


def run_blocks(
    scenario,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    threads: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    record_steps: bool = True,
    quantiles: str = "auto",
    progress: Callable[[int], None] | None = None,
    executor=None,
    method: Method | None = None,
) -> RunData:
    """Simulate ``paths`` paths and merge their block summaries.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario (``sim.model.load_scenario``).
    paths, seed : int
        Number of paths (>= 1) and seed (>= 0).
    threads : int, optional
        Worker threads; default all cores. Does not change the results.
    block_size : int
        Paths per block (part of the result's identity, like the seed).
    record_steps : bool
        Keep per-step cash quantiles (for fan charts).
    quantiles : {"auto", "exact", "sketch"}
        Exact quantiles keep every path's series; "auto" does so while that
        fits ``sim.engine.aggregate.EXACT_BUDGET_BYTES``.
    progress : callable, optional
        Called with the number of paths of each finished block.
    executor : optional
        Runs the block tasks (``parallelism`` and ``map_unordered``); default a
        :class:`ThreadExecutor` with ``threads`` threads. Never changes results.
    method : Method, optional
        Sampling design and importance-sampling tilt (default plain Monte Carlo).
    """
    if paths < 1:
        raise ValueError("paths must be at least 1")
    run = Simulation(scenario, seed, block_size, record_steps, quantiles, paths, threads, executor, method)
    run.advance(block_sizes(paths, block_size), progress)
    return run.data()


class Simulation:
    """A run that grows block by block (fixed paths, or until a precision target).

    Blocks keep their indices whatever the growth pattern, so a run that stops
    after B blocks has exactly the numbers of a run asked for B blocks.
    """

    def __init__(self, scenario, seed: int, block_size: int, record_steps: bool, quantiles: str, planned_paths: int, threads=None, executor=None, method=None):
        if block_size < 1:
            raise ValueError("block size must be at least 1")
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.t0 = time.perf_counter()
        keep_freed_buffers()
        self.jit_ready = bool(simulate_block.signatures)  # False: this run's time includes loading/compiling the kernel
        self.seed = seed
        self.block_size = block_size
        self.ctx = prepare(scenario, method)
        self.lay = SeriesLayout(self.ctx.n_years, self.ctx.n_steps, record_steps, self.ctx.model.n_commitments)
        self.exact = use_exact(planned_paths, self.lay, quantiles)
        self.pool = executor if executor is not None else ThreadExecutor(threads)
        # Refuse a run that cannot fit before allocating anything (ParameterError naming what to change).
        block = block_bytes(scenario, self.lay.n_series, self.ctx.layout.n_columns, min(block_size, planned_paths))
        n_blocks = -(-planned_paths // block_size)
        check_memory(run_bytes(block, self.pool.parallelism, n_blocks, planned_paths, self.lay.n_series, self.exact), block_size, planned_paths)
        self.totals = Totals(self.ctx.n_years, self.ctx.n_steps, self.ctx.model.debt_due.shape[0], self.lay.n_series, self.ctx.model.n_commitments)
        self.store = ExactQuantiles() if self.exact else None
        self.sketch = None if self.exact else QuantileSketch(self.lay.n_series)
        self.blocks = 0

    def advance(self, sizes: list[int], progress=None) -> None:
        """Simulate the next ``len(sizes)`` blocks (of those sizes) and merge them."""
        first = self.blocks
        indexed = list(zip(range(first, first + len(sizes)), sizes))
        per = min(_group_size(len(indexed), self.pool.parallelism), max(1, GROUP_MAX_PATHS // self.block_size))
        groups = [indexed[i : i + per] for i in range(0, len(indexed), per)]
        ready: dict[int, tuple[BlockStats, np.ndarray | None]] = {}
        next_merge = first
        tasks = [(self.ctx, self.seed, g, self.lay, self.exact) for g in groups]
        for results, group_sketch in self.pool.map_unordered(simulate_group, tasks, progress):
            if group_sketch is not None:
                self.sketch.merge(group_sketch)  # integer counts: any order gives the same sketch
            for b, stats, series in results:
                ready[b] = (stats, series)
            while next_merge in ready:  # float sums: always in block order
                stats, series = ready.pop(next_merge)
                self.totals.add(stats)
                if self.store is not None:
                    self.store.add(series)
                next_merge += 1
        self.blocks += len(sizes)

    def data(self) -> RunData:
        """The merged results so far."""
        return RunData(
            ctx=self.ctx,
            seed=self.seed,
            paths=self.totals.n,
            block_size=self.block_size,
            blocks=self.blocks,
            threads=self.pool.parallelism,
            totals=self.totals,
            quantiles=self.store if self.exact else SketchQuantiles([self.sketch]),
            series=self.lay,
            central=central_case(self.ctx),
            seconds=time.perf_counter() - self.t0,
            jit_ready=self.jit_ready,
        )


def _group_size(n_blocks: int, parallelism: int) -> int:
    """Blocks per task: a few tasks per worker (balance, progress, quick interruption)."""
    return max(1, -(-n_blocks // (parallelism * TASKS_PER_WORKER)))


TASKS_PER_WORKER = 4  # a few tasks per worker: balance, progress, quick interruption
GROUP_MAX_PATHS = 2**31 - 1  # a task's sketch counts in int32 (half the cache footprint of int64)


class Cancelled(Exception):
    """Raised inside a task when the run is being abandoned."""


def simulate_group(ctx: Context, seed: int, group, lay: SeriesLayout, exact: bool, stop=None, progress=None):
    """Simulate consecutive blocks (one task of an executor).

    Returns
    -------
    results : list of (block, BlockStats, series or None)
        Series matrices (n, S) only for exact quantiles.
    sketch : QuantileSketch or None
        The group's quantile sketch (sketch mode).
    """
    sketch = None if exact else QuantileSketch(lay.n_series, np.int32)  # at most GROUP_MAX_PATHS paths
    results = []
    for b, n in group:
        if stop is not None and stop.is_set():
            raise Cancelled()
        stats, series, _ = simulate_block_of_paths(ctx, seed, b, n, lay, sketch=sketch)
        results.append((b, stats, series))
        if progress is not None:
            progress(n)
    return results, sketch


class ThreadExecutor:
    """Runs tasks on a local thread pool (the kernels release the GIL).

    Any executor offering ``parallelism`` and ``map_unordered`` can run a
    simulation (``sim.engine.dask_executor`` spreads tasks over a Dask cluster).
    """

    def __init__(self, threads: int | None = None):
        self.parallelism = max(1, threads or os.cpu_count() or 1)

    def map_unordered(self, fn, arg_tuples, progress=None):
        """Yield ``fn(*args)`` results as they finish; ``progress(paths)`` as blocks finish."""
        stop = threading.Event()
        lock = threading.Lock()

        def report(n):
            if progress is not None:
                with lock:
                    progress(n)

        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="sim-block") as pool:
            futures = [pool.submit(fn, *args, stop, report) for args in arg_tuples]
            try:
                for f in as_completed(futures):
                    yield f.result()
            finally:
                stop.set()  # on error or Ctrl-C, running tasks stop at their next block
                for f in futures:
                    f.cancel()


