r"""A plan in finance's terms: the cash view, the book view and costs per used GPU-hour.

Timing follows the model: a cost is paid at the start of its year y and discounted
:math:`(1+r)^{-(y-y_0)}`; the residual value of the hardware is credited at the end of the last
year (the row of year :math:`y_N + 1`, discounted :math:`(1+r)^{-H}`).

**Book view.** Each category's capex bought in year b is depreciated from that year on:
straight line over the category's book life L, :math:`D_{b+a} = P/L` for ages a = 0..L−1; or
(policy `depreciation` macrs_5 / macrs_7) the equipment categories (all but `facility` and
`stacks`) follow the IRS MACRS GDS half-year table of that class, :math:`D_{b+a} = P\,m_a`
(IRS Publication 946, Appendix A, Table A-1: 200% declining balance, half-year convention).
The book value at the end of year y is what is left, :math:`BV_y = P (1 - \sum_{a \le y-b} s_a)`.
Book lives (`book_life_years`) default to the hardware lifetime for equipment, 15 years for
facility power blocks (qualified improvement property) and 3 for a software stack's one-time
cost (36 months, 26 U.S.C. §167(f)(1)).

**After-tax cash** (policy `tax_rate` τ > 0; the enterprise is assumed to have enough other
taxable income to use every deduction in the year it arises). Opex is deductible when paid,
depreciation is deducted in its year, and the hardware sold at the horizon for the residual
value R pays tax on its gain over its book value :math:`BV^{hw}` (compute, fabric, storage,
racks, the categories the model credits); the other assets stay on the books. Tax rows (kind
`tax`) are discounted with the costs of their year:

.. math:: NPV^{after\,tax} = NPV - \tau \sum_y \delta_y (opex_y + D_y) + \tau\, \delta_{N+1} (R - BV^{hw}_N)

**Unit costs** (undiscounted, net of the residual credit, as the `usd_per_gpu_hour` KPI). Owned
cost (every cost but rent and egress) is spread over sites by their installed GPU-hours; a site's
share goes to the workloads by the GPU-hours they used there (training runs' nodes × days × 24,
serving nodes × 8760, × GPUs per node); rent and egress go to the workload that rented, at site
"(cloud)"; a plan that owns no GPUs books its other owned costs at site "(no owned GPUs)".
A training workload's PFLOP-days are its demand met, required PFLOPS × deadline days
× runs a year, spread over where it ran as its GPU-hours; serving workloads have none.
"""

from __future__ import annotations

import pandas as pd

from ..model.cost import CAPEX, RESIDUAL
from ..model.params import required_demand
from ..results import used_gpu_hours

METHODS = ("straight_line", "macrs_5", "macrs_7")
# IRS Publication 946 (2023), Appendix A, Table A-1: GDS 200% declining balance, half-year convention
MACRS = {
    "macrs_5": (0.2000, 0.3200, 0.1920, 0.1152, 0.1152, 0.0576),
    "macrs_7": (0.1429, 0.2449, 0.1749, 0.1249, 0.0893, 0.0892, 0.0893, 0.0446),
}
STRAIGHT_LINE_ONLY = ("facility", "stacks")  # not equipment: straight line under every method
DEFAULT_LIFE = {"facility": 15, "stacks": 3}  # years; equipment: the hardware lifetime
RENTED = ("rent", "egress")
CLOUD = "(cloud)"
NO_GPUS = "(no owned GPUs)"

CASH_COLUMNS = ["year", "category", "kind", "usd", "discounted_usd"]
BOOK_COLUMNS = ["year", "category", "depreciation_usd", "book_value_usd"]
UNIT_COLUMNS = [
    "scope",
    "id",
    "gpu_hours_used",
    "cost_usd",
    "usd_per_used_gpu_hour",
    "pflop_days",
    "usd_per_pflop_day",
]


def book_life(policy: dict, category: str) -> int:
    """Book life of a capex category, years: the policy's `book_life_years`, else the default."""
    given = policy.get("book_life_years") or {}
    return int(given.get(category, DEFAULT_LIFE.get(category, policy["hardware_lifetime_years"])))


def schedule(policy: dict, category: str) -> tuple[float, ...]:
    """Shares of the price depreciated at ages 0, 1, ... (they add up to 1)."""
    method = policy.get("depreciation") or "straight_line"
    if method in MACRS and category not in STRAIGHT_LINE_ONLY:
        return MACRS[method]
    life = book_life(policy, category)
    return (1 / life,) * life


def book(plan) -> pd.DataFrame:
    """Depreciation and end-of-year book value per capex category and year (categories with capex)."""
    policy, years = plan.scenario.policy, plan.scenario.years
    capex = plan.costs[plan.costs.kind == "capex"].groupby(["category", "year"]).usd.sum()
    rows = []
    for c in [c for c in CAPEX if c in capex.index.get_level_values(0) and capex[c].abs().sum() > 0]:
        shares = schedule(policy, c)
        for y in years:
            ages = [(y - b, usd) for b, usd in capex[c].items() if b <= y]
            depreciated = sum(usd * shares[age] for age, usd in ages if age < len(shares))
            left = sum(usd * max(0.0, 1 - sum(shares[: age + 1])) for age, usd in ages)
            rows.append(dict(year=y, category=c, depreciation_usd=depreciated, book_value_usd=left))
    return pd.DataFrame(rows, columns=BOOK_COLUMNS)


def cash(plan, book_view: pd.DataFrame) -> pd.DataFrame:
    """`plan.costs` (capex, opex, residual), plus the tax rows of the module docstring when
    the policy's tax rate is above 0."""
    costs = plan.costs[CASH_COLUMNS]
    policy, years = plan.scenario.policy, plan.scenario.years
    tax = policy.get("tax_rate") or 0.0
    if not tax:
        return costs.reset_index(drop=True)
    opex = costs[costs.kind == "opex"].groupby("year").usd.sum()
    depreciation = book_view.groupby("year").depreciation_usd.sum()
    last = book_view[(book_view.year == years[-1]) & book_view.category.isin(RESIDUAL)]
    sold_for = -costs.loc[costs.kind == "residual", "usd"].sum()
    rows = [(y, "opex_deduction", -tax * opex.get(y, 0.0)) for y in years]
    rows += [(y, "depreciation_deduction", -tax * depreciation.get(y, 0.0)) for y in years]
    rows.append((years[-1] + 1, "residual_gain", tax * (sold_for - last.book_value_usd.sum())))
    rate = policy["discount_rate"]
    discounted = [usd * (1 + rate) ** -(y - years[0]) for y, _, usd in rows]
    taxes = pd.DataFrame(
        [(y, c, "tax", usd, d) for (y, c, usd), d in zip(rows, discounted, strict=True)], columns=CASH_COLUMNS
    )
    return pd.concat([costs, taxes], ignore_index=True)


def _pflop_days(plan) -> pd.Series:
    """PFLOP-days each training workload's demand met over the horizon, by workload."""
    sc, active = plan.scenario, plan.owned_vs_rented
    scale = plan.kpi("demand_scale") if "demand_scale" in set(plan.kpis.metric) else 1.0
    wanted = required_demand(sc, sc.years)
    out = {}
    for w, row in sc.workloads[sc.workloads.kind != "inference"].iterrows():
        years = active.loc[active.workload == w, "year"]
        out[w] = sum(wanted[w, y] * scale for y in years) * row.deadline_days * row.runs_per_year
    return pd.Series(out, dtype=float)


def unit_costs(plan) -> pd.DataFrame:
    """Cost per used GPU-hour and per PFLOP-day by workload, site and in total (module docstring)."""
    costs = plan.costs
    rented_cost = plan.rent.groupby("workload")[["usd", "egress_usd"]].sum().sum(axis=1)
    owned_cost = costs.usd.sum() - rented_cost.sum()
    installed = plan.utilisation.groupby("site").installed_gpu_hours.sum()
    if installed.sum():
        site_cost = owned_cost * installed / installed.sum()
    else:  # nothing owned computes: what is owned (storage, services, stacks) is nowhere's
        site_cost = pd.Series({NO_GPUS: owned_cost}) if owned_cost else installed
    used = used_gpu_hours(plan).groupby(["workload", "site"], as_index=False).gpu_hours.sum()
    site_used = used.groupby("site").gpu_hours.sum()
    used["cost_usd"] = [
        site_cost.get(s, 0.0) * h / site_used[s] if site_used[s] else 0.0
        for s, h in zip(used.site, used.gpu_hours, strict=True)
    ]
    rented = plan.rent.groupby("workload").gpu_hours.sum()
    cloud = pd.DataFrame(dict(workload=rented.index, site=CLOUD, gpu_hours=rented.values))
    cloud["cost_usd"] = cloud.workload.map(rented_cost)
    alloc = pd.concat([used, cloud], ignore_index=True)
    workload_hours = alloc.groupby("workload").gpu_hours.transform("sum")
    alloc["pflop_days"] = alloc.workload.map(_pflop_days(plan)) * alloc.gpu_hours / workload_hours
    idle = site_cost - alloc.groupby("site").cost_usd.sum().reindex(site_cost.index, fill_value=0.0)
    rows = [_unit_row("workload", w, part) for w, part in alloc.groupby("workload")]
    sites = sorted(set(alloc.site) | set(site_cost.index))
    rows += [_unit_row("site", s, alloc[alloc.site == s], idle.get(s, 0.0)) for s in sites]
    rows.append(_unit_row("total", "total", alloc, costs.usd.sum() - alloc.cost_usd.sum()))
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def _unit_row(scope: str, id: str, part: pd.DataFrame, unused_usd: float = 0.0) -> dict:
    """One unit-cost row from allocation rows; `unused_usd`: cost no workload used (idle sites)."""
    hours, cost = part.gpu_hours.sum(), part.cost_usd.sum() + unused_usd
    trained = part[part.pflop_days.notna()]
    pflop_days = trained.pflop_days.sum() if len(trained) else float("nan")
    return dict(
        scope=scope,
        id=id,
        gpu_hours_used=hours,
        cost_usd=cost,
        usd_per_used_gpu_hour=cost / hours if hours else float("nan"),
        pflop_days=pflop_days,
        usd_per_pflop_day=trained.cost_usd.sum() / pflop_days if pflop_days else float("nan"),
    )


def kpis(plan) -> pd.DataFrame:
    """The finance KPIs: after-tax NPV, book value at the horizon, cost per used GPU-hour."""
    total = plan.unit_costs[plan.unit_costs.scope == "total"]
    last = plan.book[plan.book.year == plan.scenario.years[-1]]
    rows = [
        ("after_tax_npv_usd", plan.cash.discounted_usd.sum(), "USD"),
        ("book_value_at_horizon_usd", last.book_value_usd.sum(), "USD"),
        (
            "usd_per_used_gpu_hour",
            total.usd_per_used_gpu_hour.sum() if len(total) else float("nan"),
            "USD/GPU-h",
        ),
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def add_views(plan) -> None:
    """Fill `plan.book`, `plan.cash` and `plan.unit_costs`, and append the finance KPIs."""
    plan.book = book(plan)
    plan.cash = cash(plan, plan.book)
    plan.unit_costs = unit_costs(plan)
    plan.kpis = pd.concat([plan.kpis, kpis(plan)], ignore_index=True)
