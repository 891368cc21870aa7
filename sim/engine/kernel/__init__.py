"""The Numba code: a scenario compiled to flat arrays, the block kernel, its random numbers.

Pure functions over arrays; nothing here reads files or knows about blocks on
threads (``sim.engine.simulate`` does that).
"""

from sim.engine.kernel.block import simulate_block
from sim.engine.kernel.compile import Layout, Model, build_theta, compile_model

__all__ = ["Layout", "Model", "build_theta", "compile_model", "simulate_block"]
