"""The Numba path kernel: one block of paths, MODEL.md section by section.

Pure functions over arrays and ``numpy.random.Generator`` objects (one per
purpose, see ``docs/DRAWS.md``); no I/O, no Python objects.  Each block gets
its own generators, so blocks can run on any number of threads
(``nogil=True``) and give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from sim.compile import (
    AI_ON, BETA, CAPEX, CASH0, DELAY, DISCOUNT, DISCRETE, DRIFT, ELASTICITY, FINE, FIXED,
    FIXED_GROWTH, G0, GBAR, LOGNORMAL, NONCASH, NORMAL, PERT, RATE, SHIFT, SHOCK, TAX,
    TRIANGULAR, TRUNCNORMAL, UNIFORM, UPLIFT, VAR_SHARE,
)
from sim.jit import njit


# Per-year fields in the series matrix, in sim.aggregate.BY_YEAR order:
# column 1 + field * Y + year (column 0 is min cash).
F_CASH_END, F_REVENUE, F_OI, F_NI, F_FCF, F_MARGIN, F_CLOUD, F_SHORTFALL, F_FINES = range(9)
N_FIELDS = 9
# Rows of ``year_counts`` and entries of ``path_counts``.
C_BREACH_YEAR, C_COMPRESSION, C_NET_LOSS, C_BELOW_BASE = range(4)
C_COMPRESSION_ANY, C_BREACH_AND_COMPRESSION, C_SHORTFALL_PATHS = range(3)
CHUNK = 128  # paths advanced together, step by step (hides the latency of each path's serial chain)


@njit
def _ndtr(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit
def _ndtri(p):
    """Inverse normal CDF: Acklam's approximation polished by one Halley step (~1e-15)."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e00) * q - 2.549732539343734e00) * q + 4.374664141464968e00) * q + 2.938163982698783e00) / (
            (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e00) * q + 3.754408661907416e00) * q + 1.0
        )
    elif p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e00) * q - 2.549732539343734e00) * q + 4.374664141464968e00) * q + 2.938163982698783e00) / (
            (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e00) * q + 3.754408661907416e00) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (((((-3.969683028665376e01 * r + 2.209460984245205e02) * r - 2.759285104469687e02) * r + 1.383577518672690e02) * r - 3.066479806614716e01) * r + 2.506628277459239e00) * q / (
            ((((-5.447609879822406e01 * r + 1.615858368580409e02) * r - 1.556989798598866e02) * r + 6.680131188771972e01) * r - 1.328068155288572e01) * r + 1.0
        )
    e = _ndtr(x) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@njit
def draw_size(rng, code, p0, p1, p2, p3, values, cumw, e, length):
    """One per-event size from an encoded (E) distribution (docs/DRAWS.md table).

    ``values``/``cumw`` are the (E, M) discrete tables and ``e`` the row;
    they are passed whole because slicing per call costs more than the draw.
    """
    if code == FIXED:
        return p0
    if code == NORMAL:
        return rng.normal(p0, p1)
    if code == LOGNORMAL:
        return rng.lognormal(p0, p1)
    if code == UNIFORM:
        return rng.uniform(p0, p1)
    if code == TRIANGULAR:
        return rng.triangular(p0, p1, p2)
    if code == PERT or code == BETA:
        return p0 + p1 * rng.beta(p2, p3)
    if code == TRUNCNORMAL:
        lo = _ndtr((p2 - p0) / p1)
        hi = _ndtr((p3 - p0) / p1)
        return p0 + p1 * _ndtri(lo + rng.random() * (hi - lo))
    # DISCRETE: first cumulative weight strictly above u
    u = rng.random()
    for j in range(length - 1):
        if u < cumw[e, j]:
            return values[e, j]
    return values[e, length - 1]


@njit
def _grow_int(a, n):
    out = np.empty(n, dtype=np.int64)
    out[: a.shape[0]] = a
    return out


@njit
def _grow_float(a, n):
    out = np.empty(n, dtype=np.float64)
    out[: a.shape[0]] = a
    return out


@njit
def draw_events(m, rng, n):
    """Event counts, steps and sizes of every process for ``n`` paths.

    Per process: all counts, then all steps, then all sizes (docs/DRAWS.md).

    Returns
    -------
    start : int64 array (E, n + 1)
        Offsets: events of process e on path i are ``start[e, i]:start[e, i+1]``.
    step : int64 array (total,)
        0-based step of each event.
    size : float64 array (total,)
        Size of each event (raw draw; clipping happens where it is applied).
    """
    # Arrays are unpacked from the Model once: reading them from the tuple
    # inside a loop costs a reference-count update per access.
    ev_mean, ev_code, ev_par, ev_values, ev_cumw, ev_len = m.ev_mean, m.ev_code, m.ev_par, m.ev_values, m.ev_cumw, m.ev_len
    n_proc = ev_mean.shape[0]
    K = m.n_steps
    start = np.zeros((n_proc, n + 1), dtype=np.int64)
    step = np.empty(0, dtype=np.int64)
    size = np.empty(0, dtype=np.float64)
    total = 0
    for e in range(n_proc):
        first = total
        start[e, 0] = first
        lam = ev_mean[e]
        for i in range(n):
            total += rng.poisson(lam)
            start[e, i + 1] = total
        step = _grow_int(step, total)
        size = _grow_float(size, total)
        for j in range(first, total):
            s = int(rng.random() * K)
            step[j] = s if s < K else K - 1
        code, p0, p1, p2, p3, length = ev_code[e], ev_par[e, 0], ev_par[e, 1], ev_par[e, 2], ev_par[e, 3], ev_len[e]
        for j in range(first, total):
            size[j] = draw_size(rng, code, p0, p1, p2, p3, ev_values, ev_cumw, e, length)
    return start, step, size


@njit
def simulate_block(m, theta, rng_revenue, rng_growth, rng_price, rng_events, random, series, first_breach, year_counts, path_counts, sums):
    """Simulate ``theta.shape[1]`` paths of one block.

    Paths advance ``CHUNK`` at a time, step by step, so that the CPU overlaps
    independent paths; random numbers are still drawn path by path (the
    order of docs/DRAWS.md), into per-chunk buffers.

    Parameters
    ----------
    m : Model
        Static scenario arrays (``sim.compile.Model``).
    theta : float64 array (columns, n)
        Per-path parameters (``sim.compile.build_theta``).
    rng_revenue, rng_growth, rng_price, rng_events : numpy.random.Generator
        This block's streams.
    random : bool
        False for the central case: no normals, no events.
    series : float64 array (n, S), output
        Column 0 min cash; then per-year fields (``F_*``) at
        ``1 + field * Y + year``; then, if S > 1 + 9 Y, Cash_k per step.
        USD millions (margins as fractions).
    first_breach : int64 array (n,), output
        First step k (1-based) with Cash_k < floor; 0 if none.
    year_counts : int64 array (4, Y), accumulated
        Paths whose first breach falls in year y; with profit compression,
        net loss and net income below base in year y.
    path_counts : int64 array (3,), accumulated
        Paths with compression in any year; with a breach and compression;
        with any commitment shortfall.
    sums : float64 array (S,), accumulated
        Sum over paths of every series column (for means).
    """
    # Unpack the Model once: arrays read from the tuple inside the loops would
    # each cost a reference-count update (measured: several times the maths).
    sil_coef, sil_ramp, committed_steps, year_minimum = m.sil_coef, m.sil_ramp, m.committed, m.year_minimum
    program_active, fine_lag, fine_cap, debt_due = m.program_active, m.fine_lag, m.fine_cap, m.debt_due
    ev_kind, ev_index, ev_share = m.ev_kind, m.ev_index, m.ev_share
    interest_steps, step_year, year_end_steps = m.interest_expense, m.step_year, m.year_end
    n = theta.shape[1]
    K = m.n_steps
    Y = m.n_years
    dt = m.dt
    sq = math.sqrt(dt)
    sigma, kappa, eta, gamma, sigma_p, ramp_years = m.sigma, m.kappa, m.eta, m.gamma, m.sigma_p, m.ramp_years
    has_cloud, annual, term_step, term_total = m.has_cloud, m.annual, m.term_step, m.term_total
    has_buybacks, bb_annual, bb_share, bb_min = m.has_buybacks, m.buyback_annual, m.buyback_share, m.buyback_min_cash
    cash_floor, threshold, has_base_ni, base_ni = m.cash_floor, m.compression_threshold, m.has_base_ni, m.base_ni
    col_sil_target, col_sil_savings, col_program, col_debt = m.col_sil_target, m.col_sil_savings, m.col_program, m.col_debt
    opex0, spend0, revenue0, log_r0, log_v0, nol0 = m.opex0, m.spend0, m.revenue0, m.log_r0, m.log_v0, m.nol0
    rho = m.rho
    n_sil = m.sil_coef.shape[0]
    n_prog = program_active.shape[0]
    n_debt = debt_due.shape[0]
    n_fine = fine_lag.shape[0]
    n_proc = ev_kind.shape[0]
    record_steps = series.shape[1] > 1 + N_FIELDS * Y
    step_col = 1 + N_FIELDS * Y
    rho_c = math.sqrt(max(0.0, 1.0 - rho * rho))
    half_s2 = 0.5 * sigma * sigma
    half_sp2 = 0.5 * sigma_p * sigma_p
    draw_z = random and m.draw_z
    draw_w = random and eta > 0.0
    draw_p = random and has_cloud and sigma_p > 0.0

    if random and n_proc > 0:
        ev_start, ev_step, ev_size = draw_events(m, rng_events, n)
    else:
        ev_start = np.zeros((n_proc, n + 1), dtype=np.int64)
        ev_step = np.zeros(0, dtype=np.int64)
        ev_size = np.zeros(0, dtype=np.float64)

    P = CHUNK
    z_buf = np.zeros((P, K))
    w_buf = np.zeros((P, K))
    p_buf = np.zeros((P, K))
    jump_rev = np.zeros((P, K))
    jump_price = np.zeros((P, K))
    fine_frac = np.zeros((n_fine, P, K))
    fine_pay = np.zeros((P, K))
    eff_coef = np.zeros((n_sil, P))
    log_r = np.empty(P)
    g = np.empty(P)
    log_vp = np.empty(P)
    fixed = np.empty(P)
    growth_factor = np.empty(P)
    nol = np.empty(P)
    used = np.empty(P)
    cash = np.empty(P)
    lowest = np.empty(P)
    breach = np.empty(P, dtype=np.int64)
    acc = np.empty((7, P))  # revenue, OI, NI, FCF, cloud, shortfall, fines of the year so far
    shortfall_any = np.empty(P, dtype=np.bool_)
    compressed_any = np.empty(P, dtype=np.bool_)

    for c0 in range(0, n, P):
        p = min(P, n - c0)
        # ---- random numbers of this chunk, path by path (docs/DRAWS.md)
        for i in range(p):
            if draw_z:
                for k in range(K):
                    z_buf[i, k] = rng_revenue.standard_normal()
            if draw_w:
                for k in range(K):
                    w_buf[i, k] = rng_growth.standard_normal()
            if draw_p:
                for k in range(K):
                    p_buf[i, k] = rho * z_buf[i, k] + rho_c * rng_price.standard_normal()
        # ---- events of this chunk -> per-step buffers
        jump_rev[:p] = 0.0
        jump_price[:p] = 0.0
        fine_frac[:, :p] = 0.0
        fine_pay[:p] = 0.0
        for e in range(n_proc):
            kind = ev_kind[e]
            for i in range(p):
                for j in range(ev_start[e, c0 + i], ev_start[e, c0 + i + 1]):
                    k = ev_step[j]
                    c = ev_size[j]
                    if kind == SHOCK:
                        jump_rev[i, k] += math.log(1.0 + max(c, -0.99))
                    elif kind == SHIFT:
                        jump_price[i, k] += math.log(max(1.0 + ev_share[e] * c, 0.01))
                    else:
                        f = ev_index[e]
                        fine_frac[f, i, k] += min(max(c, 0.0), fine_cap[f])
        # ---- initial state
        for i in range(p):
            col = c0 + i
            log_r[i] = log_r0
            g[i] = theta[G0, col]
            log_vp[i] = log_v0
            growth_factor[i] = math.exp(theta[FIXED_GROWTH, col] * dt)
            fixed[i] = (opex0 - spend0 - theta[VAR_SHARE, col] * revenue0) * dt
            nol[i] = nol0
            used[i] = 0.0
            cash[i] = theta[CASH0, col]
            lowest[i] = np.inf
            breach[i] = 0
            shortfall_any[i] = False
            compressed_any[i] = False
            for j in range(n_sil):
                eff_coef[j, i] = sil_coef[j, 0] * (theta[col_sil_target + j, col] - sil_coef[j, 1]) * theta[col_sil_savings + j, col]
        acc[:, :p] = 0.0

        for k in range(K):
            t_prev = k * dt
            committed = committed_steps[k]
            year_end = year_end_steps[k]
            y = step_year[k]
            settle = committed > 0.0 and ((annual and year_end) or (not annual and k == term_step))
            minimum = year_minimum[y] if annual else term_total
            interest_expense = interest_steps[k]
            for i in range(p):
                col = c0 + i
                # ---- revenue (MODEL.md section 3)
                uplift = theta[UPLIFT, col] * theta[AI_ON, col]
                u = 0.0
                if uplift != 0.0:
                    delay = theta[DELAY, col]
                    if ramp_years > 0.0:
                        u = uplift * min(max((t_prev - delay) / ramp_years, 0.0), 1.0)
                    elif t_prev >= delay:
                        u = uplift
                gi = g[i]
                d_log_r = (gi + u - half_s2) * dt + sigma * sq * z_buf[i, k] + jump_rev[i, k]
                log_r[i] += d_log_r
                r_k = math.exp(log_r[i])
                rev = r_k * dt
                g[i] = gi + kappa * (theta[GBAR, col] - gi) * dt + eta * sq * w_buf[i, k]

                # ---- cloud bill and commitment (section 4)
                cloud = 0.0
                shortfall = 0.0
                if has_cloud:
                    lv = log_vp[i] + (gamma + theta[DRIFT, col] - half_sp2) * dt + theta[ELASTICITY, col] * d_log_r
                    lv += sigma_p * sq * p_buf[i, k] + jump_price[i, k]
                    log_vp[i] = lv
                    eff = 1.0
                    for j in range(n_sil):
                        eff -= eff_coef[j, i] * sil_ramp[j, k]
                    cloud = math.exp(lv) * eff * (1.0 - theta[DISCOUNT, col] * committed) * dt
                    if committed > 0.0:
                        used[i] += cloud
                        if settle:
                            shortfall = max(0.0, minimum - used[i])
                            used[i] = 0.0
                            if shortfall > 0.0:
                                shortfall_any[i] = True
                    cloud += shortfall

                # ---- operating costs, fines, profit (section 5)
                fixed[i] *= growth_factor[i]
                programs = 0.0
                for j in range(n_prog):
                    programs += theta[col_program + j, col] * program_active[j, k]
                for f in range(n_fine):
                    frac = fine_frac[f, i, k]
                    if frac > 0.0:
                        pay = k + fine_lag[f]
                        if pay < K:
                            fine_pay[i, pay] += frac * r_k
                fines = fine_pay[i, k]
                oi = rev - (theta[VAR_SHARE, col] * rev + fixed[i] + programs * dt + cloud + fines)

                # ---- tax, cash and financing (section 6)
                c_prev = cash[i]
                pre_tax = oi + theta[RATE, col] * max(c_prev, 0.0) * dt - interest_expense
                if pre_tax <= 0.0:
                    nol[i] -= pre_tax
                    tax = 0.0
                else:
                    offset = min(nol[i], pre_tax)
                    nol[i] -= offset
                    tax = theta[TAX, col] * (pre_tax - offset)
                ni = pre_tax - tax
                fcf = ni + (theta[NONCASH, col] - theta[CAPEX, col]) * rev
                debt = 0.0
                for j in range(n_debt):
                    debt += theta[col_debt + j, col] * debt_due[j, k]
                buyback = 0.0
                if has_buybacks:
                    buyback = bb_annual * dt + bb_share * max(fcf, 0.0)
                    if c_prev + fcf - debt - buyback < bb_min:
                        buyback = 0.0
                c_new = c_prev + fcf - debt - buyback
                cash[i] = c_new

                # ---- outputs (section 7)
                if c_new < lowest[i]:
                    lowest[i] = c_new
                if breach[i] == 0 and c_new < cash_floor:
                    breach[i] = k + 1
                if record_steps:
                    series[col, step_col + k] = c_new
                acc[0, i] += rev
                acc[1, i] += oi
                acc[2, i] += ni
                acc[3, i] += fcf
                acc[4, i] += cloud
                acc[5, i] += shortfall
                acc[6, i] += fines
                if year_end:
                    margin = acc[1, i] / acc[0, i]
                    series[col, 1 + F_CASH_END * Y + y] = c_new
                    series[col, 1 + F_REVENUE * Y + y] = acc[0, i]
                    series[col, 1 + F_OI * Y + y] = acc[1, i]
                    series[col, 1 + F_NI * Y + y] = acc[2, i]
                    series[col, 1 + F_FCF * Y + y] = acc[3, i]
                    series[col, 1 + F_MARGIN * Y + y] = margin
                    series[col, 1 + F_CLOUD * Y + y] = acc[4, i]
                    series[col, 1 + F_SHORTFALL * Y + y] = acc[5, i]
                    series[col, 1 + F_FINES * Y + y] = acc[6, i]
                    if margin < threshold:
                        year_counts[C_COMPRESSION, y] += 1
                        compressed_any[i] = True
                    if acc[2, i] < 0.0:
                        year_counts[C_NET_LOSS, y] += 1
                    if has_base_ni and acc[2, i] < base_ni:
                        year_counts[C_BELOW_BASE, y] += 1
                    for a in range(7):
                        acc[a, i] = 0.0

        # ---- per-path results of the chunk
        for i in range(p):
            col = c0 + i
            series[col, 0] = lowest[i]
            first_breach[col] = breach[i]
            if breach[i] > 0:
                year_counts[C_BREACH_YEAR, step_year[breach[i] - 1]] += 1
            if compressed_any[i]:
                path_counts[C_COMPRESSION_ANY] += 1
                if breach[i] > 0:
                    path_counts[C_BREACH_AND_COMPRESSION] += 1
            if shortfall_any[i]:
                path_counts[C_SHORTFALL_PATHS] += 1
            for s in range(series.shape[1]):
                sums[s] += series[col, s]
