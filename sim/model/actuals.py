"""[v2] ``[[actuals]]``: what really happened, for back-test scores (docs/MODEL.md section 7).

An actual is either a realised value ``{metric, year, value}`` or an event
``{event, year, happened}``, with optional ``source`` and ``note`` texts.
Actuals never change a run: they are read only by the back-test scores,
after the paths are simulated.  Every problem is reported against the list,
``actuals``, with the entry's number and label:
``FILE: actuals: entry 3 (revenue 2018): value: expected money, got 'abc'``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from sim.model.errors import Problem, num_text
from sim.model.types import Model, parse_integer, parse_text
from sim.model.units import describe_value, parse_money, parse_number

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Scenario

__all__ = ["EVENTS", "METRICS", "MONEY_METRICS", "Actual", "actual_label", "check_actuals"]

#: per-year outputs an actual value can be compared with (the summary's ``by_year`` names)
METRICS = ("revenue", "net_income", "fcf", "cash_end", "cloud_cost", "operating_margin", "shortfall")
#: metrics in money (USD millions); ``operating_margin`` is a plain number (0.12 or "12%")
MONEY_METRICS = tuple(m for m in METRICS if m != "operating_margin")
#: money metrics that cannot be negative
NON_NEGATIVE = ("revenue", "cloud_cost", "shortfall")
#: yes/no outcomes: ``cash_breach`` (first breach in or before the year), ``shortfall`` (one paid in the year)
EVENTS = ("cash_breach", "shortfall")
KEYS = ("metric", "event", "year", "value", "happened", "source", "note")


def _get(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, Mapping) else getattr(entry, key, None)


def actual_label(entry: Any) -> str:
    """``"revenue 2018"``: an entry's metric (or event) and year as written, for messages.

    Parameters
    ----------
    entry : mapping or Actual
        A raw ``[[actuals]]`` table or a validated ``Actual``.

    Returns
    -------
    str
        The parts that are present (``""`` when neither is).
    """
    parts = []
    for key in ("metric" if _get(entry, "metric") is not None else "event", "year"):
        value = _get(entry, key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            parts.append(str(value))
    return " ".join(parts)


def _choice(value: Any, what: str, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6) if isinstance(value, str) else []
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(allowed)}"
    raise Problem(f"unknown {what} {describe_value(value)} ({hint})")


class Actual(Model):
    """One ``[[actuals]]`` entry: a realised value or a realised event.

    Attributes
    ----------
    metric : str or None
        One of ``METRICS`` (a value entry), else None.
    event : str or None
        One of ``EVENTS`` (an event entry), else None.
    year : int
        Fiscal year it concerns; inside the horizon (checked by ``Scenario``).
    value : float or None
        The realised value: USD millions, or a fraction for ``operating_margin``.
    happened : bool or None
        Whether the event happened.
    source, note : str
        Where the figure comes from; any remark.
    """

    metric: str | None = None
    event: str | None = None
    year: int
    value: float | None = None
    happened: bool | None = None
    source: str = ""
    note: str = ""

    @property
    def kind(self) -> str:
        """``"value"`` or ``"event"``."""
        return "value" if self.metric is not None else "event"

    @property
    def name(self) -> str:
        """The metric or the event."""
        return self.metric if self.metric is not None else self.event

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        # Everything is checked here so that each message can say which
        # entry it is about (load.py prefixes "entry N (metric year): ").
        if isinstance(data, Actual):
            return data
        if not isinstance(data, Mapping):
            raise Problem(f"expected a table, got {describe_value(data)}")
        unknown = [k for k in data if k not in KEYS]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), KEYS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(KEYS)}"
            raise Problem(f"unknown key '{unknown[0]}' ({hint})")
        out: dict[str, Any] = {}
        metric, event = data.get("metric"), data.get("event")
        if metric is not None and event is not None:
            raise Problem("give metric (with value) or event (with happened), not both")
        if metric is None and event is None:
            raise Problem("needs metric (with value) or event (with happened)")
        if metric is not None:
            out["metric"] = _choice(metric, "metric", METRICS)
        else:
            out["event"] = _choice(event, "event", EVENTS)
        if "year" not in data:
            raise Problem("year: required key missing")
        try:
            out["year"] = parse_integer(data["year"])
        except ValueError as exc:
            raise Problem(f"year: {exc}") from None
        value, happened = data.get("value"), data.get("happened")
        if value is not None and happened is not None:
            raise Problem("give value (for a metric) or happened (for an event), not both")
        if metric is not None:
            if value is None:
                raise Problem("value: required for a metric" + (" (happened is for events)" if happened is not None else ""))
            out["value"] = cls._value(out["metric"], value)
        else:
            if happened is None:
                raise Problem(
                    "happened: required for an event (true or false"
                    + ("; value is for metrics)" if value is not None else ")")
                )
            if not isinstance(happened, bool):
                raise Problem(f"happened: expected true or false, got {describe_value(happened)}")
            out["happened"] = happened
        for key in ("source", "note"):
            if key in data:
                try:
                    out[key] = parse_text(data[key])  # a string without terminal controls
                except ValueError as exc:
                    raise Problem(f"{key}: {exc}") from None
        return out

    @staticmethod
    def _value(metric: str, value: Any) -> float:
        try:
            x = parse_money(value) if metric in MONEY_METRICS else parse_number(value)
        except ValueError as exc:
            raise Problem(f"value: {exc}") from None
        if metric in NON_NEGATIVE and x < 0:
            raise Problem(f"value: {metric} cannot be negative (got {num_text(x)})")
        return x


def check_actuals(scn: Scenario) -> None:
    """Whole-scenario checks: every year inside the horizon, no entry given twice.

    Raises
    ------
    Problem
        Keyed ``actuals``: ``entry N (metric year): ...``.
    """
    info = scn.scenario
    first, last = info.start, info.start + info.years - 1
    seen: dict[tuple[str, str, int], int] = {}
    for i, a in enumerate(scn.actuals, start=1):
        label = f"entry {i} ({actual_label(a)})"
        if not first <= a.year <= last:
            raise Problem(f"{label}: year {a.year} is outside the horizon {first}-{last}", "actuals")
        ident = (a.kind, a.name, a.year)
        if ident in seen:
            raise Problem(f"{label}: given twice (also entry {seen[ident]})", "actuals")
        seen[ident] = i
