"""``sim sweep`` and ``sim solve``: many runs of one scenario on common random numbers.

Both take the executor options of ``sim.cli.common`` (``--executor dask``,
``--scheduler``: docs/CLUSTER.md); results never depend on the executor.
Registered on the ``sim`` group by ``sim.cli.main``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sim.cli.duration import check_duration, yes_option
from sim.cli.common import (
    InputError,
    Terminated,
    block_size_option,
    check_json_target,
    check_out_folder,
    check_run_options,
    emit_json,
    executor_options,
    json_option,
    load_config,
    lock_out_folder,
    open_executor,
    paths_option,
    quantiles_option,
    quiet_option,
    seed_option,
    set_option,
)


class _Exit(click.ClickException):
    """One line on stderr and an exit code (the group, ``sim.cli.main.SimGroup``, prints it)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.exit_code = code


class _CellBar:
    """Progress in cells (fractions as blocks finish), with ETA: tqdm on stderr, only on a terminal.

    Created at the first computed block, so reused cells count as already done
    and do not distort the rate.
    """

    def __init__(self, total: int | None, quiet: bool, unit: str = "cell"):
        self.total, self.unit = total, unit
        self.on = not quiet and sys.stderr.isatty()
        self.done = 0
        self.bar = None

    def reused(self, *_):
        if self.bar is not None:  # a repeat of a cell computed just now
            self.bar.update(1)
        else:
            self.done += 1

    def update(self, fraction: float) -> None:
        if not self.on:
            return
        if self.bar is None:
            from tqdm import tqdm

            if self.total is None:  # solve: the number of runs is not known in advance
                fmt = "{n:.1f} " + self.unit + "s [{elapsed}]"
            else:
                fmt = "{l_bar}{bar}| {n:.1f}/{total_fmt} " + self.unit + "s [{elapsed}<{remaining}]"
            self.bar = tqdm(total=self.total, initial=self.done, unit=self.unit, file=sys.stderr, leave=False, dynamic_ncols=True, bar_format=fmt, delay=1.0)
        self.bar.update(fraction)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command()
@click.argument("config", required=False)
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2,..|KEY=LO:HI:N", help="Sweep KEY over values, or N evenly spaced values from LO to HI (repeatable: a full grid).")
@click.option("--lhs", type=int, default=None, metavar="N", help="Latin hypercube of N samples over the --range keys.")
@click.option("--range", "ranges", multiple=True, metavar="KEY=LO:HI", help="A Latin-hypercube key and its range (repeatable).")
@click.option("--lhs-seed", type=int, default=None, help="Seed of the hypercube design [default: 0].")
@click.option("--file", "sweep_file", type=click.Path(dir_okay=False), help="Sweep file (TOML): design and settings (docs/CLUSTER.md).")
@set_option("Override a config value in every cell (repeatable).")
@paths_option(None, "Paths per cell [default: 100000].")
@seed_option(None, "Seed, the same in every cell [default: 0].")
@block_size_option(None, "Paths per block [default: 32768].")
@quantiles_option(None, "Quantile method [default: auto].")
@click.option("--target", default=None, metavar="METRIC<=VALUE", help="Outline the cells meeting it in the heatmap, e.g. 'p_cash_breach<=0.05'.")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Sweep folder: results, table, plots; rerun to resume.")
@executor_options
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@quiet_option("No progress bar and no printed table.")
@yes_option
def sweep(config, grids, lhs, ranges, lhs_seed, sweep_file, overrides, paths, seed, block_size, quantiles, target, out_dir, executor, scheduler, threads, no_plots, quiet, yes=False):
    """Run CONFIG over a grid or Latin hypercube of config values, with common random numbers.

    Every cell uses the same seed, paths and blocks, so differences between
    cells are the inputs' effect.  Each finished cell is saved at once;
    rerunning the same command skips finished cells.  Writes OUT/sweep.csv
    (and sweep.parquet with pyarrow), manifest.json and, for one or two keys,
    heatmap.png / lines.png.

    \b
    Examples:
      sim sweep pinterest_aws_2031 --grid cloud.commitment.total=3B,4B,5B \\
          --grid revenue.ai_uplift.probability=0.3:0.9:4 --paths 200000 --out sweep1
      sim sweep my_deal.toml --lhs 50 --range cloud.commitment.discount=0.1:0.3 \\
          --range revenue.growth.mean=0.02:0.1 --out lhs1 --executor dask
      sim sweep --file design.toml --out big --scheduler tcp://10.0.0.5:8786
    """
    from sim.analysis.sweep import DEFAULT_SWEEP_PATHS, build_design, format_table, grid_axis, lhs_range, parse_target, read_sweep_file, run_sweep

    check_run_options(paths, seed, threads, block_size)
    settings = {"set": []}
    file_design = None
    if sweep_file:
        settings = read_sweep_file(sweep_file)
        file_design = settings["design"]
        if settings["config"] and not config:
            near = Path(sweep_file).parent / settings["config"]
            config = str(near) if near.is_file() else settings["config"]
    paths = paths if paths is not None else settings.get("paths") or DEFAULT_SWEEP_PATHS
    seed = seed if seed is not None else settings.get("seed") or 0
    block_size = block_size if block_size is not None else settings.get("block_size")
    quantiles = quantiles or settings.get("quantiles") or "auto"
    check_run_options(paths, seed, None, block_size)  # again: the sweep file may have set them
    target_text = target or settings.get("target")
    goal = parse_target(target_text, "target" if target else sweep_file) if target_text else None
    if grids or lhs is not None or ranges or file_design is None:
        if file_design is not None:
            raise InputError("--grid/--lhs/--range: the design comes from --file; give one or the other")
        if not grids and lhs is None and not ranges:
            raise InputError("sim sweep: nothing to sweep: give --grid KEY=VALUES, --lhs N with --range KEY=LO:HI, or a sweep file")
        axes, spans = [grid_axis(g) for g in grids], [lhs_range(r) for r in ranges]
        # how --lhs and --range go together is the command's to say, in its options
        if spans and lhs is None:
            raise InputError(f"--range: {spans[0].key}: a range needs --lhs N (the number of samples)")
        if lhs is not None and lhs >= 1 and not spans:
            raise InputError("--lhs: needs at least one --range KEY=LO:HI")
        design = build_design(axes, lhs, spans, lhs_seed or 0)
    else:
        design = file_design
    check_out_folder(out_dir, swap=False)  # a sweep folder grows cell by cell: no swap; parents made like run --out
    config = config or "pinterest_aws_2031"
    all_overrides = list(settings["set"]) + list(overrides)
    check_duration(load_config(config, all_overrides), paths, threads, yes, cells=len(design.cells))

    lock_out_folder(out_dir)  # two sweeps into one folder would race on its manifest
    bar = _CellBar(len(design.cells), quiet)
    with open_executor(executor, scheduler, threads) as pool:
        try:
            result = run_sweep(
                config, design, out_dir, paths=paths, seed=seed, block_size=block_size, quantiles=quantiles,
                overrides=all_overrides, target=goal, executor=pool, threads=threads,
                progress=bar.update, on_cell=lambda c, s, computed: None if computed else bar.reused(), plots=not no_plots,
            )
        except KeyboardInterrupt as e:
            bar.close()
            done = _cells_done(out_dir)
            what, code = ("terminated", 143) if isinstance(e, Terminated) else ("interrupted", 130)
            raise _Exit(f"{what}: {done} of {len(design.cells)} cells are saved in {out_dir}; rerun the same command to finish", code) from None
        finally:
            bar.close()
    if quiet:
        return
    click.echo(f"{result.cells} cells ({result.computed} computed, {result.reused} reused) in {result.seconds:.1f} s, {paths:,} paths each, seed {seed}")
    click.echo(format_table(result.table, design.keys, ["p_cash_breach", "p_commitment_shortfall", "min_cash_p05"]))
    click.echo("wrote " + ", ".join(str(p) for p in result.files))


def _cells_done(folder) -> int:
    import json

    from sim.analysis.sweep import MANIFEST_FILE

    try:
        return json.loads((Path(folder) / MANIFEST_FILE).read_text())["cells_done"]
    except (OSError, ValueError, KeyError):
        return 0


@click.command()
@click.argument("config", required=False)
@click.option("--vary", "key", required=True, metavar="KEY", help="The config key to solve for (dotted).")
@click.option("--between", required=True, metavar="LO:HI", help="The range searched, e.g. 2B:8B or 0.05:0.3.")
@click.option("--target", "target_text", required=True, metavar="METRIC<=VALUE", help="What the answer must meet, e.g. 'p_cash_breach<=0.05'.")
@click.option("--smallest", is_flag=True, help="Find the smallest value meeting the target [default: the largest].")
@click.option("--tol", default=None, metavar="X", help="Stop when the bracket is this narrow, in the key's units [default: range/200].")
@set_option("Override a config value (repeatable).")
@paths_option(100_000, "Paths per run.")
@seed_option(0, "Seed, the same in every run.")
@block_size_option(32_768, "Paths per block.")
@quantiles_option("auto", "Quantile method.")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False), help="Keep each run's result in DIR (a rerun reuses them) and write solve.json.")
@json_option("Write the answer as JSON to FILE, or stdout with '-'.")
@executor_options
@quiet_option("No progress bar and no printed answer.")
def solve(config, key, between, target_text, smallest, tol, overrides, paths, seed, block_size, quantiles, out_dir, json_out, executor, scheduler, threads, quiet):
    """Find the largest (or --smallest) value of a key in a range that meets a target.

    Bisection on common random numbers; the answer comes with its Monte
    Carlo band: the values whose 95% interval contains the target value.
    Exit code 1 when no value in the range meets the target.

    \b
    Example:
      sim solve pinterest_aws_2031 --vary cloud.commitment.total --between 2B:8B \\
          --target 'p_cash_breach<=0.05'
    """
    import json

    from sim.files import write_atomic
    from sim.analysis.solve import solve as run_solve
    from sim.analysis.sweep import CELLS_DIR, lhs_range, parse_quantity, parse_target

    check_run_options(paths, seed, threads, block_size)
    goal = parse_target(target_text)
    span = lhs_range(f"{key}={between}", source="between")
    step = None
    if tol is not None:
        try:
            step = parse_quantity(tol)
        except ValueError as e:
            raise InputError(f"--tol: {e}") from None
        if step <= 0:
            raise InputError("--tol: must be positive")
    check_json_target(json_out)
    check_out_folder(out_dir, swap=False)  # a cache of runs that a rerun reuses: no swap; parents made like run --out
    if out_dir:
        lock_out_folder(out_dir)
    config = config or "pinterest_aws_2031"
    bar = _CellBar(None, quiet, unit="run")
    with open_executor(executor, scheduler, threads) as pool:
        try:
            found = run_solve(
                config, span.key, span.lo, span.hi, goal, largest=not smallest, tol=step, paths=paths, seed=seed,
                block_size=block_size, quantiles=quantiles, overrides=overrides, executor=pool, threads=threads,
                folder=os.path.join(out_dir, CELLS_DIR) if out_dir else None, progress=bar.update,
            )
        except KeyboardInterrupt as e:
            if not out_dir:
                raise  # nothing written: the group's message says so
            what, code = ("terminated", 143) if isinstance(e, Terminated) else ("interrupted", 130)
            raise _Exit(f"{what}: the runs finished so far are saved in {out_dir}; rerun the same command to reuse them", code) from None
        finally:
            bar.close()
    text = json.dumps(found.to_dict(), indent=2, allow_nan=False)
    if out_dir:
        write_atomic(os.path.join(out_dir, "solve.json"), text + "\n")
    emit_json(json_out, text)
    if not quiet and json_out != "-":
        click.echo(str(found))
    if found.status == "none":
        raise _Exit(f"no {span.key} in {between} meets {goal}", 1)
