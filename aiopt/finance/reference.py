"""The reference design: the plan an architect draws by hand, costed on the same model.

The rules of thumb (`reference_plan`):

* **Tier**: for each workload, the newest NVIDIA tier on sale that fits: one it may use (its
  `tiers`, `stacks`, memory and precision), that some site it may enter can rack (cooling and
  rack kW) and whose nodes for each year's demand fit the racks and the power (expansion blocks
  after their lead time) of those sites, alone and beside the larger workloads' nodes
  (`_fit_together`). Newest = sold through the horizon, latest `available_from`, then the most
  BF16 TFLOPS and HBM per GPU (the flagship).
* **Fabric**: DGX SuperPOD scalable units on InfiniBand: NDR (400G), or XDR (800G) at a site
  that hosts a tier whose catalog name says Blackwell Ultra; the model sizes the fat tree.
* **Racks** at the RA density: a tier's nodes only in the site's rack types that hold the most
  of them.
* **Storage** by the RA guidance for its high-performance tier (DGX SuperPOD H100 RA; the
  catalog's `pfs-flash` row cites the 'Better' level): read and write GB/s per 32-node SU of
  8-GPU nodes (256 GPUs), `STORAGE_GUIDANCE`, provided per training GPU installed, on the
  fastest hot tier only (an encrypted one where regulated data needs it).
* **One workload per pool** (every workload `isolated`: no time-sharing of nodes) and
  **everything bought** (`allow_rent` off).

Method: the rules the scenario schema can say are scenario edits (`Scenario.with_policy`,
`with_all`, `with_values`: checked like any scenario); the others fix variables of, or add rows
to, the same Pyomo model (`_architect`). HiGHS then sizes what is left (node counts, SUs,
storage units, racks, power blocks), `read_plan` reads the plan and `aiopt.check_plan`
verifies it like any other. When a rule cannot hold (no NVIDIA tier allowed, no InfiniBand
fabric in the catalog, or the design is infeasible), it gives way with a `ReferenceWarning` and
a row in `plan.reference_rules` that says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from ..errors import SolveError, Status
from ..model import build_model, prepare
from ..model.data import ANY_FABRIC, ModelData, sold_in
from ..results import Plan, read_plan
from ..rules import fabric_supported
from ..scenario import TRAINING_KINDS, Scenario
from ..solve import solve_model

ARCHITECT_VENDOR = "NVIDIA"
BLACKWELL_ULTRA = "blackwell ultra"  # a tier whose catalog name says this is fabric-wired at XDR
NDR_GBPS, XDR_GBPS = 400.0, 800.0  # InfiniBand port speeds of the two generations
SU_GPUS = 32 * 8  # the H100 RA's scalable unit (32 DGX of 8 GPUs), which the storage guidance is per
# DGX SuperPOD H100 RA storage guidance, GB/s read and write per SU. 'better' is the level the
# catalog's pfs-flash row is calibrated on; 'good' and 'best' are the RA table's other columns [est].
STORAGE_GUIDANCE = {"good": (20.0, 10.0), "better": (40.0, 20.0), "best": (125.0, 62.0)}
RULE_COLUMNS = ["rule", "where", "choice", "note"]


class ReferenceWarning(UserWarning):
    """A rule of the reference design could not hold and was dropped (the message says why)."""


@dataclass
class _Design:
    """The architect's choices; `candidates` ranks each workload's tiers, `pick` indexes them."""

    candidates: dict[str, list[str]]
    pick: dict[str, int]
    dense_racks: bool = True
    storage: str | None = "better"
    rules: list[dict] = field(default_factory=list)

    def tier_of(self, w: str) -> str | None:
        ranked = self.candidates[w]
        return ranked[self.pick[w]] if ranked else None


def reference_plan(
    scenario: Scenario,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    storage: str = "better",
    progress: bool | str = False,
) -> Plan:
    """The reference design of `scenario` (module docstring), sized by HiGHS; a `Plan` that
    `aiopt.check_plan` verifies like any other.

    `storage`: the RA storage level, good, better or best. The plan's `reference_rules` table
    (rule, where, choice, note) lists each rule as applied or dropped. When the design is
    infeasible, its rules give way one step at a time (`_relax`: each workload's next-newest tier,
    then rack density, then the storage level) with a `ReferenceWarning`; raises `SolveError`
    when nothing is left to give. Each attempt may take `time_limit`.
    """
    if storage not in STORAGE_GUIDANCE:
        raise ValueError(f"storage must be one of {', '.join(STORAGE_GUIDANCE)}, not {storage!r}")
    base = _bought_and_isolated(scenario)
    d = prepare(base)
    design = _Design(_ranked_tiers(d), {w: 0 for w in d.workloads}, storage=storage)
    _fit_together(d, design)
    for w in d.workloads:
        if not design.candidates[w]:
            note = f"no {ARCHITECT_VENDOR} tier may serve it or fits its sites; the model picks any tier"
            _drop(design, "tier", w, note)
    while True:
        try:
            return _solve(base, design, time_limit, rel_gap, progress)
        except SolveError as exc:
            if exc.status is not Status.INFEASIBLE:
                raise
            if not _relax(design):
                raise SolveError(
                    f"the reference design of '{scenario.name}' is infeasible with every rule given way "
                    f"that may: {exc}",
                    exc.status,
                    exc.highs_status,
                ) from exc


def _bought_and_isolated(scenario: Scenario) -> Scenario:
    """The scenario with renting off and every workload isolated (one workload per pool)."""
    edited = scenario.with_policy(allow_rent=False) if scenario.policy["allow_rent"] else scenario
    if not edited.workloads.isolated.all():
        edited = edited.with_all("workloads", isolated=True)
    return edited


def _ranked_tiers(d: ModelData) -> dict[str, list[str]]:
    """Each workload's NVIDIA tiers, newest first, that it may use at some site it may enter and
    whose nodes for its peak fit those sites' racks and power (`_fits`)."""
    tiers = d.scenario.gpu_tiers

    def newest(t: str):
        row = tiers.loc[t]
        return (sold_in(row, d.years[-1]), row.available_from, row.tflops_bf16, row.hbm_gb)

    ranked = {}
    for w in d.workloads:
        usable = {t for (v, t, _) in d.wts if v == w and tiers.at[t, "vendor"] == ARCHITECT_VENDOR}
        ranked[w] = [t for t in sorted(usable, key=newest, reverse=True) if _fits(d, w, t)]
    return ranked


def _fits(d: ModelData, w: str, t: str) -> bool:
    """Tier t holds workload w alone on the racks and power of the sites it may use (`_nodes`)."""
    sites = d.scenario.sites.loc[[s for (v, u, s) in d.wts if v == w and u == t]]
    racked = sum(d.max_nodes[t, s] for s in sites.index)
    kw = d.scenario.gpu_tiers.at[t, "node_kw"]
    return all(n <= racked and n * kw <= _power_kw(d, sites, y) for y, n in _nodes(d, w, t).items())


def _nodes(d: ModelData, w: str, t: str) -> dict[int, float]:
    r"""The architect's sizing of workload w on tier t: each year its demand needs
    :math:`n_y = D_{w,y} / P_{w,t}` nodes (training: whole, at least its memory nodes, on the
    reference fabric)."""
    fabric = ANY_FABRIC if d.kind[w] == "inference" else _fabric_for(d.scenario, t)
    rate = d.perf.get((w, t, fabric)) or max(p for (v, u, _), p in d.perf.items() if (v, u) == (w, t))
    nodes = {}
    for y in d.active_years[w]:
        n = d.demand[w, y] / rate
        nodes[y] = max(math.ceil(n), d.memory_nodes[w, t]) if d.kind[w] != "inference" and n > 0 else n
    return nodes


def _power_kw(d: ModelData, sites: pd.DataFrame, y: int) -> float:
    r"""IT kW the sites carry in year y: :math:`u \sum_s P_{s,y} / PUE_s`, u the policy's
    `max_power_utilisation` and :math:`P_{s,y}` the site's MW with every expansion block usable
    by year y (ordered in the first year, usable after its lead time)."""
    blocks = sites.expansion_max_blocks.where(y >= d.first_year + sites.expansion_lead_years, 0)
    mw = sites.power_mw + sites.expansion_block_mw * blocks
    return 1000 * d.scenario.policy["max_power_utilisation"] * float((mw / sites.pue).sum())


def _fit_together(d: ModelData, design: _Design) -> None:
    """Move workloads to their next-newest tier until the picks fit together: largest workload
    first (most nodes on its first tier), each year each tier's nodes within the rack positions
    and the power (`_power_kw`) of the sites that can rack it, and all nodes within all sites'
    power (positions and power two tiers could share are counted for both)."""
    sc = d.scenario
    hosts = {t: sc.sites.loc[sorted({s for (u, s) in d.max_nodes if u == t})] for t in d.tiers}
    racked = {t: sum(d.max_nodes[t, s] for s in hosts[t].index) for t in d.tiers}
    used: dict = {}  # (tier, year) -> nodes and kW taken, (None, year) -> kW taken on every site

    def room(t: str, y: int, n: float) -> bool:
        nodes, kw = used.get((t, y), (0.0, 0.0))
        added = n * sc.gpu_tiers.at[t, "node_kw"]
        return (
            nodes + n <= racked[t]
            and kw + added <= _power_kw(d, hosts[t], y)
            and used.get((None, y), 0.0) + added <= _power_kw(d, sc.sites, y)
        )

    order = [w for w in d.workloads if design.candidates[w]]
    order.sort(key=lambda w: -max(_nodes(d, w, design.tier_of(w)).values(), default=0))
    for w in order:
        for i in range(design.pick[w], len(design.candidates[w])):
            t = design.candidates[w][i]
            nodes = _nodes(d, w, t)
            if all(room(t, y, n) for y, n in nodes.items()):
                if i > design.pick[w]:
                    note = f"{design.tier_of(w)} taken by larger workloads; next newest {t}"
                    design.rules.append(dict(rule="tier", where=w, choice=t, note=note))
                design.pick[w] = i
                for y, n in nodes.items():
                    kw = n * sc.gpu_tiers.at[t, "node_kw"]
                    taken, taken_kw = used.get((t, y), (0.0, 0.0))
                    used[t, y] = (taken + n, taken_kw + kw)
                    used[None, y] = used.get((None, y), 0.0) + kw
                break


def _fabric_for(sc: Scenario, t: str) -> str | None:
    """The InfiniBand fabric the RA wires tier t with: XDR for Blackwell Ultra, else NDR (None when
    the catalog has no such fabric the tier supports)."""
    tier = sc.gpu_tiers.loc[t]
    speed = XDR_GBPS if BLACKWELL_ULTRA in str(tier["name"]).lower() else NDR_GBPS
    fabrics = sc.fabrics
    found = fabrics[(fabrics.kind == "infiniband") & (fabrics.port_gbps == speed)].index
    return next((f for f in found if fabric_supported(tier, f)), None)


def _relax(design: _Design) -> bool:
    """Drop the next rule after an infeasible design: every workload to its next-newest tier
    while one has one left (together the tiers that fit alone may not fit), then the rack density,
    then the storage level. False when none is left to drop."""
    moved = [w for w, ranked in design.candidates.items() if design.pick[w] + 1 < len(ranked)]
    for w in moved:
        old = design.tier_of(w)
        design.pick[w] += 1
        _drop(design, "tier", w, f"infeasible on {old}; next newest {design.tier_of(w)}")
    if moved:
        return True
    if design.dense_racks:
        design.dense_racks = False
        _drop(design, "racks", "all sites", "infeasible at the RA density; any rack type that holds the tier")
        return True
    if design.storage is not None:
        note = f"infeasible at the RA '{design.storage}' level; the model sizes it"
        _drop(design, "storage", "all sites", note)
        design.storage = None
        return True
    return False


def _drop(design: _Design, rule: str, where: str, note: str) -> None:
    design.rules.append(dict(rule=rule, where=where, choice="dropped", note=note))
    warnings.warn(ReferenceWarning(f"reference design: {rule} rule at {where}: {note}"), stacklevel=3)


def _solve(base: Scenario, design: _Design, time_limit: float, rel_gap: float, progress) -> Plan:
    scenario = base
    for w in base.workloads.index:
        if design.tier_of(w) is not None:
            scenario = scenario.with_values("workloads", w, tiers=[design.tier_of(w)])
    model = build_model(prepare(scenario))
    applied = _architect(model, design)
    info = solve_model(model, time_limit=time_limit, rel_gap=rel_gap, progress=progress, warm=False)
    plan = read_plan(model, info)
    plan.reference_rules = pd.DataFrame(design.rules + applied, columns=RULE_COLUMNS)
    return plan


def _architect(m: pyo.ConcreteModel, design: _Design) -> list[dict]:
    """Fix the fabric and rack choices and add the storage guidance to a built model; the rows
    of `reference_rules` that say what was applied."""
    d: ModelData = m.data
    applied = [
        dict(rule="tier", where=w, choice=design.tier_of(w), note="newest NVIDIA tier that fits")
        for w in d.workloads
        if design.tier_of(w) is not None
    ]
    applied += _fix_fabrics(m, d)
    if design.dense_racks:
        applied += _fix_rack_density(m, d)
    if design.storage is not None:
        applied += _storage_guidance(m, d, design.storage)
    applied.append(dict(rule="pools", where="all workloads", choice="isolated", note="one workload per pool"))
    applied.append(dict(rule="rent", where="all workloads", choice="none", note="everything bought"))
    return applied


def _fix_fabrics(m: pyo.ConcreteModel, d: ModelData) -> list[dict]:
    """Each site's fabric held to the InfiniBand generation of the tiers it may host (XDR if one is
    Blackwell Ultra); a site whose tiers take no InfiniBand fabric is left to the model."""
    rows = []
    for s in d.sites:
        wanted = {_fabric_for(d.scenario, t) for (_, t, site) in d.wts if site == s}
        chosen = max(wanted - {None}, key=lambda f: d.scenario.fabrics.at[f, "port_gbps"], default=None)
        if chosen is None:
            if wanted:
                rows.append(dict(rule="fabric", where=s, choice="dropped", note="no InfiniBand fabric fits"))
            continue
        for f in d.fabrics:
            if f != chosen:
                m.fabric[s, f].fix(0)
        rows.append(dict(rule="fabric", where=s, choice=chosen, note="DGX SuperPOD SUs on InfiniBand"))
    return rows


def _fix_rack_density(m: pyo.ConcreteModel, d: ModelData) -> list[dict]:
    """A tier's racks at a site only of the rack types that hold the most of its nodes."""
    densest: dict = {}
    for t, r, s in d.trs:
        densest[t, s] = max(densest.get((t, s), 0), d.per_rack[t, r])
    for g, t, r, s, y in m.RACK:
        if d.per_rack[t, r] < densest[t, s]:
            m.racks[g, t, r, s, y].fix(0)
    used = sorted({(t, s) for (_, t, _, s, _) in m.RACK})
    return [
        dict(rule="racks", where=f"{t} at {s}", choice=f"nodes per rack: {densest[t, s]}", note="RA density")
        for t, s in used
    ]


def _storage_guidance(m: pyo.ConcreteModel, d: ModelData, level: str) -> list[dict]:
    r"""Hot data only on the RA's high-performance tier k*, whose units at each site provide the
    level's read and write GB/s for every training GPU installed there:
    :math:`r_{k^*} units_{s,k^*,y} \ge (R_{level} / 256) \sum_{g\,training,t} gpus_t\, nodes_{g,t,s,y}`
    (`reference_read`), the same for writes (`reference_write`)."""
    st = d.scenario.storage_tiers
    hot = st[st.hot]
    if hot.empty:
        return [dict(rule="storage", where="all sites", choice="dropped", note="the catalog has no hot tier")]
    regulated = any(d.regulated.values())
    best = max(
        hot.index,
        key=lambda k: (
            bool(hot.at[k, "encryption_at_rest"]) or not regulated,
            hot.at[k, "read_gbps_per_unit"],
        ),
    )
    for s, k, y in m.SKY:
        if k in hot.index and k != best:
            m.units[s, k, y].fix(0)
    gpus = d.scenario.gpu_tiers.gpus_per_node
    training = [(g, t, s, y) for (g, t, s, y) in m.NODE if d.kind.get(g) in TRAINING_KINDS]
    read, write = STORAGE_GUIDANCE[level]

    def provided(column: str, per_su: float):
        def row(m, s, y):
            need = sum(
                gpus[t] * m.nodes[g, t, site, year]
                for (g, t, site, year) in training
                if (site, year) == (s, y)
            )
            if isinstance(need, int):
                return pyo.Constraint.Skip
            return st.at[best, column] * m.units[s, best, y] >= per_su / SU_GPUS * need

        return row

    m.reference_read = pyo.Constraint(m.S, m.Y, rule=provided("read_gbps_per_unit", read))
    m.reference_write = pyo.Constraint(m.S, m.Y, rule=provided("write_gbps_per_unit", write))
    note = f"RA '{level}': {read:g}/{write:g} GB/s read/write per {SU_GPUS}-GPU SU"
    return [dict(rule="storage", where="all sites", choice=best, note=note)]


def saving(plan: Plan, reference: Plan) -> pd.DataFrame:
    """NPV by cost category of the optimised plan and the reference design, and the saving
    (reference − optimised, USD to the cent; positive: the optimised plan costs less), with a
    `total` row."""

    def npv(p: Plan) -> pd.Series:
        return p.costs.groupby("category", sort=False).discounted_usd.sum()

    table = pd.concat({"optimised_npv_usd": npv(plan), "reference_npv_usd": npv(reference)}, axis=1)
    table = table.fillna(0.0)
    table.loc["total"] = table.sum()
    table = table.rename_axis("category").reset_index()
    table["saving_usd"] = table.reference_npv_usd - table.optimised_npv_usd
    return table.round(2)
