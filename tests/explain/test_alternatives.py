"""Near-optimal alternatives (`aiopt.explain.alternatives`): within the cost band, checked, and
deciding differently from the optimum and from each other (catalog: tests/tiny_plans.py).

`two_tier_two_site` has real choices: tier a (cheaper a node, 25,000 USD per PFLOPS) or b (20,000),
site "free" (free energy) or "dear" (0.3 USD/kWh). The optimum owns b at "free"; within 30% there
are plans with a, and with the service split over both sites. The MGA rows (`mga_band`: NPV within
the band; `mga_used_if_any`, `mga_any_if_used`: the indicators of each decision class) act in every
test that finds an alternative.
"""

from __future__ import annotations

import pytest
from tiny_plans import offer, tier, tiny_scenario, training, two_tier_two_site

import aiopt
from aiopt.explain import alternatives

SLACK = 0.3
CLASSES = ["tiers", "vendors", "sites", "fabrics", "rented_gpu_hours_share"]


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    return alternatives(two_tier_two_site(tmp_path_factory.mktemp("alternatives")), n=3, slack=SLACK)


def test_the_optimum_comes_first_and_alternatives_follow(found):
    table, plans = found
    assert table.plan.tolist()[:3] == ["optimal", "alt-1", "alt-2"]
    assert len(plans) == len(table)
    assert table.npv_usd.tolist() == pytest.approx([p.kpi("npv_usd") for p in plans])
    assert table.distance.iloc[0] == 0 and table.extra_cost_share.iloc[0] == 0


def test_every_alternative_is_within_the_cost_band(found):
    table, _ = found
    optimal = table.npv_usd.iloc[0]
    assert (table.npv_usd <= optimal * (1 + SLACK) + 1e-6 * optimal).all()
    assert (table.extra_cost_share[1:] >= -1e-9).all(), "none cheaper than the optimum found"


def test_every_alternative_passes_the_checker(found):
    _, plans = found
    for plan in plans:
        report = aiopt.check_plan(plan)
        assert report.ok, str(report)


def test_each_alternative_decides_differently_from_the_optimum_and_the_others(found):
    table, _ = found
    decisions = [tuple(row) for row in table[CLASSES].itertuples(index=False)]
    assert len(set(decisions)) == len(decisions), table[CLASSES]
    assert (table.distance[1:] > 0).all()
    assert table.tiers.iloc[0] == "b=88", "the optimum owns tier b only"
    assert any("a=" in tiers for tiers in table.tiers[1:]), "an alternative owns tier a"


def test_a_scenario_without_choices_has_no_alternative(tmp_path):
    # one tier, one site, one fabric: every plan in the band decides alike
    table, plans = alternatives(tiny_scenario(tmp_path, [training(pflops=10)]), n=2, slack=SLACK)
    assert table.plan.tolist() == ["optimal"] and len(plans) == 1


def test_a_bad_request_is_an_input_error(tmp_path):
    scenario = tiny_scenario(
        tmp_path, [training(pflops=10)], policy={"objective": "max_capacity", "capex_budget_usd": 1e6}
    )
    with pytest.raises(aiopt.InputError, match="min_npv") as error:
        alternatives(scenario, slack=2)
    assert "slack" in str(error.value)


def test_renting_and_another_vendor_are_alternatives_to_owning(tmp_path):
    # owning g1 is cheapest; renting the run at 1.8 USD/GPU-h (20 GPUs for its 2,400 h, ~86,000
    # USD) and owning vendor other's g2 (110,000 USD a node, +10%) are both within 30%
    scenario = tiny_scenario(
        tmp_path,
        [training(pflops=10)],
        gpu_tiers=[tier("g1"), tier("g2", vendor="other", price_usd=110_000)],
        cloud_offers=[offer(usd_per_gpu_hour=1.8)],
        policy={"allow_rent": True},
    )
    table, plans = alternatives(scenario, n=3, slack=SLACK)
    assert table.vendors.iloc[0] == "test=24" and table.rented_gpu_hours_share.iloc[0] == 0
    assert 1.0 in table.rented_gpu_hours_share[1:].tolist(), "an alternative rents"
    assert "other=24" in table.vendors[1:].tolist(), "an alternative owns the other vendor's tier"
    assert (table.npv_usd <= table.npv_usd.iloc[0] * (1 + SLACK) + 1e-6).all()
    assert all(aiopt.check_plan(plan).ok for plan in plans)
