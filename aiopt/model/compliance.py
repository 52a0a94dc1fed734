"""Family 6, sites and compliance: where each workload and its data may go, and isolation."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, group_by


def add_compliance(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Certifications, tenancy, residency, isolation and encryption in transit.

    A workload runs, and keeps its data, only at sites whose certifications include its
    compliance tags, whose region matches its residency and whose tenancy is dedicated when it
    asks for that (`rules.site_lacks`): other sites get no variable at all. An isolated
    workload forms its own node group: its own nodes, racks and scalable units, so it never
    shares a node, a rack or a leaf switch. Regulated data moves between sites only over links
    that encrypt in transit: at a site without an encrypted WAN, a regulated workload keeps
    cold data only in a year it runs there, :math:`cold_{w,s,k,y} \le C_{w,y}\, present_{w,s,y}`;
    runs there only if it runs nowhere else,
    :math:`\sum_{s' \ne s} present_{w,s',y} \le (n_w - 1)(1 - present_{w,s,y})`; and keeps no cold
    data elsewhere while it runs there,
    :math:`\sum_{s' \ne s,k} cold_{w,s',k,y} \le C_{w,y}(1 - present_{w,s,y})`.
    (A workload that moves site between years moves its data too; that move is not modelled.)
    """
    sites = d.rows["sites"]
    plain = {s for s in d.sites if not sites[s].encrypted_wan}
    regulated = {w for w in d.workloads if d.regulated[w]}
    present = set(d.wsy)
    cold_plain = [i for i in m.COLDPUT if i[0] in regulated and i[1] in plain]
    m.cold_stays_local = pyo.Constraint(
        cold_plain,
        rule=lambda m, w, s, k, y: (
            m.cold_put[w, s, k, y] <= d.cold_tb[w, y] * (m.present[w, s, y] if (w, s, y) in present else 0)
        ),
    )
    sites_of = group_by(d.wsy, lambda i: (i[0], i[2]))
    at_plain = [(w, s, y) for (w, s, y) in d.wsy if w in regulated and s in plain]
    m.plain_site_alone = pyo.Constraint(
        [i for i in at_plain if len(sites_of[i[0], i[2]]) > 1],
        rule=lambda m, w, s, y: (
            sum(m.present[o] for o in sites_of[w, y] if o[1] != s)
            <= (len(sites_of[w, y]) - 1) * (1 - m.present[w, s, y])
        ),
    )
    cold_of = group_by(m.COLDPUT, lambda i: (i[0], i[3]))
    m.cold_not_shipped = pyo.Constraint(
        [i for i in at_plain if any(c[1] != i[1] for c in cold_of.get((i[0], i[2]), ()))],
        rule=lambda m, w, s, y: (
            sum(m.cold_put[c] for c in cold_of[w, y] if c[1] != s)
            <= d.cold_tb[w, y] * (1 - m.present[w, s, y])
        ),
    )
