"""Each way a solve can end has its own Status and the advice that fits it."""

from __future__ import annotations

import json

import highspy
import pyomo.environ as pyo
import pytest

import aiopt
from aiopt import SolveError, Status
from aiopt.solve import SolveInfo, _no_plan, describe_constraint
from aiopt.solve.highs import Outcome

STOPPED = [highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt]
FAILED = [
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kModelError,
    highspy.HighsModelStatus.kUnbounded,
    highspy.HighsModelStatus.kNotset,
]


def outcome(status) -> Outcome:
    return Outcome(status, highspy.Highs().modelStatusToString(status), False, None, None, 0.5)


@pytest.mark.parametrize("status", STOPPED)
def test_no_plan_in_time_says_which_stages_failed_and_to_raise_the_limit(tiny, status):
    error = _no_plan(
        aiopt.build_model(tiny), 60.0, outcome(status), ["the LP-guided stage (time limit reached)"]
    )
    assert error.status is Status.NO_SOLUTION and error.highs_status
    assert "raise the time limit" in str(error) and "LP-guided stage" in str(error)


@pytest.mark.parametrize("status", FAILED)
def test_a_solver_failure_never_advises_more_time(tiny, status):
    error = _no_plan(aiopt.build_model(tiny), 60.0, outcome(status), [])
    assert error.status is Status.SOLVER_ERROR and "time limit" not in str(error)
    assert error.highs_status in str(error)


def test_status_is_typed_and_still_reads_as_text(tiny):
    plan = aiopt.solve(tiny, progress=False)
    assert plan.status is Status.OPTIMAL and plan.status == "optimal" and plan.info.optimal
    assert plan.info.highs_status == "Optimal"
    assert json.loads(json.dumps(plan.info.to_dict()))["status"] == "optimal"
    assert SolveInfo(**{**plan.info.to_dict(), "status": "time_limit"}).status is Status.TIME_LIMIT
    assert SolveError("x", "infeasible").status is Status.INFEASIBLE


def test_build_model_records_the_family_of_every_constraint(tiny):
    model = aiopt.build_model(tiny)
    constraints = {c.local_name for c in model.component_objects(pyo.Constraint)}
    assert set(model.family_of) == constraints
    assert model.family_of["site_power"] == "power" and model.family_of["demand_met"] == "compute"
    assert set(model.family_of.values()) <= {"core", *aiopt.FAMILIES}


def test_a_constraint_is_described_by_family_name_and_index_in_words(tiny):
    model = aiopt.build_model(tiny)
    site, year = next(iter(model.site_power))
    assert (
        describe_constraint(model, model.site_power[site, year])
        == f"power (site_power) at site {site}, year {year}"
    )
