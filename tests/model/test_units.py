"""Money and number parsing (sim.model.units)."""

import math

import pytest

from sim.model.units import format_money, parse_money, parse_number

MONEY_HINT = '(use a number in USD millions or strings like "3.4B", "250M", "900K")'


@pytest.mark.parametrize(
    "text, expected",
    [
        (3400, 3400.0),
        (2.5, 2.5),
        ("3.4B", 3400.0),
        ("3.4b", 3400.0),
        ("$250M", 250.0),
        ("250m", 250.0),
        ("900K", 0.9),
        ("1.2T", 1_200_000.0),
        ("4,220", 4220.0),
        ("1,234,567.5", 1234567.5),
        ("-35.6M", -35.6),
        ("-$35.6M", -35.6),
        ("$-1B", -1000.0),
        (" 3.4 B ", 3400.0),
        ("450", 450.0),
        (".5B", 500.0),
        ("1e3", 1000.0),
    ],
)
def test_parse_money(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["3.4Q", "abc", "", "4,22", "1,2345", "--1", "-$-1", "3.4BB", "$", "5%"])
def test_parse_money_malformed(text):
    with pytest.raises(ValueError) as err:
        parse_money(text)
    assert str(err.value) == f"malformed money {text!r} {MONEY_HINT}"


@pytest.mark.parametrize(
    "value, message",
    [
        (True, f"expected money, got true {MONEY_HINT}"),
        ([1, 2], f"expected money, got [1, 2] {MONEY_HINT}"),
        ({"a": 1}, f"expected money, got a table {MONEY_HINT}"),
        (float("nan"), "expected a finite amount of money, got nan"),
        (float("inf"), "expected a finite amount of money, got inf"),
    ],
)
def test_parse_money_rejects(value, message):
    with pytest.raises(ValueError) as err:
        parse_money(value)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "text, expected",
    [
        (0.05, 0.05),
        (7, 7.0),
        ("5%", 0.05),
        ("-2%", -0.02),
        ("1.75%", 0.0175),
        ("+3 %", 0.03),
        ("0.05", 0.05),
        ("-0.5", -0.5),
        ("1e-3", 0.001),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("abc", "expected a number, got 'abc'"),
        ("5%%", 'malformed percent \'5%%\' (use a number like 0.05 or a string like "5%")'),
        ("3.4B", "expected a number, got '3.4B'"),
        (True, "expected a number, got true"),
        (None, "expected a number, got None"),
        ([1], "expected a number, got [1]"),
        (float("nan"), "expected a finite number, got nan"),
        (-math.inf, "expected a finite number, got -inf"),
    ],
)
def test_parse_number_rejects(value, message):
    with pytest.raises(ValueError) as err:
        parse_number(value)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "x, text",
    [(3400, "$3.40B"), (450, "$450M"), (2.5, "$2.5M"), (0.9, "$900K"), (-35.6, "-$35.6M"), (1.2e6, "$1.20T"), (0, "$0")],
)
def test_format_money(x, text):
    assert format_money(x) == text
