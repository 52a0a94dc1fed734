"""Shadow prices (`aiopt.explain.shadow_prices`): each agrees with re-solving the fixed LP with one
unit more, on tiny scenarios where that limit binds (catalog: tests/tiny_plans.py).

The cases share one serving workload of 10 g1-node equivalents (`inference(pflops=40)`) on two
tiers, "a" (the base g1: 100,000 USD, 10 kW, 10 U) and "b" (as fast, dearer, and leaner where
the case needs it), so the cheaper tier is held back by the limit and the dearer one fills in.
Hardware lives one year (no residual value) and energy is free, so prices are capex alone.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from tiny_plans import REL_GAP, inference, site, storage, tier, tiny_scenario, training, two_tier_two_site

import aiopt
from aiopt.explain import shadow_prices
from aiopt.solve.highs import HighsModel, use_threads

ONE_YEAR = {"hardware_lifetime_years": 1}
CASES = {
    # 10 x_a + 5 x_b <= 60 kW, x_a + x_b = 10: x_a = 2; a kW more lets 0.2 b-nodes be a-nodes
    "power": dict(
        workloads=[inference(pflops=40)],
        gpu_tiers=[tier("a"), tier("b", node_kw=5, price_usd=150_000)],
        sites=[site(power_mw=0.06)],
    ),
    # a is 40 U (one to a rack), b 10 U (four); 4 positions: x_a + x_b / 4 <= 4, x_a = 2
    "racks": dict(
        workloads=[inference(pflops=40)],
        gpu_tiers=[tier("a", rack_units=40), tier("b", price_usd=150_000)],
        sites=[site(racks={"r1": 4})],
    ),
    # a is cheap and draws 20 kW at 1 USD/kWh, b dear and lean: the 1.4 MUSD budget keeps 2 a-nodes
    "budget": dict(
        workloads=[inference(pflops=40)],
        gpu_tiers=[tier("a", node_kw=20), tier("b", node_kw=5, price_usd=150_000)],
        sites=[site(electricity_usd_per_kwh=1.0)],
        policy={"capex_budget_usd": 1.4e6},
    ),
    # training reads 100 GB/s per GPU from 100 GB/s storage units of 10,000 USD: bandwidth, not
    # capacity, sizes the storage
    "storage bandwidth": dict(
        workloads=[training(pflops=10, read_gbps_per_gpu=100)],
        storage_tiers=[storage(usd_per_tb=1000, read_gbps_per_unit=100)],
    ),
}


def solve_case(directory, name: str):
    """(model, plan) of a case, solved to a 1e-6 gap and checked."""
    case = CASES[name]
    tables = {k: v for k, v in case.items() if k not in ("workloads", "policy")}
    scenario = tiny_scenario(
        directory, case["workloads"], policy={**ONE_YEAR, **case.get("policy", {})}, **tables
    )
    model = aiopt.build_model(scenario)
    plan = aiopt.read_plan(model, aiopt.solve_model(model, rel_gap=REL_GAP, progress=False))
    assert plan.status == "optimal" and aiopt.check_plan(plan).ok
    return model, plan


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """`solved(name)`: the case's (model, plan), solved once per module."""
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = solve_case(tmp_path_factory.mktemp(name.replace(" ", "-")), name)
        return cache[name]

    return get


@pytest.fixture(scope="module", params=list(CASES))
def case(request, solved):
    return request.param, shadow_prices(solved(request.param), fix="choices")


def test_a_binding_limit_is_priced_and_agrees_with_one_unit_more(case):
    kind, prices = case
    rows = prices[prices.kind == kind]
    assert len(rows), f"no {kind} price in\n{prices}"
    for row in rows.itertuples():
        assert row.shadow_price < 0, "one unit more of a binding limit saves money"
        assert row.finite_difference == pytest.approx(row.shadow_price, rel=1e-3, abs=1e-4)


def test_every_price_agrees_with_its_finite_difference(case):
    _, prices = case
    assert len(prices) and not prices.finite_difference.isna().any()
    for row in prices.itertuples():
        assert row.finite_difference == pytest.approx(row.shadow_price, rel=1e-3, abs=1e-4), row


def test_a_kw_of_power_is_worth_a_fifth_of_the_tier_price_difference(solved):
    # one kW more: 0.2 more a-nodes instead of b-nodes (10 - 5 kW apart), 0.2 x 50,000 USD saved
    prices = shadow_prices(solved("power"), fix="choices")
    power = prices[prices.kind == "power"]
    assert power["where"].tolist() == ["a"] and power.year.tolist() == [2026]
    assert power.unit.iloc[0] == "USD per kW of facility power"
    assert power.shadow_price.iloc[0] == pytest.approx(-10_000, rel=1e-6)
    # a token/s more is 1e-4 node more, and with the power held: 2e-4 b-nodes for 1e-4 a-nodes,
    # 2e-4 x 150,000 - 1e-4 x 100,000 = 20 USD
    demand = prices[prices.kind == "demand"]
    assert demand.unit.tolist() == ["USD per output token/s"]
    assert demand.shadow_price.iloc[0] == pytest.approx(20, rel=1e-6)


def test_demand_tokens_and_a_day_of_deadline_agree_with_one_unit_more(tmp_path_factory):
    scenario = two_tier_two_site(tmp_path_factory.mktemp("demand"))
    plan = aiopt.solve(scenario, rel_gap=1e-6, progress=False)
    prices = shadow_prices(plan, fix="choices")  # the plan alone: built and solved again
    units = set(prices.unit)
    assert {
        "USD per output token/s",
        "USD per billion training tokens",
        "USD per day more of deadline",
    } <= units
    demand, deadline = prices[prices.kind == "demand"], prices[prices.kind == "deadline"]
    assert (demand.shadow_price > 0).all(), "more demand costs more"
    assert (deadline.shadow_price < 0).all(), "a later deadline costs less"
    for row in prices.itertuples():
        assert row.finite_difference == pytest.approx(row.shadow_price, rel=1e-3, abs=1e-4), row


def test_with_every_integer_fixed_whole_units_leave_nothing_to_price(solved):
    # the textbook fixed MIP: nodes, racks and units fixed, a kW more changes nothing
    prices = shadow_prices(solved("power"), fix="all")
    assert prices.empty


def test_a_model_that_no_longer_holds_the_plan_is_refused(tmp_path):
    model, plan = solve_case(tmp_path, "power")
    for var in model.buy.values():  # the capex of another plan
        var.set_value(0)
    with pytest.raises(ValueError, match="not this plan's"):
        shadow_prices((model, plan))


def test_highs_row_duals_are_the_worth_of_loosening_each_row():
    # the adapter's one reading of HiGHS duals: min 2x - y, x >= 3, y <= 2 (written as HiGHS may
    # orient them): loosening x >= 3 by one saves 2, loosening y <= 2 by one saves 1
    m = pyo.ConcreteModel(name="duals")
    m.x, m.y = pyo.Var(domain=pyo.NonNegativeReals), pyo.Var(domain=pyo.NonNegativeReals)
    m.low = pyo.Constraint(expr=m.x >= 3)
    m.high = pyo.Constraint(expr=m.y <= 2)
    m.objective = pyo.Objective(expr=2 * m.x - m.y)
    use_threads(1)
    highs = HighsModel(m, dict(threads=1, output_flag=False))
    assert highs.run(10).objective == pytest.approx(4)
    worth = dict(zip([row.name for row in highs.rows], highs.row_duals(), strict=True))
    assert worth == pytest.approx({"low": -2.0, "high": -1.0})
    row = [r.name for r in highs.rows].index("low")
    with highs.rows_loosened(np.array([row]), np.array([1.0])):
        assert highs.run(10).objective == pytest.approx(2)
    assert highs.run(10).objective == pytest.approx(4), "bounds restored"
