"""Sweeps and solve speak as ``run`` does: labels for keys and metrics, money as $M/$B, shares in percent.

Machine outputs (sweep.csv, solve.json) keep raw numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from helpers import invoke

from sim.analysis.sweep import (
    format_table,
    heatmap,
    line_plot,
    load_table,
    parse_target,
)


def _table():
    return pd.DataFrame({
        "cell": [0, 1, 2, 3],
        "cloud.commitment.total": [4390.62, 4390.62, 5000.0, 5000.0],
        "cloud.commitment.discount": [0.0798, 0.12, 0.0798, 0.12],
        "p_cash_breach": [0.0687, 0.05, 0.11, 0.09],
        "p_cash_breach_lo": [0.0653, 0.045, 0.10, 0.08],
        "p_cash_breach_hi": [0.0724, 0.055, 0.12, 0.10],
        "min_cash_p05": [-12.5, 250.0, 900.0, 1200.0],
    })


def test_format_table_reads_like_run():
    text = format_table(_table(), ["cloud.commitment.total", "cloud.commitment.discount"], ["p_cash_breach", "min_cash_p05"])
    header = text.splitlines()[0]
    assert "Commitment: total" in header and "Commitment: discount" in header and "P(cash < floor)" in header
    assert "$4.39B" in text and "7.98%" in text and "6.87%" in text and "6.53%–7.24%" in text and "-$12.5M" in text
    assert "4,390.62" not in text and "0.0798" not in text
    assert format_table(_table(), ["cloud.commitment.total"], ["p_cash_breach"], limit=2).endswith("... 2 more rows")


def test_target_in_words():
    assert parse_target("p_cash_breach<=5%").describe() == "P(cash < floor) \u2264 5.00%"
    assert parse_target("min_cash_p05>=100M").describe(ascii=True) == "Minimum cash, 5th percentile >= $100M"


def test_heatmap_and_lines_label_their_axes_and_cells():
    t = _table()
    fig, ax = heatmap(t, "cloud.commitment.total", "cloud.commitment.discount", target=parse_target("p_cash_breach<=0.1"))
    fig.canvas.draw()
    assert ax.get_xlabel() == "Commitment: total" and ax.get_ylabel() == "Commitment: discount"
    assert [x.get_text() for x in ax.get_xticklabels()] == ["$4.39B", "$5.00B"]
    assert [y.get_text() for y in ax.get_yticklabels()] == ["7.98%", "12.0%"]
    assert {c.get_text() for c in ax.texts} == {"6.87%", "5.00%", "11.0%", "9.00%"}
    assert "\u2264 10.0%" in ax.get_title(loc="left")
    fig, ax = line_plot(t, "cloud.commitment.total", by="cloud.commitment.discount")
    fig.canvas.draw()
    assert ax.get_xlabel() == "Commitment: total"
    assert all(x.get_text().startswith("$") for x in ax.get_xticklabels() if x.get_text())
    assert all(y.get_text().endswith("%") for y in ax.get_yticklabels() if y.get_text())
    assert "Commitment: discount = 7.98%" in [x.get_text() for x in ax.get_legend().get_texts()]


def test_cli_sweep_prints_people_numbers_and_keeps_raw_csv(tmp_path):
    res = invoke("sweep", "--grid", "cloud.commitment.total=3B,4B", "--paths", "400", "--out", tmp_path / "s", "--no-plots")
    assert res.exit_code == 0, res.stderr
    assert "Commitment: total" in res.stdout and "$3.00B" in res.stdout and "%" in res.stdout
    table = load_table(tmp_path / "s")
    assert sorted(table["cloud.commitment.total"]) == [3000.0, 4000.0], "the CSV keeps model units"
