"""The checker's own arithmetic: what a workload needs and what hardware delivers or holds.

Written apart from the model's sizing code on purpose (nothing here imports `aiopt.demand`,
`aiopt.rules`, `aiopt.fabric_sizing` or `aiopt.model`), so a wrong formula there shows up as a
failed check rather than as the same wrong number on both sides. Inputs are rows of the
scenario's tables (pandas Series or mappings with the input field names).
"""

from __future__ import annotations

import math

HOURS_PER_YEAR = 8_760.0
SECONDS_PER_DAY = 86_400.0
STATE_BYTES_PER_PARAM = 16.0  # training: BF16 weights and gradients, FP32 master weights, two Adam moments
CHECKPOINT_BYTES_PER_PARAM = 14.0  # the training state without gradients
WEIGHT_BYTES_PER_PARAM = 2.0  # BF16 inference weights
# LoRA/QLoRA train adapters of ~1% of the parameters on a frozen base held at 2 B/param (BF16)
# or 4.127 bits/param (QLoRA's NF4 with double quantisation); they skip the base's weight
# gradients (a third of 6·N), and QLoRA's dequantisation costs ~39% more time than LoRA.
TRAINED_SHARE = {"full": 1.0, "lora": 0.01, "qlora": 0.01}
BASE_BYTES_PER_PARAM = {"full": 0.0, "lora": 2.0, "qlora": 4.127 / 8}
FLOPS_PER_TOKEN_AND_PARAM = {"full": 6.0, "lora": 6.0 * 2 / 3, "qlora": 6.0 * 2 / 3 * 1.39}
PEAK_AND_MFU = {"bf16": ("tflops_bf16", "mfu"), "fp8": ("tflops_fp8", "mfu_fp8")}  # tier columns
KV_CACHE_SHARE = 0.25  # default KV cache of a replica, as a share of its weights
KEPT_CHECKPOINTS = 3  # recent checkpoints kept on hot storage
SERVING_MFU = 0.3  # inference MFU when the workload gives none
LATENCY_SHARE = {"interactive": 0.5, "standard": 0.75, "batch": 1.0}  # throughput kept per latency class
GOODPUT_FLOOR = 0.05
SHARED_GROUP = "(shared)"  # the node group of every workload that is not isolated
COOLS = {"air": {"air", "rear_door"}, "liquid": {"liquid"}}  # rack cooling kinds that cool a node


def job_unit(tier) -> float:
    """The smallest share of a node a training job or a spare takes: a whole server of up to 8
    GPUs, or one 4-GPU compute tray of a rack-scale node (GB200 NVL72: 18 trays)."""
    return 1.0 if tier["gpus_per_node"] <= 8 else 4 / tier["gpus_per_node"]


def is_set(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def growth(workload, year: int) -> float:
    """(1 + g)^(year − start), nothing before the start year."""
    if year < workload["start_year"]:
        return 0.0
    return (1.0 + workload["growth_per_year"]) ** (year - workload["start_year"])


def required_pflops(workload, year: int) -> float:
    """Effective PFLOPS needed in `year`: training k·N·D FLOPs within the deadline (k by method,
    `FLOPS_PER_TOKEN_AND_PARAM`), serving 2·N FLOPs per token at the asked tokens/s."""
    params = workload["params_b"] * 1e9
    if workload["kind"] == "inference":
        flops_per_s = 2.0 * params * workload["tokens_per_s"]
    else:
        per_token = FLOPS_PER_TOKEN_AND_PARAM[workload["method"]] * params
        flops_per_s = per_token * workload["tokens_t"] * 1e12 / (workload["deadline_days"] * SECONDS_PER_DAY)
    return flops_per_s / 1e15 * growth(workload, year)


def precision_columns(workload) -> tuple[str, str]:
    """The tier's (peak, MFU) columns a workload computes at: training at its precision, serving BF16."""
    return PEAK_AND_MFU["bf16" if workload["kind"] == "inference" else workload["precision"]]


def peak_pflops(workload, tier) -> float:
    """A node's dense peak at the workload's precision, PFLOPS (NaN where the tier has none)."""
    return tier["gpus_per_node"] * tier[precision_columns(workload)[0]] / 1000.0


def mfu(workload, tier) -> float:
    if is_set(workload["mfu"]):
        return workload["mfu"]
    return SERVING_MFU if workload["kind"] == "inference" else tier[precision_columns(workload)[1]]


def goodput(job_nodes: float, node_mtbf_hours: float, checkpoint_minutes: float) -> float:
    """Share of time a job of `job_nodes` nodes makes progress (Young/Daly).

    The job fails every M = MTBF / nodes hours; a checkpoint takes c hours and is written every
    τ = max(√(2cM) − c, c) hours. Writing costs c per τ + c of wall time; a failure costs half an
    interval of lost work plus c to reload: waste = c/(τ + c) + (τ/2 + c)/M, floored at 5% goodput.
    """
    between_failures = node_mtbf_hours / max(job_nodes, 1.0)
    write = checkpoint_minutes / 60.0
    every = max(math.sqrt(2.0 * write * between_failures) - write, write)
    waste = write / (every + write) + (every / 2.0 + write) / between_failures
    return max(GOODPUT_FLOOR, 1.0 - waste)


def node_pflops(workload, tier, scaling_efficiency: float | None, job_nodes: float) -> float:
    """Effective PFLOPS one node delivers: peak × MFU × (serving: latency share; training: the
    fabric's scaling efficiency × goodput of a job of `job_nodes` nodes)."""
    effective = peak_pflops(workload, tier) * mfu(workload, tier)
    if workload["kind"] == "inference":
        return effective * LATENCY_SHARE[workload["latency"]]
    return (
        effective
        * scaling_efficiency
        * goodput(job_nodes, tier["node_mtbf_hours"], workload["checkpoint_minutes"])
    )


def node_memory_gb(tier) -> float:
    return tier["gpus_per_node"] * tier["hbm_gb"]


def training_state_gb(workload) -> float:
    """GPU memory of a training job: 16 B per trained parameter plus the frozen base, if any."""
    per_param = (
        STATE_BYTES_PER_PARAM * TRAINED_SHARE[workload["method"]] + BASE_BYTES_PER_PARAM[workload["method"]]
    )
    return per_param * workload["params_b"]


def checkpoint_gb(workload) -> float:
    """One checkpoint: 14 B per trained parameter (LoRA/QLoRA: the adapters only)."""
    return CHECKPOINT_BYTES_PER_PARAM * TRAINED_SHARE[workload["method"]] * workload["params_b"]


def replica_gb(workload) -> float:
    """One serving replica: BF16 weights plus its KV cache (default a quarter of the weights)."""
    weights = WEIGHT_BYTES_PER_PARAM * workload["params_b"]
    return weights + (
        workload["kv_cache_gb"] if is_set(workload["kv_cache_gb"]) else KV_CACHE_SHARE * weights
    )


def hot_tb_needed(workload, year: int) -> float:
    """Hot TB at each site a workload runs: its hot dataset plus the weights it serves, or the
    checkpoints it keeps and (LoRA/QLoRA) the BF16 base weights it loads; none before it starts."""
    scale = growth(workload, year)
    if scale == 0:
        return 0.0
    weights_gb = WEIGHT_BYTES_PER_PARAM * workload["params_b"]
    if workload["kind"] == "inference":
        kept_gb = weights_gb
    else:
        base_gb = 0.0 if workload["method"] == "full" else weights_gb
        kept_gb = KEPT_CHECKPOINTS * checkpoint_gb(workload) + base_gb
    return workload["hot_tb"] * scale + kept_gb / 1000.0


def cold_tb_needed(workload, year: int) -> float:
    return workload["cold_tb"] * growth(workload, year)


def checkpoint_gbps(workload) -> float:
    """GB/s to write one checkpoint within the workload's checkpoint window."""
    return checkpoint_gb(workload) / (workload["checkpoint_minutes"] * 60.0)


def nodes_per_rack(tier, rack) -> int:
    """Whole nodes a rack holds by power and height; 0 when its cooling cannot cool the node."""
    cools = COOLS.get(tier["cooling"], {"air", "rear_door", "liquid"})
    if rack["cooling"] not in cools:
        return 0
    return int(min(rack["usable_kw"] // tier["node_kw"], rack["rack_units"] // tier["rack_units"]))


def ports_per_node(tier) -> int:
    """Compute-fabric ports per node: the tier's own figure, else one per GPU."""
    return int(tier["fabric_ports"] if is_set(tier["fabric_ports"]) else tier["gpus_per_node"])


def site_shortfalls(site, workload) -> list[str]:
    """Why `site` may not host `workload`'s compute or data: missing certifications, another
    residency region, shared tenancy for a dedicated workload; [] when it may."""
    out = [f"certification {c}" for c in workload["compliance"] if c not in site["certifications"]]
    if is_set(workload["region"]) and workload["region"] != site["region"]:
        out.append(f"region {workload['region']} (site in {site['region']})")
    if workload["dedicated"] and site["tenancy"] != "dedicated":
        out.append(f"dedicated tenancy (site is {site['tenancy']})")
    return out


def group_of(workload_id: str, workload) -> str:
    """The node group a workload's nodes belong to: its own when isolated."""
    return workload_id if workload["isolated"] else SHARED_GROUP
