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
    AI_ON, BETA, CAPEX, CASH0, DELAY, DISCOUNT, DRIFT, ELASTICITY, FIXED,
    FIXED_GROWTH, G0, GBAR, LOGNORMAL, NONCASH, NORMAL, PERT, RATE, SHIFT, SHOCK, TAX,
    TRIANGULAR, TRUNCNORMAL, UNIFORM, UPLIFT, VAR_SHARE,
)
from sim.jit import njit


# Per-year fields in the series matrix, in sim.aggregate.BY_YEAR order:
# column 1 + field * Y + year (column 0 is min cash).
F_CASH_END, F_REVENUE, F_OI, F_NI, F_FCF, F_MARGIN, F_CLOUD, F_SHORTFALL, F_FINES, F_USAGE = range(10)
N_FIELDS = 10
# Kernel modes.
CENTRAL, RANDOM, ANTITHETIC = 0, 1, 2
# Rows of ``year_counts`` and entries of ``path_counts``.
C_BREACH_YEAR, C_COMPRESSION, C_NET_LOSS, C_BELOW_BASE, C_SHORTFALL_YEAR = range(5)
C_COMPRESSION_ANY, C_BREACH_AND_COMPRESSION, C_SHORTFALL_PATHS = range(3)


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
def fill_sizes(rng, code, p0, p1, p2, p3, values, cumw, e, length, out, first, last):
    """Draw per-event sizes ``out[first:last]`` from an encoded (E) distribution.

    One loop per family (docs/DRAWS.md table): branching once per process
    rather than once per event keeps each loop a tight sequence of draws.
    ``values``/``cumw`` are the (E, M) discrete tables and ``e`` the row.
    """
    if code == FIXED:
        for j in range(first, last):
            out[j] = p0
    elif code == NORMAL:
        for j in range(first, last):
            out[j] = rng.normal(p0, p1)
    elif code == LOGNORMAL:
        for j in range(first, last):
            out[j] = rng.lognormal(p0, p1)
    elif code == UNIFORM:
        for j in range(first, last):
            out[j] = rng.uniform(p0, p1)
    elif code == TRIANGULAR:
        for j in range(first, last):
            out[j] = rng.triangular(p0, p1, p2)
    elif code == PERT or code == BETA:
        for j in range(first, last):
            out[j] = p0 + p1 * rng.beta(p2, p3)
    elif code == TRUNCNORMAL:
        lo = _ndtr((p2 - p0) / p1)
        hi = _ndtr((p3 - p0) / p1)
        for j in range(first, last):
            out[j] = p0 + p1 * _ndtri(lo + rng.random() * (hi - lo))
    else:  # DISCRETE: the first cumulative weight strictly above u
        for j in range(first, last):
            u = rng.random()
            k = 0
            while k < length - 1 and u >= cumw[e, k]:
                k += 1
            out[j] = values[e, k]


@njit
def _reserve(a, n):
    """``a`` itself if it holds ``n`` items, else a copy with room to grow (amortised doubling)."""
    if a.shape[0] >= n:
        return a
    out = np.empty(max(n, 2 * a.shape[0]), dtype=a.dtype)
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
    expected = 0.0
    for e in range(n_proc):
        expected += ev_mean[e]
    capacity = int(1.25 * expected * n) + 64
    step = np.empty(capacity, dtype=np.int64)
    size = np.empty(capacity, dtype=np.float64)
    total = 0
    for e in range(n_proc):
        first = total
        start[e, 0] = first
        lam = ev_mean[e]
        for i in range(n):
            total += rng.poisson(lam)
            start[e, i + 1] = total
        step = _reserve(step, total)
        size = _reserve(size, total)
        for j in range(first, total):
            s = int(rng.random() * K)
            step[j] = s if s < K else K - 1
        fill_sizes(rng, ev_code[e], ev_par[e, 0], ev_par[e, 1], ev_par[e, 2], ev_par[e, 3], ev_values, ev_cumw, e, ev_len[e], size, first, total)
    return start, step, size


@njit
def simulate_block(
    m, theta, rng_revenue, rng_growth, rng_price, rng_events, mode, tilt_z, tilt_w,
    series, first_breach, log_weight, year_counts, path_counts, sums, step_counts, debt_counts, cloud_parts
):
    """Simulate ``theta.shape[1]`` paths of one block.

    Paths run one after the other, step by step, drawing their normals in
    the order of docs/DRAWS.md.

    Parameters
    ----------
    m : Model
        Static scenario arrays (``sim.compile.Model``).
    theta : float64 array (columns, n)
        Per-path parameters (``sim.compile.build_theta``).
    rng_revenue, rng_growth, rng_price, rng_events : numpy.random.Generator
        This block's streams.
    mode : int
        ``CENTRAL`` (no normals, no events), ``RANDOM``, or ``ANTITHETIC``
        (odd paths of a block reuse the previous path's normals, negated).
    tilt_z, tilt_w : float
        Importance sampling: revenue and growth normals are drawn with mean
        ``-tilt`` (towards lower revenue); 0 for plain Monte Carlo.
    series : float64 array (n, S), output
        Column 0 min cash; then per-year fields (``F_*``) at
        ``1 + field * Y + year``; then, if S > 1 + 10 Y, Cash_k per step.
        USD millions (margins as fractions).
    first_breach : int64 array (n,), output
        First step k (1-based) with Cash_k < floor; 0 if none.
    log_weight : float64 array (n,), output
        Log likelihood ratio of the path under the tilt (0 without one).
    year_counts : int64 array (5, Y), accumulated
        Paths whose first breach falls in year y; with profit compression,
        net loss, net income below base and a commitment shortfall in year y.
    path_counts : int64 array (3,), accumulated
        Paths with compression in any year; with a breach and compression;
        with any commitment shortfall.
    sums : float64 array (S,), accumulated
        Sum over paths of every series column (for means).
    step_counts : int64 array (K,), accumulated
        Paths whose first breach is at step k.
    debt_counts : int64 array (J,), accumulated
        Paths where cash before repayment (Cash_{k-1} + FCF_k) is below the
        principal due at debt j's maturity step (maturities inside the horizon).
    cloud_parts : float64 array (3, Y), accumulated when per-step cash is recorded
        Sums over paths of the year's usage at base prices (sum V_k dt), at
        current prices (sum V_k P_k dt) and after silicon savings
        (sum V_k P_k E_k dt): with the bill after discount they split the bill's
        change into usage, price, silicon and discount.
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
    random = mode != CENTRAL
    draw_z = random and m.draw_z
    draw_w = random and eta > 0.0
    draw_p = random and has_cloud and sigma_p > 0.0
    z_path = np.zeros(K)
    w_path = np.zeros(K)
    p_path = np.zeros(K)

    if random and n_proc > 0:
        ev_start, ev_step, ev_size = draw_events(m, rng_events, n)
    else:
        ev_start = np.zeros((n_proc, n + 1), dtype=np.int64)
        ev_step = np.zeros(0, dtype=np.int64)
        ev_size = np.zeros(0, dtype=np.float64)

    jump_rev = np.zeros(K)
    jump_price = np.zeros(K)
    fine_frac = np.zeros((n_fine, K))
    fine_pay = np.zeros(K)
    eff_coef = np.zeros(n_sil)

    for i in range(n):
        # ---- this path's normals (docs/DRAWS.md): drawn, or the previous path's negated
        mirror = mode == ANTITHETIC and i % 2 == 1
        log_w = 0.0
        if draw_z:
            for k in range(K):
                z_path[k] = -z_path[k] if mirror else rng_revenue.standard_normal()
        if draw_w:
            for k in range(K):
                w_path[k] = -w_path[k] if mirror else rng_growth.standard_normal()
        if draw_p:
            for k in range(K):
                p_path[k] = -p_path[k] if mirror else rng_price.standard_normal()

        # ---- events of this path -> per-step buffers
        jump_rev[:] = 0.0
        jump_price[:] = 0.0
        fine_frac[:, :] = 0.0
        fine_pay[:] = 0.0
        for e in range(n_proc):
            kind = ev_kind[e]
            for j in range(ev_start[e, i], ev_start[e, i + 1]):
                k = ev_step[j]
                c = ev_size[j]
                if kind == SHOCK:
                    jump_rev[k] += math.log(1.0 + max(c, -0.99))
                elif kind == SHIFT:
                    jump_price[k] += math.log(max(1.0 + ev_share[e] * c, 0.01))
                else:
                    f = ev_index[e]
                    fine_frac[f, k] += min(max(c, 0.0), fine_cap[f])

        # ---- per-path parameters and initial state
        cash = theta[CASH0, i]
        tau = theta[TAX, i]
        gbar = theta[GBAR, i]
        g = theta[G0, i]
        uplift = theta[UPLIFT, i] * theta[AI_ON, i]
        delay = theta[DELAY, i]
        eps = theta[ELASTICITY, i]
        drift_p = (gamma + theta[DRIFT, i] - half_sp2) * dt
        disc = theta[DISCOUNT, i]
        v = theta[VAR_SHARE, i]
        rate_dt = theta[RATE, i] * dt
        fcf_extra = theta[NONCASH, i] - theta[CAPEX, i]
        growth_factor = math.exp(theta[FIXED_GROWTH, i] * dt)
        fixed = (opex0 - spend0 - v * revenue0) * dt
        for j in range(n_sil):
            eff_coef[j] = sil_coef[j, 0] * (theta[col_sil_target + j, i] - sil_coef[j, 1]) * theta[col_sil_savings + j, i]
        log_r = log_r0
        log_vp = log_v0  # log(V_k P_k), P_0 = 1
        log_p = 0.0  # log P_k, tracked only for the bill's decomposition
        drift_price = (theta[DRIFT, i] - half_sp2) * dt
        nol = nol0
        used = 0.0  # committed usage cost so far (this year, or this term)
        lowest = np.inf
        breach = 0
        shortfall_any = False
        compressed_any = False
        y_rev = y_oi = y_ni = y_fcf = y_cloud = y_sf = y_fines = 0.0

        for k in range(K):
            # ---- revenue (MODEL.md section 3)
            u = 0.0
            if uplift != 0.0:
                t_prev = k * dt
                if ramp_years > 0.0:
                    u = uplift * min(max((t_prev - delay) / ramp_years, 0.0), 1.0)
                elif t_prev >= delay - 1e-9:  # tolerance: k*dt for n = 12 is not exact in binary
                    u = uplift
            z = z_path[k]
            if tilt_z != 0.0:  # drawn from N(-tilt, 1); weight phi(z) / phi(z + tilt)
                z -= tilt_z
                log_w += tilt_z * z + 0.5 * tilt_z * tilt_z
            d_log_r = (g + u - half_s2) * dt + sigma * sq * z + jump_rev[k]
            log_r += d_log_r
            r_k = math.exp(log_r)
            rev = r_k * dt
            w = w_path[k]
            if tilt_w != 0.0:
                w -= tilt_w
                log_w += tilt_w * w + 0.5 * tilt_w * tilt_w
            g += kappa * (gbar - g) * dt + eta * sq * w

            # ---- cloud bill and commitment (section 4)
            cloud = 0.0
            shortfall = 0.0
            if has_cloud:
                d_log_p = jump_price[k]
                if draw_p:
                    d_log_p += sigma_p * sq * (rho * z + rho_c * p_path[k])
                log_vp += drift_p + eps * d_log_r + d_log_p
                eff = 1.0
                for j in range(n_sil):
                    eff -= eff_coef[j] * sil_ramp[j, k]
                committed = committed_steps[k]
                at_price = math.exp(log_vp) * dt
                cloud = at_price * eff * (1.0 - disc * committed)
                if record_steps:
                    log_p += drift_price + d_log_p
                    y = step_year[k]
                    cloud_parts[0, y] += at_price / math.exp(log_p)
                    cloud_parts[1, y] += at_price
                    cloud_parts[2, y] += at_price * eff
                if committed > 0.0:
                    used += cloud
                    if annual:
                        if year_end_steps[k]:
                            shortfall = max(0.0, year_minimum[step_year[k]] - used)
                            used = 0.0
                    elif k == term_step:
                        shortfall = max(0.0, term_total - used)
                    if shortfall > 0.0:
                        shortfall_any = True
                cloud += shortfall

            # ---- operating costs, fines, profit (section 5)
            fixed *= growth_factor
            programs = 0.0
            for j in range(n_prog):
                programs += theta[col_program + j, i] * program_active[j, k]
            for f in range(n_fine):
                frac = fine_frac[f, k]
                if frac > 0.0:
                    pay = k + fine_lag[f]
                    if pay < K:
                        fine_pay[pay] += frac * r_k
            fines = fine_pay[k]
            oi = rev - (v * rev + fixed + programs * dt + cloud + fines)

            # ---- tax, cash and financing (section 6)
            pre_tax = oi + rate_dt * max(cash, 0.0) - interest_steps[k]
            if pre_tax <= 0.0:
                nol -= pre_tax
                tax = 0.0
            else:
                offset = min(nol, pre_tax)
                nol -= offset
                tax = tau * (pre_tax - offset)
            ni = pre_tax - tax
            fcf = ni + fcf_extra * rev
            debt = 0.0
            for j in range(n_debt):
                due = debt_due[j, k]
                if due > 0.0:
                    debt += theta[col_debt + j, i] * due
                    if cash + fcf < due:
                        debt_counts[j] += 1
            buyback = 0.0
            if has_buybacks:
                buyback = bb_annual * dt + bb_share * max(fcf, 0.0)
                if cash + fcf - debt - buyback < bb_min:
                    buyback = 0.0
            cash = cash + fcf - debt - buyback

            # ---- outputs (section 7)
            if cash < lowest:
                lowest = cash
            if breach == 0 and cash < cash_floor:
                breach = k + 1
            if record_steps:
                series[i, step_col + k] = cash
            y_rev += rev
            y_oi += oi
            y_ni += ni
            y_fcf += fcf
            y_cloud += cloud
            y_sf += shortfall
            y_fines += fines
            if year_end_steps[k]:
                y = step_year[k]
                margin = y_oi / y_rev
                series[i, 1 + F_CASH_END * Y + y] = cash
                series[i, 1 + F_REVENUE * Y + y] = y_rev
                series[i, 1 + F_OI * Y + y] = y_oi
                series[i, 1 + F_NI * Y + y] = y_ni
                series[i, 1 + F_FCF * Y + y] = y_fcf
                series[i, 1 + F_MARGIN * Y + y] = margin
                series[i, 1 + F_CLOUD * Y + y] = y_cloud
                series[i, 1 + F_SHORTFALL * Y + y] = y_sf
                series[i, 1 + F_FINES * Y + y] = y_fines
                series[i, 1 + F_USAGE * Y + y] = y_cloud - y_sf  # the bill for usage, before any shortfall
                if y_sf > 0.0:
                    year_counts[C_SHORTFALL_YEAR, y] += 1
                if margin < threshold:
                    year_counts[C_COMPRESSION, y] += 1
                    compressed_any = True
                if y_ni < 0.0:
                    year_counts[C_NET_LOSS, y] += 1
                if has_base_ni and y_ni < base_ni:
                    year_counts[C_BELOW_BASE, y] += 1
                y_rev = y_oi = y_ni = y_fcf = y_cloud = y_sf = y_fines = 0.0

        # ---- per-path results
        series[i, 0] = lowest
        first_breach[i] = breach
        log_weight[i] = log_w
        if breach > 0:
            year_counts[C_BREACH_YEAR, step_year[breach - 1]] += 1
            step_counts[breach - 1] += 1
        if compressed_any:
            path_counts[C_COMPRESSION_ANY] += 1
            if breach > 0:
                path_counts[C_BREACH_AND_COMPRESSION] += 1
        if shortfall_any:
            path_counts[C_SHORTFALL_PATHS] += 1
        for s in range(series.shape[1]):
            sums[s] += series[i, s]
