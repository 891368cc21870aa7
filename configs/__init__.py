"""Shipped scenarios (TOML), installed as the package ``sim.configs``."""
