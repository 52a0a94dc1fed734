"""Validate stage: check every input before anything is built; report every problem at once.

`validate(path)` returns the problems found in a scenario and its catalog (an empty list: the
inputs are good); `aiopt.load.load_scenario` runs the same checks and raises `InputError` with
all of them. Each problem names the file, the row id or YAML path, the field, the bad value and
a fix. The checks, in the order they run:

- `check_record`: unknown field names (did-you-mean), missing required fields, wrong types,
  NaN/infinite numbers, bounds (low/high/positive; fractions and percentages), choices, ids;
- `read_catalog_tables`: missing CSV files, unknown/missing/repeated columns, ragged rows,
  empty tables, duplicate ids (`check_unique_ids`);
- `apply_overrides`: a scenario's `catalog:` overrides (unknown tables, new rows checked in full);
- `check_catalog_tables`: a hot storage tier exists; every GPU tier fits some rack type
  (`check_tiers_fit_racks`, using `rack_fit_issue`);
- scenario structure: top-level keys, `name`, `policy` (`check_policy`), non-empty `sites` and
  `workloads` lists with unique ids;
- cross-table checks: references with did-you-mean (`check_refs`), sites without rack positions
  (`check_site_racks`), kind-specific workload fields (`check_workload_kinds`), workload start
  years inside the horizon (`check_workload_years`), workloads that no site may host
  (`check_site_eligibility`, using `site_lacks`), workloads none of whose tiers can run at a
  site they may use (`check_workload_tiers`), and encrypted hot storage for compliant
  workloads (`check_compliant_storage`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiopt.errors import InputError, Problem
from aiopt.read import DEFAULT_CATALOG_DIR, display_path, read_catalog_csv, read_scenario_file
from aiopt.rules import RACK_COOLING_FOR, rack_fit_issue, site_lacks
from aiopt.schema import (
    BOOL,
    CATALOG_TABLES,
    FLOAT,
    INT,
    LIST,
    MAP,
    POLICY,
    REQUIRED,
    SITES,
    STR,
    WORKLOADS,
    Field,
    Table,
)

SCENARIO_KEYS = ("name", "description", "policy", "sites", "workloads", "catalog")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
OPTIONAL_TABLES = ("services",)  # catalog tables that may have no rows
# fields each workload kind needs; the others' demand fields do not apply to it
KIND_NEEDS = {"training": ("tokens_t", "deadline_days"), "finetune": ("tokens_t", "deadline_days"), "inference": ("tokens_per_s",)}
SITE_TAGS = ("compliance", "region", "dedicated")  # workload fields a site must satisfy
# example values for fixes, where the schema's default does not give one
_EXAMPLES = {
    "id": "my-id", "name": "My name", "vendor": "NVIDIA", "source": "vendor datasheet",
    "region": "us", "power_mw": 12, "params_b": 70, "tokens_t": 2.0, "deadline_days": 60,
    "tokens_per_s": 5000, "kv_cache_gb": 40, "mfu": 0.4, "start_year": 2026, "read_gbps_per_gpu": 1.0,
    "certifications": ("soc2",), "compliance": ("hipaa",), "tiers": ("h100-sxm",), "racks": {"air-40": 20},
    "gpus_per_node": 8, "tflops_bf16": 989, "hbm_gb": 80, "node_kw": 10.2, "rack_units": 8, "fabric_ports": 8,
    "price_usd": 250000, "port_gbps": 400, "radix": 64, "switch_price_usd": 25000, "switch_kw": 1.7,
    "nic_price_usd": 1500, "link_price_usd": 900, "scaling_efficiency": 0.9, "unit_tb": 100,
    "usd_per_tb": 150, "read_gbps_per_unit": 20, "write_gbps_per_unit": 10, "kw_per_unit": 1.5,
    "ru_per_unit": 2, "usable_kw": 40, "capex_budget_usd": 50_000_000, "capex_budget_per_year_usd": 20_000_000,
    "liquid_cooling_mw": 5, "air_cooling_mw": 5,
}


class _Shown:
    """A stand-in value for a Problem whose repr is the given text (e.g. `<missing>`)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


MISSING = _Shown("<missing>")


def _brief(value: object) -> object:
    """A value as shown in a problem: tuples as lists, long values cut short."""
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    return _Shown(text[:57] + "...") if len(text) > 60 else value


@dataclass
class Row:
    """One checked record: a CSV row, a YAML list item or the policy mapping.

    `values` holds every field of the table: the checked value, else the schema default, else
    None (also for values that failed a check; those are listed in `bad`).
    """

    file: str
    where: str
    values: dict = field(default_factory=dict)
    given: set = field(default_factory=set)
    bad: set = field(default_factory=set)

    @property
    def id(self) -> str | None:
        return None if "id" in self.bad else self.values.get("id")

    def clean(self, *names: str) -> bool:
        """True when none of the named fields failed a check (values may be unset)."""
        return not self.bad.intersection(names)

    def ok(self, *names: str) -> bool:
        """True when each named field passed its checks and has a value."""
        return self.clean(*names) and all(self.values.get(n) is not None for n in names)

    def problem(self, name: str, value: object, fix: str) -> Problem:
        return Problem(self.file, self.where, name, _brief(value), fix)


@dataclass
class Checked:
    """What the checks found: the problems, and the checked rows (defaults filled) by table."""

    problems: list[Problem]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    name: str = ""
    description: str = ""


# ---------------------------------------------------------------------------- messages


def suggest(word: object, options: Iterable[object], what: str = "") -> str:
    """'did you mean ...?' for the closest option, else the known options."""
    options = sorted({str(o) for o in options})
    if not options:
        return f"there are no {what or 'options'}"
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    close = close or difflib.get_close_matches(str(word).lower(), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"known {what or 'values'}: {shown}"


def _fmt(value: object) -> str:
    """A value as one would write it in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def _example(f: Field, text: bool = False) -> str:
    """An example value of `f`: `power_mw: 12` in YAML, `12` in a CSV cell."""
    if f.name in _EXAMPLES:
        value = _EXAMPLES[f.name]
    elif f.choices:
        value = f.default if f.default in f.choices else f.choices[0]
    elif f.default is not REQUIRED and f.default not in (None, ()):
        value = f.default
    elif f.kind in (INT, FLOAT):
        value = f.low if f.low is not None and f.low > 0 else 1
    elif f.kind == BOOL:
        value = True
    elif f.kind == LIST:
        value = ("a", "b")
    else:
        value = "..."
    return _fmt(value) if text else f"{f.name}: {_fmt(value)}"


def _unit(f: Field) -> str:
    if not f.unit:
        return ""
    if f.unit.startswith("fraction"):
        return " (a fraction: 0.05 = 5%)"
    return f" in {f.unit}"


# ---------------------------------------------------------------------------- field checks


class BadValue(ValueError):
    """A value that cannot be used; the message is the fix."""


def convert(f: Field, raw: object, text: bool = False) -> object:
    """`raw` as a value of `f`'s kind, or `BadValue` with the fix. `text`: raw came from a CSV cell.

    Numbers may be given as text (a CSV cell, or YAML's `40e6`, which PyYAML reads as text);
    whole numbers must be whole; booleans are true/false, never numbers.
    """
    example = _example(f, text)
    if f.kind in (INT, FLOAT):
        whole = f.kind == INT
        expected = f"expected a {'whole number' if whole else 'number'}{_unit(f)}, e.g. {example}"
        if isinstance(raw, str):
            cell = raw.strip()
            if whole:
                if not re.fullmatch(r"[+-]?\d+", cell):
                    raise BadValue(expected)
                value = int(cell)
            else:
                try:
                    value = float(cell)
                except ValueError:
                    raise BadValue(expected) from None
        elif isinstance(raw, bool) or not isinstance(raw, int | float) or (whole and isinstance(raw, float)):
            raise BadValue(expected)
        else:
            value = raw if whole else float(raw)
        if not math.isfinite(value):
            raise BadValue(f"must be a finite number, e.g. {example}")
        return value
    if f.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise BadValue(f"expected true or false, e.g. {example}")
    if f.kind == STR:
        if not isinstance(raw, str):
            hint = " (YAML reads unquoted yes/no/on/off as true/false)" if isinstance(raw, bool) else ""
            raise BadValue(f"expected text; put the value in quotes{hint}")
        value = raw.strip()
        if f.name == "id" and not ID_PATTERN.fullmatch(value):
            slug = re.sub(r"[^a-z0-9._-]+", "-", value.lower()).strip("-._") or "my-id"
            raise BadValue(f"ids are lower-case letters, digits and dashes, e.g. {slug}")
        return value
    if f.kind == LIST:
        if text and isinstance(raw, str):
            raw = [part for part in raw.split(";") if part.strip()]
        if not isinstance(raw, list | tuple) or not all(isinstance(i, str) and i.strip() for i in raw):
            raise BadValue(f"expected a list of names, e.g. {example}")
        return tuple(i.strip() for i in raw)
    if f.kind == MAP:
        if not isinstance(raw, dict):
            raise BadValue(f"expected a mapping, e.g. {example}")
        wrong = [f"{k}: {_fmt(v)}" for k, v in raw.items()
                 if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 0]
        if wrong:
            raise BadValue(f"expected whole numbers >= 0 by {f.ref or 'name'} id, e.g. {example}; not {', '.join(wrong)}")
        return {k.strip(): v for k, v in raw.items()}
    raise AssertionError(f"schema field {f.name} has unknown kind {f.kind!r}")


def limits_fix(f: Field, value: object, text: bool = False) -> str | None:
    """Why `value` breaks `f`'s choices or bounds (None: it does not)."""
    if f.choices:
        if value in f.choices:
            return None
        close = difflib.get_close_matches(str(value).lower(), f.choices, n=1, cutoff=0.5)
        return f"must be one of {', '.join(f.choices)}" + (f"; did you mean {close[0]!r}?" if close else "")
    if f.kind not in (INT, FLOAT):
        return None
    unit = f" ({f.unit})" if f.unit else ""
    if f.positive and value <= 0:
        return f"must be > 0{unit}, e.g. {_example(f, text)}"
    low, high = f.low, f.high
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        fix = f"must be between {_fmt(low)} and {_fmt(high)}{unit}"
    elif low is not None:
        fix = f"must be >= {_fmt(low)}{unit}"
    else:
        fix = f"must be <= {_fmt(high)}{unit}"
    if f.unit.startswith("fraction") and high is not None and high <= 1 < value:
        return fix + "; write a fraction, e.g. 0.05 for 5%"
    return fix + f", e.g. {_example(f, text)}"


def check_record(
    table: Table,
    raw: Mapping,
    file: str,
    where: str,
    *,
    text: bool = False,
    partial: bool = False,
    absent: Iterable[str] = (),
) -> tuple[Row, list[Problem]]:
    """Check one record of `table` field by field; fill schema defaults.

    `text`: the values are CSV cells. `partial`: an override of an existing row (required
    fields may be left out). `absent`: CSV columns already reported missing.
    """
    row = Row(file, where)
    problems = []
    for key, value in raw.items():
        if key not in table.names:
            problems.append(row.problem(str(key), value, f"unknown {table.name} field; {suggest(key, table.names, 'fields')}"))
    for f in table.fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required and not partial:
                row.bad.add(f.name)
                if f.name not in absent:
                    add = f"fill the {f.name} column, e.g. {_example(f, True)}" if text else f"add e.g. {_example(f)}"
                    unit = f" ({f.unit})" if f.unit and f.kind in (INT, FLOAT) else ""
                    problems.append(row.problem(f.name, MISSING, f"required{unit}; {add}"))
            row.values[f.name] = None if f.required else f.default
            continue
        row.given.add(f.name)
        try:
            checked = convert(f, value, text)
            fix = limits_fix(f, checked, text)
            if fix:
                raise BadValue(fix)
        except BadValue as exc:
            row.bad.add(f.name)
            row.values[f.name] = None
            problems.append(row.problem(f.name, value, str(exc)))
        else:
            row.values[f.name] = checked
    return row, problems


def check_unique_ids(rows: list[Row]) -> tuple[list[Row], list[Problem]]:
    """Rows with a good, first-seen id, and a problem for each repeated id."""
    first: dict[str, Row] = {}
    problems = []
    for row in rows:
        if row.id is None:
            continue
        if row.id in first:
            problems.append(row.problem("id", row.id, f"duplicate id (also {first[row.id].where}); ids must be unique"))
        else:
            first[row.id] = row
    return list(first.values()), problems


def _where(base: str, index: int, raw: object) -> str:
    """`sites[0] (id=us-east)`: a YAML list item, with its id when it has one."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{base}[{index}]" + (f" (id={rid})" if isinstance(rid, str | int | float) and str(rid).strip() else "")


# ---------------------------------------------------------------------------- catalog


def read_catalog_tables(directory: str | Path | None = None) -> tuple[dict[str, list[Row]], list[Problem]]:
    """Every catalog CSV in `directory` checked row by row (no cross-table checks)."""
    directory = Path(directory) if directory is not None else DEFAULT_CATALOG_DIR
    if not directory.is_dir():
        fix = "no such directory; a catalog is a directory of <table>.csv files, e.g. aiopt/data/catalog"
        return {t.name: [] for t in CATALOG_TABLES}, [Problem(display_path(directory), "catalog", "directory", str(directory), fix)]
    tables, problems = {}, []
    for table in CATALOG_TABLES:
        tables[table.name], found = _read_table(table, directory / f"{table.name}.csv")
        problems += found
    return tables, problems


def _read_table(table: Table, path: Path) -> tuple[list[Row], list[Problem]]:
    file = display_path(path)
    try:
        header, records = read_catalog_csv(path)
    except InputError as exc:
        return [], list(exc.problems)
    problems = []
    for i, column in enumerate(header):
        if column not in table.names:
            problems.append(Problem(file, "header", "column", column, f"unknown {table.name} column; {suggest(column, table.names, 'columns')}"))
        elif column in header[:i]:
            problems.append(Problem(file, "header", "column", column, "column given twice; remove one"))
    absent = [f.name for f in table.fields if f.required and f.name not in header]
    for name in absent:
        f = table[name]
        unit = f" ({f.unit})" if f.unit else ""
        problems.append(Problem(file, "header", name, MISSING, f"required column missing{unit}; add it, e.g. {_example(f, True)}"))
    rows = []
    for line, cells in records:
        rid = cells[header.index("id")] if "id" in header and header.index("id") < len(cells) else ""
        where = f"line {line}" + (f" (id={rid})" if rid else "")
        if len(cells) != len(header):
            fix = f"{len(cells)} cells but {len(header)} columns; check for a missing or stray comma (quote text with commas)"
            problems.append(Problem(file, where, "cells", len(cells), fix))
            row, _ = check_record(table, {"id": rid}, file, where, text=True, partial=True)  # keep the id known
            row.bad |= set(table.names) - {"id"}
            rows.append(row)
            continue
        raw = {column: cell for column, cell in zip(header, cells, strict=True) if column in table.names}
        row, found = check_record(table, raw, file, where, text=True, absent=absent)
        rows.append(row)
        problems += found
    if not records and table.name not in OPTIONAL_TABLES:
        problems.append(Problem(file, "table", table.name, 0, "no rows; add at least one row below the header"))
    rows, found = check_unique_ids(rows)
    return rows, problems + found


def _rack_need(tier: Row) -> str:
    cooling = {"air": "an air or rear-door", "liquid": "a liquid-cooled", "either": "a"}[tier.values["cooling"]]
    return f"{cooling} rack with >= {_fmt(tier.values['node_kw'])} kW and >= {tier.values['rack_units']} U"


def check_tiers_fit_racks(tiers: list[Row], racks: list[Row]) -> list[Problem]:
    """A GPU tier that no rack type in the catalog can hold (cooling, kW, rack units)."""
    racks = [r for r in racks if r.ok("cooling", "usable_kw", "rack_units")]
    if not racks:
        return []
    problems = []
    for tier in tiers:
        if not tier.ok("cooling", "node_kw", "rack_units"):
            continue
        issues = [rack_fit_issue(tier.values, rack.values) for rack in racks]
        if not all(issues):
            continue
        cooled = [r for r in racks if r.values["cooling"] in RACK_COOLING_FOR[tier.values["cooling"]]]
        if not cooled:
            name = "cooling"
        elif any(tier.values["node_kw"] > r.values["usable_kw"] for r in cooled):
            name = "node_kw"
        else:
            name = "rack_units"
        fix = f"no rack type can hold one node: {'; '.join(issues)}; add a rack type that can, or correct the tier"
        problems.append(tier.problem(name, tier.values[name], fix))
    return problems


def check_catalog_tables(tables: dict[str, list[Row]]) -> list[Problem]:
    """Cross-table catalog checks: a hot storage tier exists; every GPU tier fits a rack type."""
    problems = []
    storage = [r for r in tables.get("storage_tiers", []) if r.ok("hot")]
    if storage and not any(r.values["hot"] for r in storage):
        fix = "no storage tier has hot=true; training reads, checkpoints and model weights need a hot (flash) tier"
        problems.append(Problem(storage[0].file, "all rows", "hot", False, fix))
    problems += check_tiers_fit_racks(tables.get("gpu_tiers", []), tables.get("rack_types", []))
    return problems


def check_catalog(directory: str | Path | None = None) -> Checked:
    """Every problem in the catalog in `directory` (default: the shipped `aiopt/data/catalog`)."""
    tables, problems = read_catalog_tables(directory)
    problems += check_catalog_tables(tables)
    return Checked(problems, tables)


def apply_overrides(tables: dict[str, list[Row]], spec: object, file: str) -> list[Problem]:
    """Apply a scenario's `catalog:` mapping to the catalog rows, in place.

    A row whose id exists overrides the given fields; a new id adds a row, checked in full.
    """
    example = "catalog: {gpu_tiers: [{id: h100-sxm, price_usd: 250000}]}"
    if not isinstance(spec, dict):
        return [Problem(file, "top level", "catalog", _brief(spec), f"expected a mapping of table name to rows, e.g. {example}")]
    known = {t.name: t for t in CATALOG_TABLES}
    problems = []
    for name, items in spec.items():
        if name not in known:
            problems.append(Problem(file, "catalog", "table", name, f"unknown catalog table; {suggest(name, known, 'tables')}"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(file, f"catalog.{name}", name, _brief(items), f"expected a list of rows, e.g. {example}"))
            continue
        table, rows = known[name], tables.setdefault(name, [])
        index = {row.id: i for i, row in enumerate(rows)}
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            where = _where(f"catalog.{name}", i, raw)
            if not isinstance(raw, dict):
                problems.append(Problem(file, where, name, _brief(raw), f"expected a mapping with an id, e.g. {example}"))
                continue
            row, found = check_record(table, raw, file, where, partial=True)
            problems += found
            rid = row.id
            if rid is None:
                if "id" not in row.bad:
                    problems.append(row.problem("id", MISSING, f"required: the id of the {name} row to override or add"))
                continue
            if rid in seen:
                problems.append(row.problem("id", rid, f"listed twice (also {seen[rid]}); merge the two"))
                continue
            seen[rid] = where
            if rid in index:
                base = rows[index[rid]]
                values = {**base.values, **{k: row.values[k] for k in row.given - row.bad}}
                rows[index[rid]] = Row(file, where, values, base.given | row.given, (base.bad - row.given) | row.bad)
                continue
            missing = [f.name for f in table.fields if f.required and f.name not in row.given]
            if missing:
                fix = (f"not a {name} id, so this adds a row, which needs {', '.join(missing)}; "
                       f"to override a row use its id: {suggest(rid, index, 'ids')}")
                problems.append(row.problem("id", rid, fix))
            index[rid] = len(rows)
            rows.append(row)
    return problems


# ---------------------------------------------------------------------------- scenario


def check_policy(raw: object, file: str) -> tuple[Row, list[Problem]]:
    """The `policy:` mapping: fields, then start/horizon sanity and objective needs."""
    if raw is not None and not isinstance(raw, dict):
        row, _ = check_record(POLICY, {}, file, "policy")
        return row, [Problem(file, "top level", "policy", _brief(raw), "expected a mapping, e.g. policy: {start_year: 2026, horizon_years: 3}")]
    row, problems = check_record(POLICY, raw or {}, file, "policy")
    values = row.values
    if row.ok("start_year", "horizon_years") and values["start_year"] + values["horizon_years"] - 1 > 2100:
        problems.append(row.problem("horizon_years", values["horizon_years"], f"the horizon from {values['start_year']} runs past 2100; shorten it"))
    budgets = ("capex_budget_usd", "capex_budget_per_year_usd")
    if row.ok("objective") and values["objective"] == "max_capacity" and all(values[b] is None for b in budgets):
        fix = "max_capacity needs a budget to stay within: set capex_budget_usd or capex_budget_per_year_usd, or use objective: min_npv"
        problems.append(row.problem("objective", "max_capacity", fix))
    return row, problems


def _check_text(doc: dict, key: str, file: str, required: bool) -> tuple[str, list[Problem]]:
    """A top-level text value (`name`, `description`); "" when left out."""
    raw = doc.get(key)
    if raw is None or raw == "":
        fix = f"required: the scenario's {key}, e.g. {key}: enterprise-baseline"
        return "", [Problem(file, "top level", key, MISSING, fix)] if required else []
    try:
        return convert(Field(key, STR), raw), []
    except BadValue as exc:
        return "", [Problem(file, "top level", key, _brief(raw), str(exc))]


def _check_items(doc: dict, key: str, table: Table, file: str) -> tuple[list[Row], list[Problem]]:
    """A required, non-empty YAML list of `table` records with unique ids."""
    example = {"sites": "sites: [{id: us-east, region: us, power_mw: 12, racks: {air-40: 20}}]",
               "workloads": "workloads: [{id: chat, kind: inference, params_b: 70, tokens_per_s: 5000}]"}.get(key, "")
    items = doc.get(key)
    if items is None:
        return [], [Problem(file, "top level", key, MISSING, f"required: a list of {table.name}, e.g. {example}")]
    if not isinstance(items, list):
        return [], [Problem(file, "top level", key, _brief(items), f"expected a list (items start with '- '), e.g. {example}")]
    if not items:
        return [], [Problem(file, "top level", key, [], f"empty; at least one is needed, e.g. {example}")]
    rows, problems = [], []
    for i, raw in enumerate(items):
        where = _where(key, i, raw)
        if not isinstance(raw, dict):
            problems.append(Problem(file, where, key, _brief(raw), f"expected a mapping of {table.name} fields, e.g. {example}"))
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
                    problems.append(row.problem(name, ref, f"unknown {what}; {suggest(ref, targets, what + ' ids')}"))
    return problems


def check_site_racks(sites: list[Row]) -> list[Problem]:
    """A site with no rack positions at all can host nothing."""
    fix = "no rack positions; give at least one, e.g. racks: {air-40: 20}"
    return [s.problem("racks", s.values["racks"], fix) for s in sites if s.ok("racks") and not any(s.values["racks"].values())]


def check_workload_years(workloads: list[Row], years: tuple[int, int] | None) -> list[Problem]:
    """A workload `start_year` given outside the planning years (first, last)."""
    if years is None:
        return []
    fix = f"outside the planning years {years[0]}-{years[1]}; move it inside or change the policy"
    return [
        w.problem("start_year", w.values["start_year"], fix)
        for w in workloads
        if "start_year" in w.given and w.ok("start_year") and not years[0] <= w.values["start_year"] <= years[1]
    ]


def check_workload_kinds(workloads: list[Row]) -> list[Problem]:
    """Training/finetune need tokens_t and deadline_days; inference needs tokens_per_s.

    A demand field of another kind (tokens_per_s on a training job, tokens_t or deadline_days
    on an inference service) is a problem too: it would be silently ignored.
    """
    problems = []
    for w in workloads:
        if not w.ok("kind"):
            continue
        kind = w.values["kind"]
        for name in KIND_NEEDS[kind]:
            if name not in w.given:
                problems.append(w.problem(name, MISSING, f"required for kind {kind}; add e.g. {_example(WORKLOADS[name])}"))
        others = {n for k, needs in KIND_NEEDS.items() for n in needs if k != kind} - set(KIND_NEEDS[kind])
        for name in sorted(others & w.given):
            kinds = "/".join(k for k, needs in KIND_NEEDS.items() if name in needs)
            problems.append(w.problem(name, w.values[name], f"applies to {kinds} only, not {kind}; remove it or change kind"))
    return problems


_SITE_FIELDS = ("region", "tenancy", "certifications")


def check_site_eligibility(workloads: list[Row], sites: list[Row]) -> list[Problem]:
    """A workload whose compliance, region and dedicated tags no site satisfies."""
    sites = [s for s in sites if s.ok(*_SITE_FIELDS)]
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
        fix = f"no site can host it: {detail}; add what is missing to a site or relax the workload's {'/'.join(tags)}"
        problems.append(w.problem(tags[0], w.values[tags[0]], fix))
    return problems


def _site_hosts(site: Row, tier: Row, racks: Mapping[str, Row]) -> bool:
    """A rack type with positions at `site` holds one node of `tier` (or has bad values, so may)."""
    return any(
        count > 0 and rack in racks
        and (not racks[rack].ok("cooling", "usable_kw", "rack_units") or rack_fit_issue(tier.values, racks[rack].values) is None)
        for rack, count in site.values["racks"].items()
    )


def check_workload_tiers(
    workloads: list[Row], sites: list[Row], tiers: Mapping[str, Row], racks: Mapping[str, Row], last_year: int | None
) -> list[Problem]:
    """A workload none of whose GPU tiers (its `tiers`, or any) can run at a site it may use.

    A tier can run at a site when a rack type with positions there holds one node
    (`rack_fit_issue`) and the tier is on sale by the last planning year.
    """
    sites = [s for s in sites if s.ok("racks", *_SITE_FIELDS) and any(s.values["racks"].values())]
    problems = []
    for w in workloads:
        if not w.clean("tiers", *SITE_TAGS):
            continue
        eligible = [s for s in sites if not site_lacks(s.values, w.values)]
        names = w.values["tiers"] or tuple(tiers)
        candidates = [tiers[n] for n in names if n in tiers and tiers[n].ok("cooling", "node_kw", "rack_units")]
        if not eligible or not candidates:
            continue
        reasons = []
        for tier in candidates:
            start = tier.values["available_from"]
            if last_year is not None and start is not None and start > last_year:
                reasons.append(f"{tier.id} is on sale from {start}, after {last_year}")
            elif not any(_site_hosts(s, tier, racks) for s in eligible):
                reasons.append(f"{tier.id} needs {_rack_need(tier)}")
            else:
                break
        else:
            has = "; ".join(f"{s.id} has {', '.join(r for r, n in s.values['racks'].items() if n > 0)}" for s in eligible)
            what = "none of its GPU tiers" if w.values["tiers"] else "no GPU tier in the catalog"
            fix = f"{what} can run at the sites it may use: {'; '.join(reasons)} ({has}); add rack positions that fit or allow another tier"
            problems.append(w.problem("tiers", w.values["tiers"], fix))
    return problems


def check_compliant_storage(workloads: list[Row], storage: list[Row]) -> list[Problem]:
    """A workload with compliance tags needs a hot storage tier with encryption at rest."""
    storage = [r for r in storage if r.ok("hot", "encryption_at_rest")]
    if not storage or any(r.values["hot"] and r.values["encryption_at_rest"] for r in storage):
        return []
    fix = "its data must stay on encrypted storage, but no hot storage tier has encryption_at_rest=true; add or override one"
    return [w.problem("compliance", w.values["compliance"], fix) for w in workloads if w.ok("compliance") and w.values["compliance"]]


def check_scenario(path: str | Path, catalog_dir: str | Path | None = None) -> Checked:
    """Every problem in the scenario at `path` and the catalog it uses, with the checked rows."""
    file = display_path(path)
    try:
        doc = read_scenario_file(path)
    except InputError as exc:
        return Checked(list(exc.problems))
    tables, problems = read_catalog_tables(catalog_dir)

    for key in doc:
        if key not in SCENARIO_KEYS:
            problems.append(Problem(file, "top level", str(key), _brief(doc[key]), f"unknown key; {suggest(key, SCENARIO_KEYS, 'keys')}"))
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
        years = (policy.values["start_year"], policy.values["start_year"] + policy.values["horizon_years"] - 1)
    problems += check_refs(sites, "racks", racks, "rack type")
    problems += check_site_racks(sites)
    problems += check_refs(workloads, "tiers", tiers, "GPU tier")
    problems += check_workload_kinds(workloads)
    problems += check_workload_years(workloads, years)
    problems += check_site_eligibility(workloads, sites)
    problems += check_workload_tiers(workloads, sites, tiers, racks, years[1] if years else None)
    problems += check_compliant_storage(workloads, tables["storage_tiers"])

    tables = {**tables, "sites": sites, "workloads": workloads}
    return Checked(problems, tables, dict(policy.values), name, description)


def validate(path: str | Path, catalog_dir: str | Path | None = None) -> list[Problem]:
    """Every problem in the scenario at `path` and its catalog; [] when the inputs are good.

    Never raises for bad input: a missing or unreadable file is a problem like any other.
    `catalog_dir` defaults to the shipped `aiopt/data/catalog`.

    Examples
    --------
    >>> for problem in validate("data/scenarios/enterprise-baseline.yaml"):  # doctest: +SKIP
    ...     print(problem)
    """
    return check_scenario(path, catalog_dir).problems
