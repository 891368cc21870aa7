"""The report names inputs by their labels, draws each input's distribution, and calls the min-cash
tail "the mean of the worst 5%" (never "expected shortfall", which is the commitment's)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import sim.report as rp
from sim.model import bernoulli_parameters, parameter_label, uncertain_parameters


@pytest.fixture(scope="module")
def report(tmp_path_factory, default_result):
    folder = tmp_path_factory.mktemp("labels")
    rp.write_outputs(default_result, folder, formats=("md",))
    return (folder / "report.md").read_text(encoding="utf-8"), folder


def _section(md: str, number: int) -> str:
    start = md.index(f"## {number}. ")
    end = md.find("\n## ", start + 1)
    return md[start:end if end > 0 else None]


def test_inputs_by_label_and_key(report, default_result):
    inputs = _section(report[0], 7)
    scn = default_result.scenario
    for key in uncertain_parameters(scn):
        assert f"| {parameter_label(key)} | `{key}` |" in inputs
    for key in bernoulli_parameters(scn):
        assert f"| {parameter_label(key)} | `{key}` |" in inputs
    assert "| AI uplift: chance it works | `revenue.ai_uplift.probability` | 60.0% |" in inputs
    assert "](figures/input_distributions.png)" in inputs and (report[1] / "figures/input_distributions.png").is_file()


def test_min_cash_tail_is_the_mean_of_the_worst_5(report):
    md = report[0]
    assert "expected shortfall" not in md.lower()
    assert "mean of the worst 5%" in _section(md, 3) and "mean of the worst 5%" in _section(md, 6)
