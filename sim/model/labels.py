"""Labels people read for config keys, and the unit a key's values are in.

Every table and figure that names a parameter (tornado, spider, Sobol, sweep
and solve, the report's inputs) names it with :func:`parameter_label`; the
dotted key stays in machine outputs (CSV, JSON) and where a user types it
(``--set``).  Names of list elements (``cloud.silicon.graviton``) are
title-cased, with common acronyms in capitals.

>>> from sim.model.labels import parameter_label, key_unit
>>> parameter_label("revenue.ai_uplift.probability")
'AI uplift: chance it works'
>>> parameter_label("cloud.silicon.graviton.savings"), parameter_label("cloud.commitments.google.discount")
('Graviton: cost savings', 'Google commitment: discount')
>>> key_unit("cloud.commitment.total"), key_unit("company.tax_rate"), key_unit("cloud.revenue_elasticity")
('money', 'percent', 'number')
"""

from __future__ import annotations

import re

__all__ = ["factor_label", "key_unit", "parameter_label", "title_name"]

# Keys whose label is not "SECTION: leaf"
_FIXED = {
    "company.cash": "Opening cash",
    "company.revenue": "Base-year revenue",
    "company.operating_costs": "Base-year operating costs",
    "company.net_income": "Base-year net income",
    "company.tax_rate": "Tax rate",
    "company.tax_loss_carryforward": "Tax loss carryforward",
    "revenue.growth": "Revenue growth (log, per year)",
    "revenue.initial_growth": "Revenue growth, first year",
    "revenue.mean_reversion": "Revenue growth: mean reversion",
    "revenue.volatility": "Revenue volatility",
    "revenue.ai_uplift.probability": "AI uplift: chance it works",
    "revenue.ai_uplift.uplift": "AI uplift: extra growth",
    "revenue.ai_uplift.delay_years": "AI uplift: delay (years)",
    "revenue.ai_uplift.ramp_years": "AI uplift: ramp (years)",
    "cloud.spend": "Cloud bill, base year",
    "cloud.revenue_elasticity": "Cloud bill: elasticity to revenue",
    "cloud.usage_growth": "Cloud usage growth",
    "cloud.pricing.drift": "Cloud prices: yearly drift",
    "operating_costs.variable_share": "Operating costs: variable share",
    "operating_costs.fixed_growth": "Operating costs: growth of fixed costs",
    "cash_flow.interest_rate": "Interest rate on cash",
    "cash_flow.noncash_share": "Non-cash costs, share of revenue",
    "cash_flow.capex_share": "Capex, share of revenue",
    "cash_flow.working_capital": "Working capital, share of revenue",
    "policy.cash_floor": "Cash floor",
    "policy.margin_drop": "Margin drop that counts as compression",
}

# The last part of a key, in words
_LEAF = {
    "probability": "chance it happens",
    "cash_repayment_probability": "chance it is repaid in cash",
    "change": "size",
    "savings": "cost savings",
    "migrated_target": "share migrated",
    "migrated_start": "share migrated at the start",
    "migration_years": "years to migrate",
    "steerable": "steerable share",
    "minimums": "yearly minimums",
    "delay_years": "delay (years)",
    "lag_years": "payment lag (years)",
    "fcf_share": "share of free cash flow",
    "min_cash": "cash kept",
}

# (pattern, label with {name} and {leaf})
_LISTS = [
    (re.compile(r"^revenue\.shocks\.([^.]+)\.(.+)$"), "{name} shock: {leaf}"),
    (re.compile(r"^cloud\.pricing\.shifts\.([^.]+)\.(.+)$"), "{name} price shift: {leaf}"),
    (re.compile(r"^cloud\.silicon\.([^.]+)\.(.+)$"), "{name}: {leaf}"),
    (re.compile(r"^cloud\.commitments\.([^.]+)\.(.+)$"), "{name} commitment: {leaf}"),
    (re.compile(r"^operating_costs\.programs\.([^.]+)\.(.+)$"), "{name} program: {leaf}"),
    (re.compile(r"^cash_flow\.events\.([^.]+)\.(.+)$"), "{name}: {leaf}"),
    (re.compile(r"^cash_flow\.debt\.([^.]+)\.(.+)$"), "{name} debt: {leaf}"),
    (re.compile(r"^regulatory\.fines\.([^.]+)\.(.+)$"), "{name} fine: {leaf}"),
]
_SECTIONS = {
    "cloud.commitment": "Commitment",
    "revenue.ai_uplift": "AI uplift",
    "revenue": "Revenue",
    "cloud.pricing": "Cloud prices",
    "cloud": "Cloud bill",
    "operating_costs": "Operating costs",
    "cash_flow": "Cash flow",
    "company": "Company",
    "policy": "Policy",
}
_ACRONYMS = {"ai", "aws", "gcp", "ipo", "rsu", "it", "tpu", "gpu", "cpu", "saas", "us", "eu", "uk", "ml", "hq", "m&a",
             "gdpr", "dsa", "dma", "ccpa", "sec", "ftc", "doj", "cma", "ec", "vat"}

_MONEY_LEAVES = {"cash", "revenue", "spend", "operating_costs", "net_income", "tax_loss_carryforward", "cash_floor",
                 "total", "minimums", "amount", "principal", "annual", "min_cash"}
_PERCENT_LEAVES = {"tax_rate", "probability", "cash_repayment_probability", "uplift", "change", "recovery", "growth",
                   "initial_growth", "usage_growth", "volatility", "share", "migrated_start", "migrated_target",
                   "savings", "drift", "discount", "rollover", "steerable", "variable_share", "fixed_growth", "size",
                   "fcf_share", "interest_rate", "noncash_share", "capex_share", "working_capital", "margin_drop",
                   "cap"}


def title_name(name: str) -> str:
    """A list element's name for people: ``graviton`` -> ``Graviton``, ``ipo-rsu-expense`` -> ``IPO RSU Expense``."""
    words = [w for w in re.split(r"[-_\s]+", name) if w]
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w[:1].upper() + w[1:] for w in words) or name


def _leaf(leaf: str) -> str:
    return _LEAF.get(leaf, leaf.replace("_", " "))


def parameter_label(key: str) -> str:
    """A config key in words: ``revenue.ai_uplift.probability`` -> ``AI uplift: chance it works``.

    Parameters
    ----------
    key : str
        A dotted config key: a (D) or Bernoulli parameter, an event's size, or
        any key a sweep or ``--set`` names.

    Returns
    -------
    str
        The label; a key this module does not know comes back as it is.
    """
    if key in _FIXED:
        return _FIXED[key]
    for pattern, form in _LISTS:
        m = pattern.match(key)
        if m:
            name, leaf = m.group(1), m.group(2)
            if form.endswith("program: {leaf}") and leaf == "share":
                leaf = "share_of_revenue"
            return form.format(name=title_name(name), leaf=_leaf(leaf.split(".")[-1]))
    section, _, leaf = key.rpartition(".")
    if section in _SECTIONS and "." not in leaf:
        return f"{_SECTIONS[section]}: {_leaf(leaf)}"
    return key


def factor_label(factor: str) -> str:
    """A Sobol factor (input keys joined by ``" + "``, for correlated inputs) in words."""
    return " + ".join(parameter_label(k) for k in factor.split(" + "))


def key_unit(key: str) -> str:
    """The unit of a config key's values: ``"money"`` (USD millions), ``"percent"`` (a fraction) or ``"number"``."""
    leaf = key.rsplit(".", 1)[-1]
    if leaf in _MONEY_LEAVES:
        return "money"
    if leaf in _PERCENT_LEAVES:
        return "percent"
    return "number"
