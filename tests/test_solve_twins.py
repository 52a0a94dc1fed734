"""Twin sites solved in parts (`aiopt.solve._split_on_twins`): the plan and its proof are those of
the whole MIP."""

from __future__ import annotations

import sys

import highspy
import pytest
from tiny_plans import REL_GAP, site, solve_tiny, training

from aiopt.model.growth import twin_sites
from aiopt.solve.highs import HighsModel, Outcome

solve_module = sys.modules["aiopt.solve"]
STATUS = highspy.HighsModelStatus


@pytest.mark.parametrize(
    ("jobs", "sites_open"),
    [
        # a 20 PFLOPS job takes 6 whole nodes of 4 PFLOPS (5.0002 with its goodput): two racks of 4
        # nodes and one for the fabric gear fill a site of 3 racks, so the twin stays shut
        ([training("t1", pflops=60, deadline_days=300)], {"a"}),
        # two such jobs, each booking 300 days, cannot share one pool (600 > 365 days) and 12 nodes
        # do not fit one site: the part with b shut has no plan, the next opens b
        (
            [training("t1", pflops=60, deadline_days=300), training("t2", pflops=60, deadline_days=300)],
            {"a", "b"},
        ),
    ],
)
def test_twin_split_plans_as_the_whole_mip(tmp_path, monkeypatch, jobs, sites_open):
    # b differs from a in carriers only in the second scenario, which training never needs: no
    # twins there, so the whole MIP solves it; both must cost the same
    split = []
    monkeypatch.setattr(solve_module, "_split_on_twins", _counted(solve_module._split_on_twins, split))
    twins = [site(id, racks={"r1": 3}, build_usd_per_mw=1e6, carriers=1) for id in ("a", "b")]
    plan = solve_tiny(tmp_path / "twins", jobs, sites=twins)
    assert twin_sites(plan.scenario) == [("a", "b")] and len(split) == 1
    assert set(plan.sites[plan.sites.open].site) == sites_open
    apart = [twins[0], {**twins[1], "carriers": 2}]
    whole = solve_tiny(tmp_path / "apart", jobs, sites=apart)
    assert twin_sites(whole.scenario) == [] and len(split) == 1
    assert plan.kpi("npv_usd") == pytest.approx(whole.kpi("npv_usd"), rel=1e-6)


def test_twin_proof_parts_search_under_the_best_less_the_gap_target(tmp_path, monkeypatch):
    # the part with b shut plans; the part with b open only has to show nothing under that plan
    # less the gap target (then the whole is within it), with no plan search and no probing
    runs, run = [], HighsModel.run

    def recorded(highs, time_limit, **options):
        runs.append((options, run(highs, time_limit, **options)))
        return runs[-1][1]

    monkeypatch.setattr(HighsModel, "run", recorded)
    twins = [site(id, racks={"r1": 3}, build_usd_per_mw=1e6, carriers=1) for id in ("a", "b")]
    plan = solve_tiny(tmp_path, [training("t1", pflops=60, deadline_days=300)], sites=twins)
    (shut, planned), (opened, proof) = runs
    assert "objective_bound" not in shut and planned.has_solution
    assert opened["objective_bound"] == pytest.approx(planned.objective * (1 - REL_GAP), rel=1e-12)
    assert opened.items() >= solve_module.PROOF_ONLY.items() and proof.infeasible
    assert plan.status == "optimal" and plan.gap <= REL_GAP * (1 + 1e-9)


def _counted(function, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return counted


def outcome(status, objective=None, bound=None, words="Optimal") -> Outcome:
    return Outcome(status, words, objective is not None, objective, bound, 1.0)


def test_twin_parts_pruned_by_the_cutoff_are_bounded_by_it():
    # part 1 found 10.0 proven to 9.95; part 2 has no plan under 10.0: the whole is proven to 9.95
    whole = solve_module._whole(
        [
            (outcome(STATUS.kOptimal, 10.0, 9.95), None),
            (outcome(STATUS.kInfeasible, words="Infeasible"), 10.0),
        ],
        10.0,
    )
    assert (whole.status, whole.objective, whole.bound, whole.has_solution) == (
        STATUS.kOptimal,
        10.0,
        9.95,
        True,
    )
    # part 2 found a cheaper plan (9.0, proven to 8.95): the least bound of the parts holds
    whole = solve_module._whole(
        [(outcome(STATUS.kOptimal, 10.0, 9.95), None), (outcome(STATUS.kOptimal, 9.0, 8.95), 10.0)], 9.0
    )
    assert (whole.status, whole.objective, whole.bound) == (STATUS.kOptimal, 9.0, 8.95)


def test_twin_parts_stopped_early_prove_nothing():
    # part 2 ran out of time before its root: no bound for the whole, and not optimal
    whole = solve_module._whole(
        [
            (outcome(STATUS.kOptimal, 10.0, 9.95), None),
            (outcome(STATUS.kTimeLimit, words="Time limit reached"), 10.0),
        ],
        10.0,
    )
    assert (whole.status, whole.bound, whole.highs_status) == (STATUS.kTimeLimit, None, "Time limit reached")
    # a part with no plan at all bounds nothing; with every part so, the scenario is infeasible
    whole = solve_module._whole([(outcome(STATUS.kInfeasible, words="Infeasible"), None)] * 2, None)
    assert whole.infeasible and not whole.has_solution
    whole = solve_module._whole(
        [
            (outcome(STATUS.kInfeasible, words="Infeasible"), None),
            (outcome(STATUS.kOptimal, 12.0, 11.9), None),
        ],
        12.0,
    )
    assert (whole.status, whole.bound) == (STATUS.kOptimal, 11.9)
