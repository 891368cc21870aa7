"""Paired comparisons on common random numbers (sim.analysis.compare, ``sim compare``, ``sim.compare(paired=True)``)
and the deal-impact metrics as sweep and solve targets."""

from __future__ import annotations

import json
import math

import pytest
from helpers import invoke

import sim
from sim.model import ParameterError

BIG = ["cloud.commitment.total=5B"]


@pytest.fixture(scope="module")
def comparison():
    return sim.compare(["pinterest_aws_2031"], paired=True, overrides_b=BIG, paths=4000, seed=3, block_size=1000)


def test_paired_differences_and_the_narrower_interval(comparison):
    from sim.engine.simulate import simulate_paths

    rows = {r["metric"]: r for r in comparison.rows}
    r = rows["p_cash_breach"]
    a = simulate_paths(sim.load("pinterest_aws_2031"), 3, 4000, 1000)
    b = simulate_paths(sim.load("pinterest_aws_2031", BIG), 3, 4000, 1000)
    d = (b["first_breach_step"] > 0).astype(float) - (a["first_breach_step"] > 0)
    assert r["difference"]["estimate"] == pytest.approx(d.mean(), abs=1e-15)
    assert r["difference"]["se"] == pytest.approx(d.std(ddof=1) / math.sqrt(d.size), rel=1e-9)
    assert r["b"]["estimate"] - r["a"]["estimate"] == pytest.approx(r["difference"]["estimate"], abs=1e-15)
    # common random numbers: Var(d) = Var(a) + Var(b) - 2 Cov(a, b), far below the independent sum
    assert r["narrowing"] < 0.7
    for row in rows.values():
        if row["narrowing"] is not None:
            assert row["narrowing"] <= 1.0 + 1e-9
    m = rows["min_cash_mean"]
    diff = b["min_cash"] - a["min_cash"]
    assert m["difference"]["estimate"] == pytest.approx(diff.mean(), rel=1e-9)
    assert comparison.breach_curves["b"][-1] == pytest.approx(rows["p_cash_breach"]["b"]["estimate"])


def test_text_json_and_files(comparison, tmp_path):
    text = comparison.to_text()
    assert "P(cash < floor)" in text and "paired" in text
    data = json.loads(comparison.to_json())
    assert data["paths"] == 4000 and len(data["metrics"]) == len(comparison.rows)
    written = comparison.write(tmp_path / "cmp")
    assert {p.name for p in written} == {"comparison.json", "comparison.txt", "comparison.png", "comparison.html"}
    assert comparison.frame(text=False).loc["p_cash_breach", "narrowing"] < 1


def test_different_grids_are_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="different horizons or step counts"):
        sim.compare(["pinterest_aws_2031", "snap_2017_cloud"], paired=True, paths=100)
    res = invoke("compare", "pinterest_aws_2031", "snap_2017_cloud", "--paths", "100")
    assert res.exit_code == 2 and "B: the two configs have different horizons" in res.stderr
    res = invoke("compare", "pinterest_aws_2031", "--paths", "100")
    assert res.exit_code == 2 and "--set-b" in res.stderr


def test_cli_json(tmp_path):
    out = tmp_path / "c.json"
    res = invoke("compare", "pinterest_aws_2031", "--set-b", "cloud.commitment.discount=0.2", "--paths", "2000",
                 "--block-size", "1000", "--json", out)
    assert res.exit_code == 0, res.stderr
    rows = {r["metric"]: r for r in json.loads(out.read_text())["metrics"]}
    assert rows["expected_shortfall_total"]["difference"]["estimate"] > 0  # a bigger discount: less usage counts


def test_deal_metrics_as_targets(tmp_path):
    from sim.analysis.sweep import (
        Design,
        parse_target,
        prepare_cells,
        run_cells,
        summary_row,
    )

    t = parse_target("p_net_savings_negative<=0.2")
    assert t.metric == "p_net_savings_negative"
    design = Design(["cloud.commitment.total"], [{"cloud.commitment.total": "3B"}], {})
    (plain,) = prepare_cells("pinterest_aws_2031", design, (), 1, 2000, 1000, "auto")
    (deal,) = prepare_cells("pinterest_aws_2031", design, (), 1, 2000, 1000, "auto", deal_impact=True)
    assert plain.key != deal.key and deal.deal_impact
    (summary,) = run_cells([deal], 2000, 1, 1000, "auto", threads=1)
    row = summary_row(summary)
    assert row["p_net_savings_negative"] == summary["deal_impact"]["net_savings"]["p_negative"]
    assert row["p_cash_breach_delta_lo"] <= row["p_cash_breach_delta"] <= row["p_cash_breach_delta_hi"]
    assert "net_savings_mean" not in summary_row(run_cells([plain], 2000, 1, 1000, "auto", threads=1)[0])
    assert t.met(row) == (row["p_net_savings_negative"] <= 0.2)


def test_sweep_heatmap_shows_the_targets_deal_metric(tmp_path, monkeypatch):
    # a heatmap of net savings over commitment total and discount: the target names the metric
    import sim.analysis.sweep.plots as sweep_plots

    shown = []
    real = sweep_plots.heatmap
    monkeypatch.setattr(sweep_plots, "heatmap", lambda table, x, y, metric="p_cash_breach", **kw: (shown.append(metric), real(table, x, y, metric=metric, **kw))[1])
    res = invoke("sweep", "pinterest_aws_2031", "--grid", "cloud.commitment.total=3B,5B", "--grid", "cloud.commitment.discount=0.1,0.2",
                 "--target", "net_savings_mean>=0", "--paths", "2000", "--block-size", "1000", "--out", tmp_path / "s", "-q")
    assert res.exit_code == 0, res.stderr
    assert shown == ["net_savings_mean"]
    assert (tmp_path / "s" / "heatmap.png").stat().st_size > 0
