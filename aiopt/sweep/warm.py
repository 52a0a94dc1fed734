"""Warm re-solves: keep a built model and change only its mutable Params between variants.

A variant is solved on the model of its *reference*: the base scenario with the variant's
structural overrides (everything but `PARAM_FIELDS`) and each swept demand field at the sweep's
most demanding value (`DEMAND_FIELDS`), so the model's demand-sized bounds (design tables, pool
big-Ms, goodput chords) hold every variant's demand (`aiopt.solve` refuses a demand above the
build). The reference depends on the variant alone, never on what a worker solved before, so
a variant's result is the same on every backend. A worker keeps the last model it built and
rebuilds when a variant's reference differs; `Solver.solve` says whether it rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyomo.environ as pyo

from aiopt.errors import InputError
from aiopt.model import ModelData, build_model, prepare
from aiopt.model.copies import same_tiers
from aiopt.model.params import required_demand, set_params
from aiopt.scenario import Scenario

# (table, field) of the values a built model holds in mutable Params (aiopt/model/params.py)
PARAM_FIELDS = {
    ("policy", "discount_rate"),
    ("policy", "electricity_escalation"),
    ("policy", "capex_budget_usd"),
    ("policy", "capex_budget_per_year_usd"),
    ("sites", "power_mw"),
    ("sites", "electricity_usd_per_kwh"),
    ("gpu_tiers", "price_usd"),
    ("cloud_offers", "usd_per_gpu_hour"),
    ("workloads", "tokens_per_s"),
    ("workloads", "tokens_t"),
    ("workloads", "deadline_days"),
}
DEMAND_FIELDS = {"tokens_per_s": max, "tokens_t": max, "deadline_days": min}  # most demanding value


def reference_overrides(overrides: Mapping, extremes: Mapping, field_of: Callable) -> dict:
    """The overrides of a variant's reference: its structural ones plus the sweep's `extremes`
    ({demand path: most demanding value}); `field_of(path)` is (table, field name)."""
    structural = {p: v for p, v in overrides.items() if field_of(p) not in PARAM_FIELDS}
    return {**structural, **extremes}


def extremes(values: Mapping[str, list], field_of: Callable) -> dict:
    """{path: most demanding value} of the swept demand paths (`values`: every value of a path)."""
    found = {}
    for path, seen in values.items():
        table, name = field_of(path)
        known = [v for v in seen if v is not None]
        if table == "workloads" and name in DEMAND_FIELDS and known:
            found[path] = DEMAND_FIELDS[name](known)
    return found


class Solver:
    """A worker's built model, kept between variants that share a reference."""

    def __init__(self):
        self.key: str | None = None
        self.model: pyo.ConcreteModel | None = None
        self.built = None  # the model's ModelData as built (its demand: what the bounds hold)

    def model_for(self, scenario: Scenario, key: str, reference: Callable[[], Scenario]):
        """The model to solve `scenario` on, Params set, and whether it was (re)built.

        `key` names the reference; `reference()` makes it (raising `InputError` when it is
        invalid, in which case the variant's own model is built and not kept).
        """
        rebuilt = key != self.key or not self._holds(scenario)
        if rebuilt:
            self.key, self.model = None, None  # free the old model before building the next
            try:
                data = prepare(reference())
                key_kept = key if _holds_variant(data, scenario) else None
            except InputError:  # an invalid reference: this variant alone, on its own model
                data, key_kept = None, None
            data = data if key_kept is not None else prepare(scenario)
            self.model, self.built, self.key = build_model(data), data, key_kept
        set_params(self.model, scenario)
        return self.model, rebuilt

    def _holds(self, scenario: Scenario) -> bool:
        return self.model is not None and _holds_variant(self.built, scenario)


def _holds_variant(built: ModelData, scenario: Scenario) -> bool:
    """A model built from `built` can solve `scenario` by its Params: every demand within the
    built one and the same tiers left out as copies (`copies.same_tiers`: a copy's price is a Param,
    and a copy priced apart is a tier of its own)."""
    return built.same_tier == same_tiers(scenario) and _within(
        required_demand(scenario, built.years), built.demand
    )


def _within(required: dict, built: dict) -> bool:
    """Every required demand at most what the model was built for (to a relative 1e-9)."""
    return all(value <= built[key] * (1 + 1e-9) for key, value in required.items())
