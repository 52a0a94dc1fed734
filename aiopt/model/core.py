"""Index sets, mutable parameters and the decisions every constraint family shares.

Families declare the variables only they use; the ones here link several families:
run (workload allocation), pick (tier/site of a year's training run), present (workload at a
site in a year), nodes and buy (installed and purchased node pools), spare (N+k), fabric (one per site),
open (site open in a year: family 7).
"""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData
from .params import param_values


def declare(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Sets, mutable Params (what sweeps vary) and shared decision variables."""
    sc = d.scenario
    m.Y = pyo.Set(initialize=d.years, ordered=True)
    m.S = pyo.Set(initialize=d.sites, ordered=True)
    m.T = pyo.Set(initialize=d.tiers, ordered=True)
    m.F = pyo.Set(initialize=d.fabrics, ordered=True)
    m.W = pyo.Set(initialize=d.workloads, ordered=True)
    m.G = pyo.Set(initialize=d.groups, ordered=True)
    m.K = pyo.Set(initialize=d.storage, ordered=True)
    m.R = pyo.Set(initialize=d.rack_types, ordered=True)
    m.RUN = pyo.Set(initialize=d.run_index, dimen=5, ordered=True)
    m.WTS = pyo.Set(initialize=d.wts, dimen=3, ordered=True)
    m.PICK = pyo.Set(initialize=d.pick_index, dimen=4, ordered=True)
    m.WSY = pyo.Set(initialize=d.wsy, dimen=3, ordered=True)
    m.GTS = pyo.Set(initialize=d.gts, dimen=3, ordered=True)
    m.NODE = pyo.Set(initialize=[(g, t, s, y) for (g, t, s) in d.gts for y in d.years], dimen=4, ordered=True)
    m.BUY = pyo.Set(initialize=d.buy_index, dimen=4, ordered=True)
    m.SF = pyo.Set(initialize=[(s, f) for s in d.sites for f in d.fabrics], dimen=2, ordered=True)
    m.WY = pyo.Set(initialize=[(w, y) for w in d.workloads for y in d.active_years[w]], dimen=2, ordered=True)

    values = param_values(sc, d.years)
    m.demand = pyo.Param(m.W, m.Y, initialize=d.demand, mutable=True, doc="required effective PFLOPS")
    on_sale = {i: price for i, price in values["node_price"].items() if i[0] in d.tiers}  # tiers still sold
    m.node_price = pyo.Param(m.T, m.Y, initialize=on_sale, mutable=True, doc="MUSD per node")
    m.discount = pyo.Param(m.Y, initialize=values["discount"], mutable=True)
    m.electricity = pyo.Param(m.S, m.Y, initialize=values["electricity"], mutable=True, doc="USD/kWh")
    m.power_mw = pyo.Param(m.S, initialize=values["power_mw"], mutable=True)
    m.residual_discount = pyo.Param(initialize=values["residual_discount"], mutable=True)
    m.building_charge = pyo.Param(
        m.S, initialize=values["building_charge"], mutable=True, doc="MUSD per MW-year"
    )

    m.run = pyo.Var(m.RUN, domain=pyo.NonNegativeReals, doc="nodes of a pool serving a workload")
    m.pick = pyo.Var(m.PICK, domain=pyo.Binary, doc="this year's training run is on this tier at this site")
    m.present = pyo.Var(m.WSY, domain=pyo.Binary, doc="workload runs at this site this year")
    m.nodes = pyo.Var(m.NODE, domain=pyo.NonNegativeIntegers, doc="installed nodes")
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers, doc="nodes bought this year")
    m.spare = pyo.Var(
        m.NODE, domain=pyo.NonNegativeIntegers, doc="spare node units held (N+k), data.node_unit"
    )
    m.fabric = pyo.Var(m.SF, domain=pyo.Binary, doc="site uses this compute fabric")
    m.open = pyo.Var(m.S, m.Y, domain=pyo.Binary, doc="site is open (has equipment) this year")
    m.SRY = pyo.Set(
        initialize=[(s, r, y) for (s, r) in d.infra_racks for y in d.years], dimen=3, ordered=True
    )
    m.rack_fitted = pyo.Var(m.SRY, domain=pyo.NonNegativeReals, doc="rack positions fitted out so far")
    m.scale = pyo.Var(domain=pyo.NonNegativeReals, initialize=1.0, doc="demand multiple delivered")
    if sc.policy["objective"] == "min_npv":
        m.scale.fix(1.0)
