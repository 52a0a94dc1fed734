"""The one-tier guess of the staged solve (aiopt/solve/guess.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import inference, site, tier, tiny_scenario

import aiopt
from aiopt.solve.guess import ROOM_SHARE, peak_nodes, tier_of_workloads


def test_guess_places_the_largest_workload_first_and_the_next_where_power_is_left(tmp_path):
    # 200 kW x 0.8 = 160 kW to fill; a g1 node serves 4 PFLOPS. "big" (12 nodes x 10 kW = 120 kW)
    # takes the cheap tier; "small" (10 nodes) would need 100 kW more where 40 kW are left, so it
    # goes to the dear 1 kW tier. Both on the cheap tier (240 kW) would not fit the site at all.
    cheap, dear = tier("cheap", node_kw=10), tier("dear", node_kw=1, price_usd=200_000)
    workloads = [inference("small", pflops=40), inference("big", pflops=48)]
    scenario = tiny_scenario(tmp_path, workloads, sites=[site(power_mw=0.2)], gpu_tiers=[cheap, dear])
    model = aiopt.build_model(scenario)
    assert ROOM_SHARE == 0.8
    assert [peak_nodes(model.data, w, "cheap") for w in ("big", "small")] == pytest.approx([12, 10])
    assert tier_of_workloads(model) == {"big": "cheap", "small": "dear"}


def test_guess_keeps_to_tiers_on_sale_within_a_node_life_of_every_year(tmp_path):
    # "old" is cheaper but sold only in 2026; nodes live one year, so it cannot serve 2027
    old, new = tier("old", available_to=2026), tier("new", price_usd=200_000, available_from=2026)
    policy = {"horizon_years": 2, "hardware_lifetime_years": 1}
    scenario = tiny_scenario(tmp_path, [inference(pflops=4)], policy=policy, gpu_tiers=[old, new])
    assert tier_of_workloads(aiopt.build_model(scenario)) == {"serve": "new"}
