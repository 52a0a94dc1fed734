"""Family 9, reliability: spare nodes, redundant spines, dual carriers, failure derating."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, group_by
from .fabric import design_sum


def add_reliability(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""N+k spares, two or more spines per fabric, two carriers where inference is served.

    Spares: :math:`spare_{g,t,s,y} \ge \sum_{w \in g} k_w\, run_{w,t,s,\cdot,y}` (k_w the
    workload's spare fraction); spares take nodes, racks, ports and power like any node.
    Every leaf has redundant uplinks: the design's spines (`fabric.design_sum`) :math:`\ge 2\, fabric_{s,f}`.
    A site serving inference needs two independent carriers:
    :math:`carrier_s \ge present_{w,s}` for inference w at sites with fewer than two.
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
        m.SF, rule=lambda m, s, f: design_sum(m, d, s, f, lambda size: size.spine) >= 2 * m.fabric[s, f]
    )
    short = [s for s in d.sites if sites.at[s, "carriers"] < 2]
    m.CARRIER = pyo.Set(initialize=short, ordered=True)
    m.second_carrier = pyo.Var(m.CARRIER, domain=pyo.Binary, doc="carriers added to reach two")
    m.dual_carriers = pyo.Constraint(
        [(w, s) for (w, s) in d.ws if s in short and d.kind[w] == "inference"],
        rule=lambda m, w, s: m.second_carrier[s] >= m.present[w, s],
    )
