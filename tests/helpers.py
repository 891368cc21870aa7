"""Small helpers shared by the test modules (importable: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import copy


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
