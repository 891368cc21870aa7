"""Everything together: the baseline, tornado and spider, rank correlations and Sobol indices of one metric."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from sim.analysis.sensitivity.correlations import correlation_targets, rank_correlations
from sim.analysis.sensitivity.inputs import Input, uncertain_inputs
from sim.analysis.sensitivity.oat import HIGH, LOW, PERCENTILES, sweep, sweep_runs
from sim.analysis.sensitivity.result import SensitivityResult
from sim.analysis.sensitivity.runner import Runner
from sim.analysis.sensitivity.sobol import (
    BOOTSTRAP,
    SOBOL_PATHS,
    factors,
    sobol_analysis,
)
from sim.engine.measures import DEAL_IMPACT_METRICS, Measure, resolve_metric
from sim.model import ConfigError, ParameterError, load_scenario, scenario_hash

__all__ = ["DEFAULT_PATHS", "analyse", "planned_runs"]

DEFAULT_PATHS = 50_000


def analyse(
    scenario,
    metric: str | Measure = "p_cash_breach",
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    *,
    block_size: int | None = None,
    inputs: Sequence[str] | None = None,
    percentiles: Sequence[float] = PERCENTILES,
    low: float = LOW,
    high: float = HIGH,
    correlations: bool = True,
    sobol: int = 0,
    sobol_paths: int = SOBOL_PATHS,
    bootstrap: int = BOOTSTRAP,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Tornado, spider, rank correlations and (with ``sobol`` = N > 0) Sobol indices.

    Parameters
    ----------
    scenario : Scenario, str, path or dict
        What :func:`sim.load` accepts.
    metric : str or Measure
        A name from ``metric_names(per_path=True)`` (default ``p_cash_breach``).
    paths, seed, block_size : int
        Paths of every tornado/spider run and of the baseline; one seed and
        block size for all runs (common random numbers).
    inputs : list of str, optional
        Dotted keys to analyse (default: every input that varies).
    percentiles : spider points, percent
    low, high : tornado ends, percent (default P10 / P90)
    correlations : per-path rank correlations on the baseline's paths
    sobol : base sample size N (a power of two; 0 = no Sobol analysis);
        N (D + 2) runs of ``sobol_paths`` paths each
    bootstrap : resamples for the Sobol intervals
    threads : runs in parallel (default all cores); never changes results
    progress : called with 1 after each run

    Raises
    ------
    ParameterError
        Naming the parameter (``metric``, ``inputs``, ``low``,
        ``percentiles``, ``sobol``) that is wrong.
    """
    t0 = time.perf_counter()
    scn = load_scenario(scenario)
    if not 0 < low < high < 100:
        raise ParameterError("low", f"need 0 < low < high < 100 percent, got {low:g} and {high:g}")
    if any(not 0 < p < 100 for p in percentiles):
        raise ParameterError("percentiles", "percentiles must be between 0 and 100 (exclusive)")
    if sobol and (sobol < 2 or sobol & (sobol - 1)):
        raise ParameterError("sobol", f"N must be a power of two of at least 2 (e.g. 64, 256), not {sobol}")
    m = metric if isinstance(metric, Measure) else resolve_metric(metric, scn, per_path=True)
    if m.per_path is None:
        raise ParameterError("metric", f"{m.name}: has no per-path value")
    chosen = uncertain_inputs(scn, inputs)
    if not chosen:
        raise ConfigError(scn.scenario.name or "scenario", "", "no uncertain inputs: every (D) parameter is a fixed value")
    deal = m.name in DEAL_IMPACT_METRICS  # the deal-impact metrics: every path also without the deal
    runner = Runner(scn, paths, seed, block_size, threads, progress, deal_impact=deal)
    base = runner.values((), correlation_targets(m))
    baseline = m.estimate(base["metric"])
    corr = rank_correlations(scn, seed, paths, runner.block_size, chosen, base, m) if correlations else None
    del base
    sweeps = sweep(runner, m, chosen, percentiles, low, high)
    sob = None
    if sobol:
        sr = Runner(scn, sobol_paths, seed, runner.block_size, threads, progress, deal_impact=deal)
        sob = sobol_analysis(sr, m, chosen, sobol, n_boot=bootstrap)
        runner.runs += sr.runs
    return SensitivityResult(
        scenario=scn.scenario.name, metric=m, paths=paths, seed=seed, block_size=runner.block_size, low=low, high=high,
        percentiles=sorted(set(float(p) for p in percentiles)), baseline=baseline, sweeps=sweeps, correlations=corr,
        sobol=sob, inputs=chosen, seconds=time.perf_counter() - t0, runs=runner.runs, config_hash=scenario_hash(scn),
    )


def planned_runs(scenario, inputs: Sequence[Input], percentiles=PERCENTILES, low=LOW, high=HIGH, sobol: int = 0) -> int:
    """Runs :func:`analyse` will make (for a progress bar)."""
    total = 1 + sweep_runs(inputs, percentiles, low, high)
    if sobol:
        total += sobol * (len(factors(scenario, inputs)) + 2)
    return total
