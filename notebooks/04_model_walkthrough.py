# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4 · The model, step by step
#
# The probabilities `sim` reports are counts over paths. This notebook opens the
# box: it follows a handful of paths of the default scenario through the model's
# equations — revenue, cloud usage against the commitment's minimums, the cloud
# bill, profit, and cash against the floor — and checks the mechanics on the
# numbers as it goes. The equations are those of the model specification
# (`MODEL.md`); the choices it leaves open are in
# [docs/MODEL_NOTES.md](../docs/MODEL_NOTES.md).
#
# `sim.paths(scenario, n, seed)` returns every output of each of `n` paths, and
# the parameters each path drew, for exactly the paths that
# `sim.run(scenario, paths=n, seed=seed)` summarises. Money is in USD millions.

# %% tags=["parameters"]
PATHS = 20_000  # paths simulated (every path kept in memory); a handful of them are followed below (the tests use a few thousand)
SEED = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import sim
import sim.plots
from sim.present.formatting import money, percent

scenario = sim.load("pinterest_aws_2031")
everything = sim.paths(scenario, n=PATHS, seed=SEED)
result = sim.run(scenario, paths=PATHS, seed=SEED)  # the same paths, summarised

# %% [markdown]
# ## 0. Time, and what a path draws
#
# The horizon is $Y$ fiscal years of $n$ steps each: $\Delta = 1/n$, steps
# $k = 1..K$ with $K = Yn$, step $k$ ends at $t_k = k\Delta$ years from the start.
# Here $n = 4$ (quarters) over 2024–2031.
#
# Before step 1 each path draws its uncertain parameters once: long-run growth
# $\bar g$, whether the AI push works ($A \in \{0, 1\}$) and by how much ($U$),
# the silicon savings $S$, the price drift $\mu_P$, the commitment discount
# $\delta$, ... Inside the steps it then draws the normal shocks and the events
# (competition, ad recessions, price shifts, fines).
#
# We follow five paths: the first one that breaches the cash floor, the one that
# pays the most shortfall, and the first few others.

# %%
floor = everything["cash_floor"]
years, time, minimums = everything["years"], everything["time"], everything["minimums"]
per_path = [k for k, v in everything.items() if isinstance(v, np.ndarray) and v.shape[:1] == (PATHS,)]

breaches = everything["first_breach_step"] > 0
most_shortfall = int(everything["shortfall"].sum(axis=1).argmax())
chosen = list(dict.fromkeys([int(np.argmax(breaches)), most_shortfall, *range(5)]))[:5]
paths = {k: everything[k][chosen] for k in per_path}
params = {k: v[chosen] for k, v in everything["parameters"].items()}
labels = []
for i in chosen:
    tags = ["breaches"] * bool(breaches[i]) + ["most shortfall"] * (i == most_shortfall)
    labels.append(f"path {i}" + (f" ({', '.join(tags)})" if tags else ""))
colors = [sim.plots.PALETTE[c] for c in ("blue", "green", "purple", "orange", "sky")]  # vermillion: the limits

drawn = pd.DataFrame({
    "AI works": np.where(params["revenue.ai_uplift.probability"] == 1, "yes", "no"),
    "AI uplift U, %/yr": 100 * params["revenue.ai_uplift.uplift"],
    "AI delay L, yr": params["revenue.ai_uplift.delay_years"],
    "growth ḡ, %/yr": 100 * params["revenue.growth"],
    "Graviton saving, %": 100 * params["cloud.silicon.graviton.savings"],
    "Trainium saving, %": 100 * params["cloud.silicon.trainium.savings"],
    "price drift μP, %/yr": 100 * params["cloud.pricing.drift"],
    "discount δ, %": 100 * params["cloud.commitment.discount"],
}, index=labels)
drawn.round(1)

# %% [markdown]
# ## 1. Revenue
#
# The annualised revenue run-rate $R$ follows a geometric random walk whose
# growth rate mean-reverts, plus the AI uplift and jumps for revenue shocks:
#
# $$\log R_k = \log R_{k-1} + \left(g_{k-1} + u_k - \tfrac{\sigma^2}{2}\right)\Delta + \sigma\sqrt{\Delta}\,Z_k + J_k$$
#
# $$g_k = g_{k-1} + \kappa(\bar g - g_{k-1})\Delta + \eta\sqrt{\Delta}\,W_k,
# \qquad u_k = A\,U\,\mathrm{clip}\!\left(\frac{t_{k-1} - L}{T_r}, 0, 1\right)$$
#
# with $Z_k, W_k$ standard normals and $J_k = \sum \log(1 + c)$ over the shock
# events of step $k$ (Poisson, rate $\lambda\Delta$). Booked revenue of a fiscal
# year is $\sum_{k \in y} R_k\Delta$. Below, the five paths (solid where the AI
# push works) over the P5–P95 band of all paths and the central case (every input
# at its median, no shocks).

# %%
by_year = result.by_year().set_index(["metric", "year"])
central = result.central_case().set_index("year")


def band(ax, metric):
    q = by_year.loc[metric]
    ax.fill_between(years, q["p05"], q["p95"], color="#dddddd", linewidth=0, label="all paths, P5–P95")
    ax.plot(years, central[metric], color="black", linestyle="--", linewidth=1, label="central case")


def per_year_lines(ax, values, style=None):
    for i, (label, color) in enumerate(zip(labels, colors)):
        ls = style[i] if style is not None else "-"
        ax.plot(years, values[i], marker="o", markersize=3, color=color, linestyle=ls, label=label)


with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    band(ax, "revenue")
    per_year_lines(ax, paths["revenue"], style=["-" if a == "yes" else ":" for a in drawn["AI works"]])
    ax.yaxis.set_major_formatter(sim.plots.money_formatter())
    ax.set(title="Revenue by fiscal year (dotted: the AI push fails on that path)", xlabel="Fiscal year")
    ax.legend(ncols=2, fontsize=7.5, loc="upper left")

# %% [markdown]
# The drawn growth and uplift against what each path realised (log growth of
# booked revenue from the first to the last year, per year). The gap is the
# shocks, the random walk and the uplift's delay and ramp.

# %%
realised = np.log(paths["revenue"][:, -1] / paths["revenue"][:, 0]) / (len(years) - 1)
pd.DataFrame({
    "ḡ + A·U, %/yr": 100 * (params["revenue.growth"] + params["revenue.ai_uplift.probability"] * params["revenue.ai_uplift.uplift"]),
    "realised, %/yr": 100 * realised,
}, index=labels).round(1)

# %% [markdown]
# ## 2. Cloud usage against the commitment's minimums
#
# Usage at base prices $V$ grows with its own trend and with revenue
# (elasticity $\varepsilon$); migrating work to custom silicon makes each unit
# cheaper; prices $P$ drift, wobble and jump:
#
# $$\log V_k = \log V_{k-1} + \gamma\Delta + \varepsilon\,(\log R_k - \log R_{k-1})$$
#
# $$E_k = 1 - \sum_{\text{chips}} h\,\big(m(t_k) - a\big)\,S, \qquad m(t) = a + (b - a)\,\mathrm{clip}(t/T_m, 0, 1)$$
#
# $$\log P_k = \log P_{k-1} + \left(\mu_P - \tfrac{\sigma_P^2}{2}\right)\Delta + \sigma_P\sqrt{\Delta}\,Z^P_k + \sum \log(1 + s\,c)$$
#
# The bill for usage in a committed year gets the discount $\delta$:
#
# $$C_k = V_k\,P_k\,E_k\,(1 - \delta)\,\Delta$$
#
# and with annual settlement, a year whose usage $\sum_{k\in y} C_k$ falls short
# of the minimum $M_y$ pays the gap:
# $\text{shortfall}_y = \max\!\big(0,\ M_y - \sum_{k\in y} C_k\big)$.
#
# Each path's silicon efficiency once migration is complete,
# $E = 1 - \sum h(b - a)S$, from its draws:

# %%
efficiency = 1.0
for chip in scenario.cloud.silicon:
    key = f"cloud.silicon.{chip.name}"
    efficiency = efficiency - chip.share * (params[f"{key}.migrated_target"] - chip.migrated_start) * params[f"{key}.savings"]
pd.DataFrame({"cost of a unit of work once migrated, % of today's": 100 * efficiency}, index=labels).round(1)

# %%
with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    band(ax, "cloud_usage")
    per_year_lines(ax, paths["cloud_usage"])
    ax.step(np.r_[years - 0.5, years[-1] + 0.5], np.r_[minimums, minimums[-1]], where="post",
            color=sim.plots.PALETTE["vermillion"], linewidth=2.2, label="annual minimum $M_y$")
    ax.yaxis.set_major_formatter(sim.plots.money_formatter())
    ax.set(title="Committed usage (after silicon savings and discount) vs the minimums", xlabel="Fiscal year")
    ax.legend(ncols=2, fontsize=7.5, loc="upper left")

# %% [markdown]
# **Check:** on every path and year, the shortfall is the gap between the minimum
# and usage, or nothing.

# %%
gap = np.maximum(minimums - everything["cloud_usage"], 0.0)
print(f"largest |shortfall - max(0, M - usage)| over {PATHS:,} paths x {len(years)} years: "
      f"{money(np.abs(everything['shortfall'] - gap).max())}")
assert np.allclose(everything["shortfall"], gap, atol=1e-6)

# %% [markdown]
# ## 3. The cloud bill
#
# What is paid each year is usage plus any shortfall,
# $\text{Cloud}_y = \sum_{k\in y} C_k + \text{shortfall}_y$: under take-or-pay the
# bill never drops below the minimum, however cheap the silicon gets. For the path
# that pays the most shortfall, and one that breaches:

# %%
with sim.plots.style():
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4), sharey=True, layout="constrained")
    for ax, i in zip(axes, [chosen.index(most_shortfall), next(j for j, c in enumerate(chosen) if c != most_shortfall)]):
        ax.bar(years, paths["cloud_usage"][i], color=sim.plots.PALETTE["sky"], label="usage")
        ax.bar(years, paths["shortfall"][i], bottom=paths["cloud_usage"][i], color=sim.plots.PALETTE["vermillion"], label="shortfall")
        ax.plot(years, minimums, "_", color="black", markersize=22, markeredgewidth=2, label="minimum")
        ax.set(title=f"{labels[i]}: the cloud bill paid", xlabel="Fiscal year")
        ax.yaxis.set_major_formatter(sim.plots.money_formatter())
    axes[0].legend(loc="upper left")
assert np.allclose(everything["cloud_cost"], everything["cloud_usage"] + everything["shortfall"])

# %% [markdown]
# ## 4. Profit
#
# Operating costs are variable (a share $v$ of revenue), fixed (growing at
# $\varphi$), programmes (here the AI investment, 3–5% of costs for five years),
# the cloud bill and fines (a share of revenue per event, capped, paid a year
# later):
#
# $$\text{Opex}_k = v\,\text{Rev}_k + F_0 e^{\varphi t_k}\Delta + \text{Programs}_k + \text{Cloud}_k + \text{Fines}_k,
# \qquad \text{OI}_k = \text{Rev}_k - \text{Opex}_k$$
#
# A year's operating margin is $\sum \text{OI} / \sum \text{Rev}$; **profit
# compression** is a margin below the base year's $m_0$ minus 2 points.

# %%
s = result.summary
with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    band(ax, "operating_margin")
    per_year_lines(ax, paths["operating_margin"])
    ax.axhline(s["compression_threshold"], color=sim.plots.PALETTE["vermillion"], linestyle="--", linewidth=1.2,
               label=f"compression below {100 * s['compression_threshold']:.1f}%")
    ax.yaxis.set_major_formatter(sim.plots.percent_formatter())
    ax.set(title="Operating margin by fiscal year", xlabel="Fiscal year")
    ax.legend(ncols=2, fontsize=7.5, loc="upper left")
assert np.allclose(everything["operating_margin"], everything["operating_income"] / everything["revenue"])

# %% [markdown]
# ## 5. Cash against the floor
#
# Pre-tax profit adds interest on cash (and would subtract interest on debt; this
# scenario has none); tax uses up loss carry-forwards first; free cash flow adds
# back non-cash costs and takes off capex; buybacks of \$500M a year (\$125M a
# quarter) are made only while cash stays above \$2B after them:
#
# $$\text{PT}_k = \text{OI}_k + r\max(\text{Cash}_{k-1}, 0)\Delta, \qquad \text{NI}_k = \text{PT}_k - \text{tax}_k,
# \qquad \text{FCF}_k = \text{NI}_k + (\text{noncash} - \text{capex})\,\text{Rev}_k$$
#
# $$\text{Cash}_k = \text{Cash}_{k-1} + \text{FCF}_k - \text{Debt}_k - B_k$$
#
# A path **breaches** when $\min_k \text{Cash}_k$ falls below the floor.

# %%
first = paths["first_breach_step"]
with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.8), layout="constrained")
    q = s["by_step"]["cash"]["quantiles"]
    ax.fill_between(time, q["0.05"], q["0.95"], color="#dddddd", linewidth=0, label="all paths, P5–P95")
    marked = False
    for i, (label, color) in enumerate(zip(labels, colors)):
        ax.plot(time, paths["cash"][i], color=color, label=label)
        if first[i] > 0:
            k = first[i] - 1
            ax.plot(time[k], paths["cash"][i, k], "X", color=color, markersize=9, markeredgecolor="black",
                    label="_" if marked else "first breach")
            marked = True
    ax.axhline(floor, color=sim.plots.PALETTE["vermillion"], linestyle="--", label=f"floor {money(floor)}")
    ax.yaxis.set_major_formatter(sim.plots.money_formatter())
    ax.set(title="Cash at each quarter's end", xlabel="Fiscal time (years)")
    ax.legend(ncols=2, fontsize=7.5, loc="upper left")

# %% [markdown]
# **Checks:** a year's closing cash is the cash at its last step; the lowest cash
# decides the breach; and the cash that free cash flow does not explain went to
# buybacks, which never exceed \$500M a year and stop when cash is low.

# %%
n = s["steps_per_year"]
assert np.array_equal(everything["cash_end"], everything["cash"][:, n - 1 :: n])
assert np.array_equal(everything["min_cash"] < floor, everything["first_breach_step"] > 0)
opening = np.c_[everything["parameters"]["company.cash"], everything["cash_end"][:, :-1]]  # each year's opening cash
buybacks = np.round(everything["fcf"] - (everything["cash_end"] - opening), 6) + 0.0  # + 0.0: no "-0"
print(f"buybacks per year over all paths: {money(buybacks.min())} to {money(buybacks.max())}")
assert buybacks.min() > -1e-6 and buybacks.max() < 500 + 1e-6
pd.DataFrame(buybacks[chosen].round(0), index=labels, columns=years).astype(int).rename_axis("buybacks, $M")

# %% [markdown]
# ## 6. From paths to probabilities
#
# `sim.run` summarises these same paths. Counting them by hand gives its numbers
# exactly:

# %%
checks = {
    "P(cash < floor)": ((everything["min_cash"] < floor).mean(), s["p_cash_breach"]["estimate"]),
    "P(profit compression, any year)": ((everything["operating_margin"] < s["compression_threshold"]).any(axis=1).mean(), s["p_profit_compression_any"]),
    "P(commitment shortfall)": ((everything["shortfall"] > 0).any(axis=1).mean(), s["p_commitment_shortfall"]),
}
for name, (by_hand, reported) in checks.items():
    print(f"{name:34s} counted {percent(by_hand):>7s}   sim.run {percent(reported):>7s}")
    assert by_hand == reported
