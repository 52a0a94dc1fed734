"""Load and validate: schema defaults, derived defaults, every check, every problem at once."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aiopt import InputError, load_catalog, load_scenario, validate
from aiopt.read import display_path, read_scenario_file
from aiopt.rules import rack_fit_issue, site_lacks
from aiopt.scenario import INDEX_NAMES
from aiopt.schema import BOOL, CATALOG_TABLES, FLOAT, INT, LIST, MAP, POLICY, SITES, STR, TABLES, Field
from aiopt.validate import BadValue, convert

REPO = Path(__file__).resolve().parent.parent


def text(problems) -> str:
    return "\n".join(str(p) for p in problems)


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
    assert (chat.spare_fraction, chat.compliance, chat.latency, chat.dedicated) == (
        0.05,
        (),
        "interactive",
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


# ---------------------------------------------------------------- bad input


def test_every_problem_is_reported_at_once(tmp_scenario, tiny_path, catalog_dir):
    broken = (
        tiny_path.read_text()
        .replace("power_mw: 2", "power_mw: twelve")
        .replace("kind: training", "kind: train")
        .replace("[h100-sxm, b200-hgx]", "[h100-sx]")
        .replace("latency: interactive", "latency: interactive\n    spare_fraction: -1")
    )
    path = tmp_scenario(broken)
    problems = validate(path, catalog_dir)
    assert {p.field for p in problems} == {"power_mw", "kind", "tiers", "spare_fraction"}
    with pytest.raises(InputError) as info:
        load_scenario(path, catalog_dir)
    assert info.value.problems == problems
    assert str(info.value) == text(problems)


def test_message_names_file_row_field_value_and_fix(tmp_scenario, tiny_path, catalog_dir):
    path = tmp_scenario(tiny_path.read_text().replace("power_mw: 2", "power_mw: twelve"))
    (problem,) = validate(path, catalog_dir)
    assert (problem.where, problem.field, problem.value) == ("sites[0] (id=lab)", "power_mw", "twelve")
    assert (
        str(problem) == f"{display_path(path)}: sites[0] (id=lab): power_mw='twelve': "
        "expected a number in MW, e.g. power_mw: 12"
    )


def test_unknown_field_and_id_get_did_you_mean(tmp_scenario, tiny_path, catalog_dir):
    path = tmp_scenario(tiny_path.read_text().replace("power_mw", "powr_mw").replace("air-40", "air40"))
    found = text(validate(path, catalog_dir))
    assert "powr_mw=2: unknown sites field; did you mean 'power_mw'?" in found
    assert "racks='air40': unknown rack type; did you mean 'air-40'?" in found


def test_unsatisfiable_tags_list_what_each_site_lacks(tiny_doc, tmp_scenario, catalog_dir):
    second = {
        "id": "eu-site",
        "region": "eu",
        "tenancy": "shared",
        "certifications": ["hipaa"],
        "power_mw": 1,
        "racks": {"air-40": 4},
    }
    tiny_doc["sites"].append(second)
    tiny_doc["workloads"][0] |= {"compliance": ["hipaa"], "dedicated": True}
    (problem,) = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert problem.field == "compliance"
    assert "lab lacks certification hipaa" in problem.fix
    assert "eu-site lacks dedicated tenancy (site is shared)" in problem.fix


def test_tier_restricted_to_unplaceable_tiers(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["sites"][0]["racks"] = {"air-40": 10}
    tiny_doc["workloads"][0]["tiers"] = ["gb200-nvl72"]
    (problem,) = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert problem.field == "tiers"
    assert "gb200-nvl72 needs a liquid-cooled rack with >= 120 kW and >= 48 U" in problem.fix


def test_new_override_row_is_checked_in_full(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["catalog"] = {"gpu_tiers": [{"id": "h100-sxn", "price_usd": 1}]}
    (problem,) = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert (
        problem.field == "id" and "did you mean 'h100-sxm'?" in problem.fix and "gpus_per_node" in problem.fix
    )


def test_catalog_problems_name_file_and_line(tmp_catalog, tiny_path):
    catalog = tmp_catalog()
    path = catalog / "rack_types.csv"
    path.write_text(path.read_text().replace("air,40,", "air,forty,"))
    (problem,) = validate(tiny_path, catalog)
    assert problem.file.endswith("rack_types.csv")
    assert (problem.where, problem.field, problem.value) == ("line 2 (id=air-40)", "usable_kw", "forty")
    with pytest.raises(InputError):
        load_catalog(catalog)


def test_missing_catalog_directory(tiny_path, tmp_path):
    (problem,) = validate(tiny_path, tmp_path / "nowhere")
    assert problem.field == "directory"


@pytest.mark.parametrize(
    "content",
    [None, "", "# only a comment\n", "name: [unclosed\n", "- a list\n", "just text\n", b"\xff\xfe\x00bad"],
    ids=["missing", "empty", "comment-only", "invalid", "list", "scalar", "binary"],
)
def test_validate_never_raises_for_unreadable_files(content, tmp_path, catalog_dir):
    path = tmp_path / "scenario.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    problems = validate(path, catalog_dir)
    assert len(problems) == 1 and problems[0].file.endswith("scenario.yaml")
    assert validate(tmp_path, catalog_dir)[0].fix.startswith("is a directory")


def test_repeated_yaml_keys_are_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nsites:\n  - id: x\n    power_mw: 1\n    power_mw: 2\n")
    with pytest.raises(InputError) as info:
        read_scenario_file(path)
    (problem,) = info.value.problems
    assert (problem.where, problem.field, problem.value) == ("line 5", "power_mw", "2")


# ---------------------------------------------------------------- the checking functions

NUMBER, WHOLE = Field("x", FLOAT, "MW"), Field("n", INT, "years")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (NUMBER, 12, 12.0),
        (NUMBER, "12.5", 12.5),
        (NUMBER, "40e6", 40e6),
        (NUMBER, 1.5, 1.5),
        (WHOLE, 3, 3),
        (WHOLE, "3", 3),
        (Field("b", BOOL), "False", False),
        (Field("b", BOOL), True, True),
        (Field("s", STR), " us ", "us"),
        (Field("l", LIST), ["a", "b"], ("a", "b")),
        (Field("m", MAP), {"a": 0}, {"a": 0}),
    ],
)
def test_convert_accepts(field, raw, expected):
    assert convert(field, raw) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (NUMBER, "twelve"),
        (NUMBER, True),
        (NUMBER, float("nan")),
        (NUMBER, "inf"),
        (NUMBER, [1]),
        (WHOLE, 1.5),
        (WHOLE, "1.5"),
        (WHOLE, 3.0),
        (WHOLE, False),
        (Field("b", BOOL), "yes"),
        (Field("b", BOOL), 1),
        (Field("s", STR), 5),
        (Field("s", STR), False),
        (Field("id", STR), "US East"),
        (Field("l", LIST), "soc2"),
        (Field("l", LIST), [1]),
        (Field("m", MAP), {"a": -1}),
        (Field("m", MAP), {"a": 1.5}),
        (Field("m", MAP), ["a"]),
    ],
)
def test_convert_rejects(field, raw):
    with pytest.raises(BadValue):
        convert(field, raw)


TIER = {"cooling": "air", "node_kw": 10.2, "rack_units": 8}


@pytest.mark.parametrize(
    ("tier", "rack", "issue"),
    [
        (TIER, {"id": "a", "cooling": "air", "usable_kw": 40, "rack_units": 42}, None),
        (TIER, {"id": "r", "cooling": "rear_door", "usable_kw": 40, "rack_units": 42}, None),
        (
            TIER,
            {"id": "l", "cooling": "liquid", "usable_kw": 130, "rack_units": 48},
            "l is liquid-cooled (node needs air)",
        ),
        (
            TIER | {"cooling": "either"},
            {"id": "l", "cooling": "liquid", "usable_kw": 130, "rack_units": 48},
            None,
        ),
        (
            TIER,
            {"id": "a", "cooling": "air", "usable_kw": 10, "rack_units": 42},
            "a has 10 kW usable (node draws 10.2 kW)",
        ),
        (TIER, {"id": "a", "cooling": "air", "usable_kw": 40, "rack_units": 6}, "a has 6 U (node takes 8 U)"),
    ],
)
def test_rack_fit_issue(tier, rack, issue):
    assert rack_fit_issue(tier, rack) == issue


def test_site_lacks():
    site = {"certifications": ("soc2",), "region": "us", "tenancy": "shared"}
    assert site_lacks(site, {"compliance": (), "region": None, "dedicated": False}) == []
    lacks = site_lacks(site, {"compliance": ("soc2", "hipaa"), "region": "eu", "dedicated": True})
    assert [name for name, _ in lacks] == ["compliance", "region", "dedicated"]


def test_every_schema_kind_is_understood():
    for table in TABLES.values():
        for f in table.fields:
            assert f.kind in (STR, INT, FLOAT, BOOL, LIST, MAP), (table.name, f.name)
    assert SITES["racks"].ref == "rack_types"


# ---------------------------------------------------------------- shipped inputs


def test_shipped_inputs_validate():
    """Every data/scenarios/*.yaml validates against data/catalog; every catalog row has a source."""
    scenarios = sorted((REPO / "data" / "scenarios").glob("*.yaml"))
    assert scenarios, "no shipped scenarios in data/scenarios"
    problems = [p for path in scenarios for p in validate(path, REPO / "aiopt" / "data" / "catalog")]
    assert not problems, text(problems)
    for name, frame in load_catalog(REPO / "aiopt" / "data" / "catalog").items():
        blank = frame.index[frame["source"].isna() | (frame["source"].astype(str).str.strip() == "")]
        assert blank.empty, f"{name}: rows without a source: {list(blank)}"
