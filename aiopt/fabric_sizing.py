"""Compute-fabric switch counts: a rail-optimised, non-blocking fat tree built in scalable units (SUs).

Notation: k = switch radix, h = k/2, N = SUs, n = nodes per SU, r = rails (fabric ports per node).

Leaves. Every leaf has h down-ports (to nodes) and h up-ports. Each rail of each SU gets ceil(n/h) leaves
(exactly one when n <= h, as in every SuperPOD), so

    L = N * r * ceil(n/h) leaves,   E = N * n * r endpoints = node-leaf cables.

An SU is always built and cabled in full (the RAs' rule for partly filled SUs), so every up-port of every
leaf and spine is cabled.

1 tier, L = 1: the one leaf is the fabric. Below one SU, a fabric whose endpoints fit one switch
(E <= k) is that one switch (`single_switch`, 0 SUs): no leaf uplinks, so no spines (family 9's two
spines are for leaf uplinks; a node's rail sits on one leaf in every SuperPOD too).

2 tiers, 2 <= L <= k (so up to k^2/2 endpoints): every leaf spreads its h uplinks evenly over all S spines,
so S divides h; spines have k down-ports, so S*k >= L*h. Hence

    S = smallest divisor of h that is >= ceil(L/2),   leaf-spine cables = L*h.

3 tiers, k < L <= k*h (so up to k^3/4 endpoints, Al-Fares et al., SIGCOMM 2008): spines now split their ports
h down, h up. Leaves form P = ceil(L/h) pods of at most h leaves; inside a pod every leaf spreads its uplinks
evenly over the pod's spines, so a pod of m leaves has the smallest divisor of h that is >= m spines (h for a
full pod). Spine i of every pod goes to core group i; it spreads its h uplinks evenly over the group's g
cores (g divides h), whose g*k ports take the P*h uplinks of the group, so

    g = smallest divisor of h that is >= ceil(P/2),   C = h*g cores,   spine-core cables = S*h.

Larger fabrics would need a fourth tier: ValueError.

Parameters that reproduce NVIDIA's DGX SuperPOD compute-fabric tables (tests/test_fabric_sizing.py):

* DGX H100 (RA-11333-001) and DGX B200 (RA-11334-001), Quantum-2 QM9700 NDR: radix=64, nodes_per_su=32,
  rails=8 (catalog "ib-ndr"). Their per-SU tables list 31, 63, 95, 127 nodes: the same switches and cables
  as full 32-node SUs, with one node slot of the whole fabric given to the UFM appliance, so subtract one
  node (8 GPUs) from `nodes` (`endpoints`). nodes_per_su=31 gives the same switches but too few nodes
  from 2 SUs on.
* DGX B300 with Quantum-X800 XDR (RA-11339-001), Q3400: radix=144, nodes_per_su=72, rails=8 ("ib-xdr").
* DGX B300 with Spectrum-X (RA-11337-001), twin-plane: each plane is radix=128 (64 x 800G ports run as
  128 x 400G), nodes_per_su=64, rails=8; the RA's switch counts are twice one plane's.
* "roce-400g", "eth-200g", "eth-100g": no RA table; the same rules with the catalog's radix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from numbers import Integral


@dataclass(frozen=True)
class FabricSize:
    scalable_units: int
    nodes: int  # compute nodes served
    endpoints: int  # GPU-facing fabric ports (= nodes * rails)
    leaf: int
    spine: int
    core: int
    links: int  # all cables: node-leaf + leaf-spine + spine-core

    @property
    def switches(self) -> int:
        return self.leaf + self.spine + self.core

    @property
    def tiers(self) -> int:
        return 3 if self.core else 2 if self.spine else 1

    def to_dict(self) -> dict:
        return {**asdict(self), "switches": self.switches, "tiers": self.tiers}


def _positive(name: str, value: object) -> int:
    if not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _radix(value: object) -> int:
    if not isinstance(value, Integral) or value < 4 or value % 2:
        raise ValueError(f"radix must be an even whole number >= 4, got {value!r}")
    return int(value)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _divisor_at_least(n: int, low: int) -> int:
    """Smallest divisor of n that is >= low (callers keep 1 <= low <= n)."""
    return next(d for d in range(low, n + 1) if n % d == 0)


def size_for_units(scalable_units: int, radix: int, nodes_per_su: int, rails: int) -> FabricSize:
    """Rail-optimised fat tree for `scalable_units` SUs (rules and maths: module docstring)."""
    units = _positive("scalable_units", scalable_units)
    per_su = _positive("nodes_per_su", nodes_per_su)
    rails = _positive("rails", rails)
    radix = _radix(radix)
    half = radix // 2
    leaf = units * rails * _ceil_div(per_su, half)
    if leaf > radix * half:
        raise ValueError(
            f"{units} SUs need {leaf} leaves, more than the {radix * half} "
            f"(radix^3/4 = {radix * half * half} endpoints) a three-tier fat tree of radix-{radix} "
            "switches can serve; use fewer SUs or a larger radix"
        )
    if leaf == 1:
        spine = core = 0
    elif leaf <= radix:
        spine, core = _divisor_at_least(half, _ceil_div(leaf, 2)), 0
    else:
        full_pods, last_pod = divmod(leaf, half)
        spine = full_pods * half + (_divisor_at_least(half, last_pod) if last_pod else 0)
        core = half * _divisor_at_least(half, _ceil_div(_ceil_div(leaf, half), 2))
    nodes = units * per_su
    endpoints = nodes * rails
    links = endpoints + (leaf * half if spine else 0) + (spine * half if core else 0)
    return FabricSize(units, nodes, endpoints, leaf, spine, core, links)


def single_switch(nodes: int, rails: int) -> FabricSize:
    """One switch for `nodes` nodes of `rails` ports each (callers keep nodes x rails <= radix)."""
    endpoints = nodes * rails
    return FabricSize(0, nodes, endpoints, 1, 0, 0, endpoints)


def size_for_gpus(gpus: int, radix: int, nodes_per_su: int, rails: int, gpus_per_node: int = 8) -> FabricSize:
    """One switch when the nodes of `gpus` GPUs have at most `radix` ports (`single_switch`); else the
    smallest whole number of SUs that serves them (one fabric port per GPU), then size_for_units."""
    gpus = _positive("gpus", gpus)
    per_su = _positive("nodes_per_su", nodes_per_su) * _positive("gpus_per_node", gpus_per_node)
    nodes = _ceil_div(gpus, gpus_per_node)
    if nodes * _positive("rails", rails) <= _radix(radix):
        return single_switch(nodes, rails)
    return size_for_units(_ceil_div(gpus, per_su), radix, nodes_per_su, rails)
