"""The infeasibility explainer on a corpus of tiny infeasible scenarios (tests/explain/infeasible).

Each corpus file is a tiny scenario in the `tiny_plans` catalog (its tables as keyword
arguments of the row helpers; workloads name theirs in `helper`) with an `expect` list: the
requirements (kind and where, and the year where it matters) the explanation must name, and a
comment saying why. Every scenario must reach the solver and be infeasible there; every option
the explainer shows must be verified, and its edited scenario must solve and pass the checker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tiny_plans import fabric, model, offer, rack, site, storage, tier, tiny_scenario, training

import aiopt
import tiny_plans
from aiopt.cli import main
from aiopt.explain.infeasible import COLUMNS, options, table

CORPUS = sorted((Path(__file__).parent / "infeasible").glob("*.yaml"))
ROWS = {
    "sites": site,
    "gpu_tiers": tier,
    "rack_types": rack,
    "cloud_offers": offer,
    "storage_tiers": storage,
    "fabrics": fabric,
    "models": model,
}


def corpus_scenario(path: Path, directory: Path) -> tuple[aiopt.Scenario, list[dict]]:
    """The corpus file's scenario, written under `directory`, and what it expects."""
    doc = yaml.safe_load(path.read_text())
    tables = {name: [make(**row) for row in doc[name]] for name, make in ROWS.items() if name in doc}
    workloads = [getattr(tiny_plans, w.pop("helper"))(**w) for w in doc["workloads"]]
    return tiny_scenario(directory, workloads, policy=doc.get("policy"), **tables), doc["expect"]


def test_corpus_covers_fifteen_conflicts():
    assert len(CORPUS) >= 15
    kinds = {e["kind"] for path in CORPUS for e in yaml.safe_load(path.read_text())["expect"]}
    assert len(kinds) >= 10, kinds


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_explanation_names_the_conflict_and_its_relaxation_works(path, tmp_path):
    scenario, expected = corpus_scenario(path, tmp_path / path.stem)
    with pytest.raises(aiopt.SolveError) as error:
        aiopt.solve(scenario, progress=False)
    assert error.value.status is aiopt.Status.INFEASIBLE, "the conflict reaches the solver"

    found = options(scenario, time_limit=30)
    explained = table(found)
    assert list(explained.columns) == COLUMNS
    for want in expected:
        named = explained[(explained.kind == want["kind"]) & (explained["where"] == want["where"])]
        assert len(named), f"{want} not named in\n{explained.to_string()}"
        if "year" in want:
            assert list(named.year) == [want["year"]] * len(named)
    assert explained.verified.all(), explained.to_string()
    assert (explained.shortfall > 0).all() and (explained.needed > explained.available).all()
    for option in found:  # the suggested relaxation, applied, makes the scenario feasible
        plan = aiopt.solve(option.scenario, progress=False)
        assert aiopt.check_plan(plan).ok, option.rows.to_string()


def test_a_feasible_scenario_needs_no_relaxation(tmp_path):
    scenario = tiny_scenario(tmp_path, [training(pflops=10)])
    assert aiopt.explain.infeasible(scenario).empty


def test_cli_solve_prints_the_explanation_and_exits_3(tmp_path, capsys):
    scenario, _ = corpus_scenario(CORPUS[0].with_name("hipaa.yaml"), tmp_path)
    args = ["solve", str(scenario.path), "--catalog", str(tmp_path / "catalog"), "--out", str(tmp_path / "out")]
    assert main(args) == 3
    out, err = capsys.readouterr()
    assert "infeasible" in err and "has no plan" in out
    for words in ("add 61 kW of facility power at east", "add certification hipaa-ready at west", "deadline"):
        assert words in out
    assert not (tmp_path / "out").exists()
    assert main(["explain", str(scenario.path), "--catalog", str(tmp_path / "catalog")]) == 3
    assert capsys.readouterr().out == out


def test_cli_explain_of_a_feasible_scenario_says_it_has_a_plan(tmp_path, capsys):
    scenario = tiny_scenario(tmp_path, [training(pflops=10)])
    assert main(["explain", str(scenario.path), "--catalog", str(tmp_path / "catalog")]) == 0
    assert "has a plan" in capsys.readouterr().out
