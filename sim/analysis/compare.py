"""Paired comparison of two scenarios on common random numbers.

Two configs (or one config and overrides) are run with the same seed, paths and
block size.  Every (D) key and event process draws from a stream of its own
(docs/DRAWS.md), so path i of A and path i of B share every draw the two
configs have in common: the per-path difference d_i = v_B,i - v_A,i of a
headline measure has a far smaller variance than the difference of two
independent runs.  For a measure with per-path values v the paired standard
error is sd(d)/sqrt(n), against sqrt(se_A^2 + se_B^2) for independent runs;
``narrowing`` is their ratio (the paired interval is that share of the
unpaired one's width).  The paired standard error squared is
(Var(v_A) + Var(v_B) - 2 Cov(v_A, v_B))/n: the covariance term is what common
random numbers buy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.engine.measures import MEASURES, Frame, Measure
from sim.engine.per_path import path_values
from sim.engine.results import Z95
from sim.engine.simulate import DEFAULT_BLOCK_SIZE
from sim.model import ParameterError
from sim.present.formatting import money, percent

__all__ = ["DEFAULT_COMPARE_PATHS", "HEADLINE", "Comparison", "check_comparable", "paired_compare"]

DEFAULT_COMPARE_PATHS = 100_000
#: the headline measures compared (``sim.engine.measures`` names, all with per-path values)
HEADLINE = (
    "p_cash_breach",
    "p_profit_compression_any",
    "p_commitment_shortfall",
    "p_breach_and_compression",
    "p_net_loss_any",
    "expected_shortfall_total",
    "min_cash_mean",
    "min_cash_p05",
    "min_cash_median",
)


def check_comparable(a, b) -> None:
    """Raise ``ParameterError("b", ...)`` unless the two scenarios share a time grid (paths pair step by step)."""
    ga, gb = a.scenario, b.scenario
    grid_a, grid_b = (ga.start, ga.years, ga.steps_per_year), (gb.start, gb.years, gb.steps_per_year)
    if grid_a != grid_b:
        raise ParameterError(
            "b",
            f"the two configs have different horizons or step counts (A: {ga.start}, {ga.years} years, "
            f"{ga.steps_per_year} steps a year; B: {gb.start}, {gb.years} years, {gb.steps_per_year} steps a year): "
            "paths can be paired only on the same time grid",
        )


def _values(scn, seed: int, paths: int, block_size: int, measures: list[Measure]) -> dict[str, np.ndarray]:
    def fn(o, f: Frame) -> dict:
        out = {m.name: m.values(o, f) for m in measures}
        out["_first_breach_step"] = o["first_breach_step"]
        out["_min_cash"] = o["min_cash"]
        return out

    return path_values(scn, seed, paths, block_size, fn)


@dataclass
class Comparison:
    """Paired comparison of A and B.

    Attributes
    ----------
    names : (str, str)
        Labels of A and B.
    paths, seed, block_size : int
    rows : list of dict
        One per measure: ``metric``, ``label``, ``unit``, ``a`` and ``b`` (each
        ``{estimate, se, ci95}``), ``difference`` (B - A: ``{estimate, se, ci95}``
        from the per-path differences; for a quantile, the difference of the two
        estimates and no interval), ``unpaired_ci95`` (what two independent runs
        give) and ``narrowing`` (paired over unpaired standard error).
    breach_curves : dict
        ``years`` and, for ``a`` and ``b``, cumulative P(first breach by the end of year y).
    min_cash : dict
        Min-cash histograms on shared ``edges``: ``a`` and ``b`` counts.
    """

    names: tuple[str, str]
    paths: int
    seed: int
    block_size: int
    rows: list[dict]
    breach_curves: dict = field(default_factory=dict)
    min_cash: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"a": self.names[0], "b": self.names[1], "paths": self.paths, "seed": self.seed,
                "block_size": self.block_size, "metrics": self.rows, "breach_curves": self.breach_curves,
                "min_cash_histogram": self.min_cash}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def frame(self, text: bool = True):
        """A pandas DataFrame, one row per measure (strings to read, or numbers)."""
        import pandas as pd

        if not text:
            return pd.DataFrame([{"metric": r["metric"], "a": r["a"]["estimate"], "b": r["b"]["estimate"],
                                  "difference": r["difference"]["estimate"],
                                  "difference_lo": (r["difference"]["ci95"] or [math.nan])[0],
                                  "difference_hi": (r["difference"]["ci95"] or [math.nan, math.nan])[1],
                                  "unpaired_lo": (r["unpaired_ci95"] or [math.nan])[0],
                                  "unpaired_hi": (r["unpaired_ci95"] or [math.nan, math.nan])[1],
                                  "narrowing": r["narrowing"]} for r in self.rows]).set_index("metric")
        return pd.DataFrame({r["label"]: _text_row(r, self.names) for r in self.rows}).T

    def to_text(self) -> str:
        """An aligned plain-text table (ASCII) with a line on how much the pairing narrows the intervals."""
        a, b = self.names
        head = ("measure", a, b, "B - A (paired 95% CI)", "unpaired 95% CI", "width")
        body = [head]
        for r in self.rows:
            t = _text_row(r, self.names, minus="-")
            body.append((r["label"], t[a], t[b], t["B - A (paired 95% CI)"], t["unpaired 95% CI"], t["width"]))
        widths = [max(len(row[i]) for row in body) for i in range(len(head))]
        lines = [(f"Paired comparison on common random numbers: {self.paths:,} paths, seed {self.seed}, "
                  f"block size {self.block_size:,} (A = {a}, B = {b})"), ""]
        for row in body:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        ratios = [r["narrowing"] for r in self.rows if r["narrowing"] is not None and r["narrowing"] > 0]
        if ratios:
            lines.append("")
            lines.append(f"width: the paired interval as a share of the unpaired one (median {np.median(ratios):.0%}); "
                         "two independent runs would need about "
                         f"{1 / np.median(ratios) ** 2:,.0f}x the paths for the same precision")
        return "\n".join(lines)

    def figure(self):
        """Overlay figure: breach curves and min-cash distributions of A and B (matplotlib Figure)."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        years = self.breach_curves["years"]
        for key, name in zip(("a", "b"), self.names):
            left.plot(years, 100 * np.asarray(self.breach_curves[key]), marker="o", label=name)
        left.set_title("P(cash < floor) by the end of each year")
        left.set_ylabel("%")
        left.legend()
        edges = np.asarray(self.min_cash["edges"])
        mids = 0.5 * (edges[1:] + edges[:-1])
        for key, name in zip(("a", "b"), self.names):
            right.step(mids, self.min_cash[key], where="mid", label=name)
        right.set_title("Minimum cash over the horizon (paths per bin)")
        right.set_xlabel("USD millions")
        right.legend()
        fig.tight_layout()
        return fig

    def write(self, out_dir) -> list[Path]:
        """Write ``comparison.json``, ``comparison.txt``, ``comparison.png`` and a small ``comparison.html`` into ``out_dir``."""
        import html

        from sim.files import write_atomic

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in (("comparison.json", self.to_json()), ("comparison.txt", self.to_text() + "\n")):
            write_atomic(out / name, text)
            written.append(out / name)
        fig = self.figure()
        png = out / "comparison.png"
        fig.savefig(png, dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
        written.append(png)
        page = ("<!doctype html><meta charset='utf-8'><title>Paired comparison</title>"
                f"<h1>{html.escape(self.names[0])} against {html.escape(self.names[1])}</h1>"
                f"<pre>{html.escape(self.to_text())}</pre><img src='comparison.png' alt='breach curves and minimum cash'>")
        write_atomic(out / "comparison.html", page)
        written.append(out / "comparison.html")
        return written


def _fmt(x: float, unit: str, minus: str) -> str:
    return money(x, minus=minus) if unit == "money" else percent(x, 2, minus=minus)


def _fmt_diff(x: float, unit: str, minus: str) -> str:
    return money(x, minus=minus, plus=True) if unit == "money" else f"{100 * x:+.2f} pts".replace("-", minus)


def _text_row(r: dict, names, minus: str = "\u2212") -> dict:
    u = r["unit"]
    d = r["difference"]
    diff = _fmt_diff(d["estimate"], u, minus)
    if d["ci95"] is not None:
        diff += f" ({_fmt_diff(d['ci95'][0], u, minus)} to {_fmt_diff(d['ci95'][1], u, minus)})"
    un = r["unpaired_ci95"]
    return {
        names[0]: _fmt(r["a"]["estimate"], u, minus),
        names[1]: _fmt(r["b"]["estimate"], u, minus),
        "B - A (paired 95% CI)": diff,
        "unpaired 95% CI": "" if un is None else f"{_fmt_diff(un[0], u, minus)} to {_fmt_diff(un[1], u, minus)}",
        "width": "" if r["narrowing"] is None else f"{r['narrowing']:.0%}",
    }


def _row(m: Measure, va: np.ndarray, vb: np.ndarray) -> dict:
    ea, eb = m.estimate(va), m.estimate(vb)
    n = va.size
    if m.is_mean:
        d = vb - va
        mean = float(d.mean())
        se = float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
        diff = {"estimate": mean, "se": se, "ci95": [mean - Z95 * se, mean + Z95 * se]}
    else:  # a quantile: the difference of the estimates (no per-path difference to average)
        diff = {"estimate": eb.estimate - ea.estimate, "se": None, "ci95": None}
    un_se = math.sqrt(ea.se**2 + eb.se**2)
    est = diff["estimate"]
    unpaired = [est - Z95 * un_se, est + Z95 * un_se] if m.is_mean else None
    narrowing = diff["se"] / un_se if m.is_mean and un_se > 0 else None
    return {"metric": m.name, "label": m.short_label, "unit": m.unit, "a": ea.to_dict(), "b": eb.to_dict(),
            "difference": diff, "unpaired_ci95": unpaired, "unpaired_se": un_se, "narrowing": narrowing}


def paired_compare(a, b, *, names=("A", "B"), paths: int = DEFAULT_COMPARE_PATHS, seed: int = 0,
                   block_size: int = DEFAULT_BLOCK_SIZE, metrics=HEADLINE) -> Comparison:
    """Run scenarios ``a`` and ``b`` on the same seed and blocks and compare them path by path.

    Parameters
    ----------
    a, b : Scenario
        Loaded scenarios (``sim.model.load_scenario``) on the same time grid.
    names : (str, str)
        Labels for the output.
    paths, seed, block_size : int
        As ``sim run``: the same arguments give the same paths.
    metrics : sequence of str
        Measure names with per-path values (``sim.engine.measures``).

    Raises
    ------
    ParameterError
        ``b``: different horizons or step counts; ``paths`` < 2; a metric without per-path values.
    """
    if paths < 2:
        raise ParameterError("paths", "must be at least 2 (a paired interval needs two paths)")
    check_comparable(a, b)
    measures = [MEASURES.get(m) for m in metrics]
    for name, m in zip(metrics, measures):
        if m is None or m.per_path is None:
            raise ParameterError("metrics", f"{name}: not a measure with per-path values")
    va = _values(a, seed, paths, block_size, measures)
    vb = _values(b, seed, paths, block_size, measures)
    rows = [_row(m, va[m.name], vb[m.name]) for m in measures]
    n_years, spy = a.scenario.years, a.scenario.steps_per_year
    curves = {"years": list(range(a.scenario.start, a.scenario.start + n_years))}
    for key, v in (("a", va), ("b", vb)):
        first = v["_first_breach_step"]
        curves[key] = [float(((first > 0) & (first <= (y + 1) * spy)).mean()) for y in range(n_years)]
    both = np.concatenate([va["_min_cash"], vb["_min_cash"]])
    lo, hi = np.quantile(both, [0.005, 0.995])
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, 41)
    hist = {"edges": edges.tolist()}
    for key, v in (("a", va), ("b", vb)):
        hist[key] = np.histogram(np.clip(v["_min_cash"], edges[0], edges[-1]), edges)[0].tolist()
    return Comparison(tuple(names), paths, seed, block_size, rows, curves, hist)
