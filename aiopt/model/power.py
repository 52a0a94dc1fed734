"""Family 5, power and cooling: facility power with optional expansion, cooling by kind."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, given, group_by, skip_trivial
from .racks import COOLING


def add_power(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""IT load times PUE stays within facility power, year by year; cooling by kind.

    :math:`kW^{IT}_{s,y} = \sum_{g,t} kW_t\, nodes_{g,t,s,y} + kW^{gear}_{s,y}` and
    :math:`PUE_s \cdot kW^{IT}_{s,y} \le 1000\, u\,(MW_s + B_s \sum_{y' \le y - L_s} expand_{s,y'})`,
    u the policy's `max_power_utilisation` (headroom kept on facility power), with at most the
    site's maximum number of blocks, each usable L years after ordering.
    Cooling: the nodes placed in liquid racks draw at most the site's liquid-cooling capacity,
    those in air and rear-door racks (and all gear) the air capacity (family 4 places them):
    :math:`\sum_{g,t} kW_t\, placed_{g,t,c,s,y} (+ kW^{gear}_{s,y}) \le 1000\, MW^c_s`.
    """
    sites, tiers = d.rows["sites"], d.rows["gpu_tiers"]
    expandable = [s for s in d.sites if sites[s].expansion_block_mw > 0 and sites[s].expansion_max_blocks > 0]
    m.EXPAND = pyo.Set(initialize=[(s, y) for s in expandable for y in d.years], dimen=2, ordered=True)
    m.expand = pyo.Var(m.EXPAND, domain=pyo.NonNegativeIntegers, doc="power blocks ordered")

    nodes_at = group_by(list(m.NODE), lambda i: (i[2], i[3]))
    m.node_kw = pyo.Expression(
        m.S,
        m.Y,
        rule=lambda m, s, y: sum(tiers[i[1]].node_kw * m.nodes[i] for i in nodes_at.get((s, y), ())),
    )
    m.it_kw = pyo.Expression(m.S, m.Y, rule=lambda m, s, y: m.node_kw[s, y] + m.gear_kw[s, y])

    def expansion_mw(m, s, y):
        if s not in expandable:
            return 0
        lead = sites[s].expansion_lead_years
        return sites[s].expansion_block_mw * sum(m.expand[s, o] for o in d.years if o <= y - lead)

    headroom = d.scenario.policy["max_power_utilisation"]
    m.site_power = pyo.Constraint(
        m.S,
        m.Y,
        rule=lambda m, s, y: (
            sites[s].pue * m.it_kw[s, y] <= 1000 * headroom * (m.power_mw[s] + expansion_mw(m, s, y))
        ),
    )
    m.expansion_limit = pyo.Constraint(
        expandable,
        rule=lambda m, s: sum(m.expand[s, y] for y in d.years) <= sites[s].expansion_max_blocks,
    )

    placed_at = group_by(list(m.PLACED), lambda k: k[2:])

    def cooled_kw(m, s, y, kind):
        return sum(tiers[k[1]].node_kw * m.nodes_of_kind[k] for k in placed_at.get((s, y, kind), ()))

    limited = [
        (s, y, kind)
        for s in d.sites
        for kind in COOLING
        if given(getattr(sites[s], f"{kind}_cooling_mw"))
        for y in d.years
    ]
    m.liquid_kw = pyo.Expression(
        m.S, m.Y, rule=lambda m, s, y: cooled_kw(m, s, y, "liquid"), doc="kW of nodes in liquid racks"
    )
    m.cooling = pyo.Constraint(
        limited,
        rule=skip_trivial(
            lambda m, s, y, kind: (
                cooled_kw(m, s, y, kind) + (m.gear_kw[s, y] if kind == "air" else 0)
                <= 1000 * getattr(sites[s], f"{kind}_cooling_mw")
            )
        ),
    )
