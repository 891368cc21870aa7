"""The ``sim`` command: one module per command group over the library."""

from sim.cli.main import cli, main

__all__ = ["cli", "main"]
