"""Tidy tables of a run (pandas), written as CSV and Parquet.

Each table has one row per observation and one column per variable, built
from ``Result.summary`` only (so a saved run gives the same tables):

Headers carry units: a money column ends in ``_usd_m`` (USD millions), a
``p_`` column is a probability (a fraction, 0 to 1); ``by_year``, one row per
metric, says each row's unit in its ``unit`` column.  Parquet files have the
same column names.

``by_year``
    One row per (fiscal year, metric): ``year, metric, unit, mean, central,
    p01, p05, p10, p25, p50, p75, p90, p95, p99``.  Metrics: ``cash_end``,
    ``revenue``, ``operating_income``, ``net_income``, ``fcf``,
    ``cloud_cost``, ``cloud_usage``, ``shortfall``, ``fines`` (unit
    ``usd_m``) and ``operating_margin`` (unit ``share``, a fraction);
    ``central`` is the central case.
``by_year_risk``
    One row per fiscal year: cumulative ``p_cash_breach`` and
    ``p_first_breach`` (in that year), ``p_profit_compression``,
    ``p_net_loss``, ``p_net_income_below_base`` (when the base net income is
    given), each with ``_lo``/``_hi`` Wilson 95% bounds; ``cfar95_usd_m``,
    ``ear95_usd_m``; the commitment ``minimum_usd_m`` and the cloud-bill
    decomposition means ``cloud_..._usd_m`` (when recorded).
``by_step``
    One row per step: ``step, year, time`` (fiscal time at the step's end),
    cash ``cash_mean_usd_m, cash_central_usd_m, cash_p01_usd_m ... cash_p99_usd_m``,
    ``p_first_breach`` with bounds.
    Present when per-step cash was recorded.

Parquet needs pyarrow (``pip install 'sim[parquet]'``); without it only CSV
is written and one note says so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sim.files import atomic_target, write_atomic

__all__ = ["by_step", "by_year", "by_year_risk", "parquet_available", "tables", "write_tables"]

_said_no_parquet = False


def _summary(obj) -> dict:
    return obj.summary if hasattr(obj, "summary") else obj


MONEY = "_usd_m"  # the suffix of a money column (USD millions)
SHARE_METRICS = ("operating_margin",)  # by_year metrics that are fractions, not money


def _pcol(q: str) -> str:
    return f"p{round(float(q) * 100):02d}"


def by_year(result):
    """Per-year distribution table: one row per (year, metric)."""
    import pandas as pd

    s = _summary(result)
    central = s["central_case"]
    rows = []
    for metric, d in s["by_year"].items():
        levels = sorted(d["quantiles"], key=float)
        for i, year in enumerate(s["years"]):
            row = {"year": year, "metric": metric, "unit": "share" if metric in SHARE_METRICS else "usd_m", "mean": d["mean"][i], "central": central.get(metric, [None] * len(s["years"]))[i]}
            row.update({_pcol(q): d["quantiles"][q][i] for q in levels})
            rows.append(row)
    return pd.DataFrame(rows)


def by_year_risk(result):
    """Per-year probabilities (with Wilson bounds), CFaR/EaR and the cloud bill's parts: one row per year."""
    import numpy as np
    import pandas as pd

    s = _summary(result)
    years = s["years"]
    frame: dict[str, list] = {"year": list(years)}

    def add(name: str, key: str):
        frame[name] = list(s[key])
        ci = s.get(key + "_ci95")
        if ci is not None:
            frame[name + "_lo"] = [c[0] for c in ci]
            frame[name + "_hi"] = [c[1] for c in ci]

    add("p_cash_breach", "p_cash_breach_by_year")
    step = np.asarray(s["p_first_breach_by_step"], dtype=float)
    frame["p_first_breach"] = step.reshape(len(years), -1).sum(axis=1).tolist()
    add("p_profit_compression", "p_profit_compression_by_year")
    add("p_net_loss", "p_net_loss_by_year")
    if "p_net_income_below_base_by_year" in s:
        add("p_net_income_below_base", "p_net_income_below_base_by_year")
    frame["cfar95" + MONEY] = list(s["cfar95_by_year"])
    frame["ear95" + MONEY] = list(s["ear95_by_year"])
    if "commitment" in s:
        frame["minimum" + MONEY] = list(s["commitment"]["minimums_by_year"])
    bill = s.get("cloud_bill_by_year")
    if bill:
        for key in ("usage_at_base_prices", "at_current_prices", "after_silicon_savings", "after_discount", "shortfall"):
            frame[f"cloud_{key}{MONEY}"] = list(bill[key])
    return pd.DataFrame(frame)


def by_step(result):
    """Per-step cash distribution and first-breach probabilities; None without per-step data."""
    import pandas as pd

    s = _summary(result)
    if "by_step" not in s:
        return None
    d = s["by_step"]["cash"]
    spy = s["steps_per_year"]
    start = s["years"][0]
    n = len(d["mean"])
    frame = {
        "step": list(range(1, n + 1)),
        "year": [start + k // spy for k in range(n)],
        "time": [start + (k + 1) / spy for k in range(n)],
        "cash_mean" + MONEY: list(d["mean"]),
        "cash_central" + MONEY: list(s["central_case"]["cash"]),
    }
    for q in sorted(d["quantiles"], key=float):
        frame[f"cash_{_pcol(q)}{MONEY}"] = list(d["quantiles"][q])
    frame["p_first_breach"] = list(s["p_first_breach_by_step"])
    ci = s.get("p_first_breach_by_step_ci95")
    if ci is not None:
        frame["p_first_breach_lo"] = [c[0] for c in ci]
        frame["p_first_breach_hi"] = [c[1] for c in ci]
    return pd.DataFrame(frame)


def tables(result) -> dict:
    """Every table by name (``by_step`` only when recorded)."""
    out = {"by_year": by_year(result), "by_year_risk": by_year_risk(result)}
    steps = by_step(result)
    if steps is not None:
        out["by_step"] = steps
    return out


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _write_parquet_atomic(df, path: Path) -> None:
    with atomic_target(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow")


def write_tables(result, folder: str | os.PathLike, parquet: bool | None = None) -> list[Path]:
    """Write every table as ``NAME.csv`` and (with pyarrow) ``NAME.parquet`` into ``folder``.

    Parameters
    ----------
    parquet : bool, optional
        Write Parquet too; default: when pyarrow is installed.  Without
        pyarrow a note goes to stderr once per process.

    Returns
    -------
    list of Path
        The files written.
    """
    global _said_no_parquet
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    have = parquet_available()
    if parquet is None:
        parquet = have
    if parquet and not have:
        parquet = False
    if not parquet and not have and not _said_no_parquet:
        _said_no_parquet = True
        print("note: pyarrow is not installed, so tables are written as CSV only (pip install 'sim[parquet]' for Parquet)", file=sys.stderr)
    written = []
    for name, df in tables(result).items():
        path = folder / f"{name}.csv"
        write_atomic(path, df.to_csv(index=False, lineterminator="\n"))
        written.append(path)
        if parquet:
            path = folder / f"{name}.parquet"
            _write_parquet_atomic(df, path)
            written.append(path)
    return written
