"""Solve a built model with HiGHS and say honestly what came back.

One load into HiGHS (`highs.HighsModel`), then, for large models, a staged solve on that one
instance: the LP relaxation guides a first plan, which starts the full MIP; a model with twin
sites is solved in parts by the first twin to open. Every stage gets only the time that remains
of `time_limit`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..errors import InputError, Problem, SolveError, Status
from ..model import follow_params
from ..model.cost import settle_billed_kw
from . import kept
from .guess import tier_of_workloads
from .highs import MODEL_STATUS, HighsModel, Outcome, use_threads
from .progress import Progress, objective_text, relative_gap

# "auto" strategy: stage models with more integer variables than this per second of the time limit.
# Measured (seed 0, 2026-11-27): given the time, HiGHS alone does better, enterprise-baseline (1,098
# integer, 60 s) 18-24 s against 26-42 s staged (the LP-guided stage alone took 9-14 s), frontier-growth
# (4,389, 60 s) optimal at 0.98% against 8.4%; when time is short the stages find the better plan,
# growth-5y (1,396) 42.54 against 43.95 MUSD at 15 s (direct found none when the machine was busy)
STAGED_ABOVE_INTEGERS_PER_SECOND = 80
LP_SHARE = 0.25  # the LP relaxation may use this share of the time limit; beyond it, one tier per workload
# the LP-guided stage holds each workload to its one-tier guess and the tiers holding this share of
# its LP nodes in some year (5-site large benchmark, 105 s: 1,646 MUSD against 1,793 for one tier)
FAVOURED_SHARE = 0.1
FIRST_PLAN_SHARE = 0.8  # ... and the first-plan stages may run until this share has passed
# above this many integers, the first plan is improved by fix-and-optimise: measured 2026-11-28, the
# 5-site benchmark's full MIP (17.7k) ends its root after ~150 s, so in 105 s only sub-MIPs improve
# its plan; frontier-growth (4.4k) closes to 1% within ~20 s direct
IMPROVE_ABOVE_INTEGERS = 5000
NEIGHBOURHOOD_SHARE = 0.1  # each fix-and-optimise sub-MIP may use this share of the time limit
# ... and stops at this gap to its own bound: with most integers fixed that bound sits close to the
# plan, so at the user's 1% most sub-MIPs stopped at once; measured 2026-11-28 (seed 0), 1e-3
# against 1e-4: 5-site benchmark at 105 s 10.39% against 10.59%, 8x10 at 290 s 10.20% against 11.57%
NEIGHBOURHOOD_GAP = 1e-3
# fix-and-optimise stops at this share; the full MIP, started from its plan, gets the rest, and its
# root cuts lift the bound: 5-site benchmark (105 s, seeds 0-2) 1,351.1 -> 1,371.1 MUSD, gap 10.96
# -> 9.77% (0.45: 9.97%, 0.75: the root unfinished, 10.96%)
IMPROVE_SHARE = 0.6
# HiGHS restarts the MIP after its root when presolve could fix more columns: measured 2026-11-28
# (seed 0 unless said), without it enterprise-baseline 14.7 -> 11.2 s (median of seeds 0-4),
# frontier-growth 42.0 -> 37.7 s, growth-5y at 60 s 8.5% -> 7.3% gap
ALLOW_RESTART = False
# HiGHS's RENS sub-MIP, off where the full model is solved without stages: the root reduced-cost
# sub-MIP finds the baseline's optimal plan (without it, 16 s) and RENS then spends LP iterations for
# nothing. Measured 2026-11-28, direct MIP, medians of seeds 0-4 (README, stop 27): enterprise-
# baseline 5.44 -> 4.26 s (RINS off too: 3.58 s, but the baseline with us-east twinned 12.2 -> 18.2
# s; with RINS on, 10.4 s). The staged first-plan MIPs need RENS: without it the 5-site benchmark
# found no plan.
SMALL_MODEL_SUB_MIPS = dict(mip_heuristic_run_rens=False)
NO_PROBING = 2**15  # HiGHS presolve_rule_off bit for probing, which alone can take minutes on large models
# a twin part that only has to show it holds no plan under a cutoff: no plan search, no probing.
# Measured 2026-11-28 (README, stop 30), that part on the baseline with us-west twinned, seeds 0-2:
# 2.55 / 3.34 / 2.74 s with the best plan as cutoff, 1.95 / 2.38 / 2.01 s with the best less the
# gap target, 1.79 / 1.26 / 1.23 s with that and these options
PROOF_ONLY = dict(
    mip_heuristic_effort=0.0,
    mip_heuristic_run_feasibility_jump=False,
    mip_heuristic_run_rins=False,
    mip_heuristic_run_rens=False,
    mip_heuristic_run_root_reduced_cost=False,
    presolve_rule_off=NO_PROBING,
)
FINAL_SHARE = 0.97  # the full MIP stops here: HiGHS may overrun its stop by a second or two on large models
# LP stages: interior point, values only; on the 5-site large model HiGHS's IPM reaches 1.6e-8
# relative accuracy in ~95 iterations and then stalls just above its 1e-8 default for minutes
INTERIOR_POINT = dict(solver="ipm", run_crossover="off", ipm_optimality_tolerance=1e-7)
LP_NOISE = 1e-4  # what interior point without crossover leaves on a column the LP keeps empty
MAX_SCALE_SHARE = 0.8  # max_capacity: the largest multiple by this share (first), then the least NPV at it
DEMAND_TOLERANCE = 1e-9  # relative: a demand Param above the built demand by more needs a rebuild
# families whose rows an infeasible scenario's message names first: the limits users set
FAMILY_ORDER = (
    "cost",
    "power",
    "racks",
    "compliance",
    "storage",
    "reliability",
    "fabric",
    "growth",
    "compute",
)
INDEX_WORDS = (
    ("S", "site"),
    ("W", "workload"),
    ("T", "tier"),
    ("F", "fabric"),
    ("K", "storage"),
    ("R", "rack type"),
    ("G", "pool"),
)

__all__ = ["SolveInfo", "Status", "relative_gap", "solve_model"]


@dataclass
class SolveInfo:
    """What the solver proved: status, incumbent, bound and the gap between them.

    For `max_capacity`, incumbent, bound and gap are the demand multiple's; `npv_gap` is the
    proven gap of the NPV at that multiple, and `status` is optimal only when both stages are.
    """

    status: Status
    highs_status: str  # HiGHS's own words for how the last run ended, e.g. "Time limit reached"
    incumbent: float | None
    bound: float | None
    gap: float | None
    rel_gap_target: float
    time_limit: float
    threads: int
    seed: int
    seconds: dict = field(default_factory=dict)  # per stage
    npv_gap: float | None = None  # max_capacity: the gap of the least-NPV stage at the multiple reached
    started_from: str | None = None  # the MIP start: "an earlier plan", "the first-plan stage" or none

    def __post_init__(self):
        self.status = Status(self.status)

    @property
    def optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status.value}


class _Clock:
    """The time left of one solve's limit."""

    def __init__(self, time_limit: float):
        self.started, self.limit = time.perf_counter(), time_limit

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def until(self, share: float) -> float:
        """Seconds from now until `share` of the limit has passed (never negative)."""
        return max(share * self.limit - self.elapsed(), 0.0)


def _fabric_guess(model: pyo.ConcreteModel, highs: HighsModel, lp_values: np.ndarray):
    """Each site's fabric binaries fixed to the LP's favourite; a site where the LP uses none is
    left to the MIP (fixing it empty can leave a deadline unmeetable at the other sites)."""
    fixings = [(np.zeros(0, dtype=np.int32), np.zeros(0))]
    for s in model.S:
        site = highs.columns_of(model.fabric[s, f] for f in model.F)
        if len(site) and lp_values[site].max() > LP_NOISE:
            fixings.append((site, (np.arange(len(site)) == np.argmax(lp_values[site])).astype(float)))
    return _joined(*fixings)


def _tier_guess(model: pyo.ConcreteModel, highs: HighsModel, lp_values: np.ndarray | None = None):
    """Every workload held to its guessed GPU tiers: zero the run and pick columns of the others.

    The guess is one tier per workload (`guess.tier_of_workloads`); given the LP relaxation's
    values, also every tier that holds at least `FAVOURED_SHARE` of the workload's LP nodes in
    some year. A workload with neither keeps every tier. The restricted model is a fraction of
    the full one, so it solves far faster.
    """
    allowed = {w: {t} for w, t in tier_of_workloads(model).items()}
    if lp_values is not None:
        for w, t in _favoured_tiers(model, highs, lp_values):
            allowed.setdefault(w, set()).add(t)
    others = [model.run[i] for i in model.RUN if i[1] not in allowed.get(i[0], {i[1]})]
    others += [model.pick[i] for i in model.PICK if i[1] not in allowed.get(i[0], {i[1]})]
    columns = highs.columns_of(others)
    return columns, np.zeros(len(columns))


def _favoured_tiers(model: pyo.ConcreteModel, highs: HighsModel, lp_values: np.ndarray) -> set:
    """{(workload, tier)} where the tier holds at least `FAVOURED_SHARE` of the workload's nodes
    in the LP relaxation in some year."""
    used = [i for i in model.RUN if id(model.run[i]) in highs.column_of]
    nodes = pd.Series(
        lp_values[highs.columns_of(model.run[i] for i in used)], index=pd.MultiIndex.from_tuples(used)
    )
    by_tier = nodes.groupby(level=[0, 1, 4]).sum()  # workload, tier, year
    share = by_tier / by_tier.groupby(level=[0, 2]).transform("sum").clip(lower=LP_NOISE)
    return {(w, t) for (w, t, _) in share[share >= FAVOURED_SHARE].index}


def _infeasible(model: pyo.ConcreteModel, highs: HighsModel, outcome: Outcome, clock: _Clock) -> SolveError:
    """The INFEASIBLE error, naming where the LP relaxation fails when HiGHS finds a conflict."""
    rows = highs.conflict(clock.until(1.0)) if clock.until(1.0) > 0 else []
    where = f" {describe_constraint(model, _most_telling(model, rows))}:" if rows else ""
    return SolveError(
        f"infeasible:{where} no plan meets every constraint of scenario '{model.name}' "
        "(check demand against site power, racks, compliance and budget)",
        Status.INFEASIBLE,
        outcome.highs_status,
    )


def _most_telling(model: pyo.ConcreteModel, rows: list):
    """The conflict row a user can act on first: limits they set (budget, power, racks, ...)
    before the rows that define demand, then the earliest year."""

    def rank(row):
        family = model.family_of.get(row.parent_component().local_name, "core")
        years = [v for v in _index(row) if isinstance(v, int) and v in model.Y]
        return (
            FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER),
            min(years, default=0),
        )

    return min(rows, key=rank)


def _index(row) -> tuple:
    index = row.index()
    return () if index is None else index if isinstance(index, tuple) else (index,)


def describe_constraint(model: pyo.ConcreteModel, row) -> str:
    """E.g. "power (site_power) at site us-east, year 2027": family, constraint, its index in words."""
    name = row.parent_component().local_name
    words = []
    for value in _index(row):
        if isinstance(value, int) and value in model.Y:
            words.append(f"year {value}")
        else:
            label = next(
                (label for set_name, label in INDEX_WORDS if value in getattr(model, set_name)), None
            )
            words.append(f"{label} {value}" if label else str(value))
    return f"{model.family_of.get(name, 'core')} ({name})" + (f" at {', '.join(words)}" if words else "")


@dataclass
class _FirstPlan:
    """What the staged solve found before the full MIP."""

    start: np.ndarray | None = None  # a complete plan, or None
    objective: float | None = None  # its objective
    lp_bound: float | None = None  # the LP relaxation's objective: a bound when the MIP proves none
    failed: list[str] = field(default_factory=list)  # stages that found no plan, in words


def _first_plan(model, highs: HighsModel, clock: _Clock, progress: Progress) -> _FirstPlan:
    """A complete plan to start the full MIP from, found in up to three stages:

    1. LP relaxation by interior point (values only, no crossover); infeasible → no plan exists.
    2. Restricted MIP: each site's fabric fixed to the LP's favourite, each workload held to the
       tiers the LP favours and its one-tier guess (`_tier_guess`). When the LP does not finish
       in its share, the model held to one tier per workload instead, its fabrics from that
       restricted model's LP (`_one_tier_guess`). Above `IMPROVE_ABOVE_INTEGERS` it stops at its
       first plan, found with the node counts whole in its own LP held (`_restricted_mip`), which
       sub-MIPs then improve (`_fix_and_optimise`).
    3. Fallback: the full MIP in heuristic emphasis, stopped at its first plan.
    """
    found = _FirstPlan()
    progress.begin("LP relaxation", bound_valid=False)
    with highs.relaxation():
        lp = highs.run(clock.until(LP_SHARE), **INTERIOR_POINT)
    if lp.infeasible:
        raise _infeasible(model, highs, lp, clock)
    if lp.has_solution:
        found.lp_bound = lp.bound
        stage = "LP-guided"
        progress.begin("first plan (LP-guided fabrics and tiers)", bound_valid=False)
        guide = highs.values()
        fixings = _joined(_fabric_guess(model, highs, guide), _tier_guess(model, highs, guide))
    else:
        found.failed.append(f"the LP relaxation ({_ended(lp)})")
        stage = "one-tier"
        progress.begin("first plan (one tier per workload)", bound_valid=False)
        guide, fixings = _one_tier_guess(model, highs, clock, found)
    if fixings is not None:
        improve = len(highs.integers) > IMPROVE_ABOVE_INTEGERS
        with highs.fixed(*fixings):
            restricted = _restricted_mip(model, highs, clock, improve)
        if restricted.has_solution:
            found.start, found.objective = highs.values(), restricted.objective
            if improve:
                progress.begin("first plan improved (fix-and-optimise)", bound_valid=False)
                _fix_and_optimise(model, highs, found, guide, clock)
            return found
        found.failed.append(f"the {stage} stage ({_ended(restricted)})")
    progress.begin("first plan (heuristic search)", bound_valid=True)
    fallback = highs.run(
        clock.until(FIRST_PLAN_SHARE),
        mip_heuristic_effort=0.5,
        mip_max_improving_sols=1,
        presolve_rule_off=NO_PROBING,
    )
    if fallback.infeasible:
        raise _infeasible(model, highs, fallback, clock)
    if fallback.has_solution:
        found.start, found.objective = highs.values(), fallback.objective
    else:
        found.failed.append(f"the heuristic stage ({_ended(fallback)})")
    return found


def _restricted_mip(model, highs: HighsModel, clock: _Clock, improve: bool) -> Outcome:
    """The MIP of the model as the caller restricted it (fabrics and tiers fixed), to its gap when
    small. A model large enough to `improve` stops at its first plan, found first with the node
    counts its own LP relaxation (simplex: a second or so once fabrics and tiers are fixed) has
    whole held at those counts (`_whole_node_counts`), in half the time left; without a plan there,
    free. On the 5-site benchmark 381 of 456 node counts are whole in that LP: the held MIP's first
    plans come within 6 s, where the free MIP took 27 s and its first plans cost up to 1.8x as much."""
    if not improve:
        return highs.run(clock.until(FIRST_PLAN_SHARE), presolve_rule_off=NO_PROBING)
    first_only = dict(presolve_rule_off=NO_PROBING, mip_max_improving_sols=1)
    with highs.relaxation():
        lp = highs.run(clock.until(FIRST_PLAN_SHARE))
    if lp.has_solution:
        with highs.fixed(*_whole_node_counts(model, highs, highs.values())):
            held = highs.run(clock.until(FIRST_PLAN_SHARE) / 2, **first_only)
        if held.has_solution:
            return held
    return highs.run(clock.until(FIRST_PLAN_SHARE), **first_only)


def _whole_node_counts(model: pyo.ConcreteModel, highs: HighsModel, lp_values: np.ndarray):
    """(columns, values) of the node counts whole in `lp_values` (to 1e-6), at those values."""
    columns = highs.columns_of(model.nodes.values())
    values = lp_values[columns]
    whole = np.abs(values - np.round(values)) < 1e-6
    return columns[whole], np.round(values[whole])


def _fix_and_optimise(model, highs: HighsModel, found: _FirstPlan, lp_values: np.ndarray, clock: _Clock):
    """Improve `found`'s plan by sub-MIPs until `IMPROVE_SHARE` of the limit: each frees the integer
    columns of one neighbourhood and those where the plan and the LP differ by half a unit or more
    (RINS), fixes the rest at the plan and starts from it. Neighbourhoods: none (RINS alone), each
    site, each tier, fewest integers first; passes repeat while one improves the plan."""
    integers, sense = highs.integers, -1 if highs.maximising else 1
    indices = [_index(highs.columns[j]) for j in integers]
    hoods = [np.zeros(len(integers), dtype=bool)]
    for keys in (model.S, model.T):
        masks = [np.array([key in index for index in indices]) for key in keys]
        hoods += sorted([mask for mask in masks if mask.any()], key=np.sum)
    improved = True
    while improved and clock.until(IMPROVE_SHARE) > 0:
        improved = False
        for hood in hoods:
            plan = found.start
            free = hood | (np.abs(plan[integers] - lp_values[integers]) >= 0.5)
            fixed = integers[~free]
            with highs.fixed(fixed, np.round(plan[fixed])):
                highs.start_from(plan)
                outcome = highs.run(
                    min(NEIGHBOURHOOD_SHARE * clock.limit, clock.until(IMPROVE_SHARE)),
                    presolve_rule_off=NO_PROBING,
                    mip_rel_gap=NEIGHBOURHOOD_GAP,
                )
            gain = sense * (found.objective - outcome.objective) if outcome.has_solution else 0.0
            if gain > 1e-9 * abs(found.objective):
                found.start, found.objective, improved = highs.values(), outcome.objective, True
            if clock.until(IMPROVE_SHARE) <= 0:
                break


def _one_tier_guess(model, highs: HighsModel, clock: _Clock, found: _FirstPlan) -> tuple:
    """(LP values, fixings) of the model restricted to one tier per workload (`_tier_guess`): that
    restricted model's LP relaxation, and its tier fixings joined with each site's fabric fixed to
    the favourite of that LP; (None, None) when the LP does not finish."""
    tiers = _tier_guess(model, highs)
    with highs.fixed(*tiers):
        with highs.relaxation():
            lp = highs.run(clock.until(FIRST_PLAN_SHARE), **INTERIOR_POINT)
        if not lp.has_solution:
            found.failed.append(f"the one-tier LP ({_ended(lp)})")
            return None, None
        values = highs.values()
    return values, _joined(tiers, _fabric_guess(model, highs, values))


def _joined(*fixings):
    """One (columns, values) pair of several."""
    return np.concatenate([c for c, _ in fixings]), np.concatenate([v for _, v in fixings])


def _ended(outcome: Outcome) -> str:
    """How a stage ended, in words: "stopped at its time share after 21.2 s", "infeasible after ..."."""
    stopped = outcome.status in (outcome.status.kTimeLimit, outcome.status.kInterrupt)
    how = "stopped at its time share" if stopped else outcome.highs_status.lower()
    return f"{how} after {outcome.seconds:.1f} s"


def _no_plan(model, time_limit: float, outcome: Outcome, tried: list[str]) -> SolveError:
    """The error for a solve that ended without a plan, with the advice that fits."""
    stages = f"; tried {'; '.join(tried)}" if tried else ""
    if outcome.status in (outcome.status.kTimeLimit, outcome.status.kInterrupt):
        return SolveError(
            f"no plan found for scenario '{model.name}' within {time_limit:g} s{stages}, and the full MIP "
            "found none in the time left; raise the time limit or loosen the gap",
            Status.NO_SOLUTION,
            outcome.highs_status,
        )
    return SolveError(
        f"the solver failed on scenario '{model.name}' (HiGHS: {outcome.highs_status}){stages}; this is not "
        "a time-limit problem: rerun with --verbose (progress='verbose') and report the log",
        Status.SOLVER_ERROR,
        outcome.highs_status,
    )


def solve_model(
    model: pyo.ConcreteModel,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    threads: int = 1,
    seed: int = 0,
    progress: bool | str = "auto",
    strategy: str = "auto",
    warm: bool = True,
) -> SolveInfo:
    """Run HiGHS on a built model and load its best plan into the model's variables.

    `progress`: True shows one updating line (elapsed, best plan, proven bound, gap), "auto"
    shows it once the solve has run a few seconds, "verbose" shows HiGHS's own log, False is
    silent. `strategy`: "direct" hands the whole MIP to HiGHS; "staged" first finds a plan
    (LP-guided fabrics and tiers, else a heuristic search) and starts the full MIP from it; "auto"
    stages models with more than `STAGED_ABOVE_INTEGERS_PER_SECOND` integer variables per second of
    `time_limit`. `max_capacity` is lexicographic: the largest demand multiple first, then the least
    NPV at that multiple, started from the first plan. With `warm`, a model solved before and
    changed since only in its mutable Params (a sweep variant, `model.demand[w, y] = ...`) is
    updated in HiGHS, not loaded again, and starts from a plan it solved that is still feasible,
    the cheapest (else the nearest whose integer decisions still admit a plan; `solve.kept`):
    faster, but among plans within the gap the one found may then depend on what was solved
    before; `warm=False`
    loads anew and starts from nothing, the same result every time. The whole solve,
    every stage and the load into HiGHS, ends within `time_limit`. Raises
    `SolveError` with a `Status` when the scenario is infeasible, no plan was found in time, or
    the solver failed, and `InputError` when a demand Param rose above what the model was built for.
    """
    if strategy not in ("auto", "direct", "staged"):
        raise ValueError(f"strategy must be auto, direct or staged, not {strategy!r}")
    clock = _Clock(time_limit)
    _check_demand_within_build(model)
    follow_params(model)
    objective = model.data.scenario.policy["objective"]
    lines = Progress(progress, objective)
    use_threads(threads)
    highs, _ = kept.loaded(
        model,
        warm,
        dict(
            threads=threads,
            random_seed=seed,
            mip_rel_gap=rel_gap,
            output_flag=lines.verbose,
            log_to_console=False,
            mip_allow_restart=ALLOW_RESTART,
        ),
    )
    lines.attach(highs.highs)
    seconds = {"load": clock.elapsed()}
    first = _FirstPlan()
    cheapest, started_from = None, None
    try:
        staged = strategy == "staged" or (
            strategy == "auto" and len(highs.integers) > STAGED_ABOVE_INTEGERS_PER_SECOND * time_limit
        )
        earlier = kept.earlier_plan(model, clock.until(LP_SHARE)) if warm else None
        if earlier is not None:  # a plan of an earlier solve, still feasible: no first-plan search
            first.start, first.objective = earlier, highs.objective_of(earlier)
        elif staged:
            first = _first_plan(model, highs, clock, lines)
            seconds["first_plan"] = clock.elapsed() - seconds["load"]
        if first.start is not None:
            highs.start_from(first.start)
            lines.found(first.objective, first.lp_bound)
            started_from = "an earlier plan" if earlier is not None else "the first-plan stage"
        twins = _later_twins(model) if not staged and first.start is None and objective == "min_npv" else []
        if twins:
            final, plan = _split_on_twins(model, highs, twins, rel_gap, clock, lines)
        else:
            lines.begin("full model", bound_valid=True)
            final = highs.run(
                clock.until(MAX_SCALE_SHARE if objective == "max_capacity" else FINAL_SHARE),
                **({} if staged else SMALL_MODEL_SUB_MIPS),
            )
            plan = highs.values() if final.has_solution else None
        if final.infeasible:
            raise _infeasible(model, highs, final, clock)
        if not final.has_solution and first.start is None:
            raise _no_plan(model, time_limit, final, first.failed)
        values = plan if final.has_solution else first.start  # the start, if HiGHS had no time
        if objective == "max_capacity":
            cheapest, values = _cheapest_at_scale(model, highs, values, clock, lines)
            seconds["least_npv"] = cheapest.seconds
    finally:
        lines.close()
    seconds["solve"] = clock.elapsed()
    highs.write_back(values)
    settle_billed_kw(model)
    kept.remember(model, values)
    incumbent = final.objective if final.has_solution else first.objective
    bound = _tighter(model, final.bound, first.lp_bound)
    optimal = all(run.status == run.status.kOptimal for run in (final, cheapest) if run is not None)
    return SolveInfo(
        status=Status.OPTIMAL if optimal else Status.TIME_LIMIT,
        highs_status=(cheapest or final).highs_status,
        incumbent=incumbent,
        bound=bound,
        gap=relative_gap(incumbent, bound),
        rel_gap_target=rel_gap,
        time_limit=time_limit,
        threads=threads,
        seed=seed,
        seconds=seconds,
        npv_gap=None if cheapest is None else relative_gap(cheapest.objective, cheapest.bound),
        started_from=started_from,
    )


def _later_twins(model: pyo.ConcreteModel) -> list[str]:
    """The sites listed after an identical twin (family growth, `twins_in_order`) while the pair's
    site Params still agree, in the order listed."""
    return list(dict.fromkeys(b for (a, b) in model.TWINS if pyo.value(model.alike[a, b]) == 1))


def _split_on_twins(
    model, highs: HighsModel, twins: list[str], rel_gap: float, clock: _Clock, lines: Progress
):
    """Solve a model with twin sites in disjoint parts by the first of `twins` (b_1..b_k) to open:
    none, then for each j b_j open by the last year and b_1..b_{j-1} never (sites stay open once
    opened). The first part is the scenario without the twins; each later one only has to show it
    holds no plan under the best so far less the gap target, `best - rel_gap |best|` (HiGHS's
    `objective_bound`, searched with `PROOF_ONLY`): then the whole is within `rel_gap`. On the
    baseline with a site duplicated that proof takes 1-2 s, where the whole MIP spent 6-26 s among
    mirrored plans (README, stops 28 and 30). Each part gets an equal share of the time left.

    Returns one `Outcome` of the whole (`_whole`) and the best plan's values (None without one)."""
    never = [highs.columns_of(model.open[b, y] for y in model.Y) for b in twins]
    by_last = [highs.columns_of([model.open[b, model.Y.last()]]) for b in twins]

    def fixing(shut: list, opened=()):
        """(columns, values): the `shut` twins' columns at 0, the `opened` one at 1."""
        columns = np.concatenate([np.zeros(0, dtype=np.int32), *shut, opened]).astype(np.int32)
        return columns, np.append(np.zeros(len(columns) - len(opened)), np.ones(len(opened)))

    fixings = [fixing(never)] + [fixing(never[:j], by_last[j]) for j in range(len(twins))]
    best, values, ends = None, None, []
    for j, (columns, fixed_at) in enumerate(fixings):
        lines.begin(f"twin sites, part {j + 1} of {len(fixings)}", bound_valid=False)
        cutoff = {} if best is None else {"objective_bound": best - rel_gap * abs(best)}
        search = SMALL_MODEL_SUB_MIPS if best is None else PROOF_ONLY
        with highs.fixed(columns, fixed_at):
            part = highs.run(clock.until(FINAL_SHARE) / (len(fixings) - j), **search, **cutoff)
            if part.has_solution and (best is None or part.objective < best):
                best, values = part.objective, highs.values()
        ends.append((part, cutoff.get("objective_bound")))
    return _whole(ends, best), values


def _whole(ends: list[tuple[Outcome, float | None]], best: float | None) -> Outcome:
    """One `Outcome` of a model solved in disjoint parts, from each part's outcome and the cutoff it
    ran with. A part with no plan under its cutoff is bounded by that cutoff; a part with no plan at
    all bounds nothing; the whole's bound is the least of the parts' (none if a part stopped before
    its root), and it is optimal only when every part is."""
    finished, bounds, limits = [], [], []
    for part, cutoff in ends:
        if part.infeasible:
            finished.append(True)
            if cutoff is not None:
                bounds.append(cutoff)
        else:
            finished.append(part.status == MODEL_STATUS.kOptimal)
            bounds.append(part.bound)
            if not finished[-1]:
                limits.append(part.highs_status)
    seconds = sum(part.seconds for part, _ in ends)
    if best is None and all(part.infeasible for part, _ in ends):
        return Outcome(MODEL_STATUS.kInfeasible, ends[0][0].highs_status, False, None, None, seconds)
    bound = None if not bounds or any(b is None for b in bounds) else min(bounds)
    status = MODEL_STATUS.kOptimal if all(finished) else MODEL_STATUS.kTimeLimit
    words = limits[0] if limits else ends[0][0].highs_status
    return Outcome(status, words, best is not None, best, bound, seconds)


def _cheapest_at_scale(model, highs: HighsModel, plan: np.ndarray, clock: _Clock, lines: Progress):
    """The second, lexicographic stage of `max_capacity`: the least NPV with the demand multiple
    fixed at the plan's, started from that plan. Returns its outcome and the plan's values (the
    start when HiGHS found nothing better in time)."""
    scale = highs.columns_of([model.scale])
    lines.objective, lines.plan = "min_npv", None
    lines.begin("least NPV at that multiple", bound_valid=True)
    with highs.fixed(scale, plan[scale]), highs.minimising(model.npv):
        highs.start_from(plan)
        outcome = highs.run(clock.until(FINAL_SHARE))
        return outcome, highs.values() if outcome.has_solution else plan


def _check_demand_within_build(model: pyo.ConcreteModel) -> None:
    """Raise `InputError` when a demand Param is above the demand the model's bounds were built
    for (`model.data.demand`: the design-table cap and the pool big-Ms would cut off plans)."""
    built = model.data.demand
    risen = [
        Problem(
            f"model '{model.name}'",
            f"demand[{w}, {y}]",
            "demand",
            pyo.value(model.demand[w, y]),
            f"above the {built[w, y]:g} PFLOPS its bounds were built for; change the scenario and "
            "build the model again (aiopt.build_model); lower demand needs no rebuild",
        )
        for (w, y) in model.demand
        if pyo.value(model.demand[w, y]) > built[w, y] * (1 + DEMAND_TOLERANCE)
    ]
    if risen:
        raise InputError(risen)


def _tighter(model: pyo.ConcreteModel, *bounds: float | None) -> float | None:
    """The tightest of the proven bounds (the MIP's may be trivial when stopped before its root LP)."""
    known = [b for b in bounds if b is not None]
    if not known:
        return None
    return max(known) if model.objective.sense == pyo.minimize else min(known)


def describe(info: SolveInfo, objective: str) -> str:
    """One line: status, best plan and proven bound in the user's units, gap."""
    gap = "n/a" if info.gap is None else f"{info.gap:.2%}"
    npv = "" if info.npv_gap is None else f"; its NPV within {info.npv_gap:.2%} of the least at that multiple"
    return (
        f"{info.status}: best plan {objective_text(info.incumbent, objective)}, "
        f"bound {objective_text(info.bound, objective)}, gap {gap}{npv}"
    )
