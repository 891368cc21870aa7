"""The ``sim`` command line: thin commands over the library.

Exit codes: 0 success, 2 bad input (one line on stderr, ``FILE: key: problem``),
1 any other failure (one short line), 130 interrupted.  Output files are
written through a temporary file and a rename, so an interrupted run leaves
none half-written.
"""

from __future__ import annotations

import os
import sys

import click

from sim import __version__
from sim.cli.sweep import executor_from_context, executor_option, scheduler_option

class InputError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class SimGroup(click.Group):
    """Maps errors to one line and an exit code, for the console script and CliRunner alike."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from sim.model import ConfigError

        try:
            rv = super().main(args=args, prog_name=prog_name or "sim", complete_var=complete_var, standalone_mode=False, **extra)
        except ConfigError as e:
            _fail(str(e), 2)
        except InputError as e:
            _fail(str(e), 2)
        except click.UsageError as e:
            if type(e).__name__.startswith("NoArgsIsHelp"):  # plain `sim`: show the help (click >= 8.2)
                click.echo(e.ctx.get_help() if e.ctx else e.format_message())
                sys.exit(0)
            cmd = e.ctx.command_path if e.ctx else "sim"
            _fail(f"{cmd}: {e.format_message()}", 2)
        except (KeyboardInterrupt, click.exceptions.Abort):
            _fail("interrupted; no output files were written", 130)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except OSError as e:
            _fail(f"{getattr(e, 'filename', None) or 'error'}: {e.strerror or e}", 1)
        except Exception as e:  # noqa: BLE001 - the last line of defence: no tracebacks
            if os.environ.get("SIM_DEBUG"):
                raise
            _fail(f"error: {type(e).__name__}: {e} (set SIM_DEBUG=1 for a traceback)", 1)
        if not standalone_mode:
            return rv
        sys.exit(0)


def _fail(message: str, code: int):
    click.echo(message, err=True)
    sys.exit(code)


@click.group(cls=SimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli():
    """Monte Carlo risk simulator for multi-year cloud-compute commitments.

    \b
    Examples:
      sim run                                   # the default scenario, 1M paths
      sim run pinterest_aws_2031_filings --paths 200000
      sim run my_deal.toml --set cloud.commitment.total=5B --json -
      sim validate my_deal.toml
      sim scenarios
    """


def _load(config, overrides):
    from sim.api import load

    return load(config or "pinterest_aws_2031", overrides)


@cli.command()
@click.argument("config", required=False)
@click.option("--paths", "-n", type=int, default=1_000_000, show_default=True, help="Monte Carlo paths.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value (repeatable): dotted key, TOML value.")
@click.option("--threads", "-t", type=int, default=None, help="Worker threads [default: all cores]. Never changes results.")
@executor_option
@scheduler_option
@click.option("--block-size", type=int, default=32_768, show_default=True, help="Paths per block (part of the result's identity, like the seed).")
@click.option("--quantiles", type=click.Choice(["auto", "exact", "sketch"]), default="auto", show_default=True, help="Exact quantiles keep every path; the sketch is within 0.4%.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the JSON summary to FILE, or stdout with '-'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write summary.json, the resolved config.toml, tables (CSV, Parquet) and the report into DIR.")
@click.option("--format", "report_formats", metavar="LIST", help="Report formats with --out: html, md, html,md (default) or none.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no printed summary.")
@click.option("--sampling", type=click.Choice(["random", "antithetic", "sobol", "lhs"]), default="random", show_default=True, help="Design of the per-path parameter draws (variance reduction).")
@click.option("--rare-event", is_flag=True, help="Importance sampling for rare breaches: pilot runs tilt the draws towards the floor; breach probabilities are reweighted.")
@click.option("--precision", metavar="HALF_WIDTH", help="Add blocks until the 95%% CI half-width reaches this: 0.002, or 5%% of the estimate.")
@click.option("--precision-metric", type=click.Choice(["p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall"]), default="p_cash_breach", show_default=True, help="The probability --precision applies to.")
@click.option("--max-paths", type=int, default=None, help="Cap for --precision [default: 100 x --paths].")
@click.option("--sensitivity", "sensitivity", is_flag=True, help="With --out: then run the tornado and rank correlations (same seed and blocks) into DIR; the report gets section 9.")
@click.option("--sensitivity-metric", metavar="METRIC", default=None, help="What --sensitivity explains [default: p_cash_breach]; any `sim sensitivity --metric` name.")
@click.option("--sensitivity-paths", type=int, default=None, help="Paths of each sensitivity run [default: --paths, at most 50,000].")
def run(config, paths, seed, overrides, threads, block_size, quantiles, json_out, out_dir, quiet, sampling, rare_event, precision, precision_metric, max_paths, report_formats=None,
        sensitivity=False, sensitivity_metric=None, sensitivity_paths=None):
    """Simulate CONFIG (a TOML file or shipped scenario name; default pinterest_aws_2031).

    \b
    Example:
      sim run pinterest_aws_2031 --paths 200000 --set cloud.commitment.total=5B --json -
    """
    from sim.api import run as run_scenario
    from sim.present.text import format_summary

    check_run_options(paths, seed, threads, block_size)
    if json_out and json_out != "-":
        _check_folder("--json", os.path.dirname(os.path.abspath(json_out)))
    if max_paths is not None and max_paths < 1:
        raise InputError("--max-paths: must be at least 1")
    if rare_event and sampling != "random":
        raise InputError("--rare-event: combines with --sampling random only")
    if precision is not None:
        from sim.engine.precision import parse_target

        try:
            precision = parse_target(precision, precision_metric)
        except ValueError as e:
            raise InputError(f"--precision: {e}") from None
    if report_formats is not None and not out_dir:
        raise InputError("--format: needs --out DIR (the report is written there)")
    from sim.cli.report import parse_format_option

    formats = parse_format_option(report_formats)
    scn = _load(config, overrides)
    from sim.cli.sensitivity import plan_for_run, run_for_report, summary_line

    sens_plan = plan_for_run(scn, sensitivity, sensitivity_metric, sensitivity_paths, out_dir, paths)
    sens = None
    pool = executor_from_context(threads)  # None: local threads
    bar = _progress_bar(paths if precision is None else (max_paths or 100 * paths), quiet)
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
        )
    finally:
        if bar:
            bar.close()
    emit_json(json_out, result.to_json())
    if out_dir:
        from sim.report.document import write_outputs

        if sens_plan is not None:
            sens = run_for_report(sens_plan, seed, block_size, threads, quiet)
        write_outputs(result, out_dir, formats, sensitivity=sens)
    if not quiet and json_out != "-":
        click.echo(format_summary(result.summary))
        if sens is not None:
            click.echo(summary_line(sens))


def check_run_options(paths, seed, threads, block_size, min_paths: int = 1) -> None:
    """The options every simulating command shares; None means "not given"."""
    if paths is not None and paths < min_paths:
        raise InputError(f"--paths: must be at least {min_paths}")
    if seed is not None and seed < 0:
        raise InputError("--seed: must be non-negative")
    if threads is not None and threads < 1:
        raise InputError("--threads: must be at least 1")
    if block_size is not None and block_size < 1:
        raise InputError("--block-size: must be at least 1")


def emit_json(json_out: str | None, text: str) -> None:
    """``--json FILE|-``: the JSON on stdout for '-', else into FILE atomically."""
    from sim.files import write_atomic

    if json_out == "-":
        click.echo(text)
    elif json_out:
        write_atomic(json_out, text + "\n")


def _check_folder(option: str, folder: str) -> None:
    """Fail before a long run, not after it, when an output folder cannot be written."""
    if not os.path.isdir(folder):
        raise InputError(f"{option}: {folder}: no such folder")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{option}: {folder}: not writable")


def _progress_bar(total: int, quiet: bool):
    """A tqdm bar on stderr for runs over ~2 s, only on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="path", unit_scale=True, delay=2.0, file=sys.stderr, leave=False, dynamic_ncols=True)


@cli.command()
@click.argument("config")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value (repeatable).")
def validate(config, overrides):
    """Check CONFIG and print the resolved parameters.

    \b
    Example:
      sim validate configs/pinterest_aws_2031.toml --set revenue.growth.mean=0.05
    """
    from sim.model import describe_scenario

    click.echo(describe_scenario(_load(config, overrides)))


@cli.command()
def scenarios():
    """List the shipped scenarios.

    \b
    Example:
      sim scenarios
    """
    from sim.model import shipped_scenarios

    rows = shipped_scenarios()
    width = max(len(name) for name, _, _ in rows)
    for name, description, _ in rows:
        click.echo(f"{name.ljust(width)}  {description}")


def main():  # console-script entry point
    cli.main(prog_name="sim")


if __name__ == "__main__":  # pragma: no cover
    main()


from sim.cli.report import report  # noqa: E402

cli.add_command(report)

from sim.cli.sweep import solve, sweep  # noqa: E402

cli.add_command(sweep)
cli.add_command(solve)

from sim.cli.sensitivity import sensitivity  # noqa: E402

cli.add_command(sensitivity)
