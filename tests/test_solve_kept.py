"""Re-solves of a built model: Param changes update the kept HiGHS model in place (no new load),
the result equals a fresh load's, and the next solve starts from the nearest feasible plan."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import every_param_field_changed
from tiny_plans import two_tier_two_site

import aiopt
from aiopt.model.params import set_params
from aiopt.solve import kept
from aiopt.solve.highs import HighsModel

REL_GAP = 1e-6
OPTIONS = {"output_flag": False}


def lp_by_constraint(highs: HighsModel) -> dict:
    """{(constraint, side): (lower, upper, {variable: coefficient})} and the objective, by Pyomo
    names, so two loads of one model compare whatever their row order."""
    rows = {}
    for r, constraint in enumerate(highs.rows):
        if constraint is None or (highs.row_lower[r] == -np.inf and highs.row_upper[r] == np.inf):
            continue
        _, columns, values = highs.highs.getRowEntries(r)
        side = (bool(np.isfinite(highs.row_lower[r])), bool(np.isfinite(highs.row_upper[r])))
        terms = {highs.columns[j].name: v for j, v in zip(columns, values, strict=True) if v}
        rows[constraint.name, side] = (highs.row_lower[r], highs.row_upper[r], terms)
    lp = highs.highs.getLp()
    costs = {
        highs.columns[j].name: c for j, c in enumerate(lp.col_cost_) if c and highs.columns[j] is not None
    }
    return {"rows": rows, "costs": costs, "offset": lp.offset_}


def assert_same_lp(updated: dict, fresh: dict) -> None:
    assert updated["rows"].keys() == fresh["rows"].keys()
    for key, (lower, upper, terms) in fresh["rows"].items():
        got_lower, got_upper, got_terms = updated["rows"][key]
        assert (got_lower, got_upper) == pytest.approx((lower, upper), rel=1e-9, abs=1e-12), key
        assert got_terms.keys() == terms.keys(), key
        assert got_terms == pytest.approx(terms, rel=1e-9), key
    assert updated["costs"] == pytest.approx(fresh["costs"], rel=1e-9)
    assert updated["offset"] == pytest.approx(fresh["offset"], rel=1e-9, abs=1e-12)


def test_params_changed_on_a_solved_model_update_highs_as_a_fresh_load_would(tiny):
    # every mutable Param moves, budgets from none to a cap (rows the LP writer had left out)
    model = aiopt.build_model(tiny)
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    set_params(model, every_param_field_changed(tiny))
    updated, loaded_anew = kept.loaded(model, True, OPTIONS)
    assert not loaded_anew
    assert_same_lp(lp_by_constraint(updated), lp_by_constraint(HighsModel(model, OPTIONS)))
    # and back: the caps removed again free those rows
    set_params(model, tiny)
    updated, loaded_anew = kept.loaded(model, True, OPTIONS)
    assert not loaded_anew
    assert_same_lp(lp_by_constraint(updated), lp_by_constraint(HighsModel(model, OPTIONS)))


def test_a_re_solve_after_a_param_change_finds_the_fresh_solve_s_optimum(tiny):
    variant = every_param_field_changed(tiny)
    model = aiopt.build_model(tiny)
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    set_params(model, variant)
    again = aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    assert aiopt.check_plan(aiopt.read_plan(model, again)).ok
    fresh = aiopt.solve_model(aiopt.build_model(variant), rel_gap=REL_GAP, progress=False)
    assert again.incumbent == pytest.approx(fresh.incumbent, rel=1e-5)


def test_a_structural_edit_loads_the_model_anew(tiny):
    model = aiopt.build_model(tiny)
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    first = kept.loaded(model, True, OPTIONS)[0]
    _, loaded_anew = kept.loaded(model, True, OPTIONS)
    assert not loaded_anew
    next(iter(model.fabric.values())).fix(0)
    highs, loaded_anew = kept.loaded(model, True, OPTIONS)
    assert loaded_anew and highs is not first
    model.one_fabric.deactivate()
    assert kept.loaded(model, True, OPTIONS)[1]


def test_a_farther_plan_starts_the_solve_when_the_nearest_no_longer_fits(tiny):
    # plan A at full training demand, plan B at a quarter; at half demand B's whole nodes are too few
    # and its integers admit no plan, while A's nodes still hold the run
    model = aiopt.build_model(tiny)
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    full = model._kept_highs.plans[-1][1]
    set_params(model, tiny.with_values("workloads", "pretrain-8b", tokens_t=0.25))
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    quarter = model._kept_highs.plans[-1][1]
    set_params(model, tiny.with_values("workloads", "pretrain-8b", tokens_t=0.5))
    highs = kept.loaded(model, True, OPTIONS)[0]
    assert highs.completed(quarter, 5) is None
    start = kept.earlier_plan(model, 5)
    assert start is not None and highs.feasible(start)
    assert np.array_equal(start[highs.integers], np.round(full[highs.integers]))


def test_the_next_solve_starts_from_the_earlier_plan_only_while_it_is_feasible(tiny):
    model = aiopt.build_model(tiny)
    aiopt.solve_model(model, rel_gap=REL_GAP, progress=False)
    solved = model._kept_highs.plans[-1][1]
    assert kept.earlier_plan(model, 5) is solved  # same Params: the plan just solved
    set_params(model, tiny.with_values("gpu_tiers", "h100-sxm", price_usd=300_000))
    highs = kept.loaded(model, True, OPTIONS)[0]
    assert kept.earlier_plan(model, 5) is solved  # a price change leaves the plan feasible
    # less training demand shrinks its runs' big-M below the plan's runs: the plan's integer
    # decisions (whole job nodes, replicas, pools) are kept and its runs re-solved
    set_params(model, tiny.with_values("workloads", "pretrain-8b", tokens_t=0.25))
    highs = kept.loaded(model, True, OPTIONS)[0]
    assert not highs.feasible(solved)
    completed = kept.earlier_plan(model, 5)
    assert completed is not None and highs.feasible(completed)
    assert np.array_equal(completed[highs.integers], np.round(solved[highs.integers]))
    set_params(model, tiny.with_values("sites", "lab", power_mw=0.05))
    kept.loaded(model, True, OPTIONS)
    assert kept.earlier_plan(model, 5) is None  # 50 kW cannot hold the plan's nodes
    with pytest.raises(aiopt.SolveError, match="infeasible"):  # nor can any plan: a fresh search says so
        aiopt.solve_model(model, time_limit=20, progress=False)


def test_under_max_capacity_the_feasible_plan_with_the_largest_multiple_starts_the_next_solve(tmp_path):
    # a plan under half the budget reaches a smaller multiple; with the budget back, both plans are
    # feasible and the start is the full-budget plan, not the one with the smaller objective
    scenario = two_tier_two_site(tmp_path, objective="max_capacity", capex_budget_usd=1_000_000)
    model = aiopt.build_model(scenario)
    aiopt.solve_model(model, rel_gap=REL_GAP, time_limit=30, progress=False)
    full = model._kept_highs.plans[-1][1]
    set_params(model, scenario.with_policy(capex_budget_usd=500_000))
    aiopt.solve_model(model, rel_gap=REL_GAP, time_limit=30, progress=False)
    half = model._kept_highs.plans[-1][1]
    set_params(model, scenario)
    highs = kept.loaded(model, True, OPTIONS)[0]
    assert highs.feasible(half) and highs.objective_of(half) < highs.objective_of(full)
    assert kept.earlier_plan(model, 5) is full
