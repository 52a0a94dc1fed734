"""Sweep specs: a base scenario and the overrides that make each variant.

A spec is YAML (or the same mapping)::

    base: enterprise-baseline.yaml      # scenario file, relative to the spec file
    catalog_dir: catalog                # optional catalog directory, relative to the spec file
    solve: {time_limit: 60, rel_gap: 0.01, seed: 0, check: false, warm: true}
    grid:                               # full factorial
      sites.us-east.power_mw: [0.6, 0.8, 1.2]
      catalog.gpu_tiers.b200.price_usd: [300000, 340000]
    zip:                                # each group: its paths varied together
      - {workloads.chat-70b.tokens_per_s: [60000, 90000], policy.discount_rate: [0.06, 0.08]}
    cases:                              # named override sets, each one variant
      tight: {policy.capex_budget_usd: 40000000}
    random: {seed: 1, count: 100, ranges: {policy.discount_rate: [0.03, 0.12]}}  # Latin hypercube

Grid and zip groups multiply (grid x zip 1 x zip 2 ...); cases and random samples are added.
A path is `policy.FIELD`, `sites.ID.FIELD`, `workloads.ID.FIELD` or `catalog.TABLE.ID.FIELD`;
an ID of `*` changes every row of the table. Every path and value type is checked against the
schema before anything runs (`InputError`); a variant's values are checked as a scenario when
it runs (`apply`: the same `Scenario.with_*` edits, the same checks as every other door).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from aiopt.errors import InputError, Problem
from aiopt.load import load_scenario
from aiopt.read import display_path
from aiopt.scenario import CATALOG_NAMES, Scenario
from aiopt.schema import FLOAT, INT, TABLES, Field
from aiopt.validate import BadValue, convert, suggest
from aiopt.validate.messages import brief

DEFAULT_MAX_VARIANTS = 10_000
SECTIONS = ("base", "catalog_dir", "solve", "grid", "zip", "cases", "random")
SOLVE_OPTIONS = {"time_limit": 60.0, "rel_gap": 0.01, "seed": 0, "check": False, "warm": True}
ROW_TABLES = ("sites", "workloads")
ALL_ROWS = "*"


@dataclass(frozen=True)
class Target:
    """What a dotted path changes: `row` of `table` (None for policy, `*` for every row)."""

    table: str
    row: str | None
    field: Field


@dataclass(frozen=True)
class Variant:
    """One scenario of a sweep: the base with `overrides` ({path: value}); `case` names a case."""

    id: str
    overrides: dict
    case: str = ""


@dataclass(frozen=True)
class SweepSpec:
    """A checked spec: where the base is, how to solve, every variant (duplicates dropped)."""

    file: str
    base: Path
    catalog_dir: Path | None
    solve: dict
    paths: list[str]
    variants: list[Variant]
    scenario: Scenario = field(repr=False)  # the base, loaded and checked
    fingerprint: str = field(repr=False)


def variant_id(overrides: Mapping) -> str:
    """A stable id: the first 12 hex digits of the SHA-256 of the canonical (sorted JSON) overrides."""
    text = json.dumps(dict(sorted(overrides.items())), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def target(path: str, base: Scenario) -> Target:
    """The table, row and schema field a dotted path names; `BadValue` (with did-you-mean) if none."""
    parts = path.split(".") if isinstance(path, str) else []
    tables = ("policy", *ROW_TABLES, "catalog")
    if not parts or parts[0] not in tables:
        raise BadValue(f"unknown path; {suggest(parts[0] if parts else path, tables, 'first parts')}")
    if parts[0] == "catalog":
        if len(parts) < 2 or parts[1] not in CATALOG_NAMES:
            raise BadValue(f"unknown catalog table; {suggest(parts[1:2] or '', CATALOG_NAMES, 'tables')}")
        parts = parts[1:]
    table = parts[0]
    shape = f"{table}.FIELD" if table == "policy" else f"{table}.ID.FIELD"
    if len(parts) < (2 if table == "policy" else 3):
        raise BadValue(f"too short; write {shape}")
    row = None if table == "policy" else ".".join(parts[1:-1])  # ids may hold dots
    names = [f for f in TABLES[table].names if f != "id"]
    if parts[-1] not in names:
        raise BadValue(f"unknown field of {table}; {suggest(parts[-1], names, 'fields')}")
    ids = getattr(base, table).index if row is not None else ()
    if row is not None and row != ALL_ROWS and row not in ids:
        raise BadValue(f"no such row of {table} in the base scenario; {suggest(row, ids, 'ids')}")
    return Target(table, row, TABLES[table][parts[-1]])


def apply(base: Scenario, overrides: Mapping) -> Scenario:
    """The checked scenario of a variant: `base` edited by `Scenario.with_policy`, `with_values`
    and `with_all` (one edit per row, in path order). Raises `InputError` for a bad variant."""
    edits: dict[tuple, dict] = {}
    for path, value in overrides.items():
        t = target(path, base)
        edits.setdefault((t.table, t.row), {})[t.field.name] = value
    scenario = base
    for (table, row), changes in edits.items():
        if table == "policy":
            scenario = scenario.with_policy(**changes)
        elif row == ALL_ROWS:
            scenario = scenario.with_all(table, **changes)
        else:
            scenario = scenario.with_values(table, row, **changes)
    return scenario


def load_spec(
    spec: str | Path | Mapping,
    max_variants: int = DEFAULT_MAX_VARIANTS,
    catalog_dir: str | Path | None = None,
) -> SweepSpec:
    """Read and check a sweep spec (a YAML file or mapping) and list its variants.

    `catalog_dir`, when given, replaces the spec's `catalog_dir` (default: the shipped catalog).
    Raises `InputError` (one problem) for an unknown section or path (did-you-mean), a value of
    the wrong type, an empty grid or list, zip lists of unequal length, a bad random range, or
    more than `max_variants` variants.
    """
    if isinstance(spec, Mapping):
        document, file, folder = dict(spec), "sweep spec", Path.cwd()
    else:
        document, file, folder = _read(Path(spec)), display_path(spec), Path(spec).resolve().parent
    bad = _Complaint(file)
    unknown = sorted(set(document) - set(SECTIONS))
    if unknown:
        bad(
            unknown[0], "section", unknown[0], f"unknown section; {suggest(unknown[0], SECTIONS, 'sections')}"
        )
    if "base" not in document:
        bad("top level", "base", None, "give the base scenario, e.g. base: enterprise-baseline.yaml")
    base_path = folder / str(document["base"])
    if catalog_dir is None and document.get("catalog_dir"):
        catalog_dir = folder / str(document["catalog_dir"])
    catalog_dir = None if catalog_dir is None else Path(catalog_dir)
    base = load_scenario(base_path, catalog_dir)
    solve = {**SOLVE_OPTIONS, **_mapping(bad, document, "solve")}
    if set(solve) - set(SOLVE_OPTIONS):
        name = sorted(set(solve) - set(SOLVE_OPTIONS))[0]
        bad("solve", name, solve[name], f"unknown option; {suggest(name, SOLVE_OPTIONS, 'options')}")
    for name, default in SOLVE_OPTIONS.items():
        value = solve[name]
        if type(value) is not type(default) and not (type(default) is float and type(value) is int):
            bad("solve", name, value, f"expected a {type(default).__name__}, e.g. {name}: {default}")
        if type(default) is float and value <= 0:
            bad("solve", name, value, f"must be positive, e.g. {name}: {default}")

    def values(section: str, path: str, raw) -> list:
        if not isinstance(raw, list) or not raw:
            bad(section, path, raw, "give a non-empty list of values, e.g. [0.6, 0.8]")
        return [_value(bad, base, section, path, v) for v in raw]

    grid = {p: values("grid", p, v) for p, v in _mapping(bad, document, "grid", empty_ok=False).items()}
    zips = []
    if not isinstance(document.get("zip") or [], list):
        bad("zip", "zip", document["zip"], "give a list of groups: zip: [{path: [...], path: [...]}]")
    for i, group in enumerate(document.get("zip") or []):
        where = f"zip[{i}]"
        if not isinstance(group, Mapping) or not group:
            bad(where, "paths", group, "give a mapping of paths to equally long lists")
        columns = {p: values(where, p, v) for p, v in group.items()}
        if len({len(v) for v in columns.values()}) > 1:
            bad(where, "lengths", {p: len(v) for p, v in columns.items()}, "zip lists must be equally long")
        zips.append([dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)])
    cases = {}
    for name, over in _mapping(bad, document, "cases").items():
        if not isinstance(over or {}, Mapping):
            bad(
                f"cases.{name}",
                "overrides",
                over,
                "give a mapping of paths to values, e.g. {policy.discount_rate: 0.1}",
            )
        cases[str(name)] = {p: _value(bad, base, f"cases.{name}", p, v) for p, v in (over or {}).items()}
    random = _mapping(bad, document, "random")
    count = _count(bad, random)
    blocks = [[{path: v} for v in values] for path, values in grid.items()] + zips  # multiplied
    total = (math.prod(len(b) for b in blocks) if blocks else 0) + len(cases) + count
    if total == 0:
        bad("top level", "variants", 0, "the spec makes no variant; give a grid, zip, cases or random")
    if total > max_variants:
        fix = f"more than --max-variants {max_variants}; raise it or narrow the spec"
        bad("top level", "variants", total, fix)
    found = [({k: v for part in parts for k, v in part.items()}, "") for parts in itertools.product(*blocks)]
    found = ([] if not blocks else found) + [(over, name) for name, over in cases.items()]
    found += [(over, "") for over in _latin_hypercube(bad, base, random, count)]
    unique: dict[str, Variant] = {}
    for overrides, case in found:  # a repeated variant keeps its first place and case name
        unique.setdefault(variant_id(overrides), Variant(variant_id(overrides), overrides, case))
    variants = list(unique.values())
    paths = list(dict.fromkeys(p for v in variants for p in v.overrides))
    base_text = base_path.read_text()
    fingerprint = hashlib.sha256(
        json.dumps([base_text, str(catalog_dir), solve, [v.id for v in variants]], default=str).encode()
    ).hexdigest()
    return SweepSpec(file, base_path, catalog_dir, solve, paths, variants, base, fingerprint)


class _Complaint:
    """Raise the one `InputError` a bad spec gets."""

    def __init__(self, file: str):
        self.file = file

    def __call__(self, where: str, name: str, value: object, fix: str):
        raise InputError([Problem(self.file, where, name, brief(value), fix)])


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InputError([Problem(display_path(path), "file", "path", str(path), "no such sweep spec file")])
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise InputError([Problem(display_path(path), where, "yaml", None, "not valid YAML")]) from exc
    if not isinstance(document, dict):
        raise InputError([Problem(display_path(path), "file", "top level", brief(document), "not a mapping")])
    return document


def _mapping(bad: _Complaint, document: Mapping, section: str, empty_ok: bool = True) -> dict:
    value = document.get(section)
    if value is None and section not in document:
        return {}
    if not isinstance(value, Mapping) or (not value and not empty_ok):
        bad(section, section, value, f"give a non-empty mapping under {section}:")
    return dict(value)


def _field(bad: _Complaint, base: Scenario, where: str, path: str) -> Field:
    """The schema field `path` changes; the spec's one problem (with did-you-mean) if none."""
    try:
        return target(path, base).field
    except BadValue as exc:
        bad(where, "path", path, str(exc))


def _value(bad: _Complaint, base: Scenario, where: str, path: str, raw):
    """`raw` as the value of `path`'s field (None unsets); the spec's one problem if it cannot be."""
    f = _field(bad, base, where, path)
    try:
        return None if raw is None else _plain(convert(f, raw))
    except BadValue as exc:
        bad(where, path, raw, str(exc))


def _plain(value):
    """A value as JSON holds it: tuples as lists."""
    return list(value) if isinstance(value, tuple) else value


def _count(bad: _Complaint, random: Mapping) -> int:
    """The number of random samples (0 without a `random:` section)."""
    if not random:
        return 0
    count, seed = random.get("count"), random.get("seed", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1 or not isinstance(seed, int):
        fix = "give a positive whole count and a whole seed, e.g. {seed: 1, count: 100}"
        bad("random", "count", count, fix)
    return count


def _latin_hypercube(bad: _Complaint, base: Scenario, random: Mapping, count: int) -> list[dict]:
    """`count` samples of `ranges` ({path: [low, high]}), one stratum per sample and path, drawn
    with `seed`; values rounded to 6 significant digits (whole numbers for integer fields)."""
    if not random:
        return []
    seed, ranges = random.get("seed", 0), random.get("ranges")
    if not isinstance(ranges, Mapping) or not ranges:
        bad("random", "ranges", ranges, "give ranges: {path: [low, high]}")
    rng = np.random.default_rng(seed)
    columns = {}
    for path, bounds in ranges.items():
        f = _field(bad, base, "random.ranges", path)
        if f.kind not in (INT, FLOAT):
            bad(
                "random.ranges",
                path,
                f.kind,
                "only number fields can be sampled; put others in grid or cases",
            )
        if not isinstance(bounds, list) or len(bounds) != 2:
            bad("random.ranges", path, bounds, "give [low, high]")
        low, high = (_value(bad, base, "random.ranges", path, b) for b in bounds)
        strata = (rng.permutation(count) + rng.random(count)) / count
        drawn = low + strata * (high - low)
        columns[path] = [int(round(v)) if f.kind == INT else float(f"{v:.6g}") for v in drawn]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
