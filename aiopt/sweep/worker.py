"""What a worker does with one variant: check it, solve it (warm when it can), make its row.

`run_variant` never raises for a bad or failing variant: an invalid one, an infeasible one or
a solver failure is a row with its status and message. Each worker process keeps the base
scenario and one `warm.Solver` per sweep (`_state`), across every variant it is given.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from dataclasses import dataclass, field

from aiopt.check import check_plan
from aiopt.errors import InputError, SolveError
from aiopt.load import load_scenario
from aiopt.results import Plan, read_plan
from aiopt.scenario import Scenario
from aiopt.solve import solve_model
from aiopt.sweep.spec import Variant, apply, target, variant_id
from aiopt.sweep.warm import Solver, reference_overrides

INVALID, ERROR = "invalid", "error"  # statuses beside aiopt.Status's


@dataclass(frozen=True)
class Context:
    """What every variant of a sweep shares: the base, solve options, the demand extremes."""

    base: str
    catalog_dir: str | None
    solve: dict = field(hash=False)
    extremes: dict = field(hash=False)
    keep_plans: bool = False

    @property
    def key(self) -> str:
        return json.dumps([self.base, self.catalog_dir, self.solve, self.extremes], sort_keys=True)


@dataclass
class _State:
    base: Scenario
    solver: Solver = field(default_factory=Solver)


_STATES: dict[str, _State] = {}  # per process: context key -> base scenario and kept model


def _state(context: Context) -> _State:
    if context.key not in _STATES:
        _STATES.clear()  # one sweep at a time keeps a model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _STATES[context.key] = _State(load_scenario(context.base, context.catalog_dir))
    return _STATES[context.key]


def forget() -> None:
    """Drop this process's kept base scenario and model."""
    _STATES.clear()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_variant(context: Context, variant: Variant) -> tuple[dict, Plan | None]:
    """The result row of one variant and, with `keep_plans`, its plan (else None)."""
    started = time.perf_counter()
    row = {"id": variant.id, "case": variant.case, **_columns(variant.overrides), "error": None}
    state = _state(context)
    plan = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scenario = apply(state.base, variant.overrides)
        row["warnings"] = "; ".join(str(w.message) for w in caught)
        checked = time.perf_counter()
        field_of = lambda path: _field_of(state.base, path)  # noqa: E731
        reference = reference_overrides(variant.overrides, context.extremes, field_of)
        model, rebuilt = state.solver.model_for(
            scenario, variant_id(reference), lambda: apply(state.base, reference)
        )
        row["rebuilt"] = rebuilt
        built = time.perf_counter()
        options = context.solve
        info = solve_model(
            model,
            options["time_limit"],
            options["rel_gap"],
            threads=1,
            seed=options["seed"],
            progress=False,
            warm=options["warm"],
        )
        solved = time.perf_counter()
        plan = read_plan(model, info)
        row.update(status=info.status.value, gap=info.gap, objective=info.incumbent)
        row["started_from"] = info.started_from
        row.update({k: v for k, v in zip(plan.kpis.metric, plan.kpis.value, strict=True) if k != "gap"})
        if options["check"]:
            failures = check_plan(plan).failures
            row.update(check_failures=len(failures), error="; ".join(failures) or None)
        row.update(
            seconds_validate=checked - started,
            seconds_build=built - checked,
            seconds_solve=solved - built,
            seconds_results=time.perf_counter() - solved,
        )
    except InputError as exc:
        row.update(status=INVALID, error="; ".join(str(p) for p in exc.problems))
    except SolveError as exc:
        row.update(status=exc.status.value, error=str(exc))
    except Exception as exc:  # a bug, recorded so that one variant never stops the sweep
        row.update(status=ERROR, error=f"{type(exc).__name__}: {exc}")
    row.update(seconds_total=time.perf_counter() - started, worker=worker_name())
    return row, plan if context.keep_plans else None


def crashed_row(variant: Variant, message: str) -> dict:
    """The row of a variant whose worker died every time it ran (e.g. killed by the OS)."""
    return {
        "id": variant.id,
        "case": variant.case,
        **_columns(variant.overrides),
        "status": ERROR,
        "error": message,
    }


def _field_of(base: Scenario, path: str) -> tuple[str, str]:
    t = target(path, base)
    return t.table, t.field.name


def _columns(overrides: dict) -> dict:
    """Override values as table cells: lists as JSON text."""
    return {p: json.dumps(v) if isinstance(v, list) else v for p, v in overrides.items()}
