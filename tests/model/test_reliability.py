"""Hand-worked tests of constraint family `reliability` (aiopt/model/reliability.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    cost,
    fabric,
    inference,
    installed,
    site,
    tier,
    training,
    young_daly_goodput,
)

from aiopt import demand
from aiopt.fabric_sizing import size_for_units


@pytest.mark.parametrize(
    ("spare", "nodes"),
    [
        (0.0, 4),  # 16 PFLOPS / 4 = 4 nodes
        (0.25, 5),  # 4 + 0.25 x 4 = 5 nodes
    ],
)
def test_reliability_spare_fraction_adds_nodes(plan_of, spare, nodes):
    plan = plan_of([inference(pflops=16, spare_fraction=spare)])
    assert installed(plan) == nodes
    assert plan.pools.spare_nodes.sum() == pytest.approx(spare * 4)


@pytest.mark.parametrize(
    ("kind", "start", "carrier_usd"),
    [
        ("inference", 2026, [100_000] * 3),
        ("inference", 2027, [0, 100_000, 100_000]),
        ("training", 2026, [0] * 3),
    ],
)
def test_reliability_second_carrier_for_inference(plan_of, kind, start, carrier_usd):
    # a site with one carrier pays (2 - 1) x 100,000 USD a year for a second one in the years it
    # serves inference (dual_carriers), from the service's first year on; training alone needs
    # no second carrier.
    workload = inference(pflops=10) if kind == "inference" else training(pflops=10)
    plan = plan_of(
        [{**workload, "start_year": start}],
        sites=[site(carriers=1, second_carrier_usd_per_year=100_000)],
        policy={"horizon_years": 3},
    )
    assert [cost(plan, "carriers", y) for y in (2026, 2027, 2028)] == pytest.approx(carrier_usd)
    assert list(plan.sites.second_carrier) == [bool(usd) for usd in carrier_usd]


def test_reliability_two_spines_for_leaf_uplinks_none_for_one_switch(plan_of):
    # 2-GPU nodes (1 PF each at MFU 0.5) on 2 rails. A 1-SU design (32 nodes x 2 rails) has 2 leaves
    # and the smallest divisor of 32 >= 1 = 1 spine: not redundant (redundant_spines holds in every
    # year an SU design is built), so the 2-SU size, 4 leaves and 2 spines, is the least SU design.
    # Training at 2.5 PFLOPS -> 3 nodes, 6 ports: they fit one 64-port switch, which has no leaf
    # uplinks to make redundant (a node's rail sits on one leaf in every SuperPOD too), so the
    # fabric is that one switch and no spine.
    assert size_for_units(1, 64, 32, 2).spine == 1
    assert size_for_units(2, 64, 32, 2).spine == 2
    plan = plan_of(
        [training(pflops=2.5)], gpu_tiers=[tier(gpus_per_node=2, hbm_gb=200)], fabrics=[fabric(rails=2)]
    )
    assert installed(plan) == 3
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine, row.switches) == (0, 0, 1, 0, 1)
    assert row.built_units == 0


def test_reliability_goodput_derates_training(plan_of):
    # 40 PFLOPS / 4 = 10 node-loads. Node MTBF 1000 h -> job MTBF M = 100 h; a 60-min checkpoint
    # (delta = 1 h): T = sqrt(2 x 1 x 100) - 1 = 13.142 h;
    # lost = 1 / 14.142 + (6.571 + 1) / 100 = 0.07071 + 0.07571 = 0.14642 -> goodput 0.85358 at 10 nodes.
    # But 40 / (4 x 0.85358) = 11.715 nodes fail more often than 10: the run needs N with
    # 4 N goodput(N) >= 40, N = 11.909 (goodput 0.8397), still 12 nodes installed.
    good = young_daly_goodput(10, 1000, 60)
    assert good == pytest.approx(0.85358, abs=1e-5)
    assert good == pytest.approx(demand.goodput(10, 1000, 60))
    assert 11.715 * 4 * young_daly_goodput(11.715, 1000, 60) < 40  # the size the peak estimate gave
    assert 11.909 * 4 * young_daly_goodput(11.909, 1000, 60) == pytest.approx(40, rel=1e-4)
    plan = plan_of([training(pflops=40, checkpoint_minutes=60)], gpu_tiers=[tier(node_mtbf_hours=1000)])
    assert installed(plan) == 12
    # goodput_chord: the run meets its demand at its own size, at most 0.1 % above the exact need
    run = plan.nodes.nodes.sum()
    assert run * 4 * young_daly_goodput(run, 1000, 60) >= 40 * (1 - 1e-6)
    assert 11.909 <= run <= 11.909 * 1.001
