"""Rent checks: each rented run or replica set is allowed, sized and billed; every training run is
owned or rented, never both; rent and egress costs add up."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from . import physics
from .base import TOLERANCE, differ, num, over

HOURS_PER_DAY = 24.0


def rented_delivered(plan, workload_id: str, year: int) -> float:
    """What the plan's rented GPUs deliver to a workload in a year, by the checker's own arithmetic:
    a training run's GPUs x peak x MFU x the offer's scaling efficiency at the job's size x the
    goodput of the job
    (GPUs / GPUs per node nodes); a service's GPUs x the roofline's tokens/s per GPU."""
    sc = plan.scenario
    wl = sc.workloads.loc[workload_id]
    rows = plan.rent[(plan.rent.workload == workload_id) & (plan.rent.year == year)]
    total = 0.0
    for r in rows.itertuples():
        tier, offer = sc.gpu_tiers.loc[r.tier], sc.cloud_offers.loc[r.offer]
        if wl.kind == "inference":
            total += r.gpus * physics.serving_tokens_per_gpu(wl, physics.served_model(sc, wl), tier)
        else:
            nodes = r.gpus / tier.gpus_per_node
            total += nodes * physics.node_pflops(wl, tier, offer, nodes)
    return total


def billed_hours(offer, workload) -> float:
    """GPU-hours billed per rented GPU a year: a service all year; a training run its deadline per
    run, each rental at least the offer's minimum, a reserved offer once for the year."""
    if workload["kind"] == "inference":
        return physics.HOURS_PER_YEAR
    run = HOURS_PER_DAY * workload["deadline_days"]
    if offer["term"] == "reserved":
        return max(offer["min_hours"], workload["runs_per_year"] * run)
    return workload["runs_per_year"] * max(offer["min_hours"], run)


def rent_allowed_and_billed(plan) -> list[str]:
    """A rented offer meets the workload's compliance, residency and tenancy and sells an allowed
    tier, on a stack the workload runs on, that is on sale; a rented run's GPUs hold its training
    state and a service rents whole replicas; GPU-hours = GPUs x billed hours, rent = GPU-hours x
    price, egress = hot TB x USD/TB; no offer rents more GPUs a year than it has; the plan's rent
    and egress costs are these sums."""
    sc, out = plan.scenario, []
    paid = defaultdict(float)
    taken = defaultdict(float)
    for r in plan.rent.itertuples():
        wl, offer, tier = sc.workloads.loc[r.workload], sc.cloud_offers.loc[r.offer], sc.gpu_tiers.loc[r.tier]
        where = f"{r.workload}/{r.year}/{r.offer}"
        lacks = physics.site_shortfalls(offer, wl)
        if lacks:
            out.append(f"{where}: the offer lacks {'; '.join(lacks)}")
        if wl.tiers and r.tier not in wl.tiers:
            out.append(f"{where}: rents {r.tier}, allowed {', '.join(wl.tiers)}")
        if wl.stacks and tier.stack not in wl.stacks:
            out.append(f"{where}: rents {r.tier} on stack {tier.stack}, runs on {', '.join(wl.stacks)}")
        if tier.available_from > r.year:
            out.append(f"{where}: rents {r.tier}, on sale from {tier.available_from}")
        if wl.kind != "inference" and over(physics.training_state_gb(wl), r.gpus * tier.hbm_gb):
            out.append(f"{where}: {num(r.gpus)} GPUs cannot hold the training state")
        hours = r.gpus * billed_hours(offer, wl)
        egress = offer.egress_usd_per_tb * physics.hot_tb_needed(wl, physics.served_model(sc, wl), r.year)
        for name, have, expected in (
            ("GPU-hours", r.gpu_hours, hours),
            ("rent USD", r.usd, hours * offer.usd_per_gpu_hour),
            ("egress USD", r.egress_usd, egress),
        ):
            if differ(have, expected, usd=name != "GPU-hours"):
                out.append(f"{where}: {name} {num(have)}, recomputed {num(expected)}")
        paid["rent", r.year] += hours * offer.usd_per_gpu_hour
        paid["egress", r.year] += egress
        taken[r.offer, r.year] += r.gpus
    for (o, y), gpus in taken.items():
        cap = sc.cloud_offers.at[o, "max_gpus"]
        if pd.notna(cap) and over(gpus, cap):
            out.append(f"{o}/{y}: {num(gpus)} GPUs rented, the offer has {num(cap)}")
    costs = plan.costs.groupby(["category", "year"]).usd.sum()
    for c in ("rent", "egress"):
        for y in sc.years:
            if differ(costs.get((c, y), 0.0), paid[c, y], usd=True):
                out.append(
                    f"{c}/{y}: plan says {costs.get((c, y), 0.0):,.2f} USD, recomputed {paid[c, y]:,.2f}"
                )
    return out


def owned_or_rented(plan) -> list[str]:
    """Every training run of every year is on owned nodes or on one rented offer, not both."""
    sc, out = plan.scenario, []
    owned = set(zip(plan.nodes.workload, plan.nodes.year, strict=True))
    offers = plan.rent.groupby(["workload", "year"]).offer.nunique()
    for w, wl in sc.workloads.iterrows():
        if wl.kind == "inference":
            continue
        for y in sc.years:
            if physics.required(wl, y) <= TOLERANCE:
                continue
            rented = int(offers.get((w, y), 0))
            if rented > 1 or (rented and (w, y) in owned):
                places = f"{rented} offers" + (" and owned nodes" if (w, y) in owned else "")
                out.append(f"{w}/{y}: one training run on {places}")
    return out
