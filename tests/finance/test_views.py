"""The finance views on a tiny plan, worked by hand from the inputs (`tests/tiny_plans.py`).

The plan: one site, two years (2026-27), discount rate 10 %, hardware lifetime 5 years. A
training job of 10 PFLOPS for 100 days a year needs 3 g1 nodes (4 effective PFLOPS each); a
service of 9,000 output tokens/s one more node (10,000 tokens/s a node). Nodes cost 100,000 USD
and 10 % of their price a year in support; its one fabric switch costs 1 USD and its one hot
storage unit 10 USD; energy, colocation and rack fit-out are free. So

* capex 2026: compute 4 x 100,000 = 400,000, fabric 1, storage 10; nothing in 2027;
* opex: support 10 % x 400,000 = 40,000 in each year;
* residual (end of 2027, book share 1 - 2/5 = 0.6): -0.6 x 400,011 = -240,006.6;
* NPV = 400,011 + 40,000 + 40,000/1.1 - 240,006.6/1.1^2.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from tiny_plans import YEAR, inference, solve_tiny, tier, training

from aiopt import InputError
from aiopt.check.finance import book_recomputed, macrs_shares, taxes_recomputed, unit_costs_add_up

CAPEX = {"compute": 400_000.0, "fabric": 1.0, "storage": 10.0}
HARDWARE = sum(CAPEX.values())
SUPPORT = 40_000.0
RESIDUAL = -0.6 * HARDWARE
NPV = HARDWARE + SUPPORT + SUPPORT / 1.1 + RESIDUAL / 1.1**2
TRAIN_HOURS = 3 * 8 * 24 * 100  # 3 nodes x 8 GPUs x 24 h x 100 days, a year
SERVE_HOURS = 1 * 8 * 8760  # one node all year
LAST = YEAR + 1


@pytest.fixture(scope="module")
def solve(tmp_path_factory):
    """solve(**policy) -> the tiny plan of the module docstring with `policy` added."""

    def plan(**policy):
        directory = tmp_path_factory.mktemp("finance")
        return solve_tiny(
            directory,
            [training("train", pflops=10), inference("serve", pflops=3.6)],
            gpu_tiers=[tier(support_pct=10)],
            policy={"horizon_years": 2, "discount_rate": 0.1, **policy},
        )

    return plan


@pytest.fixture(scope="module")
def plan(solve):
    return solve()


def book_at(plan, category, year):
    return plan.book.set_index(["category", "year"]).loc[(category, year)]


def test_the_plan_is_the_one_worked_by_hand(plan):
    capex = plan.costs[plan.costs.kind == "capex"].groupby("category").usd.sum()
    assert {c: capex[c] for c in CAPEX} == pytest.approx(CAPEX)
    assert capex.sum() == pytest.approx(HARDWARE)
    assert plan.kpi("npv_usd") == pytest.approx(NPV)
    assert plan.cash.discounted_usd.sum() == pytest.approx(NPV), "no tax: the cash view is the costs"
    assert set(plan.cash.kind) == {"capex", "opex", "residual"}


def test_straight_line_depreciation_and_residual_book_value(plan):
    # 400,000 over 5 years: 80,000 a year; book value 320,000 after 2026 and 240,000 after 2027
    assert book_at(plan, "compute", YEAR).depreciation_usd == pytest.approx(80_000)
    assert book_at(plan, "compute", LAST).depreciation_usd == pytest.approx(80_000)
    assert book_at(plan, "compute", YEAR).book_value_usd == pytest.approx(320_000)
    assert book_at(plan, "storage", LAST).book_value_usd == pytest.approx(6.0)  # 10 x (1 - 2/5)
    assert plan.kpi("book_value_at_horizon_usd") == pytest.approx(-RESIDUAL), "book value = model's credit"


def test_macrs_five_year_half_year_table(solve):
    plan = solve(depreciation="macrs_5")
    # IRS Pub. 946 Table A-1, 5-year class: 20 % in the year bought, 32 % the next
    assert book_at(plan, "compute", YEAR).depreciation_usd == pytest.approx(0.20 * 400_000)
    assert book_at(plan, "compute", LAST).depreciation_usd == pytest.approx(0.32 * 400_000)
    assert book_at(plan, "compute", LAST).book_value_usd == pytest.approx(0.48 * 400_000)
    assert not book_recomputed(plan)


def test_the_checker_derives_the_irs_tables():
    assert [round(s, 4) for s in macrs_shares(5)] == [0.2, 0.32, 0.192, 0.1152, 0.1152, 0.0576]
    seven = [0.1429, 0.2449, 0.1749, 0.1249, 0.0893, 0.0892, 0.0893, 0.0446]
    # the IRS rounds the equal straight-line years of the 7-year class alternately up and down
    assert macrs_shares(7) == pytest.approx(seven, abs=1e-4) and sum(seven) == pytest.approx(1)


def test_after_tax_npv_with_a_shorter_book_life(solve):
    plan = solve(tax_rate=0.25, book_life_years={"compute": 4})
    # compute over 4 years: 100,000 a year, book value 200,000 at the end of 2027; fabric and
    # storage over the hardware lifetime (5): 0.2 + 2 a year, book value 0.6 + 6
    depreciation = 100_000 + 0.2 + 2
    book_value = 200_000 + 0.6 + 6
    gain = -RESIDUAL - book_value  # sold at the model's residual value (5-year straight line)
    assert gain == pytest.approx(40_000)
    shield = 0.25 * (SUPPORT + depreciation) * (1 + 1 / 1.1)
    after_tax = NPV - shield + 0.25 * gain / 1.1**2
    assert plan.kpi("after_tax_npv_usd") == pytest.approx(after_tax)
    tax = plan.cash[plan.cash.kind == "tax"].set_index(["category", "year"]).usd
    assert tax["residual_gain", LAST + 1] == pytest.approx(10_000)
    assert tax["opex_deduction", YEAR] == pytest.approx(-10_000)
    assert not taxes_recomputed(plan) and not book_recomputed(plan)


def test_cost_per_used_gpu_hour_by_workload_and_in_total(plan):
    total = HARDWARE + 2 * SUPPORT + RESIDUAL  # undiscounted, net of the residual credit
    used = 2 * (TRAIN_HOURS + SERVE_HOURS)
    units = plan.unit_costs.set_index(["scope", "id"])
    assert units.loc[("total", "total"), "gpu_hours_used"] == pytest.approx(used)
    assert units.loc[("total", "total"), "usd_per_used_gpu_hour"] == pytest.approx(total / used)
    assert plan.kpi("usd_per_used_gpu_hour") == pytest.approx(total / used)
    train = units.loc[("workload", "train")]
    # one site, fully used by the two workloads: each pays its share of GPU-hours used
    assert train.cost_usd == pytest.approx(total * TRAIN_HOURS / (TRAIN_HOURS + SERVE_HOURS))
    assert train.pflop_days == pytest.approx(2 * 10 * 100)  # 10 PFLOPS x 100 days, two years
    assert train.usd_per_pflop_day == pytest.approx(train.cost_usd / 2000)
    assert units.loc[("site", "a"), "cost_usd"] == pytest.approx(total)
    assert not unit_costs_add_up(plan)


def test_the_checker_catches_wrong_finance_tables(plan):
    book = plan.book.copy()
    book.loc[book.category == "compute", "book_value_usd"] += 1_000
    assert book_recomputed(dataclasses.replace(plan, book=book))
    cash = plan.cash.copy()
    cash.loc[0, "usd"] += 1_000
    assert taxes_recomputed(dataclasses.replace(plan, cash=cash))
    units = plan.unit_costs.copy()
    units.loc[units.scope == "total", "cost_usd"] *= 2
    assert unit_costs_add_up(dataclasses.replace(plan, unit_costs=units))


def test_the_summary_shows_used_gpu_hours_and_the_saving_when_known(plan):
    used, installed = 2 * (TRAIN_HOURS + SERVE_HOURS), 2 * 4 * 8 * 8760
    assert f"{used:,} of {installed:,} GPU-hours used" in plan.summary()
    assert "reference design" not in plan.summary()
    saving = pd.DataFrame(
        [("compute", 2.0e6, 3.5e6, 1.5e6), ("energy", 1.0e6, 1.2e6, 0.2e6)],
        columns=["category", "optimised_npv_usd", "reference_npv_usd", "saving_usd"],
    )
    assert (
        "saves $1.7M NPV against the reference design" in dataclasses.replace(plan, saving=saving).summary()
    )


@pytest.mark.parametrize(
    ("lives", "fix"),
    [({"computes": 4}, "not a capex category; did you mean 'compute'?"), ({"compute": 0}, ">= 1 year")],
)
def test_a_bad_book_life_is_bad_input(tiny, lives, fix):
    with pytest.raises(InputError) as caught:
        tiny.with_policy(book_life_years=lives)
    assert any(p.field == "book_life_years" and fix in p.fix for p in caught.value.problems)
