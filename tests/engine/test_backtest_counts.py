"""[v2] Back-test scores in the engine (MODEL.md section 7, sim.engine.backtest).

PIT is (#below + 1/2 #equal) / n from exact per-block counts; actuals never
change any other number of a run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import merge
from scipy import stats

from sim.engine.backtest import brier, in_band, pit

BASE = {
    "scenario": {"name": "bt", "start": 2024, "years": 2, "steps_per_year": 2},
    "company": {"revenue": 100.0, "operating_costs": 80.0, "cash": 50.0, "tax_rate": 0.2},
    "policy": {"cash_floor": 0.0},
    "revenue": {"growth": {"dist": "normal", "mean": 0.05, "sd": 0.05}, "volatility": 0.2},
    "cloud": {"spend": 20, "commitment": {"total": 40, "years": 2}},
}
ACTUALS = [
    {"metric": "revenue", "year": 2024, "value": 104.0},
    {"metric": "net_income", "year": 2025, "value": 15.0},
    {"metric": "cash_end", "year": 2025, "value": 90.0},
    {"metric": "operating_margin", "year": 2024, "value": "19%"},
    {"metric": "shortfall", "year": 2024, "value": 0},
    {"event": "shortfall", "year": 2025, "happened": False},
    {"event": "cash_breach", "year": 2025, "happened": True},
]


def load(d):
    from sim.model import load_scenario

    return load_scenario(d)


def run(d, n=3_000, seed=3, **kw):
    from sim.engine.run import run_scenario

    return run_scenario(load(d), n, seed, block_size=700, **kw).summary


VOLATILE = ("runtime_seconds", "paths_per_second", "includes_jit_compilation", "config_hash", "backtest")


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_actuals_change_no_other_number(quantiles):
    plain = run(BASE, quantiles=quantiles)
    scored = run(merge(BASE, {"actuals": ACTUALS}), quantiles=quantiles)
    assert "backtest" not in plain and "backtest" in scored
    assert {k: v for k, v in plain.items() if k not in VOLATILE} == {k: v for k, v in scored.items() if k not in VOLATILE}


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_counts_equal_a_sort_of_the_paths(quantiles):
    """Exact whatever the quantile mode: the counts agree with the sorted per-path values."""
    from sim.engine.simulate import simulate_paths

    n, seed = 2_500, 9
    scn = load(merge(BASE, {"actuals": ACTUALS}))
    out = simulate_paths(scn, seed, n, 700)
    s = run(merge(BASE, {"actuals": ACTUALS}), n=n, seed=seed, quantiles=quantiles)
    rows = [r for r in s["backtest"]["actuals"] if r["kind"] == "value"]
    assert len(rows) == 5
    for r in rows:
        v = np.sort(out[r["name"]][:, r["year"] - 2024])
        below = int(np.searchsorted(v, r["value"], side="left"))
        equal = int(np.searchsorted(v, r["value"], side="right")) - below
        assert (r["below"], r["equal"]) == (below, equal), r
        assert r["pit"] == (below + equal / 2) / n
    # the shortfall actual of 0 ties with every path that pays none: half-ties matter here
    zero = next(r for r in rows if r["name"] == "shortfall")
    assert zero["equal"] > 0


def test_events_use_the_runs_probabilities():
    s = run(merge(BASE, {"actuals": ACTUALS}))
    ev = {r["name"]: r for r in s["backtest"]["actuals"] if r["kind"] == "event"}
    assert ev["shortfall"]["p"] == s["p_shortfall_by_year"][1]
    assert ev["cash_breach"]["p"] == s["p_cash_breach_by_year"][1]
    assert ev["cash_breach"]["brier"] == pytest.approx((ev["cash_breach"]["p"] - 1) ** 2, abs=0)
    assert s["backtest"]["mean_brier"] == pytest.approx((ev["shortfall"]["brier"] + ev["cash_breach"]["brier"]) / 2)


def test_pit_of_lognormal_revenue_is_phi_of_standardised_log():
    # one year, one step, no reversion: log Rev = log R0 + g - sigma^2/2 + sigma Z (tests/engine/test_closed_form.py)
    r0, g, sigma, n = 100.0, 0.05, 0.2, 40_000
    d = {
        "scenario": {"name": "ln", "start": 2024, "years": 1, "steps_per_year": 1},
        "company": {"revenue": r0, "operating_costs": 80.0, "cash": 50.0},
        "policy": {"cash_floor": 0.0},
        "revenue": {"growth": g, "volatility": sigma},
    }
    for actual in (88.0, 104.0, 131.0):
        s = run(merge(d, {"actuals": [{"metric": "revenue", "year": 2024, "value": actual}]}), n=n, seed=17)
        p = stats.norm.cdf((math.log(actual / r0) - (g - sigma**2 / 2)) / sigma)
        got = s["backtest"]["actuals"][0]["pit"]
        assert abs(got - p) <= 4 * math.sqrt(p * (1 - p) / n), (actual, got, p)


def test_deterministic_value_gives_pit_one_half():
    d = {
        "scenario": {"name": "det", "start": 2024, "years": 1, "steps_per_year": 1},
        "company": {"revenue": 100.0, "operating_costs": 80.0, "cash": 50.0},
        "policy": {"cash_floor": 0.0},
        "actuals": [{"metric": "revenue", "year": 2024, "value": 100.0}, {"metric": "cash_end", "year": 2024, "value": 70.0}],
    }
    s = run(d, n=500)
    for r in s["backtest"]["actuals"]:
        assert (r["below"], r["equal"], r["pit"]) == (0, 500, 0.5)
        assert r["in50"] and r["in90"]
    assert s["backtest"]["coverage50"] == 1.0 and s["backtest"]["mean_brier"] is None


def test_pit_band_and_brier_arithmetic():
    assert pit(3, 4, 10) == 0.5 and pit(0, 0, 7) == 0.0 and pit(7, 0, 7) == 1.0
    with pytest.raises(ValueError):
        pit(0, 0, 0)
    # boundaries belong to the bands
    assert in_band(0.25, "50") and in_band(0.75, "50") and not in_band(0.2499999, "50") and not in_band(0.7500001, "50")
    assert in_band(0.05, "90") and in_band(0.95, "90") and not in_band(0.0499999, "90") and not in_band(0.9500001, "90")
    assert brier(0.3, True) == pytest.approx(0.49) and brier(0.3, False) == pytest.approx(0.09)
    assert brier(1.0, True) == 0.0 and brier(0.0, True) == 1.0
