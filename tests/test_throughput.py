"""The serving roofline (`aiopt.throughput`): hand-worked numbers, published points, tier order.

The hand-worked tests redo the arithmetic from catalog inputs (H100: 80 GB, 3.35 TB/s, FP8
1,979 TFLOPS, eta_bw 0.55, eta_compute 0.375; Llama 3 70B: 70.6B params, 80 layers, 8 KV heads
of 128). The fidelity tests hold the model to the published points in
data/calibration/inference.csv.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import aiopt
from aiopt.check import physics
from aiopt.load import load_catalog
from aiopt.throughput import Serving

CALIBRATION = Path(__file__).parents[1] / "data" / "calibration" / "inference.csv"
POINTS = pd.read_csv(CALIBRATION)
H100 = dict(hbm=80e9, bw=3.35e12 * 0.55, fp8=1979e12 * 0.375, bf16=989e12 * 0.375)
USABLE = 0.9  # of HBM


def _target(value):
    return None if pd.isna(value) else value


def modelled(point) -> Serving:
    return aiopt.throughput(
        point.model,
        point.tier,
        point.precision,
        point.input_tokens,
        point.output_tokens,
        _target(point.ttft_ms),
        _target(point.tpot_ms),
    )


@pytest.mark.parametrize(("precision", "gpus"), [("bf16", 4), ("fp8", 2)])
def test_a_70b_replica_on_h100_is_the_worked_out_number_of_gpus(precision, gpus):
    # bytes b = 2 (BF16) or 1 (FP8); KV per token 2 x 80 x 8 x 128 x b; a 1k/1k request holds
    # 1024 + 512 tokens on average. The compute knee is B* = b x eta_c F / (2 eta_bw BW) (the
    # batch whose FLOPs take as long as reading the weights), ~201 for both precisions.
    b = {"bf16": 2, "fp8": 1}[precision]
    weights, request = 70.6e9 * b, 1536 * 2 * 80 * 8 * 128 * b
    knee = b * H100[precision] / (2 * H100["bw"])
    batch = {g: math.floor((g * H100["hbm"] * USABLE - weights) / request) for g in (1, 2, 4, 8)}
    # BF16: 141 GB of weights; 2 GPUs hold 144 GB, room for 5 requests; 4 GPUs 291 >= 201
    # FP8: 71 GB of weights; 1 GPU holds 72 GB, room for 5; 2 GPUs 291 >= 201
    assert min(g for g in batch if batch[g] >= knee) == gpus
    serving = aiopt.throughput("llama-3-70b", "h100-sxm", precision, 1024, 1024)
    assert (serving.gpus, serving.batch) == (gpus, batch[gpus])


def test_decode_step_prefill_and_tokens_per_gpu_by_hand():
    # FP8 on 2 H100s, batch 291 (above): a step reads 70.6 GB + 291 requests' KV over 2 GPUs,
    # or computes 2 x 70.6e9 x 291 FLOPs, whichever is slower; a request's 1024 prompt tokens
    # take 2 x 70.6e9 x 1024 FLOPs; 291 / 1024 prefills ride on every step.
    g, batch, request = 2, 291, 1536 * 2 * 80 * 8 * 128
    step = max((70.6e9 + batch * request) / (g * H100["bw"]), 2 * 70.6e9 * batch / (g * H100["fp8"]))
    prefill = 2 * 70.6e9 * 1024 / (g * H100["fp8"])
    per_token = step + batch * prefill / 1024
    serving = aiopt.throughput("llama-3-70b", "h100-sxm", "fp8", 1024, 1024)
    assert serving.step_ms == pytest.approx(step * 1e3)  # ~39.1 ms: bandwidth-bound
    assert serving.prefill_ms == pytest.approx(prefill * 1e3)  # ~97 ms
    assert serving.tokens_per_s_gpu == pytest.approx(batch / per_token / g)  # ~2,180
    assert serving.tokens_per_s_replica == pytest.approx(batch / per_token)


def test_the_tpot_target_bounds_the_batch():
    # with TPOT 45 ms the batch is the largest whose step plus prefill share stays within it
    loose = aiopt.throughput("llama-3-70b", "h100-sxm", "fp8", 1024, 1024)
    tight = aiopt.throughput("llama-3-70b", "h100-sxm", "fp8", 1024, 1024, tpot_ms=45)
    assert loose.tpot_ms > 45 >= tight.tpot_ms
    g, request = tight.gpus, 1536 * 2 * 80 * 8 * 128
    prefill = 2 * 70.6e9 * 1024 / (g * H100["fp8"])

    def per_token_ms(batch):
        step = max((70.6e9 + batch * request) / (g * H100["bw"]), 2 * 70.6e9 * batch / (g * H100["fp8"]))
        return (step + batch * prefill / 1024) * 1e3

    assert per_token_ms(tight.batch) <= 45 < per_token_ms(tight.batch + 1)


def test_moe_flops_use_active_parameters_and_memory_total_parameters():
    # Mixtral 8x7B: 46.7B held, 12.9B active. FP8 on H100: prefill of 1024 tokens costs
    # 2 x 12.9e9 x 1024 FLOPs; the step reads all 46.7 GB of weights.
    serving = aiopt.throughput("mixtral-8x7b", "h100-sxm", "fp8", 1024, 1024)
    g, batch, request = serving.gpus, serving.batch, 1536 * 2 * 32 * 8 * 128
    assert serving.prefill_ms == pytest.approx(2 * 12.9e9 * 1024 / (g * H100["fp8"]) * 1e3)
    read = (46.7e9 + batch * request) / (g * H100["bw"])
    compute = 2 * 12.9e9 * batch / (g * H100["fp8"])
    assert serving.step_ms == pytest.approx(max(read, compute) * 1e3)
    # the batch is held by memory of the total weights: one more request would not fit
    assert (batch + 1) * request > g * H100["hbm"] * USABLE - 46.7e9 >= batch * request
    catalog = load_catalog()
    catalog["models"].loc["mixtral-8x7b", "active_params_b"] = 46.7  # the same weights, all active
    dense = aiopt.throughput("mixtral-8x7b", "h100-sxm", "fp8", 1024, 1024, catalog=catalog)
    assert dense.prefill_ms * dense.gpus == pytest.approx(serving.prefill_ms * g * 46.7 / 12.9)


def test_calibration_has_enough_independent_points():
    publishers = {source.split(",")[0].split(" (")[0] for source in POINTS.source}
    assert len(POINTS) >= 8
    assert len(publishers) >= 2, publishers


@pytest.mark.parametrize(
    "point", list(POINTS.itertuples()), ids=lambda p: f"{p.tier}-{p.precision}-{p.input_tokens}"
)
def test_published_serving_throughput_within_25_percent(point):
    ratio = modelled(point).tokens_per_s_gpu / point.tokens_per_s_gpu
    assert 0.75 <= ratio <= 1.25, f"model/published = {ratio:.2f}"


@pytest.mark.parametrize("shape", [(1024, 1024), (8192, 1024)])
def test_tier_order_for_70b_serving_matches_the_published_order(shape):
    points = POINTS[
        (POINTS.model == "llama-3-70b")
        & (POINTS.input_tokens == shape[0])
        & (POINTS.output_tokens == shape[1])
        & POINTS.tpot_ms.isna()
    ]
    assert len(points) >= 2
    published = list(points.sort_values("tokens_per_s_gpu").tier)
    model = [p.tier for p in sorted(points.itertuples(), key=lambda p: modelled(p).tokens_per_s_gpu)]
    assert model == published


def test_every_tier_as_a_table_with_reasons_for_those_that_cannot_serve():
    table = aiopt.throughput("llama-3-70b", None, "fp8", 1024, 1024, tpot_ms=45)
    assert list(table.index) == list(load_catalog()["gpu_tiers"].index)
    assert {"gpus", "batch", "tokens_per_s_gpu", "tokens_per_s_replica", "reason"} <= set(table.columns)
    assert table.at["a100-80gb", "gpus"] == 0 and "no fp8" in table.at["a100-80gb", "reason"]
    assert table.at["l40s", "gpus"] == 0 and "1-GPU domain" in table.at["l40s", "reason"]  # no NVLink
    assert (table.loc[table.gpus > 0, "tpot_ms"] <= 45).all()


def test_unknown_model_is_an_input_error():
    with pytest.raises(aiopt.InputError, match="llama-3-70b"):
        aiopt.throughput("llama-3-70", "h100-sxm")


def test_the_checkers_roofline_is_an_upper_bound_of_the_models():
    catalog = load_catalog()
    for point in POINTS.itertuples():
        workload = point._asdict() | {"kind": "inference"}
        bound = physics.serving_tokens_per_gpu(
            workload, catalog["models"].loc[point.model], catalog["gpu_tiers"].loc[point.tier]
        )
        assert bound >= modelled(point).tokens_per_s_gpu * (1 - 1e-9)


@pytest.mark.parametrize(
    ("field", "value", "names"),
    [
        ("latency", "interactive", "ttft_ms and tpot_ms"),
        ("kv_cache_gb", 40, "input_tokens"),
        ("params_b", 70, "model"),
    ],
)
def test_removed_serving_fields_name_their_replacement(
    tiny_doc, tmp_scenario, catalog_dir, field, value, names
):
    tiny_doc["workloads"][1][field] = value
    (problem,) = aiopt.validate(tmp_scenario(tiny_doc), catalog_dir)
    assert problem.field == field and names in problem.fix
