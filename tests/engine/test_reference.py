"""The Numba kernel (``sim.engine.simulate.simulate_paths``) against the plain NumPy
reference (``sim.engine.reference.simulate_reference``), path by path.

Both follow ``docs/DRAWS.md``, so for the same (config, seed, paths, block size)
they see the same random numbers and must agree up to floating-point rounding:

* every float output to ``rtol = 1e-9`` (plus an absolute slack of 1e-9 times the
  largest magnitude of that output, for values that cancel to ~0, such as a
  shortfall of exactly zero or an operating income near zero);
* ``first_breach_step`` exactly, except on a path where the cash at the first
  disputed step sits within that same rounding slack of the floor.

Each crafted config switches on one mechanism over a small stochastic base, so a
disagreement points at the mechanism.  Money in USD millions.
"""

from __future__ import annotations


import numpy as np
import pytest
from helpers import assert_outputs_match, kernel, load, merge, reference

from sim.engine.reference import YEAR_KEYS  # the outputs both implementations give

RTOL = 1e-9
N_PATHS = 1_500
BLOCKS = (1_500, 512)  # one block; and 512, 512, 476 (a short last block)


# A small stochastic company: revenue noise and a random growth rate, tax, interest.
BASE = {
    "scenario": {"name": "crafted", "start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": 1000.0, "operating_costs": 900.0, "cash": 300.0, "tax_rate": 0.2},
    "policy": {"cash_floor": 250.0},
    "revenue": {"growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}, "volatility": 0.15},
    "cash_flow": {"interest_rate": 0.03, "noncash_share": 0.05, "capex_share": 0.03},
}

CLOUD = {
    "cloud": {
        "spend": 200.0,
        "usage_growth": 0.05,
        "revenue_elasticity": {"dist": "uniform", "low": 0.5, "high": 1.0},
        "commitment": {"minimums": [210.0, 225.0, 240.0], "discount": {"dist": "uniform", "low": 0.05, "high": 0.2}},
    }
}


def _commitment(**kw) -> dict:
    return merge(CLOUD, {"cloud": {"commitment": kw}})


def _fine(name, rate, size, cap=None, lag=0.0):
    f = {"name": name, "rate": rate, "size": size, "lag_years": lag}
    if cap is not None:
        f["cap"] = cap
    return f


CRAFTED = {
    "base": {},
    "no-noise": {"revenue": {"volatility": 0.0, "growth": 0.04}},
    "growth-process": {
        "revenue": {
            "initial_growth": {"dist": "normal", "mean": 0.15, "sd": 0.03},
            "mean_reversion": 0.4,
            "growth_volatility": 0.03,
        }
    },
    "growth-vol-only": {"revenue": {"volatility": 0.0, "growth_volatility": 0.05, "mean_reversion": 0.2}},
    "shortfall-annual": _commitment(shortfall="annual"),
    "shortfall-term": _commitment(shortfall="term"),
    "commit-before-start": _commitment(start_year=2022, minimums=[150.0, 180.0, 210.0, 225.0]),
    "commit-before-start-term": _commitment(start_year=2022, minimums=[150.0, 180.0, 210.0, 225.0], shortfall="term"),
    "commit-after-start": _commitment(start_year=2025, minimums=None, total=880.0, years=4),
    "commit-after-start-term": _commitment(start_year=2025, minimums=None, total=880.0, years=4, shortfall="term"),
    "commit-past-horizon": _commitment(start_year=2030, minimums=[500.0, 500.0]),
    "silicon-pricing": merge(
        CLOUD,
        {
            "cloud": {
                "silicon": [
                    {"name": "graviton", "share": 0.6, "migrated_start": 0.3, "migrated_target": {"dist": "uniform", "low": 0.55, "high": 0.8}, "migration_years": 2, "savings": {"dist": "triangular", "min": 0.15, "mode": 0.25, "max": 0.4}},
                    {"name": "trainium", "share": 0.25, "migrated_target": 0.5, "migration_years": 4.5, "savings": 0.3},
                ],
                "pricing": {"drift": {"dist": "normal", "mean": -0.02, "sd": 0.02}, "volatility": 0.05, "revenue_correlation": 0.4},
            }
        },
    ),
    "pricing-uncorrelated": merge(CLOUD, {"cloud": {"pricing": {"drift": 0.01, "volatility": 0.08}}}),
    "pricing-only-noise": merge(
        CLOUD, {"revenue": {"volatility": 0.0}, "cloud": {"pricing": {"volatility": 0.08, "revenue_correlation": -0.5}}}
    ),
    "price-shifts": merge(
        CLOUD,
        {
            "cloud": {
                "pricing": {
                    "shifts": [
                        {"name": "lock-in", "rate": 0.8, "change": {"dist": "uniform", "low": 0.05, "high": 0.2}, "share": 0.5},
                        {"name": "off", "rate": 0.0, "change": 0.3},
                        # big cuts: 1 + s c often below 0.01 -> clipped
                        {"name": "cut", "rate": 0.6, "change": {"dist": "normal", "mean": -0.8, "sd": 0.4}},
                    ]
                }
            }
        },
    ),
    "revenue-shocks": {
        "revenue": {
            "shocks": [
                {"name": "competition", "rate": 0.7, "change": {"dist": "triangular", "min": -0.1, "mode": -0.03, "max": 0.0}},
                {"name": "crash", "rate": 0.3, "change": {"dist": "normal", "mean": -0.7, "sd": 0.4}},  # clipped at -0.99
                {"name": "fixed", "rate": 0.5, "change": -0.05},
                # mean count over the horizon above 16: counted by binary search of the CDF table
                {"name": "frequent", "rate": 9.0, "change": {"dist": "uniform", "low": -0.01, "high": 0.01}},
            ]
        }
    },
    "fines": {
        "regulatory": {
            "fines": [
                _fine("gdpr", 0.6, {"dist": "lognormal", "median": 0.01, "sigma": 1.0}, cap=0.04, lag=1.0),
                _fine("dsa", 0.8, {"dist": "uniform", "low": -0.01, "high": 0.05}, lag=0.3),  # negative sizes -> 0
                _fine("late", 0.7, 0.02, lag=2.5),
                _fine("never-paid", 0.9, 0.03, lag=4.0),  # past K = 12
                _fine("pert", 0.5, {"dist": "pert", "min": 0.0, "mode": 0.01, "max": 0.05}, cap=0.02),
                _fine("zero-rate", 0.0, 0.5),
            ]
        }
    },
    "debt": {
        "cash_flow": {
            "debt": [
                {"name": "inside", "principal": 150.0, "coupon": 0.03, "maturity": "2025-07", "cash_repayment_probability": 0.5},
                {"name": "outside", "principal": 200.0, "coupon": 0.02, "maturity": "2031-03", "cash_repayment_probability": 0.5},
                {"name": "matured", "principal": 20.0, "coupon": 0.05, "maturity": 2023.5},
                {"name": "end", "principal": 50.0, "coupon": 0.04, "maturity": 2027.0, "cash_repayment_probability": 0.5},
            ]
        }
    },
    "buybacks": {"cash_flow": {"buybacks": {"annual": 100.0, "fcf_share": 0.3, "min_cash": 290.0}}},
    "nol": {
        "company": {"operating_costs": 985.0, "tax_rate": {"dist": "uniform", "low": 0.15, "high": 0.3}, "tax_loss_carryforward": 40.0},
        "revenue": {"volatility": 0.3},
    },
    "ai-ramp-0": {
        "revenue": {
            "ai_uplift": {"probability": 0.5, "uplift": {"dist": "pert", "min": 0.05, "mode": 0.07, "max": 0.1}, "delay_years": {"dist": "uniform", "low": 0.0, "high": 2.0}, "ramp_years": 0.0}
        }
    },
    "ai-ramp-1.5": {
        "revenue": {
            "ai_uplift": {"probability": 0.7, "uplift": {"dist": "uniform", "low": 0.0, "high": 0.1}, "delay_years": 0.75, "ramp_years": 1.5}
        }
    },
    "programs": {
        "company": {"operating_costs": 950.0},
        "operating_costs": {
            "variable_share": {"dist": "beta", "a": 2.0, "b": 5.0, "low": 0.1, "high": 0.4},
            "fixed_growth": {"dist": "uniform", "low": 0.0, "high": 0.06},
            "programs": [
                {"name": "ai", "share": {"dist": "uniform", "low": 0.03, "high": 0.05}, "years": 2},
                {"name": "restructuring", "amount": {"dist": "lognormal", "median": 40.0, "sigma": 0.3}, "start_year": 2025, "years": 1},
                {"name": "early", "amount": 30.0, "start_year": 2022, "years": 3},
                {"name": "late", "amount": 25.0, "start_year": 2026, "years": 5},
            ],
        },
    },
    "correlated": merge(
        CLOUD,
        {
            "company": {"cash": {"dist": "normal", "mean": 300.0, "sd": 40.0}},
            "operating_costs": {"variable_share": {"dist": "uniform", "low": 0.1, "high": 0.3}},
            "correlations": [
                {"between": ["revenue.growth", "cloud.revenue_elasticity"], "rank": 0.5},
                {"between": ["cloud.revenue_elasticity", "cloud.commitment.discount"], "rank": -0.3},
                {"between": ["company.cash", "operating_costs.variable_share"], "rank": 0.6},
            ],
        },
    ),
    "discrete": {
        "company": {"tax_rate": {"dist": "discrete", "values": [0.1, 0.2, 0.3], "weights": [1, 2, 1]}},
        "cash_flow": {"interest_rate": {"dist": "truncnormal", "mean": 0.03, "sd": 0.02, "low": 0.0, "high": 0.06}},
    },
}


def _crafted(name: str, **extra) -> dict:
    d = merge(BASE, CRAFTED[name])
    d["scenario"]["name"] = name
    # a commitment override sets minimums None to use total/years instead
    com = d.get("cloud", {}).get("commitment")
    if com is not None and com.get("minimums") is None:
        com.pop("minimums", None)
    return merge(d, extra)


# Everything at once, for the steps_per_year sweep.
FULL = merge(
    _crafted("silicon-pricing"),
    {
        k: v
        for name in ("growth-process", "fines", "debt", "buybacks", "programs")
        for k, v in CRAFTED[name].items()
    },
)
FULL = merge(FULL, CRAFTED["price-shifts"])
FULL = merge(FULL, CRAFTED["revenue-shocks"])
FULL = merge(FULL, CRAFTED["ai-ramp-1.5"])
FULL["scenario"]["name"] = "full"





def assert_match(ref: dict, got: dict, scn) -> None:
    """The kernel's outputs equal the reference's to rounding (see the module docstring)."""
    n = ref["min_cash"].shape[0]
    Y, K = scn.scenario.years, scn.scenario.years * scn.scenario.steps_per_year
    for key in YEAR_KEYS:
        assert got[key].shape == (n, Y), key
    assert got["cash"].shape == (n, K)
    assert got["min_cash"].shape == (n,)
    assert got["first_breach_step"].shape == (n,)
    assert np.issubdtype(got["first_breach_step"].dtype, np.integer)
    assert_outputs_match(ref, got, scn, YEAR_KEYS + ("cash", "min_cash"), RTOL)


def _compare(d: dict, seed: int = 7, n: int = N_PATHS, blocks=BLOCKS):
    scn = load(d)
    for bs in blocks:
        assert_match(reference(scn, seed, n, bs), kernel(scn, seed, n, bs), scn)
    return scn


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted(name):
    _compare(_crafted(name))


@pytest.mark.parametrize("n", [1, 2, 4, 12])
def test_full_steps_per_year(n):
    d = merge(FULL, {"scenario": {"steps_per_year": n}})
    _compare(d, seed=11, n=1_000, blocks=(1_000, 300))


@pytest.mark.parametrize("n", [1, 2, 12])
@pytest.mark.parametrize("name", ["shortfall-annual", "shortfall-term", "fines", "ai-ramp-0", "debt"])
def test_crafted_steps_per_year(name, n):
    _compare(_crafted(name, scenario={"steps_per_year": n}), n=600, blocks=(600, 256))


def test_one_year_one_step():
    _compare(merge(FULL, {"scenario": {"years": 1, "steps_per_year": 1}}), n=500, blocks=(500, 7))


def test_blocks_of_one_and_odd_sizes():
    _compare(FULL, seed=3, n=50, blocks=(1, 13, 49, 50, 64))


def test_block_structure():
    # block b holds paths [b B, (b+1) B): the second block of a run with B = 256
    # is the first block of nothing else, but a run of 256 paths is its block 0.
    scn = load(FULL)
    whole = reference(scn, 5, 700, 256)
    first = reference(scn, 5, 256, 256)
    for k in first:
        np.testing.assert_array_equal(whole[k][:256], first[k])
    assert_match(whole, kernel(scn, 5, 700, 256), scn)


@pytest.mark.parametrize("name", ["pinterest_aws_2031", "pinterest_aws_2031_filings"])
def test_shipped_scenarios(name):
    from sim.model import load_scenario

    scn = load_scenario(name)
    for seed, n, bs in ((1, 4_000, 4_000), (2, 3_000, 1_024)):
        assert_match(reference(scn, seed, n, bs), kernel(scn, seed, n, bs), scn)


@pytest.mark.parametrize("name", ["pinterest_aws_2031", "pinterest_aws_2031_filings"])
def test_shipped_central_case(name):
    import sim
    from sim.model import load_scenario
    from sim.engine.reference import central_case_reference

    scn = load_scenario(name)
    want = central_case_reference(scn)
    got = sim.run(scn, paths=64, seed=1).summary["central_case"]
    for key in ("cash_end", "net_income", "operating_margin", "revenue", "fcf", "cloud_cost"):
        if key in got:
            np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=1e-9 * np.max(np.abs(want[key])), err_msg=key)
    for key in ("cash_end", "net_income", "operating_margin"):
        assert key in got


@pytest.mark.parametrize("name", ["pinterest_aws_2031_filings", "crafted"])
def test_summary_matches_reference(name):
    """``sim.run``'s exact counts and means equal those of the reference's paths."""
    import sim
    from sim.model import load_scenario

    scn = load_scenario(name) if name != "crafted" else load(FULL)
    n, seed, bs = 5_000, 9, 2_048
    s = sim.run(scn, paths=n, seed=seed, block_size=bs).summary
    ref = reference(scn, seed, n, bs)
    floor = scn.policy.cash_floor
    assert s["paths"] == n and s["seed"] == seed
    assert s["p_cash_breach"]["estimate"] == pytest.approx(np.mean(ref["min_cash"] < floor), abs=1.5 / n)
    fb = ref["first_breach_step"]
    sp = scn.scenario.steps_per_year
    cum = [np.mean((fb > 0) & (fb <= (y + 1) * sp)) for y in range(scn.scenario.years)]
    np.testing.assert_allclose(s["p_cash_breach_by_year"], cum, atol=1.5 / n)
    for key in ("cash_end", "revenue", "net_income", "fcf", "cloud_cost", "operating_margin"):
        np.testing.assert_allclose(s["by_year"][key]["mean"], ref[key].mean(axis=0), rtol=1e-9, err_msg=key)
    np.testing.assert_allclose(s["min_cash"]["mean"], ref["min_cash"].mean(), rtol=1e-9)
    np.testing.assert_allclose(s["p_net_loss_by_year"], (ref["net_income"] < 0).mean(axis=0), atol=1.5 / n)
    total_short = ref["shortfall"].sum(axis=1)
    np.testing.assert_allclose(s["p_commitment_shortfall"], np.mean(total_short > 0), atol=1.5 / n)


def test_reference_deterministic():
    scn = load(FULL)
    a = reference(scn, 1, 300, 128)
    b = reference(scn, 1, 300, 128)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    c = reference(scn, 2, 300, 128)
    assert not np.array_equal(a["cash"], c["cash"])
