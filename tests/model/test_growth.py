"""Hand-worked tests of constraint family `growth` (aiopt/model/growth.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    baseline_model,
    bought,
    cost,
    fabric,
    inference,
    installed,
    rack,
    relaxation_bound,
    service,
    site,
    storage,
    storage_units,
    tier,
    tiny_scenario,
    training,
)

import aiopt
from aiopt.fabric_sizing import size_for_units
from aiopt.model.growth import twin_sites
from aiopt.model.params import set_params


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
    # Training at 5.6, 11.2, 22.4 PFLOPS -> 1.4, 2.8, 5.6 -> 2, 3, 6 nodes, their ports on one
    # switch of 0.001 kW. Facility 30 kW (PUE 1.0): 2026: 20.001 kW fits; 2027: 30.001 kW does not
    # -> a 50 kW block, usable 1 year after its order, must be ordered in 2026; 2028: 60.001 kW
    # <= 30 + 50 = 80 kW, so one block is enough.
    sites = [
        site(
            power_mw=0.03,
            expansion_block_mw=0.05,
            expansion_cost_usd=1_000,
            expansion_lead_years=1,
            expansion_max_blocks=2,
        )
    ]
    plan = plan_of([training(pflops=5.6, growth_per_year=1.0)], sites=sites, policy={"horizon_years": 3})
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
    # in 2027, but installed storage only grows: 10 units, none bought in 2027. Nodes: 3 then 2
    # (one retires early: it would only draw power).
    # (storage_grows; units_grow keeps the SUs too)
    plan = plan_of([inference(pflops=10, hot_tb=95, growth_per_year=-0.5)], policy={"horizon_years": 2})
    assert [storage_units(plan, "hot", y) for y in (2026, 2027)] == [10, 10]
    assert cost(plan, "storage", 2027) == 0
    assert [installed(plan, y) for y in (2026, 2027)] == [3, 2]


def test_growth_fabric_built_as_units_grow(plan_of):
    # Training at 38, 72.2, 137.18 PFLOPS (growth 0.9) -> 9.5, 18.05, 34.3 -> 10, 19, 35 nodes
    # -> 80, 152, 280 ports (more than one 64-port switch) over SUs of 8 nodes x 8 rails = 64
    # -> 2, 3, 5 SUs. The design is the final year's 5-SU fat tree (design_units 5), but spines
    # (units_grow: SUs never shrink)
    # are built as the SUs come (fabric_grows, built_steps, built_holds_units, counted by
    # built_units_count; fabric_built ties the final size to the site's one fabric): 8 leaves
    # per SU, spines = smallest divisor of 32 >= leaves / 2 = 8, 16, 32, leaf-spine links =
    # leaves x 32 = 512, 768, 1,280. Switches 1,000 USD,
    # links 1 USD (also one per node port bought); discounting makes building late cheaper:
    #   2026: (16 + 8) x 1,000 + 512 + 80 = 24,592; 2027: (8 + 8) x 1,000 + 256 + 72 = 16,328;
    #   2028: (16 + 16) x 1,000 + 512 + 128 = 32,640
    # (the whole design up front would have cost (40 + 32) x 1,000 + 1,280 + 80 = 73,360 in 2026).
    plan = plan_of(
        [training(pflops=38, growth_per_year=0.9)],
        policy={"horizon_years": 3},
        fabrics=[fabric(nodes_per_su=8, switch_price_usd=1_000, link_price_usd=1)],
    )
    f = plan.fabric.set_index("year")
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [10, 19, 35]
    assert [cost(plan, "fabric", y) for y in (2026, 2027, 2028)] == pytest.approx([24_592, 16_328, 32_640])
    assert list(f.spine) == [8, 16, 32] == [size_for_units(k, 64, 8, 8).spine for k in (2, 3, 5)]
    assert list(f.switches) == [24, 40, 72]
    assert list(f.leaf) == [16, 24, 40]
    assert list(f.scalable_units) == [2, 3, 5]
    assert list(f.design_units) == [5, 5, 5]
    assert list(f.built_units) == [2, 3, 5]


def site_service(id: str, fabric_kind: str = "any", **values) -> dict:
    """A site-basis management service: 2 items a site, 15,000 USD each, 5,000 USD a year, 1 kW."""
    defaults = dict(per_basis=2, fabric_kind=fabric_kind, price_usd=15_000, annual_usd=5_000, kw=1.0)
    return service(id, **{**defaults, **values})


def test_growth_site_opens_with_its_first_workload(plan_of):
    # The only workload starts in 2028 of 2026-30 (model-review B4, p3): nothing at the site
    # before, so no spines, carrier, site services, licences or gear kW in 2026-27
    # (sites_stay_open; fabric_at_open_site and racks_at_open_site tie fabric and racks to it, and
    # nics_of_fabric the fabric ports, free here, to the years with fabric gear;
    # dual_carriers only in years the site serves inference). From 2028: serving 10 PFLOPS -> 3
    # nodes beside a 38-PFLOPS training job -> 10 nodes, whose 80 fabric ports (serving needs
    # none) take one SU = 8 leaves + 4 spines at 1,000 USD; the site services "mgmt" (any fabric) and "ufm"
    # (InfiniBand, the fabric's kind) 2 x 15,000 each in 2028 and 2 x 5,000 a year each in
    # licences; the Ethernet-only one never; a second carrier 100,000 USD a year; gear
    # 12 x 0.5 + 2 x 2 x 1.0 = 10 kW.
    plan = plan_of(
        [inference(pflops=10, start_year=2028), training(pflops=38, start_year=2028)],
        sites=[site(carriers=1, second_carrier_usd_per_year=100_000)],
        fabrics=[fabric(switch_price_usd=1_000, switch_kw=0.5)],
        services=[site_service("mgmt"), site_service("ufm", "infiniband"), site_service("eth", "ethernet")],
        policy={"horizon_years": 5},
    )
    years = range(2026, 2031)
    assert [cost(plan, "carriers", y) for y in years] == pytest.approx([0, 0, 100_000, 100_000, 100_000])
    assert [cost(plan, "fabric", y) for y in years] == pytest.approx([0, 0, 12_000, 0, 0])
    assert [cost(plan, "management", y) for y in years] == pytest.approx([0, 0, 60_000, 0, 0])
    assert [cost(plan, "licences", y) for y in years] == pytest.approx([0, 0, 20_000, 20_000, 20_000])
    sites = plan.sites.set_index("year")
    assert list(sites.gear_kw) == pytest.approx([0, 0, 10, 10, 10])
    assert list(sites.second_carrier) == [False, False, True, True, True]
    assert list(sites.open) == [False, False, True, True, True]
    assert list(plan.fabric.year) == [2028, 2029, 2030]
    assert [installed(plan, y) for y in years] == [0, 0, 13, 13, 13]


@pytest.mark.parametrize(("storage_kw", "sites_open"), [(1.0, ["a", "b"]), (0.0, ["a"])])
def test_growth_cold_data_opens_a_site_only_where_it_is_kept(plan_of, storage_kw, sites_open):
    # 10 PFLOPS -> 3 nodes x 10 kW, all at "a" (site "b" has only liquid racks, which the air
    # tier does not fit); 100 TB of cold data in 10 TB units. With 1 kW a unit, "a" (35 kW) holds
    # 30 kW of nodes (serving: no switches), so at most 5 units: the rest of the 100.2 TB goes to
    # "b", whose gear rack opens it (racks_at_open_site) and buys its site service 2 x 15,000.
    # Units with no footprint all stay at "a": data at "b" would need "b" open
    # (data_at_open_site), which costs its service.
    plan = plan_of(
        [inference(pflops=10, cold_tb=100)],
        sites=[site("a", power_mw=0.035), site("b", power_mw=0.08, racks={"liq": 2})],
        rack_types=[rack(), rack("liq", cooling="liquid")],
        storage_tiers=[storage(kw_per_unit=storage_kw)],
        services=[site_service("mgmt", kw=0)],
    )
    assert cost(plan, "management") == pytest.approx(len(sites_open) * 2 * 15_000)
    assert sorted(plan.storage.site.unique()) == sites_open
    assert int(plan.storage.units.sum()) == 11  # ceil(100.2 / 10)
    sites = plan.sites
    assert sorted(sites.loc[sites.open, "site"].unique()) == sites_open


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


def test_growth_a_site_opens_whole_for_the_workloads_present_there():
    # present_at_open_site: a workload present at a site needs it open; without it the baseline's
    # relaxation opens its owned site by the share it uses and pays that share of the building
    without = relaxation_bound(baseline_model(), without="present_at_open_site")
    assert relaxation_bound(baseline_model()) > without + 0.5


def test_growth_twin_sites_open_in_the_order_listed(plan_of):
    # a and b are twins (the same row, racks included); c differs in carriers only, which a
    # training job does not need, so it is as cheap but no twin. Each open site pays its building
    # (1 MUSD per MW): the plan opens one site, a or c, never b (twins_in_order: its mirror, a,
    # costs the same)
    sites = [site(id, build_usd_per_mw=1e6, carriers=2 if id == "c" else 1) for id in "abc"]
    plan = plan_of([training(pflops=10)], sites=sites)
    assert twin_sites(plan.scenario) == [("a", "b")]
    assert twin_sites(plan.scenario.with_values("sites", "b", racks={"r1": 19})) == []
    assert set(plan.sites[plan.sites.open].site) in ({"a"}, {"c"})


def test_growth_twin_sites_with_copied_rack_types(tmp_path):
    # r2 is r1 but for id and name (copies.same_rack_types): b's 12 + 8 positions of r1 and r2 are a's
    # 20 of r1, so b is a's twin; c's 12 of r1 are not
    racks = [rack(), rack("r2")]
    sites = [site("a", racks={"r1": 20}), site("b", racks={"r1": 12, "r2": 8}), site("c", racks={"r1": 12})]
    scenario = tiny_scenario(tmp_path, [training(pflops=10)], sites=sites, rack_types=racks)
    assert twin_sites(scenario) == [("a", "b")]


def test_growth_twin_order_lifts_when_an_edit_tells_the_twins_apart(tmp_path):
    # Electricity at a raised on the built model makes b the cheaper site: the solve sets alike to
    # 0 and opens b alone, as a fresh build of the edited scenario does. With alike left at 1,
    # twins_in_order would keep a open beside b and pay its building (1 MUSD per MW); lifted,
    # twins_by_nodes must not bind either (b holds the nodes, opening earlier than a).
    sites = [site(id, build_usd_per_mw=1e6) for id in ("a", "b")]
    scenario = tiny_scenario(tmp_path / "twins", [training(pflops=10)], sites=sites)
    model = aiopt.build_model(scenario)
    assert list(model.TWINS) == [("a", "b")]
    edited = scenario.with_values("sites", "a", electricity_usd_per_kwh=0.5)
    set_params(model, edited)
    aiopt.solve_model(model, rel_gap=1e-6, progress=False)
    fresh = aiopt.build_model(edited)
    aiopt.solve_model(fresh, rel_gap=1e-6, progress=False)
    assert model.alike["a", "b"].value == 0
    assert [round(model.open[s, 2026].value) for s in ("a", "b")] == [0, 1]
    assert model.npv() == pytest.approx(fresh.npv(), rel=1e-6)
