"""Family 1, compute demand: throughput, one tier per training run, memory fit, node pools."""

from __future__ import annotations

import pyomo.environ as pyo

from .. import demand
from .data import ModelData, group_by


def add_compute(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Every workload's effective throughput is met each year it is active.

    .. math::
        \sum_{t,s} run_{w,t,s,y}\, P_{w,t} + \sum_{t,s,f} eff_{w,t,s,f,y} \ge scale \cdot D_{w,y}

    Inference runs count :math:`P_{w,t} = gpus_t TF_t MFU_{w,t} \cdot latency_w / 1000` per node.
    A training run on N nodes delivers :math:`\phi(N) = N\, p_{w,t,f}\, good_{w,t}(N)`, p the
    failure-free PFLOPS of a node on fabric f (:math:`\eta_f` included) and good the Young/Daly
    goodput at N nodes: concave, so the chords of :math:`\phi` between breakpoints
    :math:`0 = N_0 < N_1 < \dots < N_J` (`data.goodput_chords`; :math:`N_J` the site's rack bound)
    model it exactly where they meet, :math:`eff_{w,t,s,f,y} \le a_j + b_j\, run_{w,t,s,f,y}` for
    every j. Their lower envelope never exceeds :math:`\phi`, so a plan meets its deadline at its
    own node count; on a segment it falls short by at most :math:`1 - good(N_j)/good(N_{j-1})`
    (about 1 % for a 90 % goodput job and the 1.25 step; the chord error itself is second order),
    and above the last fine breakpoint, where no min-NPV run goes, by more.

    Each year's training run is on one tier at one site, :math:`\sum_{t,s} pick_{w,t,s,y} = 1`,
    :math:`\sum_f run_{w,t,s,f,y} \le M_{w,t,s,y}\, pick_{w,t,s,y}`, holds the training state,
    :math:`\sum_{s,f} run_{w,t,s,f,y}\, gpus_t HBM_t \ge 16 N \sum_s pick_{w,t,s,y}`, and takes whole
    nodes, :math:`job_{w,t,s,y} = u_t\, units_{w,t,s,y} \ge \sum_f run`, units integer and u_t the
    node unit (`data.node_unit`: a node, or a compute tray of a rack-scale node). Jobs, inference runs and
    spares fit in the installed pool of the workload's group,
    :math:`\sum_{w \in g} (job_{w,t,s,y} + run^{inf}_{w,t,s,y}) + u_t\, spare_{g,t,s,y} \le nodes_{g,t,s,y}`.
    A workload is present at a site in a year where it runs: training where its tier was
    picked, inference :math:`run \le M\, present_{w,s,y}` (M from `run_bound`).
    """
    tiers, wl = d.scenario.gpu_tiers, d.scenario.workloads
    training = [i for i in d.run_index if d.kind[i[0]] != "inference"]
    serving = [i for i in d.run_index if d.kind[i[0]] == "inference"]
    m.TRAIN = pyo.Set(initialize=training, dimen=5, ordered=True)
    m.eff = pyo.Var(m.TRAIN, domain=pyo.NonNegativeReals, doc="effective PFLOPS of a training run")
    m.job_units = pyo.Var(m.PICK, domain=pyo.NonNegativeIntegers, doc="whole node units a training run holds")

    runs_of = group_by(d.run_index, lambda i: (i[0], i[4]))

    def demand_met(m, w, y):
        supply = sum(m.eff[i] if i in m.TRAIN else m.run[i] * d.perf[i[0], i[1], i[3]] for i in runs_of[w, y])
        return supply >= m.scale * m.demand[w, y]

    m.demand_met = pyo.Constraint([wy for wy in m.WY if wy in runs_of], rule=demand_met)
    m.goodput_chord = pyo.Constraint(
        [(*i, j) for i in training for j in range(len(d.goodput_chords[i]))],
        rule=lambda m, w, t, s, f, y, j: (
            m.eff[w, t, s, f, y]
            <= d.goodput_chords[w, t, s, f, y][j][0]
            + d.goodput_chords[w, t, s, f, y][j][1] * m.run[w, t, s, f, y]
        ),
    )

    picks_of = group_by(d.pick_index, lambda i: (i[0], i[3]))
    m.one_tier = pyo.Constraint(
        list(picks_of), rule=lambda m, w, y: sum(m.pick[i] for i in picks_of[w, y]) == 1
    )
    m.run_bound = pyo.Expression(m.RUN, rule=lambda m, *i: run_bound(m, d, i))
    job_runs = group_by(training, lambda i: (i[0], i[1], i[2], i[4]))
    m.run_on_pick = pyo.Constraint(
        m.PICK,
        rule=lambda m, w, t, s, y: (
            sum(m.run[i] for i in job_runs[w, t, s, y])
            <= max_nodes_of_job(m, d, (w, t, s, y)) * m.pick[w, t, s, y]
        ),
    )
    m.whole_job = pyo.Constraint(
        m.PICK,
        rule=lambda m, w, t, s, y: (
            sum(m.run[i] for i in job_runs[w, t, s, y]) <= job_nodes(m, d, (w, t, s, y))
        ),
    )
    site_picks = group_by(d.pick_index, lambda i: (i[0], i[2], i[3]))
    m.present_where_picked = pyo.Constraint(
        list(site_picks),
        rule=lambda m, w, s, y: m.present[w, s, y] == sum(m.pick[i] for i in site_picks[w, s, y]),
    )

    tier_runs = group_by(training, lambda i: (i[0], i[1], i[4]))
    tier_picks = group_by(d.pick_index, lambda i: (i[0], i[1], i[3]))

    def memory_fit(m, w, t, y):
        gpu_gb = tiers.at[t, "gpus_per_node"] * tiers.at[t, "hbm_gb"]
        state = demand.training_state_gb(wl.at[w, "params_b"], wl.at[w, "method"])
        return sum(m.run[i] for i in tier_runs[w, t, y]) * gpu_gb >= state * sum(
            m.pick[p] for p in tier_picks[w, t, y]
        )

    m.memory_fit = pyo.Constraint(list(tier_runs), rule=memory_fit)

    pool_jobs = group_by(d.pick_index, lambda i: (d.group_of[i[0]], i[1], i[2], i[3]))
    pool_serving = group_by(serving, lambda i: (d.group_of[i[0]], i[1], i[2], i[4]))
    m.pool_cover = pyo.Constraint(
        m.NODE,
        rule=lambda m, g, t, s, y: (
            sum(job_nodes(m, d, i) for i in pool_jobs.get((g, t, s, y), ()))
            + sum(m.run[i] for i in pool_serving.get((g, t, s, y), ()))
            + d.node_unit[t] * m.spare[g, t, s, y]
            <= m.nodes[g, t, s, y]
        ),
    )
    m.run_at_site = pyo.Constraint(
        serving,
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.present[w, s, y],
    )


def run_bound(m: pyo.ConcreteModel, d: ModelData, index: tuple):
    r"""Most nodes one run can usefully take, the big-M of every on/off link of a run.

    Under min NPV a run never needs more than its demand plus what memory fit forces,
    :math:`D_{w,y} / P_{w,t,f} + \lceil 16N / (gpus_t HBM_t) \rceil`, P at the goodput of the
    largest run the build-time demand needs (`data._performance`); a Param expression, so it
    follows a sweep's demand, and valid while the demand stays within that build-time need.
    Under max capacity, the site's rack bound.
    """
    w, t, s, f, y = index
    if d.scenario.policy["objective"] != "min_npv":
        return d.max_nodes[t, s]
    return m.demand[w, y] / d.perf[w, t, f] + d.memory_nodes.get((w, t), 0)


def job_nodes(m: pyo.ConcreteModel, d: ModelData, job: tuple):
    """Nodes a training run (w, t, s, y) holds: its whole units times the unit, `data.node_unit`."""
    return d.node_unit[job[1]] * m.job_units[job]


def max_nodes_of_job(m: pyo.ConcreteModel, d: ModelData, job: tuple):
    """The largest `run_bound` over the fabrics a training run (w, t, s, y) may use."""
    w, t, s, y = job
    if d.scenario.policy["objective"] != "min_npv":
        return d.max_nodes[t, s]
    return m.demand[w, y] / min(d.perf[w, t, f] for f in d.fabrics) + d.memory_nodes[w, t]
