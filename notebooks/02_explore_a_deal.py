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
# # 2 · Explore a deal: the drivers one by one
#
# A multi-year cloud commitment is exposed to a handful of drivers. This notebook
# turns them on and off one at a time, reruns the default scenario (Pinterest's
# ~\$4B AWS commitment through 2031) and puts the results side by side:
#
# | driver | config keys | in the default scenario |
# |:--|:--|:--|
# | AI-driven revenue uplift | `revenue.ai_uplift.*` | works with probability 60%, +5–10% growth a year after a delay |
# | cheaper custom silicon | `cloud.silicon.graviton.*`, `cloud.silicon.trainium.*` | 15–40% and 0–67% cheaper per unit of migrated work |
# | AWS price rise | `cloud.pricing.drift`, `cloud.pricing.shifts.lock-in.*` | prices drift down ~2% a year; lock-in shifts now and then |
# | regulatory fines | `regulatory.fines.gdpr.*`, `regulatory.fines.dsa.*` | rare, ~0.5–1% of revenue each, capped at 4% and 6% |
#
# Every run uses the same seed, so all runs share their random draws (**common
# random numbers**): the differences below are the driver's effect, not Monte
# Carlo noise. At the end, sliders rerun the model as you move them.

# %% tags=["parameters"]
PATHS = 100_000  # paths per run (about a second each on a laptop); the tests use a few thousand
SEED = 0
SLIDER_PATHS = 20_000  # paths per slider move: fast enough to feel interactive
SLIDERS = True  # interactive sliders when ipywidgets is installed; plain cells otherwise

# %%
import matplotlib.pyplot as plt
from IPython.display import display

import sim
import sim.plots

scenario = sim.load("pinterest_aws_2031")


def run(*overrides):
    """The default scenario with some config keys changed (``"dotted.key=VALUE"``)."""
    return sim.run(scenario, paths=PATHS, seed=SEED, overrides=list(overrides))


def side_by_side(plot, runs, width=4.4, height=3.4):
    """One panel per run, the same figure from ``sim.plots`` in each, on a shared y axis."""
    fig, axes = plt.subplots(1, len(runs), figsize=(width * len(runs), height), sharey=True, layout="constrained")
    for ax, (label, result) in zip(axes, runs.items()):
        plot(result, ax)
        title = ax.get_title(loc="left")
        ax.set_title(label, loc="left", fontsize=10, fontweight="bold")
        legend = ax.get_legend()
        if legend is not None:
            handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
            legend.remove()
    fig.suptitle(title, x=0.01, ha="left", fontsize=10)
    if legend is not None:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize=8, frameon=False)


base = run()

# %% [markdown]
# ## 1. AI-driven revenue uplift
#
# If the AI push works (a coin flip drawn once per path, `probability` 0.6 by
# default), revenue grows 5–10 points a year faster after a delay, ramping in
# over two years. Below: the push certainly working, the default, and certainly
# failing.

# %%
ai = {
    "AI works": run("revenue.ai_uplift.probability=1"),
    "default (60%)": base,
    "AI fails": run("revenue.ai_uplift.probability=0"),
}
sim.compare(ai)

# %% [markdown]
# Revenue is what moves; cash follows a couple of years later. Without the uplift,
# the breach probability roughly doubles.

# %%
side_by_side(sim.plots.revenue_fan, ai)
side_by_side(sim.plots.cash_fan, ai)

# %% [markdown]
# ## 2. Cheaper silicon
#
# Migrating work to Graviton and Trainium cuts the cost of each unit of work.
# Under a take-or-pay commitment that is not all good news: the bill for usage
# falls, but the annual minimums do not, so the gap comes back as a **shortfall**
# payment. Here both chips save the most the config allows, on more of the work.

# %%
silicon = {
    "default": base,
    "cheaper silicon": run(
        "cloud.silicon.graviton.savings=0.40",
        "cloud.silicon.graviton.migrated_target=0.9",
        "cloud.silicon.trainium.savings=0.67",
        "cloud.silicon.trainium.migrated_target=0.9",
    ),
}
sim.compare(silicon)

# %% [markdown]
# Committed usage sinks further below the minimums: P(shortfall) climbs and the
# expected shortfall roughly triples, while the risk to cash hardly moves — the
# savings are paid back to AWS.

# %%
side_by_side(sim.plots.commitment_usage, silicon, width=5.5, height=3.8)
side_by_side(sim.plots.cloud_bill_bridge, silicon, width=5.5, height=3.6)

# %% [markdown]
# ## 3. An AWS price rise
#
# In the default scenario prices drift down about 2% a year. Suppose instead they
# rise 4% a year. Usage now fills the commitment (fewer shortfalls), but the
# whole bill is dearer, margins compress and cash suffers.

# %%
prices = {"default": base, "prices +4% a year": run("cloud.pricing.drift=0.04")}
sim.compare(prices)

# %%
side_by_side(sim.plots.cloud_bill_bridge, prices, width=5.5, height=3.6)
side_by_side(sim.plots.margin_fan, prices, width=5.5)

# %% [markdown]
# ## 4. A fine
#
# EU Digital Services Act fines are capped at 6% of revenue. The default expects
# one every ten years, ~1% of revenue each. Stress it: a fine at the cap, every
# other year on average (paid a year after it is imposed).

# %%
fines = {"default": base, "6% fines, every other year": run("regulatory.fines.dsa.rate=0.5", "regulatory.fines.dsa.size=0.06")}
sim.compare(fines)

# %%
side_by_side(sim.plots.min_cash_histogram, fines, width=5.5)

# %% [markdown]
# ## All drivers side by side
#
# `sim.compare(..., text=False)` gives the same table as numbers (fractions and
# USD millions, with the 95% bounds), ready to plot.

# %%
runs = {
    "default": base,
    "AI works": ai["AI works"],
    "AI fails": ai["AI fails"],
    "cheaper silicon": silicon["cheaper silicon"],
    "prices +4%/yr": prices["prices +4% a year"],
    "6% fines": fines["6% fines, every other year"],
}
table = sim.compare(runs, text=False)

with sim.plots.style():
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True, layout="constrained")
    for ax, metric, title in zip(
        axes,
        ["p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall"],
        ["P(cash < floor)", "P(profit compression)", "P(commitment shortfall)"],
    ):
        est = table.loc[metric]
        err = [est - table.loc[metric + "_lo"], table.loc[metric + "_hi"] - est]
        colors = [sim.plots.PALETTE["grey"]] + [sim.plots.PALETTE["blue"]] * (len(est) - 1)
        ax.barh(est.index, est, xerr=err, color=colors, capsize=2)
        ax.axvline(est["default"], color=sim.plots.PALETTE["grey"], linestyle=":", linewidth=1)
        ax.xaxis.set_major_formatter(sim.plots.percent_formatter())
        ax.set_title(title)
        ax.grid(True, axis="x")
    axes[0].invert_yaxis()

# %% [markdown]
# ## Sliders
#
# Move a slider and the model reruns with `SLIDER_PATHS` paths. Each slider fixes
# its driver at the value shown (the default config draws some of them from a
# distribution), so the starting position is close to, not exactly, the default.
# Without ipywidgets (or with `SLIDERS = False`) the next cells call the same
# function with fixed values: edit them and rerun.

# %%
def explore(ai_probability=0.6, graviton_savings=0.26, trainium_savings=0.32, price_drift=-0.02, dsa_fines_per_year=0.1):
    """Rerun the default scenario with these drivers; the headline numbers against the default, and the cash fan."""
    result = sim.run(
        scenario,
        paths=SLIDER_PATHS,
        seed=SEED,
        overrides=[
            f"revenue.ai_uplift.probability={ai_probability}",
            f"cloud.silicon.graviton.savings={graviton_savings}",
            f"cloud.silicon.trainium.savings={trainium_savings}",
            f"cloud.pricing.drift={price_drift}",
            f"regulatory.fines.dsa.rate={dsa_fines_per_year}",
        ],
    )
    display(sim.compare({"default": base, "these settings": result}))
    fig, ax = sim.plots.cash_fan(result)
    plt.show()


try:
    import ipywidgets as widgets
except ImportError:
    widgets = None

if SLIDERS and widgets is not None:
    style = {"description_width": "150px"}
    layout = widgets.Layout(width="420px")

    def slider(description, value, low, high, step, fmt):
        return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description, readout_format=fmt,
                                   continuous_update=False, style=style, layout=layout)

    controls = {
        "ai_probability": slider("P(AI push works)", 0.6, 0.0, 1.0, 0.05, ".0%"),
        "graviton_savings": slider("Graviton savings", 0.26, 0.0, 0.6, 0.01, ".0%"),
        "trainium_savings": slider("Trainium savings", 0.32, 0.0, 0.8, 0.01, ".0%"),
        "price_drift": slider("AWS price drift / year", -0.02, -0.06, 0.08, 0.005, "+.1%"),
        "dsa_fines_per_year": slider("DSA fines / year", 0.1, 0.0, 1.0, 0.05, ".2f"),
    }
    display(widgets.VBox(list(controls.values())), widgets.interactive_output(explore, controls))
else:
    print("ipywidgets is not installed (pip install ipywidgets) or SLIDERS is False: edit the values below and rerun.")

# %%
if not (SLIDERS and widgets is not None):
    explore(ai_probability=0.6, graviton_savings=0.26, trainium_savings=0.32, price_drift=-0.02, dsa_fines_per_year=0.1)
