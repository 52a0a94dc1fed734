"""Family rent (built before compute): a training run, or part of a service, on rented cloud GPUs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from .. import demand
from ..rules import memory_fit_issue, precision_issue, site_lacks
from ..throughput import serve
from .data import ModelData, _model_row, _tier_row, group_by, node_rate, training_throughput
from .params import MUSD, param_values


@dataclass(frozen=True)
class RentOption:
    """What renting offer o for workload w costs and delivers per GPU (a serving replica: per replica)."""

    gpus: int  # serving: GPUs of one replica; training: 1
    rate: float  # training: effective PFLOPS per GPU; serving: output tokens/s per replica
    memory_gpus: int  # training: fewest GPUs whose HBM holds the training state; serving: 0
    billed_hours: float  # per GPU a year


def billed_hours(offer, workload) -> float:
    r"""GPU-hours billed per rented GPU a year. Serving holds its replicas all year, 8760 h. A training
    run holds its GPUs for its deadline, :math:`h = 24\, deadline_w`, each rental billed at least the
    offer's minimum: :math:`runs_w \max(h, h^{min}_o)`; a reserved offer is one rental for the year,
    shared by all the job's runs: :math:`\max(runs_w\, h, h^{min}_o)`."""
    if workload.kind == "inference":
        return demand.HOURS_PER_YEAR
    run = demand.HOURS_PER_DAY * workload.deadline_days
    if offer.term == "reserved":
        return max(workload.runs_per_year * run, offer.min_hours)
    return workload.runs_per_year * max(run, offer.min_hours)


def rent_options(d: ModelData) -> dict:
    """{(w, o): RentOption} of every offer workload w may rent: the offer meets its compliance,
    residency and tenancy (`rules.site_lacks`, as a site would), its tier is one the workload allows,
    on a stack it runs on, holds it and computes at its precision. None unless the policy allows
    renting, and none under max capacity (renting is opex, outside the capex budget that bounds
    the scale)."""
    sc = d.scenario
    if not sc.policy["allow_rent"] or sc.policy["objective"] != "min_npv":
        return {}
    options = {}
    for w, row in sc.workloads.iterrows():
        model = _model_row(sc, row)
        for o, offer in sc.cloud_offers.iterrows():
            tier = sc.gpu_tiers.loc[offer.tier]
            if site_lacks(offer, row) or (row.tiers and offer.tier not in row.tiers):
                continue
            if row.stacks and tier.stack not in row.stacks:  # a stack the workload does not run on
                continue
            if memory_fit_issue(row, _tier_row(sc.gpu_tiers, offer.tier), model) or precision_issue(
                row, tier
            ):
                continue
            options[w, o] = _option(d, row, model, offer, tier, w)
    return options


def _option(d: ModelData, row, model, offer, tier, w: str) -> RentOption:
    hours = billed_hours(offer, row)
    if row.kind == "inference":
        shape = (row.precision, row.input_tokens, row.output_tokens, row.ttft_ms, row.tpot_ms)
        serving = serve(model, _tier_row(d.scenario.gpu_tiers, offer.tier), *shape)
        return RentOption(serving.gpus, serving.tokens_per_s_gpu * serving.gpus, 0, hours)
    ideal, pflops = training_throughput(tier, row, offer)
    peak = max(d.demand[w, y] for y in d.years)
    state = demand.training_state_gb(row.params_b, row.method)
    return RentOption(
        1, node_rate(ideal, pflops, peak) / tier.gpus_per_node, math.ceil(state / tier.hbm_gb), hours
    )


def add_rent(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Rent as well as buy: a training run is met by owned nodes or entirely by one cloud offer.

    Offers o a workload may rent (`rent_options`) on sale in year y get variables; others none.
    A training run chooses one: :math:`\sum_{t,s} pick_{w,t,s,y} + \sum_o rent_{w,o,y} = 1`
    (compute's `one_tier`); a rented run needs no owned nodes, storage or fabric. It rents
    :math:`G_{w,o,y}` whole GPUs, each at :math:`p_{w,o}` effective PFLOPS (the tier's peak x MFU x
    the offer's scaling efficiency at the job's size x the Young/Daly goodput at the largest size
    the demand needs, as for owned nodes), holding the training state,
    :math:`G\, HBM_t \ge S_w\, rent`, with :math:`G \le M\, rent` (M = demand / p + memory GPUs).
    A service may add whole rented replicas :math:`R_{w,o,y}` of the roofline size
    :math:`g_{w,o}` GPUs, each serving :math:`q_{w,o}` tokens/s, :math:`R \le M\, serves_{w,o,y}`.
    Both join `demand_met`: :math:`\sum_o (p\, G + q\, R)`. Availability:
    :math:`\sum_w (G + g R) \le A_o` where the offer caps GPUs a year. Cost per year, MUSD:
    :math:`rent_y = \sum price_o\, h_{w,o} (G + g R)` with h = `billed_hours`, and egress
    :math:`\sum e_o\, H_{w,y} (rent + serves)`: the hot TB moved to the cloud once a year it rents.
    """
    offers = d.scenario.cloud_offers
    m.O = pyo.Set(initialize=list(offers.index), ordered=True)
    m.rent_price = pyo.Param(
        m.O, initialize=param_values(d.scenario, d.years)["rent_price"], mutable=True, doc="MUSD per GPU-hour"
    )
    options = rent_options(d)
    m.rent_option = options
    tiers = d.scenario.gpu_tiers
    index = [
        (w, o, y)
        for (w, o) in options
        for y in d.active_years[w]
        if y >= tiers.at[offers.at[o, "tier"], "available_from"]
    ]
    m.rents_of = group_by(index, lambda i: (i[0], i[2]))
    m.RENT = pyo.Set(initialize=[i for i in index if d.kind[i[0]] != "inference"], dimen=3, ordered=True)
    m.RENT_SERVE = pyo.Set(
        initialize=[i for i in index if d.kind[i[0]] == "inference"], dimen=3, ordered=True
    )
    m.rent = pyo.Var(m.RENT, domain=pyo.Binary, doc="this year's training run is on this cloud offer")
    m.rent_gpus = pyo.Var(m.RENT, domain=pyo.NonNegativeIntegers, doc="GPUs a rented training run holds")
    m.rent_serves = pyo.Var(m.RENT_SERVE, domain=pyo.Binary, doc="service rents replicas of this offer")
    m.rent_replicas = pyo.Var(m.RENT_SERVE, domain=pyo.NonNegativeIntegers, doc="rented serving replicas")

    def most(m, w, o, y):
        option = options[w, o]
        return m.demand[w, y] / option.rate * option.gpus + option.memory_gpus + option.gpus

    m.rent_on_choice = pyo.Constraint(m.RENT, rule=lambda m, *i: m.rent_gpus[i] <= most(m, *i) * m.rent[i])
    m.rent_memory = pyo.Constraint(
        m.RENT, rule=lambda m, w, o, y: m.rent_gpus[w, o, y] >= options[w, o].memory_gpus * m.rent[w, o, y]
    )
    m.rent_replicas_on_choice = pyo.Constraint(
        m.RENT_SERVE,
        rule=lambda m, w, o, y: (
            m.rent_replicas[w, o, y] * options[w, o].gpus <= most(m, w, o, y) * m.rent_serves[w, o, y]
        ),
    )
    capped = group_by([i for i in index if not _unlimited(offers.at[i[1], "max_gpus"])], lambda i: i[1:])
    m.rent_available = pyo.Constraint(
        list(capped),
        rule=lambda m, o, y: sum(rented_gpus(m, i) for i in capped[o, y]) <= int(offers.at[o, "max_gpus"]),
    )
    by_year = group_by(index, lambda i: i[2])
    m.rent_cost = pyo.Expression(
        m.Y,
        rule=lambda m, y: sum(
            m.rent_price[i[1]] * options[i[:2]].billed_hours * rented_gpus(m, i) for i in by_year.get(y, ())
        ),
        doc="MUSD",
    )
    m.egress_cost = pyo.Expression(
        m.Y,
        rule=lambda m, y: sum(
            offers.at[i[1], "egress_usd_per_tb"] / MUSD * d.hot_tb[i[0], y] * renting(m, i)
            for i in by_year.get(y, ())
        ),
        doc="MUSD",
    )


def rented_gpus(m: pyo.ConcreteModel, i: tuple):
    """GPUs workload w rents from offer o in year y, i = (w, o, y): a run's GPUs or replicas x their GPUs."""
    return m.rent_gpus[i] if i in m.RENT else m.rent_replicas[i] * m.rent_option[i[:2]].gpus


def renting(m: pyo.ConcreteModel, i: tuple):
    """The binary that workload w rents from offer o in year y, i = (w, o, y)."""
    return m.rent[i] if i in m.RENT else m.rent_serves[i]


def rented_runs(m: pyo.ConcreteModel, w: str, y: int):
    """How many offers carry workload w's training run in year y (0 or 1 in a plan)."""
    return sum(m.rent[i] for i in m.rents_of.get((w, y), ()) if i in m.RENT)


def rented_supply(m: pyo.ConcreteModel, w: str, y: int):
    """What rented GPUs deliver to workload w in year y: PFLOPS of a run, tokens/s of replicas."""
    units = lambda i: m.rent_gpus[i] if i in m.RENT else m.rent_replicas[i]  # noqa: E731
    return sum(m.rent_option[i[:2]].rate * units(i) for i in m.rents_of.get((w, y), ()))


def _unlimited(max_gpus) -> bool:
    return bool(pd.isna(max_gpus))
