"""Hand-worked tests of constraint family `fabric` (aiopt/model/fabric.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    compute_racks,
    cost,
    fabric,
    inference,
    installed,
    rack,
    site,
    tier,
    training,
)

from aiopt.fabric_sizing import size_for_units


@pytest.mark.parametrize(
    ("fast_switch_usd", "chosen", "nodes"),
    [
        # fast (efficiency 1.0): 9 / (4 x 1.0) = 2.25 -> 3 nodes = 300,000 + 12 switches x 10,000 = 420,000
        # slow (efficiency 0.5): 9 / (4 x 0.5) = 4.5 -> 5 nodes = 500,000 + 12 switches x 1,000 = 512,000
        (10_000, "fast", 3),
        # fast at 30,000 a switch: 300,000 + 360,000 = 660,000 > 512,000 -> slow
        (30_000, "slow", 5),
    ],
)
def test_fabric_training_weighs_efficiency_against_price(plan_of, fast_switch_usd, chosen, nodes):
    # one_fabric per site; run_on_fabric: the job's nodes count on the fabric it runs on
    fabrics = [
        fabric("fast", switch_price_usd=fast_switch_usd, scaling_efficiency=1.0),
        fabric("slow", switch_price_usd=1_000, scaling_efficiency=0.5),
    ]
    plan = plan_of([training(pflops=9)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == [chosen]
    assert installed(plan) == nodes
    assert int(plan.fabric.switches.iloc[0]) == 12  # 8 leaves + 4 spines, one SU
    price = {"fast": fast_switch_usd, "slow": 1_000}[chosen]
    assert cost(plan, "fabric") == pytest.approx(12 * price)
    assert cost(plan, "compute") + cost(plan, "fabric") == pytest.approx(
        min(300_000 + 12 * fast_switch_usd, 512_000)
    )


def test_fabric_inference_only_site_picks_cheapest_fabric(plan_of):
    # inference does not depend on scaling efficiency: 10 / 4 = 2.5 -> 3 nodes on either fabric,
    # so the cheaper switches win: 12 x 1,000 = 12,000 < 12 x 10,000.
    # (serve_all, serve_on_fabric: inference ports go to the one fabric the site has)
    fabrics = [
        fabric("fast", switch_price_usd=10_000, scaling_efficiency=1.0),
        fabric("slow", switch_price_usd=1_000, scaling_efficiency=0.5),
    ]
    plan = plan_of([inference(pflops=10)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == ["slow"]
    assert installed(plan) == 3
    assert cost(plan, "fabric") == pytest.approx(12_000)


def test_fabric_named_any_is_an_ordinary_fabric(plan_of):
    # As above with a fabric whose id is "any" (the model's name for "inference runs on whatever
    # fabric the site has" must not capture it): 3 nodes either way, "cheap" wins with
    # 12 x 1,000 = 12,000 < 12 x 10,000.
    fabrics = [fabric("any", switch_price_usd=10_000), fabric("cheap", switch_price_usd=1_000)]
    plan = plan_of([inference(pflops=10)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == ["cheap"]
    assert installed(plan) == 3
    assert cost(plan, "fabric") == pytest.approx(12_000)


def test_fabric_switch_counts_follow_fat_tree(plan_of):
    # 38 PFLOPS / 4 = 9.5 -> 10 nodes x 8 ports = 80 ports; SUs of 4 nodes x 8 rails = 32 ports
    # -> ceil(80 / 32) = 3 SUs. Radix 64 (h = 32): leaves = 3 x 8 x ceil(4/32) = 24 <= 64, two tiers,
    # spines = smallest divisor of 32 >= ceil(24/2) = 12 -> 16, no core.
    # Links cost 1 USD so the 3-SU design beats the 4-SU one of the same spine count.
    # (ports_in_units, serve_in_units: 80 serving ports need 3 SUs of 32; units_as_needed: never a 4th)
    plan = plan_of([inference(pflops=38)], fabrics=[fabric(nodes_per_su=4, link_price_usd=1)])
    assert installed(plan) == 10
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine, row.core) == (3, 3, 24, 16, 0)
    size = size_for_units(3, 64, 4, 8)
    assert (row.leaf, row.spine, row.core, row.switches) == (size.leaf, size.spine, size.core, size.switches)
    assert row.switches == 40


def test_fabric_nic_and_link_costs(plan_of):
    # 10 PFLOPS -> 3 nodes x 8 ports = 24 NICs and node links. One SU: 8 leaves + 4 spines;
    # leaf-spine cables = 8 leaves x 32 uplinks = 256.
    # capex = 12 x 1,000 + 256 x 10 + 24 x (100 + 10) = 12,000 + 2,560 + 2,640 = 17,200
    # (nics_with_nodes: a NIC and link per port bought; nics_of_fabric: on the site's fabric)
    plan = plan_of(
        [inference(pflops=10)], fabrics=[fabric(switch_price_usd=1_000, nic_price_usd=100, link_price_usd=10)]
    )
    row = plan.fabric.iloc[0]
    assert (row.nics, row.links, row.switches) == (24, 24 + 256, 12)
    assert cost(plan, "fabric") == pytest.approx(12 * 1_000 + 256 * 10 + 24 * (100 + 10))


def test_fabric_design_table_covers_racks_of_two_cooling_kinds(plan_of):
    # Air tier "a" (air racks) and liquid tier "b" (liquid racks), 4 nodes a rack each; 2 air and
    # 2 liquid positions, one of them taken by the switches -> 3 compute racks = 12 nodes.
    # 46 PFLOPS / 4 = 11.5 -> 12 nodes x 8 ports over SUs of 4 nodes x 8 rails -> 3 SUs:
    # 24 leaves, spines = smallest divisor of 32 >= 12 = 16, 40 switches = 40 U (one 42 U rack).
    # The site can hold 12 nodes, so the fabric design table must offer 3 SUs.
    plan = plan_of(
        [inference(pflops=46)],
        gpu_tiers=[tier("a"), tier("b", cooling="liquid")],
        rack_types=[rack("air"), rack("liquid", cooling="liquid")],
        fabrics=[fabric(nodes_per_su=4, link_price_usd=1)],
        sites=[site(racks={"air": 2, "liquid": 2})],
    )
    assert installed(plan) == 12
    assert int(compute_racks(plan).racks.sum()) == 3
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine) == (3, 3, 24, 16)


def test_fabric_design_table_holds_spares_of_memory_bound_jobs(plan_of):
    # model-review B2, p1: a 1,500B-parameter job on 1e9 tokens (6 x 1,500e9 x 1e9 / 8.64e6 s
    # = 1.04 PFLOPS, 0.26 node-loads) is memory-bound:
    # 16 B/param x 1,500e9 = 24,000 GB / 800 GB a node = 30 nodes; 10% spares -> 33 nodes
    # = 264 ports > the 256 of one SU (32 nodes x 8 rails). The design table must offer 2 SUs
    # (built_holds_units; its bound is ceil(30 x 1.1) + 1 = 34 nodes, 272 ports -> 2 SUs).
    # A 2-SU fabric: 16 leaves, spines = smallest divisor of 32 >= 8 = 8. (ports_by_fabric: the job's
    # 30 nodes x 8 ports x 1.1 with spares = 264 ports on the fabric, more than one SU's 256)
    plan = plan_of([training(params_b=1500, tokens_t=0.001, spare_fraction=0.1)])
    assert installed(plan) == 33
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.built_units, row.scalable_units, row.leaf, row.spine) == (2, 2, 2, 16, 8)


def test_fabric_gear_never_shrinks_as_units_grow():
    # Spines, core and inter-switch links of the fabric built are bought as their increase over
    # the year before (built_sum, new_switches): that needs every count to grow with the SUs,
    # also where a 2-tier fabric grows into 3 tiers (radix 8: more than 8 leaves), and for
    # every catalog-shaped fabric (radix 64 and 144, 8 rails).
    for radix, nodes_per_su, rails in [
        (8, 4, 1),
        (8, 3, 2),
        (64, 32, 8),
        (64, 4, 8),
        (144, 72, 8),
        (128, 64, 8),
    ]:
        before, k = (0, 0, 0), 1
        while True:
            try:
                size = size_for_units(k, radix, nodes_per_su, rails)
            except ValueError:  # beyond three tiers
                break
            now = (size.spine, size.core, size.links - size.endpoints)
            assert all(a >= b for a, b in zip(now, before, strict=True)), (radix, nodes_per_su, rails, k)
            before, k = now, k + 1
        assert k > 2
