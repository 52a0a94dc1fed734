"""The infeasibility explainer on a corpus of tiny infeasible scenarios (tests/explain/infeasible).

Each corpus file is a tiny scenario in the `tiny_plans` catalog (its tables as keyword
arguments of the row helpers; workloads name theirs in `helper`) with an `expect` list: the
requirements (kind and where; the year and words of the requirement where they matter) the
explanation must name, and a comment saying why. Every scenario must reach the solver and be
infeasible there; every option the explainer shows must be verified, and its edited scenario
must solve (the first one's plan is also checked by `check_plan`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import tiny_plans
import yaml
from tiny_plans import fabric, model, offer, rack, site, storage, tier, tiny_scenario, training

import aiopt
from aiopt.cli import main
from aiopt.explain.infeasible import COLUMNS, describe, options, table

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
        named = named[named.requirement.str.contains(want.get("says", ""), regex=False)]
        assert len(named), f"{want} not named in\n{explained.to_string()}"
        if "year" in want:
            assert list(named.year) == [want["year"]] * len(named)
    assert explained.verified.all(), explained.to_string()
    assert (explained.shortfall > 0).all() and (explained.needed > explained.available).all()
    plans = [aiopt.solve(option.scenario, progress=False) for option in found]  # raise if infeasible
    assert aiopt.check_plan(plans[0]).ok, "the first option's plan passes the checker"


def test_a_feasible_scenario_needs_no_relaxation(tmp_path):
    scenario = tiny_scenario(tmp_path, [training(pflops=10)])
    assert aiopt.explain.infeasible(scenario).empty


def test_cli_solve_prints_the_explanation_and_exits_3(tmp_path, capsys):
    # hipaa.yaml: 40 PFLOPS in 100 days on g1 (4 PFLOPS a node, Young/Daly goodput just under 1)
    # is 11 nodes = 110 kW plus 0.012 kW of switches; east has 50 kW: 111 - 50 = 61 kW more.
    # The other options: west may host it once hipaa-ready (the placement_allowed rows), or the
    # deadline grows until the 4 nodes east powers beside its switch suffice.
    scenario, _ = corpus_scenario(CORPUS[0].with_name("hipaa.yaml"), tmp_path)
    catalog = ["--catalog", str(tmp_path / "catalog")]
    assert main(["solve", str(scenario.path), *catalog, "--out", str(tmp_path / "out")]) == 3
    out, err = capsys.readouterr()
    assert "infeasible" in err and "has no plan" in out
    for words in ("add 61 kW of facility power at east", "add certification hipaa-ready at west", "deadline"):
        assert words in out
    assert not (tmp_path / "out").exists()
    assert main(["explain", str(scenario.path), *catalog]) == 3
    assert capsys.readouterr().out == out


def test_cli_explain_of_a_feasible_scenario_says_it_has_a_plan(tmp_path, capsys):
    scenario = tiny_scenario(tmp_path, [training(pflops=10)])
    args = ["explain", str(scenario.path), "--catalog", str(tmp_path / "catalog"), "--alternatives", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "optimal" in out and "shadow prices:" in out and "near-optimal alternatives:" in out


def test_describe_says_when_an_option_could_not_be_verified():
    rows = pd.DataFrame(
        [
            (1, "site a needs 111 kW of facility power in 2026; it has 50 kW", "add 61 kW at a", True),
            (2, "workload t needs 40 PFLOPS in 2026 to finish in 100 days", "extend its deadline", False),
        ],
        columns=["option", "requirement", "suggestion", "verified"],
    )
    text = describe("s", rows)
    assert "This option gives it one" in text and "option 1:" in text and "option 2" not in text
    assert text.index("add 61 kW") < text.index("did not give a plan") < text.index("extend its deadline")
    none = describe("s", rows.assign(verified=False))
    assert "none of the changes below gave it one" in none and "option" not in none.split("\n", 1)[1]
    assert "no requirement aiopt can relax" in describe("s", rows.iloc[:0])
