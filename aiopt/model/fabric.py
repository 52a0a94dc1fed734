"""Family 2, fabric: one compute fabric per site sized by the SuperPOD fat-tree rules, plus the
storage, front-end and out-of-band networks and the management and observability services."""

from __future__ import annotations

import pyomo.environ as pyo

from ..rules import fabric_ports
from .data import ModelData, group_by, previous, skip_trivial


def add_fabric(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Compute fabric per site: a fat-tree design for the final size, built SU by SU as it is used.

    One fabric per site, :math:`\sum_f fabric_{s,f} \le 1`. The design is one of the tabulated
    sizes of 1..K scalable units; "built for at least k units by year y" binaries grow with the
    site, :math:`built_{s,f,k,y} \le built_{s,f,k-1,y}`, :math:`built_{s,f,k,y} \ge built_{s,f,k,y-1}`
    (family 7), :math:`built_{s,f,1,Y} = fabric_{s,f}`; their sum, the integer
    :math:`units_{s,f,y} = \sum_k built_{s,f,k,y}`, is the size built, the final year's the design.
    Spines, core and inter-switch links installed in year y are those of the size built, the
    telescoping `built_sum`, and are bought in the year they first appear (the SuperPOD RAs grow
    pod by pod; `size_for_units` never shrinks as units are added, tests/model/test_fabric.py, so
    a 2-tier fabric grows into 3 tiers by adding switches). Each node group fills whole SUs
    (isolated workloads never share a leaf):
    :math:`\sum_t ports_t\, nodes_{g,t,s,y} \le \sum_f E_f\, su_{g,s,f,y}` with :math:`E_f` =
    nodes per SU × rails, and :math:`\sum_g su_{g,s,f,y} \le \sum_k built_{s,f,k,y}`.
    Leaves = leaves per SU × SUs (one per rail in every SuperPOD). A training run on fabric f needs it:
    :math:`run_{w,t,s,f,y} \le M_{w,t,s,f,y}\, fabric_{s,f}`. NICs and node links are bought with
    the nodes: :math:`\sum_f nic_{s,f,y} \ge \sum ports_t\, buy_{g,t,s,y}`,
    :math:`nic_{s,f,y} \le P^{max}_s fabric_{s,f}`.

    `_ports_by_fabric` adds a per-fabric port cover that tightens the relaxation.

    Services (storage and front-end networks, out-of-band switches, head, fabric-manager and
    monitoring nodes, observability and security) scale with sites, racks, nodes or GPUs.
    """
    sc = d.scenario
    fabrics, tiers = sc.fabrics, sc.gpu_tiers
    m.BUILT = pyo.Set(
        initialize=[(s, f, k, y) for (s, f, k) in d.designs for y in d.years], dimen=4, ordered=True
    )
    m.SU = pyo.Set(initialize=d.su_index, dimen=4, ordered=True)
    m.SFY = pyo.Set(initialize=[(s, f, y) for (s, f) in m.SF for y in d.years], dimen=3, ordered=True)
    m.built = pyo.Var(m.BUILT, domain=pyo.Binary, doc="fabric built for at least k scalable units")
    m.su = pyo.Var(m.SU, domain=pyo.NonNegativeIntegers, doc="scalable units deployed per node group")
    m.nic_buy = pyo.Var(m.SFY, domain=pyo.NonNegativeReals, doc="fabric ports (NIC + link) bought")

    last = d.years[-1]
    m.one_fabric = pyo.Constraint(m.S, rule=lambda m, s: sum(m.fabric[s, f] for f in m.F) <= 1)
    m.fabric_built = pyo.Constraint(
        m.SF,
        rule=lambda m, s, f: (m.built[s, f, 1, last] if (s, f) in d.design_limit else 0) == m.fabric[s, f],
    )
    m.built_steps = pyo.Constraint(
        [i for i in m.BUILT if i[2] > 1],
        rule=lambda m, s, f, k, y: m.built[s, f, k, y] <= m.built[s, f, k - 1, y],
    )
    su_of = group_by(d.su_index, lambda i: (i[1], i[2], i[3]))
    built_of = group_by(list(m.BUILT), lambda i: (i[0], i[1], i[3]))
    m.built_holds_units = pyo.Constraint(
        m.SFY,
        rule=skip_trivial(
            lambda m, s, f, y: (
                sum(m.su[i] for i in su_of.get((s, f, y), ()))
                <= sum(m.built[i] for i in built_of.get((s, f, y), ()))
            )
        ),
    )
    # the SUs built as one integer: a branching variable that halves the staircase at once
    # (measured: growth-5y gap at 60 s 10.9% -> 3.9%, enterprise-baseline 57 s -> 41 s)
    m.built_units = pyo.Var(list(built_of), domain=pyo.NonNegativeIntegers, doc="SUs the fabric is built for")
    m.built_units_count = pyo.Constraint(
        list(built_of),
        rule=lambda m, s, f, y: m.built_units[s, f, y] == sum(m.built[i] for i in built_of[s, f, y]),
    )
    # a dominance cut (any plan trims to it): built for no more than the SUs deployed, or for the
    # smallest size with two spines (family 9); measured: growth-5y 60 s gap 3.9% -> optimal in 48 s
    redundant = {
        (s, f): next((k for k in range(1, top + 1) if d.designs[s, f, k].spine >= 2), top)
        for (s, f), top in d.design_limit.items()
    }
    m.built_as_needed = pyo.Constraint(
        list(built_of),
        rule=lambda m, s, f, y: (
            m.built_units[s, f, y]
            <= sum(m.su[i] for i in su_of.get((s, f, y), ())) + (redundant[s, f] - 1) * m.built[s, f, 1, y]
        ),
    )

    node_pools = group_by(d.gts, lambda i: (i[0], i[2]))
    per_su = {f: int(fabrics.at[f, "nodes_per_su"] * fabrics.at[f, "rails"]) for f in d.fabrics}

    def node_ports(m, g, s, y):
        return sum(fabric_ports(tiers.loc[t]) * m.nodes[g, t, s, y] for (_, t, _) in node_pools[g, s])

    m.ports_in_units = pyo.Constraint(
        sorted({(g, s, y) for (g, s, _, y) in d.su_index}),
        rule=lambda m, g, s, y: node_ports(m, g, s, y) <= sum(per_su[f] * m.su[g, s, f, y] for f in m.F),
    )
    m.units_as_needed = pyo.Constraint(
        m.SU, rule=lambda m, g, s, f, y: per_su[f] * (m.su[g, s, f, y] - 1) <= node_ports(m, g, s, y) - 1
    )
    _ports_by_fabric(m, d, per_su)
    m.run_on_fabric = pyo.Constraint(
        [i for i in d.run_index if i[3] in per_su],
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.fabric[s, f],
    )
    max_ports = {
        s: sum(d.max_nodes.get((t, s), 0) * fabric_ports(tiers.loc[t]) for t in d.tiers) for s in d.sites
    }
    buys_at = group_by(d.buy_index, lambda i: (i[2], i[3]))
    m.nics_with_nodes = pyo.Constraint(
        m.S,
        m.Y,
        rule=lambda m, s, y: (
            sum(m.nic_buy[s, f, y] for f in m.F)
            >= sum(fabric_ports(tiers.loc[i[1]]) * m.buy[i] for i in buys_at.get((s, y), ()))
        ),
    )
    m.nics_of_fabric = pyo.Constraint(
        m.SFY, rule=lambda m, s, f, y: m.nic_buy[s, f, y] <= max_ports[s] * m.fabric[s, f]
    )

    # quantities priced by the cost family and powered by the power family
    leaves_per_su = {f: d.designs_unit[f].leaf for f in d.fabrics}
    m.leaf_switches = pyo.Expression(
        m.SFY, rule=lambda m, s, f, y: leaves_per_su[f] * sum(m.su[i] for i in su_of.get((s, f, y), ()))
    )
    m.spine_core = pyo.Expression(
        m.SFY, rule=lambda m, s, f, y: built_sum(m, d, s, f, y, lambda size: size.spine + size.core)
    )
    m.fabric_links = pyo.Expression(
        m.SFY,
        rule=lambda m, s, f, y: built_sum(m, d, s, f, y, lambda size: size.links - size.endpoints),
        doc="inter-switch links installed",
    )
    m.switches = pyo.Expression(
        m.SFY, rule=lambda m, s, f, y: m.leaf_switches[s, f, y] + m.spine_core[s, f, y]
    )
    m.new_switches = pyo.Expression(
        m.SFY, rule=lambda m, s, f, y: m.switches[s, f, y] - previous(m.switches, (s, f), y, d.years)
    )
    m.new_fabric_links = pyo.Expression(
        m.SFY,
        rule=lambda m, s, f, y: m.fabric_links[s, f, y] - previous(m.fabric_links, (s, f), y, d.years),
    )
    _services(m, d)


def _ports_by_fabric(m: pyo.ConcreteModel, d: ModelData, per_su: dict) -> None:
    r"""Per-fabric port cover, a tightening of the relaxation (valid for every integer plan).

    Training runs name their fabric; inference ports are split over fabrics by
    :math:`serve_{g,s,f,y} \le P^{inf}_{g,s}\, fabric_{s,f}` (P the most inference ports the group's
    demand could need at the site). Then :math:`E_f su_{g,s,f,y} \ge ports_i (1+k_i) run_i
    + serve_{g,s,f,y}` for each training run i on fabric f (runs share nodes over time, so each on
    its own), so the relaxation cannot put a site's serving on a cheap fabric and its training on
    another.
    """
    tiers, spare = d.scenario.gpu_tiers, d.scenario.workloads.spare_fraction

    def ports(i):
        return fabric_ports(tiers.loc[i[1]]) * (1 + spare[i[0]])

    serving = group_by(
        [i for i in d.run_index if d.kind[i[0]] == "inference"], lambda i: (d.group_of[i[0]], i[2], i[4])
    )
    training = group_by(
        [i for i in d.run_index if d.kind[i[0]] != "inference"],
        lambda i: (d.group_of[i[0]], i[2], i[3], i[4]),
    )
    most = {}
    for (g, s, _), runs in serving.items():
        need = {}
        for i in runs:
            need[i[0]] = max(need.get(i[0], 0.0), ports(i) * (pyo.value(m.run_bound[i]) + 1))
        most[g, s] = max(most.get((g, s), 0.0), sum(need.values()))
    m.SERVE = pyo.Set(initialize=[i for i in m.SU if (i[0], i[1], i[3]) in serving], dimen=4, ordered=True)
    m.serve = pyo.Var(m.SERVE, domain=pyo.NonNegativeReals, doc="inference ports on this fabric")
    m.serve_all = pyo.Constraint(
        list(serving),
        rule=lambda m, g, s, y: (
            sum(m.serve[g, s, f, y] for f in m.F) >= sum(ports(i) * m.run[i] for i in serving[g, s, y])
        ),
    )
    m.serve_on_fabric = pyo.Constraint(
        m.SERVE, rule=lambda m, g, s, f, y: m.serve[g, s, f, y] <= most[g, s] * m.fabric[s, f]
    )

    def serve(g, s, f, y):
        return m.serve[g, s, f, y] if (g, s, f, y) in m.SERVE else 0

    m.ports_by_fabric = pyo.Constraint(
        [i for runs in training.values() for i in runs if (d.group_of[i[0]], i[2], i[3], i[4]) in m.SU],
        rule=lambda m, w, t, s, f, y: (
            ports((w, t)) * m.run[w, t, s, f, y] + serve(d.group_of[w], s, f, y)
            <= per_su[f] * m.su[d.group_of[w], s, f, y]
        ),
    )
    m.serve_in_units = pyo.Constraint(
        m.SERVE, rule=lambda m, g, s, f, y: m.serve[g, s, f, y] <= per_su[f] * m.su[g, s, f, y]
    )


def built_sum(m: pyo.ConcreteModel, d: ModelData, s: str, f: str, y: int, quantity) -> pyo.Expression:
    r"""A quantity of the size built by year y, :math:`\sum_k (q_k - q_{k-1})\, built_{s,f,k,y}` with
    :math:`q_0 = 0`: the telescoping sum leaves :math:`q_K` for a fabric built for K units."""
    terms, before = [], 0
    for k in range(1, d.design_limit.get((s, f), 0) + 1):
        now = quantity(d.designs[s, f, k])
        terms.append((now - before) * m.built[s, f, k, y])
        before = now
    return sum(terms)


def _services(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Items of each service per site and year, and how many are bought that year.

    site basis: per × (site open, for fabric kind "any"; else site has a fabric of that kind built),
    bought in the year it opens or the fabric is built, licensed from then on; rack basis:
    per × racks fitted; node basis: per × nodes; gpu basis: per × GPUs.
    """
    sc = d.scenario
    services, tiers = sc.services, sc.gpu_tiers
    kind = dict(sc.fabrics.kind)
    m.SVC = pyo.Set(initialize=list(services.index), ordered=True)
    m.SVC_SY = pyo.Set(
        initialize=[(i, s, y) for i in services.index for s in d.sites for y in d.years],
        dimen=3,
        ordered=True,
    )
    nodes_at = group_by(list(m.NODE), lambda i: (i[2], i[3]))
    buys_at = group_by(d.buy_index, lambda i: (i[2], i[3]))
    racks_at = group_by(d.infra_racks, lambda i: i[0])
    earlier = dict(zip(d.years[1:], d.years[:-1], strict=True))

    def site_has(m, fabric_kind, s, y):
        if y is None:  # before the first planning year
            return 0
        if fabric_kind == "any":
            return m.open[s, y]
        return sum(m.built[s, f, 1, y] for f in m.F if kind[f] == fabric_kind and (s, f, 1, y) in m.BUILT)

    def count(m, i, s, y, bought):
        svc = services.loc[i]
        per = svc.per_basis
        if svc.basis == "site":
            on = site_has(m, svc.fabric_kind, s, y)
            return per * (on - site_has(m, svc.fabric_kind, s, earlier.get(y)) if bought else on)
        if svc.basis == "rack":
            fitted = sum(m.rack_fitted[s, r, y] for (_, r) in racks_at.get(s, ()))
            before = sum(previous(m.rack_fitted, (s, r), y, d.years) for (_, r) in racks_at.get(s, ()))
            return per * (fitted - before if bought else fitted)
        pool, var = (buys_at, m.buy) if bought else (nodes_at, m.nodes)
        gpus = 1 if svc.basis == "node" else None
        return per * sum(
            (gpus or tiers.at[k[1], "gpus_per_node"]) * var[k]
            for k in pool.get((s, y), ())
            if not svc.stacks or tiers.at[k[1], "stack"] in svc.stacks
        )

    m.service_items = pyo.Expression(m.SVC_SY, rule=lambda m, i, s, y: count(m, i, s, y, bought=False))
    m.service_new = pyo.Expression(m.SVC_SY, rule=lambda m, i, s, y: count(m, i, s, y, bought=True))
