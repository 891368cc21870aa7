"""The notebooks' default path counts run in seconds on a laptop (the tests inject smaller ones)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.py"))
MOST = 200_000  # a second or two per run of the default scenario on 4 cores


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_default_path_counts_are_small(source):
    counts = {
        target.id: node.value.value
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.endswith("PATHS")
    }
    assert counts, "a notebook names its path counts ..._PATHS or PATHS"
    assert all(n <= MOST for n in counts.values()), counts
