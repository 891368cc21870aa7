"""Dask executor (sim.engine.dask_executor) on a real LocalCluster of 2 worker processes.

Same numbers as the local thread pool for single runs and sweeps, an
interrupted sweep resumed on the cluster recomputes nothing finished, a
worker killed mid-sweep still gives a complete, correct sweep, and an
unreachable scheduler is one line with exit code 2.
"""

from __future__ import annotations

import json
import os
import signal

import pandas as pd
import pytest

pytest.importorskip("distributed")

import sim  # noqa: E402
from helpers import invoke, stable
from sim.engine.dask_executor import ClusterError, DaskExecutor, NumbaSetup  # noqa: E402
from sim.analysis.sweep import CELLS_DIR, MANIFEST_FILE, build_design, grid_axis, run_sweep  # noqa: E402

SWEEP = dict(paths=6000, block_size=1000, seed=2)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50, env={"NUMBA_NUM_THREADS": "1"}) as c:
        yield c


@pytest.fixture(scope="module")
def executor(cluster):
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        pool = DaskExecutor(client=client)
        pool.client.register_plugin(NumbaSetup(node_cache=False), name="sim-numba-setup")
        yield pool




def grid():
    return build_design([grid_axis("cloud.commitment.total=3B,4B,5B"), grid_axis("revenue.ai_uplift.probability=0.3,0.8")])


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    return run_sweep("pinterest_aws_2031", grid(), tmp_path_factory.mktemp("local"), plots=False, **SWEEP).table


# --------------------------------------------------------------------------


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_single_run_is_bit_identical(executor, quantiles):
    kw = dict(paths=20_000, seed=5, block_size=2048, quantiles=quantiles)
    local = sim.run("pinterest_aws_2031", threads=2, **kw)  # first: compiles into the cache the workers share
    on_dask = sim.run("pinterest_aws_2031", executor=executor, **kw)
    assert stable(on_dask.summary) == stable(local.summary)
    assert on_dask.summary["threads"] == 2  # the cluster's worker threads


def test_workers_run_one_numba_thread(executor):
    assert set(executor.client.run(lambda: os.environ.get("NUMBA_NUM_THREADS")).values()) == {"1"}
    assert executor.parallelism == 2


def test_sweep_is_bit_identical(executor, local_sweep, tmp_path):
    out = run_sweep("pinterest_aws_2031", grid(), tmp_path, executor=executor, plots=False, **SWEEP)
    assert out.computed == 6
    pd.testing.assert_frame_equal(out.table, local_sweep)


def test_interrupted_sweep_on_the_cluster_resumes(executor, local_sweep, tmp_path):
    fresh = []

    def stop(cell, summary, computed):
        if computed:
            fresh.append(cell.key)
            if len(fresh) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep("pinterest_aws_2031", grid(), tmp_path, executor=executor, on_cell=stop, plots=False, **SWEEP)
    saved = {p.stem for p in (tmp_path / CELLS_DIR).glob("*.json")}
    assert len(saved) >= 2 and json.loads((tmp_path / MANIFEST_FILE).read_text())["status"] == "interrupted"
    again = []
    out = run_sweep("pinterest_aws_2031", grid(), tmp_path, executor=executor, on_cell=lambda c, s, computed: again.append((c.key, computed)), plots=False, **SWEEP)
    assert out.reused == len(saved) and out.computed == 6 - len(saved)
    assert not {k for k, computed in again if computed} & saved
    pd.testing.assert_frame_equal(out.table, local_sweep)


def test_worker_killed_mid_sweep(executor, local_sweep, tmp_path):
    killed = []

    def kill_a_worker(cell, summary, computed):
        if computed and not killed:  # other cells' tasks are in flight now
            pids = executor.client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    out = run_sweep("pinterest_aws_2031", grid(), tmp_path, executor=executor, on_cell=kill_a_worker, plots=False, **SWEEP)
    assert killed and out.computed == 6
    pd.testing.assert_frame_equal(out.table, local_sweep)
    executor.client.wait_for_workers(2, timeout=60)  # the nanny restarts it; later tests get both


def test_cli_joins_a_running_scheduler(cluster, local_sweep, tmp_path):
    address = cluster.scheduler_address
    res = invoke("run", "--paths", "20000", "--seed", "4", "--block-size", "4096", "--scheduler", address, "--json", "-", "-q")
    assert res.exit_code == 0, res.stderr
    local = sim.run("pinterest_aws_2031", paths=20_000, seed=4, block_size=4096, record_steps=False)
    assert stable(json.loads(res.stdout)) == stable(json.loads(local.to_json()))
    res = invoke(
        "sweep", "--grid", "cloud.commitment.total=3B,4B,5B", "--grid", "revenue.ai_uplift.probability=0.3,0.8",
        "--paths", SWEEP["paths"], "--block-size", SWEEP["block_size"], "--seed", SWEEP["seed"],
        "--executor", "dask", "--scheduler", address, "--out", tmp_path, "--no-plots", "-q",
    )
    assert res.exit_code == 0, res.stderr
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "sweep.csv"), _via_csv(local_sweep, tmp_path))


def _via_csv(table, tmp_path):
    path = tmp_path / "local.csv"
    table.to_csv(path, index=False)
    return pd.read_csv(path)


def test_unreachable_scheduler(monkeypatch):
    import sim.engine.dask_executor

    with pytest.raises(ClusterError, match="cannot connect to the scheduler at tcp://127.0.0.1:9"):
        DaskExecutor(scheduler="tcp://127.0.0.1:9", timeout=1)
    monkeypatch.setattr(sim.engine.dask_executor, "CONNECT_TIMEOUT", 1.0)
    for command in (["run", "--paths", "100"], ["sweep", "--grid", "cloud.commitment.total=3B", "--out", "never"], ["solve", "--vary", "cloud.commitment.total", "--between", "1B:2B", "--target", "p_cash_breach<=0.1"]):
        res = invoke(*command, "--scheduler", "tcp://127.0.0.1:9")
        assert res.exit_code == 2, (command, res.stderr)
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("--scheduler: cannot connect to the scheduler at tcp://127.0.0.1:9"), res.stderr
    assert not os.path.exists("never")


def test_numba_cache_goes_to_node_local_disk(tmp_path, monkeypatch):
    import numba

    class Worker:
        local_directory = str(tmp_path / "dask-scratch-space" / "worker-abc")

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    NumbaSetup().setup(Worker())
    expected = str(tmp_path / "dask-scratch-space" / "sim-numba-cache")
    assert os.environ["NUMBA_CACHE_DIR"] == expected and numba.config.CACHE_DIR == expected
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    NumbaSetup().setup(Worker())
    assert os.environ["NUMBA_CACHE_DIR"] == "/somewhere/else"  # a configured cache is kept


def test_pack_round_trip_is_exact():
    import numpy as np

    from sim.engine.dask_executor import pack, unpack

    rng = np.random.default_rng(0)
    sparse = np.zeros((7, 20_000), dtype=np.int64)
    sparse[rng.integers(0, 7, 500), rng.integers(0, 20_000, 500)] = rng.integers(1, 1000, 500)
    dense = rng.integers(1, 5, (300, 300))
    obj = ([(0, sparse, None)], {"f": rng.random(100_000), "d": dense, "t": sparse.T})
    back = unpack(pack(obj))
    assert np.array_equal(back[0][0][1], sparse) and back[0][0][1].dtype == sparse.dtype
    assert np.array_equal(back[1]["d"], dense) and np.array_equal(back[1]["f"], obj[1]["f"]) and np.array_equal(back[1]["t"], sparse.T)
    assert len(pack(sparse)) < sparse.nbytes / 10
