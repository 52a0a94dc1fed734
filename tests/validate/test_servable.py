"""validate and solve agree: what the model cannot serve, validation rejects first.

The model gives a workload a run on a tier in a year only when one node holds a replica, the
tier is on sale that year and fits a rack at a site the workload may use. These checks used
to live in the build stage only, so `aiopt validate` said "valid" and `solve` then failed.
"""

from __future__ import annotations

import pytest

import aiopt
from aiopt import validate


def chat(**fields) -> dict:
    return {"id": "chat", "kind": "inference", "params_b": 8, "tokens_per_s": 20000} | fields


def the_problem(doc, tmp_scenario, catalog_dir) -> aiopt.Problem:
    (problem,) = validate(tmp_scenario(doc), catalog_dir)
    return problem


def test_replica_bigger_than_every_allowed_node_is_rejected(tiny_doc, tmp_scenario, catalog_dir):
    # 400B params: 800 GB of BF16 weights + 25% KV cache = 1,000 GB; an H100 node holds 8 x 80 = 640 GB
    tiny_doc["workloads"][1] = chat(params_b=400, tiers=["h100-sxm"])
    problem = the_problem(tiny_doc, tmp_scenario, catalog_dir)
    assert (problem.where, problem.field) == ("workloads[1] (id=chat)", "tiers")
    assert "h100-sxm holds 640 GB per node (a replica needs 1000 GB)" in problem.fix


def test_kv_cache_counts_toward_the_replica(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["workloads"][1] = chat(params_b=300, kv_cache_gb=50, tiers=["h100-sxm"])  # 600 + 50 GB
    assert "a replica needs 650 GB" in the_problem(tiny_doc, tmp_scenario, catalog_dir).fix
    tiny_doc["workloads"][1]["kv_cache_gb"] = 40  # 640 GB: fits exactly
    assert validate(tmp_scenario(tiny_doc), catalog_dir) == []


def test_tier_on_sale_only_after_the_workload_starts_is_rejected(tiny_doc, tmp_scenario, catalog_dir):
    tiny_doc["catalog"] = {"gpu_tiers": [{"id": "h100-sxm", "available_from": 2027}]}
    tiny_doc["workloads"][0]["tiers"] = ["h100-sxm"]  # starts 2026, the horizon is 2026-2027
    problem = the_problem(tiny_doc, tmp_scenario, catalog_dir)
    assert (
        problem.field == "tiers"
        and "h100-sxm is on sale from 2027, after the workload starts in 2026" in problem.fix
    )
    tiny_doc["workloads"][0]["start_year"] = 2027
    assert validate(tmp_scenario(tiny_doc), catalog_dir) == []


@pytest.mark.parametrize(
    "change",
    [
        {"workloads": [chat(params_b=300, kv_cache_gb=40, tiers=["h100-sxm"])]},  # 640 GB in 640 GB
        {"workloads": [chat(tiers=["b200-hgx"], start_year=2026)]},  # on sale from 2025
        {
            "sites": [{"id": "lab", "region": "us", "power_mw": 2, "racks": {"dlc-130": 1}}],
            "workloads": [chat(tiers=["gb200-nvl72"])],
        },  # one 120 kW node in one 130 kW rack
    ],
    ids=["memory-edge", "on-sale", "rack-edge"],
)
def test_what_validate_accepts_the_model_can_serve(change, tiny_doc, tmp_scenario, catalog_dir):
    path = tmp_scenario(tiny_doc | change)
    assert validate(path, catalog_dir) == []
    data = aiopt.prepare(aiopt.load_scenario(path, catalog_dir))
    served = {(w, y) for (w, _, _, _, y) in data.run_index}
    assert served == {(w, y) for w in data.workloads for y in data.active_years[w]}
