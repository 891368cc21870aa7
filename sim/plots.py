"""The figures of a run, ``(result, ax=None) -> (fig, ax)``: the public face of ``sim.present.plots``."""

from sim.present.plots import *  # noqa: F403
from sim.present.plots import __all__  # noqa: F401
