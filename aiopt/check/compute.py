"""Compute checks: demand met with goodput at the plan's own job sizes, runs where they may
run and in memory, pools that hold their runs and spares."""

from __future__ import annotations

import math
from collections import defaultdict

from . import physics
from .base import TOLERANCE, num, over


def demand_met(plan) -> list[str]:
    """Each workload's effective PFLOPS, recomputed from its tokens, parameters and deadline (or
    tokens/s), is delivered every year. A training run's derate uses the goodput of the job size
    the plan gives it: all its nodes that year."""
    sc, out = plan.scenario, []
    scale = plan.kpi("demand_scale")
    runs = dict(list(plan.nodes.groupby(["workload", "year"])))
    for w, wl in sc.workloads.iterrows():
        for y in sc.years:
            need = scale * physics.required_pflops(wl, y)
            rows = runs.get((w, y), plan.nodes.iloc[:0])
            have = _delivered(sc, wl, rows)
            if need > 0 and have < need * (1 - TOLERANCE):
                parts = [
                    f"{num(r.nodes)} nodes of {r.tier} at {r.site} on {r.fabric}" for r in rows.itertuples()
                ]
                out.append(
                    f"{w}/{y}: {', '.join(parts) or 'no nodes'} deliver {have:.6g} PFLOPS"
                    f"{_derate(sc, wl, rows)}, needs {need:.6g}"
                )
    return out


def _delivered(sc, wl, rows) -> float:
    """Effective PFLOPS of one workload's runs in a year (training: one job of all their nodes)."""
    job = rows.nodes.sum()
    return sum(
        r.nodes
        * physics.node_pflops(
            wl,
            sc.gpu_tiers.loc[r.tier],
            None if wl.kind == "inference" else sc.fabrics.at[r.fabric, "scaling_efficiency"],
            job,
        )
        for r in rows.itertuples()
    )


def _derate(sc, wl, rows) -> str:
    if wl.kind == "inference" or rows.empty:
        return ""
    job, tier = rows.nodes.sum(), sc.gpu_tiers.loc[rows.tier.iloc[0]]
    good = physics.goodput(job, tier.node_mtbf_hours, wl.checkpoint_minutes)
    return f" (goodput {good:.5f} at {num(job)} nodes)"


def runs_fit(plan) -> list[str]:
    """A run uses an allowed tier that is on sale; a training run uses one tier at one site in a
    year and its GPUs hold the training state (by method); FP8 training runs on a tier with FP8
    figures; a serving node holds a replica."""
    sc, out = plan.scenario, []
    for (w, y), rows in plan.nodes.groupby(["workload", "year"]):
        wl = sc.workloads.loc[w]
        for row in rows.itertuples():
            tier = sc.gpu_tiers.loc[row.tier]
            if wl.tiers and row.tier not in wl.tiers:
                out.append(f"{w}/{y}: runs on {row.tier}, allowed {', '.join(wl.tiers)}")
            if tier.available_from > y:
                out.append(f"{w}/{y}: runs on {row.tier}, on sale from {tier.available_from}")
            unset = [c for c in physics.precision_columns(wl) if not physics.is_set(tier[c])]
            if wl.kind != "inference" and unset:
                out.append(
                    f"{w}/{y}: trains in {wl.precision} on {row.tier}, which has no {' or '.join(unset)}"
                )
            if wl.kind == "inference" and over(physics.replica_gb(wl), physics.node_memory_gb(tier)):
                out.append(
                    f"{w}/{y}: a replica needs {num(physics.replica_gb(wl))} GB, a {row.tier} node holds "
                    f"{num(physics.node_memory_gb(tier))} GB"
                )
        if wl.kind == "inference":
            continue
        places = sorted(set(zip(rows.tier, rows.site, strict=True)))
        if len(places) > 1:
            out.append(f"{w}/{y}: one training run on {' and '.join('/'.join(p) for p in places)}")
        memory = sum(
            n * physics.node_memory_gb(sc.gpu_tiers.loc[t])
            for n, t in zip(rows.nodes, rows.tier, strict=True)
        )
        if over(physics.training_state_gb(wl), memory):
            out.append(
                f"{w}/{y}: {num(rows.nodes.sum())} nodes hold {num(memory)} GB, "
                f"the training state needs {num(physics.training_state_gb(wl))} GB"
            )
    return out


def pools_hold_runs(plan) -> list[str]:
    """Runs plus their N+k spares fit in the installed pool of the workload's node group
    (isolated workloads in a group of their own); a training job and the spares are whole units
    (`physics.job_unit`: a server, or a tray of a rack-scale node); installed nodes were bought
    within their lifetime."""
    sc, out = plan.scenario, []
    runs: dict = defaultdict(float)
    spares: dict = defaultdict(float)
    for row in plan.nodes.itertuples():
        wl = sc.workloads.loc[row.workload]
        unit = physics.job_unit(sc.gpu_tiers.loc[row.tier])
        nodes = row.nodes if wl.kind == "inference" else unit * math.ceil(row.nodes / unit - TOLERANCE)
        key = physics.group_of(row.workload, wl), row.tier, row.site, row.year
        runs[key] += nodes
        spares[key] += wl.spare_fraction * nodes
    need = {}
    for key, n in runs.items():
        unit = physics.job_unit(sc.gpu_tiers.loc[key[1]])
        need[key] = n + unit * math.ceil(spares[key] / unit - TOLERANCE)
    pools = plan.pools.set_index(["group", "tier", "site", "year"])
    for key, n in need.items():
        have = pools.installed_nodes.get(key, 0)
        if over(n, have):
            out.append(
                f"pool {'/'.join(map(str, key))}: runs with spares need {num(n)} nodes, {have} installed"
            )
    life = int(sc.policy["hardware_lifetime_years"])
    bought = pools.bought_nodes
    for (g, t, s, y), n in pools.installed_nodes.items():
        alive = sum(bought.get((g, t, s, o), 0) for o in range(y - life + 1, y + 1))
        if n > alive:
            out.append(
                f"pool {g}/{t}/{s}/{y}: {n} nodes installed, {alive} bought within the {life}-year life"
            )
    return out
