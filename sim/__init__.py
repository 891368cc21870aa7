"""sim: Monte Carlo risk simulator for multi-year cloud-compute commitments.

The public API::

    import sim
    scn = sim.load("pinterest_aws_2031", overrides=["cloud.commitment.total=5B"])
    result = sim.run(scn, paths=200_000, seed=0)
    result.summary["p_cash_breach"]     # {estimate, ci95, se, count}
    result.by_year()                    # pandas DataFrame
    sim.compare({"base": result, ...})  # headline numbers side by side
    sim.paths(scn, n=10, seed=0)        # a handful of paths, every output and drawn parameter
"""

__version__ = "0.1.0"

__all__ = ["ConfigError", "Result", "Scenario", "compare", "load", "paths", "run", "__version__"]

_LAZY = {"load": "sim.api", "run": "sim.api", "paths": "sim.api", "compare": "sim.api", "ConfigError": "sim.model", "Scenario": "sim.model", "Result": "sim.engine.results"}


def __getattr__(name):
    # Lazy, so that `sim --help` and config checks start without compiling kernels.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
