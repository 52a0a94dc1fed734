"""Loading a valid scenario: schema defaults, derived defaults, column types, overrides."""

from __future__ import annotations

import math
from pathlib import Path

from aiopt import load_catalog, load_scenario, validate
from aiopt.scenario import INDEX_NAMES
from aiopt.schema import CATALOG_TABLES, POLICY, TABLES

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the good path: defaults


def test_tiny_is_valid(tiny_path, catalog_dir):
    assert validate(tiny_path, catalog_dir) == []


def test_frames_follow_the_schema(tiny):
    for name, index_name in INDEX_NAMES.items():
        frame = getattr(tiny, name)
        assert frame.index.name == index_name
        assert frame.index.is_unique
        assert list(frame.columns) == [n for n in TABLES[name].names if n != "id"]


def test_schema_defaults_are_filled(tiny):
    site = tiny.sites.loc["lab"]
    assert (site.pue, site.tenancy, site.carriers, site.encrypted_wan) == (1.3, "dedicated", 2, True)
    assert math.isnan(site.liquid_cooling_mw)  # optional and unset
    chat = tiny.workloads.loc["chat"]
    assert (chat.spare_fraction, chat.compliance, chat.precision, chat.dedicated) == (
        0.05,
        (),
        "bf16",
        False,
    )
    assert tiny.policy == {f.name: f.default for f in POLICY.fields} | {
        "start_year": 2026,
        "horizon_years": 2,
    }
    assert tiny.rack_types.loc["air-40", "price_usd"] == 8000


def test_derived_defaults_are_resolved(tiny):
    workloads = tiny.workloads
    assert (workloads.start_year == tiny.policy["start_year"]).all()
    assert workloads.loc["pretrain-8b", "read_gbps_per_gpu"] == 1.0
    assert workloads.loc["chat", "read_gbps_per_gpu"] == 0.0
    assert workloads.mfu.isna().all()  # left for the model to resolve
    tiers = tiny.gpu_tiers  # fabric_ports blank in the CSV for b200-hgx and l40s-pcie
    assert (tiers.fabric_ports == tiers.gpus_per_node).all()


def test_given_values_beat_derived_defaults(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["workloads"][0] |= {"start_year": 2027, "read_gbps_per_gpu": 4.0, "mfu": 0.45}
    workload = load_scenario(tmp_scenario(tiny_doc), catalog_dir).workloads.loc["pretrain-8b"]
    assert (workload.start_year, workload.read_gbps_per_gpu, workload.mfu) == (2027, 4.0, 0.45)


def test_column_types(tiny):
    assert tiny.gpu_tiers.gpus_per_node.dtype == "int64"
    assert tiny.gpu_tiers.fabric_ports.dtype == "int64"
    assert tiny.gpu_tiers.tflops_bf16.dtype == "float64"
    assert tiny.storage_tiers.hot.dtype == bool
    assert tiny.workloads.start_year.dtype == "int64"
    assert tiny.workloads.loc["pretrain-8b", "tiers"] == ("h100-sxm", "b200-hgx")
    assert tiny.sites.loc["lab", "certifications"] == ("soc2",)


def test_site_racks_is_long(tiny):
    assert tiny.site_racks.to_dict("records") == [
        {"site": "lab", "rack_type": "air-40", "racks": 10},
        {"site": "lab", "rack_type": "dlc-130", "racks": 2},
    ]


def test_scenario_header(tiny, tiny_path):
    assert tiny.name == "tiny"
    assert tiny.description.startswith("One small site")
    assert tiny.path == tiny_path
    assert tiny.years == [2026, 2027]


def test_load_catalog(catalog_dir):
    catalog = load_catalog(catalog_dir)
    assert list(catalog) == [t.name for t in CATALOG_TABLES]
    assert catalog["gpu_tiers"].index.name == "tier"
    assert catalog["gpu_tiers"].loc["b200-hgx", "fabric_ports"] == 8
    assert catalog["storage_tiers"].loc["flash-pfs", "encryption_at_rest"]


def test_services_may_be_empty(tmp_catalog, tiny_path):
    header = (Path(tmp_catalog()) / "services.csv").read_text().splitlines()[0]
    catalog = tmp_catalog({"services": header + "\n"})
    assert validate(tiny_path, catalog) == []
    assert load_catalog(catalog)["services"].empty


def test_csv_booleans_are_true_false_in_any_case(tmp_catalog, tiny_path):
    catalog = tmp_catalog()
    path = catalog / "storage_tiers.csv"
    path.write_text(path.read_text().replace(",true,", ",TRUE,"))
    assert validate(tiny_path, catalog) == []


def test_scientific_numbers_written_as_text_are_numbers(tmp_scenario, tiny_path, catalog_dir):
    # PyYAML reads 40e6 as text (YAML 1.1); an analyst means a number
    path = tmp_scenario(
        tiny_path.read_text().replace("horizon_years: 2", "horizon_years: 2\n  capex_budget_usd: 40e6")
    )
    assert load_scenario(path, catalog_dir).policy["capex_budget_usd"] == 40e6


def test_override_changes_given_fields_and_adds_rows(tiny_doc, tmp_scenario, catalog_dir):
    new_rack = {
        "id": "air-20",
        "name": "Small air",
        "cooling": "air",
        "usable_kw": 20,
        "rack_units": 42,
        "source": "[est]",
    }
    tiny_doc["catalog"] = {"gpu_tiers": [{"id": "h100-sxm", "price_usd": 200000}], "rack_types": [new_rack]}
    sc = load_scenario(tmp_scenario(tiny_doc), catalog_dir)
    assert sc.gpu_tiers.loc["h100-sxm", "price_usd"] == 200000
    assert sc.gpu_tiers.loc["h100-sxm", "tflops_bf16"] == 989  # untouched
    assert sc.rack_types.loc["air-20", "price_usd"] == 0.0  # new row, schema default
    assert (
        load_scenario(REPO / "tests/data/tiny.yaml", catalog_dir).gpu_tiers.loc["h100-sxm", "price_usd"]
        == 270000
    )
