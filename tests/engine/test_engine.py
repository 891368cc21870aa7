"""The block engine: thread-count invariance, block merging, summaries from counts."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import stable

import sim
from sim.engine.aggregate import BY_YEAR, QUANTILES
from sim.engine.simulate import block_sizes, run_blocks, simulate_paths


@pytest.fixture(scope="module")
def default():
    return sim.load("pinterest_aws_2031")


@pytest.mark.parametrize("quantiles", ["exact", "sketch"])
def test_thread_count_does_not_change_results(default, quantiles):
    runs = [sim.run(default, paths=20_000, seed=3, threads=t, block_size=1024, quantiles=quantiles) for t in (1, 2, 3)]
    first = stable(runs[0].summary)
    for r in runs[1:]:
        assert stable(r.summary) == first  # bit-identical floats, not approximately equal


def test_same_seed_same_numbers_other_seed_other_numbers(default):
    a = sim.run(default, paths=5_000, seed=1, block_size=512).summary
    b = sim.run(default, paths=5_000, seed=1, block_size=512).summary
    c = sim.run(default, paths=5_000, seed=2, block_size=512).summary
    assert stable(a) == stable(b)
    assert a["min_cash"]["mean"] != c["min_cash"]["mean"]


def test_block_sizes_cover_all_paths():
    assert block_sizes(10, 4) == [4, 4, 2]
    assert block_sizes(8, 4) == [4, 4]
    assert block_sizes(3, 10) == [3]


def test_blocks_are_prefixes_of_the_same_streams(default):
    # block b draws from its own streams: the first blocks of a longer run are
    # the same paths as a shorter run with the same block size
    short = simulate_paths(default, 7, 1_024, 256)  # full blocks only: a short block draws differently
    long = simulate_paths(default, 7, 2_000, 256)
    for k in short:
        np.testing.assert_array_equal(long[k][:1_024], short[k])


def test_summary_is_the_merge_of_the_paths(default):
    """Counts, means and exact quantiles from merged blocks equal those of all paths at once."""
    n, seed, bs = 6_000, 11, 700  # a short last block
    paths = simulate_paths(default, seed, n, bs)
    s = sim.run(default, paths=n, seed=seed, block_size=bs, quantiles="exact").summary
    floor = default.policy.cash_floor
    assert s["p_cash_breach"]["count"] == int(np.sum(paths["min_cash"] < floor))
    assert s["p_cash_breach"]["count"] == int(np.sum(paths["first_breach_step"] > 0))
    years = np.array(s["years"])
    first_year = np.where(paths["first_breach_step"] > 0, (paths["first_breach_step"] - 1) // 4, 99)
    np.testing.assert_array_equal(np.rint(np.array(s["p_cash_breach_by_year"]) * n), [(first_year <= y).sum() for y in range(len(years))])
    thr = s["compression_threshold"]
    np.testing.assert_array_equal(np.rint(np.array(s["p_profit_compression_by_year"]) * n), (paths["operating_margin"] < thr).sum(axis=0))
    assert round(s["p_profit_compression_any"] * n) == (paths["operating_margin"] < thr).any(axis=1).sum()
    np.testing.assert_array_equal(np.rint(np.array(s["p_net_loss_by_year"]) * n), (paths["net_income"] < 0).sum(axis=0))
    assert round(s["p_commitment_shortfall"] * n) == (paths["shortfall"].sum(axis=1) > 0).sum()
    assert s["expected_shortfall_total"] == pytest.approx(paths["shortfall"].sum(axis=1).mean(), rel=1e-12)
    np.testing.assert_array_equal(np.rint(np.array(s["p_shortfall_by_year"]) * n), (paths["shortfall"] > 0).sum(axis=0))
    np.testing.assert_allclose(paths["cloud_usage"], paths["cloud_cost"] - paths["shortfall"], rtol=1e-12, atol=1e-9)
    for name in BY_YEAR:
        np.testing.assert_allclose(s["by_year"][name]["mean"], paths[name].mean(axis=0), rtol=1e-12)
        for q in QUANTILES:
            np.testing.assert_allclose(s["by_year"][name]["quantiles"][repr(q)], np.quantile(paths[name], q, axis=0), rtol=1e-12)
    mc = np.sort(paths["min_cash"])
    assert s["min_cash"]["quantiles"]["0.05"] == pytest.approx(np.quantile(mc, 0.05), rel=1e-12)
    assert s["min_cash"]["expected_shortfall_5pct"] == pytest.approx(mc[: int(np.ceil(0.05 * n))].mean(), rel=1e-12)
    fcf = paths["fcf"]
    np.testing.assert_allclose(s["cfar95_by_year"], fcf.mean(axis=0) - np.quantile(fcf, 0.05, axis=0), rtol=1e-9)
    np.testing.assert_allclose(s["by_step"]["cash"]["quantiles"]["0.5"], np.quantile(paths["cash"], 0.5, axis=0), rtol=1e-12)


def test_sketch_quantiles_within_documented_accuracy(default):
    from sim.engine.kernel.sketch import ABSOLUTE_ACCURACY, RELATIVE_ACCURACY

    n = 30_000
    paths = simulate_paths(default, 5, n, 4096)
    exact = sim.run(default, paths=n, seed=5, block_size=4096, quantiles="exact").summary
    sketch = sim.run(default, paths=n, seed=5, block_size=4096, quantiles="sketch").summary
    assert sketch["quantile_method"] == "sketch" and exact["quantile_method"] == "exact"
    for name in BY_YEAR:
        ordered = np.sort(paths[name], axis=0)
        for q in QUANTILES:
            e = np.array(exact["by_year"][name]["quantiles"][repr(q)])
            a = np.array(sketch["by_year"][name]["quantiles"][repr(q)])
            # the bound: relative accuracy of the two order statistics numpy interpolates
            r = q * (n - 1)
            scale = np.maximum(np.abs(ordered[int(np.floor(r))]), np.abs(ordered[int(np.ceil(r))]))
            assert np.all(np.abs(a - e) <= RELATIVE_ACCURACY * scale + ABSOLUTE_ACCURACY), (name, q)
    # probabilities and means do not depend on the quantile method
    for key in ("p_cash_breach", "p_cash_breach_by_year", "p_profit_compression_by_year", "expected_shortfall_total"):
        assert sketch[key] == exact[key]
    es_e, es_s = exact["min_cash"]["expected_shortfall_5pct"], sketch["min_cash"]["expected_shortfall_5pct"]
    assert abs(es_s - es_e) <= RELATIVE_ACCURACY * abs(es_e) + ABSOLUTE_ACCURACY


def test_kernel_counts_the_sketch_as_the_series_would(default):
    """The sketch the kernel fills chunk by chunk equals counting the block's series matrix afterwards."""
    from sim.engine.aggregate import SeriesLayout
    from sim.engine.kernel.sketch import QuantileSketch
    from sim.engine.simulate import prepare, simulate_block_of_paths

    ctx = prepare(default)
    lay = SeriesLayout(ctx.n_years, ctx.n_steps, True, ctx.model.n_commitments)
    in_kernel, after = QuantileSketch(lay.n_series, np.int32), QuantileSketch(lay.n_series)
    for b, n in enumerate([1_000, 333]):  # a chunk boundary inside each block, and a short chunk
        stats_k, none, first_k = simulate_block_of_paths(ctx, 4, b, n, lay, sketch=in_kernel)
        stats_s, series, first_s = simulate_block_of_paths(ctx, 4, b, n, lay)
        assert none is None
        after.add(series)
        np.testing.assert_array_equal(first_k, first_s)
        np.testing.assert_array_equal(stats_k.sums, stats_s.sums)
    np.testing.assert_array_equal(in_kernel.counts, after.counts)
    np.testing.assert_array_equal(in_kernel.lo, after.lo)
    np.testing.assert_array_equal(in_kernel.hi, after.hi)


def test_auto_quantiles_switch_to_the_sketch_for_large_runs(default, monkeypatch):
    import sim.engine.aggregate as agg

    monkeypatch.setattr(agg, "EXACT_BUDGET_BYTES", 1_000 * 8 * 200)
    assert sim.run(default, paths=500, seed=0, quantiles="auto").summary["quantile_method"] == "exact"
    assert sim.run(default, paths=5_000, seed=0, quantiles="auto").summary["quantile_method"] == "sketch"


def test_progress_reports_every_path(default):
    seen = []
    run_blocks(default, paths=3_000, seed=0, block_size=1_000, progress=seen.append)
    assert sorted(seen) == [1_000, 1_000, 1_000]


def test_wilson_interval_and_standard_error():
    from sim.engine.results import probability, wilson

    lo, hi = wilson(0, 100)
    assert lo == 0.0 and 0.03 < hi < 0.04  # the rule of three, roughly
    p = probability(50, 100)
    assert p["estimate"] == 0.5 and p["se"] == pytest.approx(0.05)
    lo, hi = p["ci95"]
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)


def test_bad_engine_arguments(default):
    with pytest.raises(ValueError):
        run_blocks(default, paths=0)
    with pytest.raises(ValueError):
        run_blocks(default, paths=10, block_size=0)
    with pytest.raises(ValueError):
        run_blocks(default, paths=10, seed=-1)


def test_result_tables_and_round_trip(default, tmp_path):
    r = sim.run(default, paths=2_000, seed=0)
    frame = r.by_year()
    assert set(frame["metric"]) == set(BY_YEAR)
    assert len(frame) == len(BY_YEAR) * len(r.summary["years"])
    curve = r.breach_curve()
    assert list(curve["year"]) == r.summary["years"]
    assert np.all(np.diff(curve["cash_breach"]) >= 0)
    assert np.all(curve["cash_breach_lo"] <= curve["cash_breach"]) and np.all(curve["cash_breach"] <= curve["cash_breach_hi"])
    assert list(r.central_case()["cash_end"]) == r.summary["central_case"]["cash_end"]
    r.save(tmp_path)
    back = sim.Result.load(tmp_path)
    assert back.summary == r.summary
    assert back.scenario == r.scenario


def test_kernel_exp_matches_math_exp():
    """The kernel's multiply-add exp (vectorisable) against libm over the range it sees."""
    import math

    import numba

    from sim.engine.kernel.block import _exp

    @numba.njit
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = _exp(x[i])
        return out

    x = np.linspace(-19.0, 19.0, 200_001)
    np.testing.assert_allclose(apply(x), [math.exp(v) for v in x], rtol=2e-14)


def test_tasks_hold_at_most_group_max_paths(default, monkeypatch):
    """A task's sketch counts in int32: tasks are cut at GROUP_MAX_PATHS paths, which changes no result."""
    import sim.engine.simulate as engine

    plain = stable(sim.run(default, paths=20_000, seed=2, threads=1, block_size=1024, quantiles="sketch").summary)
    sizes = []
    real = engine.simulate_group

    def recording(ctx, seed, group, *args, **kwargs):
        sizes.append(sum(n for _, n in group))
        return real(ctx, seed, group, *args, **kwargs)

    monkeypatch.setattr(engine, "GROUP_MAX_PATHS", 3_000)
    monkeypatch.setattr(engine, "simulate_group", recording)
    capped = stable(sim.run(default, paths=20_000, seed=2, threads=1, block_size=1024, quantiles="sketch").summary)
    assert max(sizes) <= 3_000 and sum(sizes) == 20_000
    assert capped == plain


def test_malloc_tuning_can_be_declined(monkeypatch):
    """SIM_MALLOC_DEFAULTS=1 leaves glibc's malloc settings alone (sim.engine.memory)."""
    import sim.engine.memory as memory

    monkeypatch.setattr(memory, "_done", None)
    monkeypatch.setenv("SIM_MALLOC_DEFAULTS", "1")
    assert memory.keep_freed_buffers() is False
