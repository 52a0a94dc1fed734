"""Compute checks: demand met with goodput at the plan's own job sizes, runs where they may
run and in memory, pools that hold their runs and spares."""

from __future__ import annotations

import math
from collections import defaultdict

from . import physics
from .base import TOLERANCE, bought_within_life, busiest, num, over
from .rent import rented_delivered


def demand_met(plan) -> list[str]:
    """Each workload's demand, recomputed from its inputs, is delivered every year: training's
    effective PFLOPS from its tokens, parameters and deadline, with the derates of the goodput and
    the fabric's scaling efficiency at the job size the plan gives it (all its nodes that year);
    serving's output tokens/s at no more than the checker's own roofline allows per GPU
    (`physics.serving_tokens_per_gpu`); rented GPUs add theirs (`rent.rented_delivered`)."""
    sc, out = plan.scenario, []
    scale = plan.kpi("demand_scale")
    runs = dict(list(plan.nodes.groupby(["workload", "year"])))
    for w, wl in sc.workloads.iterrows():
        unit = "tokens/s" if wl.kind == "inference" else "PFLOPS"
        for y in sc.years:
            need = scale * physics.required(wl, y)
            rows = runs.get((w, y), plan.nodes.iloc[:0])
            have = _delivered(sc, wl, rows) + rented_delivered(plan, w, y)
            if need > 0 and have < need * (1 - TOLERANCE):
                parts = [
                    f"{num(r.nodes)} nodes of {r.tier} at {r.site} on {r.fabric}" for r in rows.itertuples()
                ]
                out.append(
                    f"{w}/{y}: {', '.join(parts) or 'no nodes'} deliver {have:.6g} {unit}"
                    f"{_derate(sc, wl, rows)}, needs {need:.6g}"
                )
    return out


def _delivered(sc, wl, rows) -> float:
    """What one workload's runs deliver in a year: serving output tokens/s, training effective
    PFLOPS (one job of all their nodes)."""
    if wl.kind == "inference":
        model = physics.served_model(sc, wl)
        return sum(
            r.nodes
            * sc.gpu_tiers.at[r.tier, "gpus_per_node"]
            * physics.serving_tokens_per_gpu(wl, model, sc.gpu_tiers.loc[r.tier])
            for r in rows.itertuples()
        )
    job = rows.nodes.sum()
    return sum(
        r.nodes * physics.node_pflops(wl, sc.gpu_tiers.loc[r.tier], sc.fabrics.loc[r.fabric], job)
        for r in rows.itertuples()
    )


def _derate(sc, wl, rows) -> str:
    if wl.kind == "inference" or rows.empty:
        return ""
    job, tier = rows.nodes.sum(), sc.gpu_tiers.loc[rows.tier.iloc[0]]
    good = physics.goodput(job, tier.node_mtbf_hours, wl.checkpoint_minutes)
    scaling = physics.job_efficiency(sc.fabrics.loc[rows.fabric.iloc[0]], tier, job)
    return f" (goodput {good:.5f}, scaling efficiency {scaling:.5f} at {num(job)} nodes)"


def runs_fit(plan) -> list[str]:
    """A run uses an allowed tier that is on sale; a training run uses one tier at one site in a
    year, its GPUs hold the training state (by method), FP8 training runs on a tier with FP8
    figures and, past one node, a run takes whole nodes (a rack-scale node is one NVLink domain);
    one scale-up domain holds a serving replica (weights at the served precision and one
    request's KV cache) and a service runs whole replicas."""
    sc, out = plan.scenario, []
    for (w, y), rows in plan.nodes.groupby(["workload", "year"]):
        wl = sc.workloads.loc[w]
        for row in rows.itertuples():
            tier = sc.gpu_tiers.loc[row.tier]
            if wl.tiers and row.tier not in wl.tiers:
                out.append(f"{w}/{y}: runs on {row.tier}, allowed {', '.join(wl.tiers)}")
            if tier.available_from > y:
                out.append(f"{w}/{y}: runs on {row.tier}, on sale from {tier.available_from}")
            if wl.kind != "inference":
                unset = [c for c in physics.precision_columns(wl) if not physics.is_set(tier[c])]
                if unset:
                    out.append(
                        f"{w}/{y}: trains in {wl.precision} on {row.tier}, which has no {' or '.join(unset)}"
                    )
            else:
                replica = physics.smallest_replica_gb(wl, physics.served_model(sc, wl))
                domain = physics.scale_up_gpus(tier) * tier.hbm_gb
                if over(replica, domain):
                    out.append(
                        f"{w}/{y}: a replica needs {num(replica)} GB, one scale-up domain of {row.tier} "
                        f"holds {num(domain)} GB"
                    )
        if wl.kind == "inference":
            out += _whole_replicas(sc, w, y, rows)
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
        job = rows.job_nodes.iloc[0]
        if job > 1 + TOLERANCE and abs(job - round(job)) > TOLERANCE:
            out.append(f"{w}/{y}: a run on {num(job)} nodes spans NVLink domains without taking them whole")
    return out


YEAR_DAYS = 365.0


def _whole_replicas(sc, w: str, y: int, rows) -> list[str]:
    """A service runs whole replicas, at least its minimum at each site, each on GPUs whose HBM
    holds it."""
    wl, out = sc.workloads.loc[w], []
    for s, part in rows.groupby("site"):
        replicas = part.replicas.sum()
        if (part.replicas % 1 != 0).any() or replicas < wl.min_replicas:
            out.append(f"{w}/{s}/{y}: {num(replicas)} replicas, at least {wl.min_replicas} whole ones needed")
    replica_gb = physics.smallest_replica_gb(wl, physics.served_model(sc, wl))
    for row in rows.itertuples():
        tier = sc.gpu_tiers.loc[row.tier]
        gpus = math.ceil(replica_gb / tier.hbm_gb - TOLERANCE)
        if over(row.replicas * gpus, row.nodes * tier.gpus_per_node):
            out.append(
                f"{w}/{y}: {num(row.replicas)} replicas of {gpus} {row.tier} GPUs on {num(row.nodes)} nodes"
            )
    return out


def pools_hold_runs(plan) -> list[str]:
    """On every day of the run calendar, a pool holds its serving nodes, the training runs then
    under way and the N+k spares of both (isolated workloads in a group of their own); jobs and
    spares are whole units (`physics.job_unit`: a server, or a tray of a rack-scale node);
    installed nodes were bought within their lifetime."""
    sc, out = plan.scenario, []
    serving: dict = defaultdict(float)
    serving_spares: dict = defaultdict(float)
    for row in plan.nodes[plan.nodes.workload.map(sc.workloads.kind) == "inference"].itertuples():
        key = physics.group_of(row.workload, sc.workloads.loc[row.workload]), row.tier, row.site, row.year
        serving[key] += row.nodes
        serving_spares[key] += sc.workloads.at[row.workload, "spare_fraction"] * row.nodes
    runs = dict(list(plan.schedule.dropna().groupby(["group", "tier", "site", "year"])))
    pools = plan.pools.set_index(["group", "tier", "site", "year"])
    for key in sorted(set(serving) | set(runs), key=str):
        unit = physics.job_unit(sc.gpu_tiers.loc[key[1]])
        calendar = runs.get(key, plan.schedule.iloc[:0])
        spare_share = [
            sc.workloads.at[w, "spare_fraction"] * n
            for w, n in zip(calendar.workload, calendar.nodes, strict=True)
        ]
        peak_runs, peak_spares = busiest(calendar, calendar.nodes), busiest(calendar, spare_share)
        spares = unit * math.ceil((serving_spares[key] + peak_spares) / unit - TOLERANCE)
        need = serving[key] + peak_runs + spares
        have = pools.installed_nodes.get(key, 0)
        if over(need, have):
            out.append(
                f"pool {'/'.join(map(str, key))}: serving {num(serving[key])}, runs at once {num(peak_runs)} "
                f"and {num(spares)} spares need {num(need)} nodes, {have} installed"
            )
    life = int(sc.policy["hardware_lifetime_years"])
    bought = pools.bought_nodes
    for (g, t, s, y), n in pools.installed_nodes.items():
        alive = bought_within_life(bought, (g, t, s), y, life)
        if n > alive:
            out.append(
                f"pool {g}/{t}/{s}/{y}: {n} nodes installed, {alive} bought within the {life}-year life"
            )
    return out


def runs_scheduled(plan) -> list[str]:
    """Each training job's runs are all in the calendar, one after another within the year, each
    as long as its deadline on the job's whole nodes."""
    sc, out = plan.scenario, []
    jobs = (
        plan.nodes[plan.nodes.job_nodes.notna()]
        .groupby(["workload", "tier", "site", "year"])
        .job_nodes.first()
    )
    calendar = dict(list(plan.schedule.groupby(["workload", "tier", "site", "year"])))
    for (w, t, s, y), nodes in jobs.items():
        wl = sc.workloads.loc[w]
        runs = calendar.get((w, t, s, y), plan.schedule.iloc[:0]).sort_values("start_day")
        where = f"{w}/{t}/{s}/{y}"
        if runs.start_day.isna().any() or len(runs) != wl.runs_per_year:
            placed = int(runs.start_day.notna().sum())
            out.append(f"{where}: {placed} of {wl.runs_per_year} runs placed in the calendar")
            continue
        ends = [0.0, *runs.end_day]
        for run, start, end in zip(runs.run, runs.start_day, runs.end_day, strict=True):
            if start < ends[run - 1] - TOLERANCE or end > YEAR_DAYS + TOLERANCE:
                out.append(
                    f"{where}: run {run} from day {num(start)} to {num(end)} overlaps or leaves the year"
                )
            if abs(end - start - wl.deadline_days) > TOLERANCE:
                out.append(
                    f"{where}: run {run} takes {num(end - start)} days, deadline {num(wl.deadline_days)}"
                )
        if (runs.nodes != nodes).any():
            out.append(f"{where}: runs on {sorted(set(runs.nodes))} nodes, the job has {num(nodes)}")
    return out
