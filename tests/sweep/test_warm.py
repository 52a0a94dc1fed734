"""Warm re-solves: a kept model's mutable Params set from a variant equal a fresh build's, and the
worker rebuilds exactly when the structure or a demand above the build asks for it."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

import aiopt
from aiopt.sweep.warm import MUTABLE_PARAMS, Solver, set_params

REL_GAP = 1e-6


def param_values(model) -> dict:
    return {name: {i: pyo.value(p) for i, p in getattr(model, name).items()} for name in MUTABLE_PARAMS}


def every_param_field_changed(tiny):
    """The tiny scenario with every warm field changed, demand lowered (so no rebuild is needed)."""
    return (
        tiny.with_policy(
            discount_rate=0.11,
            electricity_escalation=0.05,
            capex_budget_usd=9e6,
            capex_budget_per_year_usd=8e6,
        )
        .with_values("sites", "lab", power_mw=1.7, electricity_usd_per_kwh=0.12)
        .with_values("gpu_tiers", "h100-sxm", price_usd=222_000)
        .with_values("workloads", "chat", tokens_per_s=15_000)
        .with_values("workloads", "pretrain-8b", tokens_t=0.8, deadline_days=40)
    )


def test_warm_knows_every_mutable_param_of_the_model(tiny):
    # a Param the model gains must be set by set_params too, or warm variants would keep stale values
    model = aiopt.build_model(tiny)
    mutable = {p.local_name for p in model.component_objects(pyo.Param) if p.mutable}
    assert mutable == set(MUTABLE_PARAMS)


def test_params_set_on_a_built_model_equal_those_of_a_fresh_build(tiny):
    variant = every_param_field_changed(tiny)
    warm = aiopt.build_model(tiny)
    set_params(warm, variant)
    fresh = param_values(aiopt.build_model(variant))
    for name, values in param_values(warm).items():
        assert values == pytest.approx(fresh[name], rel=1e-12), name
    assert warm.data.scenario is variant


def test_solver_rebuilds_only_for_a_new_reference_or_a_demand_above_the_build(tiny):
    solver = Solver()
    model, rebuilt = solver.model_for(tiny, "base", lambda: tiny)
    assert rebuilt
    lower = every_param_field_changed(tiny)
    again, rebuilt = solver.model_for(lower, "base", lambda: tiny)
    assert again is model and not rebuilt
    higher = tiny.with_values("workloads", "chat", tokens_per_s=40_000)
    own, rebuilt = solver.model_for(higher, "base", lambda: tiny)
    assert rebuilt and own is not model and solver.key is None  # its own model, not kept as "base"
    structural = tiny.with_values("workloads", "pretrain-8b", params_b=7)
    _, rebuilt = solver.model_for(structural, "smaller", lambda: structural)
    assert rebuilt and solver.key == "smaller"


def test_a_warm_solve_equals_a_cold_one_and_passes_the_checker(tiny):
    # training demand unchanged, so the reference's goodput chords are the variant's own: same optimum
    variant = tiny.with_values("sites", "lab", power_mw=1.7).with_values(
        "gpu_tiers", "h100-sxm", price_usd=2e5
    )
    variant = variant.with_values("workloads", "chat", tokens_per_s=12_000)
    solver = Solver()
    solver.model_for(tiny, "base", lambda: tiny)
    model, rebuilt = solver.model_for(variant, "base", lambda: tiny)
    assert not rebuilt
    warm = aiopt.read_plan(model, aiopt.solve_model(model, rel_gap=REL_GAP, progress=False))
    cold = aiopt.solve(variant, rel_gap=REL_GAP, progress=False)
    assert aiopt.check_plan(warm).failures == []
    assert warm.kpi("npv_usd") == pytest.approx(cold.kpi("npv_usd"), rel=1e-5)
