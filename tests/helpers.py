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
