"""The files of a sweep folder (one place, read by the runner, the table, the plots and the CLI).

::

    OUT/manifest.json      the sweep: settings, design, which cells are done
    OUT/cells/KEY.json     one finished cell (``sim.analysis.sweep.cells.cell_key``)
    OUT/sweep.csv          the results table, one row per cell (and sweep.parquet with pyarrow)
    OUT/heatmap.png        two swept keys on a full grid
    OUT/lines.png          one swept key (or two: a line per value of the second)
"""

MANIFEST_FILE = "manifest.json"
CELLS_DIR = "cells"
TABLE_CSV = "sweep.csv"
TABLE_PARQUET = "sweep.parquet"
HEATMAP_PNG = "heatmap.png"
LINES_PNG = "lines.png"
