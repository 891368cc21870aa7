"""Risk metrics the report derives from a run's summary dict.

Everything here reads ``Result.summary`` only (never paths), so a saved
``summary.json`` gives the same numbers as the run that wrote it.  Money is
in USD millions, probabilities are fractions, years are fiscal years.

The probabilities themselves (with Wilson 95% intervals), CFaR/EaR and the
mean of the worst 5% of minimum cash are computed by the engine
(``sim.engine.results.summarize``); this module adds what the report states in
words: the worst year for profit compression, where the central case sits
in the simulated distribution, when breaches happen, how much of the
commitment is used, and why the cloud bill changes.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from sim.engine.results import wilson

__all__ = [
    "wilson",
    "quantile_table",
    "value_at",
    "percentile_rank",
    "worst_year",
    "first_breach",
    "usage_quantiles",
    "bill_decomposition",
    "central_vs_distribution",
    "headline",
    "cfar",
]


def _summary(obj) -> dict:
    """A summary dict from a Result or a dict."""
    return obj.summary if hasattr(obj, "summary") else obj


def quantile_table(quantiles: Mapping[str, object]) -> tuple[np.ndarray, np.ndarray]:
    """Levels (sorted, shape (Q,)) and values (shape (Q,) or (Q, N)) of a quantile dict.

    ``quantiles`` maps level strings ("0.05") to a number or a list (one per
    year or step), as in ``summary["by_year"][name]["quantiles"]``.
    """
    items = sorted(((float(k), v) for k, v in quantiles.items()), key=lambda kv: kv[0])
    levels = np.array([k for k, _ in items])
    values = np.array([v for _, v in items], dtype=float)
    return levels, values


def value_at(quantiles: Mapping[str, object], level: float) -> np.ndarray | float:
    """The quantile at ``level``, interpolated linearly between the recorded levels.

    Levels outside the recorded range take the nearest recorded quantile.
    """
    levels, values = quantile_table(quantiles)
    if values.ndim == 1:
        return float(np.interp(level, levels, values))
    return np.array([np.interp(level, levels, values[:, j]) for j in range(values.shape[1])])


def percentile_rank(value: float, quantiles: Mapping[str, object]) -> float:
    """Approximate share of paths below ``value``, from recorded quantiles.

    Interpolates linearly between the recorded levels (P1 ... P99).  Values
    below the lowest recorded quantile give that level (0.01), values above
    the highest give the highest (0.99): read them as "below P1" and
    "above P99".  Flat stretches (many paths at one value, e.g. a shortfall of
    0) give the middle of the flat stretch.
    """
    levels, values = quantile_table(quantiles)
    if values.ndim != 1:
        raise ValueError("percentile_rank needs scalar quantiles (one value per level)")
    below = np.searchsorted(values, value, side="left")  # first index with values >= value
    above = np.searchsorted(values, value, side="right")  # first index with values > value
    if below != above:  # value equals one or more recorded quantiles
        return float(0.5 * (levels[below] + levels[above - 1]))
    if value < values[0]:
        return float(levels[0])
    if value > values[-1]:
        return float(levels[-1])
    lo, hi = below - 1, below
    frac = (value - values[lo]) / (values[hi] - values[lo])
    return float(levels[lo] + frac * (levels[hi] - levels[lo]))


def worst_year(summary, key: str) -> dict:
    """The year with the highest probability in ``summary[key]`` (a per-year list).

    Returns ``{year, index, estimate, ci95}`` (ci95 from ``key + "_ci95"`` when
    recorded).  Ties go to the earliest year.
    """
    s = _summary(summary)
    values = s[key]
    i = int(np.argmax(values))
    out = {"year": s["years"][i], "index": i, "estimate": values[i]}
    if key + "_ci95" in s:
        out["ci95"] = list(s[key + "_ci95"][i])
    return out


def first_breach(summary) -> dict:
    """When breaches happen.

    Returns
    -------
    dict
        ``p_any``: P(a breach at some step); ``by_year``: P(first breach in
        year y), not cumulative; ``step_time``: the fiscal time at the end of
        each step; ``median_time`` and ``mean_time``: among breaching paths,
        the time (fiscal year, decimal, at the end of the step) of the first
        breach, ``None`` when no path breaches; ``earliest_year``: the
        first fiscal year with a first breach.
    """
    s = _summary(summary)
    p = np.asarray(s["p_first_breach_by_step"], dtype=float)
    spy = int(s["steps_per_year"])
    start = s["years"][0]
    steps = np.arange(1, p.size + 1)
    t = start + steps / spy
    total = float(p.sum())
    by_year = p.reshape(len(s["years"]), spy).sum(axis=1)
    out = {
        "p_any": total,
        "by_year": by_year.tolist(),
        "step_time": t.tolist(),
        "median_time": None,
        "mean_time": None,
        "earliest_year": None,
    }
    if total > 0:
        cdf = np.cumsum(p) / total
        out["median_time"] = float(t[int(np.searchsorted(cdf, 0.5 - 1e-12))])
        out["mean_time"] = float(np.dot(p, t) / total)
        out["earliest_year"] = int(s["years"][int(np.nonzero(by_year > 0)[0][0])])
    return out


def usage_quantiles(summary) -> dict | None:
    """Per-year quantiles of the committed cloud usage (bill after discount, before shortfall).

    The engine records quantiles of the bill paid (``cloud_cost``, which
    includes the shortfall) and of the shortfall.  With annual settlement,
    paid = max(usage, minimum) and shortfall = max(minimum - usage, 0), both
    monotone in usage, so each usage quantile follows exactly: above the
    minimum it is the paid quantile; below it, minimum minus the shortfall
    quantile at the mirrored level (the recorded levels are symmetric).
    Years without a minimum have paid = usage.  With ``shortfall = "term"``
    the term's last year mixes the whole term's shortfall into the bill, so
    that year is reported as paid and flagged in ``includes_shortfall``.

    Returns
    -------
    dict or None
        ``{levels, values (Q, Y), minimums (Y,), includes_shortfall (Y,) bool,
        exact (bool: every value reconstructed exactly)}``; None without a
        cloud bill.  When the engine records ``by_year["cloud_usage"]`` it is
        used as is.
    """
    s = _summary(summary)
    com = s.get("commitment")
    by_year = s["by_year"]
    n = len(s["years"])
    minimums = np.asarray(com["minimums_by_year"] if com else s.get("cloud_bill_by_year", {}).get("minimums", [0.0] * n))
    if "cloud_usage" in by_year:
        levels, values = quantile_table(by_year["cloud_usage"]["quantiles"])
        return {"levels": levels, "values": values, "minimums": minimums, "includes_shortfall": np.zeros(n, bool), "exact": True}
    if com is None and "cloud_bill_by_year" not in s:
        return None
    levels, paid = quantile_table(by_year["cloud_cost"]["quantiles"])
    _, short = quantile_table(by_year["shortfall"]["quantiles"])
    usage = paid.copy()
    flagged = np.zeros(n, bool)
    symmetric = np.allclose(levels, 1 - levels[::-1])
    annual = com is None or com.get("shortfall", "annual") == "annual"
    for y in range(n):
        m = minimums[y]
        if m <= 0:
            continue
        if not annual:
            if short[:, y].max() > 0:  # the term's settlement year
                flagged[y] = True
            continue
        if not symmetric:
            flagged[y] = True
            continue
        mirrored = short[::-1, y]  # shortfall at level 1 - q
        below = paid[:, y] <= m + 1e-9 * max(1.0, m)
        usage[below, y] = m - mirrored[below]
    return {"levels": levels, "values": usage, "minimums": minimums, "includes_shortfall": flagged, "exact": not flagged.any()}


def bill_decomposition(summary) -> dict | None:
    """Why the cloud bill differs from the base-year bill, per year and over the horizon.

    From ``summary["cloud_bill_by_year"]`` (means over paths).  With B the
    base-year bill and, per year, U usage at base prices, P at current
    prices, S after silicon savings, D after the commitment discount and F the
    shortfall: usage growth = U - B, price = P - U, silicon = S - P,
    discount = D - S, shortfall = F; they add up to the mean bill paid
    minus B.

    Returns
    -------
    dict or None
        ``{base, components: {name: [per year]}, paid: [per year],
        totals: {name: horizon total}, base_total, paid_total}``; None when
        the run recorded no decomposition (no cloud bill, or per-step
        recording off).
    """
    s = _summary(summary)
    c = s.get("cloud_bill_by_year")
    if not c:
        return None
    base = float(c["base_year_bill"])
    u, p, sv, d, f = (np.asarray(c[k], dtype=float) for k in ("usage_at_base_prices", "at_current_prices", "after_silicon_savings", "after_discount", "shortfall"))
    comps = {
        "usage growth": u - base,
        "price": p - u,
        "silicon savings": sv - p,
        "discount": d - sv,
        "shortfall": f,
    }
    paid = d + f
    n = len(paid)
    return {
        "base": base,
        "components": {k: v.tolist() for k, v in comps.items()},
        "paid": paid.tolist(),
        "totals": {k: float(v.sum()) for k, v in comps.items()},
        "base_total": base * n,
        "paid_total": float(paid.sum()),
    }


def central_vs_distribution(summary) -> dict:
    """Where the central case sits among the simulated paths.

    Returns ``{min_cash: {central, rank, median}, cash_end_last: {...},
    net_income: {...} (per year lists), breach: bool}``; ``rank`` is the
    approximate share of simulated paths below the central value (see
    :func:`percentile_rank`).
    """
    s = _summary(summary)
    c = s["central_case"]
    mc = s["min_cash"]["quantiles"]
    out = {
        "breach": bool(c["breach"]),
        "min_cash": {"central": c["min_cash"], "rank": percentile_rank(c["min_cash"], mc), "median": mc["0.5"]},
    }
    for name in ("cash_end", "net_income", "operating_margin", "revenue"):
        q = s["by_year"][name]["quantiles"]
        ranks = [percentile_rank(v, {k: vals[i] for k, vals in q.items()}) for i, v in enumerate(c[name])]
        out[name] = {"central": list(c[name]), "rank": ranks, "median": list(q["0.5"])}
    return out


def cfar(mean: Sequence[float], p05: Sequence[float]) -> list[float]:
    """CFaR(95%) / EaR(95%) by the CorporateMetrics convention: expected value minus its 5th percentile."""
    return [m - q for m, q in zip(mean, p05)]


def headline(summary) -> dict:
    """The numbers of the report's headline, in one dict.

    Keys: ``breach`` ({estimate, ci95, count}), ``floor``, ``last_year``,
    ``compression_worst`` (see :func:`worst_year`), ``compression_any``
    ({estimate, ci95}), ``shortfall`` ({estimate, ci95, expected_total}),
    ``joint`` ({estimate, ci95}), ``central`` (see
    :func:`central_vs_distribution`), ``first_breach`` (see
    :func:`first_breach`), ``maturities`` (the per-debt list).
    """
    s = _summary(summary)
    b = s["p_cash_breach"]
    return {
        "breach": {"estimate": b["estimate"], "ci95": list(b["ci95"]), "count": b.get("count")},
        "floor": s["cash_floor"],
        "last_year": s["years"][-1],
        "compression_worst": worst_year(s, "p_profit_compression_by_year"),
        "compression_any": {"estimate": s["p_profit_compression_any"], "ci95": list(s["p_profit_compression_any_ci95"])},
        "shortfall": {
            "estimate": s["p_commitment_shortfall"],
            "ci95": list(s["p_commitment_shortfall_ci95"]),
            "expected_total": s["expected_shortfall_total"],
        },
        "joint": {"estimate": s["p_breach_and_compression"], "ci95": list(s["p_breach_and_compression_ci95"])},
        "central": central_vs_distribution(s),
        "first_breach": first_breach(s),
        "maturities": list(s.get("p_cash_below_principal_at_maturity", [])),
    }
