"""The trade-off, capacity and money charts read through `chart.to_dict()`: marks, encodings,
and data that add up to the plan's own tables.

One tiny plan (tests/data/tiny.yaml: a training run and a service on owned nodes, two years)
is solved for the module; the sweep, finance and explain tables are small hand-made frames in
the shapes those modules return (their column contracts).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt import plot
from aiopt.sweep import analysis


@pytest.fixture(scope="module")
def plan() -> aiopt.Plan:
    plan = aiopt.solve(aiopt.load_scenario(TINY, CATALOG_DIR), progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


def rows(spec: dict) -> pd.DataFrame:
    """The chart's data (the top-level dataset) as a DataFrame."""
    return pd.DataFrame(spec["datasets"][spec["data"]["name"]])


def layer_rows(spec: dict, layer: dict) -> pd.DataFrame:
    return pd.DataFrame(spec["datasets"][layer["data"]["name"]])


def mark(spec: dict) -> str:
    m = spec["mark"]
    return m if isinstance(m, str) else m["type"]


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=1e-6)


# --- hand-made tables in the contracts' shapes --------------------------------------------------


def sweep_table() -> pd.DataFrame:
    """Six variants of a deadline x discount-rate sweep, one failed; KPIs chosen by hand."""
    return pd.DataFrame(
        {
            "id": ["base", "d30", "d90", "r06", "r10", "bad"],
            "case": ["", "", "", "", "", ""],
            "workloads.pretrain-8b.deadline_days": [60, 30, 90, 60, 60, 10],
            "policy.discount_rate": [np.nan, np.nan, np.nan, 0.06, 0.10, np.nan],
            "status": ["optimal", "optimal", "optimal", "optimal", "optimal", "infeasible"],
            "npv_usd": [10e6, 14e6, 9e6, 10.6e6, 9.5e6, np.nan],
            "capex_usd": [6e6, 9e6, 6.5e6, 6e6, 6e6, np.nan],
            "demand_scale": [1.0, 1.4, 0.9, 1.0, 1.0, np.nan],
        }
    )


def saving_table() -> pd.DataFrame:
    """`aiopt.finance.saving`: two categories saved, one dearer, and their total row."""
    return pd.DataFrame(
        {
            "category": ["compute", "energy", "fabric", "total"],
            "optimised_npv_usd": [8e6, 2e6, 1.5e6, 11.5e6],
            "reference_npv_usd": [10e6, 2.5e6, 1e6, 13.5e6],
            "saving_usd": [2e6, 0.5e6, -0.5e6, 2e6],
        }
    )


def policy_table() -> pd.DataFrame:
    """`aiopt.price_of_policy`: two policies priced, one without a plan to compare."""
    return pd.DataFrame(
        {
            "policy": ["hipaa", "residency", "min_sites"],
            "detail": ["chat-70b", "eu", "2"],
            "npv_with_usd": [12e6, 11e6, 13e6],
            "npv_without_usd": [10e6, 10.5e6, np.nan],
            "cost_npv_usd": [2e6, 0.5e6, np.nan],
            "cost_per_year_usd": [0.7e6, 0.2e6, np.nan],
            "status_with": ["optimal", "optimal", "optimal"],
            "status_without": ["optimal", "optimal", "infeasible"],
        }
    )


def shadow_table() -> pd.DataFrame:
    """`aiopt.explain.shadow_prices`: two units, one limit without a finite difference."""
    return pd.DataFrame(
        {
            "constraint": ["facility_power", "rack_positions", "facility_power"],
            "kind": ["power", "space", "power"],
            "where": ["us", "us", "eu"],
            "year": [2026, 2026, 2027],
            "shadow_price": [1200.0, 35000.0, -80.0],
            "unit": ["USD per kW", "USD per rack", "USD per kW"],
            "finite_difference": [1190.0, np.nan, -75.0],
            "note": ["", "integer limit", ""],
        }
    )


def test_capacity_vs_demand_sums_owned_capacity_and_shows_each_demand(plan):
    spec = plot.capacity_vs_demand(plan).to_dict()
    assert spec["facet"]["field"] == "panel" and spec["resolve"]["scale"]["y"] == "independent"
    bars, ticks = spec["spec"]["layer"]
    assert (mark(bars), mark(ticks)) == ("bar", "tick")
    assert bars["encoding"]["y"]["field"] == "delivered" and ticks["encoding"]["y"]["field"] == "demand"
    data = rows(spec)
    nodes = plan.nodes
    for kind, (delivered, required, unit) in plot.capacity.CAPACITY_MEASURES.items():
        mine, theirs = data[data.kind == kind], nodes[nodes[required].notna()]
        assert len(theirs) > 0, f"the tiny plan has {kind} on owned nodes"
        assert close(mine.delivered.sum(), theirs[delivered].sum())
        demand = theirs.groupby(["workload", "year"])[required].first()
        assert close(mine.groupby(["workload", "year"]).demand.first().sum(), demand.sum())
        assert (mine.unit == unit).all() and mine.panel.str.endswith(f"({unit})").all()


def test_pool_utilisation_is_a_heat_map_of_used_over_installed(plan):
    spec = plot.pool_utilisation(plan).to_dict()
    cells, labels = spec["layer"]
    assert (mark(cells), mark(labels)) == ("rect", "text")
    assert cells["encoding"]["color"]["field"] == "utilisation"
    assert cells["encoding"]["color"]["scale"]["domain"] == [0, 1]
    data = rows(spec)
    assert close(data.used_gpu_hours.sum(), plan.utilisation.used_gpu_hours.sum())
    assert np.allclose(data.utilisation, data.used_gpu_hours / data.installed_gpu_hours)


def test_tier_mix_stacks_owned_and_rented_gpus_to_one(plan):
    rented = copy.copy(plan)
    rented.rent = pd.DataFrame(
        {"workload": ["pretrain-8b"], "year": [2026], "tier": ["b200-hgx"], "gpus": [16]}
    )
    spec = plot.tier_mix(rented).to_dict()
    assert mark(spec) == "bar" and spec["encoding"]["y"]["stack"] == "normalize"
    data = rows(spec)
    assert close(data[data.source == "owned"].gpus.sum(), plan.pools.gpus.sum())
    assert data[data.source == "rented"][["tier", "year", "gpus"]].values.tolist() == [["b200-hgx", 2026, 16]]
    assert np.allclose(data.groupby("year").share.sum(), 1.0)
    assert "b200-hgx (rented)" in set(data.mix)


def test_bill_of_materials_counts_what_is_installed_and_added(plan):
    spec = plot.bill_of_materials(plan).to_dict()
    cells, counts = spec["layer"]
    assert (mark(cells), mark(counts)) == ("rect", "text")
    data = rows(spec).set_index(["item", "year"])
    for pool in plan.pools.itertuples():
        assert data.at[(f"nodes: {pool.tier}", pool.year), "count"] == pool.installed_nodes
        assert data.at[(f"nodes: {pool.tier}", pool.year), "added"] == pool.bought_nodes
    racks = plan.racks.groupby(["rack_type", "year"]).racks.sum()
    first, last = plan.scenario.years[0], plan.scenario.years[-1]
    for rack_type in plan.racks.rack_type.unique():
        item = f"racks: {rack_type}"
        assert data.at[(item, last), "count"] == racks[rack_type, last]
        assert data.at[(item, last), "added"] == racks[rack_type, last] - racks.get((rack_type, last - 1), 0)
        assert data.at[(item, first), "added"] == racks[rack_type, first]
    assert any(item.startswith("switches: ") for item, _ in data.index)


def test_owned_vs_rented_splits_each_workload_year(plan):
    spec = plot.owned_vs_rented(plan).to_dict()
    enc, data = spec["encoding"], rows(spec)
    assert mark(spec) == "bar" and enc["column"]["field"] == "workload" and enc["color"]["field"] == "source"
    split = plan.owned_vs_rented
    assert close(data[data.source == "owned"].gpu_hours.sum(), split.owned_gpu_hours.sum())
    assert close(data[data.source == "rented"].gpu_hours.sum(), split.rented_gpu_hours.sum())


def test_cash_flow_draws_plan_cash_with_its_tax_rows(plan):
    spec = plot.cash_flow(plan).to_dict()
    bars, line = spec["layer"]
    cumulative = layer_rows(spec, line).cumulative_discounted_usd
    assert close(cumulative.iloc[-1], plan.kpi("npv_usd"))
    assert close(layer_rows(spec, bars).usd.sum(), plan.kpi("total_cost_usd"))
    taxed = copy.copy(plan)
    tax = pd.DataFrame(
        {"year": [2026], "category": ["tax"], "kind": ["tax"], "usd": [-1e6], "discounted_usd": [-1e6]}
    )
    taxed.cash = pd.concat([plan.costs, tax], ignore_index=True)
    spec = plot.cash_flow(taxed).to_dict()
    bars, line = spec["layer"]
    assert close(layer_rows(spec, line).cumulative_discounted_usd.iloc[-1], plan.kpi("npv_usd") - 1e6)
    scale = bars["encoding"]["color"]["scale"]
    assert scale["domain"] == ["capex", "opex", "residual", "tax"]
    assert scale["range"][-1] == plot.money.TAX_COLOUR


def test_book_value_needs_plan_book(plan):
    without_book = copy.copy(plan)
    without_book.book = pd.DataFrame()
    with pytest.raises(ValueError, match="no book table"):
        plot.book_value(without_book)
    with_book = copy.copy(plan)
    with_book.book = pd.DataFrame(
        {
            "year": [2026, 2026, 2027, 2027],
            "category": ["compute", "racks", "compute", "racks"],
            "depreciation_usd": [200.0, 10.0, 200.0, 10.0],
            "book_value_usd": [800.0, 40.0, 600.0, 30.0],
        }
    )
    spec = plot.book_value(with_book).to_dict()
    bars, line = spec["layer"]
    assert (
        bars["encoding"]["y"]["field"] == "depreciation_usd"
        and bars["encoding"]["color"]["field"] == "category"
    )
    assert layer_rows(spec, line).book_value_usd.tolist() == [840.0, 630.0]
    with_book.book = with_book.book.drop(columns="book_value_usd")
    with pytest.raises(ValueError, match="book_value_usd"):
        plot.book_value(with_book)


def test_saving_vs_reference_colours_savings_and_losses():
    spec = plot.saving_vs_reference(saving_table()).to_dict()
    data = rows(spec).set_index("category")
    assert spec["encoding"]["x"]["field"] == "saving_usd" and spec["encoding"]["y"]["sort"] == "-x"
    assert data.outcome.to_dict() == {"compute": "saved", "energy": "saved", "fabric": "dearer"}
    assert "$2.00M (14.8% of the reference's NPV)" in spec["title"]["subtitle"]


def test_price_of_policy_greys_a_policy_without_a_plan_to_compare():
    spec = plot.price_of_policy(policy_table()).to_dict()
    data = rows(spec).set_index("policy")
    assert spec["encoding"]["x"]["field"] == "bar_usd"
    assert data.priced.to_dict() == {
        "hipaa": "priced",
        "residency": "priced",
        "min_sites": "no plan to compare",
    }
    assert data.at["min_sites", "bar_usd"] == 0 and data.at["hipaa", "label"] == "hipaa: chat-70b"
    assert {t["field"] for t in spec["encoding"]["tooltip"]} >= {"status_with", "status_without"}


def test_pareto_frontier_marks_the_non_dominated_variants_and_selects_one():
    table = sweep_table()
    spec = plot.cost_vs_time_to_train(table, highlight="d30").to_dict()
    line, points = spec["layer"]
    deadline = "workloads__pretrain-8b__deadline_days"  # a dot would read as a nested field
    assert (mark(line), mark(points)) == ("line", "point")
    assert points["encoding"]["x"]["field"] == deadline and points["encoding"]["y"]["field"] == "npv_usd"
    data = rows(spec)
    frontier = analysis.pareto(table, "workloads.pretrain-8b.deadline_days", "npv_usd", "min", "min")
    assert set(data[data.frontier == "frontier"].id) == set(frontier.id) == {"d30", "r10", "d90"}
    assert "bad" not in set(data.id)  # not solved
    # r10 beats base at the same deadline (9.5e6 < 10e6); d90 is cheaper still but slower
    [selection] = spec["params"]
    assert selection["select"]["fields"] == ["id"] and selection["value"] == [{"id": "d30"}]
    assert points["encoding"]["opacity"]["condition"]["param"] == selection["name"]
    assert {t["field"] for t in points["encoding"]["tooltip"]} >= {"id", deadline, "policy__discount_rate"}
    assert points["encoding"]["x"]["axis"]["title"] == "pretrain-8b deadline days"
    with pytest.raises(ValueError, match="deadline"):
        plot.cost_vs_time_to_train(table.drop(columns="workloads.pretrain-8b.deadline_days"))


def test_cost_vs_capacity_minimises_cost_and_maximises_capacity():
    spec = plot.cost_vs_capacity(sweep_table()).to_dict()
    data = rows(spec)
    # capex 6e6 reaches 1.0 (base, r06, r10); 6.5e6 reaches only 0.9; 9e6 reaches 1.4
    assert set(data[data.frontier == "frontier"].id) == {"base", "r06", "r10", "d30"}
    assert spec["layer"][1]["encoding"]["y"]["axis"]["title"] == "Capacity (multiple of the demand)"


def test_tornado_draws_each_input_from_the_base_to_its_ends():
    table = sweep_table()
    from_table = plot.tornado(table, base="base").to_dict()
    from_swings = plot.tornado(analysis.tornado(table, base="base")).to_dict()
    bars, base = from_table["layer"]
    data = layer_rows(from_table, bars)
    assert data.equals(layer_rows(from_swings, from_swings["layer"][0]))
    assert bars["encoding"]["x"]["field"] == "base_kpi" and bars["encoding"]["x2"]["field"] == "kpi_end"
    # the deadline swings 14e6 - 9e6 = 5e6, the discount rate 10.6e6 - 9.5e6 = 1.1e6: deadline on top
    assert bars["encoding"]["y"]["sort"] == ["pretrain-8b deadline days", "discount rate"]
    ends = data.set_index(["path", "end"]).kpi_end
    assert ends["workloads.pretrain-8b.deadline_days", "lowest value"] == 14e6
    assert ends["workloads.pretrain-8b.deadline_days", "highest value"] == 9e6
    assert (data.base_kpi == 10e6).all() and mark(base) == "rule"


def test_compare_kpis_is_small_multiples_one_panel_per_kpi(plan):
    kpis = plan.kpis.copy()
    kpis.loc[kpis.metric == "npv_usd", "value"] *= 2
    dearer = copy.copy(plan)
    dearer.kpis = kpis
    spec = plot.compare_kpis({"tiny": plan, "dearer": dearer}, ["npv_usd", "peak_it_kw"]).to_dict()
    assert spec["facet"]["field"] == "panel" and spec["resolve"]["scale"]["y"] == "independent"
    assert spec["spec"]["encoding"]["x"]["sort"] == ["tiny", "dearer"]
    data = rows(spec).set_index(["plan", "metric"]).value
    assert close(data["dearer", "npv_usd"], 2 * plan.kpi("npv_usd"))
    assert close(data["tiny", "peak_it_kw"], plan.kpi("peak_it_kw"))
    assert set(rows(spec).panel) == {"NPV (USD)", "Peak IT load (kW)"}


def test_shadow_prices_one_panel_per_unit_with_the_finite_difference_check():
    spec = plot.shadow_prices(shadow_table()).to_dict()
    bars, checks = spec["spec"]["layer"]
    assert spec["facet"]["row"]["field"] == "unit" and spec["resolve"]["scale"]["x"] == "independent"
    assert (mark(bars), mark(checks)) == ("bar", "point")
    assert checks["encoding"]["x"]["field"] == "finite_difference"
    data = rows(spec)
    assert data.limit.tolist() == [
        "rack_positions · us · 2026",
        "facility_power · us · 2026",
        "facility_power · eu · 2027",
    ]


def test_run_calendar_of_every_year_has_a_panel_per_year(plan):
    spec = plot.run_calendar(plan, "all").to_dict()
    assert spec["encoding"]["column"]["field"] == "year"
    assert len(rows(spec)) == len(plan.schedule) and set(rows(spec).year) == set(plan.scenario.years)


def booked(plan: aiopt.Plan) -> aiopt.Plan:
    with_book = copy.copy(plan)
    with_book.book = pd.DataFrame(
        {"year": [2026], "category": ["compute"], "depreciation_usd": [1.0], "book_value_usd": [4.0]}
    )
    return with_book


# the charts the report does not draw (its browser test draws the others)
NOT_IN_THE_REPORT = {
    "book_value": lambda plan: plot.book_value(booked(plan)),
    "compare_kpis": lambda plan: plot.compare_kpis({"a": plan, "b": plan}),
    "pareto_frontier": lambda plan: plot.cost_vs_time_to_train(sweep_table(), highlight="base"),
    "tornado": lambda plan: plot.tornado(sweep_table(), base="base"),
    "saving_vs_reference": lambda plan: plot.saving_vs_reference(saving_table()),
    "price_of_policy": lambda plan: plot.price_of_policy(policy_table()),
    "shadow_prices": lambda plan: plot.shadow_prices(shadow_table()),
}


@pytest.mark.parametrize("name", NOT_IN_THE_REPORT)
def test_chart_compiles_and_draws_marks(plan, name):
    """vl-convert compiles and renders the spec the way the browser would: marks must appear."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(NOT_IN_THE_REPORT[name](plan).to_dict())
    assert "role-mark" in svg and svg.count("<path") > 3
