"""Locating, reading, overriding and validating scenarios into a ``Scenario``."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from sim.model.actuals import actual_label
from sim.model.errors import TABLE_ARRAYS, ConfigError
from sim.model.overrides import apply_overrides, override_keys
from sim.model.schema import Scenario
from sim.model.serialize import scenario_to_dict
from sim.model.units import describe_value

def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_class(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    cls: type[BaseModel] | None = Scenario
    for item in loc:
        if isinstance(item, int):
            continue
        field = cls.model_fields.get(item) if cls else None
        if field is None:
            return None
        cls = _model_class(field.annotation)
    return cls


def _locate(loc: Sequence[Any], raw: Any) -> tuple[list[str], str]:
    """Dotted key parts for a pydantic ``loc`` and a prefix for the message.

    Elements of arrays of tables are named by their ``name``; an entry of a
    plain array (``minimums``) becomes ``entry N:`` in the message;
    correlations are named by their pair, actuals by number, metric (or
    event) and year: ``entry 3 (revenue 2018):``.
    """
    parts: list[str] = []
    prefix = ""
    node = raw
    for pos, item in enumerate(loc):
        if isinstance(item, int):
            element = node[item] if isinstance(node, (list, tuple)) and -len(node) <= item < len(node) else None
            if parts == ["actuals"]:
                label = actual_label(element) if isinstance(element, Mapping) else ""
                prefix = f"entry {item + 1} ({label}): " if label else f"entry {item + 1}: "
                rest = [str(x) for x in loc[pos + 1 :]]
                if rest:
                    prefix += ".".join(rest) + ": "
                return parts, prefix
            if parts == ["correlations"]:
                between = element.get("between") if isinstance(element, Mapping) else None
                if isinstance(between, (list, tuple)) and len(between) == 2:
                    prefix = f"{between[0]} ~ {between[1]}: "
                else:
                    prefix = f"entry {item + 1}: "
                rest = [str(x) for x in loc[pos + 1 :]]
                if rest:
                    prefix += ".".join(rest) + ": "
                return parts, prefix
            name = element.get("name") if isinstance(element, Mapping) else getattr(element, "name", None)
            if isinstance(name, str) and name:
                parts.append(name)
            else:
                prefix = f"entry {item + 1}: "
                return parts, prefix
            node = element
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, Mapping) else getattr(node, str(item), None)
    return parts, prefix


def _problem(error: dict[str, Any], loc: Sequence[Any]) -> tuple[str, str]:
    """(extra key suffix, message) for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, ValueError):
        return getattr(exc, "key", "") or "", str(exc)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        fields = list(model.model_fields) if model else []
        unknown = str(loc[-1])
        close = difflib.get_close_matches(unknown, fields, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(fields)}"
        return "", f"unknown key '{unknown}' ({hint})"
    if kind == "missing":
        return "", "required key missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "", f"expected a table, got {describe_value(value)}"
    if kind in ("tuple_type", "list_type"):
        path = ".".join(str(x) for x in loc)
        if path in TABLE_ARRAYS or path in ("correlations", "actuals"):
            return "", f"expected an array of tables ([[{path}]]), got {describe_value(value)}"
        return "", f"expected an array, got {describe_value(value)}"
    if kind == "is_instance_of":
        return "", f"expected a number or a distribution table, got {describe_value(value)}"
    return "", str(error.get("msg", kind)).removeprefix("Value error, ")


def _config_error(err: ValidationError, raw: Any, source: str, overridden: Sequence[str]) -> ConfigError:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    extra, message = _problem(first, loc)
    parts, prefix = _locate(loc, raw)
    key = ".".join(parts + ([extra] if extra else []))
    if key and any(_same_path(key, o) for o in overridden):
        source = "--set"
    return ConfigError(source, key, prefix + message)


def _same_path(key: str, override: str) -> bool:
    """True when ``key`` is at, under or above the overridden key."""
    return key == override or key.startswith(override + ".") or override.startswith(key + ".")


# ---------------------------------------------------------------------------
# Locating and loading scenarios
# ---------------------------------------------------------------------------


def _configs_dir() -> Path:
    """Folder of the shipped scenarios: ``configs/`` of the source tree the
    running ``sim`` package comes from (a checkout, a worktree on
    ``PYTHONPATH``), else the installed ``sim.configs`` package.

    The source tree wins so that the scenarios always match the code that
    reads them, also when another checkout is installed in editable mode.
    """
    import sim

    tree = Path(sim.__file__).resolve().parent.parent
    if (tree / "setup.cfg").is_file() and (tree / "configs").is_dir():
        return tree / "configs"
    try:
        from importlib.resources import files

        root = files("sim.configs")
        if isinstance(root, Path) and root.is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    return tree / "configs"


def shipped_scenarios() -> list[tuple[str, str, Path]]:
    """The shipped scenarios as ``(name, one-line description, path)``, by name."""
    out = []
    for path in sorted(_configs_dir().glob("*.toml")):
        try:
            with path.open("rb") as fh:
                description = tomllib.load(fh).get("scenario", {}).get("description", "")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
            description = ""
        first_line = str(description).strip().splitlines()[0] if str(description).strip() else ""
        out.append((path.stem, first_line, path))
    return out


def _looks_like_path(arg: str) -> bool:
    return arg.endswith(".toml") or "/" in arg or os.sep in arg


def resolve_scenario_path(arg: str | os.PathLike) -> Path:
    """The TOML file for a path or a shipped scenario name.

    Parameters
    ----------
    arg : str or path
        An existing file, or a shipped name such as ``"pinterest_aws_2031"``.

    Raises
    ------
    ConfigError
        ``X: file not found`` for a missing path (something ending in
        ``.toml`` or containing a folder), else
        ``X: no such file or shipped scenario (shipped: a, b)``.
    """
    text = os.fspath(arg)
    path = Path(text)
    if path.is_file():
        return path
    if path.exists():
        raise ConfigError(text, "", "not a file")
    shipped = {name: p for name, _, p in shipped_scenarios()}
    stem = text[: -len(".toml")] if text.endswith(".toml") else text
    if stem in shipped and "/" not in text and os.sep not in text:
        return shipped[stem]
    if isinstance(arg, os.PathLike) or _looks_like_path(text):
        raise ConfigError(text, "", "file not found")
    raise ConfigError(text, "", f"no such file or shipped scenario (shipped: {', '.join(shipped)})")


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()
        # A UTF-8 byte-order mark (editors on Windows write one) is not TOML: dropped.
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(label, "", f"TOML syntax error: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(label, "", "TOML syntax error: not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(label, "", "TOML nested too deeply (arrays or tables inside each other)") from None
    except OSError as exc:
        raise ConfigError(label, "", f"cannot read file ({exc.strerror or exc})") from None


def validate_scenario(raw: Mapping[str, Any], source: str = "<dict>", overridden: Sequence[str] = ()) -> Scenario:
    """Validate a scenario dict; any problem becomes one ``ConfigError``.

    Parameters
    ----------
    raw : mapping
        The TOML structure (overrides already applied).
    source : str
        Label for error messages.
    overridden : sequence of str
        Dotted keys set by ``--set``: errors at, under or above them are
        attributed to ``--set``.
    """
    try:
        return Scenario.model_validate(raw)
    except ValidationError as err:
        raise _config_error(err, raw, source, overridden) from None
    except RecursionError:  # arrays nested thousands deep, from a dict or --set
        raise ConfigError(source, "", "nested too deeply (arrays or tables inside each other)") from None


def load_scenario(source: str | os.PathLike | Mapping[str, Any] | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """Load, override and validate a scenario.

    Parameters
    ----------
    source : str, path, mapping or Scenario
        A TOML file, a shipped scenario name (``"pinterest_aws_2031"``), a
        dict with the TOML's structure, or a Scenario (re-validated through
        ``scenario_to_dict`` when overrides are given).
    overrides : sequence of str
        ``"dotted.key=VALUE"`` strings (``--set``); see ``sim.model.overrides``.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        One line, ``source: key: problem``.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        source = scenario_to_dict(source)
    if isinstance(source, Mapping):
        label, raw = "<dict>", dict(source)
    else:
        label = os.fspath(source)
        raw = _read_toml(resolve_scenario_path(source), label)
    raw = apply_overrides(raw, overrides)
    return validate_scenario(raw, label, override_keys(overrides))
