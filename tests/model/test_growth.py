"""Hand-worked tests of constraint family `growth` (aiopt/model/growth.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    bought,
    cost,
    fabric,
    inference,
    installed,
    site,
    storage_units,
    tier,
)


def test_growth_demand_doubles_and_purchases_follow(plan_of):
    # 10, 20, 40 PFLOPS in 2026-28 (growth 1.0) -> 2.5, 5, 10 -> 3, 5, 10 nodes installed;
    # discounting (8%) makes buying late cheaper: buys 3, 2, 5.
    plan = plan_of([inference(pflops=10, growth_per_year=1.0)], policy={"horizon_years": 3})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [3, 5, 10]
    assert [bought(plan, y) for y in (2026, 2027, 2028)] == [3, 2, 5]
    assert [cost(plan, "compute", y) for y in (2026, 2027, 2028)] == pytest.approx(
        [300_000, 200_000, 500_000]
    )


def test_growth_lifetime_one_year_rebuys_every_year(plan_of):
    # constant 10 PFLOPS -> 3 nodes; a node lives 1 year, so 3 are bought each year.
    plan = plan_of([inference(pflops=10)], policy={"horizon_years": 3, "hardware_lifetime_years": 1})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [3, 3, 3]
    assert [bought(plan, y) for y in (2026, 2027, 2028)] == [3, 3, 3]
    assert [cost(plan, "compute", y) for y in (2026, 2027, 2028)] == pytest.approx([300_000] * 3)


def test_growth_expansion_block_ordered_one_lead_time_ahead(plan_of):
    # 6, 12, 24 PFLOPS -> 1.5, 3, 6 -> 2, 3, 6 nodes. Facility 30 kW (PUE 1.0):
    # 2026: 20.012 kW fits; 2027: 30.012 kW does not -> a 50 kW block, usable 1 year after its
    # order, must be ordered in 2026; 2028: 60.012 kW <= 30 + 50 = 80 kW, so one block is enough.
    sites = [
        site(
            power_mw=0.03,
            expansion_block_mw=0.05,
            expansion_cost_usd=1_000,
            expansion_lead_years=1,
            expansion_max_blocks=2,
        )
    ]
    plan = plan_of([inference(pflops=6, growth_per_year=1.0)], sites=sites, policy={"horizon_years": 3})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [2, 3, 6]
    s = plan.sites.set_index("year")
    assert list(s.expansion_blocks_ordered) == [1, 0, 0]
    assert list(s.expansion_blocks_online) == [0, 1, 1]
    assert cost(plan, "facility", 2026) == pytest.approx(1_000)


def test_growth_tier_bought_only_from_its_available_year(plan_of):
    # 10 PFLOPS in 2026, 19 in 2027 (growth 0.9). "new" (2000 TF: 8 PF/node, 100,000 USD) is on
    # sale from 2027 only, so 2026 takes ceil(10 / 4) = 3 "old" nodes (12 PF). In 2027 the
    # missing 19 - 12 = 7 PF cost 1 new node (100,000) rather than ceil(7 / 4) = 2 old (200,000).
    tiers = [tier("old"), tier("new", tflops_bf16=2000, available_from=2027)]
    plan = plan_of([inference(pflops=10, growth_per_year=0.9)], gpu_tiers=tiers, policy={"horizon_years": 2})
    assert installed(plan, 2026, tier="old") == 3
    assert installed(plan, 2026, tier="new") == 0
    assert installed(plan, 2027, tier="old") == 3
    assert installed(plan, 2027, tier="new") == 1


def test_growth_storage_never_shrinks(plan_of):
    # hot data 95 TB, halving (growth -0.5): 95.2 TB -> 10 units in 2026; 47.7 TB would fit in 5
    # in 2027, but installed storage only grows: 10 units, none bought in 2027. Nodes: 3 then 3
    # (2 would do, but the 2026 nodes are still in service).
    plan = plan_of([inference(pflops=10, hot_tb=95, growth_per_year=-0.5)], policy={"horizon_years": 2})
    assert [storage_units(plan, "hot", y) for y in (2026, 2027)] == [10, 10]
    assert cost(plan, "storage", 2027) == 0
    assert [installed(plan, y) for y in (2026, 2027)] == [3, 3]


def test_growth_fabric_designed_for_the_final_year(plan_of):
    # 10, 20, 40 PFLOPS -> 3, 5, 10 nodes -> 24, 40, 80 ports over SUs of 4 nodes x 8 rails = 32
    # -> 1, 2, 3 SUs. The design is the final year's 3-SU fat tree: its 16 spines (smallest divisor
    # of 32 >= 24 / 2) and its 24 x 32 = 768 leaf-spine links are bought in 2026; 8 leaves come
    # with each SU. Switches 1,000 USD, links 1 USD (also one per node port bought):
    #   2026: (8 + 16) x 1,000 + 768 + 24 = 24,792; 2027: 8,000 + 16 = 8,016; 2028: 8,000 + 40 = 8,040
    plan = plan_of(
        [inference(pflops=10, growth_per_year=1.0)],
        policy={"horizon_years": 3},
        fabrics=[fabric(nodes_per_su=4, switch_price_usd=1_000, link_price_usd=1)],
    )
    f = plan.fabric.set_index("year")
    assert list(f.design_units) == [3, 3, 3]
    assert list(f.scalable_units) == [1, 2, 3]
    assert list(f.leaf) == [8, 16, 24]
    assert list(f.spine) == [16, 16, 16]
    assert [cost(plan, "fabric", y) for y in (2026, 2027, 2028)] == pytest.approx([24_792, 8_016, 8_040])


def test_growth_old_nodes_retire_early_to_free_power(plan_of):
    # 50.1 kW site. 2026: 15 PFLOPS / 4 = 3.75 -> 4 "old" nodes (40 kW). 2027: 15 x 2.6 = 39 PFLOPS.
    # Kept, the old nodes (5-year life) leave 10 kW: 1 "new" node (8 PF), 16 + 8 = 24 < 39 PFLOPS.
    # installed is an upper bound, so they retire: 39 / 8 = 4.875 -> 5 new nodes, 50 kW.
    tiers = [tier("old"), tier("new", tflops_bf16=2000, available_from=2027)]
    plan = plan_of(
        [inference(pflops=15, growth_per_year=1.6)],
        gpu_tiers=tiers,
        sites=[site(power_mw=0.0501)],
        policy={"horizon_years": 2},
    )
    assert (installed(plan, 2026, tier="old"), installed(plan, 2026, tier="new")) == (4, 0)
    assert (installed(plan, 2027, tier="old"), installed(plan, 2027, tier="new")) == (0, 5)
