"""Read a solved model into a `Plan`: tidy DataFrames with units in the column names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

from . import demand
from .manifest import assumptions, now, run_manifest
from .model.compute import job_nodes
from .model.data import ModelData, group_by
from .model.params import MUSD
from .model.racks import cooling_kind
from .model.rent import rented_gpus
from .model.stacks import tier_stacks
from .model.storage import keep_share
from .scenario import Scenario
from .schedule import schedule_runs
from .solve import SolveInfo, Status

SAVING_COLUMNS = ["category", "optimised_npv_usd", "reference_npv_usd", "saving_usd"]
POLICY_COST_COLUMNS = [
    "policy",
    "detail",
    "npv_with_usd",
    "npv_without_usd",
    "cost_npv_usd",
    "cost_per_year_usd",
    "status_with",
    "status_without",
]


def _v(x) -> float:
    """Value of a variable or expression, with solver noise below 1e-6 removed."""
    value = pyo.value(x, exception=False) or 0.0
    return 0.0 if abs(value) < 1e-6 else float(value)


def _count(x) -> int:
    return int(round(_v(x)))


@dataclass
class Plan:
    """A solved plan: what to buy, where, when, and what it costs.

    Tables (pandas DataFrames, one row per combination, units in column names):
    `nodes`, `pools`, `racks`, `fabric`, `storage`, `data`, `sites`, `costs`, `kpis`, `solve_info`.
    `data` says whose data is where (workload, site, storage tier, year, hot and cold TB);
    `fabric`'s `group_units` which node group uses how many of the year's SUs ("(shared)=2;iso=1").
    `schedule` is the run calendar (`aiopt.schedule`): when each training run holds which nodes;
    `utilisation` the installed and used GPU-hours of each pool and year. `rent` the rented GPUs,
    GPU-hours and costs, `owned_vs_rented` each workload's owned and rented GPU-hours a year and
    `break_even` the utilisation below which renting a tier beats owning it (`_rent_tables`).
    `data_moves` the data moved between sites (workload, year, from_site, to_site, tb, usd);
    `stacks` the software stacks used each year, with what each costs that year.
    Finance (`aiopt.finance.views`): `cash` (the costs plus tax rows), `book` (depreciation and
    book value), `unit_costs` (per used GPU-hour and PFLOP-day); `saving` (against the reference
    design, `aiopt.finance.saving`) and `policy_costs` (`aiopt.price_of_policy`) are empty until
    computed and set. `solved_at` is when the plan was read from the solver (UTC).
    """

    scenario: Scenario
    info: SolveInfo
    nodes: pd.DataFrame
    pools: pd.DataFrame
    racks: pd.DataFrame
    fabric: pd.DataFrame
    storage: pd.DataFrame
    data: pd.DataFrame
    sites: pd.DataFrame
    costs: pd.DataFrame
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    schedule: pd.DataFrame = field(default_factory=pd.DataFrame)
    utilisation: pd.DataFrame = field(default_factory=pd.DataFrame)
    rent: pd.DataFrame = field(default_factory=pd.DataFrame)
    owned_vs_rented: pd.DataFrame = field(default_factory=pd.DataFrame)
    break_even: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_moves: pd.DataFrame = field(default_factory=pd.DataFrame)
    stacks: pd.DataFrame = field(default_factory=pd.DataFrame)
    # finance (aiopt.finance): cash and book views, unit costs; saving and policy costs when computed
    cash: pd.DataFrame = field(default_factory=pd.DataFrame)
    book: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit_costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    saving: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SAVING_COLUMNS))
    policy_costs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=POLICY_COST_COLUMNS))
    # on a reference plan (`aiopt.reference_plan`): the rules it was drawn by, and where they gave way
    reference_rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    solved_at: str = field(default_factory=now)

    TABLES = (
        "kpis",
        "nodes",
        "pools",
        "schedule",
        "utilisation",
        "racks",
        "fabric",
        "storage",
        "data",
        "sites",
        "costs",
        "rent",
        "owned_vs_rented",
        "break_even",
        "solve_info",
        "data_moves",
        "stacks",
        "cash",
        "book",
        "unit_costs",
        "saving",
        "policy_costs",
    )

    @property
    def status(self) -> Status:
        return self.info.status

    @property
    def gap(self) -> float | None:
        return self.info.gap

    @property
    def solve_info(self) -> pd.DataFrame:
        row = {k: v for k, v in self.info.to_dict().items() if k != "seconds"}
        row.update({f"seconds_{stage}": s for stage, s in self.info.seconds.items()})
        row.update(_versions())
        return pd.DataFrame([row])

    def kpi(self, metric: str) -> float:
        return float(self.kpis.set_index("metric").at[metric, "value"])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.TABLES}

    def summary(self) -> str:
        """One line: status and gap, NPV, capex, GPUs and sites, used of installed GPU-hours, USD per
        used GPU-hour, and the saving against the reference design when `saving` is computed."""
        k = self.kpis.set_index("metric")["value"]
        gap = "n/a" if self.gap is None else f"{self.gap:.2%}"
        installed = self.utilisation.installed_gpu_hours.sum()
        used = self.utilisation.used_gpu_hours.sum()
        per_used = k.get("usd_per_used_gpu_hour", float("nan"))
        text = (
            f"{self.scenario.name}: {self.status} (gap {gap}); NPV ${k['npv_usd'] / 1e6:,.1f}M, "
            f"capex ${k['capex_usd'] / 1e6:,.1f}M; {int(k['gpus_final_year']):,} GPUs at "
            f"{int(k['sites_used'])} site(s); {used:,.0f} of {installed:,.0f} GPU-hours used, "
            f"${per_used:,.2f} per used GPU-hour"
        )
        if len(self.saving):
            saving = self.saving.set_index("category").saving_usd
            total = saving["total"] if "total" in saving.index else saving.sum()
            text += f"; saves ${total / 1e6:,.1f}M NPV against the reference design"
        return text

    @property
    def assumptions(self) -> pd.DataFrame:
        """Every input value with unit and source (`aiopt.manifest.assumptions`)."""
        return assumptions(self.scenario)

    @property
    def manifest(self) -> dict:
        """The run manifest (`aiopt.manifest.run_manifest`)."""
        return run_manifest(self)

    def to_excel(self, path) -> Path:
        """Write the finance workbook to `path` (`aiopt.workbook.write_workbook`)."""
        from .workbook import write_workbook

        return write_workbook(self, path)

    def __repr__(self) -> str:
        return f"<Plan {self.summary()}>"


def _versions() -> dict:
    import highspy
    import pyomo

    from . import __version__

    return {"aiopt": __version__, "pyomo": pyomo.__version__, "highspy": getattr(highspy, "__version__", "?")}


def read_plan(m: pyo.ConcreteModel, info: SolveInfo) -> Plan:
    """Tidy tables of the incumbent loaded into `m`."""
    d: ModelData = m.data
    plan = Plan(
        scenario=d.scenario,
        info=info,
        nodes=_nodes(m, d),
        pools=_pools(m, d),
        racks=spread_over_same_types(_racks(m, d), d),
        fabric=_fabric(m, d),
        storage=_storage(m, d),
        data=_data(m),
        sites=_sites(m, d),
        costs=_costs(m, d),
    )
    plan.data_moves = _data_moves(m, d, plan)
    plan.stacks = _stacks(m, d)
    plan.schedule = _schedule(plan)
    plan.utilisation = _utilisation(plan)
    plan.rent, plan.owned_vs_rented, plan.break_even = _rent_tables(m, d, plan)
    plan.kpis = _kpis(m, d, plan)
    from .finance.views import add_views  # here: aiopt.finance reaches back to Plan through the sweeps

    add_views(plan)
    return plan


def _nodes(m, d: ModelData) -> pd.DataFrame:
    tiers = d.scenario.gpu_tiers
    rows = []
    wl = d.scenario.workloads
    for w, t, s, f, y in m.RUN:
        n = _v(m.run[w, t, s, f, y])
        if n > 0:
            training = (w, t, s, f, y) in m.TRAIN
            solo = (w, t, s, y) in m.SOLO and _count(m.solo[w, t, s, y]) == 1
            rows.append(
                dict(
                    workload=w,
                    group=d.group_of[w],
                    tier=t,
                    site=s,
                    fabric=f,
                    year=y,
                    nodes=n,
                    job_nodes=_v(job_nodes(m, d, (w, t, s, y))) if training else float("nan"),
                    replicas=float("nan") if training else _count(m.replicas[w, t, s, y]),
                    runs_per_year=wl.at[w, "runs_per_year"] if training else float("nan"),
                    run_days=wl.at[w, "deadline_days"] if training else float("nan"),
                    solo=solo,
                    gpus=n * tiers.at[t, "gpus_per_node"],
                    effective_pflops=_v(m.eff[w, t, s, f, y]) if training else float("nan"),
                    required_pflops=d.demand[w, y] * _v(m.scale) if training else float("nan"),
                    tokens_per_s=float("nan") if training else n * d.perf[w, t, f],
                    required_tokens_per_s=float("nan") if training else d.demand[w, y] * _v(m.scale),
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "workload",
            "group",
            "tier",
            "site",
            "fabric",
            "year",
            "nodes",
            "job_nodes",
            "replicas",
            "runs_per_year",
            "run_days",
            "solo",
            "gpus",
            "effective_pflops",
            "required_pflops",
            "tokens_per_s",
            "required_tokens_per_s",
        ],
    )


def _pools(m, d: ModelData) -> pd.DataFrame:
    tiers = d.scenario.gpu_tiers
    rows = []
    for g, t, s, y in m.NODE:
        installed = _count(m.nodes[g, t, s, y])
        bought = _count(m.buy[g, t, s, y]) if (g, t, s, y) in m.BUY else 0
        if installed or bought:
            rows.append(
                dict(
                    group=g,
                    tier=t,
                    site=s,
                    year=y,
                    installed_nodes=installed,
                    bought_nodes=bought,
                    spare_nodes=d.node_unit[t] * _count(m.spare[g, t, s, y]),
                    gpus=installed * tiers.at[t, "gpus_per_node"],
                    node_kw=installed * tiers.at[t, "node_kw"],
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "group",
            "tier",
            "site",
            "year",
            "installed_nodes",
            "bought_nodes",
            "spare_nodes",
            "gpus",
            "node_kw",
        ],
    )


def _schedule(plan: Plan) -> pd.DataFrame:
    """The run calendar of `plan` (`aiopt.schedule.schedule_runs`): each training job's runs on
    the nodes its pool keeps beside serving and spares."""
    nodes, key = plan.nodes, ["group", "tier", "site", "year"]
    jobs = (
        nodes[nodes.job_nodes.notna()]
        .groupby([*key, "workload"], as_index=False)
        .agg(nodes=("job_nodes", "first"), days=("run_days", "first"), runs=("runs_per_year", "first"))
        .merge(nodes.groupby([*key, "workload"], as_index=False).solo.any(), on=[*key, "workload"])
    )
    serving = nodes[nodes.job_nodes.isna()].groupby(key).nodes.sum()
    free = {
        (p.group, p.tier, p.site, p.year): p.installed_nodes
        - p.spare_nodes
        - serving.get((p.group, p.tier, p.site, p.year), 0.0)
        for p in plan.pools.itertuples()
    }
    return schedule_runs(jobs, free)


def used_gpu_hours(plan: Plan) -> pd.DataFrame:
    r"""Owned GPU-hours each workload used in each pool and year: serving nodes all year, each
    run's nodes for its days, :math:`g_t (24\, n\, days)` and :math:`g_t\, 8760\, n^{serve}`."""
    key = ["workload", "group", "tier", "site", "year"]
    runs, serving = plan.schedule, plan.nodes[plan.nodes.job_nodes.isna()]
    used = pd.concat(
        [
            runs[key].assign(node_hours=runs.nodes * (runs.end_day - runs.start_day) * demand.HOURS_PER_DAY),
            serving[key].assign(node_hours=serving.nodes * demand.HOURS_PER_YEAR),
        ],
        ignore_index=True,
    )
    gpus = used.tier.map(plan.scenario.gpu_tiers.gpus_per_node).astype(float)
    return used[key].assign(gpu_hours=used.node_hours * gpus)


def _utilisation(plan: Plan) -> pd.DataFrame:
    """Installed and used GPU-hours per pool and year (`used_gpu_hours`), and what each costs.

    Cost per installed GPU-hour is the plan's total cost over its installed GPU-hours (the
    `usd_per_gpu_hour` KPI, the same for every pool); per used GPU-hour it is that over the pool's
    utilisation.
    """
    key = ["group", "tier", "site", "year"]
    pools = plan.pools
    used_by_pool = used_gpu_hours(plan).groupby(key).gpu_hours.sum()
    installed_hours = pools.gpus * demand.HOURS_PER_YEAR
    per_installed = plan.costs.usd.sum() / installed_hours.sum() if installed_hours.sum() else float("nan")
    rows = []
    for p, installed in zip(pools[key].itertuples(index=False), installed_hours, strict=True):
        used = used_by_pool.get(tuple(p), 0.0)
        share = used / installed if installed else float("nan")
        rows.append(
            dict(
                **p._asdict(),
                installed_gpu_hours=installed,
                used_gpu_hours=used,
                utilisation=share,
                usd_per_installed_gpu_hour=per_installed,
                usd_per_used_gpu_hour=per_installed / share if share else float("nan"),
            )
        )
    columns = [*key, "installed_gpu_hours", "used_gpu_hours", "utilisation"]
    return pd.DataFrame(rows, columns=[*columns, "usd_per_installed_gpu_hour", "usd_per_used_gpu_hour"])


def _racks(m, d: ModelData) -> pd.DataFrame:
    """Compute racks, each filled in order with the nodes the plan placed in its cooling kind,
    and gear racks."""
    tiers, rack_types = d.scenario.gpu_tiers, d.scenario.rack_types

    def kind(g, t, r, s, y):
        return "any" if (g, t, s, y, "any") in m.PLACED else cooling_kind(rack_types.at[r, "cooling"])

    rows = []
    for (g, t, s, y, c), index in group_by(list(m.RACK), lambda i: (*i[:2], *i[3:], kind(*i))).items():
        left = _count(m.nodes_of_kind[g, t, s, y, c])
        for _, _, r, _, _ in index:
            count = _count(m.racks[g, t, r, s, y])
            if not count:
                continue
            placed = min(left, count * d.per_rack[t, r])
            left -= placed
            rows.append(
                dict(
                    site=s,
                    rack_type=r,
                    tier=t,
                    group=g,
                    year=y,
                    racks=count,
                    nodes=placed,
                    kw_used=placed * tiers.at[t, "node_kw"],
                    kw_limit=count * rack_types.at[r, "usable_kw"],
                    ru_used=placed * tiers.at[t, "rack_units"],
                    ru_limit=count * rack_types.at[r, "rack_units"],
                    cooling=rack_types.at[r, "cooling"],
                    nodes_per_rack_max=d.per_rack[t, r],
                )
            )
    gear = group_by([i for i in m.SRY if _count(m.infra_racks[i])], lambda i: (i[0], i[2]))
    for (s, y), index in gear.items():
        # the model sizes gear racks by total kW and U; spread the gear in proportion to capacity
        kw_total = sum(_count(m.infra_racks[i]) * rack_types.at[i[1], "usable_kw"] for i in index)
        ru_total = sum(_count(m.infra_racks[i]) * rack_types.at[i[1], "rack_units"] for i in index)
        for _, r, _ in index:
            count = _count(m.infra_racks[s, r, y])
            kw_limit, ru_limit = count * rack_types.at[r, "usable_kw"], count * rack_types.at[r, "rack_units"]
            rows.append(
                dict(
                    site=s,
                    rack_type=r,
                    tier="(gear)",
                    group="(gear)",
                    year=y,
                    racks=count,
                    nodes=0,
                    kw_used=_v(m.gear_kw[s, y]) * kw_limit / kw_total,
                    kw_limit=kw_limit,
                    ru_used=_v(m.gear_ru[s, y]) * ru_limit / ru_total,
                    ru_limit=ru_limit,
                    cooling=rack_types.at[r, "cooling"],
                    nodes_per_rack_max=0,
                )
            )
    columns = [
        "site",
        "rack_type",
        "tier",
        "group",
        "year",
        "racks",
        "nodes",
        "kw_used",
        "kw_limit",
        "ru_used",
        "ru_limit",
        "cooling",
        "nodes_per_rack_max",
    ]
    return pd.DataFrame(rows, columns=columns)


def spread_over_same_types(racks: pd.DataFrame, d: ModelData) -> pd.DataFrame:
    """The racks table with each site's racks of identical rack types (`copies.same_rack_types`),
    which the model holds as the first type's, given back to the types: in each site and year the
    rows fill the first type's positions, then the next type's, a row split where a type fills up
    (its nodes, kW and U split with its racks: nodes filling racks in order, gear by capacity)."""
    sc, same = d.scenario, d.same_rack
    positions = {(r.site, r.rack_type): r.racks for r in sc.site_racks.itertuples() if r.racks > 0}
    listed = list(sc.rack_types.index)
    types_of = group_by(
        sorted(positions, key=lambda k: listed.index(k[1])), lambda k: (k[0], same.get(k[1], k[1]))
    )
    room, rows = {}, []
    for row in racks.to_dict("records"):
        types = types_of.get((row["site"], row["rack_type"]), ())
        if len(types) < 2:
            rows.append(row)
            continue
        racks_left, nodes_left = row["racks"], row["nodes"]
        for site, r in types:
            free = room.setdefault((site, r, row["year"]), positions[site, r])
            take = min(free, racks_left)
            if not take:
                continue
            nodes = min(nodes_left, take * row["nodes_per_rack_max"])
            used = nodes / row["nodes"] if row["nodes"] else take / row["racks"]
            share = take / row["racks"]
            rows.append(
                {
                    **row,
                    "rack_type": r,
                    "racks": take,
                    "nodes": nodes,
                    "kw_used": row["kw_used"] * used,
                    "kw_limit": row["kw_limit"] * share,
                    "ru_used": row["ru_used"] * used,
                    "ru_limit": row["ru_limit"] * share,
                }
            )
            room[site, r, row["year"]] -= take
            racks_left, nodes_left = racks_left - take, nodes_left - nodes
    return pd.DataFrame(rows, columns=racks.columns)


def _fabric(m, d: ModelData) -> pd.DataFrame:
    """One row per site, fabric and year with a fabric: the final design, the size built that year
    (its spines and core), the SUs deployed or the node groups on one switch of their own
    (`single_switches`, no spines), and the switches, fabric ports (`nics` with a NIC bought,
    `onchip_ports` of tiers with NICs on chip) and links installed. Ports serve the hardware
    lifetime of the nodes they are bought with (`ModelData.in_service`); `nics_bought` and
    `onchip_bought` are those bought in the year."""
    rows = []
    su_at = group_by(list(m.SU), lambda i: i[1:])
    for s, f in m.SF:
        design = _count(m.built_units[s, f, d.years[-1]]) if (s, f) in d.design_limit else 0
        nics_bought = {y: _count(m.nic_buy[s, f, y]) for y in d.years}
        onchip_bought = {y: _count(m.onchip_buy[s, f, y]) for y in d.years}
        for y in d.years:
            nics = sum(nics_bought[o] for o in d.in_service(y))
            onchip = sum(onchip_bought[o] for o in d.in_service(y))
            built = _count(m.built_units[s, f, y]) if (s, f) in d.design_limit else 0
            group_su = {i[0]: _count(m.su[i]) for i in su_at.get((s, f, y), ())}
            singles = {i[0]: _count(m.single[i]) for i in su_at.get((s, f, y), ())}
            if built == 0 and not any(singles.values()) and nics_bought[y] + onchip_bought[y] == 0:
                continue
            size = d.designs[s, f, built] if built else None
            units = sum(group_su.values())
            leaf = _count(m.leaf_switches[s, f, y])
            spine, core = (size.spine, size.core) if size else (0, 0)
            radix = int(d.scenario.fabrics.at[f, "radix"])
            rows.append(
                dict(
                    site=s,
                    fabric=f,
                    year=y,
                    design_units=design,
                    built_units=built,
                    scalable_units=units,
                    leaf=leaf,
                    spine=spine,
                    core=core,
                    switches=leaf + spine + core,
                    nics=nics,
                    onchip_ports=onchip,
                    nics_bought=nics_bought[y],
                    onchip_bought=onchip_bought[y],
                    links=nics + onchip + (size.links - size.endpoints if size else 0),
                    port_capacity=units * d.designs_unit[f].endpoints + radix * sum(singles.values()),
                    group_units=format_group_units(group_su),
                    single_switches=format_group_units(singles),
                )
            )
    columns = [
        "site",
        "fabric",
        "year",
        "design_units",
        "built_units",
        "scalable_units",
        "leaf",
        "spine",
        "core",
        "switches",
        "nics",
        "onchip_ports",
        "nics_bought",
        "onchip_bought",
        "links",
        "port_capacity",
        "group_units",
        "single_switches",
    ]
    return pd.DataFrame(rows, columns=columns)


def format_group_units(units: dict[str, int]) -> str:
    """`{"(shared)": 2, "iso": 1}` -> "(shared)=2;iso=1" (groups with no SU left out)."""
    return ";".join(f"{g}={n}" for g, n in units.items() if n)


def parse_group_units(text) -> dict[str, int]:
    """The inverse of `format_group_units`; an empty cell (NaN when read from CSV) is {}."""
    if not isinstance(text, str) or not text:
        return {}
    pairs = (item.rsplit("=", 1) for item in text.split(";"))
    return {g: int(n) for g, n in pairs}


def _data(m) -> pd.DataFrame:
    """Whose data is where: hot and cold TB per (workload, site, storage tier, year)."""
    placed: dict = {}
    for put, column in ((m.hot_put, "hot_tb"), (m.cold_put, "cold_tb")):
        for (w, s, k, y), var in put.items():
            tb = _v(var)
            if tb:
                row = placed.setdefault((w, s, k, y), dict(hot_tb=0.0, cold_tb=0.0))
                row[column] += tb
    columns = ["workload", "site", "storage_tier", "year", "hot_tb", "cold_tb"]
    rows = [(*key, row["hot_tb"], row["cold_tb"]) for key, row in sorted(placed.items())]
    return pd.DataFrame(rows, columns=columns)


def _data_moves(m, d: ModelData, plan: Plan) -> pd.DataFrame:
    """TB moved between sites, one row per (workload, year, from_site, to_site), and their cost.

    Cold data leaving a site (`cold_moved`) goes to the sites whose cold TB grew by more than
    the data's own growth, in proportion to that gain; hot data copied to a site (`hot_copied`)
    comes from the sites the workload ran at the year before, in equal shares."""
    price = d.scenario.policy["transfer_usd_per_tb"]
    cold = plan.data.groupby(["workload", "year", "site"]).cold_tb.sum()
    ran = plan.nodes.groupby(["workload", "year"]).site.unique()
    moves: dict = {}

    def add(w, y, sources: dict, targets: dict):
        """TB from each source site, shared among the targets in proportion to their weights."""
        total = sum(targets.values())
        for a, out in sources.items():
            for b, weight in targets.items():
                moves[w, y, a, b] = moves.get((w, y, a, b), 0.0) + out * weight / total

    for (w, s, y), var in m.cold_moved.items():
        out = _v(var)
        if out:
            keep = keep_share(d, w, y)
            gain = {b: cold.get((w, y, b), 0.0) - keep * cold.get((w, y - 1, b), 0.0) for b in d.sites}
            add(w, y, {s: out}, {b: g for b, g in gain.items() if g > 1e-6} or {"(elsewhere)": 1.0})
    for (w, s, y), var in m.hot_copied.items():
        tb = _v(var)
        if tb:
            before = ran.get((w, y - 1), ())
            add(w, y, {a: tb / len(before) for a in before} or {"(outside)": tb}, {s: 1.0})
    rows = [(*key, tb, tb * price) for key, tb in sorted(moves.items())]
    return pd.DataFrame(rows, columns=["workload", "year", "from_site", "to_site", "tb", "usd"])


def _stacks(m, d: ModelData) -> pd.DataFrame:
    """Software stacks used per year: the tiers of each with installed nodes, whether it was
    adopted that year, and its one-time (capex) and annual (opex) cost that year."""
    catalog, stack_of = d.scenario.software_stacks, tier_stacks(d)
    installed = group_by([i for i in m.NODE if i[1] in stack_of and _count(m.nodes[i])], lambda i: i[3])
    rows = []
    for k in m.STACK:
        for y in d.years:
            if not _count(m.stack_used[k, y]):
                continue
            adopted = bool(_count(m.stack_adopted[k, y]))
            tiers = sorted({i[1] for i in installed.get(y, ()) if stack_of[i[1]] == k})
            rows.append(
                dict(
                    stack=k,
                    year=y,
                    adopted=adopted,
                    tiers=";".join(tiers),
                    one_time_usd=catalog.at[k, "one_time_usd"] if adopted else 0.0,
                    annual_usd=catalog.at[k, "annual_usd"],
                )
            )
    return pd.DataFrame(rows, columns=["stack", "year", "adopted", "tiers", "one_time_usd", "annual_usd"])


def _storage(m, d: ModelData) -> pd.DataFrame:
    st = d.scenario.storage_tiers
    rows = []
    hot_at = group_by(list(m.HOTPUT), lambda i: i[1:])
    cold_at = group_by(list(m.COLDPUT), lambda i: i[1:])
    for s, k, y in m.SKY:
        units = _count(m.units[s, k, y])
        if units:
            hot = sum(_v(m.hot_put[i]) for i in hot_at.get((s, k, y), ()))
            cold = sum(_v(m.cold_put[i]) for i in cold_at.get((s, k, y), ()))
            rows.append(
                dict(
                    site=s,
                    storage_tier=k,
                    year=y,
                    units=units,
                    tb=units * st.at[k, "unit_tb"],
                    hot_tb_used=hot,
                    cold_tb_used=cold,
                    read_gbps=units * st.at[k, "read_gbps_per_unit"],
                    write_gbps=units * st.at[k, "write_gbps_per_unit"],
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "site",
            "storage_tier",
            "year",
            "units",
            "tb",
            "hot_tb_used",
            "cold_tb_used",
            "read_gbps",
            "write_gbps",
        ],
    )


def _sites(m, d: ModelData) -> pd.DataFrame:
    sites = d.scenario.sites
    rows = []
    for s in d.sites:
        for y in d.years:
            blocks = sum(
                _count(m.expand[s, o])
                for (s2, o) in m.EXPAND
                if s2 == s and o <= y - sites.at[s, "expansion_lead_years"]
            )
            facility = 1000 * (sites.at[s, "power_mw"] + blocks * sites.at[s, "expansion_block_mw"])
            it = _v(m.it_kw[s, y])
            rows.append(
                dict(
                    site=s,
                    year=y,
                    it_kw=it,
                    node_kw=_v(m.node_kw[s, y]),
                    gear_kw=_v(m.gear_kw[s, y]),
                    pue=sites.at[s, "pue"],
                    facility_kw=facility,
                    expansion_blocks_online=blocks,
                    expansion_blocks_ordered=sum(
                        _count(m.expand[s, o]) for (s2, o) in m.EXPAND if s2 == s and o == y
                    ),
                    open=bool(_count(m.open[s, y])),
                    second_carrier=bool((s, y) in m.CARRIER and _count(m.second_carrier[s, y])),
                    liquid_kw=_v(m.liquid_kw[s, y]),
                    colocation_billed_kw=_v(m.colocation_kw[s, y]) if (s, y) in m.COMMITTED else it,
                )
            )
    return pd.DataFrame(rows)


def _costs(m, d: ModelData) -> pd.DataFrame:
    rows = []
    for kind, index, expr in (("capex", m.CAPEX, m.capex), ("opex", m.OPEX, m.opex)):
        for c in index:
            for y in d.years:
                usd = _v(expr[c, y]) * MUSD
                rows.append(
                    dict(
                        category=c, kind=kind, year=y, usd=usd, discounted_usd=usd * pyo.value(m.discount[y])
                    )
                )
    # the residual value is credited at the end of the last year: the start of the year after it
    residual = _v(m.residual) * MUSD
    rows.append(
        dict(
            category="residual",
            kind="residual",
            year=d.years[-1] + 1,
            usd=residual,
            discounted_usd=residual * pyo.value(m.residual_discount),
        )
    )
    return pd.DataFrame(rows, columns=["category", "kind", "year", "usd", "discounted_usd"])


def _kpis(m, d: ModelData, plan: Plan) -> pd.DataFrame:
    costs, pools = plan.costs, plan.pools
    last = d.years[-1]
    capex = costs.loc[costs.kind == "capex", "usd"].sum()
    network = costs.loc[
        costs.category.isin(["fabric", "storage_network", "frontend_network", "oob_network"]), "usd"
    ].sum()
    gpu_hours = pools.gpus.sum() * demand.HOURS_PER_YEAR if len(pools) else 0.0
    used = plan.utilisation.used_gpu_hours.sum()
    delivered = plan.nodes.loc[plan.nodes.year == last, "effective_pflops"].sum() if len(plan.nodes) else 0.0
    rows = [
        ("npv_usd", costs.discounted_usd.sum(), "USD"),
        ("capex_usd", capex, "USD"),
        ("opex_usd", costs.loc[costs.kind == "opex", "usd"].sum(), "USD"),
        ("total_cost_usd", costs.usd.sum(), "USD"),
        ("residual_value_usd", -costs.loc[costs.kind == "residual", "usd"].sum(), "USD"),
        ("gpus_final_year", pools.loc[pools.year == last, "gpus"].sum() if len(pools) else 0, "GPUs"),
        (
            "nodes_final_year",
            pools.loc[pools.year == last, "installed_nodes"].sum() if len(pools) else 0,
            "nodes",
        ),
        ("sites_used", pools.site.nunique() if len(pools) else 0, "sites"),
        ("effective_pflops_final_year", delivered, "PFLOPS"),
        ("usd_per_gpu_hour", costs.usd.sum() / gpu_hours if gpu_hours else float("nan"), "USD/GPU-h"),
        ("gpu_hours_used_share", used / gpu_hours if gpu_hours else float("nan"), "fraction"),
        ("rented_gpu_hours_share", _rented_share(plan), "fraction"),
        ("network_share_of_capex", network / capex if capex else 0.0, "fraction"),
        ("peak_it_kw", plan.sites.it_kw.max(), "kW"),
        ("demand_scale", _v(m.scale), "x"),
        ("gap", plan.info.gap if plan.info.gap is not None else float("nan"), "fraction"),
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _rent_tables(m, d: ModelData, plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`rent`: per workload, year and offer rented, the GPUs (replicas x their GPUs for a service),
    GPU-hours billed (`model.rent.billed_hours`), rent and egress in USD. `owned_vs_rented`: per
    workload and year, the owned GPU-hours used (a run's job GPUs x runs x 24 x days; serving GPUs
    x 8760) and the rented GPU-hours billed. `break_even` (`_break_even`)."""
    offers = d.scenario.cloud_offers
    rows = []
    for i in [*m.RENT, *m.RENT_SERVE]:
        w, o, y = i
        gpus = _count(rented_gpus(m, i))
        if not gpus:
            continue
        hours = gpus * m.rent_option[w, o].billed_hours
        rows.append(
            dict(
                workload=w,
                year=y,
                offer=o,
                tier=offers.at[o, "tier"],
                term=offers.at[o, "term"],
                replicas=_count(m.rent_replicas[i]) if i in m.RENT_SERVE else float("nan"),
                gpus=gpus,
                gpu_hours=hours,
                usd=hours * pyo.value(m.rent_price[o]) * MUSD,
                egress_usd=offers.at[o, "egress_usd_per_tb"] * d.hot_tb[w, y],
            )
        )
    columns = [
        "workload",
        "year",
        "offer",
        "tier",
        "term",
        "replicas",
        "gpus",
        "gpu_hours",
        "usd",
        "egress_usd",
    ]
    rent = pd.DataFrame(rows, columns=columns)
    nodes, gpus_per_node = plan.nodes, d.scenario.gpu_tiers.gpus_per_node
    per_node = nodes.tier.map(gpus_per_node).astype(float)
    days = nodes.runs_per_year * nodes.run_days  # NaN: serving
    run_hours = nodes.job_nodes * per_node * demand.HOURS_PER_DAY * days
    key = [nodes.workload, nodes.year]
    owned = (
        run_hours.groupby(key).first().fillna(0.0)
        + (nodes.gpus * demand.HOURS_PER_YEAR).where(run_hours.isna(), 0.0).groupby(key).sum()
    )  # one job a year, whatever its fabric rows; serving GPUs all year
    rented = rent.groupby(["workload", "year"]).gpu_hours.sum()
    rows = []
    for w in d.workloads:
        for y in d.active_years[w]:
            mine, theirs = owned.get((w, y), 0.0), rented.get((w, y), 0.0)
            share = theirs / (mine + theirs) if mine + theirs else float("nan")
            rows.append(
                dict(workload=w, year=y, owned_gpu_hours=mine, rented_gpu_hours=theirs, rented_share=share)
            )
    split = pd.DataFrame(
        rows, columns=["workload", "year", "owned_gpu_hours", "rented_gpu_hours", "rented_share"]
    )
    return rent, split, _break_even(m, d)


def _licences_per_gpu(services: pd.DataFrame, tier) -> float:
    """USD a year of the node- and GPU-counted licences one GPU of `tier` carries."""
    per_gpu = {"gpu": 1.0, "node": 1.0 / tier.gpus_per_node}
    return sum(
        svc.annual_usd * svc.per_basis * per_gpu[svc.basis]
        for svc in services.itertuples()
        if svc.basis in per_gpu and (not svc.stacks or tier.stack in svc.stacks)
    )


def _break_even(m, d: ModelData) -> pd.DataFrame:
    r"""Per GPU tier with an offer some workload may rent: the utilisation below which renting its
    cheapest such offer beats owning. Owning a GPU costs a year
    :math:`c = price / life + support\% \cdot price + kW \cdot PUE \cdot load \cdot 8760 \cdot e`
    + the yearly licences counted per node or GPU of its stack (per GPU: node figures / GPUs per
    node) at the site with the cheapest energy, first-year electricity; renting it for a share u
    of the year costs :math:`u \cdot 8760 \cdot p`, so :math:`u^* = c / (8760\, p)`."""
    sc = d.scenario
    tiers, sites, policy = sc.gpu_tiers, sc.sites, sc.policy
    site = min(sites.index, key=lambda s: sites.at[s, "electricity_usd_per_kwh"] * sites.at[s, "pue"])
    cheapest: dict = {}
    for _, o in m.rent_option:
        t = sc.cloud_offers.at[o, "tier"]
        price = pyo.value(m.rent_price[o]) * MUSD
        if t not in cheapest or price < cheapest[t][1]:
            cheapest[t] = (o, price)
    rows = []
    for t, (o, price) in sorted(cheapest.items()):
        tier = tiers.loc[t]
        node_year = tier.price_usd * (1 / policy["hardware_lifetime_years"] + tier.support_pct / 100)
        energy = tier.node_kw * sites.at[site, "pue"] * policy["average_load"] * demand.HOURS_PER_YEAR
        owned = (node_year + energy * sites.at[site, "electricity_usd_per_kwh"]) / tier.gpus_per_node
        owned += _licences_per_gpu(sc.services, tier)
        rows.append(
            dict(
                tier=t,
                offer=o,
                site=site,
                owned_usd_per_gpu_year=owned,
                rent_usd_per_gpu_hour=price,
                break_even_utilisation=owned / (demand.HOURS_PER_YEAR * price),
            )
        )
    columns = [
        "tier",
        "offer",
        "site",
        "owned_usd_per_gpu_year",
        "rent_usd_per_gpu_hour",
        "break_even_utilisation",
    ]
    return pd.DataFrame(rows, columns=columns)


def _rented_share(plan: Plan) -> float:
    """Rented GPU-hours over all GPU-hours the workloads use (owned used + rented billed)."""
    split = plan.owned_vs_rented
    total = split.owned_gpu_hours.sum() + split.rented_gpu_hours.sum()
    return split.rented_gpu_hours.sum() / total if total else 0.0
