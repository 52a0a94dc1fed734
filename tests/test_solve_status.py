"""Status honesty: infeasible says so, a time-limited plan is never called optimal."""

from __future__ import annotations

import importlib
import json
import re
import sys
import time

import numpy as np
import pytest
import yaml
from conftest import CATALOG_DIR, REPO
from tiny_plans import two_tier_two_site

import aiopt
from aiopt import Status
from aiopt.cli import main

BASELINE = REPO / "data" / "scenarios" / "enterprise-baseline.yaml"
FRONTIER = REPO / "data" / "scenarios" / "frontier-growth.yaml"
sys.path.insert(0, str(REPO / "benchmarks"))
from make_large import write as write_large  # noqa: E402


def baseline_with(tmp_path, budget_usd: float):
    """The baseline scenario with a total capex budget, as a YAML file (staged: > 300 integers)."""
    doc = yaml.safe_load(BASELINE.read_text())
    doc["policy"]["capex_budget_usd"] = budget_usd
    path = tmp_path / "budget.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_infeasible_scenario_raises_and_cli_exits_3(tiny_doc, tmp_scenario, capsys):
    tiny_doc["sites"][0]["power_mw"] = 0.01  # 10 kW: not one node of any tier fits the facility
    path = tmp_scenario(tiny_doc)
    with pytest.raises(aiopt.SolveError, match="infeasible") as error:
        aiopt.solve(aiopt.load_scenario(path, CATALOG_DIR), progress=False)
    assert error.value.status is Status.INFEASIBLE and error.value.highs_status
    # every year is short of power; which one the conflict names is the solver's choice
    assert re.search(r"power \(site_power\) at site lab, year 20\d\d", str(error.value)), "family, row, where"
    code = main(["solve", str(path), "--catalog", str(CATALOG_DIR), "--out", str(path.parent / "out")])
    err = capsys.readouterr().err
    assert code == 3 and "infeasible" in err and "Traceback" not in err
    assert not (path.parent / "out").exists(), "nothing is written for a failed solve"


def test_time_limited_plan_is_marked_non_optimal_with_its_gap(tmp_path, capsys):
    # a 0% target gap is not proven in 15 s: frontier-growth takes ~19 s to 1% on the idle 2-core
    # machine (the baseline proved 0% within 10 s there once); its staged first plan comes after
    # ~3 s (at 20 s the gap was 3.0-3.5%)
    plan = aiopt.solve(FRONTIER, time_limit=15.0, rel_gap=0.0, progress=False)
    assert plan.status == "time_limit" and plan.status is Status.TIME_LIMIT and not plan.info.optimal
    assert plan.gap is not None and plan.gap > 0
    assert plan.info.bound <= plan.info.incumbent
    assert aiopt.check_plan(plan).ok
    assert "time_limit" in plan.summary()
    code = main(
        [
            "solve",
            str(FRONTIER),
            "--out",
            str(tmp_path / "out"),
            "--time-limit",
            "15",
            "--gap",
            "0",
            "--quiet",
            "--no-reference",  # the reference design's extra solve is not what this test is about
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and "NOT proven optimal" in captured.err
    written = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert written["status"] == "time_limit" and written["gap"] > 0 and written["optimal"] is False


def baseline_lp():
    """The baseline model, loaded into HiGHS, and its LP relaxation's column values."""
    from aiopt.solve import INTERIOR_POINT
    from aiopt.solve.highs import HighsModel

    model = aiopt.build_model(aiopt.load_scenario(BASELINE))
    highs = HighsModel(model, {"threads": 1, "random_seed": 0, "output_flag": False})
    with highs.relaxation():
        highs.run(60, **INTERIOR_POINT)
        return model, highs, highs.values()


def test_lp_guided_first_plan_leaves_sites_the_lp_leaves_empty_to_the_mip():
    # A site the LP gives no fabric is left free: fixing us-west empty (the baseline LP's choice
    # before issue 9) left the pre-training no site that meets its deadline (the stage was
    # infeasible and the baseline's first plan took the heuristic stage); left free, the stage
    # finds a plan. The LP's us-west fabric values are zeroed here to show the rule on today's LP.
    from aiopt.solve import LP_NOISE, _fabric_guess

    model, highs, lp = baseline_lp()
    west = highs.columns_of(model.fabric["us-west", f] for f in model.F)
    lp[west] = 0.5 * LP_NOISE
    columns, values = _fabric_guess(model, highs, lp)
    assert not set(west) & set(columns)
    with highs.fixed(columns, values):
        assert highs.run(60).has_solution


def test_gap_is_computed_from_incumbent_and_bound():
    from aiopt.solve import relative_gap

    assert relative_gap(100.0, 99.0) == pytest.approx(0.01)
    assert relative_gap(None, 1.0) is None


def test_staged_and_direct_strategies_agree_within_the_gap(tmp_path):
    # two tiers, two sites, two years, a training run and a service: the staged solve's LP and
    # fabric-guided first plan have choices to get wrong
    sc = two_tier_two_site(tmp_path)
    results = {}
    for strategy in ("direct", "staged"):
        model = aiopt.build_model(sc)
        info = aiopt.solve_model(model, strategy=strategy, rel_gap=1e-4, progress=False)
        plan = aiopt.read_plan(model, info)
        assert info.status == "optimal" and info.gap <= 1e-4
        assert aiopt.check_plan(plan).ok
        results[strategy] = info
    direct, staged = results["direct"], results["staged"]
    # each incumbent lies above the other's proven bound: both bound the same full model
    assert staged.incumbent >= direct.bound - 1e-6 and direct.incumbent >= staged.bound - 1e-6
    with pytest.raises(ValueError, match="strategy"):
        aiopt.solve_model(aiopt.build_model(sc), strategy="fast")


def test_demand_with_nothing_to_run_on_is_bad_input(tiny_doc, tmp_scenario, tmp_catalog):
    # the only allowed tier goes on sale in 2027 while the job starts in 2026: caught before solving
    catalog = tmp_catalog()
    tiers = (catalog / "gpu_tiers.csv").read_text().splitlines()
    late = [
        line.replace(",2024,", ",2027,").replace(",2025,", ",2027,") if line.startswith("b200-hgx") else line
        for line in tiers
    ]
    (catalog / "gpu_tiers.csv").write_text("\n".join(late) + "\n")
    tiny_doc["workloads"][0]["tiers"] = ["b200-hgx"]
    path = tmp_scenario(tiny_doc)
    with pytest.raises(aiopt.InputError) as error:
        aiopt.build_model(aiopt.load_scenario(path, catalog))
    assert "pretrain-8b" in str(error.value) and "tiers" in str(error.value)


def test_infeasible_staged_solve_is_a_solve_error_not_a_crash(tmp_path, capsys):
    # 1 MUSD of capex cannot buy the baseline's demand: the LP relaxation itself is infeasible,
    # and the staged solve used to load its (missing) solution: NoFeasibleSolutionError, exit 1
    path = baseline_with(tmp_path, budget_usd=1e6)
    with pytest.raises(aiopt.SolveError, match="infeasible") as error:
        aiopt.solve_model(aiopt.build_model(aiopt.load_scenario(path)), strategy="staged", progress=False)
    assert error.value.status is Status.INFEASIBLE and "cost (capex_budget)" in str(error.value)
    code = main(["solve", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3 and "infeasible" in err and "internal error" not in err


def test_thread_count_can_change_within_one_process(tiny):
    # HiGHS's scheduler is process-wide: 2 threads then 1 used to end in
    # "no plan found ... raise the time limit"
    for threads in (2, 1, 2):
        plan = aiopt.solve(tiny, threads=threads, progress=False)
        assert plan.status is Status.OPTIMAL and plan.info.threads == threads


HIGHS_MIP_SETUP_SECONDS = 5.0


def test_time_limit_holds_for_the_whole_staged_solve(tmp_path):
    # the large benchmark cannot be solved in 12 s; every stage (load into HiGHS, LP, first plan,
    # full MIP) must still end within the limit + 5%, with a plan or a NO_SOLUTION error, save for
    # HiGHS's MIP set-up (presolve and root start), which no callback can interrupt: measured
    # 1.5-4.3 s on this instance (README, known limits)
    model = aiopt.build_model(aiopt.load_scenario(write_large(tmp_path / "large.yaml")))
    limit = 12.0
    started = time.perf_counter()
    try:
        info = aiopt.solve_model(model, time_limit=limit, progress=False)
        assert info.status is Status.TIME_LIMIT and info.gap > 0
    except aiopt.SolveError as error:
        assert error.status is Status.NO_SOLUTION and "raise the time limit" in str(error)
    assert time.perf_counter() - started <= 1.05 * limit + HIGHS_MIP_SETUP_SECONDS


def test_when_the_lp_guided_stage_fails_the_heuristic_stage_finds_the_first_plan(tiny, monkeypatch, capsys):
    solve = importlib.import_module("aiopt.solve")  # the module, not the aiopt.solve function

    def no_fabric_anywhere(model, highs, lp_values):  # a fabric guess with no plan: nothing can be networked
        columns = highs.columns_of(model.fabric.values())
        return columns, 0.0 * columns

    monkeypatch.setattr(solve, "_fabric_guess", no_fabric_anywhere)
    model = aiopt.build_model(tiny)
    info = aiopt.solve_model(model, strategy="staged", progress=True)
    assert "first plan (heuristic search)" in capsys.readouterr().out
    assert info.status is Status.OPTIMAL and "first_plan" in info.seconds
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok


def test_when_the_lp_is_out_of_time_a_one_tier_plan_starts_the_full_model(monkeypatch, capsys):
    # a model whose LP does not finish in its share starts from a plan held to one tier per
    # workload; forced here on the baseline: the full MIP starts from it and bounds it, the plan checks
    solve = importlib.import_module("aiopt.solve")
    monkeypatch.setattr(solve, "LP_SHARE", 0.0)
    model = aiopt.build_model(aiopt.load_scenario(BASELINE))
    columns, values = solve._tier_guess(model, solve.HighsModel(model, {"output_flag": False}))
    assert len(columns) and not values.any()  # other tiers' runs and picks held at zero
    info = aiopt.solve_model(model, strategy="staged", progress=True, time_limit=30)
    out = capsys.readouterr().out
    assert "first plan (one tier per workload)" in out and info.started_from == "the first-plan stage"
    assert info.status in (Status.OPTIMAL, Status.TIME_LIMIT) and info.bound <= info.incumbent
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok


def test_lp_guided_tiers_add_what_the_lp_favours_to_the_one_tier_guess():
    # every workload keeps the tier its LP nodes favour most and its one-tier guess; others are zeroed
    from aiopt.solve import _tier_guess

    model, highs, lp = baseline_lp()
    one_tier, _ = _tier_guess(model, highs)
    guided, values = _tier_guess(model, highs, lp)
    assert set(guided) < set(one_tier) and not values.any()
    nodes = {}
    for i in model.RUN:
        nodes[i[:2]] = nodes.get(i[:2], 0.0) + float(lp[highs.columns_of([model.run[i]])].sum())
    for w in {w for w, _ in nodes}:
        favourite = max((t for v, t in nodes if v == w), key=lambda t, w=w: nodes[w, t])
        kept = highs.columns_of(model.run[i] for i in model.RUN if i[:2] == (w, favourite))
        assert not set(kept) & set(guided), (w, favourite)


@pytest.mark.parametrize(
    "lp_share, first_stage",
    [(0.25, "first plan (LP-guided fabrics and tiers)"), (0.0, "first plan (one tier per workload)")],
)
def test_fix_and_optimise_improves_the_first_plan_of_a_large_model(
    monkeypatch, capsys, lp_share, first_stage
):
    # models above IMPROVE_ABOVE_INTEGERS improve their first plan by sub-MIPs (sites, tiers, RINS),
    # the LP-guided one or, when the LP is out of time, the one-tier one; forced here on the
    # baseline: the plan gets cheaper, starts the full MIP, checks
    solve = importlib.import_module("aiopt.solve")
    monkeypatch.setattr(solve, "IMPROVE_ABOVE_INTEGERS", 0)
    monkeypatch.setattr(solve, "LP_SHARE", lp_share)
    objectives = []
    improve = solve._fix_and_optimise

    def recorded(model, highs, found, lp_values, clock):
        objectives.append(found.objective)
        improve(model, highs, found, lp_values, clock)
        objectives.append(found.objective)

    monkeypatch.setattr(solve, "_fix_and_optimise", recorded)
    model = aiopt.build_model(aiopt.load_scenario(BASELINE))
    info = aiopt.solve_model(model, strategy="staged", progress=True, time_limit=20)
    out = capsys.readouterr().out
    assert first_stage in out and "first plan improved (fix-and-optimise)" in out
    first, improved = objectives
    assert improved < first and info.incumbent <= improved + 1e-6
    assert info.started_from == "the first-plan stage" and info.bound <= info.incumbent
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok


def large_model_first_plan(monkeypatch, hold=None):
    """The baseline solved as a large model (IMPROVE_ABOVE_INTEGERS forced to 0): (model, info,
    the node counts held, the first plan's values). `hold` replaces the held counts."""
    solve = importlib.import_module("aiopt.solve")
    monkeypatch.setattr(solve, "IMPROVE_ABOVE_INTEGERS", 0)
    held, first = [], []
    whole, improve = solve._whole_node_counts, solve._fix_and_optimise

    def recorded_hold(model, highs, lp_values):
        held.append(hold(model, highs) if hold else whole(model, highs, lp_values))
        return held[-1]

    def recorded_improve(model, highs, found, lp_values, clock):
        first.append(found.start.copy())
        improve(model, highs, found, lp_values, clock)

    monkeypatch.setattr(solve, "_whole_node_counts", recorded_hold)
    monkeypatch.setattr(solve, "_fix_and_optimise", recorded_improve)
    model = aiopt.build_model(aiopt.load_scenario(BASELINE))
    info = aiopt.solve_model(model, strategy="staged", time_limit=20)
    assert len(held) == 1 and len(first) == 1
    return model, info, held[0], first[0]


def test_a_large_models_first_plan_keeps_the_node_counts_whole_in_its_restricted_lp(monkeypatch):
    # the restricted MIP of a large model first holds the node counts its own LP has whole: the
    # first plan has exactly those counts, and the final plan checks
    model, info, (columns, values), first = large_model_first_plan(monkeypatch)
    assert 0 < len(columns) < len(model.nodes)
    assert np.array_equal(np.round(first[columns]), values)
    assert info.started_from == "the first-plan stage" and info.bound <= info.incumbent
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok


def test_a_held_restricted_model_without_a_plan_falls_back_to_the_free_one(monkeypatch):
    # every node count held at zero leaves no plan: the free restricted MIP finds the first plan
    def no_nodes(model, highs):
        columns = highs.columns_of(model.nodes.values())
        return columns, np.zeros(len(columns))

    model, info, (columns, _), first = large_model_first_plan(monkeypatch, hold=no_nodes)
    assert first[columns].sum() > 0
    assert info.started_from == "the first-plan stage"
    assert aiopt.check_plan(aiopt.read_plan(model, info)).ok
