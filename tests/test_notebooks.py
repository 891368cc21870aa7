"""The notebooks run end to end, and their committed .ipynb match their .py sources.

The sources are ``notebooks/*.py`` in jupytext's percent format; each has a
cell tagged ``parameters``.  As papermill does, the test inserts a cell right
after it (tagged ``injected-parameters``) that sets small values -- a few
thousand paths, 2 Dask workers, output folders in a temporary directory --
and executes the notebook with nbclient in a fresh kernel, working directory
``tmp_path``.  No browser is involved: widgets, when ipywidgets is installed,
only record their state.

Environment variables:

* ``SIM_NOTEBOOK_PATHS``: the path count injected (default 4000);
* ``SIM_NOTEBOOK_OUT``: a folder to keep the executed notebooks in (with
  their outputs and figures), to look at them.
"""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
PATHS = int(os.environ.get("SIM_NOTEBOOK_PATHS", "4000"))
CELL_TIMEOUT = 300  # seconds; a notebook takes well under a minute with the injected values

# What each notebook's parameters cell is overridden with.
PARAMETERS = {
    "01_quickstart": {"PATHS": PATHS},
    "02_explore_a_deal": {"PATHS": PATHS, "SLIDER_PATHS": PATHS},
    "03_sweeps_and_clusters": {"PATHS": PATHS, "SOLVE_PATHS": PATHS, "WORKERS": 2, "SWEEP_DIR": "runs/sweep"},
    "04_model_walkthrough": {"PATHS": PATHS},
}
NEEDS = {"03_sweeps_and_clusters": ["distributed"]}


def test_every_notebook_is_tested():
    assert [p.stem for p in SOURCES] == sorted(PARAMETERS)


def parameters_cell(nb) -> int:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    return tagged[0]


def inject(nb, values: dict) -> None:
    """Insert a cell setting ``values`` after the parameters cell (each name must be a parameter)."""
    i = parameters_cell(nb)
    assert nb.cells[i].cell_type == "code"
    assigned = {t.id for node in ast.parse(nb.cells[i].source).body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    missing = set(values) - assigned
    assert not missing, f"not set in the parameters cell: {sorted(missing)}"
    source = "# injected by tests/test_notebooks.py\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(i + 1, cell)


def kernel_env() -> dict:
    """This environment, with the repository first on the kernel's path (as pytest imports ``sim``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def execute(source: Path, values: dict, folder: Path, name: str | None = None):
    """Run the notebook with ``values`` injected, in ``folder``; return it with its outputs."""
    nb = jupytext.read(source)
    inject(nb, values)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env())
    finally:
        keep = os.environ.get("SIM_NOTEBOOK_OUT")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, Path(keep) / f"{name or source.stem}.ipynb")
    print(f"{name or source.stem}: {time.perf_counter() - start:.1f} s")
    return nb


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs(source, tmp_path):
    for module in NEEDS.get(source.stem, []):
        pytest.importorskip(module)
    nb = execute(source, PARAMETERS[source.stem], tmp_path)
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    images = sum("image/png" in o.get("data", {}) for o in outputs(nb))
    assert images >= 2, "the notebook should draw its figures"


def test_explore_a_deal_without_sliders(tmp_path):
    """Without ipywidgets (or SLIDERS = False) the last cell calls the same function with plain values."""
    source = NOTEBOOKS / "02_explore_a_deal.py"
    nb = execute(source, {**PARAMETERS[source.stem], "SLIDERS": False}, tmp_path, name="02_explore_a_deal-no-sliders")
    last = nb.cells[-1]
    assert last.cell_type == "code" and "explore(" in last.source
    data = [o.get("data", {}) for o in last.outputs]
    assert any("these settings" in d.get("text/plain", "") for d in data), "the comparison table"
    assert any("image/png" in d for d in data), "the cash fan"
    assert not any("application/vnd.jupyter.widget-view+json" in d for o in outputs(nb) for d in [o.get("data", {})])


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_paired_ipynb_is_in_sync_and_has_no_outputs(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"run: jupytext --sync {source.relative_to(ROOT)}"
    committed = nbformat.read(paired, as_version=4)
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{paired.name}: commit it without outputs"
    expected = jupytext.read(source)
    got = [(c.cell_type, c.source.strip(), c.get("metadata", {}).get("tags", [])) for c in committed.cells]
    want = [(c.cell_type, c.source.strip(), c.get("metadata", {}).get("tags", [])) for c in expected.cells]
    assert got == want, f"{paired.name} differs from {source.name}: run jupytext --sync {source.relative_to(ROOT)}"
