"""Catalog rows that are copies of earlier ones: the model holds a copy as the row it equals, so
identical items add no mirrored plans (issue 10's symmetry)."""

from __future__ import annotations

import pandas as pd

from ..scenario import Scenario


def same_rack_types(sc: Scenario) -> dict[str, str]:
    """{rack type: the first-listed type it equals} (`copies`). Such types hold the same nodes and
    gear at the same price, so the model holds a site's positions of both as one type's (the
    first's; without this every plan had mirrors with racks swapped between them: the baseline with
    air-40 listed twice took 5.26 s against 3.84 s) and the plan gives each its racks back
    (`results.spread_over_same_types`)."""
    return copies(sc.rack_types)


def rack_positions(sc: Scenario) -> dict[tuple[str, str], int]:
    """{(site, rack type): positions} with a copied type's positions summed into the first-listed
    type's (`same_rack_types`), sites' empty entries left out."""
    same, positions = same_rack_types(sc), {}
    for row in sc.site_racks.itertuples():
        if row.racks > 0:
            key = (row.site, same.get(row.rack_type, row.rack_type))
            positions[key] = positions.get(key, 0) + int(row.racks)
    return positions


def same_tiers(sc: Scenario) -> dict[str, str]:
    """{GPU tier: the first-listed tier it equals} (`copies`) for the copies that no workload's
    `tiers` and no cloud offer names. The model leaves such a copy out and its plan buys none: a plan
    with nodes of both holds them as the first's, one pool whose jobs share its nodes or hold their
    own (`compute._shared_pools`), at no more cost, so the optimum is the same (without this every
    plan had mirrors with pools swapped between them: the baseline with b200 listed twice took
    1.14-1.19x its time)."""
    named = {t for tiers in sc.workloads.tiers for t in tiers} | set(sc.cloud_offers.tier)
    return {t: first for t, first in copies(sc.gpu_tiers).items() if t not in named}


def copies(table: pd.DataFrame) -> dict[str, str]:
    """{id: the first-listed id} for each catalog row equal to an earlier one but for id, name and
    source (empty cells equal, lists by their items)."""
    first_with: dict = {}
    same = {}
    for i, row in table.drop(columns=["name", "source"]).iterrows():
        key = tuple(tuple(v) if isinstance(v, list | tuple) else None if pd.isna(v) else v for v in row)
        if key in first_with:
            same[i] = first_with[key]
        first_with.setdefault(key, i)
    return same
