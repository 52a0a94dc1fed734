"""The one-tier guess of the staged solve: every workload on one GPU tier, where the sites have room.

A first plan for models too large for their LP in time holds each workload to one tier
(`solve._one_tier_plan`). The cheapest tier of every workload alone can ask more of one tier's
sites than their racks and power hold (the 5-site benchmark put all eleven services and five
training runs on MI355X, and that restricted model had no plan), so workloads are placed one by
one, largest first, each on its cheapest tier whose sites still have room for its peak nodes.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from ..model.data import ANY_FABRIC

# a guess fills a site's racks and power to this share: the rest is for spares, storage and fabric
ROOM_SHARE = 0.8


def tier_of_workloads(model: pyo.ConcreteModel) -> dict[str, str]:
    """{workload: tier} for every workload with runs. Each workload's candidate tiers are those
    that serve every year it has demand in (and, for training, have a site whose racks hold the
    run's least size, `model.compute.least_nodes`, each of those years), by the price of the nodes
    for its peak demand (`peak_nodes`). Workloads whose cheapest candidate costs most go first;
    each takes its cheapest candidate whose sites have room (`_place`), else its cheapest."""
    d = model.data
    candidates = _candidates(model)
    room = _site_room(model)
    order = sorted(candidates, key=lambda w: -_price(model, w, candidates[w][0]))
    return {
        w: next((t for t in candidates[w] if _place(d, room, w, t, peak_nodes(d, w, t))), candidates[w][0])
        for w in order
    }


def peak_nodes(d, w: str, t: str) -> float:
    """Nodes workload w needs on tier t at its peak, spares included: D / max_f perf[w,t,f], a
    training run's in whole nodes and at least its memory nodes."""
    perf = max(d.perf.get((w, t, f), 0.0) for f in (*d.fabrics, ANY_FABRIC))
    nodes = max(d.demand[w, y] for y in d.active_years[w]) / max(perf, 1e-12)
    if d.kind[w] != "inference":
        nodes = max(math.ceil(nodes), d.memory_nodes[w, t])
    return nodes * (1 + d.scenario.workloads.at[w, "spare_fraction"])


def _price(model: pyo.ConcreteModel, w: str, t: str) -> float:
    return pyo.value(model.node_price[t, model.data.first_year]) * peak_nodes(model.data, w, t)


def _candidates(model: pyo.ConcreteModel) -> dict[str, list[str]]:
    """{workload: its candidate tiers, cheapest first} (`tier_of_workloads`): on sale within a
    node's life of every year it has demand in."""
    d = model.data
    life = d.scenario.policy["hardware_lifetime_years"]
    sold = {(t, s, y) for (_, t, s, y) in d.buy_index}
    years: dict = {}  # the years a workload's runs on a tier can have nodes bought within their life
    for w, t, s, _, y in d.run_index:
        if any((t, s, o) in sold for o in d.years if 0 <= y - o < life):
            years.setdefault((w, t), set()).add(y)
    held: dict = {}  # training: the years some site's racks hold the run's least size
    for w, t, s, y in model.PICK:
        if pyo.value(model.least_nodes[w, t, s, y]) <= d.max_nodes[t, s]:
            held.setdefault((w, t), set()).add(y)
    tiers_of: dict = {}
    for w, t in years:
        tiers_of.setdefault(w, []).append(t)
    chosen = {}
    for w, tiers in tiers_of.items():
        needed = {y for y in d.active_years[w] if d.demand[w, y] > 0}
        fits = held if d.kind[w] != "inference" else years
        able = [t for t in tiers if needed <= years[w, t] and needed <= fits.get((w, t), set())] or tiers
        chosen[w] = sorted(able, key=lambda t, w=w: _price(model, w, t))
    return chosen


def _site_room(model: pyo.ConcreteModel) -> dict[str, list[float]]:
    """{site: [share of its rack positions free, IT kW free]} at `ROOM_SHARE`: facility power with
    every expansion block, under the policy's headroom, over the PUE."""
    sites, headroom = model.data.scenario.sites, model.data.scenario.policy["max_power_utilisation"]
    room = {}
    for s in model.data.sites:
        blocks = sites.at[s, "expansion_block_mw"] * sites.at[s, "expansion_max_blocks"]
        mw = pyo.value(model.power_mw[s]) + (blocks if blocks > 0 else 0.0)
        room[s] = [ROOM_SHARE, ROOM_SHARE * 1000 * headroom * mw / sites.at[s, "pue"]]
    return room


def _place(d, room: dict, w: str, t: str, nodes: float) -> bool:
    """Take room for `nodes` of tier t for workload w at its sites and return True, or False (no
    room taken) when they do not fit: a training run at one site, serving spread over several."""
    kw = d.scenario.gpu_tiers.at[t, "node_kw"]
    sites = [s for (v, u, s) in d.wts if (v, u) == (w, t) and d.max_nodes.get((t, s), 0) > 0]
    free = {s: max(min(room[s][0] * d.max_nodes[t, s], room[s][1] / kw), 0.0) for s in sites}
    if not free:
        return False
    if d.kind[w] != "inference":
        sites = [max(free, key=free.get)]
    if sum(free[s] for s in sites) < nodes:
        return False
    for s in sorted(sites, key=free.get, reverse=True):
        taken = min(free[s], nodes)
        room[s][0] -= taken / d.max_nodes[t, s]
        room[s][1] -= taken * kw
        nodes -= taken
    return True
