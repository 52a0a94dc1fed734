"""Family 7, growth and multi-year: purchases, retirements, sites that open, and what only grows."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from ..scenario import Scenario
from .copies import rack_positions
from .data import ModelData, group_by, previous

# mutable Params indexed by site first: twin sites stay interchangeable only while these agree
SITE_PARAMS = ("power_mw", "electricity", "building_charge")


def add_growth(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Installed nodes are at most those bought within the hardware lifetime; the rest only grows.

    :math:`nodes_{g,t,s,y} \le \sum_{y' \le y,\; y - y' < life} buy_{g,t,s,y'}` (a tier can be
    bought only from its available-from year: no variable before). Fewer is an early
    retirement: a node taken out frees its power, rack space and ports for a newer tier.
    Demand grows per year in the data, :math:`D_{w,y} = D_w (1+g_w)^{y - y_w}`. Scalable units,
    storage units and fitted rack positions never shrink: :math:`x_{y} \ge x_{y-1}`, nor does the
    fabric built, :math:`built_{s,f,k,y} \ge built_{s,f,k,y-1}`: it grows to its final design
    without a redesign.

    A site opens once and stays open, :math:`open_{s,y} \ge open_{s,y-1}`, and holds nothing
    before: :math:`\sum_f built_{s,f,1,y} \le open_{s,y}`,
    :math:`fitted_{s,r,y} \le A_{s,r}\, open_{s,y}` (so nodes and gear racks too) and
    :math:`\sum_k hot_{w,s,k,y} + cold_{w,s,k,y} \le (H_{w,y} + C_{w,y})\, open_{s,y}`; site
    services are counted on it (family 2). Storage units at a site serve only its data and the
    bandwidth of its runs, so a least-cost plan has none at a closed site.

    Twin sites (`twin_sites`: the same inputs but the id) are ordered as listed, by the years
    they are open and then by their node-years: for each twin b listed after a,
    :math:`open_{a,y} \ge open_{b,y} - (1 - alike_{a,b})` and
    :math:`N_a \ge N_b - M_b\,(\sum_y (open_{a,y} - open_{b,y}) + (|Y|+1)(1 - alike_{a,b}))`,
    N_s the nodes installed at s summed over tiers and years, M_s its rack-limited most. Any plan
    has a mirror, the same cost with the two swapped, that keeps this order (open years are a
    suffix of the horizon, so of two sites one opens no later). Without it the search proves
    every plan twice. `alike` is a mutable Param that every solve sets (`twins_alike`) to 0 when a
    sweep or an edit gives the pair different `SITE_PARAMS`, which lifts both rows.
    """
    buys = set(d.buy_index)
    m.installed = pyo.Constraint(
        m.NODE,
        rule=lambda m, g, t, s, y: (
            m.nodes[g, t, s, y] <= sum(m.buy[g, t, s, o] for o in d.in_service(y) if (g, t, s, o) in buys)
        ),
    )
    later = [y for y in d.years[1:]]
    m.units_grow = pyo.Constraint(
        [(g, s, f, y) for (g, s, f, y) in m.SU if y in later],
        rule=lambda m, g, s, f, y: m.su[g, s, f, y] >= previous(m.su, (g, s, f), y, d.years),
    )
    m.storage_grows = pyo.Constraint(
        [(s, k, y) for (s, k, y) in m.SKY if y in later],
        rule=lambda m, s, k, y: m.units[s, k, y] >= previous(m.units, (s, k), y, d.years),
    )
    m.racks_grow = pyo.Constraint(
        [(s, r, y) for (s, r, y) in m.SRY if y in later],
        rule=lambda m, s, r, y: m.rack_fitted[s, r, y] >= previous(m.rack_fitted, (s, r), y, d.years),
    )
    m.fabric_grows = pyo.Constraint(
        [i for i in m.BUILT if i[3] in later],
        rule=lambda m, s, f, k, y: m.built[s, f, k, y] >= previous(m.built, (s, f, k), y, d.years),
    )
    _site_opening(m, d, later)


def _site_opening(m: pyo.ConcreteModel, d: ModelData, later: list[int]) -> None:
    r"""open[s,y]: monotone, and required by the fabric, fitted racks and data at the site, and by every
    workload present there, :math:`present_{w,s,y} \le open_{s,y}` (implied by the racks a workload's
    nodes need; it keeps the relaxation from opening a site by the fraction of it a plan uses)."""
    m.sites_stay_open = pyo.Constraint(
        [(s, y) for s in d.sites for y in later],
        rule=lambda m, s, y: m.open[s, y] >= previous(m.open, (s,), y, d.years),
    )
    built_first = group_by([i for i in m.BUILT if i[2] == 1], lambda i: (i[0], i[3]))
    m.fabric_at_open_site = pyo.Constraint(
        list(built_first),
        rule=lambda m, s, y: sum(m.built[i] for i in built_first[s, y]) <= m.open[s, y],
    )
    m.racks_at_open_site = pyo.Constraint(
        m.SRY, rule=lambda m, s, r, y: m.rack_fitted[s, r, y] <= d.rack_avail[s, r] * m.open[s, y]
    )
    hot_of = group_by(list(m.HOTPUT), lambda i: (i[0], i[1], i[3]))
    cold_of = group_by(list(m.COLDPUT), lambda i: (i[0], i[1], i[3]))

    def data_at_open_site(m, w, s, y):
        hot, cold = hot_of.get((w, s, y), ()), cold_of.get((w, s, y), ())
        most = (d.hot_tb[w, y] if hot else 0) + (d.cold_tb[w, y] if cold else 0)
        return sum(m.hot_put[i] for i in hot) + sum(m.cold_put[i] for i in cold) <= most * m.open[s, y]

    m.data_at_open_site = pyo.Constraint(sorted(set(hot_of) | set(cold_of)), rule=data_at_open_site)
    m.present_at_open_site = pyo.Constraint(m.WSY, rule=lambda m, w, s, y: m.present[w, s, y] <= m.open[s, y])
    twins = twin_sites(d.scenario)
    m.TWINS = pyo.Set(initialize=twins, dimen=2, ordered=True, doc="(a, b): b a twin of a, listed after it")
    m.alike = pyo.Param(
        m.TWINS,
        initialize=lambda m, *i: twins_alike(m, i),
        mutable=True,
        doc="1 while the twins' site Params agree",
    )
    m.twins_in_order = pyo.Constraint(
        [(a, b, y) for (a, b) in twins for y in d.years],
        rule=lambda m, a, b, y: m.open[a, y] >= m.open[b, y] - (1 - m.alike[a, b]),
    )
    nodes_at = group_by(list(m.NODE), lambda i: i[2])
    most = {s: sum(d.max_nodes[t, s] for (_, t, _, _) in nodes_at.get(s, ())) for s in d.sites}

    def twins_by_nodes(m, a, b):
        earlier = sum(m.open[a, y] - m.open[b, y] for y in d.years) + (len(d.years) + 1) * (1 - m.alike[a, b])
        return sum(m.nodes[i] for i in nodes_at.get(a, ())) >= (
            sum(m.nodes[i] for i in nodes_at.get(b, ())) - most[b] * earlier
        )

    m.twins_by_nodes = pyo.Constraint(m.TWINS, rule=twins_by_nodes)


def twin_sites(sc: Scenario) -> list[tuple[str, str]]:
    """(a, b) for each site b whose `sites` row equals that of an earlier-listed site a, rack
    positions as `copies.rack_positions` counts them (a copied rack type's as the first-listed
    type's), the latest such a (a chain a, b, c of three twins): sites no workload, catalog or rule
    tells apart."""
    positions = group_by(list(rack_positions(sc).items()), lambda item: item[0][0])
    last_with: dict = {}
    twins = []
    for site, row in sc.sites.drop(columns="racks").iterrows():
        racks = tuple((r, n) for (_, r), n in sorted(positions.get(site, ())))
        key = (*(_comparable(value) for value in row), racks)
        if key in last_with:
            twins.append((last_with[key], site))
        last_with[key] = site
    return twins


def _comparable(value):
    """A site field as a hashable value that equals its twin's: NaN as None."""
    return None if isinstance(value, float) and math.isnan(value) else value


def twins_alike(m: pyo.ConcreteModel, twins: tuple[str, str]) -> float:
    """`alike` from the model's current `SITE_PARAMS`: 1 where both twins' values agree."""
    a, b = twins
    return float(all(_of_site(getattr(m, name), a) == _of_site(getattr(m, name), b) for name in SITE_PARAMS))


def _of_site(param, site: str) -> list[float]:
    """The values of a Param indexed by site first that belong to `site`, in index order."""
    return [pyo.value(v) for i, v in param.items() if (i[0] if isinstance(i, tuple) else i) == site]
