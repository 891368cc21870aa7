"""Hostile-input campaign (issue 15): mutated configs and command-line abuses, counted by outcome.

Every input should end as "exit 0, finite JSON" or "exit 2, one line";
anything else (exit 1, a traceback, non-finite JSON, several error lines) is
counted as "other" and listed.  The generator is seeded, so a campaign is
repeatable::

    python benchmarks/hostile.py [--configs 252] [--cli 113] [--seed 15]

Runs in-process (click's CliRunner) with 200 paths per run.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

import tomli_w
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.cli import cli  # noqa: E402

RUN = ["--paths", "200", "--block-size", "100", "-q", "--json", "-"]
NUMBERS = [0, -1, 1, 0.5, 2, -2, 5, 5.0001, 50, 100, 101, 1e6, 1e12, -1e12, 1e13, 1e300, -1e308, 1e-320,
           2**63, 10**400, -(10**400), math.inf, -math.inf, math.nan, 100000, 1e300]
STRINGS = ["1e9999999B", "-1e9999999", "١٢٣", "１２３", "٠.٠٥", "5%", "500%", "3.4B", "$1T", "9" * 400, "abc", "",
           "nan", "inf", "a\x1b[31mred", "x\x00y", "\u202e", "2031-13", "9999-12", "4,220"]


def nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def key_paths(node, prefix=()):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from key_paths(v, (*prefix, k))


def hostile_value(rng: random.Random):
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice(NUMBERS)
    if kind == 1:
        return rng.choice(STRINGS)
    if kind == 2:
        return nested(rng.choice([1, 3, 50, 500]))
    if kind == 3:
        family = rng.choice([("normal", "mean", "sd"), ("lognormal", "median", "sigma"), ("uniform", "low", "high")])
        return {"dist": family[0], family[1]: rng.choice(NUMBERS), family[2]: rng.choice(NUMBERS)}
    if kind == 4:
        return rng.choice([True, False, {}, [], {"x": 1}, [1, "a"]])
    if kind == 5:
        return rng.uniform(-1e3, 1e3) * 10 ** rng.randrange(-5, 15)
    return rng.randrange(-(10**6), 10**7)


def mutate(base: dict, rng: random.Random) -> dict:
    cfg = copy.deepcopy(base)
    for _ in range(rng.randrange(1, 4)):
        paths = list(key_paths(cfg))
        if not paths:
            break
        path = rng.choice(paths)
        parent = cfg
        for k in path[:-1]:
            parent = parent[k]
        kind = rng.choice(["delete", "replace", "replace", "replace", "duplicate"])
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "duplicate" and isinstance(parent[path[-1]], list) and parent[path[-1]]:
            parent[path[-1]].append(copy.deepcopy(parent[path[-1]][0]))
        else:
            parent[path[-1]] = hostile_value(rng)
    return cfg


def cli_abuses(rng: random.Random, n: int) -> list[list[str]]:
    fixed = [
        ["run", "--paths", "0"], ["run", "--paths", "-5"], ["run", "--paths", "abc"], ["run", "--paths", "1000000000000"],
        ["run", "--seed", "-1"], ["run", "--threads", "0"], ["run", "--block-size", "0"],
        ["run", "--block-size", "1000000000000", "--paths", "1000000000000", "--yes"],
        ["run", "--quantiles", "bogus"], ["run", "--quantiles", "exact", "--paths", "2000000000", "--yes"],
        ["run", "--precision", "abc"], ["run", "--precision", "-1"], ["run", "--max-paths", "0"], ["run", "--bogus"],
        ["run", "no_such_scenario"], ["run", "missing.toml"], ["run", "/"], ["run", "--sampling", "nope"],
        ["run", "--set", "revenue.growth"], ["run", "--set", "=1"], ["run", "--set", "scenario.years=100000"],
        ["run", "--set", "scenario.years=" + "9" * 400], ["run", "--set", "company.cash=1e9999999B"],
        ["run", "--set", "revenue.volatility=50"], ["run", "--set", "revenue.growth=1e6"],
        ["run", "--set", "revenue.shocks.competition.rate=1e12"], ["run", "--set", "x=" + "[" * 50000 + "]" * 50000],
        ["run", "--set", "scenario.name=\"a\\u001b[31m\""], ["run", "--set", "company.cash=\"١٢٣\""],
        ["validate", "--set", "scenario.start=" + "1" * 400], ["validate", "nope"], ["sweep", "--grid", "bogus"],
        ["sweep", "--grid", "revenue.growth=1e6,2e6"], ["sensitivity", "--metric", "nope"], ["report", "/nonexistent"],
    ]
    out = [a + (RUN if a[0] == "run" else []) for a in fixed]
    keys = ["scenario.years", "scenario.start", "company.revenue", "company.cash", "revenue.growth", "revenue.volatility",
            "cloud.pricing.volatility", "cloud.commitment.total", "cash_flow.interest_rate", "regulatory.fines",
            "revenue.mean_reversion", "policy.cash_floor"]
    while len(out) < n:
        value = hostile_value(rng)
        text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
        out.append(["run", "--set", f"{rng.choice(keys)}={text}", *RUN])
    return out[:n]


def finite(x) -> bool:
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, dict):
        return all(finite(v) for v in x.values())
    if isinstance(x, list):
        return all(finite(v) for v in x)
    return True


def outcome(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(cli, args, prog_name="sim")
    errors = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"other: {type(result.exception).__name__}: {result.exception}"[:200]
    if result.exit_code == 2 and len(errors) == 1:
        return "exit 2 one line"
    if result.exit_code == 0:
        if "--json" in args and "-" in args:
            try:
                ok = finite(json.loads(result.stdout, parse_constant=lambda c: math.nan))
            except ValueError:
                ok = False
            return "exit 0 finite" if ok else "other: exit 0 with non-finite or unreadable JSON"
        return "exit 0 finite"
    return f"other: exit {result.exit_code}: {' | '.join(errors)[-200:]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=252)
    parser.add_argument("--cli", type=int, default=113)
    parser.add_argument("--seed", type=int, default=15)
    opts = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    rng = random.Random(opts.seed)
    bases = {p.stem: tomllib.loads(p.read_text()) for p in sorted((ROOT / "configs").glob("*.toml"))}
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    counts: dict[str, Counter] = {"configs": Counter(), "cli": Counter()}
    others: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hostile.toml"
        done = 0
        while done < opts.configs:
            cfg = mutate(bases[rng.choice(sorted(bases))], rng)
            try:
                path.write_text(tomli_w.dumps(cfg), encoding="utf-8")
            except (TypeError, ValueError, RecursionError):
                continue  # not writable as TOML: draw again
            done += 1
            for args in (["validate", str(path)], ["run", str(path), *RUN]):
                kind = outcome(runner, args)
                counts["configs"][kind.split(":")[0]] += 1
                if kind.startswith("other"):
                    others.append(f"{args[0]} {json.dumps(cfg, default=str)[:150]}: {kind}")
        for args in cli_abuses(rng, opts.cli):
            kind = outcome(runner, args)
            counts["cli"][kind.split(":")[0]] += 1
            if kind.startswith("other"):
                others.append(f"{' '.join(a[:60] for a in args)[:150]}: {kind}")
    for group, c in counts.items():
        total = sum(c.values())
        print(f"{group}: {total} invocations: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    for line in others:
        print("  " + line)
    print(f"{time.perf_counter() - t0:.0f} s")
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
