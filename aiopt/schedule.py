"""The run calendar of a plan: when each training run holds which nodes of its pool.

A pool (node group, tier, site, year) keeps its serving nodes and spares all year; training runs
take the rest one after another, a run needing all its nodes at once for its deadline. Solo
runs (the model's `solo` jobs) go first, side by side; the other jobs follow, largest first,
each run at the earliest day its nodes are free and no other such run is under way (a list
scheduler): the model books them as one lane, for nodes, days and storage reads alike. Run k of
a job with R runs a year is not started before day 365 (k - 1) / R, so a monthly job runs about
monthly; a pool whose runs do not all fit that way is scheduled again without those release
days, which the model's pool rows (`aiopt.model.compute._shared_pools`) guarantee places every
run within the year.
"""

from __future__ import annotations

import math

import pandas as pd

from .demand import DAYS_PER_YEAR

SLACK = 1e-6  # nodes: solver noise in a pool's free capacity

COLUMNS = ["group", "tier", "site", "year", "workload", "run", "start_day", "end_day", "nodes"]


def schedule_runs(jobs: pd.DataFrame, free_nodes: dict) -> pd.DataFrame:
    """One row per run: (group, tier, site, year, workload, run, start_day, end_day, nodes).

    `jobs`: one row per training job with group, tier, site, year, workload, nodes, days (one
    run), runs (a year) and solo (bool). `free_nodes`: pool key -> nodes beside serving and
    spares. A run that fits nowhere in the year gets start_day and end_day NaN (the checker
    reports it).
    """
    rows = []
    for pool, pool_jobs in jobs.groupby(["group", "tier", "site", "year"], sort=True):
        ordered = pool_jobs.sort_values(["solo", "nodes", "workload"], ascending=[False, False, True])
        calendar = _calendar(pool, ordered, free_nodes.get(pool, 0.0), spread=True)
        if any(math.isnan(row[6]) for row in calendar):  # some run found no room
            calendar = _calendar(pool, ordered, free_nodes.get(pool, 0.0), spread=False)
        rows += calendar
    return pd.DataFrame(rows, columns=COLUMNS)


def _calendar(pool: tuple, jobs: pd.DataFrame, free: float, spread: bool) -> list[tuple]:
    """The rows of one pool's calendar; runs spread over the year by release days if `spread`."""
    rows, placed, lane = [], [], []  # placed: (start, end, nodes) of every run; lane: of non-solo runs
    for job in jobs.itertuples():
        ready = 0.0
        for run in range(1, int(job.runs) + 1):
            release = DAYS_PER_YEAR * (run - 1) / job.runs if spread else 0.0
            alone = [] if job.solo else lane
            start = _earliest(placed, alone, max(ready, release), job.days, job.nodes, free)
            if start is None:
                rows.append((*pool, job.workload, run, float("nan"), float("nan"), job.nodes))
                continue
            placed.append((start, start + job.days, job.nodes))
            alone.append(placed[-1])
            rows.append((*pool, job.workload, run, start, start + job.days, job.nodes))
            ready = start + job.days
    return rows


def _earliest(
    placed: list, alone: list, ready: float, days: float, nodes: float, free: float
) -> float | None:
    """First day ≥ `ready` (that day or the end of a placed run) from which `nodes` nodes stay free
    for `days` days within the year, overlapping none of the runs in `alone`; None if there is none."""
    for start in sorted({ready, *(end for _, end, _ in placed if end > ready)}):
        if start + days > DAYS_PER_YEAR + SLACK:
            return None
        if any(s < start + days - SLACK and e > start + SLACK for s, e, _ in alone):
            continue
        window = [(s, e, n) for s, e, n in placed if s < start + days and e > start]
        moments = [start, *(s for s, _, _ in window if s > start)]
        if all(sum(n for s, e, n in window if s <= t < e) + nodes <= free + SLACK for t in moments):
            return start
    return None
