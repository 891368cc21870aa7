"""``sim report DIR``: rebuild the risk report from saved results, without rerunning.

Registered on the ``sim`` group by ``sim.cli.main``.  Errors follow the group's
rules: bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from sim.cli.common import InputError

FORMAT_HELP = "Report formats, comma-separated: html, md, xlsx (the Excel workbook), e.g. html,md; none for no report."


def parse_format_option(value: str | None) -> tuple[str, ...]:
    """``--format`` text -> formats, or the group's one-line InputError."""
    from sim.report import parse_formats

    try:
        return parse_formats(value)
    except ValueError as e:
        raise InputError(f"--format: {e}") from None


@click.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--format", "formats", default="html,md,xlsx", show_default=True, metavar="LIST", help=FORMAT_HELP)
def report(folder, formats):
    """Rebuild the report in DIR from its summary.json and config.toml.

    DIR is a folder written by `sim run --out DIR`; nothing is rerun, and the
    report is the same as the one the run wrote.  When DIR holds a
    sensitivity.json (`sim run --sensitivity`, or `sim sensitivity --out DIR`),
    the report has a section 9, Sensitivity.

    \b
    Example:
      sim run pinterest_aws_2031 --paths 200000 --out results/deal
      sim report results/deal --format html
      sim report results/deal --format xlsx    # report.xlsx, the Excel workbook
    """
    from sim.model import ConfigError
    from sim.report import load_sensitivity, write_report
    from sim.engine.results import CONFIG_FILE, SUMMARY_FILE, Result

    chosen = parse_format_option(formats)
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{folder}: no such folder")
    if not (path / SUMMARY_FILE).is_file():
        raise InputError(f"{path / SUMMARY_FILE}: not found (write it with: sim run ... --out {folder})")
    try:
        result = Result.load(path)
    except json.JSONDecodeError as e:
        raise InputError(f"{path / SUMMARY_FILE}: not valid JSON: {e.msg} (line {e.lineno})") from None
    except ConfigError:
        raise
    missing = [k for k in ("years", "p_cash_breach", "by_year", "central_case", "min_cash_histogram") if k not in result.summary]
    if missing:
        raise InputError(f"{path / SUMMARY_FILE}: not a sim summary, or from an older sim (missing {', '.join(missing)})")
    try:
        load_sensitivity(path)  # section 9 when DIR holds sensitivity.json: check it before writing anything
    except ValueError as e:
        raise InputError(str(e)) from None
    if not chosen:
        return
    from sim.cli.common import lock_out_folder
    from sim.folders import folder_transaction

    lock_out_folder(folder, option=None)  # not while a run writes DIR
    with folder_transaction(path) as stage:  # the report files whole, or DIR as it was
        written = [path / p.relative_to(stage) for p in write_report(result, stage, chosen)]
    for p in written:
        if p.suffix in (".html", ".md", ".xlsx"):
            click.echo(str(p))
    if result.scenario is None:
        click.echo(f"note: {path / CONFIG_FILE} not found, so the report lists no inputs", err=True)
