"""The finance workbook: it reads back to the plan's own tables, keeps formula-like text as text,
and opens in LibreOffice; `aiopt export` writes it from a plan folder."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt.cli import main
from aiopt.export import read_plan_dir
from aiopt.output_schema import column_name
from aiopt.workbook import write_workbook

INSTALL_LIBREOFFICE = "apt-get install -y libreoffice-calc-nogui"
SHEETS = {
    "Costs cash": "cash",
    "Costs book": "book",
    "Unit costs": "unit_costs",
    "Owned vs rented": "owned_vs_rented",
    "Racks": "racks",
}
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1"]


@pytest.fixture(scope="module")
def plan():
    plan = aiopt.solve(aiopt.load_scenario(TINY, CATALOG_DIR), progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


@pytest.fixture(scope="module")
def workbook(plan, tmp_path_factory):
    return plan.to_excel(tmp_path_factory.mktemp("book") / "plan.xlsx")


def read_sheet(path, sheet: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet).rename(columns=column_name)


def test_sheets_read_back_to_the_plans_tables(plan, workbook):
    names = pd.ExcelFile(workbook).sheet_names
    assert names[:2] == ["Summary", "Assumptions"] and names[-1] == "Solve info"
    assert {"BOM by year", "Saving vs reference", "Policy costs"} <= set(names)
    for sheet, table in SHEETS.items():
        expected = getattr(plan, table).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            read_sheet(workbook, sheet), expected, check_dtype=False, check_exact=False
        )
    kpis = read_sheet(workbook, "Summary").set_index("metric")
    assert float(kpis.at["npv_usd", "value"]) == pytest.approx(plan.kpi("npv_usd"), rel=1e-12)
    assert "USD" in {
        c.value.split("[")[-1].rstrip("]") for c in openpyxl.load_workbook(workbook)["Costs cash"][1]
    }


def test_numbers_are_numbers_headers_frozen_and_no_formulas(workbook):
    book = openpyxl.load_workbook(workbook)
    sheet = book["Costs cash"]
    assert sheet.freeze_panes == "A2"
    assert (
        sheet["D1"].value == "usd [USD]"
        and sheet["D2"].data_type == "n"
        and sheet["D2"].number_format == "#,##0"
    )
    assert sheet.column_dimensions["D"].width > 5
    assert all(cell.data_type != "f" for ws in book for row in ws.iter_rows() for cell in row)


def test_assumptions_list_every_input_with_unit_and_source(plan, workbook):
    assumptions = read_sheet(workbook, "Assumptions")
    price = assumptions[(assumptions.table == "gpu_tiers") & (assumptions.field == "price_usd")]
    assert set(price.id) == set(plan.scenario.gpu_tiers.index) and set(price.unit) == {"USD"}
    assert price.source.notna().all() and (price.source != "").all()
    assert ((assumptions.table == "policy") & (assumptions.field == "discount_rate")).sum() == 1
    assert ((assumptions.table == "sites") & (assumptions.field == "racks.air-40")).sum() == 1


def test_formula_like_text_is_written_as_text(plan, tmp_path):
    racks = plan.racks.copy()
    racks["site"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(racks))]
    path = write_workbook(dataclasses.replace(plan, racks=racks), tmp_path / "hostile.xlsx")
    sheet = openpyxl.load_workbook(path)["Racks"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == list(racks.site)
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert list(read_sheet(path, "Racks").site) == list(racks.site)


def test_not_computed_tables_say_how_to_compute_them(workbook):
    note = openpyxl.load_workbook(workbook)["Saving vs reference"]["A1"].value
    assert note.startswith("Not computed") and "aiopt.finance.saving" in note


def test_export_writes_the_workbook_of_a_plan_folder(plan, tmp_path, capsys):
    aiopt.write_plan(plan, tmp_path / "plan")
    run = json.loads((tmp_path / "plan" / "plan.json").read_text())["run"]
    assert run["status"] == "optimal" and len(run["scenario_sha256"]) == 16 and run["pyomo_version"]
    assert main(["export", str(tmp_path / "plan"), "--xlsx", str(tmp_path / "out.xlsx")]) == 0
    assert "out.xlsx" in capsys.readouterr().out
    for sheet, table in SHEETS.items():
        expected = getattr(plan, table).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            read_sheet(tmp_path / "out.xlsx", sheet), expected, check_dtype=False, check_exact=False
        )
    info = read_sheet(tmp_path / "out.xlsx", "Solve info").set_index("item").value
    assert info["catalog_sha256"] == run["catalog_sha256"] and info["status"] == "optimal"
    assert read_plan_dir(tmp_path / "plan").manifest == run
    assert not list(tmp_path.glob(".aiopt-*")), "the temporary file was renamed into place"


def test_export_of_a_folder_without_a_plan_is_bad_input(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--xlsx", str(tmp_path / "out.xlsx")]) == 2
    assert "plan.json" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("soffice") is None and os.environ.get("CI") != "true",
    reason=f"LibreOffice is not installed: {INSTALL_LIBREOFFICE}",
)
def test_libreoffice_opens_the_workbook(workbook, tmp_path):
    result = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
         "--outdir", str(tmp_path), str(workbook)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "scenario" in (tmp_path / "plan.csv").read_text(), "the first sheet, Summary, converted"
