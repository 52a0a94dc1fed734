"""Workload sizing from first principles: FLOPs, memory, checkpoints, failures.

All functions are plain arithmetic on documented units so they can be checked by hand.
"""

from __future__ import annotations

import math

SECONDS_PER_DAY = 86_400.0
HOURS_PER_YEAR = 8_760.0
TRAINING_STATE_BYTES_PER_PARAM = 16.0  # BF16 weights + grads, FP32 master + two Adam moments
CHECKPOINT_BYTES_PER_PARAM = 14.0  # the same state without gradients
CHECKPOINTS_KEPT = 3  # recent checkpoints kept on the hot tier


def training_flops(params_b: float, tokens_t: float) -> float:
    """Training compute, FLOPs = 6 · N · D (N parameters, D tokens)."""
    return 6.0 * params_b * 1e9 * tokens_t * 1e12


def training_pflops(params_b: float, tokens_t: float, deadline_days: float) -> float:
    """Sustained effective PFLOPS to finish 6·N·D FLOPs within the deadline."""
    return training_flops(params_b, tokens_t) / (deadline_days * SECONDS_PER_DAY) / 1e15


def workload_demand(workload) -> float:
    """What a workload needs in its start year, in its own unit: effective PFLOPS
    (`training_pflops`) for training and fine-tuning, output tokens/s for serving
    (`workload` is a row of Scenario.workloads)."""
    if workload.kind == "inference":
        return workload.tokens_per_s
    return training_pflops(workload.params_b, workload.tokens_t, workload.deadline_days)


def growth_factor(growth_per_year: float, start_year: int, year: int) -> float:
    """Demand multiple in `year`: (1 + g)^(year − start); 0 before the start year."""
    return 0.0 if year < start_year else (1.0 + growth_per_year) ** (year - start_year)


def training_state_gb(params_b: float) -> float:
    """GPU memory the training state needs across the job, GB (16 B/param)."""
    return TRAINING_STATE_BYTES_PER_PARAM * params_b


def checkpoint_gb(params_b: float) -> float:
    """One checkpoint, GB (14 B/param)."""
    return CHECKPOINT_BYTES_PER_PARAM * params_b


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
