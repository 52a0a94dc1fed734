"""Finance checks: the book view, the tax rows of the cash view and the unit costs, recomputed
from the plan's own cost, utilisation and rent tables. A plan whose finance tables were not
filled (a Plan made by hand) has nothing here to check.

Depreciation is recomputed from the rule, not the table: straight line P/L a year over the
book life; MACRS as the IRS derives its GDS half-year table (200% declining balance, switching
to straight line when that is larger, half a year in the first and last year), compared within
the published table's rounding (4 decimals, equal straight-line years rounded alternately up
and down so they add up to 1: within 1e-4 of the price a year)."""

from __future__ import annotations

from .base import differ

TABLE_ROUNDING = 1e-4  # MACRS shares as published: 4 decimals, straight-line years alternated
EQUIPMENT_ONLY = {"macrs_5": 5, "macrs_7": 7}


def macrs_shares(n: int) -> list[float]:
    """Depreciation shares of an n-year MACRS asset: year 1 at half the 2/n rate; later years the
    larger of 2/n of what is left and what is left over the remaining n + 1.5 − k years."""
    left, shares = 1.0 - 1.0 / n, [1.0 / n]
    for k in range(2, n + 1):
        share = max(left * 2 / n, left / (n + 1.5 - k))
        shares.append(share)
        left -= share
    return [*shares, left]


def _shares(policy: dict, category: str) -> tuple[list[float], float]:
    """(shares by age, tolerance as a share of the price) of a category under the policy."""
    method = policy.get("depreciation") or "straight_line"
    if method in EQUIPMENT_ONLY and category not in ("facility", "stacks"):
        return macrs_shares(EQUIPMENT_ONLY[method]), TABLE_ROUNDING
    lives = policy.get("book_life_years") or {}
    life = lives.get(category, {"facility": 15, "stacks": 3}.get(category, policy["hardware_lifetime_years"]))
    return [1.0 / life] * int(life), 0.0


def book_recomputed(plan) -> list[str]:
    """Each category's depreciation and end-of-year book value: Σ over the years b it bought of
    capex × share(y − b), and capex × (1 − Σ shares up to y − b)."""
    if plan.book.empty:
        return []
    costs, policy = plan.costs, plan.scenario.policy
    capex = costs[costs.kind == "capex"].groupby(["category", "year"]).usd.sum()
    out = []
    for row in plan.book.itertuples():
        shares, slack = _shares(policy, row.category)
        bought = [(b, p) for (c, b), p in capex.items() if c == row.category and b <= row.year]
        padded = [*shares, *[0.0] * (row.year - min((b for b, _ in bought), default=row.year))]
        depreciation = sum(p * padded[row.year - b] for b, p in bought)
        value = sum(p * (1 - sum(shares[: row.year - b + 1])) for b, p in bought)
        allowed = slack * sum(abs(p) for _, p in bought) * len(shares)
        for name, have, want in (
            ("depreciation", row.depreciation_usd, depreciation),
            ("book value", row.book_value_usd, max(0.0, value)),
        ):
            if differ(have, want, usd=True) and abs(have - want) > allowed:
                out.append(f"{row.category}/{row.year}: {name} {have:,.2f} USD, recomputed {want:,.2f}")
    return out


def taxes_recomputed(plan) -> list[str]:
    """Without a tax rate the cash view is the cost table; with rate τ its tax rows are −τ × the
    year's opex, −τ × the year's depreciation, and τ × (residual credit − hardware book value)
    the year after the last; after-tax NPV is the sum of the discounted cash."""
    if plan.cash.empty:
        return []
    cash, costs, sc = plan.cash, plan.costs, plan.scenario
    tax, out = sc.policy.get("tax_rate") or 0.0, []
    if differ(cash[cash.kind != "tax"].usd.sum(), costs.usd.sum(), usd=True):
        out.append(
            f"cash {cash[cash.kind != 'tax'].usd.sum():,.2f} USD before tax, costs {costs.usd.sum():,.2f}"
        )
    paid = cash[cash.kind == "tax"].groupby(["category", "year"]).usd.sum()
    last, end = sc.years[-1], sc.years[-1] + 1
    opex = costs[costs.kind == "opex"].groupby("year").usd.sum()
    depreciation = plan.book.groupby("year").depreciation_usd.sum()
    hardware = plan.book[
        (plan.book.year == last) & plan.book.category.isin(["compute", "fabric", "storage", "racks"])
    ]
    gain = -costs[costs.kind == "residual"].usd.sum() - hardware.book_value_usd.sum()
    expected = {("residual_gain", end): tax * gain} if tax else {}
    for y in sc.years if tax else ():
        expected["opex_deduction", y] = -tax * opex.get(y, 0.0)
        expected["depreciation_deduction", y] = -tax * depreciation.get(y, 0.0)
    for key in sorted(set(paid.index) | set(expected)):
        if differ(paid.get(key, 0.0), expected.get(key, 0.0), usd=True):
            out.append(
                f"tax {key[0]}/{key[1]}: {paid.get(key, 0.0):,.2f} USD, "
                f"recomputed {expected.get(key, 0.0):,.2f}"
            )
    if "after_tax_npv_usd" in set(plan.kpis.metric) and differ(
        plan.kpi("after_tax_npv_usd"), cash.discounted_usd.sum(), usd=True
    ):
        out.append(
            f"after-tax NPV {plan.kpi('after_tax_npv_usd'):,.2f} USD, "
            f"cash adds up to {cash.discounted_usd.sum():,.2f}"
        )
    return out


def unit_costs_add_up(plan) -> list[str]:
    """Unit costs: the total row's GPU-hours are the used owned GPU-hours (`utilisation`) plus the
    rented ones (`rent`), its cost every cost; sites and workloads cost no more than the total and
    the sites add up to it; USD per used GPU-hour is cost / GPU-hours on every row."""
    units = plan.unit_costs
    if units.empty:
        return []
    out = []
    total = units[units.scope == "total"]
    hours = plan.utilisation.used_gpu_hours.sum() + plan.rent.gpu_hours.sum()
    cost = plan.costs.usd.sum()
    if (
        len(total) != 1
        or differ(total.gpu_hours_used.sum(), hours)
        or differ(total.cost_usd.sum(), cost, usd=True)
    ):
        out.append(f"total: {total.gpu_hours_used.sum():,.0f} GPU-h and {total.cost_usd.sum():,.2f} USD, "
                   f"expected {hours:,.0f} and {cost:,.2f}")  # fmt: skip
    sites = units[units.scope == "site"]
    if differ(sites.cost_usd.sum(), cost, usd=True) or differ(sites.gpu_hours_used.sum(), hours):
        out.append(
            f"sites add up to {sites.cost_usd.sum():,.2f} USD, {sites.gpu_hours_used.sum():,.0f} GPU-h"
        )
    workloads = units[units.scope == "workload"]
    if differ(workloads.gpu_hours_used.sum(), hours) or workloads.cost_usd.sum() > cost + 1.0:
        out.append(
            f"workloads: {workloads.gpu_hours_used.sum():,.0f} GPU-h, {workloads.cost_usd.sum():,.2f} USD"
        )
    for row in units[units.gpu_hours_used > 0].itertuples():
        if differ(row.usd_per_used_gpu_hour, row.cost_usd / row.gpu_hours_used):
            out.append(f"{row.scope} {row.id}: {row.usd_per_used_gpu_hour} USD/GPU-h is not cost / GPU-hours")
    return out
