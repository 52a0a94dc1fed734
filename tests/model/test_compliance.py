"""Hand-worked tests of constraint family `compliance` (aiopt/model/compliance.py); catalog: tiny_plans."""

from __future__ import annotations

import pytest
from tiny_plans import (
    compute_racks,
    inference,
    installed,
    rack,
    site,
    training,
)


def test_compliance_regulated_workload_on_certified_site(plan_of):
    # 8 PFLOPS each = exactly 2 nodes, so sharing a site saves no node. "cert" (dedicated, hipaa-ready)
    # pays 6,570 USD per node-year of energy; "cheap" (shared tenancy, no certificates) pays none.
    # phi (hipaa-ready, dedicated) may only use cert; web at cheap costs 12 switches + 1 storage unit
    # (22 USD) instead of 2 x 6,570 USD of energy at cert.
    # gdpr (residency eu) may only use the "eu" site, dearer still (0.2 USD/kWh).
    sites = [
        site("cheap", tenancy="shared"),
        site("cert", tenancy="dedicated", certifications=["hipaa-ready"], electricity_usd_per_kwh=0.1),
        site("eu", region="eu", electricity_usd_per_kwh=0.2),
    ]
    plan = plan_of(
        [
            inference("phi", pflops=8, compliance=["hipaa-ready"], dedicated=True),
            inference("web", pflops=8),
            inference("gdpr", pflops=8, region="eu"),
        ],
        sites=sites,
    )
    where = plan.nodes.groupby("workload").site.unique()
    assert list(where["phi"]) == ["cert"]
    assert list(where["web"]) == ["cheap"]
    assert list(where["gdpr"]) == ["eu"]
    assert installed(plan, site="cert") == 2
    assert installed(plan, site="cheap") == 2
    assert installed(plan, site="eu") == 2


def test_compliance_isolated_workload_gets_own_pool_and_racks(plan_of):
    # shared: 10 / 4 = 2.5 nodes; iso (isolated): 5 / 4 = 1.25 nodes. Pooled they would need
    # ceil(3.75) = 4 nodes; isolated, ceil(2.5) + ceil(1.25) = 3 + 2 = 5 nodes, each group in its
    # own rack (1,000 USD each, so exactly one per group). Serving needs no compute fabric.
    plan = plan_of(
        [inference("shared-svc", pflops=10), inference("iso", pflops=5, isolated=True)],
        rack_types=[rack(price_usd=1_000)],
    )
    assert installed(plan, group="(shared)") == 3
    assert installed(plan, group="iso") == 2
    assert set(plan.pools.group) == {"(shared)", "iso"}
    compute = compute_racks(plan)
    assert compute.groupby("group").racks.sum().to_dict() == {"iso": 1, "(shared)": 1}
    assert compute.groupby("group").nodes.sum().to_dict() == {"iso": 2, "(shared)": 3}
    assert plan.fabric.empty


def test_compliance_isolated_workload_named_shared_keeps_its_own_pool(plan_of):
    # As above with the isolated workload's id "shared": the name is the user's, so it still gets
    # its own ceil(1.25) = 2 nodes in a rack of its own, beside the pooled ceil(2.5) = 3 (pooled
    # together they would need only ceil(3.75) = 4 nodes).
    plan = plan_of(
        [inference("svc", pflops=10), inference("shared", pflops=5, isolated=True)],
        rack_types=[rack(price_usd=1_000)],
    )
    assert installed(plan, group="shared") == 2
    assert installed(plan) == 5
    compute = compute_racks(plan)
    assert compute.groupby("group").racks.sum().to_dict() == {"shared": 1, "(shared)": 1}
    assert compute.groupby("group").nodes.sum().to_dict() == {"shared": 2, "(shared)": 3}


def test_compliance_site_no_workload_may_use_gets_nothing(plan_of):
    # "apac" lies in a region no workload may enter: it gets no variable that could fill a row of
    # its own, and the US service's 8 / 4 = 2 nodes go to "us".
    plan = plan_of([inference(pflops=8, region="us")], sites=[site("us"), site("apac", region="apac")])
    assert installed(plan, site="us") == 2
    assert installed(plan, site="apac") == 0
    assert list(plan.pools[plan.pools.installed_nodes > 0].site.unique()) == ["us"]


@pytest.mark.parametrize(
    ("regulated", "plain_nodes", "enc_nodes"),
    [
        # as in the power test: "plain" (free energy, 50 kW) takes 5 nodes, "enc" the other
        # ceil(9.5 - 5) = 5
        (False, 5, 5),
        # regulated data may not cross plain's unencrypted WAN: it runs at plain only if nowhere
        # else, and plain cannot hold 9.5 nodes -> all ceil(9.5) = 10 at enc
        (True, 0, 10),
    ],
)
def test_compliance_unencrypted_wan_keeps_regulated_workload_whole(
    plan_of, regulated, plain_nodes, enc_nodes
):
    # A regulated workload at the plain-WAN site runs nowhere else (plain_site_alone) and keeps
    # its cold data only where it runs (cold_stays_local); unregulated, it spills freely.
    sites = [
        site("plain", power_mw=0.05, certifications=["hipaa-ready"], encrypted_wan=False),
        site("enc", electricity_usd_per_kwh=0.1, certifications=["hipaa-ready"]),
    ]
    tags = {"compliance": ["hipaa-ready"]} if regulated else {}
    plan = plan_of([inference(pflops=38, **tags)], sites=sites)
    assert installed(plan, site="plain") == plain_nodes
    assert installed(plan, site="enc") == enc_nodes


def test_compliance_isolated_workload_on_a_small_site(plan_of):
    # 3 rack positions. "shared-job" and the isolated "iso" each need 6 / 4 = 1.5 -> 2 nodes, in
    # racks of their own (2 racks) next to one rack of switches. Their own leaves: 16 ports each
    # fit one switch, so each group gets a switch of its own (single_on_fabric), no spines.
    plan = plan_of(
        [training("shared-job", pflops=6), training("iso", pflops=6, isolated=True)],
        sites=[site(racks={"r1": 3})],
    )
    assert installed(plan, group="(shared)") == 2
    assert installed(plan, group="iso") == 2
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine) == (0, 0, 2, 0)
    assert row.single_switches == "(shared)=1;iso=1"


def test_compliance_regulated_cold_data_not_shipped_over_plain_wan(plan_of):
    # "r" (hipaa-ready) runs at "plain" (no encrypted WAN; "enc" pays 0.1 USD/kWh, 17,520 USD a year
    # for r's 2 nodes). At plain its hot data, 9.0 + 0.2 TB of weights, leaves 0.8 TB of a 10 TB
    # unit; at enc, "eu-svc" (region eu) leaves 10 - 5.8 - 0.2 = 4 TB. r's 3.9 TB of cold data
    # would fit there for free, but reaching it crosses plain's unencrypted WAN
    # (cold_not_shipped): a second unit at plain instead.
    sites = [
        site("plain", certifications=["hipaa-ready"], encrypted_wan=False),
        site("enc", region="eu", certifications=["hipaa-ready"], electricity_usd_per_kwh=0.1),
    ]
    plan = plan_of(
        [
            inference("r", pflops=8, compliance=["hipaa-ready"], hot_tb=9.0, cold_tb=3.9),
            inference("eu-svc", pflops=8, region="eu", hot_tb=5.8),
        ],
        sites=sites,
    )
    assert list(plan.nodes.groupby("workload").site.unique()["r"]) == ["plain"]
    units = plan.storage.groupby("site").units.sum().to_dict()
    assert (units["plain"], units["enc"]) == (2, 1)
