"""Per-path parameter draws: copula rank correlations, spline inverse CDFs, streams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtr

import sim
from sim.model import distributions as D
from sim.engine.sampling import copula_factor, draw_parameters, normal_to, pearson_from_spearman


def with_correlations(pairs):
    raw = {
        "scenario": {"start": 2026, "years": 2, "steps_per_year": 1},
        "company": {"revenue": 1000, "operating_costs": 900, "cash": 500},
        "policy": {"cash_floor": 0},
        "revenue": {"growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
        "cloud": {
            "spend": 100,
            "revenue_elasticity": {"dist": "uniform", "low": 0.5, "high": 1.0},
            "pricing": {"drift": {"dist": "triangular", "min": -0.05, "mode": 0, "max": 0.03}},
        },
        "cash_flow": {"interest_rate": {"dist": "pert", "min": 0.01, "mode": 0.03, "max": 0.06}},
        "correlations": [{"between": list(k), "rank": r} for k, r in pairs],
    }
    return sim.load(raw)


def test_spearman_to_pearson():
    assert pearson_from_spearman(0.0) == 0.0
    assert pearson_from_spearman(1.0) == pytest.approx(1.0)
    assert pearson_from_spearman(0.4) == pytest.approx(0.4158, abs=1e-4)


@pytest.mark.parametrize(
    "pairs",
    [
        [(("revenue.growth", "cloud.revenue_elasticity"), 0.6)],
        [(("revenue.growth", "cloud.pricing.drift"), -0.5), (("cloud.pricing.drift", "cash_flow.interest_rate"), 0.3)],
    ],
)
def test_copula_reproduces_rank_correlations(pairs):
    n = 100_000
    p = draw_parameters(with_correlations(pairs), seed=3, block=0, n=n)
    for (a, b), rank in pairs:
        got = stats.spearmanr(p[a], p[b]).statistic
        # SE of Spearman's rho is about (1 - rho^2) / sqrt(n) (normal case): 0.003 here
        assert got == pytest.approx(rank, abs=4 * (1 - rank**2) / np.sqrt(n) + 1e-3)


def test_copula_keeps_the_marginals():
    n = 100_000
    scn = with_correlations([(("revenue.growth", "cash_flow.interest_rate"), 0.8)])
    x = draw_parameters(scn, seed=4, block=0, n=n)["cash_flow.interest_rate"]
    dist = scn.cash_flow.interest_rate
    # Kolmogorov-Smirnov against the PERT marginal: 1.95/sqrt(n) is its 0.1% critical value
    assert stats.kstest(x, lambda v: np.interp(v, dist.ppf(np.linspace(0, 1, 20001)), np.linspace(0, 1, 20001))).statistic < 1.95 / np.sqrt(n)


def test_uncorrelated_parameters_are_independent():
    n = 100_000
    p = draw_parameters(with_correlations([]), seed=5, block=0, n=n)
    assert abs(stats.spearmanr(p["revenue.growth"], p["cloud.revenue_elasticity"]).statistic) < 4 / np.sqrt(n)


def test_each_parameter_has_its_own_stream():
    """Changing one distribution leaves every other parameter's draws as they were (common random numbers)."""
    a = with_correlations([])
    raw = sim.model.scenario_to_dict(a)
    raw["cloud"]["revenue_elasticity"] = {"dist": "uniform", "low": 0.1, "high": 0.2}
    b = sim.load(raw)
    pa, pb = draw_parameters(a, 1, 0, 1000), draw_parameters(b, 1, 0, 1000)
    assert not np.array_equal(pa["cloud.revenue_elasticity"], pb["cloud.revenue_elasticity"])
    for key in ("revenue.growth", "cloud.pricing.drift", "cash_flow.interest_rate"):
        np.testing.assert_array_equal(pa[key], pb[key])


def test_blocks_draw_different_numbers():
    scn = with_correlations([])
    assert not np.array_equal(draw_parameters(scn, 1, 0, 100)["revenue.growth"], draw_parameters(scn, 1, 1, 100)["revenue.growth"])


@pytest.mark.parametrize(
    "dist",
    [D.Pert(0.05, 0.07, 0.10), D.Pert(0.0, 0.0, 1.0), D.Beta(0.5, 0.5), D.Beta(2.0, 30.0, 10.0, 20.0), D.TruncNormal(0.0, 1.0, -0.5, 3.0)],
)
def test_spline_inverse_cdf_accuracy(dist):
    z = np.random.default_rng(0).standard_normal(100_000)
    exact = dist.ppf(ndtr(z))
    lo, hi = dist.support()
    span = min(hi, exact.max()) - max(lo, exact.min())
    assert np.max(np.abs(normal_to(dist, z) - exact)) < 1e-10 * span


def test_closed_form_families_map_exactly():
    d = D.Triangular(0.0, 0.3, 0.67)
    z = np.linspace(-4, 4, 101)
    np.testing.assert_array_equal(normal_to(d, z), d.ppf(ndtr(z)))


def test_semi_definite_matrix_has_a_factor():
    c = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1: Cholesky fails
    f = copula_factor(c)
    np.testing.assert_allclose(f @ f.T, c, atol=1e-12)


def test_bernoulli_draws():
    scn = sim.load("pinterest_aws_2031")
    n = 200_000
    a = draw_parameters(scn, 0, 0, n)["revenue.ai_uplift.probability"]
    assert set(np.unique(a)) == {0.0, 1.0}
    assert a.mean() == pytest.approx(0.6, abs=4 * np.sqrt(0.24 / n))


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "normal", "mean": 0.05, "sd": 0.02},
        {"dist": "lognormal", "median": 0.01, "sigma": 1.0},
        {"dist": "uniform", "low": -1, "high": 3},
        {"dist": "triangular", "min": -0.1, "mode": -0.03, "max": 0.0},
        {"dist": "pert", "min": 0.01, "mode": 0.03, "max": 0.06},
        {"dist": "beta", "a": 2.0, "b": 5.0, "low": 0, "high": 2},
        {"dist": "discrete", "values": [1, 2, 5], "weights": [0.2, 0.5, 0.3]},
        {"dist": "truncnormal", "mean": 0.0, "sd": 1.0, "low": -0.5, "high": 2.0},
    ],
)
def test_numba_samplers_draw_numpys_numbers(spec):
    """Per-path parameters and event sizes come from numba samplers: the numbers of docs/DRAWS.md's NumPy calls."""
    from sim.engine.kernel import samplers
    dist = D.parse_dist(spec)
    mine = samplers.sample(dist, np.random.default_rng(11), 20_000)
    numpy = np.asarray(dist.sample(np.random.default_rng(11), 20_000), dtype=np.float64)
    if spec["dist"] == "truncnormal":  # the inverse CDF is computed differently (~1e-15 apart)
        np.testing.assert_allclose(mine, numpy, rtol=0, atol=1e-12)
    else:
        np.testing.assert_array_equal(mine, numpy)
    np.testing.assert_array_equal(samplers.uniforms(np.random.default_rng(3), 1_000), np.random.default_rng(3).random(1_000))


@pytest.mark.parametrize("mean", [0.05, 2.4, 16.0, 40.0, 700.0])
def test_poisson_counts_by_inversion_of_the_cdf_table(mean):
    """Event counts invert poisson_cdf (docs/DRAWS.md): the table ends at 1.0 and the counts are Poisson(mean)."""
    from sim.engine.kernel.compile import poisson_cdf

    table = poisson_cdf(mean)
    assert table[-1] == 1.0 and np.all(np.diff(table) >= 0)
    assert stats.poisson.sf(len(table) - 1, mean) < 2**-52  # nothing of weight lies beyond the table
    n = 400_000
    counts = np.searchsorted(table, np.random.default_rng(8).random(n), side="right")
    se_mean = np.sqrt(mean / n)
    assert abs(counts.mean() - mean) < 4 * se_mean
    # variance of the sample variance of a Poisson: (mean + 2 mean^2 (n/(n-1))) / n
    assert abs(counts.var(ddof=1) - mean) < 4 * np.sqrt((mean + 2 * mean**2) / n)
    np.testing.assert_allclose(np.bincount(counts, minlength=3)[:3] / n, stats.poisson.pmf([0, 1, 2], mean), atol=4 * np.sqrt(0.25 / n))
