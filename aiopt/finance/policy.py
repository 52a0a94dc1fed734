"""The price of policy: what each policy a scenario sets costs, from paired solves.

Each policy is relaxed by the edit that removes it (a sweep override, applied with
`Scenario.with_policy`, `with_values` or `with_all`, so every variant is checked like any
scenario), and the plan as given is compared with the plan without it:
:math:`cost = NPV_{with} - NPV_{without}` (USD), and per year the level yearly payment of the
same NPV, :math:`cost / \\sum_y \\delta_y` with :math:`\\delta_y = (1+r)^{-(y-y_0)}` the model's
discount factors (an annuity over the horizon). A cost near zero means the policy does not bind.
Both solves stop at the same gap, so a cost smaller than the gaps shown is within solver tolerance.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem, SolveError
from ..load import load_scenario
from ..model.params import param_values
from ..results import POLICY_COST_COLUMNS
from ..scenario import Scenario
from ..sweep import sweep
from ..sweep.spec import apply

AS_GIVEN = "as given"
COLUMNS = [*POLICY_COST_COLUMNS, "gap_with", "gap_without", "relaxed_by"]


def relaxations(sc: Scenario) -> dict[str, tuple[str, str, dict]]:
    """{case name: (policy, detail, overrides)}: one sweep case per policy the scenario sets.

    Per workload: compliance, residency (`region`), dedicated tenancy, isolation, allowed tiers
    and software stacks; for all workloads at once: spare fractions; policy: capex budgets
    (total and yearly), power headroom (`max_power_utilisation` below 1) and pool maintenance
    slack (`max_pool_utilisation` below 1).
    """
    cases = {}
    wl = sc.workloads
    per_workload = (
        ("compliance", lambda row: bool(row.compliance), (), lambda row: ", ".join(row.compliance)),
        ("region", lambda row: isinstance(row.region, str), None, lambda row: f"resident in {row.region}"),
        ("dedicated", lambda row: bool(row.dedicated), False, lambda row: "dedicated-tenancy sites"),
        ("isolated", lambda row: bool(row.isolated), False, lambda row: "own nodes, racks and leaves"),
        ("tiers", lambda row: bool(row.tiers), (), lambda row: "only " + ", ".join(row.tiers)),
        ("stacks", lambda row: bool(row.stacks), (), lambda row: "only " + ", ".join(row.stacks)),
    )
    for name, sets, relaxed, detail in per_workload:
        for w, row in wl.iterrows():
            if sets(row):
                value = list(relaxed) if isinstance(relaxed, tuple) else relaxed
                cases[f"{name}:{w}"] = (name, f"{w}: {detail(row)}", {f"workloads.{w}.{name}": value})
    if (wl.spare_fraction > 0).any():
        spares = ", ".join(f"{w} {f:g}" for w, f in wl.spare_fraction.items() if f > 0)
        cases["spare_fraction"] = ("spare_fraction", spares, {"workloads.*.spare_fraction": 0.0})
    policy = sc.policy
    for name in ("capex_budget_usd", "capex_budget_per_year_usd"):
        if policy.get(name) is not None:
            cases[name] = (name, f"{policy[name]:,.0f} USD", {f"policy.{name}": None})
    for name in ("max_power_utilisation", "max_pool_utilisation"):
        if policy[name] < 1:
            cases[name] = (name, f"{policy[name]:g} of capacity", {f"policy.{name}": 1.0})
    return cases


def price_of_policy(
    scenario: Scenario | str | Path,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    backend: str = "processes",
    workers: int | None = None,
    catalog_dir: str | Path | None = None,
) -> pd.DataFrame:
    """What each policy of `scenario` costs: one row per `relaxations` case, columns policy,
    detail, npv_with_usd, npv_without_usd, cost_npv_usd, cost_per_year_usd (annuity, module
    docstring), status_with, status_without, gap_with, gap_without and relaxed_by (the override).

    A scenario file (path) is solved with the sweep machinery (`aiopt.sweep`) on `backend`
    (serial, processes or dask) with `workers`; a Scenario object is solved here, one variant
    after another, by the same edits (sweep workers load their base from a file, and a Scenario
    may have been edited since it was read). NPVs of a variant without a plan are NaN, and its
    status says why (infeasible, no_solution, invalid). Min-NPV scenarios only: under
    max_capacity the budget sets the scale, so NPVs are not comparable (`InputError`).
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, catalog_dir)
    if base.policy["objective"] != "min_npv":
        fix = "the price of policy compares NPVs at the same demand; set objective: min_npv"
        raise InputError([Problem(base.name, "policy", "objective", base.policy["objective"], fix)])
    cases = relaxations(base)
    variants = {AS_GIVEN: {}, **{name: overrides for name, (_, _, overrides) in cases.items()}}
    if isinstance(scenario, Scenario):
        rows = {
            name: _solve_here(base, overrides, time_limit, rel_gap) for name, overrides in variants.items()
        }
    else:
        rows = _solve_by_sweep(Path(scenario), catalog_dir, variants, time_limit, rel_gap, backend, workers)
    given = rows[AS_GIVEN]
    annuity = sum(param_values(base, base.years)["discount"].values())
    table = []
    for name, (policy, detail, overrides) in cases.items():
        without = rows[name]
        cost = given["npv_usd"] - without["npv_usd"]
        table.append(
            dict(
                policy=policy,
                detail=detail,
                npv_with_usd=given["npv_usd"],
                npv_without_usd=without["npv_usd"],
                cost_npv_usd=cost,
                cost_per_year_usd=cost / annuity,
                status_with=given["status"],
                status_without=without["status"],
                gap_with=given["gap"],
                gap_without=without["gap"],
                relaxed_by="; ".join(f"{path}={value!r}" for path, value in overrides.items()),
            )
        )
    return pd.DataFrame(table, columns=COLUMNS)


def _solve_here(base: Scenario, overrides: dict, time_limit: float, rel_gap: float) -> dict:
    """Status, gap and NPV of one variant, solved in this process."""
    from ..pipeline import solve  # the pipeline imports this package

    try:
        plan = solve(apply(base, overrides), time_limit=time_limit, rel_gap=rel_gap, progress=False)
    except InputError as exc:
        return dict(status="invalid", gap=math.nan, npv_usd=math.nan, error=str(exc))
    except SolveError as exc:
        return dict(status=exc.status.value, gap=math.nan, npv_usd=math.nan, error=str(exc))
    gap = math.nan if plan.gap is None else plan.gap
    return dict(status=plan.status.value, gap=gap, npv_usd=plan.kpi("npv_usd"), error=None)


def _solve_by_sweep(path, catalog_dir, variants, time_limit, rel_gap, backend, workers) -> dict:
    """Status, gap and NPV of every variant, solved as sweep cases of the scenario file."""
    spec = {
        "base": str(path.resolve()),
        "solve": {"time_limit": float(time_limit), "rel_gap": float(rel_gap), "warm": False},
        "cases": variants,
    }
    if catalog_dir is not None:
        spec["catalog_dir"] = str(Path(catalog_dir).resolve())
    table = sweep(spec, backend=backend, workers=workers, progress=False).set_index("case")
    npv = table["npv_usd"] if "npv_usd" in table else pd.Series(math.nan, index=table.index)
    return {
        name: dict(status=table.at[name, "status"], gap=table.at[name, "gap"], npv_usd=npv[name])
        for name in variants
    }
