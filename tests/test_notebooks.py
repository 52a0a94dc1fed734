"""Every notebook runs top to bottom, as stored, in the `python3` kernel with cwd = notebooks/.

Their charts must survive sharing: each chart output is scriptless (the Vega-Lite 5 spec that
JupyterLab draws in an untrusted notebook, an SVG drawing, one line of text), a notebook saved
with its outputs stays under 1 MB, and an nbconvert HTML export draws its charts in headless
Chromium with the network cut. Each notebook is executed once per session (`execute`).
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client import KernelManager
from test_plot import chromium, offline_chromium

from aiopt.plot import render as plot_render

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
NAMES = [
    "01-quickstart",
    "02-tradeoffs",
    "03-compliance-and-sites",
    "04-growth-and-rent",
    "05-finance-review",
]
CDNS = ("cdn.jsdelivr", "unpkg.com", "cdnjs", "https://cdn")
MEGABYTE = 1_000_000
SVG = "image/svg+xml"

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


def outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def charts(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The chart outputs: those showing a Vega-Lite spec or an SVG drawing."""
    return [o for o in outputs(nb) if {plot_render.VEGALITE_V5, SVG} & set(o.get("data", {}))]


def test_the_five_notebooks_are_there():
    assert [p.stem for p in PATHS] == NAMES


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
    errors = [o for o in outputs(nb) if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_charts_draw_untrusted_and_offline(path):
    """Every chart is the v5 spec (JupyterLab's vega renderer is safe: it draws untrusted), an
    SVG with marks and one line saying how to see it; no output holds a script or a CDN URL."""
    import vl_convert

    nb = execute(path)
    drawn = charts(nb)
    assert len(drawn) >= (3 if path.stem == "01-quickstart" else 2), "the notebook should show charts"
    for output in drawn:
        data = output.data
        spec = data[plot_render.VEGALITE_V5]
        assert spec["$schema"] == plot_render.V5_SCHEMA
        assert "role-mark" in vl_convert.vegalite_to_svg(spec, vl_version=plot_render.V5_COMPILER)
        assert "role-mark" in data[SVG]
        assert data["text/plain"].count("\n") == 0 and plot_render.SHOW_HOW in data["text/plain"]
    for output in outputs(nb):
        text = str(output)
        assert "<script" not in text, "an output holds a script: it shows nothing in an untrusted notebook"
        cdns = [cdn for cdn in CDNS if cdn in text]
        assert not cdns, f"an output loads from a CDN: {cdns}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_saved_notebook_with_its_charts_stays_under_a_megabyte(path):
    """The notebook as saved with outputs, plus the PNG JupyterLab's vega renderer adds to each
    chart output it draws (it stores one when the output has none), is under 1 MB."""
    import vl_convert

    nb = execute(path)
    saved = len(nbformat.writes(nb).encode())
    pngs = sum(
        len(base64.b64encode(vl_convert.vegalite_to_png(o.data[plot_render.VEGALITE_V5], scale=1)))
        for o in charts(nb)
    )
    assert saved + pngs < MEGABYTE, f"{path.name}: {saved:,} bytes saved + {pngs:,} bytes of PNGs"


# JavaScript put first in the exported page: records uncaught errors, console.error calls and
# resources that failed to load, and how many SVG chart images the browser decoded and drew
# (naturalWidth > 0), into a <pre> the dumped DOM shows.
PAGE_PROBE = """<script>
(function () {
  var seen = [];
  function note(text) { seen.push(text); }
  window.addEventListener("error", function (e) {
    var target = e.target || {};
    note(target.src || target.href ? "failed to load " + (target.src || target.href) : "error " + e.message);
  }, true);
  var error = console.error;
  console.error = function () {
    note("console.error " + Array.from(arguments).join(" "));
    error.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", function () {
    var pre = document.createElement("pre");
    pre.id = "page-probe";
    document.body.appendChild(pre);
    setInterval(function () {
      var images = Array.from(document.querySelectorAll(".jp-RenderedSVG img"));
      pre.dataset.drawn = images.filter(function (img) { return img.naturalWidth > 0; }).length;
      pre.textContent = seen.join("\\n");
    }, 100);
  });
})();
</script>"""


def test_html_export_draws_its_charts_in_a_browser_without_network(tmp_path):
    """`jupyter nbconvert --to html` of the executed quickstart, opened offline: every chart is
    an SVG image the browser draws, holding the chart's marks, and the page logs no error except
    nbconvert's own two CDN scripts (require.js and MathJax, which no chart needs) not loading."""
    from nbconvert import HTMLExporter

    nb = execute(NOTEBOOKS / "01-quickstart.ipynb")
    exporter = HTMLExporter(template_name="lab")
    html, _ = exporter.from_notebook_node(nb)
    page = tmp_path / "01-quickstart.html"
    page.write_text(html.replace("<head>", "<head>\n" + PAGE_PROBE, 1))
    browser = chromium()
    dom = offline_chromium(browser, tmp_path, "--dump-dom", page.as_uri()).stdout
    screenshot = tmp_path / "01-quickstart.png"
    offline_chromium(
        browser, tmp_path, f"--screenshot={screenshot}", "--window-size=1280,6000", page.as_uri()
    )
    assert screenshot.stat().st_size > 10_000, "no screenshot"

    drawings = [
        base64.b64decode(data).decode()
        for data in re.findall(r'<img\b[^>]*\bsrc="data:image/svg\+xml;base64,([^"]+)"', dom)
    ]
    assert len(drawings) == len(charts(nb)) >= 3 and all("role-mark" in svg for svg in drawings)
    assert any("Cost by category and year" in svg for svg in drawings)
    probe = re.search(r'<pre id="page-probe" data-drawn="(\d+)">(.*?)</pre>', dom, flags=re.S)
    assert int(probe.group(1)) == len(drawings), f"{probe.group(1)} of {len(drawings)} chart images drew"
    nbconvert_own = [url.replace("&", "&amp;") for url in (exporter.require_js_url, exporter.mathjax_url)]
    errors = [e for e in probe.group(2).split("\n") if e and not any(url in e for url in nbconvert_own)]
    assert not errors, errors
