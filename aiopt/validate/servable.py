"""Servability: every workload has a GPU tier that can serve it from its first year.

The rule is the model's (`aiopt.model.data`), so `aiopt validate` rejects what the build
would: a workload runs on a tier in a year when the tier is allowed (its `tiers`, or any, of its
`stacks` when it lists any),
one scale-up domain serves a replica within its targets (`memory_fit_issue`), an FP8 training
job finds the tier's FP8 figures (`precision_issue`), the tier is on sale that year, and a rack
type with positions at a site the workload may use holds one node (`rack_fit_issue`). Demand
starts in the workload's start year and never falls to zero, so that year decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiopt.errors import Problem
from aiopt.rules import memory_fit_issue, precision_issue, rack_fit_issue, site_lacks
from aiopt.validate.fields import Row
from aiopt.validate.messages import as_yaml

SITE_TAGS = ("compliance", "region", "dedicated")  # workload fields a site must satisfy
SITE_FIELDS = ("region", "tenancy", "certifications")  # site fields those tags are held to
SERVING_FIELDS = ("kind", "model", "precision", "input_tokens", "output_tokens")
MODEL_FIELDS = ("total_params_b", "active_params_b", "layers", "kv_heads", "head_dim")
TIER_SERVING_FIELDS = ("gpus_per_node", "hbm_gb", "tflops_bf16", "eta_bw", "eta_compute")


def rack_need(tier: Row) -> str:
    """'an air or rear-door rack with >= 10.2 kW and >= 8 U': what one node of `tier` needs."""
    cooling = {"air": "an air or rear-door", "liquid": "a liquid-cooled", "either": "a"}[
        tier.values["cooling"]
    ]
    return f"{cooling} rack with >= {as_yaml(tier.values['node_kw'])} kW and >= {tier.values['rack_units']} U"


def _site_hosts(site: Row, tier: Row, racks: Mapping[str, Row]) -> bool:
    """A rack type with positions at `site` holds one node of `tier` (or has bad values, so may)."""
    return any(
        count > 0
        and rack in racks
        and (
            not racks[rack].ok("cooling", "usable_kw", "rack_units")
            or rack_fit_issue(tier.values, racks[rack].values) is None
        )
        for rack, count in site.values["racks"].items()
    )


def _why_not(
    workload: Row,
    tier: Row,
    model: Row | None,
    first_year: int | None,
    sites: list[Row],
    racks: Mapping[str, Row],
    start_year: int | None,
) -> tuple[str, str] | None:
    """Why `tier` cannot serve `workload` (serving `model`) from `first_year` at any of `sites`,
    and what would help (None: it can)."""
    if (
        model is not None
        and model.ok(*MODEL_FIELDS)
        and workload.ok(*SERVING_FIELDS)
        and workload.clean("ttft_ms", "tpot_ms")
        and tier.ok(*TIER_SERVING_FIELDS)
        and tier.clean("hbm_tbps", "tflops_fp8", "tflops_fp4", "nvlink_domain_gpus")
    ):
        memory = memory_fit_issue(workload.values, tier.values, model.values)
        if memory:
            return memory, "relax the latency targets, shorten the requests or change precision"
    if workload.ok("kind", "precision") and tier.clean("tflops_fp8", "mfu_fp8"):
        precision = precision_issue(workload.values, tier.values)
        if precision:
            return precision, "train in bf16 (precision: bf16)"
    on_sale = tier.values["available_from"]
    if first_year is not None and on_sale is not None and on_sale > first_year:
        return (
            f"{tier.id} is on sale from {on_sale}, after the workload starts in {first_year}",
            "start it later",
        )
    off_sale = tier.values.get("available_to")
    if start_year is not None and off_sale is not None and off_sale < start_year:
        return (
            f"{tier.id} was last on sale in {off_sale}, before the plan starts in {start_year}",
            "extend available_to",
        )
    if not any(_site_hosts(s, tier, racks) for s in sites):
        return f"{tier.id} needs {rack_need(tier)}", "add rack positions that fit"
    return None


def check_servable(
    workloads: list[Row],
    sites: list[Row],
    tiers: Mapping[str, Row],
    models: Mapping[str, Row],
    racks: Mapping[str, Row],
    start_year: int | None,
) -> list[Problem]:
    """A workload none of whose GPU tiers (its `tiers`, or any) can serve it in its first year.

    `start_year` is the policy's; a workload without its own starts then. Each tier's first
    reason is named: its memory, its first year on sale, its last (before the plan starts), or the
    racks at the sites it may use.
    """
    sites = [s for s in sites if s.ok("racks", *SITE_FIELDS) and any(s.values["racks"].values())]
    problems = []
    for w in workloads:
        if not w.clean("tiers", "stacks", "start_year", *SITE_TAGS):
            continue
        eligible = [s for s in sites if not site_lacks(s.values, w.values)]
        names = w.values["tiers"] or tuple(tiers)
        stacks = w.values["stacks"]
        candidates = [
            tiers[n]
            for n in names
            if n in tiers
            and tiers[n].ok("cooling", "node_kw", "rack_units")
            and (not stacks or tiers[n].values["stack"] in stacks)
        ]
        if stacks and not candidates:
            fix = "no GPU tier it may use runs on these stacks; list another stack, or allow a tier of one"
            problems.append(w.problem("stacks", stacks, fix))
        if not eligible or not candidates:
            continue
        first_year = w.values["start_year"] or start_year
        reasons = []
        for tier in candidates:
            reason = _why_not(w, tier, models.get(w.values["model"]), first_year, eligible, racks, start_year)
            if reason is None:
                break
            reasons.append(reason)
        else:
            has = "; ".join(
                f"{s.id} has {', '.join(r for r, n in s.values['racks'].items() if n > 0)}" for s in eligible
            )
            what = "none of its GPU tiers" if w.values["tiers"] else "no GPU tier in the catalog"
            helps = ", ".join(dict.fromkeys(hint for _, hint in reasons))
            fix = (
                f"{what} can serve it at the sites it may use: "
                f"{'; '.join(why for why, _ in reasons)} ({has}); "
                f"{helps}, or allow another tier"
            )
            problems.append(w.problem("tiers", w.values["tiers"], fix))
    return problems
