"""A sweep's cells: each one's scenario and result key, and its row of the results table.

A cell's result is named by :func:`cell_key`, a hash of what determines its
numbers (resolved config, seed, paths, block size, quantile method), so a
rerun finds the cells already computed whatever design listed them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Sequence

from sim.analysis.sweep.design import Design, source_error
from sim.analysis.sweep.targets import COLUMNS
from sim.engine.measures import DEAL_MEASURES
from sim.engine.paired import check_deal
from sim.model import ConfigError, load_scenario, scenario_hash, scenario_to_dict
from sim.model.overrides import SOURCE as OVERRIDES_SOURCE


@dataclass
class Cell:
    """One cell: its index, swept values (override text), resolved scenario and result key."""

    index: int
    values: dict[str, str]
    scenario: Any
    key: str
    resolved: dict[str, Any]
    deal_impact: bool = False  # [v2] also run without the deal (sim.engine.paired): the deal-impact metrics


def cell_key(scenario, seed: int, paths: int, block_size: int, quantiles: str, deal_impact: bool = False) -> str:
    """The hash that names a cell's result: resolved config, seed, paths, block size, quantile method (and deal impact)."""
    ident = {"config": scenario_hash(scenario), "seed": seed, "paths": paths, "block_size": block_size, "quantiles": quantiles}
    if deal_impact:  # absent otherwise: cells of earlier sweeps keep their keys
        ident["deal_impact"] = True
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


def prepare_cells(config, design: Design, overrides: Sequence[str], seed: int, paths: int, block_size: int, quantiles: str,
                  deal_impact: bool = False) -> list[Cell]:
    """Load and validate every cell's scenario (before anything runs); ``deal_impact``: cells also run without the deal.

    Raises
    ------
    ConfigError
        The base config is invalid, or a cell from a sweep file is.
    ParameterError
        The first invalid cell, attributed to the parameter that swept the
        key (``grid: revenue.ai_uplift.probability: must be between 0 and 1``).
    """
    load_scenario(config, overrides)  # a broken base config is reported as itself, before any cell
    out = []
    for i, values in enumerate(design.cells):
        cell_overrides = list(overrides) + [f"{k}={v}" for k, v in values.items()]
        try:
            scn = load_scenario(config, cell_overrides)
        except ConfigError as e:
            if e.source == OVERRIDES_SOURCE:
                for key in values:
                    if e.key == key or e.key.startswith(key + ".") or key.startswith(e.key + "."):
                        raise source_error(design.sources.get(key, "grid"), e.key, e.problem) from None
            raise
        d = scenario_to_dict(scn)
        resolved = {k: _column_value(resolved_value(d, k), v) for k, v in values.items()}
        if deal_impact:
            check_deal(scn)
        key = cell_key(scn, seed, paths, block_size, quantiles, deal_impact)
        out.append(Cell(i, dict(values), scn, key, resolved, deal_impact))
    return out


def summary_row(summary: dict) -> dict:
    """The table's metric columns from a run summary: each measure of ``COLUMNS``, probabilities with ``_lo`` / ``_hi``."""
    row: dict[str, Any] = {}
    for m in COLUMNS + (DEAL_MEASURES if "deal_impact" in summary else ()):
        row[m.name] = m.from_summary(summary)
        ci = m.ci95_from_summary(summary)
        if ci is not None:
            row[m.name + "_lo"], row[m.name + "_hi"] = ci
    return row


def table_rows(cells: Sequence[Cell], summaries: Sequence[dict]) -> list[dict]:
    """One dict per cell: cell index, swept values, metrics, identity columns."""
    rows = []
    for cell, summary in zip(cells, summaries):
        row = {"cell": cell.index, **cell.resolved, **summary_row(summary)}
        row.update(paths=summary["paths"], seed=summary["seed"], block_size=summary["block_size"], quantile_method=summary["quantile_method"], config_hash=summary["config_hash"], key=cell.key)
        rows.append(row)
    return rows
