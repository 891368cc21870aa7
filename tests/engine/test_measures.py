"""The metric vocabulary (sim.engine.measures) and per-path values (sim.engine.per_path).

Every measure with both a per-path value and a place in the run's summary
gives the summary's number from the paths; names, errors and the engine's
per-path API (block order, copies of reused buffers) hold.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import TINY

import sim
from sim.engine import measures as M
from sim.engine import per_path as P
from sim.engine.simulate import simulate_paths
from sim.model import ParameterError

PATHS = 1_500
BLOCK = 512  # three blocks, the last one short


@pytest.fixture(scope="module")
def tiny():
    return sim.load(TINY)


@pytest.fixture(scope="module")
def run(tiny):
    return sim.run(tiny, PATHS, 3, block_size=BLOCK, quantiles="exact").summary


@pytest.fixture(scope="module")
def paths(tiny):
    return simulate_paths(tiny, 3, PATHS, BLOCK)


def every_measure(tiny):
    years = M.Frame.of(tiny).years
    names = [n for n in M.metric_names(by_year=False)]
    names += [f"{p}_{y}" for p in M.BY_YEAR for y in years]
    return [M.resolve_metric(n, tiny) for n in names]


def test_per_path_values_give_the_summary_numbers(tiny, run, paths):
    frame = M.Frame.of(tiny)
    checked = 0
    for m in every_measure(tiny):
        if m.per_path is None or m.summary_path is None or m.name in M.DEAL_IMPACT_METRICS:
            continue  # the deal-impact measures need a paired run: tests/engine/test_paired.py
        e = m.estimate(m.values(paths, frame))
        assert e.estimate == pytest.approx(m.from_summary(run), rel=1e-12, abs=1e-15), m.name
        if m.has_ci:
            assert e.ci95 == pytest.approx(m.ci95_from_summary(run), abs=1e-15), m.name
        checked += 1
    assert checked >= 30


def test_summary_only_and_path_only_measures(tiny, run, paths):
    es5 = M.resolve_metric("min_cash_es5")
    assert es5.from_summary(run) == run["min_cash"]["expected_shortfall_5pct"]
    assert es5.ci95_from_summary(run) is None
    with pytest.raises(ParameterError, match="^metric: min_cash_es5: has no per-path value$"):
        es5.values(paths, M.Frame.of(tiny))
    with pytest.raises(ParameterError, match=r"^metric: min_cash_es5: has no per-path value \(per-path metrics: p_cash"):
        M.resolve_metric("min_cash_es5", per_path=True)
    loss = M.resolve_metric("p_net_loss_any")
    assert loss.summary_key is None and "p_net_loss_any" not in M.metric_names(summary=True)
    with pytest.raises(ParameterError, match="does not hold it"):
        loss.from_summary(run)


def test_names_units_and_keys():
    names = M.metric_names()
    assert names[:4] == ["p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall", "p_breach_and_compression"]
    assert "min_cash_es5" not in M.metric_names(per_path=True)
    assert "p_cash_breach_by_YYYY" in names and "p_cash_breach_by_YYYY" not in M.metric_names(by_year=False)
    for m in M.MEASURES.values():
        assert m.unit in M.UNITS and m.label and m.short_label
        # the paired breach delta is a difference of probabilities ("share") with its paired interval
        assert (m.unit == "probability") == m.has_ci or m.name in ("p_net_loss_any", "p_cash_breach_delta")
    assert M.MEASURES["min_cash_median"].summary_key == "min_cash_p50"
    assert M.MEASURES["p_cash_breach"].short_label == "P(cash < floor)"
    assert M.MEASURES["min_cash_p05"].to_dict() == {"name": "min_cash_p05", "label": "Minimum cash, 5th percentile",
                                                    "unit": "money", "quantile": 0.05}
    with pytest.raises(ValueError, match="unit must be one of"):
        M.Measure("x", "x", "dollars")


def test_unknown_names_and_years_are_parameter_errors(tiny):
    with pytest.raises(ParameterError, match=r"^metric: p_cash: unknown metric \(known: p_cash_breach, ") as e:
        M.resolve_metric("p_cash", tiny)
    assert e.value.parameter == "metric"
    with pytest.raises(ParameterError, match="^metric: p_net_loss_2031: year 2031 is outside the horizon 2024-2026$"):
        M.resolve_metric("p_net_loss_2031", tiny)
    with pytest.raises(ParameterError, match="needs the scenario"):
        M.resolve_metric("fcf_mean_2024")
    m = M.resolve_metric("operating_margin_mean_2025", tiny)
    assert (m.unit, m.label, m.is_percent) == ("share", "Mean operating margin in 2025", True)


def test_path_values_are_the_paths_of_a_run_block_by_block(tiny, paths):
    seen = []

    def fn(o, f):
        seen.append(len(o["min_cash"]))
        return {"min_cash": o["min_cash"], "cash_2025": o["cash_end"][:, 1]}

    got = P.path_values(tiny, 3, PATHS, BLOCK, fn)
    assert seen == [512, 512, 476]
    np.testing.assert_array_equal(got["min_cash"], paths["min_cash"])  # copies: the buffer was reused
    np.testing.assert_array_equal(got["cash_2025"], paths["cash_end"][:, 1])
    m = M.resolve_metric("p_cash_breach")
    np.testing.assert_array_equal(P.measure_values(tiny, 3, PATHS, BLOCK, m), paths["first_breach_step"] > 0)
    draws = P.input_draws(tiny, 3, PATHS, BLOCK, ["revenue.growth"])["revenue.growth"]
    assert draws.shape == (PATHS,) and draws.std() == pytest.approx(0.10, rel=0.1)
