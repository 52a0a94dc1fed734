"""Fabric sizing against NVIDIA's published DGX SuperPOD compute-fabric tables, plus general properties."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from aiopt.fabric_sizing import single_switch, size_for_gpus, size_for_units

IB_NDR = {"radix": 64, "nodes_per_su": 32, "rails": 8}  # Quantum-2 QM9700, 64 x 400G
IB_XDR = {"radix": 144, "nodes_per_su": 72, "rails": 8}  # Quantum-X800 Q3400, 144 x 800G
SPECTRUM_X_PLANE = {"radix": 128, "nodes_per_su": 64, "rails": 8}  # one plane: SN5610 64 x 800G as 128 x 400G


class Row(NamedTuple):
    su: int
    nodes: int
    gpus: int
    leaf: int
    spine: int
    core: int  # 0 where the RA prints "-"
    node_leaf: int  # cable counts
    leaf_spine: int
    spine_core: int  # 0 where the RA prints "-" or has no column


# RA-11333-001 V11, DGX SuperPOD with DGX H100, "Table 3. Larger SuperPOD component counts" (PDF p. 9;
# docs.nvidia.com/dgx-superpod/
#   reference-architecture-scalable-infrastructure-h100/latest/dgx-superpod-architecture.html).
# The web page prints SU count 56 in the last row; the PDF prints 64 (= 2048 nodes / 32), used here.
# Both print 1024 and 2048 spine-core cables in the 4 and 8 SU rows, which have no core switches
# ("-"): 0 here.
H100_LARGER = [
    Row(4, 128, 1024, 32, 16, 0, 1024, 1024, 0),
    Row(8, 256, 2048, 64, 32, 0, 2048, 2048, 0),
    Row(16, 512, 4096, 128, 128, 64, 4096, 4096, 4096),
    Row(32, 1024, 8192, 256, 256, 128, 8192, 8192, 8192),
    Row(64, 2048, 16384, 512, 512, 256, 16384, 16384, 16384),
]

# RA-11334-001, DGX SuperPOD with DGX B200, larger-configuration table
# (docs.nvidia.com/dgx-superpod/
#   reference-architecture-scalable-infrastructure-b200/latest/dgx-superpod-architecture.html).
B200_LARGER = [
    Row(2, 64, 512, 16, 8, 0, 512, 512, 0),
    Row(4, 128, 1024, 32, 16, 0, 1024, 1024, 0),
    Row(8, 256, 2048, 64, 32, 0, 2048, 2048, 0),
    Row(16, 512, 4096, 128, 128, 64, 4096, 4096, 4096),
    Row(32, 1024, 8192, 256, 256, 128, 8192, 8192, 8192),
    Row(64, 2048, 16384, 512, 512, 256, 16384, 16384, 16384),
]

# RA-11339-001, DGX SuperPOD with DGX B300 and Quantum-X800 InfiniBand, "Table 3 Example Compute Fabric
# Components for DGX SuperPOD Counts"
# (docs.nvidia.com/dgx-superpod/
#   reference-architecture/scalable-infrastructure-b300-xdr/latest/dgx-superpod-architecture.html).
B300_XDR = [
    Row(1, 72, 576, 8, 4, 0, 576, 576, 0),
    Row(2, 144, 1152, 16, 8, 0, 1152, 1152, 0),
    Row(4, 288, 2304, 32, 18, 0, 2304, 2304, 0),
    Row(8, 576, 4608, 64, 36, 0, 4608, 4608, 0),
    # The RA prints 9216 GPUs here, a typo: 1296 nodes x 8 = 10368, its own node-leaf cable count.
    Row(18, 1296, 10368, 144, 72, 0, 10368, 10368, 0),
]

RA_TABLES = [("H100", IB_NDR, H100_LARGER), ("B200", IB_NDR, B200_LARGER), ("B300-XDR", IB_XDR, B300_XDR)]


@pytest.mark.parametrize(
    ("params", "row"),
    [pytest.param(params, row, id=f"{ra}-{row.su}SU") for ra, params, rows in RA_TABLES for row in rows],
)
def test_reproduces_ra_table(params, row):
    size = size_for_units(row.su, **params)
    assert (size.leaf, size.spine, size.core) == (row.leaf, row.spine, row.core)
    assert (size.nodes, size.endpoints) == (row.nodes, row.gpus)
    assert size.endpoints == row.node_leaf
    assert size.links == row.node_leaf + row.leaf_spine + row.spine_core
    assert size.tiers == (3 if row.core else 2)


# RA-11333-001 (H100) Table 4 and RA-11334-001 (B200) Table 4, "Compute fabric component count", identical:
# (SU, nodes, GPUs, leaf, spine, compute+UFM cables, spine-leaf cables). Footnote: "This is a 32 node per SU
# design, however a DGX system must be removed to accommodate for UFM connectivity." The compute+UFM column
# is the GPU count plus 4 UFM ports, which the model does not carry.
# (docs.nvidia.com/dgx-superpod/
#   reference-architecture-scalable-infrastructure-h100/latest/network-fabrics.html,
#  .../reference-architecture-scalable-infrastructure-b200/latest/network-fabrics.html; H100 PDF V11 p. 11.)
UFM_TABLE = [
    (1, 31, 248, 8, 4, 252, 256),
    (2, 63, 504, 16, 8, 508, 512),
    (3, 95, 760, 24, 16, 764, 768),
    (4, 127, 1016, 32, 16, 1020, 1024),
]


@pytest.mark.parametrize("row", UFM_TABLE, ids=[f"{row[0]}SU" for row in UFM_TABLE])
def test_reproduces_ufm_tables(row):
    su, nodes, gpus, leaf, spine, _compute_and_ufm, spine_leaf = row
    size = size_for_units(su, **IB_NDR)
    assert (size.leaf, size.spine, size.core) == (leaf, spine, 0)
    assert size.links - size.endpoints == spine_leaf
    # Full 32-node SUs, less the one node slot (8 ports) the fabric gives to UFM.
    assert (size.nodes - 1, size.endpoints - 8) == (nodes, gpus)


# RA-11337-001, DGX SuperPOD with DGX B300 and Spectrum-X, "Table 3 Larger DGX SuperPOD component counts":
# (SU, nodes, GPUs, leaf, spine). Twin-plane fabric: both planes together.
# (docs.nvidia.com/dgx-superpod/
#   reference-architecture/scalable-infrastructure-b300/latest/dgx-superpod-architecture.html)
B300_SPECTRUM_X = [
    (1, 64, 512, 16, 8),
    (2, 128, 1024, 32, 16),
    (4, 256, 2048, 64, 32),
    (8, 512, 4096, 128, 64),
    (16, 1024, 8192, 256, 128),
]


@pytest.mark.parametrize("row", B300_SPECTRUM_X, ids=[f"{row[0]}SU" for row in B300_SPECTRUM_X])
def test_reproduces_twin_plane_table(row):
    su, nodes, gpus, leaf, spine = row
    plane = size_for_units(su, **SPECTRUM_X_PLANE)
    assert (2 * plane.leaf, 2 * plane.spine, plane.core) == (leaf, spine, 0)
    assert (plane.nodes, plane.nodes * 8) == (nodes, gpus)


# (radix, nodes_per_su, rails): the catalog shapes, odd half-radix, several leaves per rail, one leaf per SU.
SHAPES = [
    (64, 32, 8),
    (64, 31, 8),
    (144, 72, 8),
    (128, 64, 8),
    (32, 32, 8),
    (48, 20, 4),
    (8, 3, 1),
    (6, 5, 2),
]


def _all_sizes(radix, nodes_per_su, rails):
    """Every buildable SU count, from 1 up to the three-tier limit."""
    sizes, su = [], 1
    while True:
        try:
            sizes.append(size_for_units(su, radix, nodes_per_su, rails))
        except ValueError:
            return sizes
        su += 1


@pytest.mark.parametrize("shape", SHAPES, ids=[f"k{k}-n{n}-r{r}" for k, n, r in SHAPES])
def test_properties(shape):
    radix, nodes_per_su, rails = shape
    half = radix // 2
    sizes = _all_sizes(*shape)
    assert len(sizes) == radix * half // (rails * -(-nodes_per_su // half))  # the k^3/4 limit in SUs
    for size in sizes:
        assert size.endpoints == size.nodes * rails == size.scalable_units * nodes_per_su * rails
        assert size.leaf * half >= size.endpoints
        leaf_spine = size.leaf * half if size.tiers > 1 else 0
        spine_core = size.spine * half if size.tiers == 3 else 0
        assert size.links == size.endpoints + leaf_spine + spine_core
        if size.tiers == 2:
            assert size.leaf <= radix and half % size.spine == 0 and size.spine * radix >= leaf_spine
        if size.tiers == 3:
            group = size.core // half
            assert size.leaf > radix and size.spine >= size.leaf
            assert size.core % half == 0 and half % group == 0 and size.core * radix >= spine_core
    for smaller, larger in zip(sizes, sizes[1:], strict=False):
        for field in ("leaf", "spine", "core", "switches", "links", "tiers"):
            assert getattr(smaller, field) <= getattr(larger, field), (field, smaller, larger)
    assert {size.tiers for size in sizes} == ({1, 2, 3} if rails * -(-nodes_per_su // half) == 1 else {2, 3})


def test_to_dict():
    size = size_for_units(16, **IB_NDR)
    assert size.to_dict() == {
        "scalable_units": 16,
        "nodes": 512,
        "endpoints": 4096,
        "leaf": 128,
        "spine": 128,
        "core": 64,
        "links": 12288,
        "switches": 320,
        "tiers": 3,
    }


@pytest.mark.parametrize(("gpus", "units"), [(65, 1), (256, 1), (257, 2), (1016, 4), (1024, 4), (1025, 5)])
def test_size_for_gpus_rounds_up_to_whole_sus(gpus, units):
    assert size_for_gpus(gpus, **IB_NDR) == size_for_units(units, **IB_NDR)


@pytest.mark.parametrize(("gpus", "nodes"), [(1, 1), (8, 1), (64, 8)])
def test_size_for_gpus_fits_one_switch_without_spines(gpus, nodes):
    # up to 64 GPUs = 8 nodes x 8 rails = 64 ports of one radix-64 switch: no leaf uplinks, no spine
    size = size_for_gpus(gpus, **IB_NDR)
    assert size.to_dict() == {
        "scalable_units": 0,
        "nodes": nodes,
        "endpoints": nodes * 8,
        "leaf": 1,
        "spine": 0,
        "core": 0,
        "links": nodes * 8,
        "switches": 1,
        "tiers": 1,
    }


SN5600 = dict(radix=128, nodes_per_su=64, rails=8)  # 128 x 400G (64 x 800G split), 64-node SUs


def test_sn5600_at_400g_fits_128_ports_on_one_switch_and_512_in_12_switches():
    # fidelity review (a) row 12: 16 nodes x 8 rails = 128 ports fit one switch; 512 endpoints (64
    # nodes) take one SU: 8 leaves x ceil(64/64) = 8, spines = smallest divisor of 64 >= 4 = 4,
    # 12 switches and 8 x 64 = 512 leaf-spine links (radix 64 with 32-node SUs: 24 switches).
    assert size_for_gpus(128, **SN5600) == single_switch(16, 8)
    size = size_for_gpus(512, **SN5600)
    assert (size.leaf, size.spine, size.switches, size.links - size.endpoints) == (8, 4, 12, 512)
    assert size_for_gpus(512, **IB_NDR).switches == 24
    assert size_for_gpus(129, **SN5600) == size_for_units(1, **SN5600)


def test_size_for_gpus_uses_gpus_per_node():
    assert size_for_gpus(576, **IB_XDR).scalable_units == 1
    assert size_for_gpus(576, **IB_XDR, gpus_per_node=4).scalable_units == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scalable_units": 0}, "scalable_units"),
        ({"scalable_units": -3}, "scalable_units"),
        ({"scalable_units": 2.5}, "scalable_units"),
        ({"nodes_per_su": 0}, "nodes_per_su"),
        ({"rails": 0}, "rails"),
        ({"radix": 2}, "radix"),
        ({"radix": 63}, "radix"),
        ({"radix": 0}, "radix"),
        ({"scalable_units": 257}, "three-tier"),  # 2056 leaves > 64 * 32
    ],
)
def test_size_for_units_rejects_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        size_for_units(**{"scalable_units": 1, **IB_NDR, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"gpus": 0}, "gpus"), ({"gpus_per_node": 0}, "gpus_per_node")]
)
def test_size_for_gpus_rejects_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        size_for_gpus(**{"gpus": 8, **IB_NDR, **kwargs})
