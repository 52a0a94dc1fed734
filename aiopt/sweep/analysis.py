"""Reading a sweep's results table: sensitivity, Pareto rows, plan differences. Plain DataFrames.

`tornado` is one-at-a-time sensitivity around a base row, `pareto` the non-dominated rows of
two KPIs, `epsilon_spec` a sweep spec that traces the cost/capacity frontier (maximum capacity
under a ladder of capex budgets), `compare_plans` two variants' plans table by table (plans
written with `keep_plans`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from aiopt.results import Plan

SOLVED = ("optimal", "time_limit")
TORNADO = ["path", "base_value", "value_low", "value_high", "base_kpi", "kpi_low", "kpi_high", "swing"]


def override_columns(table: pd.DataFrame) -> list[str]:
    """The results table's override columns (dotted paths)."""
    return [c for c in table.columns if "." in c and not c.startswith("seconds_")]


def tornado(table: pd.DataFrame, kpi: str = "npv_usd", base: str | None = None) -> pd.DataFrame:
    r"""One-at-a-time sensitivity of `kpi`, one row per override path, widest swing first.

    The base is the row with id `base` (default: the row without overrides). For each path,
    the solved rows that differ from the base in that path alone give `kpi_low` / `kpi_high`
    (the KPI at the path's lowest / highest value, `value_low` / `value_high`) and
    :math:`swing = \max kpi - \min kpi` over those rows and the base.
    """
    paths = override_columns(table)
    if base is None:
        plain = table[table[paths].isna().all(axis=1)] if paths else table
        if plain.empty:
            raise ValueError("no row without overrides to be the base; pass base=<variant id>")
        base_row = plain.iloc[0]
    else:
        base_row = table.set_index("id").loc[base]
    solved = table[table.status.isin(SOLVED)]
    same = {p: _equal(solved[p], base_row[p]) for p in paths}
    rows = []
    for path in paths:
        others = [same[p] for p in paths if p != path]
        varied = solved[np.logical_and.reduce(others) & ~same[path]] if others else solved[~same[path]]
        if varied.empty:
            continue
        low, high = varied.loc[varied[path].idxmin()], varied.loc[varied[path].idxmax()]
        values = [*varied[kpi], base_row[kpi]]
        rows.append(
            dict(
                path=path,
                base_value=base_row[path],
                value_low=low[path],
                value_high=high[path],
                base_kpi=base_row[kpi],
                kpi_low=low[kpi],
                kpi_high=high[kpi],
                swing=np.nanmax(values) - np.nanmin(values),
            )
        )
    frame = pd.DataFrame(rows, columns=TORNADO)
    return frame.sort_values("swing", ascending=False, ignore_index=True)


def _equal(column: pd.Series, value) -> pd.Series:
    """Cells equal to `value`, a missing value equal to a missing one."""
    if pd.isna(value):
        return column.isna()
    return column == value


def pareto(table: pd.DataFrame, x: str, y: str, x_better: str = "min", y_better: str = "max") -> pd.DataFrame:
    """The solved rows no other solved row beats on both `x` and `y` (at least as good on both,
    better on one), sorted by `x`. `x_better` / `y_better`: "min" or "max"."""
    signs = {"min": 1.0, "max": -1.0}
    solved = table[table.status.isin(SOLVED)].dropna(subset=[x, y])
    points = np.column_stack([signs[x_better] * solved[x].to_numpy(), signs[y_better] * solved[y].to_numpy()])
    dominated = [
        bool(np.any(np.all(points <= point, axis=1) & np.any(points < point, axis=1))) for point in points
    ]
    return solved[~np.array(dominated, dtype=bool)].sort_values(x, ignore_index=True)


def epsilon_spec(base: str, budgets: Sequence[float], path: str = "policy.capex_budget_usd") -> dict:
    """A sweep spec (mapping) tracing the cost vs delivered-capacity frontier by the epsilon-
    constraint method: one case per budget, each maximising the demand multiple under it
    (`objective: max_capacity`). `pareto(table, "capex_usd", "demand_scale")` reads it."""
    return {
        "base": base,
        "cases": {f"budget-{b:g}": {"policy.objective": "max_capacity", path: float(b)} for b in budgets},
    }


def compare_plans(a: Plan | str | Path, b: Plan | str | Path, tolerance: float = 1e-9) -> pd.DataFrame:
    """Where two plans differ, table by table: columns table, key, column, a, b, change.

    `a` and `b` are Plans or plan folders (`OUT/plans/<id>` of a sweep with `keep_plans`).
    Rows are matched on their text and year columns (`key`, e.g. "tier=h100, site=us, year=2027");
    a row only one plan has counts as zero in the other.
    """
    tables_a, tables_b = _tables(a), _tables(b)
    found = []
    for name in [t for t in tables_a if t in tables_b and t != "solve_info"]:
        left, right = tables_a[name], tables_b[name]
        keys = [c for c in left.columns if c == "year" or not pd.api.types.is_numeric_dtype(left[c])]
        numbers = [c for c in left.columns if c not in keys and c in right.columns]
        if not numbers:
            continue
        merged = pd.merge(
            _summed(left, keys, numbers),
            _summed(right, keys, numbers),
            on=keys,
            how="outer",
            suffixes=("_a", "_b"),
        )
        for column in numbers:
            values_a, values_b = merged[f"{column}_a"].fillna(0.0), merged[f"{column}_b"].fillna(0.0)
            differ = (values_a - values_b).abs() > tolerance * np.maximum(1.0, values_a.abs())
            for i in np.flatnonzero(differ.to_numpy()):
                key = ", ".join(f"{k}={merged[k].iloc[i]}" for k in keys)
                found.append((name, key, column, values_a.iloc[i], values_b.iloc[i]))
    frame = pd.DataFrame(found, columns=["table", "key", "column", "a", "b"])
    frame["change"] = frame.b - frame.a
    return frame


def _summed(frame: pd.DataFrame, keys: list[str], numbers: list[str]) -> pd.DataFrame:
    numeric = frame[numbers].apply(pd.to_numeric, errors="coerce").astype(float)
    if not keys:
        return numeric.sum().to_frame().T
    return pd.concat([frame[keys].astype(str), numeric], axis=1).groupby(keys, as_index=False).sum()


def _tables(plan: Plan | str | Path) -> Mapping[str, pd.DataFrame]:
    if isinstance(plan, Plan):
        return plan.tables()
    return {path.stem: pd.read_csv(path) for path in sorted(Path(plan).glob("*.csv"))}
