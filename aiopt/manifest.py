"""The run manifest written with every plan (plan.json's `run`, the workbook's Solve info):
what was solved, with what, and how it ended."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib.metadata import version

import pandas as pd

from .schema import CATALOG_TABLES, POLICY, SITES, WORKLOADS


def _sha256(frames: dict) -> str:
    """First 16 hex digits of the SHA-256 of named DataFrames in CSV form."""
    digest = hashlib.sha256()
    for name, frame in frames.items():
        digest.update(name.encode())
        digest.update(frame.to_csv().encode())
    return digest.hexdigest()[:16]


def scenario_hash(scenario) -> str:
    """Hash of the scenario's own inputs (name, policy, sites and their racks, workloads) after defaults."""
    policy = json.dumps(scenario.policy, sort_keys=True, default=str)
    frames = {"sites": scenario.sites, "site_racks": scenario.site_racks, "workloads": scenario.workloads}
    return _sha256({f"{scenario.name}\n{policy}": frames.pop("sites"), **frames})


def catalog_hash(scenario) -> str:
    """Hash of the catalog tables the scenario used (after its `catalog:` overrides)."""
    return _sha256({t.name: getattr(scenario, t.name) for t in CATALOG_TABLES})


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_manifest(plan) -> dict:
    """Scenario and catalog hashes, aiopt/Pyomo/highspy (HiGHS) versions, solver options, status, gap, wall
    time (all stages, s) and the date the plan was read from the solver."""
    info = plan.info
    versions = {name: version(name) for name in ("aiopt", "pyomo", "highspy")}
    return {
        "scenario": plan.scenario.name,
        "scenario_sha256": scenario_hash(plan.scenario),
        "catalog_sha256": catalog_hash(plan.scenario),
        **{f"{name}_version": v for name, v in versions.items()},
        "solver_options": {
            "rel_gap": info.rel_gap_target,
            "time_limit_s": info.time_limit,
            "threads": info.threads,
            "seed": info.seed,
        },
        "status": str(info.status.value),
        "gap": info.gap,
        "wall_time_s": round(sum(info.seconds.values()), 3),
        "solved_at": plan.solved_at,
    }


def _plain(value):
    """An input value as one cell: lists joined with ';', NumPy scalars as Python, NaN as None."""
    if isinstance(value, list | tuple):
        return ";".join(map(str, value))
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and value != value else value


def assumptions(scenario) -> pd.DataFrame:
    """Every input value the plan was solved with, after defaults: (table, id, field, value, unit,
    source). Catalog rows give their own `source`; policy, sites and workloads the scenario file.
    A site's rack positions are one row per rack type (field `racks.<type>`)."""
    own = str(scenario.path) if scenario.path else f"scenario {scenario.name}"
    rows = [("policy", "", f.name, _plain(scenario.policy.get(f.name)), f.unit, own) for f in POLICY.fields]
    for table in (*CATALOG_TABLES, SITES, WORKLOADS):
        for row_id, row in getattr(scenario, table.name).iterrows():
            source = row.get("source", own) if table in CATALOG_TABLES else own
            for f in table.fields:
                if f.name in ("id", "source"):
                    continue
                if isinstance(row[f.name], dict):
                    rows += [
                        (table.name, row_id, f"{f.name}.{k}", n, f.unit, source)
                        for k, n in row[f.name].items()
                    ]
                else:
                    rows.append((table.name, row_id, f.name, _plain(row[f.name]), f.unit, source))
    return pd.DataFrame(rows, columns=["table", "id", "field", "value", "unit", "source"])
