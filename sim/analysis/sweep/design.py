"""A sweep's design: grid axes, Latin-hypercube ranges, explicit cells, sweep files.

A design is a list of *cells*, each mapping swept config keys to override
text (what ``--set KEY=TEXT`` would take).  Where each key came from is kept
(``Design.sources``) so that a problem with a cell names it: a Python
parameter (``grid``, ``range``, ``vary``...; :class:`sim.model.ParameterError`)
or a sweep file (:class:`sim.model.ConfigError` naming the file and key).
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from sim.model import ConfigError, ParameterError, parse_money, parse_number, toml_value

# Sources of swept keys that are parameters, not sweep files: ``grid_axis``'s
# and ``lhs_range``'s specs and ``solve``'s ``vary``/``between`` (a file by one
# of these names is read as ``./NAME``, see read_sweep_file).
PARAMETERS = ("grid", "range", "lhs", "cells", "vary", "between")


def source_error(source: str, key: str, problem: str) -> ConfigError | ParameterError:
    """The error for a problem with swept ``key`` that came from ``source``.

    Returns
    -------
    ParameterError or ConfigError
        ``ParameterError(source, "KEY: problem")`` when ``source`` is one of
        :data:`PARAMETERS`; else ``ConfigError(source, key, problem)`` naming
        the sweep file.
    """
    if source in PARAMETERS:
        return ParameterError(source, f"{key}: {problem}" if key else problem)
    return ConfigError(source, key, problem)


# ---------------------------------------------------------------------------
# Values: splitting lists, numbers with units, override text
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


def number_text(x: float, integer: bool) -> str:
    """Override text for a computed value: an integer, or a float to 12 significant digits (``0.7``, not ``0.7000000000000001``)."""
    return str(int(round(x))) if integer else repr(float(f"{x:.12g}"))


# ---------------------------------------------------------------------------
# Axes, ranges, designs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One swept key and its values as override text (``grid_axis("KEY=...")``)."""

    key: str
    values: tuple[str, ...]
    source: str = "grid"


@dataclass(frozen=True)
class Range:
    """One key of a Latin hypercube: values in [lo, hi] (integers when ``integer``)."""

    key: str
    lo: float
    hi: float
    integer: bool = False
    source: str = "range"


@dataclass
class Design:
    """The cells of a sweep: ``cells[i]`` maps each swept key to its override text.

    ``sources`` maps each key to where it came from (a name in
    :data:`PARAMETERS` or a sweep file).  ``grid_shape`` is the grid's shape
    when the design is a full grid (in ``keys`` order, the first key varying
    slowest), else ``None``.
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
        raise source_error(source, "", f"{spec!r}: expected KEY=VALUES")
    return ".".join(parts), rest.strip()


def _bounds(key: str, lo_text: str, hi_text: str, source: str) -> tuple[float, float, bool]:
    try:
        lo, hi = parse_quantity(lo_text), parse_quantity(hi_text)
    except ValueError as e:
        raise source_error(source, key, str(e)) from None
    if lo > hi:
        raise source_error(source, key, f"range {lo_text}:{hi_text} has lo > hi")
    return lo, hi, _is_int_text(lo_text) and _is_int_text(hi_text)


_RANGE3 = re.compile(r"^([^:,\[\]{}\"']+):([^:,\[\]{}\"']+):\s*(\d+)\s*$")


def grid_axis(spec: str, source: str = "grid") -> Axis:
    """Parse ``KEY=V1,V2,...`` or ``KEY=LO:HI:N`` (N evenly spaced values, ends included).

    Values are override text (``3B``, ``0.5``, ``"term"``, ``{dist = ...}``).

    Raises
    ------
    ParameterError or ConfigError
        ``grid: KEY: problem`` (see :func:`source_error`) for empty values,
        bad ranges, lo > hi, repeated values.
    """
    key, rest = _split_key(spec, source)
    m = _RANGE3.match(rest)
    if m:
        lo, hi, integer = _bounds(key, m[1].strip(), m[2].strip(), source)
        n = int(m[3])
        if n < 1 or (n == 1 and lo != hi):
            raise source_error(source, key, f"{rest}: needs at least 2 values from {m[1].strip()} to {m[2].strip()}")
        xs = [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n - 1)] + [hi]
        integer = integer and all(float(x).is_integer() for x in xs)
        values = [number_text(x, integer) for x in xs]
    else:
        values = split_values(rest) if rest else []
        if not values or not all(values):
            raise source_error(source, key, "empty grid (give values a,b,c or a range lo:hi:n)")
    if len(set(values)) != len(values):
        raise source_error(source, key, "repeated values in the grid")
    return Axis(key, tuple(values), source)


def lhs_range(spec: str, source: str = "range") -> Range:
    """Parse ``KEY=LO:HI`` for a Latin hypercube (integers when both ends are).

    Raises
    ------
    ParameterError or ConfigError
        ``range: KEY: problem`` (see :func:`source_error`).
    """
    key, rest = _split_key(spec, source)
    lo_text, colon, hi_text = rest.partition(":")
    if not colon or not lo_text.strip() or not hi_text.strip() or ":" in hi_text:
        raise source_error(source, key, f"{rest!r}: expected LO:HI")
    lo, hi, integer = _bounds(key, lo_text.strip(), hi_text.strip(), source)
    return Range(key, lo, hi, integer, source)


def latin_hypercube(n: int, d: int, seed: int = 0) -> np.ndarray:
    """``n`` points in [0, 1)^d, one in each of the ``n`` strata of every axis; shape (n, d).

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
    ParameterError or ConfigError
        For a key given twice (named by its source); ``lhs`` below 1, a
        hypercube without ranges (or ranges without ``lhs``); ``grids``:
        nothing to sweep.
    """
    sources: dict[str, str] = {}
    for key, src in [(a.key, a.source) for a in grids] + [(r.key, r.source) for r in ranges]:
        if key in sources:
            raise source_error(src, key, "swept twice")
        sources[key] = src
    if lhs is not None and lhs < 1:
        raise ParameterError("lhs", f"needs at least 1 sample (got {lhs})")
    if ranges and lhs is None:
        raise source_error(ranges[0].source, ranges[0].key, "a range needs lhs, the number of samples")
    if lhs is not None and not ranges:
        raise ParameterError("lhs", "needs at least one range KEY=LO:HI")

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
        raise ParameterError("grids", "nothing to sweep: give grid axes, lhs with ranges, or cells")
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
    if label in PARAMETERS:  # a file called "grid" must not read as the parameter
        label = os.path.join(os.curdir, label)
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
        if lhs < 1:
            raise ConfigError(label, "lhs.samples", f"needs at least 1 sample (got {lhs})")
        if not isinstance(lhs_seed, int) or isinstance(lhs_seed, bool) or lhs_seed < 0:
            raise ConfigError(label, "lhs.seed", "expected a non-negative integer")
        ranges_table = table.get("ranges")
        if not isinstance(ranges_table, dict) or not ranges_table:
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

    if not grids and lhs is None and not cells:
        raise ConfigError(label, "", "nothing to sweep: give [grid], [lhs] with [lhs.ranges], or [[cells]]")
    design = build_design(grids, lhs, ranges, lhs_seed, cells, cells_source=label)
    out = {k: raw.get(k) for k in ("config", "paths", "seed", "block_size", "quantiles", "target")}
    out["set"] = list(overrides)
    out["design"] = design
    return out
