"""Every notebook runs top to bottom, as stored, in the `python3` kernel with cwd = notebooks/.

The quickstart must also draw its charts offline: its chart outputs are HTML with the Vega
JavaScript inlined and no CDN reference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CDNS = ("cdn.jsdelivr", "unpkg.com", "cdnjs", "https://cdn")
SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc\s*=", re.I)

_executed: dict[str, nbformat.NotebookNode] = {}


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook after running every cell (once per test session); raises on a cell error."""
    if path.name not in _executed:
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        client.execute()
        _executed[path.name] = nb
    return _executed[path.name]


def test_there_are_notebooks():
    assert (NOTEBOOKS / "01-quickstart.ipynb") in PATHS


def test_python3_kernel_is_this_interpreter():
    """jupyter_client maps the kernelspec's `python` to sys.executable: the venv with aiopt."""
    command = KernelManager(kernel_name="python3").format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve(), command


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: stored with outputs"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path):
    nb = execute(path)  # nbclient raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]


def test_quickstart_charts_render_offline():
    nb = execute(NOTEBOOKS / "01-quickstart.ipynb")
    charts = [
        o.data["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {}) and "vegaEmbed" in o.data["text/html"]
    ]
    assert len(charts) >= 3, "the quickstart should show its charts"
    for html in charts:
        cdns = [cdn for cdn in CDNS if cdn in html]
        assert not cdns, f"chart output loads from a CDN: {cdns}"
        assert SCRIPT_SRC.search(html) is None, "chart output loads a script from elsewhere"
        inlined = "window.vegaEmbed=" in html
        assert inlined, "chart output does not inline the Vega JavaScript"
