"""Per-path values of a run: what analyses that look at each path ask the engine for.

A run's summary keeps counts, sums and quantiles; a sensitivity analysis
needs each path's value of a measure (to pair paths across runs on common
random numbers) and each path's draw of an input (to rank-correlate them).
These functions run the blocks of ``sim run`` (same seed, same block sizes,
so the same paths) one after another on the calling thread and keep only
the values asked for: memory is one block's series matrix plus a few
floats per path.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from sim.engine.aggregate import SeriesLayout, per_path
from sim.engine.measures import DEAL_IMPACT_METRICS, Frame, Measure
from sim.engine.paired import deal_path_values
from sim.engine.sampling import draw_parameters
from sim.engine.simulate import block_sizes, prepare, simulate_block_of_paths

__all__ = ["path_values", "measure_values", "input_draws"]


def path_values(scenario, seed: int, paths: int, block_size: int, fn: Callable[[dict, Frame], dict]) -> dict[str, np.ndarray]:
    """``fn(outputs, frame)`` on every block's per-path outputs, concatenated in block order.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (``sim.model.load_scenario``).
    seed, paths, block_size : int
        As ``sim run`` (``sim.engine.simulate.DEFAULT_BLOCK_SIZE`` by default
        there): the same arguments give the same paths.
    fn : callable
        ``(outputs, frame) -> {name: (n,) array}``; ``outputs`` are one
        block's per-path outputs (the keys of
        :func:`sim.engine.simulate.simulate_paths` less the per-step ``cash``:
        ``min_cash`` (n,), ``first_breach_step`` (n,), per-year (n, Y)
        series, USD millions), views into a buffer reused by the next block;
        what ``fn`` returns is copied.  ``frame`` is the scenario's
        :class:`~sim.engine.measures.Frame`.

    Returns
    -------
    dict of str to ndarray
        Each name's values for every path, float64 (paths,).
    """
    frame = Frame.of(scenario)
    ctx = prepare(scenario)
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, False, ctx.model.n_commitments)
    buffer = np.empty((min(block_size, paths), lay.n_series))
    parts: dict[str, list[np.ndarray]] = {}
    for b, n in enumerate(block_sizes(paths, block_size)):
        _, series, first = simulate_block_of_paths(ctx, seed, b, n, lay, buffer)
        for k, v in fn(per_path(series, first, lay), frame).items():
            parts.setdefault(k, []).append(np.array(v, dtype=np.float64))  # a copy: the buffer is reused
    return {k: np.concatenate(v) for k, v in parts.items()}


def measure_values(scenario, seed: int, paths: int, block_size: int, measure: Measure) -> np.ndarray:
    """Every path's value of ``measure`` (paths,); ``measure.estimate`` of it is the run's number.

    The deal-impact measures (``sim.engine.measures.DEAL_IMPACT_METRICS``) run every path with
    and without the deal (``sim.engine.paired.deal_path_values``).
    """
    if measure.name in DEAL_IMPACT_METRICS:
        return deal_path_values(scenario, seed, paths, block_size, lambda o, f: {"y": measure.values(o, f)})["y"]
    return path_values(scenario, seed, paths, block_size, lambda o, f: {"y": measure.values(o, f)})["y"]


def input_draws(scenario, seed: int, paths: int, block_size: int, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Every path's draw of each parameter key (paths,), blocks in order (the paths of ``sim run``)."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for b, n in enumerate(block_sizes(paths, block_size)):
        params = draw_parameters(scenario, seed, b, n)
        for k in keys:
            parts[k].append(params[k])
    return {k: np.concatenate(v) for k, v in parts.items()}
