"""Training methods (full, LoRA, QLoRA) and precision (BF16, FP8): hand-worked numbers.

The tiny catalog is tests/tiny_plans.py's: tier g1 has 8 GPUs of 100 GB (800 GB a node), a
1e9-hour MTBF (goodput ~1) and a fabric of scaling efficiency 1. Memory per parameter, by
method (LoRA: Hu et al. 2021; QLoRA: Dettmers et al. 2023):

* full: BF16 weights and gradients, FP32 master weights, two FP32 Adam moments = 16 B;
* LoRA: frozen BF16 weights 2 B + adapters of 1% of the parameters at 16 B = 2.16 B;
* QLoRA: NF4 weights with double quantisation 4.127 bits = 0.516 B + 0.16 B = 0.676 B.

FLOPs per parameter and token: full 6, LoRA 4 (no weight gradients of the frozen base),
QLoRA 4 x 1.39 (dequantisation, counted as FLOP-equivalents).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from tiny_plans import installed, solve_tiny, storage, storage_units, tier, tiny_scenario, training

import aiopt
from aiopt.errors import InputError

CALIBRATION = Path(__file__).resolve().parent.parent / "data" / "calibration" / "training.csv"


def finetune_70b(method: str, **values) -> dict:
    """A 70B fine-tune so small in FLOPs (1B tokens in 100 days: 6 x 70e9 x 1e9 / 8.64e6 s =
    0.05 PFLOPS) that memory alone sets its nodes."""
    return training(id="ft", kind="finetune", pflops=0.01, params_b=70, method=method, **values)


@pytest.mark.parametrize(
    ("method", "hbm_gb", "nodes", "hot_units"),
    [
        # 16 x 70 = 1,120 GB > 800 GB a node: 2 nodes; 3 checkpoints of 14 x 70 GB = 2.94 TB: 3 units
        ("full", 100, 2, 3),
        # 2.16 x 70 = 151.2 GB: 1 node of 800 GB; 3 x 14 x 0.7 GB of adapters + 140 GB base = 0.169 TB
        ("lora", 100, 1, 1),
        # with 10 GB GPUs (80 GB a node): LoRA's 151.2 GB takes 2 nodes ...
        ("lora", 10, 2, 1),
        # ... QLoRA's 0.676 x 70 = 47.32 GB one
        ("qlora", 10, 1, 1),
    ],
)
def test_70b_finetune_memory_and_checkpoints_by_method(tmp_path, method, hbm_gb, nodes, hot_units):
    plan = solve_tiny(
        tmp_path,
        [finetune_70b(method)],
        gpu_tiers=[tier(hbm_gb=hbm_gb)],
        storage_tiers=[storage(unit_tb=1)],
    )
    assert installed(plan) == nodes
    assert storage_units(plan, "hot") == hot_units


@pytest.mark.parametrize(
    ("method", "nodes"),
    [
        ("full", 9),  # 6 N D: 33 PFLOPS / 4 PFLOPS a node = 8.25 -> 9 nodes
        ("lora", 6),  # 4 N D: 22 PFLOPS / 4 = 5.5 -> 6
        ("qlora", 8),  # 4 x 1.39 N D: 30.58 PFLOPS / 4 = 7.645 -> 8
    ],
)
def test_training_flops_by_method(tmp_path, method, nodes):
    # training(pflops=33) is 33 PFLOPS of full training (6 N D); g1 delivers 8 x 1000 x 0.5 = 4 PFLOPS
    plan = solve_tiny(tmp_path, [training(pflops=33, method=method)])
    assert installed(plan) == nodes


def h100_figures() -> dict:
    """The shipped catalog's H100 peaks and MFUs at BF16 and FP8."""
    h100 = aiopt.load_catalog()["gpu_tiers"].loc["h100-sxm"]
    return {k: float(h100[k]) for k in ("tflops_bf16", "tflops_fp8", "mfu", "mfu_fp8")}


def test_h100_fp8_speed_over_bf16_is_the_published_ratio():
    # SemiAnalysis (Aug 2025), same software stack: FP8 0.395 x 1,979 vs BF16 0.54 x 989 TFLOPS = 1.46x
    h = h100_figures()
    speed = h["tflops_fp8"] * h["mfu_fp8"] / (h["tflops_bf16"] * h["mfu"])
    assert speed == pytest.approx(1.46, abs=0.03)


@pytest.mark.parametrize("precision", ["bf16", "fp8"])
def test_fp8_training_runs_at_the_fp8_peak_and_mfu(tmp_path, precision):
    h = h100_figures()
    # 8 GPUs x peak x MFU: BF16 8 x 989 x 0.40 = 3.165 PFLOPS, FP8 8 x 1,979 x 0.29 = 4.591 PFLOPS
    peak, mfu = (h["tflops_fp8"], h["mfu_fp8"]) if precision == "fp8" else (h["tflops_bf16"], h["mfu"])
    per_node = 8 * peak * mfu / 1000
    plan = solve_tiny(tmp_path, [training(pflops=30, precision=precision)], gpu_tiers=[tier(**h)])
    assert installed(plan) == math.ceil(30 / per_node)  # BF16: 9.48 -> 10 nodes; FP8: 6.53 -> 7
    assert installed(plan) == {"bf16": 10, "fp8": 7}[precision]


def test_fp8_workload_skips_a_tier_without_fp8(tmp_path):
    # "old" is cheaper per BF16 PFLOPS, but has no FP8 figures: the FP8 run goes to "new"
    tiers = [tier("old", price_usd=50_000), tier("new", tflops_fp8=2000, mfu_fp8=0.5)]
    plan = solve_tiny(tmp_path, [training(pflops=30, precision="fp8")], gpu_tiers=tiers)
    assert installed(plan, tier="old") == 0
    assert installed(plan, tier="new") == 4  # 30 / (8 x 2000 x 0.5 / 1000 = 8 PFLOPS) = 3.75 -> 4


def test_fp8_workload_on_a_tier_without_fp8_is_refused(tmp_path):
    with pytest.raises(InputError) as err:
        tiny_scenario(tmp_path, [training(precision="fp8", tiers=["g1"])])
    text = str(err.value)
    assert "g1 has no FP8 training figures (tflops_fp8 and mfu_fp8 empty)" in text
    assert "precision: bf16" in text


@pytest.mark.parametrize(
    ("workload", "field", "fix"),
    [
        (dict(kind="inference", tokens_per_s=1000, method="lora"), "method", "training/finetune only"),
        (dict(method="qlora", precision="fp8"), "precision", "QLoRA computes in BF16"),
    ],
)
def test_method_and_precision_misuse_is_refused(tmp_path, workload, field, fix):
    row = training() | workload
    if row["kind"] == "inference":
        row = {k: v for k, v in row.items() if k not in ("tokens_t", "deadline_days")}
    with pytest.raises(InputError) as err:
        tiny_scenario(tmp_path, [row])
    problems = [p for p in err.value.problems if p.field == field]
    assert problems and fix in problems[0].fix


def test_calibration_table_covers_every_shipped_tier():
    tiers = aiopt.load_catalog()["gpu_tiers"]
    with CALIBRATION.open() as handle:
        points = list(csv.DictReader(handle))
    assert {p["tier"] for p in points} >= set(tiers.index)
    assert all(p["source"] and p["used_for"] for p in points)
    # FP8 training needs both figures: a tier has an FP8 peak exactly when it has an FP8 MFU
    assert (tiers.tflops_fp8.notna() == tiers.mfu_fp8.notna()).all()
    assert tiers.tflops_fp8.isna().sum() == 1  # A100: no FP8 tensor cores
