"""One call that chains the pipeline: load -> validate -> build -> solve -> results."""

from __future__ import annotations

import time
from pathlib import Path

from .load import load_scenario
from .model import build_model, prepare
from .results import Plan, read_plan
from .scenario import Scenario
from .solve import solve_model


def solve(
    scenario: Scenario | str | Path,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    threads: int = 1,
    seed: int = 0,
    progress: bool | str = "auto",
) -> Plan:
    """Cost-optimal plan of a scenario (a Scenario or a YAML path).

    Defaults suit interactive use: stop at a 1% proven gap or after 60 s, one thread, fixed
    seed. The plan's `status` and `gap` say what was proven; a time-limited plan is marked
    "time_limit", never "optimal". `progress`: see `solve_model` (True, False, "auto",
    "verbose"). Raises InputError for bad input, SolveError (with a `Status`) when the
    scenario is infeasible, no plan was found in time or the solver failed.
    """
    seconds = {}
    started = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
        seconds["load_validate"] = time.perf_counter() - started
    stage = time.perf_counter()
    model = build_model(prepare(scenario))
    seconds["build"] = time.perf_counter() - stage
    info = solve_model(
        model, time_limit=time_limit, rel_gap=rel_gap, threads=threads, seed=seed, progress=progress
    )
    seconds.update(
        {("solve" if stage == "solve" else f"solve_{stage}"): s for stage, s in info.seconds.items()}
    )
    stage = time.perf_counter()
    plan = read_plan(model, info)
    seconds["results"] = time.perf_counter() - stage
    plan.info.seconds = seconds
    return plan
