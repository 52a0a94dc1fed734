"""The CSV form of a plan's tables: units in the headers, values rounded for reading.

Header convention: a column measured in a unit is headed `<column> [<unit>]`, its name in the
`Plan` DataFrame and in plan.json followed by the unit in square brackets (`kw_used [kW]`,
`usd [USD]`, `gap [fraction]`). A header without brackets is an identifier, a calendar year, a
flag, text, or a count of what it names (`racks`, `gpus`, `installed_nodes`). The `kpis`
table's `value` column has one unit per row, given in its `unit` column; `solve_info`'s
`incumbent` and `bound` are in the objective's units (MUSD for min_npv) and written as solved.
`column_name(header)` strips the brackets again, and `read_csv` reads a table back.

Rounding: USD to the cent, kW to the watt (0.001 kW: energy recomputed from the written IT load
then matches the written energy cost within the plan checker's 1e-6), seconds to the
millisecond; every other measured value and every fractional count (a workload's share of a
pool's nodes) to 6 significant digits. A whole number is written without a decimal point, so
integer counts stay integers. plan.json keeps full precision.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

COUNTS = frozenset(
    {
        "nodes",
        "gpus",
        "installed_nodes",
        "job_nodes",
        "replicas",
        "runs_per_year",
        "run",
        "bought_nodes",
        "spare_nodes",
        "racks",
        "nodes_per_rack_max",
        "design_units",
        "built_units",
        "scalable_units",
        "leaf",
        "spine",
        "core",
        "switches",
        "nics",
        "onchip_ports",
        "nics_bought",
        "onchip_bought",
        "links",
        "port_capacity",
        "units",
        "expansion_blocks_online",
        "expansion_blocks_ordered",
        "year",
        "threads",
        "seed",
    }
)
AS_SOLVED = frozenset({"incumbent", "bound"})  # the objective's own units, full precision
UNITS = {
    "usd": "USD",
    "discounted_usd": "USD",
    "node_kw": "kW",
    "kw_used": "kW",
    "kw_limit": "kW",
    "it_kw": "kW",
    "gear_kw": "kW",
    "facility_kw": "kW",
    "ru_used": "U",
    "ru_limit": "U",
    "effective_pflops": "PFLOPS",
    "required_pflops": "PFLOPS",
    "tokens_per_s": "output tokens/s",
    "required_tokens_per_s": "output tokens/s",
    "tb": "TB",
    "hot_tb_used": "TB",
    "cold_tb_used": "TB",
    "hot_tb": "TB",
    "cold_tb": "TB",
    "read_gbps": "Gbps",
    "write_gbps": "Gbps",
    "pue": "ratio",
    "gap": "fraction",
    "npv_gap": "fraction",
    "rel_gap_target": "fraction",
    "time_limit": "s",
    "run_days": "days",
    "start_day": "day",
    "end_day": "day",
    "installed_gpu_hours": "GPU-h",
    "used_gpu_hours": "GPU-h",
    "utilisation": "fraction",
    "usd_per_installed_gpu_hour": "USD/GPU-h",
    "usd_per_used_gpu_hour": "USD/GPU-h",
    "gpu_hours": "GPU-h",
    "egress_usd": "USD",
    "owned_gpu_hours": "GPU-h",
    "rented_gpu_hours": "GPU-h",
    "rented_share": "fraction",
    "owned_usd_per_gpu_year": "USD/GPU-yr",
    "rent_usd_per_gpu_hour": "USD/GPU-h",
    "break_even_utilisation": "fraction",
    "one_time_usd": "USD",
    "annual_usd": "USD",
    "liquid_kw": "kW",
    "colocation_billed_kw": "kW",
    # finance views, saving against the reference design, price of policy
    "depreciation_usd": "USD",
    "book_value_usd": "USD",
    "gpu_hours_used": "GPU-h",
    "cost_usd": "USD",
    "pflop_days": "PFLOP-days",
    "usd_per_pflop_day": "USD/PFLOP-day",
    "optimised_npv_usd": "USD",
    "reference_npv_usd": "USD",
    "saving_usd": "USD",
    "npv_with_usd": "USD",
    "npv_without_usd": "USD",
    "cost_npv_usd": "USD",
    "cost_per_year_usd": "USD",
}
DECIMALS = {"USD": 2, "kW": 3, "s": 3}
SIGNIFICANT = 6
_BRACKETS = re.compile(r" \[[^\]]*\]$")


def unit_of(column: str) -> str | None:
    """The unit of a column, None for identifiers, counts and text (`seconds_<stage>` are s)."""
    return "s" if column.startswith("seconds_") else UNITS.get(column)


def header(column: str) -> str:
    unit = unit_of(column)
    return f"{column} [{unit}]" if unit else column


def column_name(header: str) -> str:
    """`kw_used [kW]` -> `kw_used`: the plan's column behind a CSV header."""
    return _BRACKETS.sub("", header)


def rounded(value, unit: str | None):
    """`value` rounded for its unit (see the module docstring); ints, text, flags and NaN as given."""
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    if not value.is_integer():  # whole numbers, however large, are kept exactly
        value = round(float(value), DECIMALS[unit]) if unit in DECIMALS else float(f"{value:.{SIGNIFICANT}g}")
    return int(value) if value.is_integer() else value


def csv_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as written to `<table>.csv`: values rounded, units in the headers."""
    out = pd.DataFrame(index=frame.index)
    for column, values in frame.items():
        if column in AS_SOLVED:
            out[column] = values
            continue
        units = frame["unit"] if (table, column) == ("kpis", "value") else [unit_of(column)] * len(frame)
        written = [rounded(v, u) for v, u in zip(values, units, strict=True)]
        out[column] = pd.Series(written, index=frame.index, dtype=object)
    return out.rename(columns=header)


def read_csv(path: str | Path) -> pd.DataFrame:
    """A table written by `aiopt solve`, with the plan's column names (units stripped)."""
    return pd.read_csv(path).rename(columns=column_name)
