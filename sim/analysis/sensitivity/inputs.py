"""The uncertain inputs of a scenario: what a sensitivity analysis holds fixed or varies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.model import (
    ParameterError,
    bernoulli_parameters,
    money_keys,
    uncertain_parameters,
)
from sim.model.labels import key_unit, parameter_label
from sim.present.formatting import money, percent

__all__ = ["Input", "uncertain_inputs"]


@dataclass(frozen=True)
class Input:
    """One uncertain input: a (D) parameter with a distribution, or a per-path Bernoulli outcome.

    Attributes
    ----------
    key : str
        Dotted key (``revenue.growth``), as ``--set`` takes it.
    dist : sim.model.distributions.Dist or None
        The parameter's distribution; None for a Bernoulli outcome.
    p : float or None
        The Bernoulli probability.
    money : bool
        Values are USD millions.
    """

    key: str
    dist: object | None = None
    p: float | None = None
    money: bool = False

    @property
    def bernoulli(self) -> bool:
        return self.dist is None

    def quantile(self, q):
        """Value(s) at probability level(s) ``q`` (a Bernoulli is 1 above 1 - p, else 0)."""
        if self.bernoulli:
            return np.where(np.asarray(q) > 1.0 - self.p, 1.0, 0.0) if np.ndim(q) else float(q > 1.0 - self.p)
        return self.dist.quantile(q)

    def tornado_values(self, low: float, high: float) -> tuple[float, float]:
        """The two ends of the bar: P(low) and P(high) (percent); a Bernoulli swings from 0 (never) to 1 (always)."""
        if self.bernoulli:
            return 0.0, 1.0
        return float(self.dist.quantile(low / 100)), float(self.dist.quantile(high / 100))

    def override(self, value: float) -> str:
        """The ``KEY=VALUE`` override that holds the input at ``value``."""
        return f"{self.key}={float(value)!r}"

    def show(self, value: float) -> str:
        if self.bernoulli:
            return "never" if value == 0 else ("always" if value == 1 else f"p={value:g}")
        if self.money:
            return money(value, minus="-")  # terminal text: ASCII
        return percent(value, minus="-") if key_unit(self.key) == "percent" else f"{value:.3g}"

    @property
    def label(self) -> str:
        """The input's name for people (``sim.model.labels.parameter_label``)."""
        return parameter_label(self.key)

    def describe(self) -> str:
        return f"Bernoulli(p={self.p:g})" if self.bernoulli else str(self.dist)


def uncertain_inputs(scn, keys: Sequence[str] | None = None) -> list[Input]:
    """The inputs that vary from path to path, in canonical order (or ``keys``' order).

    Non-fixed (D) parameters, and Bernoulli outcomes with 0 < p < 1.

    Raises
    ------
    ParameterError
        ``inputs: KEY: ...`` for a key that is not an uncertain input of the scenario.
    """
    dists = uncertain_parameters(scn)
    probs = bernoulli_parameters(scn)
    mk = money_keys(scn)
    every: dict[str, Input] = {}
    for k, d in dists.items():
        if not d.is_fixed:
            every[k] = Input(k, dist=d, money=k in mk)
    for k, p in probs.items():
        if 0.0 < p < 1.0:
            every[k] = Input(k, p=float(p))
    if keys is None:
        return list(every.values())
    out = []
    for k in keys:
        if k in every:
            if every[k] not in out:
                out.append(every[k])
        elif k in dists or k in probs:
            raise ParameterError("inputs", f"{k}: is a fixed value in this scenario: nothing to vary")
        else:
            raise ParameterError("inputs", f"{k}: not an uncertain input (uncertain: {', '.join(every) or 'none'})")
    return out
