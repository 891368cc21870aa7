"""Small helpers shared by the test modules (importable: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import copy
from pathlib import Path

# configs/multi_cloud_example.toml: the shipped model v2 example (every v2 feature)
EXAMPLE = str(Path(__file__).resolve().parents[1] / "configs" / "multi_cloud_example.toml")
# summary fields that describe how a run went, not its numbers
RUNTIME_FIELDS = frozenset({"runtime_seconds", "paths_per_second", "threads", "includes_jit_compilation"})


def stable(summary: dict) -> dict:
    """``summary`` without the fields that describe how the run went (``RUNTIME_FIELDS``)."""
    return {k: v for k, v in summary.items() if k not in RUNTIME_FIELDS}


def merge(base: dict, extra: dict) -> dict:
    """A deep copy of ``base`` with ``extra`` merged in, table by table."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# One input (revenue growth, sd 10 points) obviously drives cash; the tax
# rate and the commitment discount barely move, so their effect is tiny.
TINY = {
    "scenario": {"name": "tiny", "start": 2024, "years": 3, "steps_per_year": 4},
    "company": {"revenue": 1000, "operating_costs": 950, "cash": 300,
                "tax_rate": {"dist": "uniform", "low": 0.20, "high": 0.22}},
    "policy": {"cash_floor": 250},
    "revenue": {"growth": {"dist": "normal", "mean": 0.0, "sd": 0.10}, "volatility": 0.05},
    "cloud": {"spend": 100, "commitment": {"total": 300, "years": 3,
                                          "discount": {"dist": "uniform", "low": 0.10, "high": 0.11}}},
}


def invoke(*args):
    """Run the ``sim`` command in-process (click's CliRunner), stderr kept apart from stdout."""
    from click.testing import CliRunner

    from sim.cli import cli

    try:  # click < 8.2 mixes stderr into the output unless told not to
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2: stderr is always kept apart
        runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], prog_name="sim")


def minimal_company(name: str, **sections) -> dict:
    """A minimal deterministic company for closed forms: revenue 100, costs 80 (OI 20 a year),
    cash 50, no tax, no growth, floor 0, two one-step years; ``sections`` merged in."""
    base = {
        "scenario": {"name": name, "start": 2024, "years": 2, "steps_per_year": 1},
        "company": {"revenue": 100.0, "operating_costs": 80.0, "cash": 50.0},
        "policy": {"cash_floor": 0.0},
    }
    return merge(base, sections)


def load(d):
    """A validated Scenario from a config dict."""
    from sim.model import load_scenario

    return load_scenario(d)


def kernel(scn, seed, n, block_size):
    """Every path's outputs from the Numba engine."""
    from sim.engine.simulate import simulate_paths

    return simulate_paths(scn, seed, n, block_size)


def reference(scn, seed, n, block_size):
    """Every path's outputs from the independent NumPy reference."""
    from sim.engine.reference import simulate_reference

    return simulate_reference(scn, seed, n, block_size)


def within_se(estimate, expected, se, k=4.0):
    """``estimate`` within ``k`` Monte Carlo standard errors of ``expected``."""
    assert abs(estimate - expected) <= k * se, (
        f"estimate {estimate!r} vs expected {expected!r}: {abs(estimate - expected) / se:.2f} SE (limit {k})"
    )


def close(got, expected, rtol=1e-9, atol=1e-9):
    """Arrays equal to rounding."""
    import numpy as np

    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


def assert_outputs_match(ref: dict, got: dict, scn, keys, rtol: float = 1e-9) -> None:
    """Kernel outputs ``got`` equal the reference's ``ref`` to rounding, path by path.

    Every float output in ``keys`` to ``rtol`` plus an absolute slack of 1e-9 times
    the largest magnitude of that output (values that cancel to ~0); the first breach
    step exactly, except on a path whose cash at the first disputed step sits within
    that slack of the floor.
    """
    import numpy as np

    slack = {}
    for key in keys:
        r, g = np.asarray(ref[key], dtype=float), np.asarray(got[key], dtype=float)
        scale = max(1.0, float(np.max(np.abs(r[np.isfinite(r)]), initial=0.0)))
        slack[key] = 1e-9 * scale
        np.testing.assert_allclose(g, r, rtol=rtol, atol=slack[key], err_msg=f"{scn.scenario.name}: {key}")
    fr, fg = ref["first_breach_step"], np.asarray(got["first_breach_step"])
    floor = scn.policy.cash_floor
    for i in np.nonzero(fr != fg)[0]:
        k = min(s for s in (fr[i], fg[i]) if s > 0)
        near = abs(ref["cash"][i, k - 1] - floor) <= slack["cash"] + rtol * abs(floor)
        assert near, f"{scn.scenario.name}: path {i}: first breach step {fg[i]} (kernel) vs {fr[i]} (reference)"
