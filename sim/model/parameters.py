"""The per-path parameters of a scenario by dotted key, and the checks on them.

``uncertain_parameters`` fixes the canonical order of the (D) keys (the
random-number protocol of docs/DRAWS.md depends on it).
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.distributions import Dist
from sim.model.errors import Problem, num_text

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Scenario

def uncertain_parameters(scn: Scenario) -> dict[str, Dist]:
    """Every (D) parameter by dotted key, in the canonical order.

    Parameters
    ----------
    scn : Scenario

    Returns
    -------
    dict of str to Dist
        Fixed values included.  ``revenue.initial_growth`` only when given,
        the ``revenue.ai_uplift`` keys only with an uplift,
        ``cloud.commitment.discount`` only with a commitment.
    """
    out: dict[str, Dist] = {
        "company.cash": scn.company.cash,
        "company.tax_rate": scn.company.tax_rate,
        "revenue.growth": scn.revenue.growth,
    }
    if scn.revenue.initial_growth is not None:
        out["revenue.initial_growth"] = scn.revenue.initial_growth
    ai = scn.revenue.ai_uplift
    if ai is not None:
        out["revenue.ai_uplift.uplift"] = ai.uplift
        out["revenue.ai_uplift.delay_years"] = ai.delay_years
    out["cloud.revenue_elasticity"] = scn.cloud.revenue_elasticity
    for s in scn.cloud.silicon:
        out[f"cloud.silicon.{s.name}.migrated_target"] = s.migrated_target
        out[f"cloud.silicon.{s.name}.savings"] = s.savings
    out["cloud.pricing.drift"] = scn.cloud.pricing.drift
    if scn.cloud.commitment is not None:
        out["cloud.commitment.discount"] = scn.cloud.commitment.discount
    out["operating_costs.variable_share"] = scn.operating_costs.variable_share
    out["operating_costs.fixed_growth"] = scn.operating_costs.fixed_growth
    for p in scn.operating_costs.programs:
        if p.amount is not None:
            out[f"operating_costs.programs.{p.name}.amount"] = p.amount
        else:
            out[f"operating_costs.programs.{p.name}.share"] = p.share  # type: ignore[assignment]
    out["cash_flow.interest_rate"] = scn.cash_flow.interest_rate
    out["cash_flow.noncash_share"] = scn.cash_flow.noncash_share
    out["cash_flow.capex_share"] = scn.cash_flow.capex_share
    return out


def bernoulli_parameters(scn: Scenario) -> dict[str, float]:
    """Per-path Bernoulli probabilities by dotted key, in the canonical order."""
    out: dict[str, float] = {}
    if scn.revenue.ai_uplift is not None:
        out["revenue.ai_uplift.probability"] = scn.revenue.ai_uplift.probability
    for d in scn.cash_flow.debt:
        out[f"cash_flow.debt.{d.name}.cash_repayment_probability"] = d.cash_repayment_probability
    return out


def money_keys(scn: Scenario) -> set[str]:
    """The (D) keys whose values are money (USD millions)."""
    keys = {"company.cash"}
    keys.update(f"operating_costs.programs.{p.name}.amount" for p in scn.operating_costs.programs if p.amount is not None)
    return keys


def variable_share_max(scn: Scenario) -> float:
    """Largest value of ``operating_costs.variable_share``: the support's upper
    end, or the 1 - 1e-6 quantile when unbounded."""
    v = scn.operating_costs.variable_share
    hi = v.support()[1]
    return hi if math.isfinite(hi) else float(v.quantile(1 - 1e-6))


def fixed_costs(scn: Scenario, variable_share: float) -> float:
    """F_0 = operating_costs - cloud.spend - v * revenue (USD millions per year)."""
    c = scn.company
    return c.operating_costs - scn.cloud.spend - variable_share * c.revenue


def check_correlations(scn: Scenario) -> None:
    """Correlation keys, pairs and the positive semi-definiteness of the copula."""
    known = list(uncertain_parameters(scn))
    seen: dict[frozenset[str], float] = {}
    for c in scn.correlations:
        a, b = c.between
        pair = f"{a} ~ {b}"
        for k in (a, b):
            if k not in known:
                close = difflib.get_close_matches(k, known, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "not a (D) parameter of this scenario"
                raise Problem(f"{pair}: unknown parameter '{k}' ({hint})", "correlations")
        if a == b:
            raise Problem(f"{pair}: correlates a parameter with itself", "correlations")
        key = frozenset((a, b))
        if key in seen:
            raise Problem(f"{pair}: pair given twice", "correlations")
        seen[key] = c.rank
    # Connected groups; the Pearson matrix of each must be PSD.
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for c in scn.correlations:
        parent[find(c.between[0])] = find(c.between[1])
    groups: dict[str, list[str]] = {}
    for k in known:
        if k in parent:
            groups.setdefault(find(k), []).append(k)
    for keys in groups.values():
        index = {k: i for i, k in enumerate(keys)}
        mat = np.eye(len(keys))
        entries = []
        for c in scn.correlations:
            a, b = c.between
            if a in index:
                mat[index[a], index[b]] = mat[index[b], index[a]] = 2 * math.sin(math.pi * c.rank / 6)
                entries.append(f"{a} ~ {b} ({num_text(c.rank)})")
        if np.linalg.eigvalsh(mat).min() < -1e-10:
            raise Problem(
                f"matrix is not positive semi-definite (entries: {', '.join(entries)})", "correlations"
            )
