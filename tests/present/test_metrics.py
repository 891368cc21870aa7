"""Risk metrics: known inputs, known answers.

* Wilson intervals against published values;
* a "static cash" scenario whose answers follow by hand: cash is a uniform
  draw that never changes until a bond is repaid, so the breach timing, the
  cash-short-of-principal probability, the joint breach-and-compression
  probability, min-cash quantiles and expected shortfall are counts and order
  statistics of the drawn cash (compared exactly);
* CFaR/EaR and the joint probability of the shipped scenario against the
  independent NumPy reference's paths;
* the report's derived metrics (sim.present.metrics) on synthetic summaries.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.present import metrics
from sim.engine.results import wilson

N = 20_000


# --------------------------------------------------------------------------
# Wilson
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, n, lo, hi",
    [
        (5, 10, 0.2366, 0.7634),  # Newcombe (1998), Table I style values
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 100, 0.0018, 0.0545),
        (81, 263, 0.2553, 0.3662),  # Newcombe's example 81/263
    ],
)
def test_wilson_known_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=6e-5)
    assert got[1] == pytest.approx(hi, abs=6e-5)


def test_wilson_closed_form_at_zero():
    z = 1.959963984540054
    for n in (1, 7, 1000):
        assert wilson(0, n) == (0.0, pytest.approx(z * z / (n + z * z)))


# --------------------------------------------------------------------------
# The static-cash scenario: answers by hand
# --------------------------------------------------------------------------

FLOOR, PRINCIPAL, MATURITY = 500.0, 1000.0, 2025.5  # repaid at the end of step 6 (Q2 2025)

STATIC = {
    "scenario": {"name": "static", "start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": 1000, "operating_costs": 1000, "cash": {"dist": "uniform", "low": 0, "high": 2000}, "tax_rate": 0},
    "policy": {"cash_floor": FLOOR, "margin_drop": 0.02},
    "revenue": {"growth": 0, "volatility": 0},
    "operating_costs": {"variable_share": 0, "fixed_growth": 0},
    "cash_flow": {"debt": [{"name": "note", "principal": PRINCIPAL, "maturity": MATURITY}]},
}


@pytest.fixture(scope="module")
def static():
    scn = sim.load(STATIC)
    r = sim.run(scn, paths=N, seed=4, block_size=4096)
    from sim.engine.sampling import draw_parameters

    cash = np.concatenate([
        draw_parameters(scn, 4, b, min(4096, N - lo))["company.cash"] for b, lo in enumerate(range(0, N, 4096))
    ])
    return r.summary, cash


def test_static_first_breach_by_step(static):
    s, cash = static
    p = np.asarray(s["p_first_breach_by_step"])
    assert p[0] == np.count_nonzero(cash < FLOOR) / N  # already below the floor at the first step
    assert p[5] == np.count_nonzero((cash >= FLOOR) & (cash < FLOOR + PRINCIPAL)) / N  # pushed below by the repayment
    assert p[[1, 2, 3, 4]].sum() == 0 and p[6:].sum() == 0
    assert s["p_cash_breach"]["count"] == np.count_nonzero(cash < FLOOR + PRINCIPAL)
    assert s["p_cash_breach_by_year"] == [p[:4].sum(), p[:8].sum(), p.sum()]
    assert p.sum() == pytest.approx(0.75, abs=4 * math.sqrt(0.75 * 0.25 / N))
    ci = np.asarray(s["p_first_breach_by_step_ci95"])
    assert ci[0].tolist() == list(wilson(np.count_nonzero(cash < FLOOR), N))
    assert ci[1].tolist() == [0.0, pytest.approx(wilson(0, N)[1])]


def test_static_cash_short_of_principal(static):
    s, cash = static
    (d,) = s["p_cash_below_principal_at_maturity"]
    assert d["name"] == "note" and d["maturity"] == MATURITY and d["principal"] == PRINCIPAL
    k = np.count_nonzero(cash < PRINCIPAL)
    assert d["count"] == k and d["estimate"] == k / N
    assert d["ci95"] == list(wilson(k, N))
    assert d["estimate"] == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / N))


def test_static_joint_probability_zero(static):
    """Margins are 0 every year, above the threshold of -2%: no compression, so no joint event."""
    s, _ = static
    assert s["p_profit_compression_any"] == 0
    assert s["p_breach_and_compression"] == 0 and s["p_breach_and_compression_ci95"][0] == 0
    assert s["p_cash_breach"]["estimate"] > 0.7


def test_static_min_cash_quantiles_and_tail(static):
    s, cash = static
    low = np.sort(cash - PRINCIPAL)  # every path's lowest cash: after the repayment
    for q, v in s["min_cash"]["quantiles"].items():
        assert v == pytest.approx(np.quantile(low, float(q)), abs=1e-6)
    take = math.ceil(0.05 * N)
    assert s["min_cash"]["expected_shortfall_5pct"] == pytest.approx(low[:take].mean(), abs=1e-6)
    assert s["min_cash"]["expected_shortfall_5pct"] == pytest.approx(-950, abs=10)  # uniform(-1000, 1000): mean of the worst 5%


def test_static_cfar_zero(static):
    """No cash flows: CFaR and EaR are 0 (to rounding)."""
    s, _ = static
    assert np.allclose(s["cfar95_by_year"], 0, atol=1e-6)
    assert np.allclose(s["ear95_by_year"], 0, atol=1e-6)


def test_static_first_breach_metric(static):
    s, cash = static
    fb = metrics.first_breach(s)
    assert fb["earliest_year"] == 2024
    assert fb["by_year"][0] == pytest.approx(np.count_nonzero(cash < FLOOR) / N)
    # breaches at step 1 (t = 2024.25) and step 6 (t = 2025.5); more than half at step 6
    assert fb["median_time"] == 2025.5
    share1 = np.count_nonzero(cash < FLOOR) / np.count_nonzero(cash < FLOOR + PRINCIPAL)
    assert fb["mean_time"] == pytest.approx(share1 * 2024.25 + (1 - share1) * 2025.5)


# --------------------------------------------------------------------------
# Against the reference implementation's paths
# --------------------------------------------------------------------------


def test_cfar_ear_joint_match_reference_paths():
    from sim.engine.reference import simulate_reference

    scn = sim.load("pinterest_aws_2031")
    n, seed, bs = 5_000, 11, 2_048
    s = sim.run(scn, paths=n, seed=seed, block_size=bs, quantiles="exact").summary
    ref = simulate_reference(scn, seed, n, bs)
    cfar = ref["fcf"].mean(axis=0) - np.quantile(ref["fcf"], 0.05, axis=0)
    ear = ref["net_income"].mean(axis=0) - np.quantile(ref["net_income"], 0.05, axis=0)
    np.testing.assert_allclose(s["cfar95_by_year"], cfar, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(s["ear95_by_year"], ear, rtol=1e-6, atol=1e-6)
    breach = ref["min_cash"] < scn.policy.cash_floor
    compressed = (ref["operating_margin"] < s["compression_threshold"]).any(axis=1)
    assert s["p_breach_and_compression"] == pytest.approx(np.mean(breach & compressed), abs=1.5 / n)
    assert s["p_profit_compression_any"] == pytest.approx(np.mean(compressed), abs=1.5 / n)
    k = round(s["p_breach_and_compression"] * n)
    assert s["p_breach_and_compression_ci95"] == list(wilson(k, n))


# --------------------------------------------------------------------------
# sim.present.metrics on synthetic summaries
# --------------------------------------------------------------------------

LEVELS = ["0.01", "0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99"]


def _q(values):
    return dict(zip(LEVELS, values))


def test_percentile_rank():
    q = _q([1, 5, 10, 25, 50, 75, 90, 95, 99])  # the identity: value v is the v-th percentile
    assert metrics.percentile_rank(50, q) == pytest.approx(0.5)
    assert metrics.percentile_rank(30, q) == pytest.approx(0.30)
    assert metrics.percentile_rank(0, q) == 0.01  # below P1
    assert metrics.percentile_rank(200, q) == 0.99  # above P99
    flat = _q([0, 0, 0, 0, 0, 0, 3, 5, 9])  # zero-inflated (a shortfall): 0 sits in the middle of P1..P75
    assert metrics.percentile_rank(0, flat) == pytest.approx(0.38)
    assert metrics.value_at(q, 0.3) == pytest.approx(30)
    assert metrics.value_at({"0.05": [1, 2], "0.95": [3, 6]}, 0.5).tolist() == [2, 4]


def test_usage_quantiles_recover_usage():
    """Usage quantiles rebuilt from quantiles of paid = max(u, m) and shortfall = max(m - u, 0) equal those of u."""
    rng = np.random.default_rng(0)
    m = np.array([100.0, 100.0, 0.0])
    u = rng.lognormal(np.log([95.0, 120.0, 80.0]), 0.2, size=(200_001, 3))
    paid = np.where(m > 0, np.maximum(u, m), u)
    short = np.maximum(m - u, 0.0)
    levels = [float(x) for x in LEVELS]

    def series(x):
        return {"mean": x.mean(axis=0).tolist(), "quantiles": {k: np.quantile(x, lv, axis=0).tolist() for k, lv in zip(LEVELS, levels)}}

    s = {
        "years": [2024, 2025, 2026],
        "by_year": {"cloud_cost": series(paid), "shortfall": series(short)},
        "commitment": {"minimums_by_year": m.tolist(), "shortfall": "annual"},
    }
    got = metrics.usage_quantiles(s)
    assert got["exact"]
    want = np.quantile(u, levels, axis=0)
    np.testing.assert_allclose(got["values"], want, rtol=1e-6)
    s["commitment"]["shortfall"] = "term"  # the settlement year cannot be separated: flagged
    s["by_year"]["shortfall"] = series(np.where(np.arange(3) == 1, short, 0.0))
    got = metrics.usage_quantiles(s)
    assert got["includes_shortfall"].tolist() == [False, True, False] and not got["exact"]


def test_bill_decomposition_adds_up():
    s = {
        "cloud_bill_by_year": {
            "base_year_bill": 100.0,
            "usage_at_base_prices": [110.0, 121.0],
            "at_current_prices": [108.0, 118.0],
            "after_silicon_savings": [100.0, 105.0],
            "after_discount": [90.0, 94.0],
            "shortfall": [5.0, 0.0],
            "minimums": [95.0, 95.0],
        }
    }
    d = metrics.bill_decomposition(s)
    assert d["components"]["usage growth"] == [10.0, 21.0]
    assert d["components"]["price"] == [-2.0, -3.0]
    assert d["components"]["silicon savings"] == [-8.0, -13.0]
    assert d["components"]["discount"] == [-10.0, -11.0]
    assert d["paid"] == [95.0, 94.0]
    assert d["base_total"] + sum(d["totals"].values()) == pytest.approx(d["paid_total"])
    assert metrics.bill_decomposition({}) is None


def test_worst_year_and_headline():
    r = sim.run("pinterest_aws_2031", paths=2_000, seed=2)
    s = r.summary
    w = metrics.worst_year(s, "p_profit_compression_by_year")
    assert w["estimate"] == max(s["p_profit_compression_by_year"])
    assert s["p_profit_compression_by_year"][w["index"]] == w["estimate"] and s["years"][w["index"]] == w["year"]
    assert w["ci95"] == s["p_profit_compression_by_year_ci95"][w["index"]]
    h = metrics.headline(r)
    assert h["breach"]["estimate"] == s["p_cash_breach"]["estimate"]
    assert h["first_breach"]["p_any"] == pytest.approx(s["p_cash_breach"]["estimate"])
    assert 0.01 <= h["central"]["min_cash"]["rank"] <= 0.99
    assert metrics.cfar([5.0, 7.0], [1.0, -2.0]) == [4.0, 9.0]
