"""Closed-form checks of the model v2 mechanisms (MODEL.md, every [v2] mark), derived by hand.

Each case is small enough to work out on paper; the derivation sits in a comment
next to it.  Deterministic cases are asserted to 1e-9 relative; Monte Carlo
cases within 4 standard errors (SE) of the estimate, with fixed seeds; the SE
formula is given with each test.  The per-path cases run against both the
Numba engine (``sim.engine.simulate.simulate_paths``) and the plain NumPy
reference (``sim.engine.reference.simulate_reference``), so a misreading of
MODEL.md shared by the two shows up here rather than cancelling out in
``test_reference_v2.py``.

The common company (``config``): revenue 100 flat (no growth, no noise), operating
costs 80, cash 50, no tax, floor 0; with cloud spend V the fixed costs are
F_0 = 80 - V, so without a commitment OI = 20 a year.  Money in USD millions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import close, kernel, load, merge, minimal_company, reference, within_se
from scipy import stats

from sim.engine import streams



def config(**sections) -> dict:
    return minimal_company("closed-form-v2", **sections)





@pytest.fixture(params=["engine", "reference"])
def simulate(request):
    """Per-path simulator under test: ``simulate(scn, seed, n, block_size)``."""
    return {"engine": kernel, "reference": reference}[request.param]




def each(out, key, expected):
    """Every path of ``out[key]`` equals ``expected`` (deterministic paths)."""
    got = np.asarray(out[key], dtype=float)
    close(got, np.broadcast_to(np.asarray(expected, dtype=float), got.shape))


def run(d: dict, paths: int = 64, seed: int = 1):
    import sim

    return sim.run(load(d), paths=paths, seed=seed).summary


def stream_uniforms(seed, n, bs, key):
    """The per-key uniforms of docs/DRAWS.md (a Bernoulli happens where u < p), blocks concatenated."""
    return np.concatenate([streams.param_stream(seed, b, key).random(min(bs, n - lo)) for b, lo in enumerate(range(0, n, bs))])


# --------------------------------------------------------------------------
# 1. two contracts with different shares and discounts
# --------------------------------------------------------------------------

# V = 40 flat, 4 steps a year: G_k = 10, G_y = 40; F_0 = 40.
#   aws: w 0.5, delta 0.2 -> U = 0.5 * 40 * 0.8 = 16 a year; minimums 30, 30 -> pays 14, 14
#   gcp: w 0.3, delta 0.1 -> U = 0.3 * 40 * 0.9 = 10.8;      minimums 10, 25 -> pays 0, 14.2
#   uncommitted 0.2 * 40 = 8 at list price.
# Cloud_y = 16 + 10.8 + 8 + shortfalls = 48.8, 63;  OI = 100 - 40 - Cloud = 11.2, -3;
# cash_end = 61.2, 58.2.
TWO = config(
    scenario={"steps_per_year": 4},
    cloud={
        "spend": 40.0,
        "commitments": [
            {"name": "aws", "share": 0.5, "discount": 0.2, "minimums": [30.0, 30.0]},
            {"name": "gcp", "share": 0.3, "discount": 0.1, "minimums": [10.0, 25.0]},
        ],
    },
)


def test_two_contracts(simulate):
    out = simulate(load(TWO), 1, 3, 2)
    each(out, "shortfall_by_commitment", [[14.0, 14.0], [0.0, 14.2]])
    each(out, "shortfall", [14.0, 28.2])
    each(out, "cloud_cost", [48.8, 63.0])
    each(out, "operating_income", [11.2, -3.0])
    each(out, "cash_end", [61.2, 58.2])
    each(out, "steered_by_commitment", 0.0)
    each(out, "deferred_by_commitment", 0.0)


def test_two_contracts_summary():
    s = run(TWO)
    aws, gcp = s["commitments"]["aws"], s["commitments"]["gcp"]
    close(aws["expected_shortfall_total"], 28.0)
    close(gcp["expected_shortfall_total"], 14.2)
    close(aws["shortfall_by_year"]["mean"], [14.0, 14.0])
    close(gcp["shortfall_by_year"]["mean"], [0.0, 14.2])
    assert aws["p_shortfall"] == 1.0 and gcp["p_shortfall"] == 1.0
    close(gcp["p_shortfall_by_year"], [0.0, 1.0])
    # v1's fields count every commitment's payments
    close(s["expected_shortfall_total"], 42.2)
    assert s["p_commitment_shortfall"] == 1.0
    close(s["by_year"]["cloud_cost"]["mean"], [48.8, 63.0])


def test_two_contracts_random_discounts(simulate):
    # Each contract's discount is its own per-path draw (key cloud.commitments.NAME.discount):
    #   shortfall_{aws,y} = max(0, 30 - 0.5 * 40 * (1 - delta_aws)),
    #   shortfall_{gcp,y} = max(0, M_y - 0.3 * 40 * (1 - delta_gcp)), M = 10, 25.
    from sim.engine.sampling import draw_parameters

    d = merge(TWO, {})
    d["cloud"]["commitments"][0]["discount"] = {"dist": "uniform", "low": 0.0, "high": 0.6}
    d["cloud"]["commitments"][1]["discount"] = {"dist": "uniform", "low": 0.0, "high": 0.3}
    scn = load(d)
    n, seed = 500, 4
    out = simulate(scn, seed, n, n)
    p = draw_parameters(scn, seed, 0, n)
    da, dg = p["cloud.commitments.aws.discount"], p["cloud.commitments.gcp.discount"]
    sa = np.maximum(0.0, 30.0 - 20.0 * (1 - da))
    sg = np.maximum(0.0, np.array([[10.0, 25.0]]) - 12.0 * (1 - dg[:, None]))
    close(out["shortfall_by_commitment"][:, 0, :], np.column_stack([sa, sa]))
    close(out["shortfall_by_commitment"][:, 1, :], sg)
    close(out["cloud_cost"], (20.0 * (1 - da) + 12.0 * (1 - dg) + 8.0 + sa)[:, None] + sg)
    assert 0 < (sg[:, 0] > 0).mean() < 1  # the year-1 floor binds on some paths only


# --------------------------------------------------------------------------
# 2. rollover: deferring, then paying
# --------------------------------------------------------------------------

# One contract (share 1, no discount), U = 40 a year; minimums 50, 45, 50; rollover 0.1:
#   y1: q = 50 - 40 = 10;            D = min(10, 0.1*50 = 5) = 5;     P = 5
#   y2: q = 45 + 5 - 40 = 10;        D = min(10, 4.5) = 4.5;          P = 5.5
#   y3: q = 50 + 4.5 - 40 = 14.5;    last year: D = 0;                P = 14.5
# Total 25 = sum M - sum U: rollover moves payments later, it does not forgive them.
# A 2-year horizon cuts year 3 off: y2 defers nothing (year 3 is not counted): P = 5, 10.
# Rollover 0.3 with minimums 50, 30: y1 defers all 10 (<= 15); y2 q = 30 + 10 - 40 = 0:
# the deferred amount is met by year 2's usage, nothing is ever paid.
def _rollover(minimums, rollover, years, n=1):
    return config(
        scenario={"years": years, "steps_per_year": n},
        cloud={"spend": 40.0, "commitment": {"minimums": minimums, "rollover": rollover}},
    )


@pytest.mark.parametrize("n", [1, 4])
def test_rollover(simulate, n):
    out = simulate(load(_rollover([50.0, 45.0, 50.0], 0.1, 3, n)), 1, 2, 2)
    each(out, "shortfall", [5.0, 5.5, 14.5])
    each(out, "deferred_by_commitment", [[5.0, 4.5, 0.0]])
    each(out, "cloud_cost", [45.0, 45.5, 54.5])
    if n == 4:  # paid at each contract year's last step
        cash = 50.0 + np.cumsum(np.full(12, 5.0))
        cash[3:] -= 5.0
        cash[7:] -= 5.5
        cash[11:] -= 14.5
        each(out, "cash", cash)


def test_rollover_next_year_not_counted(simulate):
    out = simulate(load(_rollover([50.0, 45.0, 50.0], 0.1, 2)), 1, 2, 2)
    each(out, "shortfall", [5.0, 10.0])
    each(out, "deferred_by_commitment", [[5.0, 0.0]])


def test_rollover_absorbed(simulate):
    out = simulate(load(_rollover([50.0, 30.0], 0.3, 2)), 1, 2, 2)
    each(out, "shortfall", [0.0, 0.0])
    each(out, "deferred_by_commitment", [[10.0, 0.0]])
    each(out, "cloud_cost", [40.0, 40.0])


def test_rollover_summary():
    s = run(_rollover([50.0, 45.0, 50.0], 0.1, 3))["commitments"]["commitment"]
    close(s["deferred_by_year"]["mean"], [5.0, 4.5, 0.0])
    close(s["shortfall_by_year"]["mean"], [5.0, 5.5, 14.5])
    close(s["expected_shortfall_total"], 25.0)


# --------------------------------------------------------------------------
# 3. "both": annual floors and a term top-up that counts the annual payments
# --------------------------------------------------------------------------

# V = 25 (F_0 = 55), U = 25 a year; minimums 30, 30; total 100:
#   annual: P_1 = P_2 = 5.  Top-up at year 2's settlement:
#   max(0, 100 - (25 + 0 + 5) - (25 + 0 + 5)) = 40  -> P = 5, 45 (total paid 50 = 100 - 50).
# steerable 0.1 (g M = 3 a year): S = min(5, 3) = 3, P = 2 each year;
#   top-up max(0, 100 - 2 * (25 + 3 + 2)) = 40  -> P = 2, 42; steered 3, 3.
# A total below the minimums (50 < 60) adds nothing: max(0, 50 - 60) = 0 -> P = 5, 5.
# A contract year before the horizon (start 2023, three minimums of 30): not every year
# is counted, so no top-up: P = 5, 5.
def _both(total=100.0, steerable=0.0, **extra):
    com = {"minimums": [30.0, 30.0], "total": total, "shortfall": "both", "steerable": steerable}
    com.update(extra)
    return config(cloud={"spend": 25.0, "commitment": com})


@pytest.mark.parametrize(
    "d, paid, steered",
    [
        (_both(), [5.0, 45.0], [0.0, 0.0]),
        (_both(steerable=0.1), [2.0, 42.0], [3.0, 3.0]),
        (_both(total=50.0), [5.0, 5.0], [0.0, 0.0]),
        (_both(start_year=2023, minimums=[30.0, 30.0, 30.0]), [5.0, 5.0], [0.0, 0.0]),
    ],
    ids=["both", "both-steered", "total-below-minimums", "year-before-horizon"],
)
def test_both(simulate, d, paid, steered):
    out = simulate(load(d), 1, 2, 2)
    each(out, "shortfall", paid)
    each(out, "steered_by_commitment", [steered])
    each(out, "cloud_cost", 25.0 + np.array(paid))
    each(out, "operating_income", 20.0 - np.array(paid))


# steerable under "term": pay max(0, M - U - g M).  minimums 30, 30 (M = 60), U = 50:
#   g = 0.1 -> 60 - 50 - 6 = 4 (steered 6);  g = 0.3 -> max(0, 10 - 18) = 0 (steered 10, the gap).
@pytest.mark.parametrize("g, paid, steered", [(0.1, 4.0, 6.0), (0.3, 0.0, 10.0)])
def test_term_steerable(simulate, g, paid, steered):
    d = config(cloud={"spend": 25.0, "commitment": {"minimums": [30.0, 30.0], "shortfall": "term", "steerable": g}})
    out = simulate(load(d), 1, 2, 2)
    each(out, "shortfall", [0.0, paid])
    each(out, "steered_by_commitment", [[0.0, steered]])


def test_steerable_summary():
    s = run(_both(steerable=0.1))["commitments"]["commitment"]
    close(s["steered_by_year"]["mean"], [3.0, 3.0])
    close(s["shortfall_by_year"]["mean"], [2.0, 42.0])


# --------------------------------------------------------------------------
# 4. a contract from August on quarterly steps
# --------------------------------------------------------------------------

# start 2024, 3 years, n = 4 (K = 12), V = 40 (G_k = 10, F_0 = 40: Fixed_k = 10, Rev_k = 25).
# Contract start 2024-08: tau = 7/12, tau n = 7/3 -> k_j = 1 + ceil(2.33) = 4 (the start moves
# to the next step boundary, October).  Contract years of 4 steps: 4..7 (settles step 7,
# 2025 Q3), 8..11 (settles step 11, 2026 Q3), 12..15 (past K: not counted).
# In term (discounted, delta 0.25 -> C_k = 7.5): steps 4..12 (step 12 is in term although
# its contract year is not counted).  Minimums 35 each: U_1 = U_2 = 30 -> pay 5 at steps 7, 11.
# A July start (tau n = 2 exactly) gives k_j = 3: years 3..6, 7..10, 11..14: pay 5 at 6 and 10
# (U = 30 each), year 3 not counted; in term steps 3..12.
# term: one payment at the last counted settlement, (35 + 35) - 60 = 10.
def _dated(start, shortfall="annual"):
    return config(
        scenario={"years": 3, "steps_per_year": 4},
        cloud={"spend": 40.0, "commitment": {"start": start, "minimums": [35.0, 35.0, 35.0], "discount": 0.25, "shortfall": shortfall}},
    )


@pytest.mark.parametrize(
    "start, first, settle",
    [("2024-08", 4, (7, 11)), ("2024-07", 3, (6, 10))],
)
@pytest.mark.parametrize("shortfall", ["annual", "term"])
def test_dated_contract(simulate, start, first, settle, shortfall):
    out = simulate(load(_dated(start, shortfall)), 1, 2, 2)
    k = np.arange(1, 13)
    usage = np.where(k >= first, 7.5, 10.0)
    pay = np.zeros(12)
    if shortfall == "annual":
        pay[[s - 1 for s in settle]] = 5.0
    else:
        pay[settle[-1] - 1] = 10.0
    cloud = usage + pay
    each(out, "cash", 50.0 + np.cumsum(25.0 - 10.0 - cloud))
    each(out, "cloud_cost", cloud.reshape(3, 4).sum(axis=1))
    each(out, "shortfall", pay.reshape(3, 4).sum(axis=1))


def test_dated_contract_summary():
    s = run(_dated("2024-08"))["commitments"]["commitment"]
    years = s["contract_years"]
    assert [y["year"] for y in years] == [1, 2, 3]
    assert [y["counted"] for y in years] == [True, True, False]
    assert [y["settlement_step"] for y in years[:2]] == [7, 11]
    close([y["minimum"] for y in years], [35.0, 35.0, 35.0])
    close(s["shortfall_by_year"]["mean"], [0.0, 5.0, 5.0])
    close(s["p_shortfall_by_year"], [0.0, 1.0, 1.0])


# --------------------------------------------------------------------------
# 5. a contract begun before the horizon
# --------------------------------------------------------------------------

# start 2024, 2 years, n = 2 (K = 4); V = 40: G_k = 20, Rev_k = 50, Fixed_k = 20.
# Contract from 2022-07, four years, minimums 10, 20, 40, 50, discount 0.25 (C_k = 15):
# tau = -1.5, tau n = -3 -> k_j = -2.  Years: -2..-1, 0..1 (step 0 outside), 2..3 (counted,
# settles step 3 = 2025 H1), 4..5 (step 5 past K).  In term: steps -2..5, so every step.
# Only year 3 settles: U_3 = 30, pay 40 - 30 = 10 at step 3 -- also under "term" (M counts
# the counted years only) and with rollover (year 4 is not counted: nothing deferred).
# OI_k = 50 - 20 - 15 = 15 (5 at step 3): cash 65, 80, 85, 100.
@pytest.mark.parametrize("extra", [{}, {"shortfall": "term"}, {"rollover": 0.5}], ids=["annual", "term", "rollover"])
def test_contract_before_horizon(simulate, extra):
    com = {"start": "2022-07", "minimums": [10.0, 20.0, 40.0, 50.0], "discount": 0.25}
    com.update(extra)
    d = config(scenario={"steps_per_year": 2}, cloud={"spend": 40.0, "commitment": com})
    out = simulate(load(d), 1, 2, 2)
    each(out, "cash", [65.0, 80.0, 85.0, 100.0])
    each(out, "shortfall", [0.0, 10.0])
    each(out, "cloud_cost", [30.0, 40.0])
    each(out, "deferred_by_commitment", 0.0)


# --------------------------------------------------------------------------
# 6. a recovering shock: the expected revenue path
# --------------------------------------------------------------------------

# sigma = 0, growth g, one shock process: rate lambda, fixed change c, recovery rho,
# half-life h; a = 2^(-dt/h).  An event in step j adds log(1 + c) to log R_k (k >= j) with
# weight b_{k-j}, b_m = (1 - rho) + rho a^m (the permanent part plus the fading part X).
# Event counts per step are independent Poisson(lambda dt) (a Poisson(lambda T) total placed
# uniformly on the steps), and E[x^N] = exp(lambda dt (x - 1)) for N ~ Poisson(lambda dt), so
#   E[R_k] = R_0 e^{g t_k} prod_{j<=k} E[(1+c)^{b_{k-j} N_j}]
#          = R_0 e^{g t_k} exp(lambda dt sum_{m=0}^{k-1} ((1 + c)^{b_m} - 1)),
# and E[revenue_y] = dt sum_{k in y} E[R_k].  rho = 0 gives v1's R_0 e^{g t_k + lambda t_k c}.
# SE: the sample sd of revenue_y over sqrt(N).
LAM_S, C_S, H_S, G_S = 0.8, -0.2, 0.5, 0.02


def expected_revenue(rho, years=3, n=4, r0=100.0):
    dt = 1.0 / n
    a = 2.0 ** (-dt / H_S)
    k = np.arange(1, years * n + 1)
    b = (1 - rho) + rho * a ** np.arange(years * n)
    terms = np.cumsum((1 + C_S) ** b - 1)  # sum over m = 0..k-1
    er = r0 * np.exp(G_S * k * dt + LAM_S * dt * terms)
    return (er * dt).reshape(years, n).sum(axis=1)


@pytest.mark.parametrize("rho", [0.0, 0.6, 1.0])
def test_recovering_shock_mean(simulate, rho):
    shock = {"name": "recession", "rate": LAM_S, "change": C_S, "recovery": rho}
    if rho > 0:
        shock["half_life_years"] = H_S
    d = config(scenario={"years": 3, "steps_per_year": 4}, revenue={"growth": G_S, "shocks": [shock]})
    n = 20_000
    out = simulate(load(d), 17, n, 8_192)
    rev = out["revenue"]
    want = expected_revenue(rho)
    for y in range(3):
        within_se(rev[:, y].mean(), want[y], rev[:, y].std(ddof=1) / math.sqrt(n))


# Path by path, one step a year (a = 2^(-1/h)): the same seed with recovery 0 and with
# recovery rho sees the same events (the recovery changes no draw).  With rho = 0,
# log(R_k / R_k^none) = N_{<=k} log(1 + c) gives each path's event counts N_j per step;
# with rho, log(R_k / R_k^none) = log(1 + c) sum_{j<=k} N_j ((1 - rho) + rho a^{k-j}).
@pytest.mark.parametrize("rho", [0.4, 1.0])
def test_recovering_shock_per_path(simulate, rho):
    years, c, h = 6, -0.3, 0.5
    shock = {"name": "recession", "rate": 0.7, "change": c}
    d = config(scenario={"years": years}, revenue={"growth": G_S, "shocks": [shock]})
    faded = merge(d, {})
    faded["revenue"]["shocks"][0].update(recovery=rho, half_life_years=h)
    none = 100.0 * np.exp(G_S * np.arange(1, years + 1))
    perm = simulate(load(d), 2, 3_000, 1_024)["revenue"]
    got = simulate(load(faded), 2, 3_000, 1_024)["revenue"]
    cum = np.log(perm / none) / math.log1p(c)
    close(cum, np.round(cum), atol=1e-9)
    counts = np.diff(np.round(cum), axis=1, prepend=0.0)  # N_j, (paths, years)
    a = 2.0 ** (-1.0 / h)
    k = np.arange(years)
    weight = np.where(k[None, :] >= k[:, None], (1 - rho) + rho * a ** (k[None, :] - k[:, None]), 0.0)  # [j, k]
    close(np.log(got / none), math.log1p(c) * counts @ weight, atol=1e-9)
    assert counts.sum() > 0


# --------------------------------------------------------------------------
# 7. working capital on growing revenue
# --------------------------------------------------------------------------

# FCF_k = NI_k - W (R_k - R_{k-1}).  With growth 0.1 and no noise R_k = 100 e^{0.1 t_k}; the
# yearly sum telescopes: FCF_y(W) = FCF_y(0) - W (R(y) - R(y - 1)), R(y) = 100 e^{0.1 y}; NI
# is unchanged (no interest, so cash does not feed back); cash_end_y moves by -W (R(y) - 100).
@pytest.mark.parametrize("w", [0.15, -0.1])
@pytest.mark.parametrize("n", [1, 4])
def test_working_capital(simulate, w, n):
    d = config(scenario={"years": 3, "steps_per_year": n}, revenue={"growth": 0.1})
    base = simulate(load(d), 1, 2, 2)
    out = simulate(load(merge(d, {"cash_flow": {"working_capital": w}})), 1, 2, 2)
    r = 100.0 * np.exp(0.1 * np.arange(4))
    close(out["net_income"], base["net_income"])
    close(out["fcf"], base["fcf"] - w * np.diff(r))
    close(out["cash_end"], base["cash_end"] - w * (r[1:] - 100.0))


def test_working_capital_noisy(simulate):
    # Per path with noisy revenue (sigma 0.2, one step a year: revenue_y = R_y): the same seed
    # with and without W (a new key draws from a stream of its own, so every other draw is
    # unchanged): cash_end_y(W) - cash_end_y(0) = -W (R_y - R_0) exactly.
    d = config(scenario={"years": 3}, revenue={"volatility": 0.2})
    base = simulate(load(d), 3, 700, 256)
    out = simulate(load(merge(d, {"cash_flow": {"working_capital": 0.2}})), 3, 700, 256)
    close(out["revenue"], base["revenue"])
    close(out["cash_end"] - base["cash_end"], -0.2 * (base["revenue"] - 100.0), atol=1e-9 * 100)


# --------------------------------------------------------------------------
# 8. a non-cash programme: net income lower, free cash flow not
# --------------------------------------------------------------------------

# A programme of 10 a year: OI falls by 10 either way.  No tax: NI falls by 10; paid in cash FCF
# falls by 10, non-cash it is added back: FCF and cash unchanged.  Tax 25 % (PT = 20 or 10 > 0):
# NI falls by 7.5; non-cash FCF = NI + 10 rises by 2.5 (the tax shield), cash programme: -7.5.
@pytest.mark.parametrize("tax", [0.0, 0.25])
def test_noncash_program(simulate, tax):
    d = config(scenario={"steps_per_year": 4}, company={"tax_rate": tax})
    prog = {"name": "sbc", "amount": 10.0, "years": 2}
    base = simulate(load(d), 1, 2, 2)
    cash_prog = simulate(load(merge(d, {"operating_costs": {"programs": [prog]}})), 1, 2, 2)
    noncash = simulate(load(merge(d, {"operating_costs": {"programs": [dict(prog, noncash=True)]}})), 1, 2, 2)
    for out in (cash_prog, noncash):
        close(out["operating_income"], base["operating_income"] - 10.0)
        close(out["net_income"], base["net_income"] - 10.0 * (1 - tax))
    close(cash_prog["fcf"], base["fcf"] - 10.0 * (1 - tax))
    close(noncash["fcf"], base["fcf"] + 10.0 * tax)
    close(noncash["cash_end"], base["cash_end"] + 10.0 * tax * np.array([1.0, 2.0]))


# --------------------------------------------------------------------------
# 9. debt issued inside the horizon
# --------------------------------------------------------------------------

# n = 4, 3 years.  Principal 100, coupon 8 % (2 a step), issued 2025-04 = 2025.25: issue step =
# first k with k/4 >= 1.25 -> 5; maturity 2026-07 = 2026.5 -> step 10.  Principal received in step
# 5, coupons in steps 6..10 (after the issue step, up to and including maturity), principal paid
# in step 10.  Against the same company without the debt (no tax, no interest income):
#   cash difference per step 0,0,0,0, 100, 98, 96, 94, 92, -10, -10, -10;  NI by year 0, -6, -4.
# Issued at the start (2024-01): outstanding before the horizon, no cash received, coupons from
# step 1 to 10 (-2 k), -100 at step 10.  Issued past the horizon (2028): ignored.
def _debt(issued, maturity="2026-07"):
    return {"cash_flow": {"debt": [{"name": "notes", "principal": 100.0, "coupon": 0.08, "maturity": maturity, "issued": issued}]}}


@pytest.mark.parametrize(
    "issued, maturity, cash_diff, ni_diff",
    [
        ("2025-04", "2026-07", [0, 0, 0, 0, 100, 98, 96, 94, 92, -10, -10, -10], [0, -6, -4]),
        ("2024-01", "2026-07", [-2, -4, -6, -8, -10, -12, -14, -16, -18, -120, -120, -120], [-8, -8, -4]),
        ("2028-01", "2030-01", [0] * 12, [0, 0, 0]),
    ],
    ids=["mid-horizon", "at-start", "past-horizon"],
)
def test_debt_issued(simulate, issued, maturity, cash_diff, ni_diff):
    d = config(scenario={"years": 3, "steps_per_year": 4})
    base = simulate(load(d), 1, 2, 2)
    out = simulate(load(merge(d, _debt(issued, maturity))), 1, 2, 2)
    close(out["cash"] - base["cash"], np.tile(cash_diff, (2, 1)))
    close(out["net_income"] - base["net_income"], np.tile(ni_diff, (2, 1)))
    close(out["fcf"] - base["fcf"], np.tile(ni_diff, (2, 1)))  # principal flows are not FCF


# --------------------------------------------------------------------------
# 10. a dated cash event with probability 0.3
# --------------------------------------------------------------------------

# n = 4, 2 years; OI 20 a year (5 a step), cash 50, floor 0.  Event "2025-06" = 2025 + 5/12:
# step = first k with k/4 >= 1.4167 -> 6.  Amount uniform(-300, -100), probability 0.3.
# Cash before step 6 is 75, after it 80 + amount <= -20 < 0 when the event happens, else
# cash never falls below 50: the path breaches iff its Bernoulli fires, so P(breach) = 0.3
# exactly; the estimate is a Binomial(N, 0.3) / N: SE sqrt(0.3 * 0.7 / N).  Per path the event
# happens where the key's uniform u < 0.3 (docs/DRAWS.md).  Cash only: NI and FCF unchanged.
# Central case: amount median -200 times p = 0.3 -> cash_end 70, 90 - 60 + 10 = 40.
EVENT = config(
    scenario={"steps_per_year": 4},
    cash_flow={
        "events": [
            {"name": "settlement", "date": "2025-06", "amount": {"dist": "uniform", "low": -300.0, "high": -100.0}, "probability": 0.3},
            {"name": "early", "date": "2023-05", "amount": -1000.0},  # before the horizon: ignored
            {"name": "late", "date": "2026-02", "amount": -1000.0},  # past the horizon: ignored
            {"name": "last", "date": "2026-01", "amount": 10.0},  # = start + years: step K
        ]
    },
)


def test_cash_event_per_path(simulate):
    from sim.engine.sampling import draw_parameters

    n, seed, bs = 20_000, 8, 8_192
    scn = load(EVENT)
    out = simulate(scn, seed, n, bs)
    happened = stream_uniforms(seed, n, bs, "cash_flow.events.settlement.probability") < 0.3
    assert ((out["first_breach_step"] == 6) == happened).all()
    assert ((out["first_breach_step"] == 0) == ~happened).all()
    within_se(happened.mean(), 0.3, math.sqrt(0.21 / n))
    amount = np.concatenate(
        [draw_parameters(scn, seed, b, min(bs, n - lo))["cash_flow.events.settlement.amount"] for b, lo in enumerate(range(0, n, bs))]
    )
    each(out, "net_income", [20.0, 20.0])
    each(out, "fcf", [20.0, 20.0])
    close(out["cash"][:, 5], 80.0 + np.where(happened, amount, 0.0))
    close(out["cash_end"][:, 1], 90.0 + np.where(happened, amount, 0.0) + 10.0)


def test_cash_event_summary():
    n, seed = 20_000, 8
    s = run(EVENT, paths=n, seed=seed)
    happened = stream_uniforms(seed, n, 32_768, "cash_flow.events.settlement.probability") < 0.3
    p = s["p_cash_breach"]
    assert p["estimate"] == pytest.approx(happened.mean(), abs=0.5 / n)  # an exact count
    within_se(p["estimate"], 0.3, math.sqrt(0.21 / n))
    close(s["p_cash_breach_by_year"], [0.0, p["estimate"]])
    close(s["central_case"]["cash_end"], [70.0, 40.0])  # 90 - 0.3 * 200 + 10


# --------------------------------------------------------------------------
# 11. uncertain base-year revenue and cloud bill
# --------------------------------------------------------------------------

# R_0 ~ lognormal(median 100, sigma 0.1), V_0 ~ uniform(20, 40), variable share 0.2, no
# growth, one step a year, no commitment: F_0 = 80 - V_0 - 0.2 R_0 per path and the bill is
# V_0, so OI = R_0 - 0.2 R_0 - F_0 - V_0 = R_0 - 80 whatever V_0 is; revenue_y = R_0,
# cloud_cost_y = V_0.  The compression threshold uses the median: m_0 = 0.2, so year y is
# compressed when (R_0 - 80)/R_0 < 0.18, i.e. R_0 < 80/0.82: P = Phi(log(80/82)/0.1),
# SE sqrt(P (1 - P) / N).
BASE_UNCERTAIN = config(
    company={"revenue": {"dist": "lognormal", "median": 100.0, "sigma": 0.1}},
    operating_costs={"variable_share": 0.2},
    cloud={"spend": {"dist": "uniform", "low": 20.0, "high": 40.0}},
)


def test_uncertain_base_year(simulate):
    from sim.engine.sampling import draw_parameters

    scn = load(BASE_UNCERTAIN)
    n, seed = 3_000, 6
    out = simulate(scn, seed, n, n)
    p = draw_parameters(scn, seed, 0, n)
    r0, v0 = p["company.revenue"], p["cloud.spend"]
    close(out["revenue"], np.column_stack([r0, r0]))
    close(out["cloud_cost"], np.column_stack([v0, v0]))
    close(out["operating_income"], np.column_stack([r0 - 80.0, r0 - 80.0]))


def test_uncertain_base_year_compression():
    n = 20_000
    s = run(BASE_UNCERTAIN, paths=n, seed=6)
    want = stats.norm.cdf(math.log(80.0 / 82.0) / 0.1)
    for est in s["p_profit_compression_by_year"]:
        within_se(est, want, math.sqrt(want * (1 - want) / n))


def test_central_case_reference_event():
    # the reference's central case: the event's amount at its median times p (see section 10)
    from sim.engine.reference import central_case_reference

    close(central_case_reference(load(EVENT))["cash_end"], [70.0, 40.0])


# --------------------------------------------------------------------------
# 12. the no-deal counterfactual (reference)
# --------------------------------------------------------------------------

# The same paths with every commitment removed: all usage at list price G_k, no minimum.
# net_savings = sum_k (G_k - Cloud_k).  Section 1's two contracts: G = 40 a year, Cloud =
# 48.8 + 63 -> net savings 80 - 111.8 = -31.8 (the deal costs money); section 4's August
# contract: G = 40 a year, Cloud = 37.5 + 35 + 35 -> net savings 120 - 107.5 = 12.5.
@pytest.mark.parametrize("d, savings", [(TWO, -31.8), (_dated("2024-08"), 12.5)], ids=["two-contracts", "august"])
def test_no_deal_reference(d, savings):
    from sim.engine.reference import simulate_reference

    scn = load(d)
    deal = simulate_reference(scn, 1, 3, 3)
    nodeal = simulate_reference(scn, 1, 3, 3, deal=False)
    close(nodeal["cloud_cost"], nodeal["list_cost"])
    close(nodeal["cloud_cost"].sum(axis=1), 40.0 * scn.scenario.years)
    close(deal["list_cost"], nodeal["list_cost"])
    close((deal["list_cost"] - deal["cloud_cost"]).sum(axis=1), savings)
    close(nodeal["shortfall"], 0.0)
