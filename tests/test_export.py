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
    return aiopt.solve(aiopt.load_scenario(TINY, CATALOG_DIR), progress=False)


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
