"""The ``sim`` command line (sim.cli.main): exit codes, one-line errors, outputs.

Every test goes through ``sim.cli.main.cli`` (the SimGroup) with click's
CliRunner, which calls ``SimGroup.main``: the exit codes seen here are the
ones a shell sees.  Bad input must give exit code 2 and exactly one line on
stderr, ``SOURCE: dotted.key: problem``, with no traceback.  Runs use at
most 2,000 paths so the file stays fast.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import invoke

import sim.api

ROOT = Path(__file__).resolve().parents[2]
BASE_TEXT = (ROOT / "configs" / "pinterest_aws_2031.toml").read_text(encoding="utf-8")
SHIPPED = ["lyft_2019_aws", "multi_cloud_example", "pinterest_2017_aws", "pinterest_aws_2031", "pinterest_aws_2031_filings", "snap_2017_cloud"]
RUNTIME_FIELDS = {"runtime_seconds", "paths_per_second", "includes_jit_compilation"}
PATHS = "2000"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------




def edited(tmp_path: Path, old: str, new: str, name: str = "deal.toml") -> Path:
    """The default scenario's text with one edit, written into tmp_path."""
    assert BASE_TEXT.count(old) >= 1, f"{old!r} is not in the shipped config"
    path = tmp_path / name
    path.write_text(BASE_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def appended(tmp_path: Path, extra: str, name: str = "deal.toml") -> Path:
    path = tmp_path / name
    path.write_text(BASE_TEXT + "\n" + extra, encoding="utf-8")
    return path


def assert_one_line_error(result, source: str, *fragments: str, code: int = 2) -> str:
    """Exit ``code``, exactly one stderr line starting with ``source``, every fragment in it."""
    err = result.stderr
    assert result.exit_code == code, f"exit {result.exit_code}, stderr {err!r}, exception {result.exception!r}"
    assert "Traceback" not in err and "Traceback" not in result.output
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    line = lines[0]
    assert line.strip(), "empty error line"
    assert line.startswith(source), f"{line!r} does not start with {source!r}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert result.stdout == "", f"nothing belongs on stdout after an error, got {result.stdout!r}"
    return line


def run_json(*args: str) -> dict:
    result = invoke("run", *args, "--json", "-")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def strip_runtime(summary: dict, *also: str) -> dict:
    drop = RUNTIME_FIELDS | set(also)
    return {k: v for k, v in summary.items() if k not in drop}


# --------------------------------------------------------------------------
# Bad config files: exit 2, one line naming the file, the key and the problem
# --------------------------------------------------------------------------

PSD_BREAKER = """
[[correlations]]
between = ["revenue.growth", "cloud.pricing.drift"]
rank = 0.9

[[correlations]]
between = ["revenue.growth", "operating_costs.programs.ai-investment.share"]
rank = 0.9

[[correlations]]
between = ["cloud.pricing.drift", "operating_costs.programs.ai-investment.share"]
rank = -0.9
"""

# (id, old text, new text, dotted key, fragments the message must contain)
FILE_EDITS = [
    (
        "unknown-key-suggests",
        "[cloud.commitment]",
        "[cloud.comitment]",
        "cloud.comitment",
        ["unknown key 'comitment'", "did you mean 'commitment'"],
    ),
    (
        "unknown-key-in-list-element",
        'savings = { dist = "triangular", min = 0.15',
        'savigns = 0.2\nsavings = { dist = "triangular", min = 0.15',
        "cloud.silicon.graviton.savigns",
        ["unknown key 'savigns'", "did you mean 'savings'"],
    ),
    (
        "string-for-number",
        "volatility = 0.10",
        'volatility = "high"',
        "revenue.volatility",
        ["expected a number", "'high'"],
    ),
    (
        "string-for-number-in-dist",
        "mean = 0.08, sd = 0.03",
        'mean = 0.08, sd = "wide"',
        "revenue.growth",
        ["'wide'"],
    ),
    (
        "malformed-money",
        'revenue = "3.4B"',
        'revenue = "3.4Q"',
        "company.revenue",
        ["malformed money", "'3.4Q'"],
    ),
    (
        "malformed-percent-double",
        'margin_drop = "2%"',
        'margin_drop = "5%%"',
        "policy.margin_drop",
        ["'5%%'", "malformed percent"],
    ),
    (
        "malformed-percent-letters",
        'margin_drop = "2%"',
        'margin_drop = "abc%"',
        "policy.margin_drop",
        ["'abc%'", "malformed percent"],
    ),
    (
        "negative-sd",
        "mean = 0.08, sd = 0.03",
        "mean = 0.08, sd = -0.03",
        "revenue.growth.sd",
        ["sd >= 0", "-0.03"],
    ),
    (
        "negative-poisson-rate",
        "rate = 0.3 ",
        "rate = -0.3 ",
        "revenue.shocks.competition.rate",
        [">= 0", "-0.3"],
    ),
    (
        "negative-shift-rate",
        "rate = 0.15                 # [A] events per year\nchange = { dist = \"uniform\", low = 0.05",
        "rate = -0.15                 # [A] events per year\nchange = { dist = \"uniform\", low = 0.05",
        "cloud.pricing.shifts.lock-in.rate",
        [">= 0", "-0.15"],
    ),
    (
        "negative-volatility",
        "volatility = 0.10",
        "volatility = -0.10",
        "revenue.volatility",
        [">= 0", "-0.1"],
    ),
    (
        "negative-price-volatility",
        "volatility = 0.03",
        "volatility = -0.03",
        "cloud.pricing.volatility",
        [">= 0", "-0.03"],
    ),
    (
        "triangular-mode-above-max",
        "min = 0.15, mode = 0.25, max = 0.40",
        "min = 0.15, mode = 0.45, max = 0.40",
        "cloud.silicon.graviton.savings",
        ["triangular", "min <= mode <= max", "0.45"],
    ),
    (
        "triangular-min-above-max",
        "min = -0.10, mode = -0.03, max = 0 }",
        "min = 0.10, mode = 0.05, max = 0 }",
        "revenue.shocks.competition.change",
        ["triangular", "min <= mode <= max"],
    ),
    (
        "pert-min-above-mode",
        "min = 0.05, mode = 0.07, max = 0.10",
        "min = 0.08, mode = 0.07, max = 0.10",
        "revenue.ai_uplift.uplift",
        ["pert", "min <= mode <= max", "0.08"],
    ),
    (
        "probability-above-one",
        "probability = 0.6",
        "probability = 1.5",
        "revenue.ai_uplift.probability",
        ["between 0 and 1", "1.5"],
    ),
    (
        "probability-below-zero",
        "probability = 0.6",
        "probability = -0.1",
        "revenue.ai_uplift.probability",
        ["between 0 and 1", "-0.1"],
    ),
    (
        "fixed-costs-negative",
        "variable_share = 0.45",
        "variable_share = 0.9",
        "company.operating_costs",
        ["fixed costs", "negative", "variable_share", "0.9"],
    ),
    (
        "unknown-distribution-family",
        'size = { dist = "lognormal", median = 0.005',
        'size = { dist = "lognormla", median = 0.005',
        "regulatory.fines.gdpr.size",
        ["unknown distribution 'lognormla'", "did you mean 'lognormal'"],
    ),
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(
    "old, new, key, fragments", [pytest.param(*case[1:], id=case[0]) for case in FILE_EDITS]
)
def test_bad_config_file(tmp_path, command, old, new, key, fragments):
    path = edited(tmp_path, old, new)
    extra = ["--paths", "100", "--json", str(tmp_path / "out.json")] if command == "run" else []
    result = invoke(command, path, *extra)
    assert_one_line_error(result, f"{path}: {key}", *fragments)
    assert not (tmp_path / "out.json").exists()


def test_correlation_matrix_not_psd(tmp_path):
    path = appended(tmp_path, PSD_BREAKER)
    line = assert_one_line_error(
        invoke("validate", path), f"{path}: correlations", "positive semi-definite"
    )
    # the message names the entries that cannot coexist
    for key in ("revenue.growth", "cloud.pricing.drift", "operating_costs.programs.ai-investment.share"):
        assert key in line
    assert "-0.9" in line


def test_correlation_unknown_key(tmp_path):
    path = appended(tmp_path, '[[correlations]]\nbetween = ["revenue.growht", "cloud.pricing.drift"]\nrank = 0.3\n')
    assert_one_line_error(
        invoke("validate", path),
        f"{path}: correlations",
        "revenue.growht",
        "unknown parameter",
        "did you mean 'revenue.growth'",
    )


def test_correlation_unknown_list_element(tmp_path):
    path = appended(
        tmp_path, '[[correlations]]\nbetween = ["revenue.growth", "cloud.silicon.inferentia.savings"]\nrank = 0.3\n'
    )
    assert_one_line_error(
        invoke("validate", path), f"{path}: correlations", "cloud.silicon.inferentia.savings", "unknown parameter"
    )


def test_small_toml_missing_required_key(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(
        '[scenario]\nstart = 2024\nyears = 3\nsteps_per_year = 4\n'
        '[company]\nrevenue = "1B"\noperating_costs = "900M"\ncash = "500M"\n'
    )
    assert_one_line_error(invoke("validate", path), f"{path}: policy", "missing")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    assert_one_line_error(invoke("validate", path), f"{path}", "not found")
    assert_one_line_error(invoke("run", path, "--paths", "100"), f"{path}", "not found")


def test_bare_name_not_shipped():
    line = assert_one_line_error(invoke("validate", "pinterest_gcp_2031"), "pinterest_gcp_2031", "no such file or shipped scenario")
    for name in SHIPPED:  # the message lists what exists
        assert name in line


def test_toml_syntax_error(tmp_path):
    path = appended(tmp_path, "[broken\n")
    assert_one_line_error(invoke("validate", path), f"{path}", "TOML syntax error", "line")


def test_toml_syntax_error_duplicate_key(tmp_path):
    path = edited(tmp_path, "years = 8               # [S]", "years = 8\nyears = 9 # [S]")
    assert_one_line_error(invoke("run", path, "--paths", "100"), f"{path}", "TOML syntax error")


# --------------------------------------------------------------------------
# Bad --set overrides: exit 2, one line starting with --set
# --------------------------------------------------------------------------

SET_CASES = [
    ("no-equals", "cloud.commitment.total", "cloud.commitment.total", ["expected KEY=VALUE"]),
    ("empty-key-part", "cloud..total=5B", "cloud..total", ["expected KEY=VALUE"]),
    ("unknown-key", "cloud.commitmnt.total=5B", "cloud.commitmnt", ["unknown key 'commitmnt'", "did you mean 'commitment'"]),
    ("unknown-leaf-key", "revenue.volatilty=0.1", "revenue.volatilty", ["unknown key 'volatilty'", "did you mean 'volatility'"]),
    ("unknown-key-in-element", "cloud.silicon.graviton.savigns=0.1", "cloud.silicon.graviton.savigns", ["unknown key 'savigns'", "did you mean 'savings'"]),
    ("unknown-element", "cloud.silicon.gravitn.savings=0.1", "cloud.silicon.gravitn", ["no element named 'gravitn'", "graviton", "trainium"]),
    ("bad-money", "cloud.commitment.total=lots", "cloud.commitment.total", ["malformed money", "'lots'"]),
    ("bad-money-suffix", "company.cash=3.4Q", "company.cash", ["'3.4Q'"]),
    ("bad-number", "revenue.volatility=abc", "revenue.volatility", ["expected a number", "'abc'"]),
    ("bad-percent", "policy.margin_drop=abc%", "policy.margin_drop", ["malformed percent", "'abc%'"]),
    ("bad-probability", "revenue.ai_uplift.probability=2", "revenue.ai_uplift.probability", ["between 0 and 1"]),
    ("negative-sd", "revenue.growth.sd=-0.01", "revenue.growth.sd", ["sd >= 0"]),
    ("through-a-value", "revenue.volatility.sd=0.1", "revenue.volatility.sd", ["not a table"]),
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("override, key, fragments", [pytest.param(*c[1:], id=c[0]) for c in SET_CASES])
def test_bad_set(tmp_path, command, override, key, fragments):
    extra = ["--paths", "100", "--json", str(tmp_path / "out.json")] if command == "run" else []
    result = invoke(command, "pinterest_aws_2031", "--set", override, *extra)
    assert_one_line_error(result, f"--set: {key}", *fragments)
    assert not (tmp_path / "out.json").exists()


def test_bad_set_on_a_file(tmp_path):
    # A file that is fine, an override that is not: the blame goes to --set.
    path = edited(tmp_path, "volatility = 0.10", "volatility = 0.12")
    assert_one_line_error(invoke("validate", path, "--set", "revenue.volatility=-1"), "--set: revenue.volatility", ">= 0")


# --------------------------------------------------------------------------
# Bad options
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, option",
    [
        (["--paths", "0"], "--paths"),
        (["--paths", "-5"], "--paths"),
        (["--threads", "0"], "--threads"),
        (["--seed", "-1"], "--seed"),
        (["--block-size", "0"], "--block-size"),
    ],
    ids=["paths-0", "paths-negative", "threads-0", "seed-negative", "block-size-0"],
)
def test_bad_run_options(tmp_path, args, option):
    out = tmp_path / "out.json"
    result = invoke("run", *args, "--json", out)
    assert_one_line_error(result, option)
    assert not out.exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "--paths", "many"], "--paths"),
        (["run", "--bogus"], "--bogus"),
        (["run", "--quantiles", "median"], "--quantiles"),
        (["launch"], "launch"),
        (["validate"], "CONFIG"),
    ],
    ids=["paths-not-int", "unknown-option", "bad-choice", "unknown-command", "missing-argument"],
)
def test_usage_errors_one_line(args, fragment):
    assert_one_line_error(invoke(*args), "sim", fragment)


# --------------------------------------------------------------------------
# run: JSON, files, determinism
# --------------------------------------------------------------------------

SECTION7_TOP = [
    "scenario",
    "paths",
    "seed",
    "years",
    "cash_floor",
    "p_cash_breach",
    "p_cash_breach_by_year",
    "p_profit_compression_by_year",
    "p_profit_compression_any",
    "p_net_loss_by_year",
    "p_commitment_shortfall",
    "expected_shortfall_total",
    "min_cash",
    "by_year",
    "cfar95_by_year",
    "central_case",
]
BY_YEAR_SERIES = ["cash_end", "revenue", "net_income", "fcf", "operating_margin", "cloud_cost"]


def check_section7(s: dict, paths: int, seed: int, scenario: str = "pinterest_aws_2031") -> None:
    for field in SECTION7_TOP:
        assert field in s, f"missing {field}"
    assert s["scenario"] == scenario
    assert s["paths"] == paths and s["seed"] == seed
    years = s["years"]
    assert years == list(range(years[0], years[0] + len(years)))
    n = len(years)
    assert isinstance(s["cash_floor"], (int, float))

    b = s["p_cash_breach"]
    assert set(b) >= {"estimate", "ci95", "se"}
    lo, hi = b["ci95"]
    assert 0 <= lo <= b["estimate"] <= hi <= 1
    assert b["se"] >= 0

    for name in ("p_cash_breach_by_year", "p_profit_compression_by_year", "p_net_loss_by_year"):
        assert len(s[name]) == n and all(0 <= p <= 1 for p in s[name]), name
    cum = s["p_cash_breach_by_year"]
    assert all(a <= b_ for a, b_ in zip(cum, cum[1:])), "breach by year is cumulative"
    assert cum[-1] == pytest.approx(b["estimate"])
    assert 0 <= s["p_profit_compression_any"] <= 1
    assert 0 <= s["p_commitment_shortfall"] <= 1
    assert s["expected_shortfall_total"] >= 0

    mc = s["min_cash"]
    assert set(mc) >= {"mean", "quantiles", "expected_shortfall_5pct"}
    assert "0.05" in mc["quantiles"] and "0.5" in mc["quantiles"]
    assert mc["expected_shortfall_5pct"] <= mc["quantiles"]["0.05"] + 1e-9

    for series in BY_YEAR_SERIES:
        d = s["by_year"][series]
        assert len(d["mean"]) == n, series
        assert "0.05" in d["quantiles"] and "0.5" in d["quantiles"], series
        for values in d["quantiles"].values():
            assert len(values) == n and all(math.isfinite(v) for v in values), series
    assert len(s["cfar95_by_year"]) == n

    central = s["central_case"]
    for series in ("cash_end", "net_income", "operating_margin"):
        assert len(central[series]) == n, series


def test_run_json_stdout_has_section7_fields():
    result = invoke("run", "pinterest_aws_2031", "--paths", PATHS, "--seed", "7", "--json", "-")
    assert result.exit_code == 0, result.stderr
    s = json.loads(result.stdout)  # stdout is the JSON and nothing else
    check_section7(s, 2000, 7)
    assert s["years"] == list(range(2024, 2032))
    assert s["cash_floor"] == pytest.approx(1000.0)


def test_run_default_scenario_json():
    s = run_json("--paths", "500")
    check_section7(s, 500, 0)


def test_run_other_shipped_scenario():
    s = run_json("pinterest_aws_2031_filings", "--paths", "500", "--seed", "3")
    check_section7(s, 500, 3, scenario="pinterest_aws_2031_filings")


def test_run_json_file_matches_stdout(tmp_path):
    out = tmp_path / "summary.json"
    result = invoke("run", "--paths", PATHS, "--seed", "5", "--json", out)
    assert result.exit_code == 0, result.stderr
    from_file = json.loads(out.read_text())
    check_section7(from_file, 2000, 5)
    from_stdout = run_json("--paths", PATHS, "--seed", "5")
    assert strip_runtime(from_file) == strip_runtime(from_stdout)
    assert not [p.name for p in tmp_path.iterdir() if p.name != "summary.json"], "no temporary files left behind"


def test_run_out_dir(tmp_path):
    out = tmp_path / "results" / "deal"
    result = invoke("run", "--paths", PATHS, "--seed", "2", "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # --quiet
    assert {"config.toml", "summary.json", "report.html", "by_year.csv"} <= {p.name for p in out.iterdir()}  # tables and report: tests/report/test_report.py
    s = json.loads((out / "summary.json").read_text())
    check_section7(s, 2000, 2)
    tomllib.loads((out / "config.toml").read_text())  # valid TOML
    check = invoke("validate", out / "config.toml")
    assert check.exit_code == 0, check.stderr
    assert check.stderr == ""
    # the resolved config runs to the same result
    again = run_json(out / "config.toml", "--paths", PATHS, "--seed", "2")
    assert again["config_hash"] == s["config_hash"]
    assert again["p_cash_breach"] == s["p_cash_breach"]
    assert again["by_year"] == s["by_year"]


def test_human_summary_mentions_breach_and_ci():
    result = invoke("run", "--paths", PATHS, "--seed", "4")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "P(cash < floor" in text
    assert "95% CI" in text
    s = run_json("--paths", PATHS, "--seed", "4")
    lo, hi = s["p_cash_breach"]["ci95"]
    # the printed estimate and interval are the JSON's, in percent
    assert f"{100 * s['p_cash_breach']['estimate']:.2f}%" in text
    assert f"{100 * lo:.2f}%" in text and f"{100 * hi:.2f}%" in text
    assert "$1.00B" in text  # the floor, in words people read
    assert "2,000 paths" in text


def test_quiet_prints_nothing():
    result = invoke("run", "--paths", "200", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_set_changes_resolved_config(tmp_path):
    result = invoke("validate", "pinterest_aws_2031", "--set", "cloud.commitment.total=5B")
    assert result.exit_code == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.strip().startswith("commitment"))
    assert "$5.00B" in line

    out = tmp_path / "out"
    result = invoke("run", "--paths", "500", "--set", "cloud.commitment.total=5B", "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    resolved = tomllib.loads((out / "config.toml").read_text())
    commitment = resolved["cloud"]["commitment"]
    assert commitment["total"] == pytest.approx(5000.0)
    assert sum(commitment["minimums"]) == pytest.approx(5000.0)

    base = run_json("--paths", "500")
    bigger = json.loads((out / "summary.json").read_text())
    assert bigger["config_hash"] != base["config_hash"]
    assert bigger["expected_shortfall_total"] > base["expected_shortfall_total"]


def test_several_sets_apply_in_order():
    result = invoke(
        "validate", "pinterest_aws_2031", "--set", "revenue.growth.mean=0.02", "--set", "revenue.growth.mean=0.05"
    )
    assert result.exit_code == 0, result.stderr
    assert "normal(mean=0.05, sd=0.03)" in result.stdout


def test_same_seed_same_json():
    a = run_json("--paths", PATHS, "--seed", "11")
    b = run_json("--paths", PATHS, "--seed", "11")
    assert strip_runtime(a) == strip_runtime(b)
    c = run_json("--paths", PATHS, "--seed", "12")
    assert c["by_year"] != a["by_year"], "a different seed gives different paths"


def test_threads_do_not_change_results():
    # small blocks so that two threads really share the work
    one = run_json("--paths", PATHS, "--seed", "9", "--block-size", "256", "--threads", "1")
    two = run_json("--paths", PATHS, "--seed", "9", "--block-size", "256", "--threads", "2")
    assert one["threads"] == 1 and two["threads"] == 2
    assert strip_runtime(one, "threads") == strip_runtime(two, "threads")


# --------------------------------------------------------------------------
# validate, scenarios, help
# --------------------------------------------------------------------------


def test_validate_prints_medians_and_ranges():
    result = invoke("validate", "pinterest_aws_2031")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "median" in text and "5%-95%" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("revenue.growth "))
    # normal(mean 0.08, sd 0.03): median 0.08, 5-95% is 0.08 -/+ 1.645 x 0.03
    m = re.search(r"\)\s+(\S+)\s+(\S+) to (\S+)\s*$", line)
    assert m, line
    median, lo, hi = (float(x) for x in m.groups())
    assert median == pytest.approx(0.08)
    assert lo == pytest.approx(0.08 - 1.6449 * 0.03, abs=2e-4)
    assert hi == pytest.approx(0.08 + 1.6449 * 0.03, abs=2e-4)
    assert "cloud.silicon.graviton.savings" in text  # list elements by name


def test_validate_file_path_and_set():
    result = invoke("validate", ROOT / "configs" / "pinterest_aws_2031.toml", "--set", "revenue.growth.mean=5%")
    assert result.exit_code == 0, result.stderr
    assert "normal(mean=0.05, sd=0.03)" in result.stdout


def test_scenarios_lists_shipped():
    result = invoke("scenarios")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    names = [l.split()[0] for l in lines if l.strip()]
    assert names == SHIPPED
    assert all(len(l.split(None, 1)) == 2 for l in lines if l.strip()), "each name has a description"


@pytest.mark.parametrize("args", [[], ["run"], ["validate"], ["scenarios"]], ids=["sim", "run", "validate", "scenarios"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(args, flag):
    result = invoke(*args, flag)
    assert result.exit_code == 0, result.stderr
    assert "Example" in result.stdout
    assert "Usage:" in result.stdout


def test_bare_sim_prints_help():
    result = invoke()
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "Usage:" in result.stdout and "Example" in result.stdout
    assert "Traceback" not in result.output


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("sim")


def _python_m_sim(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("SIM_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_python_m_sim_help():
    proc = _python_m_sim("--help")
    assert proc.returncode == 0, proc.stderr
    assert "Example" in proc.stdout and "run" in proc.stdout and "validate" in proc.stdout


def test_python_m_sim_errors_are_one_line(tmp_path):
    proc = _python_m_sim("validate", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{tmp_path / 'missing.toml'}: file not found"]
    proc = _python_m_sim("run", "--paths", "0")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------


def test_interrupt_exits_130_and_writes_nothing(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.api, "run", interrupted)
    out_json = tmp_path / "summary.json"
    out_dir = tmp_path / "results"
    result = invoke("run", "--paths", "100", "--json", out_json, "--out", out_dir)
    assert result.exit_code == 130, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    # click writes a bare newline (to end the "^C" on a terminal) before the message
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupt" in lines[0].lower(), result.stderr
    assert not out_json.exists()
    assert not out_dir.exists()
    assert list(tmp_path.iterdir()) == []


def test_interrupt_with_json_stdout(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.api, "run", interrupted)
    result = invoke("run", "--paths", "100", "--json", "-")
    assert result.exit_code == 130, (result.stderr, result.exception)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr


# --------------------------------------------------------------------------
# Other failures: exit 1, one line
# --------------------------------------------------------------------------


def test_unwritable_json_target_is_bad_input(tmp_path):
    target = tmp_path / "no-such-folder" / "summary.json"
    result = invoke("run", "--paths", "100", "--json", target)
    # checked before the run (not after a long one), naming the folder the user gave
    assert_one_line_error(result, f"--json: {target.parent}: no such folder", code=2)
    assert not target.parent.exists()


def test_write_error_names_the_target_not_the_temporary_file(tmp_path):
    from sim.files import write_atomic

    target = tmp_path / "no-such-folder" / "summary.json"
    with pytest.raises(OSError) as err:
        write_atomic(target, "{}")
    assert err.value.filename == str(target)


def test_internal_error_is_one_line(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sim.api, "run", broken)
    monkeypatch.delenv("SIM_DEBUG", raising=False)
    result = invoke("run", "--paths", "100")
    assert_one_line_error(result, "error", "RuntimeError", "boom", "SIM_DEBUG", code=1)
