"""Money checks: capex and opex per category and year recomputed from the plan's quantities
and the catalog's prices; the residual value of the hardware; discounting (costs at the start
of each year, the residual value at the end of the last), NPV and budgets."""

from __future__ import annotations

from collections import defaultdict

from . import physics
from .base import differ, over
from .placement import opening_years

# Categories whose every purchase shows in the plan's tables. The others also pay for decisions
# the tables do not show (rack positions fitted ahead of use, NIC ports beyond the nodes bought),
# so a plan that is valid but not optimal may pay more: they are checked as "at least".
EXACT = (
    "compute",
    "storage",
    "facility",
    "energy",
    "colocation",
    "support",
    "carriers",
    "building",
    "facility_om",
)


def capex_recomputed(plan) -> list[str]:
    """Capex per category and year, USD: nodes bought × price; switches added × switch price,
    inter-switch links added × link price and node ports bought × (NIC + link) price; storage
    units added × unit TB × USD/TB; rack positions newly used × fit-out price; service items
    added × price; expansion blocks ordered × block cost. Categories not in EXACT: by every
    year the plan has paid at least the recomputed capex so far."""
    return _compare(plan, "capex", _capex(plan), cumulative=True)


def opex_recomputed(plan) -> list[str]:
    """Opex per category and year, USD: energy IT kW × PUE × load × 8760 h × price (escalated);
    colocation max(committed kW, IT kW) × 12 × fee (escalated) plus the liquid premium on the kW
    of nodes in liquid racks; an owned building's annuity and facility O&M while it is open;
    support % × installed nodes (at the year's node price), switches and storage units; licences
    per service item (at least: rack positions may be fitted ahead); second carriers."""
    return _compare(plan, "opex", _opex(plan), cumulative=False)


def residual_value(plan) -> list[str]:
    """The residual row, credited in the year after the last (its end), is minus the book value
    of the plan's own hardware capex: Σ capex(c, y) × max(0, 1 − (y_N + 1 − y) / life) over
    compute, fabric, storage and racks, straight line over the hardware lifetime."""
    sc, costs = plan.scenario, plan.costs
    end, life = sc.years[-1] + 1, sc.policy["hardware_lifetime_years"]
    hardware = costs[(costs.kind == "capex") & costs.category.isin(["compute", "fabric", "storage", "racks"])]
    book = sum(row.usd * max(0.0, 1 - (end - row.year) / life) for row in hardware.itertuples())
    credited = costs[costs.kind == "residual"]
    if list(credited.year) != [end] or differ(-credited.usd.sum(), book, usd=True):
        have = f"{-credited.usd.sum():,.2f} USD in {list(credited.year)}"
        return [f"residual value {have}, expected {book:,.2f} in {end}"]
    return []


def npv_and_budget(plan) -> list[str]:
    """Each cost is discounted as paid at the start of its year, (1 + r)^−(y − y0) (the
    residual value's year is the one after the last); NPV is their sum; capex within the total
    and yearly budgets; no negative cost but the residual value."""
    sc, out, costs = plan.scenario, [], plan.costs
    rate, first = sc.policy["discount_rate"], sc.years[0]
    for row in costs.itertuples():
        expected = row.usd * (1 + rate) ** -(row.year - first)
        if differ(row.discounted_usd, expected, usd=True):
            out.append(
                f"{row.category}/{row.year}: discounted {row.discounted_usd:,.2f} USD, "
                f"expected {expected:,.2f}"
            )
        if row.usd < -1.0 and row.kind != "residual":
            out.append(f"{row.category}/{row.year}: negative cost {row.usd:,.2f} USD")
    if differ(plan.kpi("npv_usd"), costs.discounted_usd.sum(), usd=True):
        out.append(
            f"NPV {plan.kpi('npv_usd'):,.2f} USD, "
            f"discounted costs add up to {costs.discounted_usd.sum():,.2f}"
        )
    capex = costs[costs.kind == "capex"].groupby("year").usd.sum()
    total, yearly = sc.policy.get("capex_budget_usd"), sc.policy.get("capex_budget_per_year_usd")
    if total and over(capex.sum(), total):
        out.append(f"capex {capex.sum():,.0f} USD over the budget of {total:,.0f}")
    for y, usd in capex.items():
        if yearly and over(usd, yearly):
            out.append(f"{y}: capex {usd:,.0f} USD over the yearly budget of {yearly:,.0f}")
    return out


def _compare(plan, kind: str, expected: dict, cumulative: bool) -> list[str]:
    """Plan cost vs recomputed cost per (category, year): equal for EXACT categories, else at
    least the recomputed (summed over the years so far when `cumulative`)."""
    costs = plan.costs[plan.costs.kind == kind].groupby(["category", "year"]).usd.sum()
    out, paid, owed = [], defaultdict(float), defaultdict(float)
    for c, y in sorted(set(costs.index) | set(expected)):
        have, need = costs.get((c, y), 0.0), expected.get((c, y), 0.0)
        if c in EXACT:
            wrong = differ(have, need, usd=True)
        else:
            paid[c] = paid[c] * cumulative + have
            owed[c] = owed[c] * cumulative + need
            wrong = differ(min(paid[c], owed[c]), owed[c], usd=True)
        if wrong:
            out.append(f"{c}/{y}: plan says {have:,.2f} USD, recomputed {need:,.2f}")
    return out


def _added(held: dict, years: list[int]) -> dict:
    """What is added each year to a quantity that only grows, {(..., year): amount}: the increase
    of its running maximum (the first year's is the whole)."""
    by_key = defaultdict(dict)
    for (*key, y), n in held.items():
        by_key[tuple(key)][y] = by_key[tuple(key)].get(y, 0) + n
    added = {}
    for key, series in by_key.items():
        most = 0
        for y in years:
            added[(*key, y)] = max(series.get(y, 0) - most, 0)
            most = max(most, series.get(y, 0))
    return added


def _sums(rows, key, value) -> dict:
    """{key(row): Σ value(row)} over `rows` (itertuples)."""
    out: dict = defaultdict(float)
    for row in rows:
        out[key(row)] += value(row)
    return out


def _capex(plan) -> dict:
    sc = plan.scenario
    fabrics, st, racks = sc.fabrics, sc.storage_tiers, sc.rack_types
    years, usd = sc.years, defaultdict(float)
    for row in plan.pools.itertuples():
        usd["compute", row.year] += row.bought_nodes * node_price(sc, row.tier, row.year)
    fab = list(plan.fabric.itertuples())

    def added(count):
        return _added(_sums(fab, lambda r: (r.site, r.fabric, r.year), count), years).items()

    for (_, f, y), n in added(lambda r: r.switches):
        usd["fabric", y] += n * fabrics.at[f, "switch_price_usd"]
    for (_, f, y), n in added(lambda r: r.links - r.nics - r.onchip_ports):  # between switches
        usd["fabric", y] += n * fabrics.at[f, "link_price_usd"]
    for row in fab:  # node ports retire with their nodes, so each year's purchases are in the table
        nic, link = fabrics.at[row.fabric, "nic_price_usd"], fabrics.at[row.fabric, "link_price_usd"]
        usd["fabric", row.year] += row.nics_bought * (nic + link) + row.onchip_bought * link
    units = _sums(plan.storage.itertuples(), lambda r: (r.site, r.storage_tier, r.year), lambda r: r.units)
    for (_, k, y), n in _added(units, years).items():
        usd["storage", y] += n * st.at[k, "unit_tb"] * st.at[k, "usd_per_tb"]
    for (_, r, y), n in _added(_racks_used(plan), years).items():
        usd["racks", y] += n * racks.at[r, "price_usd"]
    for row in plan.sites.itertuples():
        usd["facility", row.year] += (
            row.expansion_blocks_ordered * sc.sites.at[row.site, "expansion_cost_usd"]
        )
    for svc in sc.services.itertuples():
        for (_, y), n in _service_items(plan, svc, bought=True).items():
            usd[svc.layer, y] += n * svc.price_usd
    return usd


def node_price(sc, tier: str, year: int) -> float:
    """USD of a node of `tier` bought in `year`: price × (1 − decline)^(year − first year)."""
    row = sc.gpu_tiers.loc[tier]
    return row.price_usd * (1 - row.price_decline_per_year) ** (year - sc.years[0])


def _racks_used(plan) -> dict:
    """{(site, rack type, year): racks used}, compute and gear."""
    return _sums(plan.racks.itertuples(), lambda r: (r.site, r.rack_type, r.year), lambda r: r.racks)


def _service_items(plan, svc, bought: bool) -> dict:
    """Items of a service per (site, year), held or bought that year: `per_basis` per site from the
    first year it has serving nodes (serving_site), per open site (kind "any") or per site with an
    SU design of a fabric of the service's kind (a one-switch fabric runs its subnet manager on the
    switch), per rack position fitted (the most racks used so far), per node or per GPU of its
    stack's tiers (bought: per node or GPU bought)."""
    sc, years = plan.scenario, plan.scenario.years
    if svc.basis in ("node", "gpu"):
        per_node = (
            (lambda r: 1) if svc.basis == "node" else (lambda r: sc.gpu_tiers.at[r.tier, "gpus_per_node"])
        )
        count = (lambda r: r.bought_nodes) if bought else (lambda r: r.installed_nodes)
        return _sums(
            (
                r
                for r in plan.pools.itertuples()
                if not svc.stacks or sc.gpu_tiers.at[r.tier, "stack"] in svc.stacks
            ),
            lambda r: (r.site, r.year),
            lambda r: svc.per_basis * count(r) * per_node(r),
        )
    if svc.basis == "serving_site":
        kinds = plan.scenario.workloads.kind
        served = plan.nodes[(plan.nodes.workload.map(kinds) == "inference") & (plan.nodes.nodes > 0)]
        first = served.groupby("site").year.min().items()
        held = {(s, y): svc.per_basis for s, start in first for y in years if y >= start}
    elif svc.basis == "site" and svc.fabric_kind == "any":
        opened = opening_years(plan).items()
        held = {(s, y): svc.per_basis for s, first in opened for y in years if y >= first}
    elif svc.basis == "site":
        held = {
            (r.site, r.year): svc.per_basis
            for r in plan.fabric.itertuples()
            if r.built_units > 0 and sc.fabrics.at[r.fabric, "kind"] == svc.fabric_kind
        }
    else:
        fitted = {}
        for (s, r, y), n in _added(_racks_used(plan), years).items():
            fitted[s, r, y] = fitted.get((s, r, y - 1), 0) + n
        held = _sums(
            fitted.items(), lambda item: (item[0][0], item[0][2]), lambda item: svc.per_basis * item[1]
        )
    return _added(held, years) if bought else held


def _opex(plan) -> dict:
    sc = plan.scenario
    policy, sites, first = sc.policy, sc.sites, sc.years[0]
    usd: dict = defaultdict(float)
    liquid = _sums(
        (r for r in plan.racks.itertuples() if r.cooling == "liquid" and r.nodes > 0),
        lambda r: (r.site, r.year),
        lambda r: r.kw_used,
    )
    for row in plan.sites.itertuples():
        site = sites.loc[row.site]
        price = site.electricity_usd_per_kwh * (1 + policy["electricity_escalation"]) ** (row.year - first)
        usd["energy", row.year] += (
            row.it_kw * site.pue * policy["average_load"] * physics.HOURS_PER_YEAR * price
        )
        usd["colocation", row.year] += _colocation(plan, row, liquid.get((row.site, row.year), 0.0))
        if row.open:
            usd["building", row.year] += _building(sc, row.site)
            usd["facility_om", row.year] += site.power_mw * 1000 * site.facility_om_usd_per_kw_year
        if row.second_carrier:
            usd["carriers", row.year] += (2 - site.carriers) * site.second_carrier_usd_per_year
    share = lambda table, row_id: table.at[row_id, "support_pct"] / 100.0  # noqa: E731
    for row in plan.pools.itertuples():
        price = node_price(sc, row.tier, row.year)
        usd["support", row.year] += share(sc.gpu_tiers, row.tier) * price * row.installed_nodes
    for row in plan.fabric.itertuples():
        price = sc.fabrics.at[row.fabric, "switch_price_usd"]
        usd["support", row.year] += share(sc.fabrics, row.fabric) * price * row.switches
    st = sc.storage_tiers
    for row in plan.storage.itertuples():
        price = st.at[row.storage_tier, "unit_tb"] * st.at[row.storage_tier, "usd_per_tb"]
        usd["support", row.year] += share(st, row.storage_tier) * price * row.units
    for svc in sc.services.itertuples():
        for (_, y), n in _service_items(plan, svc, bought=False).items():
            usd["licences", y] += n * svc.annual_usd
    return usd


def _colocation(plan, row, liquid_kw: float) -> float:
    """USD of a site's colocation in a year: 12 × fee × (1 + e)^(y − y0) × (max(committed kW, IT
    kW) + premium × kW of nodes in liquid racks)."""
    site = plan.scenario.sites.loc[row.site]
    fee = site.colocation_usd_per_kw_month * (1 + site.colocation_escalation) ** (
        row.year - plan.scenario.years[0]
    )
    return 12 * fee * (max(site.committed_kw, row.it_kw) + site.liquid_premium * liquid_kw)


def _building(sc, s: str) -> float:
    """USD a year of an owned building: build cost × MW repaid over its life at the discount rate,
    c × MW × r / (1 − (1 + r)^−L) (c × MW / L at r = 0)."""
    site, rate = sc.sites.loc[s], sc.policy["discount_rate"]
    life, cost = site.building_life_years, site.build_usd_per_mw * site.power_mw
    return cost * rate / (1 - (1 + rate) ** -life) if rate > 0 else cost / life
