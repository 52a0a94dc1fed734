"""Hand-worked tests of constraint family `compute` (aiopt/model/compute.py); catalog: tiny_plans."""

from __future__ import annotations

import math

import pyomo.environ as pyo
import pytest
from tiny_plans import (
    baseline_model,
    cost,
    inference,
    installed,
    model,
    rack,
    relaxation_bound,
    site,
    storage_units,
    tier,
    tiny_scenario,
    training,
)

import aiopt


@pytest.mark.parametrize(
    ("input_tokens", "nodes"),
    [
        (1000, 3),  # a GPU: 0.5 x 1000 TF / (2 x 100e9 x (1 + 1000/1000)) = 1250 tok/s; node 10,000
        (3000, 5),  # a GPU: 0.5 x 1000 TF / (2 x 100e9 x (1 + 3000/1000)) = 625 tok/s; node 5,000
    ],
)
def test_compute_nodes_cover_demand(plan_of, input_tokens, nodes):
    # 25,000 output tokens/s; prompts cost prefill FLOPs (2 N per prompt token), so longer
    # prompts need more nodes: 25,000 / 10,000 = 2.5 -> 3; 25,000 / 5,000 = 5.0 -> 5.
    # (demand_met; pool_cover: the runs fit the installed nodes)
    plan = plan_of([inference(pflops=10, input_tokens=input_tokens)])
    per_node = 8 * 0.5 * 1000e12 / (2 * 100e9 * (1 + input_tokens / 1000))
    assert nodes == math.ceil(25_000 / per_node)
    assert installed(plan) == nodes
    assert cost(plan, "compute") == pytest.approx(nodes * 100_000)


def test_compute_training_job_runs_on_one_tier(plan_of):
    # 9.6 PFLOPS of training. Tier A: 8 x 1000 TF x 0.5 = 4 PF/node at 100,000 USD;
    # tier B: 8 x 500 TF x 0.5 = 2 PF/node at 65,000 USD.
    #   A alone: ceil(9.6 / 4) = 3 nodes = 300,000   <- optimum
    #   B alone: ceil(9.6 / 2) = 5 nodes = 325,000
    #   split 2 A + 1 B = 10 PF for 265,000 would be cheaper, but a job runs on one tier.
    #   (one_tier; run_on_pick; present_where_picked puts the job where its tier was picked)
    tiers = [tier("a"), tier("b", tflops_bf16=500, price_usd=65_000)]
    plan = plan_of([training(pflops=9.6)], gpu_tiers=tiers)
    assert set(plan.nodes.tier) == {"a"}
    assert installed(plan, tier="a") == 3
    assert installed(plan, tier="b") == 0
    assert cost(plan, "compute") == pytest.approx(300_000)


def test_compute_identical_tiers_are_one_unless_a_workload_names_the_copy(plan_of, tmp_path):
    # g2 is g1 but for id and name: the model leaves g2 out (same_tiers), so no plan has a mirror
    # with pools swapped between them; the plan buys g1 and costs what g1 alone costs
    workloads = [training(pflops=38), inference(pflops=10)]
    plan = plan_of(workloads, gpu_tiers=[tier(), tier("g2")])
    assert list(aiopt.build_model(plan.scenario).T) == ["g1"]
    assert set(plan.pools.tier) == {"g1"}
    assert plan.kpi("npv_usd") == pytest.approx(plan_of(workloads).kpi("npv_usd"), rel=1e-9)
    # a copy a workload names is a tier of its own
    named = [training(pflops=38, tiers=["g2"]), inference(pflops=10)]
    scenario = tiny_scenario(tmp_path / "named", named, gpu_tiers=[tier(), tier("g2")])
    assert list(aiopt.build_model(scenario).T) == ["g1", "g2"]


def test_compute_memory_fit_forces_more_nodes_than_throughput(plan_of):
    # 1440B params, 0.01T tokens in 100 days: 6 x 1440e9 x 0.01e12 / 8.64e6 s = 10 PFLOPS,
    # 10 / 4 = 2.5 -> 3 nodes for throughput; but the training state is 16 B/param:
    # 16 x 1440 = 23,040 GB over 8 x 100 GB = 800 GB per node = 28.8 -> 29 nodes.
    # (memory_fit)
    job = training(params_b=1440, tokens_t=0.01)
    plan = plan_of([job])
    assert math.ceil(16 * 1440 / 800) == 29
    assert installed(plan) == 29
    assert plan.nodes.nodes.sum() >= 28.8 - 1e-6


def test_compute_inference_replica_must_fit_one_scale_up_domain(plan_of):
    # A 400B model in BF16 holds 2 x 400 = 800 GB of weights. One node of "small" is its whole
    # scale-up domain: 90% of 8 x 100 GB = 720 GB, too little; "big" holds 90% of 8 x 200 GB =
    # 1,440 GB. A big GPU serves 0.5 x 1000 TF / (2 x 400e9 x 2) = 312.5 tok/s, a node 2,500:
    # 6,250 tokens/s -> 2.5 -> 3 nodes of big (3 x 150,000), though small is cheaper.
    tiers = [tier("small", hbm_gb=100), tier("big", hbm_gb=200, price_usd=150_000)]
    plan = plan_of(
        [inference(model="m400", tokens_per_s=6_250)],
        gpu_tiers=tiers,
        models=[model("m400", total_params_b=400, active_params_b=400)],
    )
    assert set(plan.nodes.tier) == {"big"}
    assert installed(plan, tier="big") == 3
    assert cost(plan, "compute") == pytest.approx(450_000)


def test_compute_yearly_run_moves_to_a_newer_tier(plan_of):
    # 10 PFLOPS of training a year, nodes live 1 year. "old" (4 PF/node) needs ceil(10 / 4) = 3
    # nodes; "new" (2 x TFLOPS = 8 PF/node, same price) ships in 2027 and needs ceil(10 / 8) = 2.
    # one_tier holds per year: 2026 runs on 3 old (300,000 USD), 2027 on 2 new (200,000 USD);
    # one tier for the whole horizon would rebuy 3 old in 2027.
    tiers = [tier("old"), tier("new", tflops_bf16=2000, available_from=2027)]
    plan = plan_of(
        [training(pflops=10)],
        gpu_tiers=tiers,
        policy={"horizon_years": 2, "hardware_lifetime_years": 1, "discount_rate": 0.0},
    )
    assert plan.nodes.groupby("year").tier.unique().map(list).to_dict() == {2026: ["old"], 2027: ["new"]}
    assert (installed(plan, 2026, tier="old"), installed(plan, 2027, tier="new")) == (3, 2)
    assert installed(plan, 2027, tier="old") == 0
    assert [cost(plan, "compute", y) for y in (2026, 2027)] == pytest.approx([300_000, 200_000])


def test_compute_training_run_takes_whole_nodes(plan_of):
    # 38 PFLOPS / 4 = 9.5 node-loads: the job (whole_job) holds 10 nodes, and its 5 % spares,
    # 0.05 x 10 = 0.5, are one whole spare node (spares_held, spare_with_job): 11 installed.
    plan = plan_of([training(pflops=38, spare_fraction=0.05)])
    assert plan.nodes.nodes.sum() == pytest.approx(9.5, rel=1e-4)
    assert installed(plan) == 11
    assert list(plan.pools.spare_nodes) == [1]
    assert list(plan.nodes.job_nodes) == [10]


def test_compute_job_on_rack_scale_node_takes_whole_trays(plan_of):
    # A 72-GPU rack-scale node (72 x 1000 TF x 0.5 = 36 PFLOPS) is 18 compute trays of 4 GPUs:
    # a 10.8 PFLOPS job needs 0.3 of it, 5.4 trays -> 6 whole trays = 1/3 of the node (whole_job).
    plan = plan_of([training(pflops=10.8)], gpu_tiers=[tier(gpus_per_node=72)])
    assert plan.nodes.nodes.sum() == pytest.approx(0.3, rel=1e-4)
    assert list(plan.nodes.job_nodes) == [pytest.approx(6 / 18)]
    assert installed(plan) == 1


def test_compute_job_spanning_rack_scale_nodes_takes_them_whole(plan_of):
    # 45 PFLOPS on 36 PFLOPS nodes: 1.25 nodes = 22.5 trays would span two NVLink domains, so the
    # run takes both whole (trays_in_one_domain, domains_if_spanning): 2 nodes, none on trays.
    plan = plan_of([training(pflops=45)], gpu_tiers=[tier(gpus_per_node=72)])
    assert plan.nodes.nodes.sum() == pytest.approx(1.25, rel=1e-3)
    assert list(plan.nodes.job_nodes) == [2]
    assert installed(plan) == 2


JOB = ("train", "g1", "a", 2026)


@pytest.mark.parametrize(
    ("pflops", "params_b", "gpus_per_node", "nodes"),
    [
        (38, 14.4, 8, 10),  # 38 / 4 = 9.5 -> 10 nodes
        (0.4, 144, 8, 3),  # 4 PFLOPS, one node, but 144B x 16 B = 2,304 GB of state: 2.88 -> 3 nodes
        (10.8, 14.4, 72, 6 / 18),  # 0.3 of a 36 PFLOPS rack-scale node: 5.4 -> 6 trays
        (45, 14.4, 72, 2),  # 1.25 nodes span two NVLink domains: 2 whole
    ],
)
def test_compute_least_job_nodes(tmp_path, pflops, params_b, gpus_per_node, nodes):
    # least_job: a picked run holds at least the nodes that meet its demand at 4 PFLOPS a node
    # (goodput ~1), and that hold its training state, in sizes its tier allows
    workload = training(pflops=pflops * 14.4 / params_b, params_b=params_b)
    scenario = tiny_scenario(tmp_path, [workload], gpu_tiers=[tier(gpus_per_node=gpus_per_node)])
    assert pyo.value(aiopt.build_model(scenario).least_nodes[JOB]) == pytest.approx(nodes)


def test_compute_least_job_lifts_the_relaxation():
    # without least_job the baseline's relaxation trains on fractions of a job's least size
    model = baseline_model()
    assert relaxation_bound(model) > relaxation_bound(model, without="least_job") + 1.0


def test_compute_least_job_follows_the_demand_a_model_is_solved_for(tmp_path):
    # 198 PFLOPS: at least 50 nodes (49.5 rounded up). Lowered to 38 on the built model, the solve
    # refreshes least_nodes (`aiopt.model.follow_params`) and finds the fresh build's plan, 10
    # nodes and one spare (test_compute_training_run_takes_whole_nodes); left at 50 it would hold 53
    model = aiopt.build_model(tiny_scenario(tmp_path, [training(pflops=198, spare_fraction=0.05)]))
    for index in model.demand:
        model.demand[index] = model.demand[index].value * 38 / 198
    plan = aiopt.read_plan(model, aiopt.solve_model(model, rel_gap=1e-6, progress=False))
    assert (installed(plan), pyo.value(model.least_nodes[JOB])) == (11, 10)


def test_compute_chord_intercepts_within_rounding_of_zero_are_zero():
    # a straight throughput line: every chord passes through the origin, but f(lo) - slope x lo
    # leaves 3.5e-18 and -5.6e-17 of rounding (HiGHS warned of such right-hand sides); a real
    # intercept, from a curve that bends by 1e-9 per node, is kept
    from aiopt.model.data import _chords

    line = _chords([0, 0.3, 0.7, 2.3, 3.7], lambda n: 0.1 * n)
    assert [intercept for intercept, _ in line] == [0.0, 0.0, 0.0, 0.0]
    bent = _chords([0, 0.7, 1.9], lambda n: 0.1 * n * (1 - 1e-9 * n))
    assert bent[1][0] == pytest.approx(0.1 * 1e-9 * 0.7 * 1.9, rel=1e-3)


def finetune(id: str, pflops: float, days: float = 10, **values) -> dict:
    """A fine-tune of the 14.4B model: 6 x 14.4e9 x T x 1e12 / (days x 86400) / 1e15 PFLOPS, so
    T = pflops x days / 1000 trillion tokens (100 T PFLOPS for 10 days)."""
    return training(id, kind="finetune", tokens_t=pflops * days / 1000, deadline_days=days, **values)


def test_compute_fine_tunes_share_the_pre_training_pool(plan_of):
    # Pre-training 10 PFLOPS for 100 days -> 2.5 -> 3 nodes (4 PFLOPS a node); fine-tunes of 5 and
    # 7 PFLOPS for 10 days -> 2 nodes each. Held all year they would need 3 + 2 + 2 = 7 nodes; in
    # sequence (120 booked days <= 365 x 0.9) the pool needs only the largest job: 3 nodes
    # (pool_cover, one row per job). Reads at 50 GB/s a GPU: 24 GPUs x 50 = 1,200 GB/s -> 2
    # storage units of 1,000 GB/s; summed over the three jobs (2,800 GB/s) it would be 3 (pool_reads).
    read = dict(read_gbps_per_gpu=50)
    plan = plan_of([training(pflops=10, **read), finetune("ft-a", 5, **read), finetune("ft-b", 7, **read)])
    assert installed(plan) == 3
    assert storage_units(plan, "hot") == 2
    runs = plan.schedule.sort_values("start_day")
    assert list(runs.nodes) == [3, 2, 2]
    assert (runs.start_day.iloc[1:].to_numpy() >= runs.end_day.iloc[:-1].to_numpy()).all()  # in sequence
    used = (3 * 100 + 2 * 10 + 2 * 10) * 24 * 8  # GPU-hours the runs use
    assert plan.utilisation.used_gpu_hours.iloc[0] == pytest.approx(used)
    assert plan.utilisation.installed_gpu_hours.iloc[0] == 3 * 8 * 8760


def test_compute_monthly_fine_tune_books_twelve_times_the_node_days(plan_of):
    # 12 runs of a 10-day fine-tune on 2 nodes: 12 x 2 x 10 node-days, 12x one run's; same nodes.
    once = plan_of([finetune("ft", 5)])
    monthly = plan_of([finetune("ft", 5, runs_per_year=12)])
    assert installed(once) == installed(monthly) == 2
    assert len(monthly.schedule) == 12
    assert monthly.utilisation.used_gpu_hours.iloc[0] == pytest.approx(
        12 * once.utilisation.used_gpu_hours.iloc[0]
    )
    assert monthly.utilisation.used_gpu_hours.iloc[0] == pytest.approx(12 * 2 * 10 * 24 * 8)


@pytest.mark.parametrize(("days", "nodes"), [(150, 3), (200, 6)])
def test_compute_long_runs_side_by_side_only_when_a_year_cannot_hold_them(plan_of, days, nodes):
    # Two jobs of 10 PFLOPS over `days` -> 3 nodes each. 2 x 150 = 300 booked days <= 365 x 0.9
    # = 328.5: one after another on 3 nodes. 2 x 200 = 400 > 328.5: one runs solo, beside the
    # other, on nodes of its own: 6 (pool_days, solo_if_picked, own_nodes).
    jobs = [training(f"t{i}", tokens_t=days / 100, deadline_days=days) for i in (1, 2)]
    plan = plan_of(jobs)
    assert installed(plan) == nodes
    runs = plan.schedule.sort_values("start_day")
    overlap = runs.start_day.iloc[1] < runs.end_day.iloc[0]
    assert overlap == (nodes == 6)


def test_compute_serving_takes_whole_replicas(plan_of):
    # A 100B replica needs 2 x 100 x 1.25 = 250 GB: 3 GPUs of 100 GB, so 4 (a power of two inside a
    # node): 2 replicas a node, 2 PFLOPS each. 10 PFLOPS -> 5 replicas on 2.5 nodes -> 3 installed
    # (replica_nodes).
    plan = plan_of([inference(pflops=10)])
    row = plan.nodes.iloc[0]
    assert (row.replicas, row.nodes) == (5, 2.5)
    assert installed(plan) == 3


def test_compute_serving_holds_its_minimum_replicas(plan_of):
    # 1 PFLOPS needs 1 replica; at least 3 at the site (min_replicas) -> 1.5 nodes -> 2 installed.
    plan = plan_of([inference(pflops=1, min_replicas=3)])
    assert plan.nodes.replicas.sum() == 3
    assert installed(plan) == 2


@pytest.mark.parametrize(("mixed", "nodes"), [(True, {"a": 1, "b": 2}), (False, {"a": 0, "b": 3})])
def test_compute_serving_on_one_tier_unless_mixed(plan_of, mixed, nodes):
    # Tier a (cheaper) fits one liquid rack of one node; b fills air racks. 10 PFLOPS = 5 replicas of
    # 2 PFLOPS, 2 a node: mixed, 2 on the one a node and 3 on 1.5 -> 2 b nodes; one tier only
    # (one_serving_tier, replicas_on_tier): 2.5 -> 3 b nodes.
    plan = plan_of(
        [inference(pflops=10, mixed_tiers=mixed)],
        gpu_tiers=[tier("a", cooling="liquid"), tier("b", price_usd=150_000)],
        rack_types=[rack("air"), rack("liquid", cooling="liquid", usable_kw=10)],
        sites=[site(racks={"air": 4, "liquid": 1})],
    )
    assert {t: installed(plan, tier=t) for t in ("a", "b")} == nodes


def test_compute_service_at_two_sites_carries_its_share_at_each(plan_of):
    # min_sites 2, each site 60% of 10 PFLOPS = 6 PFLOPS = 3 replicas -> 1.5 -> 2 nodes at each
    # (min_sites, site_carries_share).
    plan = plan_of(
        [inference(pflops=10, min_sites=2, site_peak_share=0.6)],
        sites=[site("a"), site("b")],
    )
    assert {s: installed(plan, site=s) for s in ("a", "b")} == {"a": 2, "b": 2}
    assert plan.nodes.groupby("site").replicas.sum().to_dict() == {"a": 3, "b": 3}
