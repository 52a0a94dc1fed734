"""The plan as an Excel workbook for finance: `write_workbook(plan, path)` (`Plan.to_excel`).

Sheets: Summary (status, gap, KPIs, saving against the reference design), Assumptions (every
input value with its unit and source), BOM by year, Costs cash, Costs book, Unit costs, Owned vs
rented, Racks, Saving vs reference, Policy costs, Solve info (the run manifest). Values are stored
as numbers (never formulas), units are in the headers (`usd [USD]`, as the CSV tables), header
rows are frozen, number formats and column widths set. A text cell starting with = + - @, a tab
or a carriage return is stored as text with Excel's quote prefix, so a site named
`=HYPERLINK(...)` can never become a formula. The file is written to a temporary file beside
`path`, then renamed into place. Needs openpyxl (`pip install aiopt[excel]`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .export import write_atomically
from .output_schema import header, unit_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {"USD": "#,##0", "fraction": "0.00%", "GPU-h": "#,##0", "USD/GPU-h": "#,##0.00", "kW": "#,##0.0"}
NOT_COMPUTED = {
    "saving": "Not computed: set plan.saving = aiopt.finance.saving(plan, aiopt.reference_plan(scenario)).",
    "policy_costs": "Not computed: set plan.policy_costs = aiopt.price_of_policy(scenario).",
}
MAX_WIDTH = 60


def bom(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What is installed each year: nodes and GPUs by tier, switches and NICs by fabric, storage
    units by tier, racks by type, per site."""
    parts = []
    for table, item, counts in (
        ("pools", "tier", ("installed_nodes", "bought_nodes", "gpus")),
        ("fabric", "fabric", ("switches", "nics", "links")),
        ("storage", "storage_tier", ("units",)),
        ("racks", "rack_type", ("racks",)),
    ):
        frame = tables[table]
        if frame.empty:
            continue
        long = frame.groupby(["year", "site", item], as_index=False)[list(counts)].sum()
        long = long.melt(id_vars=["year", "site", item], var_name="quantity", value_name="count")
        parts.append(long.rename(columns={item: "item"}).assign(kind=table))
    columns = ["year", "site", "kind", "item", "quantity", "count"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns].sort_values(["year", "site", "kind", "item"])


def sheets(plan) -> dict[str, pd.DataFrame | str]:
    """Sheet name -> table (or a one-cell note) for a `Plan` or a `read_plan_dir` plan."""
    tables, manifest = plan.tables(), plan.manifest
    head = [
        ("scenario", manifest["scenario"], ""),
        ("status", manifest["status"], ""),
        ("gap", manifest["gap"], "fraction"),
        ("summary", plan.summary(), ""),
    ]
    saving = tables["saving"]
    summary = pd.concat(
        [
            pd.DataFrame(head, columns=["metric", "value", "unit"]),
            tables["kpis"],
            pd.DataFrame(
                [(f"saving vs reference: {r.category}", r.saving_usd, "USD") for r in saving.itertuples()],
                columns=["metric", "value", "unit"],
            ),
        ],
        ignore_index=True,
    )
    info = [(k, v) for k, v in manifest.items() if k != "solver_options"]
    info += [(f"solver option {k}", v) for k, v in manifest["solver_options"].items()]
    info += [(k, v) for k, v in tables["solve_info"].iloc[0].items() if k not in manifest]
    return {
        "Summary": summary,
        "Assumptions": plan.assumptions,
        "BOM by year": bom(tables),
        "Costs cash": tables["cash"],
        "Costs book": tables["book"],
        "Unit costs": tables["unit_costs"],
        "Owned vs rented": tables["owned_vs_rented"],
        "Racks": tables["racks"],
        "Saving vs reference": saving if len(saving) else NOT_COMPUTED["saving"],
        "Policy costs": tables["policy_costs"]
        if len(tables["policy_costs"])
        else NOT_COMPUTED["policy_costs"],
        "Solve info": pd.DataFrame(info, columns=["item", "value"]),
    }


def cell_value(value):
    """A value openpyxl stores as itself: NumPy scalars as Python, NaN, NA, infinities and None as
    an empty cell."""
    if hasattr(value, "item"):
        value = value.item()
    if pd.isna(value) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _put(ws, row: int, column: int, value) -> None:
    """Write one cell; text that a spreadsheet would read as a formula is kept as text."""
    cell = ws.cell(row=row, column=column, value=cell_value(value))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.value = value
        cell.data_type = "s"
        cell.quotePrefix = True


def _write_sheet(ws, content: pd.DataFrame | str) -> None:
    from openpyxl.utils import get_column_letter

    if isinstance(content, str):
        _put(ws, 1, 1, content)
        ws.column_dimensions["A"].width = min(len(content), 120)
        return
    headers = [header(c) for c in content.columns]
    for j, text in enumerate(headers, start=1):
        _put(ws, 1, j, text)
    for i, values in enumerate(content.itertuples(index=False), start=2):
        for j, value in enumerate(values, start=1):
            _put(ws, i, j, value)
    for j, column in enumerate(content.columns, start=1):
        fmt = FORMATS.get(unit_of(column) or "")
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        longest = max([len(headers[j - 1]), *(len(f"{v:,.2f}" if isinstance(v, float) else str(v))
                                                for v in content[column].head(500))])  # fmt: skip
        ws.column_dimensions[get_column_letter(j)].width = min(longest + 2, MAX_WIDTH)
    ws.freeze_panes = "A2"


def write_workbook(plan, path: str | Path) -> Path:
    """Write the workbook of `plan` (a `Plan` or `aiopt.export.read_plan_dir`'s) to `path`,
    atomically: a temporary file beside it, renamed into place."""
    try:
        from openpyxl import Workbook
    except ImportError as exc:
        raise ImportError("the workbook needs openpyxl: pip install 'aiopt[excel]'") from exc
    book = Workbook()
    book.remove(book.active)
    for name, content in sheets(plan).items():
        _write_sheet(book.create_sheet(name), content)
    return write_atomically(path, book.save)
