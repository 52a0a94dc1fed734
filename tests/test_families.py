"""One hand-worked test (or more) per constraint family registered in `aiopt.FAMILIES`.

Every scenario here is tiny and purpose-built: a catalog written to a temporary directory
with round numbers, so the optimum can be worked out on paper. The arithmetic is in each test,
from the input numbers (never from model output). Fixed costs (services, rack fit-out,
carriers, energy) are zero unless a test is about them.

The base catalog, used unless a test replaces a table:

* GPU tier `g1`: 8 GPUs x 1000 TFLOPS = 8 PFLOPS peak per node, MFU 0.5 -> 4 PFLOPS effective
  per node; 100 GB HBM per GPU (800 GB per node); 10 kW; 10 U; 100,000 USD; no support;
  air-cooled; node MTBF 1e9 h (Young/Daly goodput 1 - ~3e-5: demands are chosen away from
  whole-node boundaries so this cannot tip a count).
* fabric `fab`: radix 64, 32 nodes x 8 rails per SU, scaling efficiency 1.0, switch 1 USD and
  0.001 kW, NICs and links free. One SU = 8 leaves; a 1-SU design has
  4 spines (smallest divisor of 32 >= ceil(8/2)), so 12 switches, 12 U, 0.012 kW.
* storage `hot`: hot flash, 10 TB units at 1 USD/TB (10 USD a unit), 1000 GB/s read and write
  per unit, no power, no rack units, encrypted at rest.
* rack type `r1`: air, 40 kW, 42 U, no fit-out price -> min(40 // 10, 42 // 10) = 4 g1 nodes.
* services: none.

Workload helpers: an inference service of `params_b` = 100 needs 2 x 100e9 x tokens/s / 1e15
= tokens/s / 5000 PFLOPS, so `inference(pflops=P)` asks for 5000 P tokens/s; with latency
"batch" (factor 1.0) and MFU 0.5 a g1 node serves 8 x 0.5 x 1.0 = 4 PFLOPS. Its weights,
2 B/param x 100e9 = 200 GB = 0.2 TB, stay on hot storage where it runs. A training job of
`params_b` = 14.4 and a 100-day deadline needs 6 x 14.4e9 x T x 1e12 / (100 x 86400) / 1e15
= 10 T PFLOPS for T trillion tokens, so `training(pflops=P)` asks for P / 10 trillion tokens; it
keeps 3 checkpoints of 14 B/param, 3 x 14 x 14.4 GB = 0.6048 TB, on hot storage.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import aiopt
from aiopt import demand
from aiopt.fabric_sizing import size_for_units
from aiopt.schema import CATALOG_TABLES

REL_GAP = 1e-6
YEAR = 2026

# --------------------------------------------------------------------------- family registry

FAMILY_TESTS: dict[str, list[str]] = {}


def family(name: str) -> Callable:
    """Record that the decorated test covers constraint family `name`."""

    def mark(test: Callable) -> Callable:
        FAMILY_TESTS.setdefault(name, []).append(test.__name__)
        return test

    return mark


# --------------------------------------------------------------------------- tiny catalogs


def tier(id: str = "g1", **values) -> dict:
    row = dict(
        id=id,
        name=f"test GPU {id}",
        vendor="test",
        gpus_per_node=8,
        tflops_bf16=1000,
        hbm_gb=100,
        node_kw=10,
        rack_units=10,
        price_usd=100_000,
        support_pct=0,
        cooling="air",
        available_from=2020,
        fabric_ports=None,
        mfu=0.5,
        node_mtbf_hours=1e9,
        source="test",
    )
    return {**row, **values}


def fabric(id: str = "fab", **values) -> dict:
    row = dict(
        id=id,
        name=f"test fabric {id}",
        kind="infiniband",
        port_gbps=400,
        radix=64,
        switch_price_usd=1,
        switch_kw=0.001,
        switch_ru=1,
        nic_price_usd=0,
        link_price_usd=0,
        scaling_efficiency=1.0,
        nodes_per_su=32,
        rails=8,
        support_pct=0,
        source="test",
    )
    return {**row, **values}


def storage(id: str = "hot", **values) -> dict:
    row = dict(
        id=id,
        name=f"test storage {id}",
        hot=True,
        unit_tb=10,
        usd_per_tb=1,
        read_gbps_per_unit=1000,
        write_gbps_per_unit=1000,
        kw_per_unit=0,
        ru_per_unit=0,
        encryption_at_rest=True,
        support_pct=0,
        source="test",
    )
    return {**row, **values}


def rack(id: str = "r1", **values) -> dict:
    row = dict(
        id=id, name=f"test rack {id}", cooling="air", usable_kw=40, rack_units=42, price_usd=0, source="test"
    )
    return {**row, **values}


def site(id: str = "a", **values) -> dict:
    row = dict(
        id=id,
        region="us",
        tenancy="dedicated",
        certifications=[],
        power_mw=10,
        pue=1.0,
        electricity_usd_per_kwh=0.0,
        racks={"r1": 20},
    )
    return {**row, **values}


def inference(id: str = "serve", pflops: float = 10, **values) -> dict:
    """Inference of a 100B model at `pflops` PFLOPS: tokens/s = 5000 x PFLOPS (see module docstring)."""
    row = dict(
        id=id,
        kind="inference",
        params_b=100,
        tokens_per_s=5000 * pflops,
        latency="batch",
        mfu=0.5,
        spare_fraction=0.0,
    )
    return {**row, **values}


def training(id: str = "train", pflops: float = 10, **values) -> dict:
    """Training of a 14.4B model in 100 days at `pflops` PFLOPS: tokens_t = PFLOPS / 10."""
    row = dict(
        id=id, kind="training", params_b=14.4, tokens_t=pflops / 10, deadline_days=100, spare_fraction=0.0
    )
    return {**row, **values}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_catalog(directory: Path, tables: dict[str, list[dict]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table in CATALOG_TABLES:
        with (directory / f"{table.name}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.names)
            for row in tables.get(table.name, []):
                writer.writerow([_cell(row.get(name)) for name in table.names])
    return directory


def solve_tiny(
    directory: Path,
    workloads: list[dict],
    sites: list[dict] | None = None,
    policy: dict | None = None,
    gpu_tiers: list[dict] | None = None,
    fabrics: list[dict] | None = None,
    storage_tiers: list[dict] | None = None,
    rack_types: list[dict] | None = None,
    services: list[dict] | None = None,
) -> aiopt.Plan:
    """Write a tiny catalog and scenario under `directory`, solve to a 1e-6 gap and check the plan.

    Every catalog table not given is the base catalog's (see the module docstring).
    """
    directory.mkdir(parents=True, exist_ok=True)
    catalog = write_catalog(
        directory / "catalog",
        {
            "gpu_tiers": gpu_tiers or [tier()],
            "fabrics": fabrics or [fabric()],
            "storage_tiers": storage_tiers or [storage()],
            "rack_types": rack_types or [rack()],
            "services": services or [],
        },
    )
    doc = {
        "name": f"family-test-{directory.name}",
        "policy": {"start_year": YEAR, "horizon_years": 1, **(policy or {})},
        "sites": sites or [site()],
        "workloads": workloads,
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    scenario = aiopt.load_scenario(path, catalog)
    plan = aiopt.solve(scenario, rel_gap=REL_GAP, time_limit=30, progress=False)
    assert plan.status == "optimal", plan.status
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)
    return plan


@pytest.fixture
def plan_of(tmp_path: Path) -> Callable[..., aiopt.Plan]:
    """`plan_of(workloads, sites=..., policy=..., gpu_tiers=..., ...)`: `solve_tiny` in a fresh directory."""
    counter = iter(range(1000))
    return lambda *args, **kwargs: solve_tiny(tmp_path / f"case{next(counter)}", *args, **kwargs)


# --------------------------------------------------------------------------- plan read-outs


def installed(plan: aiopt.Plan, year: int = YEAR, **where) -> int:
    """Installed nodes in `year`, summed over the pools matching `where` (e.g. tier="g1")."""
    pools = plan.pools[plan.pools.year == year]
    for column, value in where.items():
        pools = pools[pools[column] == value]
    return int(pools.installed_nodes.sum())


def bought(plan: aiopt.Plan, year: int) -> int:
    return int(plan.pools.loc[plan.pools.year == year, "bought_nodes"].sum())


def cost(plan: aiopt.Plan, category: str, year: int = YEAR) -> float:
    costs = plan.costs
    return float(costs.loc[(costs.category == category) & (costs.year == year), "usd"].sum())


def storage_units(plan: aiopt.Plan, tier_id: str, year: int = YEAR) -> int:
    st = plan.storage
    return int(st.loc[(st.storage_tier == tier_id) & (st.year == year), "units"].sum())


def compute_racks(plan: aiopt.Plan, year: int = YEAR):
    racks = plan.racks
    return racks[(racks.year == year) & (racks.tier != "(gear)")]


# =========================================================================== 1. compute


@family("compute")
@pytest.mark.parametrize(
    ("latency", "nodes"),
    [
        ("batch", 3),  # 10 PFLOPS / (8 PF x 0.5 MFU x 1.0) = 2.5 -> 3 nodes
        ("interactive", 5),  # 10 PFLOPS / (8 PF x 0.5 MFU x 0.5) = 5.0 -> 5 nodes
    ],
)
def test_compute_nodes_cover_demand(plan_of, latency, nodes):
    # 100B params x 50,000 tokens/s x 2 FLOPs = 1e16 FLOP/s = 10 PFLOPS
    plan = plan_of([inference(pflops=10, latency=latency)])
    per_node = 8 * 1000 / 1000 * 0.5 * {"batch": 1.0, "interactive": 0.5}[latency]
    assert nodes == math.ceil(10 / per_node)
    assert installed(plan) == nodes
    assert cost(plan, "compute") == pytest.approx(nodes * 100_000)


@family("compute")
def test_compute_training_job_runs_on_one_tier(plan_of):
    # 9.6 PFLOPS of training. Tier A: 8 x 1000 TF x 0.5 = 4 PF/node at 100,000 USD;
    # tier B: 8 x 500 TF x 0.5 = 2 PF/node at 65,000 USD.
    #   A alone: ceil(9.6 / 4) = 3 nodes = 300,000   <- optimum
    #   B alone: ceil(9.6 / 2) = 5 nodes = 325,000
    #   split 2 A + 1 B = 10 PF for 265,000 would be cheaper, but a job runs on one tier.
    tiers = [tier("a"), tier("b", tflops_bf16=500, price_usd=65_000)]
    plan = plan_of([training(pflops=9.6)], gpu_tiers=tiers)
    assert set(plan.nodes.tier) == {"a"}
    assert installed(plan, tier="a") == 3
    assert installed(plan, tier="b") == 0
    assert cost(plan, "compute") == pytest.approx(300_000)


@family("compute")
def test_compute_memory_fit_forces_more_nodes_than_throughput(plan_of):
    # 1440B params, 0.01T tokens in 100 days: 6 x 1440e9 x 0.01e12 / 8.64e6 s = 10 PFLOPS,
    # 10 / 4 = 2.5 -> 3 nodes for throughput; but the training state is 16 B/param:
    # 16 x 1440 = 23,040 GB over 8 x 100 GB = 800 GB per node = 28.8 -> 29 nodes.
    job = training(params_b=1440, tokens_t=0.01)
    plan = plan_of([job])
    assert math.ceil(16 * 1440 / 800) == 29
    assert installed(plan) == 29
    assert plan.nodes.nodes.sum() >= 28.8 - 1e-6


@family("compute")
def test_compute_inference_replica_must_fit_one_node(plan_of):
    # 400B params at 12,500 tokens/s: 2 x 400e9 x 12,500 / 1e15 = 10 PFLOPS -> 2.5 -> 3 nodes.
    # A replica needs 2 x 400 = 800 GB of weights + 25% KV cache = 1,000 GB: more than the
    # 8 x 100 = 800 GB of "small" (3 x 100,000), within the 8 x 200 = 1,600 GB of "big" (3 x 150,000).
    tiers = [tier("small", hbm_gb=100), tier("big", hbm_gb=200, price_usd=150_000)]
    plan = plan_of([inference(params_b=400, tokens_per_s=12_500)], gpu_tiers=tiers)
    assert demand.replica_gb(400, None) == 2 * 400 * 1.25 == 1_000
    assert set(plan.nodes.tier) == {"big"}
    assert installed(plan, tier="big") == 3
    assert cost(plan, "compute") == pytest.approx(450_000)


# =========================================================================== 2. fabric


@family("fabric")
@pytest.mark.parametrize(
    ("fast_switch_usd", "chosen", "nodes"),
    [
        # fast (efficiency 1.0): 9 / (4 x 1.0) = 2.25 -> 3 nodes = 300,000 + 12 switches x 10,000 = 420,000
        # slow (efficiency 0.5): 9 / (4 x 0.5) = 4.5 -> 5 nodes = 500,000 + 12 switches x 1,000 = 512,000
        (10_000, "fast", 3),
        # fast at 30,000 a switch: 300,000 + 360,000 = 660,000 > 512,000 -> slow
        (30_000, "slow", 5),
    ],
)
def test_fabric_training_weighs_efficiency_against_price(plan_of, fast_switch_usd, chosen, nodes):
    fabrics = [
        fabric("fast", switch_price_usd=fast_switch_usd, scaling_efficiency=1.0),
        fabric("slow", switch_price_usd=1_000, scaling_efficiency=0.5),
    ]
    plan = plan_of([training(pflops=9)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == [chosen]
    assert installed(plan) == nodes
    assert int(plan.fabric.switches.iloc[0]) == 12  # 8 leaves + 4 spines, one SU
    price = {"fast": fast_switch_usd, "slow": 1_000}[chosen]
    assert cost(plan, "fabric") == pytest.approx(12 * price)
    assert cost(plan, "compute") + cost(plan, "fabric") == pytest.approx(
        min(300_000 + 12 * fast_switch_usd, 512_000)
    )


@family("fabric")
def test_fabric_inference_only_site_picks_cheapest_fabric(plan_of):
    # inference does not depend on scaling efficiency: 10 / 4 = 2.5 -> 3 nodes on either fabric,
    # so the cheaper switches win: 12 x 1,000 = 12,000 < 12 x 10,000.
    fabrics = [
        fabric("fast", switch_price_usd=10_000, scaling_efficiency=1.0),
        fabric("slow", switch_price_usd=1_000, scaling_efficiency=0.5),
    ]
    plan = plan_of([inference(pflops=10)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == ["slow"]
    assert installed(plan) == 3
    assert cost(plan, "fabric") == pytest.approx(12_000)


@family("fabric")
def test_fabric_named_any_is_an_ordinary_fabric(plan_of):
    # As above with a fabric whose id is "any" (the model's name for "inference runs on whatever
    # fabric the site has" must not capture it): 3 nodes either way, "cheap" wins with
    # 12 x 1,000 = 12,000 < 12 x 10,000.
    fabrics = [fabric("any", switch_price_usd=10_000), fabric("cheap", switch_price_usd=1_000)]
    plan = plan_of([inference(pflops=10)], fabrics=fabrics)
    assert list(plan.fabric.fabric) == ["cheap"]
    assert installed(plan) == 3
    assert cost(plan, "fabric") == pytest.approx(12_000)


@family("fabric")
def test_fabric_switch_counts_follow_fat_tree(plan_of):
    # 38 PFLOPS / 4 = 9.5 -> 10 nodes x 8 ports = 80 ports; SUs of 4 nodes x 8 rails = 32 ports
    # -> ceil(80 / 32) = 3 SUs. Radix 64 (h = 32): leaves = 3 x 8 x ceil(4/32) = 24 <= 64, two tiers,
    # spines = smallest divisor of 32 >= ceil(24/2) = 12 -> 16, no core.
    # Links cost 1 USD so the 3-SU design beats the 4-SU one of the same spine count.
    plan = plan_of([inference(pflops=38)], fabrics=[fabric(nodes_per_su=4, link_price_usd=1)])
    assert installed(plan) == 10
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine, row.core) == (3, 3, 24, 16, 0)
    size = size_for_units(3, 64, 4, 8)
    assert (row.leaf, row.spine, row.core, row.switches) == (size.leaf, size.spine, size.core, size.switches)
    assert row.switches == 40


@family("fabric")
def test_fabric_nic_and_link_costs(plan_of):
    # 10 PFLOPS -> 3 nodes x 8 ports = 24 NICs and node links. One SU: 8 leaves + 4 spines;
    # leaf-spine cables = 8 leaves x 32 uplinks = 256.
    # capex = 12 x 1,000 + 256 x 10 + 24 x (100 + 10) = 12,000 + 2,560 + 2,640 = 17,200
    plan = plan_of(
        [inference(pflops=10)], fabrics=[fabric(switch_price_usd=1_000, nic_price_usd=100, link_price_usd=10)]
    )
    row = plan.fabric.iloc[0]
    assert (row.nics, row.links, row.switches) == (24, 24 + 256, 12)
    assert cost(plan, "fabric") == pytest.approx(12 * 1_000 + 256 * 10 + 24 * (100 + 10))


@family("fabric")
def test_fabric_design_table_covers_racks_of_two_cooling_kinds(plan_of):
    # Air tier "a" (air racks) and liquid tier "b" (liquid racks), 4 nodes a rack each; 2 air and
    # 2 liquid positions, one of them taken by the switches -> 3 compute racks = 12 nodes.
    # 46 PFLOPS / 4 = 11.5 -> 12 nodes x 8 ports over SUs of 4 nodes x 8 rails -> 3 SUs:
    # 24 leaves, spines = smallest divisor of 32 >= 12 = 16, 40 switches = 40 U (one 42 U rack).
    # The site can hold 12 nodes, so the fabric design table must offer 3 SUs.
    plan = plan_of(
        [inference(pflops=46)],
        gpu_tiers=[tier("a"), tier("b", cooling="liquid")],
        rack_types=[rack("air"), rack("liquid", cooling="liquid")],
        fabrics=[fabric(nodes_per_su=4, link_price_usd=1)],
        sites=[site(racks={"air": 2, "liquid": 2})],
    )
    assert installed(plan) == 12
    assert int(compute_racks(plan).racks.sum()) == 3
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine) == (3, 3, 24, 16)


# =========================================================================== 3. storage


@family("storage")
def test_storage_hot_units_cover_capacity(plan_of):
    # hot data 95 TB + weights 0.2 TB = 95.2 TB; 10 TB units -> ceil(9.52) = 10 units at
    # 10 TB x 100 USD/TB = 1,000 USD each -> 10,000 USD.
    plan = plan_of([inference(pflops=8, hot_tb=95)], storage_tiers=[storage(usd_per_tb=100)])
    assert storage_units(plan, "hot") == math.ceil((95 + 0.2) / 10) == 10
    assert cost(plan, "storage") == pytest.approx(10_000)


TIERED_STORAGE = [
    storage("hot-enc", unit_tb=10, usd_per_tb=100, encryption_at_rest=True),
    storage("hot-plain", unit_tb=10, usd_per_tb=50, encryption_at_rest=False),
    storage("cold-enc", hot=False, unit_tb=100, usd_per_tb=10, encryption_at_rest=True),
    storage("cold-plain", hot=False, unit_tb=100, usd_per_tb=5, encryption_at_rest=False),
]


@family("storage")
@pytest.mark.parametrize(
    ("regulated", "hot_tier", "cold_tier", "usd"),
    [
        # hot 15 + 0.2 = 15.2 TB -> 2 units of 10 TB at 500 USD (hot-plain), cold 250 TB -> 3 units
        # of 100 TB at 500 USD (cold-plain, the cheapest per TB; the 4.8 TB left on the hot units
        # do not save a cold unit: 250 - 4.8 > 200) -> 2,500 USD
        (False, "hot-plain", "cold-plain", 2 * 500 + 3 * 500),
        # hipaa data only on encrypted tiers: 2 x 1,000 (hot-enc) + 3 x 1,000 (cold-enc) = 5,000 USD
        (True, "hot-enc", "cold-enc", 2 * 1_000 + 3 * 1_000),
    ],
)
def test_storage_cold_on_cheapest_allowed_tier(plan_of, regulated, hot_tier, cold_tier, usd):
    tags = {"compliance": ["hipaa"]} if regulated else {}
    plan = plan_of(
        [inference(pflops=8, hot_tb=15, cold_tb=250, **tags)],
        sites=[site(certifications=["hipaa"])],
        storage_tiers=TIERED_STORAGE,
    )
    assert storage_units(plan, hot_tier) == 2
    assert storage_units(plan, cold_tier) == 3
    used = set(plan.storage.loc[plan.storage.units > 0, "storage_tier"])
    assert used == {hot_tier, cold_tier}
    if regulated:
        assert not used & {"hot-plain", "cold-plain"}
    assert cost(plan, "storage") == pytest.approx(usd)


@family("storage")
def test_storage_read_bandwidth_forces_hot_units(plan_of):
    # 9 PFLOPS / 4 = 2.25 nodes running (3 installed); 2 GB/s per GPU x 8 GPUs x 2.25 = 36 GB/s
    # over 10 GB/s units -> ceil(3.6) = 4 units, though 0.6048 TB of checkpoints fit in 1.
    # Checkpoint write 14 x 14.4 GB / 600 s = 0.336 GB/s < 10 GB/s of one unit.
    plan = plan_of(
        [training(pflops=9, read_gbps_per_gpu=2)],
        storage_tiers=[storage(read_gbps_per_unit=10, write_gbps_per_unit=10)],
    )
    assert installed(plan) == 3
    assert math.ceil(3 * 14 * 14.4 / 1000 / 10) == 1
    assert storage_units(plan, "hot") == math.ceil(2 * 8 * 2.25 / 10) == 4


@family("storage")
def test_storage_checkpoint_write_bandwidth_forces_hot_units(plan_of):
    # one checkpoint = 14 B/param x 14.4e9 = 201.6 GB in a 10-minute window = 0.336 GB/s;
    # 0.1 GB/s per unit -> ceil(3.36) = 4 units (capacity: 0.6048 TB fits in 1; reads:
    # 8 GPUs x 1 GB/s x 2.5 nodes = 20 GB/s within one unit's 1000 GB/s).
    plan = plan_of([training(pflops=10)], storage_tiers=[storage(write_gbps_per_unit=0.1)])
    assert 14 * 14.4 / 600 == pytest.approx(0.336)
    assert storage_units(plan, "hot") == 4


# =========================================================================== 4. racks


@family("racks")
@pytest.mark.parametrize(
    ("node_kw", "node_u", "per_rack", "racks"),
    [
        (15, 4, 2, 5),  # min(40 // 15, 42 // 4) = min(2, 10) = 2 (power-bound): 10 nodes -> 5 racks
        (5, 10, 4, 3),  # min(40 // 5, 42 // 10) = min(8, 4) = 4 (space-bound): 10 nodes -> 3 racks
    ],
)
def test_racks_nodes_per_rack_and_rack_count(plan_of, node_kw, node_u, per_rack, racks):
    # 38 PFLOPS / 4 = 9.5 -> 10 nodes; racks cost 1,000 USD to fit out so none is wasted;
    # the 12 switches (12 U, 0.012 kW) take one more rack.
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(node_kw=node_kw, rack_units=node_u)],
        rack_types=[rack(price_usd=1_000)],
    )
    assert per_rack == min(40 // node_kw, 42 // node_u)
    assert installed(plan) == 10
    compute = compute_racks(plan)
    assert int(compute.racks.sum()) == math.ceil(10 / per_rack) == racks
    assert set(compute.nodes_per_rack_max) == {per_rack}
    gear = plan.racks[(plan.racks.tier == "(gear)") & (plan.racks.year == YEAR)]
    assert int(gear.racks.sum()) == 1
    assert cost(plan, "racks") == pytest.approx((racks + 1) * 1_000)


@family("racks")
def test_racks_liquid_tier_uses_liquid_racks_only(plan_of):
    # liquid node 20 kW, 4 U: liquid rack 100 kW / 42 U holds min(5, 10) = 5 -> 10 nodes in 2 racks.
    # The cheaper air rack (would hold min(40 // 20, 42 // 4) = 2) cannot cool it; the switches
    # go in one air rack (1,000 < 5,000 USD).
    racks = [
        rack("air", cooling="air", price_usd=1_000),
        rack("liquid", cooling="liquid", usable_kw=100, price_usd=5_000),
    ]
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(cooling="liquid", node_kw=20, rack_units=4)],
        rack_types=racks,
        sites=[site(racks={"air": 10, "liquid": 10})],
    )
    compute = compute_racks(plan)
    assert set(compute.rack_type) == {"liquid"}
    assert int(compute.racks.sum()) == math.ceil(10 / 5) == 2
    gear = plan.racks[plan.racks.tier == "(gear)"]
    assert set(gear.rack_type) == {"air"} and int(gear.racks.sum()) == 1
    assert cost(plan, "racks") == pytest.approx(2 * 5_000 + 1_000)


# =========================================================================== 5. power


@family("power")
@pytest.mark.parametrize(
    ("pue", "near_nodes"),
    [
        # PUE x (10 kW x n + 0.012 kW of switches) <= 50 kW
        (1.0, 4),  # 10 n <= 49.988 -> n = 4
        (1.25, 3),  # 10 n <= 40 - 0.012 = 39.988 -> n = 3
    ],
)
def test_power_limit_spills_to_dearer_site(plan_of, pue, near_nodes):
    # 38 PFLOPS = 9.5 nodes of work. "near" has free energy but 0.05 MW; "far" pays
    # 10 kW x 0.75 x 8760 h x 0.1 USD/kWh = 6,570 USD per node-year, so near is filled first:
    # far runs 9.5 - near_nodes -> ceil(.) nodes.
    sites = [site("near", power_mw=0.05, pue=pue), site("far", power_mw=10, electricity_usd_per_kwh=0.1)]
    plan = plan_of([inference(pflops=38)], sites=sites)
    assert installed(plan, site="near") == near_nodes
    far = math.ceil(9.5 - near_nodes)
    assert installed(plan, site="far") == far
    near_it = plan.sites.set_index("site").at["near", "it_kw"]
    assert near_it == pytest.approx(10 * near_nodes + 0.012)
    assert pue * near_it <= 50 + 1e-6
    assert cost(plan, "energy") == pytest.approx((10 * far + 0.012) * 0.75 * 8760 * 0.1)
    # an inference service keeps its 0.2 TB of weights on hot storage at every site it runs at
    assert plan.storage.groupby("site").units.sum().to_dict() == {"far": 1, "near": 1}


@family("power")
@pytest.mark.parametrize(
    ("liquid_mw", "liquid_racks", "air_racks"),
    [
        # no cooling limit: 10 nodes of 20 kW / 4 U in liquid racks of 100 kW (min(5, 10) = 5 a rack)
        # -> 2 racks; air racks (40 kW: min(2, 10) = 2 a rack) would need 5
        (None, 2, 0),
        # 0.1 MW of liquid cooling: one liquid rack loads min(100, 5 x 20) = 100 kW -> 1 rack (5 nodes);
        # the other 5 nodes in ceil(5 / 2) = 3 air racks
        (0.1, 1, 3),
    ],
)
def test_power_liquid_cooling_capacity_limits_liquid_racks(plan_of, liquid_mw, liquid_racks, air_racks):
    racks = [rack("air", price_usd=1_000), rack("liquid", cooling="liquid", usable_kw=100, price_usd=1_000)]
    limit = {} if liquid_mw is None else {"liquid_cooling_mw": liquid_mw}
    plan = plan_of(
        [inference(pflops=38)],
        gpu_tiers=[tier(cooling="either", node_kw=20, rack_units=4)],
        rack_types=racks,
        sites=[site(racks={"air": 10, "liquid": 10}, **limit)],
    )
    assert installed(plan) == 10
    by_type = compute_racks(plan).groupby("rack_type").racks.sum()
    assert int(by_type.get("liquid", 0)) == liquid_racks
    assert int(by_type.get("air", 0)) == air_racks
    assert cost(plan, "racks") == pytest.approx((liquid_racks + air_racks + 1) * 1_000)


@family("power")
def test_power_cooling_limit_of_a_kind_the_site_has_no_racks_for(plan_of):
    # 1 MW of liquid cooling at a site of air racks only: no rack can load it (an empty row),
    # and the 38 / 4 = 9.5 -> 10 nodes sit in ceil(10 / 4) = 3 air racks (priced, so no spare racks).
    plan = plan_of(
        [inference(pflops=38)], sites=[site(liquid_cooling_mw=1)], rack_types=[rack(price_usd=1_000)]
    )
    assert installed(plan) == 10
    assert int(compute_racks(plan).racks.sum()) == 3


# =========================================================================== 6. compliance


@family("compliance")
def test_compliance_regulated_workload_on_certified_site(plan_of):
    # 8 PFLOPS each = exactly 2 nodes, so sharing a site saves no node. "cert" (dedicated, hipaa)
    # pays 6,570 USD per node-year of energy; "cheap" (shared tenancy, no certificates) pays none.
    # phi (hipaa, dedicated) may only use cert; web at cheap costs 12 switches + 1 storage unit
    # (22 USD) instead of 2 x 6,570 USD of energy at cert.
    # gdpr (residency eu) may only use the "eu" site, dearer still (0.2 USD/kWh).
    sites = [
        site("cheap", tenancy="shared"),
        site("cert", tenancy="dedicated", certifications=["hipaa"], electricity_usd_per_kwh=0.1),
        site("eu", region="eu", electricity_usd_per_kwh=0.2),
    ]
    plan = plan_of(
        [
            inference("phi", pflops=8, compliance=["hipaa"], dedicated=True),
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


@family("compliance")
def test_compliance_isolated_workload_gets_own_pool_and_racks(plan_of):
    # shared: 10 / 4 = 2.5 nodes; iso (isolated): 5 / 4 = 1.25 nodes. Pooled they would need
    # ceil(3.75) = 4 nodes; isolated, ceil(2.5) + ceil(1.25) = 3 + 2 = 5 nodes, each group in its
    # own rack (1,000 USD each, so exactly one per group) and its own SU: 2 SUs = 16 leaves.
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
    row = plan.fabric.iloc[0]
    assert (row.scalable_units, row.leaf) == (2, 16)


@family("compliance")
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


@family("compliance")
def test_compliance_site_no_workload_may_use_gets_nothing(plan_of):
    # "apac" lies in a region no workload may enter: it gets no variable that could fill a row of
    # its own, and the US service's 8 / 4 = 2 nodes go to "us".
    plan = plan_of([inference(pflops=8, region="us")], sites=[site("us"), site("apac", region="apac")])
    assert installed(plan, site="us") == 2
    assert installed(plan, site="apac") == 0
    assert list(plan.fabric.site.unique()) == ["us"]


@family("compliance")
@pytest.mark.parametrize(
    ("regulated", "plain_nodes", "enc_nodes"),
    [
        # as in the power test: "plain" (free energy, 50 kW) takes 4 nodes, "enc" the other
        # ceil(9.5 - 4) = 6
        (False, 4, 6),
        # regulated data may not cross plain's unencrypted WAN: it runs at plain only if nowhere
        # else, and plain cannot hold 9.5 nodes -> all ceil(9.5) = 10 at enc
        (True, 0, 10),
    ],
)
def test_compliance_unencrypted_wan_keeps_regulated_workload_whole(
    plan_of, regulated, plain_nodes, enc_nodes
):
    sites = [
        site("plain", power_mw=0.05, certifications=["hipaa"], encrypted_wan=False),
        site("enc", electricity_usd_per_kwh=0.1, certifications=["hipaa"]),
    ]
    tags = {"compliance": ["hipaa"]} if regulated else {}
    plan = plan_of([inference(pflops=38, **tags)], sites=sites)
    assert installed(plan, site="plain") == plain_nodes
    assert installed(plan, site="enc") == enc_nodes


@family("compliance")
def test_compliance_isolated_workload_on_a_small_site(plan_of):
    # 3 rack positions. "shared-svc" and the isolated "iso" each need 3 / 4 = 0.75 -> 1 node, in
    # racks of their own (2 racks) next to one rack of switches. Their own leaves: 2 SUs, a
    # 2-SU design of 16 leaves + smallest divisor of 32 >= 8 = 8 spines = 24 switches, 24 U.
    plan = plan_of(
        [inference("shared-svc", pflops=3), inference("iso", pflops=3, isolated=True)],
        sites=[site(racks={"r1": 3})],
    )
    assert installed(plan, group="(shared)") == 1
    assert installed(plan, group="iso") == 1
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine) == (2, 2, 16, 8)


# =========================================================================== 7. growth


@family("growth")
def test_growth_demand_doubles_and_purchases_follow(plan_of):
    # 10, 20, 40 PFLOPS in 2026-28 (growth 1.0) -> 2.5, 5, 10 -> 3, 5, 10 nodes installed;
    # discounting (8%) makes buying late cheaper: buys 3, 2, 5.
    plan = plan_of([inference(pflops=10, growth_per_year=1.0)], policy={"horizon_years": 3})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [3, 5, 10]
    assert [bought(plan, y) for y in (2026, 2027, 2028)] == [3, 2, 5]
    assert [cost(plan, "compute", y) for y in (2026, 2027, 2028)] == pytest.approx(
        [300_000, 200_000, 500_000]
    )


@family("growth")
def test_growth_lifetime_one_year_rebuys_every_year(plan_of):
    # constant 10 PFLOPS -> 3 nodes; a node lives 1 year, so 3 are bought each year.
    plan = plan_of([inference(pflops=10)], policy={"horizon_years": 3, "hardware_lifetime_years": 1})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [3, 3, 3]
    assert [bought(plan, y) for y in (2026, 2027, 2028)] == [3, 3, 3]
    assert [cost(plan, "compute", y) for y in (2026, 2027, 2028)] == pytest.approx([300_000] * 3)


@family("growth")
def test_growth_expansion_block_ordered_one_lead_time_ahead(plan_of):
    # 6, 12, 24 PFLOPS -> 1.5, 3, 6 -> 2, 3, 6 nodes. Facility 30 kW (PUE 1.0):
    # 2026: 20.012 kW fits; 2027: 30.012 kW does not -> a 50 kW block, usable 1 year after its
    # order, must be ordered in 2026; 2028: 60.012 kW <= 30 + 50 = 80 kW, so one block is enough.
    sites = [
        site(
            power_mw=0.03,
            expansion_block_mw=0.05,
            expansion_cost_usd=1_000,
            expansion_lead_years=1,
            expansion_max_blocks=2,
        )
    ]
    plan = plan_of([inference(pflops=6, growth_per_year=1.0)], sites=sites, policy={"horizon_years": 3})
    assert [installed(plan, y) for y in (2026, 2027, 2028)] == [2, 3, 6]
    s = plan.sites.set_index("year")
    assert list(s.expansion_blocks_ordered) == [1, 0, 0]
    assert list(s.expansion_blocks_online) == [0, 1, 1]
    assert cost(plan, "facility", 2026) == pytest.approx(1_000)


@family("growth")
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


@family("growth")
def test_growth_storage_never_shrinks(plan_of):
    # hot data 95 TB, halving (growth -0.5): 95.2 TB -> 10 units in 2026; 47.7 TB would fit in 5
    # in 2027, but installed storage only grows: 10 units, none bought in 2027. Nodes: 3 then 3
    # (2 would do, but the 2026 nodes are still in service).
    plan = plan_of([inference(pflops=10, hot_tb=95, growth_per_year=-0.5)], policy={"horizon_years": 2})
    assert [storage_units(plan, "hot", y) for y in (2026, 2027)] == [10, 10]
    assert cost(plan, "storage", 2027) == 0
    assert [installed(plan, y) for y in (2026, 2027)] == [3, 3]


@family("growth")
def test_growth_fabric_designed_for_the_final_year(plan_of):
    # 10, 20, 40 PFLOPS -> 3, 5, 10 nodes -> 24, 40, 80 ports over SUs of 4 nodes x 8 rails = 32
    # -> 1, 2, 3 SUs. The design is the final year's 3-SU fat tree: its 16 spines (smallest divisor
    # of 32 >= 24 / 2) and its 24 x 32 = 768 leaf-spine links are bought in 2026; 8 leaves come
    # with each SU. Switches 1,000 USD, links 1 USD (also one per node port bought):
    #   2026: (8 + 16) x 1,000 + 768 + 24 = 24,792; 2027: 8,000 + 16 = 8,016; 2028: 8,000 + 40 = 8,040
    plan = plan_of(
        [inference(pflops=10, growth_per_year=1.0)],
        policy={"horizon_years": 3},
        fabrics=[fabric(nodes_per_su=4, switch_price_usd=1_000, link_price_usd=1)],
    )
    f = plan.fabric.set_index("year")
    assert list(f.design_units) == [3, 3, 3]
    assert list(f.scalable_units) == [1, 2, 3]
    assert list(f.leaf) == [8, 16, 24]
    assert list(f.spine) == [16, 16, 16]
    assert [cost(plan, "fabric", y) for y in (2026, 2027, 2028)] == pytest.approx([24_792, 8_016, 8_040])


# =========================================================================== 8. cost


@family("cost")
def test_cost_npv_equals_hand_discounted_sum(plan_of):
    # 10 PFLOPS -> 3 nodes, 2 years, discount 10%, PUE 1.5, 0.1 USD/kWh, colocation 10 USD/kW-month,
    # node support 10%/yr, switches 1,000 USD and 0.5 kW.
    # capex 2026: nodes 3 x 100,000 = 300,000; switches 12 x 1,000 = 12,000; storage 1 unit x 10 TB
    #   x 1 USD/TB = 10 (0.2 TB of weights)                                     -> 312,010
    # IT load: 3 x 10 kW + 12 x 0.5 kW = 36 kW
    # opex/yr: energy 36 x 1.5 x 0.75 x 8760 x 0.1 = 35,478; colocation 36 x 12 x 10 = 4,320;
    #   support 0.10 x 300,000 = 30,000                                          -> 69,798
    # electricity escalates 5%/yr: 2027 energy = 35,478 x 1.05 = 37,251.9
    # NPV = 312,010 + (35,478 + 34,320) + (37,251.9 + 34,320) / 1.1
    plan = plan_of(
        [inference(pflops=10)],
        sites=[site(pue=1.5, electricity_usd_per_kwh=0.1, colocation_usd_per_kw_month=10)],
        gpu_tiers=[tier(support_pct=10)],
        fabrics=[fabric(switch_price_usd=1_000, switch_kw=0.5)],
        policy={
            "horizon_years": 2,
            "discount_rate": 0.1,
            "average_load": 0.75,
            "electricity_escalation": 0.05,
        },
    )
    capex = 300_000 + 12 * 1_000 + 10
    energy = 36 * 1.5 * 0.75 * 8760 * 0.1
    colocation = 36 * 12 * 10
    support = 0.10 * 300_000
    assert energy == pytest.approx(35_478)
    assert cost(plan, "energy", 2026) == pytest.approx(energy)
    assert cost(plan, "energy", 2027) == pytest.approx(energy * 1.05)
    assert cost(plan, "colocation", 2027) == pytest.approx(colocation)
    assert cost(plan, "support", 2027) == pytest.approx(support)
    assert plan.kpi("capex_usd") == pytest.approx(capex)
    npv = capex + (energy + colocation + support) + (energy * 1.05 + colocation + support) / 1.1
    assert npv == pytest.approx(445_260.73 + 1_773.9 / 1.1, abs=0.01)
    assert plan.kpi("npv_usd") == pytest.approx(npv)


BUDGET_TIERS = [tier("a", price_usd=100_000, node_kw=10), tier("b", price_usd=80_000, node_kw=30)]


@family("cost")
@pytest.mark.parametrize(
    ("budget", "a_nodes", "b_nodes"),
    [
        # 10 PFLOPS = 2.5 node-loads, both tiers 4 PF/node -> 3 nodes. 3 years, no discount, PUE 1.0,
        # 0.1 USD/kWh x 0.75 x 8760 h = 657 USD per kW-year:
        #   a: 100,000 + 3 x 10 x 657 = 119,710 per node; b: 80,000 + 3 x 30 x 657 = 139,130
        (None, 3, 0),  # no budget: 3 a
        # capex = 100,000 a + 80,000 b + 22 (12 switches + 1 storage unit) <= 270,000 with a + b = 3:
        # 240,022 + 20,000 a <= 270,000 -> a <= 1.499 -> 1 a + 2 b (still cheaper over life than 3 b)
        (270_000, 1, 2),
    ],
)
def test_cost_binding_budget_switches_to_cheaper_capex(plan_of, budget, a_nodes, b_nodes):
    policy = {"horizon_years": 3, "discount_rate": 0.0}
    if budget:
        policy["capex_budget_usd"] = budget
    plan = plan_of(
        [inference(pflops=10)],
        gpu_tiers=BUDGET_TIERS,
        policy=policy,
        sites=[site(electricity_usd_per_kwh=0.1)],
    )
    assert installed(plan, tier="a") == a_nodes
    assert installed(plan, tier="b") == b_nodes
    assert plan.kpi("capex_usd") == pytest.approx(100_000 * a_nodes + 80_000 * b_nodes + 22)


@family("cost")
def test_cost_max_capacity_scale_is_budget_limited(plan_of):
    # budget 500,000: n nodes cost 100,000 n + 22 (12 switches, 1 storage unit) -> n = 4
    # (5 nodes = 500,022); 4 nodes x 4 PF = 16 PF against 10 PF of demand -> scale 1.6.
    plan = plan_of([inference(pflops=10)], policy={"objective": "max_capacity", "capex_budget_usd": 500_000})
    n = (500_000 - 22) // 100_000
    assert n == 4
    assert installed(plan) == 4
    assert plan.kpi("demand_scale") == pytest.approx(n * 4 / 10)


@family("cost")
def test_cost_max_capacity_budget_below_one_node_buys_nothing(plan_of):
    # One node costs 100,000 USD > the 50,000 USD budget, and any demand multiple above 0 needs a
    # node: the largest multiple is 0. Nothing runs, so the regulated service's 5 TB of hot data
    # (kept where it runs) needs no storage, encrypted or not.
    plan = plan_of(
        [inference(pflops=8, compliance=["hipaa"], hot_tb=5)],
        sites=[site(certifications=["hipaa"])],
        policy={"objective": "max_capacity", "capex_budget_usd": 50_000},
    )
    assert plan.kpi("demand_scale") == 0
    assert installed(plan) == 0
    assert plan.storage.empty


@family("cost")
def test_cost_yearly_budget_pulls_purchases_forward(plan_of):
    # demand starts in 2027: 38 PFLOPS -> 10 nodes. A 750,000 USD yearly capex cap allows at most
    # 7 nodes (700,000 + at most 18 USD of switches and storage) in 2027, so 3 are bought in 2026;
    # discounting makes buying later cheaper, so no more than 3 early.
    plan = plan_of(
        [inference(pflops=38, start_year=2027)],
        policy={"horizon_years": 2, "capex_budget_per_year_usd": 750_000},
    )
    assert [bought(plan, y) for y in (2026, 2027)] == [3, 7]
    assert installed(plan, 2027) == 10


@family("cost")
def test_cost_rack_basis_service_counts_every_fitted_rack(plan_of):
    # schema: basis "rack" counts every fitted rack. 38 PFLOPS -> 10 nodes, 4 a rack -> 3 compute
    # racks, and the switches take a 4th, gear rack -> 4 out-of-band switches x 1,000 USD = 4,000 USD.
    oob = dict(
        id="oob",
        name="oob switch",
        layer="oob_network",
        basis="rack",
        per_basis=1,
        fabric_kind="any",
        price_usd=1_000,
        annual_usd=0,
        kw=0,
        ru=0,
        source="test",
    )
    plan = plan_of([inference(pflops=38)], services=[oob])
    assert int(compute_racks(plan).racks.sum()) == 3
    assert int(plan.racks.racks.sum()) == 4
    assert cost(plan, "oob_network") == pytest.approx(4 * 1_000)


@family("cost")
def test_cost_site_services_follow_fabric_kind(plan_of):
    # An InfiniBand site buys the site-basis "ufm" service (2 x 30,000 = 60,000 USD in the first
    # year, 2 x 5,000 = 10,000 USD of licences every year) and not the Ethernet-only one.
    services = [
        dict(
            id="ufm",
            name="fabric manager",
            layer="management",
            basis="site",
            per_basis=2,
            fabric_kind="infiniband",
            price_usd=30_000,
            annual_usd=5_000,
            kw=0,
            ru=0,
            source="test",
        ),
        dict(
            id="eth-mgr",
            name="ethernet manager",
            layer="management",
            basis="site",
            per_basis=1,
            fabric_kind="ethernet",
            price_usd=99_999,
            annual_usd=99_999,
            kw=0,
            ru=0,
            source="test",
        ),
    ]
    plan = plan_of([inference(pflops=10)], services=services, policy={"horizon_years": 2})
    assert [cost(plan, "management", y) for y in (2026, 2027)] == pytest.approx([60_000, 0])
    assert [cost(plan, "licences", y) for y in (2026, 2027)] == pytest.approx([10_000, 10_000])


# =========================================================================== 9. reliability


@family("reliability")
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


@family("reliability")
@pytest.mark.parametrize(("kind", "carrier_usd"), [("inference", 100_000), ("training", 0)])
def test_reliability_second_carrier_for_inference(plan_of, kind, carrier_usd):
    # a site with one carrier pays (2 - 1) x 100,000 USD a year for a second one when it serves
    # inference; training alone needs no second carrier.
    workload = inference(pflops=10) if kind == "inference" else training(pflops=10)
    plan = plan_of(
        [workload], sites=[site(carriers=1, second_carrier_usd_per_year=100_000)], policy={"horizon_years": 2}
    )
    assert [cost(plan, "carriers", y) for y in (2026, 2027)] == pytest.approx([carrier_usd] * 2)
    assert list(plan.sites.second_carrier) == [bool(carrier_usd)] * 2


@family("reliability")
def test_reliability_two_spines_even_for_one_su(plan_of):
    # 2-GPU nodes (1 PF each at MFU 0.5) on 2 rails: 2.5 PFLOPS -> 3 nodes, 6 ports, one SU of
    # 32 x 2 = 64 ports. A 1-SU design has 2 leaves and the smallest divisor of 32 >= 1 = 1 spine:
    # not redundant. The 2-SU design has 4 leaves and 2 spines, so it is chosen, with 1 SU deployed:
    # 2 leaves + 2 spines = 4 switches.
    assert size_for_units(1, 64, 32, 2).spine == 1
    assert size_for_units(2, 64, 32, 2).spine == 2
    plan = plan_of(
        [inference(pflops=2.5)], gpu_tiers=[tier(gpus_per_node=2, hbm_gb=200)], fabrics=[fabric(rails=2)]
    )
    assert installed(plan) == 3
    row = plan.fabric.iloc[0]
    assert (row.design_units, row.scalable_units, row.leaf, row.spine, row.switches) == (2, 1, 2, 2, 4)


def young_daly_goodput(nodes: float, mtbf_hours: float, checkpoint_minutes: float) -> float:
    """The failure derating written out again from the design (not imported)."""
    m = mtbf_hours / nodes
    delta = checkpoint_minutes / 60
    interval = math.sqrt(2 * delta * m) - delta
    return 1 - (delta / (interval + delta) + (interval / 2 + delta) / m)


@family("reliability")
def test_reliability_goodput_derates_training(plan_of):
    # 40 PFLOPS / 4 = 10 node-loads. Node MTBF 1000 h -> job MTBF M = 100 h; a 60-min checkpoint
    # (delta = 1 h): T = sqrt(2 x 1 x 100) - 1 = 13.142 h;
    # lost = 1 / 14.142 + (6.571 + 1) / 100 = 0.07071 + 0.07571 = 0.14642 -> goodput 0.85358;
    # nodes = ceil(40 / (4 x 0.85358)) = ceil(11.715) = 12 (10 without failures).
    good = young_daly_goodput(10, 1000, 60)
    assert good == pytest.approx(0.85358, abs=1e-5)
    assert good == pytest.approx(demand.goodput(10, 1000, 60))
    assert math.ceil(40 / (4 * good)) == 12
    plan = plan_of([training(pflops=40, checkpoint_minutes=60)], gpu_tiers=[tier(node_mtbf_hours=1000)])
    assert installed(plan) == 12
    assert plan.nodes.nodes.sum() == pytest.approx(40 / (4 * good), rel=1e-5)


# =========================================================================== registry


def test_every_family_has_a_test():
    missing = sorted(set(aiopt.FAMILIES) - set(FAMILY_TESTS))
    assert not missing, f"constraint families without a hand-worked test: {missing}"
    unknown = sorted(set(FAMILY_TESTS) - set(aiopt.FAMILIES))
    assert not unknown, f"tests name families that are not registered: {unknown}"
    for name, tests in FAMILY_TESTS.items():
        assert all(t.startswith(f"test_{name}_") for t in tests), (name, tests)
        assert all(callable(globals().get(t)) for t in tests), (name, tests)
