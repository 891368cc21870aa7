"""Parameter sweeps: designs (grids, Latin hypercube, sweep files), the cell runner, the results table.

A sweep runs one scenario many times, each *cell* with a few config keys set
to other values (``--set``-style overrides on top of the base config).  Every
cell uses the same seed, paths and block size, hence the same random numbers
(common random numbers): differences between cells are the inputs' effect,
not noise.

Results are resumable.  Each finished cell is written atomically to
``OUT/cells/KEY.json``, where KEY hashes (resolved config, seed, paths, block
size, quantile method); a rerun skips cells whose file exists, so Ctrl-C or
a dead worker loses at most the cells in flight.  ``OUT/manifest.json``
records the sweep; when every cell is done the tidy table (one row per cell)
is written to ``OUT/sweep.csv`` and ``OUT/sweep.parquet`` (with pyarrow),
with plots (``heatmap.png``, ``lines.png``, see ``sim.analysis.sweep_plots``) for one or two swept keys.

>>> from sim.analysis.sweep import grid_axis, build_design, run_sweep
>>> design = build_design(grids=[grid_axis("cloud.commitment.total=3B,4B,5B")])
>>> out = run_sweep("pinterest_aws_2031", design, "sweep-out", paths=100_000)  # doctest: +SKIP
>>> out.table[["cloud.commitment.total", "p_cash_breach", "p_cash_breach_lo", "p_cash_breach_hi"]]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import os
import re
import threading
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from sim.model import ConfigError

MANIFEST_FILE = "manifest.json"
CELLS_DIR = "cells"
TABLE_CSV = "sweep.csv"
TABLE_PARQUET = "sweep.parquet"
HEATMAP_PNG = "heatmap.png"
LINES_PNG = "lines.png"
DEFAULT_SWEEP_PATHS = 100_000

# Probabilities in the table, each with its Wilson 95% interval as _lo / _hi columns.
PROBABILITIES = ("p_cash_breach", "p_profit_compression_any", "p_commitment_shortfall", "p_breach_and_compression")
LABELS = {
    "p_cash_breach": "P(cash < floor)",
    "p_profit_compression_any": "P(profit compression)",
    "p_commitment_shortfall": "P(commitment shortfall)",
    "p_breach_and_compression": "P(breach and compression)",
}


# ---------------------------------------------------------------------------
# Values: splitting lists, numbers with units, TOML text for overrides
# ---------------------------------------------------------------------------


def split_values(text: str) -> list[str]:
    """Split ``a,b,c`` on top-level commas (not inside quotes, brackets or braces)."""
    parts, depth, quote, current = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def parse_quantity(text: str) -> float:
    """A number as written on the command line: ``0.3``, ``5%``, ``4000``, ``3.5B``, ``$250M``.

    Raises
    ------
    ValueError
        When it is none of these.
    """
    from sim.model.units import parse_money, parse_number

    try:
        return parse_number(text)
    except ValueError:
        pass
    try:
        return parse_money(text)
    except ValueError:
        raise ValueError(f"expected a number, percent or amount of money, got {text!r}") from None


def _is_int_text(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text.strip()) is not None


def toml_value(value: Any) -> str:
    """``value`` (as read from TOML) as TOML text for an override: strings quoted, tables inline."""
    from sim.model import toml_value

    return toml_value(value)


def number_text(x: float, integer: bool) -> str:
    """Override text for a computed value: an integer, or a float to 12 significant digits (``0.7``, not ``0.7000000000000001``)."""
    return str(int(round(x))) if integer else repr(float(f"{x:.12g}"))


# ---------------------------------------------------------------------------
# Designs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One swept key and its values as override text (``--grid KEY=...``)."""

    key: str
    values: tuple[str, ...]
    source: str = "--grid"


@dataclass(frozen=True)
class Range:
    """One key of a Latin hypercube: values in [lo, hi] (integers when ``integer``)."""

    key: str
    lo: float
    hi: float
    integer: bool = False
    source: str = "--range"


@dataclass
class Design:
    """The cells of a sweep: ``cells[i]`` maps each swept key to its override text.

    ``grid_shape`` is the grid's shape when the design is a full grid (in
    ``keys`` order, the first key varying slowest), else ``None``.
    """

    keys: list[str]
    cells: list[dict[str, str]]
    sources: dict[str, str] = field(default_factory=dict)
    spec: dict = field(default_factory=dict)
    grid_shape: tuple[int, ...] | None = None


def _split_key(spec: str, source: str) -> tuple[str, str]:
    key, eq, rest = spec.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not eq or not all(parts):
        raise ConfigError(source, "", f"{spec!r}: expected KEY=VALUES")
    return ".".join(parts), rest.strip()


def _bounds(key: str, lo_text: str, hi_text: str, source: str) -> tuple[float, float, bool]:
    try:
        lo, hi = parse_quantity(lo_text), parse_quantity(hi_text)
    except ValueError as e:
        raise ConfigError(source, key, str(e)) from None
    if lo > hi:
        raise ConfigError(source, key, f"range {lo_text}:{hi_text} has lo > hi")
    return lo, hi, _is_int_text(lo_text) and _is_int_text(hi_text)


_RANGE3 = re.compile(r"^([^:,\[\]{}\"']+):([^:,\[\]{}\"']+):\s*(\d+)\s*$")


def grid_axis(spec: str, source: str = "--grid") -> Axis:
    """Parse ``KEY=V1,V2,...`` or ``KEY=LO:HI:N`` (N evenly spaced values, ends included).

    Values are override text (``3B``, ``0.5``, ``"term"``, ``{dist = ...}``).

    Raises
    ------
    ConfigError
        ``--grid: KEY: problem`` for empty values, bad ranges, lo > hi.
    """
    key, rest = _split_key(spec, source)
    m = _RANGE3.match(rest)
    if m:
        lo, hi, integer = _bounds(key, m[1].strip(), m[2].strip(), source)
        n = int(m[3])
        if n < 1 or (n == 1 and lo != hi):
            raise ConfigError(source, key, f"{rest}: needs at least 2 values from {m[1].strip()} to {m[2].strip()}")
        xs = [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n - 1)] + [hi]
        integer = integer and all(float(x).is_integer() for x in xs)
        values = [number_text(x, integer) for x in xs]
    else:
        values = split_values(rest) if rest else []
        if not values or not all(values):
            raise ConfigError(source, key, "empty grid (give values a,b,c or a range lo:hi:n)")
    if len(set(values)) != len(values):
        raise ConfigError(source, key, "repeated values in the grid")
    return Axis(key, tuple(values), source)


def lhs_range(spec: str, source: str = "--range") -> Range:
    """Parse ``KEY=LO:HI`` for a Latin hypercube (integers when both ends are)."""
    key, rest = _split_key(spec, source)
    lo_text, colon, hi_text = rest.partition(":")
    if not colon or not lo_text.strip() or not hi_text.strip() or ":" in hi_text:
        raise ConfigError(source, key, f"{rest!r}: expected LO:HI")
    lo, hi, integer = _bounds(key, lo_text.strip(), hi_text.strip(), source)
    return Range(key, lo, hi, integer, source)


def latin_hypercube(n: int, d: int, seed: int = 0) -> np.ndarray:
    """``n`` points in [0, 1)^d, one in each of the ``n`` strata of every axis.

    Deterministic in ``seed`` (its own stream, unrelated to the simulation's).
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5EED])))
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def build_design(
    grids: Sequence[Axis] = (),
    lhs: int | None = None,
    ranges: Sequence[Range] = (),
    lhs_seed: int = 0,
    cells: Sequence[dict[str, str]] = (),
    cells_source: str = "cells",
) -> Design:
    """Combine a grid, a Latin hypercube and explicit cells.

    The grid's cells come first (the first axis varying slowest); with a Latin
    hypercube too, every grid cell is paired with every hypercube point; the
    explicit ``cells`` (key -> override text) follow.

    Raises
    ------
    ConfigError
        For an empty design, a key given twice, a hypercube without ranges
        (or ranges without ``lhs``), or fewer than one hypercube point.
    """
    sources: dict[str, str] = {}
    for key, src in [(a.key, a.source) for a in grids] + [(r.key, r.source) for r in ranges]:
        if key in sources:
            raise ConfigError(src, key, "swept twice")
        sources[key] = src
    if lhs is not None and lhs < 1:
        raise ConfigError("--lhs", "", f"needs at least 1 sample (got {lhs})")
    if ranges and lhs is None:
        raise ConfigError(ranges[0].source, ranges[0].key, "a range needs --lhs N (the number of samples)")
    if lhs is not None and not ranges:
        raise ConfigError("--lhs", "", "needs at least one --range KEY=LO:HI")

    design_cells: list[dict[str, str]] = [dict(zip([a.key for a in grids], combo)) for combo in itertools.product(*[a.values for a in grids])] if grids else []
    if lhs is not None:
        u = latin_hypercube(lhs, len(ranges), lhs_seed)
        points = [
            {r.key: number_text(r.lo + (r.hi - r.lo) * u[i, j], r.integer) for j, r in enumerate(ranges)}
            for i in range(lhs)
        ]
        design_cells = [{**g, **p} for g in (design_cells or [{}]) for p in points]
    for cell in cells:
        for key in cell:
            sources.setdefault(key, cells_source)
    design_cells += [dict(c) for c in cells]
    if not design_cells:
        raise ConfigError("sim sweep", "", "nothing to sweep: give --grid KEY=VALUES, --lhs N with --range KEY=LO:HI, or a sweep file")
    keys = list(sources)
    spec = {
        "grid": {a.key: list(a.values) for a in grids},
        "lhs": {"samples": lhs, "seed": lhs_seed, "ranges": {r.key: [r.lo, r.hi] for r in ranges}} if lhs is not None else None,
        "cells": [dict(c) for c in cells],
    }
    full_grid = bool(grids) and lhs is None and not cells
    return Design(keys, design_cells, sources, spec, tuple(len(a.values) for a in grids) if full_grid else None)


# ---------------------------------------------------------------------------
# Sweep files
# ---------------------------------------------------------------------------

SWEEP_FILE_KEYS = {"config", "set", "paths", "seed", "block_size", "quantiles", "target", "grid", "lhs", "cells"}


def _flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys; a distribution table (with ``dist``) is a value."""
    out = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "dist" not in v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def read_sweep_file(path: str | os.PathLike) -> dict:
    """Read a sweep file (TOML); see ``docs/CLUSTER.md`` for its keys.

    Returns
    -------
    dict
        ``config``, ``set``, ``paths``, ``seed``, ``block_size``,
        ``quantiles``, ``target`` as given (``None`` when absent) and
        ``design``, a :class:`Design`.

    Raises
    ------
    ConfigError
        ``FILE: key: problem`` for anything unreadable or malformed.
    """
    label = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(label, "", "file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(label, "", f"TOML syntax error: {e}") from None
    except OSError as e:
        raise ConfigError(label, "", f"cannot read file ({e.strerror or e})") from None
    unknown = sorted(set(raw) - SWEEP_FILE_KEYS)
    if unknown:
        raise ConfigError(label, unknown[0], f"unknown key (known: {', '.join(sorted(SWEEP_FILE_KEYS))})")

    def expect(key, kind, what):
        value = raw.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ConfigError(label, key, f"expected {what}")
        return value

    for key in ("paths", "seed", "block_size"):
        expect(key, int, "an integer")
    for key in ("config", "quantiles", "target"):
        expect(key, str, "a string")
    overrides = expect("set", list, "an array of \"KEY=VALUE\" strings") or []
    if not all(isinstance(o, str) for o in overrides):
        raise ConfigError(label, "set", "expected an array of \"KEY=VALUE\" strings")

    grids = []
    for key, value in _flatten(expect("grid", dict, "a table of KEY = [values] or \"lo:hi:n\"") or {}).items():
        where = f"grid.{key}"
        if isinstance(value, str):
            grids.append(grid_axis(f"{key}={value}", source=label))
        elif isinstance(value, list):
            if not value:
                raise ConfigError(label, where, "empty grid")
            grids.append(grid_axis(f"{key}=" + ",".join(toml_value(v) for v in value), source=label))
        else:
            raise ConfigError(label, where, "expected an array of values or a range \"lo:hi:n\"")

    lhs, ranges, lhs_seed = None, [], 0
    table = expect("lhs", dict, "a table with samples, seed and [lhs.ranges]")
    if table is not None:
        extra = sorted(set(table) - {"samples", "seed", "ranges"})
        if extra:
            raise ConfigError(label, f"lhs.{extra[0]}", "unknown key (known: samples, seed, ranges)")
        lhs, lhs_seed = table.get("samples"), table.get("seed", 0)
        if not isinstance(lhs, int) or isinstance(lhs, bool):
            raise ConfigError(label, "lhs.samples", "expected an integer")
        if not isinstance(lhs_seed, int) or isinstance(lhs_seed, bool) or lhs_seed < 0:
            raise ConfigError(label, "lhs.seed", "expected a non-negative integer")
        ranges_table = table.get("ranges")
        if not isinstance(ranges_table, dict):
            raise ConfigError(label, "lhs.ranges", "expected a table of KEY = [lo, hi]")
        for key, value in _flatten(ranges_table).items():
            if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value):
                text = f"{value[0]}:{value[1]}"
            elif isinstance(value, str):
                text = value
            else:
                raise ConfigError(label, f"lhs.ranges.{key}", "expected [lo, hi] or \"lo:hi\"")
            ranges.append(lhs_range(f"{key}={text}", source=label))

    cells = []
    for i, cell in enumerate(expect("cells", list, "an array of tables [[cells]]") or []):
        if not isinstance(cell, dict) or not cell:
            raise ConfigError(label, f"cells[{i}]", "expected a table of KEY = value")
        cells.append({k: toml_value(v) for k, v in _flatten(cell).items()})

    design = build_design(grids, lhs, ranges, lhs_seed, cells, cells_source=label)
    out = {k: raw.get(k) for k in ("config", "paths", "seed", "block_size", "quantiles", "target")}
    out["set"] = list(overrides)
    out["design"] = design
    return out


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_TARGET_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


def metric_names() -> list[str]:
    """Columns of the results table a target can name."""
    names = list(PROBABILITIES) + ["expected_shortfall_total", "min_cash_mean", "min_cash_es5"]
    from sim.engine.aggregate import QUANTILES

    return names + [f"min_cash_p{round(q * 100):02d}" for q in QUANTILES]


@dataclass(frozen=True)
class Target:
    """``METRIC OP VALUE``, e.g. ``p_cash_breach<=0.05``, over a results row."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    def met(self, row: dict) -> bool:
        """Whether the row's estimate meets the target."""
        return bool(_OPS[self.op](row[self.metric], self.value))

    @property
    def has_ci(self) -> bool:
        return self.metric in PROBABILITIES

    def surely(self, row: dict) -> bool | None:
        """True when the whole 95% interval meets the target, False when none of it does, else None."""
        if not self.has_ci:
            return self.met(row)
        lo, hi = row[self.metric + "_lo"], row[self.metric + "_hi"]
        ends = (_OPS[self.op](lo, self.value), _OPS[self.op](hi, self.value))
        return ends[0] if ends[0] == ends[1] else None


def parse_target(text: str, source: str = "--target") -> Target:
    """Parse ``METRIC<=VALUE`` (also ``<``, ``>=``, ``>``; VALUE may be ``5%`` or money).

    Raises
    ------
    ConfigError
        ``--target: problem`` for text that is not a target or names an unknown metric.
    """
    m = _TARGET_RE.match(text or "")
    if not m:
        raise ConfigError(source, "", f"cannot read {text!r}: expected METRIC OP VALUE with OP one of <=, <, >=, > (e.g. 'p_cash_breach<=0.05')")
    metric, op, value_text = m.groups()
    known = metric_names()
    if metric not in known:
        raise ConfigError(source, "", f"unknown metric {metric!r} (known: {', '.join(known)})")
    try:
        value = parse_quantity(value_text)
    except ValueError as e:
        raise ConfigError(source, "", f"{text!r}: {e}") from None
    return Target(metric, op, value)


# ---------------------------------------------------------------------------
# Cells: scenarios, keys, rows
# ---------------------------------------------------------------------------


@dataclass
class Cell:
    """One cell: its index, swept values (override text), resolved scenario and result key."""

    index: int
    values: dict[str, str]
    scenario: Any
    key: str
    resolved: dict[str, Any]


def cell_key(scenario, seed: int, paths: int, block_size: int, quantiles: str) -> str:
    """The hash that names a cell's result: resolved config, seed, paths, block size, quantile method."""
    from sim.model import scenario_hash

    ident = {"config": scenario_hash(scenario), "seed": seed, "paths": paths, "block_size": block_size, "quantiles": quantiles}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:24]


def resolved_value(scenario_dict: dict, key: str) -> Any:
    """The value at dotted ``key`` of a resolved scenario dict (elements of arrays by name), or None."""
    node: Any = scenario_dict
    for part in key.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            node = next((e for e in node if isinstance(e, dict) and e.get("name") == part), None)
        else:
            return None
        if node is None:
            return None
    return node


def _column_value(value: Any, text: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value
    return text  # a distribution or table: keep what was written


def prepare_cells(config, design: Design, overrides: Sequence[str], seed: int, paths: int, block_size: int, quantiles: str) -> list[Cell]:
    """Load and validate every cell's scenario (before anything runs).

    Raises
    ------
    ConfigError
        The first invalid cell, attributed to the option or file that swept
        the key (``--grid: revenue.ai_uplift.probability: must be between 0 and 1``).
    """
    from sim.model import load_scenario as load
    from sim.model import scenario_to_dict

    load(config, overrides)  # a broken base config is reported as itself, before any cell
    out = []
    for i, values in enumerate(design.cells):
        cell_overrides = list(overrides) + [f"{k}={v}" for k, v in values.items()]
        try:
            scn = load(config, cell_overrides)
        except ConfigError as e:
            if e.source == "--set":
                for key in values:
                    if e.key == key or e.key.startswith(key + ".") or key.startswith(e.key + "."):
                        raise ConfigError(design.sources.get(key, "--grid"), e.key, e.problem) from None
            raise
        d = scenario_to_dict(scn)
        resolved = {k: _column_value(resolved_value(d, k), v) for k, v in values.items()}
        out.append(Cell(i, dict(values), scn, cell_key(scn, seed, paths, block_size, quantiles), resolved))
    return out


def summary_row(summary: dict) -> dict:
    """The table's metric columns from a run summary."""
    row: dict[str, Any] = {}
    for name in PROBABILITIES:
        value = summary[name]
        if isinstance(value, dict):  # p_cash_breach: {estimate, ci95, ...}
            est, ci = value["estimate"], value["ci95"]
        else:
            est, ci = value, summary[name + "_ci95"]
        row[name], row[name + "_lo"], row[name + "_hi"] = est, ci[0], ci[1]
    row["expected_shortfall_total"] = summary["expected_shortfall_total"]
    mc = summary["min_cash"]
    row["min_cash_mean"] = mc["mean"]
    for q, v in mc["quantiles"].items():
        row[f"min_cash_p{round(float(q) * 100):02d}"] = v
    row["min_cash_es5"] = mc["expected_shortfall_5pct"]
    return row


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


class Stopped(Exception):
    """A cell abandoned because the sweep is stopping."""


def _write_json_atomic(path: Path, data: dict) -> None:
    from sim.files import write_atomic
    from sim.engine.results import _jsonable

    write_atomic(path, json.dumps(data, indent=1, allow_nan=False, default=_jsonable) + "\n")


def _read_cell(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "summary" in data else None


@dataclass
class SweepResult:
    """A finished sweep: ``table`` (pandas DataFrame, one row per cell), counts, files written."""

    table: Any
    cells: int
    computed: int
    reused: int
    folder: Path | None
    files: list[Path]
    seconds: float

    def __repr__(self) -> str:
        return f"<SweepResult {self.cells} cells ({self.computed} computed, {self.reused} reused) in {self.seconds:.1f} s>"


def cells_in_flight(n_blocks: int, parallelism: int, remote: bool) -> int:
    """How many cells run at once: enough to fill ``parallelism`` slots with blocks.

    A remote executor gets one cell more, so the next cell's tasks queue
    while the last ones of a cell finish.
    """
    return max(1, -(-parallelism // max(1, n_blocks))) + (1 if remote else 0)


def run_cells(
    cells: Sequence[Cell],
    paths: int,
    seed: int,
    block_size: int,
    quantiles: str,
    folder: str | os.PathLike | None = None,
    executor=None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    on_cell: Callable[[Cell, dict, bool], None] | None = None,
) -> list[dict]:
    """Run cells (skipping those already in ``folder``) and return their summaries, in cell order.

    Parameters
    ----------
    cells : sequence of Cell
        From :func:`prepare_cells`.
    folder : path, optional
        Where cell results live (``folder/KEY.json``): existing ones are
        reused, new ones written atomically as each cell finishes.
    executor : optional
        An engine executor (``sim.engine.dask_executor.DaskExecutor``); default
        local threads (``threads``, default all cores).
    progress : callable, optional
        Called with fractions of a cell as blocks finish.
    on_cell : callable, optional
        ``on_cell(cell, summary, computed)`` after each cell (reused ones
        first), in this thread; an exception from it stops the sweep.

    Ctrl-C (or an error) stops the cells in flight at their next block;
    finished cells stay written.
    """
    from sim.engine.simulate import ThreadExecutor, block_sizes, run_blocks
    from sim.engine.results import Result, summarize

    folder = Path(folder) if folder is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict] = {}  # by cell key: a design may list the same cell twice
    same_key: dict[str, list[Cell]] = {}
    for cell in cells:
        same_key.setdefault(cell.key, []).append(cell)
    pending = []
    for key, group in same_key.items():
        data = _read_cell(folder / f"{key}.json") if folder is not None else None
        if data is not None:
            summaries[key] = data["summary"]
        else:
            pending.append(group[0])
    if on_cell is not None:
        for cell in cells:
            if cell.key in summaries:
                on_cell(cell, summaries[cell.key], False)
    if not pending:
        return [summaries[c.key] for c in cells]

    n_blocks = len(block_sizes(paths, block_size))
    remote = executor is not None
    parallelism = executor.parallelism if remote else max(1, threads or os.cpu_count() or 1)
    window = min(len(pending), cells_in_flight(n_blocks, parallelism, remote))
    cell_threads = max(1, parallelism // window)
    stop = threading.Event()
    lock = threading.Lock()

    def run_one(cell: Cell) -> dict:
        def blocks_done(n: int) -> None:
            if stop.is_set():
                raise Stopped()
            if progress is not None:
                with lock:
                    progress(n / paths)

        data = run_blocks(
            cell.scenario, paths, seed, block_size=block_size, record_steps=False, quantiles=quantiles,
            progress=blocks_done, executor=executor if remote else ThreadExecutor(cell_threads),
        )
        summary = json.loads(Result(summarize(data)).to_json())  # exactly what a reused cell reads back
        if folder is not None:
            record = {"key": cell.key, "index": cell.index, "values": cell.values, "resolved": cell.resolved, "summary": summary}
            _write_json_atomic(folder / f"{cell.key}.json", record)
        return summary

    queue = iter(pending)
    with ThreadPoolExecutor(max_workers=window, thread_name_prefix="sim-cell") as pool:
        running = {}

        def fill():
            while len(running) < window:
                cell = next(queue, None)
                if cell is None:
                    return
                running[pool.submit(run_one, cell)] = cell

        try:
            fill()
            while running:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    cell = running.pop(future)
                    summaries[cell.key] = future.result()
                    if on_cell is not None:
                        for same in same_key[cell.key]:
                            on_cell(same, summaries[cell.key], same is cell)
                fill()
        finally:
            stop.set()  # cells in flight stop at their next block
            for future in running:
                future.cancel()
            for future in list(running):
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - Stopped, or a second error: the first is already propagating
                    pass
    return [summaries[c.key] for c in cells]


def table_rows(cells: Sequence[Cell], summaries: Sequence[dict]) -> list[dict]:
    """One dict per cell: cell index, swept values, metrics, identity columns."""
    rows = []
    for cell, summary in zip(cells, summaries):
        row = {"cell": cell.index, **cell.resolved, **summary_row(summary)}
        row.update(paths=summary["paths"], seed=summary["seed"], block_size=summary["block_size"], quantile_method=summary["quantile_method"], config_hash=summary["config_hash"], key=cell.key)
        rows.append(row)
    return rows


def _manifest(config, design: Design, overrides, paths, seed, block_size, quantiles, target, cells, done, status) -> dict:
    from sim import __version__
    return {
        "sim_version": __version__,
        "status": status,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": os.fspath(config) if not isinstance(config, dict) else "<dict>",
        "set": list(overrides),
        "paths": paths,
        "seed": seed,
        "block_size": block_size,
        "quantiles": quantiles,
        "target": str(target) if target is not None else None,
        "keys": design.keys,
        "design": design.spec,
        "grid_shape": list(design.grid_shape) if design.grid_shape else None,
        "cells_total": len(cells),
        "cells_done": sum(done),
        "cells": [{"index": c.index, "key": c.key, "values": c.values, "done": d} for c, d in zip(cells, done)],
    }


def run_sweep(
    config,
    design: Design,
    out: str | os.PathLike,
    paths: int = DEFAULT_SWEEP_PATHS,
    seed: int = 0,
    block_size: int | None = None,
    quantiles: str = "auto",
    overrides: Sequence[str] = (),
    target: Target | None = None,
    executor=None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    on_cell: Callable[[Cell, dict, bool], None] | None = None,
    plots: bool = True,
) -> SweepResult:
    """Run a sweep into folder ``out``, resuming from the cells already there.

    Parameters
    ----------
    config : str, path or dict
        The base scenario (what ``sim.load`` accepts).
    design : Design
        From :func:`build_design` or :func:`read_sweep_file`.
    out : path
        The sweep folder (created): ``manifest.json``, ``cells/``, the
        table and plots.
    paths, seed, block_size, quantiles
        The same for every cell (common random numbers).
    overrides : sequence of str
        ``--set`` overrides applied to every cell, before the swept values.
    target : Target, optional
        Cells meeting it are outlined in the heatmap.
    executor, threads, progress, on_cell
        As :func:`run_cells`.
    plots : bool
        Write ``heatmap.png`` / ``lines.png`` when they apply.

    Raises
    ------
    ConfigError
        A cell's config is invalid (nothing has run yet).
    """
    import pandas as pd

    from sim.engine.simulate import DEFAULT_BLOCK_SIZE

    t0 = time.perf_counter()
    block_size = block_size or DEFAULT_BLOCK_SIZE
    folder = Path(out)
    cells = prepare_cells(config, design, overrides, seed, paths, block_size, quantiles)
    folder.mkdir(parents=True, exist_ok=True)
    cells_dir = folder / CELLS_DIR
    done = [False] * len(cells)
    counts = {"computed": 0, "reused": 0}

    def record(cell, summary, computed):
        done[cell.index] = True
        counts["computed" if computed else "reused"] += 1
        if on_cell is not None:
            on_cell(cell, summary, computed)

    def manifest(status):
        _write_json_atomic(folder / MANIFEST_FILE, _manifest(config, design, overrides, paths, seed, block_size, quantiles, target, cells, done, status))

    manifest("running")
    try:
        summaries = run_cells(cells, paths, seed, block_size, quantiles, cells_dir, executor, threads, progress, record)
    except BaseException:
        manifest("interrupted")
        raise
    table = pd.DataFrame(table_rows(cells, summaries))
    files = write_table(table, folder)
    if plots:
        from sim.analysis.sweep_plots import write_plots

        files += write_plots(table, design, folder, target)
    manifest("complete")
    return SweepResult(table, len(cells), counts["computed"], counts["reused"], folder, files, time.perf_counter() - t0)


def write_table(table, folder: str | os.PathLike) -> list[Path]:
    """Write ``sweep.csv`` and, when pyarrow is installed, ``sweep.parquet`` (atomically)."""
    import io

    from sim.files import write_atomic, write_bytes_atomic
    from sim.present.tables import parquet_available

    folder = Path(folder)
    files = [folder / TABLE_CSV]
    write_atomic(files[0], table.to_csv(index=False))
    if parquet_available():
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        files.append(folder / TABLE_PARQUET)
        write_bytes_atomic(files[1], buf.getvalue())
    return files


def load_table(folder: str | os.PathLike):
    """The results table of a finished sweep folder (Parquet when present, else CSV)."""
    import pandas as pd

    folder = Path(folder)
    if (folder / TABLE_PARQUET).exists():
        try:
            return pd.read_parquet(folder / TABLE_PARQUET)
        except ImportError:
            pass
    return pd.read_csv(folder / TABLE_CSV)


def __getattr__(name):
    # the plots live in sim.analysis.sweep_plots (matplotlib is imported only when drawing)
    if name in ("heatmap", "line_plot", "write_plots"):
        from sim.analysis import sweep_plots
        return getattr(sweep_plots, name)
    raise AttributeError(f"module 'sim.analysis.sweep' has no attribute {name!r}")
