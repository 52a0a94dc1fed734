"""Re-solves of a built model: its HiGHS model is kept between solves and updated in place.

The first `solve_model` of a model loads it into HiGHS; a later one, after only mutable Params
changed (a sweep's variant, a notebook edit with `model.demand[...] = ...`), updates the rows and
objective that hold those Params instead of writing and reading the model again, and starts
from a plan it solved that is still feasible (`earlier_plan`). Any
other change (a constraint added or deactivated, a variable fixed or re-bounded) loads anew.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.visitor import identify_mutable_parameters

from ..model.params import MUTABLE_PARAMS
from .highs import HighsModel

PLANS_KEPT = 8  # solved plans a kept model remembers as starts


@dataclass
class _Kept:
    highs: HighsModel
    shape: tuple  # `_shape` of the model when it was loaded
    params: np.ndarray  # `_param_vector` the HiGHS model holds
    with_params: list | None = None  # the constraints that hold a mutable Param, found on first update
    plans: list = field(default_factory=list)  # (param vector, column values) of solved plans


def loaded(model: pyo.ConcreteModel, reuse: bool, options: dict) -> tuple[HighsModel, bool]:
    """The model in HiGHS with `options` set, and whether it was loaded anew (always, unless
    `reuse`; else when the kept one cannot be updated)."""
    kept: _Kept | None = getattr(model, "_kept_highs", None)
    shape, params = _shape(model), _param_vector(model)
    if reuse and kept is not None and kept.shape == shape and _update(model, kept, params):
        kept.highs.set_options(options)
        return kept.highs, False
    model._kept_highs = _Kept(HighsModel(model, options), shape, params)
    return model._kept_highs.highs, True


def earlier_plan(model: pyo.ConcreteModel, time_limit: float) -> np.ndarray | None:
    """A start from the plans solved on this loaded model, as a plan of the model as it is now:
    of those still feasible as they were, the best at today's prices (the cheapest; under max
    capacity, the largest multiple); else the first, nearest Param values first (relative
    distance), whose integer decisions admit a plan with the rest re-solved as an LP (lower demand
    shrinks the big-Ms a plan's runs must fit); None when none does within `time_limit`."""
    kept: _Kept | None = getattr(model, "_kept_highs", None)
    if kept is None or not kept.plans:
        return None
    deadline = time.perf_counter() + time_limit
    now = kept.params
    scale = np.maximum(np.abs(now), 1e-9)

    def distance(plan) -> float:
        return float(np.sum(np.abs(plan[0] - now) / scale))

    plans = [values for _, values in sorted(kept.plans, key=distance)]
    feasible = [values for values in plans if kept.highs.feasible(values)]
    if feasible:
        best = max if kept.highs.maximising else min
        return best(feasible, key=kept.highs.objective_of)
    for values in plans:
        left = deadline - time.perf_counter()
        completed = kept.highs.completed(values, left) if left > 0 else None
        if completed is not None:
            return completed
    return None


def remember(model: pyo.ConcreteModel, values: np.ndarray) -> None:
    """Keep a solved plan as a start for later solves of this model (the latest PLANS_KEPT)."""
    kept: _Kept = model._kept_highs
    kept.plans = [*kept.plans, (kept.params, np.array(values))][-PLANS_KEPT:]


def _update(model: pyo.ConcreteModel, kept: _Kept, params: np.ndarray) -> bool:
    """Bring the kept HiGHS model to the model's current Param values; False: load anew."""
    if np.array_equal(params, kept.params, equal_nan=True):
        return True
    if kept.with_params is None:
        kept.with_params = [
            c
            for c in model.component_data_objects(pyo.Constraint, active=True)
            if next(iter(identify_mutable_parameters(c.expr)), None) is not None
        ]
    objective = next(model.component_data_objects(pyo.Objective, active=True))
    if not (kept.highs.update_rows(kept.with_params) and kept.highs.update_objective(objective.expr)):
        return False
    kept.params = params
    return True


def _shape(model: pyo.ConcreteModel) -> tuple:
    """What a Param update cannot change: the active constraints and objective, and every
    variable's bounds, domain and fixed value."""
    constraints = tuple(id(c) for c in model.component_data_objects(pyo.Constraint, active=True))
    objectives = tuple(id(o) for o in model.component_data_objects(pyo.Objective, active=True))
    variables = tuple(
        (id(v), v.lb, v.ub, v.is_integer(), v.fixed, v.value if v.fixed else None)
        for v in model.component_data_objects(pyo.Var)
    )
    return constraints, objectives, variables


def _param_vector(model: pyo.ConcreteModel) -> np.ndarray:
    """Every mutable Param's value, in a fixed order (an unset budget, inf, as 1e300)."""
    values = [pyo.value(p) for name in MUTABLE_PARAMS for p in getattr(model, name).values()]
    return np.nan_to_num(np.array(values, dtype=float), posinf=1e300)  # no budget: inf
