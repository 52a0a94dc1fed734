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
WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}  # served weight bytes per parameter
KV_VALUE_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 1.0}  # the KV cache stays FP8 under FP4 weights
PEAK_COLUMN = {"bf16": "tflops_bf16", "fp8": "tflops_fp8", "fp4": "tflops_fp4"}
HBM_USABLE = 0.9  # share of HBM a replica may fill
# LoRA/QLoRA train adapters of ~1% of the parameters on a frozen base held at 2 B/param (BF16)
# or 4.127 bits/param (QLoRA's NF4 with double quantisation); they skip the base's weight
# gradients (a third of 6·N), and QLoRA's dequantisation costs ~39% more time than LoRA.
TRAINED_SHARE = {"full": 1.0, "lora": 0.01, "qlora": 0.01}
BASE_BYTES_PER_PARAM = {"full": 0.0, "lora": 2.0, "qlora": 4.127 / 8}
FLOPS_PER_TOKEN_AND_PARAM = {"full": 6.0, "lora": 6.0 * 2 / 3, "qlora": 6.0 * 2 / 3 * 1.39}
PEAK_AND_MFU = {"bf16": ("tflops_bf16", "mfu"), "fp8": ("tflops_fp8", "mfu_fp8")}  # tier columns
KEPT_CHECKPOINTS = 3  # recent checkpoints kept on hot storage
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


def required(workload, year: int) -> float:
    """What a workload needs in `year`: effective PFLOPS for training (k·N·D FLOPs within the
    deadline, k by method, `FLOPS_PER_TOKEN_AND_PARAM`), output tokens/s for serving."""
    if workload["kind"] == "inference":
        return workload["tokens_per_s"] * growth(workload, year)
    flops = (
        FLOPS_PER_TOKEN_AND_PARAM[workload["method"]]
        * workload["params_b"]
        * 1e9
        * workload["tokens_t"]
        * 1e12
    )
    return flops / (workload["deadline_days"] * SECONDS_PER_DAY) / 1e15 * growth(workload, year)


def precision_columns(workload) -> tuple[str, str]:
    """The tier's (peak, MFU) columns a training workload computes at, by its precision."""
    return PEAK_AND_MFU[workload["precision"]]


def peak_pflops(workload, tier) -> float:
    """A node's dense peak at the workload's precision, PFLOPS (NaN where the tier has none)."""
    return tier["gpus_per_node"] * tier[precision_columns(workload)[0]] / 1000.0


def mfu(workload, tier) -> float:
    return workload["mfu"] if is_set(workload["mfu"]) else tier[precision_columns(workload)[1]]


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


def node_pflops(workload, tier, fabric, job_nodes: float) -> float:
    """Effective training PFLOPS of one node: peak × MFU × the fabric's scaling efficiency
    (`job_efficiency`) × goodput of a job of `job_nodes` nodes."""
    return (
        peak_pflops(workload, tier)
        * mfu(workload, tier)
        * job_efficiency(fabric, tier, job_nodes)
        * goodput(job_nodes, tier["node_mtbf_hours"], workload["checkpoint_minutes"])
    )


def job_efficiency(fabric, tier, job_nodes: float) -> float:
    """Scaling efficiency of a training job on `job_nodes` nodes: 1 while its GPUs fit one node or
    NVLink domain; past that the fabric's `scaling_efficiency` at `scaling_reference_gpus`, times
    (1 − `scaling_loss_per_doubling`) for every doubling of the job's GPUs beyond it (divided,
    below it), never above 1."""
    gpus = job_nodes * tier["gpus_per_node"]
    if gpus <= max(tier["gpus_per_node"], scale_up_gpus(tier)):
        return 1.0
    doublings = math.log(gpus / fabric["scaling_reference_gpus"]) / math.log(2.0)
    return min(1.0, fabric["scaling_efficiency"] * (1.0 - fabric["scaling_loss_per_doubling"]) ** doublings)


def served_model(scenario, workload):
    """The models-catalog row a serving workload names (None for training kinds)."""
    return scenario.models.loc[workload["model"]] if workload["kind"] == "inference" else None


def _serving_setup(workload, model) -> tuple[float, float]:
    """(weight bytes at the served precision, KV bytes of one request at its mean context)."""
    weights = WEIGHT_BYTES[workload["precision"]] * model["total_params_b"] * 1e9
    context = workload["input_tokens"] + workload["output_tokens"] / 2.0
    kv_token = 2.0 * model["layers"] * model["kv_heads"] * model["head_dim"]
    request_kv = context * kv_token * KV_VALUE_BYTES[workload["precision"]]
    return weights, request_kv


def scale_up_gpus(tier) -> int:
    """GPUs of one NVLink-class domain (the loader fills a node when the catalog gives none)."""
    return int(tier["nvlink_domain_gpus"])


def smallest_replica_gb(workload, model) -> float:
    """Weights at the served precision plus the KV cache of one request, GB."""
    weights, request_kv = _serving_setup(workload, model)
    return (weights + request_kv) / 1e9


def serving_tokens_per_gpu(workload, model, tier) -> float:
    """The most output tokens/s one GPU of `tier` can serve `workload` at (an upper bound).

    For each replica of 1, 2, 4, ... GPUs of one scale-up domain: a batch of B requests takes a
    decode step of max(bytes read / bandwidth, FLOPs / compute) and, per step, B/L_out prefills
    of 2·N_active·L_in FLOPs; the largest B (found by bisection) whose weights and KV cache fit
    HBM and whose step plus prefill share meets TPOT, with one prefill within TTFT; rate =
    B / (g · time per token). 0 when no replica can serve it.
    """
    peak = tier[PEAK_COLUMN[workload["precision"]]]
    if not is_set(peak) or not is_set(tier["hbm_tbps"]):
        return 0.0
    weights, request_kv = _serving_setup(workload, model)
    flops_token = 2.0 * model["active_params_b"] * 1e9
    tpot = workload["tpot_ms"] / 1e3 if is_set(workload["tpot_ms"]) else math.inf
    ttft = workload["ttft_ms"] / 1e3 if is_set(workload["ttft_ms"]) else math.inf
    best, gpus = 0.0, 1
    while gpus <= scale_up_gpus(tier):
        read = gpus * tier["hbm_tbps"] * 1e12 * tier["eta_bw"]
        math_rate = gpus * peak * 1e12 * tier["eta_compute"]
        prefill = flops_token * workload["input_tokens"] / math_rate

        def per_token(batch, read=read, math_rate=math_rate, prefill=prefill):
            step = max((weights + batch * request_kv) / read, batch * flops_token / math_rate)
            return step + batch * prefill / workload["output_tokens"]

        def serves(batch, gpus=gpus, per_token=per_token):
            fits = weights + batch * request_kv <= HBM_USABLE * gpus * tier["hbm_gb"] * 1e9
            return fits and per_token(batch) <= tpot

        if prefill <= ttft and serves(1):
            low, high = 1, 2
            while serves(high):
                low, high = high, high * 2
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if serves(mid) else (low, mid)
            best = max(best, low / per_token(low) / gpus)
        gpus *= 2
    return best


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


def hot_tb_needed(workload, model, year: int) -> float:
    """Hot TB at each site a workload runs: its hot dataset plus the weights it serves (of
    `model`, at its precision), or the checkpoints it keeps and (LoRA/QLoRA) the BF16 base weights
    it loads; none in a year before it starts."""
    scale = growth(workload, year)
    if scale == 0:
        return 0.0
    if workload["kind"] == "inference":
        kept_gb = WEIGHT_BYTES[workload["precision"]] * model["total_params_b"]
    else:
        base_gb = 0.0 if workload["method"] == "full" else WEIGHT_BYTES["bf16"] * workload["params_b"]
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
