"""Inline PCG64 + ziggurat normals (sim.engine.kernel.normals) against NumPy's own Generator."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import streams
from sim.engine.kernel.normals import stream_state, standard_normals


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 7])
def test_same_numbers_as_numpy(seed):
    n = 1_000_000  # about 1% of draws leave the rectangles: the wedges and the tail are exercised
    rng = np.random.default_rng(seed)
    state = stream_state(rng)
    mine = standard_normals(state, n)
    expected = rng.standard_normal(n)
    np.testing.assert_array_equal(mine, expected)
    assert (np.abs(expected) > 3.6541528853610088).sum() > 100  # tail draws were compared too
    # the state advanced exactly as NumPy's: the next draws agree as well
    np.testing.assert_array_equal(standard_normals(state, 1_000), rng.standard_normal(1_000))


def test_block_streams_and_state_is_a_copy():
    rng = streams.stream(3, 7, streams.REVENUE)
    before = rng.bit_generator.state
    state = stream_state(rng)
    standard_normals(state, 10)
    assert rng.bit_generator.state == before
    np.testing.assert_array_equal(standard_normals(stream_state(streams.stream(3, 7, streams.REVENUE)), 500), streams.stream(3, 7, streams.REVENUE).standard_normal(500))


def test_other_bit_generators_are_refused():
    with pytest.raises(TypeError, match="PCG64"):
        stream_state(np.random.Generator(np.random.SFC64(0)))
