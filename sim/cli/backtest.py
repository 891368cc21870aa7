"""``sim backtest``: run configs with ``[[actuals]]`` and score the model against what happened."""

from __future__ import annotations

import click

from sim.cli.common import (
    InputError,
    check_json_target,
    check_out_folder,
    check_run_options,
    emit_json,
    json_option,
    load_config,
    paths_option,
    quiet_option,
    seed_option,
    threads_option,
    written_outputs,
)


@click.command()
@click.argument("configs", nargs=-1, required=True, metavar="CONFIG...")
@paths_option(200_000, "Monte Carlo paths of each run.")
@seed_option(0, "Random seed of each run.")
@threads_option("Worker threads [default: all cores]. Never changes results.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write backtest.html (summary, PIT histogram, fan charts with the actuals) into DIR.")
@json_option("Write the scores and the calibration summary as JSON to FILE, or stdout with '-'.")
@quiet_option("No printed table (with --json or --out).")
def backtest(configs, paths, seed, threads, out_dir, json_out, quiet):
    """Score each CONFIG's forecast against its [[actuals]]: PIT, 50%/90% bands, Brier.

    CONFIG is a TOML file or shipped scenario name with [[actuals]]. PIT is the
    share of simulated paths below the realised value (ties count half), from
    exact counts over every path. See docs/BACKTEST.md.

    \b
    Example:
      sim backtest snap_2017_cloud pinterest_2017_aws lyft_2019_aws --paths 200000
    """
    import json

    from sim.analysis.backtest import run_backtest
    from sim.engine.results import jsonable
    from sim.present.backtest import format_backtest

    check_run_options(paths, seed, threads, None)
    check_json_target(json_out)
    check_out_folder(out_dir, swap=False)
    scenarios = []
    for config in configs:
        scn = load_config(config, ())
        if not scn.actuals:
            raise InputError(f"{config}: no [[actuals]] to score (add realised values or events; see docs/BACKTEST.md)")
        scenarios.append(scn)
    runs, cal = run_backtest(scenarios, paths, seed, threads=threads)
    pairs = [(r.config, r.result.summary) for r in runs]
    text = format_backtest(pairs, cal, paths, seed)
    if out_dir:
        from sim.report.backtest import write_backtest

        written_outputs.append(str(write_backtest(out_dir, pairs, cal, paths, seed, text)))
    if json_out:
        doc = {
            "paths": paths,
            "seed": seed,
            "configs": [{"config": name, "config_hash": s["config_hash"], "backtest": s["backtest"]} for name, s in pairs],
            "calibration": cal,
        }
        emit_json(json_out, json.dumps(doc, indent=2, allow_nan=False, default=jsonable))
    if not quiet and json_out != "-":
        click.echo(text)
