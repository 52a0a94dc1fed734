"""Software-stack checks: workloads run only on tiers of their stacks; every stack a plan's
installed nodes run on is listed and paid for, once when adopted and every year after."""

from __future__ import annotations

from .base import differ, over


def stacks_paid(plan) -> list[str]:
    """From the pools' installed nodes and the rented GPUs: the stacks held in year y are those of
    every tier with nodes installed or GPUs rented in y or before (a stack once adopted is kept).
    Each is listed in `stacks`; one-time costs paid so far (capex `stacks`) are at least those of
    the stacks held so far, annual costs (opex `stacks`) at least those of the stacks held that
    year; both add up to the `stacks` table. A workload runs only on tiers of the stacks it lists."""
    sc, out = plan.scenario, []
    tiers, catalog, pools = sc.gpu_tiers, sc.software_stacks, plan.pools
    stacks_of = sc.workloads.stacks
    for r in plan.nodes.itertuples():
        if stacks_of[r.workload] and tiers.at[r.tier, "stack"] not in stacks_of[r.workload]:
            out.append(f"{r.workload}/{r.tier}/{r.site}/{r.year}: tier's stack is not one of its stacks")
    listed = set(zip(plan.stacks["stack"], plan.stacks.year, strict=True))
    costs = plan.costs[plan.costs.category == "stacks"].groupby(["kind", "year"]).usd.sum()
    table = plan.stacks.groupby("year")[["one_time_usd", "annual_usd"]].sum()
    held: set[str] = set()
    paid = 0.0
    for y in sc.years:
        installed = pools[(pools.year == y) & (pools.installed_nodes > 0)].tier
        rented = plan.rent[(plan.rent.year == y) & (plan.rent.gpus > 0)].tier if len(plan.rent) else []
        held |= {
            k
            for k in (*installed.map(tiers["stack"]), *map(tiers["stack"].get, rented))
            if isinstance(k, str)
        }
        out += [
            f"{k}/{y}: nodes of its tiers installed, stack not listed"
            for k in sorted(held)
            if (k, y) not in listed
        ]
        paid += costs.get(("capex", y), 0.0)
        owed = sum(catalog.at[k, "one_time_usd"] for k in held)
        annual = sum(catalog.at[k, "annual_usd"] for k in held)
        if over(owed, paid):
            out.append(f"{y}: one-time stack costs paid so far {paid:,.2f} USD, owed {owed:,.2f}")
        if over(annual, costs.get(("opex", y), 0.0)):
            out.append(f"{y}: annual stack costs {costs.get(('opex', y), 0.0):,.2f} USD, owed {annual:,.2f}")
        for kind, column in (("capex", "one_time_usd"), ("opex", "annual_usd")):
            listed_usd = table[column].get(y, 0.0)
            if differ(costs.get((kind, y), 0.0), listed_usd, usd=True):
                out.append(
                    f"{y}: {kind} stacks {costs.get((kind, y), 0.0):,.2f} USD, table lists {listed_usd:,.2f}"
                )
    return out
