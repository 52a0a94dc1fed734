"""Mutable Params: one formula builds them and updates a built model (sweeps, notebook edits)."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from conftest import every_param_field_changed
from tiny_plans import tier, tiny_scenario, training

import aiopt
from aiopt.errors import InputError
from aiopt.model import DERIVED_PARAMS
from aiopt.model.growth import SITE_PARAMS
from aiopt.model.params import MUTABLE_PARAMS, set_params


def param_values(model) -> dict:
    return {name: {i: pyo.value(p) for i, p in getattr(model, name).items()} for name in MUTABLE_PARAMS}


def test_params_named_are_every_mutable_param_of_the_model(tiny):
    # a Param the model gains must be set by set_params too, or warm variants would keep stale values
    model = aiopt.build_model(tiny)
    mutable = {p.local_name for p in model.component_objects(pyo.Param) if p.mutable}
    assert mutable == set(MUTABLE_PARAMS) | set(DERIVED_PARAMS)


def test_params_set_on_a_built_model_equal_those_of_a_fresh_build(tiny):
    variant = every_param_field_changed(tiny)
    warm = aiopt.build_model(tiny)
    set_params(warm, variant)
    fresh = param_values(aiopt.build_model(variant))
    for name, values in param_values(warm).items():
        assert values == pytest.approx(fresh[name], rel=1e-12), name
    assert warm.data.scenario is variant


def test_twin_sites_compare_every_param_indexed_by_site(tiny):
    # twins_alike lifts the twin order when these differ: a site Param it missed would keep
    # two sites in order after an edit told them apart
    model = aiopt.build_model(tiny)
    by_site = {name for name in MUTABLE_PARAMS if model.S in list(getattr(model, name).index_set().subsets())}
    assert by_site == set(SITE_PARAMS)


def test_params_of_a_tier_copy_priced_apart_need_a_rebuild(tmp_path):
    # g2 is g1 but for id and name, left out of the model (copies.same_tiers); a price that tells
    # them apart cannot be set as a Param, so set_params names the row and asks for a rebuild
    scenario = tiny_scenario(tmp_path, [training(pflops=10)], gpu_tiers=[tier(), tier("g2")])
    model = aiopt.build_model(scenario)
    with pytest.raises(
        InputError, match=r"gpu_tiers row g2: price_usd=90000.0: .* copy of g1.*build the model again"
    ):
        set_params(model, scenario.with_values("gpu_tiers", "g2", price_usd=90_000))
    both = scenario.with_values("gpu_tiers", "g1", price_usd=90_000).with_values(
        "gpu_tiers", "g2", price_usd=90_000
    )
    set_params(model, both)  # still copies: no rebuild
    assert [model.node_price["g1", y].value for y in model.Y] == [0.09] * len(model.Y)
