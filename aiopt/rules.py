"""Domain rules that validation, the model and the plan checker all apply.

One definition each, so that `aiopt validate`, the model and `check_plan` agree on what a
rack and a node can hold and where a workload may run. Inputs are mappings (a validated row's values or
a DataFrame row): `tier["cooling"]`, `site["region"]`, and so on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from aiopt.schema import COOLING_KINDS
from aiopt.throughput import serve

# rack cooling kinds that can cool a node, by the cooling the node needs
RACK_COOLING_FOR = {"air": ("air", "rear_door"), "liquid": ("liquid",), "either": COOLING_KINDS}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def rack_fit_issue(tier: Mapping, rack: Mapping) -> str | None:
    """Why one node of GPU `tier` cannot go in a rack of type `rack` (None: it fits).

    A node fits when the rack's cooling suits it (air: air or rear-door racks; liquid: liquid
    racks; either: any), its power is within the rack's usable kW and its height within the
    rack's units.
    """
    rid = rack.get("id", "rack")
    if rack["cooling"] not in RACK_COOLING_FOR[tier["cooling"]]:
        return f"{rid} is {rack['cooling']}-cooled (node needs {tier['cooling']})"
    if tier["node_kw"] > rack["usable_kw"]:
        return f"{rid} has {_number(rack['usable_kw'])} kW usable (node draws {_number(tier['node_kw'])} kW)"
    if tier["rack_units"] > rack["rack_units"]:
        return f"{rid} has {rack['rack_units']} U (node takes {tier['rack_units']} U)"
    return None


def memory_fit_issue(workload: Mapping, tier: Mapping, model: Mapping | None = None) -> str | None:
    """Why GPU `tier` cannot serve a replica of `workload` (None: it can).

    A serving replica (weights and the KV cache of at least one request, `aiopt.throughput`)
    must fit one scale-up domain of the tier and meet the workload's latency targets at the
    workload's precision; `model` is the row of the model it serves. Training and fine-tuning
    shard their state across the job.
    """
    if workload["kind"] != "inference":
        return None
    serving = serve(
        model,
        tier,
        workload["precision"],
        workload["input_tokens"],
        workload["output_tokens"],
        workload["ttft_ms"],
        workload["tpot_ms"],
    )
    return serving.reason or None


def precision_issue(workload: Mapping, tier: Mapping) -> str | None:
    """Why GPU `tier` cannot train `workload` at its precision (None: it can). FP8 training runs at
    the tier's FP8 peak and FP8 MFU, so it needs both `tflops_fp8` and `mfu_fp8`."""
    if workload["kind"] == "inference" or workload["precision"] != "fp8":
        return None
    missing = [name for name in ("tflops_fp8", "mfu_fp8") if _unset(tier.get(name))]
    if not missing:
        return None
    return f"{tier.get('id', 'the tier')} has no FP8 training figures ({' and '.join(missing)} empty)"


def _unset(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def nodes_per_rack(tier: Mapping, rack: Mapping) -> int:
    """Whole nodes of a tier one rack holds: min(⌊rack kW / node kW⌋, ⌊rack U / node U⌋), 0 when
    the cooling kinds do not match."""
    if rack["cooling"] not in RACK_COOLING_FOR[tier["cooling"]]:
        return 0
    return int(min(rack["usable_kw"] // tier["node_kw"], rack["rack_units"] // tier["rack_units"]))


def site_lacks(site: Mapping, workload: Mapping) -> list[tuple[str, str]]:
    """What `site` lacks to host `workload`: (workload field, description) pairs; [] = eligible.

    A site hosts a workload when it holds every certification in `compliance`, is in the
    workload's residency `region` (if any) and has dedicated tenancy if `dedicated`.
    """
    lacks = []
    certs = [c for c in workload["compliance"] if c not in site["certifications"]]
    if certs:
        lacks.append(("compliance", f"certification {', '.join(certs)}"))
    if workload["region"] is not None and site["region"] != workload["region"]:
        lacks.append(("region", f"region {workload['region']} (site is {site['region']})"))
    if workload["dedicated"] and site["tenancy"] != "dedicated":
        lacks.append(("dedicated", f"dedicated tenancy (site is {site['tenancy']})"))
    return lacks


def fabric_ports(tier: Mapping) -> int:
    """Compute-fabric ports per node of a tier (the loader fills the default: one per GPU)."""
    return int(tier["fabric_ports"])


def fabric_supported(tier: Mapping, fabric_id: str) -> bool:
    """A tier's nodes can join compute fabric `fabric_id`: it is in the tier's `fabrics`, or that
    list is empty (any fabric)."""
    return not tier["fabrics"] or fabric_id in tier["fabrics"]
