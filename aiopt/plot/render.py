"""Notebook outputs of a chart that survive sharing: no script, no network, a few tens of kB.

A chart output is a mimebundle with three views of one Vega-Lite spec; each front end draws
the richest one it trusts:

* `application/vnd.vegalite.v5+json`: the spec itself. JupyterLab (4.x bundles Vega-Lite 5,
  not 6) and VS Code draw it natively and interactively (tooltips, selections), also in an
  untrusted notebook, because their renderer runs no code from the notebook. Altair 6 writes
  Vega-Lite 6 specs; the spec is offered as v5 only when Vega-Lite 5 compiles it.
* `image/svg+xml`: the chart drawn offline by vl-convert, for nbconvert's HTML export, GitHub
  and any trusted front end without a Vega-Lite renderer.
* `text/plain`: one line naming the chart and how to see it, for everything else.

The Vega JavaScript is never inlined (it is ~1 MB a chart); `aiopt.plot.to_html` does that
once per report page.
"""

from __future__ import annotations

import copy
from typing import Any

VEGALITE_V5 = "application/vnd.vegalite.v5+json"
V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# the oldest Vega-Lite 5 vl-convert ships; JupyterLab 4.6 bundles 5.6, so compile for the closest
V5_COMPILER = "5.8"
SHOW_HOW = "to draw it, open the notebook in JupyterLab or VS Code (untrusted is fine) or export it to HTML"


def v5_spec(spec: dict) -> dict | None:
    """`spec` labelled Vega-Lite 5, or None when Vega-Lite 5 cannot compile it."""
    import vl_convert

    labelled = {**copy.deepcopy(spec), "$schema": V5_SCHEMA}
    try:
        vl_convert.vegalite_to_vega(labelled, vl_version=V5_COMPILER)
    except ValueError:
        return None
    return labelled


def svg(spec: dict) -> str:
    """The chart drawn offline as SVG (by vl-convert, with the spec's own Vega-Lite version)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def mimebundle(
    spec: dict, title: str, embed_options: dict | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (data, metadata) of a chart's notebook output: the v5 spec when it compiles (with
    `embed_options` for vega-embed in its metadata), an SVG drawing and one line of text."""
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    spec_v5 = v5_spec(spec)
    if spec_v5 is not None:
        data[VEGALITE_V5] = spec_v5
        metadata[VEGALITE_V5] = {"embed_options": embed_options or {}}
    data["image/svg+xml"] = svg(spec)
    data["text/plain"] = f"<aiopt chart: {title}; {SHOW_HOW}>"
    return data, metadata
