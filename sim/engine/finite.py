"""The summary's guard: a NaN or an infinity in a result is a bug, refused with the field named.

Every accepted scenario runs to finite numbers (``sim.model.limits``), so a
non-finite value reaching the summary writer is an internal error: it is
reported with its dotted field (``p_cash_breach.estimate``,
``by_year.cash.mean[3]``) instead of JSON's anonymous
``Out of range float values are not JSON compliant``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["NonFiniteResult", "check_finite", "non_finite_fields"]


class NonFiniteResult(ValueError):
    """A NaN or infinity in a result (a bug). ``field`` is its dotted path, ``value`` the number."""

    def __init__(self, field: str, value: float) -> None:
        self.field, self.value = field, value
        super().__init__(
            f"internal error: the result's field {field} is {value} (a bug, not a problem with the config: "
            "please report it with the config and command)"
        )


def non_finite_fields(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """``(dotted field, value)`` for every NaN or infinity in a nested summary.

    Parameters
    ----------
    node : dict, list, tuple, NumPy array or scalar
        A summary (``Result.summary``) or a part of it.
    path : str
        The dotted field of ``node``; entries of lists are ``field[i]``.
    """
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from non_finite_fields(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from non_finite_fields(value, f"{path}[{i}]")
    elif isinstance(node, np.ndarray):
        if node.dtype.kind in "fc" and not np.isfinite(node).all():
            bad = np.argwhere(~np.isfinite(node))[0]
            yield f"{path}[{']['.join(str(int(i)) for i in bad)}]", float(node[tuple(bad)])
        elif node.dtype == object:
            yield from non_finite_fields(node.tolist(), path)
    elif isinstance(node, (float, np.floating)) and not math.isfinite(float(node)):
        yield path, float(node)


def check_finite(summary: Mapping[str, Any]) -> None:
    """Raise ``NonFiniteResult`` naming the first NaN or infinity in ``summary``."""
    for field, value in non_finite_fields(summary):
        raise NonFiniteResult(field, value)
