"""Running a sweep: cells on an executor, each result saved as it finishes, the manifest, the table.

Results are resumable.  Each finished cell is written atomically to
``OUT/cells/KEY.json`` (``sim.analysis.sweep.cells.cell_key``); a rerun skips
cells whose file exists, so Ctrl-C or a dead worker loses at most the cells
in flight.  ``OUT/manifest.json`` records the sweep; when every cell is done
the table and plots are written (``sim.analysis.sweep.layout``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from sim import __version__
from sim.analysis.sweep.cells import Cell, prepare_cells, table_rows
from sim.analysis.sweep.design import Design
from sim.analysis.sweep.layout import CELLS_DIR, MANIFEST_FILE
from sim.analysis.sweep.plots import write_plots
from sim.analysis.sweep.tables import write_table
from sim.analysis.sweep.targets import Target
from sim.engine.measures import DEAL_IMPACT_METRICS
from sim.engine import (
    simulate,  # the module, so run_blocks is looked up at call time (tests wrap it)
)
from sim.engine.paired import PairedSimulation
from sim.engine.results import Result, jsonable, summarize
from sim.files import write_atomic

DEFAULT_SWEEP_PATHS = 100_000


class Stopped(Exception):
    """A cell abandoned because the sweep is stopping."""


def _write_json_atomic(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=1, allow_nan=False, default=jsonable) + "\n")


def _read_cell(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "summary" in data else None


@dataclass
class SweepResult:
    """A finished sweep: ``table`` (pandas DataFrame, one row per cell), counts, files written."""

    table: Any
    cells: int
    computed: int
    reused: int
    folder: Path | None
    files: list[Path]
    seconds: float

    def __repr__(self) -> str:
        return f"<SweepResult {self.cells} cells ({self.computed} computed, {self.reused} reused) in {self.seconds:.1f} s>"


def cells_in_flight(n_blocks: int, parallelism: int, remote: bool) -> int:
    """How many cells run at once: enough to fill ``parallelism`` slots with blocks.

    A remote executor gets one cell more, so the next cell's tasks queue
    while the last ones of a cell finish.
    """
    return max(1, -(-parallelism // max(1, n_blocks))) + (1 if remote else 0)


def run_cells(
    cells: Sequence[Cell],
    paths: int,
    seed: int,
    block_size: int,
    quantiles: str,
    folder: str | os.PathLike | None = None,
    executor=None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    on_cell: Callable[[Cell, dict, bool], None] | None = None,
) -> list[dict]:
    """Run cells (skipping those already in ``folder``) and return their summaries, in cell order.

    Parameters
    ----------
    cells : sequence of Cell
        From :func:`sim.analysis.sweep.prepare_cells`.
    folder : path, optional
        Where cell results live (``folder/KEY.json``): existing ones are
        reused, new ones written atomically as each cell finishes.
    executor : optional
        An engine executor (``sim.engine.dask_executor.DaskExecutor``); default
        local threads (``threads``, default all cores).
    progress : callable, optional
        Called with fractions of a cell as blocks finish.
    on_cell : callable, optional
        ``on_cell(cell, summary, computed)`` after each cell (reused ones
        first), in this thread; an exception from it stops the sweep.

    Ctrl-C (or an error) stops the cells in flight at their next block;
    finished cells stay written.
    """
    folder = Path(folder) if folder is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict] = {}  # by cell key: a design may list the same cell twice
    same_key: dict[str, list[Cell]] = {}
    for cell in cells:
        same_key.setdefault(cell.key, []).append(cell)
    pending = []
    for key, group in same_key.items():
        data = _read_cell(folder / f"{key}.json") if folder is not None else None
        if data is not None:
            summaries[key] = data["summary"]
        else:
            pending.append(group[0])
    if on_cell is not None:
        for cell in cells:
            if cell.key in summaries:
                on_cell(cell, summaries[cell.key], False)
    if not pending:
        return [summaries[c.key] for c in cells]

    n_blocks = len(simulate.block_sizes(paths, block_size))
    remote = executor is not None
    parallelism = executor.parallelism if remote else max(1, threads or os.cpu_count() or 1)
    window = min(len(pending), cells_in_flight(n_blocks, parallelism, remote))
    cell_threads = max(1, parallelism // window)
    stop = threading.Event()
    lock = threading.Lock()

    def run_one(cell: Cell) -> dict:
        def blocks_done(n: int) -> None:
            if stop.is_set():
                raise Stopped()
            if progress is not None:
                with lock:
                    progress(n / paths)

        pool = executor if remote else simulate.ThreadExecutor(cell_threads)
        if cell.deal_impact:  # every path also without the deal, same draws (sim.engine.paired)
            paired = PairedSimulation(cell.scenario, seed, block_size, False, quantiles, paths, None, pool)
            paired.advance(simulate.block_sizes(paths, block_size), blocks_done)
            data = paired.data()
        else:
            data = simulate.run_blocks(
                cell.scenario, paths, seed, block_size=block_size, record_steps=False, quantiles=quantiles,
                progress=blocks_done, executor=pool,
            )
        summary = summarize(data)
        if cell.deal_impact:
            summary["deal_impact"] = paired.deal_impact()
        summary = json.loads(Result(summary).to_json())  # exactly what a reused cell reads back
        if folder is not None:
            record = {"key": cell.key, "index": cell.index, "values": cell.values, "resolved": cell.resolved, "summary": summary}
            _write_json_atomic(folder / f"{cell.key}.json", record)
        return summary

    queue = iter(pending)
    with ThreadPoolExecutor(max_workers=window, thread_name_prefix="sim-cell") as pool:
        running = {}

        def fill():
            while len(running) < window:
                cell = next(queue, None)
                if cell is None:
                    return
                running[pool.submit(run_one, cell)] = cell

        try:
            fill()
            while running:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    cell = running.pop(future)
                    summaries[cell.key] = future.result()
                    if on_cell is not None:
                        for same in same_key[cell.key]:
                            on_cell(same, summaries[cell.key], same is cell)
                fill()
        finally:
            stop.set()  # cells in flight stop at their next block
            for future in running:
                future.cancel()
            for future in list(running):
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - Stopped, or a second error: the first is already propagating
                    pass
    return [summaries[c.key] for c in cells]


def manifest(config, design: Design, overrides, paths, seed, block_size, quantiles, target, cells, done, status) -> dict:
    """The contents of ``manifest.json``: the sweep's settings, design and which cells are ``done`` (a list of bool)."""
    return {
        "sim_version": __version__,
        "status": status,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": os.fspath(config) if not isinstance(config, dict) else "<dict>",
        "set": list(overrides),
        "paths": paths,
        "seed": seed,
        "block_size": block_size,
        "quantiles": quantiles,
        "target": str(target) if target is not None else None,
        "keys": design.keys,
        "design": design.spec,
        "grid_shape": list(design.grid_shape) if design.grid_shape else None,
        "cells_total": len(cells),
        "cells_done": sum(done),
        "cells": [{"index": c.index, "key": c.key, "values": c.values, "done": d} for c, d in zip(cells, done)],
    }


def run_sweep(
    config,
    design: Design,
    out: str | os.PathLike,
    paths: int = DEFAULT_SWEEP_PATHS,
    seed: int = 0,
    block_size: int | None = None,
    quantiles: str = "auto",
    overrides: Sequence[str] = (),
    target: Target | None = None,
    executor=None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    on_cell: Callable[[Cell, dict, bool], None] | None = None,
    plots: bool = True,
) -> SweepResult:
    """Run a sweep into folder ``out``, resuming from the cells already there.

    Parameters
    ----------
    config : str, path or dict
        The base scenario (what ``sim.load`` accepts).
    design : Design
        From :func:`sim.analysis.sweep.build_design` or :func:`sim.analysis.sweep.read_sweep_file`.
    out : path
        The sweep folder (created): ``manifest.json``, ``cells/``, the
        table and plots.
    paths, seed, block_size, quantiles
        The same for every cell (common random numbers).
    overrides : sequence of str
        ``KEY=VALUE`` overrides applied to every cell, before the swept values.
    target : Target, optional
        Cells meeting it are outlined in the heatmap.
    executor, threads, progress, on_cell
        As :func:`run_cells`.
    plots : bool
        Write ``heatmap.png`` / ``lines.png`` when they apply.

    Raises
    ------
    ConfigError or ParameterError
        A cell's config is invalid (nothing has run yet).
    """
    import pandas as pd  # heavy: only when a sweep runs

    t0 = time.perf_counter()
    block_size = block_size or simulate.DEFAULT_BLOCK_SIZE
    folder = Path(out)
    deal = target is not None and target.metric in DEAL_IMPACT_METRICS
    cells = prepare_cells(config, design, overrides, seed, paths, block_size, quantiles, deal_impact=deal)
    folder.mkdir(parents=True, exist_ok=True)
    cells_dir = folder / CELLS_DIR
    done = [False] * len(cells)
    counts = {"computed": 0, "reused": 0}

    manifest_lock = threading.Lock()  # cells may finish on several threads

    def save_manifest(status):
        with manifest_lock:
            _write_json_atomic(folder / MANIFEST_FILE, manifest(config, design, overrides, paths, seed, block_size, quantiles, target, cells, done, status))

    def record(cell, summary, computed):
        done[cell.index] = True
        counts["computed" if computed else "reused"] += 1
        if computed:  # after each finished cell: even after SIGKILL, cells_done is true up to the last one
            save_manifest("running")
        if on_cell is not None:
            on_cell(cell, summary, computed)

    save_manifest("running")
    try:
        summaries = run_cells(cells, paths, seed, block_size, quantiles, cells_dir, executor, threads, progress, record)
    except BaseException:
        save_manifest("interrupted")
        raise
    table = pd.DataFrame(table_rows(cells, summaries))
    files = write_table(table, folder)
    if plots:
        files += write_plots(table, design, folder, target)
    save_manifest("complete")
    return SweepResult(table, len(cells), counts["computed"], counts["reused"], folder, files, time.perf_counter() - t0)
