"""Family 8, budget and cost: capex and opex by category and year, NPV, budget caps."""

from __future__ import annotations

import pyomo.environ as pyo

from ..demand import HOURS_PER_YEAR
from ..schema import SERVICE_LAYERS
from .data import ModelData, group_by, previous
from .params import MUSD, param_values

RENT_OPEX = ("rent", "egress")  # rented GPU-hours and data moved to the cloud (family rent)
CAPEX = ("compute", "fabric", "storage", "racks", *SERVICE_LAYERS, "facility", "stacks")
OPEX = ("energy", "colocation", "support", "licences", "carriers", "stacks", "data_transfer", *RENT_OPEX)


def add_cost(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Cost per category and year in MUSD; the objective; budget caps.

    Capex is paid when bought: nodes, leaf switches as SUs are added, spines, core and
    inter-switch links as the fabric is built for more SUs, fabric ports as first needed (NIC and
    link; a link only for on-chip NICs), storage units, rack fit-out, service items (site services
    when the site opens), power blocks. Opex per year: energy
    :math:`kW^{IT} \cdot PUE \cdot load \cdot 8760 \cdot price`,
    colocation :math:`kW^{IT} \cdot 12 \cdot fee`, support as a % of installed hardware,
    licences, added carriers in the years they are needed; rented GPU-hours and egress (`rent`);
    software stacks (one-time when
    adopted as capex, annual as opex) and data moved between sites (TB × transfer price).
    :math:`NPV = \sum_{c,y} cost_{c,y} (1+r)^{-(y-y_0)}`. Budget:
    :math:`\sum_{c \in capex, y} cost_{c,y} \le B` and :math:`\sum_{c \in capex} cost_{c,y} \le B_y`.
    Both rows always exist (a budget Param set on a built model binds; `NO_BUDGET` for none).
    Objective: min NPV, or (max_capacity) max scale, then min NPV at that scale (see aiopt.solve).
    """
    sc = d.scenario
    policy, sites, tiers, fabrics, st, racks, services = (
        sc.policy,
        sc.sites,
        sc.gpu_tiers,
        sc.fabrics,
        sc.storage_tiers,
        sc.rack_types,
        sc.services,
    )
    stacks = sc.software_stacks
    unit_price = {k: st.at[k, "unit_tb"] * st.at[k, "usd_per_tb"] / MUSD for k in d.storage}
    buys_at = group_by(d.buy_index, lambda i: i[3])
    nodes_at = group_by(list(m.NODE), lambda i: i[3])
    by_layer = group_by(list(services.index), lambda i: services.at[i, "layer"])

    def switch_money(m, s, f, y):
        switch, link = fabrics.at[f, "switch_price_usd"] / MUSD, fabrics.at[f, "link_price_usd"] / MUSD
        port = fabrics.at[f, "nic_price_usd"] / MUSD + link
        new = switch * m.new_switches[s, f, y] + link * m.new_fabric_links[s, f, y]
        return new + port * m.nic_buy[s, f, y] + link * m.onchip_buy[s, f, y]

    def capex(m, c, y):
        if c == "compute":
            return sum(m.node_price[i[1]] * m.buy[i] for i in buys_at.get(y, ()))
        if c == "fabric":
            return sum(switch_money(m, s, f, y) for (s, f) in m.SF)
        if c == "storage":
            return sum(unit_price[k] * m.new_units[s, k, y] for s in m.S for k in m.K)
        if c == "racks":
            return sum(
                racks.at[r, "price_usd"]
                / MUSD
                * (m.rack_fitted[s, r, y] - previous(m.rack_fitted, (s, r), y, d.years))
                for (s, r, o) in m.SRY
                if o == y
            )
        if c == "facility":
            return sum(
                sites.at[s, "expansion_cost_usd"] / MUSD * m.expand[s, o] for (s, o) in m.EXPAND if o == y
            )
        if c == "stacks":
            return sum(stacks.at[k, "one_time_usd"] / MUSD * m.stack_adopted[k, y] for k in m.STACK)
        return sum(
            services.at[i, "price_usd"] / MUSD * m.service_new[i, s, y]
            for i in by_layer.get(c, ())
            for s in m.S
        )

    def support(m, y):
        pct = lambda table, row: table.at[row, "support_pct"] / 100.0  # noqa: E731
        nodes = sum(pct(tiers, i[1]) * m.node_price[i[1]] * m.nodes[i] for i in nodes_at.get(y, ()))
        switches = sum(
            pct(fabrics, f) * fabrics.at[f, "switch_price_usd"] / MUSD * m.switches[s, f, y]
            for (s, f) in m.SF
        )
        storage = sum(pct(st, k) * unit_price[k] * m.units[s, k, y] for s in m.S for k in m.K)
        return nodes + switches + storage

    def opex(m, c, y):
        if c in RENT_OPEX:
            return m.rent_cost[y] if c == "rent" else m.egress_cost[y]
        if c == "energy":
            load = policy["average_load"] * HOURS_PER_YEAR / MUSD
            return sum(m.it_kw[s, y] * sites.at[s, "pue"] * load * m.electricity[s, y] for s in m.S)
        if c == "colocation":
            return sum(m.it_kw[s, y] * 12 * sites.at[s, "colocation_usd_per_kw_month"] / MUSD for s in m.S)
        if c == "support":
            return support(m, y)
        if c == "stacks":
            return sum(stacks.at[k, "annual_usd"] / MUSD * m.stack_used[k, y] for k in m.STACK)
        if c == "data_transfer":
            return policy["transfer_usd_per_tb"] / MUSD * m.moved_tb[y]
        if c == "licences":
            return sum(
                services.at[i, "annual_usd"] / MUSD * m.service_items[i, s, y] for i in m.SVC for s in m.S
            )
        return sum(
            (2 - sites.at[s, "carriers"])
            * sites.at[s, "second_carrier_usd_per_year"]
            / MUSD
            * m.second_carrier[s, y]
            for s in m.S
            if (s, y) in m.CARRIER
        )

    m.CAPEX = pyo.Set(initialize=CAPEX, ordered=True)
    m.OPEX = pyo.Set(initialize=OPEX, ordered=True)
    m.capex = pyo.Expression(m.CAPEX, m.Y, rule=capex, doc="MUSD")
    m.opex = pyo.Expression(m.OPEX, m.Y, rule=opex, doc="MUSD")
    m.npv = pyo.Expression(
        expr=sum(
            m.discount[y] * (sum(m.capex[c, y] for c in m.CAPEX) + sum(m.opex[c, y] for c in m.OPEX))
            for y in m.Y
        )
    )
    budgets = param_values(sc, d.years)
    m.budget_total = pyo.Param(initialize=budgets["budget_total"], mutable=True, doc="MUSD; NO_BUDGET: none")
    m.budget_year = pyo.Param(initialize=budgets["budget_year"], mutable=True, doc="MUSD; NO_BUDGET: none")
    m.capex_budget = pyo.Constraint(expr=sum(m.capex[c, y] for c in m.CAPEX for y in m.Y) <= m.budget_total)
    m.capex_budget_yearly = pyo.Constraint(
        m.Y, rule=lambda m, y: sum(m.capex[c, y] for c in m.CAPEX) <= m.budget_year
    )
    if policy["objective"] == "max_capacity":
        # the solve maximises scale, then minimises NPV at the scale reached (aiopt.solve); the tiny
        # NPV term only makes the first plan a cheap start for that second solve
        m.objective = pyo.Objective(expr=m.scale - 1e-6 * m.npv, sense=pyo.maximize)
    else:
        m.objective = pyo.Objective(expr=m.npv, sense=pyo.minimize)
