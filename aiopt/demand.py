"""Workload sizing from first principles: FLOPs, memory, checkpoints, failures.

All functions are plain arithmetic on documented units so they can be checked by hand.
"""

from __future__ import annotations

import math

SECONDS_PER_DAY = 86_400.0
HOURS_PER_YEAR = 8_760.0
HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365
TRAINING_STATE_BYTES_PER_PARAM = 16.0  # BF16 weights + grads, FP32 master + two Adam moments
CHECKPOINT_BYTES_PER_PARAM = 14.0  # the same state without gradients
# Training methods (see `training_state_gb`, `training_flops`, `checkpoint_gb`).
# LoRA adapters (Hu et al. 2021, arXiv:2106.09685) on every linear layer at rank 16 are ~0.3% of a
# 70B model's parameters (per layer r·Σ(in+out) = 16 × 161,792 on Llama-2-70B, × 80 layers = 0.21B);
# 1% covers ranks up to ~48 [derived].
ADAPTER_SHARE = 0.01
FROZEN_BYTES_PER_PARAM = {
    "full": 0.0,
    "lora": 2.0,  # BF16 base weights, no gradients or optimiser state
    "qlora": 0.516,  # NF4 + double quantisation, 4.127 bits/param (Dettmers et al. 2023, arXiv:2305.14314)
}
# Model FLOPs per parameter and token: forward 2N, backward 4N of which 2N are weight gradients
# (Kaplan et al. 2020, arXiv:2001.08361). A frozen base needs no weight gradients: 4N (adapters add
# 6 × 1% of N, ignored). LoRA reports 25% less time than full fine-tuning on GPT-3 175B, against
# the 33% fewer FLOPs (Hu et al. 2021, §4.2). QLoRA dequantises its 4-bit weights on every pass:
# ~39% longer runs than LoRA (S. Raschka, "Practical Tips for Finetuning LLMs Using LoRA", 2023,
# Llama-2-7B on A100), counted here as FLOP-equivalents at the tier's MFU.
FLOPS_PER_PARAM_TOKEN = {"full": 6.0, "lora": 4.0, "qlora": 4.0 * 1.39}
# Peak and MFU columns of a GPU tier by training precision
PRECISION_PEAK = {"bf16": "tflops_bf16", "fp8": "tflops_fp8"}
PRECISION_MFU = {"bf16": "mfu", "fp8": "mfu_fp8"}
BF16_BYTES_PER_PARAM = 2.0  # frozen base weights as loaded
CHECKPOINTS_KEPT = 3  # recent checkpoints kept on the hot tier


def training_flops(params_b: float, tokens_t: float, method: str = "full") -> float:
    """Training compute, FLOPs = k · N · D (N parameters, D tokens, k = `FLOPS_PER_PARAM_TOKEN`:
    6 full, 4 LoRA, 4 × 1.39 QLoRA)."""
    return FLOPS_PER_PARAM_TOKEN[method] * params_b * 1e9 * tokens_t * 1e12


def training_pflops(params_b: float, tokens_t: float, deadline_days: float, method: str = "full") -> float:
    """Sustained effective PFLOPS to finish k·N·D FLOPs within the deadline."""
    return training_flops(params_b, tokens_t, method) / (deadline_days * SECONDS_PER_DAY) / 1e15


def workload_demand(workload) -> float:
    """What a workload needs in its start year, in its own unit: effective PFLOPS
    (`training_pflops`) for training and fine-tuning, output tokens/s for serving
    (`workload` is a row of Scenario.workloads)."""
    if workload.kind == "inference":
        return workload.tokens_per_s
    return training_pflops(workload.params_b, workload.tokens_t, workload.deadline_days, workload.method)


def growth_factor(growth_per_year: float, start_year: int, year: int) -> float:
    """Demand multiple in `year`: (1 + g)^(year − start); 0 before the start year."""
    return 0.0 if year < start_year else (1.0 + growth_per_year) ** (year - start_year)


def training_state_gb(params_b: float, method: str = "full") -> float:
    """GPU memory the training state needs across the job, GB: the trained parameters' mixed-precision
    Adam state (16 B each) plus a frozen base (`FROZEN_BYTES_PER_PARAM`),

        full 16 B/param;  LoRA 2 + 0.01 · 16 = 2.16 B/param;  QLoRA 0.516 + 0.16 = 0.676 B/param.

    FP8 training keeps the same state (BF16/FP32 master weights; FP8 is only the GEMM inputs).
    Activations are left out: with full activation recomputation (Korthikanti et al. 2022,
    arXiv:2205.05198) a job keeps one BF16 hidden state per layer and token in flight, 2·h·L bytes
    (1.3 MB for a 70B model, h = 8,192, L = 80: ~11 GB per 8k-token sequence, split over its tensor-
    parallel GPUs), small next to the state and set by batch and parallelism, which the plan leaves open.
    """
    trained = 1.0 if method == "full" else ADAPTER_SHARE
    return (TRAINING_STATE_BYTES_PER_PARAM * trained + FROZEN_BYTES_PER_PARAM[method]) * params_b


def checkpoint_gb(params_b: float, method: str = "full") -> float:
    """One checkpoint, GB: 14 B per trained parameter (all of them, or the LoRA/QLoRA adapters:
    the frozen base is the input model, not written again)."""
    return CHECKPOINT_BYTES_PER_PARAM * params_b * (1.0 if method == "full" else ADAPTER_SHARE)


def base_weights_gb(params_b: float, method: str) -> float:
    """Frozen base weights a LoRA/QLoRA job loads from hot storage, GB (BF16: QLoRA quantises on
    load); 0 for full training, whose weights are in its checkpoints."""
    return 0.0 if method == "full" else BF16_BYTES_PER_PARAM * params_b


def goodput(nodes: float, node_mtbf_hours: float, checkpoint_minutes: float) -> float:
    """Fraction of wall-clock time a job makes progress, with Young/Daly checkpointing.

    The job fails every M = node_mtbf / nodes hours. With checkpoint time δ, Daly's interval
    is T = sqrt(2·δ·M) − δ (Young's when δ ≪ M). Each interval loses δ to writing; each
    failure loses on average T/2 of work plus a restart of δ to reload. So

        lost = δ / (T + δ) + (T / 2 + δ) / M,     goodput = 1 − lost  (floored at 0.05).
    """
    mtbf = node_mtbf_hours / max(nodes, 1.0)
    delta = checkpoint_minutes / 60.0
    interval = max(math.sqrt(2.0 * delta * mtbf) - delta, delta)
    lost = delta / (interval + delta) + (interval / 2.0 + delta) / mtbf
    return max(0.05, 1.0 - lost)
