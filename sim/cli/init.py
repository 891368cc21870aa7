"""``sim init``: print a commented starting config from a few base-year figures."""

from __future__ import annotations

import datetime

import click

from sim.cli.common import InputError


def _money(option: str):
    """A click callback: money as written in a config ("1.2B", "450M", 1200) into USD millions."""

    def parse(ctx, param, value):
        if value is None:
            return None
        from sim.model import parse_money

        try:
            return parse_money(value)
        except ValueError as e:
            raise InputError(f"{option}: {e}") from None

    return parse


def _money_option(name: str, help: str, default: str | None = None):
    return click.option(name, metavar="MONEY", default=default, required=default is None, callback=_money(name),
                        show_default=default is not None, help=help)


@click.command()
@click.option("--name", default="my_company", show_default=True, help="Scenario name.")
@_money_option("--revenue", "Base-year revenue: 1.2B, 450M or USD millions.")
@_money_option("--operating-costs", "Base-year operating costs, the cloud bill included.")
@_money_option("--cash", "Opening cash.")
@_money_option("--cloud-spend", "Base-year cloud bill.")
@_money_option("--commitment", "Total cloud commitment over --years (0: none).", default="0")
@click.option("--years", type=int, default=3, show_default=True, help="Commitment term and horizon, years.")
@click.option("--start", type=int, default=None, help="First fiscal year simulated [default: this year].")
@click.option("--growth", default="5%", show_default=True, help="Mean annual revenue growth (log): 0.05 or 5%.")
def init(name, revenue, operating_costs, cash, cloud_spend, commitment, years, start, growth):
    """Print a commented starting config (every key explained) to stdout.

    The figures given are the base year; the assumptions around them (growth,
    volatility, tax, discount, cost drivers) get a spread you then adjust.

    \b
    Example:
      sim init --name acme --revenue 1.2B --operating-costs 1.1B --cash 400M \\
               --cloud-spend 150M --commitment 600M --years 3 > acme.toml
      sim validate acme.toml
    """
    from sim.model import parse_number
    from sim.model.scaffold import scaffold_config

    try:
        growth = parse_number(growth)
    except ValueError as e:
        raise InputError(f"--growth: {e}") from None
    start = datetime.date.today().year if start is None else start
    # ParameterError (revenue, cloud_spend, years...): the group prints it as --option: problem
    click.echo(scaffold_config(name, revenue, operating_costs, cash, cloud_spend, commitment, years, start, growth), nl=False)
