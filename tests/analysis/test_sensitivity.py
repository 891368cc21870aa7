"""Sensitivity analysis (sim.analysis.sensitivity, ``sim sensitivity``).

* the Sobol estimators on a linear model whose indices are known
  analytically, and against SALib on the same design;
* the tornado, spider, rank correlations and Sobol indices on a tiny scenario
  where one input obviously dominates;
* metrics computed from paths agree with ``sim.run``'s summary;
* common random numbers, thread invariance, errors, outputs and the CLI.

Runs use a few thousand paths at most; the default scenario at full size is
marked slow.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import norm, spearmanr

import sim
import sim.analysis.sensitivity as ss
from sim.model import ParameterError

from helpers import TINY  # a scenario where revenue growth obviously dominates  # noqa: E402
PATHS = 2_000
BLOCK = 512  # several blocks: block order matters


@pytest.fixture(scope="module")
def tiny():
    return sim.load(TINY)


@pytest.fixture(scope="module")
def tiny_result(tiny):
    return ss.analyse(tiny, "p_cash_breach", paths=PATHS, seed=3, block_size=BLOCK, sobol=32, sobol_paths=400,
                      bootstrap=200, threads=2)


# --------------------------------------------------------------------------
# Sobol estimators: a linear model with analytic indices, and SALib
# --------------------------------------------------------------------------

A_COEF = np.array([4.0, 2.0, 1.0, 0.5, 0.0])
SD = np.array([1.0, 1.5, 2.0, 1.0, 3.0])  # X_i ~ N(0, SD_i^2), independent


def linear(x):
    return x @ A_COEF


def linear_truth():
    part = A_COEF**2 * SD**2
    return part / part.sum()


def _linear_design(n, seed=0):
    a_u, b_u = ss.saltelli_design(n, len(A_COEF), seed)
    a, b = norm.ppf(a_u) * SD, norm.ppf(b_u) * SD
    y_ab = []
    for i in range(len(A_COEF)):
        ab = a.copy()
        ab[:, i] = b[:, i]
        y_ab.append(linear(ab))
    return linear(a), linear(b), np.array(y_ab)


def test_linear_model_sobol_indices_match_the_analytic_values():
    # Y = sum a_i X_i, independent X_i: S_i = ST_i = a_i^2 var_i / sum_j a_j^2 var_j
    truth = linear_truth()
    y_a, y_b, y_ab = _linear_design(4096)
    ix = ss.sobol_indices(y_a, y_b, y_ab, n_boot=300, seed=1)
    assert np.allclose(ix["S1"], truth, atol=0.03)
    assert np.allclose(ix["ST"], truth, atol=0.03)
    assert ix["ST"][-1] == 0.0 and abs(ix["S1"][-1]) < 1e-12  # a zero coefficient: exactly no effect
    for name in ("S1", "ST"):
        lo, hi = ix[f"{name}_ci"].T
        assert np.all(lo <= truth + 1e-12) and np.all(truth <= hi + 1e-12), name
    assert ix["variance"] == pytest.approx((A_COEF**2 * SD**2).sum(), rel=0.05)


def test_sobol_indices_of_a_constant_are_not_numbers():
    ix = ss.sobol_indices(np.ones(8), np.ones(8), np.ones((2, 8)), n_boot=10)
    assert np.isnan(ix["S1"]).all() and np.isnan(ix["ST"]).all()


def test_saltelli_design_is_a_power_of_two_in_the_open_unit_cube():
    a, b = ss.saltelli_design(64, 3, seed=5)
    assert a.shape == b.shape == (64, 3)
    assert 0 < a.min() and a.max() < 1 and 0 < b.min() and b.max() < 1
    a2, _ = ss.saltelli_design(64, 3, seed=5)
    assert np.array_equal(a, a2)
    with pytest.raises(ValueError):
        ss.saltelli_design(100, 3)


def test_sobol_estimators_agree_with_salib_on_salib_s_own_design():
    SALib = pytest.importorskip("SALib")  # noqa: F841
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    d = len(A_COEF)
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    u = salib_sample.sample(problem, 1024, calc_second_order=False, seed=7)
    u = np.clip(u, 1e-9, 1 - 1e-9)
    y = linear(norm.ppf(u) * SD)
    theirs = salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=500, seed=7)
    step = d + 2  # SALib's layout: A, AB_1 .. AB_d, B for each base row
    y_a, y_b = y[0::step], y[step - 1 :: step]
    y_ab = np.array([y[i + 1 :: step] for i in range(d)])
    ours = ss.sobol_indices(y_a, y_b, y_ab, n_boot=500, seed=7, center=False)
    # same estimators (Saltelli 2010 first order, Jansen total order), same normalisation
    assert np.allclose(ours["S1"], theirs["S1"], atol=1e-12)
    assert np.allclose(ours["ST"], theirs["ST"], atol=1e-12)
    # bootstrap half-widths: other resamples, same size
    assert np.allclose(ours["S1_conf"], theirs["S1_conf"], rtol=0.35, atol=0.005)
    assert np.allclose(ours["ST_conf"], theirs["ST_conf"], rtol=0.35, atol=0.005)
    # centring changes the estimate only by noise, well inside the intervals, and narrows them here
    centred = ss.sobol_indices(y_a, y_b, y_ab, n_boot=500, seed=7)
    assert np.all(np.abs(centred["S1"] - ours["S1"]) <= theirs["S1_conf"])
    assert np.allclose(centred["S1"], linear_truth(), atol=0.05)


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------


def test_metrics_from_paths_match_the_run_summary(tiny):
    r = sim.run(tiny, PATHS, 3, block_size=BLOCK, quantiles="exact")
    s = r.summary
    out = sim.engine.simulate.simulate_paths(tiny, 3, PATHS, BLOCK)
    frame = ss.Frame.of(tiny)

    def est(name):
        m = ss.resolve_metric(name, tiny)
        return m.estimate(m.values(out, frame))

    b = est("p_cash_breach")
    assert b.estimate == s["p_cash_breach"]["estimate"]
    assert b.ci95 == pytest.approx(s["p_cash_breach"]["ci95"], abs=1e-15)
    assert b.se == pytest.approx(s["p_cash_breach"]["se"], abs=1e-15)
    assert est("p_profit_compression_any").estimate == s["p_profit_compression_any"]
    assert est("p_commitment_shortfall").estimate == s["p_commitment_shortfall"]
    assert est("expected_shortfall_total").estimate == pytest.approx(s["expected_shortfall_total"], rel=1e-12)
    assert est("min_cash_mean").estimate == pytest.approx(s["min_cash"]["mean"], rel=1e-12)
    assert est("min_cash_median").estimate == pytest.approx(s["min_cash"]["quantiles"]["0.5"], rel=1e-12)
    assert est("min_cash_p05").estimate == pytest.approx(s["min_cash"]["quantiles"]["0.05"], rel=1e-12)
    for i, year in enumerate(s["years"]):
        assert est(f"p_cash_breach_by_{year}").estimate == pytest.approx(s["p_cash_breach_by_year"][i], abs=1e-15)
        assert est(f"p_profit_compression_{year}").estimate == pytest.approx(s["p_profit_compression_by_year"][i], abs=1e-15)
        assert est(f"p_net_loss_{year}").estimate == pytest.approx(s["p_net_loss_by_year"][i], abs=1e-15)
        assert est(f"cash_end_mean_{year}").estimate == pytest.approx(s["by_year"]["cash_end"]["mean"][i], rel=1e-12)
        assert est(f"cash_end_median_{year}").estimate == pytest.approx(s["by_year"]["cash_end"]["quantiles"]["0.5"][i], rel=1e-12)
    med = est("min_cash_median")
    assert med.ci95[0] < med.estimate < med.ci95[1]


def test_unknown_metric_and_years_outside_the_horizon_are_parameter_errors(tiny):
    with pytest.raises(ParameterError, match=r"^metric: p_cash: unknown metric \(known: p_cash_breach"):
        ss.resolve_metric("p_cash", tiny)
    with pytest.raises(ParameterError, match="outside the horizon 2024-2026"):
        ss.resolve_metric("p_cash_breach_by_2031", tiny)
    with pytest.raises(ParameterError, match="^metric: min_cash_es5: has no per-path value"):
        ss.analyse(tiny, "min_cash_es5", paths=10)  # a tail mean: nothing to pair path by path
    for kw, message in [(dict(low=90, high=10), "^low: need 0 < low < high < 100 percent, got 90 and 10$"),
                        (dict(percentiles=[0, 50]), "^percentiles: "), (dict(sobol=3), "^sobol: N must be a power of two")]:
        with pytest.raises(ParameterError, match=message):
            ss.analyse(tiny, paths=10, **kw)


def test_inputs_are_the_varying_ones_and_bad_keys_are_named(tiny):
    default = sim.load("pinterest_aws_2031")
    keys = [i.key for i in ss.uncertain_inputs(default)]
    assert "revenue.growth" in keys and "revenue.ai_uplift.probability" in keys
    assert "company.cash" not in keys  # a fixed value
    assert [i.key for i in ss.uncertain_inputs(tiny)] == ["company.tax_rate", "revenue.growth", "cloud.commitment.discount"]
    with pytest.raises(ParameterError, match=r"^inputs: company.cash: is a fixed value"):
        ss.uncertain_inputs(tiny, ["company.cash"])
    with pytest.raises(ParameterError, match=r"^inputs: revenue.grwth: not an uncertain input \(uncertain: company.tax_rate"):
        ss.uncertain_inputs(tiny, ["revenue.grwth"])


def test_bernoulli_input_swings_from_never_to_always_and_steps_at_1_minus_p():
    scn = sim.load("pinterest_aws_2031")
    (ai,) = ss.uncertain_inputs(scn, ["revenue.ai_uplift.probability"])
    assert ai.bernoulli and ai.p == 0.6
    assert ai.tornado_values(10, 90) == (0.0, 1.0)
    assert [ai.quantile(q) for q in (0.05, 0.39, 0.41, 0.95)] == [0.0, 0.0, 1.0, 1.0]
    assert ai.override(1.0) == "revenue.ai_uplift.probability=1.0"


# --------------------------------------------------------------------------
# Tornado, spider, correlations and Sobol on the tiny scenario
# --------------------------------------------------------------------------


def test_tornado_puts_the_obvious_driver_first(tiny_result):
    res = tiny_result
    keys = [s.input.key for s in res.sweeps]
    assert keys[0] == "revenue.growth"
    top, rest = res.sweeps[0], res.sweeps[1:]
    assert top.high.estimate < res.baseline.estimate < top.low.estimate  # more growth, fewer breaches
    assert top.swing > 0.5 and top.swing_ci95[0] > 0.5
    assert all(s.swing < 0.02 for s in rest)
    swings = [s.swing for s in res.sweeps]
    assert swings == sorted(swings, reverse=True)
    for s in res.sweeps:
        assert s.paired  # a probability: per-path differences on common random numbers
        assert s.swing_ci95[0] <= s.swing <= s.swing_ci95[1] + 1e-15
        assert s.low_value == pytest.approx(s.input.dist.quantile(0.10))
        assert s.high_value == pytest.approx(s.input.dist.quantile(0.90))


def test_spider_is_monotone_for_the_driver_and_reuses_the_tornado_ends(tiny_result):
    growth = tiny_result.sweeps[0]
    pcts = [p for p, _, _ in growth.points]
    assert pcts == [5, 10, 25, 50, 75, 90, 95]
    est = [e.estimate for _, _, e in growth.points]
    assert all(a >= b for a, b in zip(est, est[1:]))
    by_pct = {p: e for p, _, e in growth.points}
    assert by_pct[10] == growth.low and by_pct[90] == growth.high


def test_rank_correlations_and_contributions(tiny_result):
    c = tiny_result.correlations
    i = c.keys.index("revenue.growth")
    assert c.rho["min_cash"][i] > 0.6
    assert c.rho["breach"][i] < -0.4
    assert c.contribution["min_cash"][i] > 0.95
    for t in c.targets:
        assert sum(c.contribution[t]) == pytest.approx(1.0)
        lo, hi = c.ci95[t][i]
        assert lo < c.rho[t][i] < hi


def test_rank_correlations_use_the_paths_own_draws(tiny):
    # the inputs from draw_parameters line up with simulate_paths' paths: recompute by hand
    out = sim.engine.simulate.simulate_paths(tiny, 3, PATHS, BLOCK)
    draws = ss.input_draws(tiny, 3, PATHS, BLOCK, ["revenue.growth"])["revenue.growth"]
    expected = spearmanr(draws, out["min_cash"]).statistic
    runner = ss.Runner(tiny, PATHS, 3, BLOCK)
    metric = ss.resolve_metric("p_profit_compression_any", tiny)
    targets = runner.values((), ss.correlation_targets(metric))
    assert np.array_equal(targets["min_cash"], out["min_cash"])  # block by block = simulate_paths
    got = ss.rank_correlations(tiny, 3, PATHS, BLOCK, ss.uncertain_inputs(tiny, ["revenue.growth"]), targets, metric)
    assert got.rho["min_cash"][0] == pytest.approx(expected, abs=1e-12)
    assert got.targets == ["min_cash", "breach", "p_profit_compression_any"]


def test_spearman_handles_ties_and_constants():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 500).astype(float)
    y = x + rng.normal(size=500)
    assert ss.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert math.isnan(ss.spearman(np.ones(5), np.arange(5.0)))


def test_sobol_on_the_tiny_scenario_names_the_driver(tiny_result):
    s = tiny_result.sobol
    assert s.names == ["company.tax_rate", "revenue.growth", "cloud.commitment.discount"]
    assert s.runs == 32 * (3 + 2)
    g = s.names.index("revenue.growth")
    assert s.indices["ST"][g] > 0.8 and s.indices["S1"][g] > 0.6
    others = [i for i in range(3) if i != g]
    assert np.all(s.indices["ST"][others] < 0.01)
    assert 0 <= s.noise_share < 0.05


def test_correlated_inputs_form_one_sobol_factor_with_the_copula():
    scn = sim.load("pinterest_aws_2031")
    inputs = ss.uncertain_inputs(scn, ["revenue.ai_uplift.uplift", "cloud.silicon.trainium.savings", "revenue.growth"])
    assert [[inputs[i].key for i in f] for f in ss.factors(scn, inputs)] == [
        ["revenue.ai_uplift.uplift", "cloud.silicon.trainium.savings"], ["revenue.growth"]]
    u, _ = ss.saltelli_design(4096, 3, seed=2)
    x = ss.inputs_from_uniform(scn, inputs, u)
    assert spearmanr(x[:, 0], x[:, 1]).statistic == pytest.approx(0.4, abs=0.04)
    assert abs(spearmanr(x[:, 0], x[:, 2]).statistic) < 0.05
    assert np.allclose(x[:, 2], inputs[2].dist.quantile(u[:, 2]))


# --------------------------------------------------------------------------
# Common random numbers and reproducibility
# --------------------------------------------------------------------------


def test_holding_one_input_leaves_every_other_draw_unchanged(tiny):
    held = sim.load(tiny, ["revenue.growth=0.05"])
    from sim.engine.sampling import draw_parameters

    for b in range(2):
        base, other = draw_parameters(tiny, 3, b, BLOCK), draw_parameters(held, 3, b, BLOCK)
        assert np.all(other["revenue.growth"] == 0.05)
        for k in ("company.tax_rate", "cloud.commitment.discount"):
            assert np.array_equal(base[k], other[k])


def test_results_do_not_depend_on_threads(tiny):
    kw = dict(paths=600, seed=4, block_size=256, sobol=8, sobol_paths=200, bootstrap=50)
    one = ss.analyse(tiny, "min_cash_mean", threads=1, **kw).to_dict()
    two = ss.analyse(tiny, "min_cash_mean", threads=3, **kw).to_dict()
    for d in (one, two):
        d.pop("runtime_seconds")
    assert one == two


def test_quantile_metric_uses_combined_intervals(tiny):
    res = ss.analyse(tiny, "min_cash_median", paths=800, seed=1, block_size=BLOCK, inputs=["revenue.growth"],
                     correlations=False, threads=1)
    (s,) = res.sweeps
    assert not s.paired
    assert s.diff_ci95[0] <= s.diff <= s.diff_ci95[1]
    assert s.diff > 0  # more growth, more cash



def test_a_share_metric_reads_in_percent_and_points(tiny):
    res = ss.analyse(tiny, "operating_margin_mean_2025", paths=400, seed=1, block_size=BLOCK, inputs=["revenue.growth"],
                     correlations=False, threads=1)
    (s,) = res.sweeps
    assert res.metric.unit == "share" and s.paired and s.diff > 0  # more growth, wider margins
    text = res.format()
    assert "Mean operating margin in 2025" in text and f"swing {100 * s.swing:.2f} pts" in text
    assert f"{100 * res.baseline.estimate:.2f}%" in text


# --------------------------------------------------------------------------
# Outputs: JSON, tables, figures, text, CLI
# --------------------------------------------------------------------------


def test_save_writes_tables_json_and_figures(tiny_result, tmp_path):
    written = {p.name for p in tiny_result.save(tmp_path)}
    assert written == {"sensitivity.json", "tornado.csv", "spider.csv", "correlations.csv", "sobol.csv",
                       "tornado.png", "spider.png", "sobol.png"}
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["metric"]["name"] == "p_cash_breach"
    assert data["tornado"][0]["key"] == "revenue.growth"
    import pandas as pd

    t = pd.read_csv(tmp_path / "tornado.csv")
    assert list(t["key"]) == [s.input.key for s in tiny_result.sweeps]
    assert len(pd.read_csv(tmp_path / "spider.csv")) == 3 * 7
    text = tiny_result.format()
    assert "Revenue growth (log, per year)" in text and "Sobol" in text and "Baseline" in text
    md = tiny_result.to_markdown(figures_dir=".")
    assert md.startswith("## Sensitivity: P(cash < floor at some step)")
    assert "| Revenue growth (log, per year) |" in md and "![Tornado](./tornado.png)" in md and "Sobol indices" in md


def test_plots_take_the_result_or_its_json(tiny_result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import sim.analysis.sensitivity.plots as sp

    data = json.loads(tiny_result.to_json())
    for fn in (sp.tornado, sp.spider, sp.sobol):
        for obj in (tiny_result, data):
            fig, ax = fn(obj)
            assert ax.get_title(loc="left")
            plt.close(fig)
    fig, ax = plt.subplots()
    assert sp.tornado(tiny_result, ax=ax) == (fig, ax)
    plt.close(fig)


def _invoke(*args):
    from sim.cli.main import cli

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], prog_name="sim")


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory):
    from sim.model import scenario_to_toml

    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(scenario_to_toml(sim.load(TINY)))
    return path


def test_cli_writes_outputs_and_a_summary(tiny_toml, tmp_path):
    out = tmp_path / "sens"
    r = _invoke("sensitivity", tiny_toml, "--metric", "min_cash_mean", "--paths", "1000", "--seed", "2",
                "--sobol", "8", "--sobol-paths", "200", "--bootstrap", "50", "--out", out)
    assert r.exit_code == 0, r.output + (r.stderr or "")
    assert "Tornado" in r.output and "Revenue growth (log, per year)" in r.output
    assert (out / "tornado.png").exists() and (out / "sobol.csv").exists()
    data = json.loads((out / "sensitivity.json").read_text())
    assert data["paths"] == 1000 and data["seed"] == 2 and data["sobol"]["n"] == 8


def test_cli_json_to_stdout(tiny_toml):
    r = _invoke("sensitivity", tiny_toml, "--paths", "500", "--inputs", "revenue.growth", "--json", "-", "--no-correlations")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert [t["key"] for t in data["tornado"]] == ["revenue.growth"]
    assert data["correlations"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metric", "nope"], "--metric: nope: unknown metric"),
        (["--inputs", "revenue.nope"], "--inputs: revenue.nope: not an uncertain input"),
        (["--sobol", "3"], "--sobol: 3: must be a power of two"),
        (["--paths", "1"], "--paths: must be at least 2"),
        (["--tornado", "90,10"], "--tornado: 90,10: LOW must be below HIGH"),
        (["--percentiles", "0,50"], "--percentiles: 0,50: percentiles must be between 0 and 100"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tiny_toml, args, message):
    r = _invoke("sensitivity", tiny_toml, "--paths", "300", *args)
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and message in err, err


# --------------------------------------------------------------------------
# The default scenario at full size
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_default_scenario_tornado_at_50k_paths():
    res = ss.analyse("pinterest_aws_2031", "p_cash_breach", paths=50_000, seed=0)
    keys = [s.input.key for s in res.sweeps]
    assert keys[:2] == ["revenue.growth", "revenue.ai_uplift.probability"]
    r = sim.run("pinterest_aws_2031", 50_000, 0)
    assert res.baseline.estimate == r.summary["p_cash_breach"]["estimate"]


@pytest.mark.slow
def test_default_scenario_sobol_min_cash():
    res = ss.analyse("pinterest_aws_2031", "min_cash_mean", paths=5_000, seed=0, correlations=False, sobol=256,
                     sobol_paths=2_000)
    s = res.sobol
    g = s.names.index("revenue.growth")
    assert s.indices["ST"][g] == max(s.indices["ST"])
    assert s.noise_share < 0.02
