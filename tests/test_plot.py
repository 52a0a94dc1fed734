"""Charts read through `chart.to_dict()`: mark, encodings, fields, and sums that match the plan.

One baseline plan is solved for the module. The offline renderer is tested for real: the HTML
of a chart is drawn by headless Chromium with the network cut, and its DOM must hold SVG marks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

import aiopt
from aiopt import plot

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "data" / "scenarios" / "enterprise-baseline.yaml"
CHARTS = [
    plot.cost_breakdown,
    plot.npv_by_category,
    plot.gpus_by_site,
    plot.rack_utilisation,
    plot.power_headroom,
    plot.run_calendar,
]


@pytest.fixture(scope="module")
def plan() -> aiopt.Plan:
    # the charts draw any checked plan: a 10% gap is proven in a few seconds
    plan = aiopt.solve(BASELINE, rel_gap=0.10, progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


def rows(spec: dict) -> pd.DataFrame:
    """The chart's data (top-level dataset) as a DataFrame."""
    return pd.DataFrame(spec["datasets"][spec["data"]["name"]])


def mark(spec: dict) -> str:
    m = spec["mark"]
    return m if isinstance(m, str) else m["type"]


def field(encoding: dict) -> str:
    return encoding["field"]


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=1e-6)


def test_cost_breakdown_stacks_every_cost_by_year_with_capex_beside_opex(plan):
    spec = plot.cost_breakdown(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar"
    assert (field(enc["x"]), enc["x"]["type"]) == ("year", "ordinal")
    assert field(enc["xOffset"]) == "kind" and field(enc["color"]) == "item"
    assert field(enc["y"]) == "usd" and enc["y"]["stack"] == "zero"
    assert enc["y"]["axis"]["format"].startswith("$") and "USD" in enc["y"]["axis"]["title"]
    assert {"category", "kind", "year", "usd"} <= set(data.columns)
    assert close(data.usd.sum(), plan.kpi("total_cost_usd"))
    assert close(data.loc[data.kind == "capex", "usd"].sum(), plan.kpi("capex_usd"))
    assert close(data.loc[data.kind == "opex", "usd"].sum(), plan.kpi("opex_usd"))
    # capex and opex items get separate colour families, capex first; the residual value last, green
    scale = enc["color"]["scale"]
    kinds = [item.split(":")[0] for item in scale["domain"]]
    assert kinds == sorted(kinds) and set(kinds) == {"capex", "opex", "residual"}
    assert scale["range"][-1] == plot.KIND_COLOURS["residual"]
    assert close(data.loc[data.kind == "residual", "usd"].sum(), -plan.kpi("residual_value_usd"))
    capex_colours = {c for k, c in zip(kinds, scale["range"], strict=True) if k == "capex"}
    opex_colours = {c for k, c in zip(kinds, scale["range"], strict=True) if k == "opex"}
    assert capex_colours <= set(plot.CAPEX_COLOURS) and opex_colours <= set(plot.OPEX_COLOURS)
    assert "Cost" in spec["title"]["text"]


def test_npv_by_category_sums_to_the_npv(plan):
    spec = plot.npv_by_category(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar"
    assert field(enc["y"]) == "category" and enc["y"]["sort"] == "-x"
    assert field(enc["x"]) == "discounted_usd" and enc["x"]["axis"]["format"].startswith("$")
    assert field(enc["color"]) == "kind"
    assert close(data.discounted_usd.sum(), plan.kpi("npv_usd"))
    assert not data.duplicated(["category", "kind"]).any()
    assert f"{plan.scenario.policy['discount_rate']:.1%}" in spec["title"]["subtitle"]


def test_gpus_by_site_counts_installed_gpus(plan):
    spec = plot.gpus_by_site(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar"
    assert [field(enc[c]) for c in ("x", "y", "color", "column")] == ["year", "gpus", "tier", "site"]
    assert enc["y"]["title"] == "Installed GPUs"
    last = plan.scenario.years[-1]
    assert close(data.loc[data.year == last, "gpus"].sum(), plan.kpi("gpus_final_year"))
    assert close(data.gpus.sum(), plan.pools.gpus.sum())
    assert set(data.site) == set(plan.pools.site)


def test_run_calendar_draws_every_run_of_the_year_from_start_to_end(plan):
    spec = plot.run_calendar(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    first = plan.scenario.years[0]
    assert mark(spec) == "bar"
    assert [field(enc[c]) for c in ("x", "x2", "y", "row")] == ["start_day", "end_day", "workload", "pool"]
    runs = plan.schedule[plan.schedule.year == first]
    assert len(data) == len(runs) > 0
    assert close((data.end_day - data.start_day).sum(), (runs.end_day - runs.start_day).sum())
    assert set(data.pool) == {f"{t} · {s}" for t, s in zip(runs.tier, runs.site, strict=True)}


def test_rack_utilisation_shows_used_and_limit_kw(plan):
    spec = plot.rack_utilisation(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar"
    assert field(enc["y"]) == "rack" and field(enc["yOffset"]) == "measure"
    assert field(enc["x"]) == "kw" and "kW" in enc["x"]["title"]
    assert field(enc["column"]) == "year"
    assert enc["color"]["scale"]["domain"] == ["used", "limit"]
    assert close(data.loc[data.measure == "used", "kw"].sum(), plan.racks.kw_used.sum())
    assert close(data.loc[data.measure == "limit", "kw"].sum(), plan.racks.kw_limit.sum())
    assert (data.kw_used <= data.kw_limit + 1e-6).all()


def test_power_headroom_compares_it_load_times_pue_with_facility_power(plan):
    spec = plot.power_headroom(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar"
    assert [field(enc[c]) for c in ("x", "xOffset", "y", "column")] == ["year", "measure", "kw", "site"]
    assert "kW" in enc["y"]["title"]
    load = data[data.measure.str.startswith("load")]
    capacity = data[data.measure == "capacity"]
    sites = plan.sites
    assert close(load.kw.sum(), (sites.it_kw * sites.pue).sum())
    assert close(capacity.kw.sum(), sites.facility_kw.sum())
    assert len(load) == len(capacity) == len(sites)  # every site-year, used or not
    assert close((capacity.headroom_kw).sum(), (sites.facility_kw - sites.it_kw * sites.pue).sum())


def test_compare_puts_plans_side_by_side_in_the_given_order(plan):
    kpis = plan.kpis.copy()
    kpis.loc[kpis.metric == "npv_usd", "value"] *= 1.5
    dearer = dataclasses.replace(plan, kpis=kpis)
    chart = plot.compare({"what-if": dearer, "baseline": plan})
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert [mark(layer) for layer in spec["layer"]] == ["bar", "text"]
    enc = spec["layer"][0]["encoding"]
    assert field(enc["x"]) == "plan" and enc["x"]["sort"] == ["what-if", "baseline"]
    assert field(enc["xOffset"]) == "label" and field(enc["y"]) == "usd"
    assert enc["y"]["axis"]["format"].startswith("$")
    data = rows(spec).set_index(["plan", "metric"]).usd
    assert close(data["baseline", "npv_usd"], plan.kpi("npv_usd"))
    assert close(data["what-if", "npv_usd"], 1.5 * plan.kpi("npv_usd"))
    assert close(data["what-if", "capex_usd"], plan.kpi("capex_usd"))
    assert spec["title"]["text"] == "Plan comparison"
    with pytest.raises(ValueError, match="USD"):
        plot.compare({"baseline": plan}, metrics=["gpus_final_year"])


@pytest.mark.parametrize("make", CHARTS, ids=lambda f: f.__name__)
def test_every_chart_compiles_and_draws_marks(plan, make):
    """vl-convert compiles and renders the spec the way the browser would: marks must appear."""
    import vl_convert

    spec = make(plan).to_dict()
    assert spec["title"]["text"]
    svg = vl_convert.vegalite_to_svg(spec)
    assert "role-mark" in svg and svg.count("<path") > 5


# --- offline rendering ------------------------------------------------------------------------

SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc\s*=", re.I)


def assert_offline(html: str) -> None:
    """No script loaded from elsewhere, no CDN, the Vega JavaScript inlined (short messages: ~1 MB pages)."""
    script_src = SCRIPT_SRC.search(html)
    assert script_src is None, (
        f"a script from elsewhere needs the network: {html[script_src.start() :][:120]}"
    )
    cdns = [cdn for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs") if cdn in html]
    assert not cdns, f"CDN references: {cdns}"
    inlined = "window.vegaEmbed=" in html
    assert inlined, "the vega-embed bundle is not inlined"


def test_to_html_is_a_self_contained_page(plan):
    html = plot.to_html(plot.compare({"a": plan, "b": plan}), title="A </title> & B")
    assert html.startswith("<!DOCTYPE html>")
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == "A &lt;/title&gt; &amp; B"
    assert_offline(html)
    size = len(html)
    assert size > 500_000, "vega, vega-lite and vega-embed should be in the page"


def chromium() -> str:
    """The browser's path; without one the test fails under CI=true (.ci/run installs it), else skips."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if path := shutil.which(name):
            return path
    why = "headless Chromium is needed to test offline chart rendering: apt-get install -y chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.mark.parametrize(("ci", "outcome"), [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_without_a_browser_the_browser_test_skips_except_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    if ci:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install -y chromium"):
        chromium()


CONSOLE = re.compile(r"^.*:CONSOLE[:(].*$", re.M)


def offline_chromium(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless `browser` run with `args` (e.g. --dump-dom URL) and no network at all."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",  # no network at all
        "--virtual-time-budget=5000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def browse(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """Open `page` in headless Chromium with the network cut: the DOM after its scripts ran (their
    own text removed) and the console messages; a screenshot is saved beside the page."""
    done = offline_chromium(
        chromium(),
        tmp_path,
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,4000",
        f"--screenshot={page.with_suffix('.png')}",
        "--dump-dom",
        page.as_uri(),
    )
    dom = re.sub(r"<script\b[^>]*>.*?</script>", "", done.stdout, flags=re.S | re.I)
    return dom, CONSOLE.findall(done.stderr)


def test_to_html_draws_in_a_browser_without_network(plan, tmp_path):
    page = tmp_path / "cost.html"
    page.write_text(plot.to_html(plot.cost_breakdown(plan)))
    dom, console = browse(page, tmp_path)
    failed = "Chart failed to render" in dom
    assert not failed, dom[dom.find("Chart failed") :][:300]
    assert not console, console
    chart = dom[dom.index('class="aiopt-chart') :]
    drawn = "<svg" in chart and 'class="mark-rect role-mark' in chart and chart.count("<path") > 10
    assert drawn, f"the chart did not draw; DOM after the chart div: {chart[:500]}"
    titled = "Cost by category and year" in chart
    assert titled
    assert page.with_suffix(".png").stat().st_size > 0


def test_the_javascript_bundle_is_built_once_and_kept_in_the_cache_folder(monkeypatch, tmp_path):
    import vl_convert

    builds = []

    def bundle(vl_version):
        builds.append(vl_version)
        return "vega();</script>"

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(vl_convert, "javascript_bundle", bundle)
    plot._javascript_bundle.cache_clear()
    try:
        first = plot._javascript_bundle()
        plot._javascript_bundle.cache_clear()  # a new process: only the cache folder is left
        again = plot._javascript_bundle()
    finally:
        plot._javascript_bundle.cache_clear()
    assert first == again == "vega();<\\/script>"  # cannot close the page's <script> element
    assert len(builds) == 1
    assert [p.name for p in (tmp_path / "aiopt").iterdir()] == [
        f"vega-bundle-{vl_convert.__version__}-{builds[0]}.js"
    ]
