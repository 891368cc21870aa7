"""The model v2 example (configs/multi_cloud_example.toml) gives the same summary whatever runs it.

MODEL.md section 8: results depend on (config, seed, paths, block size) only -- never on
the thread count, the worker count or the backend.  The example uses every v2
mechanism (several commitments, a dated contract start, rollover, "both", steering,
a recovering shock, uncertain revenue and spend, a non-cash programme, debt issued
mid-horizon, dated cash events, working capital), so each mechanism's per-path state
and its merged per-commitment summary are checked for bit-identity: 1 vs 2 threads,
and the thread pool vs a Dask LocalCluster of 2 worker processes.
"""

from __future__ import annotations

import pytest
from helpers import EXAMPLE, stable

import sim

KW = {"paths": 12_000, "seed": 5, "block_size": 1_024}


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_threads_bit_identical(quantiles):
    one, two = (sim.run(EXAMPLE, threads=t, quantiles=quantiles, **KW).summary for t in (1, 2))
    assert two["threads"] == 2
    assert len(one["commitments"]) >= 2  # the per-contract summary is part of what is compared
    assert stable(one) == stable(two)


@pytest.mark.slow
def test_dask_bit_identical():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from sim.engine.dask_executor import DaskExecutor, NumbaSetup

    local = sim.run(EXAMPLE, threads=2, **KW)  # first: compiles into the cache the workers share
    env = {"NUMBA_NUM_THREADS": "1"}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50, env=env)
    with cluster, Client(cluster, set_as_default=False) as client:
        pool = DaskExecutor(client=client)
        pool.client.register_plugin(NumbaSetup(node_cache=False), name="sim-numba-setup")
        on_dask = sim.run(EXAMPLE, executor=pool, **KW)
    assert stable(on_dask.summary) == stable(local.summary)
