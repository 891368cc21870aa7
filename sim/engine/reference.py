"""A plain NumPy implementation of the model (``MODEL.md``), path-vectorised.

This module is the independent check on the Numba kernel and the speed
baseline for the benchmark.  It is written from the model specification
(``MODEL.md``) and the shared modelling choices, not from the kernel: arrays of
shape ``(n,)`` hold one value per path and a Python loop walks the steps.

Random numbers follow ``docs/DRAWS.md`` exactly, so the same seed gives the
same numbers as the kernel, up to floating-point rounding:

* per-path parameters: ``sim.engine.sampling.draw_parameters(scenario, seed, b, n_b)``;
* step normals ``Z`` (REVENUE), ``W`` (GROWTH), ``Z'`` (PRICE): one
  ``standard_normal((n_b, K))`` each, only when the model uses them;
* events (EVENTS): for each process in the order revenue shocks, price shifts,
  fines (list order, rate 0 skipped): Poisson counts over the horizon, uniform
  step indices, then the event sizes.

Money is in USD millions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from sim.engine import streams
if TYPE_CHECKING:  # pragma: no cover
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

DEFAULT_BLOCK_SIZE = 32768


# --------------------------------------------------------------------------
# The deterministic grid (depends on the scenario only)
# --------------------------------------------------------------------------


class _Grid:
    """Time grid and every step-indexed quantity that does not depend on a path."""

    def __init__(self, scn: "Scenario"):
        info = scn.scenario
        self.start = int(info.start)
        self.n = int(info.steps_per_year)
        self.Y = int(info.years)
        self.K = self.Y * self.n
        self.dt = 1.0 / self.n
        k = np.arange(1, self.K + 1)
        self.t = k * self.dt  # t_k, end of step k
        self.t_prev = (k - 1) * self.dt  # t_{k-1}, start of step k
        self.year_index = (k - 1) // self.n  # 0-based fiscal year of step k
        self.fiscal_year = self.start + self.year_index
        self.last_of_year = (k % self.n) == 0

        # -- commitment: committed years inside the horizon
        self.committed = np.zeros(self.K, dtype=bool)
        self.minimum = {}  # 0-based year index -> minimum for that year
        self.term_step = -1  # 0-based step of the term settlement, -1: none
        com = scn.cloud.commitment if scn.cloud.spend > 0 else None
        self.commitment = com
        if com is not None:
            first = int(com.start_year)
            for j, m in enumerate(com.minimums):
                y = first + j - self.start
                if 0 <= y < self.Y:
                    self.minimum[y] = float(m)
                    self.committed |= self.year_index == y
            if self.minimum:
                self.term_step = (max(self.minimum) + 1) * self.n - 1

        # -- debt: coupon per step and the maturity step of each loan
        self.interest_expense = np.zeros(self.K)
        self.debts = []  # (bernoulli key, principal, 0-based maturity step or None)
        for d in scn.cash_flow.debt:
            due = np.nonzero(self.start + self.t >= float(d.maturity) - 1e-9)[0]
            mstep = int(due[0]) if due.size else None  # None: past the horizon
            accrue = np.ones(self.K, dtype=bool) if mstep is None else np.arange(self.K) <= mstep
            self.interest_expense += np.where(accrue, d.principal * d.coupon * self.dt, 0.0)
            key = f"cash_flow.debt.{d.name}.cash_repayment_probability"
            self.debts.append((key, float(d.principal), mstep))


# --------------------------------------------------------------------------
# The path loop
# --------------------------------------------------------------------------


def _simulate(scn: "Scenario", g: _Grid, p: dict, Z, W, ZP, J, S, fines) -> dict:
    """Walk K steps for a set of paths.

    Parameters
    ----------
    p : dict of str to ndarray (m,)
        Per-path parameters (canonical (D) keys and Bernoulli keys).
    Z, W, ZP : ndarray (m, K) or None
        Revenue, growth and pricing normals (None: all zero). ZP is Z^P, the
        pricing normal already correlated with Z.
    J, S : ndarray (m, K) or None
        Per-step sums of log(1 + c) of revenue shocks and of price shifts.
    fines : list of (ndarray (m, K), int)
        Per fine process: the summed effective size min(f, cap) of the events
        of each step, and the payment lag in steps.
    """
    m = len(p["company.cash"])
    K, Y, dt = g.K, g.Y, g.dt
    sdt = math.sqrt(dt)
    rev_cfg = scn.revenue
    cloud = scn.cloud
    company = scn.company

    # -- revenue
    log_r = np.full(m, math.log(company.revenue))
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
    has_cloud = cloud.spend > 0
    if has_cloud:
        log_v = np.full(m, math.log(cloud.spend))
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
        com = g.commitment
        if com is not None:
            disc = p["cloud.commitment.discount"]
            term = com.shortfall == "term"
            year_usage = np.zeros(m)
            term_usage = np.zeros(m)
            term_min = sum(g.minimum.values())

    # -- operating costs
    opc = company.operating_costs
    v_share = p["operating_costs.variable_share"]
    fixed0 = opc - cloud.spend - v_share * company.revenue
    phi = p["operating_costs.fixed_growth"]
    programs = np.zeros((m, Y))  # programme cost per year (per path)
    for prog in scn.operating_costs.programs:
        first = (prog.start_year if prog.start_year is not None else g.start) - g.start
        active = [y for y in range(first, first + prog.years) if 0 <= y < Y]
        if not active:
            continue
        if prog.amount is not None:
            per_year = p[f"operating_costs.programs.{prog.name}.amount"]
        else:
            per_year = p[f"operating_costs.programs.{prog.name}.share"] * opc
        programs[:, active] += per_year[:, None]

    fines_due = np.zeros((m, K)) if fines else None

    # -- tax, cash, financing
    tax_rate = p["company.tax_rate"]
    nol = np.full(m, float(company.tax_loss_carryforward))
    rate = p["cash_flow.interest_rate"]
    cash_margin = p["cash_flow.noncash_share"] - p["cash_flow.capex_share"]
    repay = {}
    for key, principal, mstep in g.debts:
        if mstep is not None:
            repay[mstep] = repay.get(mstep, 0.0) + p[key] * principal
    bb = scn.cash_flow.buybacks
    cash = p["company.cash"].astype(np.float64, copy=True)
    floor = scn.policy.cash_floor

    out = {k: np.zeros((m, Y)) for k in YEAR_KEYS}
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
        d_log_r = (growth + u - 0.5 * sigma * sigma) * dt
        if Z is not None:
            d_log_r = d_log_r + sigma * sdt * Z[:, k]
        if J is not None:
            d_log_r = d_log_r + J[:, k]
        log_r = log_r + d_log_r
        growth = growth + kappa * (gbar - growth) * dt
        if W is not None:
            growth = growth + eta * sdt * W[:, k]
        r_run = np.exp(log_r)
        rev = r_run * dt

        # cloud bill
        cloud_k = 0.0
        if has_cloud:
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
            usage = np.exp(log_v + log_p) * eff * dt
            cloud_k = usage
            if com is not None and g.committed[k]:
                usage = usage * (1.0 - disc)
                cloud_k = usage
                year_usage += usage
                term_usage += usage
                short = None
                if not term and g.last_of_year[k]:
                    short = np.maximum(0.0, g.minimum[y] - year_usage)
                    year_usage[:] = 0.0
                elif term and k == g.term_step:
                    short = np.maximum(0.0, term_min - term_usage)
                if short is not None:
                    cloud_k = usage + short
                    out["shortfall"][:, y] += short

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

        # financing
        debt_k = repay.get(k, 0.0)
        after = cash + fcf - debt_k
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


# --------------------------------------------------------------------------
# Random inputs of one block (docs/DRAWS.md)
# --------------------------------------------------------------------------


def _events(rng: np.random.Generator, rate: float, dist, years: int, K: int, n_b: int):
    """Events of one Poisson process: (flat index path * K + step, size) arrays."""
    counts = np.searchsorted(_poisson_table(rate * years), rng.random(n_b), side="right")
    total = int(counts.sum())
    steps = np.floor(rng.random(total) * K).astype(np.int64)
    sizes = np.asarray(dist.sample(rng, total), dtype=np.float64)
    sizes = np.broadcast_to(sizes, (total,))
    flat = np.repeat(np.arange(n_b, dtype=np.int64) * K, counts) + steps
    return flat, sizes


def _poisson_table(mean: float) -> np.ndarray:
    """P(N <= k), N ~ Poisson(mean), made non-decreasing, for k up to far beyond where it reaches 1.0."""
    k = np.arange(int(mean + 20.0 * np.sqrt(mean) + 60.0))
    table = np.maximum.accumulate(stats.poisson.cdf(k, mean))
    table[-1] = 1.0
    return table


def _per_step(flat: np.ndarray, values: np.ndarray, n_b: int, K: int) -> np.ndarray:
    """Sum event values into an (n_b, K) array (events of one step add up)."""
    return np.bincount(flat, weights=values, minlength=n_b * K).reshape(n_b, K)


def _block_inputs(scn: "Scenario", g: _Grid, seed: int, b: int, n_b: int):
    K = g.K
    rev_cfg = scn.revenue
    pricing = scn.cloud.pricing
    rho = pricing.revenue_correlation

    Z = W = ZP = None
    if rev_cfg.volatility > 0 or (pricing.volatility > 0 and rho != 0):
        Z = streams.stream(seed, b, streams.REVENUE).standard_normal((n_b, K))
    if rev_cfg.growth_volatility > 0:
        W = streams.stream(seed, b, streams.GROWTH).standard_normal((n_b, K))
    if pricing.volatility > 0:
        zp = streams.stream(seed, b, streams.PRICE).standard_normal((n_b, K))
        ZP = zp if Z is None or rho == 0 else rho * Z + math.sqrt(1.0 - rho * rho) * zp

    rng = streams.stream(seed, b, streams.EVENTS)
    J = S = None
    for shock in rev_cfg.shocks:
        if shock.rate <= 0:
            continue
        flat, c = _events(rng, shock.rate, shock.change, g.Y, K, n_b)
        jumps = _per_step(flat, np.log1p(np.maximum(c, -0.99)), n_b, K)
        J = jumps if J is None else J + jumps
    for shift in pricing.shifts:
        if shift.rate <= 0:
            continue
        flat, c = _events(rng, shift.rate, shift.change, g.Y, K, n_b)
        jumps = _per_step(flat, np.log(np.maximum(1.0 + shift.share * c, 0.01)), n_b, K)
        S = jumps if S is None else S + jumps
    fines = []
    for fine in scn.regulatory.fines:
        if fine.rate <= 0:
            continue
        flat, f = _events(rng, fine.rate, fine.size, g.Y, K, n_b)
        f = np.maximum(f, 0.0)
        if fine.cap is not None:
            f = np.minimum(f, fine.cap)
        size = _per_step(flat, f, n_b, K)
        lag = int(math.floor(fine.lag_years * g.n + 0.5))
        fines.append((size, lag))
    return Z, W, ZP, J, S, fines


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def simulate_reference(
    scenario: "Scenario", seed: int, n_paths: int, block_size: int = DEFAULT_BLOCK_SIZE
) -> dict[str, np.ndarray]:
    """Simulate ``n_paths`` paths in blocks with plain NumPy.

    Returns
    -------
    dict of str to ndarray
        ``min_cash`` (n,), ``first_breach_step`` (n,) int64 (1-based step of
        the first Cash_k below ``policy.cash_floor``, 0 if none), the per-year
        arrays of ``YEAR_KEYS`` (n, Y) and the per-step ``cash`` (n, K); blocks
        concatenated in order.
    """
    from sim.engine.sampling import draw_parameters

    if n_paths < 1 or block_size < 1:
        raise ValueError("n_paths and block_size must be positive")
    g = _Grid(scenario)
    parts = []
    for b, lo in enumerate(range(0, n_paths, block_size)):
        n_b = min(block_size, n_paths - lo)
        params = {k: np.asarray(v, dtype=np.float64) for k, v in draw_parameters(scenario, seed, b, n_b).items()}
        Z, W, ZP, J, S, fines = _block_inputs(scenario, g, seed, b, n_b)
        parts.append(_simulate(scenario, g, params, Z, W, ZP, J, S, fines))
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def central_case_reference(scenario: "Scenario") -> dict[str, np.ndarray]:
    """The central case: every (D) at its median, no noise, no events, and
    Bernoulli outcomes at their probabilities (the uplift becomes p*U; a debt
    repays q * principal in cash).

    Returns
    -------
    dict of str to ndarray
        The per-year keys of ``YEAR_KEYS``, shape (Y,), and ``cash``, shape (K,).
    """
    from sim.model import bernoulli_parameters, uncertain_parameters

    params = {k: np.array([float(d.median())]) for k, d in uncertain_parameters(scenario).items()}
    params.update({k: np.array([float(q)]) for k, q in bernoulli_parameters(scenario).items()})
    params.setdefault("revenue.initial_growth", params["revenue.growth"])
    out = _simulate(scenario, _Grid(scenario), params, None, None, None, None, None, [])
    res = {k: out[k][0] for k in YEAR_KEYS}
    res["cash"] = out["cash"][0]
    return res
