"""sim.present.formatting: the one formatting module (money, percent, margins, points, words, dates)."""

from __future__ import annotations

import math

import pytest

from sim.model.units import format_money
from sim.present import formatting as fmt

M = "\u2212"


@pytest.mark.parametrize(
    "p, text",
    [(0, "0%"), (1, "100%"), (0.72025, "72.0%"), (0.0687, "6.87%"), (0.00045, "0.045%"), (0.00002, "0.002%"),
     (7.8e-6, "0.00078%"), (0.005, "0.5%"), (-0.0687, M + "6.87%")],
)
def test_percent_digits_as_needed(p, text):
    assert fmt.percent(p) == text


def test_percent_fixed_digits_for_columns():
    assert fmt.percent(0.0687, 1) == "6.9%" and fmt.percent(0.0687, 2) == "6.87%" and fmt.percent(0, 1) == "0.0%"
    assert fmt.percent(-0.053, 1, minus="-") == "-5.3%"
    assert fmt.percent(-0.00001, 1) == "0.0%", "no sign on a value that rounds to zero"
    assert fmt.percent_ci([0.0653, 0.0724]) == "6.53%\u20137.24%"
    assert fmt.percent_ci([0.0653, 0.0724], 1) == "6.5%\u20137.2%"


@pytest.mark.parametrize("x", [3400.0, 450.0, 146.37, 12.5, 2.5, 0.9, 0.0, 1.2e6])
def test_money_builds_on_the_model_format(x):
    assert fmt.money(x) == format_money(x)
    assert fmt.money(-x, minus="-") == format_money(-x), "ASCII minus: the model's own text"
    if x:
        assert fmt.money(-x) == M + format_money(x)


def test_money_signs_and_missing():
    assert fmt.money(-767.0) == M + "$767M" and fmt.money(4000) == "$4.00B" and fmt.money(146.37) == "$146M"
    assert fmt.money(120.0, plus=True) == "+$120M" and fmt.money(-120.0, plus=True) == M + "$120M"
    assert fmt.money(0.0, plus=True) == "$0" and fmt.money(-0.0) == "$0"
    for missing in (None, math.nan, math.inf, -math.inf):
        assert fmt.money(missing) == "n/a" and fmt.percent(missing) == "n/a" and fmt.margin(missing) == "n/a"


def test_margin_and_points():
    assert fmt.margin(0.131) == "13.1%" and fmt.margin(-0.246) == M + "24.6%" and fmt.margin(-0.0001) == "0.0%"
    assert fmt.margin(-0.246, minus="-") == "-24.6%"
    assert fmt.points(0.157) == "15.7 pts" and fmt.points(0.0069) == "0.69 pts" and fmt.points(-0.021) == M + "2.10 pts"


def test_words_and_dates():
    assert fmt.in_words(0.0687) == "about 7 in 100 paths"
    assert fmt.in_words(1 / 28959) == "about 1 in 29,000 paths"
    assert fmt.in_words(0) == "no simulated path" and fmt.in_words(0.999) == "essentially every path"
    assert fmt.fiscal_date(2031.25) == "2031-04" and fmt.fiscal_date(2030.999999) == "2031-01"
    assert fmt.step_label(2026.75, 2024, 4) == "Q3 2026"
    assert fmt.step_label(2027.0, 2024, 1) == "2026"
    assert fmt.step_label(2026 + 5 / 12, 2024, 12) == "step 5/12 of 2026"
    assert fmt.number(0.41666) == "0.4167" and fmt.number(12500) == "12,500"
