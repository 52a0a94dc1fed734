"""Fabric checks by port arithmetic: the fat tree each year's rows describe can carry the
endpoints of the scalable units (SUs) built, a one-switch fabric has no spines, the training jobs
that span nodes have their ports in SUs or a switch of their node group's own on a fabric their
tier supports, and fabric ports installed cover them."""

from __future__ import annotations

from collections import defaultdict

from ..results import parse_group_units
from . import physics
from .base import bought_within_life, num, over


def fabric_sized(plan) -> list[str]:
    """With radix k and h = k/2, for each fabric row (site, fabric, year) with SUs:

    leaves × h ≥ endpoints (SUs × nodes per SU × rails; one leaf alone may use all k ports),
    spine ports ≥ leaf uplinks (2 tiers: spines × k ≥ leaves × h; 3 tiers: spines × h ≥ leaves × h
    and cores × k ≥ spines × h), at least two spines, and two cores where there is a core;
    inter-switch links (links − NIC ports) cover every uplink; switches = leaves + spines + cores.
    Node groups on a switch of their own (`single_switches`): no SUs, spines or cores that year,
    one leaf each.
    """
    sc, out = plan.scenario, []
    for row in plan.fabric.itertuples():
        fab = sc.fabrics.loc[row.fabric]
        k, h = int(fab.radix), int(fab.radix) // 2
        endpoints = row.scalable_units * int(fab.nodes_per_su) * int(fab.rails)
        where = f"{row.site}/{row.fabric}/{row.year}"
        problems = []
        if row.scalable_units and row.spine == 0 and not (row.leaf == 1 and k >= endpoints):
            problems.append(f"{row.leaf} leaves and no spine for {endpoints} endpoints")
        if row.spine and row.leaf * h < endpoints:
            problems.append(f"{row.leaf} leaves × {h} down-ports < {endpoints} endpoints")
        uplinks = row.leaf * h if row.spine else 0
        spine_down = row.spine * (h if row.core else k)
        if spine_down < uplinks:
            problems.append(f"{row.spine} spines take {spine_down} of {uplinks} leaf uplinks")
        core_uplinks = row.spine * h if row.core else 0
        if row.core * k < core_uplinks:
            problems.append(f"{row.core} cores take {row.core * k} of {core_uplinks} spine uplinks")
        if row.scalable_units and row.spine < 2:
            problems.append(f"{row.spine} spine(s), two needed for redundant uplinks")
        if row.core == 1:
            problems.append("one core switch, two needed")
        singles = sum(parse_group_units(row.single_switches).values())
        if singles and (row.scalable_units or row.spine or row.core or row.leaf != singles):
            problems.append(
                f"{singles} single switches beside {row.scalable_units} SUs, {row.leaf} leaves, "
                f"{row.spine} spines, {row.core} cores"
            )
        if row.links - row.nics - row.onchip_ports < uplinks + core_uplinks:
            inter = row.links - row.nics - row.onchip_ports
            problems.append(f"{inter} inter-switch links for {uplinks + core_uplinks} uplinks")
        if row.switches != row.leaf + row.spine + row.core:
            problems.append(f"{row.switches} switches ≠ {row.leaf} + {row.spine} + {row.core}")
        out += [f"{where}: {p}" for p in problems]
    return out


def fabric_serves_nodes(plan) -> list[str]:
    """Each training job that spans nodes (more GPUs than one node or NVLink domain holds) has its
    nodes' ports in its node group's own SUs or switch at its site (so an isolated workload shares
    no leaf), one switch taking at most radix ports, on the site's one fabric, which its tier
    supports; the groups' SUs add up to the row's; fabric ports installed cover each group's
    largest such job, NIC ports those of tiers without NICs on chip, and were bought within the
    hardware lifetime (a port retires with the node it was bought for)."""
    sc, out = plan.scenario, []
    life = int(sc.policy["hardware_lifetime_years"])
    bought = plan.fabric.groupby(["site", "fabric", "year"])[["nics_bought", "onchip_bought"]].sum()
    nics_bought, onchip_bought = bought.nics_bought.to_dict(), bought.onchip_bought.to_dict()
    rows_at = {(r.site, r.year): r for r in plan.fabric.itertuples()}
    fabrics = plan.fabric.groupby(["site", "year"]).fabric.nunique()
    ports, nic_ports = defaultdict(int), defaultdict(int)
    training = plan.nodes[plan.nodes.job_nodes.notna()]
    for (w, y), runs in training.groupby(["workload", "year"]):
        tier = sc.gpu_tiers.loc[runs.tier.iloc[0]]
        job_nodes = runs.job_nodes.iloc[0]
        if not over(job_nodes * tier.gpus_per_node, max(tier.gpus_per_node, physics.scale_up_gpus(tier))):
            continue
        s, g, f = runs.site.iloc[0], runs.group.iloc[0], runs.fabric.iloc[0]
        need = job_nodes * physics.ports_per_node(tier)
        ports[g, s, y] = max(ports[g, s, y], need)
        if not tier.integrated_nics:
            nic_ports[g, s, y] = max(nic_ports[g, s, y], need)
        if tier.fabrics and f not in tier.fabrics:
            out.append(f"{w}/{y}: spans nodes of {runs.tier.iloc[0]} on {f}, which it does not support")
        if (s, y) not in rows_at or fabrics.get((s, y), 0) != 1 or rows_at[s, y].fabric != f:
            out.append(
                f"{w}/{y}: spans nodes on {f} at {s}, whose compute fabrics are {_fabrics_at(plan, s, y)}"
            )
    for row in plan.fabric.itertuples():
        fab = sc.fabrics.loc[row.fabric]
        per_su = int(fab.nodes_per_su) * int(fab.rails)
        groups = parse_group_units(row.group_units)
        singles = parse_group_units(row.single_switches)
        where = f"{row.site}/{row.fabric}/{row.year}"
        if sum(groups.values()) != row.scalable_units:
            out.append(f"{where}: groups' SUs {row.group_units!r} do not add up to {row.scalable_units}")
        if row.scalable_units > row.design_units:
            out.append(f"{where}: {row.scalable_units} SUs in a {row.design_units}-SU design")
        at = [(g, n) for (g, s, y), n in ports.items() if (s, y) == (row.site, row.year)]
        for g, n in at:
            capacity = groups.get(g, 0) * per_su + singles.get(g, 0) * int(fab.radix)
            if over(n, capacity):
                out.append(
                    f"{where}: group {g}'s job takes {num(n)} ports, its own SUs and switch serve {capacity}"
                )
        nics_alive = bought_within_life(nics_bought, (row.site, row.fabric), row.year, life)
        onchip_alive = bought_within_life(onchip_bought, (row.site, row.fabric), row.year, life)
        if row.nics > nics_alive or row.onchip_ports > onchip_alive:
            out.append(
                f"{where}: {row.nics} NIC and {row.onchip_ports} on-chip ports installed, "
                f"{num(nics_alive)} and {num(onchip_alive)} bought within the {life}-year life"
            )
        nics = sum(m for (g, s, y), m in nic_ports.items() if (s, y) == (row.site, row.year))
        if over(nics, row.nics) or over(sum(n for _, n in at), row.nics + row.onchip_ports):
            out.append(
                f"{where}: {row.nics} NIC and {row.onchip_ports} on-chip ports for jobs of "
                f"{sum(n for _, n in at)} ports ({nics} with NICs to buy)"
            )
    return out


def _fabrics_at(plan, site: str, year: int) -> str:
    rows = plan.fabric[(plan.fabric.site == site) & (plan.fabric.year == year)]
    return ", ".join(rows.fabric) or "none"
