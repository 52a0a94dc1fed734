"""Solve the model with HiGHS through Pyomo and say honestly what came back."""

from __future__ import annotations

import io
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from .errors import SolveError

PROGRESS_AFTER_SECONDS = 3.0  # "auto" progress starts echoing the HiGHS log after this long
STAGED_ABOVE_INTEGERS = 300  # "auto" strategy: warm-start models with more integer variables


@dataclass
class SolveInfo:
    """What the solver proved: status, incumbent, bound and the gap between them."""

    status: str  # "optimal" (within rel_gap), "time_limit" (feasible, not proven), ...
    termination: str
    incumbent: float | None
    bound: float | None
    gap: float | None
    rel_gap_target: float
    time_limit: float
    threads: int
    seed: int
    seconds: dict = field(default_factory=dict)  # per pipeline stage

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def to_dict(self) -> dict:
        return asdict(self)


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """|incumbent − bound| / max(|incumbent|, 1e-9); None when either is missing."""
    if incumbent is None or bound is None:
        return None
    return abs(incumbent - bound) / max(abs(incumbent), 1e-9)


class _LateEcho(io.TextIOBase):
    """Forward HiGHS's branch-and-bound progress rows (bound, incumbent, gap, time) once a
    solve has run for `after` seconds, with the table header before the first row."""

    ROW = re.compile(r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%.*\s([\d.]+)s\s*$")

    def __init__(self, after: float):
        self.start, self.after, self.target = time.perf_counter(), after, _console()
        self.header: list[str] = []
        self.pending, self.shown, self.clock = "", False, 0.0

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            if "B&B Tree" in line or "BestBound" in line:
                self.header.append(line)
            elif (row := self.ROW.match(line)) and float(row[1]) >= self.clock:  # sub-MIP rows restart their clock
                self.clock = float(row[1])
                if time.perf_counter() - self.start < self.after:
                    continue
                if not self.shown:
                    self.target.write("solving, HiGHS progress:\n" + "\n".join(self.header[-2:]) + "\n")
                    self.shown = True
                self.target.write(line + "\n")
                self.target.flush()
        return len(text)

    def close(self) -> None:
        if self.target is not sys.stdout:
            self.target.close()
        super().close()


def _console():
    """Where progress goes. Pyomo redirects file descriptor 1 into the solver log while HiGHS
    runs, so writing to sys.stdout from the terminal would loop back: write to a duplicate
    of the descriptor instead. A notebook's stdout is a kernel stream, not a descriptor."""
    if type(sys.stdout).__module__.startswith("ipykernel"):
        return sys.stdout
    try:
        return open(os.dup(sys.stdout.fileno()), "w")
    except (AttributeError, OSError, io.UnsupportedOperation):
        return sys.stdout


def _announcer(progress: bool | str):
    """A function printing one progress line to the console, or doing nothing when silent."""
    if not progress:
        return lambda text: None

    def say(text: str) -> None:
        console = _console()
        console.write(text + "\n")
        console.flush()
        if console is not sys.stdout:
            console.close()

    return say


def _warm_start(solver: Highs, model: pyo.ConcreteModel, time_limit: float, options: dict, say) -> dict:
    """Find a first plan fast and hand it to HiGHS as the starting incumbent.

    The fabric choice is what makes large models hard: the LP relaxation spreads a site over
    several fabrics. Solve the LP relaxation, fix each site's fabric to the one it favours
    (none where it uses none), solve that restricted MIP, then free the fabrics again and
    give the plan to HiGHS. Pyomo's HiGHS interface has no public MIP warm start, so the
    values go in through highspy's `setSolution` on the freshly loaded persistent model, and
    the returned options stop the next solve from re-sending bounds (which would drop them).
    """
    started = time.perf_counter()
    relaxed = model.clone()
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(relaxed)
    lp = Highs().solve(relaxed, **{**options, "load_solutions": True, "time_limit": time_limit / 2})
    if lp.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
        say("staged solve: LP relaxation not solved in time; solving the full model directly")
        return {}
    say(f"staged solve: LP relaxation, objective bound {lp.incumbent_objective:,.4g} ({time.perf_counter() - started:.1f} s)")
    for s in model.S:
        favoured = max(model.F, key=lambda f: pyo.value(relaxed.fabric[s, f]))
        for f in model.F:
            model.fabric[s, f].fix(int(f == favoured and pyo.value(relaxed.fabric[s, f]) > 1e-6))
    remaining = max(time_limit - (time.perf_counter() - started), 1.0)
    try:
        restricted = solver.solve(model, **{**options, "time_limit": remaining})
    finally:
        model.fabric.unfix()
    if restricted.solution_status not in (SolutionStatus.feasible, SolutionStatus.optimal):
        say("staged solve: no plan with the LP's fabrics; solving the full model directly")
        return {}
    say(f"staged solve: first plan, objective {restricted.incumbent_objective:,.4g}, with the LP's fabrics "
        f"({time.perf_counter() - started:.1f} s); now the full model from it")
    restricted.solution_loader.load_vars()
    solver.set_instance(model)
    columns = solver._pyomo_var_to_solver_var_map
    start = highspy.HighsSolution()
    values = [0.0] * len(columns)
    for var in model.component_data_objects(pyo.Var):
        if id(var) in columns and var.value is not None:
            values[columns[id(var)]] = var.value
    start.col_value = values
    start.value_valid = True
    solver._solver_model.setSolution(start)
    return {"auto_updates": {key: False for key in solver.config.auto_updates}}


def solve_model(
    model: pyo.ConcreteModel,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    threads: int = 1,
    seed: int = 0,
    progress: bool | str = "auto",
    strategy: str = "auto",
) -> SolveInfo:
    """Run HiGHS on a built model and load its incumbent, if any.

    `progress`: True echoes the HiGHS log (incumbent, bound, gap per line), False is silent,
    "auto" echoes it only once the solve has run for a few seconds. `strategy`: "direct"
    hands the whole MIP to HiGHS; "staged" first finds a plan with each site's fabric fixed
    to the one the LP relaxation favours and warm-starts the full MIP from it (all within
    `time_limit`; the bound and gap are the full model's); "auto" stages models with more
    than 300 integer variables. Raises `SolveError` when the model is infeasible or no plan
    was found within the limits.
    """
    if strategy not in ("auto", "direct", "staged"):
        raise ValueError(f"strategy must be auto, direct or staged, not {strategy!r}")
    options = dict(threads=threads, rel_gap=rel_gap, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                   solver_options={"random_seed": seed, "mip_rel_gap": rel_gap})
    integers = sum(1 for v in model.component_data_objects(pyo.Var) if v.is_integer())
    solver = Highs()
    started = time.perf_counter()
    if strategy == "staged" or (strategy == "auto" and integers > STAGED_ABOVE_INTEGERS):
        options.update(_warm_start(solver, model, time_limit / 2, options, _announcer(progress)))
    echo = {True: [_LateEcho(0.0)], False: [], "auto": [_LateEcho(PROGRESS_AFTER_SECONDS)]}[progress]
    try:
        remaining = max(time_limit - (time.perf_counter() - started), 1.0)
        result = solver.solve(model, tee=echo, time_limit=remaining, **options)
    finally:
        for stream in echo:
            stream.close()
    seconds = time.perf_counter() - started
    termination = result.termination_condition
    has_solution = result.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if termination in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        raise SolveError(
            f"infeasible: no plan meets every constraint of scenario '{model.name}' "
            "(check demand against site power, racks, compliance and budget)",
            "infeasible",
        )
    if not has_solution:
        raise SolveError(
            f"no plan found for scenario '{model.name}' within {time_limit:g} s "
            f"(solver stopped: {termination.name}); raise the time limit",
            termination.name,
        )
    result.solution_loader.load_vars()
    incumbent, bound = result.incumbent_objective, result.objective_bound
    optimal = termination == TerminationCondition.convergenceCriteriaSatisfied
    status = "optimal" if optimal else ("time_limit" if termination == TerminationCondition.maxTimeLimit else termination.name)
    return SolveInfo(
        status=status,
        termination=termination.name,
        incumbent=incumbent,
        bound=bound,
        gap=relative_gap(incumbent, bound),
        rel_gap_target=rel_gap,
        time_limit=time_limit,
        threads=threads,
        seed=seed,
        seconds={"solve": seconds},
    )
