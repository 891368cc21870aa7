"""The Python API for notebooks and scripts.

>>> import sim
>>> scn = sim.load("pinterest_aws_2031", overrides=["cloud.commitment.total=5B"])
>>> result = sim.run(scn, paths=100_000, seed=1)
>>> result.summary["p_cash_breach"]["estimate"]      # doctest: +SKIP
>>> result.by_year()                                  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

from sim.config import Scenario, load_scenario
from sim.engine import DEFAULT_BLOCK_SIZE, DEFAULT_PATHS, run_blocks
from sim.results import Result, summarize


def load(source: "str | os.PathLike | Mapping | Scenario" = "pinterest_aws_2031", overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source : str, path, dict or Scenario
        A TOML file, the name of a shipped scenario (``sim scenarios`` lists
        them), a dict with the same structure as the TOML, or a Scenario.
    overrides : sequence of str
        ``"dotted.key=VALUE"`` strings, as ``sim run --set``.

    Raises
    ------
    sim.config.ConfigError
        With a one-line ``source: dotted.key: problem`` message.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        from sim.config import scenario_to_dict

        source = scenario_to_dict(source)
    return load_scenario(source, overrides)


def run(
    scenario: "str | os.PathLike | Mapping | Scenario" = "pinterest_aws_2031",
    paths: int = DEFAULT_PATHS,
    seed: int = 0,
    *,
    overrides: Sequence[str] = (),
    threads: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    record_steps: bool = True,
    quantiles: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Simulate a scenario and summarise it.

    Parameters
    ----------
    scenario : str, path, dict or Scenario
        What :func:`load` accepts.
    paths : int
        Number of Monte Carlo paths.
    seed : int
        Seed; with ``paths`` and ``block_size`` it fixes every number.
    overrides : sequence of str
        ``"dotted.key=VALUE"`` overrides applied before validation.
    threads : int, optional
        Worker threads (default: all cores); results do not depend on it.
    block_size : int
        Paths per block (default 32,768).
    record_steps : bool
        Keep per-step cash quantiles (fan charts).
    quantiles : {"auto", "exact", "sketch"}
        How quantiles are computed (see ``sim.aggregate``).
    progress : callable, optional
        Called with each finished block's path count.

    Returns
    -------
    Result
    """
    scn = load(scenario, overrides)
    data = run_blocks(scn, paths, seed, threads, block_size, record_steps, quantiles, progress)
    return Result(summarize(data), scn, data)
