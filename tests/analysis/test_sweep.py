"""Sweeps (sim.analysis.sweep, ``sim sweep``): designs, common random numbers, resuming, the table and plots.

Runs use a few thousand paths so the file stays fast; the Dask side is in
``test_dask.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from helpers import invoke, stable
from sim.model import ConfigError, ParameterError
from sim.analysis.sweep import (
    CELLS_DIR,
    HEATMAP_PNG,
    LINES_PNG,
    MANIFEST_FILE,
    TABLE_CSV,
    TABLE_PARQUET,
    Target,
    build_design,
    grid_axis,
    heatmap,
    latin_hypercube,
    lhs_range,
    line_plot,
    load_table,
    metric_names,
    parse_target,
    read_sweep_file,
    run_sweep,
    split_values,
)

FAST = dict(paths=3000, block_size=1000)


def cell_summary(folder: Path, key: str) -> dict:
    return json.loads((folder / CELLS_DIR / f"{key}.json").read_text())["summary"]


# --------------------------------------------------------------------------
# designs
# --------------------------------------------------------------------------


def test_grid_values_and_ranges():
    assert grid_axis("cloud.commitment.total=3B,4B, 5B").values == ("3B", "4B", "5B")
    assert grid_axis("revenue.ai_uplift.probability=0.3:0.9:4").values == ("0.3", "0.5", "0.7", "0.9")
    assert grid_axis("cloud.commitment.total=2B:8B:4").values == ("2000.0", "4000.0", "6000.0", "8000.0")
    assert grid_axis("cloud.commitment.years=4:8:3").values == ("4", "6", "8")
    assert grid_axis("cloud.commitment.years=4:7:3").values == ("4.0", "5.5", "7.0")
    assert grid_axis("policy.margin_drop=1%:3%:3").values == ("0.01", "0.02", "0.03")
    axis = grid_axis('revenue.growth={dist = "normal", mean = 0.05, sd = 0.02},{dist = "normal", mean = 0.1, sd = 0.02}')
    assert axis.values == ('{dist = "normal", mean = 0.05, sd = 0.02}', '{dist = "normal", mean = 0.1, sd = 0.02}')
    assert split_values('"a,b", [1, 2], c') == ['"a,b"', "[1, 2]", "c"]


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("cloud.commitment.total=", "empty grid"),
        ("cloud.commitment.total=3B,,5B", "empty grid"),
        ("cloud.commitment.total=5B:3B:3", "lo > hi"),
        ("cloud.commitment.total=3B:5B:1", "needs at least 2 values"),
        ("cloud.commitment.total=3B,3B", "repeated values"),
        ("cloud.commitment.total=x:y:3", "expected a number"),
        ("cloud.commitment.total", "expected KEY=VALUES"),
    ],
)
def test_grid_errors(spec, fragment):
    with pytest.raises(ParameterError, match=fragment) as e:
        grid_axis(spec)
    assert e.value.parameter == "grid" and str(e.value).startswith("grid: ")
    with pytest.raises(ConfigError, match=fragment) as e:  # from a sweep file: the file is named
        grid_axis(spec, source="design.toml")
    assert str(e.value).startswith("design.toml: ")


def test_ranges_and_latin_hypercube():
    r = lhs_range("cloud.commitment.discount=10%:30%")
    assert (r.lo, r.hi, r.integer) == (0.1, 0.3, False)
    assert lhs_range("cloud.commitment.years=3:9").integer
    with pytest.raises(ParameterError, match="^range: cloud.commitment.discount: range 0.3:0.1 has lo > hi"):
        lhs_range("cloud.commitment.discount=0.3:0.1")
    with pytest.raises(ParameterError, match="expected LO:HI"):
        lhs_range("cloud.commitment.discount=0.3")
    u = latin_hypercube(20, 3, seed=4)
    assert u.shape == (20, 3) and ((u >= 0) & (u < 1)).all()
    for j in range(3):  # one point in each of the 20 strata of every axis
        assert sorted(np.floor(u[:, j] * 20).astype(int)) == list(range(20))
    assert np.array_equal(u, latin_hypercube(20, 3, seed=4)) and not np.array_equal(u, latin_hypercube(20, 3, seed=5))


def test_build_design():
    d = build_design([grid_axis("a.b=1,2"), grid_axis("c.d=x,y,z")])
    assert d.keys == ["a.b", "c.d"] and d.grid_shape == (2, 3)
    assert d.cells[:4] == [{"a.b": "1", "c.d": "x"}, {"a.b": "1", "c.d": "y"}, {"a.b": "1", "c.d": "z"}, {"a.b": "2", "c.d": "x"}]
    d = build_design([grid_axis("a.b=1,2")], lhs=5, ranges=[lhs_range("e.f=0:1")], cells=[{"a.b": "9"}])
    assert len(d.cells) == 2 * 5 + 1 and d.grid_shape is None and d.cells[-1] == {"a.b": "9"}
    assert [c["e.f"] for c in d.cells[:5]] == [c["e.f"] for c in d.cells[5:10]]  # the same points in every grid cell
    for call, parameter, fragment in [
        (lambda: build_design([grid_axis("a.b=1,2"), grid_axis("a.b=3")]), "grid", "a.b: swept twice"),
        (lambda: build_design(ranges=[lhs_range("e.f=0:1")]), "range", "e.f: a range needs lhs"),
        (lambda: build_design(lhs=3), "lhs", "needs at least one range"),
        (lambda: build_design(lhs=0, ranges=[lhs_range("e.f=0:1")]), "lhs", "needs at least 1 sample"),
        (lambda: build_design(), "grids", "nothing to sweep"),
    ]:
        with pytest.raises(ParameterError, match=fragment) as e:
            call()
        assert e.value.parameter == parameter and "--" not in str(e.value)


def test_sweep_file(tmp_path):
    path = tmp_path / "design.toml"
    path.write_text(
        """
config = "pinterest_aws_2031"
paths = 2000
seed = 7
set = ["cash_flow.buybacks.annual=0"]
target = "p_cash_breach<=0.1"

[grid]
"cloud.commitment.total" = ["3B", "4B"]
revenue.ai_uplift.probability = "0.2:0.6:3"

[lhs]
samples = 4
seed = 2
[lhs.ranges]
"cloud.commitment.discount" = [0.1, 0.3]
"revenue.growth.mean" = "0.02:0.1"

[[cells]]
"cloud.commitment.total" = 4500
"revenue.growth" = { dist = "normal", mean = 0.05, sd = 0.01 }
""",
        encoding="utf-8",
    )
    s = read_sweep_file(path)
    assert (s["config"], s["paths"], s["seed"], s["target"], s["set"]) == ("pinterest_aws_2031", 2000, 7, "p_cash_breach<=0.1", ["cash_flow.buybacks.annual=0"])
    d = s["design"]
    assert d.keys[:2] == ["cloud.commitment.total", "revenue.ai_uplift.probability"]
    assert len(d.cells) == 2 * 3 * 4 + 1
    assert d.cells[0]["cloud.commitment.total"] == '"3B"'
    assert d.cells[-1] == {"cloud.commitment.total": "4500", "revenue.growth": '{ dist = "normal", mean = 0.05, sd = 0.01 }'}
    assert d.sources["revenue.growth"] == str(path)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("grids = {}", "grids: unknown key"),
        ("paths = 'many'", "paths: expected an integer"),
        ("[grid]\n'a.b' = []", "grid.a.b: empty grid"),
        ("[grid]\n'a.b' = 3", "grid.a.b: expected an array"),
        ("[lhs]\nsamples = 3\n[lhs.ranges]\n'a.b' = [1]", "lhs.ranges.a.b: expected [lo, hi]"),
        ("[lhs]\nsamples = 3\nranges = {'a.b' = [2, 1]}", "a.b: range 2:1 has lo > hi"),
        ("[lhs]\nsamples = 0\nranges = {'a.b' = [1, 2]}", "lhs.samples: needs at least 1 sample"),
        ("[lhs]\nsamples = 3\nranges = {}", "lhs.ranges: expected a table"),
        ("[grid]\n'a.b' = [1]\n[lhs]\nsamples = 3\nranges = {'a.b' = [1, 2]}", "a.b: swept twice"),
        ("x = [", "TOML syntax error"),
        ("", "nothing to sweep"),
    ],
)
def test_sweep_file_errors(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[")) as e:
        read_sweep_file(path)
    assert e.value.source == str(path)


def test_targets():
    t = parse_target("p_cash_breach <= 5%")
    assert (t.metric, t.op, t.value, str(t)) == ("p_cash_breach", "<=", 0.05, "p_cash_breach<=0.05")
    assert parse_target("min_cash_p05>=1B").value == 1000.0
    row = {"p_cash_breach": 0.04, "p_cash_breach_lo": 0.03, "p_cash_breach_hi": 0.06}
    assert t.met(row) and t.surely(row) is None
    assert t.surely({**row, "p_cash_breach_hi": 0.05}) is True
    assert Target("p_cash_breach", ">", 0.02).surely(row) is True
    for bad, fragment in [("p_cash_breach", "cannot read"), ("p_cash_breach==0.1", "cannot read"), ("p_x<=0.1", "unknown metric"), ("p_cash_breach<=abc", "expected a number")]:
        with pytest.raises(ParameterError, match=f"^target: .*{fragment}"):
            parse_target(bad)
        with pytest.raises(ConfigError, match=f"^design.toml: target: .*{fragment}"):  # read from a sweep file
            parse_target(bad, source="design.toml")


# --------------------------------------------------------------------------
# running: common random numbers, the table, resuming
# --------------------------------------------------------------------------


def test_cells_are_plain_runs_with_common_random_numbers(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=3B,5B"), grid_axis("policy.margin_drop=1%,5%")])
    out = run_sweep("pinterest_aws_2031", design, tmp_path / "s", seed=3, **FAST)
    assert (out.cells, out.computed, out.reused) == (4, 4, 0)
    table = out.table
    for _, row in table.iterrows():
        overrides = [f"cloud.commitment.total={row['cloud.commitment.total']}", f"policy.margin_drop={row['policy.margin_drop']}"]
        plain = sim.run("pinterest_aws_2031", seed=3, overrides=overrides, record_steps=False, **FAST)
        assert stable(cell_summary(tmp_path / "s", row["key"])) == stable(json.loads(plain.to_json()))
        assert row["p_cash_breach"] == plain.summary["p_cash_breach"]["estimate"]
    # the margin threshold cannot change cash: with common random numbers P(breach) is identical
    for total, part in table.groupby("cloud.commitment.total"):
        assert part["p_cash_breach"].nunique() == 1 and part["min_cash_p05"].nunique() == 1
        # a bigger margin drop allowed means fewer compressed paths, path by path
        assert part["p_profit_compression_any"].iloc[0] >= part["p_profit_compression_any"].iloc[1]
    # a bigger commitment never helps cash on any path
    small = table[table["cloud.commitment.total"] == 3000.0]["p_cash_breach"].iloc[0]
    big = table[table["cloud.commitment.total"] == 5000.0]["p_cash_breach"].iloc[0]
    assert big > small


def test_table_columns_files_and_plots(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=3B,4B"), grid_axis("revenue.ai_uplift.probability=0.3,0.9")])
    out = run_sweep("pinterest_aws_2031", design, tmp_path / "s", target=parse_target("p_cash_breach<=0.08"), **FAST)
    t = out.table
    assert list(t["cell"]) == [0, 1, 2, 3]
    assert list(t["cloud.commitment.total"]) == [3000.0, 3000.0, 4000.0, 4000.0]  # resolved: USD millions
    for name in ("p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall"):
        assert (t[name + "_lo"] <= t[name]).all() and (t[name] <= t[name + "_hi"]).all()
    for name in ("min_cash_p01", "min_cash_p05", "min_cash_p50", "min_cash_es5", "expected_shortfall_total", "paths", "seed", "block_size", "key"):
        assert name in t
    assert (t["min_cash_es5"] <= t["min_cash_p05"]).all()
    assert set(metric_names()) <= set(t.columns) and list(t.columns).index("min_cash_es5") == list(t.columns).index("min_cash_p99") + 1
    folder = tmp_path / "s"
    for name in (TABLE_CSV, TABLE_PARQUET, HEATMAP_PNG, LINES_PNG, MANIFEST_FILE):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / HEATMAP_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pd.testing.assert_frame_equal(pd.read_csv(folder / TABLE_CSV), t, check_dtype=False)
    pd.testing.assert_frame_equal(load_table(folder), t)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["status"] == "complete" and manifest["cells_done"] == 4 and manifest["target"] == "p_cash_breach<=0.08"
    assert manifest["grid_shape"] == [2, 2] and [c["key"] for c in manifest["cells"]] == list(t["key"])
    assert not [p for p in folder.rglob("*.tmp")]


def test_plot_functions_return_figure_and_axes():
    from matplotlib.figure import Figure

    table = pd.DataFrame(
        {"a": [1.0, 1.0, 2.0, 2.0], "b": ["x", "y", "x", "y"], "p_cash_breach": [0.01, 0.2, 0.05, 0.3], "p_cash_breach_lo": [0.0, 0.1, 0.03, 0.25], "p_cash_breach_hi": [0.02, 0.3, 0.07, 0.35]}
    )
    fig, ax = heatmap(table, "a", "b", target=parse_target("p_cash_breach<=0.06"))
    assert isinstance(fig, Figure) and len(ax.patches) == 2  # two cells meet the target
    assert [p.get_linestyle() for p in ax.patches] == ["-", "--"]  # 0.05 has an interval reaching past 0.06
    fig2, ax2 = line_plot(table, "a", by="b", ax=Figure().subplots())
    assert ax2.figure is fig2 and len(ax2.lines) == 2 and len(ax2.collections) == 2


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=2B:6B:5")])
    folder = tmp_path / "s"
    computed = []

    def stop_after_two(cell, summary, fresh):
        if fresh:
            computed.append(cell.index)
            if len(computed) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep("pinterest_aws_2031", design, folder, threads=1, on_cell=stop_after_two, **FAST)
    saved = {p.stem for p in (folder / CELLS_DIR).glob("*.json")}
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["status"] == "interrupted" and manifest["cells_done"] == 2 and len(saved) >= 2
    assert not (folder / TABLE_CSV).exists()
    mtimes = {p.name: p.stat().st_mtime_ns for p in (folder / CELLS_DIR).glob("*.json")}

    again = []
    out = run_sweep("pinterest_aws_2031", design, folder, threads=1, on_cell=lambda c, s, fresh: again.append((c.key, fresh)), **FAST)
    assert out.reused == len(saved) and out.computed == 5 - len(saved)
    assert {k for k, fresh in again if fresh}.isdisjoint(saved)
    assert all((folder / CELLS_DIR / name).stat().st_mtime_ns == t for name, t in mtimes.items())  # untouched
    fresh = run_sweep("pinterest_aws_2031", design, tmp_path / "fresh", threads=1, **FAST)
    pd.testing.assert_frame_equal(out.table, fresh.table)


def test_damaged_cell_file_is_recomputed(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=3B,4B")])
    first = run_sweep("pinterest_aws_2031", design, tmp_path, plots=False, **FAST)
    (tmp_path / CELLS_DIR / f"{first.table['key'][1]}.json").write_text("{ half a fi")
    second = run_sweep("pinterest_aws_2031", design, tmp_path, plots=False, **FAST)
    assert (second.computed, second.reused) == (1, 1)
    pd.testing.assert_frame_equal(first.table, second.table)


def test_a_cell_listed_twice_runs_once(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=3B,4B")], cells=[{"cloud.commitment.total": "3000"}])
    seen = []
    out = run_sweep("pinterest_aws_2031", design, tmp_path, plots=False, on_cell=lambda c, s, fresh: seen.append((c.index, fresh)), **FAST)
    assert (out.cells, out.computed, out.reused) == (3, 2, 1) and sorted(seen) == [(0, True), (1, True), (2, False)]
    assert out.table["key"][0] == out.table["key"][2] and out.table["p_cash_breach"][0] == out.table["p_cash_breach"][2]
    assert len(list((tmp_path / CELLS_DIR).glob("*.json"))) == 2


def test_cell_key_covers_the_identity(tmp_path):
    design = build_design([grid_axis("cloud.commitment.total=3B")])
    keys = set()
    for kw in [dict(seed=0), dict(seed=1), dict(seed=0, paths=2000), dict(seed=0, block_size=500), dict(seed=0, quantiles="sketch"), dict(seed=0, overrides=["policy.cash_floor=900"])]:
        args = {**FAST, **kw}
        keys.add(run_sweep("pinterest_aws_2031", design, tmp_path / "s", plots=False, **args).table["key"][0])
    assert len(keys) == 6


def test_invalid_cell_is_reported_before_anything_runs(tmp_path):
    design = build_design([grid_axis("revenue.ai_uplift.probability=0.5,1.5")])
    with pytest.raises(ParameterError, match=r"^grid: revenue.ai_uplift.probability: must be between 0 and 1"):
        run_sweep("pinterest_aws_2031", design, tmp_path / "s", **FAST)
    assert not (tmp_path / "s").exists()
    filed = build_design([grid_axis("revenue.ai_uplift.probability=0.5,1.5", source="design.toml")])
    with pytest.raises(ConfigError, match=r"^design.toml: revenue.ai_uplift.probability: must be between 0 and 1"):
        run_sweep("pinterest_aws_2031", filed, tmp_path / "s", **FAST)


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------




def test_cli_sweep_and_rerun(tmp_path):
    args = ["sweep", "pinterest_aws_2031", "--grid", "cloud.commitment.total=3B,5B", "--paths", "2000", "--block-size", "1000", "--out", tmp_path / "s"]
    res = invoke(*args)
    assert res.exit_code == 0, res.stderr
    assert "2 cells (2 computed, 0 reused)" in res.stdout and "sweep.csv" in res.stdout and res.stderr == ""
    res = invoke(*args, "--target", "p_cash_breach<=0.1")
    assert res.exit_code == 0 and "2 cells (0 computed, 2 reused)" in res.stdout
    assert (tmp_path / "s" / LINES_PNG).exists()


def test_cli_lhs_and_sweep_file(tmp_path):
    res = invoke("sweep", "--lhs", "3", "--range", "cloud.commitment.discount=0.1:0.3", "--range", "cloud.commitment.total=3B:5B", "--paths", "1000", "--out", tmp_path / "l", "-q")
    assert res.exit_code == 0 and res.stdout == "", res.stderr
    assert len(pd.read_csv(tmp_path / "l" / TABLE_CSV)) == 3
    design = tmp_path / "d.toml"
    design.write_text('paths = 1000\nseed = 5\n[grid]\n"cloud.commitment.total" = "3B:5B:3"\n', encoding="utf-8")
    res = invoke("sweep", "--file", design, "--out", tmp_path / "f", "-q")
    assert res.exit_code == 0, res.stderr
    t = pd.read_csv(tmp_path / "f" / TABLE_CSV)
    assert list(t["cloud.commitment.total"]) == [3000, 4000, 5000] and set(t["seed"]) == {5} and set(t["paths"]) == {1000}
    res = invoke("sweep", "--file", design, "--grid", "policy.cash_floor=1B", "--out", tmp_path / "f")
    assert res.exit_code == 2 and "give one or the other" in res.stderr


@pytest.mark.parametrize(
    "args, start, fragment",
    [
        (["--grid", "cloud.commitment.totl=3B,4B"], "--grid: cloud.commitment.totl", "unknown key"),
        (["--grid", "cloud.commitment.total="], "--grid: cloud.commitment.total", "empty grid"),
        (["--grid", "cloud.commitment.total=5B:3B:3"], "--grid: cloud.commitment.total", "lo > hi"),
        (["--lhs", "4", "--range", "cloud.commitment.discount=0.3:0.1"], "--range: cloud.commitment.discount", "lo > hi"),
        (["--lhs", "0", "--range", "cloud.commitment.discount=0.1:0.3"], "--lhs", "at least 1 sample"),
        (["--grid", "cloud.commitment.total=3B", "--target", "p_cash_breach~0.1"], "--target", "cannot read"),
        (["--grid", "cloud.commitment.total=3B", "--target", "p_cash<=0.1"], "--target", "unknown metric"),
        ([], "sim sweep", "nothing to sweep"),
        (["--grid", "cloud.commitment.total=3B", "--paths", "0"], "--paths", "at least 1"),
        (["--file", "missing.toml"], "missing.toml", "file not found"),
        (["--grid", "cloud.commitment.total=3B", "--scheduler", "tcp://127.0.0.1:1", "--executor", "local"], "--scheduler", "needs --executor dask"),
    ],
)
def test_cli_sweep_bad_input(tmp_path, args, start, fragment):
    res = invoke("sweep", *args, "--out", tmp_path / "s")
    assert res.exit_code == 2, (res.stderr, res.exception)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start) and fragment in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_cli_out_folder_must_be_writable(tmp_path):
    (tmp_path / "a-file").write_text("x")
    res = invoke("sweep", "--grid", "cloud.commitment.total=3B", "--out", tmp_path / "a-file" / "dir")
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1 and "a-file" in res.stderr
    assert os.listdir(tmp_path) == ["a-file"]


def test_cli_out_creates_parent_folders_like_run(tmp_path):
    out = tmp_path / "no" / "such" / "dir"
    res = invoke("sweep", "--grid", "cloud.commitment.total=3B,4B", "--paths", "500", "--block-size", "500", "--out", out)
    assert res.exit_code == 0, res.stderr
    assert (out / "sweep.csv").is_file()
