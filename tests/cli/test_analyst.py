"""The analyst's command line: plausibility warnings, --strict, `sim init`, `scenarios --show`, small fixes.

Nothing here simulates (every command stops before the kernel), so the file runs in seconds.
"""

from __future__ import annotations

import itertools
import re

import pytest
import tomli_w
from helpers import TINY, invoke, merge

from sim.model.units import format_money, format_number

ACME = ["init", "--name", "acme", "--revenue", "1.2B", "--operating-costs", "1.1B", "--cash", "400M",
        "--cloud-spend", "150M", "--commitment", "600M", "--years", "3", "--start", "2025"]

# The typos: a 650% coupon, a 150% tax rate, 1.3 (130%) log growth, a floor above cash.
BAD = merge(TINY, {
    "company": {"tax_rate": 1.5},
    "policy": {"cash_floor": 400},
    "revenue": {"growth": {"dist": "normal", "mean": 1.3, "sd": 0.1}},
    "cash_flow": {"debt": [{"name": "notes", "principal": 100, "coupon": 6.5, "maturity": 2026}]},
    "operating_costs": {"variable_share": 0.3},
})


def write(tmp_path, data, name="cfg.toml"):
    path = tmp_path / name
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def test_validate_lists_implausible_values_readably_and_strict_fails(tmp_path):
    path = write(tmp_path, BAD)
    r = invoke("validate", path)
    assert r.exit_code == 0, r.output
    text = r.output.split("Warnings")[1]
    for key in ("company.tax_rate: is 150%", "cash_flow.debt.notes.coupon: is 650%",
                "revenue.growth: 95th percentile", "policy.cash_floor: $400M is at or above opening cash $300M"):
        assert key in text, text
    assert not re.search(r"\d{16,}", r.output)  # never a 30-digit string
    strict = invoke("validate", path, "--strict")
    assert strict.exit_code == 2 and "--strict: the config has" in strict.stderr


@pytest.mark.parametrize("extra, expected", [
    ({"revenue": {"volatility": 1.5}}, "revenue.volatility: is 150% a year"),
    ({"revenue": {"growth": {"mean": -0.8, "sd": 0.05}}}, "revenue.growth: 5th percentile -88%"),
    ({"revenue": {"growth": -0.7}}, "revenue.growth: is -70% log growth a year, below -50%"),
    ({"company": {"cash": -50}, "policy": {"cash_floor": -100}}, "company.cash: opening cash is negative"),
    ({"cloud": {"silicon": [{"name": "chip", "share": 0.5, "migrated_target": 0.5, "migration_years": 2,
                             "savings": {"dist": "uniform", "low": 0.9, "high": 0.99}}]}},
     "cloud.silicon.chip.savings: 95th percentile"),
    ({"scenario": {"years": 30}, "revenue": {"growth": 1.9}}, "revenue: compounds past $1e+21 within 30 years"),
    ({"scenario": {"years": 4}}, "operating_costs: neither variable_share nor fixed_growth is set"),
    ({"cash_flow": {"debt": [{"name": "old", "principal": 100, "maturity": 2020}]}}, "before the horizon starts"),
    ({"cloud": {"commitment": {"start_year": 2030}}}, "lie outside the horizon"),
])
def test_each_plausibility_warning(tmp_path, extra, expected):
    r = invoke("validate", write(tmp_path, merge(TINY, extra)))
    assert r.exit_code == 0, r.output
    assert expected in r.output.split("Warnings")[1]


def test_plausible_config_has_no_warning(tmp_path):
    # TINY runs 3 years with flat costs: flat for more than two years warns, but not at 3 with a cost driver
    r = invoke("validate", write(tmp_path, merge(TINY, {"operating_costs": {"fixed_growth": 0.03}})), "--strict")
    assert r.exit_code == 0, r.stderr
    assert "Warnings: none" in r.output


def test_run_prints_warnings_on_stderr_and_strict_stops_it(tmp_path):
    path = write(tmp_path, BAD)
    r = invoke("run", path, "--strict", "--paths", "100", "-q")
    assert r.exit_code == 2
    lines = [line for line in r.stderr.splitlines() if line.startswith("warning: ")]
    assert any("coupon: is 650%" in line for line in lines) and len(lines) == 4
    assert "--strict: the config has" in r.stderr


def test_init_writes_a_config_that_validates_without_warnings(tmp_path):
    r = invoke(*ACME)
    assert r.exit_code == 0, r.stderr
    text = r.output
    assert 'name = "acme"' in text and "revenue = 1200" in text and "total = 600" in text
    body = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
    assert all("#" in line for line in body if not line.startswith(("name", "description"))), "every key explained"
    path = tmp_path / "acme.toml"
    path.write_text(text)
    v = invoke("validate", path, "--strict")
    assert v.exit_code == 0, v.stderr
    assert "Warnings: none" in v.output
    assert "revenue.growth                  normal(mean=0.05, sd=0.05)" in v.output


def test_init_rejects_bad_figures():
    r = invoke(*ACME[:-4], "--cloud-spend", "2B")  # above operating costs (the later option wins)
    assert r.exit_code == 2 and r.stderr.startswith("--cloud-spend:"), r.stderr
    r = invoke("init", "--revenue", "lots", "--operating-costs", "1", "--cash", "1", "--cloud-spend", "0")
    assert r.exit_code == 2 and r.stderr.startswith("--revenue:"), r.stderr


def test_scenarios_show_prints_the_file_and_its_path():
    r = invoke("scenarios", "--show", "pinterest_aws_2031")
    assert r.exit_code == 0, r.stderr
    first, rest = r.output.split("\n", 1)
    assert first.startswith("# ") and first.endswith("pinterest_aws_2031.toml")
    with open(first[2:], encoding="utf-8") as fh:
        assert rest == fh.read()
    bad = invoke("scenarios", "--show", "nope")
    assert bad.exit_code == 2 and "no such shipped scenario" in bad.stderr


def test_max_paths_below_paths_is_an_error():
    r = invoke("run", "--paths", "1000", "--max-paths", "500", "--precision", "0.01", "-q")
    assert r.exit_code == 2 and r.stderr.startswith("--max-paths: 500 is below --paths 1,000"), r.stderr


def test_help_shows_percent_literally():
    r = invoke("run", "--help")
    assert "%%" not in r.output and "95% CI" in r.output


def test_huge_numbers_print_readably():
    assert format_money(5.36e28) == "$5.36e+34"
    assert format_money(1.2e6) == "$1.20T" and format_money(450) == "$450M"
    assert format_number(5.36e28) == "5.36e+28" and format_number(12_500) == "12,500"


def test_set_commitment_total_rescales_explicit_minimums_as_config_md_says():
    r = invoke("validate", "pinterest_aws_2031", "--set", "cloud.commitment.total=8B")
    assert r.exit_code == 0, r.stderr
    line = next(line for line in r.output.splitlines() if line.strip().startswith("commitment "))
    assert "$8.00B" in line and "minimums $800M, $860M, $920M, $980M, $1.04B, $1.10B, $1.12B, $1.18B" in line, line
    kept = invoke("validate", "pinterest_aws_2031", "--set", "cloud.commitment.total=4.1B",
                  "--set", "cloud.commitment.minimums=[500,500,500,500,500,500,500,600]")
    assert kept.exit_code == 0 and "minimums $500M" in kept.output, kept.stderr


def test_run_out_says_where_the_report_is_and_tables_carry_units(tmp_path):

    import pandas as pd

    out = tmp_path / "a" / "b"
    config = write(tmp_path, merge(TINY, {"operating_costs": {"fixed_growth": 0.03}}))
    r = invoke("run", config, "--paths", "2000", "--block-size", "500", "--out", out, "--format", "html")
    assert r.exit_code == 0, r.stderr
    assert f"report: {out}/report.html" in r.stderr
    assert "0.00 M paths/s" not in r.output
    if "compiling the simulation kernel" in r.stderr:  # a cold cache (another test run, a new install)
        assert "mostly compiling the kernel" in r.output and "M paths/s" not in r.output
    by_year = pd.read_csv(out / "by_year.csv")
    assert list(by_year.columns[:3]) == ["year", "metric", "unit"]
    assert set(by_year[by_year.metric == "operating_margin"].unit) == {"share"}
    assert set(by_year[by_year.metric == "cash_end"].unit) == {"usd_m"}
    assert {"cfar95_usd_m", "minimum_usd_m", "p_cash_breach"} <= set(pd.read_csv(out / "by_year_risk.csv").columns)
    assert {"cash_mean_usd_m", "cash_p05_usd_m"} <= set(pd.read_csv(out / "by_step.csv").columns)


def test_precision_checks_after_every_block_once_the_first_paths_are_done(tmp_path):
    import json

    config = write(tmp_path, merge(TINY, {"operating_costs": {"fixed_growth": 0.03}}))
    r = invoke("run", config, "--paths", "1000", "--block-size", "250", "--precision", "0.004", "--max-paths", "3000", "--json", "-")
    assert r.exit_code == 0, r.stderr
    checked = [c["paths"] for c in json.loads(r.output)["precision"]["convergence"]]
    assert checked[0] == 1000 and all(b - a == 250 for a, b in itertools.pairwise(checked)) and len(checked) > 1


def test_a_cold_kernel_is_announced_and_its_run_shows_no_speed(monkeypatch, tmp_path):
    from sim.engine.kernel import jit

    monkeypatch.setattr(jit, "is_cold", lambda dispatcher: True)  # as on a fresh install
    r = invoke("run", "--paths", "500", "--block-size", "500")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0].startswith("compiling the simulation kernel (once per install")
    assert "mostly compiling the kernel" in r.output and "M paths/s" not in r.output
    quiet = invoke("run", "--paths", "500", "--block-size", "500", "-q")
    assert quiet.stderr == "" and quiet.output == ""


def test_is_cold_reads_the_kernel_cache_index():
    from sim.engine.kernel import simulate_block
    from sim.engine.kernel.jit import is_cold

    simulate_block.signatures or invoke("run", "--paths", "200", "--block-size", "200", "-q")  # compiled or loaded now
    assert not is_cold(simulate_block)  # once it ran in this process
