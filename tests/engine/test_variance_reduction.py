"""Variance reduction and precision control against closed-form answers.

The test model: one year, one step, no costs, no tax. Revenue R_1 = R_0 exp(g - s^2/2 + s Z)
with g ~ N(mu_g, sd_g) drawn per path and Z the step's revenue normal, so
log R_1 ~ N(log R_0 + mu_g - s^2/2, sd_g^2 + s^2), cash_1 = cash_0 + R_1 (operating
income is the whole revenue), min cash = cash_1, and

    P(cash_1 < floor) = Phi((log(floor - cash_0) - m) / v),   E[min cash] = cash_0 + R_0 exp(mu_g + sd_g^2 / 2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

import sim

R0, CASH0, MU_G, SD_G, S = 100.0, 50.0, 0.05, 0.10, 0.20
M = math.log(R0) + MU_G - S * S / 2
V = math.sqrt(SD_G**2 + S**2)


def model(floor: float, volatility: float = S) -> dict:
    return {
        "scenario": {"start": 2026, "years": 1, "steps_per_year": 1},
        "company": {"revenue": R0, "operating_costs": 0, "cash": CASH0},
        "policy": {"cash_floor": floor},
        "revenue": {"growth": {"dist": "normal", "mean": MU_G, "sd": SD_G}, "volatility": volatility},
    }


def p_breach(floor: float) -> float:
    return float(norm.cdf((math.log(floor - CASH0) - M) / V))


MEAN_MIN_CASH = CASH0 + R0 * math.exp(MU_G + SD_G**2 / 2)


@pytest.mark.parametrize("sampling", ["random", "antithetic", "sobol", "lhs"])
def test_each_sampling_design_is_unbiased(sampling):
    floor = CASH0 + 90.0  # P about 0.26
    n = 65_536
    s = sim.run(model(floor), paths=n, seed=3, sampling=sampling).summary
    p = p_breach(floor)
    # 4 binomial standard errors: the designs only reduce the variance
    assert s["p_cash_breach"]["estimate"] == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))
    sd_r1 = math.sqrt((math.exp(V * V) - 1) * math.exp(2 * M + V * V))  # lognormal standard deviation
    assert s["min_cash"]["mean"] == pytest.approx(MEAN_MIN_CASH, abs=4 * sd_r1 / math.sqrt(n))


def replicate_means(sampling: str, volatility: float, seeds=range(12), n=4_096) -> np.ndarray:
    return np.array([sim.run(model(CASH0 + 90.0, volatility), paths=n, seed=s, sampling=sampling).summary["min_cash"]["mean"] for s in seeds])


@pytest.mark.parametrize("sampling, volatility", [("antithetic", S), ("sobol", 0.0), ("lhs", 0.0)])
def test_designs_reduce_the_variance_of_the_mean(sampling, volatility):
    # Sobol and LHS stratify the per-path parameters only, so they show where the
    # parameters carry the variance (no step volatility); antithetic pairs the
    # step normals too. Fixed seeds: deterministic; the reductions are large
    # (R_1 is nearly linear in the scores), the bound generous.
    assert replicate_means(sampling, volatility).var() < replicate_means("random", volatility).var() / 3


def test_antithetic_pairs_mirror_the_step_normals():
    raw = model(0.0)
    raw["revenue"]["growth"] = MU_G  # only the step normal varies
    from sim.engine.simulate import Method, Simulation

    run = Simulation(sim.load(raw), 0, 8, True, "exact", 8, 1, None, Method("antithetic"))
    run.advance([8])
    rev = run.store.sorted()[2]  # each series sorted; columns: min cash, then cash_end, revenue, ... (Y = 1)
    # pairs (Z, -Z): the product of each mirrored pair is (R0 exp(g - s^2/2))^2, so sorted values pair up
    centre = R0 * math.exp(MU_G - S * S / 2)
    np.testing.assert_allclose(rev * rev[::-1], centre**2, rtol=1e-12)


def test_importance_sampling_is_unbiased_and_sharper_for_rare_breaches():
    floor = CASH0 + math.exp(M - 3.6 * V)  # P = Phi(-3.6), about 1.6e-4
    p = p_breach(floor)
    n = 32_768
    s = sim.run(model(floor), paths=n, seed=5, rare_event=True).summary
    est, se = s["p_cash_breach"]["estimate"], s["p_cash_breach"]["se"]
    assert est == pytest.approx(p, abs=4 * se)
    plain_se = math.sqrt(p * (1 - p) / n)
    assert se < plain_se / 5  # plain Monte Carlo would need 25x the paths for this interval
    assert s["importance_sampling"]["effective_sample_size"] > 0


def test_precision_control_stops_at_the_same_point_whatever_the_threads():
    runs = [sim.run(model(CASH0 + 90.0), paths=1_000, seed=1, block_size=250, precision="0.01", threads=t) for t in (1, 3)]
    a, b = (r.summary for r in runs)
    assert a["precision"]["reached"] and a["paths"] == b["paths"]
    assert a["p_cash_breach"] == b["p_cash_breach"]
    assert a["precision"]["convergence"] == b["precision"]["convergence"]
    half = (a["p_cash_breach"]["ci95"][1] - a["p_cash_breach"]["ci95"][0]) / 2
    assert half <= 0.01
    # first checked once the first 1,000 paths (4 blocks) are done, then after every block
    checked = [c["paths"] for c in a["precision"]["convergence"]]
    assert len(checked) > 2 and checked == list(range(1_000, a["paths"] + 1, 250))
    # one block earlier was not yet precise enough
    assert a["precision"]["convergence"][-2]["half_width"] > 0.01
    # and its numbers are those of a plain run of the same size
    plain = sim.run(model(CASH0 + 90.0), paths=a["paths"], seed=1, block_size=250).summary
    assert plain["p_cash_breach"] == a["p_cash_breach"]


def test_relative_precision_and_the_path_cap():
    s = sim.run(model(CASH0 + 90.0), paths=1_000, seed=1, block_size=1_000, precision="1%", max_paths=8_000).summary
    assert not s["precision"]["reached"]
    assert s["paths"] == 8_000
    assert "max_paths=8,000" in s["precision"]["reason"]


@pytest.mark.parametrize("sampling", ["antithetic", "sobol", "lhs"])
def test_designs_keep_thread_invariance(sampling):
    runs = [sim.run("pinterest_aws_2031", paths=3_000, seed=2, block_size=512, sampling=sampling, threads=t).summary for t in (1, 2)]
    for key in ("p_cash_breach", "min_cash", "by_year"):
        assert runs[0][key] == runs[1][key]


def test_importance_sampling_keeps_thread_invariance():
    floor = CASH0 + math.exp(M - 3.0 * V)
    runs = [sim.run(model(floor), paths=4_000, seed=2, block_size=512, rare_event=True, threads=t).summary for t in (1, 2)]
    assert runs[0]["p_cash_breach"] == runs[1]["p_cash_breach"]
    assert runs[0]["importance_sampling"] == runs[1]["importance_sampling"]


def test_precision_goal_and_its_errors():
    from sim.engine.measures import MEASURES
    from sim.engine.precision import METRICS, PrecisionGoal, parse_precision_goal
    from sim.model import ParameterError

    assert all(MEASURES[m].unit == "probability" and MEASURES[m].has_ci for m in METRICS)

    assert parse_precision_goal("5%") == PrecisionGoal(0.05, relative=True)
    assert parse_precision_goal(" 0.002 ", "p_commitment_shortfall") == PrecisionGoal(0.002, False, "p_commitment_shortfall")
    for args, parameter, fragment in [(("abc",), "precision", "expected a number"), (("-1",), "precision", "must be positive"),
                                      (("0.01", "p_x"), "precision_metric", "unknown precision metric 'p_x'")]:
        with pytest.raises(ParameterError, match=fragment) as e:
            parse_precision_goal(*args)
        assert e.value.parameter == parameter
    with pytest.raises(ParameterError, match="^precision: 'abc'"):  # from sim.run too, before anything runs
        sim.run(model(CASH0), paths=100, precision="abc")
