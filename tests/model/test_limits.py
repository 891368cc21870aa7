"""Range limits (issue 15): the campaign's extremes are one line and exit 2; values at the limits run finite."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
import tomli_w

from helpers import invoke
from sim.model import ConfigError, load_scenario
from sim.model.units import parse_money, parse_number

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BASE = tomllib.loads((CONFIGS / "pinterest_aws_2031.toml").read_text())


def with_values(values: dict) -> dict:
    cfg = json.loads(json.dumps(BASE))  # a deep copy
    for key, value in values.items():
        node = cfg
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return cfg


def write(tmp_path: Path, cfg: dict) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(cfg), encoding="utf-8")
    return path


@pytest.mark.parametrize("values, key, words", [
    ({"revenue.volatility": 50}, "revenue.volatility", "must be <= 5"),
    ({"revenue.growth": 1e6}, "revenue.growth", "between -2 and 2"),
    ({"revenue.shocks": [{"name": "s", "rate": 1e12, "change": -0.1}]}, "revenue.shocks.s.rate", "<= 100"),
    ({"scenario.years": 100000}, "scenario.years", "between 1 and 100"),
    ({"company.cash": 10**400}, "company.cash", "at most 1e12"),
    ({"scenario.start": 10**400}, "scenario.start", "integer of 401 digits"),
    ({"company.cash": "1e9999999B"}, "company.cash", "(got 1e9999999B)"),
    ({"regulatory.fines": [{"name": "f", "rate": 0.1, "size": 0.01, "lag_years": 1e300}]}, "regulatory.fines.f.lag_years", "at most 1e12"),
    ({"company.cash": "١٢٣"}, "company.cash", "malformed money"),
    ({"company.cash": "１２３"}, "company.cash", "malformed money"),
    ({"revenue.growth": "٠.٠٥"}, "revenue.growth", "expected a number"),
    ({"scenario.name": "a\x1b[31mred"}, "scenario.name", "control character '\\x1b'"),
    ({"scenario.description": "x\u202ey"}, "scenario.description", "control character"),
    ({"scenario.years": 100, "revenue.volatility": 5}, "revenue.volatility", "compound by up to e^"),
    ({"revenue.mean_reversion": 8, "scenario.steps_per_year": 4}, "revenue.mean_reversion", "steps_per_year"),
    ({"company.revenue": {"dist": "lognormal", "median": 3000, "sigma": 5}}, "company.revenue", "between 0 and 1000000000000"),
])
def test_extremes_are_one_line(tmp_path, values, key, words):
    result = invoke("validate", write(tmp_path, with_values(values)))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "\x1b" not in line
    assert f": {key}: " in line and words in line, line


def test_actuals_source_rejects_control_characters():
    cfg = with_values({"actuals": [{"metric": "revenue", "year": 2025, "value": 3000, "source": "bad\x07bell"}]})
    with pytest.raises(ConfigError, match="source: control character"):
        load_scenario(cfg)


def test_error_lines_escape_control_characters_in_keys():
    cfg = with_values({"company.\x1b[2Jwipe": 1})
    with pytest.raises(ConfigError) as err:
        load_scenario(cfg)
    assert "\x1b" not in str(err.value) and "\\x1b[2Jwipe" in str(err.value)


@pytest.mark.parametrize("values", [
    {"scenario.years": 100, "scenario.steps_per_year": 1, "revenue.growth": 2, "revenue.volatility": 0.1},
    {"scenario.years": 100, "scenario.steps_per_year": 1, "revenue.growth": -2, "cash_flow.interest_rate": 2.9},
    {"scenario.years": 2, "revenue.volatility": 5, "revenue.growth_volatility": 5, "revenue.mean_reversion": 4,
     "revenue.shocks": [{"name": "s", "rate": 100, "change": 0.5}]},
    {"company.revenue": 1e12, "company.operating_costs": 1e12, "company.cash": -1e12, "policy.cash_floor": 1e12},
])
def test_values_at_the_limits_run_to_finite_numbers(tmp_path, values):
    result = invoke("run", write(tmp_path, with_values(values)), "--paths", "200", "--block-size", "100", "-q", "--json", "-")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the summary"))
    assert math.isfinite(summary["p_cash_breach"]["estimate"])


def test_numbers_are_ascii_and_bounded():
    assert parse_money("3.4B") == 3400.0 and parse_number("-5%") == -0.05
    for text in ("٣", "３.４B", "1" * 41):
        with pytest.raises(ValueError):
            parse_money(text)
    for text in ("1e9999999", "-1e9999999", "-1e9999999%"):
        with pytest.raises(ValueError, match="at most 1e12"):
            parse_number(text)
    with pytest.raises(ValueError, match="at most 1e12"):
        parse_money("-1e9999999")
    assert parse_number("1e-9999999") == 0.0
    with pytest.raises(ValueError, match="at most 1e12"):
        parse_money(-(10**400))


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (CONFIGS / "pinterest_aws_2031.toml").read_bytes())
    assert load_scenario(path) == load_scenario(CONFIGS / "pinterest_aws_2031.toml")


def test_deep_set_value_is_one_line():
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_scenario("pinterest_aws_2031", ["revenue.growth=" + "[" * 100_000 + "]" * 100_000])
