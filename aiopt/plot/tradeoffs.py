"""Charts of trade-offs: the Pareto frontier and the tornado of a sweep's results table
(`aiopt.sweep`), scenarios side by side, and the shadow prices of a plan's limits
(`aiopt.explain.shadow_prices`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from ..results import Plan
from ..sweep import analysis
from .style import LOSS_COLOUR, MUTED_COLOUR, USED_COLOUR, chart_title, require, tooltips, usd_axis

KPI_TITLES = {
    "npv_usd": "NPV (USD)",
    "capex_usd": "Capex (USD)",
    "opex_usd": "Opex (USD)",
    "total_cost_usd": "Total cost (USD)",
    "residual_value_usd": "Residual value (USD)",
    "gpus_final_year": "GPUs in the final year",
    "nodes_final_year": "Nodes in the final year",
    "sites_used": "Sites used",
    "effective_pflops_final_year": "Effective PFLOPS, final year",
    "usd_per_gpu_hour": "USD per GPU-hour",
    "gpu_hours_used_share": "GPU-hours used (share)",
    "rented_gpu_hours_share": "GPU-hours rented (share)",
    "peak_it_kw": "Peak IT load (kW)",
    "demand_scale": "Capacity (multiple of the demand)",
}
COMPARED = ("npv_usd", "capex_usd", "opex_usd", "gpus_final_year", "peak_it_kw", "usd_per_gpu_hour")
SHADOW_COLUMNS = ["constraint", "kind", "where", "year", "shadow_price", "unit", "finite_difference"]


def kpi_title(column: str) -> str:
    """A readable axis title: the KPI's name and unit, or an override path's row and field."""
    if column in KPI_TITLES:
        return KPI_TITLES[column]
    return " ".join(column.split(".")[1:] or [column]).replace("_", " ")


def _axis(column: str) -> alt.Axis:
    return usd_axis(kpi_title(column)) if column.endswith("_usd") else alt.Axis(title=kpi_title(column))


def _safe(column: str) -> str:
    """A field name Vega-Lite reads literally (a dot there means a nested field)."""
    return column.replace(".", "__")


def pareto_frontier(
    table: pd.DataFrame,
    x: str = "capex_usd",
    y: str = "demand_scale",
    x_better: str = "min",
    y_better: str = "max",
    highlight: str | None = None,
) -> alt.LayerChart:
    """Every solved variant of a sweep as a point, the frontier (`aiopt.sweep.analysis.pareto`:
    no other variant as good on both and better on one) as a line. Tooltips name the variant and
    its overrides; clicking a point highlights that plan (double-click clears), `highlight` is the
    variant id highlighted at first."""
    require(table, ["id", "status", x, y], "the Pareto chart")
    frontier_ids = set(analysis.pareto(table, x, y, x_better, y_better).id)
    shown = [
        "id",
        *(["case"] if "case" in table else []),
        *dict.fromkeys([*analysis.override_columns(table), x, y]),
    ]
    solved = table[table.status.isin(analysis.SOLVED)].dropna(subset=[x, y])[shown]
    data = solved.assign(frontier=solved.id.isin(frontier_ids).map({True: "frontier", False: "dominated"}))
    data = data.rename(columns=_safe)
    plan = alt.selection_point(
        name="plan",
        fields=["id"],
        on="click",
        clear="dblclick",
        **({"value": [{"id": highlight}]} if highlight else {}),
    )
    encode_x = alt.X(f"{_safe(x)}:Q", axis=_axis(x), scale=alt.Scale(zero=False))
    encode_y = alt.Y(f"{_safe(y)}:Q", axis=_axis(y), scale=alt.Scale(zero=False))
    base = alt.Chart(data).encode(x=encode_x, y=encode_y)
    line = (
        base.transform_filter(alt.datum.frontier == "frontier")
        .mark_line(color=USED_COLOUR)
        .encode(order=f"{_safe(x)}:Q")
    )
    points = (
        base.mark_point(filled=True)
        .encode(
            color=alt.Color(
                "frontier:N",
                title="",
                scale=alt.Scale(domain=["frontier", "dominated"], range=[USED_COLOUR, MUTED_COLOUR]),
            ),
            size=alt.condition(plan, alt.value(160), alt.value(50)),
            opacity=alt.condition(plan, alt.value(1.0), alt.value(0.3)),
            stroke=alt.condition(plan, alt.value("black"), alt.value(None)),
            tooltip=tooltips(*((_safe(c), kpi_title(c) if c in (x, y) else c) for c in shown)),
        )
        .add_params(plan)
    )
    subtitle = f"{kpi_title(x)} ({x_better}) vs {kpi_title(y)} ({y_better}); click a point to highlight it"
    return alt.layer(line, points, title=chart_title("Pareto frontier", subtitle)).properties(
        width=420, height=300
    )


def cost_vs_time_to_train(
    table: pd.DataFrame, deadline: str | None = None, cost: str = "npv_usd", highlight: str | None = None
) -> alt.LayerChart:
    """The frontier of cost against time to train: a sweep over a training workload's
    `deadline_days` (`deadline`: its override column, found when the sweep varies only one)."""
    if deadline is None:
        found = [c for c in analysis.override_columns(table) if c.endswith(".deadline_days")]
        if len(found) != 1:
            raise ValueError(f"name the deadline column: the sweep varies {found or 'no deadline_days'}")
        deadline = found[0]
    return pareto_frontier(table, deadline, cost, "min", "min", highlight)


def cost_vs_capacity(
    table: pd.DataFrame, cost: str = "capex_usd", capacity: str = "demand_scale", highlight: str | None = None
) -> alt.LayerChart:
    """The frontier of cost against capacity (e.g. a sweep from `analysis.epsilon_spec`)."""
    return pareto_frontier(table, cost, capacity, "min", "max", highlight)


def tornado(table: pd.DataFrame, kpi: str = "npv_usd", base: str | None = None) -> alt.LayerChart:
    """One-at-a-time sensitivity of `kpi`: per varied input, a bar from the base KPI to the KPI
    at the input's lowest value and one to its highest, widest swing on top. `table` is a
    sweep's results table or `aiopt.sweep.analysis.tornado`'s output."""
    swings = table if set(analysis.TORNADO) <= set(table.columns) else analysis.tornado(table, kpi, base)
    ends = pd.concat(
        [
            swings.assign(end="lowest value", value=swings.value_low, kpi_end=swings.kpi_low),
            swings.assign(end="highest value", value=swings.value_high, kpi_end=swings.kpi_high),
        ],
        ignore_index=True,
    )
    ends["input"] = ends.path.map(kpi_title)
    order = list(swings.path.map(kpi_title))
    base_line = (
        alt.Chart(swings.head(1))
        .mark_rule(color="black", strokeDash=[4, 3])
        .encode(x="base_kpi:Q", tooltip=tooltips(("base_kpi:Q", "Base", ",.4~g")))
    )
    bars = (
        alt.Chart(ends)
        .mark_bar()
        .encode(
            y=alt.Y("input:N", title="Input", sort=order),
            x=alt.X("base_kpi:Q", axis=_axis(kpi), scale=alt.Scale(zero=False)),
            x2="kpi_end:Q",
            color=alt.Color(
                "end:N",
                title="Input at its",
                scale=alt.Scale(domain=["lowest value", "highest value"], range=[USED_COLOUR, LOSS_COLOUR]),
            ),
            tooltip=tooltips(
                ("path:N", "Override"),
                ("end:N", "End"),
                ("value:N", "Input value"),
                ("base_value:N", "Base value"),
                ("kpi_end:Q", kpi_title(kpi), ",.4~g"),
                ("swing:Q", "Swing", ",.4~g"),
            ),
        )
    )
    subtitle = f"{kpi_title(kpi)} at each input's lowest and highest value, the others at the base (dashed)"
    return alt.layer(bars, base_line, title=chart_title("Sensitivity (tornado)", subtitle)).properties(
        width=420
    )


def compare_kpis(plans: Mapping[str, Plan], metrics: Sequence[str] = COMPARED) -> alt.FacetChart:
    """Scenarios as small multiples: one panel per KPI (each on its own scale), one bar per plan."""
    rows = []
    for name, plan in plans.items():
        kpis = plan.kpis.set_index("metric")
        for metric in metrics:
            label = KPI_TITLES.get(metric, f"{metric} ({kpis.at[metric, 'unit']})")
            rows.append(dict(plan=name, metric=metric, panel=label, value=float(kpis.at[metric, "value"])))
    data = pd.DataFrame(rows, columns=["plan", "metric", "panel", "value"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("plan:N", title=None, sort=list(plans), axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.3~s")),
            color=alt.Color("plan:N", title="Plan", sort=list(plans)),
            tooltip=tooltips(("plan:N", "Plan"), ("panel:N", "KPI"), ("value:Q", "Value", ",.4~g")),
        )
        .properties(width=alt.Step(28), height=140)
        .facet(
            facet=alt.Facet("panel:N", title=None, sort=[KPI_TITLES.get(m, m) for m in metrics]), columns=3
        )
        .resolve_scale(y="independent")
        .properties(title=chart_title("Scenario comparison", "One panel per KPI, each on its own scale"))
    )


def shadow_prices(prices: pd.DataFrame) -> alt.FacetChart:
    """What one more unit of each binding limit is worth (`aiopt.explain.shadow_prices`): a bar
    per constraint, place and year, the finite-difference check as a black diamond; one panel
    per unit."""
    data = require(prices, SHADOW_COLUMNS, "the shadow-price chart").copy()
    data["limit"] = (
        data.constraint.astype(str) + " · " + data["where"].astype(str) + " · " + data.year.astype(str)
    )
    data = data.assign(size=data.shadow_price.abs()).sort_values("size", ascending=False)
    note = [("note:N", "Note")] if "note" in data else []
    base = alt.Chart().encode(y=alt.Y("limit:N", title=None, sort=None))
    bars = base.mark_bar().encode(
        x=alt.X("shadow_price:Q", title="Shadow price (per unit)"),
        color=alt.Color("kind:N", title="Kind"),
        tooltip=tooltips(
            ("constraint:N", "Constraint"),
            ("where:N", "Where"),
            ("year:O", "Year"),
            ("shadow_price:Q", "Shadow price", ",.4~g"),
            ("unit:N", "Unit"),
            ("finite_difference:Q", "Finite difference", ",.4~g"),
            *note,
        ),
    )
    checks = base.mark_point(shape="diamond", filled=True, color="black").encode(x="finite_difference:Q")
    return (
        alt.layer(bars, checks, data=data)
        .properties(width=360)
        .facet(row=alt.Row("unit:N", title="Unit"))
        .resolve_scale(x="independent", y="independent")
        .properties(
            title=chart_title(
                "Shadow prices", "Worth of one more unit of each binding limit; ◆ finite difference"
            )
        )
    )


__all__ = [
    "compare_kpis",
    "cost_vs_capacity",
    "cost_vs_time_to_train",
    "pareto_frontier",
    "shadow_prices",
    "tornado",
]
