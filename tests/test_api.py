"""The notebook helpers of the Python API: sim.paths (a handful of paths) and sim.compare (runs side by side)."""

from __future__ import annotations

import numpy as np
import pytest

import sim

N, BLOCK, SEED = 1200, 500, 3  # three blocks, the last one short


@pytest.fixture(scope="module")
def scenario():
    return sim.load("pinterest_aws_2031")


@pytest.fixture(scope="module")
def both(scenario):
    p = sim.paths(scenario, n=N, seed=SEED, block_size=BLOCK)
    r = sim.run(scenario, paths=N, seed=SEED, block_size=BLOCK, quantiles="exact")
    return p, r


def test_paths_are_the_runs_paths(both):
    p, r = both
    s = r.summary
    assert int((p["min_cash"] < s["cash_floor"]).sum()) == s["p_cash_breach"]["count"]
    assert p["min_cash"].mean() == pytest.approx(s["min_cash"]["mean"], rel=1e-12)
    for metric in ("revenue", "cash_end", "cloud_cost", "shortfall", "net_income"):
        np.testing.assert_allclose(p[metric].mean(axis=0), s["by_year"][metric]["mean"], rtol=1e-10, atol=1e-9)
    assert (p["shortfall"].sum(axis=1) > 0).mean() == pytest.approx(s["p_commitment_shortfall"])
    np.testing.assert_allclose(np.median(p["min_cash"]), s["min_cash"]["quantiles"]["0.5"], rtol=1e-9)


def test_paths_shapes_and_mechanics(both):
    p, r = both
    s = r.summary
    years, spy = s["years"], s["steps_per_year"]
    Y, K = len(years), len(years) * spy
    assert p["years"].tolist() == years
    assert p["time"].shape == (K,) and p["time"][0] == years[0] + 1 / spy and p["time"][-1] == years[-1] + 1
    assert p["minimums"].tolist() == s["commitment"]["minimums_by_year"]
    assert p["cash_floor"] == s["cash_floor"]
    assert p["cash"].shape == (N, K)
    for key in ("revenue", "cloud_usage", "cloud_cost", "shortfall", "cash_end", "operating_margin"):
        assert p[key].shape == (N, Y)
    np.testing.assert_array_equal(p["min_cash"], p["cash"].min(axis=1))
    np.testing.assert_array_equal(p["cash_end"], p["cash"][:, spy - 1 :: spy])
    np.testing.assert_allclose(p["cloud_cost"], p["cloud_usage"] + p["shortfall"], rtol=1e-12, atol=1e-9)
    # annual settlement: the shortfall tops committed usage up to the minimum
    np.testing.assert_allclose(p["shortfall"], np.maximum(p["minimums"] - p["cloud_usage"], 0), rtol=1e-9, atol=1e-6)
    breached = p["first_breach_step"] > 0
    np.testing.assert_array_equal(breached, p["min_cash"] < p["cash_floor"])
    k = p["first_breach_step"][breached] - 1
    assert (p["cash"][breached, k] < p["cash_floor"]).all()


def test_paths_parameters(both, scenario):
    p, _ = both
    params = p["parameters"]
    assert all(v.shape == (N,) for v in params.values())
    works = params["revenue.ai_uplift.probability"]
    assert set(np.unique(works)) <= {0.0, 1.0} and 0.45 < works.mean() < 0.75
    lo, hi = 0.10, 0.20  # cloud.commitment.discount ~ uniform(0.10, 0.20)
    assert ((params["cloud.commitment.discount"] >= lo) & (params["cloud.commitment.discount"] <= hi)).all()
    # the blocks are the run's blocks: a different block size gives other paths
    other = sim.paths(scenario, n=N, seed=SEED, block_size=N)
    assert not np.array_equal(other["parameters"]["revenue.growth"], params["revenue.growth"])


def test_paths_overrides_and_errors():
    p = sim.paths("pinterest_aws_2031", n=3, overrides=["policy.cash_floor=2B", "cloud.commitment.total=5B"])
    assert p["cash_floor"] == 2000.0
    assert p["minimums"].sum() == pytest.approx(5000.0)
    assert p["revenue"].shape[0] == 3
    with pytest.raises(ValueError):
        sim.paths(n=0)
    with pytest.raises(sim.ConfigError):
        sim.paths(n=2, overrides=["cloud.comitment.total=5B"])


@pytest.fixture(scope="module")
def runs():
    base = sim.run("pinterest_aws_2031", paths=4000, seed=1)
    big = sim.run("pinterest_aws_2031", paths=4000, seed=1, overrides=["cloud.commitment.total=6B"])
    return base, big


def test_compare_text(runs):
    base, big = runs
    df = sim.compare({"$4B": base, "$6B": big})
    assert list(df.columns) == ["$4B", "$6B"]
    assert df.index[0] == "P(cash < floor)" and "Cash floor" in df.index
    assert df.loc["Cash floor", "$4B"] == "$1.00B"
    est = base.summary["p_cash_breach"]["estimate"]
    assert df.loc["P(cash < floor)", "$4B"].startswith(f"{100 * est:.2f}%")
    assert "(" in df.loc["P(cash < floor)", "$4B"] and "\u2013" in df.loc["P(cash < floor)", "$4B"]
    assert df.loc["Min cash median", "$6B"].startswith("$")


def test_compare_numbers(runs, tmp_path):
    base, big = runs
    df = sim.compare([base, big, base.summary], text=False)
    assert list(df.columns) == ["pinterest_aws_2031", "pinterest_aws_2031 (2)", "pinterest_aws_2031 (3)"]
    s = base.summary
    col = df["pinterest_aws_2031"]
    assert col["p_cash_breach"] == s["p_cash_breach"]["estimate"]
    assert [col["p_cash_breach_lo"], col["p_cash_breach_hi"]] == s["p_cash_breach"]["ci95"]
    assert col["p_commitment_shortfall"] == s["p_commitment_shortfall"]
    assert col["expected_shortfall_total"] == s["expected_shortfall_total"]
    assert col["min_cash_p50"] == s["min_cash"]["quantiles"]["0.5"]
    assert col["cash_floor"] == 1000.0
    assert df["pinterest_aws_2031 (2)"]["expected_shortfall_total"] > col["expected_shortfall_total"]
    loaded = sim.Result.load(base.save(tmp_path / "base"))
    assert sim.compare({"x": loaded}, text=False)["x"].equals(col.rename("x"))
