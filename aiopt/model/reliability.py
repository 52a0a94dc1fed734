"""Family 9, reliability: spare nodes, redundant spines, dual carriers, failure derating."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, group_by
from .fabric import built_sum


def add_reliability(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""N+k spares, two or more spines per fabric, two carriers where inference is served.

    Spares: :math:`spare_{g,t,s,y} \ge \sum_{w \in g} k_w\, run_{w,t,s,\cdot,y}` (k_w the
    workload's spare fraction); spares take nodes, racks, ports and power like any node.
    Every leaf has redundant uplinks from its first year: the spines built (`fabric.built_sum`)
    :math:`\ge 2\, built_{s,f,1,y}`. A site needs two independent carriers in the years it serves
    inference: :math:`carrier_{s,y} \ge present_{w,s}` for inference w active in year y at sites
    with fewer than two.
    Failures and checkpoint restarts derate training throughput by the Young/Daly goodput
    (`demand.goodput`), applied in the demand coefficients of family 1.
    """
    wl, sites = d.scenario.workloads, d.scenario.sites
    pool_runs = group_by(d.run_index, lambda i: (d.group_of[i[0]], i[1], i[2], i[4]))
    m.spares_held = pyo.Constraint(
        [i for i in m.NODE if i in pool_runs],
        rule=lambda m, g, t, s, y: (
            m.spare[g, t, s, y]
            >= sum(wl.at[i[0], "spare_fraction"] * m.run[i] for i in pool_runs[g, t, s, y])
        ),
    )
    m.redundant_spines = pyo.Constraint(
        [(s, f, y) for (s, f) in d.design_limit for y in d.years],
        rule=lambda m, s, f, y: built_sum(m, d, s, f, y, lambda size: size.spine) >= 2 * m.built[s, f, 1, y],
    )
    short = [s for s in d.sites if sites.at[s, "carriers"] < 2]
    m.CARRIER = pyo.Set(initialize=[(s, y) for s in short for y in d.years], dimen=2, ordered=True)
    m.second_carrier = pyo.Var(m.CARRIER, domain=pyo.Binary, doc="carriers added to reach two")
    m.dual_carriers = pyo.Constraint(
        [(w, s, y) for (w, s) in d.ws if s in short and d.kind[w] == "inference" for y in d.active_years[w]],
        rule=lambda m, w, s, y: m.second_carrier[s, y] >= serves(m, w, s, y),
    )


def serves(m: pyo.ConcreteModel, w: str, s: str, y: int):
    """Inference w is served at site s in year y (its presence there; active years only)."""
    return m.present[w, s]
