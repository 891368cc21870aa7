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
# # 1 · Quickstart: one deal, one run
#
# `sim` follows a company's revenue, costs, cloud bill and cash quarter by quarter
# over the years of a multi-year cloud commitment, across many random **paths**,
# and counts how often things go wrong:
#
# * **cash breach**: cash falls below the floor the treasurer wants to keep;
# * **profit compression**: a year's operating margin falls more than 2 points
#   below the base year's;
# * **commitment shortfall**: cloud usage falls short of a year's minimum and the
#   gap is paid anyway (take-or-pay).
#
# This notebook runs the default scenario, Pinterest's ~\$4B AWS commitment
# through 2031, reads its headline numbers and figures, then changes one
# assumption and compares the two runs.
#
# Inside `sim` money is in USD millions (`2500` is \$2.5B); printouts and figures
# say \$M or \$B.

# %% tags=["parameters"]
PATHS = 200_000  # Monte Carlo paths per run: a second or two on a laptop (1,000,000 for final numbers; the tests use a few thousand)
SEED = 0  # the same seed, paths and config give the same numbers, on any machine

# %%
import matplotlib.pyplot as plt

import sim
import sim.plots
from sim.model import describe_scenario
from sim.present.formatting import money, percent, percent_ci
from sim.present.text import format_summary

# %% [markdown]
# ## The scenario
#
# A scenario is a TOML config: the base year, the policy (the cash floor), and
# every uncertain driver as a distribution. `sim.load` takes a shipped scenario's
# name, a file or a dict, and validates it. `describe` says what the model will do
# with it; here is its first part, the base year (`print(describe_scenario(scenario))`
# lists every input).

# %%
scenario = sim.load("pinterest_aws_2031")
text = describe_scenario(scenario)
print(text[: text.index("Uncertain parameters")])

# %% [markdown]
# ## Run it
#
# `sim.run` simulates the paths (the first call in a fresh environment also
# compiles the kernel, which is cached afterwards) and returns a `Result`.
# `format_summary` prints what `sim run` prints on the command line.

# %%
base = sim.run(scenario, paths=PATHS, seed=SEED)
print(format_summary(base.summary))

# %% [markdown]
# ## The headline numbers
#
# Everything lives in `base.summary`, a dict with fixed field names (the JSON
# that `sim run --json` writes). Every probability comes with its 95% interval:
# with 200,000 paths the Monte Carlo error is a fraction of a point (a million paths shrink it by 2.2x).

# %%
s = base.summary
breach = s["p_cash_breach"]
print(f"P(cash < {money(s['cash_floor'])} at some point): {percent(breach['estimate'])}  (95% CI {percent_ci(breach['ci95'])})")
print(f"P(profit compression in some year):   {percent(s['p_profit_compression_any'])}")
print(f"P(a commitment shortfall):            {percent(s['p_commitment_shortfall'])}, "
      f"{money(s['expected_shortfall_total'])} expected over the term")
print(f"Lowest cash on the worst 5% of paths: {money(s['min_cash']['quantiles']['0.05'])} or less")

# %% [markdown]
# The tables are pandas DataFrames. `breach_curve()` is the cumulative chance of a
# breach by the end of each year; `by_year()` holds every yearly metric's mean and
# percentiles (P1 ... P99), in USD millions.

# %%
curve = base.breach_curve().set_index("year")
(100 * curve).round(2).rename(columns={"cash_breach": "P(breach by year end), %", "cash_breach_lo": "95% CI low", "cash_breach_hi": "95% CI high"})

# %%
cash = base.by_year().query("metric == 'cash_end'").set_index("year")[["p05", "p50", "p95"]]
(cash / 1000).round(2).rename(columns=lambda c: f"year-end cash {c.upper()}, $B")

# %% [markdown]
# ## The main figures
#
# Each function in `sim.plots` takes a result (and optionally a matplotlib `ax`)
# and returns `(fig, ax)`. Bands are the P5–P95 and P25–P75 ranges across paths;
# the black line is the **central case**, one path with every input at its median
# and no shocks.
#
# Cash first: the fan shows where cash goes quarter by quarter, against the floor.

# %%
fig, ax = sim.plots.cash_fan(base)

# %% [markdown]
# The lowest cash each path reaches, and when breaches happen. Breaches come late:
# the commitment's minimums ramp up while buybacks keep paying out cash.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
sim.plots.min_cash_histogram(base, axes[0])
sim.plots.breach_probability(base, axes[1]);

# %% [markdown]
# The commitment itself: committed usage (the bill after silicon savings and the
# discount, before any shortfall) against the annual minimums. Wherever the box
# sits below the minimum, the gap is paid as a shortfall.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
sim.plots.commitment_usage(base, axes[0])
sim.plots.margin_fan(base, axes[1]);

# %% [markdown]
# ## Change one assumption and compare
#
# Any config key can be overridden with `"dotted.key=VALUE"` strings, as
# `sim run --set` does. What if the commitment were \$5B instead of \$4B? (The
# annual minimums scale with the total.) The same seed gives both runs the same
# random draws, so the difference is the commitment's effect, not noise.

# %%
bigger = sim.run(scenario, paths=PATHS, seed=SEED, overrides=["cloud.commitment.total=5B"])
sim.compare({"$4B commitment": base, "$5B commitment": bigger})

# %% [markdown]
# The two breach curves on one chart, with their 95% bands, from the
# `breach_curve()` tables:

# %%
with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    for label, result, color in [("$4B", base, sim.plots.PALETTE["blue"]), ("$5B", bigger, sim.plots.PALETTE["vermillion"])]:
        curve = result.breach_curve()
        ax.plot(curve["year"], curve["cash_breach"], marker="o", color=color, label=f"{label} commitment")
        ax.fill_between(curve["year"], curve["cash_breach_lo"], curve["cash_breach_hi"], color=color, alpha=0.2, linewidth=0)
    ax.yaxis.set_major_formatter(sim.plots.percent_formatter())
    ax.set(title="P(cash below the floor by the end of each year)", xlabel="Fiscal year")
    ax.legend(loc="upper left");

# %% [markdown]
# ## Keep the results
#
# `Result.save` writes `summary.json` and the resolved `config.toml`;
# `sim.Result.load` reads them back, and every figure above works on a loaded
# result too. `sim.report.write_outputs` writes everything `sim run --out` does:
# the tidy tables and a self-contained HTML report (`report.html`) with all the
# figures.

# %%
import sim.report

files = sim.report.write_outputs(base, "runs/quickstart-base", formats=["html"])
print("\n".join(str(f) for f in files))
reloaded = sim.Result.load("runs/quickstart-base")
reloaded

# %% [markdown]
# **Next:** `02_explore_a_deal` varies the drivers one by one;
# `03_sweeps_and_clusters` sweeps a grid of assumptions on a Dask cluster and
# solves for the largest safe commitment; `04_model_walkthrough` follows a
# handful of paths through the model's equations.
