"""Charts of what a plan installs and how it is used: capacity against demand, pool utilisation,
the GPU-tier mix, the bill of materials, and owned against rented GPU-hours."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..results import Plan
from .style import USED_COLOUR, chart_title, table, tooltips, year_axis

# a training workload's demand is in effective PFLOPS, a service's in output tokens/s
CAPACITY_MEASURES = {
    "training": ("effective_pflops", "required_pflops", "PFLOPS"),
    "serving": ("tokens_per_s", "required_tokens_per_s", "tokens/s"),
}
SOURCE_COLOURS = {"owned": USED_COLOUR, "rented": "#fd8d3c"}


def capacity_vs_demand(plan: Plan) -> alt.FacetChart:
    """Capacity delivered by owned nodes (bars, by tier) against the demand (black tick) per year,
    one panel per workload, each on its own scale: effective PFLOPS for training, output tokens/s
    for serving. The demand is the model's (scaled by `demand_scale` under max_capacity)."""
    nodes = plan.nodes
    frames = []
    for kind, (delivered, required, unit) in CAPACITY_MEASURES.items():
        rows = nodes[nodes[required].notna()]
        by_tier = rows.groupby(["workload", "year", "tier"], as_index=False)[delivered].sum()
        demand = rows.groupby(["workload", "year"], as_index=False)[required].first()
        frames.append(
            by_tier.rename(columns={delivered: "delivered"})
            .merge(demand.rename(columns={required: "demand"}), on=["workload", "year"])
            .assign(kind=kind, unit=unit)
        )
    data = pd.concat(frames, ignore_index=True)
    data["panel"] = data.workload + " (" + data.unit + ")"
    base = alt.Chart().encode(x=year_axis())
    bars = base.mark_bar().encode(
        y=alt.Y("sum(delivered):Q", title="Delivered vs demand"),
        color=alt.Color("tier:N", title="GPU tier"),
        tooltip=tooltips(
            ("workload:N", "Workload"),
            ("year:O", "Year"),
            ("tier:N", "GPU tier"),
            ("delivered:Q", "Delivered", ",.1f"),
            ("demand:Q", "Demand", ",.1f"),
            ("unit:N", "Unit"),
        ),
    )
    ticks = base.mark_tick(color="black", thickness=2, size=24).encode(
        y=alt.Y("max(demand):Q"), tooltip=tooltips(("max(demand):Q", "Demand", ",.1f"))
    )
    return (
        alt.layer(bars, ticks, data=data)
        .properties(width=alt.Step(32), height=160)
        .facet(facet=alt.Facet("panel:N", title="Workload (unit)"), columns=3)
        .resolve_scale(y="independent")
        .properties(
            title=chart_title(
                "Capacity delivered vs demand",
                "Owned nodes' capacity by tier (bars), the demand (tick); rented: see owned vs rented",
            )
        )
    )


def pool_utilisation(plan: Plan) -> alt.LayerChart:
    """Used over installed GPU-hours of each pool (tier · site · node group) and year, as a heat map."""
    pools = plan.utilisation.copy()
    pools["pool"] = pools.tier + " · " + pools.site + " · " + pools.group
    base = alt.Chart(pools).encode(x=year_axis(), y=alt.Y("pool:N", title="Pool (tier · site · group)"))
    cells = base.mark_rect().encode(
        color=alt.Color("utilisation:Q", title="Utilisation", scale=alt.Scale(domain=[0, 1], scheme="blues")),
        tooltip=tooltips(
            ("pool:N", "Pool"),
            ("year:O", "Year"),
            ("installed_gpu_hours:Q", "Installed GPU-hours", ",.0f"),
            ("used_gpu_hours:Q", "Used GPU-hours", ",.0f"),
            ("utilisation:Q", "Utilisation", ".0%"),
        ),
    )
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("utilisation:Q", format=".0%"),
        color=alt.condition("datum.utilisation > 0.6", alt.value("white"), alt.value("black")),
    )
    subtitle = "Used GPU-hours (runs and serving) over installed GPU-hours"
    return alt.layer(cells, labels, title=chart_title("Pool utilisation", subtitle)).properties(
        width=alt.Step(56)
    )


def _gpus_by_source(plan: Plan) -> pd.DataFrame:
    """GPUs per tier and year: installed (owned) from `pools`, rented from `rent`."""
    frames = [plan.pools.groupby(["tier", "year"], as_index=False).gpus.sum().assign(source="owned")]
    rent = table(plan, "rent")
    if rent is not None:
        frames.append(rent.groupby(["tier", "year"], as_index=False).gpus.sum().assign(source="rented"))
    data = pd.concat(frames, ignore_index=True)
    data["mix"] = data.tier + " (" + data.source + ")"
    data["share"] = data.gpus / data.groupby("year").gpus.transform("sum")
    return data


def tier_mix(plan: Plan) -> alt.Chart:
    """Each year's GPUs as shares of the GPU tiers, owned and rented apart (a 100% stacked bar)."""
    data = _gpus_by_source(plan)
    return (
        alt.Chart(data, title=chart_title("GPU-tier mix", "Share of the year's GPUs, owned and rented"))
        .mark_bar()
        .encode(
            x=year_axis(),
            y=alt.Y("gpus:Q", stack="normalize", title="Share of GPUs", axis=alt.Axis(format=".0%")),
            color=alt.Color("mix:N", title="Tier (source)"),
            tooltip=tooltips(
                ("year:O", "Year"),
                ("tier:N", "GPU tier"),
                ("source:N", "Source"),
                ("gpus:Q", "GPUs", ",.0f"),
                ("share:Q", "Share", ".0%"),
            ),
        )
        .properties(width=alt.Step(40))
    )


def _bill_rows(plan: Plan) -> pd.DataFrame:
    """Installed count of each item a year: nodes per tier, racks per type, switches and NICs per
    fabric, storage units per tier; `added` the rise on the year before (nodes: bought)."""
    pools = plan.pools.groupby(["tier", "year"], as_index=False)[["installed_nodes", "bought_nodes"]].sum()
    parts = [
        pools.assign(item="nodes: " + pools.tier, count=pools.installed_nodes, added=pools.bought_nodes),
        _installed(plan.racks, "rack_type", "racks", "racks"),
        _installed(plan.fabric, "fabric", "switches", "switches"),
        _installed(plan.fabric, "fabric", "nics", "NICs"),
        _installed(plan.storage, "storage_tier", "units", "storage units"),
    ]
    data = pd.concat([p[["item", "year", "count", "added"]] for p in parts], ignore_index=True)
    return data[data["count"] > 0]


def _installed(frame: pd.DataFrame, key: str, column: str, label: str) -> pd.DataFrame:
    counts = frame.groupby([key, "year"], as_index=False)[column].sum().sort_values([key, "year"])
    counts["added"] = counts[column] - counts.groupby(key)[column].shift(fill_value=0)
    return counts.assign(item=f"{label}: " + counts[key].astype(str), count=counts[column])


def bill_of_materials(plan: Plan) -> alt.LayerChart:
    """What is installed each year, item by item (nodes per tier, racks, switches, NICs, storage
    units): the count in each cell, shaded by how many were added that year."""
    data = _bill_rows(plan)
    base = alt.Chart(data).encode(x=year_axis(), y=alt.Y("item:N", title="Item", sort=None))
    cells = base.mark_rect().encode(
        color=alt.Color("added:Q", title="Added that year", scale=alt.Scale(scheme="greens")),
        tooltip=tooltips(
            ("item:N", "Item"),
            ("year:O", "Year"),
            ("count:Q", "Installed", ",.0f"),
            ("added:Q", "Added", ",.0f"),
        ),
    )
    counts = base.mark_text(fontSize=11).encode(text=alt.Text("count:Q", format=",.0f"))
    subtitle = "Installed count per year; shade: added that year (nodes: bought)"
    return alt.layer(cells, counts, title=chart_title("Bill of materials", subtitle)).properties(
        width=alt.Step(56)
    )


def owned_vs_rented(plan: Plan) -> alt.Chart:
    """Owned GPU-hours used and rented GPU-hours billed per workload and year (`plan.owned_vs_rented`)."""
    split = plan.owned_vs_rented
    long = split.melt(
        id_vars=["workload", "year"],
        value_vars=["owned_gpu_hours", "rented_gpu_hours"],
        var_name="source",
        value_name="gpu_hours",
    )
    long["source"] = long.source.str.removesuffix("_gpu_hours")
    long = long.merge(split[["workload", "year", "rented_share"]], on=["workload", "year"])
    return (
        alt.Chart(
            long, title=chart_title("Owned vs rented GPU-hours", "Owned: used GPU-hours; rented: billed")
        )
        .mark_bar()
        .encode(
            x=year_axis(),
            y=alt.Y("gpu_hours:Q", title="GPU-hours", stack="zero", axis=alt.Axis(format=",.3~s")),
            color=alt.Color(
                "source:N",
                title="Source",
                scale=alt.Scale(domain=list(SOURCE_COLOURS), range=list(SOURCE_COLOURS.values())),
            ),
            column=alt.Column("workload:N", title="Workload"),
            tooltip=tooltips(
                ("workload:N", "Workload"),
                ("year:O", "Year"),
                ("source:N", "Source"),
                ("gpu_hours:Q", "GPU-hours", ",.0f"),
                ("rented_share:Q", "Rented share", ".0%"),
            ),
        )
        .properties(width=alt.Step(32))
    )


__all__ = ["bill_of_materials", "capacity_vs_demand", "owned_vs_rented", "pool_utilisation", "tier_mix"]
