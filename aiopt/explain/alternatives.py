r"""Near-optimal alternatives: plans within a few per cent of the least NPV that decide differently.

Modelling to generate alternatives (Hop-Skip-Jump, as in PyPSA's and Calliope's SPORES): solve
for the least NPV :math:`NPV^*`, then keep every plan within the band
:math:`NPV \le NPV^* + slack\,|NPV^*|` and maximise the distance from the plans found so far.
The decisions compared are classes c of yes/no indicators :math:`u_{c,j}`: GPU tiers and vendors
owned, sites with nodes, compute fabrics used, renting at all, each linked to the model's counts x by
:math:`u \le \sum x \le M u` (x whole numbers, M their bound). The distance of a plan from an
earlier one p is a weighted Hamming distance, linear in u,

.. math::
    dist(u, p) = \sum_c \frac{w_c}{|J_c|} \sum_{j \in J_c} (u_{c,j} (1 - p_{c,j}) + (1 - u_{c,j}) p_{c,j})

with the weights `WEIGHTS` (each class counts as much as any other: at most :math:`w_c` apart).
Alternative k maximises :math:`\sum_{p < k} dist(u, p)`; its decisions u are then kept and the
least NPV with them solved, so each alternative is the cheapest plan of its own pattern (no cost
the distance objective left in for free). It stops early when the farthest pattern in the band is
one found already (by the triangle inequality any other lies between those found).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

from ..errors import InputError, Problem
from ..load import load_scenario
from ..model import build_model
from ..results import Plan, read_plan
from ..scenario import Scenario
from ..solve import solve_model

WEIGHTS = {"tiers": 1.0, "vendors": 1.0, "sites": 1.0, "fabrics": 1.0, "rent": 1.0}
COLUMNS = [
    "plan",
    "npv_usd",
    "extra_cost_share",
    "tiers",
    "vendors",
    "sites",
    "fabrics",
    "rented_gpu_hours_share",
    "distance",
]


def alternatives(
    scenario: Scenario | str | Path,
    n: int = 3,
    slack: float = 0.05,
    time_limit: float = 60.0,
    rel_gap: float = 0.01,
    weights: dict | None = None,
) -> tuple[pd.DataFrame, list[Plan]]:
    """Up to `n` plans within `slack` (a share) of the least NPV, as different as possible from it
    and from each other (module docstring), and the optimal plan first.

    Returns (table, plans): the table has one row per plan, "optimal", "alt-1", ... with npv_usd,
    extra_cost_share (NPV over the optimum's, less 1), the tiers and vendors owned (GPUs at the
    peak), sites and fabrics used, rented_gpu_hours_share and the weighted distance from the
    optimal plan (`WEIGHTS` unless `weights` says otherwise). It takes up to 2n + 1 MIP solves,
    each given `time_limit` s and stopped at `rel_gap`: the band is relative to the optimum found.
    Raises InputError for a max_capacity scenario or a slack outside [0, 1], SolveError when a
    solve finds no plan.
    """
    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_request(scenario, slack)
    weights = {**WEIGHTS, **(weights or {})}
    model = build_model(scenario)
    settings = dict(time_limit=time_limit, rel_gap=rel_gap, progress=False, warm=False)
    optimal = read_plan(model, solve_model(model, **settings))
    best = pyo.value(model.npv)
    classes = _indicators(model)
    patterns, plans = [_pattern(model, classes)], [optimal]
    model.objective.deactivate()
    model.mga_band = pyo.Constraint(expr=model.npv <= best + slack * abs(best))
    for _ in range(n):
        model.mga_distance = pyo.Objective(
            expr=sum(_distance(model.mga_uses, p, classes, weights) for p in patterns), sense=pyo.maximize
        )
        solve_model(model, **settings)
        model.del_component(model.mga_distance)
        pattern = _pattern(model, classes)
        if any(_apart(pattern, p, classes, weights) < 1e-9 for p in patterns):
            break
        plans.append(_cheapest_with(model, pattern, settings))
        patterns.append(pattern)
    table = pd.DataFrame(
        [
            _row(name, plan, optimal, _apart(pattern, patterns[0], classes, weights))
            for name, plan, pattern in zip(_names(len(plans)), plans, patterns, strict=True)
        ],
        columns=COLUMNS,
    )
    return table, plans


def _check_request(scenario: Scenario, slack: float) -> None:
    """InputError unless the scenario minimises NPV and the slack is a share between 0 and 1."""
    problems = []
    if scenario.policy["objective"] != "min_npv":
        problems.append(
            ("policy.objective", scenario.policy["objective"], "alternatives need objective min_npv")
        )
    if not 0 <= slack <= 1:
        problems.append(("slack", slack, "a share of the optimal NPV between 0 and 1, e.g. 0.05 for 5%"))
    if problems:
        raise InputError([Problem(f"scenario '{scenario.name}'", "alternatives", *p) for p in problems])


def _names(count: int) -> list[str]:
    return ["optimal", *(f"alt-{k}" for k in range(1, count))]


def _indicators(model: pyo.ConcreteModel) -> dict:
    """{class: {j: (sum of whole-number decisions, its upper bound M)}} and the indicators
    `model.mga_uses[c, j]` linked to them, :math:`u \\le \\sum x \\le M u`."""
    d, years = model.data, len(model.Y)
    vendor = d.scenario.gpu_tiers.vendor
    nodes_of = {t: [i for i in model.NODE if i[1] == t] for t in model.T}
    bound = {t: len(d.groups) * years * sum(d.max_nodes.get((t, s), 0) for s in model.S) for t in model.T}
    rents = len(model.RENT) + len(model.RENT_SERVE)
    rented = sum(model.rent[i] for i in model.RENT) + sum(model.rent_serves[i] for i in model.RENT_SERVE)
    classes = {
        "tiers": {t: (sum(model.nodes[i] for i in nodes_of[t]), bound[t]) for t in model.T},
        "vendors": {
            v: (
                sum(model.nodes[i] for t in model.T if vendor[t] == v for i in nodes_of[t]),
                sum(bound[t] for t in model.T if vendor[t] == v),
            )
            for v in sorted({vendor[t] for t in model.T})
        },
        "sites": {
            s: (
                sum(model.nodes[i] for i in model.NODE if i[2] == s),
                len(d.groups) * years * sum(d.max_nodes.get((t, s), 0) for t in model.T),
            )
            for s in model.S
        },
        "fabrics": {f: (sum(model.fabric[s, f] for s in model.S), len(model.S)) for f in model.F},
        "rent": {"rent": (rented, rents)} if rents else {},
    }
    index = [(c, j) for c, members in classes.items() for j in members]
    model.MGA = pyo.Set(initialize=index, dimen=2, ordered=True)
    model.mga_uses = pyo.Var(model.MGA, domain=pyo.Binary, doc="the plan uses this tier, vendor, site, ...")
    model.mga_used_if_any = pyo.Constraint(
        model.MGA, rule=lambda m, c, j: m.mga_uses[c, j] <= classes[c][j][0]
    )
    model.mga_any_if_used = pyo.Constraint(
        model.MGA, rule=lambda m, c, j: classes[c][j][0] <= classes[c][j][1] * m.mga_uses[c, j]
    )
    return classes


def _pattern(model: pyo.ConcreteModel, classes: dict) -> dict:
    """{(class, j): 0 or 1} of the plan the model holds."""
    return {
        (c, j): int(pyo.value(x) > 0.5) for c, members in classes.items() for j, (x, _) in members.items()
    }


def _distance(uses, pattern: dict, classes: dict, weights: dict):
    """dist(u, p) of the module docstring, a linear expression in the indicators u (or a number)."""
    return sum(
        weights[c] / len(members) * (1 - uses[c, j] if pattern[c, j] else uses[c, j])
        for c, members in classes.items()
        for j in members
    )


def _apart(pattern: dict, other: dict, classes: dict, weights: dict) -> float:
    """dist between two patterns."""
    return float(_distance(pattern, other, classes, weights))


def _cheapest_with(model: pyo.ConcreteModel, pattern: dict, settings: dict) -> Plan:
    """The least-NPV plan with the indicators at `pattern` (still within the band)."""
    for key, value in pattern.items():
        model.mga_uses[key].fix(value)
    model.objective.activate()
    try:
        return read_plan(model, solve_model(model, **settings))
    finally:
        model.objective.deactivate()
        model.mga_uses.unfix()


def _row(name: str, plan: Plan, optimal: Plan, distance: float) -> dict:
    """One column of the side-by-side table, from the plan's own tables."""
    pools, tiers = plan.pools, plan.scenario.gpu_tiers
    peak = pools.groupby(["tier", "year"]).gpus.sum().groupby("tier").max() if len(pools) else pd.Series()
    by_vendor = pools.assign(vendor=pools.tier.map(tiers.vendor)).groupby(["vendor", "year"]).gpus.sum()
    npv = plan.kpi("npv_usd")
    return dict(
        plan=name,
        npv_usd=npv,
        extra_cost_share=npv / optimal.kpi("npv_usd") - 1,
        tiers=_listed(peak),
        vendors=_listed(by_vendor.groupby("vendor").max() if len(pools) else pd.Series()),
        sites=";".join(sorted(pools.site.unique())),
        fabrics=";".join(sorted(plan.fabric.fabric.unique())),
        rented_gpu_hours_share=plan.kpi("rented_gpu_hours_share"),
        distance=distance,
    )


def _listed(gpus: pd.Series) -> str:
    """E.g. "a=64;b=16": GPUs at the peak year, by tier or vendor."""
    return ";".join(f"{key}={int(value)}" for key, value in gpus.items() if value > 0)
