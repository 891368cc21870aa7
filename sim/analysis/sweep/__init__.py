"""Parameter sweeps: one scenario run many times, each *cell* with a few config keys set to other values.

Every cell uses the same seed, paths and block size, hence the same random
numbers (common random numbers): differences between cells are the inputs'
effect, not noise.  Results are resumable: each finished cell is saved at
once and a rerun skips it.

Modules: ``design`` (grids, Latin hypercubes, sweep files), ``targets``
(``METRIC OP VALUE``), ``cells`` (scenarios, keys, table rows), ``run``
(the runner and manifest), ``tables`` and ``plots`` (the outputs),
``layout`` (the folder's file names).

>>> from sim.analysis.sweep import grid_axis, build_design, run_sweep
>>> design = build_design(grids=[grid_axis("cloud.commitment.total=3B,4B,5B")])
>>> out = run_sweep("pinterest_aws_2031", design, "sweep-out", paths=100_000)  # doctest: +SKIP
>>> out.table[["cloud.commitment.total", "p_cash_breach", "p_cash_breach_lo", "p_cash_breach_hi"]]  # doctest: +SKIP
"""

from sim.analysis.sweep.cells import (
    Cell,
    cell_key,
    prepare_cells,
    resolved_value,
    summary_row,
    table_rows,
)
from sim.analysis.sweep.design import (
    PARAMETERS,
    SWEEP_FILE_KEYS,
    Axis,
    Design,
    Range,
    build_design,
    grid_axis,
    latin_hypercube,
    lhs_range,
    number_text,
    parse_quantity,
    read_sweep_file,
    source_error,
    split_values,
)
from sim.analysis.sweep.layout import (
    CELLS_DIR,
    HEATMAP_PNG,
    LINES_PNG,
    MANIFEST_FILE,
    TABLE_CSV,
    TABLE_PARQUET,
)
from sim.analysis.sweep.plots import heatmap, line_plot, write_plots
from sim.analysis.sweep.run import (
    DEFAULT_SWEEP_PATHS,
    Stopped,
    SweepResult,
    cells_in_flight,
    manifest,
    run_cells,
    run_sweep,
)
from sim.analysis.sweep.tables import format_table, load_table, write_table
from sim.analysis.sweep.targets import (
    LABELS,
    OPERATORS,
    PROBABILITIES,
    Target,
    metric_names,
    parse_target,
)

__all__ = [
    "CELLS_DIR",
    "DEFAULT_SWEEP_PATHS",
    "HEATMAP_PNG",
    "LABELS",
    "LINES_PNG",
    "MANIFEST_FILE",
    "OPERATORS",
    "PARAMETERS",
    "PROBABILITIES",
    "SWEEP_FILE_KEYS",
    "TABLE_CSV",
    "TABLE_PARQUET",
    "Axis",
    "Cell",
    "Design",
    "Range",
    "Stopped",
    "SweepResult",
    "Target",
    "build_design",
    "cell_key",
    "cells_in_flight",
    "grid_axis",
    "heatmap",
    "latin_hypercube",
    "lhs_range",
    "line_plot",
    "load_table",
    "manifest",
    "metric_names",
    "number_text",
    "parse_quantity",
    "parse_target",
    "prepare_cells",
    "read_sweep_file",
    "resolved_value",
    "run_cells",
    "run_sweep",
    "source_error",
    "split_values",
    "summary_row",
    "table_rows",
    "write_plots",
    "write_table",
    "format_table",
]
