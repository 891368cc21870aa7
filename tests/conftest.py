"""Shared test set-up: ``tests/`` on ``sys.path`` (for ``helpers``) and the fixtures several layers use.

The tests mirror the package's layers (``tests/model``, ``tests/engine``,
``tests/present``, ``tests/analysis``, ``tests/report``, ``tests/cli``);
``tests/test_api.py``, ``test_golden.py`` and ``test_notebooks.py`` test the
whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))



@pytest.fixture(scope="session")
def default_result():
    """The default scenario, 20,000 paths, seed 3: one run shared by the figure, report and table tests."""
    import sim

    return sim.run("pinterest_aws_2031", paths=20_000, seed=3)
