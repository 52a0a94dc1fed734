"""Every door validates: Scenario edits, mappings, hand-made and changed-in-place scenarios.

An edit of a Scenario is checked exactly as the same change in the YAML file would be, and
raises InputError (never KeyError) with the same one-line problems; nothing reaches the model
that the checks have not seen.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import TINY

import aiopt
from aiopt import InputError, load_scenario, validate
from aiopt.read import display_path


def problem_of(call) -> aiopt.Problem:
    with pytest.raises(InputError) as info:
        call()
    (problem,) = info.value.problems
    return problem


@pytest.mark.parametrize(
    ("field", "value"), [("discount_rate", 8), ("average_load", 3), ("horizon_years", 0)]
)
def test_policy_edit_is_checked(tiny, field, value):
    problem = problem_of(lambda: tiny.with_policy(**{field: value}))
    assert (problem.where, problem.field, problem.value) == ("policy", field, value)
    assert problem.file == f"{display_path(TINY)} (edited: with_policy)"


@pytest.mark.parametrize(
    ("field", "value", "fix"), [("pue", 0.2, "must be between 1 and 3"), ("power_mw", -5, "must be > 0")]
)
def test_site_edit_is_checked(tiny, field, value, fix):
    problem = problem_of(lambda: tiny.with_values("sites", "lab", **{field: value}))
    assert (problem.where, problem.field, problem.value) == ("sites[0] (id=lab)", field, value)
    assert problem.fix.startswith(fix)


def test_edit_problems_read_as_the_same_change_in_the_yaml(tiny, tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["sites"][0]["power_mw"] = -5
    tiny_doc["workloads"][1]["tiers"] = ["h100-sxn"]
    from_yaml = validate(tmp_scenario(tiny_doc), catalog_dir)
    with pytest.raises(InputError) as info:
        tiny.with_values("sites", "lab", power_mw=-5).with_values("workloads", "chat", tiers=["h100-sxn"])
    with pytest.raises(InputError) as second:
        tiny.with_values("workloads", "chat", tiers=["h100-sxn"])
    edited = info.value.problems + second.value.problems
    assert [(p.where, p.field, p.value, p.fix) for p in edited] == [
        (p.where, p.field, p.value, p.fix) for p in from_yaml
    ]


def test_unknown_policy_field_is_an_input_error_with_did_you_mean(tiny):
    problem = problem_of(lambda: tiny.with_policy(discount_rat=0.1))
    assert problem.field == "discount_rat" and "did you mean 'discount_rate'?" in problem.fix


def test_misspelt_tier_in_a_workload_is_rejected_not_dropped(tiny):
    problem = problem_of(lambda: tiny.with_values("workloads", "chat", tiers=["h100-sxn"]))
    assert (problem.field, problem.value) == (
        "tiers",
        "h100-sxn",
    ) and "did you mean 'h100-sxm'?" in problem.fix


@pytest.mark.parametrize(
    ("table", "row", "field", "fix"),
    [
        ("site", "lab", "table", "did you mean 'sites'?"),
        ("sites", "lab2", "id", "no such site; did you mean 'lab'?"),
        ("gpu_tiers", "h100-sxn", "id", "no such tier; did you mean 'h100-sxm'?"),
    ],
)
def test_unknown_table_or_row_is_an_input_error(tiny, table, row, field, fix):
    problem = problem_of(lambda: tiny.with_values(table, row, power_mw=3))
    assert problem.field == field and problem.fix.endswith(fix)


def test_catalog_edit_is_an_override_checked_like_one(tiny):
    cheaper = tiny.with_values("gpu_tiers", "h100-sxm", price_usd=200_000)
    assert cheaper.gpu_tiers.loc["h100-sxm", "price_usd"] == 200_000
    assert cheaper.source.document["catalog"] == {"gpu_tiers": [{"id": "h100-sxm", "price_usd": 200_000}]}
    assert cheaper.with_values("gpu_tiers", "h100-sxm", support_pct=5).source.document["catalog"][
        "gpu_tiers"
    ] == [{"id": "h100-sxm", "price_usd": 200_000, "support_pct": 5}]
    problem = problem_of(lambda: tiny.with_values("gpu_tiers", "h100-sxm", price_usd=-1))
    assert (problem.where, problem.field) == ("catalog.gpu_tiers[0] (id=h100-sxm)", "price_usd")


def test_with_all_sets_a_field_on_every_row(tiny):
    grown = tiny.with_all("workloads", growth_per_year=0.6)
    assert (grown.workloads.growth_per_year == 0.6).all()
    with pytest.raises(InputError) as info:
        tiny.with_all("workloads", growth_per_year=-3)
    assert [p.where for p in info.value.problems] == [
        "workloads[0] (id=pretrain-8b)",
        "workloads[1] (id=chat)",
    ]


def test_policy_edit_re_derives_defaults(tiny):
    later = tiny.with_policy(start_year=2030)
    assert later.years == [2030, 2031]
    assert (later.workloads.start_year == 2030).all()  # the workloads start with the plan
    assert (
        later.with_policy(capex_budget_usd=5e6).with_policy(capex_budget_usd=None).policy["capex_budget_usd"]
        is None
    )


def test_edits_leave_the_original_alone(tiny):
    before = (dict(tiny.policy), tiny.sites.copy(), repr(tiny.source.document))
    tiny.with_policy(discount_rate=0.1).with_values("sites", "lab", power_mw=3).with_values(
        "gpu_tiers", "l40s-pcie", price_usd=1e5
    )
    assert (
        tiny.policy == before[0] and tiny.sites.equals(before[1]) and repr(tiny.source.document) == before[2]
    )


def test_values_read_from_a_frame_are_accepted(tiny):
    more = tiny.with_values(
        "sites", "lab", carriers=tiny.sites.at["lab", "carriers"] + 1, power_mw=tiny.sites.power_mw.max() * 2
    )
    assert isinstance(tiny.sites.at["lab", "carriers"], np.integer)
    assert (more.sites.at["lab", "carriers"], more.sites.at["lab", "power_mw"]) == (3, 4.0)


def test_a_mapping_is_a_door_too(tiny_doc, catalog_dir, tiny):
    assert validate(tiny_doc, catalog_dir) == []
    from_mapping = load_scenario(tiny_doc, catalog_dir)
    assert from_mapping.workloads.equals(tiny.workloads) and from_mapping.policy == tiny.policy
    tiny_doc["policy"]["discount_rate"] = 8
    (problem,) = validate(tiny_doc, catalog_dir)
    assert str(problem).startswith("scenario mapping: policy: discount_rate=8: must be between 0 and 0.5")


def test_validate_takes_a_scenario(tiny):
    assert validate(tiny) == []
    assert validate(tiny.with_policy(discount_rate=0.1)) == []


def test_a_table_changed_in_place_is_refused_by_the_model(tiny):
    tiny.sites.loc["lab", "power_mw"] = -5
    (problem,) = validate(tiny)
    assert (problem.where, problem.field, problem.value) == ("sites (id=lab)", "power_mw", -5)
    assert "with_values('sites', 'lab', power_mw=...)" in problem.fix
    with pytest.raises(InputError):
        aiopt.prepare(tiny)


def test_a_policy_replaced_without_checks_is_refused(tiny):
    unchecked = dataclasses.replace(tiny, policy={**tiny.policy, "discount_rate": 8})
    with pytest.raises(InputError) as info:
        aiopt.prepare(unchecked)
    (problem,) = info.value.problems
    assert (problem.where, problem.field, problem.value) == ("policy", "discount_rate", 8)


def test_a_scenario_made_by_hand_is_refused(tiny):
    fields = {f.name: getattr(tiny, f.name) for f in dataclasses.fields(tiny) if f.name != "source"}
    by_hand = aiopt.Scenario(**fields)
    for door in (
        aiopt.prepare,
        lambda sc: aiopt.solve(sc, progress=False),
        lambda sc: sc.with_policy(discount_rate=0.1),
    ):
        problem = problem_of(lambda door=door: door(by_hand))
        assert (problem.file, problem.field) == (
            "Scenario",
            "source",
        ) and "aiopt.load_scenario" in problem.fix
