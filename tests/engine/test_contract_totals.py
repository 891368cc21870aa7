"""Each contract's total shortfall over the horizon (``commitments[name]["shortfall_total"]``).

Exact mode: the quantiles are numpy's "linear" quantiles of every path's
total (from ``simulate_paths``); sketch mode: within the sketch's accuracy of
them.  A v1 deal lists its one contract too, with the summary's totals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine.aggregate import QUANTILES
from sim.engine.kernel.sketch import ABSOLUTE_ACCURACY, RELATIVE_ACCURACY
from sim.engine.simulate import simulate_paths
from sim.model import load_scenario

ROOT = Path(__file__).resolve().parents[2]
N, SEED, BLOCK = 3000, 9, 1024


@pytest.fixture(scope="module")
def scn():
    return load_scenario(ROOT / "configs" / "multi_cloud_example.toml")


def test_exact_quantiles_of_each_path_total(scn):
    s = sim.run(scn, paths=N, seed=SEED, block_size=BLOCK, quantiles="exact", threads=1).summary
    paths = simulate_paths(scn, SEED, N, BLOCK)
    totals = paths["shortfall_by_commitment"].sum(axis=2)  # (n, J)
    for j, c in enumerate(scn.cloud.commitments):
        got = s["commitments"][c.name]["shortfall_total"]
        want = np.quantile(totals[:, j], QUANTILES)
        np.testing.assert_allclose([got["quantiles"][repr(q)] for q in QUANTILES], want, rtol=1e-12, atol=1e-9)
        assert got["mean"] == pytest.approx(totals[:, j].mean(), rel=1e-12)
        assert (totals[:, j] > 0).mean() == s["commitments"][c.name]["p_shortfall"]


def test_sketch_quantiles_within_the_sketch_accuracy(scn):
    exact = sim.run(scn, paths=N, seed=SEED, block_size=BLOCK, quantiles="exact", threads=1).summary
    sketch = sim.run(scn, paths=N, seed=SEED, block_size=BLOCK, quantiles="sketch", threads=1).summary
    assert sketch["quantile_method"] == "sketch"
    for name, c in exact["commitments"].items():
        e, k = c["shortfall_total"], sketch["commitments"][name]["shortfall_total"]
        assert k["mean"] == e["mean"]  # sums are exact in both modes
        for q in e["quantiles"]:
            a, b = e["quantiles"][q], k["quantiles"][q]
            assert b >= 0.0
            assert abs(a - b) <= 2 * RELATIVE_ACCURACY * abs(a) + ABSOLUTE_ACCURACY, (name, q, a, b)


def test_a_v1_deal_lists_its_contract():
    s = sim.run("pinterest_aws_2031", paths=2000, seed=3, threads=1).summary
    (c,) = s["commitments"].values()
    assert c["v1_deal"] is True
    assert c["expected_shortfall_total"] == pytest.approx(s["expected_shortfall_total"], rel=1e-12)
    assert c["p_shortfall"] == s["p_commitment_shortfall"]
    assert c["shortfall_total"]["mean"] == pytest.approx(s["expected_shortfall_total"], rel=1e-12)
    from sim.present.text import contract_lines

    assert contract_lines(s) == []  # the terminal summary of a v1 deal stays v1's
