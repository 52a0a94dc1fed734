"""The validated, defaults-filled input to the planning model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Scenario:
    """Catalogs, sites, workloads and policy of one planning problem.

    Every table is a DataFrame indexed by `id` (index name = the table's singular: `tier`,
    `fabric`, `storage_tier`, `rack_type`, `service`, `site`, `workload`), every schema field a
    column, defaults filled. `site_racks` is long: columns `site`, `rack_type`, `racks`.
    List fields (certifications, tiers, compliance) hold tuples.
    """

    name: str
    description: str
    policy: dict
    sites: pd.DataFrame
    site_racks: pd.DataFrame
    workloads: pd.DataFrame
    gpu_tiers: pd.DataFrame
    fabrics: pd.DataFrame
    storage_tiers: pd.DataFrame
    rack_types: pd.DataFrame
    services: pd.DataFrame
    path: Path | None = None

    @property
    def years(self) -> list[int]:
        start = int(self.policy["start_year"])
        return list(range(start, start + int(self.policy["horizon_years"])))

    def replace(self, **policy_changes) -> Scenario:
        """A copy with policy values changed, e.g. `sc.replace(capex_budget_usd=40e6)`.

        `growth=` sets every workload's growth_per_year.
        """
        workloads = self.workloads
        if "growth" in policy_changes:
            workloads = workloads.assign(growth_per_year=float(policy_changes.pop("growth")))
        unknown = set(policy_changes) - set(self.policy)
        if unknown:
            raise KeyError(f"unknown policy field(s) {sorted(unknown)}; known: {sorted(self.policy)}")
        return replace(self, policy={**self.policy, **policy_changes}, workloads=workloads)

    def with_values(self, table: str, row: str, **values) -> Scenario:
        """A copy with fields of one row changed, e.g. `sc.with_values("sites", "us-east", power_mw=8)`."""
        frame = getattr(self, table).copy()
        if row not in frame.index:
            raise KeyError(f"{table} has no row {row!r}; rows: {list(frame.index)}")
        for column, value in values.items():
            if column not in frame.columns:
                raise KeyError(f"{table} has no field {column!r}")
            frame[column] = frame[column].astype(object)
            frame.at[row, column] = value
        return replace(self, **{table: frame})
