"""Bad model v2 input through the command line: exit code 2 and one line,
``FILE: dotted.key: problem``, for every v2 validation rule (``sim validate``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "multi_cloud_example.toml"
BASE_TEXT = EXAMPLE.read_text(encoding="utf-8")


def edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The example config with each (old, new) edit made once, written into tmp_path."""
    text = BASE_TEXT
    for old, new in edits:
        assert text.count(old) >= 1, f"{old!r} is not in the example config"
        text = text.replace(old, new, 1)
    path = tmp_path / "deal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_line_error(result, start: str, *fragments: str) -> str:
    err = result.stderr
    assert result.exit_code == 2, f"exit {result.exit_code}, stderr {err!r}, exception {result.exception!r}"
    assert "Traceback" not in err and result.stdout == ""
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert lines[0].startswith(start), f"{lines[0]!r} does not start with {start!r}"
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def test_example_validates():
    result = invoke("validate", EXAMPLE)
    assert result.exit_code == 0, result.stderr
    assert "Warnings: none" in result.stdout
    assert "cloud.commitments.google: share 55% of the cloud bill" in result.stdout


GOOGLE_SHARE = "share = 0.55"
AWS_SHARE = "share = 0.35                # [A] [v2] 35% on AWS; the other 10% (on-premises, Azure) pays list price\n"
AWS_TOTAL = "total = 640                 # [A] [v2] the separate term total over 5 years, above the sum of floors\n"
AWS_MINIMUMS = "minimums = [110, 115, 120, 125, 130]   # [A] annual floors (sum $600M)\n"
HALF_LIFE = "half_life_years = 1.0       # [A] [v2] half of the recoverable part is back after a year\n"

BAD = [
    ("commitment-and-commitments", [("[operating_costs]", "[cloud.commitment]\ntotal = 100\nyears = 1\n\n[operating_costs]")],
     "cloud.commitments", ["[cloud.commitment]", "not both"]),
    ("shares-over-1", [(AWS_SHARE, "share = 0.5\n")], "cloud.commitments", ["shares add up to 1.05", "<= 1"]),
    ("several-without-shares", [(AWS_SHARE, "")], "cloud.commitments.aws.share", ["required when there are several commitments"]),
    ("share-zero", [(GOOGLE_SHARE, "share = 0")], "cloud.commitments.google.share", ["must be > 0"]),
    ("duplicate-contract-name", [('name = "aws"', 'name = "google"')], "cloud.commitments.google", ["duplicate name 'google'"]),
    ("rollover-with-term", [('shortfall = "annual"', 'shortfall = "term"')], "cloud.commitments.google.rollover",
     ['shortfall is "term"']),
    ("rollover-above-1", [("rollover = 0.15", "rollover = 1.5")], "cloud.commitments.google.rollover", ["between 0 and 1"]),
    ("rollover-negative", [("rollover = 0.15", 'rollover = "-5%"')], "cloud.commitments.google.rollover", ["between 0 and 1"]),
    ("steerable-above-1", [("steerable = 0.05", "steerable = 1.5")], "cloud.commitments.aws.steerable", ["must lie in [0, 1]"]),
    ("steerable-dist-outside", [('steerable = { dist = "uniform", low = 0.05, high = 0.15 }', 'steerable = { dist = "normal", mean = 0.1, sd = 0.05 }')],
     "cloud.commitments.google.steerable", ["must lie in [0, 1] on every path", "normal"]),
    ("both-without-total", [(AWS_TOTAL, "")], "cloud.commitments.aws.total", ['shortfall "both" needs minimums', "total"]),
    ("both-without-minimums", [(AWS_MINIMUMS, "years = 5\n")], "cloud.commitments.aws.minimums", ['shortfall "both" needs minimums']),
    ("malformed-start", [('start = "2026-08"', 'start = "Aug 2026"')], "cloud.commitments.google.start", ['expected "YYYY-MM"']),
    ("impossible-month", [('start = "2026-08"', 'start = "2026-13"')], "cloud.commitments.google.start", ["month must be 1 to 12"]),
    ("impossible-day", [('start = "2026-08"', 'start = "2026-02-30"')], "cloud.commitments.google.start", ["no such day"]),
    ("start-and-start-year", [('start = "2026-08"', 'start = "2026-08"\nstart_year = 2026')], "cloud.commitments.google.start",
     ["not both"]),
    ("issued-at-maturity", [('issued = "2027-07"', 'issued = "2030-12"')], "cash_flow.debt.term-loan.issued", ["at or after maturity"]),
    ("issued-after-maturity", [('issued = "2027-07"', 'issued = 2031.5')], "cash_flow.debt.term-loan.issued", ["at or after maturity"]),
    ("malformed-issued", [('issued = "2027-07"', 'issued = "soon"')], "cash_flow.debt.term-loan.issued", ['expected "YYYY-MM"']),
    ("recovery-above-1", [("recovery = 0.6", "recovery = 1.6")], "revenue.shocks.it-budget-freeze.recovery", ["between 0 and 1"]),
    ("recovery-without-half-life", [(HALF_LIFE, "")], "revenue.shocks.it-budget-freeze.half_life_years", ["required when recovery > 0"]),
    ("half-life-zero", [("half_life_years = 1.0", "half_life_years = 0")], "revenue.shocks.it-budget-freeze.half_life_years", ["must be > 0"]),
    ("commitment-without-cloud-bill", [('spend = { dist = "triangular", min = 300, mode = 340, max = 400 }', "spend = 0")],
     "cloud.commitments", ["needs cloud.spend > 0"]),
    ("fixed-costs-at-largest-values", [('operating_costs = "1.82B"', "operating_costs = 950")], "company.operating_costs",
     ["fixed costs come out negative", "cloud.spend 400", "each at its largest value"]),
    ("spend-without-positive-support", [('spend = { dist = "triangular", min = 300, mode = 340, max = 400 }',
                                         'spend = { dist = "normal", mean = 340, sd = 30 }')],
     "cloud.spend", ["must be > 0 on every path"]),
    ("revenue-without-positive-support", [('revenue = { dist = "lognormal", median = "2.0B", sigma = 0.03 }',
                                           'revenue = { dist = "uniform", low = 0, high = "2.2B" }')],
     "company.revenue", ["must be > 0 on every path"]),
    ("correlation-with-fixed-new-key", [('revenue = { dist = "lognormal", median = "2.0B", sigma = 0.03 }', 'revenue = "2.0B"')],
     "correlations", ["company.revenue ~ cloud.spend", "company.revenue is fixed"]),
    ("correlation-with-fixed-discount", [('between = ["company.revenue", "cloud.spend"]', 'between = ["cloud.commitments.aws.discount", "cloud.spend"]')],
     "correlations", ["cloud.commitments.aws.discount is fixed"]),
    ("correlation-with-unset-key", [('between = ["company.revenue", "cloud.spend"]', 'between = ["cash_flow.working_capital", "cloud.spend"]'),
                                    ("working_capital = -0.08", "")],
     "correlations", ["cash_flow.working_capital is not set"]),
    ("event-date-not-a-date", [('date = "2027-06"', 'date = "mid-2027"')], "cash_flow.events.acquisition.date", ['expected "YYYY-MM"']),
    ("event-date-boolean", [('date = "2027-06"', "date = true")], "cash_flow.events.acquisition.date", ['expected "YYYY-MM"']),
    ("event-without-date", [('date = "2028-10"            # [A] [v2] an audit settles\n', "")], "cash_flow.events.tax-settlement.date",
     ["required key missing"]),
    ("event-probability", [("probability = 0.3", "probability = 1.3")], "cash_flow.events.tax-settlement.probability", ["between 0 and 1"]),
    ("noncash-not-boolean", [("noncash = true", 'noncash = "yes"')], "operating_costs.programs.stock-comp.noncash", ["expected true or false"]),
    ("shortfall-rule", [('shortfall = "both"', 'shortfall = "floors"')], "cloud.commitments.aws.shortfall", ["'annual', 'term', 'both'"]),
    ("unknown-commitment-key", [("rollover = 0.15", "rolover = 0.15")], "cloud.commitments.google.rolover", ["did you mean 'rollover'"]),
]


@pytest.mark.parametrize("edits, key, fragments", [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_v2_input(tmp_path, edits, key, fragments):
    path = edited(tmp_path, *edits)
    assert_one_line_error(invoke("validate", path), f"{path}: {key}: ", *fragments)


def test_singular_commitment_named_otherwise(tmp_path):
    path = tmp_path / "one.toml"
    path.write_text(
        '[scenario]\nstart = 2024\nyears = 3\nsteps_per_year = 4\n[company]\nrevenue = 1000\noperating_costs = 900\n'
        'cash = 100\n[policy]\ncash_floor = 10\n[cloud]\nspend = 100\n[cloud.commitment]\nname = "gcp"\ntotal = 300\nyears = 3\n',
        encoding="utf-8",
    )
    assert_one_line_error(invoke("validate", path), f"{path}: cloud.commitment.name: ", "always named 'commitment'")


def test_set_on_list_elements():
    result = invoke("validate", EXAMPLE, "--set", "cloud.commitments.google.rollover=0.2", "--set", "cash_flow.events.acquisition.amount=-2.7B")
    assert result.exit_code == 0, result.stderr
    assert "rollover up to 20% of a year's minimum" in result.stdout and "fixed -$2.70B" in result.stdout
    assert_one_line_error(invoke("validate", EXAMPLE, "--set", "cloud.commitments.gcp.share=0.1"),
                          "--set: cloud.commitments.gcp: ", "no element named 'gcp'", "google, aws")
    assert_one_line_error(invoke("validate", EXAMPLE, "--set", "cloud.commitments.aws.share=0.6"),
                          "--set: cloud.commitments: ", "shares add up to 1.15")
    assert_one_line_error(invoke("validate", EXAMPLE, "--set", "cash_flow.events.ipo.amount=1B"),
                          "--set: cash_flow.events.ipo: ", "no element named 'ipo'")
