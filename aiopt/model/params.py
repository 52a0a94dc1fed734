"""The values a built model holds in mutable Params: what sweeps and notebook edits change
without a rebuild. One formula each, used to build the model and to update a built one.

Demand may only fall below what the model was built for (its big-Ms and design tables are sized
by the build-time demand; `aiopt.solve_model` refuses a rise); the other values may move freely.
"""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo

from .. import demand
from ..errors import InputError, Problem
from ..scenario import Scenario
from .copies import same_tiers

MUSD = 1e6  # money in the model is in millions of USD
NO_BUDGET = float("inf")  # the budget Params when none is set: the rows exist, the solver gets none
MUTABLE_PARAMS = (
    "demand",
    "node_price",
    "discount",
    "electricity",
    "power_mw",
    "budget_total",
    "budget_year",
    "rent_price",
    "residual_discount",
    "building_charge",
)


def required_demand(sc: Scenario, years: list[int]) -> dict:
    r"""{(w, y): demand} of every workload, :math:`D_{w,y} = D_w (1+g_w)^{y - y_w}`, in its own unit
    (`demand.workload_demand`: effective PFLOPS for training, output tokens/s for serving)."""
    return {
        (w, y): demand.workload_demand(row) * demand.growth_factor(row.growth_per_year, row.start_year, y)
        for w, row in sc.workloads.iterrows()
        for y in years
    }


def param_values(sc: Scenario, years: list[int]) -> dict:
    r"""{Param name: value or {index: value}} for every name in `MUTABLE_PARAMS`.

    node price in MUSD by year, :math:`p_t (1-d_t)^{y-y_0}`, and rented GPU-hour prices in MUSD;
    discount :math:`(1+r)^{-(y-y_0)}` (costs at the start of a year) and the residual value's
    :math:`(1+r)^{-H}` (credited at the end of the last year); electricity USD/kWh escalated
    :math:`(1+e)^{y-y_0}`; facility MW; capex budgets in MUSD (`NO_BUDGET` when unset); an owned
    building's yearly capital charge per MW, the annuity :math:`c\, r / (1 - (1+r)^{-L})` of its
    build cost (:math:`c/L` at r = 0).
    """
    policy, sites, tiers, first = sc.policy, sc.sites, sc.gpu_tiers, years[0]
    escalation, rate = policy["electricity_escalation"], policy["discount_rate"]
    return {
        "demand": required_demand(sc, years),
        "node_price": {
            (t, y): tiers.at[t, "price_usd"]
            * (1 - tiers.at[t, "price_decline_per_year"]) ** (y - first)
            / MUSD
            for t in tiers.index
            for y in years
        },
        "discount": {y: (1 + rate) ** -(y - first) for y in years},
        "electricity": {
            (s, y): sites.at[s, "electricity_usd_per_kwh"] * (1 + escalation) ** (y - first)
            for s in sites.index
            for y in years
        },
        "power_mw": dict(sites.power_mw),
        "budget_total": _budget(policy.get("capex_budget_usd")),
        "budget_year": _budget(policy.get("capex_budget_per_year_usd")),
        "rent_price": {o: price / MUSD for o, price in sc.cloud_offers.usd_per_gpu_hour.items()},
        "residual_discount": (1 + rate) ** -len(years),
        "building_charge": {
            s: sites.at[s, "build_usd_per_mw"] * annuity(rate, sites.at[s, "building_life_years"]) / MUSD
            for s in sites.index
        },
    }


def annuity(rate: float, years: int) -> float:
    """Yearly payment per unit of capital repaid over `years` at `rate`: r / (1 − (1+r)^−L)."""
    return rate / (1 - (1 + rate) ** -years) if rate > 0 else 1 / years


def set_params(model: pyo.ConcreteModel, sc: Scenario) -> None:
    """Give a built model's mutable Params the values of `sc` (a scenario that differs from the
    one it was built from only in those values) and make `sc` the scenario its plan reports.
    Raises `InputError` where `sc` prices apart a tier copy the model left out (`copies.same_tiers`)."""
    left_out, copies = model.data.same_tier, same_tiers(sc)
    apart = sorted(t for t in left_out if copies.get(t) != left_out[t])
    if apart:
        raise InputError(
            [
                Problem(
                    f"model '{model.name}'",
                    f"gpu_tiers row {t}",
                    "price_usd",
                    float(sc.gpu_tiers.at[t, "price_usd"]),
                    f"the model was built with {t} as a copy of {left_out[t]}, left out (copies.same_tiers); "
                    "priced apart it is a tier of its own: build the model again (aiopt.build_model)",
                )
                for t in apart
            ]
        )
    values = param_values(sc, list(model.Y))
    for name in MUTABLE_PARAMS:
        param, value = getattr(model, name), values[name]
        if isinstance(value, dict):
            for index in param:
                param[index] = value[index]
        else:
            param.set_value(value)
    model.data = dataclasses.replace(model.data, scenario=sc, demand=values["demand"])


def _budget(usd: float | None) -> float:
    """A budget in MUSD, or NO_BUDGET when none is set."""
    return usd / MUSD if usd else NO_BUDGET
