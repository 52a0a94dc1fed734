"""The shipped catalog against the figures its rows cite (fidelity review section (a)).

Fabric: a Spectrum-X SN5600 is 128 x 400GbE (NVIDIA SN5000 data interfaces). With 64-node
scalable units, 512 GPUs need 8 rail leaves of 64 down + 64 up ports and 512 / 128 = 4 spines:
12 switches and 512 + 512 links, against 24 switches at radix 64 with 32-node SUs.
Serving: the 2026 AMD tiers are calibrated on relative MLPerf claims (MI325X "a match for the
H200", MLPerf Inference v5.0; an MI355X node matches B200 offline, v6.0), so the roofline must put
each within 10% of its NVIDIA peer on Llama-3-70B.
"""

from __future__ import annotations

import json

import pytest

import aiopt
from aiopt.cli import main
from aiopt.rules import nodes_per_rack


def test_sn5600_at_radix_128_sizes_512_gpus_with_12_switches(capsys):
    assert main(["fabric", "--gpus", "512", "--fabric", "roce-400g", "--json"]) == 0
    size = json.loads(capsys.readouterr().out)
    leaves, spines = 512 // 64, 512 // 128  # 64 GPU ports a leaf; 128 ports a spine
    assert (size["leaf"], size["spine"], size["core"]) == (leaves, spines, 0)
    assert size["links"] == 512 + leaves * 64  # node-leaf, then every leaf's 64 uplinks


@pytest.mark.parametrize(
    ("tier", "peer", "precision", "shape"),
    [
        ("mi325x", "h200", "fp8", (1024, 1024)),
        ("mi325x", "h200", "fp8", (8192, 1024)),
        ("mi355x", "b200", "fp4", (1024, 1024)),
        ("mi355x", "b200", "fp4", (8192, 1024)),
    ],
)
def test_2026_amd_tiers_serve_as_their_published_peers(tier, peer, precision, shape):
    ours, theirs = (aiopt.throughput("llama-3-70b", t, precision, *shape) for t in (tier, peer))
    assert ours.tokens_per_s_gpu == pytest.approx(theirs.tokens_per_s_gpu, rel=0.10)


def test_gb300_rack_needs_the_150_kw_liquid_rack():
    catalog = aiopt.load_catalog()
    gb300, racks = catalog["gpu_tiers"].loc["gb300-nvl72"], catalog["rack_types"]
    assert 135 <= gb300.node_kw <= 142  # fidelity review row 9: ~135-142 kW a rack
    assert nodes_per_rack(gb300, racks.loc["dlc-130"]) == 0
    assert nodes_per_rack(gb300, racks.loc["dlc-150"]) == 1


def test_regulated_cold_data_may_go_to_tape():
    # LTO-4 and later drives encrypt with AES-256: the archive tier is encrypted at rest
    storage = aiopt.load_catalog()["storage_tiers"]
    assert storage.loc["archive", "encryption_at_rest"]
    assert storage.loc["archive", "usd_per_tb"] == storage.usd_per_tb.min()  # still the cheapest cold tier
