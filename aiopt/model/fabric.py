"""Family 2, fabric: one compute fabric per site for the jobs that span nodes, one switch or sized by
the SuperPOD fat-tree rules, plus the storage, front-end and out-of-band networks and the management
and observability services."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from .compute import beside, job_nodes
from .data import ModelData, group_by, previous, skip_trivial


def add_fabric(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Compute fabric per site for the jobs that span nodes: one switch, or a fat tree built SU by SU.

    One fabric per site, :math:`\sum_f fabric_{s,f} \le 1`. Only training jobs that span nodes
    (`data.spans_nodes`) use it; serving replicas and jobs inside one node or NVLink domain use the
    front-end network (the `frontend-port` service), and such a job stays in one node,
    :math:`job_{w,t,s,y} \le pick_{w,t,s,y}`. A pool's fabric nodes cover each such job as it runs
    beside the pool's other solo jobs that span nodes and its spares on the fabric (`compute.beside`):
    :math:`fnodes_p \ge job_i + \sum_{j \ne i} own_j + u_t\, fspare_p`, among the pool's nodes,
    :math:`fnodes_p \le nodes_p` (so a switch is placed only for nodes there). The pool's spares are
    on the fabric while such a job is picked there, and serving's alone never are:
    :math:`fspare_p \ge spare_p - S_p (1 - pick_i)` with :math:`S_p = \max(1, \lceil k_{max}\,
    N^{max}_{t,s} / u_t \rceil)`, the most spares a pool can need (rack-limited nodes
    :math:`N^{max}`, largest spare fraction :math:`k_{max}`), and, to tighten the relaxation,
    :math:`u_t\, fspare_p \ge k_i job_i + \sum_{j \ne i} k_j own_j` over those jobs.

    A node group whose fabric ports fit one switch of radix :math:`k_f` may take that switch alone,
    :math:`single_{g,s,f,y}` binary, with no spine layer (`fabric_sizing.single_switch`); otherwise
    the design is one of the tabulated sizes of 1..K scalable units, never both in a year,
    :math:`single_{g,s,f,y} + built_{s,f,1,y} \le 1`, placed for the group's ports and kept,
    :math:`single_{g,s,f,y} \le \sum_t ports_t\, fnodes_{g,t,s,y} + single_{g,s,f,y-1}`.
    "Built for at least k units by year y"
    binaries grow with the site, :math:`built_{s,f,k,y} \le built_{s,f,k-1,y}`,
    :math:`built_{s,f,k,y} \ge built_{s,f,k,y-1}` (family 7), :math:`built_{s,f,1,Y} \le fabric_{s,f}`;
    their sum, the integer :math:`units_{s,f,y} = \sum_k built_{s,f,k,y}`, is the size built, the
    final year's the design. A fabric is the gear built for it,
    :math:`fabric_{s,f} \le built_{s,f,1,Y} + \sum_{g,y} single_{g,s,f,y}` (so the relaxation pays
    for the fabric its runs use). Spines, core and inter-switch links installed in year y are those of
    the size built, the telescoping `built_sum`, and are bought in the year they first appear (the
    SuperPOD RAs grow pod by pod; `size_for_units` never shrinks as units are added,
    tests/model/test_fabric.py, so a 2-tier fabric grows into 3 tiers by adding switches). Each
    node group fills whole SUs or its own switch (isolated workloads never share a leaf):
    :math:`\sum_t ports_t\, fnodes_{g,t,s,y} \le \sum_f (E_f\, su_{g,s,f,y} + k_f\, single_{g,s,f,y})`
    with :math:`E_f` = nodes per SU × rails, and :math:`\sum_g su_{g,s,f,y} \le \sum_k built_{s,f,k,y}`.
    Leaves = leaves per SU × SUs (one per rail in every SuperPOD) + single switches; switches
    installed never decrease (a single switch stays, or becomes a leaf). A training run
    that spans nodes on fabric f needs it: :math:`run_{w,t,s,f,y} \le M_{w,t,s,f,y}\, fabric_{s,f}`
    (a tier lists the fabrics it supports, `data._eligibility`). Fabric ports installed are bought
    as they are first needed, a NIC and link each, a link only for tiers whose NICs are on chip, and
    retire with the nodes they were bought for, after the hardware lifetime L:
    :math:`\sum_{f,\; y - L < y' \le y} nic_{s,f,y'} \ge \sum ports_t\, fnodes_{g,t,s,y}` over each kind,
    on the site's fabric in a year with gear on it (a port bought before it can serve is bought
    later for less and serves longer),
    :math:`nic_{s,f,y} \le P^{max}_s (built_{s,f,1,y} + \sum_g single_{g,s,f,y})`.

    `_ports_by_fabric` adds a per-fabric port cover that tightens the relaxation.

    Services (storage and front-end networks, out-of-band switches, head, fabric-manager and
    monitoring nodes, observability and security) scale with sites, racks, nodes or GPUs; a
    fabric-kind site service (the UFM pair) comes with an SU design: a one-switch fabric runs its
    subnet manager on the switch.
    """
    sc = d.scenario
    fabrics = sc.fabrics
    m.BUILT = pyo.Set(
        initialize=[(s, f, k, y) for (s, f, k) in d.designs for y in d.years], dimen=4, ordered=True
    )
    m.SU = pyo.Set(initialize=d.su_index, dimen=4, ordered=True)
    m.SFY = pyo.Set(initialize=[(s, f, y) for (s, f) in m.SF for y in d.years], dimen=3, ordered=True)
    m.built = pyo.Var(m.BUILT, domain=pyo.Binary, doc="fabric built for at least k scalable units")
    m.su = pyo.Var(m.SU, domain=pyo.NonNegativeIntegers, doc="scalable units deployed per node group")
    m.single = pyo.Var(m.SU, domain=pyo.Binary, doc="node group's fabric ports on one switch, no spines")
    m.nic_buy = pyo.Var(m.SFY, domain=pyo.NonNegativeReals, doc="fabric ports (NIC + link) bought")
    m.onchip_buy = pyo.Var(
        m.SFY, domain=pyo.NonNegativeReals, doc="fabric ports of on-chip NICs (link) bought"
    )

    last = d.years[-1]
    m.one_fabric = pyo.Constraint(m.S, rule=lambda m, s: sum(m.fabric[s, f] for f in m.F) <= 1)
    m.fabric_built = pyo.Constraint(
        list(d.design_limit), rule=lambda m, s, f: m.built[s, f, 1, last] <= m.fabric[s, f]
    )
    m.single_on_fabric = pyo.Constraint(
        m.SU, rule=lambda m, g, s, f, y: m.single[g, s, f, y] <= m.fabric[s, f]
    )
    singles_of = group_by(d.su_index, lambda i: (i[1], i[2]))
    m.fabric_of_gear = pyo.Constraint(
        m.SF,
        rule=lambda m, s, f: (
            m.fabric[s, f]
            <= (m.built[s, f, 1, last] if (s, f) in d.design_limit else 0)
            + sum(m.single[i] for i in singles_of.get((s, f), ()))
        ),
    )
    m.single_or_design = pyo.Constraint(
        [i for i in m.SU if (i[1], i[2]) in d.design_limit],
        rule=lambda m, g, s, f, y: m.single[g, s, f, y] + m.built[s, f, 1, y] <= 1,
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
    _fabric_nodes(m, d)
    pools = group_by(list(m.FABRIC_POOL), lambda p: (p[0], p[2], p[3]))
    per_su = {f: int(fabrics.at[f, "nodes_per_su"] * fabrics.at[f, "rails"]) for f in d.fabrics}
    radix = {f: int(fabrics.at[f, "radix"]) for f in d.fabrics}

    def node_ports(m, g, s, y):
        return sum(d.ports_per_node[p[1]] * m.fabric_nodes[p] for p in pools.get((g, s, y), ()))

    m.ports_in_units = pyo.Constraint(
        sorted({(g, s, y) for (g, s, _, y) in d.su_index}),
        rule=lambda m, g, s, y: (
            node_ports(m, g, s, y)
            <= sum(per_su[f] * m.su[g, s, f, y] + radix[f] * m.single[g, s, f, y] for f in m.F)
        ),
    )
    m.single_as_needed = pyo.Constraint(
        m.SU,
        rule=lambda m, g, s, f, y: (
            m.single[g, s, f, y] <= node_ports(m, g, s, y) + previous(m.single, (g, s, f), y, d.years)
        ),
    )
    m.units_as_needed = pyo.Constraint(
        m.SU, rule=lambda m, g, s, f, y: per_su[f] * (m.su[g, s, f, y] - 1) <= node_ports(m, g, s, y) - 1
    )
    _ports_by_fabric(m, d, per_su, radix)
    m.run_on_fabric = pyo.Constraint(
        [i for i in d.run_index if (i[0], i[1]) in d.spans_nodes],
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.fabric[s, f],
    )
    _nics(m, d, su_of)

    # quantities priced by the cost family and powered by the power family
    leaves_per_su = {f: d.designs_unit[f].leaf for f in d.fabrics}
    m.leaf_switches = pyo.Expression(
        m.SFY,
        rule=lambda m, s, f, y: sum(
            leaves_per_su[f] * m.su[i] + m.single[i] for i in su_of.get((s, f, y), ())
        ),
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
    # switches installed only grow (family 7): a group's one switch stays, or becomes a leaf
    m.switches_grow = pyo.Constraint(
        [i for i in m.SFY if i[2] != d.years[0]],
        rule=lambda m, s, f, y: m.switches[s, f, y] >= previous(m.switches, (s, f), y, d.years),
    )
    m.new_switches = pyo.Expression(
        m.SFY, rule=lambda m, s, f, y: m.switches[s, f, y] - previous(m.switches, (s, f), y, d.years)
    )
    m.new_fabric_links = pyo.Expression(
        m.SFY,
        rule=lambda m, s, f, y: m.fabric_links[s, f, y] - previous(m.fabric_links, (s, f), y, d.years),
    )
    _services(m, d)


def _fabric_nodes(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Nodes of each pool on the fabric (`add_fabric`): cover every job that spans nodes as it runs;
    a job that need not span nodes stays in one."""
    spans = d.spans_nodes
    rows = [r for r in m.POOL_JOB if (r[4], r[1]) in spans]
    m.FABRIC_POOL = pyo.Set(initialize=sorted({r[:4] for r in rows}), dimen=4, ordered=True)
    k = d.scenario.workloads.spare_fraction
    m.fabric_nodes = pyo.Var(m.FABRIC_POOL, domain=pyo.NonNegativeReals, doc="pool's nodes on the fabric")
    most = {
        p: max(1, math.ceil(max(k, default=0) * d.max_nodes.get(p[1:3], 0) / d.node_unit[p[1]]))
        for p in m.FABRIC_POOL
    }
    m.fabric_spare = pyo.Var(m.FABRIC_POOL, domain=pyo.NonNegativeReals, doc="pool's spares on the fabric")
    m.fabric_spare_with_job = pyo.Constraint(
        [r for r in rows if r[4:] + r[1:4] in m.PICK],
        rule=lambda m, *r: (
            m.fabric_spare[r[:4]] >= m.spare[r[:4]] - most[r[:4]] * (1 - m.pick[r[4:] + r[1:4]])
        ),
    )
    m.fabric_spare_of_jobs = pyo.Constraint(
        rows,
        rule=lambda m, *r: (
            d.node_unit[r[1]] * m.fabric_spare[r[:4]]
            >= beside(
                m,
                d,
                r,
                lambda i: k[i[0]] * job_nodes(m, d, i),
                lambda i: k[i[0]] * m.own[i] if i[:2] in spans else 0,
            )
        ),
    )
    m.fabric_nodes_cover = pyo.Constraint(
        rows,
        rule=lambda m, *r: (
            m.fabric_nodes[r[:4]]
            >= beside(m, d, r, lambda i: job_nodes(m, d, i), lambda i: m.own[i] if i[:2] in spans else 0)
            + d.node_unit[r[1]] * m.fabric_spare[r[:4]]
        ),
    )
    m.fabric_nodes_installed = pyo.Constraint(
        m.FABRIC_POOL, rule=lambda m, *p: m.fabric_nodes[p] <= m.nodes[p]
    )
    m.job_in_one_node = pyo.Constraint(
        [i for i in d.pick_index if i[:2] not in spans],
        rule=lambda m, *i: job_nodes(m, d, i) <= m.pick[i],
    )


def _nics(m: pyo.ConcreteModel, d: ModelData, su_of: dict) -> None:
    """Fabric ports installed by year y cover the pools' fabric ports that year, NIC ports for
    tiers with NICs to buy, link-only ports for tiers with NICs on chip (`add_fabric`)."""
    tiers = d.scenario.gpu_tiers
    onchip = dict(tiers.integrated_nics)
    pools_at = group_by(list(m.FABRIC_POOL), lambda p: (p[2], p[3]))

    def covered(bought, integrated):
        def rule(m, s, y):
            installed = sum(bought[s, f, o] for f in m.F for o in d.in_service(y))
            pools = [p for p in pools_at[s, y] if onchip[p[1]] == integrated]
            return installed >= sum(d.ports_per_node[p[1]] * m.fabric_nodes[p] for p in pools)

        return pyo.Constraint(
            [k for k, pools in pools_at.items() if any(onchip[p[1]] == integrated for p in pools)], rule=rule
        )

    m.nics_with_nodes = covered(m.nic_buy, False)
    m.links_with_onchip_nics = covered(m.onchip_buy, True)
    max_ports = {s: sum(d.max_nodes.get((t, s), 0) * d.ports_per_node[t] for t in d.tiers) for s in d.sites}

    def gear(m, s, f, y):
        built = m.built[s, f, 1, y] if (s, f) in d.design_limit else 0
        return built + sum(m.single[i] for i in su_of.get((s, f, y), ()))

    m.nics_of_fabric = pyo.Constraint(
        m.SFY,
        rule=lambda m, s, f, y: m.nic_buy[s, f, y] + m.onchip_buy[s, f, y] <= max_ports[s] * gear(m, s, f, y),
    )


def _ports_by_fabric(m: pyo.ConcreteModel, d: ModelData, per_su: dict, radix: dict) -> None:
    r"""Per-fabric port cover, a tightening of the relaxation (valid for every integer plan) for each
    training run that spans nodes on fabric f, each on its own with its spares (runs share nodes over
    time), so the relaxation cannot put a run on one fabric and its ports on another:

    .. math::
        ports_t (1+k_w)\, run_{w,t,s,f,y} \le E_f su_{g,s,f,y} + k_f\, fits_{w,t,f,y}\, single_{g,s,f,y}

    and the ports bought for fabric f by year y (NICs, or links for NICs on chip) cover it,
    :math:`\sum_{y - L < y' \le y} nic_{s,f,y'} \ge ports_t (1+k_w)\, run_{w,t,s,f,y}`. `fits` is 0 when the
    run, at its least size, has more ports than one switch: alone on the fabric it delivers at most
    :math:`b_0\, run` (the first goodput chord, through the origin), so it takes at least
    :math:`D_{w,y} / b_0` nodes, and a one-switch fabric cannot hold it (min NPV only; a mutable
    Param that `single_fits` recomputes when the demand changes)."""
    tiers, spare = d.scenario.gpu_tiers, d.scenario.workloads.spare_fraction
    onchip = dict(tiers.integrated_nics)
    runs = [i for i in d.run_index if i[:2] in d.spans_nodes and (d.group_of[i[0]], i[2], i[3], i[4]) in m.SU]

    def ports(w, t):
        return d.ports_per_node[t] * (1 + spare[w])

    m.single_fits = pyo.Param(
        runs, mutable=True, initialize=lambda m, *i: single_fits(m, i), doc="run may fit one switch (0/1)"
    )
    m.ports_by_fabric = pyo.Constraint(
        runs,
        rule=lambda m, w, t, s, f, y: (
            ports(w, t) * m.run[w, t, s, f, y]
            <= per_su[f] * m.su[d.group_of[w], s, f, y]
            + radix[f] * m.single_fits[w, t, s, f, y] * m.single[d.group_of[w], s, f, y]
        ),
    )

    def bought(m, w, t, s, f, y):
        nics = m.onchip_buy if onchip[t] else m.nic_buy
        return sum(nics[s, f, o] for o in d.in_service(y)) >= ports(w, t) * m.run[w, t, s, f, y]

    m.ports_bought_by_fabric = pyo.Constraint(runs, rule=bought)


def single_fits(m: pyo.ConcreteModel, run: tuple) -> int:
    """0 when a training run (w, t, s, f, y) at its least size, :math:`D_{w,y} / b_0` nodes at the
    current demand, has more fabric ports than one switch of f (`_ports_by_fabric`), else 1."""
    d, (w, t, _, f, y) = m.data, run
    intercept, slope = d.goodput_chords[run][0]
    if d.scenario.policy["objective"] != "min_npv" or intercept != 0:
        return 1
    least_ports = pyo.value(m.demand[w, y]) / slope * d.ports_per_node[t]
    return int(least_ports * (1 + d.rows["workloads"][w].spare_fraction) <= d.rows["fabrics"][f].radix)


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
    r"""Items of each service per site and year, and how many are bought that year.

    site basis: per × (site open, for fabric kind "any"; else site has a fabric of that kind built),
    bought in the year it opens or the fabric is built, licensed from then on; serving_site basis:
    per × :math:`serving_{s,y}`, a binary kept once set, :math:`serving_{s,y} \ge present_{w,s,y}`
    for every service w (load balancers and gateways stay once bought); rack basis: per × racks
    fitted; node basis: per × nodes; gpu basis: per × GPUs (of the service's `stacks` when listed).
    """
    sc = d.scenario
    services, tiers = d.rows["services"], d.rows["gpu_tiers"]
    kind = dict(sc.fabrics.kind)
    m.SVC = pyo.Set(initialize=list(services), ordered=True)
    m.SVC_SY = pyo.Set(
        initialize=[(i, s, y) for i in services for s in d.sites for y in d.years],
        dimen=3,
        ordered=True,
    )
    nodes_at = group_by(list(m.NODE), lambda i: (i[2], i[3]))
    buys_at = group_by(d.buy_index, lambda i: (i[2], i[3]))
    racks_at = group_by(d.infra_racks, lambda i: i[0])
    earlier = dict(zip(d.years[1:], d.years[:-1], strict=True))

    serving = group_by([i for i in d.wsy if d.kind[i[0]] == "inference"], lambda i: i[1:])
    m.SERVING_SITE = pyo.Set(
        initialize=[(s, y) for s in sorted({s for (s, _) in serving}) for y in d.years], dimen=2, ordered=True
    )
    m.serving_site = pyo.Var(m.SERVING_SITE, domain=pyo.Binary, doc="site has served inference by this year")
    m.serving_site_if_present = pyo.Constraint(
        [i for i in d.wsy if d.kind[i[0]] == "inference"],
        rule=lambda m, w, s, y: m.serving_site[s, y] >= m.present[w, s, y],
    )
    m.serving_site_kept = pyo.Constraint(
        [(s, y) for (s, y) in m.SERVING_SITE if y != d.years[0]],
        rule=lambda m, s, y: m.serving_site[s, y] >= m.serving_site[s, earlier[y]],
    )

    def site_has(m, svc, s, y):
        if y is None:  # before the first planning year
            return 0
        if svc.basis == "serving_site":
            return m.serving_site[s, y] if (s, y) in m.SERVING_SITE else 0
        fabric_kind = svc.fabric_kind
        if fabric_kind == "any":
            return m.open[s, y]
        return sum(m.built[s, f, 1, y] for f in m.F if kind[f] == fabric_kind and (s, f, 1, y) in m.BUILT)

    def count(m, i, s, y, bought):
        svc = services[i]
        per = svc.per_basis
        if svc.basis in ("site", "serving_site"):
            on = site_has(m, svc, s, y)
            return per * (on - site_has(m, svc, s, earlier.get(y)) if bought else on)
        if svc.basis == "rack":
            fitted = sum(m.rack_fitted[s, r, y] for (_, r) in racks_at.get(s, ()))
            before = sum(previous(m.rack_fitted, (s, r), y, d.years) for (_, r) in racks_at.get(s, ()))
            return per * (fitted - before if bought else fitted)
        pool, var = (buys_at, m.buy) if bought else (nodes_at, m.nodes)
        gpus = 1 if svc.basis == "node" else None
        return per * sum(
            (gpus or tiers[k[1]].gpus_per_node) * var[k]
            for k in pool.get((s, y), ())
            if not svc.stacks or tiers[k[1]].stack in svc.stacks
        )

    m.service_items = pyo.Expression(m.SVC_SY, rule=lambda m, i, s, y: count(m, i, s, y, bought=False))
    m.service_new = pyo.Expression(m.SVC_SY, rule=lambda m, i, s, y: count(m, i, s, y, bought=True))
