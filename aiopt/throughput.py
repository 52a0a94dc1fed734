r"""Serving throughput from a roofline: output tokens/s per GPU of a model on a GPU tier.

"Tokens/s" here, and in a workload's `tokens_per_s`, are **generated (output) tokens per
second**, the figure serving benchmarks report (TensorRT-LLM, MLPerf, vendor tables); the
prompt tokens of those requests are processed on top and cost prefill time.

A replica of g GPUs (one scale-up domain) serves a batch of B requests. With N the total and
N_a the active parameters (MoE: only the routed experts run, all are held), b the bytes per
weight of the precision, k the KV bytes per token and c = L_in + L_out/2 the mean context:

- weights W = N·b; KV per token k = 2·layers·kv_heads·head_dim·b_kv;
- decode step t(B) = max( (W + B·c·k) / (η_bw·g·BW), 2·N_a·B / (η_c·g·F) );
- prefill of one request t_p = 2·N_a·L_in / (η_c·g·F) (compute-bound), which must be within
  the time-to-first-token target (queueing not counted);
- every step, B/L_out requests finish and as many are prefilled, so the time per output token
  is t(B) + B·t_p/L_out; B is the largest whole batch with that within the TPOT target and
  W + B·c·k within the usable memory g·HBM·(1 − reserve);
- output tokens/s per replica = B / (t(B) + B·t_p/L_out), i.e. net of prefill time.

The replica is the smallest power-of-two g inside the domain that meets the targets with a
batch reaching the compute knee (B where 2·N_a·B/(η_c·F) = W/(η_bw·BW)); when no size reaches
it, the size with the most tokens/s per GPU. BW, F are the tier's HBM TB/s and dense TFLOPS at
the precision; η_bw, η_c its calibrated serving efficiencies (`data/calibration/inference.csv`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from aiopt.errors import InputError, Problem

WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}  # bytes per parameter
KV_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 1.0}  # bytes per KV value: FP8 cache below BF16
TFLOPS_FIELD = {"bf16": "tflops_bf16", "fp8": "tflops_fp8", "fp4": "tflops_fp4"}
MEMORY_RESERVE = 0.10  # HBM kept for activations, the runtime and fragmentation


@dataclass(frozen=True)
class Serving:
    """How one (model, tier, precision, shape, targets) is served; `reason` says why not when
    `gpus` is 0 (the tier cannot meet the targets, lacks the precision, or cannot hold the model)."""

    gpus: int  # GPUs per replica
    batch: int  # requests in flight per replica
    step_ms: float  # one decode step
    prefill_ms: float  # prefill of one request
    tpot_ms: float  # time per output token, prefill share included
    tokens_per_s_replica: float  # output tokens/s
    tokens_per_s_gpu: float
    reason: str = ""


def kv_bytes_per_token(model: Mapping, precision: str) -> float:
    """k = 2 (K and V) · layers · kv_heads · head_dim · bytes per value."""
    return 2.0 * model["layers"] * model["kv_heads"] * model["head_dim"] * KV_BYTES[precision]


def replica_sizes(tier: Mapping) -> list[int]:
    """Powers of two up to the tier's scale-up domain (unset while validating: a node)."""
    domain = tier["nvlink_domain_gpus"] or tier["gpus_per_node"]
    return [2**i for i in range(int(math.log2(domain)) + 1)]


def serve(
    model: Mapping,
    tier: Mapping,
    precision: str,
    input_tokens: int,
    output_tokens: int,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
) -> Serving:
    """The roofline of the module docstring for one model row and one tier row."""
    tflops, tier_id = tier[TFLOPS_FIELD[precision]], tier.get("id", "the tier")
    if tflops is None or pd.isna(tflops):
        return _none(f"{tier_id} has no {precision} TFLOPS (serve another precision)")
    if tier["hbm_tbps"] is None or pd.isna(tier["hbm_tbps"]):
        return _none(f"{tier_id} has no hbm_tbps (add it to the tier to serve on it)")
    weights = model["total_params_b"] * 1e9 * WEIGHT_BYTES[precision]
    flops_per_token = 2.0 * model["active_params_b"] * 1e9
    kv_request = (input_tokens + output_tokens / 2.0) * kv_bytes_per_token(model, precision)
    bandwidth = tier["eta_bw"] * tier["hbm_tbps"] * 1e12  # bytes/s per GPU
    compute = tier["eta_compute"] * tflops * 1e12  # FLOP/s per GPU
    knee = weights * compute / (bandwidth * flops_per_token)
    ttft = math.inf if ttft_ms is None or pd.isna(ttft_ms) else ttft_ms / 1e3
    tpot = math.inf if tpot_ms is None or pd.isna(tpot_ms) else tpot_ms / 1e3
    sizes = replica_sizes(tier)
    domain_gb = sizes[-1] * tier["hbm_gb"] * (1 - MEMORY_RESERVE)
    why = (
        f"{tier_id} holds {domain_gb:.0f} GB in one {sizes[-1]}-GPU domain ({1 - MEMORY_RESERVE:.0%} "
        f"of HBM); a replica needs {(weights + kv_request) / 1e9:.0f} GB ({precision} weights and one "
        "request's KV cache)"
    )
    best = None
    for g in sizes:
        memory = g * tier["hbm_gb"] * 1e9 * (1 - MEMORY_RESERVE)
        prefill = flops_per_token * input_tokens / (g * compute)
        per_token_prefill = prefill / output_tokens
        # t(B) + B·t_p/L_out <= TPOT, on both branches of the max: B <= (T − a)/(b + p) and T/(b' + p)
        read, per_request_read = weights / (g * bandwidth), kv_request / (g * bandwidth)
        per_request_math = flops_per_token / (g * compute)
        batch_limits = [
            (memory - weights) / kv_request,
            (tpot - read) / (per_request_read + per_token_prefill),
            tpot / (per_request_math + per_token_prefill),
        ]
        batch = math.floor(min(batch_limits))
        if batch < 1 or prefill > ttft:
            if weights + kv_request <= memory:
                why = f"no replica of {tier_id} meets ttft_ms {ttft_ms} and tpot_ms {tpot_ms}"
            continue
        step = max(read + batch * per_request_read, batch * per_request_math)
        per_token = step + batch * per_token_prefill
        found = Serving(
            g, batch, step * 1e3, prefill * 1e3, per_token * 1e3, batch / per_token, batch / per_token / g
        )
        if best is None or found.tokens_per_s_gpu > best.tokens_per_s_gpu:
            best = found
        if batch >= knee:
            return found
    return best or _none(why)


def _none(reason: str) -> Serving:
    return Serving(0, 0, math.nan, math.nan, math.nan, 0.0, 0.0, reason)


def throughput(
    model: str,
    tier: str | Sequence[str] | None = None,
    precision: str = "fp8",
    input_tokens: int = 1024,
    output_tokens: int = 1024,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    catalog=None,
) -> Serving | pd.DataFrame:
    """Serving of `model` on `tier` by the roofline of `aiopt.throughput` (module docstring).

    One tier id gives a `Serving`; a list of ids, or None (every tier), a DataFrame indexed by
    tier with columns gpus (per replica), batch, step_ms, prefill_ms, tpot_ms,
    tokens_per_s_replica and tokens_per_s_gpu (output tokens/s), and reason (why a tier cannot
    serve: its row has 0 GPUs). `catalog` is a Scenario or `load_catalog()` (default: the
    shipped catalog). Targets None mean no bound.

    Examples
    --------
    >>> aiopt.throughput("llama-3-70b", "h100-sxm", "fp8", 1024, 1024).gpus    # doctest: +SKIP
    2
    >>> aiopt.throughput("llama-3-70b", None, tpot_ms=40).tokens_per_s_gpu      # doctest: +SKIP
    """
    tiers, models = _catalog(catalog)
    if model not in models.index:
        raise _unknown("model", model, models.index)
    ids = list(tiers.index) if tier is None else [tier] if isinstance(tier, str) else list(tier)
    for t in ids:
        if t not in tiers.index:
            raise _unknown("tier", t, tiers.index)
    if precision not in WEIGHT_BYTES:
        raise _unknown("precision", precision, WEIGHT_BYTES)
    shape = (precision, input_tokens, output_tokens, ttft_ms, tpot_ms)
    found = {t: serve(_row(models, model), _row(tiers, t), *shape) for t in ids}
    if isinstance(tier, str):
        return found[tier]
    return pd.DataFrame([asdict(s) for s in found.values()], index=pd.Index(ids, name="tier"))


def _catalog(catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    if catalog is None:
        from aiopt.load import load_catalog

        catalog = load_catalog()
    if isinstance(catalog, Mapping):
        return catalog["gpu_tiers"], catalog["models"]
    return catalog.gpu_tiers, catalog.models


def _row(table: pd.DataFrame, rid: str) -> dict:
    return {"id": rid, **table.loc[rid].to_dict()}


def _unknown(field: str, value: str, known) -> InputError:
    from aiopt.validate.messages import suggest

    return InputError(
        [
            Problem(
                "aiopt.throughput",
                "arguments",
                field,
                value,
                f"unknown; {suggest(value, known, field + 's')}",
            )
        ]
    )
