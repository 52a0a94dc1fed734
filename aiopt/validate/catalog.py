"""Catalog checks: the CSV files row by row, a scenario's `catalog:` overrides, cross-table rules."""

from __future__ import annotations

from pathlib import Path

from aiopt.errors import InputError, Problem
from aiopt.read import DEFAULT_CATALOG_DIR, display_path, read_catalog_csv
from aiopt.rules import RACK_COOLING_FOR, rack_fit_issue
from aiopt.schema import CATALOG_TABLES, Table
from aiopt.validate.fields import Checked, Row, check_record, check_unique_ids, item_where
from aiopt.validate.messages import MISSING, brief, example, suggest

OPTIONAL_FILES = ("cloud_offers", "software_stacks")  # catalog tables whose CSV may be absent (no rows)
OPTIONAL_TABLES = ("services", *OPTIONAL_FILES)  # catalog tables that may have no rows


def read_catalog_tables(directory: str | Path | None = None) -> tuple[dict[str, list[Row]], list[Problem]]:
    """Every catalog CSV in `directory` checked row by row (no cross-table checks)."""
    directory = Path(directory) if directory is not None else DEFAULT_CATALOG_DIR
    if not directory.is_dir():
        fix = "no such directory; a catalog is a directory of <table>.csv files, e.g. aiopt/data/catalog"
        return {t.name: [] for t in CATALOG_TABLES}, [
            Problem(display_path(directory), "catalog", "directory", str(directory), fix)
        ]
    tables, problems = {}, []
    for table in CATALOG_TABLES:
        path = directory / f"{table.name}.csv"
        if table.name in OPTIONAL_FILES and not path.exists():
            tables[table.name] = []
            continue
        tables[table.name], found = _read_table(table, path)
        problems += found
    return tables, problems


def _read_table(table: Table, path: Path) -> tuple[list[Row], list[Problem]]:
    file = display_path(path)
    if table.name in OPTIONAL_FILES and not path.exists():
        return [], []
    try:
        header, records = read_catalog_csv(path)
    except InputError as exc:
        return [], list(exc.problems)
    problems = []
    for i, column in enumerate(header):
        if column not in table.names:
            problems.append(
                Problem(
                    file,
                    "header",
                    "column",
                    column,
                    f"unknown {table.name} column; {suggest(column, table.names, 'columns')}",
                )
            )
        elif column in header[:i]:
            problems.append(Problem(file, "header", "column", column, "column given twice; remove one"))
    absent = [f.name for f in table.fields if f.required and f.name not in header]
    for name in absent:
        f = table[name]
        unit = f" ({f.unit})" if f.unit else ""
        problems.append(
            Problem(
                file,
                "header",
                name,
                MISSING,
                f"required column missing{unit}; add it, e.g. {example(f, True)}",
            )
        )
    rows = []
    for line, cells in records:
        rid = cells[header.index("id")] if "id" in header and header.index("id") < len(cells) else ""
        where = f"line {line}" + (f" (id={rid})" if rid else "")
        if len(cells) != len(header):
            fix = (
                f"{len(cells)} cells but {len(header)} columns; "
                "check for a missing or stray comma (quote text with commas)"
            )
            problems.append(Problem(file, where, "cells", len(cells), fix))
            row, _ = check_record(
                table, {"id": rid}, file, where, text=True, partial=True
            )  # keep the id known
            row.bad |= set(table.names) - {"id"}
            rows.append(row)
            continue
        raw = {column: cell for column, cell in zip(header, cells, strict=True) if column in table.names}
        row, found = check_record(table, raw, file, where, text=True, absent=absent)
        rows.append(row)
        problems += found
    if not records and table.name not in OPTIONAL_TABLES:
        problems.append(
            Problem(file, "table", table.name, 0, "no rows; add at least one row below the header")
        )
    rows, found = check_unique_ids(rows)
    return rows, problems + found


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
        issue_text = "; ".join(issues)
        fix = f"no rack type can hold one node: {issue_text}; add a rack type that can, or correct the tier"
        problems.append(tier.problem(name, tier.values[name], fix))
    return problems


def check_sale_years(tiers: list[Row]) -> list[Problem]:
    """A GPU tier whose last year on sale (`available_to`) is before its first."""
    return [
        t.problem(
            "available_to", t.values["available_to"], f"before available_from {t.values['available_from']}"
        )
        for t in tiers
        if t.ok("available_from", "available_to")
        and t.values["available_to"] is not None
        and t.values["available_to"] < t.values["available_from"]
    ]


def check_catalog_tables(tables: dict[str, list[Row]]) -> list[Problem]:
    """Cross-table catalog checks: a hot storage tier exists; every GPU tier fits a rack type and
    is on sale for at least a year."""
    problems = []
    storage = [r for r in tables.get("storage_tiers", []) if r.ok("hot")]
    if storage and not any(r.values["hot"] for r in storage):
        fix = (
            "no storage tier has hot=true; "
            "training reads, checkpoints and model weights need a hot (flash) tier"
        )
        problems.append(Problem(storage[0].file, "all rows", "hot", False, fix))
    problems += check_tiers_fit_racks(tables.get("gpu_tiers", []), tables.get("rack_types", []))
    problems += check_sale_years(tables.get("gpu_tiers", []))
    table = lambda name: tables.get(name, [])  # noqa: E731
    problems += unknown_ids(table("cloud_offers"), "tier", table("gpu_tiers"), "GPU tier")
    problems += unknown_ids(table("gpu_tiers"), "stack", table("software_stacks"), "software stack")
    problems += unknown_ids(table("services"), "stacks", table("software_stacks"), "software stack")
    if table("fabrics"):  # else the fabrics table is missing or broken: already reported
        problems += unknown_ids(table("gpu_tiers"), "fabrics", table("fabrics"), "fabric")
    return problems


def unknown_ids(rows: list[Row], field: str, targets: list[Row], what: str) -> list[Problem]:
    """Rows whose `field` (an id or a list of ids) names no row of `targets`: a cloud offer's tier,
    a tier's software stack and fabrics, a service's stacks."""
    known = {row.id for row in targets}

    def named(row: Row) -> list:
        value = row.values[field]
        return list(value) if isinstance(value, (list, tuple)) else [value]

    return [
        row.problem(field, row.values[field], f"unknown {what} {name!r}; {suggest(name, known, 'ids')}")
        for row in rows
        if row.ok(field)
        for name in named(row)
        if name not in known
    ]


def check_catalog(directory: str | Path | None = None) -> Checked:
    """Every problem in the catalog in `directory` (default: the shipped `aiopt/data/catalog`)."""
    tables, problems = read_catalog_tables(directory)
    problems += check_catalog_tables(tables)
    return Checked(problems, tables)


def apply_overrides(tables: dict[str, list[Row]], spec: object, file: str) -> list[Problem]:
    """Apply a scenario's `catalog:` mapping to the catalog rows, in place.

    A row whose id exists overrides the given fields; a new id adds a row, checked in full.
    The lists in `tables` are replaced or appended to; the rows in them are never changed.
    """
    shown = "catalog: {gpu_tiers: [{id: h100-sxm, price_usd: 250000}]}"
    if not isinstance(spec, dict):
        return [
            Problem(
                file,
                "top level",
                "catalog",
                brief(spec),
                f"expected a mapping of table name to rows, e.g. {shown}",
            )
        ]
    known = {t.name: t for t in CATALOG_TABLES}
    problems = []
    for name, items in spec.items():
        if name not in known:
            problems.append(
                Problem(
                    file, "catalog", "table", name, f"unknown catalog table; {suggest(name, known, 'tables')}"
                )
            )
            continue
        if not isinstance(items, list):
            problems.append(
                Problem(file, f"catalog.{name}", name, brief(items), f"expected a list of rows, e.g. {shown}")
            )
            continue
        table, rows = known[name], tables.setdefault(name, [])
        index = {row.id: i for i, row in enumerate(rows)}
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            where = item_where(f"catalog.{name}", i, raw)
            if not isinstance(raw, dict):
                problems.append(
                    Problem(file, where, name, brief(raw), f"expected a mapping with an id, e.g. {shown}")
                )
                continue
            row, found = check_record(table, raw, file, where, partial=True)
            problems += found
            rid = row.id
            if rid is None:
                if "id" not in row.bad:
                    problems.append(
                        row.problem("id", MISSING, f"required: the id of the {name} row to override or add")
                    )
                continue
            if rid in seen:
                problems.append(row.problem("id", rid, f"listed twice (also {seen[rid]}); merge the two"))
                continue
            seen[rid] = where
            if rid in index:
                base = rows[index[rid]]
                values = {**base.values, **{k: row.values[k] for k in row.given - row.bad}}
                rows[index[rid]] = Row(
                    file, where, values, base.given | row.given, (base.bad - row.given) | row.bad
                )
                continue
            missing = [f.name for f in table.fields if f.required and f.name not in row.given]
            if missing:
                fix = (
                    f"not a {name} id, so this adds a row, which needs {', '.join(missing)}; "
                    f"to override a row use its id: {suggest(rid, index, 'ids')}"
                )
                problems.append(row.problem("id", rid, fix))
            index[rid] = len(rows)
            rows.append(row)
    return problems
