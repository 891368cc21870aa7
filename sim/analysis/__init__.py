"""Analyses of many runs: sweeps, solve and sensitivity (each asks the engine for its runs)."""

__all__: list[str] = []
