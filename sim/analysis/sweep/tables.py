"""The results table of a sweep folder: writing it (CSV, and Parquet with pyarrow) and reading it back."""

from __future__ import annotations

import io
import os
from pathlib import Path

from sim.analysis.sweep.layout import TABLE_CSV, TABLE_PARQUET
from sim.files import write_atomic, write_bytes_atomic
from sim.present.tables import parquet_available


def write_table(table, folder: str | os.PathLike) -> list[Path]:
    """Write ``sweep.csv`` and, when pyarrow is installed, ``sweep.parquet`` (atomically).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per cell (``SweepResult.table``).
    folder : path
        The sweep folder.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    files = [folder / TABLE_CSV]
    write_atomic(files[0], table.to_csv(index=False))
    if parquet_available():
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        files.append(folder / TABLE_PARQUET)
        write_bytes_atomic(files[1], buf.getvalue())
    return files


def load_table(folder: str | os.PathLike):
    """The results table of a finished sweep folder (Parquet when present, else CSV), a pandas DataFrame."""
    import pandas as pd  # heavy: only when a table is read

    folder = Path(folder)
    if (folder / TABLE_PARQUET).exists():
        try:
            return pd.read_parquet(folder / TABLE_PARQUET)
        except ImportError:
            pass
    return pd.read_csv(folder / TABLE_CSV)


def format_table(table, keys: list[str], metrics: list[str], limit: int = 40) -> str:
    """The sweep table for a terminal: labels as headers, money and percentages as ``run`` prints them.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table (raw numbers, as in sweep.csv).
    keys : list of str
        The swept keys (columns), shown by their labels (``sim.model.labels``) and units.
    metrics : list of str
        Metric columns (``sim.engine.measures`` names); a probability's ``_lo``/``_hi``
        columns, when present, become one "95% CI" column beside it.
    limit : int
        Rows shown; a last line counts the rest.

    Returns
    -------
    str
        Right-aligned text columns (ASCII minus signs).
    """
    from sim.engine.measures import MEASURES
    from sim.model.labels import key_unit, parameter_label
    from sim.present.formatting import percent_ci, quantity

    def cell(value, unit):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return quantity(float(value), unit, minus="-")
        return str(value)

    header, columns = ([], []) if "cell" not in table else (["cell"], [[str(v) for v in table["cell"]]])
    for k in keys:
        header.append(parameter_label(k))
        columns.append([cell(v, key_unit(k)) for v in table[k]])
    for name in metrics:
        m = MEASURES[name]
        header.append(m.short_label)
        columns.append([cell(v, m.unit) for v in table[name]])
        if name + "_lo" in table:
            header.append("95% CI")
            columns.append([percent_ci((lo, hi)).replace("\u2212", "-")
                            for lo, hi in zip(table[name + "_lo"], table[name + "_hi"])])
    n = len(table)
    rows = [list(r) for r in zip(*columns)][:limit] if columns else []
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    if n > limit:
        lines.append(f"... {n - limit} more rows")
    return "\n".join(lines)
