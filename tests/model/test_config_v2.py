"""Model v2 in the config layer: schema defaults, the commitment list, parameter keys and
their order, contract years on the step grid (sim.model.contracts), overrides, describe."""

import copy
import tomllib
from pathlib import Path

import pytest

from sim.model import (
    ConfigError,
    base_revenue,
    base_spend,
    bernoulli_parameters,
    describe_scenario,
    has_cloud,
    load_scenario,
    scenario_hash,
    scenario_to_dict,
    scenario_to_toml,
    uncertain_parameters,
    warnings,
)
from sim.model.contracts import (
    contract_years,
    date_step,
    first_step,
    month_text,
    step_end_month,
    step_period,
    term_steps,
)
from sim.model.distributions import Fixed, LogNormal, Triangular, Uniform

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "multi_cloud_example.toml"
MINIMAL = {
    "scenario": {"start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": "1B", "operating_costs": "900M", "cash": "500M"},
    "policy": {"cash_floor": 100},
}


def _with(**tables):
    raw = copy.deepcopy(MINIMAL)
    for dotted, value in tables.items():
        node = raw
        *head, last = dotted.split("__")
        for part in head:
            node = node.setdefault(part, {})
        node[last] = value
    return raw


def _error(raw, overrides=()):
    with pytest.raises(ConfigError) as err:
        load_scenario(raw, overrides)
    return str(err.value)


def _two_clouds(**google):
    return _with(
        cloud__spend=200,
        cloud__commitments=[
            {"name": "google", "share": 0.6, "total": 300, "years": 3, **google},
            {"name": "aws", "share": 0.3, "minimums": [50, 60, 70]},
        ],
    )


# --------------------------------------------------------------------------
# Schema defaults and the commitment list
# --------------------------------------------------------------------------


def test_v2_defaults_are_v1_behaviour():
    raw = _with(
        cloud__spend=100,
        revenue__shocks=[{"name": "s", "rate": 0.1, "change": -0.1}],
        operating_costs__programs=[{"name": "p", "amount": 10, "years": 1}],
        cash_flow__debt=[{"name": "d", "principal": 100, "maturity": "2026-06"}],
    )
    scn = load_scenario(raw)
    assert scn.company.revenue == Fixed(1000) and scn.cloud.spend == Fixed(100)
    assert base_revenue(scn) == 1000 and base_spend(scn) == 100 and has_cloud(scn)
    assert scn.cloud.commitments == () and scn.cloud.commitment is None
    shock = scn.revenue.shocks[0]
    assert (shock.recovery, shock.half_life_years) == (0.0, None)
    assert scn.operating_costs.programs[0].noncash is False
    assert scn.cash_flow.debt[0].issued is None
    assert scn.cash_flow.events == () and scn.cash_flow.working_capital == Fixed(0)
    assert not has_cloud(load_scenario(MINIMAL)) and base_spend(load_scenario(MINIMAL)) == 0


def test_singular_commitment_is_the_one_element_list():
    scn = load_scenario(_with(cloud__spend=100, cloud__commitment={"total": 300, "years": 3}))
    (com,) = scn.cloud.commitments
    assert scn.cloud.commitment is com
    assert (com.name, com.key, com.share, com.start, com.start_year) == ("commitment", "cloud.commitment", 1.0, 2024.0, 2024)
    assert (com.rollover, com.steerable, com.shortfall, com.minimums) == (0.0, Fixed(0), "annual", (100, 100, 100))
    # the list form: keys by name, no singular view
    scn = load_scenario(_two_clouds())
    assert scn.cloud.commitment is None
    assert [(c.key, c.share) for c in scn.cloud.commitments] == [("cloud.commitments.google", 0.6), ("cloud.commitments.aws", 0.3)]
    # one list element gets share 1 by default
    scn = load_scenario(_with(cloud__spend=100, cloud__commitments=[{"name": "gcp", "total": 300, "years": 3}]))
    assert scn.cloud.commitments[0].share == 1.0 and scn.cloud.commitments[0].key == "cloud.commitments.gcp"


def test_commitment_start_forms():
    scn = load_scenario(_two_clouds(start="2024-08"))
    google, aws = scn.cloud.commitments
    assert google.start == pytest.approx(2024 + 7 / 12) and google.start_year is None
    assert aws.start == 2024.0 and aws.start_year == 2024  # filled as in v1
    scn = load_scenario(_two_clouds(start_year=2025))
    assert (scn.cloud.commitments[0].start, scn.cloud.commitments[0].start_year) == (2025.0, 2025)
    assert "give start or start_year, not both" in _error(_two_clouds(start="2025-03", start_year=2025))


def test_both_keeps_a_separate_term_total():
    com = load_scenario(_two_clouds(shortfall="both", minimums=[50, 60, 70], total=400, years=None)).cloud.commitments[0]
    assert (com.total, com.minimums, com.years) == (400, (50, 60, 70), 3)


def test_recovery_events_working_capital_noncash_issued():
    raw = _with(
        revenue__shocks=[{"name": "s", "rate": 0.1, "change": -0.1, "recovery": "40%", "half_life_years": 2}],
        operating_costs__programs=[{"name": "sbc", "amount": 30, "years": 2, "noncash": True}],
        cash_flow__debt=[{"name": "d", "principal": 100, "maturity": "2026-06", "issued": "2025-03"}],
        cash_flow__events=[{"name": "ipo", "date": "2025-07", "amount": "1.2B", "probability": 0.4}],
        cash_flow__working_capital=-0.1,
    )
    scn = load_scenario(raw)
    assert (scn.revenue.shocks[0].recovery, scn.revenue.shocks[0].half_life_years) == (0.4, 2.0)
    assert scn.operating_costs.programs[0].noncash is True
    assert scn.cash_flow.debt[0].issued == pytest.approx(2025 + 2 / 12)
    ev = scn.cash_flow.events[0]
    assert (ev.name, ev.date, ev.amount, ev.probability) == ("ipo", pytest.approx(2025.5), Fixed(1200), 0.4)
    assert scn.cash_flow.working_capital == Fixed(-0.1)


# --------------------------------------------------------------------------
# Parameter keys and their order
# --------------------------------------------------------------------------

V1_FILINGS_ORDER = [
    "company.cash", "company.tax_rate", "revenue.growth", "revenue.initial_growth", "revenue.ai_uplift.uplift",
    "revenue.ai_uplift.delay_years", "cloud.revenue_elasticity", "cloud.silicon.graviton.migrated_target",
    "cloud.silicon.graviton.savings", "cloud.silicon.trainium.migrated_target", "cloud.silicon.trainium.savings",
    "cloud.pricing.drift", "cloud.commitment.discount", "operating_costs.variable_share", "operating_costs.fixed_growth",
    "operating_costs.programs.restructuring.amount", "operating_costs.programs.ai-investment.share",
    "cash_flow.interest_rate", "cash_flow.noncash_share", "cash_flow.capex_share",
]


def test_v1_keys_unchanged():
    scn = load_scenario("pinterest_aws_2031_filings")
    assert list(uncertain_parameters(scn)) == V1_FILINGS_ORDER
    assert list(bernoulli_parameters(scn)) == [
        "revenue.ai_uplift.probability", "cash_flow.debt.convertible-2031.cash_repayment_probability",
    ]


def test_new_keys_appended_in_the_stated_order():
    scn = load_scenario(EXAMPLE)
    keys = list(uncertain_parameters(scn))
    assert keys[:13] == [
        "company.cash", "company.tax_rate", "revenue.growth", "revenue.initial_growth", "cloud.revenue_elasticity",
        "cloud.pricing.drift", "operating_costs.variable_share", "operating_costs.fixed_growth",
        "operating_costs.programs.stock-comp.amount", "operating_costs.programs.ai-platform.amount",
        "cash_flow.interest_rate", "cash_flow.noncash_share", "cash_flow.capex_share",
    ]
    assert keys[13:] == [
        "company.revenue", "cloud.spend",
        "cloud.commitments.google.discount", "cloud.commitments.aws.discount",
        "cloud.commitments.google.steerable", "cloud.commitments.aws.steerable",
        "cash_flow.events.acquisition.amount", "cash_flow.events.tax-settlement.amount",
        "cash_flow.working_capital",
    ]
    assert list(bernoulli_parameters(scn)) == [
        "cash_flow.debt.term-loan.cash_repayment_probability",
        "cash_flow.events.acquisition.probability", "cash_flow.events.tax-settlement.probability",
    ]
    p = uncertain_parameters(scn)
    assert p["company.revenue"] == LogNormal(2000, 0.03) and p["cloud.spend"] == Triangular(300, 340, 400)
    assert base_revenue(scn) == pytest.approx(2000) and base_spend(scn) == pytest.approx(Triangular(300, 340, 400).median())


def test_optional_new_keys_only_when_set():
    base = list(uncertain_parameters(load_scenario(_two_clouds())))
    assert "company.revenue" not in base and "cloud.spend" not in base and "cash_flow.working_capital" not in base
    assert [k for k in base if "steerable" in k] == []
    # steerable and working capital: listed when the config sets them, even at 0
    raw = _two_clouds(steerable=0)
    raw["cash_flow"] = {"working_capital": 0}
    keys = list(uncertain_parameters(load_scenario(raw)))
    assert keys[-2:] == ["cloud.commitments.google.steerable", "cash_flow.working_capital"]
    # the singular table keeps v1's discount key where it was; its steerable is appended
    raw = _with(cloud__spend=100, cloud__commitment={"total": 300, "years": 3, "steerable": 0.1})
    keys = list(uncertain_parameters(load_scenario(raw)))
    assert keys.index("cloud.commitment.discount") < keys.index("operating_costs.variable_share")
    assert keys[-1] == "cloud.commitment.steerable"


def test_correlation_with_a_fixed_new_key_is_an_error():
    raw = _two_clouds()
    raw["correlations"] = [{"between": ["company.revenue", "cloud.commitments.google.discount"], "rank": 0.3}]
    assert _error(raw) == (
        "<dict>: correlations: company.revenue ~ cloud.commitments.google.discount: company.revenue is fixed: "
        "give it a distribution to correlate it"
    )
    raw["company"]["revenue"] = {"dist": "uniform", "low": 900, "high": 1100}
    assert "cloud.commitments.google.discount is fixed" in _error(raw)
    raw["cloud"]["commitments"][0]["discount"] = {"dist": "uniform", "low": 0.1, "high": 0.2}
    load_scenario(raw)
    raw["correlations"] = [{"between": ["company.revenue", "cash_flow.working_capital"], "rank": 0.3}]
    assert "cash_flow.working_capital is not set (so fixed)" in _error(raw)
    # a fixed v1 key only draws a warning, as in v1
    raw["correlations"] = [{"between": ["company.revenue", "cash_flow.interest_rate"], "rank": 0.3}]
    assert any("cash_flow.interest_rate is fixed" in w for w in warnings(load_scenario(raw)))


def test_uncertain_revenue_and_spend_checks():
    raw = _with(company__revenue={"dist": "normal", "mean": 1000, "sd": 50})
    assert "company.revenue: an uncertain value must be > 0 on every path" in _error(raw)
    raw = _with(cloud__spend={"dist": "uniform", "low": 0, "high": 100})
    assert "cloud.spend: an uncertain value must be > 0 on every path" in _error(raw)
    load_scenario(_with(cloud__spend={"dist": "lognormal", "median": 100, "sigma": 0.2}))
    # F_0 >= 0 at the largest values together: medians pass, maxima do not
    raw = _with(
        company__revenue={"dist": "uniform", "low": 900, "high": 1100},
        cloud__spend={"dist": "uniform", "low": 50, "high": 150},
        operating_costs__variable_share=0.7,
    )
    assert _error(raw) == (
        "<dict>: company.operating_costs: fixed costs come out negative: operating_costs 900 - cloud.spend 150 - "
        "variable_share 0.7 x revenue 1100 = -20 (each at its largest value)"
    )


# --------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pinterest_aws_2031", "pinterest_aws_2031_filings"])
def test_v1_resolved_toml_has_no_v2_keys(name):
    text = scenario_to_toml(load_scenario(name))
    for key in ("commitments", "share = 1.0\nstart", "rollover", "steerable", "recovery", "\nnoncash =", "issued", "events", "working_capital"):
        assert key not in text
    assert "[cloud.commitment]\n" in text and 'name = "commitment"' not in text


def test_v2_round_trips():
    scn = load_scenario(EXAMPLE)
    assert load_scenario(scenario_to_dict(scn)) == scn
    again = load_scenario(tomllib.loads(scenario_to_toml(scn)))
    assert again == scn and scenario_hash(again) == scenario_hash(scn)
    assert list(uncertain_parameters(again)) == list(uncertain_parameters(scn))
    raw = _two_clouds(steerable=0)
    assert list(uncertain_parameters(load_scenario(scenario_to_dict(load_scenario(raw))))) == list(
        uncertain_parameters(load_scenario(raw))
    )


# --------------------------------------------------------------------------
# Contract years on the step grid
# --------------------------------------------------------------------------


def _contract(start_year=None, start=None, n=4, years=3, minimums=(100, 110, 120), scenario_start=2024, horizon=3):
    com = {"minimums": list(minimums)}
    com.update({k: v for k, v in (("start", start), ("start_year", start_year)) if v is not None})
    raw = _with(cloud__spend=100, cloud__commitment=com)
    raw["scenario"] = {"start": scenario_start, "years": horizon, "steps_per_year": n}
    scn = load_scenario(raw)
    return scn.cloud.commitments[0], scn.scenario


def test_fiscal_year_contract_years_are_fiscal_years():
    c, info = _contract()
    rows = contract_years(c, info)
    assert first_step(c, info) == 1
    assert [(r.year, r.start, r.first_step, r.settlement_step, r.settlement, r.minimum, r.counted) for r in rows] == [
        (1, 2024.0, 1, 4, "2024-12", 100, True),
        (2, 2025.0, 5, 8, "2025-12", 110, True),
        (3, 2026.0, 9, 12, "2026-12", 120, True),
    ]
    assert term_steps(c, info) == range(1, 13)


@pytest.mark.parametrize(
    "n, k0, settle, month",
    [(4, 4, 7, "2025-09"), (12, 8, 19, "2025-07"), (2, 3, 4, "2025-12"), (1, 2, 2, "2025-12")],
)
def test_august_start_moves_to_the_next_step_boundary(n, k0, settle, month):
    # tau = 7/12: on quarterly steps August 2024 falls inside Q3 (steps end at 2024.75), so the
    # contract starts with step 4 (Q4); on monthly steps it is step 8 (August) exactly
    c, info = _contract(start="2024-08", n=n)
    rows = contract_years(c, info)
    assert first_step(c, info) == k0
    assert (rows[0].first_step, rows[0].settlement_step, rows[0].settlement) == (k0, settle, month)
    assert rows[0].start == pytest.approx(2024 + 7 / 12)
    assert [r.counted for r in rows] == [True, True, False]  # year 3 runs past the 3-year horizon
    assert term_steps(c, info) == range(k0, 3 * n + 1)


def test_contract_before_the_horizon():
    # began January 2022, horizon 2024-2026 on half-year steps: years 1-2 lie before it
    c, info = _contract(start_year=2022, n=2, years=4, minimums=(10, 20, 30, 40))
    rows = contract_years(c, info)
    assert first_step(c, info) == -3
    assert [(r.first_step, r.settlement_step, r.counted) for r in rows] == [(-3, -2, False), (-1, 0, False), (1, 2, True), (3, 4, True)]
    assert rows[1].settlement == "2023-12" and term_steps(c, info) == range(1, 5)
    text = describe_scenario(load_scenario(_with(
        scenario={"start": 2024, "years": 3, "steps_per_year": 2},
        cloud__spend=100, cloud__commitment={"start_year": 2022, "minimums": [10, 20, 30, 40]},
    )))
    assert "year 1: 2022-01 .. 2022-12, steps -3 to -2, settles 2022-H2 (step -2), minimum $10M, before the horizon: ignored" in text
    assert "year 3: 2024-01 .. 2024-12, steps 1-2, settles 2024-H2 (step 2), minimum $30M, counted" in text
    assert "cloud.commitment: 2 of the committed years 2022-2025 lie outside the horizon 2024-2026 and are ignored" in text


def test_contract_past_the_horizon_has_no_term_steps():
    c, info = _contract(start_year=2030)
    assert not any(r.counted for r in contract_years(c, info)) and len(term_steps(c, info)) == 0


def test_dates_and_step_labels():
    info = load_scenario(MINIMAL).scenario  # 2024, 3 years, quarterly: K = 12
    assert date_step(2024.0, info) == 1 and date_step(2024.25, info) == 1 and date_step(2024.26, info) == 2
    assert date_step(2023.9, info) == 0 and date_step(2027.0, info) == 12 and date_step(2027.1, info) == 13
    assert [step_period(k, info) for k in (1, 4, 5, 0)] == ["2024-Q1", "2024-Q4", "2025-Q1", "2023-Q4"]
    assert [step_end_month(k, info) for k in (1, 6, 0)] == ["2024-03", "2025-06", "2023-12"]
    assert month_text(2017 + 7 / 12) == "2017-08" and month_text(2031.0) == "2031-01"


def test_describe_shows_v2_settings():
    text = describe_scenario(load_scenario(EXAMPLE))
    assert "year 1: 2026-08 .. 2027-07, steps 4-7, settles 2027-Q3 (step 7), minimum $180M, counted" in text
    assert "the term total $640M settles at step 20" in text
    assert "company.revenue  " in text and "$1.90B to $2.10B" in text  # median and 5-95% range
    assert "cash_flow.events.acquisition" in text and "step 6 (2027-Q2)" in text
    assert "60% recovers, half-life 1 year" in text and "stock-comp (expensed, added back in FCF)" in text
    assert "Warnings: none" in text


def test_describe_warns_about_contract_years_outside_the_horizon():
    raw = _two_clouds(start="2025-08")
    raw["cash_flow"] = {"events": [{"name": "late", "date": "2031-01", "amount": 5}]}
    found = warnings(load_scenario(raw))
    assert "cloud.commitments.google: 2 of the contract years 2025-08 .. 2028-07 lie outside the horizon 2024-2026 and are ignored" in found
    assert "cash_flow.events.late: dated 2031-01, past the horizon (2024-2027): ignored" in found


# --------------------------------------------------------------------------
# --set on list elements
# --------------------------------------------------------------------------


def test_set_addresses_commitments_and_events_by_name():
    scn = load_scenario(EXAMPLE, ["cloud.commitments.google.rollover=0.1", "cash_flow.events.acquisition.amount=2.7B"])
    assert scn.cloud.commitments[0].rollover == 0.1 and scn.cash_flow.events[0].amount == Fixed(2700)
    assert _error(EXAMPLE, ["cloud.commitments.gcp.rollover=0.1"]) == (
        "--set: cloud.commitments.gcp: no element named 'gcp' (known: google, aws)"
    )
    assert _error(EXAMPLE, ["cloud.commitments.google.rollover=2"]) == (
        "--set: cloud.commitments.google.rollover: must be between 0 and 1 (got 2)"
    )


def test_set_total_rescales_minimums_except_under_both():
    scn = load_scenario(EXAMPLE, ["cloud.commitments.google.total=1260", "cloud.commitments.aws.total=700"])
    google, aws = scn.cloud.commitments
    assert google.minimums == (360, 420, 480) and google.total == 1260
    assert aws.minimums == (110, 115, 120, 125, 130) and aws.total == 700  # a separate term total
    v1 = load_scenario("pinterest_aws_2031", ["cloud.commitment.total=5B"]).cloud.commitment
    assert v1.total == pytest.approx(5000) and v1.minimums[0] == pytest.approx(500)


def test_steerable_distribution_must_stay_in_unit_interval():
    assert _error(_two_clouds(steerable={"dist": "uniform", "low": 0.5, "high": 1.5})) == (
        "<dict>: cloud.commitments.google.steerable: must lie in [0, 1] on every path (got uniform(low=0.5, high=1.5))"
    )
    load_scenario(_two_clouds(steerable=Uniform(0, 0.2).to_dict()))
