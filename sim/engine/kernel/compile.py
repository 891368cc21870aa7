"""Scenario -> the flat arrays and scalars the Numba kernel reads.

Everything that is the same on every path (the time grid, each commitment's
in-term steps and settlements, debt schedules, silicon ramps, event
processes) is computed once here.  Everything drawn per path goes into
``theta``, a ``(columns, paths)`` float64 table whose row layout is fixed by
:class:`Layout`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import special

from sim.engine.kernel.commitments import compile_commitments
from sim.model import distributions as D
from sim.model.contracts import date_step
from sim.model.parameters import base_revenue, base_spend

# Fixed theta rows (per-path parameters); v2's rows come after v1's.
(
    CASH0, TAX, GBAR, G0, UPLIFT, DELAY, AI_ON, ELASTICITY, DRIFT, DISCOUNT, VAR_SHARE, FIXED_GROWTH, RATE, NONCASH, CAPEX,
    REVENUE0, SPEND0, WORKING_CAPITAL,
) = range(18)
N_FIXED_COLUMNS = 18

_FIXED_KEYS = {
    CASH0: "company.cash",
    TAX: "company.tax_rate",
    GBAR: "revenue.growth",
    G0: "revenue.initial_growth",
    UPLIFT: "revenue.ai_uplift.uplift",
    DELAY: "revenue.ai_uplift.delay_years",
    AI_ON: "revenue.ai_uplift.probability",
    ELASTICITY: "cloud.revenue_elasticity",
    DRIFT: "cloud.pricing.drift",
    DISCOUNT: "cloud.commitment.discount",
    VAR_SHARE: "operating_costs.variable_share",
    FIXED_GROWTH: "operating_costs.fixed_growth",
    RATE: "cash_flow.interest_rate",
    NONCASH: "cash_flow.noncash_share",
    CAPEX: "cash_flow.capex_share",
    REVENUE0: "company.revenue",
    SPEND0: "cloud.spend",
    WORKING_CAPITAL: "cash_flow.working_capital",
}

# Event processes.
SHOCK, SHIFT, FINE = 0, 1, 2
# In-kernel samplers for per-event sizes (E); see docs/DRAWS.md.
(FIXED, NORMAL, TRUNCNORMAL, LOGNORMAL, UNIFORM, TRIANGULAR, PERT, BETA, DISCRETE) = range(9)


class Model(NamedTuple):
    """Static inputs of the path kernel (one scenario); shapes in the comments.

    K steps, Y fiscal years, S silicon lines, P programs, J debts, E event
    processes (R of them revenue shocks that recover), C commitment slots
    (at least 1: an empty slot of share 0 when the scenario has none), V cash
    events.
    """

    n_steps: int
    n_years: int
    dt: float
    steps_per_year: int
    # revenue
    sigma: float
    kappa: float
    eta: float
    ramp_years: float
    draw_z: bool
    # cloud
    has_cloud: bool
    gamma: float
    sigma_p: float
    rho: float
    sil_coef: np.ndarray  # (S, 2): share h, migrated_start a
    sil_ramp: np.ndarray  # (S, K): clip(t_k / T_m, 0, 1)
    # commitments (MODEL.md section 4)
    n_commitments: int  # real commitments (0: only the empty slot)
    uncommitted: float  # 1 - sum of shares: billed at list price
    com_share: np.ndarray  # (C,) w_j
    com_rule: np.ndarray  # (C,) ANNUAL / TERM / BOTH
    com_in_term: np.ndarray  # (C, K) 1.0 in the contract's steps inside the horizon (discounted)
    com_counted: np.ndarray  # (C, K) 1.0 in the steps of counted contract years (usage counts)
    com_settle: np.ndarray  # (C, K) True at a settlement step (term: the final one only)
    com_minimum: np.ndarray  # (C, K) minimum settled there: M_y (annual, both) or sum of counted M_y (term)
    com_defer_cap: np.ndarray  # (C, K) r M_y where year y may defer to year y + 1, else 0
    com_final: np.ndarray  # (C, K) True where "both" tops up to the term total
    com_total: np.ndarray  # (C,) the term total of a "both" contract
    com_disc_col: np.ndarray  # (C,) theta row of the discount
    com_steer_col: np.ndarray  # (C,) theta row of the steerable share
    year_minimum: np.ndarray  # (Y,) minimums of the counted contract years settled in each fiscal year, all contracts
    # operating costs
    opex0: float
    program_active: np.ndarray  # (P, K) 1.0 where the program runs
    program_noncash: np.ndarray  # (P,) True for a non-cash program (added back in FCF)
    has_noncash: bool
    has_working_capital: bool
    # fines
    fine_lag: np.ndarray  # (F,) steps
    fine_cap: np.ndarray  # (F,)
    # events
    ev_kind: np.ndarray  # (E,) SHOCK / SHIFT / FINE
    ev_index: np.ndarray  # (E,) index within its kind (fine number)
    ev_mean: np.ndarray  # (E,) rate * years
    ev_share: np.ndarray  # (E,) price-shift share (1 otherwise)
    ev_code: np.ndarray  # (E,) sampler code
    ev_par: np.ndarray  # (E, 4) sampler parameters
    ev_values: np.ndarray  # (E, M) discrete values
    ev_cumw: np.ndarray  # (E, M) discrete cumulative weights
    ev_len: np.ndarray  # (E,) discrete table length
    ev_cdf: np.ndarray  # (E, L) Poisson CDF of each process's count over the horizon (poisson_cdf), padded with 1.0
    ev_fading: np.ndarray  # (E,) slot of a recovering shock's fading state X, -1 for none
    fade_rho: np.ndarray  # (R,) recovery rho_e
    fade_decay: np.ndarray  # (R,) 2^(-dt / h_e), the fading state's decay per step
    # financing
    nol0: float
    interest_expense: np.ndarray  # (K,) coupon interest per step
    debt_due: np.ndarray  # (J, K) principal due per step
    issued_cash: np.ndarray  # (K,) principal received per step (debt issued inside the horizon)
    has_issued: bool
    cash_event_step: np.ndarray  # (V,) 0-based step of each cash event, -1 outside the horizon
    buyback_annual: float
    buyback_share: float
    buyback_min_cash: float
    has_buybacks: bool
    # outputs
    step_year: np.ndarray  # (K,) 0-based fiscal-year index
    year_end: np.ndarray  # (K,) True at a year's last step
    cash_floor: float
    compression_threshold: float  # m_0 - margin_drop
    base_ni: float  # company.net_income (0 if not given)
    has_base_ni: bool
    # theta layout
    col_sil_target: int
    col_sil_savings: int
    col_program: int
    col_debt: int
    col_event: int  # amounts in rows col_event + v, Bernoulli outcomes in col_event + V + v


@dataclass(frozen=True)
class Layout:
    """Row of each per-path parameter in ``theta``."""

    columns: dict[str, int]
    program_share_scale: dict[str, float]  # share programs: multiply by operating costs
    n_columns: int
    defaults: dict[str, float]  # value of a key the draws do not give (a fixed base figure); others are 0


def layout(scenario) -> Layout:
    """Theta rows of a scenario: the fixed ones, then silicon, programs, debt, commitments, cash events."""
    cols = {key: c for c, key in _FIXED_KEYS.items()}
    n = N_FIXED_COLUMNS
    sil = scenario.cloud.silicon
    for j, s in enumerate(sil):
        cols[f"cloud.silicon.{s.name}.migrated_target"] = n + j
        cols[f"cloud.silicon.{s.name}.savings"] = n + len(sil) + j
    n += 2 * len(sil)
    scale = {}
    for j, p in enumerate(scenario.operating_costs.programs):
        key = f"operating_costs.programs.{p.name}." + ("amount" if p.amount is not None else "share")
        cols[key] = n + j
        if p.amount is None:
            scale[key] = scenario.company.operating_costs
    n += len(scenario.operating_costs.programs)
    for j, d in enumerate(scenario.cash_flow.debt):
        cols[f"cash_flow.debt.{d.name}.cash_repayment_probability"] = n + j
    n += len(scenario.cash_flow.debt)
    for c in scenario.cloud.commitments:  # the singular table's discount has its fixed row (v1)
        if f"{c.key}.discount" not in cols:
            cols[f"{c.key}.discount"] = n
            n += 1
        cols[f"{c.key}.steerable"] = n
        n += 1
    events = scenario.cash_flow.events
    for j, e in enumerate(events):
        cols[f"cash_flow.events.{e.name}.amount"] = n + j
        cols[f"cash_flow.events.{e.name}.probability"] = n + len(events) + j
    n += 2 * len(events)
    defaults = {"company.revenue": base_revenue(scenario), "cloud.spend": base_spend(scenario)}
    return Layout(cols, scale, n, defaults)


def build_theta(lay: Layout, params: dict[str, np.ndarray], n: int, theta: np.ndarray | None = None) -> np.ndarray:
    """Stack drawn parameters into the kernel's ``(columns, n)`` table (``theta`` when given).

    Keys the draws do not give are their ``Layout.defaults`` value (the fixed
    base revenue and cloud bill), else 0 (no ai_uplift, no commitment, no
    steering).  Parameters drawn straight into their row of ``theta``
    (``draw_parameters(into=...)``) are not copied.
    """
    theta = np.empty((lay.n_columns, n)) if theta is None else theta
    for key, col in lay.columns.items():
        value = params.get(key)
        row = theta[col]
        if value is None:
            row[:] = lay.defaults.get(key, 0.0)
        elif key in lay.program_share_scale:
            np.multiply(value, lay.program_share_scale[key], out=row)
        elif not _same_array(value, row):
            row[:] = value
    return theta


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are views of the very same memory, element for element."""
    return a.shape == b.shape and a.strides == b.strides and a.ctypes.data == b.ctypes.data


def base_margin(scenario) -> float:
    """m_0 = (R_0 - operating costs) / R_0, the base-year operating margin (R_0: the median revenue)."""
    r0 = base_revenue(scenario)
    return (r0 - scenario.company.operating_costs) / r0


def compile_model(scenario) -> tuple[Model, Layout, np.ndarray]:
    """Precompute the static arrays of ``scenario`` for the kernel.

    Returns
    -------
    (Model, Layout, fiscal_years)
        ``fiscal_years`` has shape (Y,).
    """
    info = scenario.scenario
    n = info.steps_per_year
    years = info.years
    K = years * n
    dt = 1.0 / n
    t = np.arange(1, K + 1) * dt  # t_k, end of each step
    step_year = (np.arange(K) // n).astype(np.int64)
    year_end = (np.arange(1, K + 1) % n) == 0
    fiscal = info.start + np.arange(years)

    rev = scenario.revenue
    ai = rev.ai_uplift
    cloud = scenario.cloud
    pricing = cloud.pricing
    has_cloud = base_spend(scenario) > 0
    lay = layout(scenario)

    sil = cloud.silicon
    sil_coef = np.array([[s.share, s.migrated_start] for s in sil], dtype=np.float64).reshape(len(sil), 2)
    sil_ramp = np.array([np.clip(t / s.migration_years, 0.0, 1.0) for s in sil], dtype=np.float64).reshape(len(sil), K)
    com = compile_commitments(scenario, lay.columns, has_cloud)

    programs = scenario.operating_costs.programs
    program_active = np.zeros((len(programs), K))
    for j, p in enumerate(programs):
        first = (p.start_year if p.start_year is not None else info.start) - info.start
        program_active[j] = ((step_year >= first) & (step_year < first + p.years)).astype(np.float64)
    program_noncash = np.array([bool(p.noncash) for p in programs], dtype=np.bool_)

    fines = scenario.regulatory.fines
    fine_lag = np.array([math.floor(f.lag_years * n + 0.5) for f in fines], dtype=np.int64)
    fine_cap = np.array([np.inf if f.cap is None else f.cap for f in fines], dtype=np.float64)

    events = [(SHOCK, j, s.rate, s.change, 1.0) for j, s in enumerate(rev.shocks)]
    events += [(SHIFT, j, s.rate, s.change, s.share) for j, s in enumerate(pricing.shifts) if has_cloud]
    events += [(FINE, j, f.rate, f.size, 1.0) for j, f in enumerate(fines)]
    events = [e for e in events if e[2] > 0]
    enc = [encode_size(e[3]) for e in events]
    width = max([len(v) for _, _, v, _ in enc] + [1])
    ev_values = np.zeros((len(events), width))
    ev_cumw = np.ones((len(events), width))
    for i, (_, _, v, w) in enumerate(enc):
        ev_values[i, : len(v)] = v
        ev_cumw[i, : len(w)] = w
    # recovering shocks: a fading state per process (MODEL.md section 3)
    ev_fading = np.full(len(events), -1, dtype=np.int64)
    fade_rho, fade_decay = [], []
    for i, (kind, j, _, _, _) in enumerate(events):
        shock = rev.shocks[j] if kind == SHOCK else None
        if shock is not None and shock.recovery > 0:
            ev_fading[i] = len(fade_rho)
            fade_rho.append(float(shock.recovery))
            fade_decay.append(2.0 ** (-dt / shock.half_life_years))

    debts = scenario.cash_flow.debt
    interest_expense = np.zeros(K)
    debt_due = np.zeros((len(debts), K))
    issued_cash = np.zeros(K)
    for j, d in enumerate(debts):
        if d.maturity < info.start - 1e-9:
            continue  # matured before the horizon (MODEL.md section 6): no coupon, no repayment, no check
        k_mat = maturity_step(d.maturity, info.start, n)  # 1-based, may exceed K
        k_issued = 0  # interest accrues after this step: 0 = outstanding before the horizon (v1)
        if d.issued is not None and d.issued > info.start:
            k_issued = date_step(d.issued, info)
            if k_issued > K:
                continue  # issued past the horizon: ignored
            issued_cash[k_issued - 1] += d.principal
        interest_expense[k_issued : min(k_mat, K)] += d.principal * d.coupon * dt
        if k_mat <= K:
            debt_due[j, k_mat - 1] = d.principal

    cash_events = scenario.cash_flow.events
    cash_event_step = np.array([k - 1 if 1 <= (k := date_step(e.date, info)) <= K else -1 for e in cash_events], dtype=np.int64)
    col_event = lay.n_columns - 2 * len(cash_events)

    bb = scenario.cash_flow.buybacks
    return Model(
        n_steps=K,
        n_years=years,
        dt=dt,
        steps_per_year=n,
        sigma=rev.volatility,
        kappa=rev.mean_reversion,
        eta=rev.growth_volatility,
        ramp_years=ai.ramp_years if ai is not None else 0.0,
        draw_z=bool(rev.volatility > 0 or (has_cloud and pricing.volatility > 0 and pricing.revenue_correlation != 0)),
        has_cloud=bool(has_cloud),
        gamma=cloud.usage_growth,
        sigma_p=pricing.volatility if has_cloud else 0.0,
        rho=pricing.revenue_correlation,
        sil_coef=sil_coef,
        sil_ramp=sil_ramp,
        n_commitments=com.n,
        uncommitted=com.uncommitted,
        com_share=com.share,
        com_rule=com.rule,
        com_in_term=com.in_term,
        com_counted=com.counted,
        com_settle=com.settle,
        com_minimum=com.minimum,
        com_defer_cap=com.defer_cap,
        com_final=com.final,
        com_total=com.total,
        com_disc_col=com.disc_col,
        com_steer_col=com.steer_col,
        year_minimum=com.year_minimum,
        opex0=scenario.company.operating_costs,
        program_active=program_active,
        program_noncash=program_noncash,
        has_noncash=bool(program_noncash.any()),
        has_working_capital="cash_flow.working_capital" in _set_keys(scenario),
        fine_lag=fine_lag,
        fine_cap=fine_cap,
        ev_kind=np.array([e[0] for e in events], dtype=np.int64),
        ev_index=np.array([e[1] for e in events], dtype=np.int64),
        ev_mean=np.array([e[2] * years for e in events], dtype=np.float64),
        ev_share=np.array([e[4] for e in events], dtype=np.float64),
        ev_code=np.array([c for c, _, _, _ in enc], dtype=np.int64),
        ev_par=np.array([p for _, p, _, _ in enc], dtype=np.float64).reshape(len(events), 4),
        ev_values=ev_values,
        ev_cumw=ev_cumw,
        ev_len=np.array([len(v) for _, _, v, _ in enc], dtype=np.int64),
        ev_cdf=_stack_padded([poisson_cdf(e[2] * years) for e in events]),
        ev_fading=ev_fading,
        fade_rho=np.array(fade_rho, dtype=np.float64),
        fade_decay=np.array(fade_decay, dtype=np.float64),
        nol0=scenario.company.tax_loss_carryforward,
        interest_expense=interest_expense,
        debt_due=debt_due,
        issued_cash=issued_cash,
        has_issued=bool(issued_cash.any()),
        cash_event_step=cash_event_step,
        buyback_annual=bb.annual if bb is not None else 0.0,
        buyback_share=bb.fcf_share if bb is not None else 0.0,
        buyback_min_cash=bb.min_cash if bb is not None else 0.0,
        has_buybacks=bb is not None and (bb.annual > 0 or bb.fcf_share > 0),
        step_year=step_year,
        year_end=year_end,
        cash_floor=scenario.policy.cash_floor,
        compression_threshold=base_margin(scenario) - scenario.policy.margin_drop,
        base_ni=scenario.company.net_income if scenario.company.net_income is not None else 0.0,
        has_base_ni=scenario.company.net_income is not None,
        col_sil_target=N_FIXED_COLUMNS,
        col_sil_savings=N_FIXED_COLUMNS + len(sil),
        col_program=N_FIXED_COLUMNS + 2 * len(sil),
        col_debt=N_FIXED_COLUMNS + 2 * len(sil) + len(programs),
        col_event=col_event,
    ), lay, fiscal


def _set_keys(scenario) -> set[str]:
    """The (D) keys the scenario draws (``sim.model.uncertain_parameters``)."""
    from sim.model import uncertain_parameters

    return set(uncertain_parameters(scenario))


def maturity_step(maturity: float, start: int, steps_per_year: int) -> int:
    """1-based first step k with ``start + k/n >= maturity`` (at least 1)."""
    return max(1, math.ceil((maturity - start) * steps_per_year - 1e-9))


def poisson_cdf(mean: float) -> np.ndarray:
    """P(N <= k) for N ~ Poisson(mean), k = 0, 1, ... up to the first entry equal to 1.0 (float64).

    The kernel inverts it (docs/DRAWS.md): a count is the number of entries
    <= u for u uniform on [0, 1), so one draw per path and process.  The
    probability beyond the table is below 2**-53.
    """
    k = np.arange(int(mean + 12.0 * math.sqrt(mean) + 30.0))
    cdf = np.maximum.accumulate(special.pdtr(k, mean))  # scipy.stats.poisson.cdf, without importing scipy.stats
    last = int(np.argmax(cdf >= 1.0)) if cdf[-1] >= 1.0 else len(cdf) - 1
    cdf = cdf[: last + 1].copy()
    cdf[-1] = 1.0
    return cdf


def _stack_padded(rows: list[np.ndarray]) -> np.ndarray:
    """Rows of different lengths as one (len(rows), max length) array, each padded with 1.0."""
    out = np.ones((len(rows), max([len(r) for r in rows] + [1])))
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def encode_size(dist) -> tuple[int, list[float], list[float], list[float]]:
    """Encode an (E) distribution for the kernel's sampler: (code, 4 params, values, cum. weights)."""
    if isinstance(dist, D.Fixed) or dist.is_fixed:
        return FIXED, [float(dist.median()), 0, 0, 0], [], []
    if isinstance(dist, D.Normal):
        return NORMAL, [dist.mean, dist.sd, 0, 0], [], []
    if isinstance(dist, D.TruncNormal):
        return TRUNCNORMAL, [dist.mean, dist.sd, dist.low, dist.high], [], []
    if isinstance(dist, D.LogNormal):
        return LOGNORMAL, [math.log(dist.median), dist.sigma, 0, 0], [], []
    if isinstance(dist, D.Uniform):
        return UNIFORM, [dist.low, dist.high, 0, 0], [], []
    if isinstance(dist, D.Triangular):
        return TRIANGULAR, [dist.min, dist.mode, dist.max, 0], [], []
    if isinstance(dist, D.Pert):
        width = dist.max - dist.min
        a = 1 + dist.lam * (dist.mode - dist.min) / width
        b = 1 + dist.lam * (dist.max - dist.mode) / width
        return PERT, [dist.min, width, a, b], [], []
    if isinstance(dist, D.Beta):
        return BETA, [dist.low, dist.high - dist.low, dist.a, dist.b], [], []
    if isinstance(dist, D.Discrete):
        w = np.cumsum(np.asarray(dist.weights, dtype=np.float64))
        w = w / w[-1]
        w[-1] = 1.0
        return DISCRETE, [0, 0, 0, 0], [float(v) for v in dist.values], [float(x) for x in w]
    raise TypeError(f"no kernel sampler for {dist!r}")
