"""The path loop of the reference: arrays of shape (m,) hold one value per path
and a Python loop walks the K steps (MODEL.md sections 3 to 7).

Money in USD millions; ``dt`` in years.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.reference.grid import CommitmentTerms, Grid
    from sim.engine.reference.inputs import BlockInputs
    from sim.model import Scenario

#: Per-fiscal-year outputs, each of shape (n, Y) per path.
YEAR_KEYS = (
    "revenue",
    "operating_income",
    "net_income",
    "fcf",
    "cloud_cost",
    "shortfall",
    "fines",
    "cash_end",
    "operating_margin",
)

#: Per-commitment, per-fiscal-year outputs, each of shape (n, J, Y): shortfall
#: paid, spend steered onto the contract, and the amount rolled over (deferred)
#: to the next contract year, booked in the fiscal year of the step they happen in.
COMMITMENT_KEYS = ("shortfall_by_commitment", "steered_by_commitment", "deferred_by_commitment", "usage_by_commitment")


class _Contract:
    """Per-path state of one commitment while the steps are walked."""

    def __init__(self, terms: CommitmentTerms, p: dict, m: int):
        self.terms = terms
        self.w = terms.share
        self.disc = p[f"{terms.key}.discount"]
        steer = p.get(f"{terms.key}.steerable")
        self.steer = np.zeros(m) if steer is None else steer
        self.year_usage = np.zeros(m)  # U of the running contract year
        self.term_usage = np.zeros(m)  # sum of U over counted years
        self.term_min = sum(terms.years[i].minimum for i in terms.counted)
        self.carried = np.zeros(m)  # D_{y-1}: deferred from the previous counted year
        self.credited = np.zeros(m)  # sum of U + S + P over counted years ("both")

    def usage(self, G: np.ndarray, k: int) -> np.ndarray:
        """C_{j,k} = w_j G_k (1 - delta_j [k in term]), accumulated into U of its counted year."""
        c = self.w * G * (1.0 - self.disc) if self.terms.in_term[k] else self.w * G
        if self.terms.contract_year[k] >= 0:
            self.year_usage = self.year_usage + c
            self.term_usage = self.term_usage + c
        return c

    def settle(self, k: int):
        """(paid, steered, deferred, usage counted) at step ``k`` (arrays (m,) or None: nothing settles)."""
        t = self.terms
        if k not in t.settle_at and k != t.last_settlement:
            return None
        paid = steered = deferred = used = None
        if t.shortfall == "term":
            if k == t.last_settlement:
                gap = np.maximum(0.0, self.term_min - self.term_usage)
                paid = np.maximum(0.0, self.term_min - self.term_usage - self.steer * self.term_min)
                steered = np.minimum(gap, self.steer * self.term_min)
                used = self.term_usage
        else:  # annual floors ("annual" and "both")
            i = t.settle_at[k]
            cy = t.years[i]
            q = np.maximum(0.0, cy.minimum + self.carried - self.year_usage)
            used = self.year_usage
            steered = np.minimum(q, self.steer * cy.minimum)
            owed = q - steered
            nxt = i + 1 < len(t.years) and t.years[i + 1].counted
            deferred = np.minimum(owed, t.rollover * cy.minimum) if nxt else np.zeros_like(owed)
            paid = owed - deferred
            self.carried = deferred
            self.credited = self.credited + self.year_usage + steered + paid
            if t.shortfall == "both" and t.all_counted and k == t.last_settlement:
                paid = paid + np.maximum(0.0, t.total - self.credited)
        self.year_usage = np.zeros_like(self.year_usage)
        return paid, steered, deferred, used


def simulate_paths(scn: Scenario, g: Grid, p: dict, x: BlockInputs) -> dict:
    """Walk K steps for a set of paths.

    Parameters
    ----------
    scn : Scenario
    g : Grid
        The scenario's deterministic schedules.
    p : dict of str to ndarray (m,)
        Per-path parameters (canonical (D) keys and Bernoulli keys).
    x : BlockInputs
        Step shocks of these paths (None fields: zero).

    Returns
    -------
    dict of str to ndarray
        ``YEAR_KEYS`` (m, Y), ``COMMITMENT_KEYS`` (m, J, Y), ``cloud_usage`` and
        ``list_cost`` (m, Y), ``cash`` (m, K), ``min_cash`` (m,),
        ``first_breach_step`` (m,) int64.
    """
    from sim.model.parameters import base_revenue, base_spend

    m = len(p["company.cash"])
    K, Y, dt = g.K, g.Y, g.dt
    sdt = math.sqrt(dt)
    rev_cfg = scn.revenue
    cloud = scn.cloud
    company = scn.company
    Z, W, ZP, J, S, fines = x.Z, x.W, x.ZP, x.J, x.S, x.fines

    # -- revenue: log L (the permanent level), X_e (fading parts), log R = log L + sum X_e
    r0 = p.get("company.revenue")
    r0 = np.full(m, base_revenue(scn)) if r0 is None else r0
    log_r = np.log(r0)
    log_l = log_r.copy()
    fading = [np.zeros(m) for _ in x.recovering]
    r_prev = r0
    growth = p["revenue.initial_growth"].copy()
    gbar = p["revenue.growth"]
    kappa = rev_cfg.mean_reversion
    eta = rev_cfg.growth_volatility
    sigma = rev_cfg.volatility
    ai = rev_cfg.ai_uplift
    if ai is not None:
        a_u = p["revenue.ai_uplift.probability"] * p["revenue.ai_uplift.uplift"]
        delay = p["revenue.ai_uplift.delay_years"]
        ramp_years = float(ai.ramp_years)

    # -- cloud
    v0 = p.get("cloud.spend")
    v0 = np.full(m, base_spend(scn)) if v0 is None else v0
    if g.has_cloud:
        log_v = np.log(v0)
        log_p = np.zeros(m)
        gamma = cloud.usage_growth
        elast = p["cloud.revenue_elasticity"]
        mu_p = p["cloud.pricing.drift"]
        sigma_p = cloud.pricing.volatility
        # efficiency E_k = 1 - sum_j h_j (b_j - a_j) clip(t_k / T_j, 0, 1) S_j
        sil = [
            (
                s.share
                * (p[f"cloud.silicon.{s.name}.migrated_target"] - s.migrated_start)
                * p[f"cloud.silicon.{s.name}.savings"],
                np.clip(g.t / s.migration_years, 0.0, 1.0),
            )
            for s in cloud.silicon
        ]
    contracts = [_Contract(t, p, m) for t in g.commitments]
    free_share = 1.0 - sum(c.w for c in contracts)  # billed at list price, no minimum

    # -- operating costs
    opc = company.operating_costs
    v_share = p["operating_costs.variable_share"]
    fixed0 = opc - v0 - v_share * r0
    phi = p["operating_costs.fixed_growth"]
    programs, noncash_programs = g.programs(scn, p, m)
    has_noncash = bool(np.any(noncash_programs))
    fines_due = np.zeros((m, K)) if fines else None

    # -- tax, cash, financing
    tax_rate = p["company.tax_rate"]
    nol = np.full(m, float(company.tax_loss_carryforward))
    rate = p["cash_flow.interest_rate"]
    cash_margin = p["cash_flow.noncash_share"] - p["cash_flow.capex_share"]
    wc = p.get("cash_flow.working_capital")
    repay: dict[int, np.ndarray] = {}
    issued: dict[int, float] = {}
    for d in g.debts:
        if d.maturity_step is not None:
            repay[d.maturity_step] = repay.get(d.maturity_step, 0.0) + p[d.key] * d.principal
        if d.issue_step is not None:
            issued[d.issue_step] = issued.get(d.issue_step, 0.0) + d.principal
    dated: dict[int, np.ndarray] = {}
    for amount, prob, step in g.events:
        dated[step] = dated.get(step, 0.0) + p[amount] * p[prob]
    bb = scn.cash_flow.buybacks
    cash = p["company.cash"].astype(np.float64, copy=True)
    floor = scn.policy.cash_floor

    out = {k: np.zeros((m, Y)) for k in YEAR_KEYS + ("cloud_usage", "list_cost")}
    for key in COMMITMENT_KEYS:
        out[key] = np.zeros((m, len(contracts), Y))
    cash_path = np.empty((m, K))
    min_cash = np.full(m, np.inf)
    first_breach = np.zeros(m, dtype=np.int64)

    for k in range(K):  # 0-based step; the model's step is k + 1
        y = g.year_index[k]
        # revenue
        u = 0.0
        if ai is not None:
            if ramp_years > 0:
                ramp = np.clip((g.t_prev[k] - delay) / ramp_years, 0.0, 1.0)
            else:
                ramp = (g.t_prev[k] >= delay - 1e-9).astype(np.float64)  # a delay of 5/12 starts in month 6
            u = a_u * ramp
        d_log_l = (growth + u - 0.5 * sigma * sigma) * dt
        if Z is not None:
            d_log_l = d_log_l + sigma * sdt * Z[:, k]
        if J is not None:
            d_log_l = d_log_l + J[:, k]
        if x.recovering:
            for e, (rho, decay, jumps) in enumerate(x.recovering):
                d_log_l = d_log_l + (1.0 - rho) * jumps[:, k]
                fading[e] = fading[e] * decay + rho * jumps[:, k]
            log_l = log_l + d_log_l
            new_log_r = log_l + sum(fading)
            d_log_r = new_log_r - log_r
            log_r = new_log_r
        else:  # v1: log R is log L
            d_log_r = d_log_l
            log_r = log_r + d_log_r
        growth = growth + kappa * (gbar - growth) * dt
        if W is not None:
            growth = growth + eta * sdt * W[:, k]
        r_run = np.exp(log_r)
        rev = r_run * dt

        # cloud bill
        cloud_k = 0.0
        if g.has_cloud:
            log_v = log_v + gamma * dt + elast * d_log_r
            d_log_p = (mu_p - 0.5 * sigma_p * sigma_p) * dt
            if ZP is not None:
                d_log_p = d_log_p + sigma_p * sdt * ZP[:, k]
            if S is not None:
                d_log_p = d_log_p + S[:, k]
            log_p = log_p + d_log_p
            eff = 1.0
            for hs, clip_t in sil:
                eff = eff - hs * clip_t[k]
            G = np.exp(log_v + log_p) * eff * dt  # list-price usage cost G_k
            out["list_cost"][:, y] += G
            if contracts:
                cloud_k = free_share * G
                for c in contracts:
                    cloud_k = cloud_k + c.usage(G, k)
            else:
                cloud_k = G
            out["cloud_usage"][:, y] += cloud_k
            for j, c in enumerate(contracts):
                settled = c.settle(k)
                if settled is None:
                    continue
                paid, steered, deferred, used = settled
                if paid is not None:
                    cloud_k = cloud_k + paid
                    out["shortfall"][:, y] += paid
                    out["shortfall_by_commitment"][:, j, y] += paid
                if steered is not None:
                    out["steered_by_commitment"][:, j, y] += steered
                if deferred is not None:
                    out["deferred_by_commitment"][:, j, y] += deferred
                if used is not None:
                    out["usage_by_commitment"][:, j, y] += used

        # fines: expensed and paid `lag` steps after the event
        for size, lag in fines:
            if k + lag < K:
                fines_due[:, k + lag] += size[:, k] * r_run
        fine_k = fines_due[:, k] if fines else 0.0

        opex = (
            v_share * rev
            + fixed0 * np.exp(phi * g.t[k]) * dt
            + programs[:, y] * dt
            + cloud_k
            + fine_k
        )
        oi = rev - opex

        # tax
        pretax = oi + rate * np.maximum(cash, 0.0) * dt - g.interest_expense[k]
        loss = pretax <= 0.0
        used = np.where(loss, 0.0, np.minimum(nol, pretax))
        nol = np.where(loss, nol - pretax, nol - used)
        tax = np.where(loss, 0.0, tax_rate * (pretax - used))
        ni = pretax - tax
        fcf = ni + cash_margin * rev
        if has_noncash:
            fcf = fcf + noncash_programs[:, y] * dt
        if wc is not None:
            fcf = fcf - wc * (r_run - r_prev)
        r_prev = r_run

        # financing
        after = cash + fcf - repay.get(k, 0.0)
        if k in issued:
            after = after + issued[k]
        if k in dated:
            after = after + dated[k]
        if bb is not None:
            buyback = bb.annual * dt + bb.fcf_share * np.maximum(fcf, 0.0)
            buyback = np.where(after - buyback >= bb.min_cash, buyback, 0.0)
            after = after - buyback
        cash = after

        # outputs
        out["revenue"][:, y] += rev
        out["operating_income"][:, y] += oi
        out["net_income"][:, y] += ni
        out["fcf"][:, y] += fcf
        out["cloud_cost"][:, y] += cloud_k
        if fines:
            out["fines"][:, y] += fine_k
        cash_path[:, k] = cash
        if g.last_of_year[k]:
            out["cash_end"][:, y] = cash
        np.minimum(min_cash, cash, out=min_cash)
        first_breach[(first_breach == 0) & (cash < floor)] = k + 1

    out["operating_margin"] = out["operating_income"] / out["revenue"]
    out["cash"] = cash_path
    out["min_cash"] = min_cash
    out["first_breach_step"] = first_breach
    return out
