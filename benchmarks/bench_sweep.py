"""Sweep throughput: cells per minute, local threads vs a Dask LocalCluster, and the per-cell overhead.

    python benchmarks/bench_sweep.py                  # 20 cells x 1M paths (a minute or two on 2 cores)
    python benchmarks/bench_sweep.py --paths 100000   # quicker

The sweep is a 5 x 4 grid (commitment total x AI-uplift probability) on the
default scenario.  Figures printed:

* cells per minute for the sweep on local threads and on a LocalCluster of
  ``--workers`` processes (one thread each; cluster start-up and the workers'
  first kernel load are timed apart and left out);
* per-cell overhead at full size: sweep time per cell minus the time of one
  plain ``sim.run`` of the same size on the same executor (best of 3);
* per-cell overhead alone: a 20-cell sweep of 1,000-path cells (loading and
  validating the config, compiling the model, the central case, summary,
  atomic JSON write, scheduling);
* CPU seconds per cell over all processes (client and workers), which other
  load on a shared machine disturbs far less than wall time;
* whether the two executors' tables are identical (they must be).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sim  # noqa: E402
from sim.analysis.sweep import build_design, grid_axis, run_sweep  # noqa: E402

SCENARIO = "pinterest_aws_2031"
GRID = ["cloud.commitment.total=3B:5B:5", "revenue.ai_uplift.probability=0.3:0.9:4"]


def cpu_seconds(executor=None) -> float:
    """CPU time of this process and, with a Dask executor, of its workers."""
    total = time.process_time()
    if executor is not None:
        total += sum(executor.client.run(time.process_time).values())
    return total


def sweep_seconds(paths: int, executor=None, threads=None) -> tuple[float, float, object]:
    """Wall and CPU seconds (all processes) of the sweep, and its table."""
    design = build_design([grid_axis(g) for g in GRID])
    with tempfile.TemporaryDirectory() as folder:
        t0, c0 = time.perf_counter(), cpu_seconds(executor)
        out = run_sweep(SCENARIO, design, folder, paths=paths, seed=0, executor=executor, threads=threads, plots=False)
        return time.perf_counter() - t0, cpu_seconds(executor) - c0, out.table


def single_run_seconds(paths: int, executor=None, threads=None, repeat: int = 3) -> float:
    """Best of ``repeat`` runs (other load on the machine only ever adds time)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim.run(SCENARIO, paths=paths, seed=0, record_steps=False, executor=executor, threads=threads)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000, help="paths per cell (default 1,000,000)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--small", type=int, default=1_000, help="paths per cell for the overhead-only sweep")
    args = parser.parse_args()
    threads = args.workers
    cells = len(build_design([grid_axis(g) for g in GRID]).cells)
    print(f"{cells}-cell sweep of {SCENARIO}, {args.paths:,} paths per cell; {os.cpu_count()} cores here")

    single_run_seconds(1000, repeat=1)  # compile / load the kernels
    local_one = single_run_seconds(args.paths, threads=threads)
    local_sweep, local_cpu, local_table = sweep_seconds(args.paths, threads=threads)
    local_small, _, _ = sweep_seconds(args.small, threads=threads)
    print(f"local threads ({threads}):")
    print(f"  sweep {local_sweep:7.1f} s   {60 * cells / local_sweep:6.1f} cells/min   CPU {local_cpu / cells:.2f} s per cell")
    print(f"  one run {local_one:5.2f} s   overhead per cell at full size {local_sweep / cells - local_one:+.3f} s")
    print(f"  {args.small:,}-path cells: {local_small / cells * 1000:.0f} ms per cell")

    from sim.engine.dask_executor import DaskExecutor

    t0 = time.perf_counter()
    with DaskExecutor(workers=args.workers) as pool:
        started = time.perf_counter() - t0
        t0 = time.perf_counter()
        single_run_seconds(1000, executor=pool, repeat=1)  # each worker loads the kernels once
        warm = time.perf_counter() - t0
        dask_one = single_run_seconds(args.paths, executor=pool)
        dask_sweep, dask_cpu, dask_table = sweep_seconds(args.paths, executor=pool)
        dask_small, _, _ = sweep_seconds(args.small, executor=pool)
    print(f"Dask LocalCluster ({args.workers} processes x 1 thread): start {started:.1f} s, first task (kernel load) {warm:.1f} s")
    print(f"  sweep {dask_sweep:7.1f} s   {60 * cells / dask_sweep:6.1f} cells/min   CPU {dask_cpu / cells:.2f} s per cell (client and workers)")
    print(f"  one run {dask_one:5.2f} s   overhead per cell at full size {dask_sweep / cells - dask_one:+.3f} s")
    print(f"  {args.small:,}-path cells: {dask_small / cells * 1000:.0f} ms per cell")
    print(f"tables identical (local vs Dask): {local_table.equals(dask_table)}")


if __name__ == "__main__":
    main()
