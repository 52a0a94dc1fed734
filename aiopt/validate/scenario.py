"""Scenario checks: the document's structure, its policy, sites and workloads, and the rules
that join them to each other and to the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aiopt.demand import DAYS_PER_YEAR
from aiopt.errors import InputError, Problem
from aiopt.read import display_path, read_scenario_file
from aiopt.rules import site_lacks
from aiopt.schema import POLICY, RETIRED_TAGS, SITES, STR, TRAINING_PRECISIONS, WORKLOADS, Field, Table
from aiopt.validate.catalog import apply_overrides, check_catalog_tables, read_catalog_tables
from aiopt.validate.fields import BadValue, Checked, Row, check_record, check_unique_ids, convert, item_where
from aiopt.validate.messages import MISSING, brief, example, suggest
from aiopt.validate.plausible import plausibility_warnings
from aiopt.validate.servable import SITE_FIELDS, SITE_TAGS, check_servable

SCENARIO_KEYS = ("name", "description", "policy", "sites", "workloads", "catalog")
# fields each workload kind needs; the others' demand fields do not apply to it
KIND_NEEDS = {
    "training": ("params_b", "tokens_t", "deadline_days"),
    "finetune": ("params_b", "tokens_t", "deadline_days"),
    "inference": ("model", "input_tokens", "output_tokens", "tokens_per_s"),
}
# fields of training that serving replaced, and what replaced them
SERVING_REPLACED = {
    "params_b": "serving names its model instead: use model (a models catalog id, e.g. llama-3-70b)",
    "mfu": "serving uses the tier's eta_bw and eta_compute (gpu_tiers catalog); remove it",
}
# optional fields that apply to some kinds only
KIND_ONLY = {
    "runs_per_year": ("training", "finetune"),
    "method": ("training", "finetune"),
    "min_replicas": ("inference",),
    "min_sites": ("inference",),
    "site_peak_share": ("inference",),
    "mixed_tiers": ("inference",),
}
DOCUMENT_LABEL = "scenario mapping"  # file label of a scenario given as a Python mapping
CatalogRows = tuple[dict[str, list[Row]], list[Problem]]  # as read_catalog_tables gives them


def check_policy(raw: object, file: str) -> tuple[Row, list[Problem]]:
    """The `policy:` mapping: fields, then start/horizon sanity and objective needs."""
    if raw is not None and not isinstance(raw, dict):
        row, _ = check_record(POLICY, {}, file, "policy")
        return row, [
            Problem(
                file,
                "top level",
                "policy",
                brief(raw),
                "expected a mapping, e.g. policy: {start_year: 2026, horizon_years: 3}",
            )
        ]
    row, problems = check_record(POLICY, raw or {}, file, "policy")
    values = row.values
    if row.ok("start_year", "horizon_years") and values["start_year"] + values["horizon_years"] - 1 > 2100:
        problems.append(
            row.problem(
                "horizon_years",
                values["horizon_years"],
                f"the horizon from {values['start_year']} runs past 2100; shorten it",
            )
        )
    budgets = ("capex_budget_usd", "capex_budget_per_year_usd")
    if (
        row.ok("objective")
        and values["objective"] == "max_capacity"
        and all(values[b] is None for b in budgets)
    ):
        fix = (
            "max_capacity needs a budget to stay within: "
            "set capex_budget_usd or capex_budget_per_year_usd, or use objective: min_npv"
        )
        problems.append(row.problem("objective", "max_capacity", fix))
    return row, problems + _book_life_problems(row)


def _book_life_problems(row: Row) -> list[Problem]:
    """`book_life_years` names capex categories, each with a life of at least a year."""
    from aiopt.model.cost import CAPEX

    lives = row.values.get("book_life_years") if row.clean("book_life_years") else None
    problems = []
    for category, years in (lives or {}).items():
        if category not in CAPEX:
            fix = f"not a capex category; {suggest(category, list(CAPEX), 'categories')}"
            problems.append(row.problem("book_life_years", category, fix))
        elif years < 1:
            problems.append(
                row.problem("book_life_years", f"{category}: {years}", "a book life is >= 1 year")
            )
    return problems


def _check_text(doc: dict, key: str, file: str, required: bool) -> tuple[str, list[Problem]]:
    """A top-level text value (`name`, `description`); "" when left out."""
    raw = doc.get(key)
    if raw is None or raw == "":
        fix = f"required: the scenario's {key}, e.g. {key}: enterprise-baseline"
        return "", [Problem(file, "top level", key, MISSING, fix)] if required else []
    try:
        return convert(Field(key, STR), raw), []
    except BadValue as exc:
        return "", [Problem(file, "top level", key, brief(raw), str(exc))]


def _check_items(doc: dict, key: str, table: Table, file: str) -> tuple[list[Row], list[Problem]]:
    """A required, non-empty YAML list of `table` records with unique ids."""
    shown = {
        "sites": "sites: [{id: us-east, region: us, power_mw: 12, racks: {air-40: 20}}]",
        "workloads": "workloads: [{id: chat, kind: inference, model: llama-3-70b, input_tokens: 1024, "
        "output_tokens: 1024, tokens_per_s: 5000}]",
    }.get(key, "")
    items = doc.get(key)
    if items is None:
        return [], [
            Problem(file, "top level", key, MISSING, f"required: a list of {table.name}, e.g. {shown}")
        ]
    if not isinstance(items, list):
        return [], [
            Problem(
                file, "top level", key, brief(items), f"expected a list (items start with '- '), e.g. {shown}"
            )
        ]
    if not items:
        return [], [Problem(file, "top level", key, [], f"empty; at least one is needed, e.g. {shown}")]
    rows, problems = [], []
    for i, raw in enumerate(items):
        where = item_where(key, i, raw)
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    file, where, key, brief(raw), f"expected a mapping of {table.name} fields, e.g. {shown}"
                )
            )
            continue
        row, found = check_record(table, raw, file, where)
        rows.append(row)
        problems += found
    rows, found = check_unique_ids(rows)
    return rows, problems + found


def check_refs(rows: list[Row], name: str, targets: Mapping, what: str) -> list[Problem]:
    """Each id in field `name` (a list, or a mapping's keys) names a row of `targets`."""
    if not targets:  # the target table is missing or broken: already reported
        return []
    problems = []
    for row in rows:
        if row.ok(name):
            for ref in row.values[name]:
                if ref not in targets:
                    problems.append(
                        row.problem(name, ref, f"unknown {what}; {suggest(ref, targets, what + ' ids')}")
                    )
    return problems


def check_site_racks(sites: list[Row]) -> list[Problem]:
    """A site with no rack positions at all can host nothing."""
    fix = "no rack positions; give at least one, e.g. racks: {air-40: 20}"
    return [
        s.problem("racks", s.values["racks"], fix)
        for s in sites
        if s.ok("racks") and not any(s.values["racks"].values())
    ]


COLOCATION_ONLY = ("committed_kw", "colocation_escalation", "liquid_premium")
OWNED_ONLY = ("build_usd_per_mw", "facility_om_usd_per_kw_year")


def check_site_facility(sites: list[Row]) -> list[Problem]:
    """Colocation terms on an owned site (no colocation fee) or building costs on a colocation
    site (the fee already pays for the building)."""
    problems = []
    for s in sites:
        if not s.ok("colocation_usd_per_kw_month", *COLOCATION_ONLY, *OWNED_ONLY):
            continue
        colocated = s.values["colocation_usd_per_kw_month"] > 0
        wrong = OWNED_ONLY if colocated else COLOCATION_ONLY
        fix = (
            "a colocation site (colocation_usd_per_kw_month > 0) pays no building cost; drop it"
            if colocated
            else "colocation terms need a fee (colocation_usd_per_kw_month > 0); drop it or set one"
        )
        problems += [s.problem(name, s.values[name], fix) for name in wrong if s.values[name]]
    return problems


def check_workload_years(workloads: list[Row], years: tuple[int, int] | None) -> list[Problem]:
    """A workload `start_year` given outside the planning years (first, last)."""
    if years is None:
        return []
    fix = f"outside the planning years {years[0]}-{years[1]}; move it inside or change the policy"
    return [
        w.problem("start_year", w.values["start_year"], fix)
        for w in workloads
        if "start_year" in w.given
        and w.ok("start_year")
        and not years[0] <= w.values["start_year"] <= years[1]
    ]


def check_workload_kinds(workloads: list[Row]) -> list[Problem]:
    """Training/finetune need params_b, tokens_t and deadline_days; inference needs model,
    input_tokens, output_tokens and tokens_per_s.

    A demand field of another kind (tokens_per_s on a training job, tokens_t or deadline_days
    on an inference service) is a problem too: it would be silently ignored; `params_b` and
    `mfu` on a serving workload name what replaced them.
    """
    problems = []
    for w in workloads:
        if not w.ok("kind"):
            continue
        kind = w.values["kind"]
        for name in KIND_NEEDS[kind]:
            if name not in w.given:
                problems.append(
                    w.problem(name, MISSING, f"required for kind {kind}; add e.g. {example(WORKLOADS[name])}")
                )
        kinds_of = {n: [k for k, needs in KIND_NEEDS.items() if n in needs] for n in _needed_fields()}
        kinds_of |= KIND_ONLY | {n: ("training", "finetune") for n in SERVING_REPLACED}
        for name in sorted(n for n in w.given if n in kinds_of and kind not in kinds_of[n]):
            fix = f"applies to {'/'.join(kinds_of[name])} only, not {kind}; remove it or change kind"
            problems.append(w.problem(name, w.values[name], SERVING_REPLACED.get(name, fix)))
    return problems


def _needed_fields() -> set[str]:
    return {n for needs in KIND_NEEDS.values() for n in needs}


def check_run_calendar(workloads: list[Row]) -> list[Problem]:
    """A workload's runs go one after another: runs_per_year x deadline_days fits in a year."""
    problems = []
    for w in workloads:
        if w.values.get("kind") == "inference" or not w.ok("runs_per_year", "deadline_days"):
            continue
        runs, days = w.values["runs_per_year"], w.values["deadline_days"]
        if days is not None and runs * days > DAYS_PER_YEAR:
            fix = (
                f"{runs} runs of {days:g} days take {runs * days:g} days, more than a year's "
                f"{DAYS_PER_YEAR}; lower runs_per_year to {max(1, int(DAYS_PER_YEAR // days))} or shorten "
                "deadline_days"
            )
            problems.append(w.problem("runs_per_year", runs, fix))
    return problems


def check_min_sites(workloads: list[Row], sites: list[Row]) -> list[Problem]:
    """A service asked to run at more sites (`min_sites`) than its tags allow."""
    sites = [s for s in sites if s.ok(*SITE_FIELDS)]
    problems = []
    for w in workloads:
        if "min_sites" not in w.given or not w.ok("min_sites") or not w.clean(*SITE_TAGS):
            continue
        allowed = [s.id for s in sites if not site_lacks(s.values, w.values)]
        if w.values["min_sites"] > len(allowed):
            fix = (
                f"only {len(allowed)} site(s) may host it ({', '.join(allowed) or 'none'}); lower min_sites "
                "or make another site eligible"
            )
            problems.append(w.problem("min_sites", w.values["min_sites"], fix))
    return problems


def check_models(workloads: list[Row], models: Mapping) -> list[Problem]:
    """A serving workload's `model` names a row of the models catalog."""
    if not models:  # the catalog table is missing or broken: already reported
        return []
    return [
        w.problem(
            "model", w.values["model"], f"unknown model; {suggest(w.values['model'], models, 'model ids')}"
        )
        for w in workloads
        if w.ok("model") and w.values["model"] is not None and w.values["model"] not in models
    ]


def check_training_precision(workloads: list[Row]) -> list[Problem]:
    """Training precision is bf16 or fp8 (fp4 is for serving), and QLoRA computes in BF16: it
    dequantises its 4-bit weights for every matrix product."""
    problems = []
    for w in workloads:
        if not w.ok("kind", "method", "precision") or w.values["kind"] == "inference":
            continue
        if w.values["precision"] not in TRAINING_PRECISIONS:
            fix = f"training runs in {' or '.join(TRAINING_PRECISIONS)} (fp4 is for serving); use fp8"
            problems.append(w.problem("precision", w.values["precision"], fix))
        elif w.values["method"] == "qlora" and w.values["precision"] == "fp8":
            fix = "QLoRA computes in BF16 on dequantised 4-bit weights; use precision: bf16, or method: lora"
            problems.append(w.problem("precision", "fp8", fix))
    return problems


def check_site_eligibility(workloads: list[Row], sites: list[Row]) -> list[Problem]:
    """A workload whose compliance, region and dedicated tags no site satisfies."""
    sites = [s for s in sites if s.ok(*SITE_FIELDS)]
    if not sites:
        return []
    problems = []
    for w in workloads:
        if not w.clean(*SITE_TAGS):
            continue
        lacks = {s.id: site_lacks(s.values, w.values) for s in sites}
        if not all(lacks.values()):
            continue
        tags = [t for t in SITE_TAGS if any(t == k for found in lacks.values() for k, _ in found)]
        detail = "; ".join(f"{sid} lacks {' and '.join(d for _, d in found)}" for sid, found in lacks.items())
        relax = "/".join(tags)
        fix = f"no site can host it: {detail}; add what is missing to a site or relax the workload's {relax}"
        problems.append(w.problem(tags[0], w.values[tags[0]], fix))
    return problems


def check_retired_tags(rows: list[Row], name: str) -> list[Problem]:
    """Tags in list field `name` that are no longer taken (`RETIRED_TAGS`), each with its fix."""
    return [
        row.problem(name, tag, RETIRED_TAGS[tag])
        for row in rows
        if row.ok(name)
        for tag in row.values[name]
        if tag in RETIRED_TAGS
    ]


def check_compliant_storage(workloads: list[Row], storage: list[Row]) -> list[Problem]:
    """A workload with compliance tags needs a hot storage tier with encryption at rest."""
    storage = [r for r in storage if r.ok("hot", "encryption_at_rest")]
    if not storage or any(r.values["hot"] and r.values["encryption_at_rest"] for r in storage):
        return []
    fix = (
        "its data must stay on encrypted storage, "
        "but no hot storage tier has encryption_at_rest=true; add or override one"
    )
    return [
        w.problem("compliance", w.values["compliance"], fix)
        for w in workloads
        if w.ok("compliance") and w.values["compliance"]
    ]


def check_document(doc: dict, file: str, catalog: CatalogRows) -> Checked:
    """Every problem in a scenario document (the YAML mapping) and the catalog it uses.

    `file` labels the problems; `catalog` is the catalog as `read_catalog_tables` read it
    (left unchanged: the document's `catalog:` overrides apply to a copy).
    """
    tables = {name: list(rows) for name, rows in catalog[0].items()}
    problems = list(catalog[1])
    for key in doc:
        if key not in SCENARIO_KEYS:
            problems.append(
                Problem(
                    file,
                    "top level",
                    str(key),
                    brief(doc[key]),
                    f"unknown key; {suggest(key, SCENARIO_KEYS, 'keys')}",
                )
            )
    name, found = _check_text(doc, "name", file, required=True)
    problems += found
    description, found = _check_text(doc, "description", file, required=False)
    problems += found

    if doc.get("catalog") is not None:
        problems += apply_overrides(tables, doc["catalog"], file)
    problems += check_catalog_tables(tables)

    policy, found = check_policy(doc.get("policy"), file)
    problems += found
    sites, found = _check_items(doc, "sites", SITES, file)
    problems += found
    workloads, found = _check_items(doc, "workloads", WORKLOADS, file)
    problems += found

    tiers = {row.id: row for row in tables["gpu_tiers"]}
    racks = {row.id: row for row in tables["rack_types"]}
    years = None
    if policy.ok("start_year", "horizon_years"):
        years = (
            policy.values["start_year"],
            policy.values["start_year"] + policy.values["horizon_years"] - 1,
        )
    problems += check_refs(sites, "racks", racks, "rack type")
    problems += check_site_racks(sites)
    problems += check_site_facility(sites)
    problems += check_refs(workloads, "tiers", tiers, "GPU tier")
    stacks = {row.id: row for row in tables["software_stacks"]}
    problems += check_refs(workloads, "stacks", stacks, "software stack")
    problems += check_workload_kinds(workloads)
    problems += check_training_precision(workloads)
    problems += check_workload_years(workloads, years)
    problems += check_run_calendar(workloads)
    problems += check_retired_tags(sites, "certifications") + check_retired_tags(workloads, "compliance")
    problems += check_site_eligibility(workloads, sites)
    problems += check_min_sites(workloads, sites)
    models = {row.id: row for row in tables["models"]}
    problems += check_models(workloads, models)
    problems += check_servable(workloads, sites, tiers, models, racks, years[0] if years else None)
    problems += check_compliant_storage(workloads, tables["storage_tiers"])

    tables = {**tables, "sites": sites, "workloads": workloads}
    warnings = [] if problems else plausibility_warnings(tables, policy)  # warn only of good input
    return Checked(problems, tables, dict(policy.values), name, description, warnings)


def check_scenario(path: str | Path, catalog_dir: str | Path | None = None) -> Checked:
    """Every problem in the scenario file at `path` and the catalog in `catalog_dir`."""
    try:
        doc = read_scenario_file(path)
    except InputError as exc:
        return Checked(list(exc.problems))
    return check_document(doc, display_path(path), read_catalog_tables(catalog_dir))
