"""Write a large, feasible benchmark scenario: 5 sites, 8 years, 20 workloads, >16k GPUs.

Deterministic: the few drawn numbers (growth rates, served tokens/s) come from a seeded RNG,
so every run writes the same file. Final-year demand is about 20k B200-equivalent GPUs
before spares (the 405B pre-training alone ~7k); sites hold 120 MW before expansion.
`--sites 8 --years 10` adds three sites (us-west, eu-south, ap-northeast; 170 MW in all)
and two years, with growth scaled down so the final year stays near 20k GPUs.

    .venv/bin/python benchmarks/make_large.py /tmp/large.yaml
    .venv/bin/python benchmarks/make_large.py /tmp/large-8x10.yaml --sites 8 --years 10
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

SEED = 20260101
NVIDIA = ["h100-sxm", "h200", "b200", "gb200-nvl72"]  # CUDA/NCCL training stack


def _site(
    site_id, region, power_mw, racks, certs, tenancy="dedicated", pue=1.25, usd_kwh=0.08, colo=0.0, **extra
):
    return dict(
        id=site_id,
        region=region,
        tenancy=tenancy,
        certifications=certs,
        power_mw=power_mw,
        pue=pue,
        electricity_usd_per_kwh=usd_kwh,
        colocation_usd_per_kw_month=colo,
        racks=racks,
        **extra,
    )


SITES = [
    _site(
        "us-east",
        "us",
        40.0,
        {"air-40": 150, "rdhx-60": 300, "dlc-130": 120},
        ["soc2", "iso27001", "hipaa-ready"],
        usd_kwh=0.089,
    ),
    _site(
        "us-central",
        "us",
        30.0,
        {"air-40": 100, "rdhx-60": 250, "dlc-130": 100},
        ["soc2"],
        tenancy="shared",
        pue=1.2,
        usd_kwh=0.066,
        colo=150.0,
        expansion_block_mw=5.0,
        expansion_cost_usd=60e6,
        expansion_lead_years=1,
        expansion_max_blocks=3,
    ),
    _site(
        "eu-north",
        "eu",
        25.0,
        {"air-40": 80, "rdhx-60": 200, "dlc-130": 60},
        ["soc2", "iso27001"],
        tenancy="shared",
        pue=1.15,
        usd_kwh=0.12,
        colo=190.0,
        expansion_block_mw=5.0,
        expansion_cost_usd=65e6,
        expansion_lead_years=2,
        expansion_max_blocks=2,
    ),
    _site(
        "eu-west",
        "eu",
        15.0,
        {"air-30": 100, "rdhx-60": 120},
        ["soc2", "iso27001"],
        tenancy="shared",
        pue=1.3,
        usd_kwh=0.22,
        colo=217.0,
        carriers=1,
    ),
    _site(
        "ap-southeast",
        "apac",
        10.0,
        {"air-40": 60, "rdhx-60": 80, "dlc-130": 20},
        ["soc2"],
        tenancy="shared",
        pue=1.4,
        usd_kwh=0.15,
        colo=230.0,
        expansion_block_mw=2.5,
        expansion_cost_usd=30e6,
        expansion_lead_years=1,
        expansion_max_blocks=4,
    ),
]

EXTRA_SITES = [
    _site(
        "us-west",
        "us",
        20.0,
        {"air-40": 100, "rdhx-60": 150, "dlc-130": 80},
        ["soc2", "iso27001"],
        tenancy="shared",
        pue=1.2,
        usd_kwh=0.1,
        colo=170.0,
    ),
    _site(
        "eu-south",
        "eu",
        15.0,
        {"air-40": 80, "rdhx-60": 120, "dlc-130": 40},
        ["soc2", "iso27001"],
        tenancy="shared",
        pue=1.3,
        usd_kwh=0.16,
        colo=200.0,
        expansion_block_mw=5.0,
        expansion_cost_usd=60e6,
        expansion_lead_years=1,
        expansion_max_blocks=2,
    ),
    _site(
        "ap-northeast",
        "apac",
        15.0,
        {"air-40": 80, "rdhx-60": 100, "dlc-130": 40},
        ["soc2", "iso27001"],
        tenancy="shared",
        pue=1.35,
        usd_kwh=0.18,
        colo=240.0,
    ),
]

# id, kind, params_b, tokens_t, deadline_days, extra fields
TRAINING = [
    (
        "pretrain-405b",
        "training",
        405,
        15.0,
        180,
        dict(tiers=NVIDIA, region="us", hot_tb=2000, cold_tb=20000, read_gbps_per_gpu=0.2),
    ),
    (
        "pretrain-70b-us",
        "training",
        70,
        15.0,
        90,
        dict(tiers=NVIDIA, region="us", hot_tb=800, cold_tb=8000, read_gbps_per_gpu=0.2),
    ),
    (
        "pretrain-70b-eu",
        "training",
        70,
        8.0,
        120,
        dict(tiers=NVIDIA, region="eu", hot_tb=600, cold_tb=6000, read_gbps_per_gpu=0.2),
    ),
    (
        "pretrain-34b-code",
        "training",
        34,
        5.0,
        60,
        dict(tiers=NVIDIA, start_year=2028, hot_tb=400, cold_tb=3000),
    ),
    (
        "pretrain-8b-apac",
        "training",
        8,
        6.0,
        45,
        dict(region="apac", start_year=2027, hot_tb=200, cold_tb=1500),
    ),
    (
        "finetune-405b-instruct",
        "finetune",
        405,
        0.05,
        14,
        dict(tiers=NVIDIA, region="us", hot_tb=200, cold_tb=500),
    ),
    (
        "finetune-70b-clinical",
        "finetune",
        70,
        0.03,
        7,
        dict(compliance=["hipaa-ready"], region="us", dedicated=True, hot_tb=150, cold_tb=1500),
    ),
    ("finetune-70b-support", "finetune", 70, 0.04, 5, dict(compliance=["soc2"], hot_tb=60, cold_tb=200)),
    ("finetune-8b-code", "finetune", 8, 0.05, 2, dict(hot_tb=20, cold_tb=100)),
]

# id, model, base output tokens/s, request shape, extra fields (base rates keep each service's
# H100 count of the earlier FLOPs-based sizing; 34B services became a Mixtral-class MoE)
INFERENCE = [
    ("chat-405b", "llama-3-405b", 242_000, "interactive", dict(region="us", compliance=["soc2"], hot_tb=20)),
    (
        "chat-70b-us",
        "llama-3-70b",
        1_363_000,
        "interactive",
        dict(region="us", compliance=["soc2"], hot_tb=10),
    ),
    ("chat-70b-eu", "llama-3-70b", 682_000, "interactive", dict(region="eu", hot_tb=10)),
    ("assistant-8b-apac", "llama-3-8b", 300_000, "standard", dict(region="apac", hot_tb=5)),
    ("code-assist-moe", "mixtral-8x7b", 1_321_000, "interactive", dict(compliance=["soc2"], hot_tb=5)),
    ("rag-search-8b", "llama-3-8b", 751_000, "standard", dict(hot_tb=50, cold_tb=500)),
    (
        "clinical-assistant-70b",
        "llama-3-70b",
        182_000,
        "interactive",
        dict(compliance=["hipaa-ready"], region="us", dedicated=True, isolated=True, hot_tb=20),
    ),
    ("batch-summarise-70b", "llama-3-70b", 348_000, "batch", dict(hot_tb=10, cold_tb=2000)),
    ("embeddings-8b", "llama-3-8b", 466_000, "batch", dict(hot_tb=30, cold_tb=3000)),
    (
        "translate-moe-eu",
        "mixtral-8x7b",
        419_000,
        "standard",
        dict(region="eu", compliance=["iso27001"], hot_tb=5),
    ),
    (
        "fraud-scoring-8b",
        "llama-3-8b",
        638_000,
        "interactive",
        dict(compliance=["soc2", "iso27001"], spare_fraction=0.15, hot_tb=5),
    ),
]
# request shape: mean input and output tokens, TTFT and TPOT targets (ms; none for batch)
SHAPES = {
    "interactive": dict(input_tokens=1024, output_tokens=1024, ttft_ms=1000, tpot_ms=45),
    "standard": dict(input_tokens=1024, output_tokens=512, ttft_ms=1000, tpot_ms=60),
    "batch": dict(input_tokens=4096, output_tokens=512),
}


def _stretched(growth: float, stretch: float) -> float:
    """A yearly growth rate spread over `stretch` times as many years: (1 + g)^stretch − 1."""
    return growth if stretch == 1 else round((1 + growth) ** stretch - 1, 3)


def scenario(seed: int = SEED, sites: int = 5, years: int = 8) -> dict:
    """The large scenario as a YAML-ready mapping: `sites` of the 8 listed (5 to 8), `years` years.

    Growth rates are scaled by 7/(years − 1) so that final-year demand stays the same.
    """
    if not len(SITES) <= sites <= len(SITES) + len(EXTRA_SITES):
        raise ValueError(f"sites must be {len(SITES)} to {len(SITES) + len(EXTRA_SITES)}, not {sites}")
    rng = random.Random(seed)
    stretch = 7 / max(years - 1, 1)
    workloads = [
        dict(
            id=name,
            kind=kind,
            params_b=n,
            tokens_t=d,
            deadline_days=days,
            growth_per_year=_stretched(round(rng.uniform(0.1, 0.25), 2), stretch),
            **extra,
        )
        for name, kind, n, d, days, extra in TRAINING
    ]
    workloads += [
        {
            "id": name,
            "kind": "inference",
            "model": model,
            "precision": "fp8",
            **SHAPES[shape],
            "tokens_per_s": round(tps * rng.uniform(0.8, 1.2), -3),
            "spare_fraction": 0.10,
            "growth_per_year": _stretched(round(rng.uniform(0.2, 0.4), 2), stretch),
            **extra,
        }
        for name, model, tps, shape, extra in INFERENCE
    ]
    chosen = SITES + EXTRA_SITES[: sites - len(SITES)]
    regions = len({site["region"] for site in chosen})
    return dict(
        name="large-benchmark" if (sites, years) == (5, 8) else f"large-benchmark-{sites}x{years}",
        description=f"Benchmark: {sites} sites in {regions} regions, {years} years, 20 workloads "
        "(405B/70B pre-training, fine-tunes, inference services), >16k GPUs in the final year. "
        "Generated by benchmarks/make_large.py.",
        policy=dict(
            start_year=2026,
            horizon_years=years,
            discount_rate=0.08,
            objective="min_npv",
            hardware_lifetime_years=5,
            average_load=0.75,
            electricity_escalation=0.02,
        ),
        sites=chosen,
        workloads=workloads,
    )


def write(path: str | Path, seed: int = SEED, sites: int = 5, years: int = 8) -> Path:
    """Write the scenario YAML to `path` and return the path."""
    path = Path(path)
    path.write_text(
        yaml.safe_dump(scenario(seed, sites, years), sort_keys=False, width=120), encoding="utf-8"
    )
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="large.yaml")
    parser.add_argument("--sites", type=int, default=5, help="5 (default) to 8")
    parser.add_argument("--years", type=int, default=8, help="planning years (default 8)")
    args = parser.parse_args()
    print(write(args.path, sites=args.sites, years=args.years))
