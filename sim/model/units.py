"""Units: money (USD millions) and plain numbers as written in a config.

Inside the model every amount of money is a float in USD millions.  A config
may write money as a number (already in millions) or as a string with a
suffix: ``"3.4B"``, ``"$250M"``, ``"900K"``, ``"1.2T"``, ``"4,220"``,
``"-35.6M"``.  Rates and shares may be written ``0.05`` or ``"5%"``.

Decimal arithmetic turns the written digits into the nearest float, so
``"3.4B"`` is exactly ``3400.0`` and ``"1.75%"`` exactly ``0.0175``.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal, InvalidOperation

__all__ = ["parse_money", "parse_number", "format_money", "describe_value"]

# Multipliers from a suffix to USD millions.
_MONEY_SCALE = {
    "": Decimal(1),
    "K": Decimal("0.001"),
    "M": Decimal(1),
    "B": Decimal(1000),
    "T": Decimal(1000000),
}

# Digits with optional thousands separators ("4,220"), decimals and exponent.
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
_MONEY_RE = re.compile(
    rf"^(?P<s1>[+-]?)\s*(?P<dollar>\$?)\s*(?P<s2>[+-]?)(?P<num>{_DIGITS})\s*(?P<suffix>[KMBT]?)$",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(rf"^(?P<sign>[+-]?)(?P<num>{_DIGITS})\s*(?P<pct>%?)$")

_MONEY_HINT = '(use a number in USD millions or strings like "3.4B", "250M", "900K")'


def describe_value(value: object) -> str:
    """A short rendering of a config value for error messages.

    Strings are quoted, booleans written the TOML way, tables and arrays
    named rather than dumped when large.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        text = repr(list(value))
        return text if len(text) <= 40 else f"an array of {len(value)} entries"
    return repr(value) if not isinstance(value, float) else f"{value:g}"


def _finite(value: numbers.Real, what: str) -> float:
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"expected a finite {what}, got {x}")
    return x


def _is_real(value: object) -> bool:
    # numbers.Real covers int, float and NumPy scalars; bool is an int but
    # `true` in a config is never meant as 1.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def parse_money(value: object) -> float:
    """Parse an amount of money into USD millions.

    Parameters
    ----------
    value : int, float or str
        A number (already in USD millions) or a string such as ``"3.4B"``,
        ``"$250M"``, ``"900K"``, ``"1.2T"``, ``"4,220"``, ``"-35.6M"``;
        the suffix is case-insensitive and a missing suffix means millions.

    Returns
    -------
    float
        The amount in USD millions.

    Raises
    ------
    ValueError
        For booleans, NaN/infinity and anything else that is not money.
    """
    if _is_real(value):
        return _finite(value, "amount of money")
    if not isinstance(value, str):
        raise ValueError(f"expected money, got {describe_value(value)} {_MONEY_HINT}")
    m = _MONEY_RE.match(value.strip())
    if m is None or (m["s1"] and m["s2"]):
        raise ValueError(f"malformed money {value!r} {_MONEY_HINT}")
    sign = -1 if "-" in (m["s1"] + m["s2"]) else 1
    try:
        amount = Decimal(m["num"].replace(",", "")) * _MONEY_SCALE[m["suffix"].upper()]
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"malformed money {value!r} {_MONEY_HINT}") from None
    return _finite(sign * float(amount), "amount of money")


def parse_number(value: object) -> float:
    """Parse a plain number: a rate, share, probability or year count.

    Parameters
    ----------
    value : int, float or str
        A number, a numeric string (``"0.05"``) or a percentage
        (``"5%"``, ``"-2%"``, meaning 0.05 and -0.02).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``expected a number, got ...`` for booleans, NaN/infinity and
        anything that is not a number.
    """
    if _is_real(value):
        return _finite(value, "number")
    if isinstance(value, str):
        m = _NUMBER_RE.match(value.strip())
        if m is not None:
            x = Decimal(m["num"].replace(",", ""))
            if m["pct"]:
                x = x / 100
            return _finite(-float(x) if m["sign"] == "-" else float(x), "number")
        if "%" in value:
            raise ValueError(f"malformed percent {describe_value(value)} (use a number like 0.05 or a string like \"5%\")")
    raise ValueError(f"expected a number, got {describe_value(value)}")


def format_number(x: float) -> str:
    """A plain number with four significant digits: ``0.08``, ``0.4167``, ``2031``, ``12,500``."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def format_money(x: float) -> str:
    """Format USD millions for people: ``$3.40B``, ``$450M``, ``$2.5M``, ``$900K``.

    Parameters
    ----------
    x : float
        Amount in USD millions.

    Returns
    -------
    str
    """
    if not math.isfinite(x):
        return f"{x}"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        body = f"{a / 1e6:.2f}T"
    elif a >= 999.5:
        body = f"{a / 1e3:.2f}B"
    elif a >= 99.5:
        body = f"{a:.0f}M"
    elif a >= 1:
        body = f"{a:.3g}M"
    elif a == 0:
        return "$0"
    else:
        body = f"{a * 1e3:.3g}K"
    return f"{sign}${body}"
