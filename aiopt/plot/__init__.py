"""Charts of plans and trade-offs: pure functions from a `Plan`'s long tables, a sweep's results
table or an explain/finance table to an Altair chart.

Each chart function reshapes one or two DataFrames with pandas and hands the long result to
Altair; nothing is drawn or written here. Charts are Vega-Lite specs, so tests read them through
`chart.to_dict()`. This module holds the cost, installed-GPU, run-calendar, power and comparison
charts and the offline rendering; `capacity` (capacity vs demand, utilisation, tier mix, bill of
materials, owned vs rented), `money` (cash, book value, saving, price of policy) and `tradeoffs`
(Pareto frontier, tornado, scenario small multiples, shadow prices) the rest, all importable
from here.

Displaying needs the Vega JavaScript. Altair's default renderer fetches it from a CDN, which
shows blank charts on a machine without internet, and no script runs in an untrusted notebook.
`use_offline_renderer()` switches Altair to a scriptless output (`aiopt.plot.render`: the spec
as Vega-Lite 5, which JupyterLab draws itself, an SVG drawing and one line of text), and
`to_html(chart)` writes a self-contained page for reports, the JavaScript bundle shipped in the
`vl-convert-python` wheel inlined.

>>> import aiopt, aiopt.plot
>>> aiopt.plot.use_offline_renderer()                                # doctest: +SKIP
>>> plan = aiopt.solve("data/scenarios/enterprise-baseline.yaml")   # doctest: +SKIP
>>> aiopt.plot.cost_breakdown(plan)                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from ..export import write_atomically
from ..results import Plan
from . import render
from .capacity import bill_of_materials, capacity_vs_demand, owned_vs_rented, pool_utilisation, tier_mix
from .money import book_value, cash_flow, price_of_policy, saving_vs_reference
from .style import (
    CAPEX_COLOURS,
    KIND_COLOURS,
    KW_FORMAT,
    LIMIT_COLOUR,
    OPEX_COLOURS,
    USD_FORMAT,
    USD_TOOLTIP,
    USED_COLOUR,
    chart_title,
    tooltips,
    usd_axis,
    year_axis,
)
from .tradeoffs import (
    compare_kpis,
    cost_vs_capacity,
    cost_vs_time_to_train,
    kpi_title,
    pareto_frontier,
    shadow_prices,
    tornado,
)

__all__ = [
    "RENDERER",
    "bill_of_materials",
    "book_value",
    "capacity_vs_demand",
    "cash_flow",
    "compare",
    "compare_kpis",
    "cost_breakdown",
    "cost_vs_capacity",
    "cost_vs_time_to_train",
    "gpus_by_site",
    "kpi_title",
    "npv_by_category",
    "owned_vs_rented",
    "pareto_frontier",
    "pool_utilisation",
    "power_headroom",
    "price_of_policy",
    "rack_utilisation",
    "run_calendar",
    "saving_vs_reference",
    "shadow_prices",
    "tier_mix",
    "to_html",
    "tornado",
    "use_offline_renderer",
]

# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def cost_breakdown(plan: Plan) -> alt.Chart:
    """Undiscounted cost per year, stacked by category; capex (blues, left) beside opex (oranges, right);
    the residual value of the hardware (green, below zero) in the year after the last."""
    costs = plan.costs.loc[plan.costs.usd != 0, ["category", "kind", "year", "usd"]].copy()
    costs["item"] = costs.kind + ": " + costs.category
    capex = sorted(costs.loc[costs.kind == "capex", "item"].unique())
    opex = sorted(costs.loc[costs.kind == "opex", "item"].unique())
    colours = [CAPEX_COLOURS[i % len(CAPEX_COLOURS)] for i in range(len(capex))]
    colours += [OPEX_COLOURS[i % len(OPEX_COLOURS)] for i in range(len(opex))]
    residual = sorted(costs.loc[costs.kind == "residual", "item"].unique())
    colours += [KIND_COLOURS["residual"]] * len(residual)
    return (
        alt.Chart(
            costs,
            title=chart_title(
                "Cost by category and year", "Undiscounted USD; left bar capex, right bar opex"
            ),
        )
        .mark_bar()
        .encode(
            x=year_axis(),
            xOffset=alt.XOffset("kind:N", title="Kind", sort=["capex", "opex"]),
            y=alt.Y("usd:Q", title="Cost (USD)", axis=usd_axis("Cost (USD)"), stack="zero"),
            color=alt.Color(
                "item:N",
                title="Kind: category",
                scale=alt.Scale(domain=capex + opex + residual, range=colours),
            ),
            order=alt.Order("item:O"),  # nominal order draws a Vega warning
            tooltip=tooltips(
                ("year:O", "Year"),
                ("kind:N", "Kind"),
                ("category:N", "Category"),
                ("usd:Q", "Cost (USD)", USD_TOOLTIP),
            ),
        )
        .properties(width=alt.Step(28))
    )


def npv_by_category(plan: Plan) -> alt.Chart:
    """Discounted cost (the NPV's terms) per category, largest first, coloured capex/opex."""
    costs = plan.costs.groupby(["category", "kind"], as_index=False)["discounted_usd"].sum()
    costs = costs.loc[costs.discounted_usd != 0]
    rate = plan.scenario.policy.get("discount_rate")
    rate_text = f"discounted at {rate:.1%} a year" if rate is not None else "discounted"
    subtitle = f"USD {rate_text} to {plan.scenario.years[0]}; NPV ${costs.discounted_usd.sum() / 1e6:,.1f}M"
    return (
        alt.Chart(costs, title=chart_title("NPV by cost category", subtitle))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", title="Category", sort="-x"),
            x=alt.X("discounted_usd:Q", axis=usd_axis("Discounted cost (USD)")),
            color=alt.Color(
                "kind:N",
                title="Kind",
                scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
            ),
            tooltip=tooltips(
                ("category:N", "Category"),
                ("kind:N", "Kind"),
                ("discounted_usd:Q", "Discounted cost (USD)", USD_TOOLTIP),
            ),
        )
        .properties(width=420)
    )


def gpus_by_site(plan: Plan) -> alt.Chart:
    """Installed GPUs per year, stacked by tier, one panel per site."""
    pools = plan.pools.groupby(["site", "tier", "year"], as_index=False)[["gpus", "installed_nodes"]].sum()
    return (
        alt.Chart(
            pools,
            title=chart_title("Installed GPUs by site, tier and year", "Panels: sites with GPUs installed"),
        )
        .mark_bar()
        .encode(
            x=year_axis(),
            y=alt.Y("gpus:Q", title="Installed GPUs", stack="zero"),
            color=alt.Color("tier:N", title="GPU tier"),
            column=alt.Column("site:N", title="Site"),
            tooltip=tooltips(
                ("site:N", "Site"),
                ("tier:N", "GPU tier"),
                ("year:O", "Year"),
                ("gpus:Q", "GPUs", ",.0f"),
                ("installed_nodes:Q", "Nodes", ",.0f"),
            ),
        )
        .properties(width=alt.Step(32))
    )


def run_calendar(plan: Plan, year: int | str | None = None) -> alt.Chart:
    """The training runs of one year (default the first; "all": one panel column per year) as a
    Gantt chart: one bar per run from its start to its end day, one row per workload, one panel
    row per pool (tier · site)."""
    every = year == "all"
    year = plan.scenario.years[0] if year is None else year
    runs = plan.schedule if every else plan.schedule[plan.schedule.year == year]
    runs = runs.dropna(subset=["start_day"]).copy()
    runs["pool"] = runs.tier + " · " + runs.site
    heading = "Training runs, every year" if every else f"Training runs in {year}"
    panels = {"column": alt.Column("year:O", title="Year")} if every else {}
    return (
        alt.Chart(runs, title=chart_title(heading, "Days of the year each run holds its nodes"))
        .mark_bar()
        .encode(
            x=alt.X("start_day:Q", title="Day of the year", scale=alt.Scale(domain=[0, 365])),
            x2="end_day:Q",
            y=alt.Y("workload:N", title="Workload"),
            color=alt.Color("workload:N", legend=None),
            row=alt.Row("pool:N", title="Pool (tier · site)"),
            tooltip=tooltips(
                ("workload:N", "Workload"),
                ("year:O", "Year"),
                ("run:Q", "Run", ",.0f"),
                ("start_day:Q", "Start day", ",.1f"),
                ("end_day:Q", "End day", ",.1f"),
                ("nodes:Q", "Nodes", ",.0f"),
            ),
            **panels,
        )
        .properties(width=240 if every else 480)
    )


def _beside(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Long form of a used and a limit column: one row per (row, measure), the value in `kw`."""
    return pd.concat(
        [frame.assign(measure=label, kw=frame[column]) for column, label in labels.items()], ignore_index=True
    )


def _used_limit_colour(labels: dict[str, str], title: str) -> alt.Color:
    """The used measure in blue, the limit in grey."""
    return alt.Color(
        "measure:N",
        title=title,
        scale=alt.Scale(domain=list(labels.values()), range=[USED_COLOUR, LIMIT_COLOUR]),
    )


def rack_utilisation(plan: Plan) -> alt.Chart:
    """Rack power used vs the racks' usable limit (kW) per site and rack type, one panel per year."""
    columns = ["racks", "kw_used", "kw_limit"]
    racks = plan.racks.groupby(["site", "rack_type", "year"], as_index=False)[columns].sum()
    racks["rack"] = racks.site + " · " + racks.rack_type
    racks["utilisation"] = racks.kw_used / racks.kw_limit.where(racks.kw_limit > 0)
    labels = {"kw_used": "used", "kw_limit": "limit"}
    long = _beside(racks, labels)
    return (
        alt.Chart(
            long,
            title=chart_title("Rack power: used vs limit", "kW per site and rack type, GPU and gear racks"),
        )
        .mark_bar()
        .encode(
            y=alt.Y("rack:N", title="Site · rack type"),
            yOffset=alt.YOffset("measure:N", sort=list(labels.values())),
            x=alt.X("kw:Q", title="Power (kW)", axis=alt.Axis(format=KW_FORMAT)),
            color=_used_limit_colour(labels, "Rack power"),
            column=alt.Column("year:O", title="Year"),
            tooltip=tooltips(
                ("site:N", "Site"),
                ("rack_type:N", "Rack type"),
                ("year:O", "Year"),
                ("racks:Q", "Racks", ",.0f"),
                ("kw_used:Q", "Used (kW)", ",.1f"),
                ("kw_limit:Q", "Limit (kW)", ",.1f"),
                ("utilisation:Q", "Utilisation", ".0%"),
            ),
        )
        .properties(width=220)
    )


def power_headroom(plan: Plan) -> alt.Chart:
    """Facility load (IT kW × PUE) beside facility capacity (kW) per site and year."""
    sites = plan.sites[["site", "year", "it_kw", "pue", "facility_kw"]].copy()
    sites["load_kw"] = sites.it_kw * sites.pue
    sites["headroom_kw"] = sites.facility_kw - sites.load_kw
    labels = {"load_kw": "load (IT × PUE)", "facility_kw": "capacity"}
    long = _beside(sites, labels)
    return (
        alt.Chart(
            long,
            title=chart_title(
                "Facility power: load vs capacity", "kW; capacity includes expansion blocks online"
            ),
        )
        .mark_bar()
        .encode(
            x=year_axis(),
            xOffset=alt.XOffset("measure:N", sort=list(labels.values())),
            y=alt.Y("kw:Q", title="Facility power (kW)", axis=alt.Axis(format=KW_FORMAT)),
            color=_used_limit_colour(labels, "Facility power"),
            column=alt.Column("site:N", title="Site"),
            tooltip=tooltips(
                ("site:N", "Site"),
                ("year:O", "Year"),
                ("measure:N", "Measure"),
                ("kw:Q", "kW", ",.1f"),
                ("it_kw:Q", "IT load (kW)", ",.1f"),
                ("pue:Q", "PUE", ".2f"),
                ("facility_kw:Q", "Capacity (kW)", ",.1f"),
                ("headroom_kw:Q", "Headroom (kW)", ",.1f"),
            ),
        )
        .properties(width=alt.Step(24))
    )


METRIC_LABELS = {"npv_usd": "NPV", "capex_usd": "Capex", "opex_usd": "Opex", "total_cost_usd": "Total cost"}


def compare(plans: Mapping[str, Plan], metrics: Sequence[str] = ("npv_usd", "capex_usd")) -> alt.LayerChart:
    """NPV and capex (or other USD KPIs) of several plans side by side, labelled in $M."""
    rows = []
    for name, plan in plans.items():
        kpis = plan.kpis.set_index("metric")
        for metric in metrics:
            if kpis.at[metric, "unit"] != "USD":
                raise ValueError(f"compare plots USD KPIs only; {metric!r} is in {kpis.at[metric, 'unit']}")
            rows.append(
                dict(
                    plan=name,
                    metric=metric,
                    label=METRIC_LABELS.get(metric, metric),
                    usd=float(kpis.at[metric, "value"]),
                    status=plan.status,
                )
            )
    data = pd.DataFrame(rows, columns=["plan", "metric", "label", "usd", "status"])
    labels = [METRIC_LABELS.get(m, m) for m in metrics]
    base = alt.Chart(data).encode(
        x=alt.X("plan:N", title="Plan", sort=list(plans), axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("label:N", sort=labels),
        y=alt.Y("usd:Q", axis=usd_axis("USD")),
        tooltip=tooltips(
            ("plan:N", "Plan"),
            ("label:N", "Metric"),
            ("usd:Q", "USD", USD_TOOLTIP),
            ("status:N", "Solve status"),
        ),
    )
    bars = base.mark_bar().encode(color=alt.Color("label:N", title="Metric", sort=labels))
    text = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("usd:Q", format=USD_FORMAT))
    title = chart_title("Plan comparison", "USD; " + " and ".join(labels))
    return alt.layer(bars, text, title=title).properties(width=alt.Step(40))


# --------------------------------------------------------------------------------------------
# Offline rendering
# --------------------------------------------------------------------------------------------

RENDERER = "aiopt-offline"
# SVG output; the "open in Vega Editor" action needs the internet, so it is off.
EMBED_OPTIONS = {
    "renderer": "svg",
    "actions": {"export": True, "source": True, "compiled": False, "editor": False},
}

_FRAGMENT = """\
<div id="{div}" class="aiopt-chart"></div>
<script type="text/javascript">
(function () {{
  if (typeof window.__aioptVegaEmbed !== "function") {{
    (function () {{
{bundle}
    }}).call(window);
    window.__aioptVegaEmbed = window.vegaEmbed;
  }}
  var el = document.getElementById("{div}");
  window.__aioptVegaEmbed(el, {spec}, {options}).catch(function (error) {{
    el.textContent = "Chart failed to render: " + error;
    console.error(error);
  }});
}})();
</script>"""

_PAGE = """\
<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body>
{fragment}
</body>
</html>
"""


@cache
def _javascript_bundle() -> str:
    """vega + vega-lite + vega-embed, minified, for Altair's Vega-Lite version (from vl-convert).

    Bundling takes ~15 s, so the bundle is kept in the user's cache folder
    (`$XDG_CACHE_HOME/aiopt` or `~/.cache/aiopt`), one file per vl-convert and Vega-Lite version,
    written atomically; an unwritable cache folder only costs the time."""
    try:
        import vl_convert
    except ImportError as error:
        raise ImportError(
            "offline charts need the vl-convert-python package: pip install vl-convert-python"
        ) from error
    version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])  # "v6.4.1" -> "v6_4"
    cached = _cache_folder() / f"vega-bundle-{vl_convert.__version__}-{version}.js"
    if cached.is_file():
        return cached.read_text()
    bundle = vl_convert.javascript_bundle(vl_version=version).replace("</script", "<\\/script")
    try:
        write_atomically(cached, lambda temporary: temporary.write_text(bundle))
    except OSError:
        pass  # no cache: bundle again next time
    return bundle


def _cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aiopt"


def _json(value: Any) -> str:
    """JSON safe to put inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fragment(spec: dict, embed_options: dict | None = None) -> str:
    options = {**EMBED_OPTIONS, **(embed_options or {})}
    return _FRAGMENT.format(
        div=f"aiopt-chart-{uuid.uuid4().hex}",
        bundle=_javascript_bundle(),
        spec=_json(spec),
        options=_json(options),
    )


def _spec_title(spec: dict) -> str:
    title = spec.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(title)
    return str(title) or "chart"


def _offline_renderer(spec: dict, **metadata: Any) -> tuple[dict, dict]:
    """Altair renderer: a scriptless mimebundle (`aiopt.plot.render`): the spec as Vega-Lite 5,
    an SVG drawing and one line of text."""
    return render.mimebundle(spec, _spec_title(spec), {**EMBED_OPTIONS, **metadata.get("embed_options", {})})


def use_offline_renderer(embed_options: dict | None = None):
    """Draw Altair charts in Jupyter with no network and no script in the notebook.

    Each chart output holds its spec as Vega-Lite 5 (drawn interactively by JupyterLab and
    VS Code, trusted or not), an SVG drawing (nbconvert HTML, GitHub) and one line of text;
    see `aiopt.plot.render`. A saved notebook carries a few tens of kB a chart. Returns
    Altair's enabler, so `with use_offline_renderer():` restores the previous renderer afterwards.
    """
    _javascript_bundle()  # fail here, with the fix, when vl-convert-python is missing
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _offline_renderer)
    return alt.renderers.enable(RENDERER, **({"embed_options": embed_options} if embed_options else {}))


def to_html(chart: alt.TopLevelMixin, title: str | None = None, embed_options: dict | None = None) -> str:
    """A self-contained HTML page drawing `chart`: the JavaScript inlined, no network needed."""
    spec = chart.to_dict()
    return _PAGE.format(title=escape(title or _spec_title(spec)), fragment=_fragment(spec, embed_options))
