"""What the report adds to a run: `sim run --out` at 10M paths, with and without the report.

Run from the repository root::

    python benchmarks/bench_report.py            # 10M paths (about 30 s on 2 cores)
    python benchmarks/bench_report.py --paths 1000000

Prints the run's own time (``sim.run`` with per-step recording, as
``sim run --out`` does it), then the time of each output step on that result:
figures, HTML + Markdown, tables, everything ``--out`` writes, and
``sim report DIR`` as a fresh process (imports included).  The report's
figures read the summary only, so its build time does not grow with paths;
the goal is under 10 s added to a 10M-path run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import sim  # noqa: E402
from sim import report  # noqa: E402
from sim.present import tables  # noqa: E402

SCENARIO = "pinterest_aws_2031"


def line(label: str, seconds: float) -> None:
    print(f"  {label:<52} {seconds:7.2f} s")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", type=int, default=10_000_000)
    parser.add_argument("--scenario", default=SCENARIO)
    args = parser.parse_args()
    print(f"sim {sim.__version__}, scenario {args.scenario}, {args.paths:,} paths, {os.cpu_count()} cores")

    sim.run(args.scenario, paths=20_000)  # compile the kernel first: the JIT is not what is measured
    result, run_s = timed(lambda: sim.run(args.scenario, paths=args.paths, seed=0, record_steps=True))
    print(f"sim.run (per-step recording, quantiles {result.summary['quantile_method']}): {run_s:.2f} s")

    figures, fig_s = timed(lambda: report.render_figures(result))
    line(f"render {len(figures)} figures (PNG, first use of matplotlib)", fig_s)
    with tempfile.TemporaryDirectory() as tmp:
        _, rep_s = timed(lambda: report.write_report(result, tmp, ("html", "md")))
        line("report.html + report.md + figures/, written", rep_s)
        _, tab_s = timed(lambda: tables.write_tables(result, tmp))
        line(f"tables (CSV{' + Parquet' if tables.parquet_available() else ''})", tab_s)
        out = os.path.join(tmp, "out")
        _, all_s = timed(lambda: report.write_outputs(result, out))
        line("everything --out writes (json, toml, tables, report)", all_s)
        html_kb = os.path.getsize(os.path.join(out, "report.html")) / 1024
        print(f"  report.html size: {html_kb:,.0f} KiB")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "report", out], check=True, stdout=subprocess.DEVNULL)
        cli_s = time.perf_counter() - t0
        line("sim report DIR (fresh process, imports included)", cli_s)
    added = fig_s - rep_s + all_s  # matplotlib's first use counts against the run too
    verdict = "under" if added < 10 else "OVER"
    print(f"--out adds {added:.2f} s to a {run_s:.1f} s run ({100 * added / run_s:.0f}%): {verdict} the 10 s goal")


if __name__ == "__main__":
    main()
