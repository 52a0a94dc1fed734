"""The validated, defaults-filled input to the planning model, and the one way to make it.

A `Scenario` is made from a scenario mapping (the YAML document) and a catalog by
`scenario_from`, which runs every check of `aiopt.validate` and raises `InputError` with all
problems found. `aiopt.load_scenario` is the door from a file; the edits (`with_policy`,
`with_values`, `with_all`) change a copy of the mapping and go through the same door, so a bad
edit gets the same one-line problems as a bad YAML file. The model re-checks a Scenario before
it builds (`require_valid`): one made by hand, or with tables changed in place, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aiopt.errors import InputError, Problem
from aiopt.schema import BOOL, CATALOG_TABLES, FLOAT, INT, LIST, TABLES, Table
from aiopt.validate import check_document, suggest
from aiopt.validate.messages import MISSING, brief
from aiopt.validate.plausible import warn
from aiopt.validate.scenario import CatalogRows

# index name of each table's DataFrame (the singular of the table name)
INDEX_NAMES = {
    "gpu_tiers": "tier",
    "models": "model",
    "fabrics": "fabric",
    "storage_tiers": "storage_tier",
    "rack_types": "rack_type",
    "services": "service",
    "cloud_offers": "offer",
    "software_stacks": "stack",
    "sites": "site",
    "workloads": "workload",
}
TRAINING_KINDS = ("training", "finetune")
CATALOG_NAMES = tuple(t.name for t in CATALOG_TABLES)
EDITABLE = ("sites", "workloads", *CATALOG_NAMES)  # tables `with_values` and `with_all` change
HOW_TO_EDIT = "change a scenario with sc.with_policy, sc.with_values or sc.with_all, which check the change"
CHANGED = "changed after it was checked"


def resolve_defaults(tables: dict[str, list[dict]], policy: dict | None = None) -> None:
    """Fill the defaults that depend on other values, in place.

    GPU tier `fabric_ports` and `nvlink_domain_gpus` -> `gpus_per_node`; workload `start_year` -> the policy's
    `start_year`; workload `read_gbps_per_gpu` -> 1.0 for training/finetune, 0.0 for inference.
    A workload's `mfu` stays unset: the model resolves it.
    """
    for tier in tables.get("gpu_tiers", []):
        for name in ("fabric_ports", "nvlink_domain_gpus"):
            if tier[name] is None:
                tier[name] = tier["gpus_per_node"]
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
            column = pd.array(values, dtype="Int64") if None in values else np.array(values, dtype=np.int64)
        elif f.kind == FLOAT:
            column = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif f.kind == BOOL:
            column = np.array(values, dtype=bool)
        elif f.kind == LIST or any(not isinstance(v, str) for v in values):
            column = pd.Series(
                [tuple(v) for v in values] if f.kind == LIST else values, index=index, dtype=object
            )
        else:
            column = values
        columns[f.name] = column
    return pd.DataFrame(columns, index=index)


def site_racks_frame(sites: list[dict]) -> pd.DataFrame:
    """Long table of rack positions: columns site, rack_type, racks (as given, zeros kept)."""
    records = [(site["id"], rack, count) for site in sites for rack, count in site["racks"].items()]
    frame = pd.DataFrame(records, columns=["site", "rack_type", "racks"])
    return frame.astype({"racks": "int64"})


@dataclass(frozen=True)
class Source:
    """Where a Scenario comes from, so that edits and re-checks can start from it again.

    `document` is the scenario mapping, `catalog` the catalog as read (before the mapping's
    `catalog:` overrides), `file` the label of their problems; `checked` is a copy of the
    Scenario as the checks made it (to find changes made in place), `warnings` what they found
    unusual.
    """

    document: dict
    catalog: CatalogRows
    file: str
    checked: Scenario
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """Catalogs, sites, workloads and policy of one planning problem.

    Every table is a DataFrame indexed by `id` (index name = the table's singular: `tier`,
    `fabric`, `storage_tier`, `rack_type`, `service`, `site`, `workload`), every schema field a
    column, defaults filled. `site_racks` is long: columns `site`, `rack_type`, `racks`.
    List fields (certifications, tiers, compliance) hold tuples. `path` is the YAML file it
    was loaded from (edits keep it). Treat the tables as read-only: change a scenario with
    `with_policy`, `with_values` or `with_all`, which return a checked copy.
    """

    name: str
    description: str
    policy: dict
    sites: pd.DataFrame
    site_racks: pd.DataFrame
    workloads: pd.DataFrame
    gpu_tiers: pd.DataFrame
    models: pd.DataFrame
    fabrics: pd.DataFrame
    storage_tiers: pd.DataFrame
    rack_types: pd.DataFrame
    services: pd.DataFrame
    cloud_offers: pd.DataFrame
    software_stacks: pd.DataFrame
    path: Path | None = None
    source: Source | None = field(default=None, repr=False)

    @property
    def years(self) -> list[int]:
        start = int(self.policy["start_year"])
        return list(range(start, start + int(self.policy["horizon_years"])))

    def with_policy(self, **changes) -> Scenario:
        """A checked copy with policy values changed, e.g. `sc.with_policy(capex_budget_usd=40e6)`.

        None unsets a value (its default applies). Raises `InputError` for a bad value or an
        unknown field, as the same change in the YAML would.
        """
        document = self._source().document
        policy = {**(document.get("policy") or {}), **_plain(changes)}
        return self._edited({**document, "policy": policy}, "with_policy")

    def with_values(self, table: str, row: str, **changes) -> Scenario:
        """A checked copy with fields of one row changed, e.g.
        `sc.with_values("sites", "us-east", power_mw=8)`.

        `table` is `sites`, `workloads` or a catalog table (`gpu_tiers`, `fabrics`,
        `storage_tiers`, `rack_types`, `services`); a catalog change becomes a `catalog:`
        override of that row. None unsets a site or workload value (its default applies); in a
        catalog row it keeps the catalog's value. Raises `InputError` for an unknown table, row
        or field or a bad value, as the same change in the YAML would.
        """
        edit = "with_values"
        ids = self._table(table, edit).index
        if row not in ids:
            fix = f"no such {INDEX_NAMES[table].replace('_', ' ')}; {suggest(row, ids, 'ids')}"
            raise InputError([Problem(self._label(edit), table, "id", brief(row), fix)])
        return self._edited(_changed_rows(self._source().document, table, [row], _plain(changes)), edit)

    def with_all(self, table: str, **changes) -> Scenario:
        """A checked copy with fields of every row of a table changed, e.g.
        `sc.with_all("workloads", growth_per_year=0.6)`; tables and errors as `with_values`."""
        edit = "with_all"
        rows = list(self._table(table, edit).index)
        return self._edited(_changed_rows(self._source().document, table, rows, _plain(changes)), edit)

    def problems(self) -> list[Problem]:
        """What keeps this scenario from the model: [] when it is exactly what its scenario
        mapping and catalog validated to. A Scenario made by hand, or one whose tables or
        policy were changed in place, is a problem (`aiopt.validate(sc)` returns this list)."""
        if self.source is None:
            return [_unchecked()]
        return _differences(self, self.source.checked, self.source.file)

    def require_valid(self) -> None:
        """Raise `InputError` with `problems()` unless there are none (the model's entry check)."""
        problems = self.problems()
        if problems:
            raise InputError(problems)

    def _source(self) -> Source:
        if self.source is None:
            raise InputError([_unchecked()])
        return self.source

    def _label(self, edit: str) -> str:
        return f"{self._source().file} (edited: {edit})"

    def _table(self, table: str, edit: str) -> pd.DataFrame:
        if table not in EDITABLE:
            fix = f"not a table {edit} can change; {suggest(table, EDITABLE, 'tables')}"
            raise InputError([Problem(self._label(edit), edit, "table", brief(table), fix)])
        return getattr(self, table)

    def _edited(self, document: dict, edit: str) -> Scenario:
        """The Scenario `document` makes, checked; warns only of what the edit newly made unusual."""
        source = self._source()
        edited = scenario_from(document, source.catalog, source.file, path=self.path, label=self._label(edit))
        before = {_sans_file(p) for p in source.warnings}
        warn([p for p in edited.source.warnings if _sans_file(p) not in before], stacklevel=3)
        return edited


def scenario_from(
    document: dict, catalog: CatalogRows, file: str, *, path: Path | None = None, label: str | None = None
) -> Scenario:
    """The Scenario a scenario mapping and a catalog (as `read_catalog_tables` reads it) make.

    Raises `InputError` listing every problem; `file` (or `label`, when given) names where
    they are. Plausibility warnings are kept in `source.warnings`, not issued.
    """
    checked = check_document(document, label or file, catalog)
    if checked.problems:
        raise InputError(checked.problems)
    policy = dict(checked.policy)
    rows = {name: [dict(row.values) for row in found] for name, found in checked.tables.items()}
    resolve_defaults(rows, policy)
    frames = {name: table_frame(TABLES[name], table_rows) for name, table_rows in rows.items()}
    frames["site_racks"] = site_racks_frame(rows["sites"])
    header = {"name": checked.name, "description": checked.description}
    copy = Scenario(**header, policy=dict(policy), **{name: frame.copy() for name, frame in frames.items()})
    source = Source(document, catalog, file, copy, tuple(checked.warnings))
    return Scenario(**header, policy=policy, path=path, source=source, **frames)


def _plain(changes: dict) -> dict:
    """Values as YAML would give them: NumPy scalars (e.g. read from a DataFrame) as Python ones."""
    return {name: value.item() if isinstance(value, np.generic) else value for name, value in changes.items()}


def _changed_rows(document: dict, table: str, ids: list[str], changes: dict) -> dict:
    """A copy of `document` with `changes` made to the rows `ids` of `table`.

    Sites and workloads are changed where they are listed; catalog rows through the
    document's `catalog:` overrides (an existing override of the row is extended).
    """

    def changed(items: list, add_missing: bool) -> list:
        items = [{**item, **changes} if _item_id(item) in ids else item for item in items]
        listed = {_item_id(item) for item in items}
        return items + [{"id": rid, **changes} for rid in ids if add_missing and rid not in listed]

    if table in CATALOG_NAMES:
        catalog = document.get("catalog") or {}
        return {
            **document,
            "catalog": {**catalog, table: changed(catalog.get(table) or [], add_missing=True)},
        }
    return {**document, table: changed(document[table], add_missing=False)}


def _item_id(item: dict) -> str | None:
    rid = item.get("id")
    return rid.strip() if isinstance(rid, str) else None


def _unchecked() -> Problem:
    fix = (
        "made by hand, so never checked; make it with aiopt.load_scenario (a YAML file or mapping) "
        f"and {HOW_TO_EDIT}"
    )
    return Problem("Scenario", "top level", "source", MISSING, fix)


def _sans_file(problem: Problem) -> tuple:
    return problem.where, problem.field, repr(problem.value), problem.fix


def _differences(mine: Scenario, fresh: Scenario, file: str) -> list[Problem]:
    """Where `mine` differs from `fresh`, the scenario as checked: changes made in place or by
    `dataclasses.replace`, which no check has seen."""
    found = [
        Problem(file, "top level", name, brief(getattr(mine, name)), f"{CHANGED}; {HOW_TO_EDIT}")
        for name in ("name", "description")
        if getattr(mine, name) != getattr(fresh, name)
    ]
    found += [
        Problem(
            file,
            "policy",
            name,
            brief(mine.policy.get(name, MISSING)),
            f"{CHANGED} (checked value {fresh.policy.get(name)!r}); "
            f"use sc.with_policy({name}=...), which checks it",
        )
        for name in sorted(set(mine.policy) | set(fresh.policy))
        if mine.policy.get(name, MISSING) != fresh.policy.get(name)
    ]
    for table in (*INDEX_NAMES, "site_racks"):
        found += _frame_differences(file, table, getattr(mine, table), getattr(fresh, table))
    return found


def _frame_differences(file: str, table: str, mine: pd.DataFrame, fresh: pd.DataFrame) -> list[Problem]:
    """A problem per cell of `mine` that differs from `fresh` (or one for changed rows or columns)."""
    if mine.equals(fresh):
        return []
    if table == "site_racks" or not (mine.index.equals(fresh.index) and mine.columns.equals(fresh.columns)):
        field, shown = (
            ("racks", mine.to_dict("records")) if table == "site_racks" else ("rows", list(mine.index))
        )
        return [Problem(file, table, field, brief(shown), f"{CHANGED}; {HOW_TO_EDIT}")]
    now, checked = mine.astype(object), fresh.astype(object)
    same = (now == checked) | (now.isna() & checked.isna())
    return [
        Problem(
            file,
            f"{table} (id={rid})",
            column,
            brief(now.at[rid, column]),
            f"{CHANGED} (checked value {brief(checked.at[rid, column])!r}); "
            f"use sc.with_values({table!r}, {rid!r}, {column}=...), which checks it",
        )
        for column in mine.columns
        for rid in mine.index
        if not same.at[rid, column]
    ]
