"""Family 4, racks and placement: integer rack counts per (group, tier, rack type, site, year)."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, given, group_by

COOLING = ("liquid", "air")  # the kinds a site may limit (family 5): liquid racks, and air or rear-door


def cooling_kind(rack_cooling: str) -> str:
    """The cooling a rack of this cooling type draws on: liquid, or air (air and rear-door racks)."""
    return "liquid" if rack_cooling == "liquid" else "air"


def add_racks(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Nodes sit in racks of the site's rack types, within each rack's kW, U and cooling kind.

    :math:`n_{t,r} = \min(\lfloor kW_r / kW_t \rfloor, \lfloor U_r / U_t \rfloor)` nodes fit in
    one rack (0 when the cooling kinds do not match: no variable), so
    :math:`nodes_{g,t,s,y} \le \sum_r n_{t,r}\, racks_{g,t,r,s,y}`. At a site that limits
    cooling by kind (family 5), the same holds per kind c (liquid; air and rear-door), with the
    pool split into whole nodes, :math:`\sum_c placed_{g,t,c,s,y} = nodes_{g,t,s,y}`, where its
    rack types are of both kinds; racks hold one tier and one
    node group (isolated workloads never share a rack). Network, storage and service gear goes
    in infrastructure racks: :math:`\sum_r kW_r\, infra_{s,r,y} \ge kW^{gear}_{s,y}` and the same
    in rack units. Positions: :math:`\sum_{g,t} racks + infra \le fitted_{s,r,y} \le A_{s,r}`.
    """
    fabrics, st, services, rack_types, sites = (
        d.rows[name] for name in ("fabrics", "storage_tiers", "services", "rack_types", "sites")
    )
    fits_at = group_by(d.trs, lambda i: (i[0], i[2]))
    rack_index = [(g, t, r, s, y) for (g, t, s) in d.gts for (_, r, _) in fits_at[t, s] for y in d.years]
    m.RACK = pyo.Set(initialize=rack_index, dimen=5, ordered=True)
    m.racks = pyo.Var(m.RACK, domain=pyo.NonNegativeIntegers, doc="compute racks")
    m.infra_racks = pyo.Var(
        m.SRY, domain=pyo.NonNegativeIntegers, doc="racks of network, storage and service gear"
    )

    # cooling kind of a rack where the site limits cooling by kind (family 5) or bills liquid racks
    # at a premium (family 8), else one kind
    limited = {
        s
        for s in d.sites
        if any(given(getattr(sites[s], f"{k}_cooling_mw")) for k in COOLING) or sites[s].liquid_premium > 0
    }

    def kind(s, r):
        return cooling_kind(rack_types[r].cooling) if s in limited else "any"

    racks_of = group_by(rack_index, lambda i: (i[0], i[1], i[3], i[4], kind(i[3], i[2])))
    kinds_of = group_by(list(racks_of), lambda i: i[:4])
    split = [k for n, keys in kinds_of.items() if len(keys) > 1 for k in keys]
    m.placed = pyo.Var(split, domain=pyo.NonNegativeIntegers, doc="nodes placed in racks of a cooling kind")
    m.nodes_placed = pyo.Constraint(
        [n for n, keys in kinds_of.items() if len(keys) > 1],
        rule=lambda m, *n: m.nodes[n] == sum(m.placed[k] for k in kinds_of[n]),
    )
    m.PLACED = pyo.Set(initialize=list(racks_of), dimen=5, ordered=True)
    m.nodes_of_kind = pyo.Expression(
        m.PLACED, rule=lambda m, *k: m.placed[k] if k in m.placed else m.nodes[k[:4]]
    )

    def nodes_in_racks(m, *k):
        return m.nodes_of_kind[k] <= sum(d.per_rack[i[1], i[2]] * m.racks[i] for i in racks_of[k])

    m.nodes_in_racks = pyo.Constraint(m.PLACED, rule=nodes_in_racks)

    def gear(m, s, y, column_fabric, column_storage, column_service):
        switches = sum(getattr(fabrics[f], column_fabric) * m.switches[s, f, y] for f in m.F)
        storage = sum(getattr(st[k], column_storage) * m.units[s, k, y] for k in m.K)
        service = sum(getattr(services[i], column_service) * m.service_items[i, s, y] for i in m.SVC)
        return switches + storage + service

    m.gear_kw = pyo.Expression(m.S, m.Y, rule=lambda m, s, y: gear(m, s, y, "switch_kw", "kw_per_unit", "kw"))
    m.gear_ru = pyo.Expression(m.S, m.Y, rule=lambda m, s, y: gear(m, s, y, "switch_ru", "ru_per_unit", "ru"))
    infra_at = group_by(d.infra_racks, lambda i: i[0])

    def gear_fits(rack_column: str, need):
        """Σ_r capacity_r · infra_racks[s,r,y] ≥ need[s,y] (kW or rack units)."""
        return lambda m, s, y: (
            sum(
                getattr(rack_types[r], rack_column) * m.infra_racks[s, r, y] for (_, r) in infra_at.get(s, ())
            )
            >= need[s, y]
        )

    m.gear_power_in_racks = pyo.Constraint(m.S, m.Y, rule=gear_fits("usable_kw", m.gear_kw))
    m.gear_space_in_racks = pyo.Constraint(m.S, m.Y, rule=gear_fits("rack_units", m.gear_ru))
    used_at = group_by(rack_index, lambda i: (i[3], i[2], i[4]))
    m.compute_racks = pyo.Expression(
        m.SRY, rule=lambda m, s, r, y: sum(m.racks[i] for i in used_at.get((s, r, y), ()))
    )
    m.racks_fitted = pyo.Constraint(
        m.SRY,
        rule=lambda m, s, r, y: m.compute_racks[s, r, y] + m.infra_racks[s, r, y] <= m.rack_fitted[s, r, y],
    )
    m.racks_available = pyo.Constraint(
        m.SRY, rule=lambda m, s, r, y: m.rack_fitted[s, r, y] <= d.rack_avail[s, r]
    )
