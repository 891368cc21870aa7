"""Variance reduction on the default scenario, and importance sampling on a stressed one.

Run from the repository root::

    python benchmarks/bench_variance.py           # about 3 minutes on 2 cores
    python benchmarks/bench_variance.py --quick

1. For each --sampling design, the variance of P(cash < floor) and of mean min
   cash across independent replicates (different seeds), as a factor against
   plain random sampling: factor = var(random) / var(design).
2. Rare events: on the default scenario with more opening cash (P(breach) near
   1e-4), plain Monte Carlo with N paths against --rare-event with N/10 paths:
   their 95% CI widths, and whether the estimates agree.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import sim

STRESSED = ["company.cash=9.7B"]


def replicates(sampling: str, paths: int, seeds: range) -> tuple[np.ndarray, np.ndarray]:
    p, m = [], []
    for seed in seeds:
        s = sim.run("pinterest_aws_2031", paths=paths, seed=seed, sampling=sampling, record_steps=False).summary
        p.append(s["p_cash_breach"]["estimate"])
        m.append(s["min_cash"]["mean"])
    return np.array(p), np.array(m)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    paths = 16_384 if args.quick else 65_536
    seeds = range(8 if args.quick else 24)

    print(f"1. Variance reduction, default scenario, {len(seeds)} replicates of {paths:,} paths")
    base_p, base_m = replicates("random", paths, seeds)
    print(f"   random      P = {base_p.mean():.5f} (sd {base_p.std(ddof=1):.5f}), mean min cash {base_m.mean():,.1f} (sd {base_m.std(ddof=1):.2f})")
    for sampling in ("antithetic", "sobol", "lhs"):
        p, m = replicates(sampling, paths, seeds)
        print(
            f"   {sampling:11s} P = {p.mean():.5f}, factor {base_p.var(ddof=1) / p.var(ddof=1):5.2f};"
            f"  mean min cash {m.mean():,.1f}, factor {base_m.var(ddof=1) / m.var(ddof=1):5.2f}"
        )

    plain_paths = 400_000 if args.quick else 4_000_000
    is_paths = plain_paths // 10
    scn = sim.load("pinterest_aws_2031", STRESSED)
    t0 = time.perf_counter()
    plain = sim.run(scn, paths=plain_paths, seed=11, record_steps=False).summary["p_cash_breach"]
    t1 = time.perf_counter()
    tilted = sim.run(scn, paths=is_paths, seed=12, rare_event=True, record_steps=False).summary
    t2 = time.perf_counter()
    ip = tilted["p_cash_breach"]
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    print(f"2. Rare events ({', '.join(STRESSED)})")
    print(f"   plain, {plain_paths:,} paths: P = {plain['estimate']:.3e}, 95% CI [{plain['ci95'][0]:.3e}, {plain['ci95'][1]:.3e}] width {width(plain['ci95']):.3e}, {t1 - t0:.1f} s")
    print(f"   --rare-event, {is_paths:,} paths: P = {ip['estimate']:.3e}, 95% CI [{ip['ci95'][0]:.3e}, {ip['ci95'][1]:.3e}] width {width(ip['ci95']):.3e}, {t2 - t1:.1f} s (pilots included)")
    ess = tilted["importance_sampling"]["effective_sample_size"]
    agree = abs(plain["estimate"] - ip["estimate"]) <= 1.96 * (plain["se"] ** 2 + ip["se"] ** 2) ** 0.5
    print(f"   CI width ratio plain/IS at 10x fewer IS paths: {width(plain['ci95']) / width(ip['ci95']):.2f}; estimates agree: {agree}; ESS {ess:,.0f}")
    var_ratio = (plain["se"] ** 2 * plain_paths) / (ip["se"] ** 2 * is_paths)
    print(f"   variance per path, plain / IS: {var_ratio:.1f}x")


if __name__ == "__main__":
    main()
