"""Fabric checks by port arithmetic: the fat tree each year's rows describe can carry the
endpoints of the scalable units (SUs) built, node groups fill SUs of their own, and NICs
cover the nodes."""

from __future__ import annotations

from collections import defaultdict

from ..results import parse_group_units
from . import physics


def fabric_sized(plan) -> list[str]:
    """With radix k and h = k/2, for each fabric row (site, fabric, year) with SUs:

    leaves × h ≥ endpoints (SUs × nodes per SU × rails; one leaf alone may use all k ports),
    spine ports ≥ leaf uplinks (2 tiers: spines × k ≥ leaves × h; 3 tiers: spines × h ≥ leaves × h
    and cores × k ≥ spines × h), at least two spines, and two cores where there is a core;
    inter-switch links (links − NIC ports) cover every uplink; switches = leaves + spines + cores.
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
        if row.links - row.nics < uplinks + core_uplinks:
            problems.append(f"{row.links - row.nics} inter-switch links for {uplinks + core_uplinks} uplinks")
        if row.switches != row.leaf + row.spine + row.core:
            problems.append(f"{row.switches} switches ≠ {row.leaf} + {row.spine} + {row.core}")
        out += [f"{where}: {p}" for p in problems]
    return out


def fabric_serves_nodes(plan) -> list[str]:
    """Each node group's installed ports fit in its own SUs at its site (so an isolated
    workload shares no leaf); the groups' SUs add up to the row's; NICs cover the installed
    ports; a site with nodes has one fabric."""
    sc, out = plan.scenario, []
    ports = defaultdict(int)
    for row in plan.pools.itertuples():
        ports[row.group, row.site, row.year] += row.installed_nodes * physics.ports_per_node(
            sc.gpu_tiers.loc[row.tier]
        )
    site_ports = defaultdict(int)
    for (_, s, y), n in ports.items():
        site_ports[s, y] += n
    units_of = defaultdict(int)
    for row in plan.fabric.itertuples():
        fab = sc.fabrics.loc[row.fabric]
        per_su = int(fab.nodes_per_su) * int(fab.rails)
        groups = parse_group_units(row.group_units)
        where = f"{row.site}/{row.fabric}/{row.year}"
        if sum(groups.values()) != row.scalable_units:
            out.append(f"{where}: groups' SUs {row.group_units!r} do not add up to {row.scalable_units}")
        if hasattr(row, "design_units") and row.scalable_units > row.design_units:
            out.append(f"{where}: {row.scalable_units} SUs in a {row.design_units}-SU design")
        if row.nics < site_ports[row.site, row.year]:
            out.append(f"{where}: {row.nics} NIC ports for {site_ports[row.site, row.year]} node ports")
        for g, n in groups.items():
            units_of[g, row.site, row.year] += n * per_su
    fabrics = plan.fabric.groupby(["site", "year"]).fabric.nunique()
    for (g, s, y), n in ports.items():
        if n > units_of[g, s, y]:
            out.append(f"group {g} at {s}/{y}: {n} node ports, its own SUs serve {units_of[g, s, y]}")
    for (s, y), n in site_ports.items():
        if n and fabrics.get((s, y), 0) != 1:
            out.append(f"{s}/{y}: {n} node ports on {fabrics.get((s, y), 0)} compute fabrics")
    return out
