"""``sim sensitivity``: which inputs drive a metric (tornado, spider, rank correlations, Sobol).

Registered on the ``sim`` group by ``sim.cli.main``; errors follow its
rules (bad input: one line on stderr, exit code 2).
"""

from __future__ import annotations

import os

import click

from sim.cli.common import (
    InputError,
    block_size_option,
    check_json_target,
    check_out_folder,
    check_run_options,
    emit_json,
    json_option,
    load_config,
    lock_out_folder,
    paths_option,
    progress_bar,
    quiet_option,
    seed_option,
    set_option,
    threads_option,
    written_outputs,
)


def _numbers(option: str, text: str, count: int | None = None) -> list[float]:
    try:
        values = [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputError(f"{option}: {text}: expected numbers separated by commas") from None
    if not values or (count is not None and len(values) != count):
        want = f"{count} numbers" if count else "at least one number"
        raise InputError(f"{option}: {text}: expected {want} separated by commas")
    if any(not 0 < v < 100 for v in values):
        raise InputError(f"{option}: {text}: percentiles must be between 0 and 100 (exclusive)")
    return values


@click.command()
@click.argument("config", required=False)
@click.option("--metric", "-m", default="p_cash_breach", show_default=True,
              help="What to explain: p_cash_breach, p_profit_compression_any, p_commitment_shortfall, p_net_loss_any, "
                   "min_cash_mean, min_cash_median, min_cash_p05, expected_shortfall_total, or a by-year metric "
                   "(p_cash_breach_by_YYYY, p_profit_compression_YYYY, p_net_loss_YYYY, cash_end_mean_YYYY, "
                   "cash_end_median_YYYY, net_income_mean_YYYY, fcf_mean_YYYY).")
@paths_option(50_000, "Paths of every tornado/spider run.")
@seed_option(0, "Seed shared by every run (common random numbers).")
@block_size_option(32_768, "Paths per block (part of the result's identity).")
@set_option("Override a config value first (repeatable).")
@click.option("--inputs", metavar="KEY,KEY,...", help="Analyse only these uncertain inputs (dotted keys) [default: every input that varies].")
@click.option("--percentiles", default="5,10,25,50,75,90,95", show_default=True, help="Spider points: percentiles at which each input is held.")
@click.option("--tornado", "tornado_ends", default="10,90", show_default=True, metavar="LOW,HIGH", help="Percentiles of the tornado's ends.")
@click.option("--sobol", type=int, default=0, metavar="N", help="Also Sobol indices from a Saltelli design of base size N (a power of two; N (D+2) runs).")
@click.option("--sobol-paths", type=int, default=4_000, show_default=True, help="Paths of each Sobol run.")
@click.option("--bootstrap", type=int, default=1_000, show_default=True, help="Bootstrap resamples for the Sobol intervals.")
@click.option("--no-correlations", is_flag=True, help="Skip the per-path rank correlations.")
@threads_option("Runs in parallel [default: all cores]. Never changes results.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write sensitivity.json, CSV tables and PNG figures into DIR.")
@json_option("Write the JSON result to FILE, or stdout with '-'.")
@click.option("--no-figures", is_flag=True, help="With --out: tables only, no PNG figures.")
@click.option("--top", type=int, default=10, show_default=True, help="Inputs listed in the terminal summary.")
@quiet_option("No progress bar and no printed summary.")
def sensitivity(config, metric, paths, seed, block_size, overrides, inputs, percentiles, tornado_ends, sobol, sobol_paths,
                bootstrap, no_correlations, threads, out_dir, json_out, no_figures, top, quiet):
    """Which uncertain inputs drive METRIC for CONFIG (default pinterest_aws_2031).

    Tornado (each input held at P10 and P90), spider (each input across its
    percentiles), per-path rank correlations with min cash and the breach,
    and with --sobol N, Sobol first- and total-order indices. Every run uses
    the same seed and blocks, so differences are measured on common random
    numbers.

    \b
    Example:
      sim sensitivity pinterest_aws_2031 --metric p_cash_breach --paths 50000 --out sens/
      sim sensitivity my_deal.toml --metric min_cash_mean --sobol 64 --out sens/
    """
    from sim.analysis import sensitivity as ss
    check_run_options(paths, seed, threads, block_size, min_paths=2)
    if sobol < 0 or (sobol and (sobol < 2 or sobol & (sobol - 1))):
        raise InputError(f"--sobol: {sobol}: must be a power of two, at least 2 (e.g. 64, 128, 256)")
    if sobol_paths < 2:
        raise InputError("--sobol-paths: must be at least 2")
    if bootstrap < 0:
        raise InputError("--bootstrap: must be non-negative")
    if top < 1:
        raise InputError("--top: must be at least 1")
    pcts = _numbers("--percentiles", percentiles)
    low, high = _numbers("--tornado", tornado_ends, 2)
    if low >= high:
        raise InputError(f"--tornado: {tornado_ends}: LOW must be below HIGH")
    check_json_target(json_out)  # bad output targets fail before the analysis, not after it
    check_out_folder(out_dir)
    if out_dir:
        lock_out_folder(out_dir)

    scn = load_config(config, overrides)
    m = ss.resolve_metric(metric, scn, per_path=True)
    keys = [k.strip() for k in inputs.split(",") if k.strip()] if inputs else None
    chosen = ss.uncertain_inputs(scn, keys)
    bar = progress_bar(ss.planned_runs(scn, chosen, pcts, low, high, sobol), quiet, unit="run")
    try:
        result = ss.analyse(
            scn, m, paths, seed, block_size=block_size, inputs=keys, percentiles=pcts, low=low, high=high,
            correlations=not no_correlations, sobol=sobol, sobol_paths=sobol_paths, bootstrap=bootstrap,
            threads=threads, progress=bar.update if bar else None,
        )
    finally:
        if bar:
            bar.close()
    emit_json(json_out, result.to_json())
    written = []
    if out_dir:
        from sim.folders import folder_transaction

        with folder_transaction(out_dir) as stage:  # all of DIR or none of it; a run's files in DIR are kept
            written = result.save(stage, figures=not no_figures)
        written_outputs.append(out_dir)
    if not quiet and json_out != "-":
        click.echo(result.format(top=top))
        if written:
            click.echo("")
            click.echo(f"Wrote {', '.join(p.name for p in written)} to {out_dir}")
            if os.path.isfile(os.path.join(out_dir, "summary.json")):
                click.echo(f"{out_dir} holds a run: `sim report {out_dir}` adds this analysis to its report (section 9)")


# ---------------------------------------------------------------------------
# sim run --sensitivity: the tornado and rank correlations after the run, for the report
# ---------------------------------------------------------------------------

RUN_PATHS = 50_000  # default paths per sensitivity run of `sim run --sensitivity` (at most --paths)


def plan_for_run(scn, enabled: bool, metric: str | None, paths: int | None, out_dir, run_paths: int):
    """Check ``sim run``'s --sensitivity options before the run; None without --sensitivity.

    Returns ``(scenario, Measure, paths per run)``.  Bad input is an InputError (one line, exit 2).
    """
    from sim.analysis import sensitivity as ss
    from sim.model import ParameterError

    if not enabled:
        for option, value in (("--sensitivity-metric", metric), ("--sensitivity-paths", paths)):
            if value is not None:
                raise InputError(f"{option}: needs --sensitivity")
        return None
    if not out_dir:
        raise InputError("--sensitivity: needs --out DIR (its files and the report's section 9 are written there)")
    n = min(run_paths, RUN_PATHS) if paths is None else paths
    if n < 2:
        raise InputError(f"--sensitivity-paths: {n}: must be at least 2")
    try:
        m = ss.resolve_metric(metric or "p_cash_breach", scn, per_path=True)
    except ParameterError as e:  # the library's `metric` is this command's --sensitivity-metric
        raise InputError(f"--sensitivity-metric: {e.problem}") from None
    inputs = ss.uncertain_inputs(scn)
    if not inputs:
        raise InputError("--sensitivity: the scenario has no uncertain inputs (every (D) parameter is fixed): nothing to vary")
    return scn, m, n


def run_for_report(plan, seed: int, block_size: int, threads: int | None, quiet: bool):
    """The tornado (with its spider points) and the rank correlations, without Sobol, on the run's seed and blocks."""
    from sim.analysis import sensitivity as ss
    scn, m, n = plan
    bar = progress_bar(ss.planned_runs(scn, ss.uncertain_inputs(scn)), quiet, unit="run")
    try:
        return ss.analyse(scn, m, n, seed, block_size=block_size, correlations=True, sobol=0, threads=threads,
                          progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()


def summary_line(res) -> str:
    """One line for the terminal after the run's summary."""
    from sim.analysis.sensitivity import delta

    head = f"Sensitivity of {res.metric.label} ({res.paths:,} paths per run, {res.runs} runs)"
    if not res.sweeps:
        return head + ": no inputs"
    top = res.sweeps[0]
    return f"{head}: {top.input.key} matters most (swing {delta(res.metric, top.swing)}); report section 9"
