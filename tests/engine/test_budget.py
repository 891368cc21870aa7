"""Before a run (issue 15): memory that cannot fit and days-long runs are refused, exit 2; a non-finite result is named."""

from __future__ import annotations

import math

import pytest

from helpers import invoke
from sim.engine.budget import check_memory, duration_text, estimate_seconds, run_bytes
from sim.engine.finite import NonFiniteResult, non_finite_fields
from sim.engine.results import Result
from sim.model import ParameterError, load_scenario


def test_memory_refusal_names_what_to_change():
    check_memory(run_bytes(10, 2, 4, 100, 3, exact=True), 10, 100, memory=10**6)  # fits
    with pytest.raises(ParameterError) as err:
        check_memory(run_bytes(10**9, 2, 4, 100, 3, exact=False), 10, 100, memory=10**9)
    assert err.value.parameter == "block_size"
    with pytest.raises(ParameterError) as err:
        check_memory(run_bytes(10, 2, 4, 10**9, 30, exact=True), 10, 10**9, memory=10**9)
    assert err.value.parameter == "quantiles" and "sketch" in err.value.problem


@pytest.mark.parametrize("args, option", [
    (("--paths", "100000000", "--block-size", "100000000", "--set", "scenario.years=100"), "--block-size: "),
    (("--paths", "1000000000", "--quantiles", "exact", "--yes"), "--quantiles: "),
    (("--paths", "1000000000000",), "--paths: "),
])
def test_cli_refuses_before_running(monkeypatch, args, option):
    monkeypatch.setenv("SIM_MEMORY_BYTES", str(16 * 2**30))  # the same answer on any machine
    result = invoke("run", *args, "-q")
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(option), line
    if option == "--paths: ":
        assert "days on this machine" in line and "--yes" in line


def test_duration_estimate():
    scn = load_scenario("pinterest_aws_2031")
    assert estimate_seconds(scn, 2 * 10**9, cores=2) == pytest.approx(2e9 * 32 * 200e-9 / 2)
    assert duration_text(3 * 86400) == "3.0 days" and duration_text(30) == "30 seconds"


def test_non_finite_result_is_refused_naming_the_field():
    result = Result({"scenario": "x", "by_year": {"cash": {"mean": [1.0, math.nan]}}, "p": {"estimate": 0.5}}, None)
    with pytest.raises(NonFiniteResult, match=r"by_year\.cash\.mean\[1\] is nan"):
        result.to_json()
    assert list(non_finite_fields({"a": [1.0, {"b": -math.inf}]})) == [("a[1].b", -math.inf)]


def test_sweep_of_days_needs_yes(tmp_path):
    result = invoke("sweep", "--grid", "revenue.growth=0.01,0.02", "--paths", "1000000000000", "--out", tmp_path / "s", "-q")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("--paths: 2 cells of 1,000,000,000,000 paths would take about")
    assert not (tmp_path / "s").exists()  # refused before anything was written
