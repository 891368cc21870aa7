"""One run of a scenario, start to finish: the engine's entry point for every caller.

The API (``sim.run``), sweeps, solve and sensitivity all come through
:func:`run_scenario`, so a plain run, precision control and importance sampling
mean the same wherever they are asked for.
"""

from __future__ import annotations

from typing import Callable

from sim.engine.paired import PairedSimulation, check_deal
from sim.engine.precision import PrecisionGoal, parse_precision_goal, run_to_precision
from sim.engine.rare_event import plan as plan_tilt
from sim.engine.results import Result, summarize
from sim.engine.simulate import DEFAULT_BLOCK_SIZE, DEFAULT_PATHS, Method, Simulation, block_sizes
from sim.model import Scenario

__all__ = ["run_scenario", "with_plan"]


def run_scenario(
    scn: Scenario,
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    *,
    threads: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    record_steps: bool = True,
    quantiles: str = "auto",
    progress: Callable[[int], None] | None = None,
    executor=None,
    sampling: str = "random",
    rare_event: bool = False,
    precision: "str | float | None" = None,
    precision_metric: str = "p_cash_breach",
    max_paths: int | None = None,
    deal_impact: bool = False,
) -> Result:
    """Simulate a validated scenario and summarise it: the body of ``sim.run``.

    ``scn`` is a Scenario (``sim.model.load_scenario``); every other parameter
    is ``sim.run``'s and is documented there (``sim.api.run``), once.

    Returns
    -------
    Result
    """
    method, plan = Method(sampling), None
    if deal_impact:
        check_deal(scn)
        if rare_event:
            raise ValueError("deal impact does not combine with rare-event importance sampling")
    kind = PairedSimulation if deal_impact else Simulation
    if rare_event:
        if sampling != "random":
            raise ValueError("rare-event importance sampling combines with random sampling only")
        method, plan = plan_tilt(scn, seed, block_size=block_size)
    if precision is None:
        if paths < 1:
            raise ValueError("paths must be at least 1")
        run = kind(scn, seed, block_size, record_steps, quantiles, paths, threads, executor, method)
        run.advance(block_sizes(paths, block_size), progress)
        return Result(with_deal_impact(with_plan(summarize(run.data()), plan), run), scn)
    goal = precision if isinstance(precision, PrecisionGoal) else parse_precision_goal(str(precision), precision_metric)
    cap = max_paths or 100 * paths
    run = kind(scn, seed, block_size, record_steps, quantiles, cap, threads, executor, method)
    history, reached, reason = run_to_precision(run, goal, cap, first_paths=paths, progress=progress)
    summary = with_deal_impact(with_plan(summarize(run.data()), plan), run)
    summary["precision"] = {
        "metric": goal.metric,
        "target": goal.value,
        "relative": goal.relative,
        "reached": reached,
        "reason": reason,
        "max_paths": cap,
        "convergence": history,
    }
    return Result(summary, scn)


def with_deal_impact(summary: dict, run) -> dict:
    """Add ``deal_impact`` when ``run`` paired every path with its no-deal counterfactual."""
    if isinstance(run, PairedSimulation):
        summary["deal_impact"] = run.deal_impact()
    return summary


def with_plan(summary: dict, plan: dict | None) -> dict:
    if plan is not None and "importance_sampling" in summary:
        summary["importance_sampling"]["plan"] = plan
    return summary
