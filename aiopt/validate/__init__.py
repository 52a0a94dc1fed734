"""Validate stage: check every input before anything is built; report every problem at once.

`validate(scenario)` returns the problems found in a scenario (a YAML path, the YAML mapping
or a `Scenario`) and its catalog: an empty list means the inputs are good. Loading a scenario
and every edit of one (`Scenario.with_policy`, ...) run the same checks and raise `InputError`
with all of them. Each problem names the file, the row id or YAML path, the field, the bad
value and a fix. The checks, by module, in the order they run:

- `fields`: one record at a time (`check_record`): unknown field names (did-you-mean),
  missing required fields, wrong types, NaN/infinite numbers, bounds, choices, ids; repeated
  ids (`check_unique_ids`);
- `catalog`: the CSV files (`read_catalog_tables`: missing files, unknown/missing/repeated
  columns, ragged rows, empty tables), a scenario's `catalog:` overrides (`apply_overrides`),
  a hot storage tier, every GPU tier fits some rack type (`check_tiers_fit_racks`);
- `scenario`: the document's keys, `name`, `policy` (`check_policy`), non-empty `sites` and
  `workloads`; references with did-you-mean (`check_refs`), sites without rack positions,
  kind-specific workload fields, start years inside the horizon, workloads no site may host
  (`check_site_eligibility`), encrypted hot storage for compliant workloads;
- `servable`: every workload has a tier that holds a replica, is on sale in its first year
  and fits the racks at a site it may use (`check_servable`, the model's own rule);
- `plausible`: values allowed but far outside their usual range, issued as
  `PlausibilityWarning`s, never errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from aiopt.errors import Problem
from aiopt.validate.catalog import (
    apply_overrides,
    check_catalog,
    check_catalog_tables,
    check_tiers_fit_racks,
    read_catalog_tables,
)
from aiopt.validate.fields import BadValue, Checked, Row, check_record, check_unique_ids, convert, limits_fix
from aiopt.validate.messages import MISSING, suggest
from aiopt.validate.plausible import PlausibilityWarning, plausibility_warnings, warn
from aiopt.validate.scenario import (
    DOCUMENT_LABEL,
    check_document,
    check_policy,
    check_refs,
    check_scenario,
)
from aiopt.validate.servable import check_servable

__all__ = [
    "MISSING",
    "BadValue",
    "Checked",
    "PlausibilityWarning",
    "Row",
    "apply_overrides",
    "check_catalog",
    "check_catalog_tables",
    "check_document",
    "check_policy",
    "check_record",
    "check_refs",
    "check_scenario",
    "check_servable",
    "check_tiers_fit_racks",
    "check_unique_ids",
    "convert",
    "limits_fix",
    "plausibility_warnings",
    "read_catalog_tables",
    "suggest",
    "validate",
]


def validate(scenario, catalog_dir: str | Path | None = None) -> list[Problem]:
    """Every problem in a scenario and its catalog; [] when the inputs are good.

    `scenario` is a YAML file path, a scenario mapping (the YAML as Python values) or a
    `Scenario`. A path or mapping is checked with the catalog in `catalog_dir` (default: the
    shipped `aiopt/data/catalog`); a `Scenario` is re-checked against the mapping and catalog
    it was made from, and a table changed in place is a problem too. Never raises for bad
    input: a missing or unreadable file is a problem like any other. Values far outside their
    usual range are issued as `PlausibilityWarning`s.

    Examples
    --------
    >>> for problem in validate("data/scenarios/enterprise-baseline.yaml"):  # doctest: +SKIP
    ...     print(problem)
    >>> validate(sc.with_policy(discount_rate=0.1))                          # doctest: +SKIP
    []
    """
    if isinstance(scenario, Mapping):
        checked = check_document(dict(scenario), DOCUMENT_LABEL, read_catalog_tables(catalog_dir))
    elif isinstance(scenario, str | os.PathLike):
        checked = check_scenario(scenario, catalog_dir)
    else:
        return scenario.problems()
    warn(checked.warnings, stacklevel=2)
    return checked.problems
