"""Plausibility warnings: allowed values far outside their usual range warn, never fail."""

from __future__ import annotations

import warnings

import pytest
from conftest import REPO

from aiopt import PlausibilityWarning, load_scenario, validate
from aiopt.cli import main


@pytest.mark.parametrize(
    ("table", "field", "value", "fix"),
    [
        ("sites", "pue", 2.5, "unusually high (usually 1 to 2)"),
        ("sites", "electricity_usd_per_kwh", 1.5, "unusually high (usually 0 to 1 USD/kWh)"),
        ("sites", "power_mw", 500, "times what its 12 rack positions can draw"),
        ("workloads", "params_b", 50_000, "unusually high (usually 0 to 20,000 B params)"),
        ("workloads", "tokens_t", 5_000, "unusually high"),
    ],
)
def test_far_outside_the_usual_range_warns(table, field, value, fix, tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc[table][0][field] = value
    path = tmp_scenario(tiny_doc)
    with pytest.warns(PlausibilityWarning) as caught:
        assert validate(path, catalog_dir) == []
    (warning,) = caught
    assert f": {field}=" in str(warning.message) and fix in str(warning.message)


def test_inference_rate_and_catalog_values_warn_too(tiny, tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["workloads"][1]["tokens_per_s"] = 1e9
    tiny_doc["catalog"] = {"gpu_tiers": [{"id": "h100-sxm", "price_usd": 270}]}  # kUSD, not USD
    with pytest.warns(PlausibilityWarning) as caught:
        load_scenario(tmp_scenario(tiny_doc), catalog_dir)
    assert sorted(str(w.message).split(": ")[2].split("=")[0] for w in caught) == [
        "price_usd",
        "tokens_per_s",
    ]


def test_an_edit_warns_only_of_what_it_made_unusual(tiny):
    with pytest.warns(PlausibilityWarning, match="pue=2.5"):
        odd = tiny.with_values("sites", "lab", pue=2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        odd.with_policy(discount_rate=0.1)


def test_bad_input_gets_problems_not_warnings(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["sites"][0] |= {"pue": 2.5, "power_mw": -1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [p.field for p in validate(tmp_scenario(tiny_doc), catalog_dir)] == ["power_mw"]


def test_shipped_inputs_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in sorted((REPO / "data" / "scenarios").glob("*.yaml")):
            load_scenario(path)


def test_cli_prints_warnings_and_exits_0(tiny_doc, tmp_scenario, catalog_dir, capsys):
    tiny_doc["sites"][0]["pue"] = 2.5
    code = main(["validate", str(tmp_scenario(tiny_doc)), "--catalog", str(catalog_dir)])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("tiny: valid.")
    (line,) = err.splitlines()
    assert line.startswith("warning: ") and line.endswith(
        "sites[0] (id=lab): pue=2.5: unusually high (usually 1 to 2); check the value and its unit"
    )
