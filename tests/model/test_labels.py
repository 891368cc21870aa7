"""Labels people read: every parameter of the shipped configs has one (sim.model.labels)."""

from pathlib import Path

import pytest

from sim.model import bernoulli_parameters, load_scenario, uncertain_parameters
from sim.model.labels import factor_label, key_unit, parameter_label, title_name

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_parameter_of_a_shipped_config_has_a_label(path):
    scn = load_scenario(path)
    keys = list(uncertain_parameters(scn)) + list(bernoulli_parameters(scn))
    keys += [f"revenue.shocks.{s.name}.change" for s in scn.revenue.shocks]
    labels = [parameter_label(k) for k in keys]
    for key, label in zip(keys, labels):
        assert label != key and "." not in label and "_" not in label, (key, label)
        assert label[0].isupper(), label
    assert len(set(labels)) == len(labels)  # no two parameters read the same


def test_multi_cloud_example_is_among_them():
    assert "multi_cloud_example" in [p.stem for p in CONFIGS]


def test_the_labels_the_issue_asks_for():
    assert parameter_label("revenue.ai_uplift.probability") == "AI uplift: chance it works"
    assert parameter_label("cloud.silicon.graviton.savings") == "Graviton: cost savings"
    assert parameter_label("cloud.commitments.google.discount") == "Google commitment: discount"
    assert parameter_label("operating_costs.programs.ai-investment.share") == "AI Investment program: share of revenue"
    assert parameter_label("cloud.commitment.total") == "Commitment: total"
    assert parameter_label("not.a.key") == "not.a.key"  # unknown keys come back as they are
    assert title_name("ipo-rsu-expense") == "IPO RSU Expense"
    assert factor_label("company.cash + revenue.growth") == "Opening cash + Revenue growth (log, per year)"


def test_units_of_keys():
    assert key_unit("cloud.commitments.aws.total") == key_unit("policy.cash_floor") == "money"
    assert key_unit("cloud.commitment.discount") == key_unit("company.tax_rate") == "percent"
    assert key_unit("cloud.revenue_elasticity") == key_unit("scenario.years") == "number"
