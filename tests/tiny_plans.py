"""Tiny purpose-built scenarios for the hand-worked constraint tests in tests/model/.

Every scenario here is tiny and purpose-built: a catalog written to a temporary directory
with round numbers, so the optimum can be worked out on paper. The arithmetic is in each test,
from the input numbers (never from model output). Fixed costs (services, rack fit-out,
carriers, energy) are zero unless a test is about them.

The base catalog, used unless a test replaces a table:

* GPU tier `g1`: 8 GPUs x 1000 TFLOPS = 8 PFLOPS peak per node, MFU 0.5 -> 4 PFLOPS effective
  per node; 100 GB HBM per GPU (800 GB per node); 10 kW; 10 U; 100,000 USD; no support;
  air-cooled; node MTBF 1e9 h (Young/Daly goodput 1 - ~3e-5: demands are chosen away from
  whole-node boundaries so this cannot tip a count).
* fabric `fab`: radix 64, 32 nodes x 8 rails per SU, scaling efficiency 1.0 at any job size (no
  loss per doubling), switch 1 USD and 0.001 kW, NICs and links free. Only training jobs that span
  nodes use it: up to 8 g1 nodes (64 ports) one switch, no spines; above, one SU = 8 leaves and a
  1-SU design has 4 spines (smallest divisor of 32 >= ceil(8/2)), so 12 switches, 12 U, 0.012 kW.
* storage `hot`: hot flash, 10 TB units at 1 USD/TB (10 USD a unit), 1000 GB/s read and write
  per unit, no power, no rack units, encrypted at rest.
* rack type `r1`: air, 40 kW, 42 U, no fit-out price -> min(40 // 10, 42 // 10) = 4 g1 nodes.
* services: none; software stacks: none (tiers name no stack).
* policy: one year from 2026; the whole facility power usable (`max_power_utilisation` 1).

  For serving, g1's memory bandwidth (1e6 TB/s, beyond any real part) makes every decode step
  compute-bound, with eta_compute 0.5.
* model `m100`: dense, 100B parameters; 10 layers x 1 KV head x head dim 100 (a small KV cache).

Workload helpers: `inference(pflops=P)` serves m100 in BF16 with 1000 prompt and 1000 output
tokens per request and no latency target. Compute-bound, a GPU spends 2 x 100e9 FLOPs on each
output token and as many on each prompt token, so it serves 0.5 x 1000e12 / (2 x 100e9 x 2)
= 1250 output tokens/s, a g1 node 8 x 1250 = 10,000 (`aiopt.throughput`); `inference(pflops=P)`
asks for 2500 P tokens/s, so a g1 node serves P = 4 (as many as 4 PFLOPS of training at MFU
0.5), and a tier with other GPU counts or TFLOPS in proportion. A replica is 4 g1 GPUs (the
smallest power of two whose 90% of HBM holds the 200 GB of weights). The weights, 2 B/param x
100e9 = 200 GB = 0.2 TB, stay on hot storage where it runs. A training job of
`params_b` = 14.4 and a 100-day deadline needs 6 x 14.4e9 x T x 1e12 / (100 x 86400) / 1e15
= 10 T PFLOPS for T trillion tokens, so `training(pflops=P)` asks for P / 10 trillion tokens; it
keeps 3 checkpoints of 14 B/param, 3 x 14 x 14.4 GB = 0.6048 TB, on hot storage.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import yaml

import aiopt
from aiopt.schema import CATALOG_TABLES

REL_GAP = 1e-6
YEAR = 2026

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
        hbm_tbps=1_000_000,
        eta_bw=1.0,
        eta_compute=0.5,
        source="test",
    )
    return {**row, **values}


def model(id: str = "m100", **values) -> dict:
    row = dict(
        id=id,
        name=f"test model {id}",
        total_params_b=100,
        active_params_b=100,
        layers=10,
        kv_heads=1,
        head_dim=100,
        context_tokens=100_000,
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
        scaling_loss_per_doubling=0.0,
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


def service(id: str = "svc", **values) -> dict:
    """A service row: one item a site (basis "site", any fabric), free, no power or space."""
    row = dict(
        id=id,
        name=f"test service {id}",
        layer="management",
        basis="site",
        per_basis=1,
        fabric_kind="any",
        price_usd=0,
        annual_usd=0,
        kw=0,
        ru=0,
        source="test",
    )
    return {**row, **values}


def offer(id: str = "cloud", **values) -> dict:
    """A cloud offer of g1 GPUs in region us: on demand, 1 USD/GPU-h, billed by the hour, no cap,
    no certifications, shared tenancy, no egress, scaling efficiency 1.0 (as the base fabric)."""
    row = dict(
        id=id,
        name=f"test offer {id}",
        provider_class="neocloud",
        tier="g1",
        region="us",
        term="on_demand",
        usd_per_gpu_hour=1.0,
        min_hours=1,
        max_gpus=None,
        certifications="",
        tenancy="shared",
        egress_usd_per_tb=0,
        scaling_efficiency=1.0,
        source="test",
    )
    return {**row, **values}


def software_stack(id: str = "s1", **values) -> dict:
    """A software-stack row: free unless a test prices it."""
    row = dict(id=id, name=f"test stack {id}", one_time_usd=0, annual_usd=0, source="test")
    return {**row, **values}


def young_daly_goodput(nodes: float, mtbf_hours: float, checkpoint_minutes: float) -> float:
    """The failure derating written out again from the design (not imported from aiopt):
    M = MTBF/N, δ = checkpoint time, T = √(2δM) − δ; goodput = 1 − (δ/(T+δ) + (T/2+δ)/M)."""
    m = mtbf_hours / nodes
    delta = checkpoint_minutes / 60
    interval = math.sqrt(2 * delta * m) - delta
    return 1 - (delta / (interval + delta) + (interval / 2 + delta) / m)


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
    """Serving m100 at as many tokens/s as `pflops` node quarters serve: 2500 x P (module docstring)."""
    row = dict(
        id=id,
        kind="inference",
        model="m100",
        input_tokens=1000,
        output_tokens=1000,
        tokens_per_s=2500 * pflops,
        spare_fraction=0.0,
    )
    continuous = dict(min_replicas=1, mixed_tiers=True)  # the family tests size serving in whole nodes
    return {**row, **continuous, **values}


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
    if isinstance(value, list | tuple):
        return ";".join(value)
    return str(value)


def write_catalog(directory: Path, tables: dict[str, list[dict]]) -> Path:
    """The catalog `tables` as CSVs in `directory`; the models table is the base one unless given."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = {"models": [model()], **tables}
    for table in CATALOG_TABLES:
        with (directory / f"{table.name}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.names)
            for row in tables.get(table.name, []):
                writer.writerow([_cell(row.get(name)) for name in table.names])
    return directory


def tiny_scenario(
    directory: Path,
    workloads: list[dict],
    sites: list[dict] | None = None,
    policy: dict | None = None,
    gpu_tiers: list[dict] | None = None,
    models: list[dict] | None = None,
    fabrics: list[dict] | None = None,
    storage_tiers: list[dict] | None = None,
    rack_types: list[dict] | None = None,
    services: list[dict] | None = None,
    cloud_offers: list[dict] | None = None,
    software_stacks: list[dict] | None = None,
) -> aiopt.Scenario:
    """Write a tiny catalog and scenario under `directory` and load it.

    Every catalog table not given is the base catalog's (see the module docstring).
    """
    directory.mkdir(parents=True, exist_ok=True)
    catalog = write_catalog(
        directory / "catalog",
        {
            "gpu_tiers": gpu_tiers or [tier()],
            "models": models or [model()],
            "fabrics": fabrics or [fabric()],
            "storage_tiers": storage_tiers or [storage()],
            "rack_types": rack_types or [rack()],
            "services": services or [],
            "cloud_offers": cloud_offers or [],
            "software_stacks": software_stacks or [],
        },
    )
    doc = {
        "name": f"family-test-{directory.name}",
        # the whole facility power usable, unless a test is about headroom
        "policy": {"start_year": YEAR, "horizon_years": 1, "max_power_utilisation": 1.0, **(policy or {})},
        "sites": sites or [site()],
        "workloads": workloads,
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return aiopt.load_scenario(path, catalog)


def solve_tiny(directory: Path, workloads: list[dict], **tables) -> aiopt.Plan:
    """`tiny_scenario(directory, workloads, **tables)` solved to a 1e-6 gap, its plan checked."""
    scenario = tiny_scenario(directory, workloads, **tables)
    plan = aiopt.solve(scenario, rel_gap=REL_GAP, time_limit=30, progress=False)
    assert plan.status == "optimal", plan.status
    report = aiopt.check_plan(plan)
    assert report.ok, str(report)
    return plan


# --------------------------------------------------------------------------- plan read-outs


def relaxation_bound(model, without: str | None = None) -> float:
    """The LP relaxation's bound of a built model, with constraint component `without` left out."""
    from aiopt.solve.highs import HighsModel

    if without:
        getattr(model, without).deactivate()
    highs = HighsModel(model, dict(threads=1, output_flag=False))
    with highs.relaxation():
        return highs.run(60).bound


def baseline_model():
    """The built model of the shipped enterprise-baseline scenario."""
    scenario = Path(__file__).resolve().parent.parent / "data" / "scenarios" / "enterprise-baseline.yaml"
    return aiopt.build_model(aiopt.load_scenario(scenario))


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


def two_tier_two_site(directory: Path, **policy) -> aiopt.Scenario:
    """A small scenario with real choices: tiers a and b (b faster, dearer, hungrier), sites
    "dear" (0.3 USD/kWh) and "free", a 30-PFLOPS training run and a 20-PFLOPS service growing
    50% a year, over two years; `policy` adds to or replaces the policy."""
    return tiny_scenario(
        directory,
        [training(pflops=30), inference(pflops=20, growth_per_year=0.5)],
        sites=[site("dear", electricity_usd_per_kwh=0.3), site("free")],
        gpu_tiers=[tier("a"), tier("b", tflops_bf16=1500, price_usd=120_000, node_kw=14)],
        policy={"horizon_years": 2, **policy},
    )


def assert_no_dearer_than_reference(plan: aiopt.Plan, time_limit: float = 20.0) -> aiopt.Plan:
    """The reference design of the plan's scenario (`aiopt.reference_plan`) passes the checker and
    the plan is no worse, within its own gap: min NPV, NPV x (1 − gap) <= the reference's NPV (the
    reference, at any gap, is a plan of a narrower model, so the optimum is no dearer); max capacity, the
    reference's demand multiple <= the plan's x (1 + gap). Returns the reference plan."""
    reference = aiopt.reference_plan(plan.scenario, time_limit=time_limit, rel_gap=0.05)
    report = aiopt.check_plan(reference)
    assert report.ok, str(report)
    gap = plan.gap or 0.0
    if plan.scenario.policy["objective"] == "max_capacity":
        assert reference.kpi("demand_scale") <= plan.kpi("demand_scale") * (1 + gap)
    else:
        assert plan.kpi("npv_usd") * (1 - gap) <= reference.kpi("npv_usd")
    return reference
