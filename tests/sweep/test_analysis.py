"""Analysis of a results table: tornado data, Pareto rows, the epsilon-constraint spec.

The tables are written by hand (no solve), so every expected number is read off the input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import CATALOG_DIR, TINY

from aiopt.sweep import load_spec
from aiopt.sweep.analysis import epsilon_spec, pareto, tornado

POWER, RATE = "sites.lab.power_mw", "policy.discount_rate"


def results(rows: list[tuple]) -> pd.DataFrame:
    """A results table of (id, power, rate, status, npv, pflops) rows."""
    return pd.DataFrame(
        rows, columns=["id", POWER, RATE, "status", "npv_usd", "effective_pflops_final_year"]
    ).assign(case="")


def test_tornado_takes_the_rows_that_change_one_path_from_the_base():
    table = results(
        [
            ("base", np.nan, np.nan, "optimal", 100.0, 1.0),
            ("p-low", 1.0, np.nan, "optimal", 130.0, 1.0),
            ("p-high", 3.0, np.nan, "optimal", 90.0, 1.0),
            ("r-low", np.nan, 0.05, "optimal", 104.0, 1.0),
            ("r-high", np.nan, 0.10, "optimal", 97.0, 1.0),
            ("both", 3.0, 0.10, "optimal", 1.0, 1.0),  # changes two paths: not one-at-a-time
            ("failed", 5.0, np.nan, "infeasible", np.nan, np.nan),
        ]
    )
    bars = tornado(table, "npv_usd").set_index("path")
    assert list(bars.index) == [POWER, RATE]  # widest swing first
    assert bars.loc[POWER, ["value_low", "value_high", "kpi_low", "kpi_high", "swing"]].tolist() == [
        1.0,
        3.0,
        130.0,
        90.0,
        40.0,
    ]
    assert bars.loc[RATE, "swing"] == pytest.approx(7.0)
    assert bars.loc[RATE, "base_kpi"] == 100.0


def test_pareto_keeps_the_rows_no_other_row_beats_on_both_kpis():
    table = results(
        [
            ("cheap", 1, 0.1, "optimal", 10.0, 1.0),
            ("big", 1, 0.1, "optimal", 30.0, 5.0),
            ("middle", 1, 0.1, "optimal", 20.0, 3.0),
            ("worse", 1, 0.1, "optimal", 25.0, 2.0),  # dearer than middle and less capacity
            ("tied", 1, 0.1, "optimal", 20.0, 2.0),  # as dear as middle, less capacity
            ("failed", 1, 0.1, "infeasible", 1.0, 9.0),
        ]
    )
    front = pareto(table, "npv_usd", "effective_pflops_final_year")
    assert list(front.id) == ["cheap", "middle", "big"]


def test_epsilon_spec_is_a_valid_sweep_of_capacity_under_each_budget():
    document = epsilon_spec(str(TINY), [2e6, 4e6])
    checked = load_spec({**document, "catalog_dir": str(CATALOG_DIR)})
    assert [v.overrides for v in checked.variants] == [
        {"policy.objective": "max_capacity", "policy.capex_budget_usd": b} for b in (2e6, 4e6)
    ]
