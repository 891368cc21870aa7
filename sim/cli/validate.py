"""``sim validate`` (check a scenario, print its resolved parameters) and ``sim scenarios``."""

from __future__ import annotations

import click

from sim.cli.common import (
    InputError,
    check_warnings,
    load_config,
    set_option,
    strict_option,
)


@click.command()
@click.argument("config")
@set_option()
@strict_option()
def validate(config, overrides, strict=False):
    """Check CONFIG and print the resolved parameters.

    \b
    Example:
      sim validate configs/pinterest_aws_2031.toml --set revenue.growth.mean=0.05
    """
    from sim.model import describe_scenario

    scn = load_config(config, overrides)
    click.echo(describe_scenario(scn))  # its last lines list the warnings
    check_warnings(scn, strict, echo=False)


@click.command()
@click.option("--show", metavar="NAME", help="Print this shipped scenario's file (its path first, as a comment).")
def scenarios(show=None):
    """List the shipped scenarios, or print one with --show.

    \b
    Example:
      sim scenarios
      sim scenarios --show pinterest_aws_2031 > my_deal.toml
    """
    from sim.model import shipped_scenarios

    rows = shipped_scenarios()
    if show is not None:
        paths = {name: path for name, _, path in rows}
        stem = show.removesuffix(".toml")
        if stem not in paths:
            raise InputError(f"--show: {show}: no such shipped scenario (shipped: {', '.join(paths)})")
        click.echo(f"# {paths[stem]}")
        click.echo(paths[stem].read_text(encoding="utf-8"), nl=False)
        return
    width = max(len(name) for name, _, _ in rows)
    for name, description, _ in rows:
        click.echo(f"{name.ljust(width)}  {description}")
