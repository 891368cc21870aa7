"""The Result of a run: the summary dict (MODEL.md section 7), tables, saving.

Probabilities are exact counts over paths with Wilson 95% intervals;
quantiles come from ``sim.engine.aggregate`` (exact or sketched, as
``summary["quantile_method"]`` says).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from sim import __version__
from sim.engine.aggregate import BY_COMMITMENT, BY_YEAR, QUANTILES
from sim.files import write_atomic

Z95 = 1.959963984540054
HISTOGRAM_BINS = 60  # min-cash histogram over P0.1..P99.9, outside values in the end bins
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.toml"


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)  # exact ends: no rounding crumbs
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def probability(k: int, n: int) -> dict:
    """``{estimate, ci95, se, count}`` for k successes out of n."""
    p = k / n
    return {"estimate": p, "ci95": list(wilson(k, n)), "se": math.sqrt(p * (1 - p) / n), "count": int(k)}


def _qkey(q: float) -> str:
    return repr(float(q))


def _by_series(quant: np.ndarray, means: np.ndarray, cols: slice) -> dict:
    return {
        "mean": means[cols].tolist(),
        "quantiles": {_qkey(q): quant[j, cols].tolist() for j, q in enumerate(QUANTILES)},
    }


def summarize(data) -> dict:
    """Build the summary dict from a run's merged data (``sim.engine.simulate.RunData``)."""
    from sim.model import base_spend, scenario_hash

    ctx, t = data.ctx, data.totals
    n = t.n
    scn = ctx.scenario
    lay = data.series
    means = t.sums / n
    quant = data.quantiles.quantiles(QUANTILES)
    years = [int(y) for y in ctx.fiscal_years]

    def rates(counts):
        return [c / n for c in counts.tolist()]

    def cis(counts):
        return [list(wilson(int(c), n)) for c in counts.tolist()]

    cumulative = np.cumsum(t.breach_by_year)
    breach_total = int(cumulative[-1])
    by_year = {name: _by_series(quant, means, lay.by_year(name)) for name in BY_YEAR}
    fcf = by_year["fcf"]
    ni = by_year["net_income"]
    summary = {
        "scenario": scn.scenario.name,
        "description": scn.scenario.description,
        "paths": n,
        "seed": data.seed,
        "years": years,
        "steps_per_year": scn.scenario.steps_per_year,
        "cash_floor": scn.policy.cash_floor,
        "p_cash_breach": probability(breach_total, n),
        "p_cash_breach_by_year": rates(cumulative),
        "p_cash_breach_by_year_ci95": cis(cumulative),
        "p_profit_compression_by_year": rates(t.compression),
        "p_profit_compression_by_year_ci95": cis(t.compression),
        "p_profit_compression_any": t.compression_any / n,
        "p_profit_compression_any_ci95": list(wilson(t.compression_any, n)),
        "p_net_loss_by_year": rates(t.net_loss),
        "p_net_loss_by_year_ci95": cis(t.net_loss),
        "p_shortfall_by_year": rates(t.shortfall_by_year),
        "p_shortfall_by_year_ci95": cis(t.shortfall_by_year),
        "p_commitment_shortfall": t.shortfall_paths / n,
        "p_commitment_shortfall_ci95": list(wilson(t.shortfall_paths, n)),
        "expected_shortfall_total": float(t.sums[lay.by_year("shortfall")].sum()) / n,
        "p_breach_and_compression": t.breach_and_compression / n,
        "p_breach_and_compression_ci95": list(wilson(t.breach_and_compression, n)),
        "base_margin": ctx.base_margin,
        "compression_threshold": ctx.compression_threshold,
        "min_cash": {
            "mean": float(means[0]),
            "quantiles": {_qkey(q): float(quant[j, 0]) for j, q in enumerate(QUANTILES)},
            "expected_shortfall_5pct": data.quantiles.lower_tail_mean(0.05, 0),
        },
        "by_year": by_year,
        "cfar95_by_year": [m - q for m, q in zip(fcf["mean"], fcf["quantiles"]["0.05"])],
        "ear95_by_year": [m - q for m, q in zip(ni["mean"], ni["quantiles"]["0.05"])],
        "central_case": _central(data.central, ctx),
        "quantile_method": data.quantiles.method,
        "block_size": data.block_size,
        "blocks": data.blocks,
        "threads": data.threads,
        "runtime_seconds": data.seconds,
        "paths_per_second": n / data.seconds if data.seconds > 0 else None,
        "includes_jit_compilation": not data.jit_ready,
        "version": __version__,
        "config_hash": scenario_hash(scn),
    }
    if ctx.base_net_income is not None:
        summary["p_net_income_below_base_by_year"] = rates(t.below_base)
        summary["p_net_income_below_base_by_year_ci95"] = cis(t.below_base)
    summary["p_cash_below_principal_at_maturity"] = [
        {"name": d.name, "maturity": d.maturity, "principal": d.principal, **probability(int(c), n)}
        for d, c, due in zip(scn.cash_flow.debt, t.debt_counts.tolist(), ctx.model.debt_due)
        if due.any()  # matures inside the horizon
    ]
    summary["p_first_breach_by_step"] = (t.step_counts / n).tolist()
    method = ctx.method
    summary["sampling"] = method.sampling
    if t.weighted is not None:
        _reweight(summary, t, n, method)
    summary["p_first_breach_by_step_ci95"] = cis(t.step_counts)
    com = scn.cloud.commitment
    if ctx.model.has_cloud and com is not None:  # what the report's commitment section reads
        summary["commitment"] = {
            "total": com.total,
            "start_year": com.start_year if com.start_year is not None else math.floor(com.start + 1e-9),
            "years": com.years,
            "shortfall": com.shortfall,
            "minimums_by_year": ctx.model.year_minimum.tolist(),  # per fiscal year of the horizon, 0 outside the term
        }
        if com.start_year is None:  # [v2] a dated start: the year above is the one it falls in
            summary["commitment"]["start"] = com.start
    if ctx.model.n_commitments:
        tot = lay.commitment_totals
        summary["commitments"] = commitments_summary(scn, t, n, quant[:, tot], means[tot])
    lo, hi = data.quantiles.quantiles([0.001, 0.999])[:, 0]
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1) if hi > lo else np.array([lo - 0.5, lo + 0.5])
    summary["min_cash_histogram"] = {"edges": edges.tolist(), "counts": data.quantiles.histogram(0, edges).tolist()}
    if lay.record_steps:
        summary["by_step"] = {"cash": _by_series(quant, means, lay.steps)}
        if ctx.model.has_cloud:
            usage = t.cloud_parts / n
            after_discount = np.asarray(by_year["cloud_cost"]["mean"]) - np.asarray(by_year["shortfall"]["mean"])
            summary["cloud_bill_by_year"] = {
                "base_year_bill": base_spend(scn),
                "usage_at_base_prices": usage[0].tolist(),
                "at_current_prices": usage[1].tolist(),
                "after_silicon_savings": usage[2].tolist(),
                "after_discount": after_discount.tolist(),
                "shortfall": by_year["shortfall"]["mean"],
                "minimums": ctx.model.year_minimum.tolist(),
            }
    if scn.actuals:  # [v2] back-test scores (sim.engine.backtest); no other field depends on them
        from sim.engine.backtest import backtest_summary

        counts = t.actual_counts if t.actual_counts is not None else np.zeros((0, 2), dtype=np.int64)
        summary["backtest"] = backtest_summary(summary, scn.actuals, counts, n)
    return summary


def v1_deal(scn) -> bool:
    """Whether the config is a v1 deal: one contract whose numbers are the summary's totals.

    A v1 deal is the single ``[cloud.commitment]`` table starting in January,
    share 1, no rollover, no steering, shortfall "annual" or "term"; its
    summary keeps v1's fields unchanged (the golden files, MODEL.md section 8)
    and adds ``commitments`` with its one contract (``v1_deal`` true there).
    """
    coms = scn.cloud.commitments
    if len(coms) != 1:
        return False
    c = coms[0]
    v1 = (
        c.singular
        and c.share == 1.0
        and c.rollover == 0.0
        and "steerable" not in c.model_fields_set
        and c.shortfall in ("annual", "term")
        and c.start_year is not None
        and c.start == float(c.start_year)
    )
    return v1


def commitments_summary(scn, t, n: int, total_quantiles: np.ndarray, total_means: np.ndarray) -> dict:
    """Per contract (MODEL.md section 7): P(any shortfall) with its Wilson interval, expected total paid,
    and by fiscal year the mean shortfall paid, P(shortfall), mean steered spend and mean deferred minimum;
    ``contract_years`` maps each contract year to its settlement step (``sim.model.contracts``).

    ``shortfall_total`` is the distribution of the total shortfall paid on the
    contract over the horizon: its mean and the quantiles ``QUANTILES``, read
    like min cash's (exact, or from the quantile sketch, per
    ``summary["quantile_method"]``).  ``total_quantiles`` (len(QUANTILES), J)
    and ``total_means`` (J,) are those of the layout's ``commitment_totals``
    columns, USD millions.
    """
    from sim.model.contracts import contract_years

    out = {}
    single = v1_deal(scn)
    for j, c in enumerate(scn.cloud.commitments):
        means = t.com_sums[:, j, :] / n
        counts = t.com_counts[j]
        out[c.name] = {
            "key": c.key,
            "share": c.share,
            "shortfall_rule": c.shortfall,
            "p_shortfall": int(counts[-1]) / n,
            "p_shortfall_ci95": list(wilson(int(counts[-1]), n)),
            "expected_shortfall_total": float(means[0].sum()),
            "p_shortfall_by_year": [int(x) / n for x in counts[:-1].tolist()],
            **{f"{name}_by_year": {"mean": means[f].tolist()} for f, name in enumerate(BY_COMMITMENT)},
            "contract_years": [
                {"year": cy.year, "start": cy.start, "settlement_step": cy.settlement_step, "settlement": cy.settlement,
                 "minimum": cy.minimum, "counted": cy.counted}
                for cy in contract_years(c, scn.scenario)
            ],
            "shortfall_total": {
                "mean": float(total_means[j]),
                # never below 0: a sketch reads its zero bucket as values within 1e-6 of 0
                "quantiles": {_qkey(q): max(0.0, float(total_quantiles[i, j])) for i, q in enumerate(QUANTILES)},
            },
            "v1_deal": single,
        }
        if c.shortfall == "both":
            out[c.name]["total"] = c.total
    return out


def _reweight(summary: dict, t, n: int, method) -> None:
    """Replace the breach probabilities by their importance-sampling estimates.

    Each path carries its likelihood ratio w; P = mean(w 1{breach}) with the
    standard error of that mean and a normal 95% interval. Other fields
    describe the tilted paths themselves (see ``importance_sampling.note``).
    """
    w = t.weighted
    by_year = np.cumsum(w[0, :-1]) / n
    second = np.cumsum(w[1, :-1]) / n
    se = np.sqrt(np.maximum(second - by_year**2, 0.0) / n)
    ci = [[max(0.0, p - Z95 * s), min(1.0, p + Z95 * s)] for p, s in zip(by_year.tolist(), se.tolist())]
    count = int(t.breach_by_year.sum())
    summary["p_cash_breach"] = {"estimate": float(by_year[-1]), "ci95": ci[-1], "se": float(se[-1]), "count": count}
    summary["p_cash_breach_by_year"] = by_year.tolist()
    summary["p_cash_breach_by_year_ci95"] = ci
    total, total2 = w[2, -1], w[3, -1]
    summary["importance_sampling"] = {
        "tilt_revenue_per_step": method.tilt_z,
        "tilt_growth_per_step": method.tilt_w,
        "effective_sample_size": float(total * total / total2),
        "mean_weight": float(total / n),
        "note": "p_cash_breach fields are reweighted by each path's likelihood ratio; other fields describe the tilted paths",
    }


def _central(central: dict, ctx) -> dict:
    out = {name: np.asarray(central[name]).tolist() for name in BY_YEAR}
    out["cash"] = np.asarray(central["cash"]).tolist()
    out["min_cash"] = float(central["min_cash"])
    out["breach"] = bool(central["first_breach_step"] > 0)
    return out


class Result:
    """A finished run: ``summary`` (dict), tables as pandas DataFrames, saving.

    Attributes
    ----------
    summary : dict
        The JSON summary (MODEL.md section 7 field names, and more).
    scenario : Scenario or None
        The resolved scenario that was run.
    """

    def __init__(self, summary: dict, scenario=None, data=None):
        self.summary = summary
        self.scenario = scenario
        self._data = data

    # -- headline numbers -------------------------------------------------
    @property
    def p_cash_breach(self) -> float:
        """P(cash < floor at some step)."""
        return self.summary["p_cash_breach"]["estimate"]

    # -- tables -----------------------------------------------------------
    def by_year(self):
        """Tidy per-year table: one row per (year, metric), columns mean and P1..P99."""
        import pandas as pd

        rows = []
        for metric, d in self.summary["by_year"].items():
            for i, year in enumerate(self.summary["years"]):
                row = {"year": year, "metric": metric, "mean": d["mean"][i]}
                row.update({f"p{round(float(q) * 100):02d}": v[i] for q, v in d["quantiles"].items()})
                rows.append(row)
        return pd.DataFrame(rows)

    def probabilities(self):
        """Per-year probabilities with Wilson 95% bounds (breach is cumulative)."""
        import pandas as pd

        s = self.summary
        frame = {"year": s["years"]}
        names = ["p_cash_breach_by_year", "p_profit_compression_by_year", "p_net_loss_by_year"]
        if "p_net_income_below_base_by_year" in s:
            names.append("p_net_income_below_base_by_year")
        for name in names:
            short = name[2:].replace("_by_year", "")
            frame[short] = s[name]
            frame[short + "_lo"] = [c[0] for c in s[name + "_ci95"]]
            frame[short + "_hi"] = [c[1] for c in s[name + "_ci95"]]
        return pd.DataFrame(frame)

    def breach_curve(self):
        """Cumulative P(first breach in or before year y) with its 95% interval."""
        df = self.probabilities()
        return df[["year", "cash_breach", "cash_breach_lo", "cash_breach_hi"]]

    def central_case(self):
        """The central case by fiscal year."""
        import pandas as pd

        c = self.summary["central_case"]
        return pd.DataFrame({"year": self.summary["years"], **{k: c[k] for k in BY_YEAR}})

    # -- persistence ------------------------------------------------------
    def to_json(self) -> str:
        """The summary as JSON; ``NonFiniteResult`` (naming the field) for a NaN or infinity, which is a bug."""
        from sim.engine.finite import check_finite

        check_finite(self.summary)
        return json.dumps(self.summary, indent=2, allow_nan=False, default=jsonable)

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``summary.json`` and the resolved ``config.toml`` into ``folder`` atomically."""
        from sim.model import scenario_to_toml

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / SUMMARY_FILE, self.to_json() + "\n")
        if self.scenario is not None:
            write_atomic(folder / CONFIG_FILE, scenario_to_toml(self.scenario))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "Result":
        """Read a result saved by :meth:`save` (the scenario too, when present)."""
        from sim.model import load_scenario

        folder = Path(folder)
        summary = json.loads((folder / SUMMARY_FILE).read_text())
        config = folder / CONFIG_FILE
        return cls(summary, load_scenario(config) if config.exists() else None)

    def __repr__(self) -> str:
        s = self.summary
        return f"<Result {s['scenario']!r}: {s['paths']:,} paths, P(cash < floor) = {s['p_cash_breach']['estimate']:.4f}>"


def jsonable(x):
    """``json.dumps`` default: NumPy integers, floats and arrays as Python numbers and lists."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
