"""Family 9, reliability: spare nodes, redundant spines, dual carriers, failure derating."""

from __future__ import annotations

import pyomo.environ as pyo

from .compute import NO_JOB, beside, job_nodes
from .data import ModelData, group_by
from .fabric import built_sum


def add_reliability(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""N+k spares, two or more spines per fabric, two carriers where inference is served.

    Spares are whole node units (`data.node_unit` u_t: a node, or a tray of a rack-scale node),
    :math:`u_t\, spare_p \ge k_i job_i + \sum_{j \ne i} k_j own_j + \sum_{w \in p} k_w run^{inf}_w` for every
    job i of pool p as it runs (`compute.beside`), spare integer (k_w the workload's spare
    fraction, job a training run's whole nodes, own a solo job's), so a
    pool that runs a job with spares holds at least one, :math:`spare_{g,t,s,y} \ge pick_{w,t,s,y}`
    (implied for integers, it tightens the relaxation); spares take nodes, racks, ports and power
    like any node.
    Every leaf of an SU design has redundant uplinks from its first year: the spines built
    (`fabric.built_sum`) :math:`\ge 2\, built_{s,f,1,y}`. A one-switch fabric (`fabric.single`) has
    no uplinks, so no spines and no second switch: a node's rail sits on one leaf in every SuperPOD
    too, so its switch is no more a single point of failure than any leaf. A site needs two
    independent carriers in the years it serves inference:
    :math:`carrier_{s,y} \ge present_{w,s,y}` for inference w at sites with fewer than two.
    Failures and checkpoint restarts derate training throughput by the Young/Daly goodput
    (`demand.goodput`) at each run's own node count (`goodput_chord`, family 1).
    """
    wl, sites = d.scenario.workloads, d.scenario.sites

    serving = group_by([i for i in d.run_index if d.kind[i[0]] == "inference"], d.pool_of)
    k = wl.spare_fraction
    m.spares_held = pyo.Constraint(
        [r for r in m.POOL_JOB if r[4] != NO_JOB or r[:4] in serving],
        rule=lambda m, *r: (
            d.node_unit[r[1]] * m.spare[r[:4]]
            >= beside(m, d, r, lambda i: k[i[0]] * job_nodes(m, d, i), lambda i: k[i[0]] * m.own[i])
            + sum(k[i[0]] * m.run[i] for i in serving.get(r[:4], ()))
        ),
    )
    m.spare_with_job = pyo.Constraint(
        [i for i in d.pick_index if k[i[0]] > 0],
        rule=lambda m, w, t, s, y: m.spare[d.group_of[w], t, s, y] >= m.pick[w, t, s, y],
    )
    m.redundant_spines = pyo.Constraint(
        [(s, f, y) for (s, f) in d.design_limit for y in d.years],
        rule=lambda m, s, f, y: built_sum(m, d, s, f, y, lambda size: size.spine) >= 2 * m.built[s, f, 1, y],
    )
    short = [s for s in d.sites if sites.at[s, "carriers"] < 2]
    m.CARRIER = pyo.Set(initialize=[(s, y) for s in short for y in d.years], dimen=2, ordered=True)
    m.second_carrier = pyo.Var(m.CARRIER, domain=pyo.Binary, doc="carriers added to reach two")
    m.dual_carriers = pyo.Constraint(
        [(w, s, y) for (w, s, y) in d.wsy if s in short and d.kind[w] == "inference"],
        rule=lambda m, w, s, y: m.second_carrier[s, y] >= m.present[w, s, y],
    )
