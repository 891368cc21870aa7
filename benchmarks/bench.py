"""Speed and memory of `sim run` against a plain NumPy implementation of the same model.

Run from the repository root::

    python benchmarks/bench.py            # everything (about 4 minutes on 2 cores)
    python benchmarks/bench.py --quick    # smaller runs, for a smoke check
    python benchmarks/bench.py --baseline ../sim-pre-v2   # also: this tree against another checkout

Prints paths/s, peak memory and ratios against the baseline, all measured in
this process (or its children) on this machine.  Timed results are never
asserted in the test suite: this script is where speed is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import sim
from sim.engine.reference import simulate_reference

SCENARIO = "pinterest_aws_2031"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MULTI_CLOUD = os.path.join(ROOT, "configs", "multi_cloud_example.toml")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# Spawns `python -m sim ARGS` and prints its wall time (s), exit code and peak RSS (KiB). A child's
# ru_maxrss also counts the memory of the process it was forked from, as it was before exec (Linux
# keeps the larger of the two): spawned straight from this process, which holds large results by
# then, every child would report at least this process's size. This small launcher forks it instead.
_LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "sim", *sys.argv[1:]], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - t0, os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def cli(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one `python -m sim ...` process (spawned by ``_LAUNCHER``)."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=True)
    seconds, status, peak_kib = done.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"sim {' '.join(args)} failed with status {status}")
    return float(seconds), int(peak_kib) / 1024  # ru_maxrss is in KiB on Linux


def child_speed(tree: str, paths: int, threads: int) -> tuple[float, float]:
    """Kernel paths/s (the summary's ``paths_per_second``) and wall time (s) of the default scenario in a
    ``python -m sim run`` child process importing ``sim`` from checkout ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "summary.json")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([tree, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "run", SCENARIO, "--paths", str(paths), "--threads", str(threads),
                        "--json", out, "-q"], env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        with open(out) as f:
            return float(json.load(f)["paths_per_second"]), wall


def compare_baseline(baseline: str, paths: int, threads: int = 2, rounds: int = 3) -> None:
    """This tree (B) against checkout ``baseline`` (A) on the default scenario: A/B/A/B/A/B, medians, ratio."""
    baseline = os.path.abspath(baseline)
    if not os.path.isfile(os.path.join(baseline, "sim", "__init__.py")):
        raise SystemExit(f"--baseline {baseline}: not a checkout of sim (no sim/__init__.py)")
    trees = {"baseline": baseline, "this tree": ROOT}
    for tree in trees.values():  # compile, or load each tree's own JIT cache, before timing
        child_speed(tree, 10_000, threads)
    speeds: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(rounds):  # interleaved: a drift of the shared machine hits both alike
        for name, tree in trees.items():
            speeds[name].append(child_speed(tree, paths, threads)[0])
    med = {name: sorted(v)[len(v) // 2] for name, v in speeds.items()}
    for name, tree in trees.items():
        print(f"{name + ':':26s} {med[name] / 1e6:6.2f} M paths/s ({SCENARIO}, {paths:,} paths, {threads} threads, median of "
              f"{', '.join(f'{v / 1e6:.2f}' for v in speeds[name])}; {tree})")
    print(f"ratio this tree / baseline: {med['this tree'] / med['baseline']:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke check)")
    parser.add_argument("--baseline", metavar="DIR", help="another checkout of sim: time its default scenario against "
                        "this tree's in child processes, interleaved A/B/A/B/A/B, and print the ratio")
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
    _, t1 = timed(lambda: sim.run(scn, paths=big // 4, threads=1, record_steps=False))
    # three runs: this shared machine's speed drifts by a few percent from run to run
    runs = [timed(lambda: sim.run(scn, paths=big, record_steps=False)) for _ in range(3)]
    rn, tn = sorted(runs, key=lambda r: r[1])[1]  # the median run
    _, ts = timed(lambda: sim.run(scn, paths=big // 4, record_steps=True))
    print(f"kernel, 1 thread:          {big // 4 / t1 / 1e6:6.2f} M paths/s ({big // 4:,} paths in {t1:.2f} s)")
    print(f"kernel, {cores} threads:         {big / tn / 1e6:6.2f} M paths/s ({big:,} paths in {tn:.2f} s; median of "
          f"{', '.join(f'{s:.2f}' for _, s in runs)} s)")
    print(f"  with per-step fan data:  {big // 4 / ts / 1e6:6.2f} M paths/s (as `sim run --out`)")
    print(f"  P(cash < floor) = {rn.summary['p_cash_breach']['estimate']:.5f} +/- {1.96 * rn.summary['p_cash_breach']['se']:.5f}")
    # deal impact (every path also without the deal, same draws) against the plain run, same process and paths
    _, td = timed(lambda: sim.run(scn, paths=big // 4, record_steps=False, deal_impact=True))
    _, tp = timed(lambda: sim.run(scn, paths=big // 4, record_steps=False))
    print(f"  with --deal-impact:      {big // 4 / td / 1e6:6.2f} M paths/s, {td / tp:.2f}x a plain run ({big // 4:,} paths: {td:.2f} s against {tp:.2f} s)")

    # the model v2 example (two commitments, every v2 feature), as `sim run` does it, 2 threads
    multi = sim.load(MULTI_CLOUD)
    sim.run(multi, paths=10_000, threads=2, record_steps=False)  # compile / load the cache
    runs = [timed(lambda: sim.run(multi, paths=big, threads=2, record_steps=False))[1] for _ in range(3)]
    tm = sorted(runs)[1]
    print(f"multi_cloud_example, 2 threads: {big / tm / 1e6:6.2f} M paths/s ({big:,} paths; median of "
          f"{', '.join(f'{t:.2f}' for t in runs)} s)")

    # 3. the plain NumPy baseline of the same model (sim/reference.py), same machine, same process
    simulate_reference(scn, 0, 1_000)  # first-call costs (imports, caches) are not the baseline's speed
    _, tb = timed(lambda: simulate_reference(scn, 0, base_paths))
    base_rate = base_paths / tb
    print(f"NumPy baseline:            {base_rate / 1e6:6.2f} M paths/s ({base_paths:,} paths in {tb:.2f} s)")
    print(f"ratio sim / NumPy:         {big / tn / base_rate:6.1f}x ({cores} threads), {big // 4 / t1 / base_rate:.1f}x (1 thread)")

    # 4. peak memory of one large run, as a separate process
    seconds, peak = cli(["run", "--paths", str(huge), "--quiet"])
    print(f"sim run --paths {huge:,}: {seconds:.1f} s, {huge / seconds / 1e6:.2f} M paths/s, peak RSS {peak:,.0f} MB")

    # 5. against another checkout (the lead's pre-v2 commit, say)
    if args.baseline:
        compare_baseline(args.baseline, big)


if __name__ == "__main__":
    main()
