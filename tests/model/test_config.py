"""Scenario configuration (sim.model, sim.model.overrides): loading, errors, overrides."""

import copy
import tomllib

import pytest

from sim.model import (
    ConfigError,
    Scenario,
    bernoulli_parameters,
    describe_scenario,
    load_scenario,
    resolve_scenario_path,
    scenario_hash,
    scenario_to_dict,
    scenario_to_toml,
    shipped_scenarios,
    uncertain_parameters,
)
from sim.model.distributions import Fixed, Normal, Pert, Triangular, Uniform
from sim.model.overrides import apply_overrides

SHIPPED = ["lyft_2019_aws", "multi_cloud_example", "pinterest_2017_aws", "pinterest_aws_2031", "pinterest_aws_2031_filings", "snap_2017_cloud"]
MINIMAL = {
    "scenario": {"start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": "1B", "operating_costs": "900M", "cash": "500M"},
    "policy": {"cash_floor": 100},
}


def _raw(name="pinterest_aws_2031"):
    path = resolve_scenario_path(name)
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _error(source, overrides=()):
    with pytest.raises(ConfigError) as err:
        load_scenario(source, overrides)
    return str(err.value)


# --------------------------------------------------------------------------
# Shipped scenarios
# --------------------------------------------------------------------------


def test_shipped_scenarios_listed():
    rows = shipped_scenarios()
    assert [name for name, _, _ in rows] == SHIPPED
    for name, description, path in rows:
        assert description and "\n" not in description
        assert path.name == f"{name}.toml" and path.is_file()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_load(name):
    scn = load_scenario(name)
    assert isinstance(scn, Scenario)
    assert scn.scenario.name == name
    assert load_scenario(resolve_scenario_path(name)) == scn


def test_published_analysis_figures():
    scn = load_scenario("pinterest_aws_2031")
    assert (scn.scenario.start, scn.scenario.years, scn.scenario.steps_per_year) == (2024, 8, 4)
    c = scn.company
    assert (c.revenue, c.operating_costs, c.net_income, c.cash, c.tax_rate) == (Fixed(3400), 3200, 170, Fixed(2500), Fixed(0.21))
    assert scn.policy.cash_floor == 1000 and scn.policy.margin_drop == 0.02
    assert scn.revenue.growth == Normal(0.08, 0.03) and scn.revenue.initial_growth is None
    assert scn.revenue.ai_uplift.uplift == Pert(0.05, 0.07, 0.10)
    assert [s.name for s in scn.revenue.shocks] == ["competition", "ad-recession"]
    assert [s.name for s in scn.cloud.silicon] == ["graviton", "trainium"]
    assert scn.cloud.silicon[1].savings == Triangular(0, 0.30, 0.67)
    com = scn.cloud.commitment
    assert com.total == 4000 and com.years == 8 and com.start_year == 2024 and com.shortfall == "annual"
    assert com.minimums == (400, 430, 460, 490, 520, 550, 560, 590)
    assert com.discount == Uniform(0.10, 0.20)
    assert scn.cloud.pricing.shifts[0].share == 0.5
    assert scn.operating_costs.programs[0].share == Uniform(0.03, 0.05)
    assert [(f.name, f.cap, f.lag_years) for f in scn.regulatory.fines] == [("gdpr", 0.04, 1), ("dsa", 0.06, 1)]
    assert scn.cash_flow.buybacks.annual == 500 and scn.cash_flow.buybacks.min_cash == 2000
    assert [(c.between, c.rank) for c in scn.correlations] == [
        (("revenue.ai_uplift.uplift", "cloud.silicon.trainium.savings"), 0.4)
    ]


def test_filings_figures():
    scn = load_scenario("pinterest_aws_2031_filings")
    assert scn.company.revenue == Fixed(4220) and scn.company.cash == Normal(2600, 300)
    com = scn.cloud.commitment
    assert com.minimums == (300, 650, 700, 750, 780, 820)
    assert com.total == 4000 and com.years == 6 and com.start_year == 2026
    debt = scn.cash_flow.debt[0]
    assert debt.principal == 1000 and debt.coupon == 0.0175
    assert debt.maturity == pytest.approx(2031 + 2 / 12)
    assert debt.cash_repayment_probability == 0.5
    first, second = scn.operating_costs.programs
    assert (first.name, first.amount, first.start_year, first.years) == ("restructuring", Fixed(40), 2026, 1)
    assert [f.lag_years for f in scn.regulatory.fines] == [2, 2]
    assert scn.correlations == ()


def test_every_figure_in_shipped_files_has_a_source_comment():
    for _, _, path in shipped_scenarios():
        in_actuals = False  # [[actuals]] entries carry their own source key (tests/model/test_actuals.py)
        for line in path.read_text().splitlines():
            code = line.split("#")[0].strip()
            if code.startswith("["):
                in_actuals = code == "[[actuals]]"
            if in_actuals:
                continue
            if "=" in code and not code.startswith(("name", "description", "between", "[")):
                assert "#" in line and any(tag in line for tag in ("[F", "[S", "[A")), line


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


def test_uncertain_parameters_order():
    scn = load_scenario("pinterest_aws_2031_filings")
    assert list(uncertain_parameters(scn)) == [
        "company.cash",
        "company.tax_rate",
        "revenue.growth",
        "revenue.initial_growth",
        "revenue.ai_uplift.uplift",
        "revenue.ai_uplift.delay_years",
        "cloud.revenue_elasticity",
        "cloud.silicon.graviton.migrated_target",
        "cloud.silicon.graviton.savings",
        "cloud.silicon.trainium.migrated_target",
        "cloud.silicon.trainium.savings",
        "cloud.pricing.drift",
        "cloud.commitment.discount",
        "operating_costs.variable_share",
        "operating_costs.fixed_growth",
        "operating_costs.programs.restructuring.amount",
        "operating_costs.programs.ai-investment.share",
        "cash_flow.interest_rate",
        "cash_flow.noncash_share",
        "cash_flow.capex_share",
    ]
    assert bernoulli_parameters(scn) == {
        "revenue.ai_uplift.probability": 0.5,
        "cash_flow.debt.convertible-2031.cash_repayment_probability": 0.5,
    }


def test_minimal_scenario_defaults():
    scn = load_scenario(MINIMAL)
    assert list(uncertain_parameters(scn)) == [
        "company.cash",
        "company.tax_rate",
        "revenue.growth",
        "cloud.revenue_elasticity",
        "cloud.pricing.drift",
        "operating_costs.variable_share",
        "operating_costs.fixed_growth",
        "cash_flow.interest_rate",
        "cash_flow.noncash_share",
        "cash_flow.capex_share",
    ]
    assert all(d == Fixed(0) for k, d in uncertain_parameters(scn).items() if k != "company.cash")
    assert bernoulli_parameters(scn) == {}
    assert scn.revenue.shocks == () and scn.cloud.commitment is None and scn.cash_flow.buybacks is None
    assert scn.policy.margin_drop == 0.02


def test_commitment_filled_from_total_and_years():
    raw = copy.deepcopy(MINIMAL)
    raw["cloud"] = {"spend": 100, "commitment": {"total": "300M", "years": 3}}
    com = load_scenario(raw).cloud.commitment
    assert com.minimums == (100, 100, 100) and com.start_year == 2024 and com.years == 3 and com.total == 300
    raw["cloud"]["commitment"] = {"minimums": [50, 60], "start_year": 2025, "shortfall": "term"}
    com = load_scenario(raw).cloud.commitment
    assert (com.total, com.years, com.start_year, com.shortfall) == (110, 2, 2025, "term")


def test_program_start_year_defaults_to_scenario_start():
    raw = copy.deepcopy(MINIMAL)
    raw["operating_costs"] = {"programs": [{"name": "p", "amount": "10M", "years": 2}]}
    assert load_scenario(raw).operating_costs.programs[0].start_year == 2024


def test_zero_spread_distribution_is_fixed_and_percent_strings():
    raw = copy.deepcopy(MINIMAL)
    raw["revenue"] = {"growth": {"dist": "normal", "mean": "5%", "sd": 0}, "volatility": "10%"}
    scn = load_scenario(raw)
    assert scn.revenue.growth == Fixed(0.05) and scn.revenue.volatility == 0.1


def test_maturity_forms():
    raw = copy.deepcopy(MINIMAL)
    for value, expected in [("2031-03", 2031 + 2 / 12), (2031.5, 2031.5), ("2031-01-01", 2031.0)]:
        raw["cash_flow"] = {"debt": [{"name": "n", "principal": 1, "maturity": value}]}
        assert load_scenario(raw).cash_flow.debt[0].maturity == pytest.approx(expected)
    import datetime

    raw["cash_flow"] = {"debt": [{"name": "n", "principal": 1, "maturity": datetime.date(2031, 3, 1)}]}
    assert load_scenario(raw).cash_flow.debt[0].maturity == pytest.approx(2031 + 2 / 12)


def test_scenario_is_frozen():
    scn = load_scenario(MINIMAL)
    with pytest.raises(Exception):
        scn.company.revenue = 1.0  # type: ignore[misc]


# --------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_round_trips(name):
    scn = load_scenario(name)
    data = scenario_to_dict(scn)
    assert load_scenario(data) == scn
    text = scenario_to_toml(scn)
    assert load_scenario(tomllib.loads(text)) == scn
    assert scenario_hash(load_scenario(data)) == scenario_hash(scn)
    assert len(scenario_hash(scn)) == 64


def test_to_dict_is_plain_data():
    data = scenario_to_dict(load_scenario("pinterest_aws_2031"))
    assert data["company"]["revenue"] == 3400.0 and data["company"]["cash"] == 2500.0
    assert data["revenue"]["growth"] == {"dist": "normal", "mean": 0.08, "sd": 0.03}
    assert data["cloud"]["silicon"][0]["name"] == "graviton"
    assert data["correlations"] == [
        {"between": ["revenue.ai_uplift.uplift", "cloud.silicon.trainium.savings"], "rank": 0.4}
    ]
    assert "initial_growth" not in data["revenue"]


def test_hash_changes_with_content():
    a = load_scenario("pinterest_aws_2031")
    b = load_scenario("pinterest_aws_2031", ["revenue.volatility=0.11"])
    assert scenario_hash(a) != scenario_hash(b)


def test_toml_uses_inline_distributions():
    text = scenario_to_toml(load_scenario("pinterest_aws_2031"))
    assert 'growth = { dist = "normal", mean = 0.08, sd = 0.03 }' in text
    assert "[[cloud.silicon]]" in text and "[[correlations]]" in text


# --------------------------------------------------------------------------
# Errors: each bad input gives exactly one line
# --------------------------------------------------------------------------

MONEY_HINT = '(use a number in USD millions or strings like "3.4B", "250M", "900K")'


def _set(path, value):
    def mutate(raw):
        node = raw
        parts = path.split(".")
        for part in parts[:-1]:
            node = next(e for e in node if e.get("name") == part) if isinstance(node, list) else node.setdefault(part, {})
        node[parts[-1]] = value

    return mutate


def _del(path):
    def mutate(raw):
        node = raw
        parts = path.split(".")
        for part in parts[:-1]:
            node = next(e for e in node if e.get("name") == part) if isinstance(node, list) else node[part]
        del node[parts[-1]]

    return mutate


def _commitment_without(*keys):
    def mutate(raw):
        for k in keys:
            del raw["cloud"]["commitment"][k]

    return mutate


def _append_silicon_copy(raw):
    raw["cloud"]["silicon"].append(dict(raw["cloud"]["silicon"][0]))


def _correlations(*entries):
    return _set("correlations", [{"between": list(pair), "rank": rank} for pair, rank in entries])


ERRORS = [
    (_set("cloud.comitment", {}), "cloud.comitment: unknown key 'comitment' (did you mean 'commitment'?)"),
    (_set("revnue", {}), "revnue: unknown key 'revnue' (did you mean 'revenue'?)"),
    (
        _set("cloud.zzz", 1),
        "cloud.zzz: unknown key 'zzz' (known: spend, usage_growth, revenue_elasticity, silicon, pricing, commitment, commitments)",
    ),
    (_del("company.cash"), "company.cash: required key missing"),
    (_del("policy"), "policy: required key missing"),
    (_set("revenue.volatility", "abc"), "revenue.volatility: expected a number, got 'abc'"),
    (_set("revenue.volatility", [1]), "revenue.volatility: expected a number, got [1]"),
    (_set("scenario.years", 2.5), "scenario.years: expected an integer, got 2.5"),
    (_set("scenario.steps_per_year", 3), "scenario.steps_per_year: must be one of 1, 2, 4, 12 (got 3)"),
    (_set("scenario.name", 3), "scenario.name: expected a string, got 3"),
    (_set("cloud", 3), "cloud: expected a table, got 3"),
    (_set("cloud.silicon", {"share": 1}), "cloud.silicon: expected an array of tables ([[cloud.silicon]]), got a table"),
    (_set("company.revenue", "3.4Q"), f"company.revenue: malformed money '3.4Q' {MONEY_HINT}"),
    (_set("company.revenue", 0), "company.revenue: must be > 0 (got 0)"),
    (_set("revenue.growth", [1, 2]), "revenue.growth: expected a number or a distribution table, got [1, 2]"),
    # negative rates, volatilities, sd
    (_set("revenue.shocks.competition.rate", -0.1), "revenue.shocks.competition.rate: must be >= 0 (got -0.1)"),
    (_set("revenue.volatility", -0.1), "revenue.volatility: must be >= 0 (got -0.1)"),
    (_set("cloud.pricing.volatility", "-3%"), "cloud.pricing.volatility: must be >= 0 (got -0.03)"),
    (
        _set("revenue.growth", {"dist": "normal", "mean": 0.1, "sd": -0.1}),
        "revenue.growth.sd: normal needs sd >= 0 (got sd=-0.1)",
    ),
    # distributions
    (
        _set("revenue.growth", {"dist": "nromal", "mean": 0.1, "sd": 0.1}),
        "revenue.growth.dist: unknown distribution 'nromal' (did you mean 'normal'? known: fixed, normal, "
        "truncnormal, lognormal, uniform, triangular, pert, beta, discrete)",
    ),
    (
        _set("revenue.growth", {"dist": "normal", "mean": 0.1, "sdd": 0.1}),
        "revenue.growth.sdd: unknown key 'sdd' for normal (allowed: mean, sd)",
    ),
    (_set("revenue.growth", {"dist": "normal", "mean": 0.1, "sd": "x"}), "revenue.growth.sd: expected a number, got 'x'"),
    (
        _set("company.cash", {"dist": "uniform", "low": "1Q", "high": "2B"}),
        f"company.cash.low: malformed money '1Q' {MONEY_HINT}",
    ),
    (
        _set("revenue.ai_uplift.uplift", {"dist": "pert", "min": 0.05, "mode": 0.12, "max": 0.1}),
        "revenue.ai_uplift.uplift: pert needs min <= mode <= max (got min=0.05, mode=0.12, max=0.1)",
    ),
    # probabilities and shares
    (_set("revenue.ai_uplift.probability", 1.5), "revenue.ai_uplift.probability: must be between 0 and 1 (got 1.5)"),
    (_set("cloud.pricing.shifts.lock-in.share", -0.5), "cloud.pricing.shifts.lock-in.share: must be between 0 and 1 (got -0.5)"),
    (_set("cloud.pricing.revenue_correlation", 2), "cloud.pricing.revenue_correlation: must be between -1 and 1 (got 2)"),
    # names
    (_append_silicon_copy, "cloud.silicon.graviton: duplicate name 'graviton'"),
    (_set("cloud.silicon.graviton.name", "gra viton"), "cloud.silicon: invalid name 'gra viton' (use letters, digits, - and _)"),
    (
        _del("cloud.silicon.graviton.name"),
        'cloud.silicon: element 1 has no name (every [[cloud.silicon]] table needs name = "...")',
    ),
    (_set("cloud.silicon.graviton.savings", "abc"), "cloud.silicon.graviton.savings: expected a number, got 'abc'"),
    # silicon
    (_set("cloud.silicon.graviton.share", 0.9), "cloud.silicon: shares add up to 1.15 (must be <= 1)"),
    (_set("cloud.silicon.trainium.migration_years", 0), "cloud.silicon.trainium.migration_years: must be > 0 (got 0)"),
    (_del("cloud.silicon.trainium.migrated_target"), "cloud.silicon.trainium.migrated_target: required key missing"),
    # commitment
    (_set("cloud.commitment.total", "4.1B"), "cloud.commitment.total: 4100 does not match the sum of minimums 4000 (change both, or give one)"),
    (_set("cloud.commitment.years", 7), "cloud.commitment.years: 7 does not match the 8 minimums given (change both, or give one)"),
    (
        _set("cloud.commitment.minimums", [1, "x"]),
        f"cloud.commitment.minimums: entry 2: malformed money 'x' {MONEY_HINT}",
    ),
    (_set("cloud.commitment.minimums", []), "cloud.commitment.minimums: must list at least one year's minimum"),
    (
        _commitment_without("minimums", "years"),
        "cloud.commitment.years: required when total is given without minimums",
    ),
    (
        _commitment_without("minimums", "total"),
        "cloud.commitment.total: required when years is given without minimums",
    ),
    (_commitment_without("minimums", "total", "years"), "cloud.commitment: needs total and years, or minimums"),
    (_set("cloud.commitment.shortfall", "yearly"), "cloud.commitment.shortfall: must be one of 'annual', 'term', 'both' (got 'yearly')"),
    (
        _set("cloud.spend", 0),
        "cloud.commitment: a commitment needs cloud.spend > 0 (cloud.spend is 0: no cloud bill)",
    ),
    # programs
    (
        _set("operating_costs.programs.ai-investment.amount", 10),
        "operating_costs.programs.ai-investment: give exactly one of amount and share (got both)",
    ),
    (
        _del("operating_costs.programs.ai-investment.share"),
        "operating_costs.programs.ai-investment: give exactly one of amount and share (got neither)",
    ),
    # debt
    (
        _set("cash_flow.debt", [{"name": "notes", "principal": 1000, "maturity": "2031-13"}]),
        "cash_flow.debt.notes.maturity: month must be 1 to 12 (got '2031-13')",
    ),
    (
        _set("cash_flow.debt", [{"name": "notes", "principal": 1000, "maturity": "soon"}]),
        "cash_flow.debt.notes.maturity: expected \"YYYY-MM\" or a decimal year, got 'soon'",
    ),
    (
        _set("cash_flow.debt", [{"name": "notes", "principal": 1000}]),
        "cash_flow.debt.notes.maturity: required key missing",
    ),
    # correlations
    (
        _correlations((("revenue.growht", "cloud.pricing.drift"), 0.3)),
        "correlations: revenue.growht ~ cloud.pricing.drift: unknown parameter 'revenue.growht' "
        "(did you mean 'revenue.growth'?)",
    ),
    (
        _correlations((("revenue.initial_growth", "cloud.pricing.drift"), 0.3)),
        "correlations: revenue.initial_growth ~ cloud.pricing.drift: unknown parameter 'revenue.initial_growth' "
        "(did you mean 'revenue.growth'?)",
    ),
    (
        _correlations((("revenue.growth", "revenue.growth"), 0.3)),
        "correlations: revenue.growth ~ revenue.growth: correlates a parameter with itself",
    ),
    (
        _correlations((("revenue.growth", "cloud.pricing.drift"), 0.3), (("cloud.pricing.drift", "revenue.growth"), 0.2)),
        "correlations: cloud.pricing.drift ~ revenue.growth: pair given twice",
    ),
    (
        _correlations((("revenue.growth", "cloud.pricing.drift"), 1.3)),
        "correlations: revenue.growth ~ cloud.pricing.drift: rank: must be between -1 and 1 (got 1.3)",
    ),
    (
        _set("correlations", [{"between": ["revenue.growth"], "rank": 0.3}]),
        "correlations: entry 1: between: expected two parameter keys like "
        "[\"revenue.growth\", \"cloud.pricing.drift\"], got ['revenue.growth']",
    ),
    (
        _correlations(
            (("revenue.growth", "cloud.pricing.drift"), 0.9),
            (("cloud.pricing.drift", "cloud.commitment.discount"), 0.9),
            (("revenue.growth", "cloud.commitment.discount"), -0.9),
        ),
        "correlations: matrix is not positive semi-definite (entries: revenue.growth ~ cloud.pricing.drift (0.9), "
        "cloud.pricing.drift ~ cloud.commitment.discount (0.9), revenue.growth ~ cloud.commitment.discount (-0.9))",
    ),
    # fixed costs
    (
        _set("operating_costs.variable_share", 0.9),
        "company.operating_costs: fixed costs come out negative: operating_costs 3200 - cloud.spend 450 - "
        "variable_share 0.9 x revenue 3400 = -310",
    ),
    (
        _set("operating_costs.variable_share", {"dist": "uniform", "low": 0.4, "high": 0.9}),
        "company.operating_costs: fixed costs come out negative: operating_costs 3200 - cloud.spend 450 - "
        "variable_share 0.9 x revenue 3400 = -310",
    ),
]


@pytest.mark.parametrize("mutate, message", ERRORS, ids=[m for _, m in ERRORS])
def test_error_messages(mutate, message):
    raw = _raw()
    mutate(raw)
    assert _error(raw) == f"<dict>: {message}"


def test_unbounded_variable_share_checked_at_high_quantile():
    raw = _raw()
    raw["operating_costs"]["variable_share"] = {"dist": "normal", "mean": 0.45, "sd": 0.02}
    load_scenario(raw)  # 1 - 1e-6 quantile ~ 0.545: fixed costs stay positive
    raw["operating_costs"]["variable_share"] = {"dist": "normal", "mean": 0.45, "sd": 0.1}
    assert "company.operating_costs: fixed costs come out negative" in _error(raw)


def test_error_is_one_line_with_attributes():
    raw = _raw()
    raw["revenue"]["volatility"] = -1
    with pytest.raises(ConfigError) as err:
        load_scenario(raw)
    e = err.value
    assert (e.source, e.key, e.problem) == ("<dict>", "revenue.volatility", "must be >= 0 (got -1)")
    assert "\n" not in str(e)
    assert str(ConfigError("x.toml", "", "file not found")) == "x.toml: file not found"


def test_file_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _error("nosuch.toml") == "nosuch.toml: file not found"
    assert _error("nosuch") == "nosuch: no such file or shipped scenario (shipped: " + ", ".join(SHIPPED) + ")"
    (tmp_path / "x.toml").write_text("[scenario]\nstart = \n")
    assert _error("x.toml") == "x.toml: TOML syntax error: Invalid value (at line 2, column 9)"
    (tmp_path / "bad.toml").write_text('[scenario]\nstart = 2024\nyears = "x"\nsteps_per_year = 4\n')
    assert _error("bad.toml").startswith("bad.toml: scenario.years: expected an integer, got 'x'")
    (tmp_path / "ok.toml").write_text(scenario_to_toml(load_scenario(MINIMAL)))
    assert load_scenario("ok.toml") == load_scenario(MINIMAL)
    assert load_scenario(tmp_path / "ok.toml") == load_scenario(MINIMAL)


def test_shipped_name_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario_path("pinterest_aws_2031").name == "pinterest_aws_2031.toml"
    assert resolve_scenario_path("pinterest_aws_2031.toml").name == "pinterest_aws_2031.toml"
    # A local file wins over a shipped name.
    (tmp_path / "pinterest_aws_2031.toml").write_text("x = 1\n")
    assert resolve_scenario_path("pinterest_aws_2031.toml") == tmp_path.joinpath("pinterest_aws_2031.toml").relative_to(tmp_path)


# --------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------


def test_apply_overrides_returns_new_dict():
    raw = _raw()
    before = copy.deepcopy(raw)
    out = apply_overrides(
        raw,
        [
            "cloud.silicon.graviton.savings=0.3",
            "revenue.growth.sd=0.03",
            "cloud.commitment.total=5B",
            "company.tax_rate=30%",
            "cash_flow.buybacks.annual=250M",
        ],
    )
    assert raw == before
    assert out["cloud"]["silicon"][0]["savings"] == 0.3
    assert out["revenue"]["growth"] == {"dist": "normal", "mean": 0.08, "sd": 0.03}
    assert out["cloud"]["commitment"]["total"] == "5B"
    assert out["company"]["tax_rate"] == "30%"
    assert out["cash_flow"]["buybacks"]["annual"] == "250M"


def test_overrides_through_load():
    scn = load_scenario(
        "pinterest_aws_2031",
        [
            "cloud.silicon.graviton.savings=0.3",
            "revenue.growth.mean=0.05",
            "company.tax_rate=30%",
            'cloud.commitment.shortfall="term"',
            "revenue.volatility = 0.2",
            'revenue.initial_growth={dist="uniform", low=0.1, high=0.2}',
        ],
    )
    assert scn.cloud.silicon[0].savings == Fixed(0.3)
    assert scn.revenue.growth == Normal(0.05, 0.03)
    assert scn.company.tax_rate == Fixed(0.3)
    assert scn.cloud.commitment.shortfall == "term"
    assert scn.revenue.volatility == 0.2
    assert scn.revenue.initial_growth == Uniform(0.1, 0.2)


def test_overrides_create_missing_tables_and_parse_raw_strings():
    scn = load_scenario(
        MINIMAL,
        [
            "revenue.ai_uplift.probability=0.4",
            "cloud.spend=450M",
            "cloud.commitment.total=1.2B",
            "cloud.commitment.years=3",
            "cash_flow.debt.notes={principal = 1000, maturity = \"2026-07\"}",
            "cash_flow.debt.notes.maturity=2026-03",
        ],
    )
    assert scn.revenue.ai_uplift.probability == 0.4
    assert scn.cloud.commitment.minimums == (400, 400, 400)
    assert scn.cash_flow.debt[0].maturity == pytest.approx(2026 + 2 / 12)
    assert bernoulli_parameters(scn) == {
        "revenue.ai_uplift.probability": 0.4,
        "cash_flow.debt.notes.cash_repayment_probability": 1.0,
    }


def test_override_adds_and_replaces_elements():
    scn = load_scenario("pinterest_aws_2031", ["revenue.shocks.pandemic={rate = 0.05, change = -0.2}"])
    assert [s.name for s in scn.revenue.shocks] == ["competition", "ad-recession", "pandemic"]
    scn = load_scenario("pinterest_aws_2031", ["revenue.shocks.competition={rate = 0.5}"])
    assert scn.revenue.shocks[0].rate == 0.5 and scn.revenue.shocks[0].change == Fixed(0)


@pytest.mark.parametrize(
    "override, message",
    [
        ("abc", "--set: abc: expected KEY=VALUE"),
        ("=3", "--set: =3: expected KEY=VALUE"),
        ("a..b=3", "--set: a..b=3: expected KEY=VALUE"),
        (
            "cloud.silicon.gravitn.savings=0.3",
            "--set: cloud.silicon.gravitn: no element named 'gravitn' (known: graviton, trainium)",
        ),
        (
            "cash_flow.debt.notes.coupon=0.03",
            "--set: cash_flow.debt.notes: no element named 'notes' (known: none)",
        ),
        ("company.revenue.x=1", "--set: company.revenue.x: company.revenue is a value, not a table (set company.revenue itself)"),
        (
            "correlations.x.rank=0.1",
            "--set: correlations.x: these elements have no names to address them by; edit the file",
        ),
        ("cloud.commitmnt.total=5B", "--set: cloud.commitmnt: unknown key 'commitmnt' (did you mean 'commitment'?)"),
        ("cloud.silicon.graviton.savings=abc", "--set: cloud.silicon.graviton.savings: expected a number, got 'abc'"),
        ("revenue.growth.sd=-0.03", "--set: revenue.growth.sd: normal needs sd >= 0 (got sd=-0.03)"),
        ("revenue.growth.mode=0.1", "--set: revenue.growth.mode: unknown key 'mode' for normal (allowed: mean, sd)"),
        ("revenue.ai_uplift.probability=2", "--set: revenue.ai_uplift.probability: must be between 0 and 1 (got 2)"),
        (
            "company.operating_costs=1B",
            "--set: company.operating_costs: fixed costs come out negative: operating_costs 1000 - cloud.spend 450 - "
            "variable_share 0.45 x revenue 3400 = -980",
        ),
    ],
)
def test_override_errors(override, message):
    assert _error("pinterest_aws_2031", [override]) == message


def test_errors_not_under_an_override_keep_the_file_source(tmp_path):
    raw = _raw()
    raw["revenue"]["volatility"] = -1
    path = tmp_path / "s.toml"
    path.write_text(scenario_to_toml(load_scenario("pinterest_aws_2031")).replace("volatility = 0.1\n", "volatility = -1\n", 1))
    assert _error(str(path), ["cloud.spend=500"]) == f"{path}: revenue.volatility: must be >= 0 (got -1)"


# --------------------------------------------------------------------------
# describe_scenario
# --------------------------------------------------------------------------


def test_describe_scenario():
    text = describe_scenario(load_scenario("pinterest_aws_2031"))
    assert "fiscal years 2024-2031" in text and "32 steps" in text
    assert "m_0 base margin  5.9%" in text
    assert "F_0 fixed costs  $1.22B" in text
    for key in uncertain_parameters(load_scenario("pinterest_aws_2031")):
        assert key in text
    assert "pert(min=0.05, mode=0.07, max=0.1)" in text
    assert "revenue.ai_uplift.probability  p = 0.6" in text
    assert "regulatory.fines.gdpr.size" in text and "rank 0.4" in text
    assert "$2.50B" in text
    assert "Warnings: none" in text


def test_describe_warnings():
    scn = load_scenario(
        "pinterest_aws_2031",
        [
            "operating_costs.programs.ai-investment.years=0",
            "cloud.commitment.start_year=2028",
            'correlations=[{between=["revenue.growth", "cash_flow.interest_rate"], rank=0.2}]',
        ],
    )
    text = describe_scenario(scn)
    assert "operating_costs.programs.ai-investment: years = 0, so the program costs nothing" in text
    assert "4 of the committed years 2028-2035 lie outside the horizon 2024-2031" in text
    assert "cash_flow.interest_rate is fixed, so the correlation has no effect" in text
