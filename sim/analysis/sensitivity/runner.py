"""Running many variants of one scenario on common random numbers."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

from sim.engine.measures import Frame, Measure
from sim.engine.paired import deal_path_values
from sim.engine.per_path import measure_values, path_values
from sim.engine.simulate import DEFAULT_BLOCK_SIZE
from sim.model import load_scenario

__all__ = ["Runner"]


class Runner:
    """Runs variants of a scenario (``--set``-style overrides) on the same seed and blocks.

    Each variant runs its blocks one after another on one thread
    (:func:`sim.engine.per_path.path_values`), keeping only the per-path
    values asked for (memory: one block's series matrix per thread, plus a
    few floats per path); :meth:`map` runs variants on a thread pool (the
    kernel releases the GIL).  Blocks and paths are those of ``sim run``;
    results never depend on the thread count.

    Parameters
    ----------
    scenario : Scenario
        The loaded scenario every variant starts from.
    paths, seed, block_size : int
        Of every run (default block size: ``sim run``'s).
    threads : int, optional
        Variants run at once (default: every core).
    progress : callable, optional
        Called with 1 after each run.
    """

    def __init__(self, scenario, paths: int, seed: int = 0, block_size: int | None = None, threads: int | None = None,
                 progress: Callable[[int], None] | None = None, deal_impact: bool = False):
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
        self.deal_impact = deal_impact  # [v2] every path also without the deal (sim.engine.paired): deal-impact metrics
        self.runs = 0
        self._lock = threading.Lock()

    def variant(self, overrides: Sequence[str] = ()):
        """The scenario with ``overrides`` (``KEY=VALUE`` strings) applied."""
        return load_scenario(self.scenario, list(overrides)) if overrides else self.scenario

    def _counted(self, values):
        with self._lock:
            self.runs += 1
            if self.progress is not None:
                self.progress(1)
        return values

    def values(self, overrides: Sequence[str], fn: Callable[[dict, Frame], dict]) -> dict[str, np.ndarray]:
        """Per-path values of the variant: ``fn(outputs, frame)`` on each block, concatenated (name -> (paths,))."""
        values = deal_path_values if self.deal_impact else path_values
        return self._counted(values(self.variant(overrides), self.seed, self.paths, self.block_size, fn))

    def metric(self, overrides: Sequence[str], metric: Measure) -> np.ndarray:
        """Per-path values (paths,) of ``metric`` for the variant."""
        return self._counted(measure_values(self.variant(overrides), self.seed, self.paths, self.block_size, metric))

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
