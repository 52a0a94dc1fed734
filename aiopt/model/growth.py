"""Family 7, growth and multi-year: purchases, retirements, and what only grows."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, previous


def add_growth(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Installed nodes are at most those bought within the hardware lifetime; the rest only grows.

    :math:`nodes_{g,t,s,y} \le \sum_{y' \le y,\; y - y' < life} buy_{g,t,s,y'}` (a tier can be
    bought only from its available-from year: no variable before). Fewer is an early
    retirement: a node taken out frees its power, rack space and ports for a newer tier.
    Demand grows per year in the data, :math:`D_{w,y} = D_w (1+g_w)^{y - y_w}`. Scalable units,
    storage units and fitted rack positions never shrink: :math:`x_{y} \ge x_{y-1}`, so the
    fabric chosen in the first year grows to the final year without a redesign.
    """
    life = int(d.scenario.policy["hardware_lifetime_years"])
    buys = set(d.buy_index)
    m.installed = pyo.Constraint(
        m.NODE,
        rule=lambda m, g, t, s, y: (
            m.nodes[g, t, s, y]
            <= sum(m.buy[g, t, s, o] for o in d.years if o <= y and y - o < life and (g, t, s, o) in buys)
        ),
    )
    later = [y for y in d.years[1:]]
    m.units_grow = pyo.Constraint(
        [(g, s, f, y) for (g, s, f, y) in m.SU if y in later],
        rule=lambda m, g, s, f, y: m.su[g, s, f, y] >= previous(m.su, (g, s, f), y, d.years),
    )
    m.storage_grows = pyo.Constraint(
        [(s, k, y) for (s, k, y) in m.SKY if y in later],
        rule=lambda m, s, k, y: m.units[s, k, y] >= previous(m.units, (s, k), y, d.years),
    )
    m.racks_grow = pyo.Constraint(
        [(s, r, y) for (s, r, y) in m.SRY if y in later],
        rule=lambda m, s, r, y: m.rack_fitted[s, r, y] >= previous(m.rack_fitted, (s, r), y, d.years),
    )
