"""The offline renderer's notebook output: scriptless, small, drawable by Vega-Lite 5 (JupyterLab).

Charts here are tiny hand-made ones: the renderer does not care where the data came from.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest
import vl_convert

from aiopt import plot
from aiopt.plot import render as plot_render


@pytest.fixture(scope="module")
def chart() -> alt.Chart:
    data = pd.DataFrame({"year": [2026, 2027, 2028], "usd": [3e6, 1e6, 2e6]})
    return alt.Chart(data, title="Cost <by> year").mark_bar().encode(x="year:O", y="usd:Q", tooltip=["usd:Q"])


def rendered(chart: alt.Chart) -> tuple[dict, dict]:
    """The (data, metadata) Jupyter gets for `chart` under the offline renderer."""
    with plot.use_offline_renderer():
        assert alt.renderers.active == plot.RENDERER
        bundle = chart._repr_mimebundle_()
    return bundle if isinstance(bundle, tuple) else (bundle, {})


def test_the_output_is_the_v5_spec_an_svg_and_one_line(chart):
    before = alt.renderers.active
    data, metadata = rendered(chart)
    assert alt.renderers.active == before
    assert set(data) == {plot_render.VEGALITE_V5, "image/svg+xml", "text/plain"}  # no script-bearing HTML
    spec = data[plot_render.VEGALITE_V5]
    assert spec["$schema"] == plot_render.V5_SCHEMA
    assert spec["datasets"] == chart.to_dict()["datasets"]
    assert "role-mark" in vl_convert.vegalite_to_svg(spec, vl_version=plot_render.V5_COMPILER)
    assert metadata[plot_render.VEGALITE_V5]["embed_options"]["actions"]["editor"] is False  # needs the web
    assert "role-mark" in data["image/svg+xml"] and "<script" not in data["image/svg+xml"]
    assert data["text/plain"] == f"<aiopt chart: Cost <by> year; {plot_render.SHOW_HOW}>"


def test_a_chart_output_weighs_kilobytes_not_the_vega_bundle(chart):
    data, metadata = rendered(chart)
    size = len(json.dumps([data, metadata]))
    assert size < 50_000, f"{size:,} bytes for a three-bar chart"


def test_a_spec_vega_lite_5_cannot_compile_still_shows_its_drawing(chart, monkeypatch):
    def refuse(spec, vl_version):
        raise ValueError("Vega-Lite to Vega conversion failed")

    monkeypatch.setattr(vl_convert, "vegalite_to_vega", refuse)
    data, metadata = rendered(chart)
    assert plot_render.VEGALITE_V5 not in data and not metadata
    assert "role-mark" in data["image/svg+xml"]
    assert plot_render.SHOW_HOW in data["text/plain"]
