"""Bad input: every problem at once, each naming file, row, field, value and fix; shipped inputs pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiopt import InputError, load_catalog, load_scenario, validate
from aiopt.read import display_path, read_scenario_file

REPO = Path(__file__).resolve().parents[2]


def text(problems) -> str:
    return "\n".join(str(p) for p in problems)


# ---------------------------------------------------------------- bad input


def test_every_problem_is_reported_at_once(tmp_scenario, tiny_path, catalog_dir):
    broken = (
        tiny_path.read_text()
        .replace("power_mw: 2", "power_mw: twelve")
        .replace("kind: training", "kind: train")
        .replace("[h100-sxm, b200-hgx]", "[h100-sx]")
        .replace("tpot_ms: 50", "tpot_ms: 50\n    spare_fraction: -1")
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
        "certifications": ["hipaa-ready"],
        "power_mw": 1,
        "racks": {"air-40": 4},
    }
    tiny_doc["sites"].append(second)
    tiny_doc["workloads"][0] |= {"compliance": ["hipaa-ready"], "dedicated": True}
    (problem,) = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert problem.field == "compliance"
    assert "lab lacks certification hipaa-ready" in problem.fix
    assert "eu-site lacks dedicated tenancy (site is shared)" in problem.fix


def test_retired_hipaa_tag_names_its_replacement(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["sites"][0]["certifications"] = ["soc2", "hipaa"]
    tiny_doc["workloads"][0]["compliance"] = ["hipaa"]
    problems = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("sites[0] (id=lab)", "certifications", "hipaa"),
        ("workloads[0] (id=pretrain-8b)", "compliance", "hipaa"),
    ]
    assert all("write hipaa-ready instead of hipaa" in p.fix and "hitrust" in p.fix for p in problems)


def test_run_calendar_longer_than_a_year(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["workloads"][0] |= {"runs_per_year": 12, "deadline_days": 40}  # 480 days of runs
    (problem,) = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert (problem.field, problem.value) == ("runs_per_year", 12)
    assert "480 days, more than a year's 365; lower runs_per_year to 9" in problem.fix


def test_serving_and_training_fields_apply_to_their_kind_only(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["workloads"][0] |= {"min_replicas": 2}  # a training job
    tiny_doc["workloads"][1] |= {"runs_per_year": 4, "min_sites": 2}  # a service at the one site
    problems = validate(tmp_scenario(tiny_doc), catalog_dir)
    assert {(p.where.split("=")[-1].rstrip(")"), p.field) for p in problems} == {
        ("pretrain-8b", "min_replicas"),
        ("chat", "runs_per_year"),
        ("chat", "min_sites"),
    }
    assert "only 1 site(s) may host it (lab)" in text(problems)


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
