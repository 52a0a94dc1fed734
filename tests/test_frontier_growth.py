"""The frontier-growth scenario, checked from first principles: a campus that grows from
hundreds to ~30,000 GPUs over five years, with 10 MW power blocks two years away.

Three promises of issue 7, recomputed here from the plan's tables and the catalog only (no
model or checker code, except `size_for_units`, the fat-tree arithmetic that
tests/test_fabric_sizing.py holds to NVIDIA's SuperPOD tables):

* year-1 fabric capex is what year-1 scalable units need (spines and core bought pod by pod,
  nothing at a site that has not opened);
* the 405B run meets its 90-day deadline under Young/Daly goodput at the run's own node count;
* no site-year draws more than its facility power, blocks counted from their lead time.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import REPO
from tiny_plans import assert_no_dearer_than_reference, young_daly_goodput

import aiopt
from aiopt.fabric_sizing import size_for_units

SCENARIO = REPO / "data" / "scenarios" / "frontier-growth.yaml"
TIME_LIMIT = 60.0  # a time-limited plan will do: the tests check what every plan must hold
REL = 1e-6  # round-off between the plan's tables and the hand arithmetic


@pytest.fixture(scope="module")
def plan() -> aiopt.Plan:
    plan = aiopt.solve(SCENARIO, time_limit=TIME_LIMIT, progress=False)
    assert plan.status in ("optimal", "time_limit")
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)
    return plan


def scalable_units(plan: aiopt.Plan) -> pd.Series:
    """SUs deployed per (site, fabric, year), summed over the fabric table's rows (node groups)."""
    return plan.fabric.groupby(["site", "fabric", "year"]).scalable_units.sum()


def fabric_size(plan: aiopt.Plan, fabric: str, units: int):
    """The fat tree of `units` SUs of a catalog fabric (leaves, spines, core, links)."""
    row = plan.scenario.fabrics.loc[fabric]
    return size_for_units(int(units), int(row.radix), int(row.nodes_per_su), int(row.rails))


def node_kw(plan: aiopt.Plan, site: str, year: int) -> float:
    """Nameplate kW of the nodes installed at a site in a year (catalog node_kw)."""
    pools = plan.pools[(plan.pools.site == site) & (plan.pools.year == year)]
    kw = plan.scenario.gpu_tiers.loc[pools.tier, "node_kw"].to_numpy()
    return float((pools.installed_nodes * kw).sum())


def scaling(fabric, gpus: float) -> float:
    """Fabric scaling efficiency of a job of `gpus` GPUs (all the scenario's jobs span nodes): the
    catalog figure at the reference size, 1 − loss per doubling beyond it, at most 1."""
    doublings = math.log2(gpus / fabric.scaling_reference_gpus)
    return min(1.0, fabric.scaling_efficiency * (1 - fabric.scaling_loss_per_doubling) ** doublings)


def test_year_one_fabric_capex_is_what_year_one_units_need(plan):
    """Switches for the year-1 SUs alone (leaves, spines, core: size_for_units), their
    inter-switch links, and a NIC and a link per fabric port installed; zero where no SU is
    deployed."""
    first = plan.scenario.years[0]
    fabrics = plan.scenario.fabrics
    expected = 0.0
    for (site, fabric, year), units in scalable_units(plan).items():
        if year != first or units == 0:
            continue
        size = fabric_size(plan, fabric, units)
        price = fabrics.loc[fabric]
        expected += size.switches * price.switch_price_usd
        expected += (size.links - size.endpoints) * price.link_price_usd
        ports = plan.fabric[(plan.fabric.site == site) & (plan.fabric.year == first)]
        expected += ports.nics.sum() * (price.nic_price_usd + price.link_price_usd)
        expected += ports.onchip_ports.sum() * price.link_price_usd
    costs = plan.costs
    paid = costs[(costs.category == "fabric") & (costs.year == first)].usd.sum()
    assert expected > 0, "the campus deploys scalable units in its first year"
    assert paid == pytest.approx(expected, rel=REL), (
        f"year-1 fabric capex {paid:,.0f} USD, year-1 SUs need {expected:,.0f} USD"
    )


def test_final_spine_layer_would_not_fit_year_one_on_infiniband(plan):
    """The scenario's point, on its worked fabric (InfiniBand NDR, radix 64): the spines and core
    of an NDR fabric for the campus's final-year ports, bought and powered with its first-year
    nodes, exceed its first-year power (no block can arrive before its lead time). The plan builds
    RoCE (SN5600 at radix 128), whose final spines and core would idle ~1.4 MW and fit: there,
    buying pod by pod is only cheaper (the scenario's comment)."""
    sc, site = plan.scenario, "frontier-campus"
    first, last = sc.years[0], sc.years[-1]
    campus = sc.sites.loc[site]
    assert campus.expansion_lead_years >= 1
    ((fabric, units),) = [(f, n) for (s, f, y), n in scalable_units(plan).items() if (s, y) == (site, last)]
    ports = units * sc.fabrics.at[fabric, "nodes_per_su"] * sc.fabrics.at[fabric, "rails"]
    ndr = sc.fabrics.loc["ib-ndr"]
    final = fabric_size(plan, "ib-ndr", -(-ports // (ndr.nodes_per_su * ndr.rails)))
    idle_kw = (final.spine + final.core) * ndr.switch_kw
    usable_kw = 1000 * campus.power_mw * sc.policy["max_power_utilisation"]
    assert (node_kw(plan, site, first) + idle_kw) * campus.pue > usable_kw


def test_training_meets_its_deadline_at_the_plans_own_node_count(plan):
    """Each yearly run: 6·N·D·(1+g)^(y−y0) FLOPs within the deadline, delivered by its nodes at
    TFLOPS × MFU (at the run's precision) × fabric scaling × Young/Daly goodput at the run's node
    count. The runs train every parameter (method full: 6 FLOPs per parameter and token)."""
    sc = plan.scenario
    training = sc.workloads[sc.workloads.kind != "inference"]
    assert (training.method == "full").all()
    largest = 0.0
    for w, job in training.iterrows():
        for year in sc.years:
            runs = plan.nodes[(plan.nodes.workload == w) & (plan.nodes.year == year)]
            if year < job.start_year:
                assert runs.empty
                continue
            assert len(runs) == 1, f"{w}/{year}: one run on one tier, site and fabric"
            run = runs.iloc[0]
            tier = sc.gpu_tiers.loc[run.tier]
            peak, tier_mfu = ("tflops_fp8", "mfu_fp8") if job.precision == "fp8" else ("tflops_bf16", "mfu")
            mfu = job.mfu if pd.notna(job.mfu) else tier[tier_mfu]
            growth = (1 + job.growth_per_year) ** (year - job.start_year)
            flops = 6 * job.params_b * 1e9 * job.tokens_t * 1e12 * growth
            need_pflops = flops / (job.deadline_days * 86_400) / 1e15
            goodput = young_daly_goodput(run.nodes, tier.node_mtbf_hours, job.checkpoint_minutes)
            per_node = tier.gpus_per_node * tier[peak] / 1000 * mfu
            efficiency = scaling(sc.fabrics.loc[run.fabric], run.nodes * tier.gpus_per_node)
            delivered = run.nodes * per_node * efficiency * goodput
            assert delivered >= need_pflops * (1 - REL), (
                f"{w}/{year}: {run.nodes:.1f} {run.tier} nodes at goodput {goodput:.3f} deliver "
                f"{delivered:,.0f} PFLOPS, the deadline needs {need_pflops:,.0f}"
            )
            largest = max(largest, run.nodes * tier.gpus_per_node)
    assert largest >= 20_000, "the scenario should reach tens of thousands of GPUs in one run"


def test_power_within_facility_limit_every_year(plan):
    """PUE × IT kW <= 1000 × (MW + block MW × blocks ordered at least lead years before); IT kW
    at least the nodes' draw plus the switches the year's SUs need."""
    sc = plan.scenario
    units = scalable_units(plan)
    for row in plan.sites.itertuples():
        site = sc.sites.loc[row.site]
        ordered = plan.sites[plan.sites.site == row.site].set_index("year").expansion_blocks_ordered
        assert ordered.sum() <= site.expansion_max_blocks
        online = ordered[ordered.index <= row.year - site.expansion_lead_years].sum()
        limit_kw = 1000 * (site.power_mw + site.expansion_block_mw * online)
        assert row.it_kw * site.pue <= limit_kw * (1 + REL), f"{row.site}/{row.year}"
        switch_kw = sum(
            fabric_size(plan, f, n).switches * sc.fabrics.at[f, "switch_kw"]
            for (s, f, y), n in units.items()
            if (s, y) == (row.site, row.year) and n
        )
        drawn_kw = node_kw(plan, row.site, row.year) + switch_kw
        assert row.it_kw >= drawn_kw * (1 - REL), f"{row.site}/{row.year}: IT load below nodes + switches"
    assert plan.sites.expansion_blocks_ordered.sum() > 0, "the campus outgrows its power without blocks"


def test_plan_is_no_dearer_than_the_reference_design(plan):
    assert_no_dearer_than_reference(plan)
