"""Load stage: read the catalog CSVs and a scenario YAML into a validated `Scenario`.

`load_scenario` = read + `aiopt.validate` checks (raising `InputError` with every problem) +
defaults from the schema + derived defaults + DataFrames. The readers here only turn files into
Python values (all CSV cells stay text); deciding whether those values are good is the job of
`aiopt.validate`, which reads files through this module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import yaml

from aiopt.errors import InputError, Problem
from aiopt.scenario import Scenario
from aiopt.schema import BOOL, CATALOG_TABLES, FLOAT, INT, LIST, TABLES, Table

DEFAULT_CATALOG_DIR = Path(__file__).resolve().parent.parent / "data" / "catalog"

# index name of each table's DataFrame (the singular of the table name)
INDEX_NAMES = {
    "gpu_tiers": "tier",
    "fabrics": "fabric",
    "storage_tiers": "storage_tier",
    "rack_types": "rack_type",
    "services": "service",
    "sites": "site",
    "workloads": "workload",
}
TRAINING_KINDS = ("training", "finetune")
_SCENARIO_HELP = "a scenario is a YAML mapping with name, policy, sites and workloads, see docs/inputs.md"


def display_path(path: str | Path) -> str:
    """`path` relative to the working directory when it lies below it, else as given."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _unreadable(file: str, where: str, field: str, value: object, fix: str) -> InputError:
    return InputError([Problem(file, where, field, value, fix)])


def read_scenario_file(path: str | Path) -> dict:
    """The scenario YAML at `path` as a mapping (`yaml.safe_load`).

    Raises `InputError` when the file is missing, a directory, empty, not UTF-8, invalid YAML,
    not a mapping, or repeats a key within one mapping (YAML would silently keep the last).
    """
    path = Path(path)
    file = display_path(path)
    if path.is_dir():
        raise _unreadable(file, "file", "path", str(path), f"is a directory; give a scenario .yaml file: {_SCENARIO_HELP}")
    if not path.is_file():
        raise _unreadable(file, "file", "path", str(path), "no such file; check the path (shipped scenarios are in data/scenarios/)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(file, "file", "encoding", exc.encoding, "not UTF-8 text; save the file as UTF-8") from None
    try:
        doc = yaml.safe_load(text)
        duplicates = _duplicate_keys(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        line = text.splitlines()[mark.line].strip() if mark and mark.line < len(text.splitlines()) else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _unreadable(file, where, "yaml", line, f"invalid YAML ({reason}); check indentation, colons and quotes") from None
    if doc is None:
        raise _unreadable(file, "top level", "document", "", f"the file is empty; {_SCENARIO_HELP}")
    if not isinstance(doc, dict):
        raise _unreadable(file, "top level", "document", type(doc).__name__, f"expected a mapping, not a {type(doc).__name__}; {_SCENARIO_HELP}")
    if duplicates:
        raise InputError([
            Problem(file, f"line {line}", str(key), value, f"key given twice in one mapping (first on line {first}); YAML keeps only the last, remove one")
            for key, first, line, value in duplicates
        ])
    return doc


def _duplicate_keys(text: str) -> list[tuple[str, int, int, str]]:
    """(key, first line, repeated line, repeated value) for each key repeated in one mapping."""
    found = []
    stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        shown = value.value if isinstance(value, yaml.ScalarNode) else "..."
                        found.append((key.value, seen[key.value], line, shown))
                    seen.setdefault(key.value, line)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda item: item[2])


def read_catalog_csv(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and `(line number, cells)` rows of one catalog CSV, all text, cells stripped.

    Blank lines are skipped; a UTF-8 byte-order mark (Excel) is dropped. Raises `InputError`
    when the file is missing, unreadable or has no header line.
    """
    path = Path(path)
    file = display_path(path)
    if not path.is_file():
        tables = ", ".join(f"{t.name}.csv" for t in CATALOG_TABLES)
        raise _unreadable(file, "file", "path", str(path), f"no such file; a catalog directory holds {tables}")
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for cells in reader:
                cells = [cell.strip() for cell in cells]
                if not any(cells):
                    continue
                if header is None:
                    header = cells
                else:
                    rows.append((reader.line_num, cells))
    except UnicodeDecodeError as exc:
        raise _unreadable(file, "file", "encoding", exc.encoding, "not UTF-8 text; save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise _unreadable(file, "file", "csv", str(exc), "malformed CSV; check the quoting") from None
    if header is None:
        raise _unreadable(file, "file", "header", "", "the file is empty; the first line must be the header (the field names)")
    return header, rows


def resolve_defaults(tables: dict[str, list[dict]], policy: dict | None = None) -> None:
    """Fill the defaults that depend on other values, in place.

    GPU tier `fabric_ports` -> `gpus_per_node`; workload `start_year` -> the policy's
    `start_year`; workload `read_gbps_per_gpu` -> 1.0 for training/finetune, 0.0 for inference.
    A workload's `mfu` and `kv_cache_gb` stay unset: the model resolves them.
    """
    for tier in tables.get("gpu_tiers", []):
        if tier["fabric_ports"] is None:
            tier["fabric_ports"] = tier["gpus_per_node"]
    for workload in tables.get("workloads", []):
        if workload["start_year"] is None and policy is not None:
            workload["start_year"] = policy["start_year"]
        if workload["read_gbps_per_gpu"] is None:
            workload["read_gbps_per_gpu"] = 1.0 if workload["kind"] in TRAINING_KINDS else 0.0


def table_frame(table: Table, rows: list[dict]) -> pd.DataFrame:
    """Checked rows of `table` as a DataFrame indexed by id, every other field a column.

    Whole numbers are int64 (Int64 if a value is unset), numbers float64 (unset: NaN), flags
    bool, lists tuples; text is left to pandas (unset: missing).
    """
    index = pd.Index([row["id"] for row in rows], name=INDEX_NAMES.get(table.name, table.name))
    columns = {}
    for f in table.fields:
        if f.name == "id":
            continue
        values = [row[f.name] for row in rows]
        if f.kind == INT:
            dtype = "Int64" if any(v is None for v in values) else "int64"
        elif f.kind == FLOAT:
            dtype, values = "float64", [float("nan") if v is None else v for v in values]
        elif f.kind == BOOL:
            dtype = "bool"
        elif f.kind == LIST:
            dtype, values = object, [tuple(v) for v in values]
        else:
            dtype = object if any(not isinstance(v, str) for v in values) else None
        columns[f.name] = pd.Series(values, index=index, dtype=dtype)
    return pd.DataFrame(columns, index=index)


def site_racks_frame(sites: list[dict]) -> pd.DataFrame:
    """Long table of rack positions: columns site, rack_type, racks (as given, zeros kept)."""
    records = [(site["id"], rack, count) for site in sites for rack, count in site["racks"].items()]
    frame = pd.DataFrame(records, columns=["site", "rack_type", "racks"])
    return frame.astype({"racks": "int64"})


def load_catalog(directory: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The validated catalog tables (gpu_tiers, fabrics, ...) in `directory`, defaults filled.

    `directory` defaults to the shipped `data/catalog`. Raises `InputError` listing every
    problem found.

    Examples
    --------
    >>> catalog = load_catalog()                                    # doctest: +SKIP
    >>> catalog["gpu_tiers"].loc["h100-sxm", "tflops_bf16"]          # doctest: +SKIP
    989.0
    """
    from aiopt.validate import check_catalog  # validate reads files through this module

    checked = check_catalog(directory)
    if checked.problems:
        raise InputError(checked.problems)
    rows = {name: [dict(row.values) for row in found] for name, found in checked.tables.items()}
    resolve_defaults(rows)
    return {t.name: table_frame(t, rows[t.name]) for t in CATALOG_TABLES}


def load_scenario(path: str | Path, catalog_dir: str | Path | None = None) -> Scenario:
    """Read, validate and complete the scenario at `path` against the catalog in `catalog_dir`.

    Per-scenario `catalog:` overrides are applied, schema defaults and derived defaults
    (`resolve_defaults`) filled. Raises `InputError` listing every problem found.

    Examples
    --------
    >>> sc = load_scenario("data/scenarios/enterprise-baseline.yaml")   # doctest: +SKIP
    >>> sc.years                                                        # doctest: +SKIP
    [2026, 2027, 2028]
    """
    from aiopt.validate import check_scenario  # validate reads files through this module

    checked = check_scenario(path, catalog_dir)
    if checked.problems:
        raise InputError(checked.problems)
    policy = dict(checked.policy)
    rows = {name: [dict(row.values) for row in found] for name, found in checked.tables.items()}
    resolve_defaults(rows, policy)
    frames = {name: table_frame(TABLES[name], table_rows) for name, table_rows in rows.items()}
    return Scenario(
        name=checked.name,
        description=checked.description,
        policy=policy,
        site_racks=site_racks_frame(rows["sites"]),
        path=Path(path),
        **frames,
    )
