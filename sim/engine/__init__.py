"""The engine: scenarios simulated block by block, merged into a :class:`Result`.

``run_scenario`` is the entry point (a validated Scenario in, a Result out);
``simulate_paths`` returns every path's outputs for small runs and checks.
Results depend on (config, seed, paths, block size) only.
"""

from sim.engine.measures import MEASURES, Measure, metric_names, resolve_metric
from sim.engine.per_path import path_values
from sim.engine.results import Result, summarize
from sim.engine.run import run_scenario
from sim.engine.simulate import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_PATHS,
    Method,
    Simulation,
    ThreadExecutor,
    block_sizes,
    prepare,
    run_blocks,
    simulate_paths,
)

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_PATHS",
    "MEASURES",
    "Measure",
    "Method",
    "Result",
    "Simulation",
    "ThreadExecutor",
    "block_sizes",
    "metric_names",
    "path_values",
    "prepare",
    "resolve_metric",
    "run_blocks",
    "run_scenario",
    "simulate_paths",
    "summarize",
]
