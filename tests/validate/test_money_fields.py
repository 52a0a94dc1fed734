"""Validation of the money fields: sale years of a tier, facility terms of a site."""

from __future__ import annotations

import pytest

from aiopt import InputError


def problem_of(call):
    with pytest.raises(InputError) as info:
        call()
    (problem,) = info.value.problems
    return problem


def test_tier_off_sale_before_it_is_on_sale(tiny):
    tier = tiny.gpu_tiers.loc["h100-sxm"]
    problem = problem_of(
        lambda: tiny.with_values("gpu_tiers", "h100-sxm", available_to=int(tier.available_from) - 1)
    )
    assert problem.field == "available_to" and "before available_from" in problem.fix
    same_year = tiny.with_values("gpu_tiers", "h100-sxm", available_to=int(tier.available_from))
    assert same_year.gpu_tiers.at["h100-sxm", "available_to"] == tier.available_from


@pytest.mark.parametrize(
    ("fee", "field", "value", "fix"),
    [
        (0, "committed_kw", 100, "colocation terms need a fee"),  # owned: no colocation terms
        (0, "colocation_escalation", 0.1, "colocation terms need a fee"),
        (184, "build_usd_per_mw", 11.7e6, "a colocation site"),  # the fee pays for the building
        (184, "facility_om_usd_per_kw_year", 50, "a colocation site"),
    ],
)
def test_site_facility_terms_match_its_ownership(tiny, fee, field, value, fix):
    problem = problem_of(
        lambda: tiny.with_values("sites", "lab", colocation_usd_per_kw_month=fee, **{field: value})
    )
    assert (problem.field, problem.value) == (field, value)
    assert problem.fix.startswith(fix)


def test_tier_off_sale_before_the_plan_cannot_serve(tiny):
    # every tier off sale by 2025, the plan starting in 2026: none can be bought, and the problem
    # names the last year on sale
    with pytest.raises(InputError) as info:
        tiny.with_all("gpu_tiers", available_from=2020, available_to=2025)
    fixes = " ".join(p.fix for p in info.value.problems)
    assert "last on sale in 2025, before the plan starts in 2026" in fixes
