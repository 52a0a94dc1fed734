"""`aiopt solve --out` writes plan.json and one CSV per table, touching no file aiopt did not write."""

from __future__ import annotations

import json
import os
import re
import stat

import pandas as pd
import pytest
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt.cli import main
from aiopt.export import PLAN_FILES, write_plan
from aiopt.output_schema import AS_SOLVED, COUNTS, DECIMALS, UNITS, read_csv, rounded, unit_of


@pytest.fixture(scope="module")
def plan():
    plan = aiopt.solve(aiopt.load_scenario(TINY, CATALOG_DIR), progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


def solve_into(out, *extra) -> int:
    return main(["solve", str(TINY), "--catalog", str(CATALOG_DIR), "--out", str(out), "--quiet", *extra])


def test_cli_solve_writes_every_table(tmp_path, capsys):
    out = tmp_path / "plan"
    assert solve_into(out) == 0
    assert "tiny: optimal" in capsys.readouterr().out
    doc = json.loads((out / "plan.json").read_text())
    assert doc["status"] == "optimal" and 0 <= doc["gap"] <= 0.01
    for name in aiopt.Plan.TABLES:
        frame = read_csv(out / f"{name}.csv")
        rows = doc["tables"][name]
        assert len(frame) == len(rows)
        if rows:  # an empty table (no data moved, nothing rented) has no record to name its columns
            assert list(frame.columns) == list(rows[0]), "headers map back to the plan's columns"
    assert {"workload", "tier", "site", "year", "nodes", "gpus"} <= set(doc["tables"]["nodes"][0])
    tables = {name: read_csv(out / f"{name}.csv") for name in aiopt.Plan.TABLES if name != "solve_info"}
    scenario = aiopt.load_scenario(TINY, CATALOG_DIR)
    written = aiopt.Plan(scenario=scenario, info=aiopt.SolveInfo(**doc_info(doc)), **tables)
    assert aiopt.check_plan(written).ok, "the written (rounded) tables alone pass the plan checker"


def doc_info(doc: dict) -> dict:
    """SolveInfo fields back from plan.json's solve_info record."""
    row = doc["tables"]["solve_info"][0]
    fields = (
        "status",
        "highs_status",
        "incumbent",
        "bound",
        "gap",
        "rel_gap_target",
        "time_limit",
        "threads",
        "seed",
    )
    return {k: row[k] for k in fields}


def test_failed_write_keeps_the_previous_plan(plan, tmp_path, monkeypatch):
    out = write_plan(plan, tmp_path / "plan")
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        write_plan(plan, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "no file changed, no staging left"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_a_users_folder_is_refused_without_force_and_kept_with_it(tmp_path, capsys):
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("four years of work")
    (folder / "costs.csv").write_text("my own costs")
    assert solve_into(folder) == 2
    err = capsys.readouterr().err
    assert str(folder) in err and "--force" in err and "empty folder" in err and "thesis.docx" in err
    assert sorted(p.name for p in folder.iterdir()) == ["costs.csv", "thesis.docx"], "nothing written"

    assert solve_into(folder, "--force") == 0
    assert (folder / "thesis.docx").read_text() == "four years of work"
    assert (folder / "costs.csv").read_text() != "my own costs", "--force replaces aiopt's own file names"
    assert {p.name for p in folder.iterdir()} == {"thesis.docx", *PLAN_FILES}


def test_an_earlier_plan_folder_is_updated_keeping_the_users_files(plan, tmp_path):
    out = write_plan(plan, tmp_path / "plan")
    (out / "notes.txt").write_text("mine")
    (out / "old_table.csv").write_text("written by an earlier aiopt")
    doc = json.loads((out / "plan.json").read_text())
    doc["manifest"]["files"].append("old_table.csv")
    (out / "plan.json").write_text(json.dumps(doc))
    (out / "kpis.csv").write_text("stale")

    write_plan(plan, out)  # no force needed: the manifest marks the folder as aiopt's
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "old_table.csv").exists(), "listed by the earlier manifest, not the new one: removed"
    assert (out / "kpis.csv").read_text() != "stale"
    assert json.loads((out / "plan.json").read_text())["manifest"]["files"][-1] == "plan.json"


def test_a_plan_folder_from_before_manifests_is_updated(plan, tmp_path):
    out = write_plan(plan, tmp_path / "plan")
    doc = json.loads((out / "plan.json").read_text())
    del doc["manifest"]
    (out / "plan.json").write_text(json.dumps(doc))
    write_plan(plan, out)
    assert "manifest" in json.loads((out / "plan.json").read_text())


def test_a_manifest_cannot_make_aiopt_delete_outside_its_folder(plan, tmp_path):
    out = write_plan(plan, tmp_path / "plan")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    doc = json.loads((out / "plan.json").read_text())
    doc["manifest"]["files"] += ["../victim.txt", str(victim)]
    (out / "plan.json").write_text(json.dumps(doc))
    write_plan(plan, out)
    assert victim.read_text() == "keep"


@pytest.mark.parametrize("umask", [0o002, 0o077])
def test_folders_and_files_follow_the_umask(plan, tmp_path, umask):
    old = os.umask(umask)
    try:
        out = write_plan(plan, tmp_path / "new" / "plan")
    finally:
        os.umask(old)
    for folder in (tmp_path / "new", out):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    for file in out.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file.name


def test_a_file_in_place_of_the_folder_is_bad_input(plan, tmp_path):
    (tmp_path / "plan").write_text("a file")
    with pytest.raises(aiopt.InputError, match="not a folder"):
        write_plan(plan, tmp_path / "plan")


def significant_digits(text: str) -> int:
    return len(re.sub(r"^[-0.]*|\.|e.*$", "", text.lower()).rstrip("0") or "0")


def readable(text: str, unit: str | None, whole: bool) -> bool:
    """A written value: a whole number without a point, else cents/watts/ms, else 6 significant digits."""
    if whole:
        return re.fullmatch(r"-?\d+", text) is not None
    if unit in DECIMALS:
        return len(text.partition(".")[2]) <= DECIMALS[unit]
    return significant_digits(text) <= 6


def test_csvs_are_rounded_with_units_in_the_headers(plan, tmp_path):
    out = write_plan(plan, tmp_path / "plan")
    doc = json.loads((out / "plan.json").read_text())
    assert doc["tables"]["costs"] == plan.costs.to_dict("records"), "plan.json keeps full precision"
    raw = pd.read_csv(out / "racks.csv", dtype=str).columns
    assert {"kw_used [kW]", "kw_limit [kW]", "racks", "nodes"} <= set(raw)
    for name, frame in plan.tables().items():
        text = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        assert len(text.columns) == len(frame.columns)
        for header, column in zip(text.columns, frame.columns, strict=True):
            assert header == (f"{column} [{unit_of(column)}]" if unit_of(column) else column)
            if column in AS_SOLVED or frame[column].dtype.kind not in "iuf" and column != "value":
                continue
            units = frame["unit"] if (name, column) == ("kpis", "value") else [unit_of(column)] * len(frame)
            for written, value, unit in zip(text[header], frame[column], units, strict=True):
                if pd.notna(value):
                    assert readable(written, unit, float(value).is_integer()), (name, header, written)


def test_whole_numbers_stay_exact_and_fractions_keep_six_digits():
    assert rounded(12_345_678.0, None) == 12_345_678 and isinstance(rounded(4.0, "kW"), int)
    assert rounded(12_345.678901, None) == 12_345.7 and rounded(0.000123456789, "fraction") == 0.000123457
    assert rounded(1_234_567.891, "USD") == 1_234_567.89 and rounded(93.62549, "kW") == 93.625
    assert rounded(float("nan"), "USD") != rounded(float("nan"), "USD") and rounded("b200", None) == "b200"


def test_every_numeric_column_has_a_unit_or_is_a_count(plan):
    for name, frame in plan.tables().items():
        for column in frame.select_dtypes("number").columns:
            known = column in COUNTS | AS_SOLVED or unit_of(column) or (name, column) == ("kpis", "value")
            assert known, f"{name}.{column}: add it to aiopt/output_schema.py (COUNTS or UNITS)"
    assert set(UNITS).isdisjoint(COUNTS)


def test_write_atomically_leaves_the_old_file_whole_when_the_write_fails(tmp_path):
    from aiopt.export import write_atomically

    path = tmp_path / "out" / "table.csv"
    old = os.umask(0o027)
    try:
        write_atomically(path, lambda temporary: temporary.write_text("first"))
    finally:
        os.umask(old)
    assert path.read_text() == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the user's umask, not mkstemp's 0o600

    def fails_halfway(temporary):
        temporary.write_text("half of the second")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, fails_halfway)
    assert path.read_text() == "first"
    assert os.listdir(path.parent) == ["table.csv"]  # no temporary file left
