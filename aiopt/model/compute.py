"""Family 1, compute demand: throughput, one tier per training run, memory fit, node pools."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from .. import demand
from .data import ANY_FABRIC, ModelData, group_by, replicas_per_node, serving_nodes_bound
from .rent import rented_runs, rented_supply


def add_compute(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Every workload's effective throughput is met each year it is active.

    .. math::
        \sum_{t,s} run_{w,t,s,y}\, P_{w,t} + \sum_{t,s,f} eff_{w,t,s,f,y} \ge scale \cdot D_{w,y}

    Inference runs count :math:`P_{w,t}` output tokens/s per node (the serving roofline,
    `aiopt.throughput`) against D in output tokens/s; training counts effective PFLOPS.
    A training run on N nodes delivers :math:`\phi(N) = N\, p_{w,t,f}\, good_{w,t}(N)`, p the
    failure-free PFLOPS of a node on fabric f (:math:`\eta_f` included) and good the Young/Daly
    goodput at N nodes: concave, so the chords of :math:`\phi` between breakpoints
    :math:`0 = N_0 < N_1 < \dots < N_J` (`data.goodput_chords`; :math:`N_J` the site's rack bound)
    model it exactly where they meet, :math:`eff_{w,t,s,f,y} \le a_j + b_j\, run_{w,t,s,f,y}` for
    every j. Their lower envelope never exceeds :math:`\phi`, so a plan meets its deadline at its
    own node count; on a segment it falls short by at most :math:`1 - good(N_j)/good(N_{j-1})`
    (about 1 % for a 90 % goodput job and the 1.25 step; the chord error itself is second order),
    and above the last fine breakpoint, where no min-NPV run goes, by more.

    Each year's training run is on one tier at one site or on one rented offer (family rent),
    :math:`\sum_{t,s} pick_{w,t,s,y} + \sum_o rent_{w,o,y} = 1`; rented GPUs add to the supply,
    :math:`\sum_f run_{w,t,s,f,y} \le M_{w,t,s,y}\, pick_{w,t,s,y}`, holds the training state,
    :math:`\sum_{s,f} run_{w,t,s,f,y}\, gpus_t HBM_t \ge S_w \sum_s pick_{w,t,s,y}` (S_w the state
    by method, `demand.training_state_gb`), and takes whole nodes,
    :math:`job_{w,t,s,y} = u_t\, units_{w,t,s,y} \ge \sum_f run`, units integer and u_t the node
    unit (`data.node_unit`: a node, or a compute tray of a rack-scale node; `_whole_domains`),
    at least its least size, :math:`job_{w,t,s,y} \ge L_{w,t,s,y}\, pick_{w,t,s,y}` (`least_nodes`).
    Serving takes whole replicas (`_replicas`); jobs share their pool over the year beside the
    serving and spares (`_shared_pools`). A workload is present at a site in a year where it
    runs: training where its tier was picked, inference :math:`run \le M\, present_{w,s,y}` (M from
    `run_bound`).
    """
    tiers, wl = d.rows["gpu_tiers"], d.rows["workloads"]
    training = [i for i in d.run_index if d.kind[i[0]] != "inference"]
    serving = [i for i in d.run_index if d.kind[i[0]] == "inference"]
    m.TRAIN = pyo.Set(initialize=training, dimen=5, ordered=True)
    m.eff = pyo.Var(m.TRAIN, domain=pyo.NonNegativeReals, doc="effective PFLOPS of a training run")
    m.job_units = pyo.Var(m.PICK, domain=pyo.NonNegativeIntegers, doc="whole node units a training run holds")
    _whole_domains(m, d)

    m.run_bound = pyo.Expression(m.RUN, rule=lambda m, *i: run_bound(m, d, i))
    _replicas(m, d, serving)
    runs_of = group_by(d.run_index, lambda i: (i[0], i[4]))

    def demand_met(m, w, y):
        owned = runs_of.get((w, y), ())
        supply = sum(m.eff[i] if i in m.TRAIN else replica_supply(m, d, i) for i in owned)
        return supply + rented_supply(m, w, y) >= m.scale * m.demand[w, y]

    m.demand_met = pyo.Constraint([wy for wy in m.WY if wy in runs_of or wy in m.rents_of], rule=demand_met)
    m.goodput_chord = pyo.Constraint(
        [(*i, j) for i in training for j in range(len(d.goodput_chords[i]))],
        rule=lambda m, w, t, s, f, y, j: (
            m.eff[w, t, s, f, y]
            <= d.goodput_chords[w, t, s, f, y][j][0]
            + d.goodput_chords[w, t, s, f, y][j][1] * m.run[w, t, s, f, y]
        ),
    )

    picks_of = group_by(d.pick_index, lambda i: (i[0], i[3]))
    choices = sorted(set(picks_of) | {(w, y) for (w, _, y) in m.RENT})
    m.one_tier = pyo.Constraint(
        choices,
        rule=lambda m, w, y: sum(m.pick[i] for i in picks_of.get((w, y), ())) + rented_runs(m, w, y) == 1,
    )
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
    m.least_nodes = pyo.Param(
        m.PICK, mutable=True, initialize=lambda m, *i: least_nodes(m, i), doc="fewest nodes of a run"
    )
    m.least_job = pyo.Constraint(
        m.PICK, rule=lambda m, *i: job_nodes(m, d, i) >= m.least_nodes[i] * m.pick[i]
    )
    site_picks = group_by(d.pick_index, lambda i: (i[0], i[2], i[3]))
    m.present_where_picked = pyo.Constraint(
        list(site_picks),
        rule=lambda m, w, s, y: m.present[w, s, y] == sum(m.pick[i] for i in site_picks[w, s, y]),
    )

    tier_runs = group_by(training, lambda i: (i[0], i[1], i[4]))
    tier_picks = group_by(d.pick_index, lambda i: (i[0], i[1], i[3]))

    def memory_fit(m, w, t, y):
        gpu_gb = tiers[t].gpus_per_node * tiers[t].hbm_gb
        state = demand.training_state_gb(wl[w].params_b, wl[w].method)
        return sum(m.run[i] for i in tier_runs[w, t, y]) * gpu_gb >= state * sum(
            m.pick[p] for p in tier_picks[w, t, y]
        )

    m.memory_fit = pyo.Constraint(list(tier_runs), rule=memory_fit)

    _shared_pools(m, d, serving)
    m.run_at_site = pyo.Constraint(
        serving,
        rule=lambda m, w, t, s, f, y: m.run[w, t, s, f, y] <= m.run_bound[w, t, s, f, y] * m.present[w, s, y],
    )


def replica_supply(m: pyo.ConcreteModel, d: ModelData, run: tuple):
    """What a serving run's whole replicas deliver: replicas x per-node rate / replicas per node."""
    w, t, s, _, y = run
    return m.replicas[w, t, s, y] * d.perf[w, t, ANY_FABRIC] / replicas_per_node(d, w, t)


def _replicas(m: pyo.ConcreteModel, d: ModelData, serving: list[tuple]) -> None:
    r"""Serving in whole replicas, at least :math:`R^{min}_w` at each site, on one tier unless mixed.

    A replica is `data.replica_gpus` GPUs inside one node, ρ = ⌊GPUs per node / replica GPUs⌋ to a
    node: :math:`run_{w,t,s,y} \ge replicas_{w,t,s,y} / \rho_{w,t}`; a site it serves from holds
    :math:`\sum_t replicas_{w,t,s,y} \ge R^{min}_w present_{w,s,y}`. Without `mixed_tiers` one tier
    a year, :math:`\sum_t tier_{w,t,y} \le 1`,
    :math:`replicas \le \rho\, M\, tier_{w,t,y}` (M = `run_bound`). With `min_sites` ≥ 2 it is present at
    that many sites, each carrying its share of the peak on its own:
    :math:`\sum_t replicas_{w,t,s,y}\, P_{w,t} / \rho \ge share_w D_{w,y}\, present_{w,s,y}`.
    """
    wl = d.rows["workloads"]
    m.REPLICA = pyo.Set(initialize=[(w, t, s, y) for (w, t, s, _, y) in serving], dimen=4, ordered=True)
    m.replicas = pyo.Var(m.REPLICA, domain=pyo.NonNegativeIntegers, doc="whole serving replicas")
    m.replica_nodes = pyo.Constraint(
        m.REPLICA,
        rule=lambda m, w, t, s, y: (
            m.run[w, t, s, ANY_FABRIC, y] * replicas_per_node(d, w, t) >= m.replicas[w, t, s, y]
        ),
    )
    at_site = group_by(m.REPLICA, lambda i: (i[0], i[2], i[3]))
    m.min_replicas = pyo.Constraint(
        list(at_site),
        rule=lambda m, w, s, y: (
            sum(m.replicas[i] for i in at_site[w, s, y]) >= int(wl[w].min_replicas) * m.present[w, s, y]
        ),
    )
    single = sorted({(w, t, y) for (w, t, s, y) in m.REPLICA if not wl[w].mixed_tiers})
    m.SERVE_TIER = pyo.Set(initialize=single, dimen=3, ordered=True)
    m.serve_tier = pyo.Var(m.SERVE_TIER, domain=pyo.Binary, doc="serving workload uses this tier this year")
    tiers_of = group_by(single, lambda i: (i[0], i[2]))
    m.one_serving_tier = pyo.Constraint(
        list(tiers_of), rule=lambda m, w, y: sum(m.serve_tier[i] for i in tiers_of[w, y]) <= 1
    )
    m.replicas_on_tier = pyo.Constraint(
        [i for i in m.REPLICA if (i[0], i[1], i[3]) in m.SERVE_TIER],
        rule=lambda m, w, t, s, y: (
            m.replicas[w, t, s, y]
            <= replicas_per_node(d, w, t) * m.run_bound[w, t, s, ANY_FABRIC, y] * m.serve_tier[w, t, y]
        ),
    )
    spread = sorted({(w, y) for (w, _, y) in at_site if wl[w].min_sites > 1})
    m.min_sites = pyo.Constraint(
        spread,
        rule=lambda m, w, y: (
            sum(m.present[w, s, y] for (w2, s, y2) in m.WSY if (w2, y2) == (w, y)) >= int(wl[w].min_sites)
        ),
    )
    m.site_carries_share = pyo.Constraint(
        [i for i in at_site if (i[0], i[2]) in spread],
        rule=lambda m, w, s, y: (
            sum(replica_supply(m, d, (w, t, s, ANY_FABRIC, y)) for (_, t, _, _) in at_site[w, s, y])
            >= wl[w].site_peak_share * m.demand[w, y] * m.present[w, s, y]
        ),
    )


def _shared_pools(m: pyo.ConcreteModel, d: ModelData, serving: list[tuple]) -> None:
    r"""Training runs share their pool's nodes over the year; serving holds its nodes all year.

    A pool's jobs run one after another on the nodes beside serving and spares, each run needing
    all its nodes at once. Where the jobs that may pick a pool could book more than
    :math:`365\, u_{max}` days between them (`data.solo_index`), a job may instead hold nodes of its
    own, :math:`own_i \ge job_i - M_i (1 - solo_i)`, :math:`solo_i \le pick_i`, and the others keep
    to :math:`\sum_i b_i (pick_i - solo_i) \le 365\, u_{max}` (b_i the days its runs book a year).
    For every job i of pool p (one row with no job where the pool has none):

    .. math::
        job_i + \sum_{j \ne i} own_j + \sum_{w \in p} run^{inf}_w + u_t\, spare_p \le nodes_p

    so the jobs in sequence and the solo jobs side by side fit, and a list scheduler
    (`aiopt.schedule`) always places every run.
    """
    m.POOL_JOB = pyo.Set(initialize=pool_job_rows(d), dimen=5, ordered=True)
    m.SOLO = pyo.Set(initialize=d.solo_index, dimen=4, ordered=True)
    m.solo = pyo.Var(m.SOLO, domain=pyo.Binary, doc="training run holds nodes of its own, beside the others")
    m.own = pyo.Var(m.SOLO, domain=pyo.NonNegativeReals, doc="nodes a solo training run holds")
    m.solo_if_picked = pyo.Constraint(m.SOLO, rule=lambda m, *i: m.solo[i] <= m.pick[i])
    m.own_nodes = pyo.Constraint(
        m.SOLO,
        rule=lambda m, *i: m.own[i] >= job_nodes(m, d, i) - max_nodes_of_job(m, d, i) * (1 - m.solo[i]),
    )
    limit = demand.DAYS_PER_YEAR * d.scenario.policy["max_pool_utilisation"]
    solo_pools = group_by(d.solo_index, d.pool_of)
    m.pool_days = pyo.Constraint(
        list(solo_pools),
        rule=lambda m, g, t, s, y: (
            sum(d.booked_days[i[0]] * (m.pick[i] - m.solo[i]) for i in solo_pools[g, t, s, y]) <= limit
        ),
    )
    pool_serving = group_by(serving, d.pool_of)
    m.pool_cover = pyo.Constraint(
        m.POOL_JOB,
        rule=lambda m, *r: (
            beside(m, d, r, lambda i: job_nodes(m, d, i), lambda i: m.own[i])
            + sum(m.run[i] for i in pool_serving.get(r[:4], ()))
            + d.node_unit[r[1]] * m.spare[r[:4]]
            <= m.nodes[r[:4]]
        ),
    )


NO_JOB = "(no job)"  # workload slot of the pool_cover row of a pool that no training run may pick


def pool_job_rows(d: ModelData) -> list[tuple]:
    """(g, t, s, y, w): one row per job w that may pick pool (g, t, s, y); (..., NO_JOB) for the others."""
    jobs = group_by(d.pick_index, d.pool_of)
    rows = []
    for g, t, s in d.gts:
        for y in d.years:
            rows += [(g, t, s, y, w) for (w, *_) in jobs.get((g, t, s, y), [(NO_JOB,)])]
    return rows


def beside(m: pyo.ConcreteModel, d: ModelData, row: tuple, of_job, of_solo):
    r"""What a pool's jobs need at once while job i runs: :math:`x_i + \sum_{j \ne i} y_j` over the
    pool's solo jobs j, with x = `of_job`, y = `of_solo` (nodes, spares or reads of a job)."""
    g, t, s, y, w = row
    mine = of_job((w, t, s, y)) if w != NO_JOB else 0
    others = [i for i in d.solo_by_pool.get((g, t, s, y), ()) if i[0] != w]
    return mine + sum(of_solo(i) for i in others)


def run_bound(m: pyo.ConcreteModel, d: ModelData, index: tuple):
    r"""Most nodes one run can usefully take, the big-M of every on/off link of a run.

    Under min NPV a run never needs more than its demand plus what memory fit forces,
    :math:`D_{w,y} / P_{w,t,f} + \lceil S_w / (gpus_t HBM_t) \rceil`, P at the goodput of the
    largest run the build-time demand needs (`data._performance`); a Param expression, so it
    follows a sweep's demand, and valid while the demand stays within that build-time need.
    Under max capacity, the site's rack bound.
    """
    w, t, s, f, y = index
    if d.scenario.policy["objective"] != "min_npv":
        return d.max_nodes[t, s]
    if d.kind[w] == "inference":
        return serving_nodes_bound(d, w, t, m.demand[w, y])
    return m.demand[w, y] / d.perf[w, t, f] + d.memory_nodes.get((w, t), 0)


def job_nodes(m: pyo.ConcreteModel, d: ModelData, job: tuple):
    """Nodes a training run (w, t, s, y) holds: its whole units times the unit (`data.node_unit`),
    plus, on a rack-scale tier, the whole nodes (NVLink domains) of a run that spans several."""
    trays = d.node_unit[job[1]] * m.job_units[job]
    return trays + m.job_domains[job] if job in m.RACK_JOB else trays


def _whole_domains(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""A run on a rack-scale tier (node unit u < 1: compute trays of one NVLink domain) either stays
    inside one domain on trays or takes whole domains: with :math:`span_i` binary,
    :math:`units_i \le (1/u - 1)(1 - span_i)` and :math:`domains_i \le M_i\, span_i`, the run's nodes
    :math:`u\, units_i + domains_i` (M from `run_bound`)."""
    m.RACK_JOB = pyo.Set(initialize=[i for i in d.pick_index if d.node_unit[i[1]] < 1], dimen=4, ordered=True)
    m.job_domains = pyo.Var(m.RACK_JOB, domain=pyo.NonNegativeIntegers, doc="whole NVLink domains of a run")
    m.spans = pyo.Var(m.RACK_JOB, domain=pyo.Binary, doc="run spans NVLink domains: takes them whole")
    m.trays_in_one_domain = pyo.Constraint(
        m.RACK_JOB,
        rule=lambda m, *i: m.job_units[i] <= (round(1 / d.node_unit[i[1]]) - 1) * (1 - m.spans[i]),
    )
    m.domains_if_spanning = pyo.Constraint(
        m.RACK_JOB, rule=lambda m, *i: m.job_domains[i] <= (max_nodes_of_job(m, d, i) + 1) * m.spans[i]
    )


# tightenings that hold only while demand is met in full by whole nodes: the infeasibility
# explainer (demand elastic) and shadow prices (counts continuous) leave them out
WHOLE_DEMAND_ROWS = ("least_job",)
WHOLE_TOLERANCE = 1e-6  # a node count this close above a whole one rounds down to it (solver tolerance)


def least_nodes(m: pyo.ConcreteModel, job: tuple) -> float:
    r"""Fewest nodes a training run (w, t, s, y) can meet its current demand D with (`least_job`,
    a tightening of the relaxation; min NPV only, else 0).

    On fabric f every goodput chord bounds the run, :math:`D \le eff \le a_j + b_j N`, so
    :math:`N \ge \max_j (D - a_j) / b_j`; the least over the fabrics, at least the nodes whose HBM
    holds the training state, rounded up to a size the tier allows (`whole_job_nodes`). A
    mutable Param: every solve recomputes it from the demand (`aiopt.model.follow_params`).
    """
    d, (w, t, s, y) = m.data, job
    if d.scenario.policy["objective"] != "min_npv":
        return 0.0
    need = pyo.value(m.demand[w, y])
    chords = [d.goodput_chords[w, t, s, f, y] for f in d.fabrics if (w, t, s, f, y) in d.goodput_chords]
    by_goodput = min((max((need - a) / b for a, b in run if b > 0) for run in chords), default=0.0)
    tier, workload = d.rows["gpu_tiers"][t], d.rows["workloads"][w]
    state = demand.training_state_gb(workload.params_b, workload.method)
    by_memory = state / (tier.gpus_per_node * tier.hbm_gb)
    return whole_job_nodes(max(by_goodput, by_memory), d.node_unit[t])


def whole_job_nodes(nodes: float, unit: float) -> float:
    """The least size of at least `nodes` a run can hold: whole units (`data.node_unit`) inside one
    node, whole nodes (NVLink domains) beyond it."""
    within_one = math.ceil(nodes / unit - WHOLE_TOLERANCE) * unit
    return within_one if within_one <= 1 else math.ceil(nodes - WHOLE_TOLERANCE)


def max_nodes_of_job(m: pyo.ConcreteModel, d: ModelData, job: tuple):
    """The largest `run_bound` over the fabrics a training run (w, t, s, y) may use."""
    w, t, s, y = job
    if d.scenario.policy["objective"] != "min_npv":
        return d.max_nodes[t, s]
    return m.demand[w, y] / min(d.perf[w, t, f] for f in d.fabrics) + d.memory_nodes[w, t]
