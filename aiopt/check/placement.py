"""Placement checks: nodes fit their racks, sites their power (with expansion blocks after
their lead time) and their cooling, counted by the nodes placed."""

from __future__ import annotations

from collections import defaultdict

from . import physics
from .base import num, over

GEAR = "(gear)"  # tier and group of the racks holding switches, storage and service gear


def racks_within_limits(plan) -> list[str]:
    """A compute rack row holds at most racks × nodes-per-rack nodes of a tier its cooling suits,
    within its kW and U; gear racks within theirs; positions used within those available; every
    installed node placed."""
    sc, out = plan.scenario, []
    for row in plan.racks.itertuples():
        where = f"{row.site}/{row.rack_type}/{row.tier}/{row.group}/{row.year}"
        rack = sc.rack_types.loc[row.rack_type]
        if row.tier == GEAR:
            kw, ru = row.kw_used, row.ru_used
        else:
            tier = sc.gpu_tiers.loc[row.tier]
            kw, ru = row.nodes * tier.node_kw, row.nodes * tier.rack_units
            fit = physics.nodes_per_rack(tier, rack)
            if row.nodes > row.racks * fit:
                out.append(f"{where}: {row.nodes} nodes in {row.racks} racks that hold {fit} each")
        if over(kw, row.racks * rack.usable_kw) or over(ru, row.racks * rack.rack_units):
            out.append(
                f"{where}: {num(kw)} kW and {num(ru)} U in {row.racks} racks of "
                f"{num(rack.usable_kw)} kW, {rack.rack_units} U"
            )
    available = sc.site_racks.set_index(["site", "rack_type"]).racks
    for (s, r, y), n in plan.racks.groupby(["site", "rack_type", "year"]).racks.sum().items():
        if n > available.get((s, r), 0):
            out.append(f"{s}/{r}/{y}: {n} racks used, {available.get((s, r), 0)} positions")
    placed = plan.racks[plan.racks.tier != GEAR].groupby(["group", "tier", "site", "year"]).nodes.sum()
    for row in plan.pools.itertuples():
        key = (row.group, row.tier, row.site, row.year)
        if placed.get(key, 0) != row.installed_nodes:
            out.append(
                f"pool {'/'.join(map(str, key))}: {row.installed_nodes} nodes, "
                f"racks hold {placed.get(key, 0)}"
            )
    return out


def site_power(plan) -> list[str]:
    """IT load × PUE within the site's power plus the expansion blocks ordered at least the lead
    time before (no more than the site's maximum); IT load covers the nodes, switches and
    storage units it powers."""
    sc, out = plan.scenario, []
    draw = _gear_kw(plan)
    for row in plan.pools.itertuples():
        draw[row.site, row.year] += row.installed_nodes * sc.gpu_tiers.at[row.tier, "node_kw"]
    for s, rows in plan.sites.groupby("site"):
        site = sc.sites.loc[s]
        ordered = dict(zip(rows.year, rows.expansion_blocks_ordered, strict=True))
        if sum(ordered.values()) > site.expansion_max_blocks:
            out.append(f"{s}: {sum(ordered.values())} expansion blocks, at most {site.expansion_max_blocks}")
        for row in rows.itertuples():
            online = sum(n for o, n in ordered.items() if o <= row.year - site.expansion_lead_years)
            facility = 1000.0 * (site.power_mw + online * site.expansion_block_mw)
            usable = sc.policy["max_power_utilisation"] * facility
            if over(row.it_kw * site.pue, usable):
                out.append(
                    f"{s}/{row.year}: {num(row.it_kw)} kW IT × PUE {site.pue} > {num(usable)} kW, "
                    f"{sc.policy['max_power_utilisation']:g} of {num(facility)} kW "
                    f"({online} expansion blocks online)"
                )
            if over(draw[s, row.year], row.it_kw):
                out.append(
                    f"{s}/{row.year}: nodes, switches and storage draw {num(draw[s, row.year])} kW "
                    f"> IT load {num(row.it_kw)} kW"
                )
    return out


def _gear_kw(plan) -> defaultdict:
    """kW of the switches and storage units per (site, year), from the fabric and storage rows."""
    sc, kw = plan.scenario, defaultdict(float)
    for row in plan.fabric.itertuples():
        kw[row.site, row.year] += row.switches * sc.fabrics.at[row.fabric, "switch_kw"]
    for row in plan.storage.itertuples():
        kw[row.site, row.year] += row.units * sc.storage_tiers.at[row.storage_tier, "kw_per_unit"]
    return kw


def cooling(plan) -> list[str]:
    """Liquid racks' nodes within the site's liquid cooling; air and rear-door racks' nodes plus
    all gear within its air cooling, counting the kW of the nodes placed (not full racks)."""
    sc, out = plan.scenario, []
    load = defaultdict(float)
    for row in plan.racks[plan.racks.tier != GEAR].itertuples():
        kind = "liquid" if sc.rack_types.at[row.rack_type, "cooling"] == "liquid" else "air"
        load[row.site, row.year, kind] += row.nodes * sc.gpu_tiers.at[row.tier, "node_kw"]
    for row in plan.sites.itertuples():
        load[row.site, row.year, "air"] += row.gear_kw
    for (s, y, kind), kw in load.items():
        limit = sc.sites.at[s, f"{kind}_cooling_mw"]
        if physics.is_set(limit) and over(kw, 1000.0 * limit):
            out.append(f"{s}/{y}: {num(kw)} kW on {kind} cooling of {num(1000.0 * limit)} kW")
    return out


def opening_years(plan) -> dict:
    """{site: the first year it holds nodes or data}; a site stays open from then on."""
    opened = {}
    for table in (plan.pools[plan.pools.installed_nodes > 0], plan.data):
        for s, y in table.groupby("site").year.min().items():
            opened[s] = min(y, opened.get(s, y))
    return opened


def nothing_before_opening(plan) -> list[str]:
    """A site opens in the first year it holds nodes or data; before that it has no switches
    and no second carrier (site-level gear is bought and powered from the opening year)."""
    out = []
    opened = opening_years(plan)
    for row in plan.fabric[plan.fabric.switches > 0].itertuples():
        if row.year < opened.get(row.site, row.year + 1):
            out.append(f"{row.site}/{row.year}: {row.switches} {row.fabric} switches before the site opens")
    for row in plan.sites[plan.sites.second_carrier.astype(bool)].itertuples():
        if row.year < opened.get(row.site, row.year + 1):
            out.append(f"{row.site}/{row.year}: a second carrier before the site opens")
    return out
