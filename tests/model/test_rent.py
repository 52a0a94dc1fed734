"""Family rent: a training run on owned nodes or on one cloud offer; rented serving replicas.

Base tiny catalog (tests/tiny_plans.py): a g1 node is 8 GPUs, 100,000 USD, 4 effective PFLOPS
(0.5 per GPU), no support, free energy. With a one-year hardware life, owning a GPU for the
year costs 100,000 / 8 / 1 = 12,500 USD; renting it for a share u of the year at p USD/GPU-h
costs u x 8760 x p, so renting wins below u* = 12,500 / (8760 p).
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from conftest import REPO
from tiny_plans import (
    assert_no_dearer_than_reference,
    cost,
    inference,
    installed,
    offer,
    site,
    tiny_scenario,
    training,
)

import aiopt
from aiopt.check.compute import demand_met
from aiopt.check.rent import owned_or_rented, rent_allowed_and_billed
from aiopt.model.params import set_params
from aiopt.sweep.spec import apply, target

OWNED_USD_PER_GPU_YEAR = 100_000 / 8 / 1
RUN_HOURS = 100 * 24  # training(): a 100-day deadline, one run a year
RENT = {"allow_rent": True}
ONE_YEAR_LIFE = {**RENT, "hardware_lifetime_years": 1}
# 31.9 PFLOPS: 63.8 GPUs at 0.5 each -> 64 rented GPUs; 7.975 nodes -> 8 owned nodes (64 GPUs)
JOB = 31.9
OWNED_USD = 8 * 100_000 + 1 + 10  # nodes + their 64 ports on one one-dollar switch + one storage unit


@pytest.mark.parametrize("price", [5.0, 5.5])
def test_plan_rents_below_the_break_even_utilisation_and_owns_above(plan_of, price):
    # one_tier: the run is picked on owned nodes or rented (rent); rent_on_choice sizes the GPUs,
    # demand_met counts 64 x 0.5 = 32 >= 31.9 PFLOPS of them
    plan = plan_of([training(pflops=JOB)], cloud_offers=[offer(usd_per_gpu_hour=price)], policy=ONE_YEAR_LIFE)
    break_even = OWNED_USD_PER_GPU_YEAR / (8760 * price)  # 0.2854 at 5.0, 0.2594 at 5.5
    assert plan.break_even.set_index("tier").at["g1", "break_even_utilisation"] == pytest.approx(break_even)
    utilisation = RUN_HOURS / 8760  # 0.274: between the two
    if utilisation < break_even:  # 64 x 2400 x 5.0 = 768,000 < 800,011
        assert installed(plan) == 0
        assert plan.rent.gpus.tolist() == [64]
        assert cost(plan, "rent") == pytest.approx(64 * RUN_HOURS * price)
        assert plan.owned_vs_rented.rented_share.tolist() == [1.0]
        assert plan.kpi("rented_gpu_hours_share") == 1.0
    else:  # 64 x 2400 x 5.5 = 844,800 > 800,011
        assert installed(plan) == 8 and plan.rent.empty
        assert plan.kpi("npv_usd") == pytest.approx(OWNED_USD)
        assert plan.owned_vs_rented.owned_gpu_hours.tolist() == [64 * RUN_HOURS]


@pytest.mark.parametrize(
    "needs, site_has, offer_has",
    [
        ({"compliance": ["hipaa-ready"]}, {"certifications": ["hipaa-ready"]}, {"certifications": "soc2"}),
        ({"region": "eu"}, {"region": "eu"}, {"region": "us"}),
        ({"dedicated": True}, {"tenancy": "dedicated"}, {"tenancy": "shared"}),
    ],
)
def test_an_offer_the_workload_may_not_use_is_never_rented(plan_of, needs, site_has, offer_has):
    # at 1 USD/GPU-h renting would cost 64 x 2400 = 153,600 against 800,011 owned
    plan = plan_of(
        [training(pflops=JOB, **needs)],
        sites=[site(**site_has)],
        cloud_offers=[offer(**offer_has)],
        policy=ONE_YEAR_LIFE,
    )
    assert installed(plan) == 8 and plan.rent.empty
    allowed = {"certifications": "hipaa-ready", "region": "eu", "tenancy": "dedicated"}
    fixed = offer(**{k: allowed[k] for k in offer_has})
    plan = plan_of(
        [training(pflops=JOB, **needs)], sites=[site(**site_has)], cloud_offers=[fixed], policy=RENT
    )
    assert installed(plan) == 0 and cost(plan, "rent") == pytest.approx(64 * RUN_HOURS)


def test_egress_charged_on_the_hot_data_moved_to_the_cloud(plan_of):
    # hot TB: 100 given + 3 checkpoints x 14 B x 14.4B params = 0.6048 TB -> 100.6048 TB x 1000 USD
    plan = plan_of(
        [training(pflops=JOB, hot_tb=100)], cloud_offers=[offer(egress_usd_per_tb=1000)], policy=ONE_YEAR_LIFE
    )
    assert cost(plan, "egress") == pytest.approx(1000 * (100 + 3 * 14 * 14.4 / 1000))
    assert plan.rent.egress_usd.tolist() == pytest.approx([100_604.8])


def test_rented_gpus_hold_the_training_state(plan_of):
    # rent_memory: 0.4 PFLOPS needs 0.8 GPUs, but 16 B x 14.4B = 230.4 GB needs 3 GPUs of 100 GB
    plan = plan_of([training(pflops=0.4)], cloud_offers=[offer()], policy=ONE_YEAR_LIFE)
    assert plan.rent.gpus.tolist() == [3]


def test_billed_hours_at_least_the_offer_minimum(plan_of):
    # a 2-month block (1440 h) per 100-day run bills 2400 h; a reserved year bills 8760 h per GPU
    # (a one-year life: owned nodes keep no value beyond the horizon, 800,011 USD, so both rent)
    block = plan_of(
        [training(pflops=JOB)], cloud_offers=[offer(term="block", min_hours=4000)], policy=ONE_YEAR_LIFE
    )
    assert block.rent.gpu_hours.tolist() == [64 * 4000]
    reserved = plan_of(
        [training(pflops=JOB)], cloud_offers=[offer(term="reserved", min_hours=8760)], policy=ONE_YEAR_LIFE
    )
    assert reserved.rent.gpu_hours.tolist() == [64 * 8760]


def test_steady_serving_rents_whole_replicas_when_cheaper(plan_of):
    # rent_replicas_on_choice: 25,000 tokens/s; a 4-GPU replica serves 4 x 1250 = 5000 -> 5 replicas,
    # 20 GPUs x 8760 h x 0.5 USD = 87,600 against 3 owned nodes (2.5 needed) = 300,000
    plan = plan_of([inference(pflops=10)], cloud_offers=[offer(usd_per_gpu_hour=0.5)], policy=ONE_YEAR_LIFE)
    assert installed(plan) == 0
    assert plan.rent[["replicas", "gpus"]].values.tolist() == [[5, 20]]
    assert cost(plan, "rent") == pytest.approx(20 * 8760 * 0.5)
    assert plan.rent.usd.tolist() == pytest.approx([20 * 8760 * 0.5])  # a price below 1e-6 MUSD/GPU-h too


def test_nothing_is_rented_unless_the_policy_allows_it(plan_of):
    # at 1 USD/GPU-h renting would cost 153,600 against 800,011 owned; the model has no rent variable
    plan = plan_of([training(pflops=JOB)], cloud_offers=[offer()], policy={"hardware_lifetime_years": 1})
    assert installed(plan) == 8 and plan.rent.empty and plan.break_even.empty


def test_offer_availability_caps_rented_gpus(plan_of):
    # rent_available: the offer has 32 GPUs a year, the run needs 64: it owns
    plan = plan_of([training(pflops=JOB)], cloud_offers=[offer(max_gpus=32)], policy=ONE_YEAR_LIFE)
    assert installed(plan) == 8 and plan.rent.empty


@pytest.fixture
def rented(plan_of):
    return plan_of([training(pflops=JOB, hot_tb=10)], cloud_offers=[offer(egress_usd_per_tb=50)], policy=RENT)


def test_checker_recomputes_rented_gpus_hours_and_cost(rented):
    assert rent_allowed_and_billed(rented) == [] and demand_met(rented) == []
    rented.rent.loc[0, "gpus"] = 60  # 60 x 0.5 = 30 PFLOPS < 31.9
    assert any("deliver" in f for f in demand_met(rented))
    assert any("GPU-hours" in f for f in rent_allowed_and_billed(rented))
    rented.rent.loc[0, "gpus"] = 64
    rented.rent.loc[0, "usd"] += 100
    assert any("rent USD" in f for f in rent_allowed_and_billed(rented))


def test_checker_finds_an_offer_the_workload_may_not_use(rented):
    moved = rented.scenario.with_values("sites", "a", region="eu")
    rented.scenario = moved.with_values("workloads", "train", region="eu")
    assert any("lacks region eu" in f for f in rent_allowed_and_billed(rented))


def test_checker_finds_a_run_both_owned_and_rented(plan_of, rented):
    owned = plan_of([training(pflops=JOB, hot_tb=10)], policy=ONE_YEAR_LIFE)
    assert owned_or_rented(owned) == []
    owned.rent = rented.rent
    assert owned_or_rented(owned) == ["train/2026: one training run on 1 offers and owned nodes"]


def test_offer_naming_an_unknown_tier_is_an_input_error(tmp_catalog, tiny_path):
    header = "id,name,provider_class,tier,region,term,usd_per_gpu_hour,source\n"
    catalog = tmp_catalog({"cloud_offers": header + "x,X,neocloud,h900,us,on_demand,2,test\n"})
    with pytest.raises(aiopt.InputError, match="unknown GPU tier"):
        aiopt.load_scenario(tiny_path, catalog)


def test_shipped_offers_load_and_a_catalog_without_the_file_rents_nothing(tiny_path, catalog_dir):
    assert len(aiopt.load_catalog()["cloud_offers"]) > 0
    assert aiopt.load_scenario(tiny_path, catalog_dir).cloud_offers.empty


def test_shipped_rent_or_buy_rents_the_bursty_training_and_owns_the_steady_serving():
    plan = aiopt.solve(aiopt.load_scenario(REPO / "data/scenarios/rent-or-buy.yaml"), 120, progress=False)
    assert plan.status == "optimal"
    assert aiopt.check_plan(plan).ok
    split = plan.owned_vs_rented.set_index("workload")
    assert (split.loc["pretrain-8b", "rented_share"] == 1.0).all()  # 16% of the year < break-even
    assert (split.loc["chat-70b", "rented_share"] == 0.0).all()  # 100% of the year > break-even
    h100 = plan.break_even.set_index("tier").loc["h100-sxm"]
    assert 60 / 365 < h100.break_even_utilisation < 1.0
    reference = assert_no_dearer_than_reference(plan)  # issue 12: the architect's design buys everything
    assert reference.kpi("rented_gpu_hours_share") == 0


def test_offer_price_is_a_mutable_param_sweeps_may_vary(tmp_path):
    sc = tiny_scenario(tmp_path, [training(pflops=JOB)], cloud_offers=[offer()], policy=RENT)
    path = "catalog.cloud_offers.cloud.usd_per_gpu_hour"
    assert target(path, sc).field.name == "usd_per_gpu_hour"
    variant = apply(sc, {path: 7.0})
    warm = aiopt.build_model(sc)
    set_params(warm, variant)
    assert (
        pyo.value(warm.rent_price["cloud"])
        == pyo.value(aiopt.build_model(variant).rent_price["cloud"])
        == 7e-6
    )
