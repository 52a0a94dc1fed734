"""validate and solve agree: what the model cannot serve, validation rejects first.

The model gives a workload a run on a tier in a year only when one scale-up domain serves a
replica within its latency targets at its precision (`aiopt.throughput`), the
tier is on sale that year and fits a rack at a site the workload may use. These checks used
to live in the build stage only, so `aiopt validate` said "valid" and `solve` then failed.
"""

from __future__ import annotations

import pytest

import aiopt
from aiopt import validate


def chat(**fields) -> dict:
    shape = {"model": "llama-3-8b", "input_tokens": 1024, "output_tokens": 512}
    return {"id": "chat", "kind": "inference", "tokens_per_s": 20000} | shape | fields


def the_problem(doc, tmp_scenario, catalog_dir) -> aiopt.Problem:
    (problem,) = validate(tmp_scenario(doc), catalog_dir)
    return problem


def test_replica_bigger_than_every_allowed_domain_is_rejected(tiny_doc, tmp_scenario, catalog_dir):
    # Llama 3.1 405B in BF16: 2 x 405.9 = 812 GB of weights (+ 0.6 GB of KV for one request of
    # 1024 + 256 mean context tokens x 2 x 126 x 8 x 128 x 2 B); an H100 domain (8 GPUs) holds
    # 90% of 640 = 576 GB
    tiny_doc["workloads"][1] = chat(model="llama-3-405b", tiers=["h100-sxm"])
    problem = the_problem(tiny_doc, tmp_scenario, catalog_dir)
    assert (problem.where, problem.field) == ("workloads[1] (id=chat)", "tiers")
    assert "h100-sxm holds 576 GB in one 8-GPU domain (90% of HBM); a replica needs 812 GB" in problem.fix


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"precision": "fp4"}, "h100-sxm has no fp4 TFLOPS"),
        ({"tpot_ms": 4}, "no replica of h100-sxm meets ttft_ms None and tpot_ms 4"),
        ({"ttft_ms": 1}, "no replica of h100-sxm meets ttft_ms 1"),
    ],
)
def test_precision_and_latency_targets_decide_servability(
    fields, reason, tiny_doc, tmp_scenario, catalog_dir
):
    # 70B FP8 on H100: a decode step reads at least 70.6 GB over 8 x 3.35 TB/s x 0.55 = 4.8 ms > 4 ms;
    # a 1024-token prefill on 8 GPUs takes 2 x 70.6e9 x 1024 / (8 x 1979e12 x 0.375) = 24 ms > 1 ms
    tiny_doc["workloads"][1] = chat(
        model="llama-3-70b", tiers=["h100-sxm"], **({"precision": "fp8"} | fields)
    )
    assert reason in the_problem(tiny_doc, tmp_scenario, catalog_dir).fix
    tiny_doc["workloads"][1] = chat(model="llama-3-70b", precision="fp8", tiers=["h100-sxm"])
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
        # BF16 70B: 141.2 GB of weights + 0.5 GB of KV in 2 H100s (90% of 160 = 144 GB)
        {"workloads": [chat(model="llama-3-70b", precision="bf16", tiers=["h100-sxm"])]},
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
