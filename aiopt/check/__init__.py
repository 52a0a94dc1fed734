"""Independent plan checker: re-verify a solved plan from its tables and the scenario inputs.

Nothing here reads the Pyomo model or shares the model's sizing code (`aiopt.demand`,
`aiopt.rules`, `aiopt.fabric_sizing`, `aiopt.model`): each check recomputes a physical or
financial fact from the plan's DataFrames and the scenario's catalogs with the checker's own
formulas (`physics`), so a wrong constraint or coefficient in the model shows up as a failed
check rather than as a plan that looks fine. Tables are read by column name; added columns
are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import Plan
from .base import TOLERANCE
from .compute import demand_met, pools_hold_runs, runs_fit, runs_scheduled
from .data import data_encrypted, data_moves_paid, sites_allowed, storage_holds_data
from .fabric import fabric_serves_nodes, fabric_sized
from .finance import book_recomputed, taxes_recomputed, unit_costs_add_up
from .money import capex_recomputed, npv_and_budget, opex_recomputed, residual_value
from .placement import cooling, nothing_before_opening, racks_within_limits, site_power
from .rent import owned_or_rented, rent_allowed_and_billed
from .stacks import stacks_paid

CHECKS = (
    demand_met,
    runs_fit,
    pools_hold_runs,
    runs_scheduled,
    racks_within_limits,
    site_power,
    cooling,
    nothing_before_opening,
    fabric_sized,
    fabric_serves_nodes,
    sites_allowed,
    data_encrypted,
    storage_holds_data,
    data_moves_paid,
    stacks_paid,
    capex_recomputed,
    opex_recomputed,
    residual_value,
    npv_and_budget,
    rent_allowed_and_billed,
    owned_or_rented,
    book_recomputed,
    taxes_recomputed,
    unit_costs_add_up,
)


@dataclass
class CheckReport:
    """The checks run and each failure, as "check_name: row: what is wrong"."""

    failures: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def failed(self, check: str) -> list[str]:
        """The failures of one check, by its name."""
        return [f for f in self.failures if f.startswith(f"{check}: ")]

    def __str__(self) -> str:
        head = f"{len(self.checks)} checks, {len(self.failures)} failures"
        return "\n".join([head, *self.failures])


def check_plan(plan: Plan) -> CheckReport:
    """Run every check; the report lists each failure with the rows concerned."""
    report = CheckReport()
    for check in CHECKS:
        report.checks.append(check.__name__)
        report.failures += [f"{check.__name__}: {msg}" for msg in check(plan)]
    return report


def assert_plan_ok(plan: Plan) -> None:
    """Raise AssertionError listing every failed check."""
    report = check_plan(plan)
    assert report.ok, str(report)


__all__ = ["CHECKS", "TOLERANCE", "CheckReport", "assert_plan_ok", "check_plan"]
