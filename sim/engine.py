"""Run a scenario: blocks of paths on a thread pool, summaries merged in block order.

Block ``b`` always holds the same paths and draws from its own streams
(``docs/DRAWS.md``), and block summaries are merged in block order, so the
result depends on (config, seed, paths, block size) only -- never on the
number of threads.  At most ``2 * threads`` blocks are in flight, so memory
is bounded by the block size, not by the number of paths (except for exact
quantiles, which keep every path's series while that fits the budget in
``sim.aggregate``).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim import streams
from sim.aggregate import BlockStats, ExactQuantiles, SeriesLayout, SketchQuantiles, Totals, per_path, use_exact
from sim.compile import Layout, Model, base_margin, build_theta, compile_model
from sim.kernels import simulate_block
from sim.sampling import central_parameters, draw_parameters
from sim.sketch import QuantileSketch

DEFAULT_BLOCK_SIZE = 32_768
DEFAULT_PATHS = 1_000_000


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


def prepare(scenario) -> Context:
    """Compile a validated scenario for the kernel."""
    model, lay, fiscal = compile_model(scenario)
    m0 = base_margin(scenario)
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
    )


def _run_kernel(ctx: Context, theta: np.ndarray, rngs, random: bool, lay: SeriesLayout, buffer: np.ndarray | None = None) -> tuple[BlockStats, np.ndarray, np.ndarray]:
    n = theta.shape[1]
    # the kernel writes every cell, so a reused buffer needs no clearing
    series = np.empty((n, lay.n_series)) if buffer is None else buffer[:n]
    first = np.zeros(n, dtype=np.int64)
    stats = BlockStats.empty(n, ctx.n_years, ctx.n_steps, ctx.model.debt_due.shape[0], lay.n_series)
    simulate_block(
        ctx.model, theta, *rngs, random, series, first,
        stats.year_counts, stats.path_counts, stats.sums, stats.step_counts, stats.debt_counts, stats.cloud_parts,
    )
    return stats, series, first


def simulate_block_of_paths(
    ctx: Context, seed: int, block: int, n: int, lay: SeriesLayout, buffer: np.ndarray | None = None
) -> tuple[BlockStats, np.ndarray, np.ndarray]:
    """Simulate block ``block`` (``n`` paths): its statistics, series matrix (n, S) and first-breach steps (n,).

    ``buffer`` (at least (n, S)) receives the series matrix when given.
    """
    params = draw_parameters(ctx.scenario, seed, block, n)
    theta = build_theta(ctx.layout, params, n)
    rngs = [streams.stream(seed, block, p) for p in (streams.REVENUE, streams.GROWTH, streams.PRICE, streams.EVENTS)]
    return _run_kernel(ctx, theta, rngs, True, lay, buffer)


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
        ``fcf``, ``cloud_cost``, ``shortfall``, ``fines``, ``cash_end``,
        ``operating_margin``; per-step ``cash`` (n, K). USD millions.
    """
    ctx = prepare(scenario)
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, True)
    blocks = [simulate_block_of_paths(ctx, seed, b, n, lay) for b, n in enumerate(block_sizes(n_paths, block_size))]
    series = np.concatenate([s for _, s, _ in blocks])
    first = np.concatenate([f for _, _, f in blocks])
    return per_path(series, first, lay)


def central_case(ctx: Context) -> dict[str, np.ndarray]:
    """The deterministic central path (MODEL.md section 7), per-year arrays (Y,) and ``cash`` (K,)."""
    params = {k: np.array([v]) for k, v in central_parameters(ctx.scenario).items()}
    theta = build_theta(ctx.layout, params, 1)
    rngs = [np.random.default_rng(0)] * 4  # never drawn from
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, True)
    _, series, first = _run_kernel(ctx, theta, rngs, False, lay)
    return {k: v[0] for k, v in per_path(series, first, lay).items()}


@dataclass
class RunData:
    """Raw merged results of a run, turned into a summary by ``sim.results``."""

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
) -> RunData:
    """Simulate ``paths`` paths and merge their block summaries.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario (``sim.config.load_scenario``).
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
        fits ``sim.aggregate.EXACT_BUDGET_BYTES``.
    progress : callable, optional
        Called with the number of paths of each finished block.
    executor : optional
        Runs the block tasks (``parallelism`` and ``map_unordered``); default a
        :class:`ThreadExecutor` with ``threads`` threads. Never changes results.
    """
    if paths < 1:
        raise ValueError("paths must be at least 1")
    if block_size < 1:
        raise ValueError("block size must be at least 1")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    t0 = time.perf_counter()
    ctx = prepare(scenario)
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, record_steps)
    sizes = block_sizes(paths, block_size)
    exact = use_exact(paths, lay, quantiles)
    pool = executor if executor is not None else ThreadExecutor(threads)
    groups = split_blocks(sizes, tasks=pool.parallelism * TASKS_PER_WORKER)

    totals = Totals(ctx.n_years, ctx.n_steps, ctx.model.debt_due.shape[0], lay.n_series)
    store = ExactQuantiles() if exact else None
    sketch = None if exact else QuantileSketch(lay.n_series)
    ready: dict[int, tuple[BlockStats, np.ndarray | None]] = {}
    next_merge = 0
    for results, group_sketch in pool.map_unordered(simulate_group, [(ctx, seed, g, lay, exact) for g in groups], progress):
        if group_sketch is not None:
            sketch.merge(group_sketch)  # integer counts: any order gives the same sketch
        for b, stats, series in results:
            ready[b] = (stats, series)
        while next_merge in ready:  # float sums: always in block order
            stats, series = ready.pop(next_merge)
            totals.add(stats)
            if store is not None:
                store.add(series)
            next_merge += 1
    return RunData(
        ctx=ctx,
        seed=seed,
        paths=paths,
        block_size=block_size,
        blocks=len(sizes),
        threads=pool.parallelism,
        totals=totals,
        quantiles=store if exact else SketchQuantiles([sketch]),
        series=lay,
        central=central_case(ctx),
        seconds=time.perf_counter() - t0,
    )


TASKS_PER_WORKER = 4  # a few tasks per worker: balance, progress, quick interruption


def split_blocks(sizes: list[int], tasks: int) -> list[list[tuple[int, int]]]:
    """Consecutive ``(block, paths)`` groups, at most ``tasks`` of them."""
    blocks = list(enumerate(sizes))
    per = -(-len(blocks) // max(1, min(tasks, len(blocks))))
    return [blocks[i : i + per] for i in range(0, len(blocks), per)]


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
    sketch = None if exact else QuantileSketch(lay.n_series)
    buffer = None if exact else np.empty((max(n for _, n in group), lay.n_series))
    results = []
    for b, n in group:
        if stop is not None and stop.is_set():
            raise Cancelled()
        stats, series, _ = simulate_block_of_paths(ctx, seed, b, n, lay, buffer)
        if exact:
            results.append((b, stats, series))
        else:
            sketch.add(series)
            results.append((b, stats, None))
        if progress is not None:
            progress(n)
    return results, sketch


class ThreadExecutor:
    """Runs tasks on a local thread pool (the kernels release the GIL).

    Any executor offering ``parallelism`` and ``map_unordered`` can run a
    simulation (``sim.dask_executor`` spreads tasks over a Dask cluster).
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


