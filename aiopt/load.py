"""Load stage: read the catalog CSVs and a scenario YAML into a validated `Scenario`.

`load_scenario` = read (`aiopt.read`) + every check of `aiopt.validate` (raising `InputError`
with every problem) + defaults and DataFrames (`aiopt.scenario.scenario_from`, the door every
Scenario, and every edit of one, goes through).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from aiopt.errors import InputError
from aiopt.read import display_path, read_scenario_file
from aiopt.scenario import Scenario, resolve_defaults, scenario_from, table_frame
from aiopt.schema import CATALOG_TABLES
from aiopt.validate import check_catalog, read_catalog_tables
from aiopt.validate.plausible import warn
from aiopt.validate.scenario import DOCUMENT_LABEL


def load_catalog(directory: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The validated catalog tables (gpu_tiers, fabrics, ...) in `directory`, defaults filled.

    `directory` defaults to the shipped `aiopt/data/catalog`. Raises `InputError` listing every
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


def load_scenario(scenario: str | Path | Mapping, catalog_dir: str | Path | None = None) -> Scenario:
    """Read, validate and complete a scenario against the catalog in `catalog_dir`.

    `scenario` is a YAML file, or the same as a Python mapping (its problems are labelled
    "scenario mapping"). Per-scenario `catalog:` overrides are applied, schema defaults and
    derived defaults filled. Raises `InputError` listing every problem found; values far
    outside their usual range are issued as `PlausibilityWarning`s.

    Examples
    --------
    >>> sc = load_scenario("data/scenarios/enterprise-baseline.yaml")   # doctest: +SKIP
    >>> sc.years                                                        # doctest: +SKIP
    [2026, 2027, 2028]
    """
    if isinstance(scenario, Mapping):
        document, file, path = copy.deepcopy(dict(scenario)), DOCUMENT_LABEL, None
    else:
        document, file, path = read_scenario_file(scenario), display_path(scenario), Path(scenario)
    loaded = scenario_from(document, read_catalog_tables(catalog_dir), file, path=path)
    warn(loaded.source.warnings, stacklevel=2)
    return loaded
