"""The per-path parameters of a scenario by dotted key, and the checks on them.

``uncertain_parameters`` fixes the canonical order of the (D) keys (the
random-number protocol of docs/DRAWS.md depends on it): v1's keys in v1's
order, then the keys model v2 adds, appended (docs/MODEL_NOTES.md, Model v2).
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
        ``cloud.commitment.discount`` only with the singular commitment
        table.  Then the [v2] keys: ``company.revenue`` and ``cloud.spend``
        when uncertain, ``cloud.commitments.NAME.discount`` for each
        list-form commitment, ``KEY.steerable`` for each commitment that
        sets it, ``cash_flow.events.NAME.amount`` for each event and
        ``cash_flow.working_capital`` when set.
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
    # [v2] keys, appended so that v1 keys keep their places
    if not scn.company.revenue.is_fixed:
        out["company.revenue"] = scn.company.revenue
    if not scn.cloud.spend.is_fixed:
        out["cloud.spend"] = scn.cloud.spend
    for c in scn.cloud.commitments:
        if not c.singular:
            out[f"{c.key}.discount"] = c.discount
    for c in scn.cloud.commitments:
        if "steerable" in c.model_fields_set:
            out[f"{c.key}.steerable"] = c.steerable
    for e in scn.cash_flow.events:
        out[f"cash_flow.events.{e.name}.amount"] = e.amount
    if "working_capital" in scn.cash_flow.model_fields_set:
        out["cash_flow.working_capital"] = scn.cash_flow.working_capital
    return out


def v2_keys(scn: Scenario) -> set[str]:
    """The (D) keys model v2 adds that this scenario could have, present or not.

    A correlation naming one of them needs it uncertain (a config error
    otherwise; a fixed v1 key only draws a warning, as in v1).
    """
    keys = {"company.revenue", "cloud.spend", "cash_flow.working_capital"}
    for c in scn.cloud.commitments:
        keys.add(f"{c.key}.steerable")
        if not c.singular:
            keys.add(f"{c.key}.discount")
    keys.update(f"cash_flow.events.{e.name}.amount" for e in scn.cash_flow.events)
    return keys


def bernoulli_parameters(scn: Scenario) -> dict[str, float]:
    """Per-path Bernoulli probabilities by dotted key, in the canonical order."""
    out: dict[str, float] = {}
    if scn.revenue.ai_uplift is not None:
        out["revenue.ai_uplift.probability"] = scn.revenue.ai_uplift.probability
    for d in scn.cash_flow.debt:
        out[f"cash_flow.debt.{d.name}.cash_repayment_probability"] = d.cash_repayment_probability
    for e in scn.cash_flow.events:  # [v2]
        out[f"cash_flow.events.{e.name}.probability"] = e.probability
    return out


def money_keys(scn: Scenario) -> set[str]:
    """The (D) keys whose values are money (USD millions)."""
    keys = {"company.cash", "company.revenue", "cloud.spend"}
    keys.update(f"operating_costs.programs.{p.name}.amount" for p in scn.operating_costs.programs if p.amount is not None)
    keys.update(f"cash_flow.events.{e.name}.amount" for e in scn.cash_flow.events)
    return keys


def base_revenue(scn: Scenario) -> float:
    """R_0 for everything that needs one number: the median of ``company.revenue``
    (USD millions per year; m_0 and the central case use it)."""
    return float(scn.company.revenue.median())


def base_spend(scn: Scenario) -> float:
    """V_0 for everything that needs one number: the median of ``cloud.spend``
    (USD millions per year; 0 means no cloud bill)."""
    return float(scn.cloud.spend.median())


def has_cloud(scn: Scenario) -> bool:
    """Whether the scenario has a cloud bill (``cloud.spend`` is not a fixed 0)."""
    return base_spend(scn) > 0


def largest(d: Dist) -> float:
    """The largest value of a (D) parameter: its support's upper end, or the
    1 - 1e-6 quantile when unbounded (MODEL.md section 5)."""
    hi = d.support()[1]
    return hi if math.isfinite(hi) else float(d.quantile(1 - 1e-6))


def variable_share_max(scn: Scenario) -> float:
    """Largest value of ``operating_costs.variable_share`` (see ``largest``)."""
    return largest(scn.operating_costs.variable_share)


def fixed_costs(scn: Scenario, variable_share: float, revenue: float | None = None, spend: float | None = None) -> float:
    """F_0 = operating_costs - cloud.spend - v * revenue (USD millions per year).

    ``revenue`` and ``spend`` default to the medians (``base_revenue``,
    ``base_spend``).
    """
    r = base_revenue(scn) if revenue is None else revenue
    v0 = base_spend(scn) if spend is None else spend
    return scn.company.operating_costs - v0 - variable_share * r


def check_fixed_costs(scn: Scenario) -> None:
    """F_0 >= 0 at the largest cloud.spend, variable_share and revenue together."""
    c = scn.company
    v, r, v0 = variable_share_max(scn), largest(c.revenue), largest(scn.cloud.spend)
    f0 = fixed_costs(scn, v, r, v0)
    if f0 < 0:
        uncertain = not (c.revenue.is_fixed and scn.cloud.spend.is_fixed)
        note = " (each at its largest value)" if uncertain else ""
        raise Problem(
            f"fixed costs come out negative: operating_costs {num_text(c.operating_costs)} - cloud.spend "
            f"{num_text(v0)} - variable_share {num_text(v)} x revenue {num_text(r)} = {num_text(f0)}{note}",
            "company.operating_costs",
        )


def check_correlations(scn: Scenario) -> None:
    """Correlation keys, pairs and the positive semi-definiteness of the copula."""
    dists = uncertain_parameters(scn)
    known = list(dists)
    new = v2_keys(scn)
    seen: dict[frozenset[str], float] = {}
    for c in scn.correlations:
        a, b = c.between
        pair = f"{a} ~ {b}"
        for k in (a, b):
            if k in new and (k not in dists or dists[k].is_fixed):
                raise Problem(
                    f"{pair}: {k} is {'fixed' if k in dists or k in ('company.revenue', 'cloud.spend') else 'not set (so fixed)'}: give it a distribution "
                    "to correlate it",
                    "correlations",
                )
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
