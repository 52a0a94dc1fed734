"""A plan as one self-contained HTML page: `aiopt report PLAN_DIR --out report.html`.

The page holds the plan's status and KPIs, its main tables and its charts (`aiopt.plot`), and
needs no network: its style is inline and the Vega JavaScript is inlined once, each chart's spec
beside it as JSON. Every string from the plan is escaped (`html.escape` in the page, `<`, `>`
and `&` as JSON escapes inside the script), so a site or workload named like markup shows as
text. The page is written to a temporary file beside `out` and moved into place.

>>> import aiopt.report
>>> aiopt.report.write_report("plans/baseline", "baseline.html")    # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from html import escape
from pathlib import Path

import altair as alt
import pandas as pd

from . import __version__, plot
from .export import read_plan_dir as read_written_plan
from .export import write_atomically
from .results import Plan
from .solve import SolveInfo


@dataclass(frozen=True)
class SavedScenario:
    """What the charts read of a scenario, for a plan read back from its folder."""

    name: str
    years: list[int]
    policy: dict = field(default_factory=dict)


def read_plan_dir(plan_dir: str | Path) -> Plan:
    """The plan in a folder written by `aiopt solve --out` / `aiopt.write_plan`
    (`aiopt.export.read_plan_dir`) as a `Plan`: tables the `Plan` class does not name (e.g. newer
    ones) as attributes. The scenario is a `SavedScenario`: its name and years (plan.json does not
    keep the policy)."""
    written = read_written_plan(plan_dir)
    tables = written.frames
    solve_row = tables["solve_info"].iloc[0].to_dict()
    info = SolveInfo(
        **{f.name: solve_row.get(f.name) for f in fields(SolveInfo) if f.name != "seconds"},
        seconds={k.removeprefix("seconds_"): v for k, v in solve_row.items() if k.startswith("seconds_")},
    )
    years = sorted(int(y) for y in tables["sites"].year.unique())
    known = {f.name for f in fields(Plan)} - {"scenario", "info"}
    plan = Plan(
        scenario=SavedScenario(written.name, years),
        info=info,
        **{name: frame for name, frame in tables.items() if name in known},
    )
    for name, frame in tables.items():
        if name not in known and name != "solve_info":
            setattr(plan, name, frame)
    return plan


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em;
       color: #222; max-width: 1200px; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.status { color: #555; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; }
th { background: #f3f3f3; text-align: left; } td.number { text-align: right; }
.chart { margin: 1em 0 2em; }
"""

SCRIPT = """
(function () {
  var specs = JSON.parse(document.getElementById("aiopt-specs").textContent);
  var options = %s;
  specs.forEach(function (spec, i) {
    var el = document.getElementById("aiopt-chart-" + i);
    vegaEmbed(el, spec, options).catch(function (error) {
      el.textContent = "Chart failed to render: " + error;
      console.error(error);
    });
  });
})();
"""

# each chart of a plan, drawn when the plan's table named beside it has rows
CHARTS: list[tuple[Callable[[Plan], alt.TopLevelMixin], str]] = [
    (plot.cost_breakdown, "costs"),
    (plot.npv_by_category, "costs"),
    (plot.cash_flow, "costs"),
    (plot.book_value, "book"),
    (plot.capacity_vs_demand, "nodes"),
    (plot.gpus_by_site, "pools"),
    (plot.tier_mix, "pools"),
    (plot.bill_of_materials, "pools"),
    (plot.pool_utilisation, "utilisation"),
    (lambda plan: plot.run_calendar(plan, "all"), "schedule"),
    (plot.owned_vs_rented, "owned_vs_rented"),
    (plot.rack_utilisation, "racks"),
    (plot.power_headroom, "sites"),
    (lambda plan: plot.saving_vs_reference(plan.saving), "saving"),
    (lambda plan: plot.price_of_policy(plan.policy_costs), "policy_costs"),
]

# (heading, table, columns shown; None: all)
REPORT_TABLES = [
    ("Node pools", "pools", None),
    ("Workloads placed", "nodes", ["workload", "tier", "site", "fabric", "year", "nodes", "gpus"]),
    ("Sites", "sites", ["site", "year", "open", "it_kw", "pue", "facility_kw", "expansion_blocks_online"]),
    ("Rented capacity", "rent", None),
    ("Storage", "storage", None),
    ("Saving against the reference design (NPV)", "saving", None),
    ("Price of each policy", "policy_costs", None),
]


def _cell(value) -> str:
    """A table cell: numbers right-aligned with thousands separators, text escaped."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"<td>{escape('' if value is None else str(value))}</td>"
    if isinstance(value, float) and not math.isfinite(value):
        return '<td class="number"></td>'
    text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.4g}"
    return f'<td class="number">{text}</td>'


def html_table(frame: pd.DataFrame) -> str:
    """`frame` as an HTML table, every header and cell escaped."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in frame.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _costs_by_year(plan: Plan) -> pd.DataFrame:
    """Undiscounted USD per category (rows) and year (columns), with the NPV of each."""
    costs = plan.costs
    wide = costs.pivot_table(index=["kind", "category"], columns="year", values="usd", aggfunc="sum")
    wide.columns = [str(y) for y in wide.columns]
    wide["npv_usd"] = costs.groupby(["kind", "category"]).discounted_usd.sum()
    wide = wide[(wide.abs() > 0).any(axis=1)]
    return wide.reset_index()


def chart_specs(plan: Plan) -> list[dict]:
    """The Vega-Lite spec of each chart whose table has rows."""
    return [
        chart(plan).to_dict()
        for chart, needs in CHARTS
        if isinstance(frame := getattr(plan, needs, None), pd.DataFrame) and not frame.empty
    ]


def report_html(plan: Plan) -> str:
    """The report of `plan` as one HTML page."""
    name = escape(plan.scenario.name)
    specs = chart_specs(plan)
    sections = [
        f"<h1>Plan: {name}</h1>",
        f'<p class="status">{escape(plan.summary())}</p>',
        "<h2>Key figures</h2>",
        html_table(plan.kpis),
        "<h2>Charts</h2>",
        *(f'<div class="chart" id="aiopt-chart-{i}"></div>' for i in range(len(specs))),
        "<h2>Cost by category and year (USD)</h2>",
        html_table(_costs_by_year(plan)),
        *(
            f"<h2>{escape(heading)}</h2>" + html_table(table if columns is None else table[columns])
            for heading, table_name, columns in REPORT_TABLES
            if isinstance(table := getattr(plan, table_name, None), pd.DataFrame) and not table.empty
        ),
        f'<p class="status">Written by aiopt {escape(__version__)}.</p>',
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>aiopt plan: {name}</title>",
            f"<style>{STYLE}</style>",
            f'<script type="text/javascript">{plot._javascript_bundle()}</script>',
            "</head>",
            "<body>",
            *sections,
            f'<script type="application/json" id="aiopt-specs">{plot._json(specs)}</script>',
            f'<script type="text/javascript">{SCRIPT % plot._json(plot.EMBED_OPTIONS)}</script>',
            "</body>",
            "</html>",
        ]
    )


def write_report(plan_or_plan_dir: Plan | str | Path, out: str | Path) -> Path:
    """Write the report of a plan (or of the plan folder `aiopt solve --out` wrote) to `out`,
    atomically: a temporary file in the same folder (the user's umask), moved into place."""
    plan = plan_or_plan_dir if isinstance(plan_or_plan_dir, Plan) else read_plan_dir(plan_or_plan_dir)
    page = report_html(plan)
    return write_atomically(out, lambda temporary: temporary.write_text(page, encoding="utf-8"))
