"""[v2] ``[[actuals]]``: parsing, errors, round trips, and that actuals change nothing else."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from helpers import TINY, merge

from sim.model import (
    ConfigError,
    describe_scenario,
    load_scenario,
    scenario_hash,
    scenario_to_dict,
    scenario_to_toml,
    uncertain_parameters,
    warnings,
)

ROOT = Path(__file__).resolve().parents[2]
BACKTESTS = ["snap_2017_cloud", "pinterest_2017_aws", "lyft_2019_aws"]

# TINY runs 2024-2026.
ACTUALS = [
    {"metric": "revenue", "year": 2024, "value": "1.05B", "source": "10-K FY2024"},
    {"metric": "net_income", "year": 2024, "value": "-35.6M"},
    {"metric": "fcf", "year": 2025, "value": -12.5, "note": "restated"},
    {"metric": "cash_end", "year": 2026, "value": "$310M"},
    {"metric": "cloud_cost", "year": 2025, "value": 104},
    {"metric": "operating_margin", "year": 2026, "value": "4.5%"},
    {"metric": "shortfall", "year": 2026, "value": 0},
    {"event": "cash_breach", "year": 2026, "happened": False},
    {"event": "shortfall", "year": 2024, "happened": True},
]


def with_actuals(actuals) -> dict:
    return merge(TINY, {"actuals": actuals})


def error(raw) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(raw)
    return str(info.value)


def test_entries_parse_with_units():
    scn = load_scenario(with_actuals(ACTUALS))
    got = [(a.kind, a.name, a.year, a.value, a.happened) for a in scn.actuals]
    assert got == [
        ("value", "revenue", 2024, 1050.0, None),
        ("value", "net_income", 2024, -35.6, None),
        ("value", "fcf", 2025, -12.5, None),
        ("value", "cash_end", 2026, 310.0, None),
        ("value", "cloud_cost", 2025, 104.0, None),
        ("value", "operating_margin", 2026, 0.045, None),
        ("value", "shortfall", 2026, 0.0, None),
        ("event", "cash_breach", 2026, None, False),
        ("event", "shortfall", 2024, None, True),
    ]
    assert scn.actuals[0].source == "10-K FY2024" and scn.actuals[2].note == "restated"
    assert scn.actuals[1].source == "" and scn.actuals[1].metric == "net_income" and scn.actuals[1].event is None


def test_round_trip_dict_and_toml():
    scn = load_scenario(with_actuals(ACTUALS))
    plain = scenario_to_dict(scn)
    assert plain["actuals"][0] == {"metric": "revenue", "year": 2024, "value": 1050.0, "source": "10-K FY2024"}
    assert plain["actuals"][7] == {"event": "cash_breach", "year": 2026, "happened": False}
    assert load_scenario(plain) == scn
    text = scenario_to_toml(scn)
    assert text.count("[[actuals]]") == len(ACTUALS)
    again = load_scenario(tomllib.loads(text))
    assert again == scn and scenario_hash(again) == scenario_hash(scn)
    # a Scenario re-validated with an override keeps its actuals
    assert load_scenario(scn, ["cloud.spend=110"]).actuals == scn.actuals


def test_no_actuals_writes_nothing():
    plain = scenario_to_dict(load_scenario(TINY))
    assert "actuals" not in plain
    assert scenario_hash(load_scenario(with_actuals([]))) == scenario_hash(load_scenario(TINY))


def test_actuals_change_nothing_else():
    bare, scored = load_scenario(TINY), load_scenario(with_actuals(ACTUALS))
    assert scored.model_copy(update={"actuals": ()}) == bare
    assert scenario_hash(scored) != scenario_hash(bare)  # the hash may include them
    assert uncertain_parameters(scored) == uncertain_parameters(bare)


def test_compile_inputs_and_draws_unchanged():
    from sim.engine.kernel.compile import compile_model
    from sim.engine.sampling import draw_parameters

    bare, scored = load_scenario(TINY), load_scenario(with_actuals(ACTUALS))
    (m1, _, fy1), (m2, _, fy2) = compile_model(bare), compile_model(scored)
    assert m1._fields == m2._fields
    for name, a, b in zip(m1._fields, m1, m2):
        assert np.array_equal(np.asarray(a), np.asarray(b)), name
    assert np.array_equal(fy1, fy2)
    d1, d2 = draw_parameters(bare, 7, 0, 64), draw_parameters(scored, 7, 0, 64)
    assert list(d1) == list(d2)
    for key in d1:
        assert np.array_equal(d1[key], d2[key]), key


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ({"metric": "revnue", "year": 2024, "value": 1}, "entry 1 (revnue 2024): unknown metric 'revnue' (did you mean 'revenue'?)"),
        ({"metric": "ebitda", "year": 2024, "value": 1}, "unknown metric 'ebitda' (known: revenue, net_income, fcf"),
        ({"event": "default", "year": 2024, "happened": True}, "entry 1 (default 2024): unknown event 'default' (known: cash_breach, shortfall)"),
        ({"metric": "revenue", "year": 2027, "value": 1}, "entry 1 (revenue 2027): year 2027 is outside the horizon 2024-2026"),
        ({"event": "cash_breach", "year": 2023, "happened": True}, "entry 1 (cash_breach 2023): year 2023 is outside the horizon 2024-2026"),
        ({"metric": "revenue", "year": 2024, "value": "lots"}, "entry 1 (revenue 2024): value: malformed money 'lots'"),
        ({"metric": "operating_margin", "year": 2024, "value": "abc"}, "value: expected a number, got 'abc'"),
        ({"metric": "fcf", "year": 2024, "value": True}, "value: expected money, got true"),
        ({"metric": "revenue", "year": 2024, "value": 1, "happened": True}, "give value (for a metric) or happened (for an event), not both"),
        ({"event": "shortfall", "year": 2024, "value": 3, "happened": True}, "not both"),
        ({"metric": "revenue", "year": 2024}, "entry 1 (revenue 2024): value: required for a metric"),
        ({"event": "shortfall", "year": 2024}, "happened: required for an event"),
        ({"event": "shortfall", "year": 2024, "value": 3}, "value is for metrics"),
        ({"year": 2024, "value": 3}, "entry 1 (2024): needs metric (with value) or event (with happened)"),
        ({"metric": "revenue", "event": "shortfall", "year": 2024, "value": 1}, "give metric (with value) or event (with happened), not both"),
        ({"metric": "revenue", "value": 1}, "entry 1 (revenue): year: required key missing"),
        ({"metric": "revenue", "year": 2024.5, "value": 1}, "year: expected an integer, got 2024.5"),
        ({"event": "shortfall", "year": 2024, "happened": "yes"}, "happened: expected true or false, got 'yes'"),
        ({"metric": "revenue", "year": 2024, "value": -5}, "value: revenue cannot be negative (got -5)"),
        ({"metric": "revenue", "year": 2024, "valu": 5}, "unknown key 'valu' (did you mean 'value'?)"),
        ({"metric": "revenue", "year": 2024, "value": 5, "source": 3}, "source: expected a string, got 3"),
    ],
)
def test_bad_entry_is_one_line_naming_it(entry, fragment):
    message = error(with_actuals([entry]))
    assert message.startswith("<dict>: actuals: entry 1"), message
    assert fragment in message, message
    assert "\n" not in message


def test_error_names_the_right_entry():
    entries = ACTUALS + [{"metric": "fcf", "year": 2031, "value": 1}]
    assert error(with_actuals(entries)).startswith(f"<dict>: actuals: entry {len(entries)} (fcf 2031): year 2031 is outside")
    twice = ACTUALS + [{"metric": "revenue", "year": 2024, "value": 7}]
    assert error(with_actuals(twice)) == f"<dict>: actuals: entry {len(twice)} (revenue 2024): given twice (also entry 1)"
    # a value and an event of the same name and year are different entries
    load_scenario(with_actuals([{"metric": "shortfall", "year": 2024, "value": 5}, {"event": "shortfall", "year": 2024, "happened": True}]))


def test_not_an_array_of_tables():
    assert error(merge(TINY, {"actuals": 3})) == "<dict>: actuals: expected an array of tables ([[actuals]]), got 3"
    assert error(merge(TINY, {"actuals": [1]})) == "<dict>: actuals: entry 1: expected a table, got 1"


def test_validate_lists_them_and_warns_when_unscorable():
    text = describe_scenario(load_scenario(with_actuals(ACTUALS)))
    assert "Actuals (realised outcomes for back-test scores" in text
    assert "  2024  revenue" in text and "$1.05B" in text and "10-K FY2024" in text
    assert "4.5%" in text and "cash_breach (event)  did not happen" in text
    no_cloud = merge(TINY, {"cloud": {"spend": 0, "commitment": None}})
    del no_cloud["cloud"]["commitment"]
    scn = load_scenario(merge(no_cloud, {"actuals": [{"event": "shortfall", "year": 2024, "happened": False},
                                                     {"metric": "cloud_cost", "year": 2024, "value": 0}]}))
    found = warnings(scn)
    assert "actuals: entry 1 (shortfall 2024): the scenario has no commitment, so no shortfall is ever paid" in found
    assert "actuals: entry 2 (cloud_cost 2024): cloud.spend is 0, so the cloud cost is always 0" in found


@pytest.mark.parametrize("name", BACKTESTS)
def test_backtest_configs_carry_sourced_actuals(name):
    scn = load_scenario(name)
    assert scn.actuals, name
    assert all(a.source for a in scn.actuals), [a for a in scn.actuals if not a.source]
    assert not [w for w in warnings(scn) if w.startswith("actuals")]
    text = (ROOT / "configs" / f"{name}.toml").read_text(encoding="utf-8")
    assert "as at signing" in text and "never tuned" in text
