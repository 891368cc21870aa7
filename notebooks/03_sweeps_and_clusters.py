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
# # 3 · Sweeps and clusters: how big a commitment is safe?
#
# One run answers "how risky is this deal?". A negotiation asks a different
# question: **how does the risk change with the deal, and how large a commitment
# can we sign and stay within our risk appetite?** This notebook
#
# 1. starts a Dask cluster on this machine (the same code joins a real one);
# 2. sweeps a grid of commitment sizes × chances that the AI push works;
# 3. draws the heatmap of P(cash < floor) over that grid;
# 4. solves for the largest commitment that keeps P(cash < floor) within target.
#
# Every cell of a sweep uses the same seed, paths and blocks, hence the same random
# numbers (**common random numbers**): differences between cells are the inputs'
# effect, not noise. The command-line versions (`sim sweep`, `sim solve`) and
# cluster set-ups are in [docs/CLUSTER.md](../docs/CLUSTER.md).
#
# Needs Dask: `pip install '.[notebooks]'` (or `'sim[dask]'`); `bokeh` for the
# dashboard's live plots.

# %% tags=["parameters"]
PATHS = 50_000  # paths per sweep cell: the whole sweep in seconds on a laptop (the tests use a few thousand)
SOLVE_PATHS = 50_000  # paths per run while solving
SEED = 0
TARGET = "p_cash_breach<=0.08"  # the risk appetite: at most an 8% chance that cash ever falls below the floor
WORKERS = None  # LocalCluster worker processes (None: one per core)
SCHEDULER = None  # "tcp://HOST:PORT" to use a running cluster instead of a LocalCluster
SWEEP_DIR = "runs/deal-sweep"  # the sweep's folder: one file per finished cell, the table, the plots

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import sim
import sim.plots
from sim.engine.dask_executor import DaskExecutor
from sim.present.formatting import money, percent
from sim.analysis.solve import solve
from sim.analysis.sweep import build_design, grid_axis, heatmap, line_plot, parse_target, run_sweep

SCENARIO = "pinterest_aws_2031"
target = parse_target(TARGET)

# %% [markdown]
# ## 1. A cluster
#
# `DaskExecutor()` starts a `LocalCluster`: one single-threaded worker process
# per core. With `scheduler="tcp://HOST:PORT"` it joins a running cluster instead;
# nothing else in this notebook changes. Open the dashboard to watch the tasks.

# %%
pool = DaskExecutor(scheduler=SCHEDULER, workers=WORKERS)
link = pool.client.dashboard_link
display(Markdown(f"**{pool.parallelism} workers** · dashboard: [{link}]({link})"))

# %% [markdown]
# Any run can use the cluster (`executor=pool`). Where the blocks of paths run
# never changes the numbers: each block draws from its own random streams and the
# results merge in block order, so the cluster's answer is bit-identical to the
# local threads'.

# %%
here = sim.run(SCENARIO, paths=PATHS, seed=SEED)
there = sim.run(SCENARIO, paths=PATHS, seed=SEED, executor=pool)
same = here.summary["p_cash_breach"] == there.summary["p_cash_breach"] and here.summary["min_cash"] == there.summary["min_cash"]
print(f"P(cash < floor): local threads {percent(here.p_cash_breach)}, Dask {percent(there.p_cash_breach)}; identical: {same}")

# %% [markdown]
# ## 2. A sweep
#
# A design is a set of cells, each a set of `--set`-style overrides. Here a full
# grid: the commitment total from \$3B to \$6B (the annual minimums scale with it)
# against the chance that the AI push works, from 0 to 90%.

# %%
design = build_design([
    grid_axis("cloud.commitment.total=3B:6B:7"),
    grid_axis("revenue.ai_uplift.probability=0:0.9:4"),
])
print(f"{len(design.cells)} cells over {design.keys}")

# %% [markdown]
# `run_sweep` runs the cells on the cluster, keeping enough of them in flight to
# fill it, and writes each finished cell to `SWEEP_DIR/cells/` at once.

# %%
out = run_sweep(SCENARIO, design, SWEEP_DIR, paths=PATHS, seed=SEED, executor=pool, target=target)
out

# %% [markdown]
# The results table has one row per cell: the swept values (money in USD
# millions), each probability with its 95% interval, expected shortfall and
# min-cash quantiles. Pivoted, P(cash < floor) in percent:

# %%
KEY_X, KEY_Y = "cloud.commitment.total", "revenue.ai_uplift.probability"
grid = out.table.pivot(index=KEY_Y, columns=KEY_X, values="p_cash_breach")
(100 * grid).round(1).rename(columns=money).rename_axis(index="P(AI works)", columns="commitment")

# %% [markdown]
# ## 3. The heatmap
#
# Cells meeting the target are outlined: solid where the whole 95% interval meets
# it, dashed where the estimate does but the interval reaches past it.

# %%
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
heatmap(out.table, KEY_X, KEY_Y, target=target, ax=ax)
ax.set_xticks(range(grid.shape[1]), [money(v) for v in grid.columns])
ax.set(xlabel="commitment total", ylabel="P(AI push works)");

# %% [markdown]
# The same as lines with their 95% bands: risk rises steeply once the annual
# minimums outgrow the usage the company is likely to have, and a working AI push
# buys room for a larger deal.

# %%
fig, ax = plt.subplots(figsize=(7.2, 4), layout="constrained")
line_plot(out.table, KEY_X, by=KEY_Y, target=target, ax=ax)
ax.xaxis.set_major_formatter(sim.plots.money_formatter())
ax.yaxis.set_major_formatter(sim.plots.percent_formatter())
ax.set(xlabel="commitment total", ylabel="P(cash < floor), 95% bands");

# %% [markdown]
# **Sweeps resume.** Each cell's file is named by a hash of its resolved config,
# seed, paths and block size. Running the same sweep again (after Ctrl-C, a lost
# worker, or just to add cells) computes only what is missing:

# %%
again = run_sweep(SCENARIO, design, SWEEP_DIR, paths=PATHS, seed=SEED, executor=pool, target=target, plots=False)
print(again)

# %% [markdown]
# ## 4. Solve for the largest safe commitment
#
# `solve` bisects on the commitment total between \$2B and \$8B for the largest
# value whose P(cash < floor) meets the target. Common random numbers make the
# estimate move with the commitment alone, so the bisection is exact for the
# estimate; the **Monte Carlo band** is the range of commitments whose 95% interval
# contains the target — the answer is known to within it (more paths narrow it).

# %%
solution = solve(SCENARIO, KEY_X, 2000, 8000, target, paths=SOLVE_PATHS, seed=SEED, tol=25, executor=pool)
print(solution)

# %% [markdown]
# Every run the bisection made, with its 95% interval:

# %%
evals = solution.to_dict()["evaluations"]
with sim.plots.style():
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    x = [e["value"] for e in evals]
    y = [e["estimate"] for e in evals]
    err = [[e["estimate"] - e["ci95"][0] for e in evals], [e["ci95"][1] - e["estimate"] for e in evals]]
    ax.errorbar(x, y, yerr=err, fmt="o", color=sim.plots.PALETTE["blue"], capsize=2, label="runs (95% CI)")
    ax.axhline(target.value, color=sim.plots.PALETTE["vermillion"], linestyle="--", label=f"target {TARGET}")
    if solution.band:
        ax.axvspan(*solution.band, color=sim.plots.PALETTE["grey"], alpha=0.2, linewidth=0, label="Monte Carlo band")
    if solution.answer is not None:
        ax.axvline(solution.answer, color=sim.plots.PALETTE["black"], linewidth=1, label=f"answer {money(solution.answer)}")
    ax.xaxis.set_major_formatter(sim.plots.money_formatter())
    ax.yaxis.set_major_formatter(sim.plots.percent_formatter())
    ax.set(title="P(cash < floor) against the commitment total", xlabel="commitment total")
    ax.legend(loc="upper left");

# %% [markdown]
# ## 5. The same code on a real cluster
#
# Only the executor changes. Start a scheduler and workers (one single-threaded
# worker process per core, scratch space on local disk) on machines that have the
# same Python and `sim[dask]` installed:
#
# ```bash
# dask scheduler --port 8786                                   # dashboard on :8787 with bokeh
# NUMBA_NUM_THREADS=1 dask worker tcp://SCHEDULER-HOST:8786 --nworkers auto --nthreads 1 --local-directory /local/scratch
# ```
#
# then set `SCHEDULER = "tcp://SCHEDULER-HOST:8786"` in the parameters cell and
# rerun this notebook — or, from a terminal:
#
# ```bash
# sim sweep pinterest_aws_2031 --grid cloud.commitment.total=3B:6B:7 --grid revenue.ai_uplift.probability=0:0.9:4 \
#     --paths 1000000 --target 'p_cash_breach<=0.08' --out deal-sweep --scheduler tcp://SCHEDULER-HOST:8786
# sim solve pinterest_aws_2031 --vary cloud.commitment.total --between 2B:8B --target 'p_cash_breach<=0.08' \
#     --paths 1000000 --scheduler tcp://SCHEDULER-HOST:8786
# ```
#
# On SLURM or PBS, `dask-jobqueue` starts the workers as batch jobs and
# `DaskExecutor(client=Client(cluster))` uses them from Python; see
# [docs/CLUSTER.md](../docs/CLUSTER.md).
#
# Finally, give the workers back:

# %%
pool.close()
