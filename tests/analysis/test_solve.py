"""``sim solve`` (sim.analysis.solve): bisection on common random numbers, the Monte Carlo band, the command.

The hand-checkable cases are deterministic one-year companies (money in USD
millions, one step a year, no tax, floor 0):

* revenue 100, operating costs 80 of which a cloud bill of 20, cash 50 and a
  one-year commitment T.  The bill is 20, so the shortfall is max(0, T - 20)
  and year-end cash is 50 + (100 - 80) - max(0, T - 20) = 70 - max(0, T - 20).
  Cash falls below the floor exactly when T > 90: P(breach) is 0 up to 90 and
  1 beyond, on every path.
* the same with T = 50 and opening cash C: cash 0 + C + 20 - 30 = C - 10, so
  the smallest C without a breach is 10.
* a bond of 100 due mid-year and repaid in cash with probability q, with cash
  50 and zero profit: a path breaches exactly when it repays, so P(breach) = q
  and the estimate counts the paths' uniforms below q (monotone in q).
"""

from __future__ import annotations

import json
import math

import pytest
from helpers import invoke

from sim.model import ConfigError, ParameterError
from sim.analysis.solve import solve
from sim.analysis.sweep import parse_target

COMMITMENT = {
    "scenario": {"name": "solve-commitment", "start": 2024, "years": 1, "steps_per_year": 1},
    "company": {"revenue": 100.0, "operating_costs": 80.0, "cash": 50.0},
    "policy": {"cash_floor": 0.0},
    "cloud": {"spend": 20.0, "commitment": {"total": 50.0, "years": 1}},
}
BOND = {
    "scenario": {"name": "solve-bond", "start": 2024, "years": 1, "steps_per_year": 1},
    "company": {"revenue": 100.0, "operating_costs": 100.0, "cash": 50.0},
    "policy": {"cash_floor": 0.0},
    "cash_flow": {"debt": [{"name": "bond", "principal": 100.0, "maturity": 2024.5, "cash_repayment_probability": 0.5}]},
}
FAST = dict(paths=500, block_size=250)


def _write(tmp_path, raw, name="deal.toml"):
    from sim.model import load_scenario, scenario_to_toml

    path = tmp_path / name
    path.write_text(scenario_to_toml(load_scenario(raw)), encoding="utf-8")
    return path


def test_largest_commitment_by_hand():
    s = solve(COMMITMENT, "cloud.commitment.total", 0.0, 200.0, parse_target("p_cash_breach<=0.05"), tol=0.01, **FAST)
    assert s.status == "found"
    lo, hi = s.bracket
    assert lo == s.answer and lo <= 90.0 < hi and hi - lo <= 0.01
    assert s.at_answer.row["p_cash_breach"] == 0.0
    # P is 0 or 1 with tight intervals on either side: the band is the jump itself
    assert s.band[0] <= 90.0 + 0.01 and s.band[1] >= 90.0 - 0.01 and s.band[1] - s.band[0] <= 0.02
    # every evaluation agrees with the hand formula
    for e in s.evaluations:
        assert e.row["p_cash_breach"] == (1.0 if e.value > 90.0 else 0.0)
    assert s.to_dict()["answer"] == s.answer
    assert "largest Commitment: total (cloud.commitment.total)" in str(s)
    assert f"bracket ${lo:.3f}M .. ${hi:.3f}M" in str(s) and f"${lo:.3f}M" != f"${hi:.3f}M"
    assert "P(cash < floor) = 0%" in str(s)


def test_smallest_cash_by_hand():
    s = solve(COMMITMENT, "company.cash", 0.0, 100.0, parse_target("p_cash_breach<=0.05"), largest=False, tol=0.01, **FAST)
    assert s.status == "found"
    meets, fails = s.bracket
    assert fails < 10.0 <= meets and meets - fails <= 0.01 and s.answer == meets


def test_all_and_none():
    target = parse_target("p_cash_breach<=0.05")
    s = solve(COMMITMENT, "cloud.commitment.total", 0.0, 80.0, target, **FAST)
    assert s.status == "all" and s.answer == 80.0 and len(s.evaluations) == 2
    s = solve(COMMITMENT, "cloud.commitment.total", 100.0, 200.0, target, **FAST)
    assert s.status == "none" and s.answer is None
    assert "no Commitment: total (cloud.commitment.total)" in str(s)


def test_monte_carlo_band_on_a_bernoulli():
    """P(breach) = q: the answer is near 0.3 and the band is about +-1.96 SE wide around it."""
    n = 4000
    s = solve(BOND, "cash_flow.debt.bond.cash_repayment_probability", 0.0, 1.0, parse_target("p_cash_breach<=0.3"), tol=1e-4, paths=n, block_size=1000)
    assert s.status == "found"
    at = s.at_answer.row
    assert at["p_cash_breach"] <= 0.3
    half = 1.96 * math.sqrt(0.3 * 0.7 / n)
    assert abs(s.answer - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)
    lo, hi = s.band
    assert lo <= s.answer <= hi
    assert lo < 0.3 < hi
    assert 2 * half * 0.7 < hi - lo < 2 * half * 1.3
    # inside the band the interval holds 0.3; just outside it does not
    for e in s.evaluations:
        inside = e.row["p_cash_breach_lo"] <= 0.3 <= e.row["p_cash_breach_hi"]
        if e.value < lo - 2e-4 or e.value > hi + 2e-4:
            assert not inside, e


def test_integer_search_and_errors():
    # T = 50: year-end cash 50 + 20 - 30 = 40, so the largest floor without a breach is 40
    target = parse_target("p_cash_breach<=0.05")
    s = solve(COMMITMENT, "policy.cash_floor", 0, 100, target, tol=0.3, **FAST)  # money is a float key
    assert s.tolerance == 0.3 and s.bracket[0] <= 40.0 < s.bracket[1]
    s = solve(COMMITMENT, "policy.cash_floor", 0, 100, target, integer=True, **FAST)
    assert s.answer == 40.0 and s.bracket == (40.0, 41.0)
    with pytest.raises(ParameterError, match="^vary: nope"):
        solve(COMMITMENT, "nope.key", 0.0, 1.0, target, **FAST)
    with pytest.raises(ParameterError, match="^vary: cash_flow.debt.bond.cash_repayment_probability: must be between 0 and 1"):
        solve(BOND, "cash_flow.debt.bond.cash_repayment_probability", 0.0, 2.0, target, **FAST)
    with pytest.raises(ParameterError, match="^lo: must not exceed hi"):
        solve(COMMITMENT, "policy.cash_floor", 2.0, 1.0, target, **FAST)
    with pytest.raises(ConfigError):  # a broken base config is the config's own error
        solve({**COMMITMENT, "policy": {"cash_floor": "lots"}}, "policy.cash_floor", 0.0, 1.0, target, **FAST)


def test_folder_reuses_runs(tmp_path, monkeypatch):
    import sim.engine.simulate

    calls = []
    real = sim.engine.simulate.run_blocks
    monkeypatch.setattr(sim.engine.simulate, "run_blocks", lambda *a, **k: calls.append(1) or real(*a, **k))
    target = parse_target("p_cash_breach<=0.05")
    first = solve(COMMITMENT, "cloud.commitment.total", 0.0, 200.0, target, tol=1.0, folder=tmp_path, **FAST)
    assert len(calls) == len(first.evaluations) > 2
    calls.clear()
    second = solve(COMMITMENT, "cloud.commitment.total", 0.0, 200.0, target, tol=1.0, folder=tmp_path, **FAST)
    assert calls == [] and second.to_dict() == first.to_dict()


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------




def one_line(result, code, *fragments):
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def test_cli_solve_json_and_text(tmp_path):
    deal = _write(tmp_path, COMMITMENT)
    args = [deal, "--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_cash_breach<=5%", "--tol", "0.05", "--paths", "300"]
    res = invoke("solve", *args, "--json", "-", "-q")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["status"] == "found" and 90 - 0.05 <= out["answer"] <= 90 and out["direction"] == "largest"
    assert out["target"] == "p_cash_breach<=0.05" and out["evaluations"]
    res = invoke("solve", *args, "--out", tmp_path / "s")
    assert res.exit_code == 0 and "largest Commitment: total (cloud.commitment.total)" in res.stdout
    assert "with P(cash < floor) <= 5.00%: $90M" in res.stdout and "Monte Carlo band" in res.stdout
    assert json.loads((tmp_path / "s" / "solve.json").read_text())["answer"] == out["answer"]


def test_cli_solve_none_is_exit_1(tmp_path):
    deal = _write(tmp_path, COMMITMENT)
    res = invoke("solve", deal, "--vary", "cloud.commitment.total", "--between", "100:200", "--target", "p_cash_breach<=0.05", "--paths", "100", "-q")
    one_line(res, 1, "no cloud.commitment.total in 100:200 meets p_cash_breach<=0.05")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--vary", "cloud.commitment.totl", "--between", "0:200", "--target", "p_cash_breach<=0.05"], ["--vary: cloud.commitment.totl", "unknown key"]),
        (["--vary", "cloud.commitment.total", "--between", "200:0", "--target", "p_cash_breach<=0.05"], ["--between: cloud.commitment.total", "lo > hi"]),
        (["--vary", "cloud.commitment.total", "--between", "0-200", "--target", "p_cash_breach<=0.05"], ["--between", "expected LO:HI"]),
        (["--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_cash_breach=0.05"], ["--target: cannot read"]),
        (["--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_breach<=0.05"], ["--target: unknown metric 'p_breach'"]),
        (["--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_cash_breach<=lots"], ["--target", "expected a number"]),
        (["--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_cash_breach<=0.05", "--tol", "-1"], ["--tol: must be positive"]),
        (["--vary", "cloud.commitment.total", "--between", "0:200", "--target", "p_cash_breach<=0.05", "--scheduler", "tcp://127.0.0.1:1", "--executor", "local"], ["--scheduler: needs --executor dask"]),
    ],
)
def test_cli_solve_bad_input(tmp_path, args, fragments):
    deal = _write(tmp_path, COMMITMENT)
    one_line(invoke("solve", deal, *args, "--paths", "100"), 2, *fragments)
