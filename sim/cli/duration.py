"""``--yes``: a run estimated to take more than a day starts only when confirmed."""

from __future__ import annotations

import click

from sim.cli.common import InputError

yes_option = click.option(
    "--yes", "yes", is_flag=True, help="Start even when the run is estimated to take more than a day on this machine."
)


def check_duration(scn, paths: int, threads: int | None, yes: bool, cells: int = 1) -> None:
    """Refuse (exit 2, estimate shown) ``cells`` runs of ``paths`` paths estimated beyond a day, unless ``yes``."""
    from sim.engine.budget import DAY_SECONDS, duration_text, estimate_seconds

    seconds = estimate_seconds(scn, paths * cells, threads)
    if seconds > DAY_SECONDS and not yes:
        what = f"{paths:,} paths" if cells == 1 else f"{cells:,} cells of {paths:,} paths"
        raise InputError(
            f"--paths: {what} would take about {duration_text(seconds)} on this machine (estimate); "
            "give --yes to start anyway, or fewer paths"
        )
