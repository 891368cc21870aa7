"""Back-test: run configs with ``[[actuals]]`` and score the model's calibration (docs/BACKTEST.md).

Each run's summary carries ``backtest`` (``sim.engine.backtest``: per actual
its exact PIT, band membership, or event probability and Brier score).  This
module runs several configs and pools their scores into one calibration
summary: coverage of the central 50% and 90% bands with Wilson 95% intervals,
mean PIT, a 5-bin PIT histogram and the mean Brier score against a
climatological baseline.

The climatological baseline forecasts every scored event with the pooled
observed frequency ``f`` of the scored events (in sample), so its Brier score
is ``f (1 - f)``; the skill is ``1 - mean_brier / baseline`` where the
baseline is positive (when every event had the same outcome the in-sample
climatology is perfect, the baseline is 0 and the skill is undefined: None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.backtest import BANDS
from sim.engine.results import wilson

__all__ = ["PIT_BINS", "BacktestRun", "calibration", "run_backtest"]

#: the PIT histogram's bins: 5 of width 0.2 over [0, 1] (a calibrated model fills them evenly)
PIT_BINS = 5


@dataclass
class BacktestRun:
    """One config's run: its name, the ``Result`` and the summary's ``backtest`` dict."""

    config: str
    result: object  # sim.engine.results.Result

    @property
    def scores(self) -> dict:
        return self.result.summary["backtest"]


def pit_histogram(pits, bins: int = PIT_BINS) -> list[int]:
    """Counts of PIT values in ``bins`` equal bins over [0, 1] (1.0 in the last bin)."""
    idx = np.minimum((np.asarray(pits, dtype=float) * bins).astype(int), bins - 1)
    return np.bincount(idx, minlength=bins).tolist() if len(pits) else [0] * bins


def _coverage(inside: list[bool], band: str) -> dict:
    k, n = int(sum(inside)), len(inside)
    lo, hi = BANDS[band]
    return {
        "nominal": hi - lo,
        "rate": k / n if n else None,
        "count": k,
        "n": n,
        "ci95": list(wilson(k, n)) if n else None,
    }


def calibration(scores: list[dict]) -> dict:
    """Pooled calibration of several runs' ``backtest`` dicts.

    Parameters
    ----------
    scores : list of dict
        ``summary["backtest"]`` of each run.

    Returns
    -------
    dict
        ``values`` and ``events`` (counts), ``coverage50`` and ``coverage90``
        (``{nominal, rate, count, n, ci95}``; Wilson 95% interval),
        ``mean_pit``, ``pit_histogram`` (``{edges, counts}``, 5 bins),
        ``mean_brier``, ``baseline_brier`` (climatological, see module),
        ``event_rate``, ``brier_skill`` (None where undefined).
    """
    values = [a for s in scores for a in s["actuals"] if a["kind"] == "value"]
    events = [a for s in scores for a in s["actuals"] if a["kind"] == "event"]
    pits = [a["pit"] for a in values]
    out = {
        "values": len(values),
        "events": len(events),
        "coverage50": _coverage([a["in50"] for a in values], "50"),
        "coverage90": _coverage([a["in90"] for a in values], "90"),
        "mean_pit": float(np.mean(pits)) if pits else None,
        "pit_histogram": {"edges": np.linspace(0.0, 1.0, PIT_BINS + 1).tolist(), "counts": pit_histogram(pits)},
        "mean_brier": None,
        "baseline_brier": None,
        "event_rate": None,
        "brier_skill": None,
    }
    if events:
        rate = float(np.mean([float(a["happened"]) for a in events]))
        mean_brier = float(np.mean([a["brier"] for a in events]))
        baseline = rate * (1.0 - rate)
        out.update(
            mean_brier=mean_brier, event_rate=rate, baseline_brier=baseline,
            brier_skill=1.0 - mean_brier / baseline if baseline > 0 else None,
        )
    return out


def run_backtest(configs, paths: int = 200_000, seed: int = 0, *, progress=None, **run_options) -> tuple[list[BacktestRun], dict]:
    """Run each config and pool its scores.

    Parameters
    ----------
    configs : sequence of str or Scenario
        TOML files or shipped scenario names (or loaded scenarios), each with ``[[actuals]]``.
    paths, seed : int
        Paths and seed of every run.
    progress : callable, optional
        Called with each config's name before it runs.
    **run_options
        Passed on to ``sim.engine.run.run_scenario`` (threads, block_size, quantiles...).

    Returns
    -------
    runs : list of BacktestRun
    calibration : dict
        :func:`calibration` of all runs.

    Raises
    ------
    sim.model.ParameterError
        ``configs``: a config without ``[[actuals]]``.
    """
    from sim.engine.run import run_scenario
    from sim.model import ParameterError, load_scenario

    runs = []
    for config in configs:
        scn = load_scenario(config)
        name = scn.scenario.name
        if not scn.actuals:
            raise ParameterError("configs", f"{name} has no [[actuals]] to score")
        if progress is not None:
            progress(name)
        runs.append(BacktestRun(name, run_scenario(scn, paths, seed, **run_options)))
    return runs, calibration([r.scores for r in runs])
