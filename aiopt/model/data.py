"""Numbers and sparse index sets the model is built from, derived once from a Scenario.

Only combinations that can occur get an index: a tier a workload may not use, a site a
workload may not enter, a (tier, rack type) pair that cannot hold one node, a year before a
tier ships: no tuple, so no variable. Money is in MUSD, compute in PFLOPS, power in kW.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .. import demand
from ..fabric_sizing import size_for_units
from ..rules import (
    fabric_ports,
    fabric_supported,
    memory_fit_issue,
    nodes_per_rack,
    precision_issue,
    site_lacks,
)
from ..scenario import Scenario
from ..throughput import WEIGHT_BYTES, serve
from .copies import rack_positions, same_rack_types, same_tiers
from .params import required_demand

# Names of the model's own: in parentheses, which no user id can take (ids match [a-z0-9][a-z0-9._-]*).
ANY_FABRIC = "(any)"  # fabric slot of inference runs: they do not depend on scaling efficiency
SHARED = "(shared)"  # node group of every workload that is not isolated
# the catalog tables `ModelData.rows` holds row by row (the build reads them cell by cell)
CATALOG_ROWS = (
    "gpu_tiers",
    "workloads",
    "fabrics",
    "services",
    "sites",
    "storage_tiers",
    "rack_types",
    "software_stacks",
)


def group_by(index, key) -> dict:
    """Bucket tuples by a key function in one pass (keeps model building linear)."""
    buckets: dict = {}
    for item in index:
        buckets.setdefault(key(item), []).append(item)
    return buckets


def skip_trivial(rule):
    """`rule`, with a row that holds whatever the decisions are skipped: one whose sums are all
    empty (e.g. design units at a site no workload may use) is a plain True, which Pyomo refuses."""

    def row(m, *index):
        expr = rule(m, *index)
        return pyo.Constraint.Skip if isinstance(expr, (bool, np.bool_)) and expr else expr

    return row


def previous(component, key: tuple, year: int, years: list[int]):
    """component[key + (year − 1,)], or 0 in the first planning year."""
    i = years.index(year)
    return component[(*key, years[i - 1])] if i > 0 else 0


@dataclass
class ModelData:
    """Everything `build_model` needs, as plain dicts and lists of tuples."""

    scenario: Scenario
    years: list[int]
    sites: list[str]
    tiers: list[str]
    fabrics: list[str]
    storage: list[str]
    rack_types: list[str]
    workloads: list[str]
    groups: list[str]
    group_of: dict[str, str]
    kind: dict[str, str]
    active_years: dict[str, list[int]]
    wts: list[tuple] = field(default_factory=list)  # (w, t, s) eligible
    run_index: list[tuple] = field(default_factory=list)  # (w, t, s, f, y)
    pick_index: list[tuple] = field(default_factory=list)  # (w, t, s, y) for training kinds, t on sale
    ws: list[tuple] = field(default_factory=list)  # (w, s) eligible
    wsy: list[tuple] = field(default_factory=list)  # (w, s, y) eligible, y an active year
    gts: list[tuple] = field(default_factory=list)  # (g, t, s) node pools
    buy_index: list[tuple] = field(default_factory=list)  # (g, t, s, y) where t is on sale
    trs: list[tuple] = field(default_factory=list)  # (t, r, s) tier fits rack type at site
    per_rack: dict = field(default_factory=dict)  # (t, r) -> nodes per rack
    max_nodes: dict = field(default_factory=dict)  # (t, s) -> rack-limited node bound
    perf: dict = field(default_factory=dict)  # (w, t, f) -> effective PFLOPS per node
    goodput_chords: dict = field(default_factory=dict)  # (w, t, s, f, y) -> [(a_j, b_j)] PFLOPS <= a + b·run
    node_unit: dict = field(default_factory=dict)  # t -> smallest part of a node a job or spare takes
    ports_per_node: dict = field(default_factory=dict)  # t -> compute-fabric ports (rules.fabric_ports)
    memory_nodes: dict = field(default_factory=dict)  # (w, t) -> nodes whose HBM holds the training state
    replica_gpus: dict = field(default_factory=dict)  # (w, t) -> GPUs of one serving replica
    booked_days: dict = field(default_factory=dict)  # w -> days a year its training runs hold their nodes
    solo_index: list[tuple] = field(default_factory=list)  # (w, t, s, y) jobs that may hold nodes alone
    spans_nodes: set = field(default_factory=set)  # (w, t) training that may span nodes: on the fabric
    demand: dict = field(default_factory=dict)  # (w, y) -> required PFLOPS (training), tokens/s (serving)
    designs: dict = field(default_factory=dict)  # (s, f, k) -> FabricSize
    designs_unit: dict = field(default_factory=dict)  # f -> FabricSize of one SU
    design_limit: dict = field(default_factory=dict)  # (s, f) -> K, the largest tabulated design
    su_index: list[tuple] = field(default_factory=list)  # (g, s, f, y)
    hot_tb: dict = field(default_factory=dict)  # (w, y) -> TB on hot tier at each site it runs
    cold_tb: dict = field(default_factory=dict)  # (w, y) -> TB once anywhere
    cold_sites: dict = field(default_factory=dict)  # w -> sites allowed to keep its cold data
    regulated: dict = field(default_factory=dict)  # w -> has compliance tags
    checkpoint_gbps: dict = field(default_factory=dict)  # w -> GB/s to write one checkpoint in its window
    infra_racks: list[tuple] = field(default_factory=list)  # (s, r) usable for network/storage gear
    rack_avail: dict = field(default_factory=dict)  # (s, r) -> positions
    same_rack: dict = field(default_factory=dict)  # r -> the first-listed rack type it equals
    same_tier: dict = field(default_factory=dict)  # t -> the first-listed tier it equals, left out

    @property
    def first_year(self) -> int:
        return self.years[0]

    @cached_property
    def solo_by_pool(self) -> dict:
        """{pool (g, t, s, y): the jobs of `solo_index` in it}."""
        return group_by(self.solo_index, self.pool_of)

    @cached_property
    def rows(self) -> dict[str, dict[str, SimpleNamespace]]:
        """{catalog table: {id: its row as plain attributes}} for the tables the build reads cell by
        cell (`_fields`): a pandas lookup costs ~10 µs, and its numpy scalar makes every product
        with a Pyomo variable take numpy's slow path; the baseline's build made ~8,000."""
        return {
            name: {i: _fields(row) for i, row in getattr(self.scenario, name).iterrows()}
            for name in CATALOG_ROWS
        }

    def in_service(self, year: int) -> list[int]:
        r"""Purchase years whose hardware still serves in `year`, :math:`y - L < y' \le y` with L the
        hardware lifetime: nodes, and the fabric ports (NIC and link) bought with them."""
        life = int(self.scenario.policy["hardware_lifetime_years"])
        return [o for o in self.years if year - life < o <= year]

    def pool_of(self, index: tuple) -> tuple:
        """The node pool (g, t, s, y) of a job (w, t, s, y) or run (w, t, s, f, y): the
        workload's node group, the tier, the site and the year."""
        return self.group_of[index[0]], index[1], index[2], index[-1]


def prepare(sc: Scenario, open_sites: bool = False) -> ModelData:
    """Derive the sparse sets and coefficients of the model from a validated scenario.

    `open_sites`: every workload may compute at every site, whatever its compliance, residency
    and tenancy ask (the infeasibility explainer adds those rules back as rows it can relax);
    cold data stays at the sites they allow.

    Raises `InputError` for a scenario that is not exactly what its inputs validate to
    (`Scenario.require_valid`): made by hand, or changed in place.
    """
    sc.require_valid()
    years = sc.years
    wl, tiers, sites = sc.workloads, sc.gpu_tiers, sc.sites
    copied = same_tiers(sc)
    tiers = tiers[[t not in copied and any(sold_in(tier, y) for y in years) for t, tier in tiers.iterrows()]]
    isolated = [w for w in wl.index if wl.at[w, "isolated"]]
    d = ModelData(
        scenario=sc,
        years=years,
        sites=list(sites.index),
        tiers=list(tiers.index),
        fabrics=list(sc.fabrics.index),
        storage=list(sc.storage_tiers.index),
        rack_types=list(sc.rack_types.index),
        workloads=list(wl.index),
        groups=[SHARED, *isolated],
        group_of={w: (w if w in isolated else SHARED) for w in wl.index},
        kind=dict(wl.kind),
        active_years={w: [y for y in years if y >= wl.at[w, "start_year"]] for w in wl.index},
        ports_per_node={t: fabric_ports(tier) for t, tier in tiers.iterrows()},
    )
    d.same_rack, d.same_tier, d.rack_avail = same_rack_types(sc), copied, rack_positions(sc)
    _racks(d, sc, tiers)
    _eligibility(d, sc, open_sites)
    _performance(d, sc)
    _run_calendar(d, sc)
    _fabric_designs(d, sc)
    _data(d, sc)
    return d


def _racks(d: ModelData, sc: Scenario, tiers) -> None:
    for t, tier in tiers.iterrows():
        for r, rack in sc.rack_types.iterrows():
            n = nodes_per_rack(tier, rack)
            if n > 0:
                d.per_rack[t, r] = n
    for (s, r), count in d.rack_avail.items():
        d.infra_racks.append((s, r))
        for t in d.tiers:
            if (t, r) in d.per_rack:
                d.trs.append((t, r, s))
                d.max_nodes[t, s] = d.max_nodes.get((t, s), 0) + count * d.per_rack[t, r]


def _eligibility(d: ModelData, sc: Scenario, open_sites: bool = False) -> None:
    tier_rows = {t: {"id": t, **vars(d.rows["gpu_tiers"][t])} for t in d.tiers}
    site_rows = {s: vars(d.rows["sites"][s]) for s in d.sites}
    for w in d.workloads:
        row = vars(d.rows["workloads"][w])
        allowed_tiers = [
            t
            for t in list(row["tiers"]) or d.tiers
            if t in d.tiers and (not row["stacks"] or tier_rows[t]["stack"] in row["stacks"])
        ]
        allowed_sites = [s for s in d.sites if not site_lacks(site_rows[s], row)]
        d.cold_sites[w] = allowed_sites
        d.regulated[w] = bool(row["compliance"])
        model = _model_row(sc, d.rows["workloads"][w])
        fits = [
            t
            for t in allowed_tiers
            if memory_fit_issue(row, tier_rows[t], model) is None
            and precision_issue(row, tier_rows[t]) is None
        ]
        for s in d.sites if open_sites else allowed_sites:
            hosted = [t for t in fits if (t, s) in d.max_nodes]
            if hosted:
                d.ws.append((w, s))
                d.wsy += [(w, s, y) for y in d.active_years[w]]
            for t in hosted:
                d.wts.append((w, t, s))
                fabrics = (
                    [ANY_FABRIC]
                    if d.kind[w] == "inference"
                    else [f for f in d.fabrics if fabric_supported(tier_rows[t], f)]
                )
                on_sale = [y for y in d.active_years[w] if y >= tier_rows[t]["available_from"]]
                if d.kind[w] != "inference":
                    d.pick_index += [(w, t, s, y) for y in on_sale]
                d.run_index += [(w, t, s, f, y) for f in fabrics for y in on_sale]
    pools = {(d.group_of[w], t, s) for (w, t, s) in d.wts}
    d.gts = sorted(pools)
    d.buy_index = [(g, t, s, y) for (g, t, s) in d.gts for y in d.years if sold_in(tier_rows[t], y)]


def sold_in(tier, year: int) -> bool:
    """The tier can be bought in `year`: from `available_from` to `available_to` (if given)."""
    last = tier["available_to"]
    return tier["available_from"] <= year and (pd.isna(last) or year <= last)


SERVER_GPUS = 8  # nodes up to this size are one server; larger ones are rack-scale systems ...
TRAY_GPUS = 4  # ... of compute trays with this many GPUs (GB200 NVL72: 18 trays of 4)


def _performance(d: ModelData, sc: Scenario) -> None:
    """Demand per year, per-node throughput and, for training, the goodput chords of each run.

    Training: perf[w,t,f] is a node's effective PFLOPS at the Young/Daly goodput and fabric
    scaling efficiency (`job_efficiency`) of the largest run the build-time demand needs (the
    lowest a plan meets demand at), so D / perf bounds a run's nodes; the model itself derates
    training by `goodput_chords`, both at the run's own size. A job whose build-time peak one node
    meets, with its training state, stays in one node, not derated and off the fabric (min NPV
    only: a larger demand scale could need more); the others are `spans_nodes`. Serving:
    perf[w,t,ANY_FABRIC] is a node's output tokens/s and replica_gpus[w,t] the GPUs of one
    replica, both from the roofline (`aiopt.throughput.serve`).
    """
    runs = group_by(d.run_index, lambda i: (i[0], i[1], i[3]))
    tier_rows, fabric_rows = d.rows["gpu_tiers"], d.rows["fabrics"]
    for t in d.tiers:  # a job or a spare takes whole servers: a node, or a tray of a rack
        gpus = tier_rows[t].gpus_per_node
        d.node_unit[t] = 1.0 if gpus <= SERVER_GPUS else TRAY_GPUS / gpus
    d.demand = required_demand(sc, d.years)
    tiers_of = group_by(d.wts, lambda i: i[0])
    for w in d.workloads:
        row = d.rows["workloads"][w]
        for t in dict.fromkeys(t for (_, t, _) in tiers_of.get(w, ())):
            tier = tier_rows[t]
            if row.kind == "inference":
                shape = (row.precision, row.input_tokens, row.output_tokens, row.ttft_ms, row.tpot_ms)
                serving = serve(_model_row(sc, row), {"id": t, **vars(tier)}, *shape)
                d.perf[w, t, ANY_FABRIC] = serving.tokens_per_s_gpu * tier.gpus_per_node
                d.replica_gpus[w, t] = serving.gpus
                continue
            d.memory_nodes[w, t] = math.ceil(
                demand.training_state_gb(row.params_b, row.method) / (tier.gpus_per_node * tier.hbm_gb)
            )
            peak = max(d.demand[w, y] for y in d.years)
            ideal, in_one_node = training_throughput(tier, row, None, spanning=False)
            one_node = (
                sc.policy["objective"] == "min_npv"
                and d.memory_nodes[w, t] <= 1
                and in_one_node(1.0) >= peak  # no fabric used
            )
            if not one_node:
                d.spans_nodes.add((w, t))
            for f in d.fabrics:
                ideal, pflops = training_throughput(tier, row, fabric_rows[f], spanning=not one_node)
                d.perf[w, t, f] = node_rate(ideal, pflops, peak)
                for _, _, s, _, y in runs.get((w, t, f), ()):
                    points = _goodput_breakpoints(
                        d.demand[w, y] / ideal, d.demand[w, y], pflops, d.max_nodes[t, s]
                    )
                    if one_node:  # the run stays in one node (fabric.job_in_one_node)
                        points = [*(n for n in points if n < 1.0), 1.0]
                    d.goodput_chords[w, t, s, f, y] = _chords([0.0, *points], pflops)


def training_throughput(tier, workload, fabric, spanning: bool = True) -> tuple[float, partial]:
    """(ideal, pflops): a node's effective PFLOPS for a training `workload` with no failures and not
    derated (peak at its precision x MFU) and N -> the PFLOPS of a run on N nodes over `fabric`
    (`_run_pflops`; a fabric row or a cloud offer, both carry the scaling fields)."""
    node_pflops = tier.gpus_per_node * getattr(tier, demand.PRECISION_PEAK[workload.precision]) / 1000.0
    mfu = workload.mfu if given(workload.mfu) else getattr(tier, demand.PRECISION_MFU[workload.precision])
    ideal = node_pflops * mfu
    fields = (_fields(row) for row in (tier, workload, fabric))
    return ideal, partial(_run_pflops, ideal, *fields, spanning=spanning)


def _fields(row: pd.Series | None) -> SimpleNamespace | None:
    """A catalog row's values as plain attributes (a row already so is returned as it is): the
    throughput curve reads them thousands of times while the chords are built, and a pandas
    attribute lookup costs ~10 µs."""
    if row is None or isinstance(row, SimpleNamespace):
        return row
    return SimpleNamespace(**row.to_dict())


def node_rate(ideal: float, pflops, need: float) -> float:
    """Effective PFLOPS per node of a run that must deliver `need`, at the goodput of the largest
    node count it may take (`_goodput_breakpoints`): need / rate nodes always suffice."""
    largest = _goodput_breakpoints(need / ideal, need, pflops)[-1]
    return pflops(largest) / largest


def replicas_per_node(d: ModelData, w: str, t: str) -> int:
    """Whole replicas of serving workload w one node of tier t holds, ⌊GPUs per node / replica GPUs⌋."""
    return int(d.rows["gpu_tiers"][t].gpus_per_node // d.replica_gpus[w, t])


def serving_nodes_bound(d: ModelData, w: str, t: str, need):
    r"""Most nodes serving workload w on tier t can usefully take for a demand `need` (a number or
    a Param expression): :math:`need / P_{w,t} \cdot \max(1, share_w\, sites_w)` plus the replicas
    the floors force, :math:`(R^{min}_w + sites_w) / \rho_{w,t}` (ρ replicas per node)."""
    row = d.rows["workloads"][w]
    spread = max(1.0, row.site_peak_share * row.min_sites) if row.min_sites > 1 else 1.0
    floors = (row.min_replicas + row.min_sites) / replicas_per_node(d, w, t)
    return need / d.perf[w, t, ANY_FABRIC] * spread + floors


def _run_calendar(d: ModelData, sc: Scenario) -> None:
    r"""Days each training workload books its nodes a year, :math:`b_w = runs_w \cdot deadline_w`,
    and the jobs that may hold nodes of their own: those of the pools whose jobs, one after
    another, could book more than the pool allows, :math:`\sum_w b_w > 365\, u_{max}`."""
    wl = sc.workloads
    for w in d.workloads:
        if d.kind[w] != "inference":
            d.booked_days[w] = float(wl.at[w, "runs_per_year"] * wl.at[w, "deadline_days"])
    limit = demand.DAYS_PER_YEAR * sc.policy["max_pool_utilisation"]
    pools = group_by(d.pick_index, d.pool_of)
    crowded = [jobs for jobs in pools.values() if sum(d.booked_days[j[0]] for j in jobs) > limit]
    d.solo_index = [i for jobs in crowded for i in jobs]


def _model_row(sc: Scenario, workload) -> dict | None:
    """The models-catalog row a serving workload names (None for training kinds)."""
    if workload.kind != "inference":
        return None
    return {"id": workload.model, **sc.models.loc[workload.model].to_dict()}


def _tier_row(tiers, t: str) -> dict:
    return {"id": t, **tiers.loc[t].to_dict()}


def _run_pflops(ideal: float, tier, workload, fabric, nodes: float, spanning: bool) -> float:
    """Effective PFLOPS of a training run on `nodes` nodes: nodes · ideal · η(job GPUs) · Young/Daly
    goodput(nodes), η the fabric's `job_efficiency`. A job that may span nodes (`spanning`) is
    derated at every size, below one node too (a concave rate the chords follow; the checker, at
    the plan's own size, finds it no lower); one that stays in one node never is."""
    gpus = nodes * tier.gpus_per_node
    inside = 0 if spanning else max(tier.gpus_per_node, tier.nvlink_domain_gpus)
    return (
        nodes
        * ideal
        * job_efficiency(fabric, gpus, inside)
        * demand.goodput(nodes, tier.node_mtbf_hours, workload.checkpoint_minutes)
    )


def job_efficiency(fabric, gpus: float, scale_up_gpus: float) -> float:
    r"""Fabric scaling efficiency of a training job on `gpus` GPUs: 1 inside one node or NVLink
    domain (:math:`G \le` `scale_up_gpus`: its traffic never reaches the fabric), else
    :math:`\min(1, \eta_f (1 - l_f)^{\log_2(G / G_f)})`, :math:`\eta_f` the fabric's
    `scaling_efficiency` at :math:`G_f` = `scaling_reference_gpus` GPUs, :math:`l_f` its
    `scaling_loss_per_doubling` (SemiAnalysis: -7% from 64 to 2,048 H100, 1.4% a doubling)."""
    if gpus <= scale_up_gpus:
        return 1.0
    doublings = math.log2(gpus / fabric.scaling_reference_gpus)
    return min(1.0, fabric.scaling_efficiency * (1.0 - fabric.scaling_loss_per_doubling) ** doublings)


GOODPUT_STEP = 1.25  # ratio of neighbouring goodput breakpoints in a run's useful node range


def _goodput_breakpoints(first: float, need: float, pflops, most: float = math.inf) -> list[float]:
    """Node counts N_1 < N_2 < ... of a run that must deliver `need` PFLOPS: from the failure-free
    count `first` up by GOODPUT_STEP to the first whose own throughput `pflops(N)` meets the need,
    then `most` (the site's rack bound, which no run exceeds); none above `most`."""
    points = [first]
    while pflops(points[-1]) < need and points[-1] < most:
        points.append(points[-1] * GOODPUT_STEP)
    return [n for n in points if n < most] + ([most] if most < math.inf else [])


def _chords(points: list[float], throughput) -> list[tuple[float, float]]:
    """(a_j, b_j) of the chord of `throughput` over each pair of neighbouring `points`."""
    values = [throughput(n) for n in points]
    chords = []
    for lo, hi, f_lo, f_hi in zip(points, points[1:], values, values[1:], strict=False):
        slope = (f_hi - f_lo) / (hi - lo)
        intercept = f_lo - slope * lo
        # an intercept within rounding of zero is zero (HiGHS warns of a 7e-15 right-hand side)
        chords.append((0.0 if abs(intercept) <= 1e-12 * max(abs(f_lo), 1.0) else intercept, slope))
    return chords


def given(value) -> bool:
    """A value is set: not None and not NaN."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _fabric_designs(d: ModelData, sc: Scenario) -> None:
    """Tabulate fat-tree sizes for 1..K scalable units at each site and fabric, and the node groups
    (`su_index`) that may need the fabric: those with a job that spans nodes.

    K covers the most ports the site could need: no more than its racks hold (each position
    filled with the tier that puts the most ports in it) and, under min NPV, no more than
    the multi-node training that may run there on this fabric would take. One part-filled SU
    is added per extra node group (isolated workloads fill SUs of their own), and the table
    goes on until it holds a design with two spines (family 9).
    """
    fabric_groups = {(d.group_of[w], s) for (w, t, s, _) in d.pick_index if (w, t) in d.spans_nodes}
    for s in d.sites:
        rack_ports = sum(
            count
            * max(
                (d.per_rack[t, r] * d.ports_per_node[t] for t in d.tiers if (t, r) in d.per_rack),
                default=0,
            )
            for (site, r), count in d.rack_avail.items()
            if site == s
        )
        extra_groups = max(len({g for (g, site) in fabric_groups if site == s}) - 1, 0)
        for f, fab in sc.fabrics.iterrows():
            per_su = int(fab.nodes_per_su * fab.rails)
            d.designs_unit[f] = size_for_units(1, int(fab.radix), int(fab.nodes_per_su), int(fab.rails))
            limit = math.ceil(min(rack_ports, _demand_ports(d, s, f)) / per_su) + extra_groups
            k = 1
            while limit > 0:
                try:
                    size = size_for_units(k, int(fab.radix), int(fab.nodes_per_su), int(fab.rails))
                except ValueError:  # beyond three tiers: no larger design of this fabric
                    break
                d.designs[s, f, k] = size
                d.design_limit[s, f] = k
                if k >= limit and size.spine >= 2:  # the table always holds a redundant design
                    break
                k += 1
    d.su_index = [(g, s, f, y) for (g, s) in sorted(fabric_groups) for f in d.fabrics for y in d.years]


def _demand_ports(d: ModelData, s: str, f: str) -> float:
    """Fabric ports that every multi-node training job allowed at site s on fabric f could take at
    most: per workload, the worst tier's ports × (⌈max(peak demand / per-node throughput, memory
    nodes) × (1 + spares)⌉ + 1 for a pool's rounding); spares hold for memory-bound jobs too.
    Serving and one-node jobs use no fabric, but a pool's spares cover serving too and the
    fabric takes them all beside such a job (`fabric_spare_with_job`): where such jobs may run,
    add each serving
    workload's worst-tier ports × ⌈spares × most serving nodes⌉. Unbounded when the objective is
    max capacity."""
    if d.scenario.policy["objective"] != "min_npv":
        return math.inf
    spare = d.scenario.workloads.spare_fraction
    tiers_of = group_by(
        [(w, t) for (w, t, site) in d.wts if site == s and (w, t) in d.spans_nodes], lambda i: i[0]
    )

    if not tiers_of:
        return 0
    serving_of = group_by(
        [(w, t) for (w, t, site) in d.wts if site == s and d.kind[w] == "inference" and spare[w] > 0],
        lambda i: i[0],
    )

    def peak(w):
        return max(d.demand[w, y] for y in d.years)

    def ports(w, t):
        run = max(peak(w) / d.perf[w, t, f], d.memory_nodes.get((w, t), 0))
        return d.ports_per_node[t] * (math.ceil(run * (1 + spare[w])) + 1)

    def serving_spare_ports(w, t):
        return d.ports_per_node[t] * math.ceil(spare[w] * serving_nodes_bound(d, w, t, peak(w)))

    return sum(max(ports(w, t) for (_, t) in pairs) for w, pairs in tiers_of.items()) + sum(
        max(serving_spare_ports(w, t) for (_, t) in pairs) for w, pairs in serving_of.items()
    )


def _data(d: ModelData, sc: Scenario) -> None:
    wl = sc.workloads
    for w in d.workloads:
        row = wl.loc[w]
        kept = 0.0
        if row.kind == "inference":
            model = sc.models.loc[row.model]
            kept = model.total_params_b * WEIGHT_BYTES[row.precision] / 1000.0  # weights, TB
        else:
            checkpoint = demand.checkpoint_gb(row.params_b, row.method)
            base = demand.base_weights_gb(row.params_b, row.method)
            kept = (demand.CHECKPOINTS_KEPT * checkpoint + base) / 1000.0
            d.checkpoint_gbps[w] = checkpoint / (row.checkpoint_minutes * 60.0)
        for y in d.years:
            g = demand.growth_factor(row.growth_per_year, row.start_year, y)
            d.hot_tb[w, y] = (row.hot_tb * g + kept) if g > 0 else 0.0
            d.cold_tb[w, y] = row.cold_tb * g
