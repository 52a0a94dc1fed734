"""Mutable Params changed on a built model: they act, or the solve says to build the model again."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

import aiopt


def delivered(model, w: str, y: int) -> float:
    """Effective PFLOPS a training workload's solved runs give in year y (the `demand_met` left side)."""
    return sum(pyo.value(model.eff[i]) for i in model.TRAIN if i[0] == w and i[4] == y)


def test_raised_demand_on_a_built_model_asks_for_a_rebuild(tiny):
    # B10: the design table and the pool big-Ms were sized for the built demand; a solve with a
    # demand Param above it could cut off plans silently, so it stops and says what to do.
    model = aiopt.build_model(tiny)
    built = pyo.value(model.demand["chat", 2027])
    model.demand["chat", 2027] = 3 * built
    with pytest.raises(aiopt.InputError, match=r"demand\[chat, 2027\].*build the model again") as error:
        aiopt.solve_model(model, progress=False)
    assert error.value.problems[0].value == pytest.approx(3 * built)


def test_lowered_demand_on_a_built_model_needs_no_rebuild(tiny):
    # bounds sized for more demand stay valid for less: the plan meets the lowered demand. The
    # checker reads demand from the scenario, not the Param: it flags that one row and no other.
    # (A service would not do: its two-replica floor can meet the full demand anyway.)
    model = aiopt.build_model(tiny)
    half = pyo.value(model.demand["pretrain-8b", 2027]) / 2
    model.demand["pretrain-8b", 2027] = half
    plan = aiopt.read_plan(model, aiopt.solve_model(model, progress=False))
    assert delivered(model, "pretrain-8b", 2027) >= half * (1 - 1e-6)
    failures = aiopt.check_plan(plan).failures
    assert len(failures) == 1 and failures[0].startswith("demand_met: pretrain-8b/2027"), failures
