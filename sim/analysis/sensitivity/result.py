"""The result of a sensitivity analysis: tables, JSON, files, and its text for the terminal and Markdown."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from sim.analysis.sensitivity.correlations import Correlations
from sim.analysis.sensitivity.inputs import Input
from sim.analysis.sensitivity.oat import Sweep
from sim.analysis.sensitivity.plots import save_figures
from sim.analysis.sensitivity.sobol import SobolResult
from sim.engine.measures import Estimate, Measure
from sim.files import write_atomic
from sim.model.labels import factor_label, parameter_label
from sim.present.formatting import money, percent

__all__ = ["SensitivityResult", "RESULT_FILE", "formatter", "delta"]

RESULT_FILE = "sensitivity.json"


@dataclass
class SensitivityResult:
    """The analyses of one scenario and metric; tables, JSON, figures.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    metric : Measure
    paths, seed, block_size : int
        Of every tornado/spider run and the baseline.
    low, high : float
        The tornado's ends, percent.
    percentiles : list of float
        The spider's points, percent.
    baseline : Estimate
        The metric with every input random.
    sweeps : list of Sweep
        One per input, largest swing first.
    correlations : Correlations or None
    sobol : SobolResult or None
    inputs : list of Input
    seconds : float
        Wall time of the analysis.
    runs : int
        Runs made, Sobol's included.
    config_hash : str or None
        SHA-256 of the resolved scenario (as ``sim run``'s summary.json).
    """

    scenario: str
    metric: Measure
    paths: int
    seed: int
    block_size: int
    low: float
    high: float
    percentiles: list[float]
    baseline: Estimate
    sweeps: list[Sweep]
    correlations: Correlations | None = None
    sobol: SobolResult | None = None
    inputs: list[Input] = field(default_factory=list)
    seconds: float = 0.0
    runs: int = 0
    config_hash: str | None = None

    # -- tables -----------------------------------------------------------
    def tornado_table(self):
        """One row per input, sorted by swing: the values held, the metric at each end, the swing."""
        import pandas as pd

        rows = []
        for s in self.sweeps:
            rows.append({
                "key": s.input.key, "low_value": s.low_value, "high_value": s.high_value,
                "metric_low": s.low.estimate, "metric_low_lo": s.low.ci95[0], "metric_low_hi": s.low.ci95[1],
                "metric_high": s.high.estimate, "metric_high_lo": s.high.ci95[0], "metric_high_hi": s.high.ci95[1],
                "diff": s.diff, "diff_lo": s.diff_ci95[0], "diff_hi": s.diff_ci95[1],
                "swing": s.swing, "swing_lo": s.swing_ci95[0], "swing_hi": s.swing_ci95[1],
            })
        return pd.DataFrame(rows)

    def spider_table(self):
        """Long table: key, percentile, value held, metric and its interval."""
        import pandas as pd

        rows = [
            {"key": s.input.key, "percentile": p, "value": v, "metric": e.estimate, "metric_lo": e.ci95[0], "metric_hi": e.ci95[1]}
            for s in self.sweeps
            for p, v, e in s.points
        ]
        return pd.DataFrame(rows)

    def correlation_table(self):
        import pandas as pd

        return pd.DataFrame(self.correlations.to_dict()["rows"]) if self.correlations else pd.DataFrame()

    def sobol_table(self):
        import pandas as pd

        if self.sobol is None:
            return pd.DataFrame()
        rows = []
        for r in self.sobol.to_dict()["rows"]:
            rows.append({"factor": r["factor"], "S1": r["S1"], "S1_lo": r["S1_ci95"][0], "S1_hi": r["S1_ci95"][1],
                         "ST": r["ST"], "ST_lo": r["ST_ci95"][0], "ST_hi": r["ST_ci95"][1]})
        return pd.DataFrame(rows)

    # -- serialisation ------------------------------------------------------
    def to_dict(self) -> dict:
        """What ``sensitivity.json`` holds (the report's section 9 reads it)."""
        return {
            "scenario": self.scenario,
            "metric": self.metric.to_dict(),
            "paths": self.paths,
            "seed": self.seed,
            "block_size": self.block_size,
            "tornado_percentiles": [self.low, self.high],
            "spider_percentiles": self.percentiles,
            "baseline": self.baseline.to_dict(),
            "tornado": [s.to_dict() for s in self.sweeps],
            "correlations": self.correlations.to_dict() if self.correlations else None,
            "sobol": self.sobol.to_dict() if self.sobol else None,
            "runs": self.runs,
            "runtime_seconds": self.seconds,
            "config_hash": self.config_hash,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=_jsonable)

    def save(self, folder: str | os.PathLike, figures: bool = True) -> list[Path]:
        """Write ``sensitivity.json``, ``tornado.csv``, ``spider.csv``, ``correlations.csv``,
        ``sobol.csv`` (what was computed) and, with ``figures``, ``tornado.png`` and
        ``spider.png`` (plus ``sobol.png``) into ``folder``; returns the paths written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []

        def put(name, text):
            write_atomic(folder / name, text)
            written.append(folder / name)

        put(RESULT_FILE, self.to_json() + "\n")
        put("tornado.csv", self.tornado_table().to_csv(index=False))
        put("spider.csv", self.spider_table().to_csv(index=False))
        if self.correlations is not None:
            put("correlations.csv", self.correlation_table().to_csv(index=False))
        if self.sobol is not None:
            put("sobol.csv", self.sobol_table().to_csv(index=False))
        if figures:
            written += save_figures(self, folder)
        return written

    # -- text -----------------------------------------------------------------
    def to_markdown(self, top: int = 10, figures_dir: str | None = None) -> str:
        """A "Sensitivity" section for a Markdown report: tables, and the figures when ``figures_dir`` is given."""
        m = self.metric
        show = formatter(m)
        b = self.baseline
        out = [
            f"## Sensitivity: {m.label}",
            "",
            f"{self.paths:,} paths per run, seed {self.seed}, common random numbers. Baseline (every input random): "
            f"{show(b.estimate)} (95% CI {show(b.ci95[0])} - {show(b.ci95[1])}).",
            "",
            f"| input | held at P{self.low:g} / P{self.high:g} | {m.label} | swing (95% CI) |",
            "|---|---|---|---|",
        ]
        for s in self.sweeps[:top]:
            lo, hi = s.swing_ci95
            out.append(f"| {s.input.label} | {s.input.show(s.low_value)} / {s.input.show(s.high_value)} | "
                       f"{show(s.low.estimate)} -> {show(s.high.estimate)} | {delta(m, s.swing)} "
                       f"({delta(m, lo, unit=False)} - {delta(m, hi, unit=False)}) |")
        if figures_dir is not None:
            out += ["", f"![Tornado]({figures_dir}/tornado.png)", "", f"![Spider]({figures_dir}/spider.png)"]
        c = self.correlations
        if c is not None:
            out += ["", "| input | rank corr. with min cash | share | with breach | share |", "|---|---|---|---|---|"]
            for i in np.argsort([-x for x in c.contribution["min_cash"]], kind="stable")[:top]:
                out.append(f"| {parameter_label(c.keys[i])} | {_rho(c.rho['min_cash'][i])} | {c.contribution['min_cash'][i]:.0%} | "
                           f"{_rho(c.rho['breach'][i])} | {c.contribution['breach'][i]:.0%} |")
        if self.sobol is not None:
            d = self.sobol.to_dict()
            out += ["", f"Sobol indices (N = {self.sobol.n}, {self.sobol.paths:,} paths per run; Monte Carlo noise "
                        f"{_share(self.sobol.noise_share)} of the variance):", "",
                    "| factor | first order (95% CI) | total order (95% CI) |", "|---|---|---|"]
            for i in np.argsort([-(r["ST"] or 0) for r in d["rows"]], kind="stable")[:top]:
                r = d["rows"][i]
                out.append(f"| {factor_label(r['factor'])} | {_ix(r['S1'], r['S1_ci95'])} | {_ix(r['ST'], r['ST_ci95'])} |")
            if figures_dir is not None:
                out += ["", f"![Sobol indices]({figures_dir}/sobol.png)"]
        return "\n".join(out) + "\n"

    def format(self, top: int = 10) -> str:
        """A concise terminal summary."""
        m = self.metric
        show = formatter(m)
        b = self.baseline
        lines = [
            f"Sensitivity of {m.label} - {self.scenario}",
            f"{self.paths:,} paths per run, seed {self.seed}, {self.runs} runs on common random numbers, {self.seconds:.1f} s",
            "",
            f"Baseline (every input random)  {show(b.estimate)}   95% CI {show(b.ci95[0])} - {show(b.ci95[1])}",
            "",
            f"Tornado: input held at P{self.low:g} / P{self.high:g}, largest swing first",
        ]
        rows = self.sweeps[:top]
        width = max([len(s.input.label) for s in rows] + [5])
        for s in rows:
            held = f"{s.input.show(s.low_value)} / {s.input.show(s.high_value)}"
            lo, hi = s.swing_ci95
            lines.append(
                f"  {s.input.label.ljust(width)}  {held:>17}  {show(s.low.estimate):>9} -> {show(s.high.estimate):<9}"
                f"  swing {delta(m, s.swing)} [{delta(m, lo, unit=False)}, {delta(m, hi, unit=False)}]"
            )
        if len(self.sweeps) > top:
            lines.append(f"  ... {len(self.sweeps) - top} more in tornado.csv")
        c = self.correlations
        if c is not None:
            lines.append("")
            lines.append("Rank correlation of each path's draw (Spearman), contribution to variance")
            order = np.argsort([-x for x in c.contribution["min_cash"]], kind="stable")[:top]
            lines.append(f"  {'input'.ljust(width)}  {'min cash':>9} {'share':>6}  {'breach':>7} {'share':>6}")
            for i in order:
                r1, r2 = c.rho["min_cash"][i], c.rho["breach"][i]
                lines.append(
                    f"  {parameter_label(c.keys[i]).ljust(width)}  {_rho(r1):>9} {c.contribution['min_cash'][i]:>6.0%}  "
                    f"{_rho(r2):>7} {c.contribution['breach'][i]:>6.0%}"
                )
        s = self.sobol
        if s is not None:
            d = s.to_dict()
            lines.append("")
            lines.append(f"Sobol indices of {m.label}: N = {s.n}, {s.paths:,} paths per run, {s.runs:,} runs; "
                         f"Monte Carlo noise {_share(s.noise_share)} of the variance")
            names = [factor_label(x) for x in s.names]
            w2 = max([len(x) for x in names] + [6])
            lines.append(f"  {'factor'.ljust(w2)}  {'first order':>20}  {'total order':>20}")
            order = np.argsort([-(r['ST'] or 0) for r in d["rows"]], kind="stable")[:top]
            for i in order:
                r = d["rows"][i]
                lines.append(f"  {names[i].ljust(w2)}  {_ix(r['S1'], r['S1_ci95']):>20}  {_ix(r['ST'], r['ST_ci95']):>20}")
        return "\n".join(lines)


def formatter(m: Measure) -> Callable[[float], str]:
    """The metric's values as text: ``6.87%`` (two decimals) for probabilities and shares, money for money (ASCII minus)."""
    if m.is_percent:
        return lambda p: percent(p, 2, minus="-")
    return lambda x: money(x, minus="-")


def delta(m: Measure, x: float, unit: bool = True) -> str:
    """A difference of the metric: ``15.70 pts`` (``unit=False``: ``15.70``) or money."""
    if m.is_percent:
        return f"{100 * x:.2f}" + (" pts" if unit else "")
    return money(x, minus="-")


def _rho(r: float) -> str:
    return "n/a" if not math.isfinite(r) else f"{r:+.3f}"


def _share(x: float | None) -> str:
    return percent(x, 1, minus="-")  # "n/a" for None and NaN


def _ix(v, ci) -> str:
    if v is None:
        return "n/a"
    lo, hi = ci
    if lo is None or hi is None:
        return f"{v:.3f}"
    return f"{v:.3f} [{lo:.2f}, {hi:.2f}]"


def _jsonable(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
