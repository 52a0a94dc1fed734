"""Fidelity against published figures: DGX SuperPOD fabric tables and Llama 3 405B training.

Llama 3 405B (Meta, arXiv:2407.21783): 6·N·D = 6 × 405e9 × 15.6e12 ≈ 3.8e25 FLOPs on up to
16,384 H100s at 38–43% MFU, 30.84M H100-hours in all. 30.84M GPU-h / 16,384 GPUs = 1,882 h
= 78.4 days of wall clock. The 54 days often quoted is the reliability snapshot inside that run:
at 54 days, even a perfect fabric and no failures need 3.8e25 / (54 d × 86,400 × 989e12 × 0.43)
= 19,150 GPUs (+17%), so 54 days cannot land within ±15% of 16,384 at the published MFU; the
second test below shows the model gives exactly the first-principles count there.
"""

from __future__ import annotations

import json
import math
import shutil

import pandas as pd
import pytest
import yaml
from conftest import REPO
from test_fabric_sizing import RA_TABLES

import aiopt
from aiopt import demand
from aiopt.cli import main

CATALOG = REPO / "aiopt" / "data" / "catalog"
RA_FABRIC = {"H100": "ib-ndr", "B200": "ib-ndr", "B300-XDR": "ib-xdr"}
LLAMA_DAYS = 30.84e6 / 16_384 / 24  # 78.4 days


@pytest.mark.parametrize(
    ("fabric", "row"),
    [pytest.param(RA_FABRIC[ra], row, id=f"{ra}-{row.su}SU") for ra, _, rows in RA_TABLES for row in rows],
)
def test_cli_fabric_reproduces_superpod_tables(fabric, row, capsys):
    assert main(["fabric", "--gpus", str(row.gpus), "--fabric", fabric, "--json"]) == 0
    size = json.loads(capsys.readouterr().out)
    assert (size["leaf"], size["spine"], size["core"]) == (row.leaf, row.spine, row.core)
    assert size["switches"] == row.leaf + row.spine + row.core
    assert size["links"] == row.node_leaf + row.leaf_spine + row.spine_core


def llama_plan(tmp_path, mfu: float, days: float) -> aiopt.Plan:
    """Plan the Llama-3-405B-like job alone, on H100 with InfiniBand NDR only."""
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    fabrics = pd.read_csv(catalog / "fabrics.csv")
    fabrics[fabrics.id == "ib-ndr"].to_csv(catalog / "fabrics.csv", index=False)
    tiers = (catalog / "gpu_tiers.csv").read_text().splitlines(keepends=True)  # less gaudi3 (Ethernet only)
    (catalog / "gpu_tiers.csv").write_text("".join(row for row in tiers if not row.startswith("gaudi3,")))
    scenario = {
        "name": "llama3-405b",
        "policy": {"start_year": 2026, "horizon_years": 1},
        "sites": [{"id": "campus", "region": "us", "power_mw": 60, "racks": {"air-40": 1500}}],
        "workloads": [
            {
                "id": "llama-405b",
                "kind": "training",
                "params_b": 405,
                "tokens_t": 15.6,
                "deadline_days": days,
                "tiers": ["h100-sxm"],
                "mfu": mfu,
                "spare_fraction": 0.0,
                "checkpoint_minutes": 1.0,
            }
        ],
    }
    path = tmp_path / "llama.yaml"
    path.write_text(yaml.safe_dump(scenario))
    plan = aiopt.solve(aiopt.load_scenario(path, catalog), progress=False)
    assert aiopt.check_plan(plan).ok
    return plan


@pytest.mark.parametrize("mfu", [0.38, 0.43])
def test_llama3_405b_gpu_count_within_15_percent(tmp_path, mfu):
    plan = llama_plan(tmp_path, mfu, LLAMA_DAYS)
    gpus = plan.nodes.gpus.sum()
    assert abs(gpus / 16_384 - 1) <= 0.15, f"{gpus:.0f} GPUs at MFU {mfu}"


def young_daly(nodes: float, node_mtbf_hours: float, checkpoint_minutes: float) -> float:
    """Goodput written out from the formula (not the model's): job MTBF M = node MTBF / nodes,
    interval T = sqrt(2 delta M) - delta; lost = delta / (T + delta) + (T / 2 + delta) / M."""
    m, delta = node_mtbf_hours / nodes, checkpoint_minutes / 60
    interval = math.sqrt(2 * delta * m) - delta
    return 1 - delta / (interval + delta) - (interval / 2 + delta) / m


def test_llama3_405b_at_54_days_meets_its_deadline_at_its_own_size(tmp_path):
    # 54 days need 19,150 GPUs with no losses at all; NDR scales at 0.95 at 16,384 GPUs, less 1.4%
    # a doubling beyond, and ~2,500 nodes fail every 2.5 h (MTBF 6,300 h), so the job needs the N
    # nodes whose own scaling and goodput deliver the FLOPs: 8 N x 989 TF x 0.43 x 0.95 x
    # 0.986^log2(8 N / 16,384) x goodput(N) = 6 N D / 54 days. The goodput of the failure-free
    # count (the old estimate) is higher, and a plan sized by it misses the deadline.
    plan = llama_plan(tmp_path, 0.43, 54)
    flops = demand.training_flops(405, 15.6)
    assert flops == pytest.approx(3.79e25, rel=0.01)
    need = flops / (54 * 86_400)

    def delivered(nodes: float) -> float:
        scaling = 0.95 * 0.986 ** math.log2(8 * nodes / 16_384)
        return 8 * nodes * 989e12 * 0.43 * scaling * young_daly(nodes, 6300, 1.0)

    lo, hi = need / (8 * 989e12 * 0.43), 2 * need / (8 * 989e12 * 0.43)
    for _ in range(60):  # bisect the concave throughput for the exact need
        lo, hi = ((lo + hi) / 2, hi) if delivered((lo + hi) / 2) < need else (lo, (lo + hi) / 2)
    nodes = plan.nodes.nodes.sum()
    assert delivered(nodes) >= need * (1 - 1e-6)
    assert hi <= nodes <= hi * 1.001
    installed = plan.pools.gpus.sum()
    assert installed == 8 * math.ceil(nodes - 1e-6)
