"""``sim validate`` (check a scenario, print its resolved parameters) and ``sim scenarios``."""

from __future__ import annotations

import click

from sim.cli.common import load_config, set_option


@click.command()
@click.argument("config")
@set_option()
def validate(config, overrides):
    """Check CONFIG and print the resolved parameters.

    \b
    Example:
      sim validate configs/pinterest_aws_2031.toml --set revenue.growth.mean=0.05
    """
    from sim.model import describe_scenario

    click.echo(describe_scenario(load_config(config, overrides)))


@click.command()
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
