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
from decimal import Context, Decimal, InvalidOperation, localcontext

__all__ = ["SCIENTIFIC_FROM", "describe_value", "format_money", "format_number", "parse_money", "parse_number"]

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
# re.ASCII: \d must not match Arabic-Indic or full-width digits (float() would read them).
_MONEY_RE = re.compile(
    rf"^(?P<s1>[+-]?)\s*(?P<dollar>\$?)\s*(?P<s2>[+-]?)(?P<num>{_DIGITS})\s*(?P<suffix>[KMBT]?)$",
    re.IGNORECASE | re.ASCII,
)
_NUMBER_RE = re.compile(rf"^(?P<sign>[+-]?)(?P<num>{_DIGITS})\s*(?P<pct>%?)$", re.ASCII)

#: Largest magnitude of any number in a config: far beyond any company
#: (1e12 USD millions is a million trillion dollars), far below float64's
#: 1.8e308, so sums and products of a run stay finite.
MAX_MAGNITUDE = 1e12
#: A written number longer than this many characters is refused before it is read.
MAX_DIGITS = 40

# format_number turns scientific from here on (a plain number, not money).
SCIENTIFIC_FROM = 1e15

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


def _finite(value: numbers.Real | Decimal, what: str, written: str | None = None) -> float:
    """``value`` as a float, refused when not finite or beyond ``MAX_MAGNITUDE``."""
    try:
        x = float(value)
    except OverflowError:  # a 400-digit integer
        x = math.inf if value > 0 else -math.inf
    else:
        if not math.isfinite(x) and not isinstance(value, Decimal):
            raise ValueError(f"expected a finite {what}, got {x}")
    if not abs(x) <= MAX_MAGNITUDE:
        raise ValueError(f"{what} too large: at most 1e12 in size (got {_short(value if written is None else written)})")
    return x


def _short(value: object) -> str:
    text = f"{value:g}" if isinstance(value, (float, Decimal)) else str(value)
    return text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_DIGITS:
        raise ValueError(f"too many digits ({len(text)} characters; at most {MAX_DIGITS})")
    return Decimal(text)


def _quiet() -> Context:
    # Arithmetic on "1e9999999" overflows to Infinity (refused by _finite)
    # instead of raising decimal.Overflow; precision and rounding are the defaults.
    return localcontext(Context(traps=[]))


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
        with _quiet():
            amount = _decimal(m["num"].replace(",", "")) * _MONEY_SCALE[m["suffix"].upper()]
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"malformed money {value!r} {_MONEY_HINT}") from None
    # copy_negate: exact, no context (a plain -x would round, and overflow on 1e9999999)
    return _finite(amount.copy_negate() if sign < 0 else amount, "amount of money", value.strip())


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
            with _quiet():
                x = _decimal(m["num"].replace(",", ""))
                if m["pct"]:
                    x = x / 100
            return _finite(x.copy_negate() if m["sign"] == "-" else x, "number", value.strip())
        if "%" in value:
            raise ValueError(f"malformed percent {describe_value(value)} (use a number like 0.05 or a string like \"5%\")")
    raise ValueError(f"expected a number, got {describe_value(value)}")


def format_number(x: float) -> str:
    """A plain number with four significant digits: ``0.08``, ``0.4167``, ``2031``, ``12,500``.

    From 1e15 on it is scientific (``5.361e+28``), never a 30-digit string.
    """
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= SCIENTIFIC_FROM:
        return f"{x:.4g}"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def format_money(x: float) -> str:
    """Format USD millions for people: ``$3.40B``, ``$450M``, ``$2.5M``, ``$900K``.

    Beyond a thousand trillion dollars (1e9 millions) it is scientific in
    dollars, ``$5.36e+34``, never a 30-digit string.

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
    if a >= 1e9:
        return f"{sign}${a * 1e6:.3g}"
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
