"""Sweep specs: variants from grid, zip, cases and a Latin hypercube; stable ids; bad specs exit 2."""

from __future__ import annotations

import pytest
import yaml
from conftest import CATALOG_DIR, TINY

import aiopt
from aiopt.cli import main
from aiopt.sweep import load_spec, variant_id
from aiopt.sweep.spec import apply

POWER, CHAT, RATE = "sites.lab.power_mw", "workloads.chat.tokens_per_s", "policy.discount_rate"


def spec(**sections) -> dict:
    return {"base": str(TINY), "catalog_dir": str(CATALOG_DIR), **sections}


def test_grid_times_zip_plus_cases_plus_random():
    checked = load_spec(
        spec(
            grid={POWER: [1.5, 3], CHAT: [10000, 20000, 30000]},
            zip=[{RATE: [0.05, 0.1], "catalog.gpu_tiers.h100-sxm.price_usd": [250000, 300000]}],
            cases={"base": {}, "small": {"workloads.pretrain-8b.params_b": 7}},
            random={"seed": 3, "count": 5, "ranges": {"sites.lab.electricity_usd_per_kwh": [0.05, 0.2]}},
        )
    )
    assert len(checked.variants) == 2 * 3 * 2 + 2 + 5
    grid_rows = [v.overrides for v in checked.variants[:12]]
    assert {(o[POWER], o[CHAT], o[RATE]) for o in grid_rows} == {
        (p, c, r) for p in (1.5, 3.0) for c in (10000.0, 20000.0, 30000.0) for r in (0.05, 0.1)
    }
    assert all(
        o["catalog.gpu_tiers.h100-sxm.price_usd"] == 250000 + 1e6 * (o[RATE] - 0.05) for o in grid_rows
    )
    assert [v.case for v in checked.variants[12:14]] == ["base", "small"]
    assert checked.variants[12].overrides == {}


def test_latin_hypercube_puts_one_sample_in_each_stratum_and_repeats_with_its_seed():
    ranges = {"sites.lab.electricity_usd_per_kwh": [0.0, 1.0], RATE: [0.0, 0.2]}
    samples = [
        v.overrides for v in load_spec(spec(random={"seed": 7, "count": 10, "ranges": ranges})).variants
    ]
    for path, (low, high) in ranges.items():
        strata = sorted(int((s[path] - low) / (high - low) * 10) for s in samples)
        assert strata == list(range(10)), path
    again = [v.overrides for v in load_spec(spec(random={"seed": 7, "count": 10, "ranges": ranges})).variants]
    assert again == samples


def test_variant_ids_are_stable_across_order_and_number_spelling():
    # the id hashes the canonical overrides: a float field's 2 and 2.0 are one value, order is irrelevant
    one = load_spec(spec(cases={"a": {POWER: 2, RATE: 0.1}})).variants[0]
    two = load_spec(spec(cases={"b": {RATE: 0.1, POWER: 2.0}})).variants[0]
    assert one.id == two.id == variant_id({POWER: 2.0, RATE: 0.1})
    duplicated = load_spec(spec(grid={POWER: [2, 3]}, cases={"same": {POWER: 2}, "other": {POWER: 4}}))
    assert [(v.overrides[POWER], v.case) for v in duplicated.variants] == [(2, ""), (3, ""), (4, "other")]


def test_a_variant_is_checked_by_the_same_edits_as_every_other_door(tiny):
    # the sweep's message for a bad value is the one Scenario.with_values gives
    base = load_spec(spec(cases={"bad": {POWER: -1}})).scenario
    with pytest.raises(aiopt.InputError) as swept:
        apply(base, {POWER: -1})
    with pytest.raises(aiopt.InputError) as edited:
        tiny.with_values("sites", "lab", power_mw=-1)
    assert [str(p) for p in swept.value.problems] == [str(p) for p in edited.value.problems]
    every = apply(base, {"workloads.*.growth_per_year": 0.5})
    assert list(every.workloads.growth_per_year) == [0.5, 0.5]


BAD_SPECS = {
    "unknown field": ({"grid": {"sites.lab.power_mv": [1]}}, "did you mean 'power_mw'"),
    "unknown row": ({"grid": {"sites.lba.power_mw": [1]}}, "did you mean 'lab'"),
    "unknown table": ({"grid": {"catalog.gpu_tier.b200-hgx.price_usd": [1]}}, "did you mean 'gpu_tiers'"),
    "wrong type": ({"grid": {POWER: [1, "lots"]}}, "expected a number in MW"),
    "empty grid": ({"grid": {}}, "non-empty mapping"),
    "empty list": ({"grid": {POWER: []}}, "non-empty list"),
    "too many": (
        {"grid": {p: list(range(1, 101)) for p in (POWER, CHAT, RATE, "policy.horizon_years")}},
        "10000",
    ),
    "unknown section": ({"grdi": {POWER: [1]}}, "did you mean 'grid'"),
    "uneven zip": ({"zip": [{POWER: [1, 2], RATE: [0.1]}]}, "equally long"),
    "case not a mapping": ({"cases": {"a": [1]}}, "mapping of paths"),
    "solve option": ({"grid": {POWER: [1]}, "solve": {"time_limit": "long"}}, "expected a float"),
    "text range": ({"random": {"count": 2, "ranges": {"workloads.chat.precision": [1, 2]}}}, "number fields"),
}


@pytest.mark.parametrize("name", BAD_SPECS)
def test_bad_specs_exit_2_with_one_line(name, tmp_path, capsys):
    sections, message = BAD_SPECS[name]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec(**sections)))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_max_variants_can_be_raised(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec(grid={POWER: [1, 2, 3]})))
    with pytest.raises(aiopt.InputError, match="more than --max-variants 2"):
        load_spec(path, max_variants=2)
    assert len(load_spec(path, max_variants=3).variants) == 3
