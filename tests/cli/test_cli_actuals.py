"""[v2] ``[[actuals]]`` through the command line: ``sim validate`` lists good ones; a bad one
exits with status 2 and one line, ``FILE: actuals: entry N (metric year): problem``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "multi_cloud_example.toml"  # horizon 2026-2030
BASE_TEXT = EXAMPLE.read_text(encoding="utf-8")

GOOD = '''
[[actuals]]
metric = "revenue"
year = 2026
value = "2.1B"
source = "10-K FY2026"

[[actuals]]
metric = "operating_margin"
year = 2027
value = "8%"

[[actuals]]
event = "shortfall"
year = 2028
happened = false
source = "10-K FY2028, commitments note"
'''


def with_actuals(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deal.toml"
    path.write_text(BASE_TEXT + text, encoding="utf-8")
    return path


def one_line_error(result) -> str:
    err = result.stderr
    assert result.exit_code == 2, f"exit {result.exit_code}, stderr {err!r}, exception {result.exception!r}"
    assert "Traceback" not in err and result.stdout == ""
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    return lines[0]


def test_validate_lists_actuals(tmp_path):
    result = invoke("validate", with_actuals(tmp_path, GOOD))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Actuals (realised outcomes for back-test scores; they never change the run)" in out
    assert "2026  revenue" in out and "$2.10B" in out and "10-K FY2026" in out
    assert "2027  operating_margin" in out and "8.0%" in out
    assert "2028  shortfall (event)" in out and "did not happen" in out
    assert "Warnings: none" in out


BAD = [
    ("unknown-metric", '[[actuals]]\nmetric = "ebitda"\nyear = 2027\nvalue = 10\n',
     "entry 1 (ebitda 2027): unknown metric 'ebitda' (known: revenue"),
    ("unknown-event", '[[actuals]]\nevent = "bankrupcy"\nyear = 2027\nhappened = true\n',
     "entry 1 (bankrupcy 2027): unknown event 'bankrupcy'"),
    ("year-past-horizon", '[[actuals]]\nmetric = "fcf"\nyear = 2031\nvalue = 10\n',
     "entry 1 (fcf 2031): year 2031 is outside the horizon 2026-2030"),
    ("year-before-horizon", '[[actuals]]\nevent = "cash_breach"\nyear = 2025\nhappened = false\n',
     "entry 1 (cash_breach 2025): year 2025 is outside the horizon 2026-2030"),
    ("value-not-a-number", '[[actuals]]\nmetric = "cash_end"\nyear = 2027\nvalue = "plenty"\n',
     "entry 1 (cash_end 2027): value: malformed money 'plenty'"),
    ("both", '[[actuals]]\nmetric = "shortfall"\nyear = 2027\nvalue = 0\nhappened = false\n',
     "entry 1 (shortfall 2027): give value (for a metric) or happened (for an event), not both"),
    ("neither", '[[actuals]]\nyear = 2027\n',
     "entry 1 (2027): needs metric (with value) or event (with happened)"),
    ("metric-without-value", '[[actuals]]\nmetric = "revenue"\nyear = 2027\n',
     "entry 1 (revenue 2027): value: required for a metric"),
]


@pytest.mark.parametrize("text, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_actual_is_one_line(tmp_path, text, fragment):
    path = with_actuals(tmp_path, GOOD + "\n" + text)
    line = one_line_error(invoke("validate", path))
    # the bad entry comes after the three good ones
    expected = fragment.replace("entry 1 ", "entry 4 ")
    assert line.startswith(f"{path}: actuals: entry 4"), line
    assert expected in line, line


# ---- sim backtest ----------------------------------------------------------


@pytest.mark.parametrize("name", ["unknown-metric", "year-past-horizon", "year-before-horizon", "value-not-a-number"])
def test_backtest_bad_actual_exits_2(tmp_path, name):
    text, fragment = next(b[1:] for b in BAD if b[0] == name)
    path = with_actuals(tmp_path, text)
    line = one_line_error(invoke("backtest", path, "--paths", 100))
    assert line.startswith(f"{path}: actuals: entry 1"), line
    assert fragment in line, line


def test_backtest_needs_actuals():
    line = one_line_error(invoke("backtest", EXAMPLE, "--paths", 100))
    assert "no [[actuals]] to score" in line and line.startswith(str(EXAMPLE)), line


def test_backtest_bad_paths_exits_2(tmp_path):
    line = one_line_error(invoke("backtest", with_actuals(tmp_path, GOOD), "--paths", 0))
    assert line == "--paths: must be at least 1", line


def test_backtest_json_and_page(tmp_path):
    import json

    path = with_actuals(tmp_path, GOOD)
    result = invoke("backtest", path, "--paths", 2000, "--seed", 4, "--json", "-", "--out", tmp_path / "bt")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # --json -: only the JSON on stdout
    assert doc["paths"] == 2000 and doc["seed"] == 4
    rows = doc["configs"][0]["backtest"]["actuals"]
    assert [(r["name"], r["year"]) for r in rows] == [("revenue", 2026), ("operating_margin", 2027), ("shortfall", 2028)]
    assert all(0.0 <= r["pit"] <= 1.0 for r in rows if r["kind"] == "value")
    assert doc["calibration"]["values"] == 2 and doc["calibration"]["events"] == 1
    page = (tmp_path / "bt" / "backtest.html").read_text(encoding="utf-8")
    assert "PIT histogram" in page and page.count("data:image/png;base64,") == 3  # histogram + 2 fans
    text = invoke("backtest", path, "--paths", 2000, "--seed", 4)
    assert text.exit_code == 0 and "Calibration over 2 values and 1 events" in text.stdout
