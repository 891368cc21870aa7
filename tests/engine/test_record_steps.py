"""Recording per-step cash changes no number the runs share (sim.engine.kernel.block).

With per-step cash recorded the kernel also writes each step's cash and sums
the bill decomposition; every output both runs have is summed path by path in
path order or counted in integers, so the two runs agree exactly, field by
field. Blocks are not a multiple of the kernel's chunk of paths (``CHUNK``)
and the last block is a single path.
"""

from __future__ import annotations

import pytest
from helpers import EXAMPLE, RUNTIME_FIELDS

import sim
from sim.engine.kernel.block import CHUNK

KW = {"paths": 3_001, "seed": 9, "block_size": 1_000, "threads": 1}


def shared(a: dict, b: dict) -> tuple[dict, dict]:
    keys = (a.keys() & b.keys()) - RUNTIME_FIELDS
    return {k: a[k] for k in keys}, {k: b[k] for k in keys}


def test_blocks_end_in_a_partial_chunk():
    assert KW["block_size"] % CHUNK and KW["paths"] % KW["block_size"] == 1


@pytest.mark.parametrize("config", ["pinterest_aws_2031", EXAMPLE])
@pytest.mark.parametrize("method", [{}, {"sampling": "antithetic"}])
@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_recording_steps_changes_no_shared_number(config, method, quantiles):
    scn = sim.load(config)
    plain = sim.run(scn, record_steps=False, quantiles=quantiles, **method, **KW).summary
    recorded = sim.run(scn, record_steps=True, quantiles=quantiles, **method, **KW).summary
    a, b = shared(plain, recorded)
    assert len(a) > 20 and "p_cash_breach" in a and "by_year" in a
    assert a == b
