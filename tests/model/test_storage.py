"""Hand-worked tests of constraint family `storage` (aiopt/model/storage.py); catalog: tiny_plans."""

from __future__ import annotations

import math

import pytest
from tiny_plans import (
    cost,
    inference,
    installed,
    site,
    storage,
    storage_units,
    training,
)


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
