"""Family 1, compute demand: throughput, one tier per training job, memory fit, node pools."""

from __future__ import annotations

import pyomo.environ as pyo

from .. import demand
from .data import ModelData, group_by


def add_compute(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Every workload's effective throughput is met each year it is active.

    .. math::
        \sum_{t,s,f} run_{w,t,s,f,y}\, P_{w,t,f} \ge scale \cdot D_{w,y}
        \qquad P_{w,t,f} = gpus_t \cdot TF_t \cdot MFU_{w,t} \cdot \eta_f \cdot good_{w,t} / 1000

    (inference: :math:`\eta_f \cdot good` replaced by the latency factor). A training or
    fine-tuning job runs on one tier at one site, :math:`\sum_{t,s} pick_{w,t,s} = 1`,
    :math:`run_{w,t,s,f,y} \le M_{w,t,s,f,y}\, pick_{w,t,s}`, and its GPUs hold the training
    state, :math:`\sum_{s,f} run_{w,t,s,f,y} \cdot gpus_t \cdot HBM_t \ge 16 N \sum_s pick_{w,t,s}`.
    Runs plus spares fit in the installed pool of the workload's group,
    :math:`\sum_{w \in g} run_{w,t,s,\cdot,y} + spare_{g,t,s,y} \le nodes_{g,t,s,y}`, and a
    workload uses a site only where it is present, :math:`run \le M_{w,t,s,f,y}\, present_{w,s}`
    (M from `run_bound`); a training job is present where its tier was picked.
    """
    tiers, wl = d.scenario.gpu_tiers, d.scenario.workloads
    runs_of = group_by(d.run_index, lambda i: (i[0], i[4]))

    def demand_met(m, w, y):
        supply = sum(m.run[i] * d.perf[i[0], i[1], i[3]] for i in runs_of[w, y])
        return supply >= m.scale * m.demand[w, y]

    m.demand_met = pyo.Constraint([wy for wy in m.WY if wy in runs_of], rule=demand_met)

    picks_of = group_by(d.pick_index, lambda i: i[0])
    m.one_tier = pyo.Constraint(list(picks_of), rule=lambda m, w: sum(m.pick[i] for i in picks_of[w]) == 1)
    m.run_bound = pyo.Expression(m.RUN, rule=lambda m, *i: run_bound(m, d, i))
    m.run_on_pick = pyo.Constraint(
        [i for i in d.run_index if d.kind[i[0]] != "inference"],
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.pick[w, t, s],
    )
    site_picks = group_by(d.pick_index, lambda i: (i[0], i[2]))
    m.present_where_picked = pyo.Constraint(
        list(site_picks), rule=lambda m, w, s: m.present[w, s] == sum(m.pick[i] for i in site_picks[w, s])
    )

    tier_runs = group_by(
        [i for i in d.run_index if d.kind[i[0]] != "inference"], lambda i: (i[0], i[1], i[4])
    )
    tier_picks = group_by(d.pick_index, lambda i: (i[0], i[1]))

    def memory_fit(m, w, t, y):
        gpu_gb = tiers.at[t, "gpus_per_node"] * tiers.at[t, "hbm_gb"]
        state = demand.training_state_gb(wl.at[w, "params_b"])
        return sum(m.run[i] for i in tier_runs[w, t, y]) * gpu_gb >= state * sum(
            m.pick[p] for p in tier_picks[w, t]
        )

    m.memory_fit = pyo.Constraint(list(tier_runs), rule=memory_fit)

    pool_runs = group_by(d.run_index, lambda i: (d.group_of[i[0]], i[1], i[2], i[4]))
    m.pool_cover = pyo.Constraint(
        m.NODE,
        rule=lambda m, g, t, s, y: (
            sum(m.run[i] for i in pool_runs.get((g, t, s, y), ())) + m.spare[g, t, s, y]
            <= m.nodes[g, t, s, y]
        ),
    )
    m.run_at_site = pyo.Constraint(
        m.RUN,
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.present[w, s],
    )


def run_bound(m: pyo.ConcreteModel, d: ModelData, index: tuple):
    r"""Most nodes one run can usefully take, the big-M of every on/off link of a run.

    Under min NPV a run never needs more than its demand plus what memory fit forces,
    :math:`D_{w,y} / P_{w,t,f} + \lceil 16N / (gpus_t HBM_t) \rceil` (a Param expression, so it
    stays valid when a sweep changes demand); under max capacity, the site's rack bound.
    """
    w, t, s, f, y = index
    if d.scenario.policy["objective"] != "min_npv":
        return d.max_nodes[t, s]
    return m.demand[w, y] / d.perf[w, t, f] + d.memory_nodes.get((w, t), 0)
