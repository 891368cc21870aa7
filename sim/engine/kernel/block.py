"""The Numba path kernel: one block of paths, MODEL.md section by section.

Pure functions over arrays and random streams (one per purpose, see
``docs/DRAWS.md``): the step normals' PCG64 states (``sim.engine.kernel.normals``) and a
``numpy.random.Generator`` for events; no I/O, no Python objects.  Each block
gets its own streams, so blocks can run on any number of threads
(``nogil=True``) and give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.kernel.commitments import BOTH, K_PAID, N_COM_FIELDS, settle_contract_year
from sim.engine.kernel.compile import (
    AI_ON, CAPEX, CASH0, DELAY, DRIFT, ELASTICITY, FIXED_GROWTH, G0, GBAR,
    NONCASH, RATE, REVENUE0, SHIFT, SHOCK, SPEND0, TAX, UPLIFT, VAR_SHARE, WORKING_CAPITAL,
)
from sim.engine.kernel.jit import njit
from sim.engine.kernel.normals import normal
from sim.engine.kernel.samplers import fill_sizes
from sim.engine.kernel.sketch import count_rows


# Per-year fields in the series matrix, in sim.engine.aggregate.BY_YEAR order:
# column 1 + field * Y + year (column 0 is min cash).
F_CASH_END, F_REVENUE, F_OI, F_NI, F_FCF, F_MARGIN, F_CLOUD, F_SHORTFALL, F_FINES, F_USAGE = range(10)
N_FIELDS = 10
# Kernel modes.
CENTRAL, RANDOM, ANTITHETIC = 0, 1, 2
# Rows of ``year_counts`` and entries of ``path_counts``.
C_BREACH_YEAR, C_COMPRESSION, C_NET_LOSS, C_BELOW_BASE, C_SHORTFALL_YEAR = range(5)
C_COMPRESSION_ANY, C_BREACH_AND_COMPRESSION, C_SHORTFALL_PATHS = range(3)
CHUNK = 256  # paths advanced together step by step: the inner loops over paths vectorise


@njit(inline="always")
def _exp(x):
    """exp(x) from multiply-adds only, so loops over paths vectorise (no libm call).

    exp(x) = exp(x / 64)^64: a degree-12 Taylor polynomial on |x / 64| <= 0.3
    (|x| <= 19), then six squarings; relative error about 1e-14 there, far
    below what the results resolve (tested against math.exp).
    """
    y = x * 0.015625
    p = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6 + y * (1.0 / 24 + y * (1.0 / 120 + y * (1.0 / 720 + y * (1.0 / 5040 + y * (
        1.0 / 40320 + y * (1.0 / 362880 + y * (1.0 / 3628800 + y * (1.0 / 39916800 + y * (1.0 / 479001600))))))))))))
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p * p


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
    """Event counts, steps and effects of every process for ``n`` paths.

    Per process: all counts, then all steps, then all sizes (docs/DRAWS.md);
    each size is then turned into its effect (MODEL.md sections 3, 4, 6), in a
    loop per process rather than per event in the kernel's scatter.

    Returns
    -------
    start : int64 array (E, n + 1)
        Offsets: events of process e on path i are ``start[e, i]:start[e, i+1]``.
    step : int64 array (total,)
        0-based step of each event.
    effect : float64 array (total,)
        Revenue shock: log(1 + max(size, -0.99)); price shift:
        log(max(1 + share * size, 0.01)); fine: min(max(size, 0), cap), a
        fraction of the step's revenue.
    """
    # Arrays are unpacked from the Model once: reading them from the tuple
    # inside a loop costs a reference-count update per access.
    ev_mean, ev_cdf, ev_code, ev_par, ev_values, ev_cumw, ev_len = m.ev_mean, m.ev_cdf, m.ev_code, m.ev_par, m.ev_values, m.ev_cumw, m.ev_len
    ev_kind, ev_index, ev_share, fine_cap = m.ev_kind, m.ev_index, m.ev_share, m.fine_cap
    n_proc = ev_mean.shape[0]
    K = m.n_steps
    start = np.zeros((n_proc, n + 1), dtype=np.int64)
    expected = 0.0
    for e in range(n_proc):
        expected += ev_mean[e]
    capacity = int(1.25 * expected * n) + 64
    step = np.empty(capacity, dtype=np.int64)
    size = np.empty(capacity, dtype=np.float64)
    total = np.int64(0)  # not a literal 0: numba would compile _reserve and fill_sizes for Literal[int](0) too
    for e in range(n_proc):
        first = total
        start[e, 0] = first
        cdf = ev_cdf[e]
        length = 1  # entries up to the first 1.0 (the rest is padding)
        while cdf[length - 1] < 1.0:
            length += 1
        for i in range(n):  # count = entries of the CDF table <= u (inversion, docs/DRAWS.md)
            u = rng.random()
            if length <= 64:  # short tables: count them all, without branches (a walk mispredicts)
                count = 0
                for k in range(length):
                    count += cdf[k] <= u
            else:
                count = np.searchsorted(cdf, u, side="right")
            total += count
            start[e, i + 1] = total
        step = _reserve(step, total)
        size = _reserve(size, total)
        for j in range(first, total):
            s = int(rng.random() * K)
            step[j] = s if s < K else K - 1
        fill_sizes(rng, ev_code[e], ev_par[e, 0], ev_par[e, 1], ev_par[e, 2], ev_par[e, 3], ev_values, ev_cumw, e, ev_len[e], size, first, total)
        kind = ev_kind[e]
        if kind == SHOCK:
            for j in range(first, total):
                size[j] = math.log(1.0 + max(size[j], -0.99))
        elif kind == SHIFT:
            share = ev_share[e]
            for j in range(first, total):
                size[j] = math.log(max(1.0 + share * size[j], 0.01))
        else:
            cap = fine_cap[ev_index[e]]
            for j in range(first, total):
                size[j] = min(max(size[j], 0.0), cap)
    return start, step, size


@njit
def draw_step_normals(rng_z, rng_w, rng_p, c0, p, antithetic, draw_z, draw_w, draw_p, tilt_z, tilt_w, z_buf, w_buf, p_buf, log_w):
    """Step normals of a chunk's ``p`` paths (first path ``c0`` of the block) into ``(K, P)`` buffers.

    Path by path in stream order (docs/DRAWS.md).  Under ``antithetic`` odd
    paths of the block take the previous path's normals, negated about the
    tilted mean; ``log_w`` (P,) receives each path's log likelihood ratio under
    the tilts (0 without one).  A function of its own: the generator is
    inlined three times here, and the kernel compiles about 1 s faster.
    """
    K = z_buf.shape[0]
    # each stream's state in scalars (registers) while drawing, stored back at the end
    zh, zl, z_inc_hi, z_inc_lo = rng_z[0], rng_z[1], rng_z[2], rng_z[3]
    wh, wl, w_inc_hi, w_inc_lo = rng_w[0], rng_w[1], rng_w[2], rng_w[3]
    ph, pl, p_inc_hi, p_inc_lo = rng_p[0], rng_p[1], rng_p[2], rng_p[3]
    for i in range(p):
        if antithetic and (c0 + i) % 2 == 1:
            for k in range(K):
                if draw_z:
                    z_buf[k, i] = -z_buf[k, i - 1] - 2.0 * tilt_z
                if draw_w:
                    w_buf[k, i] = -w_buf[k, i - 1] - 2.0 * tilt_w
                if draw_p:
                    p_buf[k, i] = -p_buf[k, i - 1]
        else:
            # The three streams are independent sequences, so drawing them
            # side by side step by step gives the same numbers as one stream
            # after another, and lets the CPU overlap the draws (~15% faster).
            for k in range(K):
                if draw_z:
                    x, zh, zl = normal(zh, zl, z_inc_hi, z_inc_lo)
                    z_buf[k, i] = x - tilt_z
                if draw_w:
                    x, wh, wl = normal(wh, wl, w_inc_hi, w_inc_lo)
                    w_buf[k, i] = x - tilt_w
                if draw_p:
                    x, ph, pl = normal(ph, pl, p_inc_hi, p_inc_lo)
                    p_buf[k, i] = x
        lw = 0.0
        if draw_z and tilt_z != 0.0:  # drawn from N(-tilt, 1): weight phi(z) / phi(z + tilt)
            for k in range(K):
                lw += tilt_z * z_buf[k, i] + 0.5 * tilt_z * tilt_z
        if draw_w and tilt_w != 0.0:
            for k in range(K):
                lw += tilt_w * w_buf[k, i] + 0.5 * tilt_w * tilt_w
        log_w[i] = lw
    rng_z[0], rng_z[1] = zh, zl
    rng_w[0], rng_w[1] = wh, wl
    rng_p[0], rng_p[1] = ph, pl


@njit(error_model="numpy")  # no Python zero-division checks: they would stop the loops vectorising
def simulate_block(
    m, theta, rng_revenue, rng_growth, rng_price, rng_events, mode, tilt_z, tilt_w,
    series, first_breach, log_weight, year_counts, path_counts, sums, step_counts, debt_counts, cloud_parts,
    com_sums, com_counts, com_series, counts, lo, hi,
):
    """Simulate ``theta.shape[1]`` paths of one block.

    Paths advance ``CHUNK`` at a time, step by step: each step is a loop over
    the chunk's paths that the compiler vectorises. Normals are drawn path by
    path first, in the order of docs/DRAWS.md, into per-chunk buffers.

    Parameters
    ----------
    m : Model
        Static scenario arrays (``sim.engine.kernel.compile.Model``).
    theta : float64 array (columns, n)
        Per-path parameters (``sim.engine.kernel.compile.build_theta``).
    rng_revenue, rng_growth, rng_price : uint64 arrays (4,)
        This block's REVENUE, GROWTH and PRICE streams as PCG64 states
        (``sim.engine.kernel.normals.stream_state``), advanced in place.
    rng_events : numpy.random.Generator
        This block's EVENTS stream.
    mode : int
        ``CENTRAL`` (no normals, no events), ``RANDOM``, or ``ANTITHETIC``
        (odd paths of a block reuse the previous path's normals, negated).
    tilt_z, tilt_w : float
        Importance sampling: revenue and growth normals are drawn with mean
        ``-tilt`` (towards lower revenue); 0 for plain Monte Carlo.
    series : float64 array (S, n) or (S, 0), output
        Every path's values, series by series, when it has n columns: row 0
        min cash; then per-year fields (``F_*``) at ``1 + field * Y + year``;
        then, if S > 1 + 10 Y + J, Cash_k per step; last, for each of the J =
        ``m.n_commitments`` commitments, its total shortfall paid over the
        horizon.  USD millions (margins as fractions).
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
    counts, lo, hi : int32 array (S, N_BUCKETS), float64 arrays (S,), accumulated, or empty
        A quantile sketch (``sim.engine.kernel.sketch``) that counts every path's values
        chunk by chunk while they are in cache; pass (0, 0), (0,), (0,)
        arrays to skip it.
    cloud_parts : float64 array (3, Y), accumulated when per-step cash is recorded
        Sums over paths of the year's usage at base prices (sum V_k dt), at
        current prices (sum V_k P_k dt) and after silicon savings
        (sum V_k P_k E_k dt): with the bill after discount they split the bill's
        change into usage, price, silicon and discount.
    com_sums : float64 array (4, J, Y), accumulated
        Per commitment j (the ``m.n_commitments`` real ones) and fiscal year:
        sums over paths of the shortfall paid, the spend steered onto the
        contract, the minimum deferred to the next contract year and the usage
        counted at the settlement (``K_PAID``, ``K_STEERED``, ``K_DEFERRED``,
        ``K_USAGE``), each in the fiscal year of
        its settlement step.  USD millions.
    com_counts : int64 array (J, Y + 1), accumulated
        Paths paying a shortfall on commitment j in fiscal year y; in column
        Y, paths paying one in any year.
    com_series : float64 array (4, J, Y, n) or (4, J, Y, 0), output
        Every path's values of ``com_sums`` when it has n entries.
    """
    # Unpack the Model once: arrays read from the tuple inside the loops would
    # each cost a reference-count update (measured: several times the maths).
    sil_coef, sil_ramp = m.sil_coef, m.sil_ramp
    com_share, com_in_term, com_counted, com_settle = m.com_share, m.com_in_term, m.com_counted, m.com_settle
    com_minimum, com_defer_cap, com_final, com_total = m.com_minimum, m.com_defer_cap, m.com_final, m.com_total
    com_rule, com_disc_col, com_steer_col = m.com_rule, m.com_disc_col, m.com_steer_col
    program_active, program_noncash, fine_lag, debt_due = m.program_active, m.program_noncash, m.fine_lag, m.debt_due
    ev_kind, ev_index, ev_fading, fade_rho, fade_decay = m.ev_kind, m.ev_index, m.ev_fading, m.fade_rho, m.fade_decay
    issued_cash, cash_event_step = m.issued_cash, m.cash_event_step
    interest_steps, step_year, year_end_steps = m.interest_expense, m.step_year, m.year_end
    n = theta.shape[1]
    K = m.n_steps
    Y = m.n_years
    dt = m.dt
    sq = math.sqrt(dt)
    sigma, kappa, eta, gamma, sigma_p, ramp_years = m.sigma, m.kappa, m.eta, m.gamma, m.sigma_p, m.ramp_years
    has_cloud, uncommitted, n_real = m.has_cloud, m.uncommitted, m.n_commitments
    has_noncash, has_wc, has_issued = m.has_noncash, m.has_working_capital, m.has_issued
    has_adjust = has_noncash or has_wc  # FCF_k gains non-cash programs and loses working capital
    has_buybacks, bb_annual, bb_share, bb_min = m.has_buybacks, m.buyback_annual, m.buyback_share, m.buyback_min_cash
    cash_floor, threshold, has_base_ni, base_ni = m.cash_floor, m.compression_threshold, m.has_base_ni, m.base_ni
    col_sil_target, col_sil_savings, col_program, col_debt, col_event = m.col_sil_target, m.col_sil_savings, m.col_program, m.col_debt, m.col_event
    opex0, nol0 = m.opex0, m.nol0
    rho = m.rho
    n_sil = m.sil_coef.shape[0]
    n_prog = program_active.shape[0]
    n_debt = debt_due.shape[0]
    n_fine = fine_lag.shape[0]
    n_proc = ev_kind.shape[0]
    n_fade = fade_rho.shape[0]
    n_com = com_share.shape[0]  # slots: at least one (an empty one without a commitment)
    n_cash_ev = cash_event_step.shape[0]
    keep_com = com_series.shape[3] > 0
    n_series = sums.shape[0]
    com_col = n_series - n_real  # the last n_real columns: each commitment's total shortfall paid
    record_steps = com_col > 1 + N_FIELDS * Y
    keep_series = series.shape[1] > 0
    sketching = counts.shape[0] > 0
    step_col = 1 + N_FIELDS * Y
    rho_c = math.sqrt(max(0.0, 1.0 - rho * rho))
    inv_ramp = 1.0 / ramp_years if ramp_years > 0.0 else 0.0
    half_s2 = 0.5 * sigma * sigma
    half_sp2 = 0.5 * sigma_p * sigma_p
    random = mode != CENTRAL
    draw_z = random and m.draw_z
    draw_w = random and eta > 0.0
    draw_p = random and has_cloud and sigma_p > 0.0
    if random and n_proc > 0:
        ev_start, ev_step, ev_effect = draw_events(m, rng_events, n)
    else:
        ev_start = np.zeros((n_proc, n + 1), dtype=np.int64)
        ev_step = np.zeros(0, dtype=np.int64)
        ev_effect = np.zeros(0, dtype=np.float64)

    # Chunk buffers, step-major so each step's inner loop over paths reads
    # contiguous memory (and LLVM can vectorise it).
    P = CHUNK
    z_buf = np.zeros((K, P))
    w_buf = np.zeros((K, P))
    p_buf = np.zeros((K, P))
    jump_rev = np.zeros((K, P))
    jump_price = np.zeros((K, P))
    jump_fade = np.zeros((n_fade, K, P))  # log effects of the shocks that recover, per process
    fade = np.zeros(P)
    fine_frac = np.zeros((n_fine, K, P))
    fine_pay = np.zeros((K + 1, P))
    eff_coef = np.zeros((n_sil, P))
    level_r = np.empty(P)
    level_vp = np.empty(P)
    level_p = np.empty(P)
    g = np.empty(P)
    fixed = np.empty(P)
    growth_factor = np.empty(P)
    nol = np.empty(P)
    used = np.zeros((n_com, P))  # usage U counted toward the minimum since the last settlement
    carry = np.zeros((n_com, P))  # minimum deferred from the last contract year, D_{y-1}
    toward = np.zeros((n_com, P))  # "both": sum of U_y + S_y + P_y toward the term total
    com_vals = np.zeros((N_COM_FIELDS, n_com, Y, P))
    com_any = np.empty(P, dtype=np.bool_)
    list_bill = np.zeros(P)  # G_k
    adjust = np.zeros(P)
    r_prev = np.zeros(P)
    cash = np.empty(P)
    lowest = np.empty(P)
    breach = np.empty(P, dtype=np.int64)
    shortfall_any = np.empty(P, dtype=np.bool_)
    compressed_any = np.empty(P, dtype=np.bool_)
    log_w = np.empty(P)
    acc = np.empty((7, P))  # this year's revenue, OI, NI, FCF, cloud, shortfall, fines
    available = np.empty(P)
    d_log_r = np.zeros(P)
    eff = np.ones(P)
    cloud = np.zeros(P)
    short = np.zeros(P)
    other = np.zeros(P)
    debt = np.zeros(P)
    amp = np.empty(P)
    vp_drift = np.empty(P)
    rate_dt = np.empty(P)
    retained = np.empty(P)
    values = np.empty((P, n_series))
    keys = np.empty((P, n_series), dtype=np.int32)

    for c0 in range(0, n, P):
        p = min(P, n - c0)
        # ---- normals, path by path in stream order (docs/DRAWS.md); odd paths mirror under ANTITHETIC
        draw_step_normals(
            rng_revenue, rng_growth, rng_price, c0, p, mode == ANTITHETIC, draw_z, draw_w, draw_p, tilt_z, tilt_w, z_buf, w_buf, p_buf, log_w
        )
        # ---- events of the chunk -> per-step buffers
        jump_rev[:, :p] = 0.0
        jump_price[:, :p] = 0.0
        jump_fade[:, :, :p] = 0.0
        fine_frac[:, :, :p] = 0.0
        fine_pay[:, :p] = 0.0
        for e in range(n_proc):
            kind = ev_kind[e]
            f = ev_index[e]
            slot = ev_fading[e]
            for i in range(p):
                for j in range(ev_start[e, c0 + i], ev_start[e, c0 + i + 1]):
                    if kind == SHOCK:
                        jump_rev[ev_step[j], i] += ev_effect[j]
                        if slot >= 0:
                            jump_fade[slot, ev_step[j], i] += ev_effect[j]
                    elif kind == SHIFT:
                        jump_price[ev_step[j], i] += ev_effect[j]
                    else:
                        fine_frac[f, ev_step[j], i] += ev_effect[j]
        # ---- recovering shocks (MODEL.md section 3): with X_k = X_{k-1} 2^(-dt/h) + rho J_k and
        # log R_k = log L_k + X_k, the step's change in log R is v1's plus X_{k-1} (2^(-dt/h) - 1)
        for r in range(n_fade):
            decay = fade_decay[r]
            fall = decay - 1.0
            rho_r = fade_rho[r]
            fade[:p] = 0.0
            for k in range(K):
                for i in range(p):
                    x = fade[i]
                    jump_rev[k, i] += x * fall
                    fade[i] = x * decay + rho_r * jump_fade[r, k, i]
        # ---- initial state
        for i in range(p):
            col = c0 + i
            level_r[i] = theta[REVENUE0, col]
            level_vp[i] = theta[SPEND0, col]
            level_p[i] = 1.0
            g[i] = theta[G0, col]
            growth_factor[i] = math.exp(theta[FIXED_GROWTH, col] * dt)
            fixed[i] = (opex0 - theta[SPEND0, col] - theta[VAR_SHARE, col] * theta[REVENUE0, col]) * dt
            nol[i] = nol0
            for j in range(n_com):
                used[j, i] = 0.0
                carry[j, i] = 0.0
                toward[j, i] = 0.0
            cash[i] = theta[CASH0, col]
            lowest[i] = np.inf
            breach[i] = 0
            shortfall_any[i] = False
            compressed_any[i] = False
            for j in range(n_sil):
                eff_coef[j, i] = sil_coef[j, 0] * (theta[col_sil_target + j, col] - sil_coef[j, 1]) * theta[col_sil_savings + j, col]
        acc[:, :p] = 0.0
        com_vals[:, :, :, :p] = 0.0
        # this chunk's parameter rows as contiguous 1-D views (plain unit-stride loads in the loops)
        th_uplift = theta[UPLIFT, c0 : c0 + p]
        th_ai = theta[AI_ON, c0 : c0 + p]
        th_delay = theta[DELAY, c0 : c0 + p]
        th_gbar = theta[GBAR, c0 : c0 + p]
        th_drift = theta[DRIFT, c0 : c0 + p]
        th_elast = theta[ELASTICITY, c0 : c0 + p]
        th_disc = theta[com_disc_col[0], c0 : c0 + p]  # the first commitment's (or the empty slot's)
        th_wc = theta[WORKING_CAPITAL, c0 : c0 + p]
        th_v = theta[VAR_SHARE, c0 : c0 + p]
        th_rate = theta[RATE, c0 : c0 + p]
        th_tax = theta[TAX, c0 : c0 + p]
        th_noncash = theta[NONCASH, c0 : c0 + p]
        th_capex = theta[CAPEX, c0 : c0 + p]
        for i in range(p):  # per-path constants of the step loops, computed once
            amp[i] = th_uplift[i] * th_ai[i]
            vp_drift[i] = (gamma + th_drift[i] - half_sp2) * dt
            rate_dt[i] = th_rate[i] * dt
            retained[i] = th_noncash[i] - th_capex[i]

        for k in range(K):
            t_prev = k * dt
            share0, term0, count0 = com_share[0], com_in_term[0, k], com_counted[0, k]
            interest_k = interest_steps[k]
            y = step_year[k]
            if has_wc:
                for i in range(p):
                    r_prev[i] = level_r[i]
            # Each stage below is an innermost loop over the chunk's paths with
            # no calls and no inner loops, so the compiler vectorises it.
            # ---- revenue (MODEL.md section 3)
            for i in range(p):
                uplift = amp[i]
                delay = th_delay[i]
                if ramp_years > 0.0:
                    u = uplift * min(max((t_prev - delay) * inv_ramp, 0.0), 1.0)
                else:
                    u = uplift if t_prev >= delay - 1e-9 else 0.0  # tolerance: k*dt for n = 12 is not exact in binary
                gi = g[i]
                d = (gi + u - half_s2) * dt + sigma * sq * z_buf[k, i] + jump_rev[k, i]
                d_log_r[i] = d
                level_r[i] *= _exp(d)
                g[i] = gi + kappa * (th_gbar[i] - gi) * dt + eta * sq * w_buf[k, i]

            # ---- cloud bill and commitment (section 4)
            if has_cloud:
                for i in range(p):
                    eff[i] = 1.0
                for j in range(n_sil):
                    ramp = sil_ramp[j, k]
                    for i in range(p):
                        eff[i] -= eff_coef[j, i] * ramp
                # list-price usage G_k, the uncommitted share of it and the first commitment's usage
                # C = w G (1 - delta [in term]) (one contract of share 1: v1's bill, operation for operation)
                for i in range(p):
                    d_log_p = jump_price[k, i] + sigma_p * sq * (rho * z_buf[k, i] + rho_c * p_buf[k, i])
                    vp = level_vp[i] * _exp(vp_drift[i] + th_elast[i] * d_log_r[i] + d_log_p)
                    level_vp[i] = vp
                    at_price = vp * dt
                    gk = at_price * eff[i]
                    bill = share0 * (gk * (1.0 - th_disc[i] * term0))
                    list_bill[i] = gk
                    cloud[i] = uncommitted * gk + bill
                    used[0, i] += bill * count0
                    short[i] = 0.0
                for j in range(1, n_com):
                    w, tin, cnt, dcol = com_share[j], com_in_term[j, k], com_counted[j, k], com_disc_col[j]
                    for i in range(p):
                        bill = w * (list_bill[i] * (1.0 - theta[dcol, c0 + i] * tin))
                        cloud[i] += bill
                        used[j, i] += bill * cnt
                for j in range(n_com):
                    if com_settle[j, k]:
                        settle_contract_year(
                            j, y, p, c0, theta, com_minimum[j, k], com_defer_cap[j, k], com_steer_col[j],
                            com_rule[j] == BOTH, com_final[j, k], com_total[j], used, carry, toward, cloud, short, com_vals,
                        )
                if record_steps:  # the bill's decomposition, in a loop of its own (keeps the one above simple)
                    for i in range(p):
                        d_log_p = jump_price[k, i] + sigma_p * sq * (rho * z_buf[k, i] + rho_c * p_buf[k, i])
                        price = level_p[i] * _exp((th_drift[i] - half_sp2) * dt + d_log_p)
                        level_p[i] = price
                        at_price = level_vp[i] * dt
                        cloud_parts[0, y] += at_price / price
                        cloud_parts[1, y] += at_price
                        cloud_parts[2, y] += at_price * eff[i]

            # ---- programs, fines and debt due: one loop per item (section 5, 6)
            for i in range(p):
                other[i] = 0.0
                debt[i] = 0.0
            if has_adjust:
                for i in range(p):
                    adjust[i] = 0.0
            for j in range(n_prog):
                active = program_active[j, k] * dt
                for i in range(p):
                    other[i] += theta[col_program + j, c0 + i] * active
                if program_noncash[j]:  # expensed, not paid: added back in FCF
                    for i in range(p):
                        adjust[i] += theta[col_program + j, c0 + i] * active
            if has_wc:  # FCF -= W (R_k - R_{k-1})
                for i in range(p):
                    adjust[i] -= th_wc[i] * (level_r[i] - r_prev[i])
            for f in range(n_fine):
                row = min(k + fine_lag[f], K)  # row K collects fines paid past the horizon
                for i in range(p):
                    fine_pay[row, i] += fine_frac[f, k, i] * level_r[i]
            for j in range(n_debt):
                due = debt_due[j, k]
                if due > 0.0:
                    for i in range(p):
                        debt[i] += theta[col_debt + j, c0 + i] * due
            # cash in: debt issued now and dated cash events (amount x Bernoulli), netted off the
            # debt repaid: cash only, never income
            if has_issued and issued_cash[k] != 0.0:
                received = issued_cash[k]
                for i in range(p):
                    debt[i] -= received
            for v in range(n_cash_ev):
                if cash_event_step[v] == k:
                    for i in range(p):
                        debt[i] -= theta[col_event + v, c0 + i] * theta[col_event + n_cash_ev + v, c0 + i]

            # ---- operating income, tax, cash (sections 5 and 6)
            for i in range(p):
                rev = level_r[i] * dt
                fines = fine_pay[k, i]
                bill = cloud[i]
                fixed_k = fixed[i] * growth_factor[i]
                oi = rev - (th_v[i] * rev + fixed_k + other[i] + bill + fines)
                fixed[i] = fixed_k
                c_prev = cash[i]
                pre_tax = oi + rate_dt[i] * max(c_prev, 0.0) - interest_k
                gain = max(pre_tax, 0.0)
                offset = min(nol[i], gain)
                nol[i] = nol[i] - min(pre_tax, 0.0) - offset
                ni = pre_tax - th_tax[i] * (gain - offset)
                extra = adjust[i]
                fcf = ni + retained[i] * rev
                if has_adjust:
                    fcf = fcf + extra
                buyback = bb_annual * dt + bb_share * max(fcf, 0.0)
                if not has_buybacks or c_prev + fcf - debt[i] - buyback < bb_min:
                    buyback = 0.0
                available[i] = c_prev + fcf  # cash before repaying debt due now (and before cash received)
                cash[i] = c_prev + fcf - debt[i] - buyback
                acc[0, i] += rev
                acc[1, i] += oi
                acc[2, i] += ni
                acc[3, i] += fcf
                acc[4, i] += bill
                acc[5, i] += short[i]
                acc[6, i] += fines

            # ---- per-step bookkeeping that branches or counts (outside the vectorised loops)
            for j in range(n_debt):
                due = debt_due[j, k]
                if due > 0.0:
                    for i in range(p):
                        if available[i] < due:
                            debt_counts[j] += 1
            for i in range(p):
                c_new = cash[i]
                if c_new < lowest[i]:
                    lowest[i] = c_new
                if breach[i] == 0 and c_new < cash_floor:
                    breach[i] = k + 1
            if record_steps:
                for i in range(p):
                    values[i, step_col + k] = cash[i]
            if year_end_steps[k]:
                for i in range(p):
                    margin = acc[1, i] / acc[0, i]
                    values[i, 1 + F_CASH_END * Y + y] = cash[i]
                    values[i, 1 + F_REVENUE * Y + y] = acc[0, i]
                    values[i, 1 + F_OI * Y + y] = acc[1, i]
                    values[i, 1 + F_NI * Y + y] = acc[2, i]
                    values[i, 1 + F_FCF * Y + y] = acc[3, i]
                    values[i, 1 + F_MARGIN * Y + y] = margin
                    values[i, 1 + F_CLOUD * Y + y] = acc[4, i]
                    values[i, 1 + F_SHORTFALL * Y + y] = acc[5, i]
                    values[i, 1 + F_FINES * Y + y] = acc[6, i]
                    values[i, 1 + F_USAGE * Y + y] = acc[4, i] - acc[5, i]  # the bill for usage, before any shortfall
                    if acc[5, i] > 0.0:
                        year_counts[C_SHORTFALL_YEAR, y] += 1
                        shortfall_any[i] = True
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
        for j in range(n_real):  # total shortfall paid on commitment j over the horizon (for its quantiles)
            for i in range(p):
                values[i, com_col + j] = 0.0
            for yy in range(Y):
                for i in range(p):
                    values[i, com_col + j] += com_vals[K_PAID, j, yy, i]
        for i in range(p):
            col = c0 + i
            values[i, 0] = lowest[i]
            first_breach[col] = breach[i]
            log_weight[col] = log_w[i]
            b = breach[i]
            if b > 0:
                year_counts[C_BREACH_YEAR, step_year[b - 1]] += 1
                step_counts[b - 1] += 1
            if compressed_any[i]:
                path_counts[C_COMPRESSION_ANY] += 1
                if b > 0:
                    path_counts[C_BREACH_AND_COMPRESSION] += 1
            if shortfall_any[i]:
                path_counts[C_SHORTFALL_PATHS] += 1
            for s in range(n_series):
                sums[s] += values[i, s]
        if keep_series:  # transposed here, in cache: each series' row is then contiguous for sorting
            for s in range(n_series):
                for i in range(p):
                    series[s, c0 + i] = values[i, s]
        if sketching:
            count_rows(values, p, counts, lo, hi, keys)
        for j in range(n_real):  # per-commitment results, summed path by path as ``sums`` is
            com_any[:p] = False
            for yy in range(Y):
                for f in range(N_COM_FIELDS):
                    for i in range(p):
                        com_sums[f, j, yy] += com_vals[f, j, yy, i]
                for i in range(p):
                    if com_vals[K_PAID, j, yy, i] > 0.0:
                        com_counts[j, yy] += 1
                        com_any[i] = True
                if keep_com:
                    for f in range(N_COM_FIELDS):
                        for i in range(p):
                            com_series[f, j, yy, c0 + i] = com_vals[f, j, yy, i]
            for i in range(p):
                if com_any[i]:
                    com_counts[j, Y] += 1
