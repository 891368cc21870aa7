"""Golden files: the numbers of the shipped scenarios and of every v1 test config
stay bit-identical through refactors and model extensions (MODEL.md section 8).

``tests/golden/*.json`` were recorded by ``tests/golden/record.py`` before the
package moved into layers and before model v2; a change that is meant to change
numbers re-records them and says why in its commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))

import record  # noqa: E402  (tests/golden/record.py)


@pytest.mark.parametrize("stem,config,kw", list(record.cases()), ids=[c[0] for c in record.cases()])
def test_summary_is_bit_identical(stem, config, kw):
    # every golden field present with exactly the same value; new fields (model v2) allowed
    assert record.differences(f"{stem}.json", record.summary_text(config, kw)) == []


def test_report_text_is_unchanged():
    for name, text in record.report_texts().items():
        assert record.differences(name, text) == [], name
