"""Hand-worked tests of constraint family `power` (aiopt/model/power.py); catalog: tiny_plans."""

from __future__ import annotations

import math

import pytest
from tiny_plans import (
    compute_racks,
    cost,
    inference,
    installed,
    rack,
    site,
    tier,
)


@pytest.mark.parametrize(
    ("pue", "near_nodes"),
    [
        # PUE x 10 kW x n <= 50 kW (serving: no compute-fabric switches)
        (1.0, 5),  # 10 n <= 50 -> n = 5
        (1.25, 4),  # 10 n <= 40 -> n = 4
    ],
)
def test_power_limit_spills_to_dearer_site(plan_of, pue, near_nodes):
    # 38 PFLOPS = 9.5 nodes of work. "near" has free energy but 0.05 MW; "far" pays
    # 10 kW x 0.75 x 8760 h x 0.1 USD/kWh = 6,570 USD per node-year, so near is filled first:
    # far runs 9.5 - near_nodes -> ceil(.) nodes.
    sites = [site("near", power_mw=0.05, pue=pue), site("far", power_mw=10, electricity_usd_per_kwh=0.1)]
    plan = plan_of([inference(pflops=38)], sites=sites)
    assert installed(plan, site="near") == near_nodes
    far = math.ceil(9.5 - near_nodes)
    assert installed(plan, site="far") == far
    near_it = plan.sites.set_index("site").at["near", "it_kw"]
    assert near_it == pytest.approx(10 * near_nodes)
    assert pue * near_it <= 50 + 1e-6
    assert cost(plan, "energy") == pytest.approx(10 * far * 0.75 * 8760 * 0.1)
    # an inference service keeps its 0.2 TB of weights on hot storage at every site it runs at
    assert plan.storage.groupby("site").units.sum().to_dict() == {"far": 1, "near": 1}


@pytest.mark.parametrize(
    ("liquid_mw", "liquid_racks", "air_racks"),
    [
        # no cooling limit: 10 nodes of 20 kW / 4 U in liquid racks of 100 kW (min(5, 10) = 5 a rack)
        # -> 2 racks; air racks (40 kW: min(2, 10) = 2 a rack) would need 5
        (None, 2, 0),
        # 0.1 MW of liquid cooling: one liquid rack loads min(100, 5 x 20) = 100 kW -> 1 rack (5 nodes);
        # the other 5 nodes in ceil(5 / 2) = 3 air racks
        (0.1, 1, 3),
    ],
)
def test_power_liquid_cooling_capacity_limits_liquid_racks(plan_of, liquid_mw, liquid_racks, air_racks):
    racks = [rack("air", price_usd=1_000), rack("liquid", cooling="liquid", usable_kw=100, price_usd=1_000)]
    limit = {} if liquid_mw is None else {"liquid_cooling_mw": liquid_mw}
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(cooling="either", node_kw=20, rack_units=4)],
        rack_types=racks,
        sites=[site(racks={"air": 10, "liquid": 10}, **limit)],
    )
    assert installed(plan) == 10
    by_type = compute_racks(plan).groupby("rack_type").racks.sum()
    assert int(by_type.get("liquid", 0)) == liquid_racks
    assert int(by_type.get("air", 0)) == air_racks
    assert cost(plan, "racks") == pytest.approx((liquid_racks + air_racks) * 1_000)  # no gear rack


def test_power_cooling_limit_of_a_kind_the_site_has_no_racks_for(plan_of):
    # 1 MW of liquid cooling at a site of air racks only: no rack can load it (an empty row),
    # and the 38 / 4 = 9.5 -> 10 nodes sit in ceil(10 / 4) = 3 air racks (priced, so no spare racks).
    plan = plan_of(
        [inference(pflops=38)], sites=[site(liquid_cooling_mw=1)], rack_types=[rack(price_usd=1_000)]
    )
    assert installed(plan) == 10
    assert int(compute_racks(plan).racks.sum()) == 3


def test_power_cooling_counts_placed_nodes_not_full_racks(plan_of):
    # B6. 18 PFLOPS / 4 = 4.5 -> 5 liquid nodes of 10 kW, 4 to a 40 kW liquid rack -> 2 racks.
    # Cooling counts the 5 x 10 = 50 kW the placed nodes draw (`cooling` on `placed`), within
    # 0.06 MW; counting both racks at their full 4 x 10 = 40 kW (80 kW) would be infeasible.
    plan = plan_of(
        [inference(pflops=18)],
        gpu_tiers=[tier(cooling="liquid")],
        rack_types=[rack("liq", cooling="liquid", price_usd=1_000)],
        sites=[site(racks={"liq": 10}, liquid_cooling_mw=0.06)],
    )
    assert installed(plan) == 5
    compute = compute_racks(plan)
    assert int(compute.racks.sum()) == 2
    assert compute.nodes.tolist() == [5]  # the nodes placed in the 2 racks, as `nodes_placed` requires
    assert compute.kw_used.sum() == pytest.approx(5 * 10)


def test_power_expansion_limited_to_its_maximum_blocks(plan_of):
    # 38 PFLOPS = 9.5 nodes of work (10 kW each). "near" has free energy, 30 kW and at most two
    # 10 kW blocks at 1 USD each, usable at once (expansion_limit): 50 kW holds 5 nodes (serving
    # needs no switches; 6 would need 60 kW). "far" pays 6,570 USD per node-year of energy and
    # runs the other ceil(9.5 - 5) = 5 nodes; without the limit near would take all.
    near = site(
        "near",
        power_mw=0.03,
        expansion_block_mw=0.01,
        expansion_max_blocks=2,
        expansion_lead_years=0,
        expansion_cost_usd=1,
    )
    plan = plan_of(
        [inference(pflops=38)], sites=[near, site("far", power_mw=10, electricity_usd_per_kwh=0.1)]
    )
    assert (installed(plan, site="near"), installed(plan, site="far")) == (5, 5)
    assert cost(plan, "facility") == pytest.approx(2)


@pytest.mark.parametrize(("utilisation", "near_nodes"), [(1.0, 5), (0.8, 4)])
def test_power_max_power_utilisation_keeps_headroom(plan_of, utilisation, near_nodes):
    # site_power with max_power_utilisation u: 10 kW x n <= u x 50 kW at "near" (free energy; serving
    # needs no fabric): n <= 5 at u = 1, n <= 4 at u = 0.8; the rest of the 10 nodes at "far".
    sites = [site("near", power_mw=0.05), site("far", power_mw=10, electricity_usd_per_kwh=0.1)]
    plan = plan_of([inference(pflops=38)], sites=sites, policy={"max_power_utilisation": utilisation})
    assert installed(plan, site="near") == near_nodes
    assert installed(plan, site="far") == 10 - near_nodes
