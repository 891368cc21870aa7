"""Hostile configs through the CLI: every outcome is exit 0 with finite JSON or exit 2 with one line.

Property-based (hypothesis) over mutations of the shipped configs: a key
deleted, a value replaced by an extreme number, a hostile string, a nested
array, a table or a wrong type, an element of an array of tables
duplicated; and over ``--set`` values.  Never a traceback, exit 1 or a
hang.  Bounded to about a minute in the default run.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers import invoke

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BASES = {p.stem: tomllib.loads(p.read_text()) for p in sorted(CONFIGS.glob("*.toml"))}
RUN = ("--paths", "200", "--block-size", "100", "-q", "--json", "-")


def key_paths(node, prefix=()):
    """Every path into a config dict: keys of tables, indices of arrays."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from key_paths(v, (*prefix, k))


PATHS = {name: list(key_paths(cfg)) for name, cfg in BASES.items()}

EXTREME_NUMBERS = st.sampled_from([
    0, -1, 1, 0.5, 2, -2, 5, 5.0001, 100, 101, 1e12, -1e12, 1e13, 1e300, -1e308, 1e-320, 2**63, -(2**63),
    10**400, -(10**400), math.inf, -math.inf, math.nan, 1900, 2300, 10**6, 10**7,
])
HOSTILE_TEXT = st.sampled_from([
    "1e9999999B", "-1e9999999", "1e-9999999", "١٢٣", "１２３", "٠.٠٥", "5%", "-5%", "500%", "3.4B", "$1T", "1.2T",
    "9" * 400, "abc", "", " ", "nan", "inf", "-inf", "1e308", "a\x1b[31mred", "x\x00y", "line\nbreak", "\u202e",
    "2031-13", "2031-02-30", "0000-01", "9999-12", "-0", "4,220", "1,2,3",
])
LEAVES = st.one_of(
    EXTREME_NUMBERS,
    HOSTILE_TEXT,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=12),
    st.booleans(),
    st.sampled_from([datetime.date(1, 1, 1), datetime.date(9999, 12, 31), datetime.date(2030, 6, 1)]),
)
FAMILY_KEYS = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"), "uniform": ("low", "high")}
VALUES = st.one_of(
    LEAVES,
    st.recursive(LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["dist", "mean", "sd", "low", "high", "name", "x"]), c, max_size=3), max_leaves=6),
    st.builds(lambda fam, a, b: {"dist": fam, **dict(zip(FAMILY_KEYS[fam], (a, b)))},
              st.sampled_from(sorted(FAMILY_KEYS)), EXTREME_NUMBERS, EXTREME_NUMBERS),
    st.integers(min_value=1, max_value=60).map(lambda depth: _nested(depth)),
)


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(BASES)))
    cfg = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(key_paths(cfg))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = cfg
        for k in path[:-1]:
            parent = parent[k]
        kind = draw(st.sampled_from(["delete", "replace", "replace", "replace", "duplicate"]))
        last = path[-1]
        if kind == "delete":
            del parent[last]
        elif kind == "duplicate" and isinstance(parent[last], list) and parent[last]:
            parent[last].append(copy.deepcopy(parent[last][0]))
        else:
            parent[last] = draw(VALUES)
    return cfg


def check_outcome(result, what: str, summary: bool = False) -> None:
    """Exit 0 with finite JSON (for a run) or exit 2 with exactly one line that is not a warning."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
    assert result.exit_code in (0, 2), (what, result.exit_code, result.stderr[-500:])
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    if result.exit_code == 2:
        assert len(lines) == 1, (what, result.stderr[-500:])
        assert "Traceback" not in result.stderr
    elif summary:  # exit 0 of a run: its JSON summary on stdout, every number finite
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{what}: {c} in the JSON"))


def write(tmp_path: Path, cfg: dict) -> Path | None:
    try:
        text = tomli_w.dumps(cfg)
    except (TypeError, ValueError, RecursionError):
        return None
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cfg=mutated())
def test_mutated_configs_run_or_fail_in_one_line(tmp_path_factory, cfg):
    path = write(tmp_path_factory.mktemp("fuzz"), cfg)
    assume(path is not None)
    check_outcome(invoke("validate", path), f"validate {cfg}")
    check_outcome(invoke("run", path, *RUN), f"run {cfg}", summary=True)


SET_KEYS = st.sampled_from([
    "scenario.years", "scenario.start", "scenario.steps_per_year", "scenario.name", "company.revenue", "company.cash",
    "company.tax_rate", "revenue.growth", "revenue.volatility", "revenue.growth_volatility", "revenue.mean_reversion",
    "cloud.spend", "cloud.pricing.volatility", "cloud.pricing.drift", "cloud.commitment.total", "cloud.commitment.years",
    "cash_flow.interest_rate", "revenue.shocks.competition.rate", "revenue.shocks.competition.change",
    "policy.cash_floor", "nope.nothing", "revenue.ai_uplift.delay_years",
])
SET_VALUES = st.one_of(
    HOSTILE_TEXT,
    EXTREME_NUMBERS.map(lambda x: repr(x) if not isinstance(x, float) or math.isfinite(x) else str(x)),
    st.text(max_size=15),
    st.integers(1, 20000).map(lambda d: "[" * d + "1" + "]" * d),
    st.sampled_from(['{ dist = "normal", mean = 0, sd = 1e300 }', '{ dist = "lognormal", median = 1e12, sigma = 50 }', "true", "[]", "{}"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=SET_KEYS, value=SET_VALUES)
def test_set_values_run_or_fail_in_one_line(key, value):
    check_outcome(invoke("run", "pinterest_aws_2031", "--set", f"{key}={value}", *RUN), f"run --set {key}={value!r}", summary=True)


@pytest.mark.parametrize("text", [
    '[scenario]\nname = "x"\n' + "v = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "\ufeff" + (CONFIGS / "pinterest_aws_2031.toml").read_text(),
])
def test_deep_nesting_and_byte_order_mark(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", path)
    check_outcome(result, "validate")
    assert result.exit_code == (0 if text.startswith("\ufeff") else 2), result.stderr
