"""One call that chains the pipeline: load -> validate -> build -> solve -> results."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from .errors import SolveError
from .finance.reference import reference_plan, saving
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
    reference: bool = False,
) -> Plan:
    """Cost-optimal plan of a scenario (a Scenario or a YAML path).

    Defaults suit interactive use: stop at a 1% proven gap or after 60 s, one thread, fixed
    seed. The plan's `status` and `gap` say what was proven; a time-limited plan is marked
    "time_limit", never "optimal". `progress`: see `solve_model` (True, False, "auto",
    "verbose"). Raises InputError for bad input, SolveError (with a `Status`) when the
    scenario is infeasible, no plan was found in time or the solver failed.

    With `reference`, the reference design (`aiopt.reference_plan`, one more solve) is solved
    too and `plan.saving` holds the saving against it by category (`aiopt.finance.saving`).
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
    if reference:
        attach_saving(plan, time_limit, rel_gap)
    return plan


def attach_saving(plan: Plan, time_limit: float = 60.0, rel_gap: float = 0.01) -> None:
    """Set `plan.saving` against the reference design of its scenario (timed as
    `seconds["reference"]`); a reference design without a plan warns and leaves it empty."""
    started = time.perf_counter()
    try:
        plan.saving = saving(plan, reference_plan(plan.scenario, time_limit=time_limit, rel_gap=rel_gap))
    except SolveError as exc:
        warnings.warn(f"no saving against the reference design: {exc}", stacklevel=3)
    plan.info.seconds["reference"] = time.perf_counter() - started
