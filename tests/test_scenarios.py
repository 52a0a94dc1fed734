"""The four shipped scenarios solve, pass the plan checker and tell the story they are for."""

from __future__ import annotations

import pytest
from conftest import REPO
from tiny_plans import assert_no_dearer_than_reference

import aiopt
from aiopt.rules import site_lacks

SCENARIOS = REPO / "data" / "scenarios"


STILL_SLOW = {"growth-5y", "tight-budget"}  # may stop at the 60 s limit on a 2-core machine


@pytest.fixture(scope="module")
def plans() -> dict[str, aiopt.Plan]:
    return {}


def solved(plans: dict, name: str, **changes) -> aiopt.Plan:
    """Solve a shipped scenario once per module (policy changes make a separate entry)."""
    key = (name, tuple(sorted(changes.items())))
    if key not in plans:
        sc = aiopt.load_scenario(SCENARIOS / f"{name}.yaml")
        # the others must reach optimal: 180 s is a safety net, not a speed target (the baseline
        # takes ~46 s on the development machine; speed is benchmarked, not tested)
        limit = 60 if name in STILL_SLOW else 180
        plans[key] = aiopt.solve(sc.with_policy(**changes) if changes else sc, limit, progress=False)
    return plans[key]


@pytest.mark.parametrize("name", ["enterprise-baseline", "healthcare-hipaa", "growth-5y", "tight-budget"])
def test_shipped_scenario_solves_and_checks(plans, name):
    plan = solved(plans, name)
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)
    if name in STILL_SLOW:  # whole training jobs and yearly picks made these ~2x slower (issue 10)
        assert plan.status in ("optimal", "time_limit") and plan.gap == plan.gap  # a gap is stated
    else:
        assert plan.status == "optimal" and plan.gap <= 0.01
    assert len(plan.nodes) and plan.kpi("npv_usd") > 0


def test_hipaa_workloads_only_on_certified_dedicated_sites(plans):
    plan = solved(plans, "healthcare-hipaa")
    sc = plan.scenario
    regulated = [w for w, row in sc.workloads.iterrows() if "hipaa-ready" in row.compliance]
    assert regulated, "the scenario should carry HIPAA workloads"
    used = plan.nodes[plan.nodes.workload.isin(regulated)]
    assert len(used)
    for site in used.site.unique():
        assert "hipaa-ready" in sc.sites.at[site, "certifications"]
        assert sc.sites.at[site, "tenancy"] == "dedicated"
    # and there was a cheaper site they were not allowed on
    assert any(site_lacks(row, sc.workloads.loc[regulated[0]]) for _, row in sc.sites.iterrows())
    isolated = [w for w, row in sc.workloads.iterrows() if row.isolated]
    for w in isolated:
        assert set(plan.pools[plan.pools.group == w].tier) == set(plan.nodes[plan.nodes.workload == w].tier)


def test_growth_buys_in_more_than_one_year_and_expands(plans):
    plan = solved(plans, "growth-5y")
    buying_years = plan.pools.loc[plan.pools.bought_nodes > 0, "year"].unique()
    assert len(buying_years) > 1
    assert plan.sites.expansion_blocks_ordered.sum() >= 1
    assert plan.costs.loc[plan.costs.category == "facility", "usd"].sum() > 0


def test_tight_budget_binds(plans):
    plan = solved(plans, "tight-budget")
    budget = plan.scenario.policy["capex_budget_usd"]
    capex = plan.kpi("capex_usd")
    assert capex <= budget * (1 + 1e-6)
    assert plan.kpi("demand_scale") < 1.0
    if plan.status == "optimal":  # whole nodes: what is left of a binding budget buys no further node
        priciest = plan.scenario.gpu_tiers.loc[plan.pools.tier.unique(), "price_usd"].max()
        assert budget - capex < priciest, "the budget should be exhausted to within one node when it binds"
    free = solved(plans, "tight-budget", objective="min_npv", capex_budget_usd=None)
    assert aiopt.check_plan(free).ok
    assert free.kpi("capex_usd") > budget, "without the cap the cheapest full plan costs more than the budget"


@pytest.mark.parametrize("name", ["enterprise-baseline", "healthcare-hipaa", "growth-5y", "tight-budget"])
def test_optimised_plan_is_no_dearer_than_the_reference_design(plans, name):
    # the plans solved above; the reference design (issue 12) is one solve with the architect's
    # choices fixed (seconds; growth-5y up to 2 x 20 s: its first choices do not fit together)
    assert_no_dearer_than_reference(solved(plans, name))
