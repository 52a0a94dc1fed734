"""Hand-worked tests of constraint family `storage` (aiopt/model/storage.py); catalog: tiny_plans."""

from __future__ import annotations

import dataclasses
import math

import pytest
from tiny_plans import (
    cost,
    inference,
    installed,
    rack,
    site,
    storage,
    storage_units,
    tier,
    training,
)

import aiopt


def test_storage_hot_units_cover_capacity(plan_of):
    # hot data 95 TB + weights 0.2 TB = 95.2 TB; 10 TB units -> ceil(9.52) = 10 units at
    # 10 TB x 100 USD/TB = 1,000 USD each -> 10,000 USD.
    # (hot_covered: the 95.2 TB sit where the service runs; storage_capacity: 10 TB a unit)
    plan = plan_of([inference(pflops=8, hot_tb=95)], storage_tiers=[storage(usd_per_tb=100)])
    assert storage_units(plan, "hot") == math.ceil((95 + 0.2) / 10) == 10
    assert cost(plan, "storage") == pytest.approx(10_000)


TIERED_STORAGE = [
    storage("hot-enc", unit_tb=10, usd_per_tb=100, encryption_at_rest=True),
    storage("hot-plain", unit_tb=10, usd_per_tb=50, encryption_at_rest=False),
    storage("cold-enc", hot=False, unit_tb=100, usd_per_tb=10, encryption_at_rest=True),
    storage("cold-plain", hot=False, unit_tb=100, usd_per_tb=5, encryption_at_rest=False),
]


@pytest.mark.parametrize(
    ("regulated", "hot_tier", "cold_tier", "usd"),
    [
        # hot 15 + 0.2 = 15.2 TB -> 2 units of 10 TB at 500 USD (hot-plain), cold 250 TB -> 3 units
        # of 100 TB at 500 USD (cold-plain, the cheapest per TB; the 4.8 TB left on the hot units
        # do not save a cold unit: 250 - 4.8 > 200) -> 2,500 USD
        (False, "hot-plain", "cold-plain", 2 * 500 + 3 * 500),
        # hipaa-ready data only on encrypted tiers: 2 x 1,000 (hot-enc) + 3 x 1,000 (cold-enc) = 5,000 USD
        (True, "hot-enc", "cold-enc", 2 * 1_000 + 3 * 1_000),
    ],
)
def test_storage_cold_on_cheapest_allowed_tier(plan_of, regulated, hot_tier, cold_tier, usd):
    # cold_covered: the cold TB are kept once, on the cheapest tier the workload may use
    tags = {"compliance": ["hipaa-ready"]} if regulated else {}
    plan = plan_of(
        [inference(pflops=8, hot_tb=15, cold_tb=250, **tags)],
        sites=[site(certifications=["hipaa-ready"])],
        storage_tiers=TIERED_STORAGE,
    )
    assert storage_units(plan, hot_tier) == 2
    assert storage_units(plan, cold_tier) == 3
    used = set(plan.storage.loc[plan.storage.units > 0, "storage_tier"])
    assert used == {hot_tier, cold_tier}
    if regulated:
        assert not used & {"hot-plain", "cold-plain"}
    assert cost(plan, "storage") == pytest.approx(usd)


def test_storage_read_bandwidth_forces_hot_units(plan_of):
    # 9 PFLOPS / 4 = 2.25 nodes -> a job of 3 whole nodes, all reading while it runs: 2 GB/s per
    # GPU x 8 GPUs x 3 = 48 GB/s over 10 GB/s units -> ceil(4.8) = 5 units, though 0.6048 TB of
    # checkpoints fit in 1.
    # Checkpoint write 14 x 14.4 GB / 600 s = 0.336 GB/s < 10 GB/s of one unit.
    # (read_bandwidth binds, checkpoint_bandwidth does not)
    plan = plan_of(
        [training(pflops=9, read_gbps_per_gpu=2)],
        storage_tiers=[storage(read_gbps_per_unit=10, write_gbps_per_unit=10)],
    )
    assert installed(plan) == 3
    assert math.ceil(3 * 14 * 14.4 / 1000 / 10) == 1
    assert storage_units(plan, "hot") == math.ceil(2 * 8 * 3 / 10) == 5


def test_storage_checkpoint_write_bandwidth_forces_hot_units(plan_of):
    # one checkpoint = 14 B/param x 14.4e9 = 201.6 GB in a 10-minute window = 0.336 GB/s;
    # 0.1 GB/s per unit -> ceil(3.36) = 4 units (capacity: 0.6048 TB fits in 1; reads:
    # 8 GPUs x 1 GB/s x 2.5 nodes = 20 GB/s within one unit's 1000 GB/s).
    # (checkpoint_bandwidth binds)
    plan = plan_of([training(pflops=10)], storage_tiers=[storage(write_gbps_per_unit=0.1)])
    assert 14 * 14.4 / 600 == pytest.approx(0.336)
    assert storage_units(plan, "hot") == 4


# Data that stays put. Sites a (us, air racks) and b (eu, liquid racks only); tier g2 is liquid,
# so `east` (region us) runs at a on g1 and `west` (tiers [g2]) at b; 10 TB units at 100 USD/TB
# = 1,000 USD; no discounting.
# east: hot 4.9 TB + 0.2 TB weights, doubling: 5.1 TB (2026), 10.0 TB (2027): a's one unit full.
# west: hot 9.8 + 0.2 = 10.0 TB (2026), halving: 4.9 + 0.2 = 5.1 TB (2027); its cold data
# 4 TB (2026), 2 TB (2027) may sit at either site.
MOVING = dict(
    sites=[site("a", region="us"), site("b", region="eu", racks={"r2": 20})],
    gpu_tiers=[tier("g1"), tier("g2", cooling="liquid")],
    rack_types=[rack("r1"), rack("r2", cooling="liquid")],
    storage_tiers=[storage(usd_per_tb=100)],
)
EAST = inference("east", pflops=4, region="us", hot_tb=4.9, growth_per_year=1.0)
WEST = inference("west", pflops=8, tiers=["g2"], hot_tb=9.8, cold_tb=4, growth_per_year=-0.5)


@pytest.mark.parametrize(("usd_per_tb", "moves"), [(400, True), (600, False)])
def test_storage_cold_data_moves_only_when_moving_pays(plan_of, usd_per_tb, moves):
    # 2026: b's unit is full of west's hot data (10.0 TB), so west's 4 TB of cold data sit in a's
    # free 4.9 TB. 2027: half of it is left (2 TB, cold_stays: data that shrank was deleted, not
    # moved) and a's unit is full of east's 10.0 TB: move the 2 TB to b (4.9 TB free) at
    # 2 x price, or buy a second unit (1,000 USD). 2 x 400 = 800 < 1,000: move; 2 x 600 = 1,200
    # > 1,000: a second unit (at a in 2027, or at b in 2026: the same price), nothing moves.
    # (cold_covered: the TB stored are the TB that exist, 4 then 2; a one-year hardware life, so a
    # unit keeps no value at the horizon and costs its full 1,000 USD)
    policy = {"horizon_years": 2, "discount_rate": 0, "transfer_usd_per_tb": usd_per_tb}
    plan = plan_of(
        [EAST, WEST],
        policy={**policy, "hardware_lifetime_years": 1},
        **MOVING,
    )
    cold = plan.data.groupby("year").cold_tb.sum()
    assert cold[2026] == pytest.approx(4.0) and cold[2027] == pytest.approx(2.0)
    units = plan.storage.groupby("year").units.sum()
    if moves:
        assert plan.data_moves[["workload", "year", "from_site", "to_site"]].values.tolist() == [
            ["west", 2027, "a", "b"]
        ]
        assert plan.data_moves.tb.sum() == pytest.approx(2.0)
        assert cost(plan, "data_transfer", 2027) == pytest.approx(2 * usd_per_tb)
        assert units[2027] == 2
    else:
        assert plan.data_moves.empty
        assert cost(plan, "data_transfer", 2027) == 0
        assert units[2027] == 3
    assert cost(plan, "storage", 2026) + cost(plan, "storage", 2027) == pytest.approx(units[2027] * 1_000)


def test_storage_cold_data_stays_at_one_site_for_three_years(plan_of):
    # east and west each keep 5.0 TB of hot data at their own site (a, b), each site's unit has
    # 5 TB free; west's 4 TB of cold data fit either, every year. Moving it costs 50 USD/TB (the
    # default) and saves nothing: it stays where it was put in 2026 (cold_stays), no moves.
    east = inference("east", pflops=4, region="us", hot_tb=4.8)
    west = inference("west", pflops=4, tiers=["g2"], hot_tb=4.8, cold_tb=4)
    plan = plan_of([east, west], policy={"horizon_years": 3}, **MOVING)
    cold = plan.data[plan.data.cold_tb > 0]
    assert cold.groupby("year").cold_tb.sum().tolist() == pytest.approx([4.0, 4.0, 4.0])
    assert cold.site.nunique() == 1
    assert plan.data_moves.empty


def test_storage_hot_data_follows_a_service_to_a_new_site(plan_of):
    # svc serves 4 PFLOPS (one node) in 2026 and 8 (two nodes) in 2027. Site a has power for one
    # node (10.5 kW) and free electricity, b room and 0.01 USD/kWh (one node a year: 10 kW x 0.75
    # x 8760 h x 0.01 = 657 USD): 2026 at a; in 2027 b serves too, and its hot data, 2 x 1.0 TB
    # + 0.2 TB of weights = 2.2 TB, is copied there (hot_follows): 2.2 TB x 50 USD/TB = 110 USD,
    # less than running at b from 2026 (657 USD).
    svc = inference("svc", pflops=4, hot_tb=1.0, growth_per_year=1.0)
    sites = [site("a", power_mw=0.0105), site("b", electricity_usd_per_kwh=0.01)]
    plan = plan_of([svc], sites=sites, policy={"horizon_years": 2, "discount_rate": 0})
    assert set(plan.nodes[plan.nodes.year == 2026].site) == {"a"}
    assert "b" in set(plan.nodes[plan.nodes.year == 2027].site)
    moves = plan.data_moves
    assert moves[["workload", "year", "from_site", "to_site"]].values.tolist() == [["svc", 2027, "a", "b"]]
    assert moves.tb.sum() == pytest.approx(2.2)
    assert cost(plan, "data_transfer", 2027) == pytest.approx(2.2 * 50)
    # the checker recomputes the copy from where the plan runs (data_moves_paid)
    unlisted = aiopt.check_plan(dataclasses.replace(plan, data_moves=moves.iloc[0:0]))
    assert any("svc/2027: 0 TB moved between sites, needs 2.2" in f for f in unlisted.failures), unlisted


def test_checker_flags_stored_data_beyond_what_exists(plan_of):
    # storage_holds_data: the TB stored are the TB that exist. 1 TB more cold data on the plan's
    # storage than the workload has (5 + 1 TB) is reported.
    plan = plan_of([inference(pflops=4, cold_tb=5)])
    data = plan.data.copy()
    data.loc[data.cold_tb > 0, "cold_tb"] += 1.0
    failures = aiopt.check_plan(dataclasses.replace(plan, data=data)).failed("storage_holds_data")
    assert any("serve/2026: 6 TB cold data kept, has 5 TB" in f for f in failures), failures
