"""Independent plan checker: re-verify a solved plan from its tables and the scenario inputs.

Nothing here reads the Pyomo model. Each check recomputes a physical or financial fact from
the plan's DataFrames and the scenario's catalogs, so a wrong constraint in the model shows
up as a failed check rather than as a plan that looks fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import demand
from .fabric_sizing import size_for_units
from .model.data import SHARED
from .results import Plan
from .rules import RACK_COOLING_FOR, fabric_ports, nodes_per_rack, site_lacks

TOLERANCE = 1e-4  # relative slack for solver round-off


@dataclass
class CheckReport:
    failures: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = f"{len(self.checks)} checks, {len(self.failures)} failures"
        return "\n".join([head, *self.failures])


def _over(value: float, limit: float) -> bool:
    return value > limit + TOLERANCE * max(1.0, abs(limit))


def check_plan(plan: Plan) -> CheckReport:
    """Run every check; the report lists each failure with the rows concerned."""
    report = CheckReport()
    for check in CHECKS:
        report.checks.append(check.__name__)
        report.failures += [f"{check.__name__}: {msg}" for msg in check(plan)]
    return report


def assert_plan_ok(plan: Plan) -> None:
    """Raise AssertionError listing every failed check."""
    report = check_plan(plan)
    assert report.ok, str(report)


def racks_within_limits(plan: Plan) -> list[str]:
    """Each rack row within its kW and U, nodes in a compatible cooling kind, positions available."""
    sc, out = plan.scenario, []
    for row in plan.racks.itertuples():
        if _over(row.kw_used, row.kw_limit) or _over(row.ru_used, row.ru_limit):
            out.append(
                f"{row.site}/{row.rack_type}/{row.tier}/{row.year}: {row.kw_used:.1f} kW, "
                f"{row.ru_used:.0f} U in {row.racks} racks"
            )
        if row.tier != "(gear)":
            tier, rack = sc.gpu_tiers.loc[row.tier], sc.rack_types.loc[row.rack_type]
            if rack.cooling not in RACK_COOLING_FOR[tier.cooling] or row.nodes > row.racks * nodes_per_rack(
                tier, rack
            ):
                out.append(f"{row.tier} cannot sit {row.nodes} nodes in {row.racks} {row.rack_type} racks")
    avail = sc.site_racks.set_index(["site", "rack_type"]).racks
    used = plan.racks.groupby(["site", "rack_type", "year"]).racks.sum()
    for (s, r, y), n in used.items():
        if n > avail.get((s, r), 0):
            out.append(f"{s}/{r}/{y}: {n} racks used, {avail.get((s, r), 0)} available")
    placed = plan.racks[plan.racks.tier != "(gear)"].groupby(["group", "tier", "site", "year"]).nodes.sum()
    for row in plan.pools.itertuples():
        if placed.get((row.group, row.tier, row.site, row.year), 0) != row.installed_nodes:
            out.append(
                f"{row.group}/{row.tier}/{row.site}/{row.year}: {row.installed_nodes} nodes, "
                f"racks hold {placed.get((row.group, row.tier, row.site, row.year), 0)}"
            )
    return out


def site_power(plan: Plan) -> list[str]:
    """IT kW × PUE within facility power; IT kW covers the nodes' draw."""
    out = []
    node_kw = plan.pools.groupby(["site", "year"]).node_kw.sum()
    for row in plan.sites.itertuples():
        if _over(row.it_kw * row.pue, row.facility_kw):
            out.append(
                f"{row.site}/{row.year}: {row.it_kw:.0f} kW × PUE {row.pue} > {row.facility_kw:.0f} kW"
            )
        if _over(node_kw.get((row.site, row.year), 0.0), row.it_kw):
            out.append(
                f"{row.site}/{row.year}: nodes draw {node_kw.get((row.site, row.year)):.0f} kW "
                f"> IT load {row.it_kw:.0f} kW"
            )
    return out


def demand_met(plan: Plan) -> list[str]:
    """Recompute each workload's required and delivered PFLOPS from first principles."""
    sc, out = plan.scenario, []
    scale = plan.kpi("demand_scale")
    for w, wl in sc.workloads.iterrows():
        base = demand.workload_pflops(wl)
        rows = plan.nodes[plan.nodes.workload == w]
        for y in sc.years:
            need = scale * base * demand.growth_factor(wl.growth_per_year, wl.start_year, y)
            have = sum(_node_pflops(sc, wl, r) * r.nodes for r in rows[rows.year == y].itertuples())
            if need > 0 and have < need * (1 - TOLERANCE):
                out.append(f"{w}/{y}: delivers {have:.3f} PFLOPS, needs {need:.3f}")
        if (
            wl.kind != "inference"
            and rows[["tier", "site", "year"]].drop_duplicates().year.duplicated().any()
        ):
            out.append(f"{w}: a yearly training run spread over several tiers or sites")
    return out


def _node_pflops(sc, wl, row) -> float:
    tier = sc.gpu_tiers.loc[row.tier]
    peak = tier.gpus_per_node * tier.tflops_bf16 / 1000.0
    if wl.kind == "inference":
        mfu = wl.mfu if pd.notna(wl.mfu) else demand.DEFAULT_INFERENCE_MFU
        return peak * mfu * demand.LATENCY_FACTOR[wl.latency]
    mfu = wl.mfu if pd.notna(wl.mfu) else tier.mfu
    good = demand.goodput(row.nodes, tier.node_mtbf_hours, wl.checkpoint_minutes)  # at the run's own size
    return peak * mfu * sc.fabrics.at[row.fabric, "scaling_efficiency"] * good


def pools_hold_runs(plan: Plan) -> list[str]:
    """Allocated nodes plus N+k spares fit in the installed pool; isolated pools hold one workload."""
    sc, out = plan.scenario, []
    wl = sc.workloads
    nodes = plan.nodes.assign(group=[w if wl.at[w, "isolated"] else SHARED for w in plan.nodes.workload])
    nodes = nodes.assign(with_spares=nodes.nodes * (1 + wl.loc[nodes.workload, "spare_fraction"].to_numpy()))
    need = nodes.groupby(["group", "tier", "site", "year"]).with_spares.sum()
    have = plan.pools.set_index(["group", "tier", "site", "year"]).installed_nodes
    for key, n in need.items():
        if _over(n, have.get(key, 0)):
            out.append(f"{'/'.join(map(str, key))}: {n:.2f} nodes with spares > {have.get(key, 0)} installed")
    return out


def compliance(plan: Plan) -> list[str]:
    """Every workload runs only on allowed tiers at sites that satisfy its tags."""
    sc, out = plan.scenario, []
    for row in plan.nodes.itertuples():
        wl = sc.workloads.loc[row.workload]
        lacks = site_lacks(sc.sites.loc[row.site], wl)
        if lacks:
            out.append(f"{row.workload} at {row.site}: lacks {'; '.join(text for _, text in lacks)}")
        if wl.tiers and row.tier not in wl.tiers:
            out.append(f"{row.workload} on {row.tier}, allowed {list(wl.tiers)}")
    return out


def storage_holds_data(plan: Plan) -> list[str]:
    """Storage capacity holds what is stored; cold data is all kept; regulated data encrypted
    (hot data where the workload runs: none in a year it runs nowhere, e.g. at demand scale 0)."""
    sc, out = plan.scenario, []
    st = plan.storage
    for row in st.itertuples():
        if _over(row.hot_tb_used + row.cold_tb_used, row.tb):
            out.append(
                f"{row.site}/{row.storage_tier}/{row.year}: "
                f"{row.hot_tb_used + row.cold_tb_used:.0f} TB in {row.tb:.0f} TB"
            )
        if row.hot_tb_used > 0 and not sc.storage_tiers.at[row.storage_tier, "hot"]:
            out.append(f"{row.site}/{row.storage_tier}: hot data on a cold tier")
    wl = sc.workloads
    running = set(zip(plan.nodes.workload, plan.nodes.year, strict=True))
    for y in sc.years:
        cold = sum(
            r.cold_tb * demand.growth_factor(r.growth_per_year, r.start_year, y) for r in wl.itertuples()
        )
        if cold > 0 and st.loc[st.year == y, "cold_tb_used"].sum() < cold * (1 - TOLERANCE):
            out.append(
                f"{y}: {st.loc[st.year == y, 'cold_tb_used'].sum():.0f} TB cold stored, {cold:.0f} TB needed"
            )
        regulated = sum(
            (r.cold_tb + r.hot_tb * ((r.Index, y) in running))
            * demand.growth_factor(r.growth_per_year, r.start_year, y)
            for r in wl.itertuples()
            if r.compliance
        )
        encrypted = st[(st.year == y) & st.storage_tier.map(sc.storage_tiers.encryption_at_rest)]
        if regulated > 0 and encrypted.tb.sum() < regulated * (1 - TOLERANCE):
            out.append(
                f"{y}: {regulated:.0f} TB regulated data, {encrypted.tb.sum():.0f} TB encrypted storage"
            )
    return out


def fabric_sized(plan: Plan) -> list[str]:
    """Fabric ports cover the installed GPUs; switch counts equal the fat-tree design."""
    sc, out = plan.scenario, []
    ports = plan.pools.assign(
        ports=[
            fabric_ports(sc.gpu_tiers.loc[t]) * n
            for t, n in zip(plan.pools.tier, plan.pools.installed_nodes, strict=True)
        ]
    )
    needed = ports.groupby(["site", "year"]).ports.sum()
    for row in plan.fabric.itertuples():
        fab = sc.fabrics.loc[row.fabric]
        size = size_for_units(int(row.built_units), int(fab.radix), int(fab.nodes_per_su), int(fab.rails))
        if (row.spine, row.core) != (size.spine, size.core) or not (
            row.scalable_units <= row.built_units <= row.design_units
        ):
            out.append(
                f"{row.site}/{row.year}: spine/core {row.spine}/{row.core} vs built {size.spine}/{size.core}"
            )
        if needed.get((row.site, row.year), 0) > row.port_capacity or row.nics < needed.get(
            (row.site, row.year), 0
        ):
            out.append(
                f"{row.site}/{row.year}: {needed.get((row.site, row.year), 0)} ports, "
                f"capacity {row.port_capacity}, NICs {row.nics}"
            )
        if size.spine < 2:
            out.append(f"{row.site}: fewer than two spines")
    missing = set(needed[needed > 0].index.get_level_values(0)) - set(plan.fabric.site)
    out += [f"{s}: nodes but no compute fabric" for s in sorted(missing)]
    return out


def costs_add_up(plan: Plan) -> list[str]:
    """Discounting, NPV, compute capex, energy and budget recomputed from the tables."""
    sc, out = plan.scenario, []
    policy, costs = sc.policy, plan.costs
    first, rate = sc.years[0], policy["discount_rate"]
    factor = (1 + rate) ** -(costs.year - first)
    if (costs.discounted_usd - costs.usd * factor).abs().max() > 1.0:
        out.append("discounted costs do not match the discount rate")
    if abs(costs.discounted_usd.sum() - plan.kpi("npv_usd")) > 1.0 + 1e-9 * abs(plan.kpi("npv_usd")):
        out.append("NPV KPI differs from the sum of discounted costs")
    bought = (
        plan.pools.assign(usd=plan.pools.bought_nodes * plan.pools.tier.map(sc.gpu_tiers.price_usd))
        .groupby("year")
        .usd.sum()
    )
    compute = costs[costs.category == "compute"].set_index("year").usd
    for y in sc.years:
        if abs(bought.get(y, 0.0) - compute.get(y, 0.0)) > 1.0:
            out.append(f"{y}: compute capex {compute.get(y, 0):,.0f} vs nodes bought {bought.get(y, 0):,.0f}")
    energy = costs[costs.category == "energy"].set_index("year").usd
    for y in sc.years:
        rows = plan.sites[plan.sites.year == y]
        price = sc.sites.loc[rows.site, "electricity_usd_per_kwh"].to_numpy() * (
            1 + policy["electricity_escalation"]
        ) ** (y - first)
        expected = (
            (rows.it_kw.to_numpy() * rows.pue.to_numpy() * price).sum()
            * policy["average_load"]
            * demand.HOURS_PER_YEAR
        )
        if abs(expected - energy.get(y, 0.0)) > 1.0 + 1e-6 * expected:
            out.append(f"{y}: energy {energy.get(y, 0):,.0f} vs recomputed {expected:,.0f}")
    capex = costs[costs.kind == "capex"]
    if policy.get("capex_budget_usd") and _over(capex.usd.sum(), policy["capex_budget_usd"]):
        out.append(f"capex {capex.usd.sum():,.0f} over budget {policy['capex_budget_usd']:,.0f}")
    if policy.get("capex_budget_per_year_usd"):
        for y, usd in capex.groupby("year").usd.sum().items():
            if _over(usd, policy["capex_budget_per_year_usd"]):
                out.append(f"{y}: capex {usd:,.0f} over the yearly budget")
    if (costs.usd < -1.0).any():
        out.append("negative cost rows")
    return out


CHECKS = (
    racks_within_limits,
    site_power,
    demand_met,
    pools_hold_runs,
    compliance,
    storage_holds_data,
    fabric_sized,
    costs_add_up,
)
