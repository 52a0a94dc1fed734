"""Build the planning MILP: shared declarations, then one function per constraint family.

`FAMILIES` is the registry, in build order (later families use quantities earlier ones
declare). Each function's docstring states its math; `tests/` holds a hand-worked test
per family and fails if a registered family has none.
"""

from __future__ import annotations

import logging

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from ..scenario import Scenario
from .compliance import add_compliance
from .compute import add_compute, least_nodes
from .core import declare
from .cost import add_cost
from .data import ModelData, prepare
from .fabric import add_fabric, single_fits
from .growth import add_growth, twins_alike
from .power import add_power
from .racks import add_racks
from .reliability import add_reliability
from .rent import add_rent
from .stacks import add_stacks
from .storage import add_storage

FAMILIES = {
    "rent": add_rent,
    "compute": add_compute,
    "fabric": add_fabric,
    "storage": add_storage,
    "racks": add_racks,
    "power": add_power,
    "compliance": add_compliance,
    "growth": add_growth,
    "reliability": add_reliability,
    "stacks": add_stacks,
    "cost": add_cost,
}
# Params computed from the model's other Params, not from scenario values, each by its rule
# (model, index) -> value, in the order they follow each other; every solve refreshes them
# (`follow_params`), so a value set on a built model (a sweep, a notebook edit) moves them too
DERIVED_PARAMS = {
    "single_fits": single_fits,
    "least_nodes": least_nodes,
    "alike": twins_alike,
}


def build_model(scenario: Scenario | ModelData) -> pyo.ConcreteModel:
    """The Pyomo model of a validated scenario; `model.data` keeps the derived inputs."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        raise RuntimeError("the root logger is at DEBUG: Pyomo builds ~100x slower; raise its level first")
    data = scenario if isinstance(scenario, ModelData) else prepare(scenario)
    m = pyo.ConcreteModel(name=data.scenario.name)
    m.data = data
    m.family_of = {}  # constraint component name -> the family that created it
    with PauseGC():  # the build makes no cyclic garbage worth collecting; the collector cost ~25% of it
        declare(m, data)
        _record_family(m, "core")
        for family, add_family in FAMILIES.items():
            add_family(m, data)
            _record_family(m, family)
    return m


def follow_params(m: pyo.ConcreteModel) -> None:
    """Bring the `DERIVED_PARAMS` to the model's current mutable Params; every solve calls it."""
    for name, rule in DERIVED_PARAMS.items():
        param = getattr(m, name)
        for index in param:
            param[index] = rule(m, index)


def _record_family(m: pyo.ConcreteModel, family: str) -> None:
    """Mark the constraint components not yet recorded in `m.family_of` as `family`'s."""
    for constraint in m.component_objects(pyo.Constraint, descend_into=False):
        m.family_of.setdefault(constraint.local_name, family)


__all__ = ["DERIVED_PARAMS", "FAMILIES", "ModelData", "build_model", "follow_params", "prepare"]
