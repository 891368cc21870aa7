"""Random streams: which generator draws what, so results depend only on
(config, seed, paths, block size).

Every block ``b`` of paths owns independent ``numpy.random.Generator`` streams
derived from ``SeedSequence(seed, spawn_key=(b, purpose, ...))`` -- the same
streams ``SeedSequence(seed).spawn(...)[b].spawn(...)`` would give.  One stream
per purpose keeps random numbers common across configs that differ elsewhere
(common random numbers for sweeps): switching a fine on does not move the
revenue normals.  The full protocol is in ``docs/DRAWS.md``.
"""

from __future__ import annotations

import zlib

import numpy as np

PARAMS = 0
REVENUE = 1
GROWTH = 2
PRICE = 3
EVENTS = 4
DESIGN = 5  # parameter designs (antithetic, Sobol, LHS): one stream for all parameters


def stream(seed: int, block: int, purpose: int, *extra: int) -> np.random.Generator:
    """The generator for one purpose of one block.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    block : int
        Block index, 0-based.
    purpose : int
        One of ``PARAMS``, ``REVENUE``, ``GROWTH``, ``PRICE``, ``EVENTS``.
    *extra : int
        Further spawn-key entries (``PARAMS`` uses the key's CRC-32).
    """
    seq = np.random.SeedSequence(seed, spawn_key=(block, purpose, *extra))
    return np.random.Generator(np.random.PCG64(seq))


def param_stream(seed: int, block: int, key: str) -> np.random.Generator:
    """The generator for one per-path parameter, named by its dotted key."""
    return stream(seed, block, PARAMS, zlib.crc32(key.encode("utf-8")))
