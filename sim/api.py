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

import numpy as np

from sim.model import ParameterError, Scenario, load_scenario
from sim.engine.results import Result
from sim.engine.run import run_scenario
from sim.engine.sampling import draw_parameters
from sim.engine.simulate import DEFAULT_BLOCK_SIZE, DEFAULT_PATHS, block_sizes, prepare, simulate_paths


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
    sim.model.ConfigError
        With a one-line ``source: dotted.key: problem`` message.
    """
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
    executor=None,
    sampling: str = "random",
    rare_event: bool = False,
    precision: "str | float | None" = None,
    precision_metric: str = "p_cash_breach",
    max_paths: int | None = None,
    deal_impact: bool = False,
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
        How quantiles are computed (see ``sim.engine.aggregate``).
    progress : callable, optional
        Called with each finished block's path count.
    executor : optional
        Runs the engine's tasks (``sim.engine.simulate.ThreadExecutor`` by default, or
        ``sim.engine.dask_executor.DaskExecutor``); results do not depend on it.
    sampling : {"random", "antithetic", "sobol", "lhs"}
        Design of the per-path parameter draws (variance reduction); with
        "antithetic" the step normals are paired too.
    rare_event : bool
        Importance sampling for rare breaches: pilot runs choose a mean shift
        of the normal scores towards the floor (``sim.engine.rare_event``), and breach
        probabilities are reweighted by each path's likelihood ratio
        (``summary["importance_sampling"]`` reports the effective sample size).
    precision : str, float or PrecisionGoal, optional
        Run until the 95% CI half-width of ``precision_metric`` reaches this
        (``0.002`` absolute, ``"5%"`` of the estimate; ``sim.engine.precision.PrecisionGoal``),
        checked once the first ``paths`` are done, then after every block, up to
        ``max_paths`` (default 100 x ``paths``).
    precision_metric : str
        ``p_cash_breach``, ``p_profit_compression_any`` or ``p_commitment_shortfall``.
    max_paths : int, optional
        Cap on paths under precision control.
    deal_impact : bool
        Also run every path without the deal (every commitment removed, the same
        draws; ``sim.engine.paired``) and add ``summary["deal_impact"]``
        (docs/DEAL_IMPACT.md); the rest of the summary is the plain run's. About
        twice a plain run's time.  A scenario without a commitment raises
        ``sim.model.ParameterError``.

    Returns
    -------
    Result
    """
    return run_scenario(
        load(scenario, overrides), paths, seed, threads=threads, block_size=block_size, record_steps=record_steps,
        quantiles=quantiles, progress=progress, executor=executor, sampling=sampling, rare_event=rare_event,
        precision=precision, precision_metric=precision_metric, max_paths=max_paths, deal_impact=deal_impact,
    )


def paths(
    scenario: "str | os.PathLike | Mapping | Scenario" = "pinterest_aws_2031",
    n: int = 10,
    seed: int = 0,
    *,
    overrides: Sequence[str] = (),
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> dict:
    """Every path's outputs and drawn parameters, to look at a handful of paths.

    These are the paths that ``run(scenario, paths=n, seed=seed,
    block_size=block_size)`` simulates and summarises (random sampling): the
    same draws, the same numbers.  Memory grows with ``n``; keep it to what
    you want to plot or check (a few thousand paths is ~10 MB).

    Parameters
    ----------
    scenario : str, path, dict or Scenario
        What :func:`load` accepts.
    n : int
        Number of paths.
    seed, block_size : int
        As :func:`run`.
    overrides : sequence of str
        ``"dotted.key=VALUE"`` overrides.

    Returns
    -------
    dict
        USD millions throughout.  Per fiscal year, arrays of shape (n, Y):
        ``revenue``, ``operating_income``, ``net_income``, ``fcf``,
        ``operating_margin``, ``cloud_cost`` (the bill paid, shortfall
        included), ``cloud_usage`` (the bill for usage after silicon savings and
        discount, before any shortfall), ``shortfall``, ``fines``,
        ``cash_end``.  Per commitment, (n, J, Y) with J =
        ``len(scenario.cloud.commitments)`` in that order (0 without a cloud
        bill): ``shortfall_by_commitment`` (paid), ``steered_by_commitment``
        (spend steered onto the contract), ``deferred_by_commitment``
        (minimum rolled over to the next contract year) and
        ``usage_by_commitment`` (usage counted toward the minimum, the whole
        term's under "term"), each booked in the
        fiscal year of its settlement step.  Per step, (n, K): ``cash`` at
        each step's end.  Per path, (n,): ``min_cash``, ``first_breach_step``
        (1-based, 0 = never).
        ``parameters``: dotted key -> (n,) values drawn once per path
        (Bernoulli keys such as ``revenue.ai_uplift.probability`` hold 1.0
        when the event happens on that path, else 0.0).  ``years`` (Y,) the
        fiscal years, ``time`` (K,) the fiscal time at each step's end
        (``start + k / steps_per_year``), ``minimums`` (Y,) the minimums of
        the counted contract years settled in each fiscal year, all
        commitments together (0 outside the terms), ``cash_floor``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    scn = load(scenario, overrides)
    out = dict(simulate_paths(scn, seed, n, block_size))
    draws = [draw_parameters(scn, seed, b, size) for b, size in enumerate(block_sizes(n, block_size))]
    out["parameters"] = {key: np.concatenate([d[key] for d in draws]) for key in draws[0]}
    model = prepare(scn).model
    s = scn.scenario
    out["years"] = np.arange(s.start, s.start + s.years)
    out["time"] = s.start + np.arange(1, s.years * s.steps_per_year + 1) / s.steps_per_year
    out["minimums"] = np.array(model.year_minimum, dtype=float) if model.has_cloud else np.zeros(s.years)
    out["cash_floor"] = scn.policy.cash_floor
    return out


def _paired(configs, overrides_b, paths, seed, block_size):
    from sim.analysis.compare import DEFAULT_COMPARE_PATHS, paired_compare

    if isinstance(configs, Mapping) and "scenario" not in configs:  # labels -> configs (not one config dict)
        items = list(configs.items())
    else:
        single = isinstance(configs, (str, os.PathLike, Scenario, Mapping))
        items = [(None, c) for c in ([configs] if single else configs)]
    if len(items) == 1 and overrides_b:
        items = [items[0], (None, items[0][1])]
    if len(items) != 2:
        raise ParameterError("results", f"paired mode compares two scenarios (got {len(items)}; or give one and overrides_b)")
    a = load(items[0][1])
    b = load(items[1][1], overrides_b)
    names = [label or s.scenario.name or f"config {i + 1}" for i, ((label, _), s) in enumerate(zip(items, (a, b)))]
    if names[0] == names[1]:
        names = [f"A: {names[0]}", f"B: {names[1]}" + (f" ({', '.join(overrides_b)})" if overrides_b else "")]
    return paired_compare(a, b, names=tuple(names), paths=paths or DEFAULT_COMPARE_PATHS, seed=seed, block_size=block_size)


# Rows of compare(): (label, summary_row column, kind)
_HEADLINE = (
    ("P(cash < floor)", "p_cash_breach", "p"),
    ("P(profit compression, any year)", "p_profit_compression_any", "p"),
    ("P(commitment shortfall)", "p_commitment_shortfall", "p"),
    ("P(breach and compression)", "p_breach_and_compression", "p"),
    ("Expected shortfall paid, total", "expected_shortfall_total", "$"),
    ("Min cash P5", "min_cash_p05", "$"),
    ("Min cash median", "min_cash_p50", "$"),
    ("Min cash, mean of worst 5%", "min_cash_es5", "$"),
)


def compare(results, text: bool = True, *, paired: bool = False, overrides_b: Sequence[str] = (),
            paths: int | None = None, seed: int = 0, block_size: int = DEFAULT_BLOCK_SIZE):
    """The headline numbers of several runs side by side, one column per run.

    Parameters
    ----------
    results : mapping of label to Result, or a sequence of Results
        Also accepts summary dicts.  A sequence's columns are named by each
        run's scenario name (numbered when names repeat).  With ``paired``:
        two scenarios (anything :func:`load` accepts; a mapping gives their
        labels), or one scenario and ``overrides_b``.
    text : bool
        True: strings to read (``"6.84% (6.73%–6.95%)"``, ``"$2.31B"``);
        False: numbers (probabilities as fractions, money in USD millions),
        each probability followed by its 95% bounds (``..._lo``, ``..._hi`` rows).
    paired : bool
        Run the two scenarios here on the same seed and blocks (common random
        numbers) and compare them path by path: every headline measure with its
        paired difference B - A and a 95% interval from the per-path differences,
        and the unpaired interval for contrast (``sim.analysis.compare``).
    overrides_b : sequence of str
        ``KEY=VALUE`` overrides that make B from A (paired mode, one scenario given).
    paths, seed, block_size : int
        Paired mode: the runs' paths (default 100,000), seed and block size.

    Returns
    -------
    pandas.DataFrame or sim.analysis.compare.Comparison
        One row per headline number (plus the cash floor), one column per run;
        with ``paired``, a ``Comparison`` (``.frame(text)``, ``.to_text()``,
        ``.to_dict()``, ``.write(folder)``).
    """
    if paired:
        return _paired(results, overrides_b, paths, seed, block_size)
    import pandas as pd

    from sim.present.formatting import money, percent, percent_ci
    from sim.analysis.sweep import summary_row

    if isinstance(results, Mapping):
        items = list(results.items())
    else:
        items, seen = [], {}
        for r in results:
            name = (r.summary if hasattr(r, "summary") else r)["scenario"]
            seen[name] = seen.get(name, 0) + 1
            items.append((name if seen[name] == 1 else f"{name} ({seen[name]})", r))
    columns = {}
    for label, r in items:
        s = r.summary if hasattr(r, "summary") else r
        row = summary_row(s)
        col = {}
        for name, key, kind in _HEADLINE:
            if not text:
                col[key] = row[key]
                if kind == "p":
                    col[key + "_lo"], col[key + "_hi"] = row[key + "_lo"], row[key + "_hi"]
            elif kind == "p":
                col[name] = f"{percent(row[key])} ({percent_ci([row[key + '_lo'], row[key + '_hi']])})"
            else:
                col[name] = money(row[key])
        col["Cash floor" if text else "cash_floor"] = money(s["cash_floor"]) if text else s["cash_floor"]
        columns[str(label)] = col
    return pd.DataFrame(columns)
