"""Family 10, software stacks: a plan pays for each stack its GPU tiers run on."""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData, group_by, previous
from .rent import renting


def tier_stacks(d: ModelData) -> dict[str, str]:
    """The stack of each tier that names one, {tier: stack}."""
    stack = d.scenario.gpu_tiers["stack"]
    return {t: stack[t] for t in d.tiers if isinstance(stack[t], str)}


def add_stacks(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""A stack is adopted once and kept: any installed node of a tier of stack k needs it.

    :math:`nodes_{g,t,s,y} \le N_{t,s}\, used_{k(t),y}` (N the site's rack bound on tier t) and,
    for a training run and a serving workload on one tier, the same rule tighter in the LP
    relaxation: its choices of tiers of stack k exclude each other, so
    :math:`\sum_{t \in k, s} pick_{w,t,s,y} \le used_{k,y}` and
    :math:`\sum_{t \in k} tier_{w,t,y} \le used_{k,y}`; a rented run or rented replicas need their
    tier's stack as much,
    :math:`rent_{w,o,y} \le used_{k(o),y}` (the team ports and runs the software wherever the GPUs
    are). Once adopted a stack stays, :math:`used_{k,y} \ge used_{k,y-1}`: its porting
    and validation are done and its team is kept. Adopting it costs its one-time price in that
    year, :math:`adopt_{k,y} = used_{k,y} - used_{k,y-1}`, and its annual price each year it is
    used (family `cost`). Workloads that list stacks only get tiers of those stacks (data).
    """
    stack_of = tier_stacks(d)
    offers = d.scenario.cloud_offers
    rented = [(i, offers.at[i[1], "tier"]) for i in (*m.RENT, *m.RENT_SERVE)]
    rented = [(i, t) for (i, t) in rented if t in stack_of]
    used = sorted({stack_of[t] for (_, t, _) in d.gts if t in stack_of} | {stack_of[t] for _, t in rented})
    m.STACK = pyo.Set(initialize=used, ordered=True)
    m.stack_used = pyo.Var(m.STACK, m.Y, domain=pyo.Binary, doc="software stack adopted by this year")
    pools = [i for i in m.NODE if i[1] in stack_of]
    m.stack_for_nodes = pyo.Constraint(
        pools,
        rule=lambda m, g, t, s, y: m.nodes[g, t, s, y] <= d.max_nodes[t, s] * m.stack_used[stack_of[t], y],
    )
    picks = group_by([i for i in m.PICK if i[1] in stack_of], lambda i: (i[0], stack_of[i[1]], i[3]))
    m.stack_for_runs = pyo.Constraint(
        list(picks), rule=lambda m, w, k, y: sum(m.pick[i] for i in picks[w, k, y]) <= m.stack_used[k, y]
    )
    served = group_by([i for i in m.SERVE_TIER if i[1] in stack_of], lambda i: (i[0], stack_of[i[1]], i[2]))
    m.stack_for_serving = pyo.Constraint(
        list(served),
        rule=lambda m, w, k, y: sum(m.serve_tier[i] for i in served[w, k, y]) <= m.stack_used[k, y],
    )
    m.stack_for_rent = pyo.Constraint(
        [i for i, _ in rented],
        rule=lambda m, w, o, y: renting(m, (w, o, y)) <= m.stack_used[stack_of[offers.at[o, "tier"]], y],
    )
    m.stack_kept = pyo.Constraint(
        [(k, y) for k in used for y in d.years[1:]],
        rule=lambda m, k, y: m.stack_used[k, y] >= previous(m.stack_used, (k,), y, d.years),
    )
    m.stack_adopted = pyo.Expression(
        m.STACK, m.Y, rule=lambda m, k, y: m.stack_used[k, y] - previous(m.stack_used, (k,), y, d.years)
    )
