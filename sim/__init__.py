"""sim: Monte Carlo risk simulator for multi-year cloud-compute commitments."""

__version__ = "0.1.0"
