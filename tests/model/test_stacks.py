"""Hand-worked tests of constraint family `stacks` (aiopt/model/stacks.py); catalog: tiny_plans.

Tiers a (stack s1, 100,000 USD a node) and b (stack s2, 60,000 USD) serve alike: 4 PFLOPS of
serving a node (tiny_plans). `pinned` (4 PFLOPS, stacks [s1]) takes one node of a; `free`
(8 PFLOPS, any stack) takes two nodes of a (200,000 USD) or of b (120,000 USD): b saves 80,000 USD
of compute, which pays for s2 or not.
"""

from __future__ import annotations

import dataclasses

import pytest
from tiny_plans import (
    baseline_model,
    cost,
    fabric,
    inference,
    installed,
    offer,
    rack,
    relaxation_bound,
    service,
    software_stack,
    storage,
    tier,
    tiny_scenario,
    training,
    write_catalog,
)

import aiopt

TIERS = [tier("a", stack="s1"), tier("b", stack="s2", price_usd=60_000)]
SAVING = 2 * (100_000 - 60_000)


@pytest.mark.parametrize(("s2_one_time", "second_stack"), [(SAVING - 20_000, True), (SAVING - 5_000, False)])
def test_second_stack_bought_only_when_its_saving_exceeds_its_cost(plan_of, s2_one_time, second_stack):
    # s2 costs its one-time price + 10,000 USD a year: 70,000 < 80,000 saved -> `free` on b;
    # 85,000 > 80,000 -> all on a, s2 never adopted.
    # (stack_for_nodes: a node of b needs s2; s1 is needed by `pinned` either way)
    stacks = [
        software_stack("s1", one_time_usd=30_000),
        software_stack("s2", one_time_usd=s2_one_time, annual_usd=10_000),
    ]
    plan = plan_of(
        [inference("pinned", pflops=4, stacks=["s1"]), inference("free", pflops=8)],
        gpu_tiers=TIERS,
        software_stacks=stacks,
        policy={"hardware_lifetime_years": 1},  # nodes keep no value past the one-year horizon
    )
    s2_cost = s2_one_time + 10_000
    assert (s2_cost < SAVING) == second_stack
    assert installed(plan, tier="b") == (2 if second_stack else 0)
    assert installed(plan, tier="a") == (1 if second_stack else 3)
    assert set(plan.stacks["stack"]) == ({"s1", "s2"} if second_stack else {"s1"})
    assert cost(plan, "compute") == pytest.approx(100_000 + 120_000 if second_stack else 300_000)
    capex = plan.costs[(plan.costs.category == "stacks") & (plan.costs.kind == "capex")].usd.sum()
    opex = plan.costs[(plan.costs.category == "stacks") & (plan.costs.kind == "opex")].usd.sum()
    assert capex == pytest.approx(30_000 + (s2_one_time if second_stack else 0))
    assert opex == pytest.approx(10_000 if second_stack else 0)


def test_a_licence_of_one_stack_counts_only_that_stack_s_gpus(plan_of):
    # a per-GPU licence for s1 only: `pinned` on one node of a pays it on a's GPUs (8 each year),
    # `free` on two nodes of b (s2) pays nothing
    licence = service("licence", basis="gpu", annual_usd=100, stacks="s1")
    plan = plan_of(
        [inference("pinned", pflops=4, stacks=["s1"]), inference("free", pflops=8, stacks=["s2"])],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1"), software_stack("s2")],
        services=[licence],
    )
    assert installed(plan, tier="a") == 1 and installed(plan, tier="b") == 2
    assert cost(plan, "licences") == pytest.approx(100 * 8)


def test_workload_runs_only_on_tiers_of_its_stacks(plan_of):
    # `pinned` lists s1 only: b (cheaper, free stacks) is not offered to it, so one node of a
    plan = plan_of(
        [inference("pinned", pflops=4, stacks=["s1"])],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1"), software_stack("s2")],
    )
    assert installed(plan, tier="a") == 1
    assert installed(plan, tier="b") == 0


def test_stack_adopted_once_and_paid_every_year(plan_of):
    # a 10-PFLOPS training run on b over two years: s2 adopted in 2026 (stack_for_runs: the run
    # picked on b needs s2), kept in 2027 (stack_kept); one-time 50,000 USD in 2026 only, annual
    # 10,000 USD in both years
    plan = plan_of(
        [training(pflops=10, stacks=["s2"])],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1"), software_stack("s2", one_time_usd=50_000, annual_usd=10_000)],
        policy={"horizon_years": 2},
    )
    rows = plan.stacks.set_index("year")
    assert list(rows["stack"]) == ["s2", "s2"]
    assert list(rows.adopted) == [True, False]
    stacks = plan.costs[plan.costs.category == "stacks"].set_index(["kind", "year"]).usd
    assert stacks["capex", 2026] == pytest.approx(50_000)
    assert stacks["capex", 2027] == 0
    assert stacks["opex", 2026] == stacks["opex", 2027] == pytest.approx(10_000)


def test_rented_gpus_need_their_tier_s_stack(plan_of):
    # a 10-PFLOPS run rented on b's GPUs at 0.1 USD/GPU-h (far below owning): stack_for_rent makes
    # the plan adopt s2 all the same, 50,000 USD once; the team runs the software wherever it runs
    plan = plan_of(
        [training(pflops=10)],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1", one_time_usd=1), software_stack("s2", one_time_usd=50_000)],
        cloud_offers=[offer(tier="b", usd_per_gpu_hour=0.1)],
        policy={"allow_rent": True},
    )
    assert installed(plan, tier="a") == installed(plan, tier="b") == 0 and len(plan.rent) == 1
    assert list(plan.stacks["stack"]) == ["s2"]
    assert cost(plan, "stacks") == pytest.approx(50_000)
    # checked against a scenario where the run lists s1 only, the rented b GPUs break its stacks
    workloads = plan.scenario.workloads.copy()
    workloads.at["train", "stacks"] = ("s1",)
    narrowed = dataclasses.replace(plan, scenario=dataclasses.replace(plan.scenario, workloads=workloads))
    failures = aiopt.check_plan(narrowed).failed("rent_allowed_and_billed")
    assert any("on stack s2, runs on s1" in f for f in failures), failures


def test_workload_rents_only_tiers_of_its_stacks(plan_of):
    # the same cheap offer of b (stack s2) to a run that lists s1 only: it owns a nodes instead
    plan = plan_of(
        [training(pflops=10, stacks=["s1"])],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1"), software_stack("s2")],
        cloud_offers=[offer(tier="b", usd_per_gpu_hour=0.1)],
        policy={"allow_rent": True},
    )
    assert plan.rent.empty and installed(plan, tier="a") >= 1


def test_checker_flags_a_stack_not_paid_for(plan_of):
    # the plan of the test above with s2's 2027 annual cost dropped from the costs: stacks_paid
    plan = plan_of(
        [training(pflops=10, stacks=["s2"])],
        gpu_tiers=TIERS,
        software_stacks=[software_stack("s1"), software_stack("s2", one_time_usd=50_000, annual_usd=10_000)],
        policy={"horizon_years": 2},
    )
    costs = plan.costs.copy()
    costs.loc[(costs.category == "stacks") & (costs.kind == "opex") & (costs.year == 2027), "usd"] = 0.0
    failures = aiopt.check_plan(dataclasses.replace(plan, costs=costs)).failed("stacks_paid")
    assert any("2027: annual stack costs 0.00 USD, owed 10,000.00" in f for f in failures), failures


def test_stack_inputs_are_checked(tmp_path):
    # a tier's stack must name a software_stacks row; a workload's stacks must leave it a tier
    with pytest.raises(aiopt.InputError, match="unknown software stack"):
        tiny_scenario(tmp_path / "tier", [inference()], gpu_tiers=[tier("a", stack="s9")])
    with pytest.raises(aiopt.InputError, match="no GPU tier it may use runs on these stacks"):
        tiny_scenario(
            tmp_path / "workload",
            [inference(stacks=["s2"])],
            gpu_tiers=[tier("a", stack="s1")],
            software_stacks=[software_stack("s1"), software_stack("s2")],
        )


def test_catalog_without_a_software_stacks_file_loads(tmp_path):
    # the table is optional: an older catalog directory without the file has no stacks
    tables = {
        "gpu_tiers": [tier()],
        "fabrics": [fabric()],
        "storage_tiers": [storage()],
        "rack_types": [rack()],
    }
    catalog = write_catalog(tmp_path / "catalog", tables)
    (catalog / "software_stacks.csv").unlink()
    assert aiopt.load_catalog(catalog)["software_stacks"].empty


@pytest.mark.parametrize("rows", ["stack_for_runs", "stack_for_serving"])
def test_a_workload_s_tier_choices_of_one_stack_share_its_adoption(rows):
    # stack_for_runs, stack_for_serving: a workload's picks of tiers of one stack exclude each
    # other, so their sum (not each) needs the stack; without the rows the baseline's relaxation
    # splits its choice over tiers and adopts each stack by a fraction
    assert relaxation_bound(baseline_model()) > relaxation_bound(baseline_model(), without=rows) + 0.1
