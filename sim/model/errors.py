"""The one error a scenario can raise, and the problem type validators raise inside pydantic.

Every problem with a scenario surfaces as one ``ConfigError`` line,
``source: dotted.key: problem``, with list elements addressed by their
``name`` (``cloud.silicon.graviton``).
"""

from __future__ import annotations

import re

__all__ = ["ConfigError", "ParameterError", "Problem", "NAME_RE", "TABLE_ARRAYS", "escape_controls", "num_text"]

TABLE_ARRAYS = (
    "revenue.shocks",
    "cloud.silicon",
    "cloud.pricing.shifts",
    "cloud.commitments",
    "operating_costs.programs",
    "regulatory.fines",
    "cash_flow.debt",
    "cash_flow.events",
)

NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigError(Exception):
    """A problem with a scenario, reported as one line.

    Attributes
    ----------
    source : str
        Where the problem is: the file or scenario name as given, ``--set``
        for an override, ``<dict>`` for a dict.
    key : str
        Dotted key (``cloud.silicon.graviton.savings``), or ``""``.
    problem : str
        What is wrong, in words.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        # Control characters from a config (a quoted key, a file name) never reach the terminal raw.
        self.source, self.key, self.problem = escape_controls(str(source)), escape_controls(key), escape_controls(problem)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.key:
            return f"{self.source}: {self.key}: {self.problem}"
        return f"{self.source}: {self.problem}"


class ParameterError(ValueError):
    """A bad argument to a library function, named by its Python parameter.

    The library speaks Python: ``ParameterError("grid", "expected KEY=V1,V2")``
    says which argument is wrong; the command line maps the parameter to its
    option (``--grid: expected KEY=V1,V2``) and exits with code 2.

    Attributes
    ----------
    parameter : str
        The parameter's name (``grid``, ``target``, ``metric``, ``paths``...).
    problem : str
        What is wrong, in words.
    """

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter, self.problem = parameter, problem
        super().__init__(f"{parameter}: {problem}")


class Problem(ValueError):
    """A validation problem with the key it concerns, relative to the model
    that raises it (absolute when raised by ``Scenario``)."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with control characters (newline included) written as escapes: ``\\x1b``, ``\\n``."""
    return CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], text)


def num_text(x: float) -> str:
    """Compact number for messages: 3200, 0.9, -310, 1.5e-07."""
    if x != 0 and (abs(x) < 1e-4 or abs(x) >= 1e15):
        return f"{x:.6g}"
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
