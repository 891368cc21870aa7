"""``--set KEY=VALUE`` overrides applied to a raw scenario dict.

KEY is a dotted key as in the TOML; an element of an array of tables is
addressed by its ``name`` (``cloud.silicon.graviton.savings``).  VALUE is
read as a TOML value (``0.3``, ``"x"``, ``[1, 2]``,
``{dist = "normal", mean = 0.1, sd = 0.02}``); when it is not valid TOML it
is kept as a string, so ``5B``, ``30%`` and ``2031-03`` work unquoted.

Missing tables on the way are created (``revenue.ai_uplift.probability=0.5``
without an ``[revenue.ai_uplift]`` table), keys inside an inline
distribution table can be set (``revenue.growth.sd=0.03``), and a whole
element can be replaced or added with a table value
(``revenue.shocks.pandemic={rate = 0.05, change = -0.2}``).  Validation
happens afterwards, in ``sim.model.load.load_scenario``.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Sequence
from typing import Any

from sim.model.errors import TABLE_ARRAYS, ConfigError
from sim.model.units import parse_money

__all__ = ["apply_overrides", "parse_override", "override_keys"]

SOURCE = "--set"


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``"KEY=VALUE"`` into the key's parts and the parsed value.

    Raises
    ------
    ConfigError
        ``--set: TEXT: expected KEY=VALUE`` when there is no ``=`` or the
        key has an empty part.
    """
    key, eq, value = text.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not eq or not all(parts):
        raise ConfigError(SOURCE, text, "expected KEY=VALUE")
    try:
        parsed = tomllib.loads("v = " + value)
    except tomllib.TOMLDecodeError:
        return parts, value.strip()
    except RecursionError:
        raise ConfigError(SOURCE, key.strip(), "value nested too deeply (arrays or tables inside each other)") from None
    if list(parsed) != ["v"]:  # e.g. a newline smuggling in a second key
        return parts, value.strip()
    return parts, parsed["v"]


def override_keys(overrides: Sequence[str]) -> list[str]:
    """The dotted keys that ``overrides`` set (well-formed ones only)."""
    keys = []
    for text in overrides:
        key, eq, _ = text.partition("=")
        parts = [p.strip() for p in key.split(".")]
        if eq and all(parts):
            keys.append(".".join(parts))
    return keys


def _names(elements: list[Any]) -> list[str]:
    return [str(e.get("name")) for e in elements if isinstance(e, dict) and "name" in e]


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(e, dict) for e in value)


def _element(elements: list[dict], name: str, where: str) -> dict:
    for e in elements:
        if e.get("name") == name:
            return e
    if elements and not _names(elements):
        raise ConfigError(SOURCE, where, "these elements have no names to address them by; edit the file")
    known = ", ".join(_names(elements)) or "none"
    raise ConfigError(SOURCE, where, f"no element named '{name}' (known: {known})")


def _set(raw: dict, parts: list[str], value: Any) -> None:
    node: Any = raw
    i = 0
    while i < len(parts):
        part = parts[i]
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if not isinstance(node, dict):
            above = ".".join(parts[:i])
            raise ConfigError(SOURCE, here, f"{above} is a value, not a table (set {above} itself)")
        child = node.get(part)
        is_array = (here in TABLE_ARRAYS and (child is None or isinstance(child, list))) or _is_table_array(child)
        if last:
            node[part] = value
            return
        if is_array:
            # The next part names an element of the array of tables.
            elements = child if isinstance(child, list) else []
            name = parts[i + 1]
            where = f"{here}.{name}"
            if i + 1 == len(parts) - 1 and isinstance(value, dict):
                # A whole element: replace it, or add it, keeping its name.
                element = {"name": name, **{k: v for k, v in value.items() if k != "name"}}
                for j, e in enumerate(elements):
                    if isinstance(e, dict) and e.get("name") == name:
                        elements[j] = element
                        break
                else:
                    elements.append(element)
                node[part] = elements
                return
            if i + 1 == len(parts) - 1:
                raise ConfigError(SOURCE, where, f"an element of {here} must be set to a table, e.g. {{rate = 0.1}}")
            node = _element(elements, name, where)
            i += 2
            continue
        if child is None:
            child = node[part] = {}
        node = child
        i += 1
    raise AssertionError("unreachable")  # pragma: no cover


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to a scenario dict.

    Parameters
    ----------
    raw : dict
        The scenario as read from TOML; not modified.
    overrides : sequence of str
        ``"KEY=VALUE"`` strings, applied in order.

    Returns
    -------
    dict
        A new dict with the overrides applied.

    Raises
    ------
    ConfigError
        With source ``--set``: a malformed override, an unknown element
        name, or a key that goes through a plain value.
    """
    out = copy.deepcopy(dict(raw))
    for text in overrides:
        parts, value = parse_override(text)
        _set(out, parts, value)
    keys = override_keys(overrides)
    for commitment, key in _commitments(out):
        if f"{key}.total" in keys and f"{key}.minimums" not in keys:
            _rescale_minimums(commitment)
    return out


def _commitments(raw: dict[str, Any]) -> list[tuple[dict, str]]:
    """Each commitment table of a raw scenario with its dotted key."""
    cloud = raw.get("cloud")
    if not isinstance(cloud, dict):
        return []
    out = []
    if isinstance(cloud.get("commitment"), dict):
        out.append((cloud["commitment"], "cloud.commitment"))
    elements = cloud.get("commitments")
    if isinstance(elements, list):
        out += [(e, f"cloud.commitments.{e['name']}") for e in elements if isinstance(e, dict) and isinstance(e.get("name"), str)]
    return out


def _rescale_minimums(commitment: dict[str, Any]) -> None:
    """A new commitment total keeps the shape of the yearly minimums.

    ``--set cloud.commitment.total=5B`` (or ``cloud.commitments.NAME.total``)
    on a deal with explicit minimums scales every minimum by new total / old
    total, which is what "a bigger deal on the same ramp" means; otherwise the
    total would contradict the minimums.  Under ``shortfall = "both"`` the
    total is a separate term total, so the annual floors stay.
    """
    if not isinstance(commitment.get("minimums"), list) or commitment.get("shortfall") == "both":
        return
    try:
        total = parse_money(commitment["total"])
        minimums = [parse_money(m) for m in commitment["minimums"]]
    except (KeyError, TypeError, ValueError):
        return  # validation reports the bad value with its key
    old = sum(minimums)
    if old > 0:
        commitment["minimums"] = [m * total / old for m in minimums]
