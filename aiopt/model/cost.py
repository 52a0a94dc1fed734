"""Family 8, budget and cost: capex and opex by category and year, NPV, budget caps."""

from __future__ import annotations

import pyomo.environ as pyo

from ..demand import HOURS_PER_YEAR
from ..schema import SERVICE_LAYERS
from .data import ModelData, group_by, previous
from .params import MUSD, param_values

RENT_OPEX = ("rent", "egress")  # rented GPU-hours and data moved to the cloud (family rent)
CAPEX = ("compute", "fabric", "storage", "racks", *SERVICE_LAYERS, "facility", "stacks")
OPEX = (
    "energy",
    "colocation",
    "support",
    "licences",
    "carriers",
    "building",
    "facility_om",
    "stacks",
    "data_transfer",
    *RENT_OPEX,
)
RESIDUAL = ("compute", "fabric", "storage", "racks")  # hardware capex with a book value at the horizon end


def add_cost(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Cost per category and year in MUSD; the objective; budget caps.

    Capex is paid when bought: nodes, leaf switches as SUs are added, spines, core and
    inter-switch links as the fabric is built for more SUs, fabric ports as first needed (NIC and
    link; a link only for on-chip NICs), storage units, rack fit-out, service items (site services
    when the site opens), power blocks, software stacks when adopted. Opex per year: energy
    :math:`kW^{IT} \cdot PUE \cdot load \cdot 8760 \cdot price`, colocation (see
    `add_facilities`), support as a % of installed hardware (nodes at their price of the year),
    licences, added carriers in the years they are needed, owned buildings, rented GPU-hours and
    egress (`rent`), software stacks' annual cost, data moved between sites (TB × transfer price).
    Costs are paid at the start of a year, the residual value of hardware (`add_residual`,
    negative) is credited at the end of the last one, H years after the first:
    :math:`NPV = \sum_{c,y} cost_{c,y} (1+r)^{-(y-y_0)} + (1+r)^{-H} residual`. Budget:
    :math:`\sum_{c \in capex, y} cost_{c,y} \le B` and :math:`\sum_{c \in capex} cost_{c,y} \le B_y`.
    Both rows always exist (a budget Param set on a built model binds; `NO_BUDGET` for none).
    Objective: min NPV, or (max_capacity) max scale, then min NPV at that scale (see aiopt.solve).
    """
    sc = d.scenario
    policy = sc.policy
    sites, tiers, fabrics, st, racks, services, stacks = (
        d.rows[name]
        for name in (
            "sites",
            "gpu_tiers",
            "fabrics",
            "storage_tiers",
            "rack_types",
            "services",
            "software_stacks",
        )
    )
    unit_price = {k: st[k].unit_tb * st[k].usd_per_tb / MUSD for k in d.storage}
    buys_at = group_by(d.buy_index, lambda i: i[3])
    nodes_at = group_by(list(m.NODE), lambda i: i[3])
    by_layer = group_by(list(services), lambda i: services[i].layer)

    def switch_money(m, s, f, y):
        switch, link = fabrics[f].switch_price_usd / MUSD, fabrics[f].link_price_usd / MUSD
        port = fabrics[f].nic_price_usd / MUSD + link
        new = switch * m.new_switches[s, f, y] + link * m.new_fabric_links[s, f, y]
        return new + port * m.nic_buy[s, f, y] + link * m.onchip_buy[s, f, y]

    def capex(m, c, y):
        if c == "compute":
            return sum(m.node_price[i[1], y] * m.buy[i] for i in buys_at.get(y, ()))
        if c == "fabric":
            return sum(switch_money(m, s, f, y) for (s, f) in m.SF)
        if c == "storage":
            return sum(unit_price[k] * m.new_units[s, k, y] for s in m.S for k in m.K)
        if c == "racks":
            return sum(
                racks[r].price_usd
                / MUSD
                * (m.rack_fitted[s, r, y] - previous(m.rack_fitted, (s, r), y, d.years))
                for (s, r, o) in m.SRY
                if o == y
            )
        if c == "facility":
            return sum(sites[s].expansion_cost_usd / MUSD * m.expand[s, o] for (s, o) in m.EXPAND if o == y)
        if c == "stacks":
            return sum(stacks[k].one_time_usd / MUSD * m.stack_adopted[k, y] for k in m.STACK)
        return sum(
            services[i].price_usd / MUSD * m.service_new[i, s, y] for i in by_layer.get(c, ()) for s in m.S
        )

    def support(m, y):
        pct = lambda table, row: table[row].support_pct / 100.0  # noqa: E731
        nodes = sum(pct(tiers, i[1]) * m.node_price[i[1], y] * m.nodes[i] for i in nodes_at.get(y, ()))
        switches = sum(
            pct(fabrics, f) * fabrics[f].switch_price_usd / MUSD * m.switches[s, f, y] for (s, f) in m.SF
        )
        storage = sum(pct(st, k) * unit_price[k] * m.units[s, k, y] for s in m.S for k in m.K)
        return nodes + switches + storage

    def opex(m, c, y):
        if c in RENT_OPEX:
            return m.rent_cost[y] if c == "rent" else m.egress_cost[y]
        if c == "energy":
            load = policy["average_load"] * HOURS_PER_YEAR / MUSD
            return sum(m.it_kw[s, y] * sites[s].pue * load * m.electricity[s, y] for s in m.S)
        if c == "colocation":
            return m.colocation_bill[y]
        if c == "building":
            return sum(m.building_charge[s] * m.power_mw[s] * m.open[s, y] for s in m.S)
        if c == "facility_om":
            return sum(
                1000 * sites[s].facility_om_usd_per_kw_year / MUSD * m.power_mw[s] * m.open[s, y] for s in m.S
            )
        if c == "support":
            return support(m, y)
        if c == "stacks":
            return sum(stacks[k].annual_usd / MUSD * m.stack_used[k, y] for k in m.STACK)
        if c == "data_transfer":
            return policy["transfer_usd_per_tb"] / MUSD * m.moved_tb[y]
        if c == "licences":
            return sum(services[i].annual_usd / MUSD * m.service_items[i, s, y] for i in m.SVC for s in m.S)
        return sum(
            (2 - sites[s].carriers) * sites[s].second_carrier_usd_per_year / MUSD * m.second_carrier[s, y]
            for s in m.S
            if (s, y) in m.CARRIER
        )

    m.CAPEX = pyo.Set(initialize=CAPEX, ordered=True)
    m.OPEX = pyo.Set(initialize=OPEX, ordered=True)
    add_facilities(m, d)
    m.capex = pyo.Expression(m.CAPEX, m.Y, rule=capex, doc="MUSD")
    m.opex = pyo.Expression(m.OPEX, m.Y, rule=opex, doc="MUSD")
    add_residual(m, d)
    m.npv = pyo.Expression(
        expr=sum(
            m.discount[y] * (sum(m.capex[c, y] for c in m.CAPEX) + sum(m.opex[c, y] for c in m.OPEX))
            for y in m.Y
        )
        + m.residual_discount * m.residual
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


# --------------------------------------------------------------------------- value at the horizon


def book_share(bought: int, years: list[int], life: int) -> float:
    """Share of its price an asset bought at the start of `bought` is still worth at the end of
    the last year, straight line over `life`: max(0, 1 − age / life), age = y_N + 1 − bought."""
    return max(0.0, 1 - (years[-1] + 1 - bought) / life)


def add_residual(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Residual value of the hardware at the horizon end, MUSD, negative (a credit).

    :math:`residual = -\sum_{c \in RESIDUAL} \sum_y capex_{c,y} \max(0, 1 - (y_N + 1 - y)/L)`
    with L the hardware lifetime: nodes, fabric (switches, links, NICs), storage units and rack
    fit-out at their book value; a node retired early is still credited (sold at the end).
    """
    life = int(d.scenario.policy["hardware_lifetime_years"])
    m.residual = pyo.Expression(
        expr=-sum(book_share(y, d.years, life) * m.capex[c, y] for c in RESIDUAL for y in m.Y), doc="MUSD"
    )


# --------------------------------------------------------------------------- facilities


def add_facilities(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""The colocation bill per year, MUSD; owned buildings are charged in `opex`.

    Colocation bills the larger of the committed and the used IT kW (used kW above the
    commitment at the same fee), whether the site is used or not, at a fee escalating yearly,
    plus a premium share of the fee on the kW of nodes in liquid-cooled racks:
    :math:`bill_y = \sum_s 12\, fee_s (1+e_s)^{y-y_0} (kW^{bill}_{s,y} + p_s\, kW^{liquid}_{s,y})`,
    :math:`kW^{bill}_{s,y} \ge kW^{IT}_{s,y}`, :math:`kW^{bill}_{s,y} \ge kW^{commit}_s`.
    An owned site pays, while open, the annuity of its build cost and its facility O&M per MW of
    facility power: :math:`(a_s + 1000\, om_s) MW_s\, open_{s,y}`.
    """
    sites, first = d.rows["sites"], d.first_year
    committed = [s for s in d.sites if sites[s].committed_kw > 0]
    m.COMMITTED = pyo.Set(initialize=[(s, y) for s in committed for y in d.years], dimen=2, ordered=True)
    m.colocation_kw = pyo.Var(m.COMMITTED, domain=pyo.NonNegativeReals, doc="IT kW billed")
    m.colocation_used = pyo.Constraint(
        m.COMMITTED, rule=lambda m, s, y: m.colocation_kw[s, y] >= m.it_kw[s, y]
    )
    m.colocation_committed = pyo.Constraint(
        m.COMMITTED, rule=lambda m, s, y: m.colocation_kw[s, y] >= sites[s].committed_kw
    )

    colocated = [s for s in d.sites if sites[s].colocation_usd_per_kw_month > 0]

    def fee(s, y):
        """MUSD per kW-year at site s in year y."""
        escalated = (1 + sites[s].colocation_escalation) ** (y - first)
        return 12 * sites[s].colocation_usd_per_kw_month * escalated / MUSD

    def bill(m, y):
        return sum(
            fee(s, y)
            * (
                (m.colocation_kw[s, y] if (s, y) in m.COMMITTED else m.it_kw[s, y])
                + sites[s].liquid_premium * m.liquid_kw[s, y]
            )
            for s in colocated
        )

    m.colocation_bill = pyo.Expression(m.Y, rule=bill, doc="MUSD")


def settle_billed_kw(m: pyo.ConcreteModel) -> None:
    """Each billed colocation kW at its least, max(committed, IT kW): a plan stopped at its time
    limit or within its gap may bill more than it draws, which no finance reviewer would pay."""
    committed = m.data.scenario.sites.committed_kw
    for s, y in m.COMMITTED:
        m.colocation_kw[s, y].set_value(max(committed[s], pyo.value(m.it_kw[s, y])))
