"""Hand-worked tests of constraint family `racks` (aiopt/model/racks.py); catalog: tiny_plans."""

from __future__ import annotations

import math

import pytest
from tiny_plans import (
    YEAR,
    compute_racks,
    cost,
    inference,
    installed,
    rack,
    site,
    tier,
    training,
)

import aiopt


@pytest.mark.parametrize(
    ("node_kw", "node_u", "per_rack", "racks"),
    [
        (15, 4, 2, 5),  # min(40 // 15, 42 // 4) = min(2, 10) = 2 (power-bound): 10 nodes -> 5 racks
        (5, 10, 4, 3),  # min(40 // 5, 42 // 10) = min(8, 4) = 4 (space-bound): 10 nodes -> 3 racks
    ],
)
def test_racks_nodes_per_rack_and_rack_count(plan_of, node_kw, node_u, per_rack, racks):
    # Training at 38 PFLOPS / 4 = 9.5 -> 10 nodes; racks cost 1,000 USD to fit out so none is
    # wasted; the job's 80 fabric ports take an SU, 12 switches (12 U, 0.012 kW) in one more rack.
    # (racks_fitted, racks_available; gear_power_in_racks, gear_space_in_racks: the switch rack)
    plan = plan_of(
        [training(pflops=38)],
        gpu_tiers=[tier(node_kw=node_kw, rack_units=node_u)],
        rack_types=[rack(price_usd=1_000)],
    )
    assert per_rack == min(40 // node_kw, 42 // node_u)
    assert installed(plan) == 10
    compute = compute_racks(plan)
    assert int(compute.racks.sum()) == math.ceil(10 / per_rack) == racks
    assert set(compute.nodes_per_rack_max) == {per_rack}
    gear = plan.racks[(plan.racks.tier == "(gear)") & (plan.racks.year == YEAR)]
    assert int(gear.racks.sum()) == 1
    assert cost(plan, "racks") == pytest.approx((racks + 1) * 1_000)


def test_racks_identical_types_held_as_one_and_given_back_in_listed_order(plan_of):
    # r2 is r1 but for id and name: the model holds the site's 1 + 4 positions as r1's 5, so no
    # plan has a mirror with racks swapped between them. 10 nodes take 3 racks of 4 (4 + 4 + 2)
    # and the SU's switches one more; the plan fills r1's one position first, then r2's: r1 one
    # rack of 4 nodes, r2 two racks of 6 nodes and the gear rack. It costs what 5 positions of
    # r1 alone cost.
    twins = dict(rack_types=[rack(price_usd=1_000), rack("r2", price_usd=1_000)])
    plan = plan_of([training(pflops=38)], sites=[site(racks={"r1": 1, "r2": 4})], **twins)
    assert {r for (_, _, r, _, _) in aiopt.build_model(plan.scenario).RACK} == {"r1"}
    racks = plan.racks[plan.racks.year == YEAR].set_index(["rack_type", "tier"])
    assert racks.racks.to_dict() == {("r1", "g1"): 1, ("r2", "g1"): 2, ("r2", "(gear)"): 1}
    assert racks.nodes.to_dict() == {("r1", "g1"): 4, ("r2", "g1"): 6, ("r2", "(gear)"): 0}
    assert racks.kw_used[("r2", "g1")] == pytest.approx(6 * 10)
    alone = plan_of([training(pflops=38)], sites=[site(racks={"r1": 5})], **twins)
    assert plan.kpi("npv_usd") == pytest.approx(alone.kpi("npv_usd"), rel=1e-9)
    assert cost(plan, "racks") == pytest.approx(4 * 1_000)


def test_racks_liquid_tier_uses_liquid_racks_only(plan_of):
    # liquid node 20 kW, 4 U: liquid rack 100 kW / 42 U holds min(5, 10) = 5 -> 10 nodes in 2 racks.
    # The cheaper air rack (would hold min(40 // 20, 42 // 4) = 2) cannot cool it; the switches of
    # the training job's SU go in one air rack (1,000 < 5,000 USD).
    racks = [
        rack("air", cooling="air", price_usd=1_000),
        rack("liquid", cooling="liquid", usable_kw=100, price_usd=5_000),
    ]
    plan = plan_of(
        [training(pflops=38)],
        gpu_tiers=[tier(cooling="liquid", node_kw=20, rack_units=4)],
        rack_types=racks,
        sites=[site(racks={"air": 10, "liquid": 10})],
    )
    compute = compute_racks(plan)
    assert set(compute.rack_type) == {"liquid"}
    assert int(compute.racks.sum()) == math.ceil(10 / 5) == 2
    gear = plan.racks[plan.racks.tier == "(gear)"]
    assert set(gear.rack_type) == {"air"} and int(gear.racks.sum()) == 1
    assert cost(plan, "racks") == pytest.approx(2 * 5_000 + 1_000)


def test_racks_pool_split_by_cooling_kind_at_a_cooling_limited_site(plan_of):
    # 38 PFLOPS -> 10 nodes of 10 kW that may sit in air or liquid racks, 4 to a rack of either
    # type. The site limits air cooling (1 MW, not binding), so the pool is split into whole
    # nodes per kind (`placed`, `nodes_placed`: air + liquid = 10), each within its racks
    # (`nodes_in_racks`: placed <= 4 x racks). Two free air positions and one liquid rack at
    # 1,000 USD hold 2 x 4 + 4 = 12 >= 10; which takes which node costs nothing. Each rack row
    # reports the nodes placed in it.
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(cooling="either")],
        rack_types=[rack(), rack("liq", cooling="liquid", price_usd=1_000)],
        sites=[site(racks={"r1": 2, "liq": 5}, air_cooling_mw=1)],
    )
    compute = compute_racks(plan).set_index("rack_type")
    assert compute.racks.to_dict() == {"r1": 2, "liq": 1}
    assert compute.nodes.sum() == 10
    assert (compute.nodes <= 4 * compute.racks).all()
    assert (compute.kw_used == 10 * compute.nodes).all()
