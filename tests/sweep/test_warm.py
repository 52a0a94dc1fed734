"""Warm re-solves: a kept model's mutable Params set from a variant equal a fresh build's, and the
worker rebuilds exactly when the structure or a demand above the build asks for it."""

from __future__ import annotations

import pytest
from conftest import every_param_field_changed
from tiny_plans import tier, tiny_scenario, training

import aiopt
from aiopt.sweep.warm import Solver

REL_GAP = 1e-6


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


def test_solver_rebuilds_a_variant_that_prices_a_tier_copy_apart(tmp_path):
    # g2 is a copy of g1, left out of the base's model (copies.same_tiers); priced lower it is a
    # tier of its own, so the variant gets its own model and buys g2
    base = tiny_scenario(tmp_path, [training(pflops=38)], gpu_tiers=[tier(), tier("g2")])
    solver = Solver()
    model, _ = solver.model_for(base, "base", lambda: base)
    assert list(model.T) == ["g1"]
    cheaper = base.with_values("gpu_tiers", "g2", price_usd=90_000)
    own, rebuilt = solver.model_for(cheaper, "base", lambda: base)
    assert rebuilt and solver.key is None and list(own.T) == ["g1", "g2"]
    plan = aiopt.read_plan(own, aiopt.solve_model(own, rel_gap=REL_GAP, progress=False))
    assert set(plan.pools.tier) == {"g2"}


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
