"""``sim run``: simulate one scenario; print, save or report the summary."""

from __future__ import annotations

import click

from sim.cli.common import (
    InputError,
    announce_compile,
    block_size_option,
    check_json_target,
    check_out_folder,
    check_run_options,
    check_warnings,
    emit_json,
    executor_from_context,
    executor_option,
    json_option,
    load_config,
    lock_out_folder,
    paths_option,
    progress_bar,
    quantiles_option,
    quiet_option,
    scheduler_option,
    seed_option,
    set_option,
    strict_option,
    threads_option,
    written_outputs,
)
from sim.cli.duration import check_duration, yes_option
from sim.cli.report import parse_format_option
from sim.cli.sensitivity import plan_for_run, run_for_report, summary_line

PRECISION_METRICS = ("p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall")


@click.command()
@click.argument("config", required=False)
@paths_option(1_000_000, "Monte Carlo paths.")
@seed_option(0, "Random seed.")
@set_option("Override a config value (repeatable): dotted key, TOML value.")
@threads_option("Worker threads [default: all cores]. Never changes results.")
@executor_option
@scheduler_option
@block_size_option(32_768, "Paths per block (part of the result's identity, like the seed).")
@quantiles_option("auto", "Exact quantiles keep every path; the sketch is within 0.4%.")
@json_option("Write the JSON summary to FILE, or stdout with '-'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write summary.json, the resolved config.toml, tables (CSV, Parquet) and the report into DIR.")
@click.option("--format", "report_formats", metavar="LIST", help="Report formats with --out: html, md, xlsx, comma-separated (default: html,md,xlsx) or none.")
@quiet_option("No progress bar and no printed summary.")
@click.option("--sampling", type=click.Choice(["random", "antithetic", "sobol", "lhs"]), default="random", show_default=True, help="Design of the per-path parameter draws (variance reduction).")
@click.option("--rare-event", is_flag=True, help="Importance sampling for rare breaches: pilot runs tilt the draws towards the floor; breach probabilities are reweighted.")
@click.option("--precision", metavar="HALF_WIDTH", help="Add blocks until the 95% CI half-width reaches this: 0.002, or 5% of the estimate.")
@click.option("--precision-metric", type=click.Choice(PRECISION_METRICS), default="p_cash_breach", show_default=True, help="The probability --precision applies to.")
@click.option("--max-paths", type=int, default=None, help="Cap for --precision [default: 100 x --paths].")
@click.option("--sensitivity", "sensitivity", is_flag=True, help="With --out: then run the tornado and rank correlations (same seed and blocks) into DIR; the report gets section 9.")
@click.option("--sensitivity-metric", metavar="METRIC", default=None, help="What --sensitivity explains [default: p_cash_breach]; any `sim sensitivity --metric` name.")
@click.option("--sensitivity-paths", type=int, default=None, help="Paths of each sensitivity run [default: --paths, at most 50,000].")
@click.option("--deal-impact", "deal_impact", is_flag=True, help="Also run every path without the deal (every commitment removed, same draws): the breach risk signing adds and the net savings (docs/DEAL_IMPACT.md).")
@strict_option()
@yes_option
def run(config, paths, seed, overrides, threads, block_size, quantiles, json_out, out_dir, quiet, sampling, rare_event, precision, precision_metric, max_paths, report_formats=None,
        sensitivity=False, sensitivity_metric=None, sensitivity_paths=None, strict=False, deal_impact=False, yes=False):
    """Simulate CONFIG (a TOML file or shipped scenario name; default pinterest_aws_2031).

    \b
    Example:
      sim run pinterest_aws_2031 --paths 200000 --set cloud.commitment.total=5B --json -
    """
    # Imported here, not at the top: `sim --help` must not load numpy and numba.
    from sim.api import run as run_scenario
    from sim.present.text import format_summary

    check_run_options(paths, seed, threads, block_size)
    check_json_target(json_out)  # bad output targets fail before the run, not after it
    check_out_folder(out_dir)
    if max_paths is not None and max_paths < 1:
        raise InputError("--max-paths: must be at least 1")
    if max_paths is not None and paths is not None and max_paths < paths:
        raise InputError(f"--max-paths: {max_paths:,} is below --paths {paths:,} (the cap must allow the first run)")
    if rare_event and sampling != "random":
        raise InputError("--rare-event: combines with --sampling random only")
    if deal_impact and rare_event:
        raise InputError("--deal-impact: does not combine with --rare-event")
    if precision is not None:
        from sim.engine.precision import parse_precision_goal

        precision = parse_precision_goal(precision, precision_metric)  # ParameterError: the group prints --precision: ...
    if report_formats is not None and not out_dir:
        raise InputError("--format: needs --out DIR (the report is written there)")
    formats = parse_format_option(report_formats)
    scn = load_config(config, overrides)
    if deal_impact:
        from sim.engine.paired import check_deal

        check_deal(scn)  # ParameterError: the group prints --deal-impact: ..., exit 2
    check_warnings(scn, strict)  # `sim validate`'s warnings, one line each on stderr
    check_duration(scn, paths if precision is None else (max_paths or 100 * paths), threads, yes)
    sens_plan = plan_for_run(scn, sensitivity, sensitivity_metric, sensitivity_paths, out_dir, paths)
    sens = None
    if out_dir:
        lock_out_folder(out_dir)  # held to the end: a second run into DIR fails now, naming this one
    pool = executor_from_context(threads)  # None: local threads
    cold = announce_compile(quiet)  # said before the silence of compiling
    bar = progress_bar(paths if precision is None else (max_paths or 100 * paths), quiet)
    try:
        result = run_scenario(
            scn,
            paths,
            seed,
            threads=threads,
            block_size=block_size,
            quantiles=quantiles,
            record_steps=out_dir is not None,  # per-step cash feeds the saved tables and fan charts
            progress=bar.update if bar else None,
            executor=pool,
            sampling=sampling,
            rare_event=rare_event,
            precision=precision,
            max_paths=max_paths,
            deal_impact=deal_impact,
        )
    finally:
        if bar:
            bar.close()
    emit_json(json_out, result.to_json())
    if out_dir:
        from sim.report import write_outputs

        if sens_plan is not None:
            sens = run_for_report(sens_plan, seed, block_size, threads, quiet)
        written = write_outputs(result, out_dir, formats, sensitivity=sens)  # one transaction: all of DIR or none
        written_outputs.append(out_dir)
        if not quiet:  # on stderr: stdout may carry the JSON (--json -)
            reports = [f"{out_dir.rstrip('/')}/{p.name}" for p in written if p.name.startswith("report.")]
            click.echo(f"report: {', '.join(reports)}" if reports else f"results: {out_dir}", err=True)
    if not quiet and json_out != "-":
        click.echo(format_summary(result.summary, compiled=cold))
        if sens is not None:
            click.echo(summary_line(sens))
