"""Load stage: read the catalog CSVs and a scenario YAML into a validated `Scenario`.

`load_scenario` = read + `aiopt.validate` checks (raising `InputError` with every problem) +
defaults from the schema + derived defaults + DataFrames. Deciding whether values are good is the job of
`aiopt.validate`; the files themselves are read by `aiopt.read`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aiopt.errors import InputError
from aiopt.scenario import Scenario
from aiopt.schema import BOOL, CATALOG_TABLES, FLOAT, INT, LIST, TABLES, Table
from aiopt.validate import check_catalog, check_scenario

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
