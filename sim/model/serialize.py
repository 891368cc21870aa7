"""A Scenario as plain data, TOML text and a hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sim.model.distributions import Dist
from sim.model.errors import NAME_RE

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.schema import Scenario

def _left_out(model: BaseModel, name: str, item: Any) -> bool:
    """Whether a field is left out of the plain data.

    ``None`` always is.  Keys model v2 added are left out at their v1
    behaviour, so a v1 config's resolved TOML (and hash) is what v1 wrote;
    the singular ``[cloud.commitment]`` is written as that table; no
    ``[[actuals]]`` writes no ``actuals`` key.
    """
    if item is None:
        return True
    kind = type(model).__name__
    if kind == "Commitment":
        singular = getattr(model, "singular", False)
        if name == "name" or (name == "share" and item == 1.0):
            return singular
        if name == "start":
            return model.start_year is not None  # start_year says it
        if name == "rollover":
            return item == 0
        if name == "steerable":
            return name not in model.model_fields_set
    if kind == "Cloud" and name == "commitments":
        return model.commitment is not None or not item
    if kind == "Shock" and name == "recovery":
        return item == 0
    if kind == "Program" and name == "noncash":
        return item is False
    if kind == "Scenario" and name == "actuals":
        return not item
    if kind == "Actual":
        return item == "" and name in ("source", "note")
    if kind == "CashFlow":
        if name == "events":
            return not item
        if name == "working_capital":
            return name not in model.model_fields_set
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        out = {}
        names = list(type(value).model_fields)
        if "name" in names:  # an element of an array of tables: its name first
            names.remove("name")
            names.insert(0, "name")
        for name in names:
            item = getattr(value, name)
            if not _left_out(value, name, item):
                out[name] = _plain(item)
        return out
    if isinstance(value, Dist):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def scenario_to_dict(scn: Scenario) -> dict[str, Any]:
    """The scenario as plain, TOML-serialisable data.

    Money is in USD millions, distributions are inline tables (fixed values
    plain numbers), derived values are written out (commitment minimums,
    start years); ``None`` values are left out.  ``load_scenario`` of the
    result gives an equal Scenario.
    """
    return _plain(scn)


def toml_value(value: Any) -> str:
    import tomli_w

    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def _toml_key(key: str) -> str:
    return key if NAME_RE.match(key) else json.dumps(key)


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and "dist" not in value


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


def _toml_tables(path: str, table: Mapping[str, Any], out: list[str], array: bool = False) -> None:
    header = f"[[{path}]]" if array else f"[{path}]"
    # Empty arrays of tables are the default: leave them out.
    lines = [
        f"{_toml_key(k)} = {toml_value(v)}"
        for k, v in table.items()
        if not (_is_table(v) or _is_table_array(v) or v == [])
    ]
    if path and (lines or array):
        out.append(header)
    out.extend(lines)
    if lines or array:
        out.append("")
    for k, v in table.items():
        sub = f"{path}.{_toml_key(k)}" if path else _toml_key(k)
        if _is_table(v):
            _toml_tables(sub, v, out)
        elif _is_table_array(v):
            for element in v:
                _toml_tables(sub, element, out, array=True)


def scenario_to_toml(scn: Scenario) -> str:
    """The scenario as a TOML document (distributions as inline tables).

    ``load_scenario`` of the text gives an equal Scenario.
    """
    out = ["# Resolved scenario written by sim; money in USD millions.", ""]
    _toml_tables("", scenario_to_dict(scn), out)
    return "\n".join(out).rstrip("\n") + "\n"


def scenario_hash(scn: Scenario) -> str:
    """SHA-256 (hex) of the canonical JSON of ``scenario_to_dict``."""
    text = json.dumps(scenario_to_dict(scn), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
