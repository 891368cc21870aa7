"""Numbers for people: the one place that formats money, percentages and dates for presentation.

The report, the terminal summary, the figures and the analyses' texts all
format through these functions, so the same number reads the same
everywhere.  Money is USD millions (the model's unit) and builds on
:func:`sim.model.units.format_money`, which the model layer's ``describe``
uses too; probabilities and margins are fractions.

Negative numbers carry a true minus sign (U+2212) by default; the terminal
passes ``minus="-"`` to stay ASCII.  Missing and non-finite values read "n/a".

>>> from sim.present.formatting import money, percent, margin
>>> money(3400.0), money(-12.5), money(None)
('$3.40B', '−$12.5M', 'n/a')
>>> percent(0.0687), percent(0.0687, digits=1), margin(-0.246)
('6.87%', '6.9%', '−24.6%')
"""

from __future__ import annotations

import math
from typing import Sequence

from sim.model.units import format_money, format_number

__all__ = [
    "MINUS",
    "money",
    "percent",
    "percent_ci",
    "margin",
    "points",
    "number",
    "quantity",
    "in_words",
    "fiscal_date",
    "step_label",
]

MINUS = "\u2212"  # typographic minus: as wide as a digit, so columns of numbers line up


def _missing(x) -> bool:
    return x is None or not math.isfinite(x)


def _signed(text: str, negative: bool, minus: str) -> str:
    """``text`` (of the absolute value) with the minus sign, unless it rounds to zero."""
    if negative and any(c in "123456789" for c in text):
        return minus + text
    return text


def money(x: float | None, *, minus: str = MINUS, plus: bool = False) -> str:
    """USD millions for people: ``$3.40B``, ``$450M``, ``−$12.5M``, ``$900K``.

    Parameters
    ----------
    x : float or None
        Amount in USD millions.
    minus : str
        The sign of negative amounts (``"-"`` for ASCII output).
    plus : bool
        Write ``+`` before positive amounts (changes, bridges).

    Returns
    -------
    str
        Three significant digits (:func:`sim.model.units.format_money`);
        ``"n/a"`` for None, NaN and infinities.
    """
    if _missing(x):
        return "n/a"
    text = _signed(format_money(abs(x)), x < 0, minus)
    return "+" + text if plus and x > 0 and text != "$0" else text


def percent(p: float | None, digits: int | None = None, *, minus: str = MINUS) -> str:
    """A fraction in percent: ``72.0%``, ``6.87%``, ``0.045%``, ``0.0028%``; ``0%`` and ``100%`` exactly.

    Parameters
    ----------
    p : float or None
        A fraction (probability, share, margin): 0.0687 is 6.87%.
    digits : int, optional
        Fixed decimals (the terminal's aligned columns: ``digits=1`` gives
        ``6.9%`` and ``0.0%``).  By default as many as the value needs: one
        from 10%, two from 1%, two significant digits below 1%.
    minus : str
        The sign of negative values.

    Returns
    -------
    str
        ``"n/a"`` for None, NaN and infinities.
    """
    if _missing(p):
        return "n/a"
    if digits is not None:
        return _signed(f"{100 * abs(p):.{digits}f}%", p < 0, minus)
    if p < 0:
        return _signed(percent(-p), True, minus)
    if p == 0:
        return "0%"
    if p == 1:
        return "100%"
    x = 100 * p
    if x >= 10:
        return f"{x:.1f}%"
    if x >= 1:
        return f"{x:.2f}%"
    places = max(2, 1 - math.floor(math.log10(x)))  # two significant digits
    return f"{x:.{places}f}".rstrip("0").rstrip(".") + "%"


def percent_ci(ci: Sequence[float], digits: int | None = None) -> str:
    """A 95% interval ``(low, high)`` of fractions: ``6.53%–7.24%`` (en dash)."""
    return f"{percent(ci[0], digits)}\u2013{percent(ci[1], digits)}"


def margin(m: float | None, *, minus: str = MINUS) -> str:
    """An operating margin (fraction) in percent, one decimal: ``13.1%``, ``−24.6%``."""
    return percent(m, 1, minus=minus)


def points(x: float | None, *, minus: str = MINUS) -> str:
    """A difference of probabilities in percentage points: ``15.7 pts``, ``0.69 pts``, ``−2.10 pts``."""
    if _missing(x):
        return "n/a"
    return _signed(percent(abs(x))[:-1] + " pts", x < 0, minus)


def number(x: float) -> str:
    """A plain number with four significant digits: ``0.08``, ``0.4167``, ``2031``, ``12,500``."""
    return format_number(x)


def quantity(x: float | None, unit: str, *, minus: str = MINUS) -> str:
    """``x`` in its unit: money for ``"money"``, percent for ``"probability"``, ``"share"`` and ``"percent"``
    (the units of ``sim.engine.measures`` and ``sim.model.labels.key_unit``), else a plain number."""
    if unit == "money":
        return money(x, minus=minus)
    if unit in ("probability", "share", "percent"):
        return percent(x, minus=minus)
    if _missing(x):
        return "n/a"
    return _signed(number(abs(x)), x < 0, minus)


def in_words(p: float) -> str:
    """A probability in words: ``about 7 in 100 paths``, ``about 1 in 3,600 paths``, ``no simulated path``."""
    if p <= 0:
        return "no simulated path"
    if p >= 0.995:
        return "essentially every path"
    if p < 0.0095:
        n = 1 / p
        n = round(n, -max(0, math.floor(math.log10(n)) - 1))  # two significant digits: 1 in 29,000
        return f"about 1 in {int(n):,} paths"
    return f"about {round(100 * p)} in 100 paths"


def fiscal_date(t: float) -> str:
    """Decimal fiscal time (years) -> ``'2031-03'`` (year and month)."""
    year = math.floor(t + 1e-9)
    month = int(round((t - year) * 12)) + 1
    if month > 12:
        year, month = year + 1, 1
    return f"{year}-{month:02d}"


def step_label(t: float, start: int, spy: int) -> str:
    """Fiscal time at a step's end -> ``'Q3 2026'`` (quarters), ``'2026'`` (years) or ``'step 5/12 of 2026'``.

    Parameters
    ----------
    t : float
        Decimal fiscal time of the step's end, years.
    start : int
        The first fiscal year of the horizon.
    spy : int
        Steps per year.
    """
    k = int(round((t - start) * spy))  # 1-based step
    year = start + (k - 1) // spy
    within = (k - 1) % spy + 1
    return f"Q{within} {year}" if spy == 4 else (str(year) if spy == 1 else f"step {within}/{spy} of {year}")
