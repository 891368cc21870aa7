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
