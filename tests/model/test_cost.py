"""Hand-worked tests of constraint family `cost` (aiopt/model/cost.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    REL_GAP,
    YEAR,
    bought,
    compute_racks,
    cost,
    fabric,
    inference,
    installed,
    rack,
    service,
    site,
    tier,
    tiny_scenario,
    training,
)

import aiopt
from aiopt.solve.highs import HighsModel


def test_cost_npv_equals_hand_discounted_sum(plan_of):
    # training at 10 PFLOPS -> 3 nodes, 2 years, discount 10%, PUE 1.5, 0.1 USD/kWh, colocation
    # 10 USD/kW-month, node support 10%/yr, switches 1,000 USD and 0.5 kW.
    # capex 2026: nodes 3 x 100,000 = 300,000; the job's 24 fabric ports fit one switch: 1,000;
    #   storage 1 unit x 10 TB x 1 USD/TB = 10 (0.6048 TB of checkpoints)      -> 301,010
    # IT load: 3 x 10 kW + 1 x 0.5 kW = 30.5 kW
    # opex/yr: energy 30.5 x 1.5 x 0.75 x 8760 x 0.1 = 30,057.75; colocation 30.5 x 12 x 10 = 3,660;
    #   support 0.10 x 300,000 = 30,000                                          -> 63,717.75
    # electricity escalates 5%/yr: 2027 energy = 30,057.75 x 1.05 = 31,560.6375
    # residual: the 2026 hardware is 2 years old at the end of 2027, life 5 -> worth 0.6 x 301,010
    #   = 180,606, credited at the end of 2027 (the start of 2028): / 1.1^2
    # NPV = 301,010 + 63,717.75 + (31,560.6375 + 33,660) / 1.1 - 180,606 / 1.21
    plan = plan_of(
        [training(pflops=10)],
        sites=[site(pue=1.5, electricity_usd_per_kwh=0.1, colocation_usd_per_kw_month=10)],
        gpu_tiers=[tier(support_pct=10)],
        fabrics=[fabric(switch_price_usd=1_000, switch_kw=0.5)],
        policy={
            "horizon_years": 2,
            "discount_rate": 0.1,
            "average_load": 0.75,
            "electricity_escalation": 0.05,
        },
    )
    capex = 300_000 + 1_000 + 10
    energy = 30.5 * 1.5 * 0.75 * 8760 * 0.1
    colocation = 30.5 * 12 * 10
    support = 0.10 * 300_000
    assert energy == pytest.approx(30_057.75)
    assert cost(plan, "energy", 2026) == pytest.approx(energy)
    assert cost(plan, "energy", 2027) == pytest.approx(energy * 1.05)
    assert cost(plan, "colocation", 2027) == pytest.approx(colocation)
    assert cost(plan, "support", 2027) == pytest.approx(support)
    assert plan.kpi("capex_usd") == pytest.approx(capex)
    residual = 0.6 * capex
    assert plan.kpi("residual_value_usd") == pytest.approx(residual)
    assert cost(plan, "residual", 2028) == pytest.approx(-residual)
    npv = (
        capex
        + (energy + colocation + support)
        + (energy * 1.05 + colocation + support) / 1.1
        - residual / 1.21
    )
    assert npv == pytest.approx(364_727.75 + 65_220.6375 / 1.1 - 180_606 / 1.21, abs=0.01)
    assert plan.kpi("npv_usd") == pytest.approx(npv)


BUDGET_TIERS = [tier("a", price_usd=100_000, node_kw=10), tier("b", price_usd=80_000, node_kw=30)]


@pytest.mark.parametrize(
    ("budget", "a_nodes", "b_nodes"),
    [
        # 10 PFLOPS = 2.5 node-loads, both tiers 4 PF/node -> 3 nodes. 3 years, no discount, PUE 1.0,
        # 0.1 USD/kWh x 0.75 x 8760 h = 657 USD per kW-year:
        #   a: 100,000 + 3 x 10 x 657 = 119,710 per node; b: 80,000 + 3 x 30 x 657 = 139,130
        (None, 3, 0),  # no budget: 3 a
        # capex = 100,000 a + 80,000 b + 10 (1 storage unit; serving needs no fabric) <= 270,000 with
        # a + b = 3: 240,010 + 20,000 a <= 270,000 -> a <= 1.4995 -> 1 a + 2 b (still cheaper over
        # life than 3 b)
        (270_000, 1, 2),
    ],
)
def test_cost_binding_budget_switches_to_cheaper_capex(plan_of, budget, a_nodes, b_nodes):
    policy = {"horizon_years": 3, "discount_rate": 0.0}
    if budget:
        policy["capex_budget_usd"] = budget
    plan = plan_of(
        [inference(pflops=10)],
        gpu_tiers=BUDGET_TIERS,
        policy=policy,
        sites=[site(electricity_usd_per_kwh=0.1)],
    )
    assert installed(plan, tier="a") == a_nodes
    assert installed(plan, tier="b") == b_nodes
    assert plan.kpi("capex_usd") == pytest.approx(100_000 * a_nodes + 80_000 * b_nodes + 10)


@pytest.mark.parametrize("param", ["budget_total", "budget_year"])
def test_cost_budget_set_on_a_built_model_binds(tmp_path, param):
    # B10: `capex_budget` and `capex_budget_yearly` exist on a model built without a budget (their
    # Params at NO_BUDGET). Setting either to 0.27 MUSD on the built model binds it as if the policy
    # had set it: the case above, whose one purchase year makes both caps the same -> 1 a + 2 b.
    scenario = tiny_scenario(
        tmp_path,
        [inference(pflops=10)],
        gpu_tiers=BUDGET_TIERS,
        policy={"horizon_years": 3, "discount_rate": 0.0},
        sites=[site(electricity_usd_per_kwh=0.1)],
    )
    model = aiopt.build_model(scenario)
    setattr(model, param, 0.27)
    plan = aiopt.read_plan(model, aiopt.solve_model(model, rel_gap=REL_GAP, progress=False))
    assert aiopt.check_plan(plan).ok
    assert (installed(plan, tier="a"), installed(plan, tier="b")) == (1, 2)
    assert plan.kpi("capex_usd") == pytest.approx(100_000 + 2 * 80_000 + 10)


def test_cost_max_capacity_scale_is_budget_limited(plan_of):
    # budget 500,000: n nodes cost 100,000 n + 10 (1 storage unit) -> n = 4 (5 nodes = 500,010);
    # 4 nodes x 4 PF = 16 PF against 10 PF of demand -> scale 1.6.
    plan = plan_of([inference(pflops=10)], policy={"objective": "max_capacity", "capex_budget_usd": 500_000})
    n = (500_000 - 10) // 100_000
    assert n == 4
    assert installed(plan) == 4
    assert plan.kpi("demand_scale") == pytest.approx(n * 4 / 10)


def test_cost_max_capacity_then_least_npv_at_that_multiple(plan_of):
    # Lexicographic: the budget buys 4 nodes (scale 1.6, above); then, with the multiple fixed,
    # the least NPV puts them at "free" (no energy cost) rather than at "dear", where 4 x 10 kW x
    # 0.75 x 8760 h x 0.1 USD/kWh = 26,280 USD a year would be paid. Both stages prove their gap.
    plan = plan_of(
        [inference(pflops=10)],
        sites=[site("dear", electricity_usd_per_kwh=0.1), site("free")],
        policy={"objective": "max_capacity", "capex_budget_usd": 500_000},
    )
    assert plan.kpi("demand_scale") == pytest.approx(1.6)
    assert (installed(plan, site="free"), installed(plan, site="dear")) == (4, 0)
    assert cost(plan, "energy") == 0
    assert plan.gap <= REL_GAP and plan.info.npv_gap <= REL_GAP


def test_cost_max_capacity_budget_below_one_node_buys_nothing(plan_of):
    # One node costs 100,000 USD > the 50,000 USD budget, and any demand multiple above 0 needs a
    # node: the largest multiple is 0. Nothing runs, so the regulated service's 5 TB of hot data
    # (kept where it runs) needs no storage, encrypted or not.
    plan = plan_of(
        [inference(pflops=8, compliance=["hipaa-ready"], hot_tb=5)],
        sites=[site(certifications=["hipaa-ready"])],
        policy={"objective": "max_capacity", "capex_budget_usd": 50_000},
    )
    assert plan.kpi("demand_scale") == 0
    assert installed(plan) == 0
    assert plan.storage.empty


def test_cost_yearly_budget_pulls_purchases_forward(plan_of):
    # demand starts in 2027: 38 PFLOPS -> 10 nodes. A 750,000 USD yearly capex cap allows at most
    # 7 nodes (700,000 + at most 10 USD of storage) in 2027, so 3 are bought in 2026;
    # discounting makes buying later cheaper, so no more than 3 early.
    plan = plan_of(
        [inference(pflops=38, start_year=2027)],
        policy={"horizon_years": 2, "capex_budget_per_year_usd": 750_000},
    )
    assert [bought(plan, y) for y in (2026, 2027)] == [3, 7]
    assert installed(plan, 2027) == 10


def test_cost_rack_basis_service_counts_every_fitted_rack(plan_of):
    # schema: basis "rack" counts every fitted rack. Training at 38 PFLOPS -> 10 nodes, 4 a rack
    # -> 3 compute racks, and the job's 80 fabric ports need an SU (12 switches), which take a 4th,
    # gear rack -> 4 out-of-band switches x 1,000 USD = 4,000 USD.
    # (racks_grow: fitted positions only grow, so each is bought once)
    oob = service("oob", name="oob switch", layer="oob_network", basis="rack", price_usd=1_000)
    plan = plan_of([training(pflops=38)], services=[oob])
    assert int(compute_racks(plan).racks.sum()) == 3
    assert int(plan.racks.racks.sum()) == 4
    assert cost(plan, "oob_network") == pytest.approx(4 * 1_000)


@pytest.mark.parametrize(
    ("workload", "ufm_usd"),
    [
        # 38 PFLOPS of training: 10 nodes, 80 ports, an SU design
        (training(pflops=38), 60_000),
        # 10 PFLOPS: 3 nodes, 24 ports on one switch, which runs its own subnet manager: no UFM
        (training(pflops=10), 0),
        # serving needs no compute fabric at all
        (inference(pflops=10), 0),
    ],
)
def test_cost_site_services_follow_fabric_kind(plan_of, workload, ufm_usd):
    # An InfiniBand SU design buys the site-basis "ufm" service (2 x 30,000 = 60,000 USD in the
    # first year, 2 x 5,000 = 10,000 USD of licences every year) and not the Ethernet-only one.
    services = [
        service("ufm", per_basis=2, fabric_kind="infiniband", price_usd=30_000, annual_usd=5_000),
        service("eth-mgr", fabric_kind="ethernet", price_usd=99_999, annual_usd=99_999),
    ]
    plan = plan_of([workload], services=services, policy={"horizon_years": 2})
    assert [cost(plan, "management", y) for y in (2026, 2027)] == pytest.approx([ufm_usd, 0])
    assert [cost(plan, "licences", y) for y in (2026, 2027)] == pytest.approx([ufm_usd / 6] * 2)


def test_cost_serving_site_services_come_with_the_first_served_year(plan_of):
    # "lb" (serving_site, 2 x 30,000 USD, 2 x 4,000 USD a year) at b, which serves from 2027
    # (serving_site_if_present, serving_site_kept); a only trains, so it never pays it
    services = [service("lb", basis="serving_site", per_basis=2, price_usd=30_000, annual_usd=4_000)]
    plan = plan_of(
        [training(pflops=10, region="us"), inference(pflops=4, region="eu", start_year=2027)],
        sites=[site("a"), site("b", region="eu")],
        services=services,
        policy={"horizon_years": 2},
    )
    assert installed(plan, site="a") >= 1 and installed(plan, 2027, site="b") >= 1
    assert [cost(plan, "management", y) for y in (2026, 2027)] == pytest.approx([0, 60_000])
    assert [cost(plan, "licences", y) for y in (2026, 2027)] == pytest.approx([0, 8_000])


# --------------------------------------------------------------------------- value at the horizon


@pytest.mark.parametrize("horizon", [1, 3])
def test_cost_residual_value_makes_the_last_purchase_by_life_cycle_cost(plan_of, horizon):
    # model-review B8 (p7): tier a 100,000 USD and 10 kW, b 80,000 USD and 30 kW, both 4 PF a node;
    # 0.1 USD/kWh x 0.75 x 8760 h = 657 USD per kW-year, no discounting, life 5 years.
    # Demand 10 PF growing 50 %/yr: 10, 15, 22.5 PF -> 3, 4, 6 nodes.
    # A node bought in the last year is 1 year old at the horizon end, worth 0.8 of its price:
    #   a: 100,000 + 6,570 - 80,000 = 26,570; b: 80,000 + 19,710 - 64,000 = 35,710 -> a
    # (without the residual value b wins that year, 99,710 < 106,570). Earlier years: a, the more
    # so (a 2026 node: 100,000 + 3 x 6,570 - 40,000 = 79,710; b: 80,000 + 3 x 19,710 - 32,000 = 107,130).
    plan = plan_of(
        [inference(pflops=10, growth_per_year=0.5)],
        gpu_tiers=BUDGET_TIERS,
        policy={"horizon_years": horizon, "discount_rate": 0.0},
        sites=[site(electricity_usd_per_kwh=0.1)],
    )
    last = YEAR + horizon - 1
    assert installed(plan, last, tier="b") == 0
    # 10 PF x 1.5^y -> 3, 4, 6 a nodes and one storage unit (10 USD) in 2026; serving, no fabric
    nodes = {YEAR: 3, YEAR + 1: 4, YEAR + 2: 6}
    assert installed(plan, last, tier="a") == nodes[last]
    added = {y: nodes[y] - nodes.get(y - 1, 0) for y in nodes if y <= last}
    book = sum(100_000 * n * (1 - (last + 1 - y) / 5) for y, n in added.items()) + 10 * (1 - horizon / 5)
    assert plan.kpi("residual_value_usd") == pytest.approx(book)


def test_cost_node_price_falls_by_year(plan_of):
    # price_decline_per_year 0.1: a g1 node bought in 2027 costs 100,000 x 0.9 = 90,000 USD. Demand
    # starts in 2027 (38 PF -> 10 nodes); support 10 %/yr of the year's price: 0.1 x 90,000 x 10.
    plan = plan_of(
        [inference(pflops=38, start_year=2027)],
        gpu_tiers=[tier(price_decline_per_year=0.1, support_pct=10)],
        policy={"horizon_years": 2},
    )
    assert bought(plan, 2027) == 10
    assert cost(plan, "compute", 2027) == pytest.approx(10 * 90_000)
    assert cost(plan, "support", 2027) == pytest.approx(0.1 * 10 * 90_000)


def test_cost_tier_bought_until_available_to(plan_of):
    # a (100,000 USD) is sold until 2026 only, b costs 300,000; no discounting, life 5, no energy.
    # Demand 10 PF doubling: 3 nodes in 2026, 5 in 2027. Two more a nodes in 2027 would cost
    # 2 x (100,000 - 0.8 x 100,000) = 40,000 net of their residual value, but a is off sale then:
    # bought in 2026 instead, 2 x (100,000 - 0.6 x 100,000) = 80,000, beats two b nodes in 2027,
    # 2 x (300,000 - 0.8 x 300,000) = 120,000.
    plan = plan_of(
        [inference(pflops=10, growth_per_year=1.0)],
        gpu_tiers=[tier("a", available_to=2026), tier("b", price_usd=300_000)],
        policy={"horizon_years": 2, "discount_rate": 0.0},
    )
    assert [bought(plan, y) for y in (2026, 2027)] == [5, 0]
    assert installed(plan, 2027, tier="a") == 5


def test_cost_tier_off_sale_before_the_plan_starts_is_left_out(plan_of):
    # "old" stopped selling in 2025 (as the shipped A100): the model has no node or price of it
    plan = plan_of([inference(pflops=10)], gpu_tiers=[tier("old", available_to=2025), tier("a")])
    assert installed(plan, tier="a") == 3 and "old" not in set(plan.pools.tier)


# --------------------------------------------------------------------------- facilities


def test_cost_committed_colocation_billed_when_idle_and_escalates(plan_of):
    # "colo" (in the eu) contracts 50 kW at 100 USD/kW-month escalating 10 %/yr; the service must
    # stay in the us, so its 3 nodes run at "home" and colo stays empty. colocation_committed bills
    # the 50 kW anyway: 50 x 12 x 100 = 60,000 USD in 2026, 66,000 in 2027.
    colo = site(
        "colo", region="eu", colocation_usd_per_kw_month=100, committed_kw=50, colocation_escalation=0.1
    )
    plan = plan_of(
        [inference(pflops=10, region="us")], sites=[site("home"), colo], policy={"horizon_years": 2}
    )
    assert installed(plan, site="colo") == 0 and installed(plan, site="home") == 3
    assert [cost(plan, "colocation", y) for y in (2026, 2027)] == pytest.approx([60_000, 66_000])
    billed = plan.sites.set_index(["site", "year"]).colocation_billed_kw
    assert billed["colo", 2027] == 50


def test_cost_colocation_above_the_commitment_billed_at_the_fee(plan_of):
    # one colocation site contracting 50 kW: 38 PF -> 10 serving nodes = 100 kW used (no fabric);
    # colocation_used bills the 100 kW used, at 10 USD/kW-month: 12,000 USD a year.
    colo = site(colocation_usd_per_kw_month=10, committed_kw=50)
    plan = plan_of([inference(pflops=38)], sites=[colo])
    assert cost(plan, "colocation") == pytest.approx(100 * 12 * 10)


def test_cost_billed_kw_settled_at_its_least_after_a_solve(tmp_path, monkeypatch):
    # colocation_kw is only held from below (colocation_used, colocation_committed): a plan stopped
    # at its time limit may bill more than it draws (a fuzz case billed 0.3% more than the checker
    # recomputed). Such a plan is made here by writing back 130 kW billed; the solve settles it at
    # max(committed, IT kW) (`settle_billed_kw`): 100 kW drawn, 50 committed.
    colo = site(colocation_usd_per_kw_month=10, committed_kw=50)
    model = aiopt.build_model(tiny_scenario(tmp_path, [inference(pflops=38)], sites=[colo]))
    write_back = HighsModel.write_back

    def billing_more(highs, values):
        write_back(highs, values)
        model.colocation_kw["a", 2026].set_value(130)

    monkeypatch.setattr(HighsModel, "write_back", billing_more)
    info = aiopt.solve_model(model, rel_gap=1e-6, progress=False)
    assert model.colocation_kw["a", 2026].value == pytest.approx(100)
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok


def test_cost_liquid_ready_colocation_premium(plan_of):
    # liquid-cooled g1 nodes in 40 kW liquid racks at a colocation site of 10 USD/kW-month with a 50 %
    # liquid premium: 10 serving nodes = 100 kW in liquid racks (no fabric):
    # 12 x 10 x (100 + 0.5 x 100) = 18,000 USD a year.
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(cooling="liquid")],
        rack_types=[rack("wet", cooling="liquid")],
        sites=[site(colocation_usd_per_kw_month=10, liquid_premium=0.5, racks={"wet": 20})],
    )
    assert cost(plan, "colocation") == pytest.approx(12 * 10 * (100 + 0.5 * 100))


def test_cost_owned_building_annuity_and_om_while_open(plan_of):
    # "built" (2 MW) cost 1 M USD per MW to build, repaid over 10 years at 10 %:
    # 2,000,000 x 0.1 / (1 - 1.1^-10) = 325,490.79 USD a year, plus O&M 5 USD/kW-yr x 2,000 kW =
    # 10,000 USD. "spare" (in the eu, where the service may not run) holds nothing, so it never
    # opens and its building costs nothing.
    owned = dict(power_mw=2, build_usd_per_mw=1e6, building_life_years=10, facility_om_usd_per_kw_year=5)
    plan = plan_of(
        [inference(pflops=10, region="us")],
        sites=[site("built", **owned), site("spare", region="eu", **owned)],
        policy={"horizon_years": 2, "discount_rate": 0.1},
    )
    annuity = 2e6 * 0.1 / (1 - 1.1**-10)
    assert annuity == pytest.approx(325_490.79, abs=0.01)
    assert installed(plan, site="built") == 3
    assert [cost(plan, "building", y) for y in (2026, 2027)] == pytest.approx([annuity, annuity])
    assert cost(plan, "facility_om", 2027) == pytest.approx(10_000)
