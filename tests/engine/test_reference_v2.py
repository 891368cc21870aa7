"""The Numba kernel against the plain NumPy reference on the model v2 mechanisms, path by path.

Same rules as ``test_reference.py``: both follow ``docs/DRAWS.md``, so for the same
(config, seed, paths, block size) they see the same random numbers and must agree up
to floating-point rounding -- every float output to ``rtol = 1e-9`` (plus an absolute
slack of 1e-9 times the largest magnitude of that output), ``first_breach_step``
exactly except where the cash sits within that slack of the floor.  Here the outputs
also include the per-commitment arrays (n, J, Y): shortfall paid, steered spend and
the deferred (rolled-over) amount.

Each crafted config switches on one v2 mechanism over the small stochastic company
of ``test_reference.py``; ``ALL`` switches on every one at once and runs at 1, 2, 4
and 12 steps a year, with short last blocks.  Money in USD millions.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import EXAMPLE, assert_outputs_match, kernel, load, merge, reference

from sim.engine.reference import COMMITMENT_KEYS, YEAR_KEYS

RTOL = 1e-9
N_PATHS = 1_200
BLOCKS = (1_200, 512)  # one block; and 512, 512, 176 (a short last block)

BASE = {
    "scenario": {"name": "crafted-v2", "start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": 1000.0, "operating_costs": 900.0, "cash": 300.0, "tax_rate": 0.2},
    "policy": {"cash_floor": 250.0},
    "revenue": {"growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}, "volatility": 0.15},
    "cash_flow": {"interest_rate": 0.03, "noncash_share": 0.05, "capex_share": 0.03},
}

SPEND = {"spend": 200.0, "usage_growth": 0.05, "revenue_elasticity": {"dist": "uniform", "low": 0.5, "high": 1.0}}
U_DISC = {"dist": "uniform", "low": 0.05, "high": 0.2}


def _cloud(*commitments, single=False, **extra) -> dict:
    cloud = dict(SPEND, **extra)
    if single:
        cloud["commitment"] = commitments[0]
    else:
        cloud["commitments"] = list(commitments)
    return {"cloud": cloud}


AWS = {"name": "aws", "share": 0.6, "minimums": [130.0, 140.0, 150.0], "discount": U_DISC}
GCP = {"name": "gcp", "share": 0.25, "start": "2024-08", "minimums": [55.0, 60.0, 60.0], "discount": {"dist": "triangular", "min": 0.1, "mode": 0.15, "max": 0.3}}

CRAFTED = {
    # several commitments: shares, discounts, an uncommitted rest
    "multi": _cloud(AWS, GCP),
    "multi-term": _cloud(AWS, dict(GCP, shortfall="term")),
    "multi-full-share": _cloud(dict(AWS, share=0.7), dict(GCP, share=0.3)),
    # contract years from any month; before and past the horizon
    "dated-august": _cloud({"start": "2024-08", "minimums": [210.0, 225.0, 240.0], "discount": U_DISC}, single=True),
    "dated-august-term": _cloud({"start": "2024-08", "minimums": [210.0, 225.0, 240.0], "discount": U_DISC, "shortfall": "term"}, single=True),
    "dated-before": _cloud({"start": "2022-07", "minimums": [150.0, 180.0, 210.0, 225.0, 240.0], "discount": U_DISC}, single=True),
    "dated-past": _cloud({"start": "2025-11", "minimums": [230.0, 240.0, 250.0], "discount": U_DISC}, single=True),
    "dated-day": _cloud({"start": "2024-03-16", "minimums": [210.0, 225.0], "discount": U_DISC}, single=True),
    # rollover, steering, both
    "rollover": _cloud({"minimums": [215.0, 230.0, 250.0], "discount": U_DISC, "rollover": 0.15}, single=True),
    "rollover-dated": _cloud({"start": "2024-05", "minimums": [215.0, 230.0, 250.0], "discount": U_DISC, "rollover": 0.3}, single=True),
    "steerable": _cloud({"minimums": [215.0, 230.0, 250.0], "discount": U_DISC, "steerable": {"dist": "uniform", "low": 0.0, "high": 0.1}}, single=True),
    "steerable-term": _cloud(
        {"minimums": [215.0, 230.0, 250.0], "discount": U_DISC, "shortfall": "term", "steerable": {"dist": "uniform", "low": 0.0, "high": 0.1}},
        single=True,
    ),
    "both": _cloud(
        {"minimums": [190.0, 200.0, 210.0], "total": 660.0, "shortfall": "both", "discount": U_DISC, "rollover": 0.1, "steerable": 0.03},
        single=True,
    ),
    "both-before": _cloud(
        {"start": "2023-07", "minimums": [190.0, 200.0, 210.0], "total": 660.0, "shortfall": "both", "discount": U_DISC}, single=True
    ),
    # revenue shocks that partly recover (and one that does not)
    "recovery": {
        "revenue": {
            "shocks": [
                {"name": "recession", "rate": 0.6, "change": {"dist": "normal", "mean": -0.15, "sd": 0.05}, "recovery": 0.7, "half_life_years": 0.5},
                {"name": "competition", "rate": 0.8, "change": -0.04},
                {"name": "pandemic", "rate": 0.3, "change": -0.3, "recovery": 1.0, "half_life_years": 1.5},
            ]
        },
        **_cloud(dict(AWS, share=1.0), single=False),
    },
    # uncertain base-year revenue and cloud bill (also in a correlation)
    "uncertain-base": merge(
        _cloud(AWS, spend={"dist": "lognormal", "median": 200.0, "sigma": 0.1}),
        {
            "company": {"revenue": {"dist": "lognormal", "median": 1000.0, "sigma": 0.04}},
            "correlations": [{"between": ["company.revenue", "cloud.spend"], "rank": 0.6}],
        },
    ),
    "noncash": {
        "company": {"operating_costs": 950.0},
        "operating_costs": {
            "programs": [
                {"name": "sbc", "amount": {"dist": "uniform", "low": 20.0, "high": 40.0}, "years": 3, "noncash": True},
                {"name": "restructuring", "amount": 30.0, "start_year": 2025, "years": 1},
            ]
        },
    },
    "debt-issued": {
        "cash_flow": {
            "debt": [
                {"name": "term-loan", "principal": 150.0, "coupon": 0.06, "issued": "2024-11", "maturity": "2026-05", "cash_repayment_probability": 0.5},
                {"name": "old", "principal": 100.0, "coupon": 0.04, "issued": "2022-01", "maturity": "2025-07"},
                {"name": "late", "principal": 80.0, "coupon": 0.05, "issued": "2025-09-15", "maturity": "2031-01"},
                {"name": "future", "principal": 500.0, "coupon": 0.05, "issued": "2028-01", "maturity": "2032-01"},
                {"name": "boundary", "principal": 60.0, "coupon": 0.07, "issued": "2025-01", "maturity": "2027-01", "cash_repayment_probability": 0.7},
            ]
        }
    },
    "events": {
        "cash_flow": {
            "events": [
                {"name": "ipo", "date": "2025-03", "amount": {"dist": "lognormal", "median": 200.0, "sigma": 0.3}, "probability": 0.4},
                {"name": "lawsuit", "date": "2024-09-10", "amount": {"dist": "uniform", "low": -150.0, "high": -50.0}, "probability": 0.3},
                {"name": "vesting-tax", "date": 2026.5, "amount": -40.0},
                {"name": "before", "date": "2023-06", "amount": -500.0},
                {"name": "past", "date": "2028-06", "amount": -500.0},
                {"name": "at-start", "date": "2024-01", "amount": 25.0, "probability": 0.5},
                {"name": "at-end", "date": "2027-01", "amount": -30.0, "probability": 0.9},
            ]
        }
    },
    "working-capital": {"cash_flow": {"working_capital": {"dist": "uniform", "low": -0.1, "high": 0.2}}},
    "buybacks-events-debt": {
        "cash_flow": {
            "buybacks": {"annual": 100.0, "fcf_share": 0.3, "min_cash": 290.0},
            "events": [{"name": "raise", "date": "2025-02", "amount": 120.0, "probability": 0.5}],
            "debt": [{"name": "bridge", "principal": 90.0, "coupon": 0.05, "issued": "2025-06", "maturity": "2026-03"}],
        }
    },
}


def _crafted(name: str, **extra) -> dict:
    d = merge(BASE, CRAFTED[name])
    d["scenario"]["name"] = name
    return merge(d, extra)


# Every v2 mechanism at once (and v1's pricing, silicon, fines, buybacks, AI uplift).
ALL = merge(
    BASE,
    {
        "scenario": {"name": "all-v2"},
        "company": {"revenue": {"dist": "truncnormal", "mean": 1000.0, "sd": 30.0, "low": 900.0, "high": 1100.0}, "operating_costs": 950.0},
        "revenue": dict(
            CRAFTED["recovery"]["revenue"],
            ai_uplift={"probability": 0.7, "uplift": {"dist": "uniform", "low": 0.0, "high": 0.1}, "delay_years": 0.75, "ramp_years": 1.5},
        ),
        "cloud": {
            **SPEND,
            "spend": {"dist": "uniform", "low": 180.0, "high": 220.0},
            "pricing": {"drift": {"dist": "normal", "mean": -0.02, "sd": 0.02}, "volatility": 0.05, "revenue_correlation": 0.4,
                        "shifts": [{"name": "lock-in", "rate": 0.8, "change": {"dist": "uniform", "low": 0.05, "high": 0.2}, "share": 0.5}]},
            "silicon": [{"name": "graviton", "share": 0.5, "migrated_start": 0.2, "migrated_target": 0.6, "migration_years": 2, "savings": 0.3}],
            "commitments": [
                dict(AWS, rollover=0.15, steerable={"dist": "uniform", "low": 0.0, "high": 0.1}),
                dict(GCP, share=0.2, minimums=[45.0, 50.0, 50.0], total=160.0, shortfall="both"),
                {"name": "azure", "share": 0.1, "start": "2023-04", "years": 3, "total": 75.0, "discount": 0.1, "shortfall": "term", "steerable": 0.05},
            ],
        },
        "operating_costs": CRAFTED["noncash"]["operating_costs"],
        "regulatory": {"fines": [{"name": "gdpr", "rate": 0.6, "size": {"dist": "lognormal", "median": 0.01, "sigma": 1.0}, "cap": 0.04, "lag_years": 1.0}]},
        "cash_flow": {
            "working_capital": {"dist": "uniform", "low": -0.1, "high": 0.2},
            "buybacks": {"annual": 60.0, "fcf_share": 0.2, "min_cash": 280.0},
            "debt": CRAFTED["debt-issued"]["cash_flow"]["debt"],
            "events": CRAFTED["events"]["cash_flow"]["events"],
        },
        "correlations": [
            {"between": ["company.revenue", "cloud.spend"], "rank": 0.5},
            {"between": ["cloud.commitments.aws.discount", "cloud.commitments.aws.steerable"], "rank": -0.4},
            {"between": ["cash_flow.events.ipo.amount", "revenue.growth"], "rank": 0.3},
        ],
    },
)







def assert_match(ref: dict, got: dict, scn) -> None:
    """The kernel's outputs equal the reference's to rounding (see the module docstring)."""
    n = ref["min_cash"].shape[0]
    Y, K = scn.scenario.years, scn.scenario.years * scn.scenario.steps_per_year
    J = len(scn.cloud.commitments)
    for key in YEAR_KEYS:
        assert got[key].shape == (n, Y), key
    for key in COMMITMENT_KEYS:
        assert got[key].shape == (n, J, Y), key
    assert got["cash"].shape == (n, K)
    assert_outputs_match(ref, got, scn, YEAR_KEYS + COMMITMENT_KEYS + ("cloud_usage", "cash", "min_cash"), RTOL)


def _compare(d: dict, seed: int = 7, n: int = N_PATHS, blocks=BLOCKS):
    scn = load(d)
    for bs in blocks:
        assert_match(reference(scn, seed, n, bs), kernel(scn, seed, n, bs), scn)
    return scn


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted(name):
    _compare(_crafted(name))


@pytest.mark.parametrize("n", [1, 2, 4, 12])
def test_all_steps_per_year(n):
    _compare(merge(ALL, {"scenario": {"steps_per_year": n}}), seed=11, n=800, blocks=(800, 300))


@pytest.mark.parametrize("n", [1, 2, 12])
@pytest.mark.parametrize("name", ["multi", "dated-august", "dated-before", "rollover-dated", "both", "recovery", "debt-issued", "events"])
def test_crafted_steps_per_year(name, n):
    _compare(_crafted(name, scenario={"steps_per_year": n}), n=500, blocks=(500, 192))


def test_all_short_blocks():
    _compare(ALL, seed=3, n=50, blocks=(1, 13, 49, 64))


def test_all_one_year_one_step():
    _compare(merge(ALL, {"scenario": {"years": 1, "steps_per_year": 1}}), n=300, blocks=(300, 7))


def test_v1_singular_equals_list_of_one():
    # [cloud.commitment] is the list's one element named "commitment": the same numbers as
    # [[cloud.commitments]] with that name and share 1 -- except that the discount key differs
    # (cloud.commitment.discount vs cloud.commitments.commitment.discount): a fixed discount here.
    com = {"minimums": [215.0, 230.0, 250.0], "discount": 0.12, "rollover": 0.1}
    single = reference(load(_crafted("rollover", cloud={"commitment": com})), 2, 400, 400)
    d = _crafted("rollover")
    d["cloud"].pop("commitment")
    d["cloud"]["commitments"] = [dict(com, name="commitment", share=1.0)]
    listed = load(d)
    many = reference(listed, 2, 400, 400)
    for key in YEAR_KEYS + COMMITMENT_KEYS:
        np.testing.assert_array_equal(single[key], many[key], err_msg=key)
    assert_match(many, kernel(listed, 2, 400, 400), listed)


# --------------------------------------------------------------------------
# The summary against the reference's paths
# --------------------------------------------------------------------------


def _grid(scn):
    from sim.engine.reference.grid import Grid

    return Grid(scn)


@pytest.mark.parametrize("name", ["all", "multi_cloud_example"])
def test_summary_commitments(name):
    """``sim.run``'s per-commitment summary equals counts and means over the reference's paths."""
    import sim

    scn = load(ALL) if name == "all" else load(EXAMPLE)
    n, seed, bs = 4_000, 9, 1_024
    s = sim.run(scn, paths=n, seed=seed, block_size=bs).summary
    ref = reference(scn, seed, n, bs)
    grid = _grid(scn)
    assert list(s["commitments"]) == [c.name for c in scn.cloud.commitments]
    for j, (c, terms) in enumerate(zip(scn.cloud.commitments, grid.commitments)):
        got = s["commitments"][c.name]
        paid = ref["shortfall_by_commitment"][:, j, :]
        assert got["p_shortfall"] == pytest.approx(np.mean(paid.sum(axis=1) > 0), abs=0.5 / n), c.name
        np.testing.assert_allclose(got["expected_shortfall_total"], paid.sum(axis=1).mean(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got["shortfall_by_year"]["mean"], paid.mean(axis=0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got["p_shortfall_by_year"], (paid > 0).mean(axis=0), atol=0.5 / n)
        np.testing.assert_allclose(got["steered_by_year"]["mean"], ref["steered_by_commitment"][:, j, :].mean(axis=0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got["deferred_by_year"]["mean"], ref["deferred_by_commitment"][:, j, :].mean(axis=0), rtol=1e-9, atol=1e-9)
        years = got["contract_years"]
        assert [y["year"] for y in years] == [cy.year for cy in terms.years], c.name
        assert [y["counted"] for y in years] == [cy.counted for cy in terms.years], c.name
        assert [y["settlement_step"] for y in years if y["counted"]] == [cy.settle for cy in terms.years if cy.counted], c.name
        np.testing.assert_allclose([y["minimum"] for y in years], [cy.minimum for cy in terms.years])
    total = ref["shortfall"].sum(axis=1)
    assert s["p_commitment_shortfall"] == pytest.approx(np.mean(total > 0), abs=0.5 / n)
    np.testing.assert_allclose(s["expected_shortfall_total"], total.mean(), rtol=1e-9)
    for key in ("cash_end", "revenue", "net_income", "fcf", "cloud_cost", "operating_margin"):
        np.testing.assert_allclose(s["by_year"][key]["mean"], ref[key].mean(axis=0), rtol=1e-9, err_msg=key)
    floor = scn.policy.cash_floor
    assert s["p_cash_breach"]["estimate"] == pytest.approx(np.mean(ref["min_cash"] < floor), abs=0.5 / n)


@pytest.mark.parametrize("name", ["all", "multi_cloud_example"])
def test_central_case(name):
    import sim
    from sim.engine.reference import central_case_reference

    scn = load(ALL) if name == "all" else load(EXAMPLE)
    want = central_case_reference(scn)
    got = sim.run(scn, paths=64, seed=1).summary["central_case"]
    for key in ("cash_end", "net_income", "operating_margin", "revenue", "fcf", "cloud_cost"):
        assert key in got, key
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=1e-9 * np.max(np.abs(want[key])), err_msg=key)


def test_multi_cloud_example_paths():
    scn = load(EXAMPLE)
    for seed, n, bs in ((1, 2_000, 2_000), (2, 1_500, 512)):
        assert_match(reference(scn, seed, n, bs), kernel(scn, seed, n, bs), scn)
