"""Commitments on the time grid, and their settlement in the kernel (MODEL.md section 4).

``compile_commitments`` turns each commitment into per-step arrays (in term,
counted, settlement, minimum settled, deferral cap) for ``Model``'s ``com_*``
fields; ``settle_contract_year`` is the kernel's settlement of one contract
year for a chunk of paths.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.engine.kernel.jit import njit
from sim.model.contracts import contract_years, term_steps

# Shortfall rules of a commitment.
ANNUAL, TERM, BOTH = 0, 1, 2
RULES = {"annual": ANNUAL, "term": TERM, "both": BOTH}
# Per-commitment fields (rows of the kernel's ``com_vals``, ``com_sums`` and ``com_series``).
K_PAID, K_STEERED, K_DEFERRED, K_USAGE = range(4)
N_COM_FIELDS = 4


class Commitments(NamedTuple):
    """The commitment arrays of ``sim.engine.kernel.compile.Model`` (its ``com_*`` fields), one row per slot."""

    n: int
    uncommitted: float
    share: np.ndarray
    rule: np.ndarray
    in_term: np.ndarray
    counted: np.ndarray
    settle: np.ndarray
    minimum: np.ndarray
    defer_cap: np.ndarray
    final: np.ndarray
    total: np.ndarray
    disc_col: np.ndarray
    steer_col: np.ndarray
    year_minimum: np.ndarray


def compile_commitments(scenario, columns: dict[str, int], has_cloud: bool) -> Commitments:
    """Each commitment's in-term steps, counted years and settlements (MODEL.md section 4).

    Contract years come from ``sim.model.contracts.contract_years``; a year
    is counted when all its steps lie inside the horizon.  Without a cloud
    bill or a commitment there is one empty slot (share 0, never in term),
    so the kernel's first commitment loop needs no branch.
    """
    info = scenario.scenario
    K, years = info.years * info.steps_per_year, info.years
    coms = scenario.cloud.commitments if has_cloud else ()
    C = max(1, len(coms))
    share = np.zeros(C)
    rule = np.zeros(C, dtype=np.int64)
    in_term = np.zeros((C, K))
    counted = np.zeros((C, K))
    settle = np.zeros((C, K), dtype=np.bool_)
    minimum = np.zeros((C, K))
    defer_cap = np.zeros((C, K))
    final = np.zeros((C, K), dtype=np.bool_)
    total = np.zeros(C)
    empty = columns["cloud.commitment.discount"]  # a row of zeros unless the singular table draws it
    disc_col = np.full(C, empty, dtype=np.int64)
    steer_col = np.full(C, empty, dtype=np.int64)
    year_minimum = np.zeros(years)
    for j, c in enumerate(coms):
        share[j] = c.share
        rule[j] = RULES[c.shortfall]
        disc_col[j] = columns[f"{c.key}.discount"]
        steer_col[j] = columns[f"{c.key}.steerable"]
        cys = contract_years(c, info)
        for k in term_steps(c, info):
            in_term[j, k - 1] = 1.0
        kept = [cy for cy in cys if cy.counted]
        for cy in kept:
            counted[j, cy.first_step - 1 : cy.settlement_step] = 1.0
            year_minimum[(cy.settlement_step - 1) // info.steps_per_year] += cy.minimum
        if not kept:
            continue
        if rule[j] == TERM:  # one settlement, over the counted years
            k = kept[-1].settlement_step - 1
            settle[j, k] = True
            minimum[j, k] = float(sum(cy.minimum for cy in kept))
            continue
        for cy in kept:
            k = cy.settlement_step - 1
            settle[j, k] = True
            minimum[j, k] = cy.minimum
            following = [n for n in cys if n.year == cy.year + 1]
            if following and following[0].counted:  # y < Y_j and year y + 1 counted
                defer_cap[j, k] = c.rollover * cy.minimum
        if rule[j] == BOTH and len(kept) == len(cys):
            final[j, kept[-1].settlement_step - 1] = True
            total[j] = c.total
    uncommitted = 1.0 - float(sum(share)) if coms else 1.0
    return Commitments(len(coms), uncommitted, share, rule, in_term, counted, settle, minimum, defer_cap, final, total,
                       disc_col, steer_col, year_minimum)


@njit(inline="always")
def settle_contract_year(j, y, p, c0, theta, minimum, defer_cap, steer_col, both, final, total,
                         used, carry, toward, cloud, short, com_vals):
    """Settle commitment ``j``'s contract year (at a step of fiscal year ``y``) for a chunk's ``p`` paths.

    MODEL.md section 4: gap q = max(0, M + D_{y-1} - U), steered S = min(q, g M),
    owed s = q - S, deferred D = min(s, r M) (``defer_cap`` = r M where year
    y + 1 may take it, else 0), paid P = s - D.  Under "term" this runs once,
    with M the counted years' minimums and U their usage (D = 0).  Under
    "both" the year's U + S + P count toward the term total, topped up at the
    ``final`` settlement.  Paid amounts join the step's bill (``cloud``) and
    shortfall (``short``); paid, steered, deferred and the usage U counted at
    this settlement go to ``com_vals``.
    With g = 0 and r = 0 this is v1's max(0, M - U), operation for operation.
    """
    for i in range(p):
        u = used[j, i]
        gap = max(0.0, minimum + carry[j, i] - u)
        steered = min(gap, theta[steer_col, c0 + i] * minimum)
        owed = gap - steered
        deferred = min(owed, defer_cap)
        paid = owed - deferred
        if both:
            toward[j, i] += u + steered + paid
            if final:
                paid += max(0.0, total - toward[j, i])
        carry[j, i] = deferred
        used[j, i] = 0.0
        cloud[i] += paid
        short[i] += paid
        com_vals[K_PAID, j, y, i] = paid
        com_vals[K_STEERED, j, y, i] = steered
        com_vals[K_DEFERRED, j, y, i] = deferred
        com_vals[K_USAGE, j, y, i] = u
