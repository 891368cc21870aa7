"""Speed and memory of `sim run` against a plain NumPy implementation of the same model.

Run from the repository root::

    python benchmarks/bench.py            # everything (about 4 minutes on 2 cores)
    python benchmarks/bench.py --quick    # smaller runs, for a smoke check

Prints paths/s, peak memory and ratios against the baseline, all measured in
this process (or its children) on this machine.  Timed results are never
asserted in the test suite: this script is where speed is measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import sim
from sim.engine.reference import simulate_reference

SCENARIO = "pinterest_aws_2031"


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def cli(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one `python -m sim ...` child process."""
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "sim", *args], env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the max over all children
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"sim {' '.join(args)} failed with status {status}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke check)")
    args = parser.parse_args()
    big = 1_000_000 if args.quick else 10_000_000
    huge = 5_000_000 if args.quick else 100_000_000
    base_paths = 20_000 if args.quick else 200_000
    cores = os.cpu_count()
    scn = sim.load(SCENARIO)
    print(f"sim {sim.__version__}, scenario {SCENARIO}, {cores} cores, numba cache {'on' if __import__('sim.engine.kernel.jit').engine.kernel.jit.CACHE else 'off'}")

    # 1. the whole process, cold and warm JIT cache
    with tempfile.TemporaryDirectory() as cache:
        cold, _ = cli(["run", "--paths", "100000", "--quiet"], {"NUMBA_CACHE_DIR": cache})
        warm, _ = cli(["run", "--paths", "100000", "--quiet"], {"NUMBA_CACHE_DIR": cache})
    print(f"sim run --paths 100000 (whole process): cold JIT cache {cold:.2f} s, warm {warm:.2f} s")

    # 2. throughput after compilation, as `sim run` does it (no per-step fan-chart data)
    sim.run(scn, paths=10_000, record_steps=False)  # compile / load the cache
    r1, t1 = timed(lambda: sim.run(scn, paths=big // 4, threads=1, record_steps=False))
    # three runs: this shared machine's speed drifts by a few percent from run to run
    runs = [timed(lambda: sim.run(scn, paths=big, record_steps=False)) for _ in range(3)]
    rn, tn = sorted(runs, key=lambda r: r[1])[1]  # the median run
    rs, ts = timed(lambda: sim.run(scn, paths=big // 4, record_steps=True))
    print(f"kernel, 1 thread:          {big // 4 / t1 / 1e6:6.2f} M paths/s ({big // 4:,} paths in {t1:.2f} s)")
    print(f"kernel, {cores} threads:         {big / tn / 1e6:6.2f} M paths/s ({big:,} paths in {tn:.2f} s; median of "
          f"{', '.join(f'{s:.2f}' for _, s in runs)} s)")
    print(f"  with per-step fan data:  {big // 4 / ts / 1e6:6.2f} M paths/s (as `sim run --out`)")
    print(f"  P(cash < floor) = {rn.summary['p_cash_breach']['estimate']:.5f} +/- {1.96 * rn.summary['p_cash_breach']['se']:.5f}")

    # 3. the plain NumPy baseline of the same model (sim/reference.py), same machine, same process
    simulate_reference(scn, 0, 1_000)  # first-call costs (imports, caches) are not the baseline's speed
    _, tb = timed(lambda: simulate_reference(scn, 0, base_paths))
    base_rate = base_paths / tb
    print(f"NumPy baseline:            {base_rate / 1e6:6.2f} M paths/s ({base_paths:,} paths in {tb:.2f} s)")
    print(f"ratio sim / NumPy:         {big / tn / base_rate:6.1f}x ({cores} threads), {big // 4 / t1 / base_rate:.1f}x (1 thread)")

    # 4. peak memory of one large run, as a separate process
    seconds, peak = cli(["run", "--paths", str(huge), "--quiet"])
    print(f"sim run --paths {huge:,}: {seconds:.1f} s, {huge / seconds / 1e6:.2f} M paths/s, peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
