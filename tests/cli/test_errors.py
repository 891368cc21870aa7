"""The group maps library errors in one place: ParameterError names an option, ConfigError its file.

The library speaks Python (``ParameterError("max_paths", ...)``); the command
line shows the option (``--max-paths: ...``), exit code 2, one line, no
traceback, even with SIM_DEBUG set (bad input is not a bug).
"""

from __future__ import annotations

import pytest
from helpers import invoke

import sim.api
from sim.cli.common import option_name
from sim.model import ConfigError, ParameterError


def raising(error: Exception):
    def run(*args, **kwargs):
        raise error

    return run


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "SIM_DEBUG"])
@pytest.mark.parametrize(
    "error, line",
    [
        (ParameterError("max_paths", "must be at least 1"), "--max-paths: must be at least 1"),
        (ParameterError("precision_metric", "unknown metric 'x'"), "--precision-metric: unknown metric 'x'"),
        (ParameterError("overrides", "expected KEY=VALUE"), "--set: expected KEY=VALUE"),  # the option's name, not the parameter's
        (ConfigError("deal.toml", "cloud.spend", "must be >= 0 (got -1)"), "deal.toml: cloud.spend: must be >= 0 (got -1)"),
    ],
    ids=["parameter", "parameter_with_underscore", "parameter_of_another_name", "config"],
)
def test_library_input_errors_are_one_line_exit_2(monkeypatch, error, line, debug):
    monkeypatch.setattr(sim.api, "run", raising(error))
    if debug:
        monkeypatch.setenv("SIM_DEBUG", "1")
    else:
        monkeypatch.delenv("SIM_DEBUG", raising=False)
    result = invoke("run", "--paths", "100", "--quiet")
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_other_value_errors_are_internal_errors(monkeypatch):
    monkeypatch.setattr(sim.api, "run", raising(ValueError("boom")))
    monkeypatch.delenv("SIM_DEBUG", raising=False)
    result = invoke("run", "--paths", "100", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: ValueError: boom (set SIM_DEBUG=1 for a traceback)"]


def test_option_name():
    from sim.cli import cli

    assert option_name("paths") == "--paths"
    assert option_name("block_size") == "--block-size"
    run, sweep = cli.commands["run"], cli.commands["sweep"]
    assert option_name("json_out", run) == "--json"
    assert option_name("out_dir", sweep) == "--out"
    assert option_name("grids", sweep) == "--grid"
    assert option_name("max_paths", run) == "--max-paths"
    assert option_name("no_such_parameter", run) == "--no-such-parameter"


@pytest.mark.parametrize(
    "args, line",
    [
        (["run", "--precision", "0"], "--precision: must be positive"),
        (["run", "--precision", "abc"], "--precision: 'abc': expected a number like 0.002 or a percentage like 5%"),
        (["solve", "--vary", "cloud.commitment.total", "--between", "8B:2B", "--target", "p_cash_breach<=0.05"],
         "--between: cloud.commitment.total: range 8B:2B has lo > hi"),
        (["sweep", "--lhs", "3", "--out", "{tmp}/s"], "--lhs: needs at least one --range KEY=LO:HI"),
        (["sweep", "--range", "revenue.growth.mean=0:0.1", "--out", "{tmp}/s"],
         "--range: revenue.growth.mean: a range needs --lhs N (the number of samples)"),
        (["sensitivity", "--sobol", "3"], "--sobol: 3: must be a power of two, at least 2 (e.g. 64, 128, 256)"),
    ],
    ids=["precision", "precision_text", "solve_between", "lhs_without_range", "range_without_lhs", "sobol"],
)
def test_bad_options_found_by_the_library_or_the_command(tmp_path, args, line):
    """Before anything runs: one line naming the option, exit code 2."""
    result = invoke(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert result.stderr.splitlines() == [line]
    assert not (tmp_path / "s").exists()
