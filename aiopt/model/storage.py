"""Family 3, storage: capacity by temperature, read and checkpoint bandwidth, encryption."""

from __future__ import annotations

import pyomo.environ as pyo

from .compute import NO_JOB, beside, job_nodes
from .data import ModelData, group_by, previous


def add_storage(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Storage units per (site, tier, year) hold the data and feed the GPUs.

    Hot data (datasets, kept checkpoints, inference weights) sits on a hot tier at every site
    where the workload runs that year: :math:`\sum_k hot_{w,s,k,y} = H_{w,y}\, present_{w,s,y}`; cold
    data once, anywhere its compliance allows: :math:`\sum_{s,k} cold_{w,s,k,y} = C_{w,y}` (the
    TB stored are the TB that exist). Data stays put unless moved at a price (`_data_moves`).
    Regulated data only on tiers with encryption at rest (no variable otherwise). Capacity:
    :math:`\sum_w hot + cold \le U_k\, units_{s,k,y}`. Read bandwidth of the hot tiers covers
    the training GPUs, :math:`\sum_{k\,hot} r_k units \ge \sum_p read_p`, each pool reading
    what its jobs read at once (`compute.beside`: a job and the solo jobs beside it,
    :math:`read_p \ge \rho_i gpus_t run_i + \sum_{j \ne i} \rho_j gpus_t own_j`); write
    bandwidth writes each training job's checkpoint within its window,
    :math:`\sum_{k\,hot} \omega_k units \ge \sum_w (14 N / window_w)\, present_{w,s,y}`.
    """
    st, tiers, wl = d.rows["storage_tiers"], d.rows["gpu_tiers"], d.rows["workloads"]
    hot = [k for k in d.storage if st[k].hot]

    def allowed(w):
        return [k for k in d.storage if st[k].encryption_at_rest or not d.regulated[w]]

    hot_index = [(w, s, k, y) for (w, s, y) in d.wsy if d.hot_tb[w, y] > 0 for k in allowed(w) if k in hot]
    cold_index = [
        (w, s, k, y)
        for w in d.workloads
        for y in d.active_years[w]
        if d.cold_tb[w, y] > 0
        for s in d.cold_sites[w]
        for k in allowed(w)
    ]
    m.SKY = pyo.Set(
        initialize=[(s, k, y) for s in d.sites for k in d.storage for y in d.years], dimen=3, ordered=True
    )
    m.HOTPUT = pyo.Set(initialize=hot_index, dimen=4, ordered=True)
    m.COLDPUT = pyo.Set(initialize=cold_index, dimen=4, ordered=True)
    m.units = pyo.Var(m.SKY, domain=pyo.NonNegativeIntegers, doc="storage units installed")
    m.hot_put = pyo.Var(m.HOTPUT, domain=pyo.NonNegativeReals, doc="TB of hot data")
    m.cold_put = pyo.Var(m.COLDPUT, domain=pyo.NonNegativeReals, doc="TB of cold data")

    hot_of = group_by(hot_index, lambda i: (i[0], i[1], i[3]))
    m.hot_covered = pyo.Constraint(
        list(hot_of),
        rule=lambda m, w, s, y: (
            sum(m.hot_put[i] for i in hot_of[w, s, y]) == d.hot_tb[w, y] * m.present[w, s, y]
        ),
    )
    cold_of = group_by(cold_index, lambda i: (i[0], i[3]))
    m.cold_covered = pyo.Constraint(
        list(cold_of), rule=lambda m, w, y: sum(m.cold_put[i] for i in cold_of[w, y]) == d.cold_tb[w, y]
    )
    _data_moves(m, d, hot_of, group_by(cold_index, lambda i: (i[0], i[1], i[3])))
    hot_at = group_by(hot_index, lambda i: (i[1], i[2], i[3]))
    cold_at = group_by(cold_index, lambda i: (i[1], i[2], i[3]))
    m.storage_capacity = pyo.Constraint(
        [i for i in m.SKY if i in hot_at or i in cold_at],
        rule=lambda m, s, k, y: (
            sum(m.hot_put[i] for i in hot_at.get((s, k, y), ()))
            + sum(m.cold_put[i] for i in cold_at.get((s, k, y), ()))
            <= st[k].unit_tb * m.units[s, k, y]
        ),
    )

    def reads(i: tuple):
        """GB/s a node of job i = (w, t, s, y) reads while it runs: its GPUs x ρ_w."""
        return wl[i[0]].read_gbps_per_gpu * tiers[i[1]].gpus_per_node

    rows = [r for r in m.POOL_JOB if r[4] != NO_JOB]
    m.READ_POOL = pyo.Set(initialize=sorted({r[:4] for r in rows}), dimen=4, ordered=True)
    m.pool_read = pyo.Var(m.READ_POOL, domain=pyo.NonNegativeReals, doc="GB/s a pool's runs read at once")
    m.pool_reads = pyo.Constraint(
        rows,
        rule=lambda m, *r: (
            m.pool_read[r[:4]]
            >= beside(
                m,
                d,
                r,
                lambda i: reads(i) * job_nodes(m, d, i),
                lambda i: reads(i) * m.own[i],
            )
        ),
    )
    pools_at = group_by(m.READ_POOL, lambda p: (p[2], p[3]))
    m.read_bandwidth = pyo.Constraint(
        list(pools_at),
        rule=lambda m, s, y: (
            sum(st[k].read_gbps_per_unit * m.units[s, k, y] for k in hot)
            >= sum(m.pool_read[p] for p in pools_at[s, y])
        ),
    )
    writers = group_by(
        [(w, s, y) for (w, s, y) in d.wsy if w in d.checkpoint_gbps],
        lambda i: (i[1], i[2]),
    )
    m.checkpoint_bandwidth = pyo.Constraint(
        list(writers),
        rule=lambda m, s, y: (
            sum(st[k].write_gbps_per_unit * m.units[s, k, y] for k in hot)
            >= sum(d.checkpoint_gbps[w] * m.present[w, s, y] for (w, _, _) in writers[s, y])
        ),
    )
    m.new_units = pyo.Expression(
        m.SKY, rule=lambda m, s, k, y: m.units[s, k, y] - previous(m.units, (s, k), y, d.years)
    )


def keep_share(d: ModelData, w: str, y: int) -> float:
    """Share of last year's cold data of w that still exists in year y: min(1, C_y / C_{y-1})."""
    return min(1.0, d.cold_tb[w, y] / d.cold_tb[w, y - 1])


def _data_moves(m: pyo.ConcreteModel, d: ModelData, hot_of: dict, cold_at: dict) -> None:
    r"""TB moved between sites, each paid at the policy's transfer price (family `cost`).

    Cold data left at a site stays there: what leaves site s is
    :math:`out_{w,s,y} \ge \kappa_{w,y} \sum_k cold_{w,s,k,y-1} - \sum_k cold_{w,s,k,y}`, with
    :math:`\kappa_{w,y} = \min(1, C_{w,y}/C_{w,y-1})` (data that shrank was deleted, not moved; new
    data lands anywhere free). Hot data is copied to a site the workload did not run at the year
    before: :math:`copy_{w,s,y} \ge H_{w,y} (present_{w,s,y} - present_{w,s,y-1})`. A workload's
    first year places its data free (it arrives from outside the plan).
    """
    cold_moves = [(w, s, y) for (w, s, y) in cold_at if (w, s, y - 1) in cold_at]  # C_{w,y-1} > 0
    hot_copies = [(w, s, y) for (w, s, y) in hot_of if y != d.active_years[w][0]]
    m.COLD_MOVE = pyo.Set(initialize=cold_moves, dimen=3, ordered=True)
    m.HOT_COPY = pyo.Set(initialize=hot_copies, dimen=3, ordered=True)
    m.cold_moved = pyo.Var(m.COLD_MOVE, domain=pyo.NonNegativeReals, doc="TB of cold data moved off a site")
    m.hot_copied = pyo.Var(m.HOT_COPY, domain=pyo.NonNegativeReals, doc="TB of hot data copied to a site")

    def cold_tb(m, w, s, y):
        return sum(m.cold_put[i] for i in cold_at[w, s, y])

    m.cold_stays = pyo.Constraint(
        m.COLD_MOVE,
        rule=lambda m, w, s, y: (
            m.cold_moved[w, s, y] >= keep_share(d, w, y) * cold_tb(m, w, s, y - 1) - cold_tb(m, w, s, y)
        ),
    )
    m.hot_follows = pyo.Constraint(
        m.HOT_COPY,
        rule=lambda m, w, s, y: (
            m.hot_copied[w, s, y] >= d.hot_tb[w, y] * (m.present[w, s, y] - m.present[w, s, y - 1])
        ),
    )
    cold_in, hot_in = group_by(cold_moves, lambda i: i[2]), group_by(hot_copies, lambda i: i[2])
    m.moved_tb = pyo.Expression(
        m.Y,
        rule=lambda m, y: (
            sum(m.cold_moved[i] for i in cold_in.get(y, ())) + sum(m.hot_copied[i] for i in hot_in.get(y, ()))
        ),
        doc="TB moved or copied to another site in the year",
    )
