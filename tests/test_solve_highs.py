"""The highspy adapter: one load, public calls, a map back to every Pyomo variable and constraint."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

import aiopt
from aiopt.solve.highs import HighsModel, lp_symbols, use_threads

OPTIONS = dict(threads=1, random_seed=0, mip_rel_gap=0.0, output_flag=False)


@pytest.fixture
def model(tiny):
    return aiopt.build_model(tiny)


def test_pyomo_symbol_map_still_names_every_column_and_row(model, tmp_path):
    # the one Pyomo detail the adapter relies on beyond model.write: if an upgrade moves it, fail here
    path, symbols = lp_symbols(model, tmp_path)
    assert path.exists() and symbols
    assert all(
        isinstance(c, (pyo.Var, pyo.Objective, pyo.Constraint)) or hasattr(c, "parent_component")
        for c in symbols.values()
    )
    highs = HighsModel(model, OPTIONS)
    used = [v for v in highs.columns if v is not None]
    assert len(used) >= len(highs.columns) - 1, "every column but the writer's constant is a Pyomo variable"
    assert all(v.parent_component().ctype is pyo.Var for v in used)
    rows = [c for c in highs.rows if c is not None]
    assert len(rows) == len(highs.rows), "every row maps back to its Pyomo constraint"
    assert {c.parent_component().name for c in rows} <= {
        c.name for c in model.component_objects(pyo.Constraint)
    }


def test_relax_fix_and_restore_leave_the_model_as_loaded(model):
    use_threads(1)
    highs = HighsModel(model, OPTIONS)
    lp_before = highs.highs.getLp()
    with highs.relaxation():
        relaxed = highs.run(30)
    fabric = highs.columns_of(model.fabric.values())
    with highs.fixed(fabric, np.zeros(len(fabric))):
        pass
    linking = highs.rows_of(("run_on_pick", "run_at_site"))
    with highs.relaxation(), highs.dropped(linking):
        weaker = highs.run(30)  # fewer rows: a relaxation of the relaxation, a bound still
    full = highs.run(30)
    assert len(linking) and weaker.objective <= relaxed.objective + 1e-6
    assert relaxed.has_solution and full.has_solution and relaxed.objective <= full.objective + 1e-6
    lp_after = highs.highs.getLp()
    assert list(lp_after.integrality_) == list(lp_before.integrality_)
    assert list(lp_after.col_lower_) == list(lp_before.col_lower_)
    assert list(lp_after.col_upper_) == list(lp_before.col_upper_)
    assert list(lp_after.row_lower_) == list(lp_before.row_lower_)
    assert list(lp_after.row_upper_) == list(lp_before.row_upper_)
    highs.write_back()
    assert pyo.value(model.objective) == pytest.approx(full.objective, rel=1e-6)


def test_a_start_is_taken_as_the_incumbent(model):
    use_threads(1)
    highs = HighsModel(model, OPTIONS)
    first = highs.run(30)
    plan = highs.values()
    highs.highs.clearSolver()
    highs.start_from(plan)
    highs.mip_setup_seconds = 0.0  # the guard below off: a run with no time at all
    again = highs.run(0.0)  # no time to search: only the start can be the answer
    assert again.has_solution and again.objective == pytest.approx(first.objective, rel=1e-6)


def test_a_mip_given_less_than_its_set_up_time_is_not_started(model):
    highs = HighsModel(model, OPTIONS)
    assert highs.mip_setup_seconds > 0
    skipped = highs.run(highs.mip_setup_seconds / 2)
    assert skipped.status == skipped.status.kTimeLimit and not skipped.has_solution
    assert skipped.seconds == 0 and highs.highs.getRunTime() == 0  # HiGHS never ran
    with highs.relaxation():  # an LP has no such set-up: it runs
        assert highs.run(highs.mip_setup_seconds / 2).seconds > 0


def test_minimising_another_objective_and_restoring_the_models(model):
    # min NPV is the tiny model's own objective: minimising `model.npv` in the block reaches the same
    # optimum; minimising the installed nodes instead reaches no more nodes than that plan has, and
    # the model's costs, offset and sense are back after the block.
    use_threads(1)
    highs = HighsModel(model, OPTIONS)
    lp_before = highs.highs.getLp()
    own = highs.run(30)
    nodes_of_own = sum(highs.values()[highs.columns_of(model.nodes.values())])
    with highs.minimising(model.npv):
        npv = highs.run(30)
    with highs.minimising(sum(model.nodes.values())):
        fewest = highs.run(30)
    assert npv.objective == pytest.approx(own.objective, rel=1e-6)
    assert fewest.objective <= nodes_of_own + 1e-6
    lp_after = highs.highs.getLp()
    assert list(lp_after.col_cost_) == list(lp_before.col_cost_)
    assert (lp_after.offset_, lp_after.sense_) == (lp_before.offset_, lp_before.sense_)
