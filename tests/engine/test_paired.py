"""Deal impact (MODEL.md section 7, sim.engine.paired): every path with and without the deal.

The common company (``config``): revenue 1000, operating costs 900 of which the cloud
bill V_0 = 200, so fixed costs F_0 = 700; no tax, no variable costs, no interest.
Money in USD millions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import invoke, merge, stable
from scipy import stats


def config(**sections) -> dict:
    base = {
        "scenario": {"name": "deal-impact", "start": 2024, "years": 2, "steps_per_year": 1},
        "company": {"revenue": 1000.0, "operating_costs": 900.0, "cash": 300.0},
        "cloud": {"spend": 200.0},
        "policy": {"cash_floor": 100.0},
    }
    return merge(base, sections)


def load(d):
    from sim.model import load_scenario

    return load_scenario(d)


def run(scn, paths, seed=1, **kw):
    from sim.engine.run import run_scenario

    kw.setdefault("block_size", 4096)
    return run_scenario(scn, paths, seed, deal_impact=True, record_steps=False, **kw)


def test_counterfactual_shares_every_draw():
    """The no-deal scenario run on its own (its own parameter draws) has the deal run's revenue,
    fines and usage path by path, and its cloud bill is list-price usage: the claim the pairing rests on."""
    from sim.api import load as load_any
    from sim.engine.paired import without_commitments
    from sim.engine.simulate import simulate_paths

    scn = load_any("pinterest_aws_2031")
    deal = simulate_paths(scn, 3, 3000, 1000)
    no = simulate_paths(without_commitments(scn), 3, 3000, 1000)
    for key in ("revenue", "fines"):
        np.testing.assert_array_equal(deal[key], no[key])
    np.testing.assert_allclose(no["cloud_cost"], no["cloud_usage"], rtol=1e-12)  # nothing but usage
    assert (no["shortfall"] == 0).all()
    # in term the discount only scales the contract's usage: deal usage = (1 - delta) * list usage
    params = sim_parameters(scn, 3, 3000, 1000)
    delta = params["cloud.commitment.discount"][:, None]
    np.testing.assert_allclose(deal["cloud_usage"], (1 - delta) * no["cloud_cost"], rtol=1e-9)


def sim_parameters(scn, seed, n, block_size):
    from sim.engine.sampling import draw_parameters
    from sim.engine.simulate import block_sizes

    draws = [draw_parameters(scn, seed, b, size) for b, size in enumerate(block_sizes(n, block_size))]
    return {k: np.concatenate([d[k] for d in draws]) for k in draws[0]}


def test_paired_summary_matches_the_paths():
    """The block aggregates equal what the two runs' per-path outputs give, and the rest of the summary is the plain run's."""
    from sim.api import load as load_any
    from sim.engine.paired import without_commitments
    from sim.engine.run import run_scenario
    from sim.engine.simulate import simulate_paths

    scn = load_any("pinterest_aws_2031")
    n = 5000
    r = run_scenario(scn, n, 5, block_size=1000, deal_impact=True)
    plain = run_scenario(scn, n, 5, block_size=1000)
    d = r.summary.pop("deal_impact")
    assert stable(r.summary) == stable(plain.summary)
    deal, no = simulate_paths(scn, 5, n, 1000), simulate_paths(without_commitments(scn), 5, n, 1000)
    a, b = deal["first_breach_step"] > 0, no["first_breach_step"] > 0
    assert d["pairs"] == {"both": int((a & b).sum()), "deal_only": int((a & ~b).sum()),
                          "no_deal_only": int((~a & b).sum()), "neither": int((~a & ~b).sum())}
    diff = a.astype(float) - b
    assert d["p_cash_breach_delta"]["estimate"] == pytest.approx(diff.mean(), abs=1e-15)
    assert d["p_cash_breach_delta"]["se"] == pytest.approx(diff.std(ddof=1) / math.sqrt(n), rel=1e-9)
    net = (no["cloud_cost"] - deal["cloud_cost"]).sum(axis=1)
    assert d["net_savings"]["mean"] == pytest.approx(net.mean(), rel=1e-9)
    assert d["net_savings"]["quantiles"]["0.5"] == pytest.approx(np.quantile(net, 0.5), rel=1e-9)
    assert d["net_savings"]["p_negative"] == (net < 0).mean()
    assert d["p_cash_breach_by_year"]["deal"] == r.summary["p_cash_breach_by_year"]


def test_deterministic_deal_net_savings_equal_discount_minus_shortfall():
    """No uncertainty: usage G = 200 a year at list price; a 2-year deal, 10% discount, minimums 190 a year.
    Usage under the deal 180, shortfall 10 a year, discount saved 20 a year: net savings 2 x (20 - 10) = 20."""
    scn = load(config(cloud={"spend": 200.0, "commitment": {"total": 380.0, "years": 2, "discount": 0.1}}))
    d = run(scn, 256).summary["deal_impact"]
    assert d["by_year"]["discount_saved"] == pytest.approx([20.0, 20.0], rel=1e-12)
    assert d["by_year"]["shortfall_paid"] == pytest.approx([10.0, 10.0], rel=1e-12)
    assert d["by_year"]["net_savings"] == pytest.approx([10.0, 10.0], rel=1e-12)
    assert d["by_year"]["list_price_cloud_cost"] == pytest.approx([200.0, 200.0], rel=1e-12)
    assert d["net_savings"]["mean"] == pytest.approx(20.0, rel=1e-12)
    assert d["net_savings"]["quantiles"]["0.01"] == pytest.approx(20.0, rel=1e-12)
    assert d["net_savings"]["p_negative"] == 0.0
    # cash: 300 + 1000 - 700 - cloud = 400 (no deal) or 410 (deal): no breach either way
    assert d["p_cash_breach_delta"]["estimate"] == 0.0 and d["p_cash_breach"]["estimate"] == 0.0


def lognormal_case(sigma=0.3):
    """One year, one step: R_1 = 1000 exp(-sigma^2/2 + sigma Z).  Cash_1 = 300 + R_1 - 700 - cloud.
    No deal: cloud 200, breach (cash < 100) iff R_1 < 700.  Deal: minimum 250, discount 10% (usage 180,
    shortfall 70), cloud 250, breach iff R_1 < 750.  So breach with the deal and not without exactly when
    700 <= R_1 < 750: delta = Phi(z(750)) - Phi(z(700)), z(t) = (log(t / 1000) + sigma^2 / 2) / sigma;
    net savings 200 - 250 = -50 on every path."""
    d = config(scenario={"years": 1}, revenue={"volatility": sigma},
               cloud={"spend": 200.0, "commitment": {"total": 250.0, "years": 1, "discount": 0.1}})
    z = lambda t: (math.log(t / 1000) + sigma**2 / 2) / sigma
    p1, p0 = stats.norm.cdf(z(750)), stats.norm.cdf(z(700))
    return load(d), p1, p0


def test_one_year_lognormal_breach_interval():
    scn, p1, p0 = lognormal_case()
    n = 40_000
    d = run(scn, n).summary["deal_impact"]
    delta = p1 - p0
    se = math.sqrt(delta * (1 - delta) / n)
    est = d["p_cash_breach_delta"]
    assert abs(est["estimate"] - delta) <= 4 * se
    assert est["se"] == pytest.approx(se, rel=0.05)
    lo, hi = est["ci95"]
    assert hi - lo == pytest.approx(2 * 1.959963984540054 * est["se"], rel=1e-9)
    assert d["pairs"]["no_deal_only"] == 0  # breach without the deal implies breach with it
    assert abs(d["p_cash_breach"]["estimate"] - p0) <= 4 * math.sqrt(p0 * (1 - p0) / n)
    assert d["net_savings"]["mean"] == pytest.approx(-50.0, rel=1e-12)
    assert d["net_savings"]["p_negative"] == 1.0


def test_paired_interval_narrower_by_the_derived_factor():
    """Nested breaches (no-deal breach implies deal breach): d_i = 1 on the interval only, so
    Var(d) = delta (1 - delta), against p1 (1 - p1) + p0 (1 - p0) for two independent runs.
    The paired CI is narrower by sqrt(delta (1 - delta) / (p1 (1 - p1) + p0 (1 - p0))) (0.44 here)."""
    scn, p1, p0 = lognormal_case()
    d = run(scn, 40_000).summary["deal_impact"]["p_cash_breach_delta"]
    delta = p1 - p0
    factor = math.sqrt(delta * (1 - delta) / (p1 * (1 - p1) + p0 * (1 - p0)))
    assert factor < 0.5
    paired = d["ci95"][1] - d["ci95"][0]
    unpaired = d["unpaired_ci95"][1] - d["unpaired_ci95"][0]
    assert paired / unpaired == pytest.approx(factor, rel=0.05)


def test_no_commitment_is_a_clear_error(tmp_path):
    from sim.model import ParameterError

    scn = load(config())
    with pytest.raises(ParameterError, match="no commitment"):
        run(scn, 100)
    path = tmp_path / "nodeal.toml"
    path.write_text(
        '[scenario]\nstart = 2024\nyears = 2\nsteps_per_year = 1\n'
        '[company]\nrevenue = 1000\noperating_costs = 900\ncash = 300\n[cloud]\nspend = 200\n[policy]\ncash_floor = 100\n'
    )
    res = invoke("run", path, "--paths", "100", "--deal-impact")
    assert res.exit_code == 2
    assert "--deal-impact: the config has no commitment" in res.stderr


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_thread_count_invariance(quantiles):
    from sim.api import load as load_any

    scn = load_any("pinterest_aws_2031")
    one = run(scn, 6000, 2, block_size=500, threads=1, quantiles=quantiles).summary
    two = run(scn, 6000, 2, block_size=500, threads=2, quantiles=quantiles).summary
    assert stable(one) == stable(two)


def test_several_commitments_all_removed():
    from sim.api import load as load_any
    from sim.engine.paired import PairedContext, without_commitments
    from sim.engine.simulate import prepare, simulate_paths

    scn = load_any("multi_cloud_example")
    assert len(scn.cloud.commitments) >= 2
    pc = PairedContext.of(prepare(scn))
    assert pc.no_deal.model.n_commitments == 0 and not pc.no_deal.scenario.cloud.commitments
    d = run(scn, 3000, 4, block_size=1000).summary["deal_impact"]
    no = simulate_paths(without_commitments(scn), 4, 3000, 1000)
    assert d["p_cash_breach"]["count"] == int((no["first_breach_step"] > 0).sum())
    assert d["by_year"]["list_price_cloud_cost"] == pytest.approx(no["cloud_cost"].mean(axis=0).tolist(), rel=1e-9)
    assert (no["shortfall"] == 0).all()


@pytest.mark.slow
def test_dask_equals_threads():
    pytest.importorskip("distributed")
    from sim.api import load as load_any
    from sim.engine.dask_executor import DaskExecutor

    scn = load_any("pinterest_aws_2031")
    local = run(scn, 4000, 2, block_size=1000).summary
    with DaskExecutor(workers=2) as ex:
        remote = run(scn, 4000, 2, block_size=1000, executor=ex).summary
    assert stable(local) == stable(remote)


def test_deal_measures_per_path_match_the_summary():
    """The deal-impact measures' per-path values (sensitivity, compare) give the summary's numbers."""
    from sim.api import load as load_any
    from sim.engine.measures import MEASURES
    from sim.engine.paired import deal_path_values

    scn = load_any("pinterest_aws_2031")
    s = run(scn, 3000, 6, block_size=1000).summary
    for name in ("p_cash_breach_delta", "net_savings_mean", "p_net_savings_negative"):
        m = MEASURES[name]
        v = deal_path_values(scn, 6, 3000, 1000, lambda o, f, m=m: {"y": m.values(o, f)})["y"]
        est = m.estimate(v)
        assert est.estimate == pytest.approx(m.from_summary(s), rel=1e-9, abs=1e-15)
        if m.ci_path is not None and m.unit == "share":
            assert list(est.ci95) == pytest.approx(list(m.ci95_from_summary(s)), rel=1e-6)


def test_report_section_and_terminal_lines(tmp_path):
    """With deal_impact the report gains "With and without the deal" and its three figures; the terminal two lines."""
    from sim.api import load as load_any
    from sim.present.text import format_summary
    from sim.report.deal import deal_section, render_deal_figures

    scn = load_any("pinterest_aws_2031")
    r = run(scn, 2000, 1, block_size=1000)
    figures = render_deal_figures(r)
    assert [f.stem for f in figures] == ["deal_breach_curves", "deal_net_savings", "deal_savings_by_year"]
    section = deal_section(r.summary, figures)
    assert section.title == "With and without the deal"
    assert sum(b.kind == "figure" for b in section.blocks) == 3
    text = format_summary(r.summary)
    assert "Signing " in text and "points (95% CI" in text and "Net savings" in text
    plain = dict(r.summary)
    plain.pop("deal_impact")
    assert deal_section(plain, []) is None and render_deal_figures(plain) == []
    assert "Signing" not in format_summary(plain)
