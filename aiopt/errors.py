"""Errors: bad input (`InputError` with its `Problem` records) and a failed solve (`SolveError`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what it is, how to fix it."""

    file: str
    where: str  # row id ("row h100-sxm") or YAML path ("workloads[2].deadline_days")
    field: str
    value: object
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.field}={self.value!r}: {self.fix}"


class InputError(ValueError):
    """Raised for any bad input; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Status(StrEnum):
    """How a solve ended. A `str`, so `plan.status == "optimal"` and JSON keep working."""

    OPTIMAL = "optimal"  # a plan proven within the target gap
    TIME_LIMIT = "time_limit"  # a plan, stopped at the time limit with its gap
    INFEASIBLE = "infeasible"  # proven: no plan meets every constraint
    NO_SOLUTION = "no_solution"  # no plan found within the time limit; none proven impossible
    SOLVER_ERROR = "solver_error"  # HiGHS failed or never ran


class SolveError(RuntimeError):
    """No plan: the scenario is infeasible, none was found in time, or the solver failed.

    `status` is a `Status`; `highs_status` HiGHS's own words for how its last run ended.
    """

    def __init__(self, message: str, status: Status, highs_status: str = ""):
        self.status = Status(status)
        self.highs_status = highs_status
        super().__init__(message)
