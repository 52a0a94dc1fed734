"""`aiopt solve --out` writes plan.json and one CSV per table, atomically."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt.cli import main
from aiopt.export import write_plan


@pytest.fixture(scope="module")
def plan():
    plan = aiopt.solve(aiopt.load_scenario(TINY, CATALOG_DIR), progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


def test_cli_solve_writes_every_table(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["solve", str(TINY), "--catalog", str(CATALOG_DIR), "--out", str(out), "--quiet"]) == 0
    assert "tiny: optimal" in capsys.readouterr().out
    doc = json.loads((out / "plan.json").read_text())
    assert doc["status"] == "optimal" and 0 <= doc["gap"] <= 0.01
    for name in aiopt.Plan.TABLES:
        frame = pd.read_csv(out / f"{name}.csv")
        assert len(frame) == len(doc["tables"][name])
    assert {"workload", "tier", "site", "year", "nodes", "gpus"} <= set(doc["tables"]["nodes"][0])
    written = aiopt.Plan(scenario=aiopt.load_scenario(TINY, CATALOG_DIR), info=aiopt.SolveInfo(**doc_info(doc)),
                         **{name: pd.read_csv(out / f"{name}.csv") for name in aiopt.Plan.TABLES if name != "solve_info"})
    assert aiopt.check_plan(written).ok, "the written tables alone pass the plan checker"


def doc_info(doc: dict) -> dict:
    """SolveInfo fields back from plan.json's solve_info record."""
    row = doc["tables"]["solve_info"][0]
    fields = ("status", "highs_status", "incumbent", "bound", "gap", "rel_gap_target", "time_limit", "threads", "seed")
    return {k: row[k] for k in fields}


def test_failed_write_keeps_the_previous_plan(plan, tmp_path, monkeypatch):
    out = write_plan(plan, tmp_path / "plan")
    before = (out / "plan.json").read_text()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        write_plan(plan, out)
    assert (out / "plan.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"], "no staging directory left behind"
