"""The README's Python example runs as written (in a scratch folder: it writes runs/five_billion)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return next(b for b in blocks if b.startswith("import sim\n"))


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(python_example(), "README.md", "exec"), namespace)
    assert (tmp_path / "runs" / "five_billion" / "report.html").is_file()
    assert 0 < namespace["result"].summary["p_cash_breach"]["estimate"] < 1
